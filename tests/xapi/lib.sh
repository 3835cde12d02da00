# SPDX-License-Identifier: MIT
# tests/xapi/lib.sh - sourced by tests/xapi/*.sh: a scratch directory, the
# probe, and canned XenAPI servers that are stopped on exit.
# XENBAKE_WRAPPER="valgrind -q --error-exitcode=99 ..." runs the probe under
# that command (scripts/test: memcheck over the XenAPI client).
set -eu
# run by make check, or by itself from a build directory
# (cd build && sh ../tests/AREA/NAME.sh): the test's own path gives the
# source tree, the current directory the build
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
export top_srcdir top_builddir
PY=${PYTHON3:-/usr/bin/python3}
PROBE=$top_builddir/tests/xapi/xapi-probe
REPLIES=$top_srcdir/tests/xapi/canned-replies.json
T=$(mktemp -d)
SERVER_PIDS=

cleanup() {
	for pid in $SERVER_PIDS; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in $SERVER_PIDS; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$T"
}
trap cleanup EXIT

if [ -n "${XENBAKE_WRAPPER:-}" ]; then
	printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$XENBAKE_WRAPPER" "$PROBE" >"$T/xapi-probe"
	chmod +x "$T/xapi-probe"
	PROBE=$T/xapi-probe
fi

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# canned NAME [ARGS...]: starts canned-xapi.py; its port is $T/NAME.port,
# its log $T/NAME.log.
canned() {
	name=$1
	shift
	"$PY" "$top_srcdir/tests/xapi/canned-xapi.py" --port-file "$T/$name.port" \
		--log "$T/$name.log" "$@" >"$T/$name.out" 2>&1 &
	SERVER_PIDS="$SERVER_PIDS $!"
	i=0
	until [ -s "$T/$name.port" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || { cat "$T/$name.out" >&2; fail "server $name did not start"; }
		sleep 0.1
	done
	: >>"$T/$name.log"
}

port() { cat "$T/$1.port"; }

# pool_port: a TCP port free at both 127.0.0.1 and 127.0.0.2, for a pool
# whose master and member listen on one port at the two addresses. A
# port the kernel picked as free at one address may be taken at the
# other: on 127.0.0.1, by a client of a test running beside this one.
pool_port() {
	"$PY" - <<'PYEOF'
import socket, sys
for _ in range(100):
    with socket.socket() as a, socket.socket() as b:
        a.bind(("127.0.0.2", 0))
        port = a.getsockname()[1]
        try:
            b.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        sys.exit(0)
sys.exit("no port free at both 127.0.0.1 and 127.0.0.2")
PYEOF
}

# probe NAME ARGS...: runs xapi-probe; stdout in $T/NAME.stdout, stderr in
# $T/NAME.stderr, exit status in $rc.
probe() {
	name=$1
	shift
	rc=0
	"$PROBE" "$@" >"$T/$name.stdout" 2>"$T/$name.stderr" || rc=$?
}

# has FILE TEXT: FILE holds the fixed string TEXT.
has() {
	grep -qF -- "$2" "$1" || {
		echo "--- $1:" >&2
		cat "$1" >&2
		fail "$1 lacks: $2"
	}
}

lacks() {
	! grep -qF -- "$2" "$1" || {
		echo "--- $1:" >&2
		cat "$1" >&2
		fail "$1 holds: $2"
	}
}

# count FILE REGEX: lines of FILE matching REGEX
count() { grep -c -- "$2" "$1" || true; }

# expect_rc N: the last probe exited N (else its output is shown)
expect_rc() {
	[ "$rc" = "$1" ] || {
		cat "$T/$name.stdout" "$T/$name.stderr" >&2 2>/dev/null || true
		fail "probe $name: exit status $rc, expected $1"
	}
}
