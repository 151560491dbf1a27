#!/usr/bin/env bash
# wp_fifo_v1 and wp_commit_timing_v1 served by syncbridge. Runs sb-conform's cases of the two
# protocols (clients/sb-conform/cases_timing.c, the same cases the VM runs against weston and sway)
# against a syncbridge of its own, every global required, then checks that it exits cleanly (no
# leak under ASan). On the host: headless with CONFIG.INI. In the guest (drm): the DRM backend on
# vkms, so that the fifo barriers are cleared by page flips and the timed commits follow vblanks.
#   timing_test.sh SYNCBRIDGE SB-CONFORM CONFIG.INI [drm]
set -u
syncbridge=$1 conform=$2 ini=$3 backend=${4:-headless}
dir=$(mktemp -d "${TMPDIR:-/tmp}/sb-timing.XXXXXX") || exit 2
trap 'rm -rf "$dir"' EXIT

cases=$("$conform" --list | grep -E '^(fifo_|commit_timer_)')
n=$(echo "$cases" | wc -l)
echo "1..$((n + 2))"
args=(-c "$ini")
if [ "$backend" = drm ]; then
	# The card numbers follow probe order: vkms is found by its driver.
	card=
	for c in /sys/class/drm/card[0-9]*; do
		case ${c##*/} in *-*) continue ;; esac
		[ "$(basename "$(readlink -f "$c/device")")" = vkms ] && card=/dev/dri/${c##*/}
	done
	[ -n "$card" ] || {
		echo "Bail out! no vkms card"
		exit 1
	}
	export WLR_DRM_DEVICES=$card LIBSEAT_BACKEND=builtin
	args=(--backend drm --renderer pixman --output-size 640x480)
fi
env -u WAYLAND_DISPLAY -u DISPLAY XDG_RUNTIME_DIR="$dir" "$syncbridge" "${args[@]}" \
	--socket sb-timing >"$dir/log" 2>&1 &
pid=$!
i=0
while [ ! -S "$dir/sb-timing" ] && [ $i -lt 600 ] && kill -0 $pid 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
if [ -S "$dir/sb-timing" ]; then
	echo "ok 1 - syncbridge starts ($backend)"
else
	echo "not ok 1 - syncbridge starts ($backend)"
	sed 's/^/# /' "$dir/log"
fi
# sb-conform numbers its cases from 1: ours from 2. Its stderr has the protocol errors the
# cases provoke on purpose.
# shellcheck disable=SC2086
WAYLAND_DISPLAY=sb-timing XDG_RUNTIME_DIR="$dir" "$conform" -n syncbridge --globals-required \
	-t 60 $cases 2>"$dir/err" | awk '
	/^ok [0-9]+ / { $2 = $2 + 1; print; next }
	/^not ok [0-9]+ / { $3 = $3 + 1; print; next }
	/^#/ { print }'
kill -TERM $pid 2>/dev/null
wait $pid
status=$?
if [ $status -eq 0 ]; then
	echo "ok $((n + 2)) - syncbridge exits cleanly after the cases"
else
	echo "not ok $((n + 2)) - syncbridge exits cleanly after the cases (status $status)"
	sed 's/^/# /' "$dir/log" | tail -40
fi
