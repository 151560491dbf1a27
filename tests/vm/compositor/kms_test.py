#!/usr/bin/python3
"""Guest: syncbridge --acquire kms on vkms (wlroots 0.15's DRM backend through libseat). A
fullscreen client's explicit acquire fence is handed to KMS as an implicit write fence instead of
being waited for on the CPU; what vkms scans out is read from its CRC (debugfs
dri/<minor>/crtc-0/crc), one value per vblank. TAP.
usage: kms_test.py SYNCBRIDGE SB_CLIENT
SB_KMS_TEST_LOGS=DIR keeps the compositors' and clients' logs and CSVs there.

Colours: A (ff8000) is a fence-less frame, B (0080ff) the frame behind a fence that signals
DELAY_S after its commit. B's CRC is learned in the same run from a fence-less fullscreen buffer of
colour B. Each scenario is run once and shared by the tests that assert on it."""
import collections
import csv
import ctypes
import fcntl
import os
import re
import select
import shutil
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree the guest shares
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from drmtest import Screen, card_of, run_tests, test, wait_until  # noqa: E402
import drmtest  # noqa: E402

# Under TCG one compositor start (DRM probe, libinput) takes 10-60 s, more under ASan.
SESSION = drmtest.Session("sb-kms-test-", "sb-kms", start_s=240, stop_s=120)
# vkms offers the DMT modes up to 60 Hz; the smallest keeps vkms's CRC composition (one full
# frame in software per vblank) affordable under TCG.
MODE = "640x480"
REFERENCE = os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "ref",
                         "kms-composited-640x480.png")
SHOWN_S = 90
A, B = "ff8000", "0080ff"
# The fenced frame's fence signals this long after its commit: long enough for several probes
# of the compositor's log and of the dma-buf under TCG.
DELAY_S = 6.0
# Frame 0 (A) to frame 1 (B, fenced).
GAP_S = 4.0


def now_ns():
    # CLOCK_MONOTONIC, the clock of sb-client's CSV.
    return time.monotonic_ns()


# --- devices --------------------------------------------------------------------------------

def kernel_warnings():
    """WARNING lines in the kernel log so far."""
    p = subprocess.run(["dmesg"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, f"dmesg: {p.stderr.strip()}"
    return [line for line in p.stdout.splitlines() if "WARNING" in line]


class Crc:
    """vkms's CRC of each composed frame (drm_debugfs_crc.c: write the source to control, then
    every read of data is one "frame crc" line), read by a thread that stamps each line with
    CLOCK_MONOTONIC when it was read: a line read at t was produced at or before t."""

    def __init__(self, card):
        minor = os.minor(os.stat(card).st_rdev)
        if not os.path.isdir("/sys/kernel/debug/dri"):
            subprocess.run(["mount", "-t", "debugfs", "debugfs", "/sys/kernel/debug"],
                           check=True)
        crc = f"/sys/kernel/debug/dri/{minor}/crtc-0/crc"
        assert os.path.exists(f"{crc}/control"), f"no {crc}/control (CONFIG_DEBUG_FS?)"
        with open(f"{crc}/control", "w") as f:
            f.write("auto")
        # Opening data starts the capture; it fails while the CRTC is off (no vblank yet).
        deadline = time.monotonic() + 30
        while True:
            try:
                self.fd = os.open(f"{crc}/data", os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
                break
            except OSError as e:
                assert time.monotonic() < deadline, f"{crc}/data: {e}"
                time.sleep(0.5)
        self.entries = []  # (read_ns, frame, crc)
        self.lock = threading.Lock()
        self.stopping = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        poll = select.poll()
        poll.register(self.fd, select.POLLIN)
        while not self.stopping:
            if not poll.poll(200):
                continue
            try:
                data = os.read(self.fd, 256)
            except BlockingIOError:
                continue
            t = now_ns()
            for line in data.decode(errors="replace").splitlines():
                words = line.split()
                if len(words) >= 2:
                    with self.lock:
                        self.entries.append((t, int(words[0], 16), int(words[1], 16)))

    def close(self):
        self.stopping = True
        self.thread.join(timeout=5)
        os.close(self.fd)

    def between(self, t0, t1):
        with self.lock:
            return [e for e in self.entries if t0 <= e[0] <= t1]

    def settle(self, after_ns, n=10, timeout=SHOWN_S):
        """The CRC once n lines read after after_ns agree."""
        deadline = time.monotonic() + timeout
        while True:
            values = [c for _, _, c in self.between(after_ns, now_ns())]
            if len(values) >= n and len(set(values[-n:])) == 1:
                return values[-1]
            assert time.monotonic() < deadline, \
                f"the CRC never settled: last {[hex(v) for v in values[-12:]]}"
            time.sleep(0.2)


# dma-buf uapi (linux/dma-buf.h): _IOWR('b', 2, struct dma_buf_export_sync_file)
DMA_BUF_IOCTL_EXPORT_SYNC_FILE = (3 << 30) | (8 << 16) | (ord("b") << 8) | 2
DMA_BUF_SYNC_WRITE = 2
SYS_PIDFD_GETFD = 438
libc = ctypes.CDLL(None, use_errno=True)


def fd_of(pid, target):
    """A duplicate of fd target of process pid (pidfd_getfd: root may, as ptrace may)."""
    pidfd = os.pidfd_open(pid)
    try:
        fd = libc.syscall(SYS_PIDFD_GETFD, pidfd, target, 0)
        if fd < 0:
            raise OSError(ctypes.get_errno(), f"pidfd_getfd({pid}, {target})")
        return fd
    finally:
        os.close(pidfd)


def writer_would_wait(fd):
    """(poll, export): whether a writer of dma-buf fd has to wait, by poll(POLLOUT) (every
    fence) and by DMA_BUF_IOCTL_EXPORT_SYNC_FILE(WRITE) (a sync_file not yet signalled)."""
    p = select.poll()
    p.register(fd, select.POLLOUT)
    by_poll = not p.poll(0)
    arg = (ctypes.c_uint32 * 2)(DMA_BUF_SYNC_WRITE, 0xffffffff)
    fcntl.ioctl(fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, arg)
    sync_file = ctypes.c_int32(arg[1]).value
    try:
        q = select.poll()
        q.register(sync_file, select.POLLIN)
        by_export = not q.poll(0)
    finally:
        os.close(sync_file)
    return by_poll, by_export


# --- processes ------------------------------------------------------------------------------

def compositor(name, card, args):
    return drmtest.Compositor(SESSION, "syncbridge-" + name, card,
                              ["--renderer", "pixman", "--output-size", MODE, "-d"] + args)


class Client(drmtest.Client):
    """sb-client, with its debug log and its CSV of frames."""

    def __init__(self, name, args):
        self.csv = SESSION.path(name + ".csv")
        super().__init__(SESSION, name, ["-d", "--csv", self.csv] + args)

    def wait_for(self, pattern, timeout=SHOWN_S):
        """The first match of pattern in the client's log, once it is there."""
        def running():
            assert self.proc.poll() is None, \
                f"sb-client exited ({self.proc.returncode}) before '{pattern}'\n" + \
                self.text()[-2000:]
        return wait_until(lambda: re.search(pattern, self.text()), timeout,
                          lambda: f"no '{pattern}'\n" + self.text()[-2000:], step=0.1,
                          alive=running)

    def frames(self):
        with open(self.csv, newline="") as f:
            return {int(r["frame"]): r for r in csv.DictReader(f) if r["surface"] == "0"}


def t_of(row, key):
    assert row[key], f"no {key} in {dict(row)}"
    return int(row[key])


FULLSCREEN = ["--fullscreen", "--buffer", "udmabuf"]
HANDED = "acquire handed to KMS"
# The gate's line for a commit held on an explicit acquire fence. (Every implicit dma-buf commit
# is "held" for its snapshot, if only until the next loop iteration: not what is asked here.)
HELD = re.compile(r"commit \d+ held \([^)]*explicit\)")
READ_FENCE = "read fence imported"


def learn_crc(crc, name, colour):
    """The CRC of a fence-less fullscreen buffer of colour; the client is gone after."""
    client = Client(name, FULLSCREEN + ["--color", colour, "--rate", "0.2", "--duration", "600"])
    try:
        client.wait_for(r"--fullscreen: buffers are " + MODE)
        client.wait_for(r"frame 0: presented")
        return crc.settle(now_ns())
    finally:
        client.kill()


# --- the scenarios --------------------------------------------------------------------------

SCENARIOS = {}


def scenario(name, fn, *args):
    """Runs fn(*args) once; later calls return its result or raise its failure again."""
    if name not in SCENARIOS:
        try:
            SCENARIOS[name] = (fn(*args), None)
        except Exception as e:  # every test that needs it fails with the same reason
            SCENARIOS[name] = (None, e)
    result, error = SCENARIOS[name]
    if error:
        raise AssertionError(f"scenario {name} failed: {error}")
    return result


def take_down(comp, crc, clients):
    """Kills the clients that were started, stops the CRC reader if it was, then the compositor:
    its exit status."""
    for c in clients:
        if c:
            c.kill()
    if crc:
        crc.close()
    return comp.stop()


def checked(s, comp, status, warnings):
    """Scenario s, once the compositor has exited with 0, with s["new_warnings"]: the kernel
    WARNINGs since there were warnings of them."""
    assert status == 0, f"syncbridge exit status {status}\n" + comp.text()[-3000:]
    s["new_warnings"] = len(kernel_warnings()) - warnings
    return s


def flip_away(mode):
    """--acquire mode: a fullscreen client shows A (frame 0, no fence), then commits B (frame
    1) with an explicit acquire fence that signals DELAY_S later. While the fence is pending, the
    compositor's log is read and A's dma-buf probed (from this process, through pidfd_getfd);
    vkms's CRC is recorded throughout. Frame 2 (B again, fenced, GAP_S after frame 1) keeps the
    window up after B's flip, so that the CRC can show B before the client leaves."""
    card = card_of("vkms")
    warnings = len(kernel_warnings())
    comp = compositor(f"flip-{mode}", card, ["--acquire", mode])
    crc = client = a_fd = b_fd = None
    s = {"mode": mode}
    try:
        crc = Crc(card)
        s["black"] = crc.settle(now_ns())
        s["b"] = learn_crc(crc, f"learn-b-{mode}", B)
        assert s["b"] != s["black"], "a fullscreen buffer of colour B left the CRC at black"
        crc.settle(now_ns())
        client = Client(f"flip-{mode}", FULLSCREEN + [
            "--buffers", "3", "--color", A, "--color-from", f"1:{B}", "--explicit",
            "--fence-delay", str(int(DELAY_S * 1000)), "--fence-from", "1",
            "--rate", str(1 / GAP_S), "--frames", "3", "--drain", "60000"])
        fd = int(client.wait_for(r"surface 0 buffer 0: \d+x\d+ dma-buf fd (\d+)").group(1))
        a_fd = fd_of(client.proc.pid, fd)
        fd = int(client.wait_for(r"surface 0 buffer 1: \d+x\d+ dma-buf fd (\d+)").group(1))
        b_fd = fd_of(client.proc.pid, fd)
        client.wait_for(r"frame 1: committed buffer 1", timeout=GAP_S + SHOWN_S)
        seen = now_ns()
        # While B's fence is pending: A's dma-buf every 100 ms, the log once, 2.5 s in (the
        # compositor has had time to handle the commit and to flip). B's dma-buf, for the
        # probe's own sake: it carries B's acquire fence (the client's under acquire=cpu
        # too, as sb-client --explicit leaves it out of the dma-buf: then it is idle).
        probes, s["log_mid"], s["b_probes"] = [], None, []
        while client.proc.poll() is None:
            probes.append((now_ns(), *writer_would_wait(a_fd)))
            s["b_probes"].append((now_ns(), *writer_would_wait(b_fd)))
            if s["log_mid"] is None and now_ns() > seen + 2.5e9:
                s["log_mid"] = comp.text()
                s["log_mid_ns"] = now_ns()
            time.sleep(0.1)
        s["client_exit_ns"] = now_ns()
        time.sleep(0.3)
        probes.append((now_ns(), *writer_would_wait(a_fd)))
        status, text = client.finish(timeout=180)
        assert status == 0, text[-2000:]
        s["probes"] = probes
        s["frames"] = client.frames()
        s["log"] = comp.text()
        s["crc"] = crc.between(0, now_ns())
    finally:
        for fd in (a_fd, b_fd):
            if fd is not None:
                os.close(fd)
        status = take_down(comp, crc, [client])
    return checked(s, comp, status, warnings)


def composited(mode):
    """--acquire mode: two overlapping 300x200 windows (so no direct scanout), red without
    fences, then blue whose every frame waits 1.5 s for an explicit acquire fence. The settled
    CRC, and a screenshot of what the compositor composed."""
    card = card_of("vkms")
    warnings = len(kernel_warnings())
    shot = SESSION.path(f"composited-{mode}.png")
    comp = compositor(f"composited-{mode}", card, ["--acquire", mode, "--screenshot", shot])
    crc = red = blue = None
    s = {"mode": mode, "shot": shot}
    try:
        crc = Crc(card)
        red = Client(f"red-{mode}", ["--buffer", "udmabuf", "--color", "ff0000", "--size",
                                     "300x200", "--rate", "0.2", "--duration", "600"])
        red.wait_for(r"frame 0: presented")
        blue = Client(f"blue-{mode}", ["--buffer", "udmabuf", "--color", "0000ff", "--size",
                                       "300x200", "--explicit", "--fence-delay", "1500",
                                       "--rate", "0.25", "--duration", "600"])
        blue.wait_for(r"frame 0: presented")
        s["crc"] = crc.settle(now_ns())
        assert comp.screenshot(shot, SHOWN_S), "no screenshot after SIGUSR1"
        time.sleep(1)  # written in one go, but let it finish
        s["log"] = comp.text()
    finally:
        status = take_down(comp, crc, [blue, red])
    return checked(s, comp, status, warnings)


# --- tests ----------------------------------------------------------------------------------

def hexes(values):
    return ", ".join(f"{v:#010x}" for v in values)


def check_crc_sequence(s):
    """vkms showed A up to the signal of B's fence, then B, and nothing else in between."""
    f0, f1 = s["frames"][0], s["frames"][1]
    commit, signal_ns = t_of(f1, "commit_ns"), t_of(f1, "acquire_signal_ns")
    shown_a = [c for t, _, c in s["crc"] if t_of(f0, "presented_ns") + 300e6 <= t <= commit]
    assert len(shown_a) >= 5, f"{s['mode']}: {len(shown_a)} CRCs between A shown and B commit"
    a = collections.Counter(shown_a).most_common(1)[0][0]
    assert a not in (s["black"], s["b"]), \
        f"{s['mode']}: A's CRC {a:#x} is black's or B's ({hexes([s['black'], s['b']])})"
    window = [(frame, c) for t, frame, c in s["crc"] if commit <= t <= signal_ns]
    frames = [frame for frame, _ in window]
    # At 60 Hz the window holds 360 vblanks; at least half of its length must be covered.
    refresh = t_of(f1, "refresh_ns") if f1["refresh_ns"] else 16_666_667
    assert window and (max(frames) - min(frames)) * refresh >= DELAY_S * 1e9 / 2, \
        f"{s['mode']}: the CRC covers too little of the fence's delay ({len(window)} lines)"
    early = [(frame, c) for frame, c in window if c != a]
    assert not early, (f"{s['mode']}: before B's fence signalled vkms showed "
                       f"{hexes(sorted(set(c for _, c in early)))} (A {a:#x}, B {s['b']:#x}), "
                       f"first at vblank {early[0][0]}")
    # Until the client left (its window goes with it).
    after = [c for t, _, c in s["crc"] if signal_ns < t < s["client_exit_ns"]]
    changed = [c for c in after if c != a]
    assert changed, f"{s['mode']}: the CRC never left A after B's fence signalled"
    assert changed[0] == s["b"], \
        f"{s['mode']}: after the signal vkms showed {changed[0]:#x}, not B {s['b']:#x}"
    return a, len(window)


@test
def kms_direct_scanout_waits_for_explicit_acquire():
    """acquire=kms: the fenced commit is applied at once (its fence handed to KMS as a write
    fence, no CPU wait), vkms keeps scanning out A until the fence signals, then B. The same
    scenario with acquire=cpu shows the same screen, the commit held by the gate instead."""
    kms = scenario("flip-kms", flip_away, "kms")
    cpu = scenario("flip-cpu", flip_away, "cpu")
    for s in (kms, cpu):
        a, n = check_crc_sequence(s)
        print(f"# {s['mode']}: CRC A {a:#010x} over {n} vblanks of the fence's delay, "
              f"then B {s['b']:#010x}")
        assert s["log_mid"] is not None, f"{s['mode']}: the client ended before the probes"
        assert s["log_mid_ns"] < t_of(s["frames"][1], "acquire_signal_ns"), \
            f"{s['mode']}: the log was read after the signal"
        assert s["new_warnings"] == 0, f"{s['mode']}: {s['new_warnings']} kernel WARNING(s)"
    assert HANDED in kms["log_mid"], \
        "acquire=kms: no 'acquire handed to KMS' before the signal\n" + kms["log_mid"][-3000:]
    assert not HELD.search(kms["log"]), \
        "acquire=kms: a commit was held on the CPU: " + HELD.search(kms["log"]).group(0)
    assert HELD.search(cpu["log_mid"]), \
        "acquire=cpu: no held commit before the signal\n" + cpu["log_mid"][-3000:]
    assert HANDED not in cpu["log"], "acquire=cpu handed a fence to KMS"


@test
def kms_composited_frame_correct():
    """Two overlapping windows are composited, not scanned out: with acquire=kms the fenced
    commits are still held on the CPU, and the composed frame vkms shows has the CRC of the same
    scene composed with acquire=cpu; the composed image is the expected one."""
    kms = scenario("composited-kms", composited, "kms")
    cpu = scenario("composited-cpu", composited, "cpu")
    for s in (kms, cpu):
        assert HELD.search(s["log"]), f"{s['mode']}: the fenced commits were not held\n" + \
            s["log"][-3000:]
        assert HANDED not in s["log"], f"{s['mode']}: a composited surface's fence went to KMS"
        assert s["new_warnings"] == 0, f"{s['mode']}: {s['new_warnings']} kernel WARNING(s)"
    print(f"# CRC of the composed frame: kms {kms['crc']:#010x}, cpu {cpu['crc']:#010x}")
    assert kms["crc"] == cpu["crc"], \
        f"composed frames differ: kms {kms['crc']:#x}, cpu {cpu['crc']:#x}"
    # The reference PNG: red 300x200 at the first cascade position, blue (raised) 32 px
    # further, black elsewhere; pixel for pixel (tolerance 0: pixman on XRGB8888 is exact).
    screen, reference = Screen(kms["shot"]), Screen(REFERENCE)
    assert (screen.width, screen.height) == (reference.width, reference.height), \
        (screen.width, screen.height)
    if screen.pixels.raw != reference.pixels.raw:
        diff = SESSION.path("composited.diff.png")
        bad = write_diff(screen, reference, diff)
        raise AssertionError(f"{bad} pixels of {kms['shot']} differ from {REFERENCE} "
                             f"(diff: {diff}; SB_KMS_TEST_LOGS keeps it)")


def write_diff(screen, reference, path):
    """Red where the two images differ, the reference dimmed elsewhere; the count of pixels."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..",
                                    "lib"))
    import png  # tests/lib/png.py: pure Python, only on a mismatch
    a, e, bad, rows = screen.pixels.raw, reference.pixels.raw, 0, []
    for y in range(reference.height):
        row = []
        for x in range(reference.width):
            i = (y * reference.width + x) * 3
            if a[i:i + 3] != e[i:i + 3]:
                bad += 1
                row.append((255, 0, 0))
            else:
                row.append(tuple(v // 4 for v in e[i:i + 3]))
        rows.append(row)
    png.write(path, reference.width, reference.height, rows)
    return bad


@test
def scanout_buffer_released_only_after_flip_away():
    """acquire=kms: A is scanned out, B is committed with a 6 s fence and applied at once. A's
    wl_buffer.release comes only after B's fence signalled and the flip to B completed (B's
    presentation time, from the vblank), and it does come."""
    s = scenario("flip-kms", flip_away, "kms")
    f0, f1 = s["frames"][0], s["frames"][1]
    commit, signal_ns = t_of(f1, "commit_ns"), t_of(f1, "acquire_signal_ns")
    assert f1["feedback"] == "presented", f"B was {f1['feedback']}"
    flip = t_of(f1, "presented_ns")
    assert f0["release_ns"], "A's wl_buffer.release never came"
    release = int(f0["release_ns"])
    print(f"# after B's commit: signal {(signal_ns - commit) / 1e9:.3f} s, flip "
          f"{(flip - commit) / 1e9:.3f} s, A released {(release - commit) / 1e9:.3f} s")
    assert release > signal_ns, \
        f"A released {(signal_ns - release) / 1e6:.1f} ms before B's fence signalled"
    assert release >= flip, f"A released {(flip - release) / 1e6:.1f} ms before the flip"
    # zwp_linux_buffer_release_v1 (sb-client --explicit asks for one each commit):
    # immediate_release says the buffer may be written now, so not while it is scanned out.
    if f0["explicit_release"] == "immediate":
        explicit = int(f0["explicit_release_ns"])
        assert explicit >= flip, (f"A's zwp_linux_buffer_release_v1.immediate_release came "
                                  f"{(explicit - commit) / 1e9:.3f} s after B's commit, "
                                  f"{(flip - explicit) / 1e6:.1f} ms before the flip")
    else:
        assert f0["explicit_release"] == "fenced", "A's explicit release never came"
    assert flip > signal_ns, "B was presented before its fence signalled"


@test
def implicit_client_sees_read_fence_while_scanned_out():
    """acquire=kms: once the compositor has committed the flip to B (waiting in KMS for B's
    fence), A is still on screen and its dma-buf carries the flip's out-fence as a read fence: a
    writer (poll POLLOUT, EXPORT_SYNC_FILE(WRITE)) must wait until the flip, and not after."""
    s = scenario("flip-kms", flip_away, "kms")
    f1 = s["frames"][1]
    commit, signal_ns = t_of(f1, "commit_ns"), t_of(f1, "acquire_signal_ns")
    flip = t_of(f1, "presented_ns")
    during = [p for p in s["probes"] if commit + 2.5e9 <= p[0] <= signal_ns - 300e6]
    after = [p for p in s["probes"] if p[0] >= flip + 100e6]
    assert len(during) >= 5, f"{len(during)} probes while B's fence was pending"
    idle = [round((t - commit) / 1e9, 1) for t, by_poll, by_export in during
            if not (by_poll and by_export)]
    # The probe sees pending fences: B's dma-buf holds the acquire fence handed to KMS.
    b_during = [p for p in s["b_probes"] if commit + 2.5e9 <= p[0] <= signal_ns - 300e6]
    b_idle = [round((t - commit) / 1e9, 1) for t, by_poll, by_export in b_during
              if not (by_poll and by_export)]
    assert b_during and not b_idle, \
        f"B's dma-buf, with the acquire fence handed to KMS, idle {b_idle} s after its commit"
    assert not idle, (f"A's dma-buf idle for a writer {idle} s after B's commit (of "
                      f"{len(during)} probes); 'read fence imported' in the log before the "
                      f"signal: {READ_FENCE in s['log_mid']}")
    assert READ_FENCE in s["log_mid"], \
        "no 'read fence imported' before B's fence signalled\n" + s["log_mid"][-3000:]
    assert after, "no probe after the flip"
    busy = [(t - commit) / 1e9 for t, by_poll, by_export in after if by_poll or by_export]
    assert not busy, f"A's dma-buf still busy {busy} s after B's commit, after the flip"
    print(f"# A busy in {len(during)} probes during the fence's delay, idle in {len(after)} "
          "after the flip")


def main():
    status = run_tests()
    # SB_KMS_TEST_LOGS=DIR (a directory tests/vm/run --out shares): the logs and CSVs, kept.
    keep = os.environ.get("SB_KMS_TEST_LOGS")
    if keep:
        shutil.copytree(SESSION.tmp, os.path.join(keep, os.path.basename(SESSION.tmp)))
    return status


if __name__ == "__main__":
    sys.exit(main())
