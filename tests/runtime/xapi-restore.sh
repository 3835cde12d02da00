#!/bin/sh
# SPDX-License-Identifier: MIT
# All or nothing across both backends: the XenAPI writes succeed, then the
# xenstore transaction conflicts every time (a writer before each commit):
# apply gives up, exits 1, and the XenAPI maps are set back as they were.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
HOOKED=$top_builddir/tests/runtime/xenbake-hooks
[ -x "$HOOKED" ] || skip "no tests/runtime/xenbake-hooks"
sandbox_up "$(fixture)"
compile site <<'XB'
vm "web-01" { vm-data "role" = "frontend"; other-config "owner" = "ops"; }
vm "db-01" { other-config "owner" = "dba"; }
XB
xapi_py >"$DIR/before" <<'PYEOF'
for n in ("web-01", "db-01"):
    r = vm(n)
    print(n, sorted(r["other_config"].items()))
PYEOF
rc=0
XENBAKE_TEST_HOOK_BEFORE_COMMIT='xenstore-write /local/domain/5/vm-data/role intruder-$XENBAKE_TEST_ATTEMPT' \
	"$HOOKED" apply "$DIR/site.xbb" >"$DIR/out" 2>"$DIR/err" || rc=$?
expect_eq "exit status" $rc 1
grep -q 'set back' "$DIR/err" || { cat "$DIR/err"; fail "no word of the restore"; }
xapi_py >"$DIR/after" <<'PYEOF'
for n in ("web-01", "db-01"):
    r = vm(n)
    print(n, sorted(r["other_config"].items()))
PYEOF
diff -u "$DIR/before" "$DIR/after" || fail "XenAPI maps not restored"
# a running VM's vm-data is never written through XenAPI (its database
# copy is xapi's copy of the live tree, the intruder's value included)
xapi_py <<'PYEOF' || fail "xenstore_data written through XenAPI"
import json, urllib.request
calls = json.load(urllib.request.urlopen(sys.argv[1] + "/sim/calls"))["calls"]
assert not any("xenstore_data" in c for c in calls), calls
PYEOF
echo PASS
