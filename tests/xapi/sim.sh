#!/bin/sh
# SPDX-License-Identifier: MIT
# The XenAPI client against the sandbox's simulator: login over TCP and
# over the unix socket, read_state gives the fixture's objects in exactly
# 5 calls (plus login), set_map and set_name_label round trip, faults come
# with code and params, and the session is logged out at exit.
. "$(dirname "$0")/lib.sh"
[ -e "$top_srcdir/tests/sandbox/xapisim.py" ] || { echo "no simulator yet: skipped"; exit 77; }

FIXTURE=$top_srcdir/tests/xapi/fixture.json
SB=$T/sandbox
trap '"$top_srcdir/tests/sandbox/down" "$SB" >/dev/null 2>&1 || true; cleanup' EXIT
"$top_srcdir/tests/sandbox/up" "$FIXTURE" "$SB" 2>"$T/up.log" || { cat "$T/up.log" >&2; fail "sandbox did not start"; }
. "$SB/env"
[ -n "$XENBAKE_XAPI" ] || fail "the sandbox has no XenAPI endpoint"

# sim GET|POST PATH [BODY]: the simulator's test controls (not XenAPI)
sim() {
	"$PY" - "$XENBAKE_XAPI" "$@" <<'PYEOF'
import json, sys, urllib.request
url, verb, path = sys.argv[1], sys.argv[2], sys.argv[3]
data = sys.argv[4].encode() if len(sys.argv) > 4 else (b"" if verb == "POST" else None)
print(urllib.request.urlopen(urllib.request.Request(url + path, data=data)).read().decode())
PYEOF
}

# json FILE EXPR: a python expression on the JSON in FILE (as j)
json_eval() {
	"$PY" -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# ref_of FILE CLASS UUID: the ref the simulator gave that object
ref_of() {
	sed -n "s/^$2 \([^ ]*\) uuid=$3 .*/\1/p" "$1"
}

sim POST /sim/reset-calls >/dev/null
probe tcp state
expect_rc 0
has "$T/tcp.stdout" "calls 7"
# on the wire: login, one get_all_records per class, logout
sim GET /sim/calls >"$T/calls.json"
[ "$(json_eval "$T/calls.json" 'j["calls"]')" = "['session.login_with_password', 'host.get_all_records', 'VM.get_all_records', 'SR.get_all_records', 'network.get_all_records', 'PIF.get_all_records', 'pool.get_all_records', 'session.logout']" ] ||
	{ cat "$T/calls.json" >&2; fail "not login + 6 reads + logout"; }
# logged out: no session left, ours (originator xenbake) ended
sim GET /sim/state >"$T/simstate.json"
[ "$(json_eval "$T/simstate.json" 'len(j["sessions"])')" = 0 ] || fail "a session was left open"
[ "$(json_eval "$T/simstate.json" '[s["originator"] for s in j["logged_out"]]')" = "['xenbake']" ] ||
	fail "the session was not logged out"
has "$T/tcp.stdout" "uuid=11111111-1111-4111-8111-111111111111 name=xs-01 address=127.0.0.1"
has "$T/tcp.stdout" "uuid=6f1c2a9e-3b1d-4c55-9a57-0c1d2e3f4a5b name=web-01 running=1 domid=5"
has "$T/tcp.stdout" "uuid=7a2b3c4d-0000-4000-8000-000000000002 name=db-01 running=0 domid=-1 resident_on= template=0 control=0"
has "$T/tcp.stdout" "  xenstore_data vm-data/role=frontend"
has "$T/tcp.stdout" "  other_config owner=ops"
has "$T/tcp.stdout" "uuid=9c000000-0000-4000-8000-000000000004 name=Local storage"
has "$T/tcp.stdout" "uuid=ad000000-0000-4000-8000-000000000006 name=Storage network"
has "$T/tcp.stdout" "device=eth1"
HOST=$(sed -n 's/^host \([^ ]*\) uuid=11111111-1111-4111-8111-111111111111 .*/\1/p' "$T/tcp.stdout")
VM=$(ref_of "$T/tcp.stdout" vm 6f1c2a9e-3b1d-4c55-9a57-0c1d2e3f4a5b)
SR=$(ref_of "$T/tcp.stdout" sr 9c000000-0000-4000-8000-000000000004)
SR_DETACHED=$(ref_of "$T/tcp.stdout" sr 9c000000-0000-4000-8000-000000000005)
NET=$(ref_of "$T/tcp.stdout" network ad000000-0000-4000-8000-000000000006)
[ -n "$HOST" ] && [ -n "$VM" ] && [ -n "$SR" ] && [ -n "$SR_DETACHED" ] && [ -n "$NET" ] ||
	fail "refs not found in the state"
has "$T/tcp.stdout" "running=1 domid=5 resident_on=$HOST "
has "$T/tcp.stdout" "device=eth1 host=$HOST network=$NET"

# the unix socket
probe unix -e "unix:$SB/xapi.sock" state
expect_rc 0
has "$T/unix.stdout" "name=web-01 running=1 domid=5"
has "$T/unix.stdout" "calls 7"

# PBDs: plugged as the fixture says
probe pbds pbds
expect_rc 0
has "$T/pbds.stdout" "sr $SR uuid=9c000000-0000-4000-8000-000000000004 name=Local storage pbds_plugged=1"
has "$T/pbds.stdout" "sr $SR_DETACHED uuid=9c000000-0000-4000-8000-000000000005 name=Detached NFS pbds_plugged=0"
has "$T/pbds.stdout" "calls 8"

# set_map and set_name_label round trip, in one session
probe write set-map vm "$VM" xenstore_data 'vm-data/role=back<end>&' vm-data/x=1 \
	+ set-map vm "$VM" other_config owner=dev 'note=caf&#233;' \
	+ set-map network "$NET" other_config HideFromXenCenter=true \
	+ set-name sr "$SR" "Local storage (renamed)" + state
expect_rc 0
has "$T/write.stdout" "  xenstore_data vm-data/role=back<end>&"
has "$T/write.stdout" "  xenstore_data vm-data/x=1"
has "$T/write.stdout" "  other_config note=caf&#233;"
has "$T/write.stdout" "  other_config owner=dev"
has "$T/write.stdout" "  other_config HideFromXenCenter=true"
has "$T/write.stdout" "sr $SR uuid=9c000000-0000-4000-8000-000000000004 name=Local storage (renamed)"
has "$T/write.stdout" "calls 11"             # login, 4 writes, 6 reads
# the whole map was replaced
probe after state
lacks "$T/after.stdout" "vm-data/role=frontend"

# faults with code and params
probe handle set-map vm OpaqueRef:no-such-vm other_config a=b
expect_rc 1
has "$T/handle.stderr" "error: VM.set_other_config: HANDLE_INVALID [VM, OpaqueRef:no-such-vm]"
has "$T/handle.stderr" "fault: HANDLE_INVALID VM OpaqueRef:no-such-vm"
probe nopbd set-name sr "$SR_DETACHED" "New name"
expect_rc 1
has "$T/nopbd.stderr" "error: SR.set_name_label: SR_HAS_NO_PBDS [$SR_DETACHED]"

# every run logged out, on TCP and on the unix socket alike
sim GET /sim/state >"$T/simstate.json"
[ "$(json_eval "$T/simstate.json" 'len(j["sessions"])')" = 0 ] || fail "sessions left open"
[ "$(json_eval "$T/simstate.json" 'sorted(set(s["socket"] for s in j["logged_out"]))')" = "['tcp', 'unix']" ] ||
	fail "not logged out on both transports"

# an expired session: one new login, the call retried
sim POST /sim/reset-calls >/dev/null
sim POST /sim/fault "fail:SR.get_all_records#+1:SESSION_INVALID:gone" >/dev/null
probe expired state
expect_rc 0
has "$T/expired.stdout" "name=Local storage (renamed)"
has "$T/expired.stdout" "calls 9"
sim GET /sim/calls >"$T/calls.json"
[ "$(json_eval "$T/calls.json" 'j["by_method"]["session.login_with_password"]')" = 2 ] || fail "not logged in again"
[ "$(json_eval "$T/calls.json" 'j["by_method"]["SR.get_all_records"]')" = 2 ] || fail "SR.get_all_records not retried"

# a second SESSION_INVALID in a row is not retried forever
sim POST /sim/fault "fail:VM.get_all_records#+1*:SESSION_INVALID:gone" >/dev/null
probe expired2 state
expect_rc 1
has "$T/expired2.stderr" "error: VM.get_all_records: SESSION_INVALID [gone]"
has "$T/expired2.stdout" "calls 5"           # login, host, VM, login, VM
sim POST /sim/clear-faults >/dev/null

# a kept-alive connection closed without a reply (the call not run) is
# retried once on a new connection, by libcurl; closed every time, it is
# an error naming the call
sim POST /sim/fault "drop:network.get_all_records#+1" >/dev/null
probe dropped state
expect_rc 0
has "$T/dropped.stdout" "name=Storage network"
sim POST /sim/fault "drop:network.get_all_records#+1*" >/dev/null
probe dropped2 state
expect_rc 1
has "$T/dropped2.stderr" "error: network.get_all_records: $XENBAKE_XAPI: "
sim POST /sim/clear-faults >/dev/null

# a slow server: the per-call timeout
sim POST /sim/latency 1500 >/dev/null
probe slow -t 400 state
expect_rc 1
has "$T/slow.stderr" "error: session.login_with_password: no reply from $XENBAKE_XAPI within 400 ms"
sim POST /sim/latency 0 >/dev/null

# a simulator that writes map keys unescaped, as xapi does
"$PY" - "$FIXTURE" "$T/rawfx.json" <<'PYEOF'
import json, sys
fx = json.load(open(sys.argv[1]))
fx["vms"][0]["other_config"]["XenCenter.CustomFields.R&D <team>"] = "x&y"
json.dump(fx, open(sys.argv[2], "w"))
PYEOF
"$PY" "$top_srcdir/tests/sandbox/xapisim.py" --fixture "$T/rawfx.json" --port 0 \
	--port-file "$T/rawsim.port" --unix "$T/rawsim.sock" --xenstored "$SB/socket" \
	--pid-file "$T/rawsim.pid" --raw-member-names >"$T/rawsim.log" 2>&1 &
SERVER_PIDS="$SERVER_PIDS $!"
i=0
until [ -s "$T/rawsim.port" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$T/rawsim.log" >&2; fail "the raw-names simulator did not start"; }
	sleep 0.1
done
probe raw -e "http://127.0.0.1:$(cat "$T/rawsim.port")" state
expect_rc 0
has "$T/raw.stdout" "  other_config XenCenter.CustomFields.R&D <team>=x&y"
echo "sim: ok"
