#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/xapi.sh [N] [K] [LATENCY_MS] - applying N VMs x K vm-data keys,
# plus an SR, a network and a PIF, through XenAPI with LATENCY_MS added to
# every call by the simulator (default 1000 x 10, 1 ms), in one run:
#   xenbake apply            (one get_all_records per class, one set_ per
#                             changed map)
#   bench/xapi-perkey.py     (what users do today: Debian's XenAPI.py, one
#                             call per key, as xe vm-param-set and Ansible)
# Prints wall time and the XenAPI calls the simulator counted for each, a
# no-op re-apply, and the command that reproduces it. Run from a build
# directory. The VMs are halted: VM.set_xenstore_data on a running VM also
# rewrites the guest's xenstore (which add_to_xenstore_data never does, so
# the per-key way leaves running guests stale); xenstore has its own
# benchmark (bench/xenstore.sh), this one counts XenAPI calls.
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
trap '"$src/tests/sandbox/down" "$work/sb"; rm -rf "$work"' EXIT

"$PY" "$src/bench/gen-fixture.py" "$N" halted >"$work/host.json"
"$PY" "$src/bench/gen-source.py" "$N" "$K" "$work/site.xb" "$work/unused.dts"
cat >>"$work/site.xb" <<'XB'
sr "Local storage" { i18n-key local-storage; }
network "Storage network" { hide-from-xencenter; }
pif "eth1" { hide-from-xencenter; }
XB
"$build/xenbakec" -o "$work/site.xbb" "$work/site.xb"

sim() {   # sim GET|POST PATH [BODY]: the simulator's test controls
	"$PY" -c 'import sys, urllib.request as u
r = u.Request(sys.argv[1] + sys.argv[2], data=sys.argv[3].encode() if len(sys.argv) > 3 else None)
print(u.urlopen(r).read().decode())' "$XENBAKE_XAPI" "$@"
}
calls() { sim /sim/calls | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["count"])'; }
now() { date +%s.%N; }
fresh() {
	"$src/tests/sandbox/down" "$work/sb"
	XAPISIM_LATENCY_MS=$LAT "$src/tests/sandbox/up" "$work/host.json" "$work/sb" 2>/dev/null
	. "$work/sb/env"
	sim /sim/latency "$LAT" >/dev/null
	sim /sim/reset-calls "" >/dev/null
}

fresh
t0=$(now)
"$build/xenbake" apply --no-xenstore "$work/site.xbb" >/dev/null
t1=$(now)
xb_calls=$(calls)
sim /sim/reset-calls "" >/dev/null
t2=$(now)
"$build/xenbake" apply --no-xenstore "$work/site.xbb" >"$work/noop"
t3=$(now)
noop_calls=$(calls)
grep -q "No changes" "$work/noop" || { echo "bench: the second apply changed something" >&2; exit 1; }

fresh
t4=$(now)
"$PY" "$src/bench/xapi-perkey.py" "$XENBAKE_XAPI" "$N" "$K"
t5=$(now)
py_calls=$(calls)

xb=$(echo "$t1 - $t0" | bc -l) noop=$(echo "$t3 - $t2" | bc -l) py=$(echo "$t5 - $t4" | bc -l)
printf 'XenAPI apply, %d VMs x %d keys + SR, network, PIF, %d ms per call\n' "$N" "$K" "$LAT"
printf '  %-28s %8.2f s %8d calls\n' "xenbake apply" "$xb" "$xb_calls"
printf '  %-28s %8.2f s %8d calls\n' "xenbake apply (no-op)" "$noop" "$noop_calls"
printf '  %-28s %8.2f s %8d calls\n' "XenAPI.py, one call per key" "$py" "$py_calls"
printf '  speed-up %.1fx, calls %.1fx fewer\n' "$(echo "$py / $xb" | bc -l)" \
	"$(echo "$py_calls / $xb_calls" | bc -l)"
echo "  reproduce: (cd BUILD && sh $src/bench/xapi.sh $N $K $LAT)"
