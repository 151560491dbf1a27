#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Host: tests/wlcs/report.py on hand-made gtest JSON, without wlcs. A listed test passes the
run only when it fails for its reason (the reason's match in its failure text); failing another
way, unlisted, passing, or listed but absent, it fails the run; a broken list is refused. TAP.
usage: report_test.py [REPORT.py]"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "lib"))
import taptest  # noqa: E402

test = taptest.Registry()

REPORT = os.path.realpath(sys.argv[1] if len(sys.argv) > 1 else
                          os.path.join(os.path.dirname(os.path.realpath(__file__)), "report.py"))
TMP = tempfile.mkdtemp(prefix="sb-wlcs-report-test-")

PROTOCOL_ERROR = ("unknown file\nC++ exception with description \"Wayland protocol error: 3 on "
                  "interface xdg_surface v1\" thrown in the test body.")
ASSERTION = ("./tests/xdg_toplevel_stable.cpp:464\nValue of: state.maximized\nExpected: is equal "
             "to true\n  Actual: false (of type bool)")
OTHER = ("./tests/xdg_toplevel_stable.cpp:130\nValue of: client.window_under_cursor()\n"
         "Expected: is equal to 0x1\n  Actual: NULL")

LIST = """# comment
reason early-attach
    match: Wayland protocol error: 3 on interface xdg_surface
    why: the test attaches before the first configure (#324)

# a comment inside the list
reason no-maximize
    match: Value of: state.maximized Expected: is equal to true Actual: false
    why: no maximize policy
S.early  early-attach
S.early_but_regressed  early-attach
S.maximize  no-maximize
"""


def case(name, failures=None, **extra):
    test = {"name": name, "status": "RUN", "result": "COMPLETED"}
    if failures:
        test["failures"] = [{"failure": text, "type": ""} for text in failures]
    test.update(extra)
    return test


def write(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def run(tests, listing=LIST, log="", env=None):
    result = write("result.json", json.dumps({"testsuites": [{"name": "S", "testsuite": tests}]}))
    p = subprocess.run([sys.executable, REPORT, result, write("expected.txt", listing),
                        write("wlcs.log", log)],
                       capture_output=True, text=True, env={**os.environ, **(env or {})})
    return p.returncode, p.stdout.splitlines()


def line_for(out, name):
    hits = [line for line in out if f" - {name} " in line + " "]
    assert len(hits) == 1, f"one line for {name} expected: {out}"
    return hits[0]


def listed(**kw):
    """The three listed tests, failing for their reasons unless kw replaces one."""
    tests = {"early": case("early", [PROTOCOL_ERROR]),
             "early_but_regressed": case("early_but_regressed", [PROTOCOL_ERROR]),
             "maximize": case("maximize", [ASSERTION])}
    tests.update(kw)
    return [t for t in tests.values() if t is not None]


@test
def failing_for_its_reason_is_an_expected_failure():
    rc, out = run(listed() + [case("passes")])
    assert rc == 0, out
    assert line_for(out, "S.early").startswith("not ok ") and \
        "# TODO expected (early-attach): the test attaches before the first configure (#324)" \
        in line_for(out, "S.early"), out
    assert "# TODO expected (no-maximize)" in line_for(out, "S.maximize"), out
    assert line_for(out, "S.passes").startswith("ok "), out
    assert "# wlcs: 1 passed, 3 failed (3 expected), 0 skipped" in out, out


@test
def the_match_spans_lines_and_any_failure_of_the_test():
    # An assertion's lines, white space squashed; the match is in the second failure.
    rc, out = run(listed(maximize=case("maximize", ["./x.cpp:1\nValue of: a\nExpected: 1",
                                                    ASSERTION.replace("\n", "\n\n  ")])))
    assert rc == 0, out
    assert "# TODO" in line_for(out, "S.maximize"), out


@test
def failing_for_another_reason_fails_the_run():
    rc, out = run(listed(early_but_regressed=case("early_but_regressed", [OTHER])))
    assert rc == 1, out
    line = line_for(out, "S.early_but_regressed")
    assert line.startswith("not ok ") and "TODO" not in line, out
    assert "# fails for another reason: ./tests/xdg_toplevel_stable.cpp:130: " \
        "Value of: client.window_under_cursor()" in line, out
    assert "# wlcs: 0 passed, 3 failed (2 expected), 0 skipped" in out, out
    assert "# 1 unexpected result(s): see the not ok lines without TODO" in out, out


@test
def another_assertion_is_another_reason():
    # The maximize test failing at a protocol error instead: listed, but not for that.
    rc, out = run(listed(maximize=case("maximize", [PROTOCOL_ERROR])))
    assert rc == 1, out
    assert "# fails for another reason: C++ exception with description" in \
        line_for(out, "S.maximize"), out


@test
def an_unlisted_failure_fails_the_run():
    rc, out = run(listed() + [case("new", [PROTOCOL_ERROR])])
    assert rc == 1, out
    assert "# unexpected failure: C++ exception" in line_for(out, "S.new"), out
    assert "TODO" not in line_for(out, "S.new"), out


@test
def a_listed_test_that_passes_fails_the_run():
    rc, out = run(listed(early=case("early")))
    assert rc == 1, out
    assert line_for(out, "S.early").startswith("not ok ") and \
        "# passes now: remove it from" in line_for(out, "S.early"), out


@test
def a_listed_test_wlcs_does_not_have_fails_the_run():
    rc, out = run(listed(early=None))
    assert rc == 1, out
    assert "# listed in" in line_for(out, "S.early") and "no such test" in \
        line_for(out, "S.early"), out
    # unless the run was filtered on purpose (run.sh sets it for --gtest_filter)
    rc, out = run(listed(early=None), env={"SB_WLCS_FILTERED": "1"})
    assert rc == 0, out


@test
def a_missing_extension_is_a_skip():
    skip = case("v6", [PROTOCOL_ERROR], **{"wlcs-skip-test": "Missing extension: zxdg_shell_v6"})
    rc, out = run(listed() + [skip])
    assert rc == 0, out
    assert line_for(out, "S.v6").startswith("ok ") and \
        "# SKIP Missing extension: zxdg_shell_v6" in line_for(out, "S.v6"), out


@test
def a_compositor_crash_fails_the_run():
    rc, out = run(listed(), log="sb-wlcs: compositor crashed after S.early (signal 11)\n")
    assert rc == 1, out
    assert any(line.startswith("not ok ") and "compositor exited cleanly" in line
               for line in out), out


@test
def broken_lists_are_refused():
    head = LIST.split("S.early ")[0]
    broken = {
        "listed twice": LIST + "S.early  early-attach\n",
        "no reason": LIST + "S.other\n",
        "undefined reason": LIST + "S.other  no-such-reason\n",
        "reason defined twice": LIST.replace("reason no-maximize", "reason early-attach"),
        "reason without match": LIST.replace(
            "    match: Value of: state.maximized Expected: is equal to true Actual: false\n", ""),
        "reason without why": LIST.replace("    why: no maximize policy\n", ""),
        "reason no test uses": head + "S.early  early-attach\nS.early_but_regressed  early-attach\n",
        "match outside a reason": LIST + "    match: anything\n",
    }
    for what, listing in broken.items():
        rc, out = run(listed(), listing=listing)
        assert rc == 2, f"{what}: {rc} {out}"
        assert out and out[-1].startswith("Bail out! "), f"{what}: {out}"


if __name__ == "__main__":
    sys.exit(test.run())
