#!/bin/sh
# Harness self-test, run inside the test VM: the devices and mounts the guest tests rely on exist.
# Prints TAP. Part of tests/vm/default.list.
set -u

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { # not_ok DESCRIPTION [DIAGNOSTIC LINE...]
	n=$((n + 1))
	failed=1
	echo "not ok $n - $1"
	shift
	for line in "$@"; do echo "# $line"; done
}
check() { # check DESCRIPTION COMMAND...
	desc=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$desc"; else not_ok "$desc"; fi
}

# The card whose device is driven by $1, from sysfs. vgem and vkms register a bare platform
# device (no driver link) named after themselves; virtio_gpu's card hangs off the PCI device
# (driver virtio-pci), whose virtio child is bound to virtio_gpu. Card numbers depend on probe
# order, so they are never assumed.
drm_card_for() {
	for card in /sys/class/drm/card[0-9]*; do
		case ${card##*/} in *-*) continue ;; esac # connectors, e.g. card1-Virtual-1
		for name in "$card/device" "$card/device/driver" "$card"/device/virtio*/driver; do
			[ -e "$name" ] || continue
			if [ "$(basename "$(readlink -f "$name")")" = "$1" ]; then
				echo "${card##*/}"
				return 0
			fi
		done
	done
	return 1
}

check_drm_driver() {
	if card=$(drm_card_for "$1") && [ -c "/dev/dri/$card" ]; then
		ok "$1 is /dev/dri/$card"
	else
		not_ok "$1 has a /dev/dri/card* node" "$(ls -l /sys/class/drm/ 2>&1)"
	fi
}

# The authoritative name: DRM_IOCTL_VERSION on each node. Also shows that the host's dynamically
# linked python3 runs in the guest.
drm_ioctl_names() {
	python3 - <<'PY'
import ctypes, fcntl, glob, os
class Version(ctypes.Structure):
    _fields_ = [("major", ctypes.c_int), ("minor", ctypes.c_int), ("patch", ctypes.c_int),
                ("name_len", ctypes.c_size_t), ("name", ctypes.c_void_p),
                ("date_len", ctypes.c_size_t), ("date", ctypes.c_void_p),
                ("desc_len", ctypes.c_size_t), ("desc", ctypes.c_void_p)]
DRM_IOCTL_VERSION = (3 << 30) | (ctypes.sizeof(Version) << 16) | (ord("d") << 8) | 0x00
for node in sorted(glob.glob("/dev/dri/card*")):
    buf = ctypes.create_string_buffer(64)
    v = Version(name_len=64, name=ctypes.addressof(buf))
    fd = os.open(node, os.O_RDWR | os.O_CLOEXEC)
    fcntl.ioctl(fd, DRM_IOCTL_VERSION, v)
    os.close(fd)
    print(buf.value.decode())
PY
}

check_ioctl_names() {
	names=$(drm_ioctl_names 2>&1 | sort | tr '\n' ' ')
	if [ "$names" = "vgem virtio_gpu vkms " ]; then
		ok "DRM_IOCTL_VERSION names: $names"
	else
		not_ok "DRM_IOCTL_VERSION names are vgem virtio_gpu vkms" "got: $names"
	fi
}

# The host root is shared read-only: QEMU exports it readonly and the guest mounts it ro.
check_host_root_ro() {
	opts=$(awk '$2 == "/run/sbvm/host" && $3 == "9p" { print $4 }' /proc/mounts)
	case ,$opts, in
	*,ro,*) ok "host root is mounted read-only over 9p ($opts)" ;;
	*) not_ok "host root is mounted read-only over 9p" "mount options: '$opts'" ;;
	esac
	if touch /run/sbvm/host/sbvm-write-probe 2>/dev/null; then
		not_ok "writing to the host root fails"
	else
		ok "writing to the host root fails"
	fi
}

# Writes to the root go to the overlay's tmpfs, never to the host.
check_overlay() {
	probe=/etc/sbvm-overlay-probe-$$
	if echo x >"$probe" && [ ! -e "/run/sbvm/host$probe" ]; then
		ok "/ is writable through the overlay, host unchanged"
	else
		not_ok "/ is writable through the overlay, host unchanged"
	fi
	rm -f "$probe"
}

# fbcon=map:1 puts the text console on virtio-gpu: write to it, then have the host save the
# screen. Nothing here can look at the PNG: the host log dir shows selftest-screen.png.
check_screendump() {
	printf '\033[2J\033[Hsyncbridge VM selftest: this text is on the virtio-gpu scanout\n' >/dev/tty1
	sleep 0.5 # fbdev emulation flushes damage to the virtio-gpu scanout from a worker
	if err=$(sbvm-screendump selftest-screen 2>&1); then
		ok "screendump request acknowledged by the host"
	else
		not_ok "screendump request acknowledged by the host" "$err"
	fi
}

# shellcheck disable=SC2317 # called through check
is_tmpfs() {
	[ "$(awk -v dir="$1" '$2 == dir { fs = $3 } END { print fs }' /proc/mounts)" = tmpfs ]
}

echo "1..16"
check_drm_driver vgem
check_drm_driver vkms
check_drm_driver virtio_gpu
check_ioctl_names
check "/dev/udmabuf is a char device" test -c /dev/udmabuf
check "/dev/dma_heap/system is a char device" test -c /dev/dma_heap/system
check "/dev/dma_heap/reserved (CMA heap) is a char device" test -c /dev/dma_heap/reserved
check "sw_sync timeline at /sys/kernel/debug/sync/sw_sync" test -e /sys/kernel/debug/sync/sw_sync
check "2 CPUs online (needs ACPI)" test "$(nproc)" -ge 2
check_host_root_ro
check_overlay
check "/tmp is a tmpfs" is_tmpfs /tmp
check "/run is a tmpfs" is_tmpfs /run
check "XDG_RUNTIME_DIR is a private (0700) dir" test "$(stat -c %a "${XDG_RUNTIME_DIR:-/}")" = 700
check_screendump
exit $failed
