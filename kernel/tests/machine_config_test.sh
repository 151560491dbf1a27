#!/usr/bin/env bash
# Host test (TAP): the config kernel/build-deb.sh makes for a real machine keeps what syncbridge
# needs. Debian's own amd64 config (linux-config-6.12) + kernel/config/machine.config, merged on
# the patched linux-source-6.12 with `make olddefconfig`: every option of the fragment must be
# there as asked (one result each). Then the check itself must catch a dropped option: a fragment
# asking for an option Kconfig does not know must fail it, naming the option.
#   kernel/tests/machine_config_test.sh [WORK_DIR]   (default: build-deb.sh's, kept for the next run)
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
config=/usr/src/linux-config-6.12/config.amd64_none_amd64.xz
work=()
[[ -n ${1:-} ]] && work=(--work "$1")
out=$(mktemp) bogus=$(mktemp) failed=0
trap 'rm -f "$out" "$bogus"' EXIT

if [[ ! -f $config || ! -f /usr/src/linux-source-6.12.tar.xz ]]; then
	echo "1..0 # SKIP needs linux-config-6.12 and linux-source-6.12 (scripts/deps.sh --vm)"
	exit 0
fi

"$repo/kernel/build-deb.sh" --check --config "$config" "${work[@]}" >"$out" 2>"$out.err"
rc=$?
n=$(grep -c '^\(not \)\?ok ' "$out")
sed -n 's/^\(not \)\{0,1\}ok [0-9]* - /&/p' "$out" | sed '/^1\.\./d' >"$out.results"
echo "1..$((n + 2))"
cat "$out.results"
if ((rc == 0 && n > 0)); then
	echo "ok $((n + 1)) - build-deb.sh --check passes on Debian's config ($n options)"
else
	echo "not ok $((n + 1)) - build-deb.sh --check exit $rc, $n options checked"
	failed=1
	sed 's/^/# /' "$out.err"
fi

cp "$repo/kernel/config/machine.config" "$bogus"
echo "CONFIG_SYNCBRIDGE_NO_SUCH_OPTION=y" >>"$bogus"
SB_MACHINE_FRAGMENT=$bogus "$repo/kernel/build-deb.sh" --check --config "$config" "${work[@]}" \
	>"$out" 2>"$out.err"
rc=$?
if ((rc != 0)) && grep -q '^not ok .*CONFIG_SYNCBRIDGE_NO_SUCH_OPTION is not set' "$out"; then
	echo "ok $((n + 2)) - a fragment option olddefconfig drops fails the check, named"
else
	echo "not ok $((n + 2)) - a dropped option was not caught (exit $rc)"
	failed=1
	sed 's/^/# /' "$out"
fi
rm -f "$out.err" "$out.results"
exit $failed
