#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The API reference of libsyncbridge, section 3, from the comments of its public headers: each
header is one object and one page; each comment documents the declarations that follow it. The
output is scdoc(5) source, which scdoc(1) turns into the man page (as the section 1 and 5 pages).
   header2scd.py PAGE HEADER SUMMARY SEE_ALSO... > PAGE.3.scd
   header2scd.py --overview TEMPLATE.scd EXAMPLE.c > libsyncbridge.3.scd"""
import re
import sys


def escape(text):
    """Prose for scdoc: *, _ and \\ are markup there."""
    return re.sub(r"([\\*_])", r"\\\1", text)


def literal(text):
    """Code for an scdoc literal block: scdoc passes it to roff as it is, where \\ is an escape."""
    return text.replace("\\", "\\\\")


def parse(text, own_struct):
    """The header as [comment, [declaration...]] groups, in order: a comment documents the
    declarations that follow it without a blank line between."""
    text = re.sub(r"^#.*$", "", text, flags=re.M)  # guards, includes
    groups, pos, last_end = [], 0, 0
    nonspace = re.compile(r"\S")
    while True:
        m = nonspace.search(text, pos)
        if not m:
            return groups
        pos = m.start()
        if text.startswith("/*", pos):
            end = text.index("*/", pos) + 2
            lines = [re.sub(r"^\s*\* ?", "", l).rstrip() for l in text[pos + 2:end - 2].split("\n")]
            if not lines[0].strip().startswith("SPDX-License-Identifier"):
                groups.append(["\n".join(lines).strip(), []])
            pos = last_end = end
            continue
        # A declaration: to the ';' outside braces (enum and struct bodies included).
        depth, i = 0, pos
        while True:
            if text.startswith("/*", i):
                i = text.index("*/", i) + 2
                continue
            c = text[i]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0 and text[pos:i].lstrip().startswith("static inline"):
                    break  # an inline helper ends at its body's brace
            elif c == ";" and depth == 0:
                break
            i += 1
        decl, start, pos = text[pos:i + 1], pos, i + 1
        if re.fullmatch(r"struct \w+;", decl) and decl != "struct %s;" % own_struct:
            last_end = pos
            continue  # a forward declaration of another page's object
        if groups and text[last_end:start].count("\n") < 2:
            groups[-1][1].append(decl)
        else:
            groups.append([None, [decl]])
        last_end = pos


def header_page(page, header, summary, see_also):
    with open(header) as f:
        text = f.read()
    include = "syncbridge/" + header.rsplit("/", 1)[-1]
    groups = parse(text, page)
    names = []
    for _, ds in groups:
        for d in ds:
            m = re.match(r"[^(]*?\b(sb_\w+)\s*\(", re.sub(r"/\*.*?\*/", "", d, flags=re.S))
            if m and not d.startswith("typedef") and m.group(1) not in names:
                names.append(m.group(1))
    # Every function the header declares must be on the page (as tests/install/abi_test.py
    # finds them): a declaration this parser misread fails the build instead of going missing.
    bare = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    declared = set(re.findall(r"^[a-z][^;{]*?\b(sb_\w+)\(", bare, flags=re.M))
    if declared != set(names):
        sys.exit("header2scd: %s: functions not on the page: %s" %
                 (header, sorted(declared ^ set(names))))
    out = ["%s(3) \"libsyncbridge\" \"libsyncbridge API\"" % page, "", "# NAME", "",
           "%s - %s" % (escape(", ".join([page] + [n for n in names if n != page])), summary),
           "", "# SYNOPSIS", "", "```", "#include <%s>" % include, "```", "",
           "Link with *pkg-config --libs syncbridge*.", "", "# DESCRIPTION", ""]
    for comment, ds in groups:
        if ds:
            out += ["```"] + literal("\n\n".join(ds)).split("\n") + ["```", ""]
        if comment:
            for para in re.split(r"\n\s*\n", comment):
                out += [escape(" ".join(l.strip() for l in para.split("\n"))), ""]
    out += ["# SEE ALSO", "", ", ".join("*%s*(3)" % s for s in see_also)]
    return "\n".join(out) + "\n"


def overview(template, example):
    with open(template) as f:
        text = f.read()
    with open(example) as f:
        code = f.read().rstrip("\n")
    return text.replace("@EXAMPLE@", "```\n" + literal(code) + "\n```")


if __name__ == "__main__":
    if sys.argv[1] == "--overview":
        sys.stdout.write(overview(sys.argv[2], sys.argv[3]))
    else:
        sys.stdout.write(header_page(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]))
