#!/bin/sh
# SPDX-License-Identifier: MIT
# apply --no-xapi: the keys land in the running guests' xenstore with the
# right permissions, read back by an independent client; one transaction,
# whose only writes besides the keys are each guest's vm-data directory
# (mkdir, permissions) and record; a second apply says "No changes." and
# sends no write at all.
. "$(dirname "$0")/../runtime/lib.sh"
# issue 13 point 4: the counts and permissions below are those of guests
# without a vm-data (the old sandbox); at the real boot state vm-data is
# the guest's and xenbake makes each key it adds there dom0's
sandbox_up "$(fixture legacy)"
compile site <<'XB'
vm "web-01" {
    vm-data "role" = "frontend";
    vm-data "net/ip" = "10.0.0.5";
}
vm uuid "5e1f0000-0000-4000-8000-000000000006" { vm-data "role" = "db"; }
XB

trace_mark
"$XENBAKE" apply --no-xapi "$DIR/site.xbb" >"$DIR/out" 2>"$DIR/err" ||
	{ cat "$DIR/out" "$DIR/err"; fail "apply failed"; }
expect_eq "transactions" "$(trace_count TRANSACTION_START)" 1
expect_eq "commits" "$(trace_count TRANSACTION_END)" 1
# per guest one mkdir and one set-perms (vm-data, made the guest's as
# xenopsd makes it: the nodes below inherit that, "net" included) and one
# record; once the records' directory
expect_eq "mkdirs" "$(trace_count MKDIR)" 3
expect_eq "set-perms" "$(trace_count SET_PERMS)" 4
expect_eq "writes (3 keys, 2 records)" "$(trace_count WRITE)" 5
expect_eq "web-01 role" "$(xs_get /local/domain/5/vm-data/role)" frontend
expect_eq "web-01 ip" "$(xs_get /local/domain/5/vm-data/net/ip)" 10.0.0.5
expect_eq "db-01 role" "$(xs_get /local/domain/6/vm-data/role)" db
expect_eq "app-01 untouched" "$(xs_get /local/domain/7/vm-data)" "<absent>"
# the guest's own (it reads and writes its vm-data), nobody else's
for node in vm-data vm-data/role vm-data/net vm-data/net/ip; do
	expect_eq "perms of $node" "$(xs_perms /local/domain/5/$node)" "n5"
done
expect_eq "perms of db" "$(xs_perms /local/domain/6/vm-data/role)" "n6"
grep -q '^Applied: 3 added' "$DIR/out" || { cat "$DIR/out"; fail "summary"; }

trace_mark
"$XENBAKE" apply --no-xapi "$DIR/site.xbb" >"$DIR/out2" 2>&1 ||
	fail "second apply failed"
expect_eq "second apply says" "$(cat "$DIR/out2")" "No changes."
for op in TRANSACTION_START WRITE RM SET_PERMS MKDIR; do
	expect_eq "second apply $op requests" "$(trace_count $op)" 0
done
echo "PASS"
