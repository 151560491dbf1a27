#!/usr/bin/python3
"""Guest: syncbridge on the DRM backend (wlroots 0.15, session through libseat) on the VM's KMS
devices, virtio-gpu (what QMP screendump shows) and vkms. TAP.
usage: drm_backend_test.py SYNCBRIDGE SB_CLIENT

libseat: Debian's libseat1 has the seatd, logind, builtin and noop backends; the tests use
`builtin` (seatd inside the compositor's process: root, no daemon to start). Each test names its
card with WLR_DRM_DEVICES: with both KMS devices, wlroots 0.15 makes the second one a
multi-GPU secondary, which needs a GLES2 renderer this VM cannot give (llvmpipe is refused)."""
import functools
import glob
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree the guest shares
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from drmtest import BLACK, Screen, card_of, presented, run_tests, test, wait_until  # noqa: E402
import drmtest  # noqa: E402

HERE = os.path.dirname(os.path.realpath(__file__))
DESKTOP_INI = os.path.join(HERE, "..", "..", "..", "weston-ini", "desktop.ini")
# Under TCG one compositor start (DRM probe, libinput, the EGL probe of renderer=auto) takes
# 10-60 s, the EGL probe alone 40 s; screens are polled this long before a test gives up.
SESSION = drmtest.Session("sb-drm-test-", "sb-drm", start_s=180, stop_s=60)
SHOWN_S = 60


# --- screens --------------------------------------------------------------------------------

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
    screens = []

    def shown():
        screens.append(screendump(name))
        return check(screens[-1]) and screens[-1]
    return wait_until(shown, SHOWN_S, lambda: f"{screens[-1].path} never showed it", step=2)


# --- processes ------------------------------------------------------------------------------

Compositor = functools.partial(drmtest.Compositor, SESSION)
Client = functools.partial(drmtest.Client, SESSION)


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
        red.kill()
        if blue:
            blue.kill()
        status = comp.stop()
    assert status == 0, f"exit status {status}\n" + comp.text()[-3000:]


@test
def drm_backend_drives_vkms():
    """vkms has no screen QEMU can see: its output is checked through its page flips
    (presentation feedback) and syncbridge's own screenshot (SIGUSR1) of what it composed."""
    shot = SESSION.path("vkms.png")
    comp = Compositor("vkms", card_of("vkms"), ["--renderer", "pixman", "--screenshot", shot])
    client = Client("green", ["--color", "00c000", "--size", "300x200", "--duration", "20"])
    try:
        def shown():
            screen = Screen(shot) if comp.screenshot(shot, 10) else None
            return screen and solid((0, 0xc0, 0))(screen)
        wait_until(shown, SHOWN_S, "the client never showed in the screenshot", step=0.5)
        assert "output Virtual-1" in comp.text(), comp.text()[-3000:]
        status, summary = client.finish()
        assert status == 0, summary[-2000:]
        # vkms completes each page flip from its vblank timer: feedback arrives.
        assert presented(summary) > 0, summary[-2000:]
    finally:
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
    ini = SESSION.path("hotplug.ini")
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
        def running():
            assert comp.alive(), "syncbridge died\n" + comp.text()[-3000:]
        wait_until(lambda: comp.text().count(text) >= count, SHOWN_S,
                   lambda: f"no {count}x {text!r}\n" + comp.text()[-3000:], alive=running)

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
        if client:
            client.kill()
        status = comp.stop()
        subprocess.run(["udevadm", "control", "--exit"], capture_output=True)
    assert status == 0, f"exit status {status}\n" + comp.text()[-3000:]


if __name__ == "__main__":
    sys.exit(run_tests())
