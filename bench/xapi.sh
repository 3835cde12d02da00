#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/xapi.sh [N] [K] [LATENCY_MS] - applying N VMs x K vm-data keys,
# plus an SR, a network and a PIF, through XenAPI with LATENCY_MS added to
# every call by the simulator (default 1000 x 10, 1 ms), beside:
#   batched, 1 and 4 connections   bench/xapi-batched.py: xenbake's
#       algorithm in a short XenAPI.py script (get_all_records, one set_
#       per map): the peer a user would write
#   per-key   bench/xapi-perkey.py: one call per key, what `xe
#       vm-param-set` and Ansible users do today
#   fetch     bench/xapi-fetch.sh: the raw bytes of the replies a no-op
#       apply reads, with curl: the floor of the no-op
#   change    xenbake apply of the same keys, every value changed (two
#       calls a key: remove_from_, add_to_)
#   baseline  with XENBAKE_BASELINE=PATH, another xenbake (an older
#       build) applying the same, and the change, beside this one
# Each round runs every way once on a fresh simulator, in turns; the
# figures are the median and spread of XAPI_RUNS rounds (default 3), with
# the XenAPI calls the simulator counted. Run from a build directory. The
# VMs are halted: VM.set_xenstore_data on a running VM also rewrites the
# guest's xenstore; xenstore has its own benchmark (bench/xenstore.sh).
# The simulator runs xapi's cost model: LATENCY_MS per call, overlapping
# across connections, plus XAPI_WRITE_MS (default 1) per database write
# paid holding the one database lock (writes never overlap), and records
# of a real xapi's size (XAPI_REALISTIC=0: the tests' small records).
set -eu
N=${1:-1000}
K=${2:-10}
LAT=${3:-1}
src=$(cd "$(dirname "$0")/.." && pwd)
build=${top_builddir:-$(pwd)}
PY=${PYTHON3:-/usr/bin/python3}
work=$(mktemp -d)
# the journal and the receipt stay in the run's directory, not the host's
export XENBAKE_STATE_DIR="$work/state"
. "$src/bench/lib.sh"
trap 'sim_down; rm -rf "$work"' EXIT
RUNS=${XAPI_RUNS:-3}

WRITE_MS=${XAPI_WRITE_MS:-1}
REALISTIC=${XAPI_REALISTIC:-1}
if [ "$REALISTIC" = 1 ]; then
	"$PY" "$src/bench/gen-fixture.py" "$N" halted realistic >"$work/host.json"
else
	"$PY" "$src/bench/gen-fixture.py" "$N" halted >"$work/host.json"
fi
"$PY" "$src/bench/gen-source.py" "$N" "$K" "$work/site.xb" "$work/unused.dts"
cat >>"$work/site.xb" <<'XB'
sr "Local storage" { i18n-key local-storage; }
network "Storage network" { hide-from-xencenter; }
pif "eth1" { hide-from-xencenter; }
XB
"$build/xenbakec" -o "$work/site.xbb" "$work/site.xb"
sed 's/"value-/"other-/' "$work/site.xb" >"$work/change.xb"
"$build/xenbakec" -o "$work/change.xbb" "$work/change.xb"
BASE=${XENBAKE_BASELINE:-}

fresh() { sim_up "$work/host.json" "$LAT" "$WRITE_MS" "$REALISTIC"; }
# way NAME CMD...: one sample of CMD on the current simulator, and its calls
way() {
	name=$1
	shift
	sim /sim/reset-calls "" >/dev/null
	sample "$name" "$@"
	calls >"$work/$name.calls"
}

r=0
while [ $r -lt "$RUNS" ]; do
	fresh
	way xenbake "$build/xenbake" apply --no-xenstore "$work/site.xbb"
	way noop "$build/xenbake" apply --no-xenstore "$work/site.xbb"
	way fetch sh "$src/bench/xapi-fetch.sh" "$XENBAKE_XAPI"
	way change "$build/xenbake" apply --no-xenstore "$work/change.xbb"
	if [ -n "$BASE" ]; then
		fresh
		way base "$BASE" apply --no-xenstore "$work/site.xbb"
		way basechange "$BASE" apply --no-xenstore "$work/change.xbb"
	fi
	fresh
	way batched1 "$PY" "$src/bench/xapi-batched.py" "$XENBAKE_XAPI" "$N" "$K" 1
	fresh
	way batched4 "$PY" "$src/bench/xapi-batched.py" "$XENBAKE_XAPI" "$N" "$K" 4
	fresh
	way perkey "$PY" "$src/bench/xapi-perkey.py" "$XENBAKE_XAPI" "$N" "$K"
	r=$((r + 1))
done

xb=$(median xenbake 1)
printf 'XenAPI apply, %d VMs x %d keys + SR, network, PIF, %d ms per call, %s ms per write (serialised), %s records, median (min-max) of %d rounds\n' \
	"$N" "$K" "$LAT" "$WRITE_MS" "$([ "$REALISTIC" = 1 ] && echo realistic || echo small)" "$RUNS"
line() { printf '  %-32s %-28s %8s calls\n' "$1" "$(seconds "$2")" "$(cat "$work/$2.calls")"; }
line "xenbake apply" xenbake
[ -z "$BASE" ] || line "baseline xenbake apply" base
line "xenbake apply, values changed" change
[ -z "$BASE" ] || line "baseline, values changed" basechange
line "batched XenAPI.py, 1 connection" batched1
line "batched XenAPI.py, 4 connections" batched4
line "XenAPI.py, one call per key" perkey
line "xenbake apply (no-op)" noop
line "curl, the no-op's replies" fetch
printf '  speed-up %sx over per-key, %sx over batched (1 conn), %sx over batched (4 conns)\n' \
	"$(ratio "$(median perkey 1)" "$xb")" "$(ratio "$(median batched1 1)" "$xb")" \
	"$(ratio "$(median batched4 1)" "$xb")"
printf '  no-op / fetch of its replies %s\n' "$(ratio "$(median noop 1)" "$(median fetch 1)")"
echo "  reproduce: (cd BUILD && sh $src/bench/xapi.sh $N $K $LAT)"
