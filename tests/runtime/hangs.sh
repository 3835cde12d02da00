#!/bin/sh
# SPDX-License-Identifier: MIT
# Nothing hangs xenbake and nothing kills it half-way (issue 12 point 3):
# a stopped xenstored (SIGSTOP) fails the run after --wait; a FIFO as the
# signature key, the password file or the CA file is refused at once
# (opened with O_NONBLOCK, then fstat); `apply | true` (stdout closed
# before the first line) still applies everything and writes its receipt.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
command -v timeout >/dev/null || skip "no timeout(1)"
sandbox_up "$(fixture)"
compile site <<'XB'
vm "web-01" { vm-data "role" = "frontend"; vm-data "tier" = "1"; other-config "owner" = "ops"; }
vm "db-01" { vm-data "role" = "db"; other-config "owner" = "dba"; }
XB

# a FIFO nobody writes to: each must be refused within seconds
mkfifo "$DIR/fifo"
for how in key password ca; do
	rc=0
	case $how in
	key) timeout 20 "$XENBAKE" plan --require-signature "$DIR/fifo" "$DIR/site.xbb" \
		>/dev/null 2>"$DIR/err" || rc=$? ;;
	password) timeout 20 "$XENBAKE" plan --password-file "$DIR/fifo" "$DIR/site.xbb" \
		>/dev/null 2>"$DIR/err" || rc=$? ;;
	ca) XENBAKE_CA_FILE=$DIR/fifo timeout 20 "$XENBAKE" plan --no-xenstore \
		--xapi https://127.0.0.1:9 "$DIR/site.xbb" >/dev/null 2>"$DIR/err" || rc=$? ;;
	esac
	expect_eq "a FIFO as the $how file (rc; 124: it hung)" $rc 1
	grep -q "$DIR/fifo: not a regular file" "$DIR/err" ||
		{ cat "$DIR/err" >&2; fail "a FIFO as the $how file: no clear refusal"; }
done
echo "FIFOs: refused"

# stdout closed at once: no SIGPIPE, the apply goes to its end
rc=0
{ "$XENBAKE" apply "$DIR/site.xbb" 2>"$DIR/err"; echo $? >"$DIR/rc"; } | true
expect_eq "apply | true (rc)" "$(cat "$DIR/rc")" 0
expect_eq "applied with stdout closed" "$(xs_get /local/domain/6/vm-data/role)" db
"$PY" -c 'import json, sys
assert json.load(open(sys.argv[1]))["result"] == "applied"' \
	"$XENBAKE_STATE_DIR/last-receipt.json" || fail "no receipt after apply | true"
echo "SIGPIPE: ignored"

# a stopped xenstored: every request gives up after --wait
pid=$(cat "$DIR/sb/xenstored.pid")
kill -STOP "$pid"
start=$(date +%s)
rc=0
timeout 60 "$XENBAKE" plan --no-xapi --wait 2 "$DIR/site.xbb" >/dev/null 2>"$DIR/err" || rc=$?
took=$(($(date +%s) - start))
kill -CONT "$pid"
expect_eq "plan with a stopped xenstored (rc; 124: it hung)" $rc 1
grep -q "timed out" "$DIR/err" || { cat "$DIR/err" >&2; fail "no word of the timeout"; }
[ "$took" -le 20 ] || fail "a stopped xenstored held plan --wait 2 for $took s"
echo "stopped xenstored: gave up after $took s"
echo PASS
