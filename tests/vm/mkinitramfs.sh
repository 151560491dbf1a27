#!/usr/bin/env bash
# Build the test VM's initramfs: busybox-static + tests/vm/guest/{init,runner.sh,sbvm-screendump}.
#
#   tests/vm/mkinitramfs.sh [--force]
#
# Cached under ${SB_CACHE_DIR:-$HOME/.cache/syncbridge}/initramfs/<key>.cpio.gz, <key> a hash of
# the busybox binary, the guest files and RECIPE. Progress on stderr; the last stdout line is the
# path of the .cpio.gz.
set -euo pipefail

# Bump when this script changes what goes into the image.
readonly RECIPE=1
readonly BUSYBOX=/bin/busybox

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly GUEST=$HERE/guest
readonly GUEST_FILES=(init runner.sh sbvm-screendump)
readonly CACHE=${SB_CACHE_DIR:-$HOME/.cache/syncbridge}/initramfs

log() { printf '[initramfs %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

ensure_busybox() {
	if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed'; then
		log "installing busybox-static"
		apt-get install -y busybox-static >&2
	fi
	[[ -x $BUSYBOX ]] || die "$BUSYBOX missing"
}

image_key() {
	local f
	{
		echo "recipe $RECIPE"
		sha256sum <"$BUSYBOX"
		for f in "${GUEST_FILES[@]}"; do
			echo "$f $(sha256sum <"$GUEST/$f")"
		done
	} | sha256sum | cut -c1-16
}

# The tree: /init, /bin/busybox (applet links are made at boot by `busybox --install`),
# /sbvm/* (copied into the test root by /init), and /dev/console, which the kernel opens for
# init's stdio before anything could mount devtmpfs.
populate() {
	local root=$1 f
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,sbvm}
	cp "$BUSYBOX" "$root/bin/busybox"
	cp "$GUEST/init" "$root/init"
	for f in runner.sh sbvm-screendump; do
		cp "$GUEST/$f" "$root/sbvm/$f"
	done
	chmod 0755 "$root/init" "$root"/sbvm/*
	mknod -m 0600 "$root/dev/console" c 5 1
}

main() {
	local force=0 key out tmp
	[[ ${1:-} == --force ]] && force=1
	ensure_busybox
	key=$(image_key)
	out=$CACHE/$key.cpio.gz
	if [[ -f $out && $force == 0 ]]; then
		log "cache hit: $out"
		printf '%s\n' "$out"
		return
	fi
	((EUID == 0)) || die "needs root (mknod /dev/console)"
	mkdir -p "$CACHE"
	tmp=$(mktemp -d "$CACHE/.build-XXXXXX")
	# shellcheck disable=SC2064 # expand now: tmp is local
	trap "rm -rf '$tmp'" EXIT
	log "building $key"
	populate "$tmp/root"
	(cd "$tmp/root" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --owner 0:0 --quiet) | gzip -9n >"$tmp/image.cpio.gz"
	mv "$tmp/image.cpio.gz" "$out"
	log "built $out ($(du -h "$out" | cut -f1))"
	printf '%s\n' "$out"
}

# On one line: bash reads a script as it runs it, so an edit during a run cannot hit the rest.
main "$@"; exit
