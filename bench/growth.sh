#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/growth.sh [SIZES] - how each stage grows with the config: N VMs x
# 10 vm-data keys for N in SIZES (default "1000 10000 30000 100000"),
# plus an SR, a network and a PIF:
#   compile   xenbakec site.xb
#   for       xenbakec loop.xb: the same VMs written as one for loop,
#             whose blocks are made, lowered and dropped one at a time
#   load      bench/bench-load site.xbb 10: the runtime's load (map,
#             verify, recheck) and the planner's input, ten times over
#   plan      xenbake plan --no-xenstore, against the simulator with the
#             N VMs halted (bench/gen-fixture.py)
#   apply     xenbake apply --no-xenstore, the same host (every key new)
# plan stops at XAPI_MAX VMs (default 100000, the largest size: set it
# lower for a quicker run; at 100,000 the reply to VM.get_all_records is
# 140 MB with the simulator's small records, decoded as it arrives), apply
# at APPLY_MAX (default 30000): a first apply of 100,000 VMs x 10 new keys
# is refused before its first write, as it should be, because its journal
# (93 MB) would be over the 64 MiB xenbake reads back (xenbake(8), "State
# directory"); such a configuration is applied in parts.
# For each stage and size: wall seconds, CPU seconds (user + system) and
# peak memory of our process alone, the run of median CPU time of 5
# (plan: 3, apply: 1; GNU time: the simulator's own time is not counted).
# compile, for and load take their samples in rounds, each round every
# size in turn, so that this machine changing speed between sizes does
# not read as growth. Per stage, the growth is judged by the median over
# rounds of one round's CPU time at the largest size over that at the
# smallest size from 10,000 VMs on whose median takes MIN_CPU or more (a
# compile of 10,000 VMs takes less: judged from 100,000). A stage whose
# time grows 1.3 times faster than the VMs (13x for 10x) is flagged
# SUPERLINEAR. xenstored's own cost per transaction is bench/xenstore.sh's.
# Prints "growth: STAGE RATIO" lines at the end for bench/run's summary.
# Run from a build directory.
set -eu
SIZES=${1:-"1000 10000 30000 100000"}
XAPI_MAX=${XAPI_MAX:-100000}
APPLY_MAX=${APPLY_MAX:-30000}
BASE=10000
# a stage whose sample at BASE VMs takes less CPU than this is not judged:
# scheduling noise on a short sample raised false SUPERLINEAR alarms
MIN_CPU=${MIN_CPU:-0.3}
ROUNDS=${ROUNDS:-5}
K=10
src=$(cd "$(dirname "$0")/.." && pwd)
build=${top_builddir:-$(pwd)}
PY=${PYTHON3:-/usr/bin/python3}
work=$(mktemp -d)
trap '"$src/tests/sandbox/down" "$work/sb" 2>/dev/null || true; rm -rf "$work"' EXIT
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (package time)" >&2; exit 77; }
[ -x "$build/bench/bench-load" ] || { echo "bench: no bench/bench-load: make first" >&2; exit 77; }

# sample STAGE N ROUND CMD...: one run, as the line "STAGE N ROUND wall
# cpu peak_kB" into samples (plan exits 2 for "changes pending")
sample() {
	stage=$1 n=$2 round=$3 rc=0
	shift 3
	/usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" || rc=$?
	[ $rc -eq 0 ] || { [ $rc -eq 2 ] && [ "$stage" = plan ]; } ||
		{ echo "bench: $stage at $n VMs failed:" >&2; cat "$work/err" >&2; exit 1; }
	# the last line: GNU time puts "Command exited with ..." before it
	tail -n 1 "$work/time" | awk -v s="$stage" -v n="$n" -v r="$round" \
		'{ printf "%s %s %s %s %.2f %s\n", s, n, r, $1, $2 + $3, $4 }' >>"$work/samples"
}

# run STAGE N TIMES CMD...: TIMES samples in a row
run() {
	stage=$1 n=$2 times=$3 round=0
	shift 3
	while [ $round -lt "$times" ]; do
		sample "$stage" "$n" "$round" "$@"
		round=$((round + 1))
	done
}

: >"$work/samples"
# the sources first, so that a round can run every size in turn
for n in $SIZES; do
	"$PY" "$src/bench/gen-source.py" --loop "$work/loop-$n.xb" "$n" "$K" \
		"$work/site-$n.xb" "$work/unused.dts"
	for xb in site loop; do
		cat >>"$work/$xb-$n.xb" <<'XB'
sr "Local storage" { i18n-key local-storage; }
network "Storage network" { hide-from-xencenter; }
pif "eth1" { hide-from-xencenter; }
XB
	done
done
round=0
while [ $round -lt "$ROUNDS" ]; do
	for n in $SIZES; do
		sample compile "$n" $round "$build/xenbakec" -o "$work/site-$n.xbb" "$work/site-$n.xb"
		sample for "$n" $round "$build/xenbakec" -o "$work/loop-$n.xbb" "$work/loop-$n.xb"
		sample load "$n" $round "$build/bench/bench-load" "$work/site-$n.xbb" 10
	done
	round=$((round + 1))
done
rm -f "$work"/loop-*.xbb
for n in $SIZES; do
	[ "$n" -le "$XAPI_MAX" ] || continue
	"$PY" "$src/bench/gen-fixture.py" "$n" halted >"$work/host.json"
	"$src/tests/sandbox/up" "$work/host.json" "$work/sb" 2>"$work/up.log" ||
		{ cat "$work/up.log" >&2; exit 1; }
	. "$work/sb/env"
	run plan "$n" 3 "$build/xenbake" plan --no-xenstore "$work/site-$n.xbb"
	[ "$n" -gt "$APPLY_MAX" ] ||
		run apply "$n" 1 "$build/xenbake" apply --no-xenstore "$work/site-$n.xbb"
	"$src/tests/sandbox/down" "$work/sb"
done

# the sample of median CPU time per stage and size: "STAGE N wall cpu peak_kB"
sort -k1,1 -k2,2n -k5,5g "$work/samples" | awk '
	function flush() { if (k) print key, l[int((k + 1) / 2)] }
	$1 " " $2 != key { flush(); key = $1 " " $2; k = 0 }
	{ l[++k] = $4 " " $5 " " $6 }
	END { flush() }' >"$work/results"

printf 'growth, N VMs x %d keys (wall s / CPU s / peak MB of our process)\n' "$K"
printf '  %-8s' stage
for n in $SIZES; do printf ' %24s' "$n VMs"; done
printf '   cpu ratio\n'

for stage in compile for load plan apply; do
	printf '  %-8s' "$stage"
	for n in $SIZES; do
		awk -v s="$stage" -v n="$n" '$1 == s && $2 == n { got = 1
			printf " %7.2f / %6.2f / %5d", $3, $4, $5 / 1024 }
			END { if (!got) printf " %24s", "-" }' "$work/results"
	done
	# the base: the smallest size from BASE VMs on whose median is long
	# enough to judge; the ratio: the median over rounds of a round's CPU
	# time at the largest size over that at the base
	set -- $(awk -v s="$stage" -v b="$BASE" -v MIN="$MIN_CPU" '
		$1 == s && $2 >= b && $4 >= MIN && (!base || $2 < base) { base = $2 }
		$1 == s && $2 > top { top = $2 }
		END { if (base && top > base) print base, top; else print "-" }' \
		"$work/results")
	if [ "$1" = - ]; then
		printf '   -\n'
		continue
	fi
	set -- $(awk -v s="$stage" -v b="$1" -v t="$2" '
		$1 == s && $2 == b { at_b[$3] = $5 }
		$1 == s && $2 == t { at_t[$3] = $5 }
		END { for (r in at_t) if ((r in at_b) && at_b[r] > 0) print at_t[r] / at_b[r] }' \
		"$work/samples" | sort -g | awk -v b="$1" -v t="$2" '{ v[NR] = $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.1f %d %d %d", m, t, t / b, b }')
	flag=$(awk -v r="$1" -v x="$3" 'BEGIN { if (r > 1.3 * x) print "  SUPERLINEAR" }')
	printf '   %sx (%d/%d VMs)%s\n' "$1" "$2" "$4" "$flag"
	echo "growth: $stage ${1}x for ${3}x the VMs ($2 / $4)$flag" >>"$work/summary"
done
echo "  ratio: the median over $ROUNDS rounds (each round every size in turn; plan and apply"
echo "  run a size at a time) of a round's CPU time at the largest size over that at the"
echo "  smallest from $BASE VMs on whose median takes $MIN_CPU s of CPU or more (shorter"
echo "  ones are too short to judge growth by; linear: the ratio of the sizes); - where no"
echo "  such smaller size was run"
echo "  plan: up to $XAPI_MAX VMs (XAPI_MAX); apply: up to $APPLY_MAX (APPLY_MAX: its journal's bound)"
echo "  reproduce: (cd BUILD && sh $src/bench/growth.sh \"$SIZES\")"
[ -e "$work/summary" ] && cat "$work/summary"
exit 0
