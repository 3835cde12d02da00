#!/bin/sh
# SPDX-License-Identifier: MIT
# The simulator's fault switches (see faults.py): rules and latency given
# at start through the environment, then changed at run time.
. "$(dirname "$0")/lib.sh"
"$PY" -c 'import os_xenapi' 2>/dev/null || skip "python3-os-xenapi not installed"
F1='fail:VM.get_all_records#1:HOST_OFFLINE:xs-01'
F2='fail:SR.get_all#+1*:["SR_BACKEND_FAILURE_1","a:b"]'
XAPISIM_FAULTS="$F1;$F2;drop:7" XAPISIM_LATENCY_MS=150 sandbox_up
sim_py faults.py "$URL"

# a bad rule at start: the simulator refuses to start, and says why
rc=0
"$PY" "$SANDBOX/xapisim.py" --fixture "$SIMTESTS/fixture.json" \
	--fault 'fail:1' >"$DIR/bad.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "bad --fault: exit $rc, want 2"
grep -q "fail needs a code" "$DIR/bad.out" || { cat "$DIR/bad.out"; fail "no reason given"; }
echo "faults.sh: ok"
