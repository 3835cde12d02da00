#!/bin/sh
# SPDX-License-Identifier: MIT
# The committed fuzz seeds (tests/fuzz/corpus-blob) are exactly the blobs
# gen-seeds builds by hand today, and each of them opens (gen-seeds checks).
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$top_builddir/tests/blob/gen-seeds" "$out"
n=0
for f in "$out"/*; do
	name=$(basename "$f")
	cmp "$f" "$top_srcdir/tests/fuzz/corpus-blob/$name" || {
		echo "seeds.sh: $name differs: rerun tests/blob/gen-seeds" \
		     "tests/fuzz/corpus-blob" >&2
		exit 1
	}
	n=$((n + 1))
done
[ "$n" -eq 5 ] || { echo "seeds.sh: expected 5 seeds, got $n" >&2; exit 1; }
