"""What the guest's DRM-backend scripts (drm_backend_test.py, kms_test.py) share: finding a KMS
card by driver, reading PNG screens, running syncbridge --backend drm and sb-client, polling,
and the TAP main loop. Each script is run as SCRIPT SYNCBRIDGE SB_CLIENT."""
import ctypes
import fcntl
import glob
import os
import signal
import subprocess
import sys
import tempfile
import time

BLACK = (0, 0, 0)


def wait_until(ready, timeout, failure, step=0.2, alive=None):
    """Calls ready() every step seconds until it returns something true, which is returned;
    alive() (if given) asserts on the processes in between. Once timeout seconds have passed,
    fails with failure (a string, or a function giving it, called only then)."""
    deadline = time.monotonic() + timeout
    while True:
        result = ready()
        if result:
            return result
        if alive:
            alive()
        assert time.monotonic() < deadline, failure() if callable(failure) else failure
        time.sleep(step)


# --- devices --------------------------------------------------------------------------------

class DrmVersion(ctypes.Structure):
    _fields_ = [("major", ctypes.c_int), ("minor", ctypes.c_int), ("patch", ctypes.c_int),
                ("name_len", ctypes.c_size_t), ("name", ctypes.c_void_p),
                ("date_len", ctypes.c_size_t), ("date", ctypes.c_void_p),
                ("desc_len", ctypes.c_size_t), ("desc", ctypes.c_void_p)]


# _IOWR('d', 0x00, struct drm_version)
DRM_IOCTL_VERSION = (3 << 30) | (ctypes.sizeof(DrmVersion) << 16) | (ord("d") << 8) | 0x00


def card_of(driver):
    """The /dev/dri/card* node whose DRM_IOCTL_VERSION name is driver (numbers follow probe
    order, so they are never assumed)."""
    for node in sorted(glob.glob("/dev/dri/card*")):
        name = ctypes.create_string_buffer(64)
        version = DrmVersion(name_len=64, name=ctypes.addressof(name))
        fd = os.open(node, os.O_RDWR | os.O_CLOEXEC)
        try:
            fcntl.ioctl(fd, DRM_IOCTL_VERSION, version)
        finally:
            os.close(fd)
        if name.value.decode() == driver:
            return node
    raise AssertionError(f"no /dev/dri/card* is {driver}")


# --- screens --------------------------------------------------------------------------------

class PngImage(ctypes.Structure):
    # libpng 1.6's simplified API (png.h: png_image); PNG_IMAGE_VERSION 1.
    _fields_ = [("opaque", ctypes.c_void_p), ("version", ctypes.c_uint32),
                ("width", ctypes.c_uint32), ("height", ctypes.c_uint32),
                ("format", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("colormap_entries", ctypes.c_uint32), ("warning_or_error", ctypes.c_uint32),
                ("message", ctypes.c_char * 64)]


PNG_FORMAT_RGB = 0x02


class Screen:
    """An RGB image decoded by libpng (pure Python would take minutes per screen under TCG)."""

    def __init__(self, path):
        libpng = ctypes.CDLL("libpng16.so.16")
        image = PngImage(version=1)
        if not libpng.png_image_begin_read_from_file(ctypes.byref(image), path.encode()):
            raise AssertionError(f"{path}: {image.message.decode()}")
        image.format = PNG_FORMAT_RGB
        self.width, self.height = image.width, image.height
        self.pixels = ctypes.create_string_buffer(self.width * self.height * 3)
        if not libpng.png_image_finish_read(ctypes.byref(image), None, self.pixels, 0, None):
            raise AssertionError(f"{path}: {image.message.decode()}")
        self.path = path

    def colours(self, x0, y0, x1, y1, step=4):
        """The colours in [x0, x1) x [y0, y1) (clipped to the image), sampled every step
        pixels."""
        raw = self.pixels.raw
        found = set()
        for y in range(y0, min(y1, self.height), step):
            for x in range(x0, min(x1, self.width), step):
                i = (y * self.width + x) * 3
                found.add(tuple(raw[i:i + 3]))
        return found


# --- processes ------------------------------------------------------------------------------

class Session:
    """One script's run: syncbridge and sb-client (its arguments), a temporary directory for the
    logs (and XDG_CONFIG_HOME, so that no user configuration is read), the Wayland socket's
    name, and how long syncbridge may take to start (start_s) and to exit (stop_s)."""

    def __init__(self, prefix, socket, start_s, stop_s):
        self.syncbridge, self.sb_client = sys.argv[1], sys.argv[2]
        self.tmp = tempfile.mkdtemp(prefix=prefix)
        self.socket = socket
        self.start_s, self.stop_s = start_s, stop_s

    def path(self, name):
        return os.path.join(self.tmp, name)

    def env(self, **extra):
        e = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "DISPLAY")}
        e["XDG_CONFIG_HOME"] = self.tmp
        e["LIBSEAT_BACKEND"] = "builtin"
        e.update(extra)
        return e


def read_log(path):
    with open(path, errors="replace") as f:
        return f.read()


class Compositor:
    """syncbridge --backend drm on card (WLR_DRM_DEVICES), logging to log_name.log, returned
    once its Wayland socket is there."""

    def __init__(self, session, log_name, card, args, leak_check=True):
        self.session = session
        self.log_path = session.path(log_name + ".log")
        self.log = open(self.log_path, "w")
        e = session.env(WLR_DRM_DEVICES=card)
        if not leak_check and "ASAN_OPTIONS" in e:
            e["ASAN_OPTIONS"] += ":detect_leaks=0"
        self.proc = subprocess.Popen(
            [session.syncbridge, "--backend", "drm", "--socket", session.socket] + args,
            env=e, stdout=self.log, stderr=subprocess.STDOUT)
        socket = os.path.join(os.environ["XDG_RUNTIME_DIR"], session.socket)

        def running():
            assert self.proc.poll() is None, \
                f"syncbridge exited with {self.proc.returncode}\n" + self.text()[-3000:]
        wait_until(lambda: os.path.exists(socket), session.start_s,
                   lambda: "no Wayland socket\n" + self.text()[-3000:], alive=running)

    def text(self):
        # Only the compositor writes to its log: nothing of ours to flush first.
        return read_log(self.log_path)

    def alive(self):
        return self.proc.poll() is None

    def screenshot(self, path, timeout):
        """SIGUSR1: syncbridge --screenshot path writes what it composed. Whether the file
        appeared within timeout seconds."""
        if os.path.exists(path):
            os.unlink(path)
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while not os.path.exists(path):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def stop(self):
        """SIGTERM; the exit status (it must leave by itself)."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            status = self.proc.wait(timeout=self.session.stop_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            status = self.proc.wait()
        self.log.close()
        return status


class Client:
    """sb-client args on the session's socket, logging to name.log."""

    def __init__(self, session, name, args):
        self.log_path = session.path(name + ".log")
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                [session.sb_client] + args, env=session.env(WAYLAND_DISPLAY=session.socket),
                stdout=log, stderr=subprocess.STDOUT)

    def text(self):
        return read_log(self.log_path)

    def finish(self, timeout=120):
        status = self.proc.wait(timeout=timeout)
        return status, self.text()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def presented(summary):
    """sb-client's summary line: "... committed N, presented N, ..." -> the presented count."""
    for line in summary.splitlines():
        if "presented " in line:
            return int(line.split("presented ")[1].split(",")[0])
    raise AssertionError("no sb-client summary\n" + summary[-2000:])


# --- TAP ------------------------------------------------------------------------------------

TESTS = []


def test(fn):
    """Registers fn as the script's next test."""
    TESTS.append(fn)
    return fn


def run_tests():
    """Runs the registered tests in order, as TAP; 1 if any failed, else 0."""
    print(f"1..{len(TESTS)}", flush=True)
    failed = 0
    for i, fn in enumerate(TESTS, 1):
        try:
            fn()
        except Exception as e:  # an assertion, or a crash of the test itself
            for line in f"{type(e).__name__}: {e}".splitlines()[-60:]:
                print(f"# {line}")
            print(f"not ok {i} - {fn.__name__}", flush=True)
            failed += 1
            continue
        print(f"ok {i} - {fn.__name__}", flush=True)
    return 1 if failed else 0
