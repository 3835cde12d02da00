#!/bin/sh
# SPDX-License-Identifier: MIT
# The CHECKS section of xenbake.xb(5) is held to the compiler: every check
# of xenbakec's table is documented there, and every example in it does
# what its comment says. A line marked "# caught" (with the unmarked lines
# before it in its example as context) must draw a diagnostic of the check
# it is listed under; a line marked "# fixed" must compile without one.
# A statement outside any block is tried inside vm "web-01" { ... }.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
exec python3 - "$top_srcdir/man/xenbake.xb.5" "$top_builddir/xenbakec" \
	"$top_srcdir/compiler/diag.c" <<'EOF'
import os, re, subprocess, sys, tempfile

page, xenbakec, table = sys.argv[1:]
troff = open(page, encoding="utf-8").read()
checks = re.findall(r'\[CHECK_\w+\] = \{ "([a-z0-9-]+)"', open(table).read())
section = troff[troff.index(".SH CHECKS\n"):troff.index("\n.SH ", troff.index(".SH CHECKS\n") + 1)]

def text(line):                      # troff escapes back to source text
    return line.replace("\\-", "-").replace("\\e", "\\").replace("\\&", "")

# the examples: (check, [lines]) in page order
documented, examples, current, block = [], [], None, None
lines = section.split("\n")
for i, line in enumerate(lines):
    if line == ".TP" and i + 1 < len(lines) and lines[i + 1].startswith(".B "):
        current = text(lines[i + 1][3:])
        documented.append(current)
    elif line == ".XB":
        block = []
    elif line == ".XE":
        examples.append((current, block))
        block = None
    elif block is not None:
        block.append(text(line))

failed = tried = 0
def fail(msg):
    global failed
    print("FAIL " + msg)
    failed += 1

for c in checks:
    if c not in documented:
        fail(f"check {c} is not documented in xenbake.xb(5)")
for c in documented:
    if c not in checks:
        fail(f"xenbake.xb(5) documents {c}, which xenbakec does not have")

TOP = ("vm ", "sr ", "network ", "pif ", "let ", "include ", "for ",
       "template ", "host ", "pool ", "owner ")
work = tempfile.mkdtemp()
for check, block in examples:
    context, i = [], 0
    while i < len(block):
        stmt = block[i]
        # a statement runs on until its braces balance
        while stmt.count("{") > stmt.count("}") and i + 1 < len(block):
            i += 1
            stmt += "\n" + block[i]
        i += 1
        mark = re.search(r"#\s*(caught|fixed)", stmt)
        if not mark:
            context.append(stmt)
            continue
        src = "\n".join(context + [stmt]) + "\n"
        if not stmt.lstrip().startswith(TOP):
            src = "\n".join(context) + '\nvm "web-01" {\n' + stmt + "\n}\n"
        path = os.path.join(work, "example.xb")
        open(path, "w", encoding="utf-8").write(src)
        r = subprocess.run([xenbakec, "--check", path], capture_output=True, text=True)
        drew = f"[{check}]" in r.stderr
        tried += 1
        if mark.group(1) == "caught" and not drew:
            fail(f"{check}: the example is not caught:\n{src}{r.stderr}")
        if mark.group(1) == "fixed" and (drew or r.returncode != 0):
            fail(f"{check}: the fix does not compile cleanly:\n{src}{r.stderr}")

print(f"xenbake.xb(5): {len(checks)} checks documented, {tried} examples tried, {failed} failed")
sys.exit(1 if failed or not tried else 0)
EOF
