#!/bin/sh
# SPDX-License-Identifier: MIT
# The simulator's cost model and realistic records (see costmodel.py):
# off by default (the tests' records stay small), on for the benchmarks.
. "$(dirname "$0")/lib.sh"
XAPISIM_REALISTIC=1 XAPISIM_WRITE_COST_MS=150 XAPISIM_LATENCY_MS=150 \
	sandbox_up
sim_py costmodel.py "$URL" on
"$SANDBOX/down" "$DIR/sb"
sandbox_up
sim_py costmodel.py "$URL" off
echo "costmodel.sh: ok"
