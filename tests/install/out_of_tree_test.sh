#!/usr/bin/env bash
# The installed libsyncbridge, seen from outside the tree: `meson install --destdir` into a
# temporary prefix, then the worked example (bridge/examples/epoll_wait.c) and a consumer test
# program (consumer.c) compiled with nothing but `pkg-config syncbridge` against that prefix, and
# run. On the host the consumer checks the API over pipes and eventfds; in the project's VM
# (SBVM=1, tests/install/guest.list) the example also waits on real fences.
#   out_of_tree_test.sh BUILD_DIR          (TAP on stdout)
#   out_of_tree_test.sh --destdir DIR      the same against a tree `meson install --destdir DIR`
#                                          already wrote (the guest, whose view of the build is
#                                          read-only: meson install writes its log into the build)
#   out_of_tree_test.sh --installed        the same against the system's files (/usr, the .debs)
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/sb-oot.XXXXXX)
trap 'rm -rf "$work"' EXIT

bail() {
	echo "Bail out! $*"
	exit 1
}

if [ "${1:-}" = "--installed" ]; then
	# The system's own pkg-config search path only: what a user of the -dev package has.
	export PKG_CONFIG_PATH=
	pc_where=system
else
	if [ "${1:-}" = "--destdir" ]; then
		destdir=${2:?--destdir needs the directory meson install --destdir wrote}
		[ -d "$destdir" ] || bail "$destdir does not exist: run meson install --destdir $destdir first"
	else
		build=$(cd "${1:?usage: out_of_tree_test.sh BUILD_DIR | --destdir DIR | --installed}" && pwd)
		destdir=$work/destdir
		# --no-rebuild: the test runs on a built tree (meson test); only-changed keeps it quick.
		meson install -C "$build" --destdir "$destdir" --no-rebuild --quiet >"$work/install.log" 2>&1 ||
			{ sed 's/^/# /' "$work/install.log"; bail "meson install --destdir failed"; }
	fi
	pc=$(find "$destdir" -name syncbridge.pc -path '*/pkgconfig/*' | head -n1)
	[ -n "$pc" ] || bail "no syncbridge.pc under $destdir"
	# The destdir's .pc first; PKG_CONFIG_SYSROOT_DIR puts the destdir before its -I and -L.
	export PKG_CONFIG_PATH=$(dirname "$pc")
	export PKG_CONFIG_SYSROOT_DIR=$destdir
	pc_where=$destdir
fi

cflags=$(pkg-config --cflags syncbridge) || bail "pkg-config --cflags syncbridge failed"
libs=$(pkg-config --libs syncbridge) || bail "pkg-config --libs syncbridge failed"
# (pkgconf puts PKG_CONFIG_SYSROOT_DIR before the variable itself.)
libdir=$(pkg-config --variable=libdir syncbridge)
echo "# pkg-config ($pc_where): $cflags $libs"
# The destdir is not on the loader's path: the programs carry it as their runpath.
rpath=()
[ "$pc_where" != system ] && rpath=(-Wl,-rpath,"$libdir")

# No -I or -L of the tree: only what pkg-config said. The sources are copied out first.
cp "$src/bridge/examples/epoll_wait.c" "$src/tests/install/consumer.c" "$work/"
n=0
status=0
compile() {
	local name=$1 extra=$2
	n=$((n + 1))
	# shellcheck disable=SC2086 # pkg-config's output is a list of words
	if (cd "$work" && cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter \
		-o "$name" "$name.c" $cflags $libs "${rpath[@]}" $extra) >"$work/$name.log" 2>&1; then
		echo "ok $n - ${name}_builds_with_only_pkg_config"
	else
		sed 's/^/# /' "$work/$name.log"
		echo "not ok $n - ${name}_builds_with_only_pkg_config"
		status=1
	fi
}

guest=()
[ "${SBVM:-}" = 1 ] && guest=(--guest)
total=$([ ${#guest[@]} -gt 0 ] && echo 11 || echo 7)
echo "1..$((total + 2))"
compile epoll_wait ""
compile consumer ""
[ $status -eq 0 ] || bail "a program did not build against the installed library"
# The consumer's own TAP, renumbered after the two builds.
"$work/consumer" "$libdir" "$work/epoll_wait" "${guest[@]}" >"$work/consumer.tap" ||
	status=1
awk -v off=$n '/^1\.\./ { next } /^(not )?ok [0-9]+/ {
	split($0, w, " "); num = ($1 == "not") ? w[3] : w[2]
	sub("ok " num, "ok " (num + off)) } { print }' "$work/consumer.tap"
grep -q '^1\.\.' "$work/consumer.tap" || { echo "not ok $((n + 1)) - consumer ran"; status=1; }
exit $status
