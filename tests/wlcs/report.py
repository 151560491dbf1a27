#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Turns wlcs's gtest JSON into TAP, checked against the list of expected failures.

usage: report.py RESULT.json EXPECTED-FAILURES.txt WLCS-LOG

One TAP line per test: a pass is ok; a skip (a missing extension: wlcs's xfail, which wlcs 1.5
records as a failure with the "wlcs-skip-test" property) is ok # SKIP; an expected failure is
not ok # TODO with its reason; anything else that fails is not ok. An expected failure that now
passes is not ok too: the list must shrink when the compositor improves. The last line checks the
compositor itself ("sb-wlcs: compositor crashed" lines the module writes when syncbridge did not
exit cleanly after a test), then the summary. Exit status 1 if anything is unexpected.
"""
import json
import os
import sys


def load_expected(path):
    expected = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, sep, reason = line.partition("#")
            name, reason = name.strip(), reason.strip()
            if not sep or not reason:
                sys.exit(f"{path}:{number}: '{name}' has no '# reason'")
            if name in expected:
                sys.exit(f"{path}:{number}: '{name}' is listed twice")
            expected[name] = reason
    return expected


def first_line(failures):
    for failure in failures:
        for line in failure.get("failure", "").splitlines():
            line = line.strip()
            if line and line != "unknown file" and not line.startswith("unknown file:"):
                return line
    return "failed"


def main():
    result_path, expected_path, log_path = sys.argv[1:4]
    expected = load_expected(expected_path)
    with open(result_path, encoding="utf-8") as f:
        result = json.load(f)
    with open(log_path, encoding="utf-8", errors="replace") as f:
        crashes = [line.strip() for line in f if line.startswith("sb-wlcs: compositor crashed")]

    lines = []
    passed = failed = expected_failed = skipped = unexpected = 0
    seen = set()
    for suite in result.get("testsuites", []):
        for test in suite.get("testsuite", []):
            name = f"{suite['name']}.{test['name']}"
            seen.add(name)
            if test.get("status") == "NOTRUN":
                continue
            failures = test.get("failures", [])
            reason = expected.get(name)
            # wlcs 1.5's xfail: a missing extension throws (a gtest failure) but says why here.
            if "wlcs-skip-test" in test or (test.get("result") == "SKIPPED" and not failures):
                skipped += 1
                why = test.get("wlcs-skip-test", "skipped")
                lines.append(f"ok - {name} # SKIP {why}")
            elif not failures and reason is None:
                passed += 1
                lines.append(f"ok - {name}")
            elif not failures:
                passed += 1
                unexpected += 1
                lines.append(f"not ok - {name} # passes now: remove it from {expected_path}")
            elif reason is not None:
                failed += 1
                expected_failed += 1
                lines.append(f"not ok - {name} # TODO expected: {reason}")
            else:
                failed += 1
                unexpected += 1
                lines.append(f"not ok - {name} # unexpected failure: {first_line(failures)}")
    # A --gtest_filter run (run.sh sets SB_WLCS_FILTERED) leaves listed tests out on purpose.
    stale = [] if os.environ.get("SB_WLCS_FILTERED") else sorted(set(expected) - seen)
    for name in stale:
        unexpected += 1
        lines.append(f"not ok - {name} # listed in {expected_path} but wlcs has no such test")
    lines.append(("ok" if not crashes else "not ok") +
                 f" - compositor exited cleanly after every test ({len(crashes)} did not)")
    unexpected += 1 if crashes else 0

    print(f"1..{len(lines)}")
    for number, line in enumerate(lines, 1):
        status, _, rest = line.partition(" - ")
        print(f"{status} {number} - {rest}")
    for crash in crashes[:20]:
        print(f"# {crash}")
    print(f"# wlcs: {passed} passed, {failed} failed ({expected_failed} expected), "
          f"{skipped} skipped")
    if unexpected:
        print(f"# {unexpected} unexpected result(s): see the not ok lines without TODO")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
