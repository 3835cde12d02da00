#!/bin/sh
# SPDX-License-Identifier: MIT
# A XenAPI write fails halfway (the simulator answers the network's
# add_to_other_config with a Failure): apply exits 1, the maps written before
# it are set back, and the running guest's vm-data is as before too.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
sandbox_up "$(fixture)"
compile site <<'XB'
vm "web-01" { vm-data "role" = "frontend"; other-config "owner" = "ops"; }
sr "Local storage" { other-config "tier" = "gold"; }
network "Storage network" { hide-from-xencenter; }
XB
state() {
	xapi_py <<'PYEOF'
for cls in ("VM", "SR", "network"):
    for r in sorted(getattr(api, cls).get_all_records().values(),
                    key=lambda r: r["uuid"]):
        print(cls, r["uuid"], sorted(r.get("xenstore_data", {}).items()),
              sorted(r["other_config"].items()))
PYEOF
	xenstore-ls -f /local/domain/5 2>/dev/null | grep vm-data || true
}
state >"$DIR/before"
sim_fault 'fail:network.add_to_other_config#+1:INTERNAL_ERROR:injected'
sim_reset
rc=0
"$XENBAKE" apply "$DIR/site.xbb" >"$DIR/out" 2>"$DIR/err" || rc=$?
expect_eq "exit status" $rc 1
grep -q 'INTERNAL_ERROR' "$DIR/err" || { cat "$DIR/err"; fail "the fault is not named"; }
grep -q 'set back: nothing was changed' "$DIR/err" ||
	{ cat "$DIR/err"; fail "no word of the restore"; }
state >"$DIR/after"
diff -u "$DIR/before" "$DIR/after" || fail "the host was left changed"
# and once the fault is gone, the same apply goes through
"$XENBAKE" apply "$DIR/site.xbb" >/dev/null 2>&1 || fail "apply after the fault"
"$XENBAKE" check "$DIR/site.xbb" >/dev/null 2>&1 || fail "check after apply"
echo PASS
