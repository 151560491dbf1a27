#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs wlcs's suites against syncbridge through the sb-wlcs module and prints TAP (report.py).
#
# usage: run.sh WLCS-BINARY SB-WLCS-MODULE EXPECTED-FAILURES [gtest options...]
#   e.g. run.sh /usr/lib/x86_64-linux-gnu/wlcs/wlcs build/tests/wlcs/sb-wlcs.so \
#        tests/wlcs/expected-failures.txt --gtest_filter='XdgToplevelStable*'
# SB_WLCS_TIMEOUT bounds the whole run in seconds (default 1500; a full run takes about 10 min
# on one free core). SB_WLCS_KEEP=DIR keeps wlcs's output, the JSON and the compositors' logs.
set -uo pipefail

if [ $# -lt 3 ]; then
	echo "usage: $0 WLCS-BINARY SB-WLCS-MODULE EXPECTED-FAILURES [gtest options...]" >&2
	exit 2
fi
wlcs=$1 module=$2 expected=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)

if [ ! -x "$wlcs" ]; then
	# A missing wlcs is a broken setup, not a reason to pass: scripts/deps.sh installs it.
	echo "1..0 # wlcs not found at $wlcs"
	echo "Bail out! $wlcs is not installed"
	exit 1
fi

tmp=$(mktemp -d /tmp/sb-wlcs.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -d "$XDG_RUNTIME_DIR" ]; then
	mkdir -m 700 "$tmp/xdg"
	export XDG_RUNTIME_DIR=$tmp/xdg
fi
# The compositors start headless; a parent display must not leak into them or into wlcs.
unset WAYLAND_DISPLAY DISPLAY
export SB_WLCS_LOG=$tmp/syncbridge.log
for arg in "$@"; do
	case $arg in --gtest_filter=*) export SB_WLCS_FILTERED=1 ;; esac
done

status=0
timeout --kill-after=30 "${SB_WLCS_TIMEOUT:-1500}" "$wlcs" "$module" \
	--gtest_output="json:$tmp/result.json" "$@" >"$tmp/wlcs.log" 2>&1 || status=$?
if [ -n "${SB_WLCS_KEEP:-}" ]; then
	mkdir -p "$SB_WLCS_KEEP"
	cp "$tmp"/wlcs.log "$tmp"/syncbridge.log "$SB_WLCS_KEEP"/ 2>/dev/null
	cp "$tmp"/result.json "$SB_WLCS_KEEP"/ 2>/dev/null
fi
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ] || [ ! -s "$tmp/result.json" ]; then
	# No JSON: wlcs hung (timeout) or crashed before its summary; show where it was.
	echo "1..0"
	tail -n 30 "$tmp/wlcs.log" | sed 's/^/# /'
	echo "Bail out! wlcs exited with status $status and no result"
	exit 1
fi
# wlcs exits non-zero whenever a test fails: report.py decides against the expected list.
# Not exec: the trap must still remove $tmp.
python3 "$here/report.py" "$tmp/result.json" "$expected" "$tmp/wlcs.log"
