#!/bin/sh
# SPDX-License-Identifier: MIT
# Debian's unmodified XenAPI.py against the simulator (see xenapi-py.py).
. "$(dirname "$0")/lib.sh"
"$PY" -c 'import os_xenapi' 2>/dev/null || skip "python3-os-xenapi not installed"
SANDBOX_TRACE=1 sandbox_up
sim_py xenapi-py.py "$URL" "$XSOCK" "$SIMTESTS/fixture.json" "$DIR/sb/trace"
