#!/usr/bin/python3
"""The commit-gate benchmark's report: raw guest output -> CSV, PNG plot and markdown table.

  tests/bench/gate_report.py RAW_DIR CSV PNG [README]

RAW_DIR is what tests/bench/gate-bench-session.sh wrote. Writes CSV (every sample, long form),
CSV's sibling gate-syscalls.csv (strace -c counts), PNG (needs matplotlib: run it with
/usr/bin/python3), prints the table, and with README replaces the text between the
<!-- gate-table --> and <!-- /gate-table --> markers in it with the table.
"""

import csv
import glob
import os
import re
import sys

from benchstats import median, percentile, read_frames, replace_table

MODES = ["snapshot", "poll", "syncobj", "explicit", "none"]
# Gated modes, in the order of the table and the plot.
GATED = ["snapshot", "poll", "syncobj", "explicit"]
# The release the client sees (sb-client --csv column): wl_buffer.release, and for explicit
# zwp_linux_buffer_release_v1's fenced/immediate_release (sent just before it). Not the syncobj
# release point: sb-client puts frame n's release point (2n + 2) on the timeline of frame n + 1's
# acquire point (2n + 3), so its eventfd fires when the client itself signals the next acquire
# point (a DRM syncobj wait on an unsubmitted point takes the next later one).
RELEASE_COLUMN = {"explicit": "explicit_release_ns"}
RELEASE_NAME = {"explicit": "buffer_release"}
# The sweep's acquire fence signals 30 ms after the commit: from this L on the later fence is
# the last to signal, and the slope is fitted there.
FIT_FROM_MS = 50
# wake_floor kinds; the floors just before each mode sleep as long as the fence delay of its
# acquire run (gate-bench-session.sh: fence_delay), the run's first floor 2 ms.
FLOOR_KINDS = ("eventfd", "sync_file", "syncobj")
FENCE_DELAY_MS = 5
HELD = re.compile(r"surface (0x[0-9a-f]+|\(nil\)): commit (\d+) held")
AT_ONCE = re.compile(r"surface (0x[0-9a-f]+|\(nil\)): commit applied at once")
APPLIED = re.compile(r"surface (0x[0-9a-f]+|\(nil\)): commit (\d+) released after .* applied at "
                     r"(\d+)\.(\d{9})")
# Since the split of the apply (commit_gate.c): when the loop called the gate, when it unlocked.
SPLIT = re.compile(r"\(woke at (\d+)\.(\d{9}), unlocking at (\d+)\.(\d{9})"
                   r"(?:, current at (\d+)\.(\d{9}))?\)")
STRACE_LINE = re.compile(r"^\s*([\d.]+)\s+([\d.]+)\s+(\d+)\s+(\d+)\s+(\d+)?\s*(\w+)\s*$")


def ns(row, key):
    return int(row[key]) if row[key] else None


def applied(rows, column="release_ns"):
    """(frame row, applied_ns) for each frame after the first: the previous buffer's release."""
    out = []
    for prev, cur in zip(rows, rows[1:]):
        rel = ns(prev, column)
        if rel is not None:
            out.append((cur, rel))
    return out


def gate_applies(log_path):
    """Apply time (ns) or None (applied at once) of each dma-buf commit, in commit order; the
    gate's wake and unlock times (ns, or None in logs without them) go to gate_applies.split."""
    order, times = [], {}
    with open(log_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = HELD.search(line)
            if m:
                order.append((m.group(1), int(m.group(2))))
            elif AT_ONCE.search(line):
                order.append(None)
            else:
                m = APPLIED.search(line)
                if m:
                    t = int(m.group(3)) * 10**9 + int(m.group(4))
                    sp = SPLIT.search(line)
                    parts = (int(sp.group(1)) * 10**9 + int(sp.group(2)),
                             int(sp.group(3)) * 10**9 + int(sp.group(4)),
                             int(sp.group(5)) * 10**9 + int(sp.group(6)) if sp.group(5)
                             else None) if sp else (None, None, None)
                    times.setdefault((m.group(1), int(m.group(2))), []).append((t, parts))
    # A surface address can come back with the next client: take each (surface, seq) in turn.
    out, seen = [], {}
    gate_applies.split = []
    for key in order:
        entry = None
        if key is not None:
            i = seen.get(key, 0)
            seen[key] = i + 1
            if i < len(times.get(key, [])):
                entry = times[key][i]
        out.append(entry[0] if entry else None)
        gate_applies.split.append(entry[1] if entry else (None, None, None))
    return out


def read_strace(path):
    """{syscall: calls} from strace -c's summary (the total line excluded)."""
    calls = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = STRACE_LINE.match(line)
            if m and m.group(6) != "total":
                calls[m.group(6)] = int(m.group(4))
    return calls


TRACE_CALL = re.compile(r"^(?:\[pid\s+\d+\]\s+|\d+\s+)?([a-z_0-9]+)\((.*)$")
IOCTL_REQUEST = re.compile(r"^\d+,\s*([^,)]+)")
EPOLL_OP = re.compile(r"^\d+,\s*EPOLL_CTL_(\w+)")


def read_trace_calls(path):
    """{syscall, or "ioctl REQUEST" / "fcntl CMD": calls} from the calls strace -C printed (not the summary)."""
    calls = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if "resumed>" in line:
                continue
            m = TRACE_CALL.match(line)
            if not m:
                continue
            key = m.group(1)
            if key in ("ioctl", "fcntl"):
                r = IOCTL_REQUEST.match(m.group(2))
                key = f"{key} {r.group(1) if r else '?'}"
            elif key == "epoll_ctl":
                # The gate adds each held commit's fd to its own epoll set with EPOLLONESHOT.
                r = EPOLL_OP.match(m.group(2))
                key = f"{key} {r.group(1) if r else '?'}" + (
                    " ONESHOT" if "EPOLLONESHOT" in m.group(2) else "")
            calls[key] = calls.get(key, 0) + 1
    return calls


def slope(xs, ys):
    """Least-squares slope of ys over xs."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    raw, out_csv, out_png = sys.argv[1:4]
    readme = sys.argv[4] if len(sys.argv) == 5 else None
    samples = []  # (experiment, mode, later_ms, sample, ns)

    floor = {}
    with open(os.path.join(raw, "floor.csv"), newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            for what in ("wake", "roundtrip"):
                v = int(r[what + "_ns"])
                floor.setdefault((r["kind"], what), []).append(v)
                samples.append((f"floor_{what}", r["kind"], "", int(r["sample"]), v))
    # The floor measured again just before each mode's run (floor-MODE.csv): the load of an
    # emulated machine drifts over a run, so each mode is compared with the floor next to it.
    mode_floor = {}  # mode -> {(kind, what): [ns]}
    # Measured before the mode's acquire run and again after it (floor-MODE-after.csv): the
    # mode's floor is both, bracketing the run.
    for mode in MODES:
        for when, suffix in (("before", ""), ("after", "-after")):
            path = os.path.join(raw, f"floor-{mode}{suffix}.csv")
            if not os.path.exists(path):
                continue
            with open(path, newline="", encoding="utf-8") as f:
                for r in csv.DictReader(f):
                    for what in ("wake", "roundtrip"):
                        v = int(r[what + "_ns"])
                        mode_floor.setdefault(mode, {}).setdefault((r["kind"], what),
                                                                   []).append(v)
                        samples.append((f"floor_{what}_{when}", f"{mode}:{r['kind']}", "",
                                        int(r["sample"]), v))

    # Compositor side: the gate's "applied at" (-d), paired in order with the client's frames.
    comp_signal, comp_sweep, comp_counts, late_imports = {}, {}, {}, {}
    # mode -> [(signal -> woke, woke -> unlocking, unlocking -> applied, unlocking -> current
    # or None) ns]
    comp_split = {}
    comp_current = {}  # mode -> [signal -> the state is current (wlroots' commit event) ns]
    for mode in MODES:
        runs_path = os.path.join(raw, f"runs-{mode}.txt")
        logs = glob.glob(os.path.join(raw, f"syncbridge-sb-bench-{mode}.log"))
        if not os.path.exists(runs_path) or not logs:
            continue
        applies = gate_applies(logs[0])
        splits = gate_applies.split
        frames = []
        with open(runs_path, encoding="utf-8") as f:
            for name in f.read().split():
                for row in read_frames(os.path.join(raw, name)):
                    frames.append((name, row))
        if not applies:
            continue
        if len(applies) != len(frames):
            print(f"gate_report: {mode}: {len(applies)} gated commits in the log, "
                  f"{len(frames)} frames: compositor-side times not used", file=sys.stderr)
            continue
        # Of the acquire run's frames: how many the gate held (the rest applied at once).
        acq = [t for (name, _), t in zip(frames, applies) if name.startswith("acquire-")]
        comp_counts[mode] = (sum(1 for t in acq if t is not None), len(acq))
        for i, ((name, row), t) in enumerate(zip(frames, applies)):
            if t is None:
                continue
            if name.startswith("acquire-"):
                sig = ns(row, "acquire_signal_ns")
                if sig is not None:
                    comp_signal.setdefault(mode, []).append(t - sig)
                    samples.append(("gate_apply_after_signal", mode, "", i, t - sig))
                    woke, unlocking, current = splits[i]
                    if current is not None:
                        comp_current.setdefault(mode, []).append(current - sig)
                        samples.append(("gate_current_after_signal", mode, "", i,
                                        current - sig))
                    if woke is not None:
                        comp_split.setdefault(mode, []).append(
                            (woke - sig, unlocking - woke, t - unlocking,
                             None if current is None else current - unlocking))
                        samples.append(("gate_woke_after_signal", mode, "", i, woke - sig))
                        samples.append(("gate_unlock_after_signal", mode, "", i,
                                        unlocking - sig))
            else:
                later = int(re.search(r"-(\d+)\.csv$", name).group(1))
                imported = ns(row, "later_import_ns")
                # A later fence imported after the apply tests nothing: left out, counted.
                if imported is None or imported > t:
                    late_imports[mode] = late_imports.get(mode, 0) + 1
                    continue
                v = t - ns(row, "commit_ns")
                comp_sweep.setdefault(mode, {}).setdefault(later, []).append(v)
                samples.append(("gate_later_apply_after_commit", mode, later, i, v))

    after_signal, after_commit_acq, before_signal = {}, {}, {}
    for mode in MODES:
        path = os.path.join(raw, f"acquire-{mode}.csv")
        if not os.path.exists(path):
            continue
        rows = read_frames(path)
        for i, (row, rel) in enumerate(applied(rows, RELEASE_COLUMN.get(mode, "release_ns"))):
            sig, com = ns(row, "acquire_signal_ns"), ns(row, "commit_ns")
            after_commit_acq.setdefault(mode, []).append(rel - com)
            samples.append(("apply_after_commit", mode, "", i, rel - com))
            if sig is not None:
                after_signal.setdefault(mode, []).append(rel - sig)
                before_signal.setdefault(mode, []).append(rel < sig)
                samples.append(("apply_after_signal", mode, "", i, rel - sig))

    sweep = {}  # mode -> {later_ms: [apply after commit ns]}
    for mode in MODES:
        for path in glob.glob(os.path.join(raw, f"later-{mode}-*.csv")):
            later = int(re.search(r"-(\d+)\.csv$", path).group(1))
            for i, (row, rel) in enumerate(applied(read_frames(path))):
                v = rel - ns(row, "commit_ns")
                sweep.setdefault(mode, {}).setdefault(later, []).append(v)
                samples.append(("later_apply_after_commit", mode, later, i, v))

    os.makedirs(os.path.dirname(os.path.abspath(out_csv)), exist_ok=True)
    with open(out_csv, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["experiment", "mode", "later_ms", "sample", "ns"])
        w.writerows(samples)

    # Syscalls per commit: gated minus ungated, over the commits the client made.
    strace = {}
    for path in sorted(glob.glob(os.path.join(raw, "strace-*.strace"))):
        name = os.path.basename(path)[len("strace-"):-len(".strace")]
        commits = len(read_frames(os.path.join(raw, f"strace-{name}.csv")))
        strace[name] = (commits, read_strace(path), read_trace_calls(path))
    sys_csv = os.path.join(os.path.dirname(os.path.abspath(out_csv)), "gate-syscalls.csv")
    with open(sys_csv, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["run", "commits", "syscall", "calls"])
        for name, (commits, _, calls) in strace.items():
            for sc, n in sorted(calls.items()):
                w.writerow([name, commits, sc, n])

    def per_commit(gated, base):
        gc, gsum, gcalls = strace[gated]
        bc, bsum, bcalls = strace[base]
        total = sum(gsum.values()) / gc - sum(bsum.values()) / bc
        diff = {sc: gcalls.get(sc, 0) / gc - bcalls.get(sc, 0) / bc
                for sc in set(gcalls) | set(bcalls)}
        top = sorted(((d, sc) for sc, d in diff.items() if abs(d) >= 0.3), reverse=True)
        # Each held commit's fd goes into the gate's epoll set once, with EPOLLONESHOT.
        add = "epoll_ctl ADD ONESHOT"
        held = gcalls.get(add, 0) - bcalls.get(add, 0) * gc / bc
        return total, ", ".join(f"{sc} {d:+.1f}" for d, sc in top), held

    ms = lambda v: v / 1e6  # noqa: E731
    us = lambda v: v / 1e3  # noqa: E731
    lines = []
    lines.append("Floor (same guest run; one process signals, the other wakes in epoll_wait):")
    lines.append("")
    lines.append("| floor | wake median / p90 (µs) | wake + reply round trip median / p90 (µs) "
                 "| n |")
    lines.append("|---|---:|---:|---:|")
    for kind in FLOOR_KINDS:
        if (kind, "wake") not in floor:
            continue
        w_, r_ = floor[(kind, "wake")], floor[(kind, "roundtrip")]
        lines.append(f"| {kind}, waiter asleep 2 ms | {us(median(w_)):.0f} / "
                     f"{us(percentile(w_, 90)):.0f} "
                     f"| {us(median(r_)):.0f} / {us(percentile(r_, 90)):.0f} | {len(w_)} |")
    for mode, fl in mode_floor.items():
        for kind in FLOOR_KINDS:
            if (kind, "wake") not in fl:
                continue
            w_, r_ = fl[(kind, "wake")], fl[(kind, "roundtrip")]
            lines.append(f"| {kind}, before and after {mode}, asleep {FENCE_DELAY_MS} ms "
                         f"| {us(median(w_)):.0f} / "
                         f"{us(percentile(w_, 90)):.0f} | {us(median(r_)):.0f} / "
                         f"{us(percentile(r_, 90)):.0f} | {len(w_)} |")
    lines.append("")

    def floor_of(mode, kind, what="wake"):
        """The floor next to the mode's run if it was measured there, else the run's first."""
        fl = mode_floor.get(mode, floor)
        return median(fl[(kind, what)])

    def same_kind(mode):
        """The floor of the mode's own fence: a syncobj point's eventfd, else a sync_file."""
        kind = "syncobj" if mode == "syncobj" else "sync_file"
        return kind if (kind, "wake") in mode_floor.get(mode, floor) else "sync_file"
    slopes = {}
    if after_signal:
        lines.append("Apply latency after the acquire fence signals (sw_sync signal in the client -> "
                     "the gate's apply in the compositor, `-d` log; and -> the client receiving "
                     "the release of the previous buffer: wl_buffer.release, for explicit "
                     "zwp_linux_buffer_release_v1), and, for "
                     "the implicit modes, apply time after the commit vs a later write fence's "
                     "delay L (0–200 ms):")
        lines.append("")
        lines.append("| mode | gate apply after signal median / p90 (µs) | ratio to eventfd wake "
                     "/ its own fence's wake (sync_file; syncobj: the point's eventfd) | client sees it (release) median / p90 (µs) | ratio to "
                     "eventfd round trip | slope vs L: fit / ends "
                     "| apply at L=0 / L=200 median (ms) | n (commits held of sent) |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        slopes = {}
        for mode in MODES:
            src = comp_sweep.get(mode) or sweep.get(mode, {})
            xs = sorted(src)
            if xs:
                meds = [ms(median(src[x])) for x in xs]
                fit = [(x, m) for x, m in zip(xs, meds) if x >= FIT_FROM_MS]
                slopes[mode] = slope([x for x, _ in fit], [m for _, m in fit])
                # Least squares over every L, and end to end (L = 200 vs 0).
                ends_slope = (meds[-1] - meds[0]) / (xs[-1] - xs[0])
                sw = f"{slopes[mode]:.3f} / {ends_slope:.3f}" + (
                    "" if comp_sweep.get(mode) else " (release)")
                ends = f"{meds[0]:.2f} / {meds[-1]:.2f}"
            else:
                sw = ends = "-"
            v = after_signal.get(mode, [])
            n = len(v)
            if not v:
                continue  # not run (SB_GATE_BENCH_MODES)
            if mode == "none":
                early = sum(before_signal.get(mode, []))
                c = after_commit_acq[mode]
                lines.append(f"| {mode} | not gated | - | released before the signal in {early}/{n} "
                             f"(commit + {us(median(c)):.0f} µs median) | - | {sw} | {ends} "
                             f"| {n} |")
                continue
            g = comp_signal.get(mode)
            if g:
                held, total = comp_counts[mode]
                gcell = f"{us(median(g)):.0f} / {us(percentile(g, 90)):.0f}"
                gratio = (f"{median(g) / floor_of(mode, 'eventfd'):.2f} / "
                          f"{median(g) / floor_of(mode, same_kind(mode)):.2f}")
            else:
                gcell = gratio = "-"
            # Released before the signal would mean the release does not mark the apply.
            early = sum(before_signal.get(mode, []))
            via = f"{RELEASE_NAME[mode]}: " if mode in RELEASE_NAME else ""
            lines.append(f"| {mode} | {gcell} | {gratio} | {via}{us(median(v)):.0f} / "
                         f"{us(percentile(v, 90)):.0f} ({early} of {n} before the signal) "
                         f"| {median(v) / floor_of(mode, 'eventfd', 'roundtrip'):.2f} | {sw} "
                         f"| {ends} "
                         f"| {comp_counts[mode][0] if g else 0} held of "
                         f"{comp_counts[mode][1] if g else n + 1} |")
        lines.append("")
        if comp_split:
            lines.append("Where the gate's apply latency goes (medians of each part over the "
                         "held commits, µs): the kernel's wakeup of the compositor (signal -> "
                         "the event loop calls the gate), the gate's own work (its epoll set, "
                         "the waiter, until it calls `wlr_surface_unlock_cached()`), and "
                         "wlroots' state apply (the commit handlers, the new texture, the "
                         "previous buffer's release):")
            lines.append("")
            lines.append("| mode | signal -> gate called | -> unlock (gate's work) "
                         "| -> applied (wlroots' apply) | of which until the state is current "
                         "| eventfd / own fence's wake next to it "
                         "| signal -> unlock / eventfd wake "
                         "| signal -> current / eventfd wake / own fence's wake "
                         "| signal -> applied / eventfd wake / own fence's wake |")
            lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
            for mode in MODES:
                parts = comp_split.get(mode)
                if not parts:
                    continue
                a, b, c = ([p[k] for p in parts] for k in range(3))
                cur_part = [p[3] for p in parts if p[3] is not None]
                to_unlock = [x + y for x, y in zip(a, b)]
                ew = floor_of(mode, "eventfd")
                ow = floor_of(mode, same_kind(mode))
                cur = comp_current.get(mode)
                cur_cell = f"{us(median(cur_part)):.0f}" if cur_part else "-"
                cur_ratio = (f"{median(cur) / ew:.2f} / {median(cur) / ow:.2f}"
                             if cur else "-")
                lines.append(f"| {mode} | {us(median(a)):.0f} | {us(median(b)):.0f} "
                             f"| {us(median(c)):.0f} | {cur_cell} "
                             f"| {us(ew):.0f} / {us(ow):.0f} ({same_kind(mode)}) "
                             f"| {median(to_unlock) / ew:.2f} "
                             f"| {cur_ratio} "
                             f"| {median(comp_signal[mode]) / ew:.2f} / "
                             f"{median(comp_signal[mode]) / ow:.2f} |")
            lines.append("")
        lines.append(f"Slope: fit = least squares over the per-L medians for L ≥ {FIT_FROM_MS} ms "
                     "(the acquire fence signals at 30 ms), ends = (L=200 − L=0) / 200. Sweep "
                     "commits left out because the client imported the later fence only after the "
                     "gate had applied them: " + (", ".join(
                         f"{m} {late_imports.get(m, 0)}" for m in ("snapshot", "poll"))) + ".")
        lines.append("")
    n_commits = min((c for c, _, _ in strace.values()), default=0)
    lines.append("Compositor syscalls per gated commit (strace -C -f on syncbridge, "
                 f"{n_commits} commits per run, difference of totals / commits):")
    lines.append("")
    lines.append("| gated run | minus ungated run | syscalls per commit | commits held (est.) "
                 "| differences per commit (≥ 0.3) |")
    lines.append("|---|---|---:|---:|---|")
    for gated in ("gated-snapshot", "gated-poll"):
        for base in ("ungated-none", "ungated-shm"):
            if gated in strace and base in strace:
                total, top, held = per_commit(gated, base)
                held_cell = f"{held:.0f} of {strace[gated][0]}"
                lines.append(f"| {gated[6:]} (udmabuf, fence 500 ms) | {base[8:]} "
                             f"({'udmabuf, same fences' if base == 'ungated-none' else 'wl_shm'})"
                             f" | {total:.1f} | {held_cell} | {top} |")
    table = "\n".join(lines)
    print(table)

    if readme:
        replace_table(readme, "gate-table", table)

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("gate_report: no matplotlib (use /usr/bin/python3): no plot", file=sys.stderr)
        return
    colors = {"snapshot": "tab:blue", "poll": "tab:orange", "syncobj": "tab:green",
              "explicit": "tab:red", "none": "tab:gray"}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 7))
    def cdf(ax, values, **kw):
        v = sorted(us(x) for x in values)
        ax.plot(v, [(i + 1) / len(v) for i in range(len(v))], **kw)

    for mode in GATED:
        if comp_signal.get(mode):
            cdf(ax1, comp_signal[mode], color=colors[mode],
                label=f"{mode}: gate applies (median {us(median(comp_signal[mode])):.0f} µs)")
        if after_signal.get(mode):
            cdf(ax1, after_signal[mode], color=colors[mode], alpha=0.5, linestyle="--",
                label=f"{mode}: client gets the {RELEASE_NAME.get(mode, 'release')} "
                      f"(median {us(median(after_signal[mode])):.0f} µs)")
    # The floors next to the modes (waiter asleep as long as the compositor), pooled.
    pooled = {}
    for fl in mode_floor.values():
        for key, v in fl.items():
            pooled.setdefault(key, []).extend(v)
    pooled = pooled or floor
    for (kind, what), style in ((("eventfd", "wake"), ":"), (("sync_file", "wake"), (0, (1, 4))),
                                (("syncobj", "wake"), (0, (3, 1, 1, 1))),
                                (("eventfd", "roundtrip"), "--"),
                                (("sync_file", "roundtrip"), "-.")):
        if (kind, what) not in pooled:
            continue
        v = sorted(us(x) for x in pooled[(kind, what)])
        ax1.plot(v, [(i + 1) / len(v) for i in range(len(v))], color="black", linestyle=style,
                 label=f"floor: {kind} {what.replace('roundtrip', 'round trip')}, "
                       f"asleep {FENCE_DELAY_MS if mode_floor else 2} ms "
                       f"(median {us(median(pooled[(kind, what)])):.0f} µs)")
    ax1.set_xscale("log")
    ax1.set_xlabel("µs (log)")
    ax1.set_ylabel("fraction of samples")
    ax1.set_title("Apply latency after the acquire fence signals (CDF)")
    ax1.legend(fontsize=7, loc="upper left", bbox_to_anchor=(0, -0.13), ncol=2)
    ax1.grid(alpha=0.3)
    for mode in MODES:
        src = comp_sweep.get(mode) or sweep.get(mode, {})
        xs = sorted(src)
        if not xs:
            continue
        med = [ms(median(src[x])) for x in xs]
        lo = [ms(percentile(src[x], 10)) for x in xs]
        hi = [ms(percentile(src[x], 90)) for x in xs]
        what = "gate's apply" if comp_sweep.get(mode) else "client's release, not gated"
        ax2.plot(xs, med, marker="o", color=colors[mode],
                 label=f"{mode}: {what} (slope {slopes[mode]:.3f})")
        ax2.fill_between(xs, lo, hi, color=colors[mode], alpha=0.2)
    ax2.set_xlabel("later write fence signalled L ms after the commit")
    ax2.set_ylabel("apply after the commit, ms (median, p10–p90)")
    ax2.set_title("Implicit modes: apply time vs a later write fence")
    ax2.legend(fontsize=8)
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out_png, dpi=110)
    print(f"gate_report: {out_csv}, {sys_csv}, {out_png}", file=sys.stderr)


if __name__ == "__main__":
    main()
