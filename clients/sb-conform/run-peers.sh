#!/bin/sh
# Runs sb-conform against syncbridge, weston 10 and sway 1.7 in turn, each started headless with
# its known config, and prints one TAP stream: per compositor "started", every case (renumbered,
# prefixed with the compositor's name) and "stopped". Meant for the test VM (tests/vm/run), where
# sw_sync, udmabuf and a DRM device with timeline syncobjs exist, so missing devices fail.
#
#   run-peers.sh [--build DIR] [--out DIR] [--host] [PEER...]
#
# --build   meson build dir holding sb-conform and syncbridge (default: build, from the repo root)
# --out     where conformance.md (the table, one column per compositor) goes (default:
#           $SB_CONFORM_OUT, else $TMPDIR); in the VM, a dir given to tests/vm/run --out
# --host    missing devices are skips, not failures (a run outside the VM)
# PEER      syncbridge, weston or sway (default: all three, in that order)
#
# Known deviations of a peer, checked against its source (README.md here), are in
# known-deviations: such a failure is reported as "not ok ... # TODO reason", and stays FAIL in the
# table.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=build
out=${SB_CONFORM_OUT:-${TMPDIR:-/tmp}}
devices=--devices-required
peers=
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--host) devices=; shift ;;
	-h | --help) sed -n '2,17p' "$0"; exit 0 ;;
	-*) echo "run-peers.sh: unknown option $1" >&2; exit 2 ;;
	*) peers="$peers $1"; shift ;;
	esac
done
[ -n "$peers" ] || peers="syncbridge weston sway"
case $build in /*) ;; *) build=$root/$build ;; esac
conform=$build/clients/sb-conform/sb-conform
syncbridge=$build/compositor/syncbridge
[ -x "$conform" ] || { echo "run-peers.sh: $conform not built" >&2; exit 2; }
mkdir -p "$out" || exit 2
table=$out/conformance.md
rm -f "$table"
work=${TMPDIR:-/tmp}/sb-conform.$$
mkdir -p "$work" || exit 2
# Slow starts under TCG: weston's shell client, sway's config and first frame.
start_limit=${SB_CONFORM_START_TIMEOUT:-60}

n=0
failed=0
result() { # ok|not-ok description [directive]
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n - $2${3:+ # $3}"
	else
		echo "not ok $n - $2${3:+ # $3}"
		[ -n "${3:-}" ] || failed=$((failed + 1))
	fi
}

log() { echo "run-peers: $*" >&2; }

# The compositor's socket in dir: sb-conform, or the wayland-N sway picks itself.
find_socket() {
	for s in "$1"/sb-conform "$1"/wayland-*; do
		[ -S "$s" ] && { echo "$s"; return 0; }
	done
	return 1
}

pid=
socket=
start_peer() { # peer xdg
	peer=$1 xdg=$2
	pid=
	mkdir -m 0700 "$xdg" || return 1
	case $peer in
	syncbridge)
		[ -x "$syncbridge" ] || { log "$syncbridge not built"; return 1; }
		env -u WAYLAND_DISPLAY -u DISPLAY XDG_RUNTIME_DIR="$xdg" \
			LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$root/tests/lsan.supp}" \
			"$syncbridge" -c "$root/weston-ini/conformance.ini" --socket sb-conform \
			>"$work/$peer.log" 2>&1 &
		;;
	weston)
		command -v weston >/dev/null || { log "weston not installed"; return 1; }
		env -u WAYLAND_DISPLAY -u DISPLAY XDG_RUNTIME_DIR="$xdg" \
			weston --config="$here/weston.ini" --socket=sb-conform --use-pixman \
			>"$work/$peer.log" 2>&1 &
		;;
	sway)
		# sway refuses to run as root: as nobody, in a runtime dir of its own.
		command -v sway >/dev/null || { log "sway not installed"; return 1; }
		# Its config goes with it: nobody may not read the checkout (a CI clone made with
		# mktemp -d is root's, mode 0700).
		cp "$here/sway.config" "$xdg/sway.config" || return 1
		chown nobody:nogroup "$xdg" "$xdg/sway.config" || return 1
		env -i PATH=/usr/bin:/bin HOME="$xdg" XDG_RUNTIME_DIR="$xdg" \
			WLR_BACKENDS=headless WLR_RENDERER=pixman WLR_LIBINPUT_NO_DEVICES=1 \
			setpriv --reuid=nobody --regid=nogroup --clear-groups \
			sway -c "$xdg/sway.config" >"$work/$peer.log" 2>&1 &
		;;
	esac
	pid=$!
	i=0
	while [ $i -lt $((start_limit * 10)) ]; do
		if socket=$(find_socket "$xdg"); then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	log "$peer: no socket after ${start_limit}s; its log:"
	sed 's/^/  /' "$work/$peer.log" >&2
	return 1
}

# SIGTERM, then KILL after 10 s; the exit status, 137 when it had to be killed.
stop_peer() {
	kill -TERM "$pid" 2>/dev/null
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 137
	fi
	wait "$pid"
}

echo "TAP version 13"
for peer in $peers; do
	xdg=$work/$peer-xdg
	if ! start_peer "$peer" "$xdg"; then
		result not-ok "$peer: started headless"
		[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
		continue
	fi
	result ok "$peer: started headless ($(basename "$socket"))"
	# Renumber sb-conform's TAP into ours; a known deviation's failure becomes a TODO.
	# syncbridge serves every global the suite knows: one it does not advertise is a failure.
	globals=
	[ "$peer" = syncbridge ] && globals=--globals-required
	WAYLAND_DISPLAY=$socket XDG_RUNTIME_DIR=$xdg "$conform" -n "$peer" -m "$table" $devices $globals \
		>"$work/$peer.tap" 2>"$work/$peer.err"
	status=$?
	while IFS= read -r line; do
		case $line in
		"ok "* | "not ok "*)
			case $line in "ok "*) verdict=ok ;; *) verdict=not-ok ;; esac
			rest=${line#ok }
			rest=${rest#not ok }
			desc=${rest#* - }
			name=${desc%% # *}
			directive=
			case $desc in *" # "*) directive=${desc#* # } ;; esac
			# syncbridge serves everything the suite checks: a skip there hides a gap.
			if [ "$peer" = syncbridge ]; then
				case $directive in [Ss][Kk][Ii][Pp]*)
					verdict=not-ok
					name="$name (a skip on syncbridge: ${directive#* })"
					directive=
					;;
				esac
			fi
			if [ $verdict = not-ok ]; then
				why=$(awk -v p="$peer" -v c="$name" \
					'$1 == p && $2 == c { $1 = $2 = ""; sub(/^ +/, ""); print }' \
					"$here/known-deviations")
				[ -n "$why" ] && directive="TODO $peer deviation: $why"
			fi
			result $verdict "$peer: $name" "$directive"
			;;
		"#"*) echo "# $peer: ${line#\# }" ;;
		esac
	done <"$work/$peer.tap"
	[ $status -le 1 ] || result not-ok "$peer: sb-conform exited with status $status"
	if [ -s "$work/$peer.err" ]; then
		log "$peer: sb-conform's stderr:"
		sed 's/^/  /' "$work/$peer.err" >&2
	fi
	stop_peer
	status=$?
	# syncbridge must exit cleanly (under ASan: no leak); the peers only stop.
	if [ "$peer" = syncbridge ] && [ $status -ne 0 ]; then
		result not-ok "$peer: exited with status $status after SIGTERM"
		sed 's/^/  /' "$work/$peer.log" >&2
	else
		result ok "$peer: stopped (status $status)"
	fi
done
echo "1..$n"
[ -f "$table" ] && echo "# table: $table"
rm -rf "$work"
[ $failed -eq 0 ]
