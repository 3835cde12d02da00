#!/bin/sh
# SPDX-License-Identifier: MIT
# v2.sh - language version 2 forms the compiler expands (for, template/use,
# file values): a source written with them compiles to the blob of the
# same source written out by hand (same dump, positions aside), the dump
# round trip holds, --fmt keeps the forms as written, and a for over
# millions is refused quickly with a located error.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
XENBAKEC=$top_builddir/xenbakec
XENBAKE=$top_builddir/xenbake
V=$top_srcdir/tests/compiler/v2
[ -x "$XENBAKE" ] || { echo "SKIP: no $XENBAKE"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

check() {   # DESCRIPTION COMMAND
	if eval "$2"; then
		passed=$((passed + 1))
	else
		echo "FAIL: $1"
		failed=$((failed + 1))
	fi
}

# the dump without its header and position lines
content() {
	"$XENBAKE" dump "$1" | grep -v -e '^ *#@ ' -e '^# xenbake dump'
}

"$XENBAKEC" -o "$work/loops.xbb" "$V/loops.xb" 2>"$work/err"
check "loops.xb compiles without a diagnostic" '[ $? -eq 0 ] && [ ! -s "$work/err" ]'
"$XENBAKEC" -o "$work/expanded.xbb" "$V/expanded.xb"
content "$work/loops.xbb" >"$work/loops.dump"
content "$work/expanded.xbb" >"$work/expanded.dump"
check "for, template and file give the blob written out by hand" \
	'cmp -s "$work/loops.dump" "$work/expanded.dump" || diff "$work/expanded.dump" "$work/loops.dump"'
check "8 VMs and 2 networks made" \
	'[ "$(grep -c "^vm " "$work/loops.dump")" -eq 8 ] && [ "$(grep -c "^network " "$work/loops.dump")" -eq 2 ]'
check "positions point at the statement inside the loop" \
	'"$XENBAKE" dump "$work/loops.xbb" | grep -q "#@ \"loops.xb\" 15:13"'

# the round trip: dump -> compile gives the same bytes
"$XENBAKE" dump "$work/loops.xbb" >"$work/again.xb"
(cd / && "$XENBAKEC" -o "$work/again.xbb" "$work/again.xb")
check "dump round trip of a for-written source" 'cmp -s "$work/loops.xbb" "$work/again.xbb"'
check "the dump holds no for" '! grep -q -e "^ *for " -e "^ *use " -e "^template " "$work/again.xb"'

# --fmt keeps loops and templates as written, and is stable
"$XENBAKEC" --fmt -o "$work/fmt.xb" "$V/loops.xb"
check "--fmt leaves loops.xb as it is (canonical)" 'cmp -s "$V/loops.xb" "$work/fmt.xb"'

# a for over millions: refused before anything is made, in little time
printf 'for i in 1..999999999999 {\n    vm "vm-${i}" { vm-data "k" = "v"; }\n}\n' >"$work/huge.xb"
start=$(date +%s)
"$XENBAKEC" --check "$work/huge.xb" 2>"$work/err"
rc=$?
check "a for over a trillion: exit 1, located, named [expansion]" \
	'[ $rc -eq 1 ] && grep -q "huge.xb:1:1: error: this for makes .*\[expansion\]" "$work/err"'
check "... at once" '[ $(( $(date +%s) - start )) -lt 5 ]'

# a file value: the bytes, checked as any value
printf 'a\001b' >"$work/ctl.txt"
printf 'vm "a" { vm-data "x" = file "ctl.txt"; }\n' >"$work/ctl.xb"
"$XENBAKEC" --check "$work/ctl.xb" 2>"$work/err"
check "a file with a control character: xml-char" '[ $? -eq 1 ] && grep -q "\[xml-char\]" "$work/err"'
head -c 3000 /dev/zero | tr '\0' x >"$work/big.txt"
printf 'vm "a" { vm-data "x" = file "big.txt"; }\n' >"$work/big.xb"
"$XENBAKEC" --check "$work/big.xb" 2>"$work/err"
check "a file over 2048 bytes in vm-data: xenstore-value-size" '[ $? -eq 1 ] && grep -q "\[xenstore-value-size\]" "$work/err"'
if command -v mkfifo >/dev/null 2>&1 && mkfifo "$work/fifo"; then
	printf 'vm "a" { vm-data "x" = file "fifo"; }\n' >"$work/fifo.xb"
	timeout 10 "$XENBAKEC" --check "$work/fifo.xb" 2>"$work/err"
	check "a FIFO is refused, not waited on" '[ $? -eq 1 ] && grep -q "not a regular file.*\[file\]" "$work/err"'
fi
head -c 1100000 /dev/zero | tr '\0' x >"$work/huge.txt"
printf 'vm "a" { other-config "x" = file "huge.txt"; }\n' >"$work/hugef.xb"
"$XENBAKEC" --check "$work/hugef.xb" 2>"$work/err"
check "a file over 1 MiB: [file]" '[ $? -eq 1 ] && grep -q "at most 1048576.*\[file\]" "$work/err"'

# owner: stored in the blob (format 3), dumped, round trip, --fmt; none
# or "default" leaves the blob as it was (format 1 here)
format() { od -A n -t u4 -j 4 -N 4 "$1" | tr -d ' '; }
printf 'owner "team-a.1_x";\nvm "web" { vm-data "a" = "1"; }\n' >"$work/own.xb"
"$XENBAKEC" -o "$work/own.xbb" "$work/own.xb"
check "an owner stamps format 3" '[ "$(format "$work/own.xbb")" = 3 ]'
check "dump --json names the owner" '"$XENBAKE" dump --json "$work/own.xbb" | grep -q "\"owner\":\"team-a.1_x\","'
check "dump names the owner" '"$XENBAKE" dump "$work/own.xbb" | grep -qx "owner \"team-a.1_x\";"'
"$XENBAKE" dump "$work/own.xbb" >"$work/own-again.xb"
(cd / && "$XENBAKEC" -o "$work/own-again.xbb" "$work/own-again.xb")
check "dump round trip keeps the owner" 'cmp -s "$work/own.xbb" "$work/own-again.xbb"'
"$XENBAKEC" --fmt -o "$work/own-fmt.xb" "$work/own.xb"
"$XENBAKEC" --fmt -o "$work/own-fmt2.xb" "$work/own-fmt.xb"
check "--fmt keeps the owner, stable" \
	'[ "$(head -n 1 "$work/own-fmt.xb")" = "owner \"team-a.1_x\";" ] && cmp -s "$work/own-fmt.xb" "$work/own-fmt2.xb"'
printf 'owner "default"; vm "web" { vm-data "a" = "1"; }\n' >"$work/def.xb"
printf 'vm "web" { vm-data "a" = "1"; }                 \n' >"$work/none.xb"
(cd "$work" && "$XENBAKEC" -o def.xbb def.xb && "$XENBAKEC" -o none.xbb none.xb)
check "owner default: format 1, no owner dumped" \
	'[ "$(format "$work/def.xbb")" = 1 ] && ! "$XENBAKE" dump "$work/def.xbb" | grep -q "^owner"'
# the statement moves the block's column; the same columns for both
printf 'owner "default";\nvm "web" { vm-data "a" = "1"; }\n' >"$work/def2.xb"
printf '\nvm "web" { vm-data "a" = "1"; }\n' >"$work/none2.xb"
(cd "$work" && cp def2.xb t.xb && "$XENBAKEC" -o def2.xbb t.xb && cp none2.xb t.xb && "$XENBAKEC" -o none2.xbb t.xb)
check "owner default: byte-identical to no owner" 'cmp -s "$work/def2.xbb" "$work/none2.xbb"'
printf 'let owner = "x"; template owner { vm-data "o" = "${owner}"; }\nvm "v" { use owner; }\n' >"$work/word.xb"
"$XENBAKEC" --check "$work/word.xb" 2>"$work/err"
check "owner stays a name for a constant or a template" '[ $? -eq 0 ] && [ ! -s "$work/err" ]'

echo "v2.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
