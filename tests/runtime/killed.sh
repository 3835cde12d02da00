#!/bin/sh
# SPDX-License-Identifier: MIT
# Killed mid-apply. (1) xenbake itself dies (SIGKILL) just before its
# commit: the transaction dies with it, nothing of it is in the store.
# (2) xenstored dies just before the commit: apply exits 1 and says nothing
# was written. (3) SIGTERM just before the commit waits until the apply is
# whole: every key is there.
. "$(dirname "$0")/../runtime/lib.sh"
HOOKED=$top_builddir/tests/runtime/xenbake-hooks
[ -x "$HOOKED" ] || skip "no tests/runtime/xenbake-hooks"
sandbox_up "$(fixture)"
compile site <<'XB'
vm "web-01" { vm-data "role" = "frontend"; vm-data "a/b" = "1"; }
vm "db-01" { vm-data "role" = "db"; }
XB

rc=0
XENBAKE_TEST_HOOK_BEFORE_COMMIT='kill -9 $PPID' \
	"$HOOKED" apply --no-xapi "$DIR/site.xbb" >/dev/null 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "xenbake survived kill -9"
# (each guest's vm-data exists from its boot, empty)
for node in /local/domain/5/vm-data/role /local/domain/5/vm-data/a \
	/local/domain/6/vm-data/role /tool/xenbake; do
	expect_eq "$node after a killed apply" "$(xs_get $node)" "<absent>"
done
"$XENBAKE" plan --no-xapi "$DIR/site.xbb" >/dev/null 2>&1 && fail "plan says nothing to do"

rc=0
XENBAKE_TEST_HOOK_BEFORE_COMMIT="kill -9 \$(cat '$DIR/sb/xenstored.pid')" \
	timeout 60 "$HOOKED" apply --no-xapi "$DIR/site.xbb" \
	>"$DIR/out" 2>"$DIR/err" || rc=$?
expect_eq "exit status with xenstored killed" $rc 1
# whether the commit request was sent before xenstored died is a race:
# unsent, nothing was written; sent, xenbake cannot know the outcome
grep -Eq "xenbake: apply: xenstore: .*(nothing was written|whether it was committed is unknown; the next run, or \`xenbake check\`, will tell)" "$DIR/err" ||
	{ cat "$DIR/err"; fail "no clear message"; }
grep -q "the host is as it was" "$DIR/err" && grep -q "is unknown" "$DIR/err" &&
	fail "an unknown outcome said to leave the host as it was"

"$SANDBOX/down" "$DIR/sb"
sandbox_up "$(fixture)"
XENBAKE_TEST_HOOK_BEFORE_COMMIT='kill -TERM $PPID' \
	"$HOOKED" apply --no-xapi "$DIR/site.xbb" >/dev/null 2>&1 || true
expect_eq "web-01 role after SIGTERM" "$(xs_get /local/domain/5/vm-data/role)" frontend
expect_eq "web-01 a/b after SIGTERM" "$(xs_get /local/domain/5/vm-data/a/b)" 1
expect_eq "db-01 role after SIGTERM" "$(xs_get /local/domain/6/vm-data/role)" db
echo PASS
