#!/usr/bin/python3
"""The load benchmark's report (tests/bench/README.md, "Load").

    load_report.py RAW_DIR CSV PNG README

RAW_DIR is what run-load-bench.sh wrote: summary.txt (one line per host run), guest/summary.txt
(the VM's runs), uptime.log. Writes CSV (every run), PNG (missed-frame fraction vs surfaces at
60 Hz and vs rate, one line per compositor; the compositors' CPU time per surface frame), and the
table between the load-table markers of README (appended at the end if they are missing); prints
the table.
"""
import csv
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from benchstats import replace_table  # noqa: E402

PEERS = ["syncbridge", "weston", "sway"]
COLOURS = {"syncbridge": "tab:blue", "weston": "tab:orange", "sway": "tab:green"}
GUEST_MODES = ["shm", "implicit", "explicit", "mix"]
GUEST_STYLES = {"shm": ("^:", "tab:gray"), "implicit": ("s--", "tab:purple"),
                "explicit": ("d--", "tab:red"), "mix": ("o-.", "tab:brown")}
FIELDS = ["where", "sweep", "compositor", "rep", "surfaces", "clients", "rate_hz", "seconds",
          "commits", "frames", "expected", "missed", "late", "no_buffer", "missed_frac",
          "max_gap_us", "median_gap_ms", "client_cpu_pct", "compositor_cpu_pct",
          "compositor_us_per_frame", "loadavg", "status", "best"]


def parse_summary(path, where_default):
    runs = []
    if not os.path.exists(path):
        return runs
    with open(path) as f:
        for line in f:
            kv = dict(re.findall(r"(\w+)=(\S+)", line))
            if "surfaces" not in kv:
                continue
            r = {k: kv.get(k, "") for k in FIELDS}
            r["where"] = kv.get("where", where_default)
            r["rep"] = kv.get("rep", "1")
            expected = int(kv.get("expected", 0))
            missed = int(kv.get("missed", 0))
            status = int(kv.get("status", 2))
            r["missed_frac"] = (missed / expected) if expected and status <= 1 else 1.0
            cpu = kv.get("compositor_cpu_pct")
            frames = int(kv.get("frames", 0))
            seconds = float(kv.get("seconds", 0) or 0)
            if cpu and frames and seconds:
                # CPU time over the window / frames delivered in it.
                r["compositor_us_per_frame"] = round(float(cpu) / 100 * seconds * 1e6 / frames, 2)
            else:
                r["compositor_us_per_frame"] = ""
            runs.append(r)
    return runs


def mark_best(runs):
    """Per (where, sweep, compositor, surfaces, rate): the repetition with the fewest missed."""
    groups = {}
    for r in runs:
        key = (r["where"], r["sweep"], r["compositor"], int(r["surfaces"]), float(r["rate_hz"]))
        groups.setdefault(key, []).append(r)
    best = {}
    for key, rs in groups.items():
        b = min(rs, key=lambda r: (r["missed_frac"], -int(r["frames"])))
        for r in rs:
            r["best"] = 1 if r is b else 0
        best[key] = b
    return best


def largest_clean(best, where, sweep, comp, axis, one_hiccup=False):
    """Largest surfaces (or rate) with 0 missed frames (one_hiccup: at most one per surface in
    the window, what a single late output frame costs), below which every point passed too."""
    pts = sorted((k[3] if axis == "surfaces" else k[4], r)
                 for k, r in best.items() if k[:3] == (where, sweep, comp))
    ok = None
    for x, r in pts:
        missed = int(r["missed"]) if r["status"] in ("0", "1") else None
        if missed is None or missed > (int(r["surfaces"]) if one_hiccup else 0):
            break
        ok = x
    return ok, pts


def fmt_x(x):
    return "none" if x is None else ("%g" % x)


def table(best):
    lines = []
    host_surf = sorted({k[3] for k in best if k[:2] == ("host", "surfaces")})
    lines.append("Host (2 CPUs; each compositor on CPU 0, the wl_shm client on CPU 1, nice -19), "
                 "headless 1024x768 at 60 Hz, pixman; best of the repetitions of each point:")
    lines.append("")
    lines.append("| compositor | largest load with 0 missed frames (surfaces at 60 Hz) "
                 "| largest with ≤ 1 missed frame per surface (one late output frame in the "
                 "window) | rate sweep: largest Hz with 0 missed "
                 "| missed at 500 surfaces | CPU per surface frame at 500 (µs) "
                 "| CPU per surface frame at 1000 (µs) | at 1000, ÷ the better peer "
                 "| missed at 2000 surfaces |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")

    def us_at(comp, s):
        b = best.get(("host", "surfaces", comp, s, 60.0))
        return b["compositor_us_per_frame"] if b and b["compositor_us_per_frame"] != "" else None
    rate_s = sorted({k[3] for k in best if k[:2] == ("host", "rate")})
    for comp in PEERS:
        if not any(k[2] == comp and k[0] == "host" for k in best):
            continue
        s0, _ = largest_clean(best, "host", "surfaces", comp, "surfaces")
        s1, _ = largest_clean(best, "host", "surfaces", comp, "surfaces", True)
        r0, _ = largest_clean(best, "host", "rate", comp, "rate")
        b500 = best.get(("host", "surfaces", comp, 500, 60.0))
        m500 = "%.2f %%" % (100 * b500["missed_frac"]) if b500 else "-"
        c500 = str(b500["compositor_us_per_frame"]) if b500 else "-"
        rate_txt = ("%s (at %s surfaces)" % (fmt_x(r0), ",".join(str(x) for x in rate_s))
                    if rate_s else "not run")
        c1000 = us_at(comp, 1000)
        others = [us_at(c, 1000) for c in PEERS if c != comp and us_at(c, 1000)]
        ratio = "%.2f" % (c1000 / min(others)) if c1000 and others else "-"
        b2000 = best.get(("host", "surfaces", comp, 2000, 60.0))
        m2000 = ("%s of %s" % (b2000["missed"], b2000["expected"])) if b2000 else "not run"
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            comp, fmt_x(s0), fmt_x(s1), rate_txt, m500, c500, c1000 or "-", ratio, m2000))
    lines.append("")
    lines.append("Missed-frame fraction (best repetition) and the compositor's CPU time per "
                 "surface frame, at 60 Hz:")
    lines.append("")
    comps = [c for c in PEERS if any(k[2] == c and k[0] == "host" for k in best)]
    lines.append("| surfaces | " + " | ".join(comps) + " | machine floor (60 Hz timer) |")
    lines.append("|---:|" + "---:|" * (len(comps) + 1))
    for s in host_surf:
        cells = []
        for comp in comps:
            b = best.get(("host", "surfaces", comp, s, 60.0))
            if not b:
                cells.append("not run")
                continue
            cells.append("%.3f %% (%s µs)" % (100 * b["missed_frac"],
                                              b["compositor_us_per_frame"] or "-"))
        f = best.get(("host", "floor-surfaces", "floor", s, 60.0))
        cells.append("%.3f %%" % (100 * f["missed_frac"]) if f else "-")
        lines.append("| %d | %s |" % (s, " | ".join(cells)))
    if rate_s:
        lines.append("")
        lines.append("Rate sweep at %s surfaces (timer-driven above 60 Hz: a frame callback "
                     "per output frame, commits at the rate):" % ",".join(str(x) for x in rate_s))
        lines.append("")
        lines.append("| rate (Hz) | " + " | ".join(comps) + " | machine floor |")
        lines.append("|---:|" + "---:|" * (len(comps) + 1))
        for rate in sorted({k[4] for k in best if k[:2] == ("host", "rate")}):
            cells = []
            for comp in comps:
                b = [r for k, r in best.items() if k[:3] == ("host", "rate", comp) and k[4] == rate]
                cells.append("%.3f %% (commits %s)" % (100 * b[0]["missed_frac"], b[0]["commits"])
                             if b else "not run")
            f = [r for k, r in best.items() if k[:3] == ("host", "floor-rate", "floor")
                 and k[4] == rate]
            cells.append("%.3f %%" % (100 * f[0]["missed_frac"]) if f else "-")
            lines.append("| %g | %s |" % (rate, " | ".join(cells)))
    guest = sorted({(k[1], k[3]) for k in best if k[0] == "guest" and k[2] != "floor"})
    if guest:
        modes = [m for m in GUEST_MODES if any(g[0] == m for g in guest)]
        lines.append("")
        lines.append("Guest (QEMU TCG, 2 vCPUs, Linux 6.12; syncbridge on vCPU 0, the client on "
                     "vCPU 1), 60 Hz, the same surfaces with each kind of buffer: `shm` wl_shm; "
                     "`implicit` udmabuf with an implicit sw_sync write fence (the commit-time "
                     "snapshot); `explicit` udmabuf with a zwp_linux_explicit_synchronization_v1 "
                     "acquire fence; `mix` a third of each. Missed frames, the compositor's CPU "
                     "per surface frame, and for the dma-buf kinds what a commit costs over "
                     "wl_shm (µs, TCG: far slower than the host):")
        lines.append("")
        lines.append("| surfaces | " + " | ".join(
            "%s: missed | %s: CPU (µs)" % (m, m) + (" | %s over shm (µs)" % m if m != "shm"
                                                    else "") for m in modes)
            + " | guest floor |")
        lines.append("|---:|" + "---:|" * (sum(3 if m != "shm" else 2 for m in modes) + 1))
        for s in sorted({g[1] for g in guest}):
            cells = []
            shm = best.get(("guest", "shm", "syncbridge", s, 60.0))
            for mode in modes:
                b = best.get(("guest", mode, "syncbridge", s, 60.0))
                us = b["compositor_us_per_frame"] if b else None
                cells += ["%.2f %%" % (100 * b["missed_frac"]) if b else "not run",
                          str(us or "-")]
                if mode != "shm":
                    base = shm["compositor_us_per_frame"] if shm else None
                    cells.append("%+.1f" % (us - base) if us and base else "-")
            f = best.get(("guest", "floor-guest", "floor", s, 60.0))
            cells.append("%.2f %%" % (100 * f["missed_frac"]) if f else "-")
            lines.append("| %d | %s |" % (s, " | ".join(cells)))
    return "\n".join(lines) + "\n"


def plot(best, png):
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    ax = axes[0]
    for comp in PEERS:
        pts = sorted((k[3], r["missed_frac"]) for k, r in best.items()
                     if k[:3] == ("host", "surfaces", comp))
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", color=COLOURS[comp],
                    label=comp + " (host, shm)")
    for mode in GUEST_MODES:
        pts = sorted((k[3], r["missed_frac"]) for k, r in best.items()
                     if k[:3] == ("guest", mode, "syncbridge"))
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], GUEST_STYLES[mode][0],
                    color=GUEST_STYLES[mode][1], label="syncbridge (TCG guest, %s)" % mode)
    for where, sweep, style, what in [("host", "floor-surfaces", "x:", "host"),
                                      ("guest", "floor-guest", "+:", "TCG guest")]:
        pts = sorted((k[3], r["missed_frac"]) for k, r in best.items()
                     if k[:3] == (where, sweep, "floor"))
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, color="k",
                    alpha=1 if where == "host" else 0.5,
                    label="%s floor (60 Hz timer, no compositor)" % what)
    ax.axvline(500, color="k", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.set_ylim(0, 1)
    ax.set_xlabel("surfaces (32x32, each committing at 60 Hz)")
    ax.set_ylabel("missed-frame fraction (best repetition)")
    ax.set_title("missed frames vs surfaces, 60 Hz")
    ax.legend(fontsize=7, framealpha=0.85)
    ax.grid(True, which="both", alpha=0.3)

    ax = axes[1]
    if not any(k[:2] == ("host", "rate") for k in best):
        # No rate sweep in this run: the guest's CPU per surface frame for each buffer kind.
        for mode in GUEST_MODES:
            pts = sorted((k[3], r["compositor_us_per_frame"]) for k, r in best.items()
                         if k[:3] == ("guest", mode, "syncbridge")
                         and r["compositor_us_per_frame"] != "")
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], GUEST_STYLES[mode][0],
                        color=GUEST_STYLES[mode][1], label=mode)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("surfaces at 60 Hz (TCG guest)")
        ax.set_ylabel("syncbridge CPU time per surface frame (µs)")
        ax.set_title("cost per surface frame by buffer kind (guest)")
        ax.legend(fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
    else:
        for comp in PEERS:
            pts = sorted((k[4], r["missed_frac"]) for k, r in best.items()
                         if k[:3] == ("host", "rate", comp))
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", color=COLOURS[comp],
                        label=comp)
        pts = sorted((k[4], r["missed_frac"]) for k, r in best.items()
                     if k[:3] == ("host", "floor-rate", "floor"))
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "x:", color="k", label="machine floor")
        rate_s = sorted({k[3] for k in best if k[:2] == ("host", "rate")})
        ax.set_xscale("log")
        ax.set_yscale("symlog", linthresh=1e-3)
        ax.set_ylim(0, 1)
        ax.set_xlabel("commit rate per surface (Hz), %s surfaces" % ",".join(map(str, rate_s)))
        ax.set_ylabel("missed-frame fraction")
        ax.set_title("missed frames vs rate (host, shm)")
        ax.legend(fontsize=8)
        ax.grid(True, which="both", alpha=0.3)

    ax = axes[2]
    for comp in PEERS:
        pts = sorted((k[3], r["compositor_us_per_frame"]) for k, r in best.items()
                     if k[:3] == ("host", "surfaces", comp) and r["compositor_us_per_frame"] != "")
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", color=COLOURS[comp],
                    label=comp)
    ax.set_xscale("log")
    ax.set_xlabel("surfaces at 60 Hz")
    ax.set_ylabel("compositor CPU time per surface frame (µs)")
    ax.set_title("cost per surface frame (host, shm)")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(png, dpi=100)


def update_readme(readme, text):
    if replace_table(readme, "load-table", text):
        return
    with open(readme, encoding="utf-8") as f:
        doc = f.read()
    with open(readme, "w", encoding="utf-8") as f:
        f.write(doc.rstrip("\n") + "\n\n## Load\n\n<!-- load-table -->\n" + text.rstrip("\n")
                + "\n<!-- /load-table -->\n")


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    raw, out_csv, png, readme = sys.argv[1:]
    runs = parse_summary(os.path.join(raw, "summary.txt"), "host")
    runs += parse_summary(os.path.join(raw, "guest", "summary.txt"), "guest")
    if not runs:
        sys.exit("load_report: no runs in " + raw)
    best = mark_best(runs)
    os.makedirs(os.path.dirname(out_csv) or ".", exist_ok=True)
    with open(out_csv, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        for r in runs:
            r = dict(r)
            r["missed_frac"] = "%.6f" % r["missed_frac"]
            w.writerow(r)
    plot(best, png)
    text = table(best)
    update_readme(readme, text)
    print(text)


if __name__ == "__main__":
    main()
