#!/bin/sh
# SPDX-License-Identifier: MIT
# bounds.sh - hostile sources cost xenbakec bounded time, memory, stack
# and output: long chains of constants, constants that double, many
# warnings, one error on a long line, control bytes in an echoed line and
# in position lines. The inputs are made here, not kept in the tree.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"   # by itself: from the build directory
XENBAKEC=$(cd "$top_builddir" && pwd)/xenbakec
PY=${PYTHON3:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

ok() { passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() { if eval "$2"; then ok; else fail "$1"; fi; }

cd "$work" || exit 1

# --- 100,000 lets, each defined by the next one: no C recursion per let
# (this was a SIGSEGV, decode and interpolate calling each other)
"$PY" - <<'EOF'
n = 100000
with open("chain.xb", "w") as f:
    for i in range(n):
        f.write('let a%d = "${a%d}";\n' % (i, i + 1))
    f.write('let a%d = "end";\nvm "v" { vm-data "k" = "${a0}"; }\n' % n)
with open("cycle.xb", "w") as f:
    for i in range(n):
        f.write('let a%d = "${a%d}";\n' % (i, (i + 1) % n))
    f.write('vm "v" { vm-data "k" = "${a0}"; }\n')
EOF
rc=0
(ulimit -s 8192; "$XENBAKEC" -o chain.xbb chain.xb) 2>err || rc=$?
check "a chain of 100,000 lets compiles (exit $rc)" '[ $rc -eq 0 ] && [ ! -s err ]'
rc=0
(ulimit -s 8192; "$XENBAKEC" --check cycle.xb) 2>err || rc=$?
check "a cycle of 100,000 lets is one located error (exit $rc)" \
	'[ $rc -eq 1 ] && [ "$(grep -c "error:" err)" -eq 1 ] &&
	 grep -q "^cycle.xb:100000:[0-9]*: error: constant .a0. is defined in terms of itself \[undefined-constant\]" err'

# --- 40 lets that each double the one before: 2^40 bytes, refused at the
# ${} that goes over, with its location
"$PY" - <<'EOF'
with open("double.xb", "w") as f:
    f.write('let a0 = "xxxxxxxx";\n')
    for i in range(1, 41):
        f.write('let a%d = "${a%d}${a%d}";\n' % (i, i - 1, i - 1))
    f.write('vm "v" { vm-data "k" = "${a40}"; }\n')
# under the limit for one string, over it for all strings together
with open("wide.xb", "w") as f:
    f.write('let a0 = "%s";\n' % ("x" * 1000))
    f.write('let big = "%s";\n' % ("${a0}" * 1000))
    for i in range(300):
        f.write('vm "v%d" { other-config "k" = "${big}"; }\n' % i)
EOF
rc=0
(ulimit -t 20; "$XENBAKEC" --check double.xb) 2>err || rc=$?
check "doubling lets: exit 1 (not $rc), at the \${} that goes over" \
	'[ $rc -eq 1 ] && grep -q "^double.xb:19:18: error: .\${a17}. makes this string longer than 1048576 bytes \[expansion\]" err'
check "doubling lets: not 'out of memory'" '! grep -q "out of memory" err'
rc=0
(ulimit -t 20; "$XENBAKEC" --check wide.xb) 2>err || rc=$?
check "constants over 256 MiB in all: one error (exit $rc)" \
	'[ $rc -eq 1 ] && [ "$(grep -c "error:" err)" -eq 1 ] &&
	 grep -q "^wide.xb:[0-9]*:[0-9]*: error: constants expand to more than 256 MiB in all \[expansion\]" err'

# --- templates that each use the next twice: 2^40 statements from 42
# lines (this was 5.8 GB and a timeout; the fuzzer found it in a for)
"$PY" - <<'EOF'
n = 40
for name, tail in (("tmpl-bomb", 'vm "a" { use t0; }\n'),
                   ("tmpl-bomb-for", 'for i in 1..3 { vm "v${i}" { use t0; } }\n')):
    with open(name + ".xb", "w") as f:
        for i in range(n):
            f.write('template t%d { use t%d; use t%d; }\n' % (i, i + 1, i + 1))
        f.write('template t%d { vm-data "k" = "v"; }\n' % n)
        f.write(tail)
EOF
rc=0
(ulimit -t 20; "$XENBAKEC" --check tmpl-bomb.xb) 2>err || rc=$?
check "doubling templates: exit 1 (not $rc), at the use" \
	'[ $rc -eq 1 ] && grep -q "^tmpl-bomb.xb:42:10: error: template .t0. makes 1099511627776 statements: .*\[expansion\]" err'
rc=0
(ulimit -t 20; "$XENBAKEC" --check tmpl-bomb-for.xb) 2>err || rc=$?
check "doubling templates in a for: exit 1 (not $rc), at the for" \
	'[ $rc -eq 1 ] && grep -q "^tmpl-bomb-for.xb:42:1: error: this for makes [0-9]* blocks and statements: .*\[expansion\]" err'
printf 'template a { vm-data "x" = "1"; }\ntemplate b { use a; use a; vm-data "y" = "2"; }\nvm "v" { use b; use b; }\n' >tmpl-ok.xb
"$XENBAKEC" --check tmpl-ok.xb 2>err
check "templates used several times within the bound still compile" '[ $? -eq 0 ]'

# --- fors with empty bodies make nothing, so they walk no iterations
# (16 million were walked, each with its own constant, until memory ran out)
printf 'for j in 1..999999999999 { }\nfor i in 1..1000 { vm "v${i}" { } for j in 1..99999999 { } }\n' >empty-for.xb
rc=0
(ulimit -t 20; "$XENBAKEC" --check empty-for.xb) 2>err || rc=$?
check "fors with empty bodies: compiled at once (exit $rc)" '[ $rc -eq 0 ]'

# --- 200,000 warnings: 50 shown, the rest counted
"$PY" -c '
with open("warn.xb", "w") as f:
    for i in range(200000):
        f.write("let u%d = \"x\";\n" % i)
'
rc=0
"$XENBAKEC" --check warn.xb 2>err || rc=$?
check "many warnings: exit 0 (not $rc)" '[ $rc -eq 0 ]'
check "many warnings: 50 shown" '[ "$(grep -c "warning:" err)" -eq 50 ]'
check "many warnings: how many were not shown is said" \
	'grep -qx "xenbakec: 199950 more warnings not shown (the first 50 are)" err'
"$XENBAKEC" --check --diagnostics=json warn.xb >json 2>/dev/null
check "many warnings, json: 50 in the array" \
	'"$PY" -c "import json,sys; assert len(json.load(open(sys.argv[1]))) == 50" json'

# --- one error on a 12 MB line: a window of the line, written in a few
# write(2)s, not a byte per call
"$PY" -c '
with open("long.xb", "w") as f:
    f.write("let x = \"" + "y" * 12000000 + "\"; ? let z = \"1\";\n")
'
rc=0
start=$(date +%s)
"$XENBAKEC" --check long.xb 2>err || rc=$?
took=$(($(date +%s) - start))
check "an error on a 12 MB line: exit 1 (not $rc)" '[ $rc -eq 1 ]'
check "an error on a 12 MB line: under 5 s (took $took s)" '[ $took -lt 5 ]'
check "an error on a 12 MB line: a short echo ($(wc -c <err) bytes)" \
	'[ "$(wc -c <err)" -lt 1000 ]'
check "the window around the column, cut with ..." \
	'grep -q "^\.\.\.y*\"; ? let z = \"1\";$" err'
check "the caret under the column in the window" \
	'[ "$(sed -n 3p err | tr -d " ")" = "^" ] &&
	 [ "$(sed -n 3p err | wc -c)" -eq "$(($(sed -n 2p err | sed "s/?.*//" | wc -c) + 1))" ]'
if command -v strace >/dev/null 2>&1; then
	strace -f -e trace=write -o trace "$XENBAKEC" --check long.xb 2>/dev/null
	# (a sanitizer's own "==PID==" lines aside: LeakSanitizer cannot
	# run under strace and says so)
	writes=$(grep "^[0-9]* *write(2," trace | grep -vc "write(2, \"==")
	check "an error on a 12 MB line: few writes ($writes)" '[ "$writes" -le 5 ]'
fi

# --- control bytes in an echoed line are shown escaped, never sent
printf 'vm "a" { vm-data "k" = "1" } # \033]0;owned\007 \302\233\n' >esc.xb
"$XENBAKEC" --check esc.xb 2>err
check "control bytes in an echoed line: escaped" \
	'grep -qF "# \\x1b]0;owned\\x07 \\xc2\\x9b" err'
check "control bytes in an echoed line: none sent" \
	'! LC_ALL=C grep -q "$(printf "[\033\007]")" err &&
	 ! LC_ALL=C grep -q "$(printf "\302\233")" err'

# --- position lines: their file name is checked as any string
printf '#@ "a\\x1b[2Jb.xb" 1:1\nvm "a" { vm-data "k" = "1"; }\n' >pos-esc.xb
printf '#@ "a\033b.xb" 1:1\nvm "a" { vm-data "k" = "1"; }\n' >pos-raw.xb
printf '#@ "a\\xffb.xb" 1:1\nvm "a" { vm-data "k" = "1"; }\n' >pos-utf8.xb
for f in pos-esc pos-raw pos-utf8; do
	rc=0
	"$XENBAKEC" -o "$f.xbb" "$f.xb" 2>err || rc=$?
	check "$f: exit 1 (not $rc), [xml-char] at the position line" \
		'[ $rc -eq 1 ] && grep -q "^$f.xb:1:1: error: .* in the file name of a position line \[xml-char\]" err'
	check "$f: no blob" '[ ! -e "$f.xbb" ]'
	check "$f: no raw control byte on stderr" \
		'! LC_ALL=C grep -q "$(printf "\033")" err'
done
printf '#@ "vms/a.xb" 3:5\nvm "a" { vm-data "k" = "1"; }\n' >pos-ok.xb
"$XENBAKEC" -o pos-ok.xbb pos-ok.xb
check "a good position line still compiles" '[ $? -eq 0 ] && [ -s pos-ok.xbb ]'

# --- a source is read a piece at a time (256 KiB, whole lines): every
# statement keeps its line and column across the pieces, among lines of
# every length (one longer than two pieces), blanks that span a piece's
# end, CR LF, tabs and comments, and a last line with no newline
"$PY" - <<'EOF'
import random
random.seed(7)
lines, where = [], []
def stmt(indent, key, value):
    where.append((len(lines) + 1, len(indent) + 1, key))
    lines.append('%svm-data "%s" = "%s";' % (indent, key, value))
for v in range(120):
    lines.append('vm "v%d" {' % v)
    for k in range(random.randrange(1, 12)):
        r = random.random()
        if r < 0.1:
            lines.extend([''] * random.randrange(1, 5))
        elif r < 0.2:
            lines.append('# ' + 'c' * random.randrange(0, 60000))
        if v == 60 and k == 0:
            lines.append('\t# ' + 'c' * 600 * 1024)
        indent = random.choice(['', ' ', '\t', '    ', ' \t \t'])
        size = random.choice([1, 30, 2000])
        stmt(indent, 'k%d' % k, 'x' * random.randrange(size))
    lines.append('}')
lines.append('vm "last" { vm-data "end" = "1"; }')
where.append((len(lines), 13, 'end'))
text = '\n'.join(l + ('\r' if i % 7 == 3 else '') for i, l in enumerate(lines))
open('pieces.xb', 'w').write(text)
with open('pieces.want', 'w') as f:
    for line, col, key in where:
        f.write('%d:%d %s\n' % (line, col, key))
EOF
rc=0
"$XENBAKEC" -o pieces.xbb pieces.xb 2>err || rc=$?
check "a source of many pieces compiles (exit $rc)" '[ $rc -eq 0 ] && [ ! -s err ]'
"$top_builddir/xenbake" dump pieces.xbb 2>&1 |
	awk '/^ *#@ / { at = $3 } /vm-data "/ { split($0, q, "\""); print at, q[2] }' |
	sort >pieces.got
sort -o pieces.want pieces.want
check "every statement is where it was written, across the pieces" \
	'[ "$(wc -l <pieces.got)" -eq "$(wc -l <pieces.want)" ] && cmp -s pieces.got pieces.want'
printf 'vm "v" {\n\t# %s\n\tvm-data "j" @ "1";\n}\n' \
	"$(head -c 700000 /dev/zero | tr '\0' y)" >piece-err.xb
rc=0
"$XENBAKEC" --check piece-err.xb 2>err || rc=$?
check "an error after a line longer than two pieces is where it is (exit $rc)" \
	'[ $rc -eq 1 ] && grep -q "^piece-err.xb:3:14: error: a stray character" err'
# --- a read that fails partway (the kernel refuses to read address 0 of
# /proc/self/mem, a regular file): an I/O error, exit 2, no blob, no
# diagnostics of a source cut short; the same from an include and --fmt.
# A file longer than its size says (/proc's say 0) is read to its end or
# refused, never cut to the size: /proc/self/comm as a file value
rc=0
"$XENBAKEC" -o mem.xbb /proc/self/mem 2>err || rc=$?
check "a source whose read fails: exit 2, said, no blob (exit $rc)" \
	'[ $rc -eq 2 ] && [ ! -e mem.xbb ] && [ "$(wc -l <err)" -eq 1 ] &&
	 grep -q "^xenbakec: /proc/self/mem: cannot read from line 1 on: " err'
printf 'vm "v" { vm-data "k" = "1"; }\ninclude "/proc/self/mem";\n' >inc-mem.xb
rc=0
"$XENBAKEC" -o inc-mem.xbb inc-mem.xb 2>err || rc=$?
check "an include whose read fails: exit 2, said, no blob (exit $rc)" \
	'[ $rc -eq 2 ] && [ ! -e inc-mem.xbb ] &&
	 grep -q "^xenbakec: /proc/self/mem: cannot read from line 1 on: " err'
rc=0
"$XENBAKEC" --fmt --check /proc/self/mem 2>err || rc=$?
check "--fmt of a source whose read fails: exit 2, said (exit $rc)" \
	'[ $rc -eq 2 ] && grep -q "^xenbakec: /proc/self/mem: Input/output error" err'
printf 'vm "v" { vm-data "k" = file "/proc/self/comm"; }\n' >comm.xb
rc=0
"$XENBAKEC" -o comm.xbb comm.xb 2>err || rc=$?
check "a file value longer than its size says is refused, not cut (exit $rc)" \
	'[ $rc -eq 1 ] && [ ! -e comm.xbb ] &&
	 grep -q "^comm.xb:1:29: error: cannot read file \"/proc/self/comm\": the file changed while read \[file\]" err'
: >empty.xb
rc=0
"$XENBAKEC" -o empty.xbb empty.xb 2>err || rc=$?
check "an empty source compiles (exit $rc)" '[ $rc -eq 0 ] && [ -s empty.xbb ]'

echo "bounds.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
