#!/bin/sh
# SPDX-License-Identifier: MIT
# A generated 3-host pool (tests/sandbox/gen-pool.py; its output is
# tests/sim/pool3.json, checked to be current) served as host xs-01, driven
# by Debian's XenAPI.py (see realistic.py). A failed login waits 0.5 s
# here (XAPISIM_AUTH_FAIL_DELAY) instead of xapi's 5 s.
. "$(dirname "$0")/lib.sh"
"$PY" -c 'import os_xenapi' 2>/dev/null || skip "python3-os-xenapi not installed"
"$PY" "$SANDBOX/gen-pool.py" --root-password xenroot >"$DIR/pool3.json" ||
	fail "gen-pool.py"
cmp -s "$DIR/pool3.json" "$SIMTESTS/pool3.json" ||
	fail "tests/sim/pool3.json is not what gen-pool.py makes now"
export XAPISIM_AUTH_FAIL_DELAY=0.5 SANDBOX_HOST=xs-01
sandbox_up "$SIMTESTS/pool3.json"
sim_py realistic.py "$URL" "$XSOCK" "$SANDBOX" "$XAPISOCK" 0.5
