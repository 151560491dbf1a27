#!/usr/bin/python3
"""Draws the demo's timeline: per client, what happened to each frame (commit, acquire fence
signalled, later fence signalled, frame callback = state applied and rendered, presented).
usage: timeline.py OUT.png CLIENT.csv...  (sb-client CSVs; Debian's python3-matplotlib)"""
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

EVENTS = [  # column, label, marker, colour
    ("commit_ns", "commit", "|", "black"),
    ("acquire_signal_ns", "acquire fence signalled", "v", "tab:blue"),
    ("later_signal_ns", "later fence signalled", "x", "tab:red"),
    ("frame_done_ns", "applied (frame callback)", "o", "tab:green"),
    ("presented_ns", "presented", "s", "tab:purple"),
]
WINDOW_MS = 600  # the first frames after every client is running


def load(path):
    with open(path, newline="") as f:
        return [r for r in csv.DictReader(f) if r.get("surface") == "0"]


def main(out, paths):
    clients = [(os.path.splitext(os.path.basename(p))[0], load(p)) for p in paths]
    t0 = max(int(rows[0]["commit_ns"]) for _, rows in clients if rows)
    fig, ax = plt.subplots(figsize=(12, 1.2 + 1.0 * len(clients)))
    seen = set()
    for y, (name, rows) in enumerate(clients):
        for col, label, marker, colour in EVENTS:
            xs = [(int(r[col]) - t0) / 1e6 for r in rows if r.get(col)]
            xs = [x for x in xs if 0 <= x <= WINDOW_MS]
            if xs:
                ax.scatter(xs, [y] * len(xs), marker=marker, color=colour, s=60,
                           label=None if label in seen else label)
                seen.add(label)
    ax.set_yticks(range(len(clients)), [n for n, _ in clients])
    ax.set_ylim(-0.5, len(clients) - 0.5)
    ax.set_xlabel("ms (CLOCK_MONOTONIC, from the last client's first commit)")
    ax.set_title("syncbridge demo: when each client's frames were committed, released by their "
                 "fences and shown")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=5, frameon=False)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    print(f"timeline: {out}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
