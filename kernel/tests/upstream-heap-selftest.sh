#!/usr/bin/env bash
# Builds the kernel's own dma-buf heaps selftest (tools/testing/selftests/dmabuf-heaps) from the
# source tree of the project's kernel, against that kernel's uapi headers, so that its checks
# run on every heap of the guest, the chunk heap included. Prints the binary's path.
#   kernel/tests/upstream-heap-selftest.sh OUT_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out_dir=$1
bzimage=$("$here/../build.sh" | tail -1)
kout=$(dirname "$bzimage")
ksrc=$(awk '$1 == "source" { print $2 }' "$kout/info")
mkdir -p "$out_dir"
gcc -O2 -Wall -I"$kout/headers/include" -I"$ksrc/tools/testing/selftests" \
	-o "$out_dir/dmabuf-heap-selftest" "$ksrc/tools/testing/selftests/dmabuf-heaps/dmabuf-heap.c"
echo "$out_dir/dmabuf-heap-selftest"
