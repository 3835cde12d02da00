# SPDX-License-Identifier: MIT
# tests/sim/lib.sh - sourced by the simulator's fidelity tests:
#   . "$(dirname "$0")/lib.sh"
#   sandbox_up [FIXTURE]   # a fresh sandbox in $DIR/sb (tests/sandbox/up),
#                          # stopped on exit; sets PORT, URL, XSOCK, XAPISOCK
#   sim_py FILE.py ARGS... # runs a test script with Debian's python3
set -eu
# run by make check, or by itself from a build directory
# (cd build && sh ../tests/sim/NAME.sh): the test's own path gives the
# source tree, the current directory the build
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
export top_srcdir top_builddir
PY=${PYTHON3:-/usr/bin/python3}
SANDBOX=$top_srcdir/tests/sandbox
SIMTESTS=$top_srcdir/tests/sim

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }

[ -e "$SANDBOX/xapisim.py" ] || skip "no XenAPI simulator"
command -v xenstore-write >/dev/null || skip "xenstore-utils not installed"
"$PY" -c 'import pyxs' 2>/dev/null || skip "python3-pyxs not installed"

DIR=$(mktemp -d)
trap '"$SANDBOX/down" "$DIR/sb"; rm -rf "$DIR"' EXIT

sandbox_up() {
	"$SANDBOX/up" "${1:-$SIMTESTS/fixture.json}" "$DIR/sb" 2>"$DIR/up.log" ||
		{ cat "$DIR/up.log" >&2; fail "sandbox did not start"; }
	. "$DIR/sb/env"
	PORT=$(cat "$DIR/sb/xapi.port")
	URL=http://127.0.0.1:$PORT
	XSOCK=$XENSTORED_PATH
	XAPISOCK=$DIR/sb/xapi.sock
	[ "$XENBAKE_XAPI" = "$URL" ] || fail "env gives '$XENBAKE_XAPI', want $URL"
}

# sim_get URL PATH: the simulator's GET /sim/... reply on stdout
sim_get() {
	"$PY" -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1] + sys.argv[2]).read().decode())' "$@"
}

# sim_post URL PATH: POST to one of the simulator's /sim/... controls
sim_post() {
	"$PY" -c 'import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + sys.argv[2],
                                              b"", method="POST"))' "$@"
}

sim_py() {
	script=$1
	shift
	PYTHONPATH=$SIMTESTS "$PY" "$SIMTESTS/$script" "$@" ||
		{ echo "--- simulator log:" >&2; cat "$DIR/sb/xapisim.log" >&2; \
		  fail "$script"; }
}
