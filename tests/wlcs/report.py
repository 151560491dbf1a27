#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Turns wlcs's gtest JSON into TAP, checked against the list of expected failures.

usage: report.py RESULT.json EXPECTED-FAILURES.txt WLCS-LOG

One TAP line per test: a pass is ok; a skip (a missing extension: wlcs's xfail, which wlcs 1.5
records as a failure with the "wlcs-skip-test" property) is ok # SKIP; an expected failure is
not ok # TODO with its reason. A listed test fails for its reason only if its gtest failure text
contains the reason's pattern; failing any other way, like any unlisted failure, it is not ok.
An expected failure that now passes is not ok too: the list must shrink when the compositor
improves. The last line checks the compositor itself ("sb-wlcs: compositor crashed" lines the
module writes when syncbridge did not exit cleanly after a test), then the summary. Exit status 1
if anything is unexpected.

EXPECTED-FAILURES.txt: a line starting with "#" is a comment. A reason is a block

    reason NAME
        match: TEXT   the gtest failure text must contain TEXT (runs of white space, line breaks
                      too, compare as one space)
        why: TEXT     one line, printed with the test's TODO

and every other line is a gtest name and the NAME of its reason. A test listed twice, a test
without a reason, an undefined reason, a reason without match or why, or defined twice, or that
no test uses, is an error in the file: "Bail out!" and exit status 2.
"""
import json
import os
import re
import sys


LOCATION = re.compile(r"^\S+:\d+$")  # gtest's "./tests/xdg_surface_stable.cpp:66" line


class ListError(Exception):
    pass


def squash(text):
    return " ".join(text.split())


def load_expected(path):
    """({test: reason name}, {reason name: {"match", "why", "line"}})"""
    tests, reasons = {}, {}
    current = None
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            where = f"{path}:{number}"
            line = raw.rstrip()
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line[0].isspace():
                key, sep, value = line.strip().partition(":")
                if current is None or not sep or key not in ("match", "why"):
                    raise ListError(f"{where}: expected '    match: TEXT' or '    why: TEXT' "
                                    "under a 'reason NAME' line")
                if key in current:
                    raise ListError(f"{where}: second '{key}' for one reason")
                if not value.strip():
                    raise ListError(f"{where}: empty '{key}'")
                current[key] = squash(value) if key == "match" else value.strip()
                continue
            words = line.split()
            if words[0] == "reason":
                if len(words) != 2:
                    raise ListError(f"{where}: expected 'reason NAME'")
                if words[1] in reasons:
                    raise ListError(f"{where}: reason '{words[1]}' is defined twice")
                current = reasons[words[1]] = {"line": where}
                continue
            current = None
            if len(words) != 2:
                raise ListError(f"{where}: expected 'TEST REASON', got '{line.strip()}'"
                                if len(words) > 2 else f"{where}: '{words[0]}' has no reason")
            name, reason = words
            if name in tests:
                raise ListError(f"{where}: '{name}' is listed twice")
            tests[name] = (reason, where)
    for name, reason in reasons.items():
        for key in ("match", "why"):
            if key not in reason:
                raise ListError(f"{reason['line']}: reason '{name}' has no '{key}:'")
    used = set()
    for name, (reason, where) in tests.items():
        if reason not in reasons:
            raise ListError(f"{where}: '{name}' refers to reason '{reason}', which is not defined")
        used.add(reason)
    for name in sorted(set(reasons) - used):
        raise ListError(f"{reasons[name]['line']}: no test is listed for reason '{name}'")
    return {name: reason for name, (reason, _) in tests.items()}, reasons


def failure_text(failures):
    return "\n".join(failure.get("failure", "") for failure in failures)


def first_line(failures):
    """The failure's first line that says something, after its location if gtest knows it."""
    for failure in failures:
        where = ""
        for line in failure.get("failure", "").splitlines():
            line = line.strip()
            if not line or line == "unknown file" or line.startswith("unknown file:"):
                continue
            if LOCATION.match(line) and not where:
                where = line + ": "
                continue
            return where + line
    return "failed"


def main():
    if len(sys.argv) != 4:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    result_path, expected_path, log_path = sys.argv[1:4]
    try:
        expected, reasons = load_expected(expected_path)
    except ListError as e:
        print(f"1..0\nBail out! {e}")
        print(f"report.py: {e}", file=sys.stderr)
        return 2
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
            elif reason is None:
                failed += 1
                unexpected += 1
                lines.append(f"not ok - {name} # unexpected failure: {first_line(failures)}")
            elif reasons[reason]["match"] in squash(failure_text(failures)):
                failed += 1
                expected_failed += 1
                lines.append(f"not ok - {name} # TODO expected ({reason}): "
                             f"{reasons[reason]['why']}")
            else:
                # Listed, but this is not the failure the reason names: a regression hiding
                # behind a known failure until its text says otherwise.
                failed += 1
                unexpected += 1
                lines.append(f"not ok - {name} # fails for another reason: {first_line(failures)}"
                             f" (listed for {reason}: expected '{reasons[reason]['match']}')")
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
