#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The ABI of libsyncbridge.so: its soname, and that it exports exactly the functions its public
headers declare, each under the version node SYNCBRIDGE_0, and nothing of the test hooks.
   abi_test.py LIBSYNCBRIDGE_SO HEADER...     (TAP on stdout)"""
import re
import subprocess
import sys

lib, headers = sys.argv[1], sys.argv[2:]
results = []


def check(name, ok, diag=""):
    results.append((name, ok, diag))


declared = set()
for path in headers:
    with open(path) as f:
        text = f.read()
    check("public_header_%s_does_not_include_test_hooks" % path.rsplit("/", 1)[-1].replace(".", "_"),
          "test_hooks.h" not in text and "sb_test_" not in text)
    # Declarations start at the beginning of a line; comments are indented or start with /*.
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    declared |= set(re.findall(r"^[a-z][^;{]*?\b(sb_\w+)\(", text, flags=re.M))

dynamic = subprocess.run(["readelf", "-d", "-W", lib], capture_output=True, text=True).stdout
soname = re.search(r"\(SONAME\)\s+Library soname: \[(.*)\]", dynamic)
check("soname_is_libsyncbridge_so_0", soname is not None and soname.group(1) == "libsyncbridge.so.0",
      "SONAME: %s" % (soname.group(1) if soname else "none"))

nm = subprocess.run(["nm", "-D", "--defined-only", "--with-symbol-versions", lib],
                    capture_output=True, text=True, check=True).stdout
exported = {}
for line in nm.splitlines():
    parts = line.split()
    if len(parts) == 3 and parts[1] != "A":
        name, _, version = parts[2].partition("@@")
        exported[name] = (parts[1], version)
extra = sorted(set(exported) - declared)
missing = sorted(declared - set(exported))
check("exports_exactly_the_declared_functions", not extra and not missing and len(declared) > 40,
      "not declared but exported: %s; declared but not exported: %s" % (extra, missing))
unversioned = sorted(n for n, (_, v) in exported.items() if v != "SYNCBRIDGE_0")
check("every_export_is_in_version_node_syncbridge_0", not unversioned and exported,
      "outside SYNCBRIDGE_0: %s" % unversioned)
check("no_test_hook_is_exported", not any(n.startswith(("sb_test_", "sb_fault")) or n == "sb_log_"
                                          for n in exported))

print("1..%d" % len(results))
for i, (name, ok, diag) in enumerate(results, 1):
    print("%sok %d - %s" % ("" if ok else "not ", i, name))
    if not ok and diag:
        print("# " + diag)
sys.exit(0 if all(ok for _, ok, _ in results) else 1)
