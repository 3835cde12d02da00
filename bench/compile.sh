#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/compile.sh [N] [K] - xenbakec beside dtc, in one run: N VMs x K
# vm-data keys (default 100000 x 10) against a device tree with as many
# nodes and properties, and beside the floor of any compiler, reading the
# same source bytes (cat, sha256sum). Samples are interleaved (bench/lib.sh):
# median and spread of BENCH_RUNS runs each, the ratios of the medians, and
# the command that reproduces it. Run from a build directory.
# --loop: the same VMs written as one for loop are compiled too, in the
# same interleaved runs (language version 2: the expansion's cost).
set -eu
LOOP=
if [ "${1:-}" = --loop ]; then
	LOOP=1
	shift
fi
N=${1:-100000}
K=${2:-10}
src=$(cd "$(dirname "$0")/.." && pwd)
build=${top_builddir:-$(pwd)}
PY=${PYTHON3:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$src/bench/lib.sh"
command -v dtc >/dev/null || { echo "bench: dtc missing (device-tree-compiler)" >&2; exit 77; }

"$PY" "$src/bench/gen-source.py" ${LOOP:+--loop "$work/loop.xb"} "$N" "$K" \
	"$work/in.xb" "$work/in.dts"

r=0
while [ $r -lt "$BENCH_RUNS" ]; do
	sample xenbakec "$build/xenbakec" -o "$work/out.xbb" "$work/in.xb"
	[ -z "$LOOP" ] || sample xenbakec-for "$build/xenbakec" -o "$work/loop.xbb" "$work/loop.xb"
	sample dtc dtc -I dts -O dtb -o "$work/out.dtb" "$work/in.dts"
	sample sha256sum sha256sum "$work/in.xb"
	sample cat cat "$work/in.xb"
	r=$((r + 1))
done

xt=$(median xenbakec 1) dt=$(median dtc 1) st=$(median sha256sum 1)
printf 'compile %d VMs x %d keys (%d MB source), median (min-max) of %d interleaved runs\n' \
	"$N" "$K" "$(( $(wc -c <"$work/in.xb") / 1000000 ))" "$BENCH_RUNS"
printf '  %-10s %-28s %6s MB peak   blob %d MB\n' xenbakec "$(seconds xenbakec)" \
	"$(megabytes xenbakec)" "$(( $(wc -c <"$work/out.xbb") / 1000000 ))"
printf '  %-10s %-28s %6s MB peak   dtb  %d MB\n' dtc "$(seconds dtc)" \
	"$(megabytes dtc)" "$(( $(wc -c <"$work/out.dtb") / 1000000 ))"
[ -z "$LOOP" ] || printf '  %-10s %-28s %6s MB peak   blob %d MB (the same VMs as one for, %d bytes of source)\n' \
	xenbakec-for "$(seconds xenbakec-for)" "$(megabytes xenbakec-for)" \
	"$(( $(wc -c <"$work/loop.xbb") / 1000000 ))" "$(wc -c <"$work/loop.xb")"
printf '  %-10s %-28s (the source, hashed)\n' sha256sum "$(seconds sha256sum)"
printf '  %-10s %-28s (the source, read)\n' cat "$(seconds cat)"
printf '  xenbakec is %sx faster than dtc; memory ratio xenbakec/dtc %s; time ratio xenbakec/sha256sum %s\n' \
	"$(ratio "$dt" "$xt")" "$(ratio "$(median xenbakec 3)" "$(median dtc 3)")" \
	"$(ratio "$xt" "$st")"
printf '  peak memory / source size %s\n' \
	"$(ratio "$(median xenbakec 3)" "$(( $(wc -c <"$work/in.xb") / 1024 ))")"
[ -z "$LOOP" ] || printf '  xenbakec-for is %sx faster than dtc; time ratio xenbakec-for/xenbakec %s\n' \
	"$(ratio "$dt" "$(median xenbakec-for 1)")" "$(ratio "$(median xenbakec-for 1)" "$xt")"
echo "  reproduce: (cd BUILD && sh $src/bench/compile.sh ${LOOP:+--loop }$N $K)"
