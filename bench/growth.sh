#!/bin/sh
# bench/growth.sh [SIZES] - how each stage grows with the config: N VMs x
# 10 vm-data keys for N in SIZES (default "1000 10000 100000"), plus an
# SR, a network and a PIF:
#   compile   xenbakec site.xb
#   load      bench/bench-load site.xbb 10: read, verify (xbb_open) and
#             build the planner's input, ten times over
#   plan      xenbake plan --no-xenstore, against the simulator with the
#             N VMs halted (bench/gen-fixture.py)
#   apply     xenbake apply --no-xenstore, the same host (every key new)
# For each stage and size: wall seconds, CPU seconds (user + system) and
# peak memory of our process alone (GNU time: the simulator's own time is
# not counted), then per stage the ratio of the two largest sizes. A
# stage whose CPU time grows more than 13x for 10x the VMs is flagged
# SUPERLINEAR. xenstored's own cost per transaction is bench/xenstore.sh's.
# Prints "growth: STAGE RATIO" lines at the end for bench/run's summary.
# Run from a build directory.
set -eu
SIZES=${1:-"1000 10000 100000"}
K=10
src=$(cd "$(dirname "$0")/.." && pwd)
build=${top_builddir:-$(pwd)}
PY=${PYTHON3:-/usr/bin/python3}
work=$(mktemp -d)
trap '"$src/tests/sandbox/down" "$work/sb" 2>/dev/null || true; rm -rf "$work"' EXIT
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (package time)" >&2; exit 77; }
[ -x "$build/bench/bench-load" ] || { echo "bench: no bench/bench-load: make first" >&2; exit 77; }

# run STAGE N CMD...: one line "STAGE N wall cpu peak_kB" into results
# (plan exits 2 for "changes pending")
run() {
	stage=$1 n=$2 rc=0
	shift 2
	/usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" || rc=$?
	[ $rc -eq 0 ] || { [ $rc -eq 2 ] && [ "$stage" = plan ]; } ||
		{ echo "bench: $stage at $n VMs failed:" >&2; cat "$work/err" >&2; exit 1; }
	# the last line: GNU time puts "Command exited with ..." before it
	read -r wall user sys peak <<-EOF
	$(tail -n 1 "$work/time")
	EOF
	echo "$stage $n $wall $(echo "$user + $sys" | bc -l) $peak" >>"$work/results"
}

: >"$work/results"
for n in $SIZES; do
	"$PY" "$src/bench/gen-source.py" "$n" "$K" "$work/site.xb" "$work/unused.dts"
	cat >>"$work/site.xb" <<'XB'
sr "Local storage" { i18n-key local-storage; }
network "Storage network" { hide-from-xencenter; }
pif "eth1" { hide-from-xencenter; }
XB
	"$PY" "$src/bench/gen-fixture.py" "$n" halted >"$work/host.json"
	run compile "$n" "$build/xenbakec" -o "$work/site.xbb" "$work/site.xb"
	run load "$n" "$build/bench/bench-load" "$work/site.xbb" 10
	"$src/tests/sandbox/up" "$work/host.json" "$work/sb" 2>"$work/up.log" ||
		{ cat "$work/up.log" >&2; exit 1; }
	. "$work/sb/env"
	run plan "$n" "$build/xenbake" plan --no-xenstore "$work/site.xbb"
	run apply "$n" "$build/xenbake" apply --no-xenstore "$work/site.xbb"
	"$src/tests/sandbox/down" "$work/sb"
done

printf 'growth, N VMs x %d keys (wall s / CPU s / peak MB of our process)\n' "$K"
printf '  %-8s' stage
for n in $SIZES; do printf ' %24s' "$n VMs"; done
printf '   cpu ratio\n'
set -- $SIZES
last=$(eval echo "\${$#}")
prev=
for n in $SIZES; do [ "$n" = "$last" ] || prev=$n; done
for stage in compile load plan apply; do
	printf '  %-8s' "$stage"
	for n in $SIZES; do
		awk -v s="$stage" -v n="$n" '$1 == s && $2 == n {
			printf " %7.2f / %6.2f / %5d", $3, $4, $5 / 1024 }' "$work/results"
	done
	if [ -n "$prev" ]; then
		ratio=$(awk -v s="$stage" -v a="$prev" -v b="$last" '
			$1 == s && $2 == a { ta = $4 } $1 == s && $2 == b { tb = $4 }
			END { if (ta >= 0.05) printf "%.1f", tb / ta; else print "-" }' "$work/results")
		# 10x the VMs: linear is 10x, n log n about 12x; beyond 13x is a bug
		flag=$(awk -v r="$ratio" -v a="$prev" -v b="$last" 'BEGIN {
			if (r != "-" && r > 1.3 * b / a) print "  SUPERLINEAR" }')
		[ "$ratio" = - ] || ratio=${ratio}x
		printf '   %s%s\n' "$ratio" "$flag"
		echo "growth: $stage $ratio" >>"$work/summary"
	else
		printf '\n'
	fi
done
[ -n "$prev" ] && echo "  cpu ratio: CPU time at $last VMs / at $prev VMs (linear: $((last / prev))x; - below 0.05 s)"
echo "  reproduce: (cd BUILD && sh $src/bench/growth.sh \"$SIZES\")"
[ -e "$work/summary" ] && cat "$work/summary"
exit 0
