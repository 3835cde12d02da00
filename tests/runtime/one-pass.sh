#!/bin/sh
# SPDX-License-Identifier: MIT
# An apply without XenAPI reads the guests in the transaction that writes
# them, and its first attempt goes by those reads: nothing is read twice,
# and an empty vm-data's keys are not read at all (its listing shows them
# absent). plan and check start no transaction. A guest that writes
# between that read and the commit (the hooked binary's commit hook) loses
# nothing: the commit conflicts, the next attempt re-reads in a
# transaction of its own, the once key the guest wrote stays the guest's
# and a key the config sets gets the config's value. A managed key the
# guest removes before xenbake's remove is sent is a conflict too.
. "$(dirname "$0")/../runtime/lib.sh"
HOOKED=$top_builddir/tests/runtime/xenbake-hooks
[ -x "$HOOKED" ] || skip "no tests/runtime/xenbake-hooks"
# the state xenopsd builds: each guest's vm-data there, the guest's own
sandbox_up "$(fixture)"
compile site <<'XB'
vm "web-01" {
    vm-data "role" = "frontend";
    vm-data "token" = "xenbake's" once;
}
vm "db-01" { vm-data "role" = "db"; }
vm "app-01" { vm-data "role" = "app"; }
XB
compile app <<'XB'
vm "app-01" { vm-data "role" = "app"; }
XB

# xenbake's own requests, or those with $1 in them
own() { trace_own | grep -cF -- "${1:-IN }" || true; }

# how many of those read a node (READ, DIRECTORY, GET_PERMS) already read
twice() {
	trace_own | awk '/^IN .* (READ|DIRECTORY|GET_PERMS) \(/ {
			if (seen[$5 " " $6]++) n++ }
		     END { print n + 0 }'
}

# a first apply: the list of /, the transaction's start, the domains and
# the records' directory (listed, its permissions), each domain's vm and
# name, app-01's vm-data listed (empty: no key read; there: no
# permissions of its parent), the key, the records' directory made and
# set dom0's, the record, the commit (before: 22, 2 of them reads made
# again inside the transaction)
trace_mark
"$XENBAKE" apply --no-xapi "$DIR/app.xbb" >"$DIR/out" 2>&1 ||
	{ cat "$DIR/out"; fail "apply app-01"; }
expect_eq "requests of a first apply" "$(own)" 18
expect_eq "reads made twice" "$(twice)" 0
expect_eq "transactions" "$(own TRANSACTION_START)" 1
expect_eq "app-01 role" "$(xs_get /local/domain/7/vm-data/role)" app
trace_mark
rc=0; "$XENBAKE" plan --no-xapi "$DIR/site.xbb" >"$DIR/out" 2>&1 || rc=$?
expect_eq "plan exits (changes pending)" $rc 2
rc=0; "$XENBAKE" check --no-xapi "$DIR/site.xbb" >"$DIR/out" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "check found no drift before any apply"
expect_eq "transactions of plan and check" "$(trace_count TRANSACTION_START)" 0

# the guest writes the once key, and a key the config sets, just before
# the first commit: the one of the transaction xenbake read in
XENBAKE_TEST_HOOK_BEFORE_COMMIT='[ "$XENBAKE_TEST_ATTEMPT" != 1 ] ||
	xenstore-write /local/domain/5/vm-data/token guest \
		/local/domain/5/vm-data/role intruder'
export XENBAKE_TEST_HOOK_BEFORE_COMMIT
trace_mark
"$HOOKED" apply --no-xapi -v "$DIR/site.xbb" >"$DIR/out" 2>"$DIR/err" ||
	{ cat "$DIR/out" "$DIR/err"; fail "apply racing the guest failed"; }
unset XENBAKE_TEST_HOOK_BEFORE_COMMIT
# the first attempt read each node once, all in its transaction (which
# starts right after the list of /), and no key of the empty vm-data
expect_eq "reads made twice in the first attempt" "$(twice)" 0
expect_eq "requests before the transaction" "$(trace_own | awk 'NR == 2 { print $5 }')" TRANSACTION_START
expect_eq "reads of keys in the first attempt" "$(own 'READ (/local/domain/5/vm-data/')" 0
grep -q "xenstore: 2 transactions" "$DIR/err" || { cat "$DIR/err"; fail "no retry"; }
tail -n +"$(($(cat "$DIR/trace.mark") + 1))" "$DIR/sb/trace" |
	grep -q '^OUT .* ERROR (EAGAIN' || fail "the first commit did not conflict"
expect_eq "the guest's once key kept" "$(xs_get /local/domain/5/vm-data/token)" guest
expect_eq "web-01 role" "$(xs_get /local/domain/5/vm-data/role)" frontend
expect_eq "db-01 role" "$(xs_get /local/domain/6/vm-data/role)" db
"$XENBAKE" check --no-xapi "$DIR/site.xbb" >"$DIR/out" 2>&1 ||
	{ cat "$DIR/out"; fail "check after the retried apply"; }

# a managed key the guest removes after the read, before xenbake removes
# it: the C daemon reads the live tree inside a transaction and answers
# that remove EIO when the key is nested (its parent changed too: "Can't
# find child"), EAGAIN when it is vm-data's own. Both are a conflict, not
# a failed apply (docs/xapi-facts.md)
compile less <<'XB'
vm "web-01" { vm-data "role" = "frontend"; }
XB
for case in old/key:EIO gone:EAGAIN; do
	key=${case%:*} answer=${case#*:}
	compile more <<XB
vm "web-01" { vm-data "role" = "frontend"; vm-data "$key" = "1"; }
XB
	"$XENBAKE" apply --no-xapi "$DIR/more.xbb" >"$DIR/out" 2>&1 ||
		{ cat "$DIR/out"; fail "apply $key"; }
	expect_eq "$key" "$(xs_get /local/domain/5/vm-data/$key)" 1
	XENBAKE_TEST_HOOK_BEFORE_WRITES="[ \"\$XENBAKE_TEST_ATTEMPT\" != 1 ] ||
		xenstore-rm /local/domain/5/vm-data/$key"
	export XENBAKE_TEST_HOOK_BEFORE_WRITES
	trace_mark
	"$HOOKED" apply --no-xapi -v "$DIR/less.xbb" >"$DIR/out" 2>"$DIR/err" ||
		{ cat "$DIR/out" "$DIR/err"; fail "apply racing the removal of $key failed"; }
	unset XENBAKE_TEST_HOOK_BEFORE_WRITES
	expect_eq "the daemon's answers $answer to the remove of $key" \
		"$(trace_has "ERROR ($answer ")" 1
	grep -q "xenstore: 2 transactions" "$DIR/err" ||
		{ cat "$DIR/err"; fail "no retry after the removal of $key"; }
	# (the guest removed the key: a directory it left is the guest's too)
	xenstore-exists /local/domain/5/vm-data/$key 2>/dev/null &&
		fail "vm-data/$key is back"
	"$XENBAKE" check --no-xapi "$DIR/less.xbb" >"$DIR/out" 2>&1 ||
		{ cat "$DIR/out"; fail "check after the racing removal of $key"; }
done

echo PASS
