#!/bin/sh
# The boot-time call of the systemd unit: apply a directory of blobs (in
# name order, as one config), write the receipt that `status` shows; and
# --wait gives up with a clear message when xenstored never answers.
. "$top_srcdir/tests/runtime/lib.sh"
sandbox_up "$(fixture)"
mkdir -p "$DIR/etc" "$DIR/state"
compile 10-web <<'XB'
vm "web-01" { vm-data "role" = "frontend"; }
XB
compile 20-db <<'XB'
vm "db-01" { vm-data "role" = "db"; }
XB
mv "$DIR/10-web.xbb" "$DIR/20-db.xbb" "$DIR/etc/"
"$XENBAKE" apply --no-xapi --wait 5 --state-dir "$DIR/state" "$DIR/etc" \
	>"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "apply of a directory"; }
expect_eq "web-01" "$(xs_get /local/domain/5/vm-data/role)" frontend
expect_eq "db-01" "$(xs_get /local/domain/6/vm-data/role)" db
"$XENBAKE" status --state-dir "$DIR/state" >"$DIR/status" ||
	fail "status after apply"
grep -q "^blob $DIR/etc/10-web.xbb sha256 [0-9a-f]\{64\}$" "$DIR/status" ||
	{ cat "$DIR/status"; fail "status misses 10-web"; }
grep -q "^blob $DIR/etc/20-db.xbb sha256 " "$DIR/status" ||
	{ cat "$DIR/status"; fail "status misses 20-db"; }
rc=0; "$XENBAKE" status --state-dir "$DIR/nowhere" 2>/dev/null || rc=$?
expect_eq "status without a receipt" $rc 1

# nobody listening: --wait 1 tries for a second, then says so
start=$(date +%s)
rc=0
XENSTORED_PATH=$DIR/no-such-socket "$XENBAKE" apply --no-xapi --wait 1 \
	"$DIR/etc" >/dev/null 2>"$DIR/err" || rc=$?
expect_eq "exit without xenstored" $rc 1
grep -q "cannot reach xenstored.*gave up waiting" "$DIR/err" ||
	{ cat "$DIR/err"; fail "no clear message"; }
[ $(( $(date +%s) - start )) -le 10 ] || fail "--wait 1 waited too long"
echo PASS
