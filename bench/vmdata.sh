#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/vmdata.sh [N] [K] [LATENCY_MS] - applying vm-data to N RUNNING VMs
# x K keys through XenAPI and xenstore together (default 100 x 10, 1 ms per
# XenAPI call), the way a host with live guests is provisioned: each round
# a fresh sandbox, one apply, then the no-op apply (once xapi's copy of the
# guests' vm-data caught up). Prints the medians of
# BENCH_RUNS rounds (default 5) with the XenAPI calls the simulator
# counted and the xenstore requests xenbake -v reported. XENBAKE_BIN (and
# XENBAKE_BIN_BEFORE, a second binary taken in turns with it) compare two
# builds: e.g. the set_xenstore_data way against the live-only one.
set -eu
N=${1:-100}
K=${2:-10}
LAT=${3:-1}
src=$(cd "$(dirname "$0")/.." && pwd)
build=${top_builddir:-$(pwd)}
PY=${PYTHON3:-/usr/bin/python3}
work=$(mktemp -d)
export XENBAKE_STATE_DIR="$work/state"
. "$src/bench/lib.sh"
trap 'sim_down; rm -rf "$work"' EXIT
AFTER=${XENBAKE_BIN:-$build/xenbake}
BEFORE=${XENBAKE_BIN_BEFORE:-}

"$PY" "$src/bench/gen-fixture.py" "$N" >"$work/host.json"
"$PY" "$src/bench/gen-source.py" "$N" "$K" "$work/site.xb" "$work/unused.dts"
"$build/xenbakec" -o "$work/site.xbb" "$work/site.xb"

# one NAME BIN: a fresh sandbox, apply (NAME) and no-op (NAME-noop)
one() {
	sim_up "$work/host.json" "$LAT"
	sample "$1" "$2" apply -v "$work/site.xbb"
	calls >"$work/$1.calls"
	grep -o 'xenstore: .*' "$work/err" | head -1 >"$work/$1.xs" || true
	# the no-op of a later boot: xapi's copy of every guest's vm-data
	# (VM.xenstore_data) caught up, which a plan tells by reading no
	# key (the list of domains and each guest's /vm: N + 1 reads)
	i=0
	while [ $i -lt 50 ] && ! "$2" plan -v "$work/site.xbb" 2>&1 >/dev/null |
		grep -q "xenstore: 0 transactions, $((N + 1)) reads"; do
		i=$((i + 1))
		sleep 0.2
	done
	sim /sim/reset-calls "" >/dev/null
	sample "$1-noop" "$2" apply -v "$work/site.xbb"
	calls >"$work/$1-noop.calls"
	grep -o 'xenstore: .*' "$work/err" | head -1 >"$work/$1-noop.xs" || true
}
r=0
while [ $r -lt "$BENCH_RUNS" ]; do
	one after "$AFTER"
	[ -z "$BEFORE" ] || one before "$BEFORE"
	r=$((r + 1))
done
printf 'vm-data of %d running VMs x %d keys (XenAPI + xenstore), %d ms per call, median (min-max) of %d rounds\n' \
	"$N" "$K" "$LAT" "$BENCH_RUNS"
for w in ${BEFORE:+before} after; do
	printf '  %-7s apply %-26s %5s calls  %s\n' "$w" "$(seconds "$w")" \
		"$(cat "$work/$w.calls")" "$(cat "$work/$w.xs")"
	printf '  %-7s no-op %-26s %5s calls  %s\n' "$w" "$(seconds "$w-noop")" \
		"$(cat "$work/$w-noop.calls")" "$(cat "$work/$w-noop.xs")"
done
echo "  reproduce: (cd BUILD && sh $src/bench/vmdata.sh $N $K $LAT)"
