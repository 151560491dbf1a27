#!/usr/bin/env python3
"""Host: how kernel/ meets a Debian source that moved under its patch series, on a small tree
instead of the kernel (no VM, no kernel source needed). kernel/apply_series.py (what build.sh
applies the series with) and kernel/refresh-patches.sh (what rebases it). TAP.
usage: kernel_patch_test.py [REPO]"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "lib"))
import taptest  # noqa: E402

REPO = os.path.realpath(sys.argv[1] if len(sys.argv) > 1 else
                        os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", ".."))
APPLY = os.path.join(REPO, "kernel", "apply_series.py")
REFRESH = os.path.join(REPO, "kernel", "refresh-patches.sh")
SOURCE = "linux-source-6.12 6.12.999-1~test"
TMP = tempfile.mkdtemp(prefix="sb-kernel-patch-test-")
test = taptest.Registry()

# The "kernel" the series was written against: two functions in one file.
ORIGINAL = """\
/* SPDX-License-Identifier: GPL-2.0 */
#include "alloc.h"

static int first_pass(struct range *r)
{
	int ret = 0;

	ret = migrate(r);
	if (ret && ret != -EBUSY)
		goto done;
	ret = 0;
done:
	return ret;
}

static int second_pass(struct range *r)
{
	if (!r->pages)
		return -EINVAL;
	return isolate(r);
}
"""

# Our patch against it: two hunks, one in each function.
PATCH = """\
From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Jane Developer <jane@syncbridge.invalid>
Date: Wed, 25 Nov 2026 19:31:57 +0000
Subject: [PATCH] mm: fail fast with __GFP_NORETRY

Give up at once on a busy range when asked to.

Signed-off-by: Jane Developer <jane@syncbridge.invalid>
Reviewed-by: Joe Reviewer <joe@syncbridge.invalid>
---
 mm/alloc.c | 4 +++-
 1 file changed, 3 insertions(+), 1 deletion(-)

diff --git a/mm/alloc.c b/mm/alloc.c
--- a/mm/alloc.c
+++ b/mm/alloc.c
@@ -6,7 +6,7 @@ static int first_pass(struct range *r)
 	int ret = 0;
 
 	ret = migrate(r);
-	if (ret && ret != -EBUSY)
+	if (ret && (ret != -EBUSY || r->noretry))
 		goto done;
 	ret = 0;
 done:
@@ -17,5 +17,7 @@ static int second_pass(struct range *r)
 {
 	if (!r->pages)
 		return -EINVAL;
+	if (r->noretry)
+		r->async = true;
 	return isolate(r);
 }
"""

# A stable update that only added lines above: every hunk applies, at an offset.
MOVED = ORIGINAL.replace('#include "alloc.h"\n', '#include "alloc.h"\n#include "stable.h"\n\n'
                         '/* backported */\n')
# One that also changed a line of the first hunk's context (the "ret = 0;" after the test
# went, as 6.12.118 did): that hunk needs fuzz, the second only an offset.
FUZZED = MOVED.replace("\tret = 0;\ndone:", "\tret = replace_free(r);\ndone:")
# One that rewrote the second function: its hunk has nowhere to go.
GONE = MOVED.replace("\tif (!r->pages)\n\t\treturn -EINVAL;\n\treturn isolate(r);",
                     "\treturn r->pages ? isolate_range(r, 0) : -EINVAL;")


def make_tree(name, content):
    tree = os.path.join(TMP, name)
    os.makedirs(os.path.join(tree, "mm"))
    with open(os.path.join(tree, "mm", "alloc.c"), "w") as f:
        f.write(content)
    return tree


def write_patch(name="0001-mm-fail-fast-with-__GFP_NORETRY.patch", text=PATCH):
    d = tempfile.mkdtemp(dir=TMP, prefix="patches-")
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def apply(tree, *patches):
    p = subprocess.run([sys.executable, APPLY, "--tree", tree, "--source", SOURCE, *patches],
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stderr


def read(tree):
    with open(os.path.join(tree, "mm", "alloc.c")) as f:
        return f.read()


def patched(text):
    return text.replace("\tif (ret && ret != -EBUSY)\n",
                        "\tif (ret && (ret != -EBUSY || r->noretry))\n").replace(
        "\t\treturn -EINVAL;\n\treturn isolate(r);",
        "\t\treturn -EINVAL;\n\tif (r->noretry)\n\t\tr->async = true;\n\treturn isolate(r);")


@test
def exact_patch_applies_without_a_warning():
    tree = make_tree("exact", ORIGINAL)
    rc, err = apply(tree, write_patch())
    assert rc == 0, err
    assert "applied 0001-mm-fail-fast-with-__GFP_NORETRY.patch (exactly)" in err, err
    assert "WARNING" not in err, err
    assert read(tree) == patched(ORIGINAL)


@test
def moved_context_applies_with_a_warning_naming_patch_hunks_and_source():
    tree = make_tree("moved", MOVED)
    rc, err = apply(tree, write_patch())
    assert rc == 0, err
    assert read(tree) == patched(MOVED), read(tree)
    warning = [line for line in err.splitlines() if "WARNING: 0001-" in line]
    assert warning, err
    assert "does not apply exactly to " + SOURCE in warning[0], warning
    # Both hunks, each with its @@ header (naming the function) and the offset.
    assert "mm/alloc.c hunk #1 (@@ -6,7 +6,7 @@ static int first_pass" in err, err
    assert "mm/alloc.c hunk #2 (@@ -17,5 +17,7 @@ static int second_pass" in err, err
    assert err.count("offset +3 lines") == 2, err
    assert "fuzz" not in err, err
    assert "kernel/refresh-patches.sh" in err, err


@test
def changed_context_applies_with_fuzz_named_for_its_hunk_only():
    tree = make_tree("fuzzed", FUZZED)
    rc, err = apply(tree, write_patch())
    assert rc == 0, err
    assert "if (ret && (ret != -EBUSY || r->noretry))" in read(tree)
    assert "r->async = true;" in read(tree)
    hunk1 = [line for line in err.splitlines() if "hunk #1" in line]
    hunk2 = [line for line in err.splitlines() if "hunk #2" in line]
    assert hunk1 and "fuzz 2" in hunk1[0] and "offset +3 lines" in hunk1[0], err
    assert hunk2 and "fuzz" not in hunk2[0] and "offset +3 lines" in hunk2[0], err
    assert "1 of 1 patch(es) applied inexactly to " + SOURCE in err, err


@test
def gone_context_fails_naming_the_hunk_and_applies_nothing_of_it():
    tree = make_tree("gone", GONE)
    first = write_patch("0001-first.patch")
    rc, err = apply(tree, first)
    assert rc == 1, (rc, err)
    error = [line for line in err.splitlines() if "ERROR: " in line]
    assert error and "0001-first.patch cannot be applied to " + SOURCE in error[0], err
    assert "mm/alloc.c hunk #2 (@@ -17,5 +17,7 @@ static int second_pass" in err, err
    assert "FAILED" in err, err
    assert "hunk #1" not in err, err  # the hunk that could go is not blamed
    assert "kernel/refresh-patches.sh" in err, err
    assert read(tree) == GONE, "a patch that cannot apply must leave the tree as it was"


@test
def a_failing_patch_names_the_ones_applied_before_it():
    tree = make_tree("series", GONE)
    helper = ("diff --git a/mm/extra.c b/mm/extra.c\nnew file mode 100644\n--- /dev/null\n"
              "+++ b/mm/extra.c\n@@ -0,0 +1 @@\n+int extra;\n")
    first = write_patch("0001-mm-add-extra.patch", helper)
    second = write_patch("0002-mm-fail-fast.patch")
    rc, err = apply(tree, first, second)
    assert rc == 1, err
    assert "applied 0001-mm-add-extra.patch (exactly)" in err, err
    assert "(applied before it: 0001-mm-add-extra.patch)" in err, err


@test
def a_missing_file_is_a_clear_failure():
    tree = make_tree("nofile", ORIGINAL)
    os.remove(os.path.join(tree, "mm", "alloc.c"))
    rc, err = apply(tree, write_patch())
    assert rc == 1, err
    assert "the file to patch does not exist" in err, err


def refresh_env(tarball, patch_dir):
    e = dict(os.environ, SB_KERNEL_TARBALL=tarball, SB_PATCH_DIR=patch_dir,
             SB_KERNEL_VERSION="6.12.999-1~test")
    # No user identity needed: the script sets the committer; the author comes from the patch.
    for k in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):
        e.pop(k, None)
    return e


def make_tarball(name, content):
    src = os.path.join(TMP, name + "-src")
    os.makedirs(os.path.join(src, "linux-source-6.12", "mm"))
    with open(os.path.join(src, "linux-source-6.12", "mm", "alloc.c"), "w") as f:
        f.write(content)
    tarball = os.path.join(TMP, name + ".tar")
    subprocess.run(["tar", "-cf", tarball, "-C", src, "linux-source-6.12"], check=True)
    return tarball


def refresh(name, content, *args):
    """kernel/refresh-patches.sh on a tarball holding content and a one-patch series: the
    process and the path of the series' patch."""
    tarball = make_tarball(name, content)
    patches = make_series(name)
    p = subprocess.run(["bash", REFRESH, *args], env=refresh_env(tarball, patches),
                       capture_output=True, text=True, timeout=120)
    return p, os.path.join(patches, "0001-mm-fail-fast-with-__GFP_NORETRY.patch")


def make_series(name):
    d = os.path.join(TMP, name + "-patches")
    os.makedirs(d)
    with open(os.path.join(d, "0001-mm-fail-fast-with-__GFP_NORETRY.patch"), "w") as f:
        f.write(PATCH)
    with open(os.path.join(d, "series"), "w") as f:
        f.write("# test series\n0001-mm-fail-fast-with-__GFP_NORETRY.patch\n")
    return d


@test
def refresh_rebases_the_series_keeping_authorship_message_and_trailers():
    if not shutil.which("git"):
        return "git is not installed"
    p, name = refresh("refresh", FUZZED)
    assert p.returncode == 0, p.stderr
    assert "rebased (context moved)" in p.stderr, p.stderr
    with open(name) as f:
        text = f.read()
    for kept in ("From: Jane Developer <jane@syncbridge.invalid>",
                 "Date: Wed, 25 Nov 2026 19:31:57 +0000",
                 "Subject: [PATCH] mm: fail fast with __GFP_NORETRY",
                 "Give up at once on a busy range when asked to.",
                 "Signed-off-by: Jane Developer <jane@syncbridge.invalid>",
                 "Reviewed-by: Joe Reviewer <joe@syncbridge.invalid>"):
        assert kept in text, (kept, text)
    assert "@@ -9,7 +9,7 @@ static int first_pass" in text, text
    # The refreshed patch now applies exactly to the source it was refreshed on.
    tree = make_tree("refreshed", FUZZED)
    rc, err = apply(tree, name)
    assert rc == 0 and "(exactly)" in err and "WARNING" not in err, err
    # And refreshing again on the same source writes the same bytes.
    p = subprocess.run(["bash", REFRESH], capture_output=True, text=True, timeout=120,
                       env=refresh_env(os.path.join(TMP, "refresh.tar"), os.path.dirname(name)))
    assert p.returncode == 0, p.stderr
    assert "applies exactly" in p.stderr, p.stderr
    with open(name) as f:
        assert f.read() == text, "a second refresh on the same source changed the patch"


@test
def refresh_keeps_the_changelog_below_the_dashes_and_takes_the_cover_letters_prefix():
    if not shutil.which("git"):
        return "git is not installed"
    changelog = "v5:\n- give up on a busy range before isolating it\n\n"
    tarball = make_tarball("refresh-log", ORIGINAL)
    patches = make_series("refresh-log")
    name = os.path.join(patches, "0001-mm-fail-fast-with-__GFP_NORETRY.patch")
    with open(name, "w") as f:
        f.write(PATCH.replace("---\n mm/alloc.c", "---\n" + changelog + " mm/alloc.c", 1))
    # A cover letter (not in series) gives the subject prefix.
    with open(os.path.join(patches, "0000-cover-letter.patch"), "w") as f:
        f.write("Subject: [PATCH v9 0/1] fail fast\n\nWhy.\n")
    p = subprocess.run(["bash", REFRESH], env=refresh_env(tarball, patches),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    with open(name) as f:
        text = f.read()
    # git am drops it from the commit; the refresh puts it back, between --- and the diffstat.
    assert "---\n" + changelog + " mm/alloc.c | " in text, text
    assert text.count("v5:") == 1, text
    assert "Subject: [PATCH v9] mm: fail fast with __GFP_NORETRY" in text, text


@test
def refresh_stops_on_a_hunk_that_cannot_be_placed_and_keeps_the_tree():
    if not shutil.which("git"):
        return "git is not installed"
    keep = os.path.join(TMP, "refresh-gone-tree")
    p, name = refresh("refresh-gone", GONE, "--keep", keep)
    assert p.returncode == 1, p.stderr
    assert "FAILED even with fuzz 2" in p.stderr and keep in p.stderr, p.stderr
    assert os.path.exists(os.path.join(keep, "mm", "alloc.c.rej")), os.listdir(keep + "/mm")
    with open(name) as f:
        assert f.read() == PATCH, "a failed refresh must not touch the series"


if __name__ == "__main__":
    status = test.run(comment_lines=30)
    shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(status)
