#!/usr/bin/python3
"""Turn heap_latency_bench's TAP output into CSV, a markdown table and a PNG plot.

  kernel/bench/report.py RESULT_TAP OUT_DIR

RESULT_TAP is tests/vm/run's result.tap (or the program's own stdout). Writes OUT_DIR/latency.csv
(every sample), OUT_DIR/latency.md (p50/p99 per scenario, size and heap) and OUT_DIR/latency.png
(needs python3-matplotlib; skipped with a message without it).
"""

import collections
import csv
import math
import os
import re
import sys

CSV_LINE = re.compile(r"^#\s*(?:vm/[^:]+:\s*)?csv:\s*(.+)$")


def percentile(values, p):
    """Nearest-rank percentile of a non-empty list: the ceil(p/100 * n)-th smallest (p99 of 100
    samples is the 99th, the second highest; of 40, the highest)."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, math.ceil(p / 100.0 * len(s) - 1e-9) - 1))
    return s[k]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    rows = []
    with open(src, encoding="utf-8") as f:
        for line in f:
            m = CSV_LINE.match(line.strip())
            if m and not m.group(1).startswith("scenario,"):
                scenario, heap, size_kib, it, ns = m.group(1).split(",")
                rows.append((scenario, heap, int(size_kib), int(it), int(ns)))
    if not rows:
        sys.exit(f"no csv samples in {src}")

    with open(os.path.join(out, "latency.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["scenario", "heap", "size_kib", "iteration", "ns"])
        w.writerows(rows)

    groups = collections.OrderedDict()
    for scenario, heap, size, _, ns in rows:
        groups.setdefault((scenario, size, heap), []).append(ns / 1e6)
    heaps = sorted({r[1] for r in rows})
    lines = ["| scenario | size | " + " | ".join(f"{h} p50 / p99 (ms)" for h in heaps) +
             " | n |", "|---|---:|" + "---:|" * len(heaps) + "---:|"]
    for scenario in dict.fromkeys(r[0] for r in rows):
        for size in sorted({r[2] for r in rows if r[0] == scenario}):
            cells, n = [], 0
            for h in heaps:
                v = groups.get((scenario, size, h), [])
                n = max(n, len(v))
                cells.append(f"{percentile(v, 50):.2f} / {percentile(v, 99):.2f}" if v else "-")
            label = f"{size // 1024} MiB" if size >= 1024 else f"{size} KiB"
            lines.append(f"| {scenario} | {label} | " + " | ".join(cells) + f" | {n} |")
    table = "\n".join(lines) + "\n"
    with open(os.path.join(out, "latency.md"), "w", encoding="utf-8") as f:
        f.write(table)
    print(table, end="")

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not available (apt-get install python3-matplotlib): no PNG",
              file=sys.stderr)
        return
    scenarios = list(dict.fromkeys(r[0] for r in rows))
    fig, axes = plt.subplots(1, len(scenarios), figsize=(6 * len(scenarios), 4.5), sharey=True,
                             squeeze=False)
    for ax, scenario in zip(axes[0], scenarios):
        sizes = sorted({r[2] for r in rows if r[0] == scenario})
        for h, marker in zip(heaps, "os^"):
            for p, style in ((50, "-"), (99, "--")):
                ys = [percentile(groups[(scenario, s, h)], p) if groups.get((scenario, s, h))
                      else float("nan") for s in sizes]
                ax.plot(sizes, ys, style, marker=marker, label=f"{h} p{p}")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(sizes)
        ax.set_xticklabels([f"{s // 1024}M" if s >= 1024 else f"{s}K" for s in sizes])
        ax.set_xlabel("buffer size")
        ax.set_title(f"scenario: {scenario}")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("allocation latency (ms)")
    axes[0][-1].legend(fontsize=8)
    fig.suptitle("dma-heap allocation latency, chunk heap (fail-fast) vs CMA heap, one VM run")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "latency.png"), dpi=100)


if __name__ == "__main__":
    main()
