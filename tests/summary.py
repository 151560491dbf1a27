#!/usr/bin/env python3
"""Counts every test of a run: meson's testlog.json files (TAP tests by subtest, others as one)
and plain TAP files (the VM run). Prints one table, a line counting the expected failures, and
the closing line "total: N passed, N failed, N skipped"; exits 1 if anything failed or a file is
missing.

An expected failure (TAP "not ok ... # TODO", meson's EXPECTEDFAIL) is counted apart: it is
neither a pass nor a failure. The closing line keeps the plain form CI systems read ("N passed,
N failed, N skipped" alone on the line), so the expected failures get the line before it."""
import json
import re
import sys

TAP_PLAN = re.compile(r"^1\.\.\d+", re.MULTILINE)
TAP_LINE = re.compile(r"^(not ok|ok)\b[^#]*(#\s*(SKIP|TODO)\b.*)?", re.IGNORECASE)


def count_tap(text):
    """(passed, failed, skipped, expected failures) of one TAP stream."""
    passed = failed = skipped = xfail = 0
    for line in text.splitlines():
        m = TAP_LINE.match(line)
        if not m:
            continue
        directive = (m.group(3) or "").upper()
        if directive == "SKIP":
            skipped += 1
        elif m.group(1) == "ok":
            passed += 1  # "ok # TODO" too: it ran and passed
        elif directive == "TODO":
            xfail += 1
        else:
            failed += 1
    return passed, failed, skipped, xfail


def count_meson(path):
    passed = failed = skipped = xfail = 0
    with open(path) as f:
        for line in f:
            entry = json.loads(line)
            result = entry["result"]
            # testlog.json does not say the protocol: a TAP plan line in the output does.
            is_tap = TAP_PLAN.search(entry.get("stdout") or "")
            if is_tap and result not in ("TIMEOUT", "ERROR"):
                p, fl, s, x = count_tap(entry.get("stdout", ""))
                if result == "FAIL" and fl == 0:
                    fl = 1  # a crash or a short plan: no "not ok" line to count
                passed, failed, skipped, xfail = passed + p, failed + fl, skipped + s, xfail + x
            elif result == "OK":
                passed += 1
            elif result == "EXPECTEDFAIL":
                xfail += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
    return passed, failed, skipped, xfail


def main(paths):
    total = [0, 0, 0, 0]
    status = 0
    print(f"{'source':48} {'passed':>7} {'failed':>7} {'skipped':>8} {'expected failures':>18}")
    for path in paths:
        try:
            if path.endswith(".json"):
                counts = count_meson(path)
            else:
                with open(path) as f:
                    counts = count_tap(f.read())
        except OSError as e:
            print(f"{path}: {e.strerror}")
            status = 1
            continue
        print(f"{path:48} {counts[0]:7} {counts[1]:7} {counts[2]:8} {counts[3]:18}")
        total = [a + b for a, b in zip(total, counts)]
    print(f"expected failures: {total[3]} (known failures, each listed with its reason; "
          "not counted as passed)")
    print(f"total: {total[0]} passed, {total[1]} failed, {total[2]} skipped")
    return 1 if status or total[1] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
