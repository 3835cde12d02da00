#!/bin/sh
# SPDX-License-Identifier: MIT
# Renaming an SR: planned as a name_label change, applied with one
# set_name_label, found again by its new name (no change the second time);
# an SR with no plugged PBD is refused before anything is written.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
cat >"$DIR/host.json" <<'FXEOF'
{"hosts": [{"uuid": "0b7a0c52-0000-4000-8000-000000000001",
            "name_label": "xs-01", "address": "127.0.0.1"}],
 "vms": [],
 "srs": [{"uuid": "5b000000-0000-4000-8000-000000000001",
          "name_label": "Local storage", "name_description": "",
          "other_config": {}, "pbds_plugged": true},
         {"uuid": "5b000000-0000-4000-8000-000000000002",
          "name_label": "Detached", "name_description": "",
          "other_config": {}, "pbds_plugged": false}],
 "networks": [], "pifs": []}
FXEOF
sandbox_up "$DIR/host.json"
compile site <<'XB'
sr "Local storage" {
    name-label "Fast disks";
    i18n-key local-storage;
}
XB
rc=0; "$XENBAKE" plan "$DIR/site.xbb" >"$DIR/plan" 2>&1 || rc=$?
expect_eq "plan exit" $rc 2
grep -q '^    ~ name_label: "Local storage" -> "Fast disks"  (site.xb:2:5)$' \
	"$DIR/plan" || { cat "$DIR/plan"; fail "rename line"; }
sim_reset
"$XENBAKE" apply "$DIR/site.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "apply"; }
# set_name_label; add_to_other_config of i18n-key, the original name and
# the managed record
expect_eq "XenAPI writes" "$(sim_writes)" 4
xapi_py <<'PYEOF' || fail "SR after the rename"
sr = find("SR", "Fast disks")
assert sr["other_config"]["i18n-key"] == "local-storage", sr
assert sr["other_config"]["i18n-original-value-name_label"] == "Fast disks", sr
PYEOF
rc=0; "$XENBAKE" plan "$DIR/site.xbb" >"$DIR/plan" 2>&1 || rc=$?
expect_eq "plan after the rename" $rc 0

compile detached <<'XB'
sr "Detached" { name-label "Archive"; other-config "tier" = "cold"; }
XB
sim_reset
rc=0; "$XENBAKE" apply "$DIR/detached.xbb" >"$DIR/out" 2>"$DIR/err" || rc=$?
expect_eq "apply on an SR without PBD" $rc 1
grep -q 'no PBD is plugged' "$DIR/err" || { cat "$DIR/err"; fail "message"; }
expect_eq "XenAPI writes" "$(sim_writes)" 0
echo PASS
