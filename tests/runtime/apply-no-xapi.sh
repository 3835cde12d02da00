#!/bin/sh
# SPDX-License-Identifier: MIT
# apply --no-xapi: the keys land in the running guests' xenstore with the
# right permissions, read back by an independent client; one transaction,
# whose only writes besides the keys are each guest's record (and its
# vm-data directory, made and set the guest's only when the parent's
# permissions would not make it so); a second apply says "No changes." and
# sends no write at all. Without XenAPI, libcurl and libxml2 are never
# loaded; with it, they are.
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
# xenbake's own requests (its connection lists / first; the guests'
# agents have theirs): that list, the transaction's start, the domains
# and the records' directory (listed, its permissions), each domain's vm
# and name, the vm-data of the 2 guests configured (listed: absent, so no
# key is read) and, as it is absent, the permissions of its parent; the 8
# writes above, the commit. Every read is made in the transaction that
# writes, none again (before: 29 requests, 9 of them reads made twice)
expect_eq "requests of the first apply" "$(trace_own | grep -c "^IN ")" 24
expect_eq "commits" "$(trace_count TRANSACTION_END)" 1
# no vm-data yet, but /local/domain/N is the guest's ("nN"): the first
# key's write makes vm-data with those permissions (the nodes below
# inherit them, "net" included), so no mkdir nor set-perms for it; per
# guest one record; once the records' directory (mkdir, 2 set-perms)
expect_eq "mkdirs" "$(trace_count MKDIR)" 1
expect_eq "set-perms" "$(trace_count SET_PERMS)" 2
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
# the dynamic loader's own account of what it opened (the binary itself,
# not a valgrind wrapper)
LD_DEBUG=files LD_DEBUG_OUTPUT=$DIR/ld-noxapi \
	"$top_builddir/xenbake" plan --no-xapi "$DIR/site.xbb" >/dev/null 2>&1 ||
	fail "plan --no-xapi"
cat "$DIR"/ld-noxapi.* >"$DIR/ld-noxapi"
grep -q 'file=libxenstore' "$DIR/ld-noxapi" || fail "no loader trace"
grep -q 'file=libcurl\|file=libxml2' "$DIR/ld-noxapi" &&
	fail "--no-xapi loaded libcurl or libxml2"
rc=0
LD_DEBUG=files LD_DEBUG_OUTPUT=$DIR/ld-xapi \
	"$top_builddir/xenbake" plan "$DIR/site.xbb" >/dev/null 2>&1 || rc=$?
[ $rc -le 2 ] || fail "plan with XenAPI exits $rc"     # 2: changes pending
cat "$DIR"/ld-xapi.* >"$DIR/ld-xapi"
grep -q 'file=libcurl' "$DIR/ld-xapi" && grep -q 'file=libxml2' "$DIR/ld-xapi" ||
	fail "a run with XenAPI did not load libcurl and libxml2"
for op in WRITE RM SET_PERMS MKDIR; do
	expect_eq "second apply $op requests" "$(trace_count $op)" 0
done
# the apply read in its transaction, found nothing to write and aborted
# it (the plans above start none)
expect_eq "second apply: transactions" "$(trace_count TRANSACTION_START)" 1
expect_eq "second apply: aborted" "$(trace_has 'TRANSACTION_END (F')" 1
expect_eq "second apply: commits" "$(trace_has 'TRANSACTION_END (T')" 0

# a parent that is dom0's (xenopsd's "n0 rN") would give an implicit
# vm-data the wrong owner: then it is made and set the guest's
xenstore-chmod -r /local/domain/7 n0 r7
compile site2 <<'XB'
vm "app-01" { vm-data "role" = "app"; }
XB
trace_mark
"$XENBAKE" apply --no-xapi "$DIR/site2.xbb" >"$DIR/out3" 2>&1 ||
	{ cat "$DIR/out3"; fail "apply to a dom0-owned domain failed"; }
expect_eq "app-01 mkdirs" "$(trace_count MKDIR)" 1
expect_eq "app-01 set-perms" "$(trace_count SET_PERMS)" 1
expect_eq "app-01 role" "$(xs_get /local/domain/7/vm-data/role)" app
expect_eq "perms of 7/vm-data" "$(xs_perms /local/domain/7/vm-data)" n7
expect_eq "perms of 7/vm-data/role" "$(xs_perms /local/domain/7/vm-data/role)" n7
echo "PASS"
