#!/bin/sh
# SPDX-License-Identifier: MIT
# A two-host pool as two sandboxes (one xenstored and one simulator per
# host, on 127.0.0.1 and 127.0.0.2, same port); see pool.py. Then the
# real clients follow HOST_IS_SLAVE from the member to the master: npm's
# xen-api (when installed) and xenbake's own client (when built).
. "$(dirname "$0")/lib.sh"
"$PY" -c 'import os_xenapi' 2>/dev/null || skip "python3-os-xenapi not installed"
FX=$SIMTESTS/pool.json
M=$DIR/master
S=$DIR/sb          # lib.sh stops $DIR/sb; stop the master too
trap '"$SANDBOX/down" "$S"; "$SANDBOX/down" "$M"; rm -rf "$DIR"' EXIT
SANDBOX_HOST=xs-01 XAPISIM_MEMBER_XENSTORED="xs-02=$S/socket" \
	"$SANDBOX/up" "$FX" "$M" 2>"$DIR/up-master.log" ||
	{ cat "$DIR/up-master.log" >&2; fail "master did not start"; }
P=$(cat "$M/xapi.port")
SANDBOX_HOST=xs-02 SANDBOX_XAPI_BIND=127.0.0.2 SANDBOX_XAPI_PORT=$P \
	XAPISIM_MASTER_URL=http://127.0.0.1:$P \
	"$SANDBOX/up" "$FX" "$S" 2>"$DIR/up-member.log" ||
	{ cat "$DIR/up-member.log" >&2; fail "member did not start"; }
grep -q "XENBAKE_XAPI='http://127.0.0.2:$P'" "$S/env" || fail "member env"
PYTHONPATH=$SIMTESTS "$PY" "$SIMTESTS/pool.py" "http://127.0.0.1:$P" \
	"http://127.0.0.2:$P" "$S/xapi.sock" "$M/socket" "$S/socket" ||
	{ cat "$M/xapisim.log" "$S/xapisim.log" >&2; fail pool.py; }

# npm xen-api, pointed at the member, ends up on the master
if command -v node >/dev/null && [ -d "$SIMTESTS/node_modules/xen-api" ]; then
	node "$SIMTESTS/npm-follow.mjs" "http://127.0.0.2:$P" ||
		fail "npm xen-api did not reach the master"
	"$PY" - "http://127.0.0.1:$P" "http://127.0.0.2:$P" <<'PYEOF' || fail "npm: calls"
import json, sys, urllib.request
m, s = (json.load(urllib.request.urlopen(u + "/sim/calls?detail=1")) for u in sys.argv[1:])
assert s["calls"][-1] == "session.login_with_password", s["calls"]
assert [d["params"][0] for d in m["detail"]
        if d["method"] == "session.login_with_password"][-1] == "root", m
assert "pool.get_all_records" in m["calls"][-4:], m["calls"]
PYEOF
fi

# xenbake's client, when built, follows it too
PROBE=${top_builddir:-.}/tests/xapi/xapi-probe
if [ -x "$PROBE" ]; then
	"$PROBE" -e "http://127.0.0.2:$P" state >"$DIR/probe.out" 2>&1 ||
		{ cat "$DIR/probe.out" >&2; fail "xapi-probe via the member"; }
	grep -q "name=app-02 running=1 domid=7" "$DIR/probe.out" ||
		{ cat "$DIR/probe.out" >&2; fail "xapi-probe state"; }
fi

# the master goes away: the member is in emergency mode and refuses every
# call, login included, on its unix socket and over TCP (no HOST_IS_SLAVE
# to follow any more), with XenAPI.py on TCP and a raw call on the socket
"$SANDBOX/down" "$M"
PYTHONPATH=$SIMTESTS "$PY" - "http://127.0.0.2:$P" "$S/xapi.sock" <<'PYEOF' ||
import sys, xmlrpc.client
from os_xenapi.client import XenAPI
from simlib import UnixHTTPConnection, calls, check
url, sock = sys.argv[1:]
try:
    XenAPI.Session(url).xenapi.login_with_password("root", "")
    check(False, "the member took a login without its master")
except XenAPI.Failure as e:
    check(e.details[0] == "INTERNAL_ERROR" and "pool master" in e.details[1],
          "emergency mode over TCP", e.details)
c = UnixHTTPConnection(sock)
for method, params in (("session.login_with_password", ("root", "")),
                       ("VM.get_all", ("OpaqueRef:x",))):
    c.request("POST", "/", xmlrpc.client.dumps(params, method),
              {"Content-Type": "text/xml"})
    r = xmlrpc.client.loads(c.getresponse().read())[0][0]
    check(r["Status"] == "Failure" and
          r["ErrorDescription"][0] == "INTERNAL_ERROR", method, r)
print("emergency mode: ok")
PYEOF
	{ cat "$S/xapisim.log" >&2; fail "emergency mode"; }
echo "pool.sh: ok"
