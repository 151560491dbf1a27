#!/usr/bin/python3
"""Guest: syncbridge --trace with real fences. A dma-buf client whose write fence (sw_sync)
signals 150 ms after each commit, traced by the compositor while the kernel's dma_fence events are
recorded (scripts/ftrace-fences.sh), then merged (scripts/trace-merge.py); then the same client
with wp_linux_drm_syncobj_v1 and with zwp_linux_explicit_synchronization_v1, for their release
events. TAP.
usage: trace_test.py SYNCBRIDGE SB_CLIENT"""
import collections
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

SYNCBRIDGE, SB_CLIENT = sys.argv[1], sys.argv[2]
ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", ".."))
TMP = tempfile.mkdtemp(prefix="sb-trace-")
os.chmod(TMP, 0o700)
results = []


def session(name="implicit", sync_args=(), kernel=True, fence_ms="150", duration="2"):
    """One run: syncbridge traced, one client for DURATION s, and with kernel the kernel's fence
    events recorded and merged."""
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "DISPLAY")}
    env.update(XDG_RUNTIME_DIR=TMP, XDG_CONFIG_HOME=TMP)
    trace, ftrace, merged = (os.path.join(TMP, f"{name}-{n}")
                             for n in ("t.json", "ftrace.txt", "m.json"))
    sock = f"sb-trace-{name}"
    if kernel:
        subprocess.run([os.path.join(ROOT, "scripts/ftrace-fences.sh"), "start"], check=True)
    comp = subprocess.Popen([SYNCBRIDGE, "--backend", "headless", "--renderer", "pixman",
                             "--socket", sock, "--trace", trace], env=env,
                            stderr=open(os.path.join(TMP, f"syncbridge-{name}.log"), "w"))
    for _ in range(600):
        if os.path.exists(os.path.join(TMP, sock)):
            break
        time.sleep(0.1)
    client = subprocess.run([SB_CLIENT, "--buffer", "udmabuf", "--fence-delay", fence_ms,
                             "--duration", duration, "--size", "128x128", *sync_args],
                            env=dict(env, WAYLAND_DISPLAY=sock), capture_output=True,
                            text=True, timeout=120)
    time.sleep(0.3)
    comp.send_signal(signal.SIGTERM)
    comp.wait(timeout=120)
    if kernel:
        subprocess.run([os.path.join(ROOT, "scripts/ftrace-fences.sh"), "stop", ftrace],
                       check=True)
    assert client.returncode == 0, client.stdout[-1500:] + client.stderr[-1500:]
    # A sanitizer report (the ASan build) or a crash at exit fails the session too.
    with open(os.path.join(TMP, f"syncbridge-{name}.log"), errors="replace") as f:
        log = f.read()
    bad = [l for l in log.splitlines() if "Sanitizer" in l or "runtime error" in l]
    assert comp.returncode == 0 and not bad, (comp.returncode, bad[:5])
    if not kernel:
        merged = trace
    else:
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts/trace-merge.py"), trace,
                        ftrace, "-o", merged], check=True)
    with open(merged) as f:
        return json.load(f)["traceEvents"], client.stdout


SESSIONS = {}


def events(name="implicit", *args):
    if name not in SESSIONS:
        SESSIONS[name] = session(name, *args)
    return SESSIONS[name]


def client_track(evs):
    names = {e["tid"]: e["args"]["name"] for e in evs
             if e.get("name") == "thread_name" and e["args"]["name"].startswith("surface ")}
    tracks = [t for t, n in names.items() if "sb-client" in n]
    assert len(tracks) >= 1, names
    return tracks


def test(fn):
    results.append(fn)
    return fn


@test
def trace_records_every_gated_commit():
    evs, _ = events()
    for tid in client_track(evs):
        mine = [e for e in evs if e.get("tid") == tid and e.get("pid") != 1 << 30]
        commits = [e for e in mine if e["name"] == "commit" and e["args"]["buffer"] == "dmabuf"]
        begins = [e for e in mine if e["name"] == "wait" and e["ph"] == "b"]
        ends = {e["id"]: e for e in mine if e["name"] == "wait" and e["ph"] == "e"}
        applied = {e["args"]["seq"]: e for e in mine if e["name"] == "applied"}
        if not commits:
            continue
        # Every dma-buf commit goes through the gate (one whose fence has already signalled
        # too: it applies on the next turn of the loop), in commit order.
        assert len(begins) == len(commits), (len(begins), len(commits))
        assert [b["args"]["commit"] for b in begins] == [c["args"]["seq"] for c in commits]
        assert all(b["args"]["form"] == "snapshot" for b in begins)
        # Those still waiting name the fence: the client's sw_sync timeline.
        waiting = [b for b in begins if b["args"]["names"]]
        assert waiting and all("sw_sync/" in b["args"]["names"] for b in waiting), \
            [b["args"] for b in begins[:5]]
        # Each wait ended, and its state was applied at or after the end, in commit order.
        done = [b for b in begins if b["id"] in ends]
        assert len(done) >= len(begins) - 1, (len(done), len(begins))
        for b in done:
            e = ends[b["id"]]
            seq = b["args"]["commit"]
            assert e["ts"] >= b["ts"] and seq in applied, seq
            assert applied[seq]["ts"] >= e["ts"], seq
        print(f"# surface track {tid}: {len(commits)} dma-buf commits, {len(begins)} waits "
              f"({len(waiting)} on an unsignalled fence), {len(done)} ended")


@test
def trace_merges_kernel_fence_events():
    evs, _ = events()
    kernel = [e for e in evs if e.get("pid") == 1 << 30 and e.get("ph") == "i"
              and e["name"].startswith("signaled") and e["args"]["driver"] == "sw_sync"]
    assert kernel, "no sw_sync dma_fence_signaled event merged"
    inside = 0
    waits = 0
    for tid in client_track(evs):
        # The waits that began on an unsignalled fence (named in the trace).
        begins = {e["id"]: e for e in evs if e.get("tid") == tid and e["name"] == "wait"
                  and e["ph"] == "b" and e["args"]["names"]}
        for e in evs:
            if e.get("tid") == tid and e["name"] == "wait" and e["ph"] == "e" and e["id"] in begins:
                waits += 1
                b = begins[e["id"]]
                # The fence that held the commit signals in the kernel between the compositor's
                # wait start and its wake-up: one clock for both.
                if any(b["ts"] <= k["ts"] <= e["ts"] for k in kernel):
                    inside += 1
    print(f"# {len(kernel)} sw_sync signals merged; {inside} of {waits} waits have one inside")
    assert waits > 0 and inside == waits, (inside, waits)


def check_releases(evs, names):
    """On each of the client's surface tracks: one release event NAMES per applied buffer that a
    later buffer replaced, after that later state was let through by the gate (and at most one
    for the last buffer, when the surface goes). Returns how many releases were checked."""
    checked = 0
    for tid in client_track(evs):
        mine = [e for e in evs if e.get("tid") == tid and e.get("pid") != 1 << 30]
        commits = {e["args"]["seq"]: e for e in mine
                   if e["name"] == "commit" and e["args"]["buffer"] == "dmabuf"}
        applied = {e["args"]["seq"]: e for e in mine if e["name"] == "applied"}
        ends = {e["args"]["commit"]: e for e in mine if e["name"] == "wait" and e["ph"] == "e"}
        releases = [e for e in mine if e["name"] in names]
        if not commits:
            continue
        seqs = sorted(commits)
        count = collections.Counter(r["args"]["commit"] for r in releases)
        twice = {seq: n for seq, n in count.items() if n > 1}
        assert not twice, f"{names}: released more than once: {twice}"
        for r in releases:
            seq = r["args"]["commit"]
            # Only a buffer that was on screen is released, and only once the next one is.
            assert seq in commits and seq in applied, (names, r)
            later = [s for s in seqs if s > seq]
            assert r["ts"] >= applied[seq]["ts"], (names, seq, "released before it was applied")
            if not later:
                continue  # the last buffer: released when the surface went away
            nxt = later[0]
            assert nxt in applied, (names, seq, "released, but the next state never applied")
            assert r["ts"] >= commits[nxt]["ts"], (names, seq, "released before the next commit")
            if nxt in ends:
                assert r["ts"] >= ends[nxt]["ts"], \
                    (names, seq, "released while the next commit was still held")
        # Every buffer that a later applied buffer replaced has been released.
        replaced = [s for s, n in zip(seqs, seqs[1:]) if s in applied and n in applied]
        missing = [s for s in replaced if s not in count]
        assert replaced and not missing, (names, "not released", missing[:10], len(replaced))
        checked += len(releases)
        print(f"# surface track {tid}: {len(releases)} {'/'.join(names)} for "
              f"{len(replaced)} replaced buffers")
    assert checked, names
    return checked


@test
def trace_records_buffer_releases():
    evs, _ = events()
    check_releases(evs, ("wl_buffer.release",))


@test
def trace_records_release_points_and_explicit_releases():
    # linux-drm-syncobj-v1: the release point is signalled when the compositor is done with the
    # buffer; zwp_linux_buffer_release_v1: one event per commit that asked for it.
    evs, _ = events("syncobj", ("--syncobj",), False, "30", "1.5")
    check_releases(evs, ("release point signalled",))
    check_releases(evs, ("wl_buffer.release",))
    points = [e for e in evs if e["name"] == "release point signalled"]
    assert all(isinstance(e["args"]["read_fence"], bool) and e["args"]["ok"] for e in points)
    values = [e["args"]["point"] for e in points]
    assert values == sorted(set(values)), values[:20]
    evs, _ = events("explicit", ("--explicit",), False, "30", "1.5")
    check_releases(evs, ("fenced_release", "immediate_release"))
    check_releases(evs, ("wl_buffer.release",))


def main():
    print(f"1..{len(results)}")
    failed = 0
    for i, fn in enumerate(results, 1):
        try:
            fn()
            print(f"ok {i} - {fn.__name__}")
        except Exception as e:  # an assertion or a crash of the test: a failure either way
            print(f"# {type(e).__name__}: {e}"[:3000])
            print(f"not ok {i} - {fn.__name__}")
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
