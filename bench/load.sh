#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/load.sh [N] [K] - what xenbake does with a blob before it talks to
# the host (read, verify every byte, build the planner's input:
# bench/bench-load) for N VMs x K keys (default 100000 x 10), beside
# sha256sum of the same file, the floor of any verification that reads
# every byte. Best of 5 each; prints both, the ratio and the command that
# reproduces it. Run from a build directory.
set -eu
N=${1:-100000}
K=${2:-10}
src=$(cd "$(dirname "$0")/.." && pwd)
build=${top_builddir:-$(pwd)}
PY=${PYTHON3:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (package time)" >&2; exit 77; }

"$PY" "$src/bench/gen-source.py" "$N" "$K" "$work/in.xb" "$work/unused.dts"
"$build/xenbakec" -o "$work/site.xbb" "$work/in.xb"

# best of 5: wall seconds and peak kB
measure() {
	best_t= best_m=
	for _ in 1 2 3 4 5; do
		/usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" ||
			{ cat "$work/err" >&2; exit 1; }
		read -r t m <"$work/time"
		if [ -z "$best_t" ] || [ "$(echo "$t < $best_t" | bc)" = 1 ]; then best_t=$t; fi
		if [ -z "$best_m" ] || [ "$m" -lt "$best_m" ]; then best_m=$m; fi
	done
	echo "$best_t $best_m"
}
set -- $(measure "$build/bench/bench-load" "$work/site.xbb")
xt=$1 xm=$2
set -- $(measure sha256sum "$work/site.xbb")
st=$1 sm=$2
printf 'load + verify a blob of %d VMs x %d keys (%d MB)\n' "$N" "$K" \
	"$(( $(wc -c <"$work/site.xbb") / 1000000 ))"
printf '  %-22s %6s s %6d MB peak\n' "xenbake (bench-load)" "$xt" $((xm / 1024))
printf '  %-22s %6s s %6d MB peak\n' sha256sum "$st" $((sm / 1024))
if [ "$(echo "$st > 0" | bc)" = 1 ]; then
	printf '  time ratio xenbake/sha256sum %.2f\n' "$(echo "$xt / $st" | bc -l)"
fi
echo "  reproduce: (cd BUILD && sh $src/bench/load.sh $N $K)"
