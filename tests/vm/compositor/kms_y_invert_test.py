#!/usr/bin/python3
"""Guest: a y-inverted dma-buf on the DRM backend (vkms) is never scanned out as it lies in memory.
A fullscreen udmabuf client alone on the output is what wlroots' scene scans out directly; KMS has
no way to be told a buffer is y-inverted, so syncbridge composes such a frame, flipped. What vkms
shows is read from its CRC (kms_test.py's reader): the fullscreen picture drawn top row first, and
the same picture stored bottom row first with linux-dmabuf's Y_INVERT flag, must give the same
CRC. TAP.
usage: kms_y_invert_test.py SYNCBRIDGE SB_CLIENT"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree the guest shares
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from drmtest import card_of, run_tests, test  # noqa: E402
import drmtest  # noqa: E402
from kms_test import Crc, now_ns  # noqa: E402

# kms_test's own tests registered themselves with drmtest on import: this script runs only its own.
drmtest.TESTS.clear()

# Under ASan, the suppressions of wlroots' own leaks at exit (tests/lsan.supp says which).
os.environ["LSAN_OPTIONS"] = "suppressions=" + os.path.realpath(
    os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "lsan.supp"))
SESSION = drmtest.Session("sb-kms-y-invert-", "sb-kms-y-invert", start_s=240, stop_s=120)
MODE = "640x480"
SHOWN_S = 90
EDGES = ["--fullscreen", "--buffer", "udmabuf", "--pattern", "edges", "--color", "8441c6",
         "--rate", "0.2", "--duration", "600", "-d"]
RESULT = {}


def shown_crc(crc, name, args):
    """vkms's CRC once the fullscreen client's first frame is presented and the CRC settled."""
    client = drmtest.Client(SESSION, name, EDGES + args)
    try:
        drmtest.wait_until(lambda: "frame 0: presented" in client.text(), SHOWN_S,
                           lambda: "frame 0 never presented\n" + client.text()[-2000:])
        return crc.settle(now_ns(), timeout=SHOWN_S)
    finally:
        client.kill()


def run_once():
    if RESULT:
        return RESULT
    card = card_of("vkms")
    comp = drmtest.Compositor(SESSION, "syncbridge", card,
                              ["--renderer", "pixman", "--output-size", MODE, "-d"])
    crc = None
    try:
        crc = Crc(card)
        RESULT["black"] = crc.settle(now_ns(), timeout=SHOWN_S)
        RESULT["upright"] = shown_crc(crc, "upright", [])
        RESULT["y_inverted"] = shown_crc(crc, "y-inverted", ["--y-invert"])
    finally:
        if crc:
            crc.close()
        RESULT["status"] = comp.stop()
        RESULT["log"] = comp.text()
    return RESULT


@test
def fullscreen_picture_reaches_vkms():
    r = run_once()
    assert r["upright"] != r["black"], f"CRC {r['upright']:#x} is the black screen's"


@test
def y_inverted_fullscreen_buffer_shows_the_same_picture_on_vkms():
    r = run_once()
    assert r["y_inverted"] == r["upright"], \
        f"y-inverted CRC {r['y_inverted']:#x}, upright {r['upright']:#x}"
    # And it was composed because scanout was refused for it (wlroots' debug line), not by chance.
    assert "Direct scan-out disabled by lock" in r["log"], r["log"][-2000:]


@test
def compositor_exits_cleanly():
    r = run_once()
    bad = [l for l in r["log"].splitlines() if "Sanitizer" in l or "runtime error" in l]
    assert r["status"] == 0 and not bad, (r["status"], bad[:5], r["log"][-2000:])


if __name__ == "__main__":
    sys.exit(run_tests())
