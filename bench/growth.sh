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
# (plan: 3, apply: 1) (GNU time: the simulator's own time is not counted), then per stage the ratio of its CPU time at its largest
# size to that at its smallest size from 10,000 VMs on that takes
# MIN_CPU or more (a compile of 10,000 VMs takes less: judged from
# 100,000). A stage whose time grows 1.3 times faster
# than the VMs (13x for 10x) is flagged SUPERLINEAR. xenstored's own cost
# per transaction is bench/xenstore.sh's.
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
K=10
src=$(cd "$(dirname "$0")/.." && pwd)
build=${top_builddir:-$(pwd)}
PY=${PYTHON3:-/usr/bin/python3}
work=$(mktemp -d)
trap '"$src/tests/sandbox/down" "$work/sb" 2>/dev/null || true; rm -rf "$work"' EXIT
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (package time)" >&2; exit 77; }
[ -x "$build/bench/bench-load" ] || { echo "bench: no bench/bench-load: make first" >&2; exit 77; }

# run STAGE N TIMES CMD...: TIMES runs, the one of median CPU time as one
# line "STAGE N wall cpu peak_kB" into results (plan exits 2 for "changes
# pending")
run() {
	stage=$1 n=$2 times=$3
	shift 3
	: >"$work/runs"
	while [ "$times" -gt 0 ]; do
		times=$((times - 1)) rc=0
		/usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" || rc=$?
		[ $rc -eq 0 ] || { [ $rc -eq 2 ] && [ "$stage" = plan ]; } ||
			{ echo "bench: $stage at $n VMs failed:" >&2; cat "$work/err" >&2; exit 1; }
		# the last line: GNU time puts "Command exited with ..." before it
		tail -n 1 "$work/time" | awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' >>"$work/runs"
	done
	sort -g -k2,2 "$work/runs" | awk -v s="$stage" -v n="$n" '{ l[NR] = $0 }
		END { print s, n, l[int((NR + 1) / 2)] }' >>"$work/results"
}

: >"$work/results"
for n in $SIZES; do
	"$PY" "$src/bench/gen-source.py" --loop "$work/loop.xb" "$n" "$K" \
		"$work/site.xb" "$work/unused.dts"
	for xb in site loop; do
		cat >>"$work/$xb.xb" <<'XB'
sr "Local storage" { i18n-key local-storage; }
network "Storage network" { hide-from-xencenter; }
pif "eth1" { hide-from-xencenter; }
XB
	done
	run compile "$n" 5 "$build/xenbakec" -o "$work/site.xbb" "$work/site.xb"
	run for "$n" 5 "$build/xenbakec" -o "$work/loop.xbb" "$work/loop.xb"
	run load "$n" 5 "$build/bench/bench-load" "$work/site.xbb" 10
	[ "$n" -le "$XAPI_MAX" ] || continue
	"$PY" "$src/bench/gen-fixture.py" "$n" halted >"$work/host.json"
	"$src/tests/sandbox/up" "$work/host.json" "$work/sb" 2>"$work/up.log" ||
		{ cat "$work/up.log" >&2; exit 1; }
	. "$work/sb/env"
	run plan "$n" 3 "$build/xenbake" plan --no-xenstore "$work/site.xbb"
	[ "$n" -gt "$APPLY_MAX" ] ||
		run apply "$n" 1 "$build/xenbake" apply --no-xenstore "$work/site.xbb"
	"$src/tests/sandbox/down" "$work/sb"
done

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
	# CPU time at the stage's largest size over that at its base: the
	# smallest size from BASE VMs on whose sample is long enough to judge
	set -- $(awk -v s="$stage" -v b="$BASE" -v MIN="$MIN_CPU" '
		$1 == s && $2 >= b && $4 >= MIN && (!base || $2 < base) { base = $2; tb = $4 }
		$1 == s && $2 > top { top = $2; tt = $4 }
		END { if (base && top > base)
			printf "%.1f %d %d %d", tt / tb, top, top / base, base
		else print "-" }' "$work/results")
	if [ "$1" = - ]; then
		printf '   -\n'
		continue
	fi
	flag=$(awk -v r="$1" -v x="$3" 'BEGIN { if (r > 1.3 * x) print "  SUPERLINEAR" }')
	printf '   %sx (%d/%d VMs)%s\n' "$1" "$2" "$4" "$flag"
	echo "growth: $stage ${1}x for ${3}x the VMs ($2 / $4)$flag" >>"$work/summary"
done
echo "  ratio: CPU time at the largest size over that at the smallest from $BASE VMs on whose"
echo "  sample takes $MIN_CPU s of CPU or more (shorter ones are too short to judge growth by;"
echo "  linear: the ratio of the sizes); - where no such smaller size was run"
echo "  plan: up to $XAPI_MAX VMs (XAPI_MAX); apply: up to $APPLY_MAX (APPLY_MAX: its journal's bound)"
echo "  reproduce: (cd BUILD && sh $src/bench/growth.sh \"$SIZES\")"
[ -e "$work/summary" ] && cat "$work/summary"
exit 0
