#!/usr/bin/python3
"""The acquire=kms benchmark's report: raw guest output -> CSVs, PNG plot and markdown table.

  tests/bench/kms_report.py RAW_DIR CSV_DIR PNG [README] [--fence-ms MS] [--rate HZ]

RAW_DIR is what `run-kms-bench.sh --guest` wrote: sb-client's kms-MODE.csv and the compositor's
syncbridge-MODE.log for MODE kms and cpu. Writes CSV_DIR/kms-frames.csv (every frame: the fence's
signal, the flip, the latency and the vblanks missed), CSV_DIR/kms-summary.csv (one row per
mode), PNG (needs matplotlib: run it with /usr/bin/python3), prints the table, and with README
replaces the text between the <!-- kms-table --> and <!-- /kms-table --> markers with it.

Latency is fence signal (sb-client signals its sw_sync fence and takes CLOCK_MONOTONIC) -> flip
(wp_presentation's timestamp, which wlroots' DRM backend takes from the page-flip event's
vblank time). A frame missed its vblank when the flip came at a later vblank than the first one
after the signal: counted from the presentation sequence (msc), and cross-checked as a latency
of more than one refresh. vkms stamps each vblank with its nominal time, while its hrtimer may
run late under a VM: a fence that signals after a vblank's nominal time but before vkms handled
it can still be flipped in it, which shows as a negative latency and as -1 vblanks late.
"""

import argparse
import csv
import math
import os
import re
import sys

from benchstats import median, percentile, read_frames, replace_table

MODES = ["kms", "cpu"]
HANDED = re.compile(r"acquire handed to KMS")
HELD = re.compile(r"commit \d+ held \([^)]*explicit\)")
APPLIED = re.compile(r"commit (\d+) released after .* applied at (\d+)\.(\d{9})")
EBUSY = re.compile(r"Atomic commit failed \(pageflip\): Device or resource busy")


def ns(row, key):
    return int(row[key]) if row.get(key) else None


def frames_of(rows):
    """Per frame: (frame, commit, signal, flip, refresh, msc) for presented frames with a
    signal; and the count of frames never presented."""
    out, lost = [], 0
    for r in rows:
        signal, flip = ns(r, "acquire_signal_ns"), ns(r, "presented_ns")
        if r["feedback"] != "presented" or flip is None or signal is None:
            lost += 1
            continue
        out.append((int(r["frame"]), ns(r, "commit_ns"), signal, flip, int(r["refresh_ns"]),
                    int(r["msc"])))
    return out, lost


def missed_vblanks(frames):
    """For each frame after the first, how many vblanks after the first one following its
    signal the flip came (0: on time), by presentation sequence: the vblank grid is anchored on
    the previous presented frame (its msc and vblank time), so this does not reuse the frame's
    own latency."""
    out = []
    for prev, cur in zip(frames, frames[1:]):
        _, _, _, t_prev, _, msc_prev = prev
        _, _, signal, _, refresh, msc = cur
        first = msc_prev + max(0, math.ceil((signal - t_prev) / refresh))
        out.append(msc - first)
    return out


def applied_times(path):
    """Frame number -> CLOCK_MONOTONIC ns at which the gate applied its held commit. A
    fullscreen sb-client's frame n is the surface's commit n + 2 (1: the buffer-less first)."""
    out = {}
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = APPLIED.search(line)
            if m:
                out[int(m.group(1)) - 2] = int(m.group(2)) * 1000000000 + int(m.group(3))
    return out


def count(pattern, path):
    if not os.path.exists(path):
        return 0
    with open(path, encoding="utf-8", errors="replace") as f:
        return sum(1 for line in f if pattern.search(line))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raw")
    ap.add_argument("csv_dir")
    ap.add_argument("png")
    ap.add_argument("readme", nargs="?")
    ap.add_argument("--fence-ms", type=float, default=20)
    ap.add_argument("--rate", type=float, default=25)
    args = ap.parse_args()

    per_mode, summary = {}, []
    for mode in MODES:
        path = os.path.join(args.raw, f"kms-{mode}.csv")
        if not os.path.exists(path):
            sys.exit(f"kms_report: {path} missing: nothing written")
        rows = read_frames(path)
        frames, lost = frames_of(rows)
        missed = missed_vblanks(frames)
        lat = [(flip - signal) / 1e6 for _, _, signal, flip, _, _ in frames]
        refresh = median([f[4] for f in frames]) / 1e6 if frames else float("nan")
        over_refresh = sum(1 for x in lat if x > refresh)
        log = os.path.join(args.raw, f"syncbridge-{mode}.log")
        per_mode[mode] = (frames, missed, lat)
        applied = applied_times(log)
        split = [((applied[f] - signal) / 1e6, (flip - applied[f]) / 1e6)
                 for f, _, signal, flip, _, _ in frames if f in applied and applied[f] >= signal]
        summary.append({
            "mode": mode, "frames": len(rows), "presented": len(frames), "not_presented": lost,
            "latency_median_ms": f"{median(lat):.3f}" if lat else "",
            "latency_p90_ms": f"{percentile(lat, 90):.3f}" if lat else "",
            "latency_max_ms": f"{max(lat):.3f}" if lat else "",
            "missed_vblank": sum(1 for m in missed if m > 0), "judged": len(missed),
            "missed_2plus": sum(1 for m in missed if m > 1),
            "before_nominal": sum(1 for m in missed if m < 0),
            "over_one_refresh": over_refresh, "refresh_ms": f"{refresh:.3f}",
            "handed_to_kms": count(HANDED, log), "held": count(HELD, log),
            "flips_refused": count(EBUSY, log),
            "signal_to_apply_median_ms": f"{median([a for a, _ in split]):.3f}" if split else "",
            "apply_to_flip_median_ms": f"{median([b for _, b in split]):.3f}" if split else "",
            "split_n": len(split),
        })

    os.makedirs(args.csv_dir, exist_ok=True)
    with open(os.path.join(args.csv_dir, "kms-frames.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["mode", "frame", "commit_ns", "signal_ns", "flip_ns", "msc",
                    "latency_ns", "missed_vblanks"])
        for mode, (frames, missed, _) in per_mode.items():
            for (frame, commit, signal, flip, _, msc), m in zip(frames[1:], missed):
                w.writerow([mode, frame, commit, signal, flip, msc, flip - signal, m])
    with open(os.path.join(args.csv_dir, "kms-summary.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(summary[0].keys()) if summary else ["mode"])
        w.writeheader()
        w.writerows(summary)

    table = [
        f"vkms 640x480 (refresh {summary[0]['refresh_ms'] if summary else '?'} ms), one "
        f"fullscreen sb-client scanned out directly, {args.rate:g} Hz, each frame's explicit "
        f"acquire fence signalled {args.fence_ms:g} ms after its commit; one guest run:",
        "",
        "| acquire | fence signal -> flip median / p90 (ms) | max (ms) | missed their vblank "
        "(presentation seq) | 2+ vblanks late | flipped in the vblank the signal fell in | "
        "> 1 refresh after the signal | not presented | commits handed to KMS / held on the "
        "CPU | page flips refused (EBUSY) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in summary:
        table.append(
            f"| {s['mode']} | {s['latency_median_ms']} / {s['latency_p90_ms']} | "
            f"{s['latency_max_ms']} | {s['missed_vblank']} of {s['judged']} | "
            f"{s['missed_2plus']} | {s['before_nominal']} | {s['over_one_refresh']} | "
            f"{s['not_presented']} of {s['frames']} | {s['handed_to_kms']} / {s['held']} | "
            f"{s['flips_refused']} |")
    for s in summary:
        if s["split_n"] >= s["presented"] // 2:
            table.append("")
            table.append(
                f"acquire={s['mode']}, where the latency goes (`-d` log, {s['split_n']} held "
                f"commits): fence signal -> the gate applies the commit median "
                f"{s['signal_to_apply_median_ms']} ms, applied -> flip median "
                f"{s['apply_to_flip_median_ms']} ms.")
    text = "\n".join(table) + "\n"
    print(text)
    if args.readme and not replace_table(args.readme, "kms-table", text):
        print(f"kms_report: no <!-- kms-table --> markers in {args.readme}")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    colours = {"kms": "tab:blue", "cpu": "tab:orange"}
    for mode, (frames, missed, lat) in per_mode.items():
        if not lat:
            continue
        s = sorted(lat)
        left.step(s, [(i + 1) / len(s) for i in range(len(s))], where="post",
                  color=colours[mode], label=f"acquire={mode} (n={len(s)})")
        hist = [sum(1 for m in missed if m < 0)]
        hist += [sum(1 for m in missed if m == k) for k in range(4)]
        hist.append(sum(1 for m in missed if m >= 4))
        offset = -0.2 if mode == "kms" else 0.2
        right.bar([k + offset for k in range(6)], hist, width=0.4, color=colours[mode],
                  label=f"acquire={mode}")
    if summary:
        refresh = float(summary[0]["refresh_ms"])
        left.axvline(refresh, color="grey", linestyle=":", label=f"one refresh ({refresh:.1f} ms)")
    left.set_xlabel("fence signal -> flip (ms)")
    left.set_ylabel("fraction of frames")
    left.set_title("Latency CDF")
    left.legend(loc="lower right", fontsize=8)
    right.set_xticks(range(6))
    right.set_xticklabels(["-1", "0", "1", "2", "3", "4+"])
    right.set_xlabel("vblanks late (0: the first vblank after the signal)")
    right.set_ylabel("frames")
    right.set_yscale("log")
    right.set_title("Missed vblanks")
    right.legend(fontsize=8)
    fig.suptitle("syncbridge on vkms: acquire=kms vs acquire=cpu, direct scanout")
    fig.tight_layout()
    fig.savefig(args.png, dpi=100)


if __name__ == "__main__":
    main()
