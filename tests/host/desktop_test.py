#!/usr/bin/env python3
"""Host: the desktop protocols and the layer shell with real Debian programs, on a headless
syncbridge each test starts for itself (issue #20): swaybg, waybar, foot typed into through
wtype's virtual keyboard, wl-clipboard, wayland-info, wlr-randr, swayidle. A program missing on
this host is a skip that says so. TAP.
usage: desktop_test.py SYNCBRIDGE SB_CTL IDLE_INHIBIT_CLIENT"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "lib"))
import png  # noqa: E402
import taptest  # noqa: E402

SYNCBRIDGE, SB_CTL, IDLE_INHIBIT_CLIENT = [os.path.realpath(p) for p in sys.argv[1:4]]
TMP = tempfile.mkdtemp(prefix="sb-desktop-test-")
test = taptest.Registry()

# The globals desktop programs look for (compositor/desktop_protocols.c, layer_shell.c).
DESKTOP_GLOBALS = [
    "zwlr_layer_shell_v1", "zxdg_decoration_manager_v1", "org_kde_kwin_server_decoration_manager",
    "xdg_activation_v1", "zwp_primary_selection_device_manager_v1",
    "zwlr_data_control_manager_v1", "zwlr_output_manager_v1", "zwlr_output_power_manager_v1",
    "org_kde_kwin_idle", "zwp_idle_inhibit_manager_v1",
    "zwp_keyboard_shortcuts_inhibit_manager_v1", "zwp_pointer_constraints_v1",
    "zwp_relative_pointer_manager_v1", "zwp_text_input_manager_v3",
    "zwp_input_method_manager_v2", "zwlr_foreign_toplevel_manager_v1",
    "zwlr_gamma_control_manager_v1", "zwlr_input_inhibit_manager_v1", "zwp_tablet_manager_v2",
    "zwp_pointer_gestures_v1", "wp_viewporter", "zwp_virtual_keyboard_manager_v1",
]


def need(*programs):
    for p in programs:
        if not shutil.which(p):
            return f"{p} is not installed on this host (scripts/deps.sh installs it)"
    return None


class Session:
    """A headless syncbridge with a control socket; clients run in it with run()/start()."""
    count = 0

    def __init__(self, size="1280x720"):
        Session.count += 1
        self.dir = os.path.join(TMP, f"s{Session.count}")
        os.makedirs(self.dir)
        runtime = os.path.join(self.dir, "xdg")
        os.makedirs(runtime, mode=0o700)
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("WAYLAND_DISPLAY", "DISPLAY", "SYNCBRIDGE_CONTROL")}
        self.env.update(XDG_RUNTIME_DIR=runtime, XDG_CONFIG_HOME=self.dir,
                        HOME=self.dir, WAYLAND_DISPLAY="wayland-sb")
        self.ctl = os.path.join(runtime, "sb.ctl")
        self.log = open(os.path.join(self.dir, "syncbridge.log"), "w+")
        self.comp = subprocess.Popen(
            [SYNCBRIDGE, "--backend", "headless", "--renderer", "pixman", "--output-size", size,
             "--socket", "wayland-sb", "--control", self.ctl, "--exec", "sleep 300"],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self.clients = []
        for _ in range(400):
            if os.path.exists(self.ctl) and os.path.exists(os.path.join(runtime, "wayland-sb")):
                break
            assert self.comp.poll() is None, "syncbridge exited at start:\n" + self.output()
            time.sleep(0.025)
        else:
            raise AssertionError("syncbridge made no control socket in 10 s")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def output(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def run(self, args, timeout=30, input=None, forks=False):
        """forks: the program leaves a child in the background (wl-copy serves its selection)
        which keeps stdout open: its output is not read."""
        if forks:
            return subprocess.run(args, env=self.env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, text=True, timeout=timeout,
                                  input=input, cwd=self.dir)
        return subprocess.run(args, env=self.env, capture_output=True, text=True,
                              timeout=timeout, input=input, cwd=self.dir)

    def start(self, args, **kw):
        p = subprocess.Popen(args, env=self.env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, cwd=self.dir, **kw)
        self.clients.append(p)
        return p

    def ctl_cmd(self, *args, timeout=30):
        p = self.run([SB_CTL, "-s", self.ctl] + list(args), timeout=timeout)
        assert p.returncode == 0, f"sb-ctl {' '.join(args)}: {p.stdout}{p.stderr}"
        return p.stdout.strip()

    def wait_log(self, text, timeout=20):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text in self.output():
                return
            assert self.comp.poll() is None, "syncbridge died:\n" + self.output()[-3000:]
            time.sleep(0.05)
        raise AssertionError(f"not in the compositor's log within {timeout} s: {text}\n"
                             + self.output()[-3000:])

    def shot(self, name):
        path = os.path.join(self.dir, name)
        self.ctl_cmd("shot", path)
        return png.read(path)

    def alive(self):
        return self.comp.poll() is None

    def close(self):
        for p in self.clients:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        status = None
        if self.comp.poll() is None:
            try:
                self.ctl_cmd("quit")
                status = self.comp.wait(timeout=20)
            except (AssertionError, subprocess.TimeoutExpired):
                self.comp.kill()
                self.comp.wait()
        self.log.close()
        # A crash or a sanitizer report at exit fails the test that ran it.
        out = self.output()
        assert "ERROR: AddressSanitizer" not in out and "runtime error:" not in out, out[-4000:]
        assert status in (None, 0), f"syncbridge exit status {status}\n" + out[-3000:]


def windows(s):
    """sb-ctl windows: [(app_id, title, w, h, x, y)] of the mapped toplevels."""
    out = s.ctl_cmd("windows")
    assert out.startswith("ok "), out
    result = []
    for item in out[3:].split("; "):
        if item == "(no mapped window)":
            continue
        app_id, _, rest = item[1:].partition('" "')
        title, _, geo = rest.partition('" ')
        size, x, y = geo.split()[0].split("+")
        w, h = size.split("x")
        result.append((app_id, title, int(w), int(h), int(x), int(y)))
    return result


def wait_window(s, app_id, timeout=20):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for w in windows(s):
            if w[0] == app_id:
                return w
        time.sleep(0.1)
    raise AssertionError(f"no window {app_id} mapped within {timeout} s: {windows(s)}\n"
                         + s.output()[-2000:])


@test
def seat_offers_a_keyboard_with_a_keymap_on_a_headless_backend():
    """The headless backend has no keyboard; seat0 still says keyboard (seat_keyboard.c)."""
    skip = need("wayland-info")
    if skip:
        return skip
    with Session() as s:
        p = s.run(["wayland-info"])
        assert p.returncode == 0, p.stderr
        assert "capabilities: pointer keyboard" in p.stdout, p.stdout[:3000]
        assert "keyboard repeat rate" in p.stdout, p.stdout[:3000]


@test
def wayland_info_lists_the_desktop_globals():
    skip = need("wayland-info")
    if skip:
        return skip
    with Session() as s:
        p = s.run(["wayland-info"])
        assert p.returncode == 0, p.stderr
        names = {line.split("'")[1] for line in p.stdout.splitlines()
                 if line.startswith("interface: '")}
        missing = [g for g in DESKTOP_GLOBALS if g not in names]
        assert not missing, f"missing globals: {missing}"


@test
def swaybg_draws_its_colour_on_the_background_layer():
    """swaybg's wallpaper fills the output: the picture is its colour, corner to corner."""
    skip = need("swaybg")
    if skip:
        return skip
    with Session() as s:
        s.start(["swaybg", "-c", "#3366cc", "-m", "solid_color"])
        s.wait_log("layer surface 'wallpaper' mapped: 1280x720+0+0")
        time.sleep(0.3)
        w, h, rows = s.shot("swaybg.png")
        assert (w, h) == (1280, 720), (w, h)
        for x, y in [(0, 0), (640, 360), (1279, 719), (10, 700)]:
            assert rows[y][x] == (0x33, 0x66, 0xcc), f"pixel {x},{y} is {rows[y][x]}"


@test
def waybar_exclusive_zone_moves_a_new_window_below_it():
    """waybar maps a 30-pixel bar on top with an exclusive zone of 30; foot, mapped after it,
    is placed inside what is left: 30 pixels lower than in a session without the bar."""
    skip = need("waybar", "foot")
    if skip:
        return skip
    cfg = os.path.join(TMP, "waybar.json")
    with open(cfg, "w") as f:
        json.dump({"layer": "top", "position": "top", "height": 30,
                   "modules-left": [], "modules-center": [], "modules-right": ["clock"]}, f)
    with Session() as s:
        s.start(["foot", "-c", "/dev/null", "-a", "alone", "sh", "-c", "sleep 300"])
        alone = wait_window(s, "alone")
    with Session() as s:
        s.start(["waybar", "-c", cfg])
        s.wait_log("layer surface 'waybar' mapped: 1280x30+0+0, exclusive zone 30", timeout=40)
        s.start(["foot", "-c", "/dev/null", "-a", "below", "sh", "-c", "sleep 300"])
        below = wait_window(s, "below")
    assert below[4] == alone[4] and below[5] == alone[5] + 30, \
        f"the bar's exclusive zone did not move the window down 30 pixels: {alone} {below}"


@test
def foot_shows_text_typed_through_a_virtual_keyboard():
    """wtype (zwp_virtual_keyboard_v1) types a line into foot, whose shell writes it to a file;
    foot's picture changed where the text went (it shows it)."""
    skip = need("foot", "wtype")
    if skip:
        return skip
    out = os.path.join(TMP, "typed.txt")
    with Session() as s:
        s.start(["foot", "-c", "/dev/null", "-a", "typing", "sh", "-c",
                 f"head -n 1 > {out}; sleep 300"])
        wait_window(s, "typing")
        time.sleep(0.5)
        _, _, before = s.shot("before.png")
        p = s.run(["wtype", "typed by wtype 42\n"])
        assert p.returncode == 0, p.stderr
        end = time.monotonic() + 10
        while time.monotonic() < end and not (os.path.exists(out) and os.path.getsize(out)):
            time.sleep(0.1)
        with open(out) as f:
            assert f.read() == "typed by wtype 42\n", "foot did not get the keys"
        time.sleep(0.3)
        _, _, after = s.shot("after.png")
        changed = sum(1 for y in range(0, 60) for x in range(0, 400)
                      if before[y][x] != after[y][x])
        assert changed > 100, f"foot's first line shows no text ({changed} pixels changed)"


@test
def wl_clipboard_round_trips_the_selection_and_primary_selection():
    skip = need("wl-copy", "wl-paste")
    if skip:
        return skip
    with Session() as s:
        p = s.run(["wl-copy", "clipboard text 1"], forks=True)
        assert p.returncode == 0, p.stderr
        p = s.run(["wl-paste", "-n"])
        assert p.stdout == "clipboard text 1", (p.stdout, p.stderr)
        p = s.run(["wl-copy", "-p", "primary text 2"], forks=True)
        assert p.returncode == 0, p.stderr
        p = s.run(["wl-paste", "-p", "-n"])
        assert p.stdout == "primary text 2", (p.stdout, p.stderr)
        # The regular selection is still the first one.
        assert s.run(["wl-paste", "-n"]).stdout == "clipboard text 1"


@test
def data_control_client_reads_and_clears_the_selection():
    """wl-clipboard without a window of its own works through zwlr_data_control_v1: the
    protocol log shows it, and wl-copy --clear empties the selection."""
    skip = need("wl-copy", "wl-paste")
    if skip:
        return skip
    with Session() as s:
        s.run(["wl-copy", "control me"], forks=True)
        env = dict(s.env, WAYLAND_DEBUG="1")
        p = subprocess.run(["wl-paste", "-n"], env=env, capture_output=True, text=True,
                           timeout=30)
        assert p.stdout == "control me", p.stdout
        assert "zwlr_data_control_device_v1" in p.stderr, p.stderr[-2000:]
        assert s.run(["wl-copy", "--clear"], forks=True).returncode == 0
        p = s.run(["wl-paste", "-n"])
        assert p.returncode != 0 and p.stdout == "", (p.returncode, p.stdout)


@test
def wlr_randr_changes_the_output_mode_and_position():
    """zwlr_output_manager_v1 apply: the mode and position wlr-randr sets are the output's (the
    screenshot's size), and wlr-randr reads them back."""
    skip = need("wlr-randr")
    if skip:
        return skip
    with Session() as s:
        p = s.run(["wlr-randr"])
        assert p.returncode == 0 and "HEADLESS-1" in p.stdout, p.stdout + p.stderr
        assert "1280x720" in p.stdout, p.stdout
        p = s.run(["wlr-randr", "--output", "HEADLESS-1", "--custom-mode", "800x600",
                   "--pos", "100,50", "--scale", "2"])
        assert p.returncode == 0, p.stdout + p.stderr
        p = s.run(["wlr-randr"])
        assert "800x600" in p.stdout and "Position: 100,50" in p.stdout, p.stdout
        assert "Scale: 2.0" in p.stdout, p.stdout
        w, h, _ = s.shot("randr.png")
        assert (w, h) == (800, 600), (w, h)
        # wlroots 0.15's headless backend cannot disable an output (WLR_OUTPUT_STATE_ENABLED
        # is not among its fields): --off is answered "failed", and nothing changes.
        p = s.run(["wlr-randr", "--output", "HEADLESS-1", "--off"])
        assert p.returncode != 0 and "failed" in p.stderr, p.stdout + p.stderr
        p = s.run(["wlr-randr"])
        assert "Enabled: yes" in p.stdout and "800x600" in p.stdout, p.stdout
        s.wait_log("HEADLESS-1: the backend refused the configuration")
        assert s.alive()


@test
def swayidle_runs_its_timeout_when_there_is_no_input():
    """org_kde_kwin_idle: swayidle's 1-second timeout fires on an idle seat, and its resume
    command after input (a virtual keyboard's key)."""
    skip = need("swayidle", "wtype")
    if skip:
        return skip
    idle = os.path.join(TMP, "idle")
    resumed = os.path.join(TMP, "resumed")
    with Session() as s:
        s.start(["swayidle", "-w", "timeout", "1", f"touch {idle}", "resume", f"touch {resumed}"])
        end = time.monotonic() + 10
        while time.monotonic() < end and not os.path.exists(idle):
            time.sleep(0.1)
        assert os.path.exists(idle), "swayidle's timeout never fired"
        assert not os.path.exists(resumed)
        s.run(["wtype", "x"])
        end = time.monotonic() + 10
        while time.monotonic() < end and not os.path.exists(resumed):
            time.sleep(0.1)
        assert os.path.exists(resumed), "input did not end the idle state"


@test
def idle_inhibitor_keeps_swayidle_from_firing_until_it_goes():
    """zwp_idle_inhibit_manager_v1: while a client holds an inhibitor, swayidle's 1-second timeout
    does not fire; once the client is gone it does."""
    skip = need("swayidle")
    if skip:
        return skip
    idle = os.path.join(TMP, "idle-inhibited")
    with Session() as s:
        holder = subprocess.Popen([IDLE_INHIBIT_CLIENT], env=s.env, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        s.clients.append(holder)
        assert holder.stdout.readline().strip() == "inhibiting", "the inhibitor client failed"
        s.wait_log("idle: inhibited")
        s.start(["swayidle", "-w", "timeout", "1", f"touch {idle}"])
        time.sleep(3)
        assert not os.path.exists(idle), "swayidle went idle under an inhibitor"
        holder.stdin.close()
        assert holder.wait(timeout=10) == 0
        s.wait_log("idle: no inhibitor left, idle timers on")
        end = time.monotonic() + 10
        while time.monotonic() < end and not os.path.exists(idle):
            time.sleep(0.1)
        assert os.path.exists(idle), "swayidle never went idle after the inhibitor went"


sys.exit(test.run())
