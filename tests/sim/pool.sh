#!/bin/sh
# SPDX-License-Identifier: MIT
# A two-host pool as two sandboxes (one xenstored and one simulator per
# host, on 127.0.0.1 and 127.0.0.2, same port); see pool.py. Then the
# real clients follow HOST_IS_SLAVE from the member to the master: npm's
# xen-api (when installed) and xenbake's own client (when built).
. "$top_srcdir/tests/sim/lib.sh"
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
echo "pool.sh: ok"
