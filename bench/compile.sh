#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/compile.sh [N] [K] - xenbakec beside dtc, in one run: N VMs x K
# vm-data keys (default 100000 x 10) against a device tree with as many
# nodes and properties. Prints wall time and peak memory of each, the
# ratios, and the command that reproduces it. Run from a build directory.
set -eu
N=${1:-100000}
K=${2:-10}
src=$(cd "$(dirname "$0")/.." && pwd)
build=${top_builddir:-$(pwd)}
PY=${PYTHON3:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v dtc >/dev/null || { echo "bench: dtc missing (device-tree-compiler)" >&2; exit 77; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (package time)" >&2; exit 77; }

"$PY" "$src/bench/gen-source.py" "$N" "$K" "$work/in.xb" "$work/in.dts"

# best of 3: wall seconds and peak kB
measure() {
	best_t= best_m=
	for _ in 1 2 3; do
		/usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" ||
			{ cat "$work/err" >&2; exit 1; }
		read -r t m <"$work/time"
		if [ -z "$best_t" ] || [ "$(echo "$t < $best_t" | bc)" = 1 ]; then best_t=$t; fi
		if [ -z "$best_m" ] || [ "$m" -lt "$best_m" ]; then best_m=$m; fi
	done
	echo "$best_t $best_m"
}
set -- $(measure "$build/xenbakec" -o "$work/out.xbb" "$work/in.xb")
xt=$1 xm=$2
set -- $(measure dtc -I dts -O dtb -o "$work/out.dtb" "$work/in.dts")
dt=$1 dm=$2
printf 'compile %d VMs x %d keys (%d MB source)\n' "$N" "$K" "$(( $(wc -c <"$work/in.xb") / 1000000 ))"
printf '  %-10s %8s s %8d MB peak   blob %d MB\n' xenbakec "$xt" $((xm / 1024)) "$(( $(wc -c <"$work/out.xbb") / 1000000 ))"
printf '  %-10s %8s s %8d MB peak   dtb  %d MB\n' dtc "$dt" $((dm / 1024)) "$(( $(wc -c <"$work/out.dtb") / 1000000 ))"
printf '  time ratio xenbakec/dtc %.2f, memory ratio %.2f\n' \
	"$(echo "$xt / $dt" | bc -l)" "$(echo "$xm / $dm" | bc -l)"
echo "  reproduce: (cd BUILD && sh $src/bench/compile.sh $N $K)"
