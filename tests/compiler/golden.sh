#!/bin/sh
# SPDX-License-Identifier: MIT
# golden.sh - every case of tests/compiler/golden.test: the source compiled
# with --check must print exactly the expected text (location, message,
# check, source line, caret, hint, notes), and exit 1 if that text holds
# an error, 0 if only warnings.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
XENBAKEC=$top_builddir/xenbakec
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0

# case-N/t.xb and case-N/want for each case
awk -v dir="$work" '
/^%%FAIL$/   { n++; system("mkdir " dir "/case-" n); out = dir "/case-" n "/t.xb"; next }
/^%%EXPECT$/ { close(out); out = dir "/case-" n "/want"; next }
/^%%END$/    { close(out); out = ""; next }
out != ""    { print > out }
END          { print n > (dir "/count") }
' "$top_srcdir/tests/compiler/golden.test"
count=$(cat "$work/count")
[ "$count" -gt 0 ] || { echo "golden.sh: no cases"; exit 1; }

for i in $(seq 1 "$count"); do
	d=$work/case-$i
	rc=0
	(cd "$d" && "$XENBAKEC" --check t.xb) 2>"$d/got" || rc=$?
	if ! cmp -s "$d/want" "$d/got"; then
		echo "FAIL case $i ($(head -n 1 "$d/t.xb")):"
		diff "$d/want" "$d/got"
		failed=$((failed + 1))
		continue
	fi
	want_rc=0
	grep -q '^[^ ]*:[0-9]*:[0-9]*: error: ' "$d/want" && want_rc=1
	if [ "$rc" -ne "$want_rc" ]; then
		echo "FAIL case $i: exit status $rc, not $want_rc"
		failed=$((failed + 1))
	fi
done
echo "golden.sh: $count cases, $failed failures"
[ "$failed" -eq 0 ]
