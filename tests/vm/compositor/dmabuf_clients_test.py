#!/usr/bin/python3
"""Guest: the dma-bufs clients send, shown the right way up (issue #22). syncbridge headless with
the pixman renderer; sb-client draws udmabuf buffers with --pattern edges (the top eighth white,
the bottom eighth the colour's inverse), with and without linux-dmabuf's Y_INVERT flag, windowed
and fullscreen (where wlroots' scene would scan the client buffer out); a screenshot of each shows
where those edges are. Debian's weston-simple-dmabuf-egl (Mesa's GBM and GLES2 on llvmpipe, on
each card node) and weston-simple-dmabuf-feedback (allocating where the feedback says) are shown
the right way up too. Each format the renderer reads from wl_shm is drawn in a dma-buf and read
back the same way (sb-client first checks the feedback's format table offers it). Interlaced and bottom-first buffers are refused with the protocol's error.
TAP.
usage: dmabuf_clients_test.py SYNCBRIDGE SB_CLIENT"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "lib"))
import png  # noqa: E402
import taptest  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from drmtest import card_of  # noqa: E402

SYNCBRIDGE, SB_CLIENT = sys.argv[1], sys.argv[2]
ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", ".."))
TMP = tempfile.mkdtemp(prefix="sb-dmabuf-clients-")
os.chmod(TMP, 0o700)
test = taptest.Registry()

# Exact in every format tried: each channel's high 5 (or 6) bits repeated give it back, so RGB565
# and BGR565 read back the same bytes; and so does the inverse.
COLOR = (0x84, 0x41, 0xc6)
INVERSE = tuple(255 - c for c in COLOR)
WHITE = (255, 255, 255)


def env():
    e = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "DISPLAY")}
    e.update(XDG_RUNTIME_DIR=TMP, XDG_CONFIG_HOME=TMP)
    # Under ASan, the suppressions of wlroots' own leaks at exit (tests/lsan.supp says which).
    e["LSAN_OPTIONS"] = "suppressions=" + os.path.join(ROOT, "tests", "lsan.supp")
    return e


def run(args, timeout=240):
    p = subprocess.run([SYNCBRIDGE, "--backend", "headless", "--renderer", "pixman"] + args,
                       env=env(), capture_output=True, text=True, timeout=timeout)
    bad = [l for l in p.stderr.splitlines() if "Sanitizer" in l or "runtime error" in l]
    assert not bad, bad[:5]
    return p.returncode, p.stderr


def screenshot(client_args, name, crop="window", output_size="320x240"):
    """sb-client's window (crop: window) or the output (crop: output) at the client's third
    presented frame: (width, height, rows). Small pictures: the pure-Python PNG reader is slow
    in the emulated CPU."""
    shot = os.path.join(TMP, name + ".png")
    client = " ".join([SB_CLIENT, "--buffer", "udmabuf", "--pattern", "edges", "--color",
                       "%02x%02x%02x" % COLOR, "--duration", "120"] + client_args)
    rc, err = run(["--output-size", output_size, "--screenshot", shot, "--capture-when",
                   "frame:3", "--capture-crop", crop, "--capture-timeout", "120", "--exec",
                   client])
    assert rc == 0 and os.path.exists(shot), err[-2000:]
    return png.read(shot)


def runs(column):
    """Column as (colour, length) runs, top to bottom."""
    out = []
    for c in column:
        if out and out[-1][0] == c:
            out[-1][1] += 1
        else:
            out.append([c, 1])
    return [tuple(r) for r in out]


def assert_upright(picture, height):
    """The middle column is white for its top eighth, the colour, then the inverse for its
    bottom eighth: the picture sb-client drew, the right way up."""
    w, h, rows = picture
    assert h == height, (w, h)
    edge = height // 8
    got = runs([row[w // 2] for row in rows])
    assert got == [(WHITE, edge), (COLOR, height - 2 * edge), (INVERSE, edge)], got[:6]


@test
def dmabuf_window_is_shown_as_drawn():
    # The control: without the flag the rows go top first, as in wl_shm.
    assert_upright(screenshot(["--size", "128x64"], "plain"), 64)


@test
def y_inverted_dmabuf_window_is_shown_right_side_up():
    assert_upright(screenshot(["--size", "128x64", "--y-invert"], "y-invert"), 64)


@test
def y_inverted_fullscreen_dmabuf_is_composed_right_side_up():
    # Alone on the output at its size: the frame wlroots' scene would scan out, which must not
    # happen for a y-inverted buffer (output.c locks it for that frame); composed, it is flipped.
    assert_upright(screenshot(["--fullscreen", "--y-invert"], "y-invert-fullscreen", "output"),
                   240)


FORMATS = ["xrgb8888", "argb8888", "xbgr8888", "abgr8888", "rgbx8888", "rgba8888", "bgrx8888",
           "bgra8888", "rgb565", "bgr565", "xrgb2101010", "argb2101010", "xbgr2101010",
           "abgr2101010"]


def format_test(fmt):
    def fn():
        assert_upright(screenshot(["--size", "128x64", "--format", fmt], fmt), 64)
    fn.__name__ = f"{fmt}_dmabuf_is_read_as_drawn"
    return fn


for _fmt in FORMATS:
    test(format_test(_fmt))


@test
def rgb565_dmabuf_from_a_version_3_client_is_read_as_drawn():
    # linux-dmabuf v3: the formats come as modifier events, not from the feedback.
    assert_upright(screenshot(["--size", "128x64", "--format", "rgb565", "--dmabuf-version", "3",
                               "--y-invert"], "rgb565-v3"), 64)


def capture(command, name, when="frame:5"):
    """A client nobody here wrote: its window at its fifth presented frame, and the log (the
    client's stderr goes into syncbridge's)."""
    shot = os.path.join(TMP, name + ".png")
    rc, err = run(["--output-size", "320x320", "--screenshot", shot, "--capture-when", when,
                   "--capture-crop", "window", "--capture-timeout", "120", "--exec", command])
    assert rc == 0 and os.path.exists(shot), err[-3000:]
    return png.read(shot), err


def assert_square_upright(picture):
    """weston-simple-dmabuf-egl's square (half the window, moving along the diagonal) with its
    corners as the client draws them: green top left, yellow top right, red bottom left, blue
    bottom right (simple-dmabuf-egl.c, render())."""
    w, h, rows = picture
    assert (w, h) == (256, 256), (w, h)
    lit = [(x, y) for y in range(h) for x in range(w) if rows[y][x] != (0, 0, 0)]
    assert lit, "the window is black"
    x0, x1 = min(p[0] for p in lit), max(p[0] for p in lit)
    y0, y1 = min(p[1] for p in lit), max(p[1] for p in lit)
    assert 124 <= x1 - x0 <= 132 and 124 <= y1 - y0 <= 132, (x0, y0, x1, y1)

    def near(c, want):
        return all(abs(a - b) < 24 for a, b in zip(c, want))
    corners = {"top left": (rows[y0 + 2][x0 + 2], (0, 255, 0)),
               "top right": (rows[y0 + 2][x1 - 2], (255, 255, 0)),
               "bottom left": (rows[y1 - 2][x0 + 2], (255, 0, 0)),
               "bottom right": (rows[y1 - 2][x1 - 2], (0, 0, 255))}
    wrong = {k: v for k, v in corners.items() if not near(*v)}
    assert not wrong, f"square at {x0},{y0}-{x1},{y1}: (got, want) {wrong}"


def egl_test(driver, explicit):
    def fn():
        node = card_of(driver)
        picture, err = capture(f"weston-simple-dmabuf-egl -d {node} -e {explicit}",
                               f"egl-{driver}-{explicit}")
        assert_square_upright(picture)
        if explicit:
            # Offered, but Mesa's software drivers have no native fence fds: it says so and
            # commits implicitly synchronized buffers.
            assert "EGL_ANDROID_native_fence_sync not supported" in err, err[-3000:]
    mode = "explicit_option" if explicit else "implicit"
    fn.__name__ = f"weston_simple_dmabuf_egl_{mode}_on_{driver}_card_is_shown_right_side_up"
    return fn


for _driver in ("vkms", "virtio_gpu", "vgem"):
    test(egl_test(_driver, 0))
test(egl_test("vkms", 1))


@test
def weston_simple_dmabuf_egl_rgb565_is_shown_right_side_up():
    picture, _ = capture(f"weston-simple-dmabuf-egl -d {card_of('vkms')} -e 0 -f 0x36314752",
                         "egl-rgb565")
    assert_square_upright(picture)


@test
def weston_simple_dmabuf_feedback_allocates_on_the_main_device():
    # It opens the feedback's main device (its render node if it has one) and allocates there
    # with GBM, an assertion aborting it when it cannot: that must be a card node without a
    # render node, where Mesa's kms_swrast has dumb buffers. Its buffers are created (not
    # failed). It destroys its window before a frame of it is presented: no picture to check.
    rc, err = run(["--output-size", "320x320", "--exec",
                   "WAYLAND_DEBUG=1 weston-simple-dmabuf-feedback"])
    main = [l for l in err.splitlines() if "main_device event" in l]
    assert rc == 0, err[-3000:]
    assert main and "/dev/dri/card" in main[0], (main, err[-3000:])
    created = [l for l in err.splitlines() if "zwp_linux_buffer_params_v1@" in l and
               ".created(" in l]
    assert len(created) >= 1 and ".failed(" not in err, err[-3000:]


def refused(flags):
    """sb-client sending one buffer with these flags: it must die of invalid_wl_buffer."""
    script = (f"{SB_CLIENT} --buffer udmabuf --frames 1 --dmabuf-flags {flags} "
              "--expect-error zwp_linux_buffer_params_v1:7")
    rc, err = run(["--exec", script])
    assert rc == 0, err[-2000:]


@test
def interlaced_dmabuf_is_refused_with_invalid_wl_buffer():
    refused(2)


@test
def bottom_first_y_inverted_dmabuf_is_refused_with_invalid_wl_buffer():
    refused(5)


sys.exit(test.run())
