#!/usr/bin/env bash
# Build syncbridge's kernel for a real machine as installable Debian packages.
#
#   kernel/build-deb.sh [--config FILE] [--work DIR] [--out DIR] [-j N]
#   kernel/build-deb.sh --check [--config FILE] [--work DIR]
#
# Takes the distribution's own config for the machine: FILE if given (plain or .xz), else the
# running kernel's /boot/config-$(uname -r), else Debian's linux-config-6.12 for this
# architecture. Unpacks Debian's linux-source-6.12, applies kernel/patches/series, merges
# kernel/config/machine.config into that config (`make olddefconfig`, twice), checks that every
# option of the fragment survived, and runs `make bindeb-pkg`: linux-image-*.deb (and headers,
# libc-dev) land in --out (default: the current directory). Debug info is turned off and the
# module signing key is generated at build time (Debian's trusted certificates are not in the
# source package); everything else stays as the distribution chose it.
#
# --check stops after the merge and prints TAP, one result per option of the fragment: what CI
# runs (scripts/test.sh), in about a minute. The full build takes hours on two cores.
set -euo pipefail

readonly PKG=linux-source-6.12
readonly TARBALL=/usr/src/linux-source-6.12.tar.xz
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO
FRAGMENT=${SB_MACHINE_FRAGMENT:-$REPO/kernel/config/machine.config}
readonly PATCH_DIR=$REPO/kernel/patches

log() { printf '[build-deb %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

CONFIG='' WORK='' OUT=$PWD CHECK=0 JOBS=$(nproc)
while (($#)); do
	case $1 in
	--config) CONFIG=${2:?--config needs a file}; shift ;;
	--work) WORK=${2:?--work needs a directory}; shift ;;
	--out) OUT=${2:?--out needs a directory}; shift ;;
	--check) CHECK=1 ;;
	-j) JOBS=${2:?-j needs a number}; shift ;;
	-j*) JOBS=${1#-j} ;;
	-h | --help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
	shift
done

# The distribution's config for this machine, by the order of preference above.
base_config() {
	local arch
	if [[ -n $CONFIG ]]; then
		[[ -f $CONFIG ]] || die "$CONFIG does not exist"
		printf '%s\n' "$CONFIG"
	elif [[ -f /boot/config-$(uname -r) ]]; then
		printf '%s\n' "/boot/config-$(uname -r)"
	else
		arch=$(dpkg --print-architecture)
		CONFIG=/usr/src/linux-config-6.12/config.${arch}_none_${arch}.xz
		[[ -f $CONFIG ]] || die "no /boot/config-$(uname -r) and no $CONFIG:" \
			"apt-get install linux-config-6.12, or pass --config FILE"
		printf '%s\n' "$CONFIG"
	fi
}

# The fragment as scripts/config arguments.
fragment_args() {
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

# TAP on stdout, one result per fragment option: is it in the merged config as asked? A module
# asked for may be built in. Returns non-zero if any is not.
check_config() {
	local config=$1 line name value got n=0 bad=0 results=() frag
	frag=$(basename "$FRAGMENT")
	while IFS= read -r line || [[ -n $line ]]; do
		if [[ $line =~ ^CONFIG_([A-Za-z0-9_]+)=(.*)$ ]]; then
			name=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
		elif [[ $line =~ ^#\ CONFIG_([A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
			name=${BASH_REMATCH[1]} value=n
		else
			continue
		fi
		got=$(grep -E "^CONFIG_$name=" "$config" | cut -d= -f2- || true)
		n=$((n + 1))
		if [[ $got == "$value" || ($value == m && $got == y) || ($value == n && -z $got) ]]; then
			results+=("ok $n - kernel config: CONFIG_$name=${got:-n} as $frag asks")
		else
			results+=("not ok $n - kernel config: CONFIG_$name is ${got:-not set} after olddefconfig, $frag asks $value")
			bad=$((bad + 1))
		fi
	done <"$FRAGMENT"
	printf '1..%d\n' "$n"
	printf '%s\n' "${results[@]}"
	((n > 0 && bad == 0))
}

main() {
	local base version src args key missing p
	[[ -f $TARBALL ]] || die "$TARBALL is missing: apt-get install $PKG"
	[[ -f $FRAGMENT ]] || die "$FRAGMENT is missing"
	base=$(base_config)
	version=$(dpkg-query -W -f='${Version}' "$PKG")
	WORK=${WORK:-${SB_CACHE_DIR:-$HOME/.cache/syncbridge}/deb}
	src=$WORK/linux-$version
	log "source $PKG $version, series of $(grep -cv '^\s*\(#\|$\)' "$PATCH_DIR/series") patch(es)," \
		"config $base + $(basename "$FRAGMENT")"

	# The tree is kept for the next run (an interrupted build goes on where it stopped) as long
	# as the source version and the series are the same; otherwise a fresh one.
	mapfile -t args < <(grep -v '^\s*\(#\|$\)' "$PATCH_DIR/series" | sed "s|^|$PATCH_DIR/|")
	key=$( (echo "$version" && cat "${args[@]}") | sha256sum | cut -c1-16)
	if [[ $(cat "$src/.syncbridge-series" 2>/dev/null) != "$key" ]]; then
		rm -rf "$src" && mkdir -p "$src"
		tar -xJf "$TARBALL" -C "$src" --strip-components=1
		python3 "$REPO/kernel/apply_series.py" --tree "$src" --source "$PKG $version" "${args[@]}" ||
			die "the series does not apply to $PKG $version (kernel/README.md: refresh-patches.sh)"
		echo "$key" >"$src/.syncbridge-series"
	else
		log "reusing $src (same source and series)"
	fi

	case $base in
	*.xz) xzcat "$base" >"$src/.config" ;;
	*) cp "$base" "$src/.config" ;;
	esac
	mapfile -t args < <(fragment_args)
	# Built here, not by Debian: no Debian signing certificates, no debug info (hours and GiBs).
	args+=(--set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS ""
		--disable DEBUG_INFO --disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT --enable DEBUG_INFO_NONE
		--set-str LOCALVERSION -syncbridge)
	for _ in 1 2; do
		"$src/scripts/config" --file "$src/.config" "${args[@]}"
		make -s -C "$src" olddefconfig >&2
	done

	if ((CHECK)); then
		check_config "$src/.config"
		return
	fi
	check_config "$src/.config" >"$WORK/config-check.tap" || {
		grep '^not ok' "$WORK/config-check.tap" >&2
		die "the merged config lost options the project needs (above)"
	}
	missing=()
	for p in build-essential bc bison flex libelf-dev libssl-dev cpio rsync kmod dpkg-dev; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	((${#missing[@]} == 0)) || die "make bindeb-pkg needs: apt-get install ${missing[*]}"
	log "config merged; make bindeb-pkg -j$JOBS (hours on a small machine)"
	make -C "$src" -j"$JOBS" bindeb-pkg KDEB_PKGVERSION="$(make -s -C "$src" kernelversion)-1syncbridge" >&2
	mkdir -p "$OUT"
	mv "$WORK"/*.deb "$OUT"/
	rm -f "$WORK"/*.buildinfo "$WORK"/*.changes
	log "packages in $OUT:" && ls -1 "$OUT"/*.deb >&2
}

main "$@"
