#!/bin/sh
# Deliberately failing guest test, to show the harness catches it (not in default.list):
#   tests/vm/run tests/vm/selftest/fail.sh
# One "not ok", one result fewer than planned, and a non-zero exit: three ways to fail.
echo "1..4"
echo "ok 1 - this passes"
echo "not ok 2 - this fails on purpose"
echo "ok 3 - this passes too"
echo "stderr of a failing test lands in console.log" >&2
exit 1
