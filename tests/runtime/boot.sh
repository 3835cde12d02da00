#!/bin/sh
# SPDX-License-Identifier: MIT
# The boot-time call of the systemd unit: apply a directory of blobs (in
# name order, as one config) and leave the receipt `status` shows; --wait
# waits for xapi as a host boots (its init-complete cookie on the local
# socket, then a login) and gives up with a clear message when xenstored
# never answers; what apply did reaches the system log.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
sandbox_up "$(fixture)"
mkdir -p "$DIR/etc"
compile 10-web <<'XB'
vm "web-01" { vm-data "role" = "frontend"; }
XB
compile 20-db <<'XB'
vm "db-01" { vm-data "role" = "db"; }
XB
mv "$DIR/10-web.xbb" "$DIR/20-db.xbb" "$DIR/etc/"

# the system log, read back here
syslog_listen "$DIR/syslog"

"$XENBAKE" apply --no-xapi --wait 5 "$DIR/etc" >"$DIR/out" 2>&1 ||
	{ cat "$DIR/out"; fail "apply of a directory"; }
expect_eq "web-01" "$(xs_get /local/domain/5/vm-data/role)" frontend
expect_eq "db-01" "$(xs_get /local/domain/6/vm-data/role)" db
"$XENBAKE" status >"$DIR/status" || { cat "$DIR/status"; fail "status after apply"; }
grep -q "^  blob $DIR/etc/10-web.xbb\$" "$DIR/status" ||
	{ cat "$DIR/status"; fail "status misses 10-web"; }
grep -q "^  blob $DIR/etc/20-db.xbb\$" "$DIR/status" ||
	{ cat "$DIR/status"; fail "status misses 20-db"; }
grep -q "^Host: matches the config.\$" "$DIR/status" ||
	{ cat "$DIR/status"; fail "status does not check the host"; }
rc=0; "$XENBAKE" status --state-dir "$DIR/nowhere" 2>/dev/null || rc=$?
expect_eq "status without a receipt" $rc 1

# the log has what changed, each line tagged and at facility daemon
# (<29>: daemon.notice), and the receipt; --no-syslog sends nothing
i=0
until grep -q 'receipt ' "$DIR/syslog" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 600 ] || { cat "$DIR/syslog"; fail "no receipt in the log"; }; sleep 0.1
done
grep -q '^<29>[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]\{8\} xenbake\[[0-9]*\]: applied: + vm web-01 \[domain 5\] vm-data/role: "frontend"' "$DIR/syslog" ||
	{ cat "$DIR/syslog"; fail "the change is not in the log"; }
: >"$DIR/syslog"
xenstore-write /local/domain/5/vm-data/role backend
"$XENBAKE" apply --no-xapi --no-syslog "$DIR/etc" >/dev/null 2>&1 || fail "apply --no-syslog"
expect_eq "web-01 again" "$(xs_get /local/domain/5/vm-data/role)" frontend
# a message sent after that run would come after this one
"$PY" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b"marker", sys.argv[1])' "$XENBAKE_LOG_SOCKET"
i=0
until grep -q marker "$DIR/syslog"; do
	i=$((i + 1)); [ $i -lt 600 ] || fail "the marker did not arrive"; sleep 0.1
done
expect_eq "log lines with --no-syslog" "$(grep -c xenbake "$DIR/syslog" || true)" 0
# xapi never finishes starting, or never answers: --wait gives up, saying so
rc=0
XENBAKE_XAPI_COOKIE=$DIR/no-cookie "$XENBAKE" check --xapi "unix:$DIR/sb/xapi.sock" \
	--wait 1 "$DIR/etc" >/dev/null 2>"$DIR/err" || rc=$?
expect_eq "exit without the cookie" $rc 1
grep -q "xapi has not finished starting: no $DIR/no-cookie after [0-9]* s (gave up waiting)" "$DIR/err" ||
	{ cat "$DIR/err"; fail "no clear message without the cookie"; }
: >"$DIR/up-cookie"
rc=0
XENBAKE_XAPI_COOKIE=$DIR/up-cookie "$XENBAKE" check --xapi "unix:$DIR/no-xapi.sock" \
	--wait 1 "$DIR/etc" >/dev/null 2>"$DIR/err" || rc=$?
expect_eq "exit without xapi" $rc 1
grep -q "no-xapi.sock.*(gave up waiting after [0-9]* s)" "$DIR/err" ||
	{ cat "$DIR/err"; fail "no clear message without xapi"; }
# a big apply names its first 100 changes, then counts the rest
: >"$DIR/syslog"
{
	printf 'vm "app-01" {\n'
	for i in $(seq 1 120); do printf '  vm-data "k%d" = "v";\n' $i; done
	printf '}\n'
} | compile big
"$XENBAKE" apply --no-xapi "$DIR/big.xbb" >/dev/null 2>&1 || fail "big apply"
i=0
until grep -q 'receipt ' "$DIR/syslog" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 600 ] || { cat "$DIR/syslog"; fail "no receipt in the log"; }; sleep 0.1
done
# (120 keys added, and the 2 of the other config removed)
expect_eq "changes named in the log" "$(grep -c 'xenbake\[[0-9]*\]: applied: [-+~] vm ' "$DIR/syslog")" 100
grep -q 'xenbake\[[0-9]*\]: applied: 22 more (the receipt names every one)' "$DIR/syslog" ||
	{ cat "$DIR/syslog"; fail "the rest is not counted"; }
# a failure, and that the host was recovered, at daemon.err / daemon.notice
HOOKED=$top_builddir/tests/runtime/xenbake-hooks
if [ -x "$HOOKED" ]; then
	: >"$DIR/syslog"
	xenstore-write /local/domain/5/vm-data/role backend
	rc=0
	# every guest conflicts, alone too: a key its transaction re-reads
	# (role: 5 and 6 are to get it; k1: 7's to remove) changes each time
	XENBAKE_TEST_HOOK_BEFORE_COMMIT='for d in $XENBAKE_TEST_DOMIDS; do
		xenstore-write /local/domain/$d/vm-data/role x$XENBAKE_TEST_ATTEMPT \
			/local/domain/$d/vm-data/k1 x$XENBAKE_TEST_ATTEMPT; done' \
		"$HOOKED" apply --no-xapi "$DIR/etc" >/dev/null 2>&1 || rc=$?
	expect_eq "apply that never commits" $rc 1
	i=0
	until grep -q 'receipt ' "$DIR/syslog" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 600 ] || { cat "$DIR/syslog"; fail "no receipt in the log"; }; sleep 0.1
	done
	grep -q "^<27>.* xenbake\[[0-9]*\]: apply $DIR/etc failed: " "$DIR/syslog" ||
		{ cat "$DIR/syslog"; fail "the failure is not in the log"; }
	grep -q '^<29>.* xenbake\[[0-9]*\]: recovered: the host is as it was before the apply' "$DIR/syslog" ||
		{ cat "$DIR/syslog"; fail "the recovery is not in the log"; }
fi
# and a log that is not there stops nothing
XENBAKE_LOG_SOCKET=$DIR/no-log "$XENBAKE" apply --no-xapi "$DIR/etc" >/dev/null 2>&1 ||
	fail "apply without a log socket"

# nobody listening: --wait 1 tries for a second, then says so
rc=0
XENSTORED_PATH=$DIR/no-such-socket "$XENBAKE" apply --no-xapi --wait 1 \
	"$DIR/etc" >/dev/null 2>"$DIR/err" || rc=$?
expect_eq "exit without xenstored" $rc 1
grep -q "cannot reach xenstored.*(gave up waiting)" "$DIR/err" ||
	{ cat "$DIR/err"; fail "no clear message"; }

# xapi on its local socket: first its cookie, then a login
xenstore-write /local/domain/5/vm-data/role backend
# an apply goes by xapi's copy of the guest's vm-data (VM.xenstore_data):
# the edit is repaired once xapi has copied it (xapi runs, only its
# socket is not there yet)
wait_mirrored web-01 vm-data/role backend
export XENBAKE_XAPI_COOKIE=$DIR/cookie
"$XENBAKE" apply --xapi "unix:$DIR/xapi.sock" --wait 600 "$DIR/etc" \
	>"$DIR/out" 2>&1 &
booting=$!
i=0
until grep -q "xenbake: waiting for xapi to finish starting ($DIR/cookie)" "$DIR/out"; do
	i=$((i + 1)); [ $i -lt 600 ] || { cat "$DIR/out"; fail "no word of the cookie"; }; sleep 0.1
done
expect_eq "nothing before the cookie" "$(xs_get /local/domain/5/vm-data/role)" backend
: >"$DIR/cookie"       # xapi has started, but its socket is not there yet
i=0
until grep -q "xenbake: waiting for a login to xapi at unix:$DIR/xapi.sock" "$DIR/out"; do
	i=$((i + 1)); [ $i -lt 600 ] || { cat "$DIR/out"; fail "no word of the login"; }; sleep 0.1
done
expect_eq "nothing before the login" "$(xs_get /local/domain/5/vm-data/role)" backend
ln -s "$DIR/sb/xapi.sock" "$DIR/xapi.sock"
rc=0; wait $booting || rc=$?
[ $rc -eq 0 ] || { cat "$DIR/out"; fail "apply after xapi came up"; }
grep -q "xenbake: waited [0-9]* s for a login to xapi at unix:$DIR/xapi.sock" "$DIR/out" ||
	{ cat "$DIR/out"; fail "no word of the login answering"; }
expect_eq "written once xapi is up" "$(xs_get /local/domain/5/vm-data/role)" frontend
# no cookie and no --wait: not waited for (a running host may lack it)
rm "$DIR/cookie"
"$XENBAKE" check --xapi "unix:$DIR/xapi.sock" "$DIR/etc" >/dev/null 2>&1 ||
	fail "check on the local socket without a cookie"
# a remote xapi has its own cookie, out of sight: only the login counts
"$XENBAKE" check --wait 5 "$DIR/etc" >/dev/null 2>&1 ||
	fail "check over http with --wait and no cookie"
echo PASS
