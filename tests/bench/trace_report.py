#!/usr/bin/python3
"""The trace benchmark's report: raw guest output -> CSV, PNG plot and markdown table.

  tests/bench/trace_report.py RAW_DIR CSV PNG [README]

RAW_DIR is what tests/bench/trace-bench-session.sh wrote. Writes CSV (every sample, long form),
PNG (needs matplotlib: run it with /usr/bin/python3), prints the table, and with README replaces
the text between the <!-- trace-table --> and <!-- /trace-table --> markers in it with the table.

Per variant (compiled-out: syncbridge built with -Dtrace=false; off: built with the trace, run
without --trace; on: run with --trace):
- the compositor's CPU time per gated commit: its process CPU clock over a run / the run's frames
  (everything it did for them: the gate, wlroots, pixman composition, the trace when on);
- the apply latency: from the acquire fence's signal (sb-client's sw_sync signal, CLOCK_MONOTONIC)
  to the client's receipt of wl_buffer.release of the previous frame's buffer, which under pixman
  wlroots 0.15 sends when the next state is applied (tests/bench/README.md, the gate section).
The three ran side by side in each round. CPU: the median over the rounds of the per-commit time,
and the median of the per-round ratios to compiled-out (in brackets their lowest and highest).
Latency: the median and p90 of all rounds' frames, the ratio of those medians to compiled-out's
(in brackets the lowest and highest per-round ratio of medians).
"""

import csv
import glob
import json
import os
import re
import sys

from benchstats import median, percentile, read_frames, replace_table

VARIANTS = ["compiled-out", "off", "on"]


def apply_latencies(rows):
    """ns from each frame's acquire fence signal to the release of the previous frame's buffer."""
    out = []
    for prev, cur in zip(rows, rows[1:]):
        if prev["release_ns"] and cur["acquire_signal_ns"]:
            v = int(prev["release_ns"]) - int(cur["acquire_signal_ns"])
            if v >= 0:
                out.append(v)
    return out


def gated_commits(trace_path):
    """dma-buf commits and waits in one "on" run's trace: every commit went through the gate."""
    with open(trace_path, encoding="utf-8") as f:
        events = json.load(f)["traceEvents"]
    commits = sum(1 for e in events if e.get("name") == "commit"
                  and e.get("args", {}).get("buffer") == "dmabuf")
    waits = sum(1 for e in events if e.get("name") == "wait" and e.get("ph") == "b")
    return commits, waits, len(events), os.path.getsize(trace_path)


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    raw, out_csv, out_png = sys.argv[1:4]
    readme = sys.argv[4] if len(sys.argv) == 5 else None

    cpu = {}  # variant -> {round: (frames, cpu_ns)}
    with open(os.path.join(raw, "cpu.csv"), newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            cpu.setdefault(r["variant"], {})[int(r["round"])] = (int(r["frames"]),
                                                                 int(r["cpu_ns"]))
    lat = {}  # variant -> {round: [ns]}
    for path in glob.glob(os.path.join(raw, "frames-*-*.csv")):
        m = re.search(r"frames-(.+)-(\d+)\.csv$", path)
        lat.setdefault(m.group(1), {})[int(m.group(2))] = apply_latencies(read_frames(path))
    missing = [v for v in VARIANTS if v not in cpu or v not in lat]
    if missing:
        sys.exit(f"trace_report: no results for {missing} in {raw}")
    rounds = sorted(set.intersection(*(set(cpu[v]) for v in VARIANTS)))

    samples = []  # (metric, variant, round, sample, value)
    for v in VARIANTS:
        for r in rounds:
            frames, ns = cpu[v][r]
            samples.append(("cpu_ns_per_commit", v, r, 0, ns / frames))
            for i, x in enumerate(lat[v].get(r, [])):
                samples.append(("apply_latency_ns", v, r, i, x))
    os.makedirs(os.path.dirname(out_csv) or ".", exist_ok=True)
    with open(out_csv, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["metric", "variant", "round", "sample", "value"])
        w.writerows(samples)

    per_commit = {v: median([cpu[v][r][1] / cpu[v][r][0] for r in rounds]) for v in VARIANTS}
    lat_all = {v: [x for r in rounds for x in lat[v].get(r, [])] for v in VARIANTS}
    lat_med = {v: median(lat_all[v]) for v in VARIANTS}

    def round_ratios(v, metric):
        out = []
        for r in rounds:
            if metric == "cpu":
                base = cpu["compiled-out"][r][1] / cpu["compiled-out"][r][0]
                out.append(cpu[v][r][1] / cpu[v][r][0] / base)
            elif lat[v].get(r) and lat["compiled-out"].get(r):
                out.append(median(lat[v][r]) / median(lat["compiled-out"][r]))
        return out

    traces = sorted(glob.glob(os.path.join(raw, "trace-*.json")))
    trace_info = [gated_commits(p) for p in traces]
    frames_per_run = cpu["on"][rounds[0]][0]

    lines = [
        f"{len(rounds)} rounds of {frames_per_run} gated commits per variant, the three side by "
        "side in each round, one VM boot (QEMU TCG, 2 vCPUs).",
        "",
        "| variant | CPU per commit | ratio (rounds) | apply latency median | p90 "
        "| ratio (rounds) |",
        "|---|---|---|---|---|---|",
    ]
    for v in VARIANTS:
        cr = round_ratios(v, "cpu")
        lr = round_ratios(v, "lat")
        lines.append(
            f"| {v} | {per_commit[v] / 1e3:.0f} µs | {median(cr):.3f} "
            f"({min(cr):.2f}–{max(cr):.2f}) | {lat_med[v] / 1e6:.2f} ms "
            f"| {percentile(lat_all[v], 90) / 1e6:.2f} ms "
            f"| {lat_med[v] / lat_med['compiled-out']:.3f} ({min(lr):.2f}–{max(lr):.2f}) |")
    if trace_info:
        commits, waits, n_events, size = trace_info[0]
        lines += ["", f"Each \"on\" run's trace: {commits} dma-buf commits, {waits} waits, "
                  f"{n_events} events, {size / 1024:.0f} KiB."]
    table = "\n".join(lines)
    print(table)

    if readme and not replace_table(readme, "trace-table", table):
        print(f"trace_report: no trace-table markers in {readme}: not updated", file=sys.stderr)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"compiled-out": "tab:gray", "off": "tab:blue", "on": "tab:orange"}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    xs = range(len(VARIANTS))
    # Paired: each round's CPU per commit over the same round's compiled-out run.
    ratios = {v: round_ratios(v, "cpu") for v in VARIANTS}
    ax1.bar(xs, [median(ratios[v]) for v in VARIANTS],
            color=[colours[v] for v in VARIANTS], alpha=0.7, label="median")
    for i, v in enumerate(VARIANTS):
        ax1.scatter([i] * len(ratios[v]), ratios[v], color="black", s=14, zorder=3,
                    label="one round" if i == 0 else None)
    ax1.axhline(1, color="black", linewidth=0.8)
    ax1.set_xticks(list(xs))
    ax1.set_xticklabels(VARIANTS)
    ax1.set_ylabel("CPU per gated commit / compiled-out's (same round)")
    ax1.set_title("compositor CPU per commit "
                  f"(compiled-out: {per_commit['compiled-out'] / 1e6:.1f} ms)")
    ax1.legend(fontsize=8, loc="lower right")
    ax2.boxplot([[x / 1e6 for x in lat_all[v]] for v in VARIANTS], showfliers=False)
    ax2.set_xticks([i + 1 for i in xs])
    ax2.set_xticklabels(VARIANTS)
    ax2.set_ylabel("fence signal -> state applied (ms)")
    ax2.set_title("apply latency (whiskers: 1.5 IQR)")
    fig.suptitle(f"syncbridge --trace: compiled out (-Dtrace=false), off, on; "
                 f"{len(rounds)}×{frames_per_run} commits each, QEMU TCG")
    fig.tight_layout()
    os.makedirs(os.path.dirname(out_png) or ".", exist_ok=True)
    fig.savefig(out_png, dpi=110)


if __name__ == "__main__":
    main()
