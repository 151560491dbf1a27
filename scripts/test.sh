#!/usr/bin/env bash
# Every test: host tests in build/ and build-asan/ (ASan + UBSan), then the VM tests on the
# project's own kernel. Ends with one line counting them all: "total: N passed, N failed, N skipped".
#   scripts/test.sh            everything
#   scripts/test.sh --host     host tests only (no kernel build, no VM)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

host_only=false
[ "${1:-}" = "--host" ] && host_only=true

if $host_only; then
	scripts/deps.sh || exit 1
else
	scripts/deps.sh --vm || exit 1
fi
scripts/build.sh || exit 1

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/lsan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

status=0
kernel_help="the project's kernel could not be built, so no VM test ran; the [kernel] ERROR above \
says why. If a patch no longer applies to Debian's linux-source-6.12, rebase the series with \
kernel/refresh-patches.sh (kernel/README.md); scripts/test.sh --host runs the host tests alone."
meson test -C build --suite host --suite style --print-errorlogs || status=1
meson test -C build-asan --suite host --print-errorlogs || status=1

# The fuzz targets under clang's libFuzzer, a bounded number of executions each (tests/fuzz/).
mkdir -p build-fuzz
tests/fuzz/run.sh >build-fuzz/fuzz.tap || status=1
cat build-fuzz/fuzz.tap
tap_files=(build-fuzz/fuzz.tap)
# The Debian package built from the tree, linted, installed, used and purged (tests/install/).
tests/install/deb_test.sh build/deb >build/deb.tap || status=1
cat build/deb.tap
tap_files+=(build/deb.tap)
if ! $host_only; then
	# The project's kernel, built or taken from the cache, before any VM stage: when it cannot be
	# built, say so once, with what to do, and count it, instead of every stage failing on it.
	mkdir -p build/vm build-asan/vm
	# The kernel for real machines (kernel/build-deb.sh): Debian's config + the project's options
	# after olddefconfig still has every option syncbridge needs. Config only, no build.
	kernel/tests/machine_config_test.sh >build/vm/machine-config.tap || status=1
	cat build/vm/machine-config.tap
	tap_files+=(build/vm/machine-config.tap build/vm/kernel-build.tap)
	if kernel/build.sh >/dev/null; then
		printf '1..1\nok 1 - kernel: the project kernel is built (or cached)\n' >build/vm/kernel-build.tap
	else
		printf '1..1\nnot ok 1 - kernel: the project kernel could not be built\n' \
			>build/vm/kernel-build.tap
		echo "test: $kernel_help"
		host_only=true
		status=1
	fi
fi
if ! $host_only; then
	# The project's kernel in QEMU; the guest sees this checkout read-only at the same path.
	# One boot per build dir.
	tests/vm/run --log-dir build/vm --list tests/vm/default.list \
		--list build/tests/vm/guest-tests.list >build/vm/tap.txt || status=1
	cat build/vm/tap.txt
	tests/vm/run --log-dir build-asan/vm --env "UBSAN_OPTIONS=$UBSAN_OPTIONS" \
		--list build-asan/tests/vm/guest-tests.list >build-asan/vm/tap.txt || status=1
	cat build-asan/vm/tap.txt
	# Two outputs on virtio-gpu's two heads (out-fences per CRTC), plain and ASan, one boot.
	tests/vm/run --log-dir build/vm-two-heads --gpu-outputs 2 --env "UBSAN_OPTIONS=$UBSAN_OPTIONS" \
		--list build/tests/vm/kms-outputs.list --list build-asan/tests/vm/kms-outputs.list \
		>build/vm/two-heads.tap || status=1
	cat build/vm/two-heads.tap
	tap_files+=(build/vm/two-heads.tap)
	# The kernel series (kernel/README.md): a large CMA area for the chunk heap's big
	# allocations, and a small guest whose page cache lands in a small CMA area for fail-fast.
	# Plus the kernel's own dma-buf heaps selftest, on every heap of the guest.
	heap_selftest=$(kernel/tests/upstream-heap-selftest.sh "$root/build/kernel") || status=1
	tests/vm/run --log-dir build/vm-kernel --append cma=384M --timeout-per-test 300 \
		--list build/kernel/tests/kernel-tests.list ${heap_selftest:+"$heap_selftest"} \
		>build/vm/kernel.tap || status=1
	cat build/vm/kernel.tap
	tests/vm/run --log-dir build/vm-failfast --memory 384M --append cma=64M \
		--list build/kernel/tests/kernel-failfast.list >build/vm/failfast.tap || status=1
	cat build/vm/failfast.tap
	tap_files+=(build/vm/kernel.tap build/vm/failfast.tap)
	# sb-conform against syncbridge, weston 10 and sway 1.7 (clients/sb-conform/README.md); the
	# side-by-side table lands in out/conformance/conformance.md.
	mkdir -p out/conformance
	SB_CONFORM_OUT=$root/out/conformance tests/vm/run --log-dir build/vm-conform \
		--out "$root/out/conformance" --list clients/sb-conform/guest.list \
		>build/vm/conform.tap || status=1
	cat build/vm/conform.tap
	tap_files+=(build/vm/conform.tap)
	# The installed libsyncbridge on real fences, built out of tree in the guest: one short boot.
	# Installed here: the guest sees the build read-only, and meson install writes into it.
	rm -rf build/tests/install/destdir
	meson install -C build --destdir "$root/build/tests/install/destdir" --no-rebuild --quiet \
		>build/vm/install-destdir.log 2>&1 || { cat build/vm/install-destdir.log; status=1; }
	tests/vm/run --log-dir build/vm-install --list build/tests/install/guest.list \
		>build/vm/install.tap || status=1
	cat build/vm/install.tap
	tap_files+=(build/vm/install.tap)
	# And the harness fails runs that must fail: a broken, a hung and a splatting guest test.
	tests/vm/harness_test.sh build/vm/harness >build/vm/harness.tap || status=1
	cat build/vm/harness.tap
	tap_files+=(build/vm/tap.txt build-asan/vm/tap.txt build/vm/harness.tap)
fi

python3 tests/summary.py build/meson-logs/testlog.json build-asan/meson-logs/testlog.json \
	"${tap_files[@]}" || status=1
exit $status
