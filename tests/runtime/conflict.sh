#!/bin/sh
# SPDX-License-Identifier: MIT
# A concurrent writer changes a node the transaction touched, just before
# the first commit (xenbake-hooks runs $XENBAKE_TEST_HOOK_BEFORE_COMMIT):
# the commit fails with EAGAIN, xenbake redoes the transaction, and the
# apply succeeds with the config's values, in two transactions.
. "$(dirname "$0")/../runtime/lib.sh"
HOOKED=$top_builddir/tests/runtime/xenbake-hooks
[ -x "$HOOKED" ] || skip "no tests/runtime/xenbake-hooks"
sandbox_up "$(fixture)"
compile site <<'XB'
vm "web-01" { vm-data "role" = "frontend"; }
vm "db-01" { vm-data "role" = "db"; }
XB
# the intruder writes the very node xenbake is about to create
XENBAKE_TEST_HOOK_BEFORE_COMMIT='[ "$XENBAKE_TEST_ATTEMPT" != 1 ] ||
	xenstore-write /local/domain/5/vm-data/role intruder'
export XENBAKE_TEST_HOOK_BEFORE_COMMIT
trace_mark
"$HOOKED" apply --no-xapi -v "$DIR/site.xbb" >"$DIR/out" 2>"$DIR/err" ||
	{ cat "$DIR/out" "$DIR/err"; fail "apply failed"; }
grep -q "2 transactions" "$DIR/err" || { cat "$DIR/err"; fail "no retry"; }
# xenbake's own transactions (the intruder's xenstore-write makes one too)
starts=$(trace_count TRANSACTION_START)
[ "$starts" -ge 2 ] || fail "want a retried transaction, trace has $starts"
tail -n +"$(($(cat "$DIR/trace.mark") + 1))" "$DIR/sb/trace" |
	grep -q '^OUT .* ERROR (EAGAIN' || fail "no EAGAIN in the trace"
expect_eq "web-01 role" "$(xs_get /local/domain/5/vm-data/role)" frontend
expect_eq "db-01 role" "$(xs_get /local/domain/6/vm-data/role)" db
# no permissions set: the node keeps what it inherited
expect_eq "perms" "$(xs_perms /local/domain/5/vm-data/role)" \
	"$(xs_perms /local/domain/5/vm-data)"
unset XENBAKE_TEST_HOOK_BEFORE_COMMIT
"$XENBAKE" check --no-xapi "$DIR/site.xbb" >/dev/null ||
	fail "check after the retried apply"
echo PASS
