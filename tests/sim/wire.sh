#!/bin/sh
# SPDX-License-Identifier: MIT
# The wire rules with a raw HTTP client (see wire.py), then a password
# over TCP, and /sim/state loaded back as a fixture gives the same state.
. "$(dirname "$0")/lib.sh"
sandbox_up
sim_py wire.py "$URL" "$XAPISOCK"

# --password: required over TCP, not on the unix socket; the dump of the
# database is a fixture that loads back into the same database
sim_get "$URL" /sim/state >"$DIR/state.json"
"$PY" "$SANDBOX/xapisim.py" --fixture "$DIR/state.json" --port 0 \
	--port-file "$DIR/p2.port" --unix "$DIR/p2.sock" --pid-file "$DIR/sb/p2.pid" \
	--password secret --auth-fail-delay 0.3 --no-boot-sync \
	>"$DIR/p2.log" 2>&1 &
P2PID=$!
i=0
until [ -s "$DIR/p2.port" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$DIR/p2.log" >&2; fail "second simulator"; }
	sleep 0.1
done
URL2=http://127.0.0.1:$(cat "$DIR/p2.port")
sim_get "$URL2" /sim/state >"$DIR/state2.json"
PYTHONPATH=$SIMTESTS "$PY" - "$URL2" "$DIR/p2.sock" "$DIR/state.json" \
	"$DIR/state2.json" <<'PYEOF' || fail "password and round trip"
import json, sys, time, xmlrpc.client
from simlib import UnixHTTPConnection, check
url, sock, a, b = sys.argv[1:]
one, two = json.load(open(a)), json.load(open(b))
for k in ("sessions", "logged_out"):
    one.pop(k), two.pop(k)
check(one == two, "the dump loads back as the same database")
p = xmlrpc.client.ServerProxy(url)
t0 = time.time()
r = p.session.login_with_password("root", "wrong")
check(time.time() - t0 >= 0.27, "the failure waits --auth-fail-delay")
check(r == {"Status": "Failure", "ErrorDescription": [
    "SESSION_AUTHENTICATION_FAILED", "root", "Authentication failure"]},
    "wrong password over TCP", r)
check(p.session.login_with_password("root", "secret")["Status"] ==
      "Success", "right password")
c = UnixHTTPConnection(sock)
c.request("POST", "/", xmlrpc.client.dumps(("root", "wrong"),
          "session.login_with_password"), {"Content-Type": "text/xml"})
r = xmlrpc.client.loads(c.getresponse().read())[0][0]
check(r["Status"] == "Success", "any password on the unix socket", r)
print("password, round trip: ok")
PYEOF
# SIGTERM: a clean exit (status 0, within 3 s), the unix socket removed
[ "$(cat "$DIR/sb/p2.pid")" = "$P2PID" ] || fail "pid file"
kill "$P2PID"
i=0
while kill -0 "$P2PID" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 30 ] || fail "the simulator ignored SIGTERM for 3 s"
	sleep 0.1
done
rc=0
wait "$P2PID" || rc=$?
[ $rc -eq 0 ] || fail "exit status $rc after SIGTERM"
[ ! -e "$DIR/p2.sock" ] || fail "unix socket left behind"
rm -f "$DIR/sb/p2.pid"

# --no-xenstore-sync: the live trees are still rewritten, but the field
# keeps what was set (no copy back); map keys unescaped by default
"$PY" "$SANDBOX/xapisim.py" --fixture "$SIMTESTS/fixture.json" --port 0 \
	--port-file "$DIR/p3.port" --pid-file "$DIR/sb/p3.pid" \
	--xenstored "$XSOCK" --no-xenstore-sync \
	>"$DIR/p3.log" 2>&1 &
i=0
until [ -s "$DIR/p3.port" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$DIR/p3.log" >&2; fail "third simulator"; }
	sleep 0.1
done
URL3=http://127.0.0.1:$(cat "$DIR/p3.port")
PYTHONPATH=$SIMTESTS "$PY" - "$URL3" "$XSOCK" <<'PYEOF' || fail "no sync"
import sys, time
from os_xenapi.client import XenAPI
from simlib import check, xs_tree
s = XenAPI.Session(sys.argv[1])
s.xenapi.login_with_password("root", "")
(vm,) = s.xenapi.VM.get_by_name_label("web-01")
check(s.xenapi.VM.get_xenstore_data(vm) ==
      {"vm-data/role": "frontend", "FIST/x": "1"}, "boot without sync",
      s.xenapi.VM.get_xenstore_data(vm))
s.xenapi.VM.set_xenstore_data(vm, {"vm-data/a/b": "1", "other": "2"})
check(xs_tree(sys.argv[2], "/local/domain/5/vm-data") == {"a": "", "a/b": "1"},
      "trees rewritten")
time.sleep(0.3)
check(s.xenapi.VM.get_xenstore_data(vm) == {"vm-data/a/b": "1", "other": "2"},
      "field as set", s.xenapi.VM.get_xenstore_data(vm))
# map keys unescaped, as xapi's encoder writes them
import http.client, xmlrpc.client, urllib.parse
s.xenapi.VM.set_other_config(vm, {"a&b": "x&y"})
u = urllib.parse.urlsplit(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port)
c.request("POST", "/", xmlrpc.client.dumps((s.handle, vm),
          "VM.get_other_config"), {"Content-Type": "text/xml"})
raw = c.getresponse().read()
check(b"<name>a&b</name><value>x&amp;y</value>" in raw, "raw key", raw)
s.xenapi.VM.set_other_config(vm, {})
s.xenapi.session.logout()
print("no xenstore sync, raw member names: ok")
PYEOF

# xenbake's own client, when built, keeps one connection per run (HTTP/1.1
# keep-alive) on either socket
PROBE=${top_builddir:-.}/tests/xapi/xapi-probe
if [ -x "$PROBE" ]; then
	sim_post "$URL" /sim/reset-calls
	"$PROBE" -e "$URL" state >"$DIR/probe-tcp.out" 2>&1 &&
	"$PROBE" -e "unix:$XAPISOCK" state >"$DIR/probe-unix.out" 2>&1 ||
		{ cat "$DIR"/probe-*.out >&2; fail "xapi-probe"; }
	"$PY" - "$URL" <<'PYEOF' || fail "xapi-probe connections"
import json, sys, urllib.request
d = json.load(urllib.request.urlopen(sys.argv[1] + "/sim/calls?detail=1"))["detail"]
for sock in ("tcp", "unix"):
    calls = [x for x in d if x["socket"] == sock]
    assert len(calls) >= 3 and calls[-1]["method"] == "session.logout", calls
    assert len({x["conn"] for x in calls}) == 1, (sock, calls)
print("xapi-probe: one connection per run on each socket")
PYEOF
fi
