#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/xapi-noop.sh [N] [K] - the boot-time no-op: N halted VMs x K
# vm-data keys already applied, on a simulator with realistic records
# (xapisim.py --realistic: every field of a real record, a VM record of
# some 10 kB of XML) and a realistic fixture (bench/gen-fixture.py
# realistic), then BENCH_RUNS rounds (default 5) of, in turns:
#   noop    xenbake apply --no-xenstore of the same blob: nothing to do
#   fetch   bench/xapi-fetch.sh: the raw bytes of the replies the no-op
#           reads, fetched with curl: its floor
# Prints the median and spread of each, xenbake's peak RSS, and the
# no-op / fetch ratio. No latency is added (the simulator's own time is
# in both). Run from a build directory.
set -eu
N=${1:-10000}
K=${2:-10}
src=$(cd "$(dirname "$0")/.." && pwd)
build=${top_builddir:-$(pwd)}
PY=${PYTHON3:-/usr/bin/python3}
work=$(mktemp -d)
export XENBAKE_STATE_DIR="$work/state"
. "$src/bench/lib.sh"
trap 'sim_down; rm -rf "$work"' EXIT

"$PY" "$src/bench/gen-fixture.py" "$N" halted realistic >"$work/host.json"
"$PY" "$src/bench/gen-source.py" "$N" "$K" "$work/site.xb" "$work/unused.dts"
"$build/xenbakec" -o "$work/site.xbb" "$work/site.xb"
sim_up "$work/host.json" 0 0 1
"$build/xenbake" apply --no-xenstore "$work/site.xbb" >/dev/null
r=0
while [ $r -lt "$BENCH_RUNS" ]; do
	sample noop "$build/xenbake" apply --no-xenstore "$work/site.xbb"
	sample fetch sh "$src/bench/xapi-fetch.sh" "$XENBAKE_XAPI"
	r=$((r + 1))
done
printf 'XenAPI no-op apply, %d halted VMs x %d keys, realistic records, median (min-max) of %d\n' \
	"$N" "$K" "$BENCH_RUNS"
printf '  %-28s %-28s peak %s MB (%s-%s)\n' "xenbake apply (no-op)" "$(seconds noop)" \
	"$(megabytes noop)" "$(stat noop 3 | awk '{ printf "%d", $2 / 1024 }')" \
	"$(stat noop 3 | awk '{ printf "%d", $3 / 1024 }')"
printf '  %-28s %s\n' "curl, the no-op's replies" "$(seconds fetch)"
printf '  no-op / fetch %s\n' "$(ratio "$(median noop 1)" "$(median fetch 1)")"
