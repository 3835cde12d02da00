#!/bin/sh
# SPDX-License-Identifier: MIT
# Language version 2's new fields end to end: VM tags, name-description on
# a VM, an SR and a network, a host's and the pool's other_config. Applied
# in the fewest calls, nothing to do the second time; a tag someone else
# put there is never removed; a failed write sets name_description and tags
# back as they were.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
cat >"$DIR/host.json" <<'FXEOF'
{"hosts": [{"uuid": "0b7a0c52-0000-4000-8000-000000000001",
            "name_label": "xs-01", "address": "127.0.0.1",
            "other_config": {"agent": "kept"}}],
 "pools": [{"name_label": "lab", "other_config": {"by": "hand"}}],
 "vms": [{"uuid": "5e1f0000-0000-4000-8000-000000000005",
          "name_label": "web-01", "power_state": "Halted",
          "is_a_template": false, "is_control_domain": false,
          "name_description": "old", "tags": ["by-hand"],
          "xenstore_data": {}, "other_config": {}}],
 "srs": [{"uuid": "5b000000-0000-4000-8000-000000000001",
          "name_label": "Local storage", "name_description": "",
          "other_config": {}, "pbds_plugged": true}],
 "networks": [{"uuid": "4e700000-0000-4000-8000-000000000001",
               "name_label": "Storage network", "other_config": {}}],
 "pifs": []}
FXEOF
sandbox_up "$DIR/host.json"
compile site <<'XB'
vm "web-01" {
    tag "frontend";
    tag "by-hand";
    name-description "Web frontend";
}
sr "Local storage" { name-description "local disks"; }
network "Storage network" { name-description "iSCSI"; }
host "xs-01" { other-config "rack" = "r12"; }
pool { other-config "site" = "ams-3"; }
XB
rc=0; "$XENBAKE" plan "$DIR/site.xbb" >"$DIR/plan" 2>&1 || rc=$?
expect_eq "plan exit" $rc 2
for line in '    + tags: "frontend"  (site.xb:2:5)' \
	'    ~ name_description: "old" -> "Web frontend"  (site.xb:4:5)' \
	'    + other_config[rack]: "r12"  (site.xb:8:16)' \
	'    + other_config[site]: "ams-3"  (site.xb:9:8)'; do
	grep -qF "$line" "$DIR/plan" || { cat "$DIR/plan"; fail "plan line: $line"; }
done
# the JSON plan holds the new classes and fields as its schema says
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	rc=0; "$XENBAKE" plan --json "$DIR/site.xbb" >"$DIR/plan.json" 2>/dev/null || rc=$?
	expect_eq "plan --json exit" $rc 2
	"$PY" "$top_srcdir/tests/schema/check-json.py" \
		"$top_srcdir/schema/plan.schema.json" "$DIR/plan.json" ||
		fail "plan.json does not match plan.schema.json"
	"$PY" - "$DIR/plan.json" <<'PYEOF' || fail "plan.json content"
import json, sys
d = json.load(open(sys.argv[1]))
calls = [c.split()[0] for c in d["xapi_calls"]]
for m in ("VM.set_tags", "VM.set_name_description", "SR.set_name_description",
          "network.set_name_description", "host.set_other_config",
          "pool.set_other_config", "VM.set_other_config"):
    assert m in calls, (m, calls)
assert len(calls) == 7, calls
tags = [c for c in d["changes"] if c["field"] == "tags"]
assert [(c["op"], c["key"], c["new"]) for c in tags] == [("add", "frontend", "")], tags
PYEOF
fi
sim_reset
"$XENBAKE" apply "$DIR/site.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "apply"; }
rc=0; "$XENBAKE" check "$DIR/site.xbb" >"$DIR/out" 2>&1 || rc=$?
expect_eq "check after apply" $rc 0
# status reads the host again (host and pool objects included) and the
# receipt, which carries the new fields as its schema says
rc=0; "$XENBAKE" status >"$DIR/status" 2>&1 || rc=$?
expect_eq "status after apply" $rc 0
grep -q "^Host: matches the config.\$" "$DIR/status" || { cat "$DIR/status"; fail "status"; }
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	"$PY" "$top_srcdir/tests/schema/check-json.py" \
		"$top_srcdir/schema/receipt.schema.json" \
		"$XENBAKE_STATE_DIR/last-receipt.json" ||
		fail "the receipt does not match receipt.schema.json"
	grep -q '"field": *"tags"' "$XENBAKE_STATE_DIR/last-receipt.json" ||
		fail "no tags change in the receipt"
fi
# one call a key: web-01's record, name_description and one tag; the SR's
# and the network's name_description; the host's and the pool's key and
# record
expect_eq "XenAPI writes" "$(sim_writes)" 9
xapi_py <<'PYEOF' || fail "state after apply"
w = vm("web-01")
assert sorted(w["tags"]) == ["by-hand", "frontend"], w["tags"]
assert w["name_description"] == "Web frontend", w
rec = w["other_config"]["xenbake-managed"].split("\n")
assert "tags:frontend" in rec and "tags:by-hand" not in rec, rec
assert find("SR", "Local storage")["name_description"] == "local disks"
assert find("network", "Storage network")["name_description"] == "iSCSI"
h = find("host", "xs-01")["other_config"]
assert h["rack"] == "r12" and h["agent"] == "kept", h
p = list(api.pool.get_all_records().values())[0]["other_config"]
assert p["site"] == "ams-3" and p["by"] == "hand", p
PYEOF
rc=0; "$XENBAKE" plan "$DIR/site.xbb" >"$DIR/plan" 2>&1 || rc=$?
expect_eq "second plan exit" $rc 0
# export writes the host's and the pool's other_config as blocks that
# compile back
"$XENBAKE" export >"$DIR/export.xb" 2>"$DIR/err" || { cat "$DIR/err"; fail "export"; }
grep -q '^pool {$' "$DIR/export.xb" || { cat "$DIR/export.xb"; fail "no pool block"; }
grep -q '^host "xs-01" {$' "$DIR/export.xb" || { cat "$DIR/export.xb"; fail "no host block"; }
"$XENBAKEC" --check "$DIR/export.xb" || { cat "$DIR/export.xb"; fail "the export does not compile"; }
sim_reset
"$XENBAKE" apply "$DIR/site.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "second apply"; }
expect_eq "XenAPI writes of the second apply" "$(sim_writes)" 0

# a tag added by hand since, then every tag dropped from the config: only
# the one xenbake added goes
xapi_py <<'PYEOF' || fail "add_tags"
ref = api.VM.get_by_name_label("web-01")[0]
api.VM.add_tags(ref, "manual")
PYEOF
compile notags <<'XB'
vm "web-01" { name-description "Web frontend"; }
XB
"$XENBAKE" apply "$DIR/notags.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "apply without tags"; }
xapi_py <<'PYEOF' || fail "tags after dropping them"
w = vm("web-01")
assert sorted(w["tags"]) == ["by-hand", "manual"], w["tags"]
assert "xenbake-managed" not in w["other_config"], w["other_config"]
PYEOF

# rollback: add_tags fails after the record and the description were
# written; both are set back
xapi_py >"$DIR/before" <<'PYEOF'
w = vm("web-01")
print(sorted(w["tags"]), w["name_description"], sorted(w["other_config"].items()))
PYEOF
compile fails <<'XB'
vm "web-01" { tag "t3"; name-description "New"; other-config "k" = "v"; }
XB
sim_fault 'fail:VM.add_tags#+1:INTERNAL_ERROR'
rc=0; "$XENBAKE" apply "$DIR/fails.xbb" >"$DIR/out" 2>"$DIR/err" || rc=$?
expect_eq "apply with a failing add_tags" $rc 1
grep -q 'set back' "$DIR/err" || { cat "$DIR/err"; fail "no word of the restore"; }
xapi_py >"$DIR/after" <<'PYEOF'
w = vm("web-01")
print(sorted(w["tags"]), w["name_description"], sorted(w["other_config"].items()))
PYEOF
diff -u "$DIR/before" "$DIR/after" || fail "name_description, tags or other_config not restored"

# kill -9 after the record and the description were written, before
# add_tags: the next apply of another blob rolls both back from the
# journal; one of the same blob finishes the apply
HOOKED=$top_builddir/tests/runtime/xenbake-hooks
if [ -x "$HOOKED" ]; then
	compile other <<'XB'
pool { other-config "other" = "1"; }
XB
	rc=0
	(XENBAKE_TEST_HOOK_AFTER_WRITE=2 "$HOOKED" apply "$DIR/fails.xbb" \
		>"$DIR/out" 2>"$DIR/err") 2>/dev/null || rc=$?
	expect_eq "apply killed after two writes" $rc 137
	"$XENBAKE" apply "$DIR/other.xbb" >"$DIR/out" 2>"$DIR/err" ||
		{ cat "$DIR/err"; fail "apply after the kill"; }
	grep -q "recovery: rolled back an apply cut off.*: 2 XenAPI map(s) set back" "$DIR/err" ||
		{ cat "$DIR/err"; fail "no word of the rollback"; }
	xapi_py >"$DIR/after" <<'PYEOF'
w = vm("web-01")
print(sorted(w["tags"]), w["name_description"], sorted(w["other_config"].items()))
PYEOF
	diff -u "$DIR/before" "$DIR/after" || fail "not rolled back from the journal"
	rc=0
	(XENBAKE_TEST_HOOK_AFTER_WRITE=2 "$HOOKED" apply "$DIR/fails.xbb" \
		>"$DIR/out" 2>"$DIR/err") 2>/dev/null || rc=$?
	expect_eq "apply killed again" $rc 137
	"$XENBAKE" apply "$DIR/fails.xbb" >"$DIR/out" 2>"$DIR/err" ||
		{ cat "$DIR/err"; fail "apply of the same blob after the kill"; }
	grep -q "recovery: finished an apply cut off" "$DIR/err" ||
		{ cat "$DIR/err"; fail "no word of the finish"; }
	xapi_py <<'PYEOF' || fail "state after the finished apply"
w = vm("web-01")
assert sorted(w["tags"]) == ["by-hand", "manual", "t3"], w["tags"]
assert w["name_description"] == "New", w
assert w["other_config"]["xenbake-managed"] == \
    "uuid:%s\nother_config:k\ntags:t3" % w["uuid"], w
PYEOF
fi
echo PASS
