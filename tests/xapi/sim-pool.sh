#!/bin/sh
# SPDX-License-Identifier: MIT
# A two-host pool of simulators: the master on 127.0.0.2, the member on
# 127.0.0.1, same port. Over TCP the member answers HOST_IS_SLAVE and the
# client logs in on the master; over the member's unix socket calls are
# forwarded to the master.
. "$(dirname "$0")/lib.sh"
[ -e "$top_srcdir/tests/sandbox/xapisim.py" ] || { echo "no simulator yet: skipped"; exit 77; }

FIXTURE=$top_srcdir/tests/xapi/pool-fixture.json
SB=$T/sandbox
trap '"$top_srcdir/tests/sandbox/down" "$SB" >/dev/null 2>&1 || true; cleanup' EXIT
SANDBOX_HOST=xs-02 "$top_srcdir/tests/sandbox/up" "$FIXTURE" "$SB" 2>"$T/up.log" ||
	{ cat "$T/up.log" >&2; fail "sandbox did not start"; }

# sim NAME ARGS...: one more simulator on the sandbox's xenstored
sim() {
	name=$1
	shift
	"$PY" "$top_srcdir/tests/sandbox/xapisim.py" --fixture "$FIXTURE" \
		--port-file "$T/$name.port" --unix "$T/$name.sock" \
		--xenstored "$SB/socket" --pid-file "$T/$name.pid" "$@" \
		>"$T/$name.log" 2>&1 &
	SERVER_PIDS="$SERVER_PIDS $!"
	i=0
	until [ -s "$T/$name.port" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || { cat "$T/$name.log" >&2; fail "simulator $name did not start"; }
		sleep 0.1
	done
}

calls() {
	"$PY" -c 'import json, sys, urllib.request
print(json.load(urllib.request.urlopen(sys.argv[1] + "/sim/calls"))["calls"])' "$1"
}

P=$(pool_port) || fail "no port for the pool"
sim master --host xs-01 --bind 127.0.0.2 --port "$P" --no-boot-sync
sim member --host xs-02 --bind 127.0.0.1 --port "$P" --no-boot-sync \
	--master-url "http://127.0.0.2:$P"

probe tcp -e "http://127.0.0.1:$P" state
expect_rc 0
has "$T/tcp.stdout" "uuid=11111111-1111-4111-8111-111111111111 name=xs-01 address=127.0.0.2"
has "$T/tcp.stdout" "name=web-01 running=1 domid=5"
[ "$(grep -c '^pif ' "$T/tcp.stdout")" = 2 ] || fail "not both PIFs"
has "$T/tcp.stdout" "calls 8"                  # member login, master login, 6
[ "$(calls "http://127.0.0.1:$P")" = "['session.login_with_password']" ] ||
	fail "the member got more than the login: $(calls "http://127.0.0.1:$P")"
[ "$(calls "http://127.0.0.2:$P")" = "['session.login_with_password', 'host.get_all_records', 'VM.get_all_records', 'SR.get_all_records', 'network.get_all_records', 'PIF.get_all_records', 'pool.get_all_records', 'session.logout']" ] ||
	fail "the master did not get the session: $(calls "http://127.0.0.2:$P")"

# the member's own socket forwards: no HOST_IS_SLAVE there
probe unix -e "unix:$T/member.sock" state
expect_rc 0
has "$T/unix.stdout" "name=web-01 running=1 domid=5"
has "$T/unix.stdout" "calls 7"
echo "sim-pool: ok"
