#!/usr/bin/env python3
"""Host: window management and Xwayland as a user sees them, on a headless syncbridge: X11
programs from Debian (xlogo) and a tiny xcb client (x11_popup) through Xwayland, driven with
sb-ctl; the [xwayland], [keybinding] and [autostart] sections of the config. TAP.
usage: desktop_wm_test.py SYNCBRIDGE SB_CTL X11_POPUP"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "lib"))
import png  # noqa: E402
import taptest  # noqa: E402

SYNCBRIDGE, SB_CTL, X11_POPUP = sys.argv[1:4]
TMP = tempfile.mkdtemp(prefix="sb-desktop-wm-test-")
BIN = os.path.join(TMP, "bin")
os.makedirs(BIN)
for name, path in [("syncbridge", SYNCBRIDGE), ("sb-ctl", SB_CTL), ("x11_popup", X11_POPUP)]:
    os.symlink(os.path.realpath(path), os.path.join(BIN, name))
test = taptest.Registry()

HEADLESS = "[core]\nbackend=headless\nrenderer=pixman\n[output]\nmode=1280x720\n"
XWAYLAND = HEADLESS + "[xwayland]\nenabled=true\n"
# wlroots 0.15 leaks (LeakSanitizer, at exit): its X11 window manager (the xcb connection, its
# event source) once Xwayland has exited, which Xwayland -terminate does when its last X11 client
# goes; and the wlr_keyboard of each zwp_virtual_keyboard_v1 (its keyboard_impl.destroy frees
# nothing). Runs where either can happen skip the leak check (every run with an X11 client: when
# Xwayland sees its last client go before the compositor exits is a race); the others keep it.
# Until sb-ctl windows lists a window whose line holds $1 (at most 10 s).
WAIT_FOR = ('wait_for() { for i in $(seq 100); do sb-ctl windows | grep -q -- "$1" && return 0; '
            'sleep 0.1; done; echo "timeout waiting for $1"; sb-ctl windows; return 1; }\n')


def need(*programs):
    for p in programs:
        if not shutil.which(p):
            return f"{p} is not installed on this host (scripts/deps.sh installs it)"
    return None


def run(ini, script, timeout=90, leak_check=True):
    """syncbridge with config ini and a control socket, running script under --exec (set -e):
    (exit status, stdout, stderr, its directory). leak_check=False: no LeakSanitizer report
    at exit (ASan build), for the two leaks of wlroots 0.15 named where it is used."""
    d = tempfile.mkdtemp(dir=TMP)
    runtime = os.path.join(d, "runtime")
    os.mkdir(runtime, 0o700)
    with open(os.path.join(d, "test.ini"), "w") as f:
        f.write(ini)
    with open(os.path.join(d, "script.sh"), "w") as f:
        f.write("set -e\n" + WAIT_FOR + script)
    env = {k: v for k, v in os.environ.items()
           if k not in ("WAYLAND_DISPLAY", "DISPLAY", "SYNCBRIDGE_CONTROL")}
    env.update(XDG_RUNTIME_DIR=runtime, XDG_CONFIG_HOME=d, PATH=BIN + ":" + env.get("PATH", ""))
    if not leak_check:
        # (Also when the test command has not set ASAN_OPTIONS: meson test alone.)
        env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "detect_leaks=0"]))
    p = subprocess.run(["syncbridge", "-c", "test.ini", "--control", os.path.join(d, "ctl"),
                        "--exec", "sh script.sh"], cwd=d, env=env, capture_output=True,
                       text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr, d


def window_line(out, marker):
    """The `sb-ctl windows` entry of the last output line starting with marker."""
    lines = [line for line in out.splitlines() if line.startswith(marker)]
    assert lines, f"no line {marker!r} in:\n{out}"
    return lines[-1][len(marker):]


@test
def x11_window_maps_takes_focus_moves_is_shown_and_closes():
    """xlogo through Xwayland: it maps as an x11 view with the keyboard focus, sb-ctl move puts
    it at (300, 200) where a screenshot shows its white face, and sb-ctl close ends it."""
    missing = need("Xwayland", "xlogo")
    if missing:
        return missing
    rc, out, err, d = run(XWAYLAND, """
xlogo -geometry 200x150 & pid=$!
sb-ctl wait mapped window=xlogo timeout=20000 >/dev/null
echo "mapped: $(sb-ctl windows)"
sb-ctl move 300 200 window=xlogo >/dev/null
echo "moved: $(sb-ctl windows)"
sb-ctl shot shot.png >/dev/null
sb-ctl close window=xlogo
wait $pid || true
wait_for "no mapped window"
echo "closed: $(sb-ctl windows)"
""", leak_check=False)
    assert rc == 0, out + err[-3000:]
    assert "xwayland: DISPLAY=:" in err, err[-3000:]
    mapped = window_line(out, "mapped: ")
    assert '"XLogo" "xlogo" ' in mapped and " x11 focused" in mapped, mapped
    assert re.search(r'"xlogo" 20[02]x15[02]\+', mapped), mapped
    moved = window_line(out, "moved: ")
    assert re.search(r" 20[02]x15[02]\+300\+200 ", moved), moved
    rows = png.read(os.path.join(d, "shot.png"))[2]
    inside = {rows[y][x] for y in range(202, 348) for x in range(302, 498)}
    assert (255, 255, 255) in inside, f"no white xlogo face at (300, 200): {sorted(inside)[:5]}"
    outside = {rows[y][x] for y in range(400, 700) for x in range(600, 1200)}
    assert outside == {(0, 0, 0)}, f"something outside the window: {sorted(outside)[:5]}"
    assert window_line(out, "closed: ") == "ok (no mapped window)", out


@test
def override_redirect_window_is_placed_where_it_asks_and_takes_no_focus():
    """An override-redirect window (a menu) asking for 100x50 at (123, 77) is there, in its
    colour, above the managed window, which keeps the keyboard focus."""
    missing = need("Xwayland", "xlogo")
    if missing:
        return missing
    rc, out, err, d = run(XWAYLAND, """
xlogo -geometry 300x300 &
sb-ctl wait mapped window=xlogo timeout=20000 >/dev/null
x11_popup 123 77 100 50 ff8000 &
wait_for 100x50
echo "windows: $(sb-ctl windows)"
sb-ctl shot shot.png >/dev/null
""", leak_check=False)
    assert rc == 0, out + err[-3000:]
    windows = window_line(out, "windows: ")
    assert '"" "" 100x50+123+77 ' in windows, windows
    popup = [w for w in windows.split("; ") if "100x50" in w][0]
    assert "focused" not in popup, windows
    assert [w for w in windows.split("; ") if "XLogo" in w and "focused" in w], windows
    rows = png.read(os.path.join(d, "shot.png"))[2]
    inside = {rows[y][x] for y in range(77, 127) for x in range(123, 223)}
    assert inside == {(255, 128, 0)}, f"the popup's pixels: {sorted(inside)[:5]}"


# xlogo's 200x150, with or without its X11 border (1 px each side until it is first configured),
# where it was moved.
OWN_BOX = re.compile(r" 20[02]x15[02]\+100\+60 ")


@test
def x11_window_maximizes_and_fullscreens_to_its_output_and_back():
    """sb-ctl maximize and fullscreen: the X11 window is configured to the whole 1280x720
    output (the work area on this branch), and comes back to its own box afterwards."""
    missing = need("Xwayland", "xlogo")
    if missing:
        return missing
    rc, out, err, _ = run(XWAYLAND, """
xlogo -geometry 200x150 &
sb-ctl wait mapped window=xlogo timeout=20000 >/dev/null
sb-ctl move 100 60 window=xlogo >/dev/null
sb-ctl maximize window=xlogo >/dev/null
wait_for "1280x720+0+0 frames=[0-9]* x11 focused maximized"
echo "maximized: $(sb-ctl windows)"
sb-ctl maximize window=xlogo off >/dev/null
wait_for " 20[02]x15[02]+100+60 frames=[0-9]* x11 focused$"
echo "restored: $(sb-ctl windows)"
sb-ctl fullscreen window=xlogo >/dev/null
wait_for "1280x720+0+0 frames=[0-9]* x11 focused fullscreen"
echo "fullscreen: $(sb-ctl windows)"
sb-ctl fullscreen window=xlogo off >/dev/null
wait_for " 20[02]x15[02]+100+60 frames=[0-9]* x11 focused$"
echo "back: $(sb-ctl windows)"
""", leak_check=False)
    assert rc == 0, out + err[-3000:]
    assert "1280x720+0+0" in window_line(out, "maximized: "), out
    assert OWN_BOX.search(window_line(out, "restored: ")), out
    assert "1280x720+0+0" in window_line(out, "fullscreen: "), out
    back = window_line(out, "back: ")
    assert OWN_BOX.search(back), out
    assert "fullscreen" not in back and "maximized" not in back, out


@test
def xwayland_is_off_on_headless_unless_asked():
    """[xwayland] enabled=auto (the default) on the headless backend: no X11 display, DISPLAY
    unset for --exec; enabled=true: DISPLAY is set and the log says which."""
    rc, out, err, _ = run(HEADLESS, 'echo "display=[${DISPLAY:-}]"\n')
    assert rc == 0, out + err[-2000:]
    assert "display=[]" in out and "xwayland" not in err, out + err[-2000:]
    rc, out, err, _ = run(XWAYLAND, 'echo "display=[${DISPLAY:-}]"\n')
    assert rc == 0, out + err[-2000:]
    shown = window_line(out, "display=")
    assert shown.startswith("[:") and f"xwayland: DISPLAY={shown[1:-1]} " in err, \
        out + err[-2000:]


@test
def autostart_commands_run_with_the_session_environment():
    """Each [autostart] command runs once, in file order, with WAYLAND_DISPLAY and DISPLAY."""
    ini = XWAYLAND + ("[autostart]\ncommand=echo \"one $WAYLAND_DISPLAY $DISPLAY\" >> auto.txt\n"
                      "[autostart]\ncommand=sleep 0.2; echo two >> auto.txt\n")
    rc, out, err, d = run(ini, "sleep 1; echo \"exec $WAYLAND_DISPLAY $DISPLAY\"\n")
    assert rc == 0, out + err[-2000:]
    with open(os.path.join(d, "auto.txt")) as f:
        lines = f.read().splitlines()
    assert lines == ["one " + window_line(out, "exec "), "two"], (lines, out)


@test
def keys_cycle_focus_maximize_close_and_quit():
    """The default [keybinding] keys, typed with wtype (a zwp_virtual_keyboard_v1 client):
    Alt+Tab focuses the window below, Super+Up maximizes it, Alt+F4 closes it, and
    Ctrl+Alt+BackSpace ends the compositor (the rest of the --exec script never runs)."""
    missing = need("Xwayland", "xlogo", "wtype")
    if missing:
        return missing
    rc, out, err, _ = run(XWAYLAND, """
xlogo -title one -geometry 100x100 &
sb-ctl wait mapped window=one timeout=20000 >/dev/null
xlogo -title two -geometry 100x100 &
sb-ctl wait mapped window=two timeout=20000 >/dev/null
echo "before: $(sb-ctl windows)"
wtype -M alt -k Tab -m alt
wait_for '"one" [^;]* focused'
echo "cycled: $(sb-ctl windows)"
wtype -M logo -k Up -m logo
wait_for '"one" 1280x720+0+0 [^;]* focused maximized'
wtype -M alt -k F4 -m alt
for i in $(seq 100); do sb-ctl windows | grep -q '"one"' || break; sleep 0.1; done
echo "closed: $(sb-ctl windows)"
wtype -M ctrl -M alt -k BackSpace -m alt -m ctrl
sleep 20
echo "still running"
""", leak_check=False)
    assert rc == 0, out + err[-3000:]
    before = window_line(out, "before: ").split("; ")
    assert [w for w in before if '"two"' in w and "focused" in w], before
    cycled = window_line(out, "cycled: ").split("; ")
    assert [w for w in cycled if '"one"' in w and "focused" in w], cycled
    assert not [w for w in cycled if '"two"' in w and "focused" in w], cycled
    closed = window_line(out, "closed: ")
    assert '"one"' not in closed and '"two"' in closed, closed
    assert "keybinding: quit" in err and "still running" not in out, out + err[-3000:]


@test
def broken_keybinding_line_is_refused_with_its_location():
    """A [keybinding] line with an unknown modifier stops the compositor before it starts, with
    the file, the line and what was expected."""
    rc, out, err, _ = run(HEADLESS + "[keybinding]\nquit=Hyper+q\n", "echo started\n")
    assert rc != 0 and "started" not in out, out + err[-2000:]
    assert "test.ini:7: [keybinding] quit: unknown modifier 'Hyper' in 'Hyper+q'" in err, \
        err[-2000:]


sys.exit(test.run())
