#!/usr/bin/env python3
"""Applies kernel/patches to a source tree the way kernel/build.sh needs it to survive Debian's
stable updates:

  apply_series.py --tree DIR --source "linux-source-6.12 6.12.118-1~deb12u1" PATCH...

Each patch applies exactly if every hunk fits at its own line without fuzz. One that
needs offsets or fuzz is applied all the same, and a warning names the patch, each hunk that
moved (file, hunk number, its @@ header and function) and the source version: the kernel tests
judge whether it still works. Only a hunk that cannot be placed at all (even with fuzz 2) fails
the run, with the same precise message and nothing of that patch applied. Exit status: 0
applied (exactly or not), 1 a patch cannot be applied, 2 usage."""
import argparse
import os
import re
import subprocess
import sys

FUZZ = 2
REFRESH = "kernel/refresh-patches.sh (kernel/README.md, \"When Debian's source moves\")"
PATCHING = re.compile(r"^(?:patching|checking) file '?(.+?)'?$")
HUNK = re.compile(r"^Hunk #(\d+) (succeeded|FAILED|ignored) at (\d+)(?: with fuzz (\d+))?"
                  r"(?: \(offset (-?\d+) lines?\))?")


def log(level, msg):
    print(f"[kernel] {level}{msg}", file=sys.stderr, flush=True)


def hunk_headers(patch_path):
    """{file: [@@ header of hunk 1, 2, ...]} in the order patch(1) numbers them."""
    headers, current = {}, None
    with open(patch_path, errors="replace") as f:
        for line in f:
            if line.startswith(("--- ", "+++ ")):
                name = line[4:].split("\t")[0].strip()
                if name == "/dev/null":  # a new file: named by +++; a deleted one: by ---
                    continue
                name = name.split("/", 1)[1] if "/" in name else name
                current = name
                headers.setdefault(current, [])
            elif line.startswith("@@ ") and current is not None:
                headers[current].append(line.rstrip("\n"))
    return headers


def run_patch(tree, patch_path, fuzz, dry_run):
    cmd = ["patch", "-d", tree, "-p1", "--forward", "--batch", "--verbose",
           f"--fuzz={fuzz}", "--no-backup-if-mismatch"]
    if dry_run:
        cmd.append("--dry-run")
    with open(patch_path, "rb") as f:
        res = subprocess.run(cmd, stdin=f, capture_output=True, text=True,
                             env=dict(os.environ, LC_ALL="C"))
    return res.returncode, res.stdout + res.stderr


def parse(output, headers):
    """Hunks that did not apply exactly: [(file, n, header, how)], and whether any failed."""
    moved, failed, current = [], [], None
    for line in output.splitlines():
        m = PATCHING.match(line)
        if m:
            current = m.group(1)
            continue
        if line.startswith("can't find file to patch"):
            failed.append((current or "?", 0, "", "the file to patch does not exist"))
            continue
        if line.startswith("Reversed (or previously applied) patch detected"):
            failed.append((current or "?", 0, "", "already applied (or reversed)"))
            continue
        m = HUNK.match(line)
        if not m:
            continue
        n, status, at = int(m.group(1)), m.group(2), int(m.group(3))
        fuzz, offset = int(m.group(4) or 0), int(m.group(5) or 0)
        file_headers = headers.get(current, [])
        header = file_headers[n - 1] if 0 < n <= len(file_headers) else ""
        if status != "succeeded":
            failed.append((current, n, header,
                           f"FAILED: its context is not in the file (tried at line {at}, "
                           f"fuzz up to {FUZZ})"))
        elif fuzz or offset:
            how = ", ".join(x for x in (f"fuzz {fuzz}" if fuzz else "",
                                        f"offset {offset:+d} lines" if offset else "") if x)
            moved.append((current, n, header, how))
    return moved, failed


def describe(hunks):
    """One indented line per hunk: the file, its number and @@ header (which names the
    function), and what happened to it."""
    return "".join(f"\n    {f} hunk #{n}{' (' + h + ')' if h else ''}: {how}" if n
                   else f"\n    {f}: {how}" for f, n, h, how in hunks)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", required=True)
    ap.add_argument("--source", required=True, help="the source's name and version, for messages")
    ap.add_argument("patches", nargs="*")
    args = ap.parse_args()
    applied, inexact = [], 0
    for path in args.patches:
        name = os.path.basename(path)
        # One dry run with fuzz tells both whether the patch applies and whether it applies
        # exactly (no hunk moved nor fuzzed): nothing of it is touched unless all of it fits.
        rc, out = run_patch(args.tree, path, FUZZ, True)
        moved, failed = parse(out, hunk_headers(path))
        if rc != 0 or failed:
            after = ", ".join(applied) if applied else "nothing"
            log("ERROR: ", f"{name} cannot be applied to {args.source}: "
                f"{describe(failed) or out.strip().splitlines()[-1]}\n  (applied before it: {after}). "
                f"Rebase the series by hand: {REFRESH}")
            return 1
        rc, out = run_patch(args.tree, path, FUZZ, False)
        if rc != 0:
            sys.stderr.write(out)
            log("ERROR: ", f"{name}: patch failed after a clean dry run (exit {rc})")
            return 1
        applied.append(name)
        if not moved:
            log("", f"applied {name} (exactly)")
            continue
        inexact += 1
        log("WARNING: ", f"{name} does not apply exactly to {args.source}, applied anyway "
            f"(the kernel tests judge it):{describe(moved)}\n  To make it exact again: {REFRESH}")
    if inexact:
        log("WARNING: ", f"{inexact} of {len(args.patches)} patch(es) applied inexactly to "
            f"{args.source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
