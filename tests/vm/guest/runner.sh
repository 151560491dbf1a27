#!/bin/sh
# The test runner inside the guest. /init runs it chrooted into the host's root (overlay), with the
# host's /bin/sh and coreutils, as: runner.sh /run/sbvm/run.conf
#
# run.conf (written by tests/vm/run, shell syntax) sets SBVM_CWD and defines sbvm_env (exports for
# every test) and sbvm_tests (one `sbvm_test INDEX NAME TIMEOUT PROGRAM ARGS...` call per test).
#
# Protocol on the TAP channel (ttyS1), parsed by tests/vm/run:
#   #SB-VM ready KERNEL_RELEASE NPROC
#   #SB-VM begin INDEX          then the test's stdout, byte for byte
#   #SB-VM end INDEX STATUS HUNG SECONDS
#   #SB-VM done
# Test stderr goes to the console (console.log), after a "sb-vm-runner: [INDEX] ..." line.
set -u

readonly CHANNEL=/dev/ttyS1
readonly BIN=/run/sbvm/bin

say() { printf '%s\n' "$*" >&3; }
log() { printf 'sb-vm-runner: %s\n' "$*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

# Run one test under a hard time limit. coreutils timeout puts the test in its own process group
# and signals the whole group (TERM, then KILL 5 s later), so helpers a test started (a
# compositor, a client) die with it; whatever of that group outlives a normal exit is killed too.
sbvm_test() {
	idx=$1 name=$2 limit=$3
	shift 3
	tmp=/tmp/sbvm/$idx xdg=/run/sbvm/xdg/$idx
	mkdir -p "$tmp" /run/sbvm/xdg && mkdir -m 0700 "$xdg"
	say "#SB-VM begin $idx"
	log "[$idx] $name (timeout ${limit}s): $*"
	t0=$(uptime_s)
	(
		cd "$SBVM_CWD" || exit 126
		export SBVM_TEST_NAME="$name" SBVM_TEST_INDEX="$idx" SBVM_TIMEOUT="$limit" \
			TMPDIR="$tmp" XDG_RUNTIME_DIR="$xdg"
		exec timeout -k 5 "$limit" "$@"
	) </dev/null >&3 &
	pid=$!
	wait "$pid"
	status=$?
	kill -KILL -- "-$pid" 2>/dev/null
	secs=$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.2f", b - a }')
	# 124: timeout sent TERM; 137: it had to send KILL. A test exiting 124 by itself before its
	# limit is not a hang.
	hung=0
	case $status in 124 | 137)
		awk -v s="$secs" -v l="$limit" 'BEGIN { exit !(s >= l - 0.5) }' && hung=1 ;;
	esac
	log "[$idx] $name: status $status, hung $hung, ${secs}s"
	# A newline first: the test's last line may lack one.
	printf '\n' >&3
	say "#SB-VM end $idx $status $hung $secs"
}

main() {
	conf=$1
	exec 3>"$CHANNEL"
	# shellcheck source=/dev/null
	. "$conf"
	export PATH="$BIN:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	export HOME=/root LANG=C.UTF-8 SBVM=1 SBVM_CHANNEL="$CHANNEL"
	sbvm_env
	say "#SB-VM ready $(uname -r) $(nproc)"
	log "ready at $(uptime_s) s"
	sbvm_tests
	say "#SB-VM done"
	log "done at $(uptime_s) s"
}

main "$@"
