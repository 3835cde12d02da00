# SPDX-License-Identifier: MIT
# tests/runtime/lib.sh - sourced by the runtime's sandbox tests.
#   . "$(dirname "$0")/../runtime/lib.sh"   (from tests/AREA/NAME.sh)
#   sandbox_up FIXTURE        # fresh DIR (mktemp -d), sandbox up, env loaded
#   compile NAME <<EOF ...    # $DIR/NAME.xb -> $DIR/NAME.xbb with xenbakec
#   xs_get PATH / xs_perms PATH   read with an independent client (pyxs)
#   trace_mark / trace_count OP   count requests in the trace since the mark
#   trace_own                 xenbake's own requests since the mark
#   trace_has TEXT            trace lines since the mark holding TEXT
# XENBAKE_WRAPPER="valgrind -q --error-exitcode=99 ..." runs every $XENBAKE
# under that command (scripts/test: memcheck over the sandbox tests).
set -eu
# run by make check, or by itself from a build directory
# (cd build && sh ../tests/AREA/NAME.sh): the test's own path gives the
# source tree, the current directory the build
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
export top_srcdir top_builddir
PY=${PYTHON3:-/usr/bin/python3}
XENBAKE=$top_builddir/xenbake
XENBAKEC=$top_builddir/xenbakec
SANDBOX=$top_srcdir/tests/sandbox

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }

[ -x "$XENBAKEC" ] || skip "no xenbakec yet"
[ -x "$XENBAKE" ] || skip "no xenbake yet"
command -v xenstore-write >/dev/null || skip "xenstore-utils not installed"
"$PY" -c 'import pyxs' 2>/dev/null || skip "python3-pyxs not installed"

DIR=$(mktemp -d)
# journals and receipts stay in the test's directory, never the host's
# (sandbox_up then gives them the sandbox host's own, DIR/sb/state)
export XENBAKE_STATE_DIR="$DIR/state"
# the sandbox lives in $DIR/sb: stop it before the directory goes
trap '"$SANDBOX/down" "$DIR/sb"; rm -rf "$DIR"' EXIT

if [ -n "${XENBAKE_WRAPPER:-}" ]; then
	printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$XENBAKE_WRAPPER" "$XENBAKE" >"$DIR/xenbake"
	chmod +x "$DIR/xenbake"
	XENBAKE=$DIR/xenbake
fi

sandbox_up() {
	SANDBOX_TRACE=1 "$SANDBOX/up" "$1" "$DIR/sb" 2>"$DIR/up.log" ||
		{ cat "$DIR/up.log" >&2; fail "sandbox did not start"; }
	. "$DIR/sb/env"
	# this test is about xenstore unless it says otherwise
	export XENBAKE_XAPI
}

# compile NAME: source on stdin
compile() {
	cat >"$DIR/$1.xb"
	"$XENBAKEC" -o "$DIR/$1.xbb" "$DIR/$1.xb" ||
		fail "xenbakec rejected $1.xb"
}

# A fixture with running guests web-01 (5), db-01 (6), app-01 (7), in the
# state xenopsd builds them in (tests/sandbox/up). `fixture legacy`: the
# old sandbox's unreal state instead (/local/domain/N the guest's, no
# vm-data), for the tests that still assume it until the runtime keeps a
# guest's vm-data the guest's (issue 13 point 4).
fixture() {
	legacy=
	[ "${1:-}" = legacy ] && legacy='"legacy_guest_domains": true,'
	cat >"$DIR/host.json" <<FXEOF
{$legacy
 "hosts": [{"uuid": "0b7a0c52-0000-4000-8000-000000000001",
            "name_label": "xs-01", "address": "127.0.0.1"}],
 "vms": [
  {"uuid": "5e1f0000-0000-4000-8000-000000000005", "name_label": "web-01",
   "power_state": "Running", "domid": 5,
   "resident_on": "0b7a0c52-0000-4000-8000-000000000001",
   "is_a_template": false, "is_control_domain": false,
   "xenstore_data": {}, "other_config": {}},
  {"uuid": "5e1f0000-0000-4000-8000-000000000006", "name_label": "db-01",
   "power_state": "Running", "domid": 6,
   "resident_on": "0b7a0c52-0000-4000-8000-000000000001",
   "is_a_template": false, "is_control_domain": false,
   "xenstore_data": {}, "other_config": {}},
  {"uuid": "5e1f0000-0000-4000-8000-000000000007", "name_label": "app-01",
   "power_state": "Running", "domid": 7,
   "resident_on": "0b7a0c52-0000-4000-8000-000000000001",
   "is_a_template": false, "is_control_domain": false,
   "xenstore_data": {}, "other_config": {}}],
 "srs": [{"uuid": "5b000000-0000-4000-8000-000000000001",
          "name_label": "Local storage", "name_description": "",
          "other_config": {}, "pbds_plugged": true}],
 "networks": [{"uuid": "4e700000-0000-4000-8000-000000000001",
               "name_label": "Storage network", "other_config": {}}],
 "pifs": [{"uuid": "91f00000-0000-4000-8000-000000000001", "device": "eth1",
           "host": "0b7a0c52-0000-4000-8000-000000000001",
           "network": "4e700000-0000-4000-8000-000000000001",
           "other_config": {}}]}
FXEOF
	echo "$DIR/host.json"
}

# Independent reads: Debian's pyxs, not libxenstore.
xs_get() {
	"$PY" - "$XENSTORED_PATH" "$1" <<'PYEOF'
import sys
from pyxs import Client, PyXSError
with Client(unix_socket_path=sys.argv[1]) as c:
    try:
        print(c[sys.argv[2].encode()].decode())
    except PyXSError:
        print("<absent>")
PYEOF
}

xs_perms() {
	"$PY" - "$XENSTORED_PATH" "$1" <<'PYEOF'
import sys
from pyxs import Client
with Client(unix_socket_path=sys.argv[1]) as c:
    print(" ".join(p.decode() for p in c.get_perms(sys.argv[2].encode())))
PYEOF
}

expect_eq() {   # expect_eq WHAT GOT WANT
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

trace_mark() { wc -l <"$DIR/sb/trace" >"$DIR/trace.mark"; }

# xenbake's own requests (IN lines) since the mark: those of its
# connection, the first to list /, up to its first TRANSACTION_END (then
# it closes, and the address may serve another client)
trace_own() {
	tail -n +"$(($(cat "$DIR/trace.mark") + 1))" "$DIR/sb/trace" |
		awk '!conn && /^IN .* DIRECTORY \(\/ \)/ { conn = $2 }
		     conn && $2 == conn && /^IN / { print }
		     conn && $2 == conn && /^IN .* TRANSACTION_END/ { exit }'
}

# trace lines (requests and replies) since the mark with $1 in them
trace_has() {
	tail -n +"$(($(cat "$DIR/trace.mark") + 1))" "$DIR/sb/trace" |
		grep -cF -- "$1" || true
}

# requests of OP sent (IN lines) since the mark
trace_count() {
	tail -n +"$(($(cat "$DIR/trace.mark") + 1))" "$DIR/sb/trace" |
		grep -c "^IN .* $1 (" || true
}

# XenAPI through Debian's unmodified client: xapi_py <<'PY' ... PY, with
# `api` (session.xenapi) and helpers vm(name), rec(cls, name) in scope.
# syslog_listen FILE: the system log, a datagram socket at
# $XENBAKE_LOG_SOCKET where xenbake sends, each message appended to FILE
# as a line; the listener stops with the sandbox.
syslog_listen() {
	"$PY" - "$XENBAKE_LOG_SOCKET" "$1" <<'PYEOF' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1] + ".tmp")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
with open(sys.argv[2], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(65536) + b"\n")
PYEOF
	logger=$!
	trap 'kill $logger; "$SANDBOX/down" "$DIR/sb"; rm -rf "$DIR"' EXIT
	i=0
	until [ -S "$XENBAKE_LOG_SOCKET" ]; do
		i=$((i + 1))
		[ $i -lt 600 ] || fail "the log listener did not start"
		sleep 0.1
	done
}

need_xapi() {
	[ -e "$SANDBOX/xapisim.py" ] || skip "no XenAPI simulator yet"
	"$PY" -c 'import os_xenapi' 2>/dev/null || skip "python3-os-xenapi not installed"
}

xapi_py() {
	{
		cat <<'PYEOF'
import sys
from os_xenapi.client import XenAPI
session = XenAPI.Session(sys.argv[1])
session.xenapi.login_with_password("root", "", "2.0", "xenbake-test")
api = session.xenapi
def find(cls, label):
    recs = getattr(api, cls).get_all_records()
    hits = [r for r in recs.values() if r.get("name_label") == label]
    assert len(hits) == 1, (cls, label, len(hits))
    return hits[0]
def vm(name):
    return find("VM", name)
PYEOF
		cat
	} >"$DIR/xapi.py"
	"$PY" "$DIR/xapi.py" "$XENBAKE_XAPI"
}

# wait_mirrored VM KEY VALUE [TRIES]: waits until xapi has copied the
# guest's KEY = VALUE into VM.xenstore_data (xenopsd reports a change of
# the live tree when it sees it: later, not at once), TRIES times 0.1 s
# (default 300).
wait_mirrored() {
	n=0
	until xapi_py >/dev/null 2>&1 <<PYEOF
assert vm("$1")["xenstore_data"].get("$2") == "$3"
PYEOF
	do
		n=$((n + 1))
		[ $n -lt "${4:-300}" ] || fail "xapi never copied $2 = $3 of $1 into VM.xenstore_data"
		sleep 0.1
	done
}

# XenAPI writes (set_*, add_to_*, remove_from_*) the simulator has answered
# since it started or since sim_reset.
sim_writes() {
	"$PY" - "$XENBAKE_XAPI" <<'PYEOF'
import json, sys, urllib.request
calls = json.load(urllib.request.urlopen(sys.argv[1] + "/sim/calls"))["calls"]
print(sum(1 for m in calls
          if any(p in m for p in (".set_", ".add_to_", ".remove_from_",
                                  ".add_tags", ".remove_tags"))))
PYEOF
}

# The XenAPI write calls a plan needs (plan_calls BLOB [OPTION...]): one
# per key, add_to_ or remove_from_, both for a changed value; one
# set_name_label for a name.
plan_calls() {
	"$XENBAKE" plan --json "$@" 2>/dev/null | "$PY" -c 'import json, sys
p = json.load(sys.stdin)
print(sum(2 if c["op"] == "change" and c["field"] != "name_label" else 1
          for c in p["changes"] if c["where"] == "xapi"))'
}

sim_reset() {
	"$PY" -c 'import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/sim/reset-calls", data=b"", method="POST"))' "$XENBAKE_XAPI"
}

sim_fault() {
	"$PY" -c 'import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/sim/fault", data=sys.argv[2].encode(), method="POST"))' "$XENBAKE_XAPI" "$1"
}
