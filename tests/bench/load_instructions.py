#!/usr/bin/env python3
"""The load benchmark's instruction counts (tests/bench/README.md, "Instructions per surface
frame"): reads the callgrind profiles run-load-instructions.sh left in RAW_DIR, with sb_load's
summary line beside each, and writes the CSV, the plot and the README table.
usage: load_instructions.py RAW_DIR CSV PNG README"""
import collections
import csv
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from benchstats import replace_table  # noqa: E402

# Where the instructions go, by the shared object they run in; "the compositor" is its own code:
# the binary, and weston's libweston and modules.
GROUPS = [("pixman", ("libpixman",)), ("libwayland", ("libwayland-server",)),
          ("libffi", ("libffi",)), ("libc", ("libc.so", "libm.so")), ("wlroots", ("libwlroots",)),
          ("the compositor", ("libweston", "libexec_weston", "desktop-shell"))]
# What the syncbridge variants of run-load-instructions.sh are.
VARIANTS = {"plain": "as built", "wlroots-path": "SB_PIXMAN_PLAIN=0: wlroots' transform",
            "libffi": "SB_WL_DISPATCH=0: wl_surface through libffi",
            "baseline": "baseline commit"}
COLOURS = {"pixman": "tab:orange", "libwayland": "tab:blue", "libffi": "tab:cyan",
           "libc": "tab:gray", "wlroots": "tab:green", "the compositor": "tab:red", "other": "k"}


def self_cost_by_object(path):
    """Instructions executed in each shared object (self cost: calls' inclusive lines left out)."""
    names, cost = {}, collections.Counter()
    ob = None
    after_calls = False
    with open(path, errors="replace") as f:
        for line in f:
            # ob= and cob= share one name table: an object is named where it first appears.
            if line.startswith(("ob=", "cob=")):
                m = re.match(r"c?ob=\((\d+)\)(?: (.*))?", line.rstrip("\n"))
                if m.group(2):
                    names[m.group(1)] = m.group(2)
                if line.startswith("ob="):
                    ob = m.group(1)
                continue
            if line.startswith("calls="):
                after_calls = True
                continue
            if line[:1] in "0123456789+-*":
                parts = line.split()
                if len(parts) >= 2 and not after_calls and ob is not None:
                    cost[ob] += int(parts[1])
                after_calls = False
    return collections.Counter({names.get(k, k): n for k, n in cost.items()})


def group_of(obj, compositor_binary):
    base = os.path.basename(obj)
    if compositor_binary and base == compositor_binary:
        return "the compositor"
    for name, prefixes in GROUPS:
        if base.startswith(prefixes):
            return name
    return "other"


def read_runs(raw):
    runs = []
    for name in sorted(os.listdir(raw)):
        if not name.endswith(".summary"):
            continue
        label = name[:-len(".summary")]
        with open(os.path.join(raw, name)) as f:
            fields = dict(kv.split("=", 1) for kv in f.read().split() if "=" in kv)
        profile = os.path.join(raw, fields["profile"])
        by_obj = self_cost_by_object(profile)
        groups = collections.Counter()
        for obj, n in by_obj.items():
            groups[group_of(obj, fields.get("binary"))] += n
        frames = int(fields["frames"])
        total = sum(groups.values())
        runs.append({"label": label, "compositor": fields["compositor"],
                     "variant": fields.get("variant", ""), "surfaces": int(fields["surfaces"]),
                     "frames": frames, "instructions": total,
                     "per_frame": round(total / frames) if frames else 0,
                     "groups": {g: round(n / frames) if frames else 0 for g, n in groups.items()}})
    return runs


def write_csv(runs, path):
    names = [g for g, _ in GROUPS] + ["other"]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["label", "compositor", "variant", "surfaces", "frames", "instructions",
                    "per_surface_frame"] + ["per_surface_frame_" + n.replace(" ", "_")
                                            for n in names])
        for r in runs:
            w.writerow([r["label"], r["compositor"], r["variant"], r["surfaces"], r["frames"],
                        r["instructions"], r["per_frame"]] + [r["groups"].get(n, 0) for n in names])


def table(runs):
    best_peer = min((r["per_frame"] for r in runs if r["compositor"] != "syncbridge"),
                    default=None)
    names = [g for g, _ in GROUPS if any(r["groups"].get(g) for r in runs)]
    lines = ["| compositor | instructions per surface frame | ÷ the better peer | " +
             " | ".join(names) + " |",
             "|---|---:|---:|" + "---:|" * len(names)]
    for r in runs:
        who = r["compositor"] + (" (%s)" % VARIANTS.get(r["variant"], r["variant"])
                                 if r["variant"] else "")
        ratio = "%.2f" % (r["per_frame"] / best_peer) if best_peer else "-"
        lines.append("| %s | %d | %s | %s |" % (who, r["per_frame"], ratio, " | ".join(
            str(r["groups"].get(n, 0)) for n in names)))
    return "\n".join(lines) + "\n"


def plot(runs, png):
    names = [g for g, _ in GROUPS if any(r["groups"].get(g) for r in runs)]
    if any(r["groups"].get("other") for r in runs):
        names.append("other")
    fig, ax = plt.subplots(figsize=(10, 0.6 * len(runs) + 2.2))
    labels = [r["compositor"] + ("\n" + VARIANTS.get(r["variant"], r["variant"])
                                 if r["variant"] else "") for r in runs]
    left = [0] * len(runs)
    for n in names:
        vals = [r["groups"].get(n, 0) for r in runs]
        ax.barh(labels, vals, left=left, color=COLOURS[n], label=n)
        left = [a + b for a, b in zip(left, vals)]
    for i, r in enumerate(runs):
        ax.text(left[i], i, " %d" % r["per_frame"], va="center", fontsize=9)
    ax.invert_yaxis()
    ax.set_xlabel("instructions per surface frame (callgrind; 32x32 ARGB sub-surfaces at 60 Hz, "
                  "%s surfaces, wl_shm)" % ",".join(sorted({str(r["surfaces"]) for r in runs})))
    ax.set_title("Where each compositor spends its instructions per surface frame")
    ax.legend(fontsize=8, ncol=len(names), loc="upper center", bbox_to_anchor=(0.5, -0.16))
    ax.set_xlim(0, max(left) * 1.15 if left else 1)
    fig.tight_layout()
    fig.savefig(png, dpi=100)


def main():
    raw, csv_path, png, readme = sys.argv[1:5]
    runs = read_runs(raw)
    if not runs:
        print("load_instructions: no runs in " + raw, file=sys.stderr)
        return 1
    order = {"syncbridge": 0, "weston": 1, "sway": 2}
    runs.sort(key=lambda r: (order.get(r["compositor"], 9), r["variant"]))
    write_csv(runs, csv_path)
    plot(runs, png)
    text = table(runs)
    print(text)
    if not replace_table(readme, "load-instructions-table", text):
        print("load_instructions: %s has no load-instructions-table markers" % readme,
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
