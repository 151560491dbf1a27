"""Minimal PNG reading and writing (8-bit RGB/RGBA, no interlace) with the standard library only:
enough to check screenshots in tests and write diff images, without PIL."""
import struct
import zlib


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def read(path):
    """Returns (width, height, rows): rows[y] is a list of (r, g, b) tuples."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or color not in (2, 6) or interlace:
                raise ValueError(f"{path}: only 8-bit RGB/RGBA, not interlaced")
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b, c = prev[x], prev[x - channels] if x >= channels else 0
            line[x] = (line[x] + (0, a, b, (a + b) // 2, _paeth(a, b, c))[kind]) & 0xff
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, channels)])
        prev = line
    return width, height, rows


def write(path, width, height, rows):
    """Writes rows (lists of (r, g, b)) as an 8-bit RGB PNG."""
    raw = b"".join(b"\0" + bytes(v for px in row for v in px) for row in rows)

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xffffffff)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw)))
        f.write(chunk(b"IEND", b""))


def compare(actual, expected, diff_path=None, tolerance=0):
    """Pixels whose channels differ by more than tolerance; writes a diff PNG (red where they
    differ) when there are any and diff_path is given. Returns the count, or -1 on a size
    mismatch."""
    aw, ah, arows = read(actual)
    ew, eh, erows = read(expected)
    if (aw, ah) != (ew, eh):
        return -1
    bad, diff = 0, []
    for y in range(ah):
        row = []
        for x in range(aw):
            a, e = arows[y][x], erows[y][x]
            if max(abs(a[i] - e[i]) for i in range(3)) > tolerance:
                bad += 1
                row.append((255, 0, 0))
            else:
                row.append(tuple(v // 3 for v in a))
        diff.append(row)
    if bad and diff_path:
        write(diff_path, aw, ah, diff)
    return bad
