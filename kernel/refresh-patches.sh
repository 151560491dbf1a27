#!/usr/bin/env bash
# Rebase kernel/patches/ on the installed linux-source-6.12, for the day Debian's source moves.
#
#   kernel/refresh-patches.sh [--keep DIR] [--fuzz N]
#   kernel/refresh-patches.sh --export DIR
#
# Unpacks /usr/src/linux-source-6.12.tar.xz into a scratch git tree, commits it as the base, and
# replays every patch of kernel/patches/series with `git am`, which keeps each one's author, date,
# message and trailers. A patch that `git am` refuses (its context moved beyond an offset) is
# applied with `patch --fuzz=N` (default 2) and its commit completed with `git am --continue`.
# Then the series is written back with `git format-patch`, over the old files, in series order.
#
# A patch whose hunks cannot be placed at all stops the refresh: the scratch tree is kept with
# the failed hunks in *.rej files; resolve them there, `git add -A -f && git am --continue`
# (then `git am` the rest of the series), and write the result back with --export DIR.
# Commit dates are the author dates, so refreshing twice on the same source writes the same files.
set -euo pipefail

readonly PKG=linux-source-6.12
# Both overridable for tests/host/kernel_patch_test.py (a small tree instead of the kernel).
readonly TARBALL=${SB_KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO
readonly PATCH_DIR=${SB_PATCH_DIR:-$REPO/kernel/patches}

log() { printf '[refresh %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

KEEP= EXPORT= FUZZ=2
while (($#)); do
	case $1 in
	--keep) KEEP=${2:?--keep needs a directory}; shift ;;
	--export) EXPORT=${2:?--export needs a directory}; shift ;;
	--fuzz) FUZZ=${2:?--fuzz needs a number}; shift ;;
	-h | --help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
	shift
done

# Author dates as commit dates, and one committer: format-patch output depends only on the
# source and the patches.
export GIT_COMMITTER_NAME="syncbridge developers" GIT_COMMITTER_EMAIL=dev@syncbridge.invalid

series() {
	local line
	while IFS= read -r line || [[ -n $line ]]; do
		line=${line%%#*}
		line=$(echo "$line" | xargs)
		[[ -n $line ]] && printf '%s\n' "$line"
	done <"$PATCH_DIR/series"
}

# A patch's changelog (the notes between its `---` and the diffstat, for reviewers, not part of
# the commit) does not survive `git am`: carry it from the old file OLD over to the new one NEW.
keep_changelog() {
	local old=$1 new=$2
	[[ -f $old ]] || return 0
	python3 - "$old" "$new" <<'PY'
import re, sys
old, new = (open(p, encoding="utf-8").read() for p in sys.argv[1:])
def split(text):
    head, sep, rest = text.partition("\n---\n")
    # The changelog ends where the diffstat (" path | n +-") or the diff begins.
    m = re.search(r"^( \S.* \| |diff --git )", rest, re.M)
    return head + sep, rest[:m.start()] if m else "", rest[m.start():] if m else rest
_, log, _ = split(old)
head, _, tail = split(new)
if log.strip():
    open(sys.argv[2], "w", encoding="utf-8").write(head + log + tail)
PY
}

# Write the commits after the base tag back as kernel/patches/*, named as series names them.
export_series() {
	local tree=$1 out names=() i=0 f prefix
	mapfile -t names < <(series)
	out=$(mktemp -d)
	# core.abbrev: index lines as short as in a fresh tree, however many objects this one holds.
	# The subject prefix ("PATCH v5") is the hand-written cover letter's, when there is one.
	prefix=
	[[ -f $PATCH_DIR/0000-cover-letter.patch ]] &&
		prefix=$(sed -n 's/^Subject: \[\(.*\) 0\/[0-9]*\].*/\1/p' \
			"$PATCH_DIR/0000-cover-letter.patch" | head -n1)
	git -C "$tree" -c core.abbrev=7 format-patch -q --no-signature --subject-prefix="${prefix:-PATCH}" \
		-o "$out" syncbridge-base..HEAD
	mapfile -t files < <(find "$out" -name '*.patch' | sort)
	((${#files[@]} == ${#names[@]})) ||
		die "$tree has ${#files[@]} commit(s) after syncbridge-base, the series ${#names[@]}"
	for f in "${files[@]}"; do
		# format-patch's names come from the subjects; keep the series' own names.
		[[ $(basename "$f") == "${names[i]}" ]] ||
			log "note: $(basename "$f") is written as ${names[i]} (the name series uses)"
		keep_changelog "$PATCH_DIR/${names[i]}" "$f"
		cp "$f" "$PATCH_DIR/${names[i]}"
		i=$((i + 1))
	done
	rm -rf "$out"
	log "wrote ${#names[@]} patch(es) to $PATCH_DIR; review with: git -C $REPO diff --stat kernel/patches"
}

if [[ -n $EXPORT ]]; then
	git -C "$EXPORT" rev-parse -q --verify syncbridge-base >/dev/null ||
		die "$EXPORT is not a tree made by this script (no syncbridge-base tag)"
	export_series "$EXPORT"
	exit 0
fi

[[ -f $TARBALL ]] || die "$TARBALL is missing: apt-get install $PKG"
version=${SB_KERNEL_VERSION:-$(dpkg-query -W -f='${Version}' "$PKG" 2>/dev/null || echo unknown)}
tree=${KEEP:-$(mktemp -d)/linux}
[[ -e $tree ]] && die "$tree exists; name a new directory with --keep"
mkdir -p "$tree"
log "unpacking $TARBALL ($version) into $tree, ~15 s"
tar -xf "$TARBALL" -C "$tree" --strip-components=1
cd "$tree"
git init -q
# Debian's linux-source .gitignore ignores the whole top level (it tracks only debian/): -f.
log "committing the base tree, ~30 s"
git add -f -A .
# Dated by the tarball, so the base commit (and every From line after it) is the same each run.
base_date="@$(stat -c %Y "$TARBALL") +0000"
GIT_AUTHOR_NAME=Debian GIT_AUTHOR_EMAIL=debian-kernel@lists.debian.org \
	GIT_AUTHOR_DATE=$base_date GIT_COMMITTER_DATE=$base_date git commit -q -m "$PKG $version"
git tag syncbridge-base

plog=$(mktemp)
trap 'rm -f "$plog"' EXIT
while IFS= read -r name; do
	p=$PATCH_DIR/$name
	if git am -q --committer-date-is-author-date "$p" >/dev/null 2>&1; then
		log "$name: applies exactly"
		continue
	fi
	# git apply takes offsets but never fuzz: place the hunks with patch(1) and let git am
	# finish the commit from the mail it has already parsed.
	if ! LC_ALL=C patch -p1 --fuzz="$FUZZ" --no-backup-if-mismatch --batch \
		<.git/rebase-apply/patch >"$plog" 2>&1; then
		cat "$plog" >&2
		die "$name: hunks above FAILED even with fuzz $FUZZ; resolve the *.rej files in $tree," \
			"then: git -C $tree add -A -f && git -C $tree am --continue, git am the rest," \
			"and $0 --export $tree"
	fi
	grep -E 'offset|fuzz' "$plog" | sed "s|^|[refresh] $name: |" >&2 || true
	git add -f -A .
	git am -q --committer-date-is-author-date --continue
	log "$name: rebased (context moved)"
done < <(series)

export_series "$tree"
[[ -n $KEEP ]] || rm -rf "$(dirname "$tree")"
