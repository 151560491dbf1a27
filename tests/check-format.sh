#!/bin/sh
# TAP: one line per tracked C file, failing where clang-format (.clang-format at the root)
# would change it. kernel/ is left out: its patches follow the kernel's own style and tools.
set -u
root=${1:?usage: check-format.sh SOURCE_ROOT}
clang_format=${CLANG_FORMAT:-clang-format}
cd "$root" || exit 1
files=$(git ls-files -- '*.c' '*.h' ':!:kernel/*' 2>/dev/null)
if [ -z "$files" ]; then
	echo "1..0 # SKIP not a git checkout, or no C files tracked"
	exit 0
fi
echo "1..$(echo "$files" | wc -l)"
n=0
status=0
for f in $files; do
	n=$((n + 1))
	if "$clang_format" --dry-run -Werror "$f" >/dev/null 2>&1; then
		echo "ok $n - $f"
	else
		echo "not ok $n - $f"
		"$clang_format" "$f" | diff -u "$f" - | head -20 | sed 's/^/# /'
		status=1
	fi
done
exit $status
