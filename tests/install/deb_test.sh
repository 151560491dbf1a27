#!/usr/bin/env bash
# The Debian package built from this tree, installed and used (tests/install/README.md):
# dpkg-buildpackage -us -uc (the native source package and the binaries) on a copy of the tree,
# lintian on the result, the three .debs installed on this machine with dpkg -i, the installed
# `syncbridge --probe`, sb-probe, man pages and an out-of-tree program built with
# `pkg-config syncbridge` against /usr, then the packages purged again so that the tree's own
# tests never see them. Needs root (CI runs as root on a throwaway machine); anywhere else the
# whole test is one skip, with that reason.
#   deb_test.sh [OUT_DIR]      (TAP on stdout; default OUT_DIR: build/deb)
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/build/deb}
packages=(syncbridge libsyncbridge-dev libsyncbridge0)

skip_all() { # one skipped line, so that the closing count has it
	printf '1..1\nok 1 - debian_package_builds_installs_and_runs # SKIP %s\n' "$*"
	exit 0
}
[ "$(id -u)" -eq 0 ] || skip_all "installs packages: needs root (as CI runs it)"
for tool in dpkg-buildpackage dh lintian scdoc; do
	command -v "$tool" >/dev/null || skip_all "$tool is missing (scripts/deps.sh installs it)"
done
for p in "${packages[@]}"; do
	if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		skip_all "$p is already installed on this machine: not this test's to replace or remove"
	fi
done

n=0
status=0
ok() { # ok NAME COMMAND... : one TAP line, the command's output as comments when it fails
	local name=$1 log
	shift
	n=$((n + 1))
	log=$("$@" 2>&1)
	if [ $? -eq 0 ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		printf '%s\n' "$log" | tail -n 30 | sed 's/^/# /'
		status=1
	fi
}
installed=false
purge() {
	dpkg --purge "${packages[@]}" >"$out/purge.log" 2>&1
}
trap '$installed && purge' EXIT

echo "1..15"
rm -rf "$out"
mkdir -p "$out/src"
out=$(cd "$out" && pwd) # the steps below change directory
# A copy of the tree as git sees it (tracked and new files, not build output): dpkg-buildpackage
# writes its build directory and debian/ staging into the source and the .debs beside it.
copy_tree() {
	cd "$root" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 cp --parents -t "$out/src"
}
ok "tree_copied_for_the_package_build" copy_tree
ok "build_dependencies_are_installed" sh -c "cd '$out/src' && dpkg-checkbuilddeps"
build() {
	cd "$out/src" && dpkg-buildpackage -us -uc >"$out/build.log" 2>&1 ||
		{ tail -n 40 "$out/build.log"; return 1; }
}
ok "dpkg_buildpackage_builds_the_package" build
debs=()
for p in "${packages[@]}"; do
	debs+=("$(ls "$out"/"${p}"_*.deb 2>/dev/null | head -n1)")
done
have_debs() {
	for d in "${debs[@]}"; do
		[ -f "$d" ] || { echo "missing: ${packages[*]} -> ${debs[*]}"; return 1; }
	done
}
ok "syncbridge_libsyncbridge0_and_libsyncbridge_dev_are_built" have_debs

# lintian: every tag it gives is kept in lintian.txt (tests/install/README.md says what they are
# and why they stay); errors fail the test.
run_lintian() {
	lintian --info --display-info --fail-on error "$out"/*.changes >"$out/lintian.txt" 2>&1
	local rc=$?
	grep -E '^[EWIP]: ' "$out/lintian.txt" | sort -u
	return $rc
}
n=$((n + 1))
if tags=$(run_lintian); then
	echo "ok $n - lintian_finds_no_errors"
else
	echo "not ok $n - lintian_finds_no_errors"
	status=1
fi
printf '%s\n' "$tags" | grep . | sed 's/^/# lintian: /'

install_debs() {
	installed=true
	dpkg -i "${debs[@]}"
}
ok "debs_install_with_dpkg" install_debs
lib=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)
ok "library_and_headers_are_where_pkg_config_says" sh -c "
	test -f $lib/libsyncbridge.so.0 && test -L $lib/libsyncbridge.so &&
	test -f /usr/include/syncbridge/waiter.h && ! test -e /usr/include/syncbridge/test_hooks.h &&
	test \"\$(pkg-config --variable=libdir syncbridge)\" = $lib &&
	test \"\$(pkg-config --modversion syncbridge)\" = \
		\"\$(dpkg-query -W -f='\${Version}' libsyncbridge0)\""
ok "man_pages_are_installed" sh -c "man -w syncbridge && man -w 5 syncbridge.ini &&
	man -w sb-probe && man -w 3 sb_waiter && man -w 3 libsyncbridge &&
	man 3 sb_waiter | grep -q sb_waiter_add_syncobj_point"
ok "session_entry_and_example_configs_are_installed" sh -c "
	grep -qx 'Exec=syncbridge' /usr/share/wayland-sessions/syncbridge.desktop &&
	test -f /usr/share/syncbridge/weston-ini/desktop.ini &&
	test -f /usr/share/doc/libsyncbridge-dev/examples/epoll_wait.c"
probe() {
	local report
	report=$("$@") || return 1
	printf '%s\n' "$report"
	printf '%s\n' "$report" | tail -n1 | grep -qE '^[0-9]+ capabilities found$'
}
ok "installed_syncbridge_probe_reports" probe /usr/bin/syncbridge --probe
sb_probe_uses_installed_library() {
	local loaded
	loaded=$(ldd /usr/bin/sb-probe | awk '$1 == "libsyncbridge.so.0" { print $3 }')
	[ "$(realpath "$loaded")" = "$(realpath "$lib/libsyncbridge.so.0")" ] ||
		{ echo "sb-probe loads libsyncbridge.so.0 from '$loaded'"; return 1; }
	/usr/bin/sb-probe | tail -n1 | grep -qE '^[0-9]+ capabilities found$'
}
ok "installed_sb_probe_uses_the_installed_library" sb_probe_uses_installed_library
ok "out_of_tree_consumer_runs_against_the_installed_files" \
	"$root/tests/install/out_of_tree_test.sh" --installed
serve_headless() {
	local dir rc
	dir=$(mktemp -d)
	XDG_RUNTIME_DIR=$dir /usr/bin/syncbridge --backend headless --socket sb-deb-test \
		--exec 'wayland-info | grep -q zwp_linux_explicit_synchronization_v1'
	rc=$?
	rm -rf "$dir"
	return $rc
}
ok "installed_syncbridge_serves_an_explicit_sync_client_headless" serve_headless
ok "packages_purge_cleanly" sh -c "dpkg --purge ${packages[*]} >/dev/null &&
	! test -e $lib/libsyncbridge.so.0 &&
	! test -e /usr/bin/syncbridge && ! test -d /usr/include/syncbridge"
installed=false
ok "nothing_of_the_packages_is_left_installed" sh -c "
	! dpkg-query -W -f='\${Status}\n' ${packages[*]} 2>/dev/null | grep -q 'ok installed'"
exit $status
