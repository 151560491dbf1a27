# Sourced by run-load-bench.sh and load-smoke.sh: start and stop one compositor headless at
# 1024x768, 60 Hz, pixman, pinned to one core, the way clients/sb-conform/run-peers.sh runs them
# (weston as root, sway as nobody in a runtime dir of its own), at nice -19 (LOAD_NICE): the
# machine is shared, and a compositor that other processes preempt misses frames for them.
#   load_start NAME XDG_DIR LOG CPU   sets load_pid and load_socket; returns 1 if it did not start
#   load_stop                         SIGTERM, KILL after 10 s; returns the exit status
# Needs: load_here (tests/bench), load_root (the repo), load_syncbridge (the binary).

load_find_socket() {
	for s in "$1"/sb-load "$1"/wayland-*; do
		[ -S "$s" ] && { echo "$s"; return 0; }
	done
	return 1
}

load_start() {
	local name=$1 xdg=$2 log=$3 cpu=$4 i=0
	load_pid=
	load_socket=
	rm -rf "$xdg"
	mkdir -m 0700 "$xdg" || return 1
	case $name in
	syncbridge)
		[ -x "$load_syncbridge" ] || { echo "$load_syncbridge not built" >"$log"; return 1; }
		env -u WAYLAND_DISPLAY -u DISPLAY XDG_RUNTIME_DIR="$xdg" \
			LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$load_root/tests/lsan.supp}" \
			nice -n "${LOAD_NICE:--19}" taskset -c "$cpu" "$load_syncbridge" -c "$load_root/weston-ini/conformance.ini" \
			--output-size 1024x768 --refresh 60 --socket sb-load \
			${LOAD_SYNCBRIDGE_ARGS:-} >"$log" 2>&1 &
		;;
	weston)
		command -v weston >/dev/null || { echo "weston not installed" >"$log"; return 1; }
		env -u WAYLAND_DISPLAY -u DISPLAY XDG_RUNTIME_DIR="$xdg" \
			nice -n "${LOAD_NICE:--19}" taskset -c "$cpu" weston --config="$load_here/load-weston.ini" \
			--socket=sb-load --use-pixman >"$log" 2>&1 &
		;;
	sway)
		# sway refuses to run as root; nobody may not read the checkout: copy the config.
		command -v sway >/dev/null || { echo "sway not installed" >"$log"; return 1; }
		cp "$load_here/load-sway.config" "$xdg/sway.config" || return 1
		chown nobody:nogroup "$xdg" "$xdg/sway.config" || return 1
		env -i PATH=/usr/bin:/bin HOME="$xdg" XDG_RUNTIME_DIR="$xdg" \
			WLR_BACKENDS=headless WLR_RENDERER=pixman WLR_LIBINPUT_NO_DEVICES=1 \
			nice -n "${LOAD_NICE:--19}" taskset -c "$cpu" setpriv --reuid=nobody --regid=nogroup --clear-groups \
			sway -c "$xdg/sway.config" >"$log" 2>&1 &
		;;
	*) echo "unknown compositor $name" >"$log"; return 1 ;;
	esac
	load_pid=$!
	while [ $i -lt 600 ]; do
		if load_socket=$(load_find_socket "$xdg"); then
			# The socket exists before the first output frame: let it settle.
			sleep 0.5
			return 0
		fi
		kill -0 "$load_pid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

load_stop() {
	local i=0
	[ -n "$load_pid" ] || return 0
	kill -TERM "$load_pid" 2>/dev/null
	while kill -0 "$load_pid" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$load_pid" 2>/dev/null; then
		kill -KILL "$load_pid" 2>/dev/null
		wait "$load_pid" 2>/dev/null
		load_pid=
		return 137
	fi
	wait "$load_pid"
	local status=$?
	load_pid=
	return $status
}
