#!/bin/sh
# SPDX-License-Identifier: MIT
# Replays every harness's seeds and regression inputs (no libFuzzer
# needed): an input that once crashed must not crash again.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
for h in parse blob xmlrpc journal json; do
	dirs=$top_srcdir/tests/fuzz/corpus-$h
	[ -d "$top_srcdir/tests/fuzz/regress-$h" ] && dirs="$dirs $top_srcdir/tests/fuzz/regress-$h"
	# shellcheck disable=SC2086
	"$top_builddir/tests/fuzz/replay-$h" $dirs
done
