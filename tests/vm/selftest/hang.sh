#!/bin/sh
# Deliberately hanging guest test, to show the harness catches it (not in default.list):
#   tests/vm/run --timeout-per-test 5 tests/vm/selftest/hang.sh
# It ignores SIGTERM, so the guest's timeout has to escalate to SIGKILL.
trap '' TERM
echo "1..2"
echo "ok 1 - before the hang"
while :; do sleep 1; done
