#!/usr/bin/env python3
"""Host: headless CI rendering tests as a user writes them (doc/headless-ci.md): capture triggers,
window crops, the stepped frame clock, the control socket (sb-ctl) and sb-compare, with real
clients from Debian (foot, weston-simple-shm). TAP.
usage: headless_ci_test.py SYNCBRIDGE SB_CTL SB_COMPARE SB_CLIENT"""
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "lib"))
import png  # noqa: E402
import taptest  # noqa: E402

SYNCBRIDGE, SB_CTL, SB_COMPARE, SB_CLIENT = sys.argv[1:5]
ROOT = os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..")
GUIDE = os.path.join(ROOT, "doc", "headless-ci.md")
HEADLESS_INI = os.path.join(ROOT, "weston-ini", "headless-ci.ini")
TMP = tempfile.mkdtemp(prefix="sb-headless-ci-test-")
# The programs under their installed names, first on PATH, as the guide's script calls them.
BIN = os.path.join(TMP, "bin")
os.makedirs(BIN)
for name, path in [("syncbridge", SYNCBRIDGE), ("sb-ctl", SB_CTL), ("sb-compare", SB_COMPARE)]:
    os.symlink(os.path.realpath(path), os.path.join(BIN, name))
test = taptest.Registry()


def env(**extra):
    e = {k: v for k, v in os.environ.items()
         if k not in ("WAYLAND_DISPLAY", "DISPLAY", "SYNCBRIDGE_CONTROL")}
    runtime = tempfile.mkdtemp(prefix="xdg-", dir=TMP)
    os.chmod(runtime, 0o700)
    e.update(XDG_RUNTIME_DIR=runtime, XDG_CONFIG_HOME=TMP, PATH=BIN + ":" + e.get("PATH", ""))
    e.update(extra)
    return e


def run(args, timeout=60, **extra):
    p = subprocess.run(["syncbridge", "-c", HEADLESS_INI] + args, env=env(**extra),
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def need(*programs):
    for p in programs:
        if not shutil.which(p):
            return f"{p} is not installed on this host (scripts/deps.sh installs it)"
    return None


def pixels(path):
    return png.read(path)


def colours_in(rows, x0, y0, x1, y1):
    return {rows[y][x] for y in range(y0, y1) for x in range(x0, x1)}


FOOT = "foot -c /dev/null"


def foot_shot(path, text="hello from CI"):
    """foot's window, settled and cropped to it: (width, height, rows)."""
    rc, _, err = run(["--screenshot", path, "--capture-window", "foot", "--capture-when",
                      "settled:30", "--capture-crop", "window",
                      "--exec", f'{FOOT} sh -c "echo {text}; sleep 60"'])
    assert rc == 0, f"exit status {rc}\n" + err[-2000:]
    assert "capture: window foot: settled, the same picture for 30 frames" in err, err[-2000:]
    return pixels(path)


@test
def readme_recipe_captures_the_client_before_it_exits():
    """The README's recipe as written: foot's last frame, taken as its window unmaps, shows its
    terminal (not a black output) with the text it printed."""
    skip = need("foot")
    if skip:
        return skip
    shot = os.path.join(TMP, "recipe.png")
    t0 = time.monotonic()
    p = subprocess.run(["syncbridge", "-c", HEADLESS_INI, "--screenshot", shot, "--exec",
                        'foot -e sh -c "echo hello; sleep 2"'], cwd=ROOT, env=env(),
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "capture: window foot: its last frame, as it unmapped" in p.stderr, p.stderr[-2000:]
    assert time.monotonic() - t0 >= 2, "the client's sleep 2 was cut short"
    w, h, rows = pixels(shot)
    assert (w, h) == (1280, 720), (w, h)
    # foot's dark grey terminal fills its window at the first cascade position...
    terminal = colours_in(rows, 100, 100, 600, 400)
    assert terminal == {(0x11, 0x11, 0x11)}, sorted(terminal)[:8]
    # ...and its first line holds the text it printed (light pixels), the output around is black.
    assert len(colours_in(rows, 0, 26, 60, 42)) > 4, "no text in foot's first line"
    assert colours_in(rows, 800, 0, 1280, 720) == {(0, 0, 0)}


def guide_script():
    """The block of doc/headless-ci.md marked ci-script, as a user copies it."""
    with open(GUIDE) as f:
        text = f.read()
    start = text.index("<!-- ci-script")
    body = text.index("```sh\n", start) + len("```sh\n")
    return text[body:text.index("\n```\n", body)] + "\n"


@test
def guide_ci_script_runs_as_written():
    """The guide's CI script: fails without a reference (and says how to accept one), passes once
    the picture is accepted, with TAP and JUnit XML that say so."""
    skip = need("foot")
    if skip:
        return skip
    work = os.path.join(TMP, "guide")
    os.makedirs(work)
    script = os.path.join(work, "ci-screenshots.sh")
    with open(script, "w") as f:
        f.write(guide_script())
    first = subprocess.run(["sh", script], cwd=work, env=env(), capture_output=True, text=True,
                           timeout=120)
    assert first.returncode == 1, first.stdout + first.stderr[-2000:]
    assert "FAIL hello: no usable reference" in first.stdout, first.stdout
    assert "sb-compare --update screenshots/hello.png reference/hello.png" in first.stdout
    accept = subprocess.run(["sb-compare", "--update", "screenshots/hello.png",
                             "reference/hello.png"], cwd=work, env=env(), capture_output=True,
                            text=True, timeout=30)
    assert accept.returncode == 0, accept.stdout + accept.stderr
    second = subprocess.run(["sh", script], cwd=work, env=env(), capture_output=True, text=True,
                            timeout=120)
    assert second.returncode == 0, second.stdout + second.stderr[-2000:]
    assert second.stdout.startswith("PASS hello: ") and "no pixel differs" in second.stdout, \
        second.stdout
    with open(os.path.join(work, "screenshots", "hello.tap")) as f:
        assert f.read().startswith("1..1\nok 1 - hello\n")
    suite = ET.parse(os.path.join(work, "screenshots", "hello.xml")).getroot().find("testsuite")
    assert suite.get("tests") == "1" and suite.get("failures") == "0", ET.tostring(suite)


@test
def settled_capture_is_identical_across_5_runs():
    skip = need("foot")
    if skip:
        return skip
    digests = set()
    for i in range(5):
        w, h, rows = foot_shot(os.path.join(TMP, f"settled-{i}.png"))
        digests.add(hashlib.sha256(repr(rows).encode()).hexdigest())
        # Not an empty window: the text is in it.
        assert len(colours_in(rows, 0, 30, 120, 50)) > 4, "no text in the picture"
    assert len(digests) == 1, f"{len(digests)} different pictures in 5 runs"


@test
def window_crop_includes_its_subsurfaces():
    """foot draws its title bar (client-side decorations) in subsurfaces above its window's
    geometry: the window's picture has them, the output's (whose top edge cuts them) has not."""
    skip = need("foot")
    if skip:
        return skip
    w, h, rows = foot_shot(os.path.join(TMP, "crop.png"))
    bar = colours_in(rows, 60, 2, 200, 20)
    # foot's default title bar is light; the terminal below is (0x11, 0x11, 0x11).
    assert any(sum(c) > 3 * 150 for c in bar), f"no title bar at the top: {sorted(bar)[:6]}"
    assert rows[h // 2][w // 2] == (0x11, 0x11, 0x11), rows[h // 2][w // 2]
    assert (w, h) != (1280, 720) and w < 1280, (w, h)


@test
def changed_client_fails_with_a_diff_marking_the_change():
    """The reference prints "hello from CI", the changed client "hello from CJ": sb-compare
    fails, and its diff PNG marks that one letter and nothing else."""
    skip = need("foot")
    if skip:
        return skip
    reference = os.path.join(TMP, "ref-hello.png")
    changed = os.path.join(TMP, "changed-hello.png")
    diff = os.path.join(TMP, "changed-hello.diff.png")
    foot_shot(reference, "hello from CI")
    foot_shot(changed, "hello from CJ")
    p = subprocess.run(["sb-compare", "--channel-tolerance", "8", "--diff", diff, changed,
                        reference], env=env(), capture_output=True, text=True, timeout=30)
    assert p.returncode == 1, p.stdout + p.stderr
    verdict = p.stdout.strip()
    assert verdict.startswith("FAIL ") and "\n" not in verdict and "diff: " + diff in verdict, \
        verdict
    w, h, rows = pixels(diff)
    marked = [(x, y) for y in range(h) for x in range(w) if rows[y][x] == (255, 0, 255)]
    assert marked, "the diff marks nothing"
    reported = int(verdict.split(": ")[1].split(" of ")[0])
    assert len(marked) == reported, (len(marked), reported)
    xs, ys = [x for x, _ in marked], [y for _, y in marked]
    # One character cell of foot's font (7x14 at its default size) in the text's first line,
    # past "hello from C" (12 cells).
    assert max(xs) - min(xs) < 14 and max(ys) - min(ys) < 20, (min(xs), max(xs), min(ys),
                                                               max(ys))
    assert min(xs) > 12 * 7 - 2, min(xs)
    # And a yellow box around it.
    assert (255, 220, 0) in colours_in(rows, max(min(xs) - 3, 0), max(min(ys) - 3, 0),
                                       max(xs) + 4, max(ys) + 4)


def busy_loops(n):
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def simple_shm_frame(path, frame, stepped=True):
    args = ["--screenshot", path, "--capture-window", "simple-shm", "--capture-when",
            f"frame:{frame}", "--capture-crop", "window", "--exec", "weston-simple-shm"]
    if stepped:
        args = ["--frame-clock", "stepped"] + args
    rc, _, err = run(args)
    assert rc == 0, f"exit status {rc}\n" + err[-2000:]
    assert f"frame {frame}" in err, err[-2000:]
    return pixels(path)


@test
def after_ms_fires_that_long_after_the_map():
    """--capture-when after:500: with the stepped clock the picture is exactly frame 31 (the map
    is frame 1, each frame one 60 Hz refresh later: 30 x 16.7 ms); with the real clock it is no
    sooner than 500 ms after the map either. Both pictures hold the client's colour."""
    for stepped in (True, False):
        path = os.path.join(TMP, f"after-{'stepped' if stepped else 'real'}.png")
        args = ["--frame-clock", "stepped"] if stepped else []
        start = time.monotonic()
        rc, _, err = run(args + ["--screenshot", path, "--capture-window", "title=late",
                                 "--capture-when", "after:500", "--capture-crop", "window",
                                 "--exec", f"{SB_CLIENT} --buffer shm --duration 60 --title late "
                                 "--color 2080c0 --size 200x100"])
        elapsed = time.monotonic() - start
        assert rc == 0, f"exit status {rc}\n" + err[-2000:]
        m = re.search(r"capture: window late: 500 ms after its map \(frame (\d+)\)", err)
        assert m, err[-2000:]
        if stepped:
            assert int(m.group(1)) == 31, f"stepped clock: shot at frame {m.group(1)}, not 31"
        assert elapsed >= 0.5, f"the run took {elapsed:.2f} s: the picture came before 500 ms"
        w, h, rows = pixels(path)
        assert (w, h) == (200, 100) and rows[h // 2][w // 2] == (0x20, 0x80, 0xc0), \
            ((w, h), rows[h // 2][w // 2])


@test
def stepped_clock_gives_identical_pictures_under_cpu_load():
    """weston-simple-shm animates from its frame callbacks' time. Its 40th frame under the stepped
    clock is the same picture on an idle machine and with twice as many busy loops as CPUs."""
    skip = need("weston-simple-shm")
    if skip:
        return skip
    idle = simple_shm_frame(os.path.join(TMP, "stepped-idle.png"), 40)
    loops = busy_loops(2 * (os.cpu_count() or 1))
    try:
        loaded = [simple_shm_frame(os.path.join(TMP, f"stepped-load-{i}.png"), 40)
                  for i in range(2)]
        real = [simple_shm_frame(os.path.join(TMP, f"real-load-{i}.png"), 40, stepped=False)
                for i in range(2)]
    finally:
        for p in loops:
            p.kill()
            p.wait()
    for i, shot in enumerate(loaded):
        assert shot == idle, f"loaded run {i} differs from the idle run"
    # A figure, not an assertion: the real clock's pictures depend on when frames happened.
    print(f"# real clock under load: the two 40th frames are "
          f"{'the same' if real[0] == real[1] else 'different'}")
    # The picture is animated: frame 40 is not frame 1's.
    first = simple_shm_frame(os.path.join(TMP, "stepped-first.png"), 1)
    assert first != idle, "frame 1 and frame 40 are the same picture: nothing animated"


def sb_ctl(e, *args, timeout=60):
    return subprocess.run(["sb-ctl"] + list(args), env=e, capture_output=True, text=True,
                          timeout=timeout)


@test
def control_socket_steps_a_client_and_shoots_several_times():
    """A script under --exec: sb-ctl waits for frames 10 and 20 of weston-simple-shm, each
    picture taken at that frame; two runs give the same two pictures, which differ."""
    skip = need("weston-simple-shm")
    if skip:
        return skip
    results = []
    for run_no in range(2):
        d = os.path.join(TMP, f"ctl-{run_no}")
        os.makedirs(d)
        e = env()
        ctl = os.path.join(e["XDG_RUNTIME_DIR"], "sb.ctl")
        script = ("weston-simple-shm & "
                  "sb-ctl wait frame:10 window=simple-shm shot=f10.png crop=window && "
                  "sb-ctl wait frame:20 window=simple-shm shot=f20.png crop=window && "
                  "sb-ctl windows && sb-ctl quit")
        p = subprocess.run(["syncbridge", "-c", HEADLESS_INI, "--frame-clock", "stepped",
                            "--control", ctl, "--exec", script], cwd=d, env=e,
                           capture_output=True, text=True, timeout=60)
        out = p.stdout
        assert p.returncode == 0, out + p.stderr[-2000:]
        assert f"ok {d}/f10.png 250x250: window simple-shm: frame 10" \
            in out, out
        assert '"org.freedesktop.weston.simple-shm" "simple-shm" 250x250' in out, out
        assert not os.path.exists(ctl), "the control socket was left behind"
        results.append((pixels(os.path.join(d, "f10.png")), pixels(os.path.join(d, "f20.png"))))
    assert results[0] == results[1], "two runs gave different pictures"
    assert results[0][0] != results[0][1], "frames 10 and 20 are the same picture"


@test
def control_socket_answers_bad_commands_with_errors():
    """Bad lines get "error ..." and change nothing; the compositor keeps serving."""
    e = env()
    ctl = os.path.join(e["XDG_RUNTIME_DIR"], "sb.ctl")
    comp = subprocess.Popen(["syncbridge", "-c", HEADLESS_INI, "--control", ctl,
                             "--exec", "sleep 60"], env=e, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(200):
            if os.path.exists(ctl):
                break
            time.sleep(0.05)
        # Only its owner may connect: created under umask 077.
        assert os.stat(ctl).st_mode & 0o077 == 0, oct(os.stat(ctl).st_mode)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(ctl)
        f = s.makefile("rw")
        answers = {}
        never = os.path.join(TMP, "never-written.png")
        for line in ["bogus", "shot relative.png", f"shot {never} crop=sideways",
                     f"shot {never} window=nothing", "wait exit", "wait frame:0",
                     "wait settled:3 window=nothing timeout=100", 'shot "/tmp/unclosed',
                     "windows"]:
            f.write(line + "\n")
            f.flush()
            answers[line] = f.readline().strip()
        s.close()
        for line, answer in answers.items():
            if line == "windows":
                assert answer == "ok (no mapped window)", answer
            else:
                assert answer.startswith("error "), (line, answer)
        assert "no settled picture within 100 ms" in answers[
            "wait settled:3 window=nothing timeout=100"]
        assert not os.path.exists(never), "a refused shot was written"
        # A line too long for the buffer closes only that connection.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(ctl)
        s.sendall(b"x" * 5000)
        assert s.makefile().readline().startswith("error line longer than")
        s.close()
        assert comp.poll() is None, "the compositor died"
        q = sb_ctl(e, "-s", ctl, "quit")
        assert q.returncode == 0 and q.stdout == "ok\n", q.stdout + q.stderr
        assert comp.wait(timeout=20) == 0
    finally:
        if comp.poll() is None:
            comp.kill()
            comp.wait()
    bad = sb_ctl(e, "-s", ctl, "windows")
    assert bad.returncode == 2 and "cannot connect" in bad.stderr, bad.stderr


@test
def trigger_that_never_fires_fails_the_run():
    t0 = time.monotonic()
    rc, _, err = run(["--screenshot", os.path.join(TMP, "never.png"), "--capture-window",
                      "nothing-maps", "--capture-when", "settled", "--capture-timeout", "1",
                      "--exec", "sleep 30"])
    assert rc == 1, (rc, err[-2000:])
    assert time.monotonic() - t0 < 25, "the timeout did not end the run"
    assert "window nothing-maps: no settled picture within 1000 ms" in err, err[-2000:]
    assert not os.path.exists(os.path.join(TMP, "never.png"))


@test
def capture_options_are_checked():
    rc, _, err = run(["--capture-when", "settled"])
    assert rc == 2 and "--screenshot" in err, (rc, err)
    for bad in [["--capture-when", "soon"], ["--capture-when", "frame"],
                ["--capture-when", "frame:0"], ["--capture-crop", "sideways"],
                ["--frame-clock", "fast"], ["--background", "red"],
                ["--capture-timeout", "-1"]]:
        rc, _, err = run(["--screenshot", "x.png"] + bad)
        assert rc == 2 and bad[0] in err, (bad, rc, err[-500:])


@test
def stepped_clock_presentation_advances_one_refresh_per_frame():
    """weston-presentation-shm prints each wp_presentation_feedback.presented: under the stepped
    clock every presentation is exactly one refresh (16666666 ns at 60 Hz) after the one
    before, even with the other tests running beside it."""
    skip = need("weston-presentation-shm")
    if skip:
        return skip
    log = os.path.join(TMP, "presentation-stepped.txt")
    rc, _, err = run(["--frame-clock", "stepped", "--exec",
                      f"timeout -s INT 1 weston-presentation-shm -f >{log} 2>&1; exit 0"])
    assert rc == 0, err[-2000:]
    with open(log) as f:
        # "N: f2c .. ms, c2p .. ms, f2p .. ms, p2p NNNN us, ..."
        p2p = [int(l.split(" p2p ")[1].split()[0]) for l in f if " p2p " in l]
    assert len(p2p) >= 10, f"{len(p2p)} presentations"
    # One refresh is 16666666 ns; the client turns times into whole microseconds, which reads
    # 16667 where a difference crosses a second (its nanoseconds then subtract negative).
    assert set(p2p[1:]) <= {16666, 16667}, sorted(set(p2p[1:]))[:10]


@test
def one_output_of_two_is_captured():
    ini = os.path.join(TMP, "two-outputs.ini")
    with open(ini, "w") as f:
        f.write("[core]\nbackend=headless\nrenderer=pixman\n"
                "[output]\nname=HEADLESS-1\nmode=640x480\n"
                "[output]\nname=HEADLESS-2\nmode=320x200\n")
    shot = os.path.join(TMP, "second-output.png")
    p = subprocess.run(["syncbridge", "-c", ini, "--background", "123456", "--screenshot", shot,
                        "--capture-output", "HEADLESS-2", "--exec", "true"], env=env(),
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr[-2000:]
    w, h, rows = pixels(shot)
    assert (w, h) == (320, 200), (w, h)
    assert colours_in(rows, 0, 0, w, h) == {(0x12, 0x34, 0x56)}
    p = subprocess.run(["syncbridge", "-c", ini, "--screenshot", shot, "--capture-output",
                        "NOPE-1", "--exec", "true"], env=env(), capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 1 and "no output named NOPE-1" in p.stderr, p.stderr[-2000:]


@test
def background_colour_fills_the_output():
    rc, _, err = run(["--background", "204080", "--screenshot", os.path.join(TMP, "bg.png"),
                      "--exec", "true"])
    assert rc == 0, err[-2000:]
    _, _, rows = pixels(os.path.join(TMP, "bg.png"))
    assert colours_in(rows, 0, 0, 1280, 720) == {(0x20, 0x40, 0x80)}


@test
def control_socket_moves_windows_and_sb_client_draws_its_label():
    """The demo's picture, as a test: sb-ctl move puts two sb-clients side by side whatever order
    they mapped in, and each draws its --label (white text on a near-black box) in its window."""
    e = env()
    ctl = os.path.join(e["XDG_RUNTIME_DIR"], "sb.ctl")
    shot = os.path.join(TMP, "labels.png")
    client = f"{SB_CLIENT} --buffer shm --color 2e8b57 --size 300x200 --duration 20"
    script = (f"{client} --title left --label 'left|first line' & "
              f"{client} --title right --label 'right|second' & "
              "sb-ctl wait mapped window=title=left && sb-ctl wait mapped window=title=right && "
              "sb-ctl move 600 100 window=title=left && sb-ctl move 100 100 window=title=right "
              f"&& sb-ctl wait frame:5 window=right shot={shot} && sb-ctl quit")
    p = subprocess.run(["syncbridge", "-c", HEADLESS_INI, "--control", ctl, "--exec", script],
                       env=e, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr[-2000:]
    assert "ok left at 600,100" in p.stdout, p.stdout
    _, _, rows = pixels(shot)
    for x0 in (100, 600):
        window = colours_in(rows, x0, 100, x0 + 300, 300)
        assert (0x2e, 0x8b, 0x57) in window, f"no window at x={x0}"
        # The label's box and its text, in the bottom-left corner.
        label = colours_in(rows, x0, 300 - 40, x0 + 60, 300)
        assert {(0x14, 0x14, 0x14), (255, 255, 255)} <= label, sorted(label)[:6]
    assert colours_in(rows, 420, 100, 580, 300) == {(0, 0, 0)}, "something between the windows"
    assert colours_in(rows, 0, 0, 1280, 95) == {(0, 0, 0)}, "a window is not where it was put"


def write_png(path, rows):
    png.write(path, len(rows[0]), len(rows), rows)


@test
def sb_compare_applies_its_tolerances():
    grey = [[(100, 100, 100)] * 16 for _ in range(8)]
    a, b, c = (os.path.join(TMP, n) for n in ("cmp-a.png", "cmp-b.png", "cmp-c.png"))
    write_png(a, grey)
    moved = [row[:] for row in grey]
    for x in range(3):
        moved[4][x + 5] = (100, 105, 100)  # 3 pixels, one channel off by 5
    write_png(b, moved)
    write_png(c, [row[:15] for row in grey])

    def compare(*args):
        return subprocess.run(["sb-compare"] + list(args), env=env(), capture_output=True,
                              text=True, timeout=30)

    assert compare(a, a).returncode == 0
    exact = compare(b, a)
    assert exact.returncode == 1 and "3 of 128 pixels differ (0 allowed), by up to 5" in \
        exact.stdout and "in 3x1+5+4" in exact.stdout, exact.stdout
    assert compare("-c", "5", b, a).returncode == 0
    assert compare("-c", "4", b, a).returncode == 1
    assert compare("-p", "3", b, a).returncode == 0
    assert compare("-p", "2", b, a).returncode == 1
    size = compare(c, a)
    assert size.returncode == 1 and "the picture is 15x8, the reference 16x8" in size.stdout
    junit = os.path.join(TMP, "cmp.xml")
    tap = os.path.join(TMP, "cmp.tap")
    r = compare("--name", "grey <box>", "--junit", junit, "--tap", tap, b, a)
    assert r.returncode == 1
    suite = ET.parse(junit).getroot().find("testsuite")
    case = suite.find("testcase")
    assert suite.get("failures") == "1" and case.get("name") == "grey <box>"
    assert case.find("failure").get("message").startswith("FAIL grey <box>: 3 of 128")
    with open(tap) as f:
        assert f.read().startswith("1..1\nnot ok 1 - grey <box>\n# FAIL")
    assert compare("-c", "300", b, a).returncode == 2
    assert compare(os.path.join(TMP, "missing.png"), a).returncode == 1


def main():
    status = test.run(comment_lines=80)
    shutil.rmtree(TMP, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
