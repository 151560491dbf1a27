#!/usr/bin/python3
"""Guest: VT switching and the quit key on the real DRM path. QEMU's virtio keyboard (keys sent
by the host over QMP send-key), the guest kernel's virtio-input and evdev, udevd and libinput,
syncbridge on virtio-gpu with its session through libseat (builtin seatd), which switches VTs
with VT_ACTIVATE; the active VT is read back from /sys/class/tty/tty0/active. TAP.
usage: vt_switch_test.py SYNCBRIDGE SB_CLIENT"""
import glob
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree the guest shares
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from drmtest import card_of, run_tests, test, wait_until  # noqa: E402
import drmtest  # noqa: E402

# Under TCG one compositor start (DRM probe, libinput) takes 10-60 s.
SESSION = drmtest.Session("sb-vt-test-", "sb-vt", start_s=180, stop_s=60)
KEY_S = 60


def send_key(keys):
    """The host presses keys (QEMU qcodes joined by '-') on the virtio keyboard; returns once it
    has (the #SENDKEY request and its answer share the TAP channel, as sbvm-screendump's)."""
    sys.stdout.flush()
    channel = os.environ.get("SBVM_CHANNEL", "/dev/ttyS1")
    p = subprocess.run(
        ["sh", "-c", 'printf "#SENDKEY %s\\n" "$1" >"$2"; timeout 30 sh -c \''
         'while IFS= read -r line; do case $line in '
         '"#SENDKEY-DONE $1 ok"*) exit 0 ;; "#SENDKEY-DONE $1 "*) echo "$line" >&2; exit 1 ;; '
         'esac; done; exit 1\' sh "$1" <"$2"', "sh", keys, channel],
        capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, f"send-key {keys}: {p.stderr.strip() or 'no answer'}"


def active_vt():
    with open("/sys/class/tty/tty0/active") as f:
        return f.read().strip()


def keyboard_ready():
    """udevd running, the virtio keyboard's evdev node known to it (libinput skips devices udev
    has not initialised)."""
    names = {}
    for path in glob.glob("/sys/class/input/event*/device/name"):
        with open(path) as f:
            names[f.read().strip()] = path
    assert any("Keyboard" in n for n in names), \
        f"no virtio keyboard among the input devices {sorted(names)}: the kernel needs " \
        "CONFIG_VIRTIO_INPUT and CONFIG_INPUT_EVDEV, QEMU -device virtio-keyboard-pci"
    udevd = subprocess.run(["/lib/systemd/systemd-udevd", "--daemon"], capture_output=True)
    assert udevd.returncode == 0, udevd.stderr.decode()[-2000:]
    # --ping: udevd listens before the trigger's uevents go out (earlier ones would be lost).
    for cmd in (["udevadm", "control", "--ping", "--timeout=60"],
                ["udevadm", "trigger", "--action=add", "--subsystem-match=input"],
                ["udevadm", "settle", "--timeout=60"]):
        # udevadm refuses these in a chroot ("Running in chroot, ignoring request") unless told.
        p = subprocess.run(cmd, capture_output=True, text=True,
                           env=dict(os.environ, SYSTEMD_IGNORE_CHROOT="1"))
        assert p.returncode == 0, f"{cmd}: {p.stderr[-2000:]}"
    info = {node: subprocess.run(["udevadm", "info", node], capture_output=True,
                                 text=True).stdout for node in glob.glob("/dev/input/event*")}
    assert any("ID_INPUT_KEYBOARD=1" in i for i in info.values()), \
        f"udev has initialised no keyboard (libinput would skip it): {info}"


def start():
    keyboard_ready()
    comp = drmtest.Compositor(SESSION, "vt", card_of("virtio_gpu"), ["--renderer", "pixman", "-d"])
    # The virtio-gpu connector's name depends on the other KMS devices: any output will do.
    wait_log(comp, "] output Virtual-")
    return comp


def wait_log(comp, text):
    def running():
        assert comp.alive(), "syncbridge died\n" + comp.text()[-3000:]
    wait_until(lambda: text in comp.text(), KEY_S,
               lambda: f"no {text!r} in the log\n" + comp.text()[-3000:], alive=running)


@test
def ctrl_alt_f2_switches_to_vt2_and_ctrl_alt_f1_back():
    """Ctrl+Alt+F2 pressed on the virtio keyboard reaches syncbridge through libinput, which
    asks the session for VT 2: the kernel's active VT becomes tty2. There, the kernel console's
    own Ctrl+Alt+F1 brings VT 1 back, and syncbridge, its session active again, runs on."""
    comp = start()
    try:
        before = active_vt()
        assert before != "tty2", f"already on {before}"
        send_key("ctrl-alt-f2")
        wait_log(comp, "keybinding: switch to VT 2")
        wait_until(lambda: active_vt() == "tty2", KEY_S,
                   lambda: f"active VT {active_vt()}, not tty2\n" + comp.text()[-3000:])
        send_key("ctrl-alt-f1")
        wait_until(lambda: active_vt() == before, KEY_S,
                   lambda: f"active VT {active_vt()}, not {before}\n" + comp.text()[-3000:])
        assert comp.alive(), "syncbridge died\n" + comp.text()[-3000:]
    finally:
        status = comp.stop()
        subprocess.run(["udevadm", "control", "--exit"], capture_output=True)
    assert status == 0, f"exit status {status}\n" + comp.text()[-3000:]


@test
def quit_key_ends_the_compositor():
    """Ctrl+Alt+BackSpace, the default [keybinding] quit, ends syncbridge with status 0."""
    comp = start()
    try:
        send_key("ctrl-alt-backspace")
        wait_until(lambda: not comp.alive(), KEY_S,
                   lambda: "still running after the quit key\n" + comp.text()[-3000:])
    finally:
        status = comp.stop()
        subprocess.run(["udevadm", "control", "--exit"], capture_output=True)
    assert status == 0, f"exit status {status}\n" + comp.text()[-3000:]
    assert "keybinding: quit" in comp.text(), comp.text()[-3000:]


if __name__ == "__main__":
    sys.exit(run_tests())
