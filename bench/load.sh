#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/load.sh [N] [K] - what xenbake does with a blob before it talks to
# the host (map, verify every byte, recheck the compiler's rules, build
# the planner's input: bench/bench-load) for N VMs x K keys (default 100000 x 10), beside
# sha256sum of the same file, the floor of any verification that reads
# every byte, and cat, the floor of reading it. Interleaved samples
# (bench/lib.sh): median and spread, the ratio of the medians, and the
# command that reproduces it. Run from a build directory.
set -eu
N=${1:-100000}
K=${2:-10}
src=$(cd "$(dirname "$0")/.." && pwd)
build=${top_builddir:-$(pwd)}
PY=${PYTHON3:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$src/bench/lib.sh"

"$PY" "$src/bench/gen-source.py" "$N" "$K" "$work/in.xb" "$work/unused.dts"
"$build/xenbakec" -o "$work/site.xbb" "$work/in.xb"

r=0
while [ $r -lt "$BENCH_RUNS" ]; do
	sample load "$build/bench/bench-load" "$work/site.xbb"
	sample sha256sum sha256sum "$work/site.xbb"
	sample cat cat "$work/site.xbb"
	r=$((r + 1))
done
printf 'load + verify a blob of %d VMs x %d keys (%d MB), median (min-max) of %d interleaved runs\n' \
	"$N" "$K" "$(( $(wc -c <"$work/site.xbb") / 1000000 ))" "$BENCH_RUNS"
printf '  %-22s %-28s %6s MB peak\n' "xenbake (bench-load)" "$(seconds load)" "$(megabytes load)"
printf '  %-22s %-28s %6s MB peak\n' sha256sum "$(seconds sha256sum)" "$(megabytes sha256sum)"
printf '  %-22s %-28s\n' cat "$(seconds cat)"
printf '  time ratio xenbake/sha256sum %s\n' "$(ratio "$(median load 1)" "$(median sha256sum 1)")"
echo "  reproduce: (cd BUILD && sh $src/bench/load.sh $N $K)"
