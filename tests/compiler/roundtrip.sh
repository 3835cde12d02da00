#!/bin/sh
# SPDX-License-Identifier: MIT
# roundtrip.sh - compile -> `xenbake dump` -> compile gives the identical
# blob (and the same dump again), for a file using every statement and for
# every example. Skipped (77) until the runtime's `xenbake` is built.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
XENBAKEC=$top_builddir/xenbakec
XENBAKE=$top_builddir/xenbake
T=$top_srcdir/tests/compiler
[ -x "$XENBAKE" ] || { echo "SKIP: no $XENBAKE"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

roundtrip() {   # NAME SRC [xenbakec options]
	n=$1 src=$2; shift 2
	"$XENBAKEC" "$@" -o "$work/$n.xbb" "$src" || return 1
	"$XENBAKE" dump "$work/$n.xbb" >"$work/$n.dump.xb" || return 1
	# the dump compiles from any directory, with no -I
	(cd / && "$XENBAKEC" -o "$work/$n.again.xbb" "$work/$n.dump.xb") || return 1
	cmp "$work/$n.xbb" "$work/$n.again.xbb" || return 1
	"$XENBAKE" dump "$work/$n.again.xbb" | cmp - "$work/$n.dump.xb"
}

check() {   # NAME SRC [options]
	if roundtrip "$@"; then
		passed=$((passed + 1))
	else
		echo "FAIL: round trip of $2"
		failed=$((failed + 1))
	fi
}

check all "$T/all-statements.xb" -I "$T/inc/lib"
check pool "$T/pool-selectors.xb"
check fields-v2 "$T/fields-v2.xb"
for ex in "$top_srcdir"/examples/*/; do
	name=$(basename "$ex")
	src=$ex/$name.xb
	[ -f "$src" ] || src=$ex/site.xb
	check "ex-$name" "$src"
done
[ "$passed" -ge 4 ] || { echo "FAIL: only $passed round trips ran"; failed=$((failed + 1)); }
echo "roundtrip.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
