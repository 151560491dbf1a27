"""Minimal QMP client for the test VM: enough to take a screendump as PNG.

QEMU's QMP socket accepts one client at a time, so every call here connects, does its work and
disconnects: tests/vm/run and tests/vm/screendump can then take turns on the same socket.
"""

import json
import os
import socket
import struct
import tempfile
import zlib


class QMPError(Exception):
    pass


class QMP:
    def __init__(self, path, timeout=30.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
        except OSError as e:
            self.sock.close()
            raise QMPError(f"cannot connect to QMP socket {path}: {e}") from e
        self.reader = self.sock.makefile("r", encoding="utf-8")
        greeting = self._read()
        if "QMP" not in greeting:
            raise QMPError(f"not a QMP greeting: {greeting}")
        self.execute("qmp_capabilities")

    def _read(self):
        line = self.reader.readline()
        if not line:
            raise QMPError("QMP connection closed")
        return json.loads(line)

    def execute(self, command, **arguments):
        msg = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self._read()
            if "event" in reply:  # asynchronous events may come in between
                continue
            if "error" in reply:
                raise QMPError(f"{command}: {reply['error'].get('desc', reply['error'])}")
            return reply.get("return")

    def close(self):
        self.reader.close()
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_ppm(path):
    """(width, height, rgb bytes) of a binary PPM (P6, maxval 255) as QEMU writes it."""
    with open(path, "rb") as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 4:  # magic, width, height, maxval; '#' comments allowed in between
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    pos += 1  # the single whitespace byte after maxval
    if fields[0] != b"P6" or fields[3] != b"255":
        raise QMPError(f"{path}: not an 8-bit P6 PPM")
    width, height = int(fields[1]), int(fields[2])
    rgb = data[pos:pos + width * height * 3]
    if len(rgb) != width * height * 3:
        raise QMPError(f"{path}: truncated")
    return width, height, rgb


def write_png(path, width, height, rgb):
    """An RGB8 PNG, filter type 0 on every row: no PIL needed."""
    def chunk(kind, payload):
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    stride = width * 3
    raw = b"".join(b"\0" + rgb[y * stride:(y + 1) * stride] for y in range(height))
    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 6))
           + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(png)


def send_key(qmp_path, qcodes):
    """Presses the QEMU qcodes (["ctrl", "alt", "f2"]) together and releases them, on the
    guest's keyboard (the virtio-keyboard device)."""
    with QMP(qmp_path) as qmp:
        qmp.execute("send-key", keys=[{"type": "qcode", "data": k} for k in qcodes])


def screendump(qmp_path, png_path):
    """Save the guest's primary display (virtio-gpu with -vga none) as png_path.

    QEMU >= 7.1 built with libpng writes PNG itself ("format": "png"); otherwise it writes PPM,
    converted here.
    """
    png_path = os.path.abspath(png_path)
    with QMP(qmp_path) as qmp:
        try:
            qmp.execute("screendump", filename=png_path, format="png")
            return png_path
        except QMPError as e:
            if "format" not in str(e).lower() and "png" not in str(e).lower():
                raise
        fd, ppm = tempfile.mkstemp(suffix=".ppm", dir=os.path.dirname(png_path))
        os.close(fd)
        try:
            qmp.execute("screendump", filename=ppm)
            write_png(png_path, *read_ppm(ppm))
        finally:
            os.unlink(ppm)
    return png_path
