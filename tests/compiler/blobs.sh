#!/bin/sh
# SPDX-License-Identifier: MIT
# blobs.sh - the blob of every compiling source of the tree, and of a
# generated config of many VMs (written out and as a for), is byte for
# byte the one recorded in blobs.sha256: a change to how the compiler
# works inside (its memory, its tables) must not change a single byte.
# A deliberate change of the format records new sums (blobs.sh --update
# prints them).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
XENBAKEC=$top_builddir/xenbakec
sums=$top_srcdir/tests/compiler/blobs.sha256
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 300 VMs x 4 keys, as blocks and as one for: the compiler numbers
# positions by record for the first, through its table for the second
{
	i=0
	while [ $i -lt 300 ]; do
		printf 'vm "vm-%05d" {\n' $i
		for k in 0 1 2 3; do
			printf '    vm-data "key-%02d" = "value-%d-%d";\n' $k $i $k
		done
		printf '}\n'
		i=$((i + 1))
	done
} >"$work/many.xb"
{
	printf 'for i in 00000..299 {\n    vm "vm-${i}" {\n'
	for k in 0 1 2 3; do
		printf '        vm-data "key-%02d" = "value-${i}-%d";\n' $k $k
	done
	printf '    }\n}\n'
} >"$work/many-for.xb"

failed=0 n=0
got=$work/got
: >"$got"
while read -r sum src; do
	case $src in
	@*) path=$work/${src#@} ;;
	*) path=$top_srcdir/$src ;;
	esac
	if ! (cd "$(dirname "$path")" &&
	      "$XENBAKEC" -o "$work/out.xbb" "$(basename "$path")") 2>"$work/err"; then
		echo "FAIL $src: does not compile"
		cat "$work/err"
		failed=$((failed + 1))
		continue
	fi
	now=$(sha256sum <"$work/out.xbb" | cut -d' ' -f1)
	echo "$now $src" >>"$got"
	n=$((n + 1))
	if [ "$now" != "$sum" ]; then
		echo "FAIL $src: blob $now, recorded $sum"
		failed=$((failed + 1))
	fi
done <"$sums"
if [ "${1:-}" = --update ]; then
	cat "$got"
	exit 0
fi
[ "$n" -gt 10 ] || { echo "blobs.sh: only $n blobs compared"; exit 1; }
[ "$failed" -eq 0 ] || exit 1
echo "blobs.sh: $n blobs byte-identical"
