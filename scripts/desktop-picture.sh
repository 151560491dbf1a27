#!/usr/bin/env bash
# The README's desktop picture (doc/desktop.png): syncbridge headless at 1280x720 with Xwayland,
# swaybg, waybar, foot and xclock (an X11 program), taken over the control socket with sb-ctl.
#   scripts/desktop-picture.sh [BUILD_DIR] [OUT.png]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
out=$(realpath -m "${2:-$root/doc/desktop.png}")
for prog in swaybg waybar foot xclock Xwayland; do
	command -v "$prog" >/dev/null || { echo "desktop-picture: $prog missing (scripts/deps.sh)" >&2; exit 2; }
done
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
chmod 700 "$d"
printf '[core]\nbackend=headless\nrenderer=pixman\n[output]\nmode=1280x720\n[xwayland]\nenabled=true\n' >"$d/desktop.ini"
cat >"$d/script.sh" <<SH
set -e
swaybg -c '#2a4d69' &
waybar >/dev/null 2>&1 &
sleep 2
foot -c /dev/null -W 80x20 sh -c 'echo "foot on syncbridge"; uname -sr; sleep 60' &
sb-ctl wait settled:10 window=foot timeout=20000 >/dev/null
xclock -geometry 220x220 &
sb-ctl wait mapped window=xclock timeout=20000 >/dev/null
sb-ctl move 760 120 window=xclock >/dev/null
sleep 1.5
sb-ctl windows
sb-ctl shot "$out"
sb-ctl quit
SH
env -u WAYLAND_DISPLAY -u DISPLAY PATH="$build/clients/sb-ctl:$PATH" XDG_RUNTIME_DIR="$d" \
	XDG_CONFIG_HOME="$d" HOME="$d" "$build/compositor/syncbridge" -c "$d/desktop.ini" \
	--control "$d/ctl" --exec "sh $d/script.sh" 2>"$d/log" || { tail -20 "$d/log" >&2; exit 1; }
