#!/usr/bin/env python3
"""Merges the kernel's dma_fence ftrace events into a syncbridge --trace file.

    scripts/trace-merge.py TRACE.json FTRACE.txt [-o MERGED.json]

FTRACE.txt is tracefs' text trace recorded with trace_clock=mono (scripts/ftrace-fences.sh), so its
timestamps are CLOCK_MONOTONIC seconds, the clock of syncbridge's microsecond timestamps. The kernel
events join as a process "kernel dma_fence" with one track per fence timeline (driver/timeline);
dma_fence_wait_start/end become intervals on the waiting task's track.
"""
import argparse
import json
import re
import sys

LINE = re.compile(
    r"^\s*(?P<task>.+?)-(?P<pid>\d+)\s+\[(?P<cpu>\d+)\]\s+\S*\s*(?P<ts>\d+\.\d+):\s+"
    r"(?P<event>dma_fence_\w+):\s+driver=(?P<driver>\S*)\s+timeline=(?P<timeline>.*?)\s+"
    r"context=(?P<context>\d+)\s+seqno=(?P<seqno>\d+)\s*$")
KERNEL_PID = 1 << 30  # not a real pid: the kernel's own process in the viewer


def parse_ftrace(text):
    """Yields one dict per dma_fence event line; other lines (headers, other events) are skipped."""
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            d = m.groupdict()
            d["ts_us"] = float(d["ts"]) * 1e6
            yield d


def kernel_events(records):
    tracks = {}
    events = [{"ph": "M", "pid": KERNEL_PID, "tid": 0, "name": "process_name",
               "args": {"name": "kernel dma_fence"}}]

    def track(key, name):
        if key not in tracks:
            tracks[key] = len(tracks) + 1
            events.append({"ph": "M", "pid": KERNEL_PID, "tid": tracks[key],
                           "name": "thread_name", "args": {"name": name}})
        return tracks[key]

    for r in records:
        fence = f"{r['driver']}/{r['timeline']}"
        args = {"driver": r["driver"], "timeline": r["timeline"],
                "context": int(r["context"]), "seqno": int(r["seqno"]), "task": r["task"],
                "pid": int(r["pid"])}
        kind = r["event"][len("dma_fence_"):]
        if kind in ("wait_start", "wait_end"):
            tid = track(("task", r["pid"]), f"wait: {r['task']}-{r['pid']}")
            events.append({"ph": "B" if kind == "wait_start" else "E", "pid": KERNEL_PID,
                           "tid": tid, "ts": r["ts_us"], "name": f"dma_fence_wait {fence}",
                           "args": args})
            continue
        tid = track(("timeline", fence), f"timeline {fence}")
        events.append({"ph": "i", "s": "t", "pid": KERNEL_PID, "tid": tid, "ts": r["ts_us"],
                       "name": f"{kind} #{r['seqno']}", "cat": "dma_fence", "args": args})
    return events


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("trace")
    ap.add_argument("ftrace")
    ap.add_argument("-o", "--output")
    a = ap.parse_args()
    with open(a.trace) as f:
        trace = json.load(f)
    with open(a.ftrace, errors="replace") as f:
        records = list(parse_ftrace(f.read()))
    added = kernel_events(records)
    trace.setdefault("traceEvents", []).extend(added)
    trace.setdefault("otherData", {})["kernel_dma_fence_events"] = len(records)
    out = open(a.output, "w") if a.output else sys.stdout
    json.dump(trace, out)
    out.write("\n")
    if a.output:
        out.close()
    print(f"trace-merge: {len(records)} kernel dma_fence events merged", file=sys.stderr)


if __name__ == "__main__":
    main()
