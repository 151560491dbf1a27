#!/usr/bin/env bash
# The fresh-machine check: the README's two commands on a new Debian 12 machine, so that a
# package this machine happens to have cannot hide a missing install step.
#
#   scripts/fresh-machine-check.sh [--dir DIR] [--ref REF] [--keep] [--host] [--no-demo]
#
# As root. Makes a minimal Debian 12 root with debootstrap (variant minbase: essential packages
# and apt, nothing else; Debian's bookworm, bookworm-updates and bookworm-security suites, as an
# installed machine has them), clones this repository's REF (default HEAD) into /root/syncbridge
# there, binds in /dev, /proc and /sys, and runs, as root in that root:
#     ./scripts/demo.sh && ./scripts/test.sh          (--host: ./scripts/test.sh --host alone)
# with an empty HOME, so the kernel cache starts empty too: the kernel is built from the
# linux-source-6.12 that apt installs there. Output goes to DIR/check.log; the last line says
# whether the check passed. Takes ~10 min for the root and its packages, plus a cold kernel build
# and the whole test run. DIR (default ${SB_CACHE_DIR:-~/.cache/syncbridge}/fresh) is emptied
# first; afterwards its root is removed unless --keep or the check failed (the logs stay).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO
readonly SUITE=bookworm MIRROR=http://deb.debian.org/debian
readonly SECURITY=http://deb.debian.org/debian-security

DIR=${SB_CACHE_DIR:-$HOME/.cache/syncbridge}/fresh
REF=HEAD KEEP=0 HOST=0 DEMO=1
log() { printf '[fresh %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

while (($#)); do
	case $1 in
	--dir) DIR=${2:?--dir needs a directory}; shift ;;
	--ref) REF=${2:?--ref needs a git revision}; shift ;;
	--keep) KEEP=1 ;;
	--host) HOST=1 ;;
	--no-demo) DEMO=0 ;;
	-h | --help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
	shift
done
(($(id -u) == 0)) || die "run as root: debootstrap, chroot and the bind mounts need it"
DIR=$(realpath -m "$DIR")
readonly ROOT=$DIR/root

# Everything mounted below ROOT, deepest first.
unmount_all() {
	local m
	for m in $(findmnt -rn -o TARGET | grep -E "^$ROOT(/|$)" | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
}

# Ends whatever still runs inside the root (a hung test's compositor, say), then unmounts.
cleanup() {
	local pid
	for pid in $(ls /proc | grep -E '^[0-9]+$'); do
		[[ $(readlink "/proc/$pid/root" 2>/dev/null) == "$ROOT" ]] && kill -KILL "$pid" 2>/dev/null
	done
	unmount_all
	if ((KEEP == 0)) && [[ -d $ROOT ]]; then
		# Never remove through a mount that is still there.
		findmnt -rn -o TARGET | grep -qE "^$ROOT(/|$)" && { log "still mounted below $ROOT: kept"; return; }
		# The root goes; the logs stay for whoever reads the verdict.
		rm -rf --one-file-system "$ROOT"
	fi
}

if ! command -v debootstrap >/dev/null; then
	log "installing debootstrap"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2 ||
		{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2; }
fi
commit=$(git -C "$REPO" rev-parse --verify "$REF^{commit}") || die "no commit $REF in $REPO"

unmount_all
rm -rf --one-file-system "$DIR"
mkdir -p "$DIR"
trap cleanup EXIT
start=$SECONDS
logfile=$DIR/check.log
log "debootstrap --variant=minbase $SUITE into $ROOT (log: $DIR/debootstrap.log), ~3 min"
debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$DIR/debootstrap.log" 2>&1 ||
	{ tail -n 20 "$DIR/debootstrap.log" >&2; die "debootstrap failed"; }
cat >"$ROOT/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY $SUITE-security main
EOF
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
echo "syncbridge-fresh" >"$ROOT/etc/hostname"

log "cloning $commit into /root/syncbridge"
git clone -q --no-local "$REPO" "$ROOT/root/syncbridge"
git -C "$ROOT/root/syncbridge" checkout -q "$commit"
# The project's docs point at ../shared (the design notes); a user's clone has its own copy.
[[ -d $REPO/../shared ]] && cp -a "$REPO/../shared" "$ROOT/root/shared"

mount --rbind /dev "$ROOT/dev" && mount --make-rslave "$ROOT/dev"
mount -t proc proc "$ROOT/proc"
mount --rbind /sys "$ROOT/sys" && mount --make-rslave "$ROOT/sys"
mount -t tmpfs -o mode=1777 tmpfs "$ROOT/tmp"
mount -t tmpfs -o mode=755 tmpfs "$ROOT/run"

if ((HOST)); then
	cmds='./scripts/test.sh --host'
elif ((DEMO)); then
	cmds='./scripts/demo.sh && ./scripts/test.sh'
else
	cmds='./scripts/test.sh'
fi
log "running in the root: $cmds (log: $logfile)"
# A login's environment, nothing of this one's: what a new user's shell would have.
env -i HOME=/root TERM=dumb LANG=C.UTF-8 CI=true \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	chroot "$ROOT" /bin/bash -c "cd /root/syncbridge && $cmds" </dev/null >"$logfile" 2>&1 &
pid=$!
# Progress: the set-up, kernel and stage lines, not every test.
tail -n +1 -f --pid=$pid "$logfile" |
	grep --line-buffered -E '^\[[a-z]|^demo:|^total:|^expected failures:|^deps:|^test:|ERROR' >&2 &
rc=0
wait "$pid" || rc=$?
closing=$(grep -E '^total: ' "$logfile" | tail -n1 || true)
took=$((SECONDS - start))
if ((rc == 0)); then
	log "PASSED in ${took} s: $cmds on a fresh $SUITE root (${closing:-no closing line})"
else
	log "FAILED (exit $rc) after ${took} s: $cmds on a fresh $SUITE root; see $logfile" \
		"${closing:+($closing)}"
	KEEP=1
fi
exit "$rc"
