#!/usr/bin/env bash
# Installs the Debian 12 packages syncbridge needs, only those missing: apt-get runs only when
# something is missing, so a set-up machine starts in a second.
#   scripts/deps.sh           build + host tests
#   scripts/deps.sh --vm      also what the kernel build and the VM tests need
set -euo pipefail

packages=(
	git ca-certificates python3
	gcc libc6-dev pkg-config meson ninja-build clang-format clang libclang-rt-14-dev
	libdrm-dev
	libwlroots-dev libwayland-dev wayland-protocols libxkbcommon-dev libpixman-1-dev libpng-dev
	weston wayland-utils python3-matplotlib xvfb strace libgbm-dev wlcs foot fonts-dejavu-core
	scdoc debhelper dpkg-dev lintian man-db
	# The desktop programs of tests/host/desktop_test.py (#20).
	swaybg waybar wtype wl-clipboard wlr-randr swayidle
	# Xwayland and X11 clients of tests/host/desktop_wm_test.py (#20).
	xwayland x11-apps libxcb1-dev
)
vm_packages=(
	linux-source-6.12 linux-config-6.12 xz-utils make flex bison bc libelf-dev libssl-dev cpio
	qemu-system-x86 busybox-static seatd sway libegl-dev libgles-dev libegl-mesa0 libgl1-mesa-dri
	udev
)

if [ "${1:-}" = "--vm" ]; then
	packages+=("${vm_packages[@]}")
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
echo "deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages and not root: run as root, or install them: ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
