#!/usr/bin/env python3
"""Host: the pixman composition of compositor/renderer.c. Untransformed textures are composed
without a transform (pixman's plain OVER) and give exactly the pixels wlroots' own path gives;
scaled and rotated outputs still go through wlroots. Each case is shot twice, with the fast paths
and without them (SB_PIXMAN_PLAIN=0, and SB_WL_DISPATCH=0: wl_surface requests through libffi, not
compositor/surface_dispatch.c's switch), and the two screenshots must be identical. TAP.
usage: renderer_test.py SYNCBRIDGE SB_CLIENT SB_CTL"""
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "lib"))
import png  # noqa: E402
import taptest  # noqa: E402
import subprocess  # noqa: E402

SYNCBRIDGE = sys.argv[1]
SB_CLIENT = sys.argv[2]
SB_CTL = sys.argv[3]
TMP = tempfile.mkdtemp(prefix="sb-renderer-test-")
ARTIFACTS = os.environ.get("SB_TEST_ARTIFACTS", os.path.join(tempfile.gettempdir(), "sb-artifacts"))
test = taptest.Registry()

# An opaque window, a translucent one inside it, and a translucent one that reaches out over the
# black below it: cascaded 32 px apart in the order they map. A copy onto black, a blend, and both
# in one texture.
CLIENTS = [
    ("base", "--format xrgb8888 --color 2080c0 --size 300x200"),
    ("inside", "--format argb8888 --color 80ff8000 --size 200x150"),
    ("over-black", "--format argb8888 --color 8000ff40 --size 200x150"),
]


def shoot(name, output_lines, plain):
    """Screenshot of CLIENTS under syncbridge with [output] output_lines; (rows, counts, path):
    the screenshot's pixel rows and the renderer's counts of textures composed plain, through
    wlroots' transform, and (of the plain ones) copied onto the clear's black."""
    config = os.path.join(TMP, name + ".ini")
    with open(config, "w") as f:
        f.write("[core]\nbackend=headless\nrenderer=pixman\n[output]\nmode=640x480\n")
        f.write("".join(line + "\n" for line in output_lines))
    shot = os.path.join(TMP, f"{name}-{'plain' if plain else 'wlroots'}.png")
    # Each client once the one before it has mapped (the cascade's order), the picture once the
    # last has shown the same content for 3 frames: the same scene however loaded the machine.
    steps = ["pids=;"]
    for i, (title, args) in enumerate(CLIENTS):
        last = i == len(CLIENTS) - 1
        steps.append(f"{SB_CLIENT} --buffer shm --duration 120 --title {title} {args} & "
                     f"pids=\"$pids $!\"; {SB_CTL} wait "
                     + (f"settled:3 window=title={title} timeout=30000 shot={shot} crop=output"
                        if last else f"mapped window=title={title} timeout=30000")
                     + " || { kill $pids; exit 1; };")
    script = " ".join(steps) + " kill $pids; wait; exit 0"
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "DISPLAY")}
    env.update(XDG_RUNTIME_DIR=TMP, XDG_CONFIG_HOME=TMP, SB_PIXMAN_PLAIN="1" if plain else "0",
               SB_WL_DISPATCH="1" if plain else "0")
    os.chmod(TMP, 0o700)
    p = subprocess.run([SYNCBRIDGE, "-d", "-c", config, "--control", os.path.join(TMP, "ctl"),
                        "--exec", script], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    counts = re.search(r"renderer: (\d+) textures composed plain, (\d+) through wlroots' "
                       r"transform; (\d+) copied onto black", p.stderr)
    assert counts, "no renderer counts in the log:\n" + p.stderr[-1500:]
    dispatch = re.search(r"wl_surface dispatch: (\d+) surfaces by switch, (\d+) through libffi",
                         p.stderr)
    if plain:
        # Every client's surface (3 windows) by the switch: libwayland's layout was recognised.
        assert dispatch, "no wl_surface dispatch counts in the log:\n" + p.stderr[-1500:]
        by_switch, by_ffi = (int(n) for n in dispatch.groups())
        assert by_switch >= len(CLIENTS) and by_ffi == 0, \
            f"{by_switch} wl_surfaces dispatched by switch, {by_ffi} left to libffi"
    else:
        assert not dispatch and "SB_WL_DISPATCH=0" in p.stderr, "SB_WL_DISPATCH=0 not honoured"
    return png.read(shot)[2], [int(n) for n in counts.groups()], shot


def same_pixels(name, output_lines):
    """Both paths' screenshots of one scene; asserts they are identical; the plain path's
    counts (plain, wlroots, copied)."""
    rows_plain, counts, shot_plain = shoot(name, output_lines, True)
    rows_wlroots, (plain_off, wlroots_off, copied_off), shot_wlroots = shoot(name, output_lines,
                                                                             False)
    assert plain_off == copied_off == 0, f"SB_PIXMAN_PLAIN=0 still composed {plain_off} plain"
    assert wlroots_off > 0, "nothing was composed at all"
    if rows_plain != rows_wlroots:
        os.makedirs(ARTIFACTS, exist_ok=True)
        diff = os.path.join(ARTIFACTS, f"renderer-{name}.diff.png")
        bad = png.compare(shot_plain, shot_wlroots, diff, tolerance=0)
        shutil.copy(shot_plain, ARTIFACTS)
        shutil.copy(shot_wlroots, ARTIFACTS)
        raise AssertionError(f"{bad} pixels differ between the two paths (diff: {diff})")
    # Not a blank picture: the windows are there, translucent over opaque.
    assert len({px for row in rows_plain for px in row}) >= 4, "fewer than 4 colours on screen"
    return counts


@test
def untransformed_surfaces_are_composed_plain_with_identical_pixels():
    """The opaque window is copied onto the clear's black, the translucent one inside it blended,
    the one reaching out over black both: all show, pixel for pixel, what wlroots' path draws."""
    plain, wlroots, copied = same_pixels("scale1", [])
    assert plain > 0, "no texture took the plain path"
    assert wlroots == 0, f"{wlroots} textures at scale 1 still went through a transform"
    assert 0 < copied < plain, f"{copied} of {plain} textures copied onto black: expected some"


@test
def scaled_output_is_composed_by_wlroots_with_identical_pixels():
    plain, wlroots, _ = same_pixels("scale2", ["scale=2"])
    assert plain == 0, f"{plain} textures of a scale-2 output took the plain path"
    assert wlroots > 0


@test
def rotated_output_is_composed_by_wlroots_with_identical_pixels():
    plain, wlroots, _ = same_pixels("rotated", ["transform=90"])
    assert plain == 0, f"{plain} textures of a rotated output took the plain path"
    assert wlroots > 0


def main():
    status = test.run(comment_lines=60)
    shutil.rmtree(TMP, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
