#!/usr/bin/python3
"""Draws a timeline PNG from a syncbridge --trace file (merged or not, scripts/trace-merge.py):
one row per surface with its commits, the waits for their acquire fences (bars, coloured by the
form: implicit snapshot, poll, syncobj point, sync_file), state applied, presented and the buffer
released (wl_buffer.release, the syncobj release point signalled, zwp_linux_buffer_release_v1's
fenced/immediate_release); one row per kernel fence timeline with its signals when the kernel's
events were merged.

    scripts/trace-timeline.py TRACE.json OUT.png [--window-ms N] [--start-ms N] [--labels TSV]

--labels names the surface rows by their client's role instead of "surface N (comm, pid P)": a
file of "PID<tab>LABEL" lines (scripts/demo-session.sh writes out/roles.tsv). Each surface row
also says, over the whole trace, how many of its commits the gate held and for how long.
(Debian's python3-matplotlib: run with /usr/bin/python3.)"""
import argparse
import json
import re
import statistics

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MARKS = [  # event name, label, marker, colour, row offset (releases below: same time as applied)
    ("commit", "commit", "|", "black", 0),
    ("applied", "state applied", "o", "tab:green", 0),
    ("presented", "presented", "s", "tab:purple", 0),
    ("wl_buffer.release", "wl_buffer.release", "^", "tab:gray", 0.25),
    ("release point signalled", "release point signalled", "v", "tab:brown", 0.25),
    ("fenced_release", "fenced_release", "x", "tab:olive", 0.25),
    ("immediate_release", "immediate_release", "+", "tab:olive", 0.25),
]
WAIT_COLOURS = {"snapshot": "tab:blue", "poll": "tab:orange", "explicit": "tab:cyan"}
KERNEL_PID = 1 << 30
# A surface whose commits waited this long (median) or longer was held by its fences; shorter
# waits are the commit-time snapshot of a fence signalled right after the commit.
HELD_MS = 5


def load(path):
    with open(path) as f:
        return json.load(f)["traceEvents"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trace")
    ap.add_argument("out")
    ap.add_argument("--window-ms", type=float, default=600)
    ap.add_argument("--start-ms", type=float, default=0,
                    help="window start after the moment every surface has committed")
    ap.add_argument("--labels", help="PID<tab>LABEL lines: surface rows named by role")
    a = ap.parse_args()
    roles = {}
    if a.labels:
        with open(a.labels) as f:
            for line in f:
                pid, _, text = line.rstrip("\n").partition("\t")
                if pid.strip().isdigit() and text:
                    roles[int(pid)] = text
    events = load(a.trace)
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events
             if e.get("ph") == "M" and e.get("name") == "thread_name"}
    commits = [e for e in events if e.get("name") == "commit"]
    if not commits:
        raise SystemExit("trace-timeline: no commit in the trace")
    # From when the last surface to start has committed: every row has something to show.
    firsts = {}
    for e in commits:
        key = (e["pid"], e["tid"])
        firsts[key] = min(firsts.get(key, e["ts"]), e["ts"])
    t0 = max(firsts.values()) + a.start_ms * 1000
    t1 = t0 + a.window_ms * 1000

    def ms(ts):
        return (ts - t0) / 1000

    # Rows: surfaces first (in track order), then kernel timelines that signalled in the window.
    surface_rows = sorted({(e["pid"], e["tid"]) for e in events
                           if e.get("name") == "commit"}, key=lambda k: k[1])
    kernel_rows = sorted({(e["pid"], e["tid"]) for e in events
                          if e.get("pid") == KERNEL_PID and e.get("ph") == "i"
                          and e["name"].startswith("signaled") and t0 <= e["ts"] <= t1},
                         key=lambda k: k[1])
    rows = surface_rows + kernel_rows
    y_of = {k: i for i, k in enumerate(rows)}
    fig, ax = plt.subplots(figsize=(12, 1.4 + 0.8 * len(rows)))
    seen = set()

    def label(text):
        if text in seen:
            return None
        seen.add(text)
        return text

    begins = {}
    for e in events:
        key = (e.get("pid"), e.get("tid"))
        if key not in y_of or "ts" not in e:
            continue
        y = y_of[key]
        if e.get("ph") == "b" and e["name"] == "wait":
            begins[(key, e["id"])] = e
        elif e.get("ph") == "e" and e["name"] == "wait":
            b = begins.pop((key, e["id"]), None)
            if b and b["ts"] <= t1 and e["ts"] >= t0:
                form = b.get("args", {}).get("form", "snapshot")
                ax.barh(y, ms(e["ts"]) - ms(b["ts"]), left=ms(b["ts"]), height=0.35,
                        color=WAIT_COLOURS.get(form, "tab:blue"), alpha=0.6,
                        label=label(f"waiting ({form})"))
    def first_presented(key):
        """Presentation is traced for every surface on screen at every frame: keep the first
        one after each state applied, the frame that showed it."""
        out, pending = [], False
        for e in sorted((e for e in events if (e.get("pid"), e.get("tid")) == key
                         and e.get("name") in ("applied", "presented")), key=lambda e: e["ts"]):
            if e["name"] == "applied":
                pending = True
            elif pending:
                out.append(e)
                pending = False
        return out

    for name, text, marker, colour, dy in MARKS:
        for key, y in y_of.items():
            mine = (first_presented(key) if name == "presented" else
                    [e for e in events if (e.get("pid"), e.get("tid")) == key
                     and e.get("name") == name])
            xs = [ms(e["ts"]) for e in mine if t0 <= e.get("ts", -1) <= t1]
            if xs:
                ax.scatter(xs, [y + dy] * len(xs), marker=marker, color=colour, s=60,
                           label=label(text))
    for key in kernel_rows:
        xs = [ms(e["ts"]) for e in events if (e.get("pid"), e.get("tid")) == key
              and e.get("ph") == "i" and e["name"].startswith("signaled")
              and t0 <= e["ts"] <= t1]
        ax.scatter(xs, [y_of[key]] * len(xs), marker="v", color="tab:red", s=50,
                   label=label("kernel: dma_fence_signaled"))
    def row_name(key):
        name = names.get(key, f"track {key[1]}")
        pid = re.search(r"pid (\d+)", name)
        return roles.get(int(pid.group(1)), name) if pid else name

    # Held or not, at a glance: over the whole trace, per surface, how many commits waited.
    for key in surface_rows:
        n = sum(1 for e in events if (e.get("pid"), e.get("tid")) == key
                and e.get("name") == "commit")
        waits, open_waits = [], {}
        for e in events:
            if (e.get("pid"), e.get("tid")) != key or e.get("name") != "wait":
                continue
            if e.get("ph") == "b":
                open_waits[e["id"]] = e["ts"]
            elif e.get("ph") == "e" and e["id"] in open_waits:
                waits.append((e["ts"] - open_waits.pop(e["id"])) / 1000)
        median = statistics.median(waits) if waits else 0
        if median >= HELD_MS:
            text = (f"HELD: {len(waits)} of {n} commits waited for their fence, "
                    f"median {median:.1f} ms")
            colour = "tab:red"
        elif waits:
            text = (f"not held: {len(waits)} of {n} commits waited a median {median:.1f} ms "
                    "(their fence was ready at commit)")
            colour = "tab:green"
        else:
            text = f"not held: none of {n} commits waited"
            colour = "tab:green"
        ax.text(a.window_ms * 0.005, y_of[key] - 0.32, text, fontsize=8, color=colour,
                fontweight="bold", va="bottom")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([row_name(k) for k in rows])
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.invert_yaxis()
    ax.set_xlim(0, a.window_ms)
    ax.set_xlabel("ms (CLOCK_MONOTONIC), from when every surface had committed")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=4, fontsize=8)
    fig.tight_layout()
    fig.savefig(a.out, dpi=110)
    print(f"trace-timeline: {a.out}: {len(surface_rows)} surface(s), "
          f"{len(kernel_rows)} kernel timeline(s)")


if __name__ == "__main__":
    main()
