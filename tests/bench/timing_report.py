#!/usr/bin/python3
"""The commit-timing benchmark's report: sb_timing CSVs -> one CSV, a PNG plot, markdown tables.

  tests/bench/timing_report.py RAW_DIR CSV PNG [README...] [--rate HZ] [--lead-ms MS]

RAW_DIR is what run-timing-bench.sh wrote: BACKEND-MODE.csv for BACKEND headless (the host) and
drm (vkms in the guest), MODE timed, at-target and ahead. Writes CSV (every frame, with its
backend), PNG (needs matplotlib: run it with /usr/bin/python3; per backend, the CDF of the
error), prints the table and puts it between the <!-- timing-table --> and <!-- /timing-table -->
markers of each README given.

The error of a frame is wp_presentation's presented time minus the target time the client meant
it for (both on the presentation clock): negative means shown early.
"""

import argparse
import csv
import os
import sys

from benchstats import median, percentile, replace_table

BACKENDS = [("headless", "headless (host)"), ("drm", "DRM, vkms 640x480 (guest, TCG)")]
MODES = [
    ("timed", "commit-timing: committed ahead with set_timestamp(target)"),
    ("at-target", "no commit-timing: commits at the target"),
    ("ahead", "no commit-timing: commits ahead, no time"),
]


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def ms(ns):
    return ns / 1e6


def summary(rows):
    errors = [int(r["error_ns"]) for r in rows if r["error_ns"]]
    refresh = [int(r["refresh_ns"]) for r in rows if r["refresh_ns"]]
    out = {
        "frames": len(rows),
        "presented": len(errors),
        "discarded": sum(1 for r in rows if r["discarded"] == "1"),
        "refresh_ms": ms(median(refresh)) if refresh and median(refresh) else None,
    }
    if errors:
        out.update(
            median=ms(median(errors)),
            p95=ms(percentile(errors, 95)),
            min=ms(min(errors)),
            max=ms(max(errors)),
            early=sum(1 for e in errors if e < 0),
            abs_median=ms(median([abs(e) for e in errors])),
        )
    return out, errors


def table(results, rate, lead):
    lines = [
        f"One 256x256 wl_shm toplevel, a frame meant for every 1/{rate:g} s (not a multiple of "
        f"the refresh), committed {lead:g} ms ahead or at the target; error = presented - target "
        "(wp_presentation), negative = shown early.",
        "",
        "| backend | client | frames presented | error median (ms) | p95 (ms) | min / max (ms) "
        "| shown before the target | refresh (ms) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for backend, blabel in BACKENDS:
        for mode, mlabel in MODES:
            s = results.get((backend, mode))
            if not s:
                continue
            refresh = f"{s['refresh_ms']:.3f}" if s["refresh_ms"] else "0 (none)"
            if s["presented"] == 0:
                lines.append(f"| {blabel} | {mlabel} | 0 of {s['frames']} | | | | | {refresh} |")
                continue
            lines.append(
                f"| {blabel} | {mlabel} | {s['presented']} of {s['frames']} | "
                f"{s['median']:.3f} | {s['p95']:.3f} | {s['min']:.3f} / {s['max']:.3f} | "
                f"{s['early']} | {refresh} |"
            )
    return "\n".join(lines) + "\n"


def plot(png, errors_by):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    backends = [b for b in BACKENDS if any(k[0] == b[0] for k in errors_by)]
    fig, axes = plt.subplots(1, len(backends), figsize=(6 * len(backends), 4.2), squeeze=False)
    for ax, (backend, blabel) in zip(axes[0], backends):
        for mode, mlabel in MODES:
            errors = sorted(errors_by.get((backend, mode), []))
            if not errors:
                continue
            ys = [(i + 1) / len(errors) for i in range(len(errors))]
            ax.step([ms(e) for e in errors], ys, where="post", label=mlabel)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_title(f"{blabel}: presented - target")
        ax.set_xlabel("error (ms); left of 0 = shown before the target")
        ax.set_ylabel("fraction of frames")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle("Commit timing: how far from its target time each frame was presented")
    fig.tight_layout()
    fig.savefig(png, dpi=110)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raw")
    ap.add_argument("csv")
    ap.add_argument("png")
    ap.add_argument("readmes", nargs="*")
    ap.add_argument("--rate", type=float, default=24)
    ap.add_argument("--lead-ms", type=float, default=30)
    args = ap.parse_args()

    results, errors_by, all_rows = {}, {}, []
    for backend, _ in BACKENDS:
        for mode, _ in MODES:
            path = os.path.join(args.raw, f"{backend}-{mode}.csv")
            if not os.path.exists(path):
                continue
            rows = read(path)
            results[(backend, mode)], errors_by[(backend, mode)] = summary(rows)
            all_rows += [dict(backend=backend, **r) for r in rows]
    if not results:
        print(f"timing_report: no results in {args.raw}", file=sys.stderr)
        return 1
    with open(args.csv, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["backend"] + [k for k in all_rows[0] if k != "backend"])
        w.writeheader()
        w.writerows(all_rows)
    text = table(results, args.rate, args.lead_ms)
    print(text)
    plot(args.png, errors_by)
    for readme in args.readmes:
        if not replace_table(readme, "timing-table", text):
            print(f"timing_report: {readme} has no timing-table markers", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
