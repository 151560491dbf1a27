#!/usr/bin/env bash
# TAP: the harness itself fails a run that should fail. Each case boots the VM on purpose with a
# broken guest test and checks that tests/vm/run exits 1 and names the culprit.
#   tests/vm/harness_test.sh LOG_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
logs=${1:-/tmp/syncbridge-vm/harness}
mkdir -p "$logs"

echo "1..3"
n=0
check() {
	local name=$1 pattern=$2
	shift 2
	local out rc
	n=$((n + 1))
	out=$("$here/run" --log-dir "$logs/$name" "$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 1 ] && grep -qE "$pattern" <<<"$out"; then
		echo "ok $n - $name"
	else
		echo "$out" | tail -15 | sed 's/^/# /'
		echo "# exit status $rc, expected 1 and a line matching: $pattern"
		echo "not ok $n - $name"
	fi
}

check broken_guest_test_fails_the_run '^not ok [0-9]+ - vm/fail: this fails on purpose' \
	"$here/selftest/fail.sh"
check hung_guest_test_is_killed_and_named '^not ok [0-9]+ - vm/hang: .*# hung after 5s' \
	--timeout-per-test 5 "$here/selftest/hang.sh"
check kernel_warning_fails_the_run '^not ok [0-9]+ - vm: kernel log clean' \
	"$here/selftest/kmsg-warning.sh"
