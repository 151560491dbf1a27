#!/usr/bin/env bash
# Build the syncbridge test kernel (bzImage) for tests/vm/.
#
#   kernel/build.sh [--force] [-j N]
#
# Source: Debian's linux-source-6.12 package (carries Debian's patches), plus kernel/patches/series.
# Config: `make tinyconfig` + kernel/config/syncbridge.config (tinyconfig builds 4x faster than
# defconfig, see /work/shared/VM.md).
#
# Everything lives outside the repo, under ${SB_CACHE_DIR:-$HOME/.cache/syncbridge}/kernel:
#   src/pristine-<pkgver>/   the unpacked tarball (read-only use: all builds are out of tree)
#   src/patched-<srckey>/    a copy with kernel/patches/series applied (if the series is not empty)
#   obj/<srckey>/            the out-of-tree object dir, reused across config changes (incremental)
#   out/<key>/               bzImage, config, headers/include (as make headers_install), logs
# <key> hashes the installed package version, the series and every patch's contents, the config
# fragment, the compiler version and RECIPE below. A cache hit takes well under a second.
#
# Progress goes to stderr; the last (and only) stdout line is the bzImage path.
set -euo pipefail

# Bump when this script changes how a kernel is configured or built: it invalidates the cache.
readonly RECIPE=1
readonly PKG=linux-source-6.12
readonly TARBALL=/usr/src/linux-source-6.12.tar.xz
# Everything this script (and tests/vm) needs on a Debian 12 host.
readonly DEPS=(linux-source-6.12 build-essential flex bison bc libelf-dev libssl-dev cpio
	xz-utils gzip patch python3)

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO
readonly FRAGMENT=$REPO/kernel/config/syncbridge.config
readonly PATCH_DIR=$REPO/kernel/patches
readonly CACHE=${SB_CACHE_DIR:-$HOME/.cache/syncbridge}/kernel

FORCE=0
JOBS=$(nproc)

log() { printf '[kernel %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

usage() {
	sed -n '2,4p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit "${1:-2}"
}

parse_args() {
	while (($#)); do
		case $1 in
		--force) FORCE=1 ;;
		-j) JOBS=${2:?-j needs a number}; shift ;;
		-j*) JOBS=${1#-j} ;;
		-h | --help) usage 0 ;;
		*) usage ;;
		esac
		shift
	done
}

# Install what is missing, and only that: apt-get is slow even when there is nothing to do.
ensure_packages() {
	local missing=() pkg
	for pkg in "${DEPS[@]}"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$pkg")
	done
	((${#missing[@]} == 0)) && return
	log "installing missing packages: ${missing[*]}"
	apt-get install -y "${missing[@]}" >&2 ||
		{ apt-get update >&2 && apt-get install -y "${missing[@]}" >&2; }
}

# The patch files named by kernel/patches/series, in order, as absolute paths.
series_patches() {
	local line
	[[ -f $PATCH_DIR/series ]] || return 0
	while IFS= read -r line || [[ -n $line ]]; do
		line=${line%%#*}
		line=$(echo "$line" | xargs) # trim
		[[ -z $line ]] && continue
		[[ -f $PATCH_DIR/$line ]] || die "kernel/patches/series names $line, which does not exist"
		printf '%s\n' "$PATCH_DIR/$line"
	done <"$PATCH_DIR/series"
}

# Hash of everything that determines the patched source tree.
source_key() {
	local p
	{
		echo "recipe $RECIPE"
		echo "pkg $(dpkg-query -W -f='${Version}' "$PKG")"
		for p in "${PATCHES[@]}"; do
			echo "patch $(basename "$p") $(sha256sum <"$p" | cut -c1-64)"
		done
	} | sha256sum | cut -c1-16
}

# Hash of everything that determines the bzImage.
build_key() {
	{
		echo "src $SRC_KEY"
		echo "fragment $(sha256sum <"$FRAGMENT" | cut -c1-64)"
		echo "cc $(gcc --version | head -n1)"
	} | sha256sum | cut -c1-16
}

# Unpack the tarball once per package version. Unpacked into a temporary dir and renamed, so an
# interrupted unpack never looks complete.
pristine_source() {
	local version dir tmp
	version=$(dpkg-query -W -f='${Version}' "$PKG")
	dir=$CACHE/src/pristine-$version
	if [[ ! -f $dir/Makefile ]]; then
		tmp=$CACHE/src/.unpack-$$
		rm -rf "$tmp" && mkdir -p "$tmp"
		log "unpacking $TARBALL ($version), ~15 s"
		tar -xJf "$TARBALL" -C "$tmp"
		rm -rf "$dir"
		mv "$tmp/linux-source-6.12" "$dir"
		rmdir "$tmp"
	fi
	printf '%s\n' "$dir"
}

# With an empty series the pristine tree is used as is. Otherwise a fresh copy keyed by the
# source version and the series. Each patch is applied exactly if it can; one whose context moved
# (a Debian stable update) is applied with offsets or fuzz and a warning naming its hunks; only a
# hunk that cannot be placed at all stops the build (kernel/apply_series.py).
patched_source() {
	local pristine=$1 dir tmp source
	if ((${#PATCHES[@]} == 0)); then
		printf '%s\n' "$pristine"
		return
	fi
	dir=$CACHE/src/patched-$SRC_KEY
	if [[ ! -f $dir/.syncbridge-patched ]]; then
		tmp=$CACHE/src/.patching-$$
		rm -rf "$tmp"
		log "copying the source tree to apply ${#PATCHES[@]} patch(es)"
		cp -a "$pristine" "$tmp"
		source="$PKG $(dpkg-query -W -f='${Version}' "$PKG")"
		if ! python3 "$REPO/kernel/apply_series.py" --tree "$tmp" --source "$source" \
			"${PATCHES[@]}"; then
			rm -rf "$tmp"
			die "the patch series does not apply to $source (see above)"
		fi
		touch "$tmp/.syncbridge-patched"
		rm -rf "$dir"
		mv "$tmp" "$dir"
	fi
	printf '%s\n' "$dir"
}

# Turn each fragment line into a scripts/config argument list.
fragment_to_args() {
	local line name value
	while IFS= read -r line || [[ -n $line ]]; do
		if [[ $line =~ ^CONFIG_([A-Za-z0-9_]+)=(.*)$ ]]; then
			name=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
			case $value in
			y) printf '%s\n' --enable "$name" ;;
			m) printf '%s\n' --module "$name" ;;
			n) printf '%s\n' --disable "$name" ;;
			\"*\") value=${value#\"}; printf '%s\n' --set-str "$name" "${value%\"}" ;;
			*) printf '%s\n' --set-val "$name" "$value" ;;
			esac
		elif [[ $line =~ ^#\ CONFIG_([A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
			printf '%s\n' --disable "${BASH_REMATCH[1]}"
		fi
	done <"$FRAGMENT"
}

# Every option of the fragment as requested? Kconfig silently drops what it cannot satisfy
# (a missing dependency, a choice that lost), so this is the only way to notice.
verify_config() {
	local config=$1 line name value bad=()
	while IFS= read -r line || [[ -n $line ]]; do
		if [[ $line =~ ^CONFIG_([A-Za-z0-9_]+)=(.*)$ ]]; then
			name=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
			if [[ $value == n ]]; then
				grep -Eq "^CONFIG_$name=[ym]$" "$config" && bad+=("CONFIG_$name=n (is on)")
			elif ! grep -Fxq "CONFIG_$name=$value" "$config"; then
				bad+=("CONFIG_$name=$value (got: $(grep -E "^(# )?CONFIG_${name}[= ]" "$config" ||
					echo 'absent'))")
			fi
		elif [[ $line =~ ^#\ CONFIG_([A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
			name=${BASH_REMATCH[1]}
			grep -Eq "^CONFIG_$name=[ym]$" "$config" && bad+=("CONFIG_$name off (is on)")
		fi
	done <"$FRAGMENT"
	if ((${#bad[@]})); then
		log "options that did not end up as requested in $FRAGMENT:"
		printf '  %s\n' "${bad[@]}" >&2
		return 1
	fi
}

# tinyconfig + fragment. scripts/config then olddefconfig twice: some options only become
# settable once their dependencies are on (VIRTIO_PCI needs VIRTIO_MENU first).
configure() {
	local src=$1 obj=$2 args _
	mapfile -t args < <(fragment_to_args)
	log "configuring: tinyconfig + $(basename "$FRAGMENT")"
	make -s -C "$src" O="$obj" tinyconfig >&2
	for _ in 1 2; do
		"$src/scripts/config" --file "$obj/.config" "${args[@]}"
		make -s -C "$src" O="$obj" olddefconfig >&2
	done
	verify_config "$obj/.config" || die "kernel config does not match the fragment"
}

# make with its output in a log; a progress line every 15 s instead of thousands of CC lines.
# make runs in its own process group, killed as a whole if this script is interrupted, and
# without the lock fd: an orphaned make must neither keep building nor keep the lock.
make_with_progress() {
	local logfile=$1 what=$2 start pid rc=0
	shift 2
	start=$SECONDS
	setsid make "$@" >"$logfile" 2>&1 9>&- &
	pid=$!
	# shellcheck disable=SC2064 # pid is expanded now on purpose
	trap "kill -TERM -- -$pid 2>/dev/null" EXIT
	while kill -0 "$pid" 2>/dev/null; do
		sleep 5
		if (((SECONDS - start) % 15 < 5)) && kill -0 "$pid" 2>/dev/null; then
			log "$what: $((SECONDS - start)) s, $(grep -c '^  CC' "$logfile" || true) files compiled," \
				"last: $(tail -n1 "$logfile" | cut -c1-60 | xargs)"
		fi
	done
	wait "$pid" || rc=$?
	trap - EXIT
	if ((rc != 0)); then
		tail -n 40 "$logfile" >&2
		die "$what failed (exit $rc), full log: $logfile"
	fi
	log "$what: done in $((SECONDS - start)) s"
}

main() {
	parse_args "$@"
	local start=$SECONDS pristine src obj out tmp list
	ensure_packages
	mkdir -p "$CACHE"/{src,obj,out}
	# Not `mapfile < <(series_patches)`: its die would only end the process substitution.
	list=$(series_patches)
	PATCHES=()
	[[ -n $list ]] && mapfile -t PATCHES <<<"$list"
	SRC_KEY=$(source_key)
	KEY=$(build_key)
	out=$CACHE/out/$KEY
	if [[ -f $out/bzImage && $FORCE == 0 ]]; then
		log "cache hit: $out"
		printf '%s\n' "$out/bzImage"
		return
	fi

	# One build at a time per cache: two runs would fight over the shared object dir.
	exec 9>"$CACHE/.lock"
	log "waiting for the build lock" && flock 9
	if [[ -f $out/bzImage && $FORCE == 0 ]]; then
		log "cache hit (built meanwhile): $out"
		printf '%s\n' "$out/bzImage"
		return
	fi

	log "building kernel $KEY (source $SRC_KEY, ${#PATCHES[@]} patch(es), -j$JOBS)"
	pristine=$(pristine_source)
	src=$(patched_source "$pristine")
	obj=$CACHE/obj/$SRC_KEY
	mkdir -p "$obj"
	configure "$src" "$obj"

	tmp=$CACHE/out/.tmp-$KEY
	rm -rf "$tmp" && mkdir -p "$tmp"
	make_with_progress "$tmp/build.log" "make bzImage" -C "$src" O="$obj" -j"$JOBS" bzImage
	# What headers_install does, minus its rsync (not installed by default): test programs
	# compile against these, never against the raw include/uapi.
	make_with_progress "$tmp/headers.log" "make headers" -C "$src" O="$obj" headers
	mkdir -p "$tmp/headers"
	cp -a "$obj/usr/include" "$tmp/headers/include"
	find "$tmp/headers" -name '.*' -type f -delete
	cp "$obj/arch/x86/boot/bzImage" "$tmp/bzImage"
	cp "$obj/.config" "$tmp/config"
	{
		echo "package $PKG $(dpkg-query -W -f='${Version}' "$PKG")"
		echo "source $src"
		echo "patches ${PATCHES[*]:-none}"
		echo "fragment $FRAGMENT"
		echo "built $(date -Is) in $((SECONDS - start)) s"
	} >"$tmp/info"
	rm -rf "$out"
	mv "$tmp" "$out"
	log "bzImage $(du -h "$out/bzImage" | cut -f1), total $((SECONDS - start)) s"
	printf '%s\n' "$out/bzImage"
}

# On one line: bash reads a script as it runs it, so an edit during a run cannot hit the rest.
main "$@"; exit
