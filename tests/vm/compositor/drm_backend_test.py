#!/usr/bin/python3
"""Guest: syncbridge on the DRM backend (wlroots 0.15, session through libseat) on the VM's KMS
devices, virtio-gpu (what QMP screendump shows) and vkms. TAP.
usage: drm_backend_test.py SYNCBRIDGE SB_CLIENT

libseat: Debian's libseat1 has the seatd, logind, builtin and noop backends; the tests use
`builtin` (seatd inside the compositor's process: root, no daemon to start). Each test names its
card with WLR_DRM_DEVICES: with both KMS devices, wlroots 0.15 makes the second one a
multi-GPU secondary, which needs a GLES2 renderer this VM cannot give (llvmpipe is refused)."""
import ctypes
import fcntl
import glob
import os
import signal
import subprocess
import sys
import tempfile
import time

SYNCBRIDGE, SB_CLIENT = sys.argv[1], sys.argv[2]
HERE = os.path.dirname(os.path.realpath(__file__))
DESKTOP_INI = os.path.join(HERE, "..", "..", "..", "weston-ini", "desktop.ini")
TMP = tempfile.mkdtemp(prefix="sb-drm-test-")
SOCKET = "sb-drm"
# Under TCG one compositor start (DRM probe, libinput, the EGL probe of renderer=auto) takes
# 10-60 s, the EGL probe alone 40 s; screens are polled this long before a test gives up.
START_S = 180
SHOWN_S = 60
BLACK = (0, 0, 0)
results = []


def test(fn):
    results.append(fn)
    return fn


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
libpng = ctypes.CDLL("libpng16.so.16")


class Screen:
    """An RGB image decoded by libpng (pure Python would take minutes per screen under TCG)."""

    def __init__(self, path):
        image = PngImage(version=1)
        if not libpng.png_image_begin_read_from_file(ctypes.byref(image), path.encode()):
            raise AssertionError(f"{path}: {image.message.decode()}")
        image.format = PNG_FORMAT_RGB
        self.width, self.height = image.width, image.height
        self.pixels = ctypes.create_string_buffer(self.width * self.height * 3)
        if not libpng.png_image_finish_read(ctypes.byref(image), None, self.pixels, 0, None):
            raise AssertionError(f"{path}: {image.message.decode()}")
        self.path = path

    def at(self, x, y):
        i = (y * self.width + x) * 3
        return tuple(self.pixels.raw[i:i + 3])

    def colours(self, x0, y0, x1, y1, step=4):
        """The colours in [x0, x1) x [y0, y1), sampled every step pixels."""
        raw = self.pixels.raw
        found = set()
        for y in range(y0, y1, step):
            for x in range(x0, x1, step):
                i = (y * self.width + x) * 3
                found.add(tuple(raw[i:i + 3]))
        return found


def host_log_dir():
    """The run's log dir on the host, where the harness saves screendumps (sbvm.run=)."""
    with open("/proc/cmdline") as f:
        for word in f.read().split():
            if word.startswith("sbvm.run="):
                return word.split("=", 1)[1]
    raise AssertionError("no sbvm.run= on the kernel command line: not in the test VM")


dumps = 0


def screendump(name):
    """QMP screendump of the virtio-gpu scanout, by the host; read back through the guest's
    read-only view of the host's root. A new name each time: the 9p mount caches files."""
    global dumps
    dumps += 1
    name = f"drm-{dumps:02d}-{name}"
    sys.stdout.flush()  # the request shares the TAP channel
    p = subprocess.run(["sbvm-screendump", name], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, f"screendump {name}: {p.stderr.strip()}"
    return Screen(os.path.join("/run/sbvm/host", host_log_dir().lstrip("/"), name + ".png"))


def wait_for_screen(name, check):
    """Screendumps until check(screen) is true (returns it) or SHOWN_S pass (fails with the
    last one)."""
    deadline, screen = time.monotonic() + SHOWN_S, None
    while True:
        screen = screendump(name)
        if check(screen):
            return screen
        if time.monotonic() > deadline:
            raise AssertionError(f"{screen.path} never showed it")
        time.sleep(2)


# --- processes ------------------------------------------------------------------------------

def env(**extra):
    e = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "DISPLAY")}
    e["XDG_CONFIG_HOME"] = TMP  # no user configuration
    e["LIBSEAT_BACKEND"] = "builtin"
    e.update(extra)
    return e


class Compositor:
    def __init__(self, name, card, args, leak_check=True):
        self.log_path = os.path.join(TMP, name + ".log")
        self.log = open(self.log_path, "w")
        e = env(WLR_DRM_DEVICES=card)
        if not leak_check and "ASAN_OPTIONS" in e:
            e["ASAN_OPTIONS"] += ":detect_leaks=0"
        self.proc = subprocess.Popen(
            [SYNCBRIDGE, "--backend", "drm", "--socket", SOCKET] + args,
            env=e, stdout=self.log, stderr=subprocess.STDOUT)
        socket = os.path.join(os.environ["XDG_RUNTIME_DIR"], SOCKET)
        deadline = time.monotonic() + START_S
        while not os.path.exists(socket):
            assert self.proc.poll() is None, \
                f"syncbridge exited with {self.proc.returncode}\n" + self.text()[-3000:]
            assert time.monotonic() < deadline, "no Wayland socket\n" + self.text()[-3000:]
            time.sleep(0.2)

    def text(self):
        # Only the compositor writes to its log: nothing of ours to flush first.
        with open(self.log_path) as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """SIGTERM; the exit status (it must leave by itself)."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            status = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            status = self.proc.wait()
        self.log.close()
        return status


class Client:
    def __init__(self, name, args):
        self.log_path = os.path.join(TMP, name + ".log")
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen([SB_CLIENT] + args, env=env(WAYLAND_DISPLAY=SOCKET),
                                         stdout=log, stderr=subprocess.STDOUT)

    def finish(self, timeout=120):
        status = self.proc.wait(timeout=timeout)
        with open(self.log_path) as f:
            return status, f.read()

    def kill(self):
        self.proc.kill()
        self.proc.wait()


def presented(summary):
    """sb-client's summary line: "... committed N, presented N, ..." -> the presented count."""
    for line in summary.splitlines():
        if "presented " in line:
            return int(line.split("presented ")[1].split(",")[0])
    raise AssertionError("no sb-client summary\n" + summary[-2000:])


def solid(colour):
    """A 300x200 window of one colour at the first cascade position, black elsewhere."""
    def check(screen):
        return (screen.colours(4, 4, 296, 196) == {colour} and
                screen.colours(320, 220, screen.width, screen.height, 16) == {BLACK})
    return check


# --- tests ----------------------------------------------------------------------------------

@test
def desktop_ini_starts_the_drm_backend_on_virtio_gpu():
    """weston-ini/desktop.ini as written (backend=drm, renderer=auto): the client's colour is
    on the real scanout, seen by QEMU."""
    # Under ASan, memory errors are checked but not leaks: renderer=auto's EGL probe leaves
    # Mesa's (llvmpipe, libdrm device list) allocations behind in a driver unloaded by exit,
    # which LeakSanitizer can neither name nor suppress. The pixman tests below check leaks.
    comp = Compositor("desktop", card_of("virtio_gpu"), ["-c", DESKTOP_INI], leak_check=False)
    client = Client("orange", ["--color", "ff8000", "--size", "300x200", "--duration", "600"])
    try:
        screen = wait_for_screen("desktop", solid((0xff, 0x80, 0x00)))
        log = comp.text()
        assert "backend: drm, through libseat" in log, log[-3000:]
        assert "output Virtual-" in log, log[-3000:]
        assert (screen.width, screen.height) == (1280, 800), (screen.width, screen.height)
    finally:
        client.kill()
        status = comp.stop()
    assert status == 0, f"exit status {status}\n" + comp.text()[-3000:]


@test
def drm_backend_survives_client_crash_during_flip():
    """A dma-buf client whose every commit waits 200 ms for its acquire fence is killed
    (SIGKILL) mid-stream: most likely with a commit held by the gate, always with its last
    buffer on the screen. The compositor keeps flipping: the next client is shown and gets
    presentation feedback."""
    comp = Compositor("crash", card_of("virtio_gpu"), ["--renderer", "pixman"])
    red = Client("red", ["--buffer", "udmabuf", "--fence-delay", "200", "--color", "ff0000",
                         "--size", "300x200", "--duration", "600"])
    blue = None
    try:
        wait_for_screen("crash-red", solid((0xff, 0, 0)))
        assert red.proc.poll() is None, red.finish()[1][-2000:]
        red.kill()
        assert comp.alive(), "the compositor died with its client\n" + comp.text()[-3000:]
        # The next window cascades to (32, 32); the crashed one is gone.
        blue = Client("blue", ["--color", "0000ff", "--size", "300x200", "--duration", "20"])

        def blue_alone(screen):
            return (screen.colours(36, 36, 328, 228) == {(0, 0, 0xff)} and
                    screen.colours(0, 0, 30, 30) == {BLACK} and
                    screen.colours(340, 240, screen.width, screen.height, 16) == {BLACK})
        wait_for_screen("crash-blue", blue_alone)
        status, summary = blue.finish()
        assert status == 0, summary[-2000:]
        # wp_presentation feedback comes from the DRM backend's page-flip events.
        assert presented(summary) > 0, summary[-2000:]
        assert comp.alive(), comp.text()[-3000:]
    finally:
        if red.proc.poll() is None:
            red.kill()
        if blue and blue.proc.poll() is None:
            blue.kill()
        status = comp.stop()
    assert status == 0, f"exit status {status}\n" + comp.text()[-3000:]


@test
def drm_backend_drives_vkms():
    """vkms has no screen QEMU can see: its output is checked through its page flips
    (presentation feedback) and syncbridge's own screenshot (SIGUSR1) of what it composed."""
    shot = os.path.join(TMP, "vkms.png")
    comp = Compositor("vkms", card_of("vkms"), ["--renderer", "pixman", "--screenshot", shot])
    client = Client("green", ["--color", "00c000", "--size", "300x200", "--duration", "20"])
    try:
        deadline, screen = time.monotonic() + SHOWN_S, None
        while not screen or not solid((0, 0xc0, 0))(screen):
            assert time.monotonic() < deadline, "the client never showed in the screenshot"
            if os.path.exists(shot):
                os.unlink(shot)
            comp.proc.send_signal(signal.SIGUSR1)
            for _ in range(100):
                if os.path.exists(shot):
                    break
                time.sleep(0.1)
            screen = Screen(shot) if os.path.exists(shot) else None
            time.sleep(0.5)
        assert "output Virtual-1" in comp.text(), comp.text()[-3000:]
        status, summary = client.finish()
        assert status == 0, summary[-2000:]
        # vkms completes each page flip from its vblank timer: feedback arrives.
        assert presented(summary) > 0, summary[-2000:]
    finally:
        if client.proc.poll() is None:
            client.kill()
        status = comp.stop()
    assert status == 0, f"exit status {status}\n" + comp.text()[-3000:]


@test
def drm_output_follows_hotplug_and_config_mode():
    """[output] gives the vkms connector a mode that is not its preferred one (800x600: vkms
    lists it at 56.250 and 60.317 Hz, the fastest is taken); the connector is unplugged and
    plugged again (its sysfs status forced off then on, each time with the card's change uevent,
    which udevd passes on to wlroots). The output goes and comes back in the configured
    mode, the compositor stays up, and a client started afterwards is presented on it."""
    card = card_of("vkms")
    ini = os.path.join(TMP, "hotplug.ini")
    with open(ini, "w") as f:
        f.write("[core]\nbackend=drm\nrenderer=pixman\n[output]\nname=Virtual-1\n"
                "mode=800x600\n")
    status_files = glob.glob(f"/sys/class/drm/{os.path.basename(card)}-Virtual-1/status")
    assert status_files, "no sysfs status file for the vkms connector"
    status_file = status_files[0]

    def force(state):
        with open(status_file, "w") as f:
            f.write(state)
        # vkms has no hotplug interrupt and no connector polling (drm_kms_helper_poll_init),
        # so forcing the status sends nothing: the card's change uevent with HOTPLUG=1, which a
        # driver's hotplug handler sends (drm_kms_helper_hotplug_event), is synthesised here.
        # A synthetic uevent's variables arrive as SYNTH_ARG_*: the udev rule below renames it.
        with open(f"/sys/class/drm/{os.path.basename(card)}/uevent", "w") as f:
            f.write("change 00000000-0000-0000-0000-000000000000 HOTPLUG=1")

    def wait_for(text, count):
        deadline = time.monotonic() + SHOWN_S
        while comp.text().count(text) < count:
            assert comp.alive(), "syncbridge died\n" + comp.text()[-3000:]
            assert time.monotonic() < deadline, f"no {count}x {text!r}\n" + comp.text()[-3000:]
            time.sleep(0.2)

    # wlroots hears of hotplugs from udevd (the "udev" netlink group), not from the kernel, and
    # only of change events with HOTPLUG=1 (wlroots 0.15 backend/session/session.c).
    os.makedirs("/run/udev/rules.d", exist_ok=True)
    with open("/run/udev/rules.d/99-sb-hotplug.rules", "w") as f:
        f.write('ACTION=="change", SUBSYSTEM=="drm", ENV{SYNTH_ARG_HOTPLUG}=="1", '
                'ENV{HOTPLUG}="1"\n')
    udevd = subprocess.run(["/lib/systemd/systemd-udevd", "--daemon"], capture_output=True)
    assert udevd.returncode == 0, udevd.stderr.decode()[-2000:]
    comp = Compositor("hotplug", card, ["-c", ini])
    client = None
    try:
        wait_for("output Virtual-1: 800x600@60.317Hz", 1)
        force("off")
        wait_for("output Virtual-1: gone", 1)
        force("on")
        wait_for("output Virtual-1: 800x600@60.317Hz", 2)
        client = Client("after-hotplug", ["--color", "00c000", "--size", "300x200",
                                          "--duration", "3"])
        status, summary = client.finish()
        assert status == 0, summary[-2000:]
        assert presented(summary) > 0, summary[-2000:]
        assert comp.alive(), comp.text()[-3000:]
    finally:
        force("detect")
        if client and client.proc.poll() is None:
            client.kill()
        status = comp.stop()
        subprocess.run(["udevadm", "control", "--exit"], capture_output=True)
    assert status == 0, f"exit status {status}\n" + comp.text()[-3000:]


def main():
    print(f"1..{len(results)}", flush=True)
    failed = 0
    for i, fn in enumerate(results, 1):
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


if __name__ == "__main__":
    sys.exit(main())
