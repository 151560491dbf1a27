#!/usr/bin/env python3
"""Host: syncbridge headless with real clients from Debian (wayland-info, weston-simple-shm,
weston-simple-damage), nested in weston and in Xvfb, and the configuration's error path. TAP.
usage: compositor_test.py SYNCBRIDGE [SB_CLIENT]"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "lib"))
import png  # noqa: E402
import taptest  # noqa: E402

SYNCBRIDGE = sys.argv[1]
SB_CLIENT = sys.argv[2] if len(sys.argv) > 2 else None
HERE = os.path.dirname(os.path.realpath(__file__))
# Where a mismatching screenshot and its diff are left for a person to look at.
ARTIFACTS = os.environ.get("SB_TEST_ARTIFACTS", os.path.join(tempfile.gettempdir(), "sb-artifacts"))
TMP = tempfile.mkdtemp(prefix="sb-compositor-test-")
test = taptest.Registry()


def env():
    e = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "DISPLAY")}
    e["XDG_RUNTIME_DIR"] = TMP
    os.chmod(TMP, 0o700)
    e["XDG_CONFIG_HOME"] = TMP  # no user configuration
    return e


def run(args, timeout=30):
    p = subprocess.run([SYNCBRIDGE, "--backend", "headless", "--renderer", "pixman"] + args,
                       env=env(), capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def need(program):
    return None if shutil.which(program) else f"{program} is not installed on this host"


def nested_env(**display):
    """env() for syncbridge nested in another display server (display: where that one is);
    under LeakSanitizer, with the suppressions for its client libraries (lsan-nested.supp)."""
    e = env()
    e.update(display)
    if "LSAN_OPTIONS" in e:
        e["LSAN_OPTIONS"] = "suppressions=" + os.path.join(HERE, "..", "lsan-nested.supp")
    return e


def wait_for_socket(name):
    """Up to 10 s for a Wayland display server to create its socket in TMP."""
    for _ in range(200):
        if os.path.exists(os.path.join(TMP, name)):
            break
        time.sleep(0.05)


def stop_nested(comp, parent, log):
    """SIGTERM to syncbridge (if it was started and still runs), then to the display server it
    is nested in: (syncbridge's exit status, None if it was not started; its log, read back from
    the file log, which is closed)."""
    if comp and comp.poll() is None:
        comp.terminate()
    status = comp.wait(timeout=20) if comp else None
    parent.terminate()
    parent.wait(timeout=10)
    log.seek(0)
    err = log.read()
    log.close()
    return status, err


@test
def broken_config_line_is_reported():
    path = os.path.join(TMP, "broken.ini")
    with open(path, "w") as f:
        f.write("[core]\n# a comment\nbackend=banana\n")
    rc, _, err = run(["-c", path])
    assert rc == 1, f"exit status {rc}"
    assert f"{path}:3:" in err, err
    assert "headless" in err, "the message should list the allowed values"


@test
def unknown_option_is_refused():
    rc, _, err = run(["--no-such-option"])
    assert rc == 2 and "usage" in err, (rc, err)


@test
def exit_status_is_the_exec_clients():
    rc, _, err = run(["--exec", "exit 3"])
    assert rc == 3, (rc, err[-2000:])


@test
def headless_is_the_default_without_a_display():
    e = env()
    p = subprocess.run([SYNCBRIDGE, "--exec", "true"], env=e, capture_output=True, text=True,
                       timeout=30)
    if os.path.exists("/dev/dri/card0"):
        return "this host has a DRM device: auto picks drm here"
    assert p.returncode == 0, p.stderr[-2000:]
    assert "backend: headless" in p.stderr, p.stderr[-2000:]


@test
def wayland_info_sees_the_globals():
    skip = need("wayland-info")
    if skip:
        return skip
    rc, out, err = run(["--exec", "wayland-info"])
    assert rc == 0, err[-2000:]
    for iface, version in [("wl_compositor", 4), ("wl_subcompositor", 1), ("xdg_wm_base", 2),
                           ("zwp_linux_dmabuf_v1", 4), ("wp_presentation", 1),
                           ("wp_viewporter", 1), ("zxdg_output_manager_v1", 3),
                           ("zwlr_screencopy_manager_v1", 3), ("wl_seat", 7), ("wl_shm", 1),
                           ("zwp_virtual_keyboard_manager_v1", 1), ("wl_output", 4),
                           ("zwlr_virtual_pointer_manager_v1", 2)]:
        line = next((l for l in out.splitlines() if f"'{iface}'" in l), None)
        assert line, f"{iface} not advertised"
        assert f"version:  {version}" in line or f"version: {version}" in line, line


@test
def presentation_feedback_arrives():
    skip = need("weston-presentation-shm")
    if skip:
        return skip
    log = os.path.join(TMP, "presentation.txt")
    rc, _, err = run(["--exec", f"timeout -s INT 2 weston-presentation-shm -f >{log} 2>&1; exit 0"])
    assert rc == 0, err[-2000:]
    with open(log) as f:
        # One line per wp_presentation_feedback.presented: "N: f2c .. c2p .. p2p NNNN us ..".
        presented = [l for l in f if " c2p " in l and " p2p " in l]
    assert len(presented) >= 30, f"{len(presented)} frames presented in 2 s"


def take_screenshot(client, name):
    """Runs client under syncbridge and returns the path of a screenshot taken while it runs."""
    shot = os.path.join(TMP, name + ".png")
    script = f"{client} & sleep 1.5; kill -USR1 $PPID; sleep 0.3; kill $!; wait $! 2>/dev/null; exit 0"
    rc, _, err = run(["--screenshot", shot, "--exec", script])
    assert rc == 0, err[-2000:]
    return shot


def screenshot_of(client, name):
    return png.read(take_screenshot(client, name))


def colours_in(rows, x0, y0, x1, y1):
    return {rows[y][x] for y in range(y0, y1) for x in range(x0, x1)}


@test
def weston_simple_shm_is_shown():
    skip = need("weston-simple-shm")
    if skip:
        return skip
    w, h, rows = screenshot_of("weston-simple-shm", "simple-shm")
    assert (w, h) == (1280, 720), (w, h)
    # Its 250x250 window at the first cascade position, drawn with many colours...
    assert len(colours_in(rows, 20, 20, 230, 230)) > 50
    # ...and nothing else on the black output.
    assert colours_in(rows, 300, 300, 1280, 720) == {(0, 0, 0)}


@test
def weston_simple_damage_is_shown():
    skip = need("weston-simple-damage")
    if skip:
        return skip
    _, _, rows = screenshot_of("weston-simple-damage", "simple-damage")
    assert len(colours_in(rows, 0, 0, 400, 400)) > 2
    assert colours_in(rows, 600, 400, 1280, 720) == {(0, 0, 0)}


@test
def solid_shm_window_matches_reference():
    """Rendering: the whole output, pixel for pixel (tolerance 0: pixman on XRGB8888 is exact)."""
    if not SB_CLIENT:
        return "sb-client was not built"
    shot = take_screenshot(f"{SB_CLIENT} --buffer shm --color ff8000 --size 200x100 --duration 3",
                           "solid")
    reference = os.path.join(HERE, "..", "ref", "shm-solid-200x100.png")
    os.makedirs(ARTIFACTS, exist_ok=True)
    diff = os.path.join(ARTIFACTS, "shm-solid-200x100.diff.png")
    bad = png.compare(shot, reference, diff, tolerance=0)
    if bad:
        shutil.copy(shot, os.path.join(ARTIFACTS, "shm-solid-200x100.actual.png"))
    assert bad == 0, f"{bad} pixels differ from {reference} (diff: {diff})"


@test
def nested_in_weston_uses_the_wayland_backend():
    skip = need("weston") or need("wayland-info")
    if skip:
        return skip
    e = env()
    parent = subprocess.Popen(["weston", "--backend=headless-backend.so", "--socket=sb-parent",
                               "--idle-time=0"], env=e, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        wait_for_socket("sb-parent")
        e = nested_env(WAYLAND_DISPLAY="sb-parent")
        # No --backend: the parent display decides.
        p = subprocess.run([SYNCBRIDGE, "--socket", "sb-nested", "--exec", "wayland-info"],
                           env=e, capture_output=True, text=True, timeout=30)
    finally:
        parent.terminate()
        parent.wait(timeout=10)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "backend: wayland (nested in sb-parent)" in p.stderr, p.stderr[-2000:]
    assert "name: WL-1" in p.stdout, "the nested output is not advertised"


@test
def nested_wayland_shows_client():
    """--backend wayland inside weston 10 (headless backend, pixman, --debug for its screenshooter):
    weston's own screenshot shows syncbridge's output window with sb-client's colour in it."""
    skip = need("weston") or need("weston-screenshooter")
    if skip:
        return skip
    if not SB_CLIENT:
        return "sb-client was not built"
    e = env()
    shots = os.path.join(TMP, "weston-shots")
    os.makedirs(shots, exist_ok=True)
    parent = subprocess.Popen(["weston", "--backend=headless-backend.so", "--use-pixman",
                               "--debug", "--width=1280", "--height=1024",
                               "--socket=sb-parent-shot", "--idle-time=0"],
                              env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = open(os.path.join(TMP, "nested-wayland.log"), "w+")
    comp = None
    found, seen = False, set()
    try:
        wait_for_socket("sb-parent-shot")
        e = nested_env(WAYLAND_DISPLAY="sb-parent-shot")
        # weston-ini/nested.ini as written: backend=auto finds WAYLAND_DISPLAY.
        nested_ini = os.path.join(HERE, "..", "..", "weston-ini", "nested.ini")
        comp = subprocess.Popen([SYNCBRIDGE, "-c", nested_ini, "--socket", "sb-nested-shot",
                                 "--exec", f"{SB_CLIENT} --buffer shm --color 20c040 "
                                 "--size 200x100 --duration 30"],
                                env=e, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and comp.poll() is None and not found:
            time.sleep(0.5)
            for old in os.listdir(shots):
                os.unlink(os.path.join(shots, old))
            subprocess.run(["weston-screenshooter"], env=e, cwd=shots, capture_output=True,
                           timeout=20)
            pngs = [f for f in os.listdir(shots) if f.endswith(".png")]
            if not pngs:
                continue
            w, h, rows = png.read(os.path.join(shots, pngs[0]))
            seen = colours_in(rows, 0, 0, w, h)
            found = (0x20, 0xc0, 0x40) in seen
    finally:
        status, err = stop_nested(comp, parent, log)
    assert "backend: wayland (nested in sb-parent-shot)" in err, err[-2000:]
    assert found, f"weston's screen never showed the client's colour: {sorted(seen)[:8]}\n" + \
        err[-2000:]
    assert status == 0, f"exit status {status}\n" + err[-2000:]


@test
def nested_in_sway_shows_its_window():
    """--backend wayland inside sway 1.7 (headless backend, pixman; run as nobody, since sway
    refuses root): sway's tree holds syncbridge's output window while it runs."""
    skip = need("sway") or need("swaymsg") or need("setpriv")
    if skip:
        return skip
    if os.geteuid() != 0:
        return "sway runs as nobody here, which needs root to arrange"
    xdg = tempfile.mkdtemp(prefix="sb-sway-")
    config = os.path.join(xdg, "sway.config")
    with open(config, "w") as f:
        f.write("output HEADLESS-1 mode 1280x1024\nfor_window [app_id=\".*\"] floating enable\n")
    shutil.chown(xdg, "nobody", "nogroup")
    shutil.chown(config, "nobody", "nogroup")
    parent = subprocess.Popen(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "sway", "-c", config],
        env={"PATH": "/usr/bin:/bin", "HOME": xdg, "XDG_RUNTIME_DIR": xdg,
             "WLR_BACKENDS": "headless", "WLR_RENDERER": "pixman", "WLR_LIBINPUT_NO_DEVICES": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = open(os.path.join(TMP, "nested-sway.log"), "w+")
    comp, tree = None, ""
    try:
        socket = ipc = None
        for _ in range(200):
            names = os.listdir(xdg)
            socket = next((n for n in names if n.startswith("wayland-") and
                           not n.endswith(".lock")), None)
            ipc = next((n for n in names if n.startswith("sway-ipc.")), None)
            if socket and ipc:
                break
            time.sleep(0.05)
        assert socket and ipc, "sway did not start"
        e = nested_env(XDG_RUNTIME_DIR=xdg, WAYLAND_DISPLAY=socket)
        comp = subprocess.Popen([SYNCBRIDGE, "--socket", "sb-in-sway", "--exec", "sleep 30"],
                                env=e, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and comp.poll() is None:
            time.sleep(0.3)
            tree = subprocess.run(["swaymsg", "-s", os.path.join(xdg, ipc), "-t", "get_tree"],
                                  capture_output=True, text=True, timeout=10).stdout
            if '"app_id": "wlroots"' in tree:
                break
    finally:
        status, err = stop_nested(comp, parent, log)
        shutil.rmtree(xdg, ignore_errors=True)
    assert "backend: wayland (nested in " in err, err[-2000:]
    assert "output WL-1: " in err, err[-2000:]
    assert '"app_id": "wlroots"' in tree, "sway's tree has no syncbridge window\n" + tree[-2000:]
    assert status == 0, f"exit status {status}\n" + err[-2000:]


def read_xwd(path):
    """The X screen Xvfb keeps in an XWD file (-fbdir): (width, height, rows of (r, g, b))."""
    with open(path, "rb") as f:
        data = f.read()
    # XWDFileHeader: 25 CARD32 in the byte order of the host that wrote it (here: big-endian
    # header fields, as X11/XWDFile.h defines the file format).
    h = struct.unpack(">25I", data[:100])
    header_size, depth, width, height = h[0], h[3], h[4], h[5]
    byte_order, bpp, bytes_per_line, ncolors = h[7], h[11], h[12], h[19]
    assert bpp == 32 and depth == 24, f"XWD of depth {depth}, {bpp} bpp"
    pixels = header_size + ncolors * 12
    order = "<" if byte_order == 0 else ">"  # LSBFirst = 0
    rows = []
    for y in range(height):
        line = struct.unpack_from(f"{order}{width}I", data, pixels + y * bytes_per_line)
        rows.append([((p >> 16) & 0xff, (p >> 8) & 0xff, p & 0xff) for p in line])
    return width, height, rows


def start_xvfb(fbdir):
    """Xvfb on a free display it picks itself (-displayfd), its screen kept in fbdir."""
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x1024x24",
                             "-fbdir", fbdir, "-nolisten", "tcp", "-br"],
                            pass_fds=[write_end], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    os.close(write_end)
    with os.fdopen(read_end) as f:
        number = f.readline().strip()
    if not number:
        xvfb.kill()
        xvfb.wait()
        raise AssertionError("Xvfb did not start")
    return xvfb, f":{number}"


@test
def nested_x11_shows_client():
    """--backend x11 under Xvfb: the X root itself (Xvfb's framebuffer file, read as XWD: no
    xwd needed) shows the output window with weston-simple-shm in it."""
    skip = need("Xvfb") or need("weston-simple-shm")
    if skip:
        return skip
    fbdir = os.path.join(TMP, "xvfb")
    os.makedirs(fbdir, exist_ok=True)
    xvfb, display = start_xvfb(fbdir)
    e = nested_env(DISPLAY=display)
    log = open(os.path.join(TMP, "x11.log"), "w+")
    # weston-ini/nested.ini as written (renderer=auto: Xvfb has no DRI3, so pixman).
    nested_ini = os.path.join(HERE, "..", "..", "weston-ini", "nested.ini")
    comp = subprocess.Popen([SYNCBRIDGE, "-c", nested_ini, "--backend", "x11", "--socket",
                             "sb-x11", "--exec", "weston-simple-shm"], env=e, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        # The window's 250x250 at the first cascade position: many colours once it draws.
        deadline, window = time.monotonic() + 20, set()
        while time.monotonic() < deadline and comp.poll() is None:
            time.sleep(0.5)
            w, h, rows = read_xwd(os.path.join(fbdir, "Xvfb_screen0"))
            window = colours_in(rows, 20, 20, 230, 230)
            if len(window) > 50:
                break
    finally:
        status, err = stop_nested(comp, xvfb, log)
    assert "backend: x11 (nested in " + display + ")" in err, err[-2000:]
    assert "output X11-1: 1024x768" in err, err[-2000:]
    assert len(window) > 50, f"{len(window)} colours where the client should be\n" + err[-2000:]
    # The output window is 1024x768 at the root's origin: black around the client inside it,
    # and the root's own black (-br) outside it; the client is nowhere else.
    assert colours_in(rows, 300, 300, 1024, 768) == {(0, 0, 0)}
    assert (w, h) == (1280, 1024), (w, h)
    # SIGTERM: the compositor exits by itself, status 0 (terminating its --exec client).
    assert status == 0, f"exit status {status}\n" + err[-2000:]


@test
def trace_is_valid_chrome_json():
    """--trace writes Chrome trace-event JSON: every event has the fields viewers need, every
    commit of the client's surface is applied once, in order, then rendered and presented."""
    skip = need("weston-simple-shm")
    if skip:
        return skip
    path = os.path.join(TMP, "trace.json")
    rc, _, err = run(["--trace", path, "--exec", "timeout -s INT 1 weston-simple-shm; exit 0"])
    assert rc == 0, err[-2000:]
    with open(path) as f:
        trace = json.load(f)  # a parse error fails the test
    events = trace["traceEvents"]
    for e in events:
        assert {"ph", "pid", "name"} <= e.keys(), e
        assert e["ph"] in "MibeBEX", e
        if e["ph"] != "M":
            assert isinstance(e.get("ts"), (int, float)) and "tid" in e, e
    names = {e["tid"]: e["args"]["name"] for e in events if e["name"] == "thread_name"}
    surfaces = {tid for tid, n in names.items() if n.startswith("surface ")}
    assert any("weston-simple-s" in names[t] for t in surfaces), names
    assert any(n.startswith("output HEADLESS-") for n in names.values()), names
    for tid in surfaces:
        mine = [e for e in events if e.get("tid") == tid and e["ph"] == "i"]
        commits = [e["args"]["seq"] for e in mine if e["name"] == "commit"]
        applied = [e["args"]["seq"] for e in mine if e["name"] == "applied"]
        # Every commit applies (none is held: wl_shm), in commit order; the last may be cut
        # short by the client's exit.
        assert commits and applied == commits[:len(applied)], (commits[:20], applied[:20])
        assert len(applied) >= len(commits) - 1, (len(commits), len(applied))
        ts = [e["ts"] for e in mine]
        assert ts == sorted(ts), "events of one surface out of time order"
    rendered = [e for e in events if e["name"] == "rendered" and e.get("tid") in surfaces]
    presented = [e for e in events if e["name"] == "presented" and e.get("tid") in surfaces]
    assert len(rendered) >= 20 and len(presented) >= 20, (len(rendered), len(presented))


def main():
    status = test.run(comment_lines=80)
    shutil.rmtree(TMP, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
