#!/usr/bin/env bash
# Configures and builds both build dirs: build/ (-Werror) and build-asan/ (ASan + UBSan).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

setup() {
	local dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson configure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
	echo "build: $dir" >&2
	ninja -C "$dir" >&2
}

setup build -Dwerror=true
# b_lundef=false: -Wl,--no-undefined cannot link the sanitizer runtimes.
setup build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false
