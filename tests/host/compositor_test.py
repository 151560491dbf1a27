#!/usr/bin/env python3
"""Host: syncbridge headless with real clients from Debian (wayland-info, weston-simple-shm,
weston-simple-damage) and the configuration's error path. TAP.
usage: compositor_test.py SYNCBRIDGE [SB_CLIENT]"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "lib"))
import png  # noqa: E402

SYNCBRIDGE = sys.argv[1]
SB_CLIENT = sys.argv[2] if len(sys.argv) > 2 else None
HERE = os.path.dirname(os.path.realpath(__file__))
# Where a mismatching screenshot and its diff are left for a person to look at.
ARTIFACTS = os.environ.get("SB_TEST_ARTIFACTS", os.path.join(tempfile.gettempdir(), "sb-artifacts"))
TMP = tempfile.mkdtemp(prefix="sb-compositor-test-")
results = []


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


def test(fn):
    results.append(fn)
    return fn


def need(program):
    return None if shutil.which(program) else f"{program} is not installed on this host"


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
                           ("zwp_virtual_keyboard_manager_v1", 1), ("wl_output", 4)]:
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
        for _ in range(200):
            if os.path.exists(os.path.join(TMP, "sb-parent")):
                break
            subprocess.run(["sleep", "0.05"])
        e["WAYLAND_DISPLAY"] = "sb-parent"
        if "LSAN_OPTIONS" in e:
            e["LSAN_OPTIONS"] = "suppressions=" + os.path.join(HERE, "..", "lsan-nested.supp")
        # No --backend: the parent display decides.
        p = subprocess.run([SYNCBRIDGE, "--socket", "sb-nested", "--exec", "wayland-info"],
                           env=e, capture_output=True, text=True, timeout=30)
    finally:
        parent.terminate()
        parent.wait(timeout=10)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "backend: wayland (nested in sb-parent)" in p.stderr, p.stderr[-2000:]
    assert "name: WL-1" in p.stdout, "the nested output is not advertised"


def main():
    print(f"1..{len(results)}")
    failed = 0
    for i, fn in enumerate(results, 1):
        try:
            skip = fn()
        except AssertionError as e:
            print(f"# {e}"[:4000])
            print(f"not ok {i} - {fn.__name__}")
            failed += 1
            continue
        except Exception as e:  # a crash of the test itself is a failure too
            print(f"# {type(e).__name__}: {e}")
            print(f"not ok {i} - {fn.__name__}")
            failed += 1
            continue
        print(f"ok {i} - {fn.__name__}" + (f" # SKIP {skip}" if skip else ""))
    shutil.rmtree(TMP, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
