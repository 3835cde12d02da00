#!/bin/sh
# SPDX-License-Identifier: MIT
# Restricted handles (issue 12 point 6): once xenbake has opened what it
# needs, it runs with no_new_privs and a seccomp filter. /proc/PID/status
# shows both in the middle of an apply (the simulator slowed down), and an
# execve after the lock-down is refused with EPERM (a test build's hook
# tries one and prints the errno); with the filter skipped the same hook
# does run the program, so the refusal is the filter's own.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
# 40 halted VMs, a vm-data key each: 80 XenAPI writes, so the apply spreads
# them over parallel writers, new connections opened after the lock-down
"$PY" "$top_srcdir/bench/gen-fixture.py" 40 halted >"$DIR/host.json"
sandbox_up "$DIR/host.json"
HOOKS=$top_builddir/tests/runtime/xenbake-hooks
[ -x "$HOOKS" ] || skip "no xenbake-hooks yet"
"$PY" "$top_srcdir/bench/gen-source.py" 40 1 "$DIR/site.xb" "$DIR/unused.dts"
"$XENBAKEC" -o "$DIR/site.xbb" "$DIR/site.xb" || fail "xenbakec"
# the simulator by a name from /etc/hosts (not "localhost", which curl
# answers itself), over https when openssl is here (a TLS relay in front of
# it, its certificate from a CA of the test's own): each writer's new
# connection then looks the name up, connects and checks the certificate
# after the lock-down
name=$(awk '$1 == "127.0.0.1" { for (i = 2; i <= NF; i++)
	if ($i !~ /localhost/) { print $i; exit } }' /etc/hosts 2>/dev/null)
[ -n "$name" ] || name=127.0.0.1
XAPI_BY_NAME=http://$name:${XENBAKE_XAPI##*:}
if command -v openssl >/dev/null 2>&1; then
	EC="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
	# shellcheck disable=SC2086
	openssl req -x509 $EC -keyout "$DIR/ca.key" -out "$DIR/ca.pem" -days 2 \
		-subj /CN=xenbake-test-ca 2>"$DIR/openssl.log" &&
	openssl req $EC -keyout "$DIR/srv.key" -out "$DIR/srv.csr" \
		-subj "/CN=$name" 2>>"$DIR/openssl.log" &&
	printf 'subjectAltName=DNS:%s,IP:127.0.0.1\n' "$name" >"$DIR/san.ext" &&
	openssl x509 -req -in "$DIR/srv.csr" -CA "$DIR/ca.pem" -CAkey "$DIR/ca.key" \
		-CAcreateserial -out "$DIR/srv.pem" -days 2 -extfile "$DIR/san.ext" \
		2>>"$DIR/openssl.log" || { cat "$DIR/openssl.log"; fail "openssl"; }
	"$PY" "$top_srcdir/tests/runtime/tls-proxy.py" "$DIR/srv.pem" "$DIR/srv.key" \
		"$DIR/tls.port" "127.0.0.1:${XENBAKE_XAPI##*:}" 2>"$DIR/tls.log" &
	proxy=$!
	trap 'kill $proxy 2>/dev/null; "$SANDBOX/down" "$DIR/sb"; rm -rf "$DIR"' EXIT
	i=0
	while [ ! -s "$DIR/tls.port" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || { cat "$DIR/tls.log"; fail "the TLS relay did not start"; }
		sleep 0.1
	done
	XAPI_BY_NAME=https://$name:$(cat "$DIR/tls.port")
	export XENBAKE_CA_FILE="$DIR/ca.pem"
fi
echo "XenAPI for the apply: $XAPI_BY_NAME"

# 1. exec after the lock-down: refused, and xenbake goes on with its plan
rc=0
XENBAKE_TEST_HOOK_EXEC=1 "$HOOKS" plan "$DIR/site.xbb" >"$DIR/out" 2>"$DIR/err" ||
	rc=$?
[ $rc -eq 2 ] || { cat "$DIR/out" "$DIR/err"; fail "plan exit $rc, want 2"; }
grep -qx 'xenbake: test hook: execve after lock-down: Operation not permitted (errno 1)' \
	"$DIR/err" || { cat "$DIR/err"; fail "the execve was not refused with EPERM"; }
grep -q '^    + xenstore_data\[vm-data/key-00\]: "value-0-0"' "$DIR/out" ||
	{ cat "$DIR/out"; fail "no plan after the refused execve"; }
# the control: no filter, the execve replaces xenbake (/bin/true: exit 0,
# no plan printed)
rc=0
XENBAKE_TEST_NO_SECCOMP=1 XENBAKE_TEST_HOOK_EXEC=1 "$HOOKS" plan "$DIR/site.xbb" \
	>"$DIR/out" 2>"$DIR/err" || rc=$?
[ $rc -eq 0 ] && [ ! -s "$DIR/out" ] ||
	{ cat "$DIR/out" "$DIR/err"; fail "without the filter the execve should run (exit $rc)"; }

# 2. during an apply: every XenAPI call takes 0.1 s, so the host is still
# being read and written while the status is looked at
sim_ctl() {
	"$PY" -c 'import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + sys.argv[2],
    data=sys.argv[3].encode(), method="POST"))' "$XENBAKE_XAPI" "$1" "$2"
}
sim_ctl /sim/latency 100
"$XENBAKE" apply --xapi "$XAPI_BY_NAME" "$DIR/site.xbb" >"$DIR/apply.out" 2>"$DIR/apply.err" &
pid=$!
seen=
i=0
while [ $i -lt 400 ] && [ -r /proc/$pid/status ]; do
	if grep -q '^Seccomp:[[:space:]]*2$' /proc/$pid/status 2>/dev/null; then
		seen=$(cat /proc/$pid/status 2>/dev/null) && break
	fi
	# valgrind runs the program's calls as its own: no filter there
	case "${XENBAKE_WRAPPER:-}" in
	*valgrind*)
		if grep -q '^NoNewPrivs:[[:space:]]*1$' /proc/$pid/status 2>/dev/null; then
			seen=$(cat /proc/$pid/status 2>/dev/null) && break
		fi ;;
	esac
	i=$((i + 1))
	sleep 0.05
done
rc=0; wait $pid || rc=$?
sim_ctl /sim/latency 0
[ $rc -eq 0 ] || { cat "$DIR/apply.out" "$DIR/apply.err"; fail "apply exit $rc"; }
grep -q '^Applied:' "$DIR/apply.out" || { cat "$DIR/apply.out"; fail "no Applied line"; }
[ -n "$seen" ] || fail "never saw the apply locked down in /proc/$pid/status"
echo "$seen" | grep -q '^NoNewPrivs:[[:space:]]*1$' ||
	{ echo "$seen"; fail "NoNewPrivs is not 1 during the apply"; }
case "${XENBAKE_WRAPPER:-}" in
*valgrind*) ;;
*)
	echo "$seen" | grep -q '^Seccomp:[[:space:]]*2$' ||
		{ echo "$seen"; fail "Seccomp is not 2 during the apply"; } ;;
esac
grep -q '^Applied: 40 added, 0 changed, 0 removed (80 XenAPI writes' "$DIR/apply.out" ||
	{ cat "$DIR/apply.out"; fail "not every write was made"; }
rc=0; "$XENBAKE" plan --xapi "$XAPI_BY_NAME" "$DIR/site.xbb" >"$DIR/out" 2>&1 || rc=$?
[ $rc -eq 0 ] || { cat "$DIR/out"; fail "plan after the apply: exit $rc, want 0"; }

# 3. status is locked down too: an exec after its connections are open is
# refused, it still reports, and during a slowed-down read of the host
# /proc shows the filter and no_new_privs
rc=0
XENBAKE_TEST_HOOK_EXEC=1 "$HOOKS" status >"$DIR/out" 2>"$DIR/err" || rc=$?
[ $rc -eq 0 ] || { cat "$DIR/out" "$DIR/err"; fail "status exit $rc, want 0"; }
grep -qx 'xenbake: test hook: execve after lock-down: Operation not permitted (errno 1)' \
	"$DIR/err" || { cat "$DIR/err"; fail "status: the execve was not refused with EPERM"; }
grep -q '^Host: matches the config\.' "$DIR/out" ||
	{ cat "$DIR/out"; fail "status: no host check after the refused execve"; }
sim_ctl /sim/latency 100
"$XENBAKE" status >"$DIR/status.out" 2>"$DIR/status.err" &
pid=$!
seen=
i=0
while [ $i -lt 400 ] && [ -r /proc/$pid/status ]; do
	if grep -q '^NoNewPrivs:[[:space:]]*1$' /proc/$pid/status 2>/dev/null; then
		seen=$(cat /proc/$pid/status 2>/dev/null) && break
	fi
	i=$((i + 1))
	sleep 0.05
done
rc=0; wait $pid || rc=$?
sim_ctl /sim/latency 0
[ $rc -eq 0 ] || { cat "$DIR/status.out" "$DIR/status.err"; fail "status exit $rc"; }
[ -n "$seen" ] || fail "never saw status locked down in /proc/$pid/status"
case "${XENBAKE_WRAPPER:-}" in
*valgrind*) ;;
*)
	echo "$seen" | grep -q '^Seccomp:[[:space:]]*2$' ||
		{ echo "$seen"; fail "Seccomp is not 2 during status"; } ;;
esac
