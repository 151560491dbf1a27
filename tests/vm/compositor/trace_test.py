#!/usr/bin/python3
"""Guest: syncbridge --trace with real fences. A dma-buf client whose write fence (sw_sync)
signals 40 ms after each commit, traced by the compositor while the kernel's dma_fence events are
recorded (scripts/ftrace-fences.sh), then merged (scripts/trace-merge.py). TAP.
usage: trace_test.py SYNCBRIDGE SB_CLIENT"""
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


def session():
    """One run: syncbridge traced, the kernel's fence events recorded, one client for 1.5 s."""
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "DISPLAY")}
    env.update(XDG_RUNTIME_DIR=TMP, XDG_CONFIG_HOME=TMP)
    trace, ftrace, merged = (os.path.join(TMP, n) for n in ("t.json", "ftrace.txt", "m.json"))
    subprocess.run([os.path.join(ROOT, "scripts/ftrace-fences.sh"), "start"], check=True)
    comp = subprocess.Popen([SYNCBRIDGE, "--backend", "headless", "--renderer", "pixman",
                             "--socket", "sb-trace", "--trace", trace], env=env,
                            stderr=open(os.path.join(TMP, "syncbridge.log"), "w"))
    for _ in range(600):
        if os.path.exists(os.path.join(TMP, "sb-trace")):
            break
        time.sleep(0.1)
    client = subprocess.run([SB_CLIENT, "--buffer", "udmabuf", "--fence-delay", "150",
                             "--duration", "2", "--size", "128x128"],
                            env=dict(env, WAYLAND_DISPLAY="sb-trace"), capture_output=True,
                            text=True, timeout=120)
    time.sleep(0.3)
    comp.send_signal(signal.SIGTERM)
    comp.wait(timeout=120)
    subprocess.run([os.path.join(ROOT, "scripts/ftrace-fences.sh"), "stop", ftrace], check=True)
    assert client.returncode == 0, client.stdout[-1500:] + client.stderr[-1500:]
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts/trace-merge.py"), trace, ftrace,
                    "-o", merged], check=True)
    with open(merged) as f:
        return json.load(f)["traceEvents"], client.stdout


EVENTS = None


def events():
    global EVENTS
    if EVENTS is None:
        EVENTS = session()
    return EVENTS


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
