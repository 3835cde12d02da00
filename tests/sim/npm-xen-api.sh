#!/bin/sh
# SPDX-License-Identifier: MIT
# Xen Orchestra's npm `xen-api` client, unmodified, against the simulator:
# forced JSON-RPC, forced XML-RPC, and the default (auto) with the event
# loop on. Needs `npm ci --prefix tests/sim` (node_modules is not kept in
# git); skipped without it.
. "$(dirname "$0")/lib.sh"
command -v node >/dev/null || skip "node not installed"
[ -d "$SIMTESTS/node_modules/xen-api" ] ||
	skip "npm xen-api not installed: run npm ci --prefix tests/sim"
sandbox_up
run() {   # run TRANSPORT [events]
	sim_post "$URL" /sim/reset-calls
	node "$SIMTESTS/npm-xen-api.mjs" "$URL" "$@" \
		>"$DIR/node.out" 2>&1 || { cat "$DIR/node.out" >&2; \
		cat "$DIR/sb/xapisim.log" >&2; fail "node $*"; }
	cat "$DIR/node.out"
	"$PY" - "$URL" "$@" <<'PYEOF' || fail "calls of $*"
import json, sys, urllib.request
url, transport = sys.argv[1:3]
log = json.load(urllib.request.urlopen(url + "/sim/calls?detail=1"))
names = log["calls"]
# login with two arguments, then what the client reads at connection
first = log["detail"][0]
assert first["method"] == "session.login_with_password", names
assert len(first["params"]) == 2, first
assert names[1:3] == ["pool.get_all_records", "system.listMethods"], names
assert names[-1] == "session.logout", names
want = {"json-rpc": {"jsonrpc"}, "xml-rpc": {"xmlrpc"},
        "auto": {"jsonrpc"}}[transport]
got = {d["transport"] for d in log["detail"]}
assert got == want, (transport, got)
if len(sys.argv) > 3:
    assert "event.inject" in names and "event.from" in names, names
    assert "PIF.get_all_records" in names, names
else:
    assert not any(n.startswith("event.") for n in names), names
print("calls:", len(names), "over", *sorted(got))
PYEOF
}
run json-rpc
run xml-rpc
run auto events
