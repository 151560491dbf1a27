#!/usr/bin/env python3
"""Pools several runs of the commit-gate benchmark: apply latency over the wakeup floor.

    gate_pool.py OUT_CSV README SAMPLES_CSV...

Each SAMPLES_CSV is what gate_report.py writes for one guest run (experiment,mode,later_ms,sample,
ns). One run's medians move by ±30 % with the emulated machine's load (its floor too), so the
ratio the issues set a target for (apply <= 2x the raw wakeup) is given per run and over the pooled
samples of every run: the gate's apply (signal -> the state is current, wlroots' commit event;
and -> wlr_surface_unlock_cached() returned, every commit listener run) over the floors measured
before and after each mode in the same runs (waiter asleep as long as the compositor). Writes
OUT_CSV (run,mode,what,median_us,ratio_eventfd,ratio_own), the table between the README's
gate-pooled markers, and prints it.
"""
import csv
import sys
from collections import defaultdict

from benchstats import median, replace_table

MODES = ("snapshot", "syncobj", "explicit", "poll")
# The fence each mode waits for: an exported or explicit sync_file, or a syncobj point's eventfd.
OWN = {"syncobj": "syncobj"}
ENDPOINTS = (("current", "gate_current_after_signal", "the state is current"),
             ("applied", "gate_apply_after_signal", "every commit listener has run"))


def load(path):
    samples = defaultdict(list)
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            samples[(r["experiment"], r["mode"])].append(int(r["ns"]) / 1e3)
    return samples


def floor(samples, mode, kind):
    return (samples.get(("floor_wake_before", f"{mode}:{kind}"), []) +
            samples.get(("floor_wake_after", f"{mode}:{kind}"), []))


def ratios(samples, mode):
    """{endpoint: (median µs, / eventfd wake, / own fence's wake)} of one mode, or None."""
    fe, fo = floor(samples, mode, "eventfd"), floor(samples, mode, OWN.get(mode, "sync_file"))
    if not fe or not fo:
        return None
    out = {}
    for name, experiment, _ in ENDPOINTS:
        v = samples.get((experiment, mode))
        if v:
            m = median(v)
            out[name] = (m, m / median(fe), m / median(fo), len(v))
    return out or None


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    out_csv, readme, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
    runs = [load(p) for p in paths]
    pooled = defaultdict(list)
    for run in runs:
        for key, v in run.items():
            pooled[key].extend(v)
    rows, lines = [], []
    lines.append(f"Pooled over {len(runs)} guest runs (the full run above and "
                 f"{len(runs) - 1} of the acquire part only). Ratio = median apply after the "
                 "signal / median wake of the floors measured before and after the mode in the "
                 "same runs: to the eventfd wake, and to the wake of the mode's own fence "
                 "(sync_file; syncobj: the point's `DRM_IOCTL_SYNCOBJ_EVENTFD`):")
    lines.append("")
    lines.append("| mode | until | pooled median (µs) | × eventfd wake | × own fence's wake "
                 "| per run, × own fence's wake | commits |")
    lines.append("|---|---|---:|---:|---:|---|---:|")
    for mode in MODES:
        total = ratios(pooled, mode)
        if not total:
            continue
        per_run = [ratios(run, mode) for run in runs]
        for name, _, what in ENDPOINTS:
            if name not in total:
                continue
            m, re_, ro, n = total[name]
            each = [r[name][2] for r in per_run if r and name in r]
            rows.append(["pooled", mode, name, f"{m:.0f}", f"{re_:.2f}", f"{ro:.2f}"])
            for i, r in enumerate(per_run):
                if r and name in r:
                    rows.append([str(i + 1), mode, name, f"{r[name][0]:.0f}",
                                 f"{r[name][1]:.2f}", f"{r[name][2]:.2f}"])
            lines.append(f"| {mode} | {what} | {m:.0f} | {re_:.2f} | {ro:.2f} "
                         f"| {', '.join(f'{x:.2f}' for x in each)} | {n} |")
    lines.append("")
    with open(out_csv, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["run", "mode", "until", "median_us", "ratio_eventfd", "ratio_own"])
        w.writerows(rows)
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if not replace_table(readme, "gate-pooled", text):
        print(f"gate_pool: no gate-pooled markers in {readme}: table not written",
              file=sys.stderr)


if __name__ == "__main__":
    main()
