#!/bin/sh
# SPDX-License-Identifier: MIT
# A record of managed keys is the object's it was written on (issue 13
# point 2). After an apply, VM.snapshot, VM.clone and VM.copy through the
# simulator copy other_config (the record too) and xenstore_data, as xapi
# does; the config changes and is applied again: the snapshots, the clone
# and the copy keep every key, and neither plan nor check names them. A
# clone the config selects by name gets xenbake's own record (its inherited
# keys stay, they are not xenbake's), vm-data in its xenstore_data as it is
# halted; dropped from the config, only what xenbake wrote on it goes. A
# record written before records named their object still works on the
# original, and is ignored on a snapshot of it.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi

HOST=0b7a0c52-0000-4000-8000-000000000001
WEB=5e1f0000-0000-4000-8000-000000000005
BASE=5e1f0000-0000-4000-8000-000000000010
cat >"$DIR/host.json" <<EOF
{"hosts": [{"uuid": "$HOST", "name_label": "xs-01", "address": "127.0.0.1"}],
 "vms": [
  {"uuid": "$WEB", "name_label": "web-01", "power_state": "Running",
   "domid": 5, "resident_on": "$HOST", "is_a_template": false,
   "is_control_domain": false, "xenstore_data": {}, "other_config": {}},
  {"uuid": "$BASE", "name_label": "base-01", "power_state": "Halted",
   "domid": -1, "is_a_template": false, "is_control_domain": false,
   "xenstore_data": {}, "other_config": {}}],
 "srs": [], "networks": [], "pifs": []}
EOF
sandbox_up "$DIR/host.json"

compile site <<'XB'
vm "web-01" { vm-data "role" = "web"; other-config "owner" = "ops"; }
vm "base-01" {
    vm-data "role" = "base";
    vm-data "site" = "ams";
    other-config "owner" = "ops";
    hide-from-xencenter;
}
XB
"$XENBAKE" apply "$DIR/site.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "first apply"; }
xapi_py <<PYEOF || fail "the record names its object"
b = vm("base-01")["other_config"]["xenbake-managed"].split("\n")
assert b[0] == "uuid:$BASE", b
assert sorted(b[1:]) == ["other_config:HideFromXenCenter", "other_config:owner",
                         "xenstore_data:vm-data/role",
                         "xenstore_data:vm-data/site"], b
w = vm("web-01")["other_config"]["xenbake-managed"].split("\n")
assert w[0] == "uuid:$WEB", w
PYEOF
# the record's line count is its keys, not its uuid line
compile count <<'XB'
vm "base-01" { vm-data "role" = "base"; }
XB
"$XENBAKE" plan "$DIR/count.xbb" >"$DIR/plan" 2>&1 || true
grep -q 'xenbake-managed\]: (4 keys) -> (1 key)' "$DIR/plan" ||
	{ cat "$DIR/plan"; fail "the record's keys counted"; }

# copies of both, as xapi makes them: the record comes along
xapi_py >"$DIR/copies" <<'PYEOF' || fail "snapshot, clone, copy"
import json
web = api.VM.get_by_name_label("web-01")[0]
base = api.VM.get_by_name_label("base-01")[0]
refs = [api.VM.snapshot(web, "web-01 snap"),
        api.VM.snapshot(base, "base-01 snap"),
        api.VM.clone(base, "base-02"),
        api.VM.copy(base, "base-03", "OpaqueRef:NULL")]
out = {}
for r in refs:
    rec = api.VM.get_record(r)
    assert "xenbake-managed" in rec["other_config"], rec
    assert rec["xenstore_data"]["vm-data/site" if "base" in
                                rec["name_label"] else "vm-data/role"], rec
    out[rec["uuid"]] = {"name": rec["name_label"],
                        "other_config": rec["other_config"],
                        "xenstore_data": rec["xenstore_data"]}
print(json.dumps(out, sort_keys=True))
PYEOF
COPIES=$("$PY" -c 'import json, sys
print(" ".join(json.load(open(sys.argv[1]))))' "$DIR/copies")
CLONE=$("$PY" -c 'import json, sys
print([u for u, r in json.load(open(sys.argv[1])).items()
       if r["name"] == "base-02"][0])' "$DIR/copies")

# a copy's state, now: the same JSON form
copies_now() {
	xapi_py <<'PYEOF'
import json
out = {}
for r in api.VM.get_all_records().values():
    if r["name_label"] in ("web-01 snap", "base-01 snap", "base-02",
                           "base-03"):
        out[r["uuid"]] = {"name": r["name_label"],
                          "other_config": r["other_config"],
                          "xenstore_data": r["xenstore_data"]}
print(json.dumps(out, sort_keys=True))
PYEOF
}

# the config changes: keys dropped from both originals, one changed
compile site2 <<'XB'
vm "web-01" { vm-data "role" = "frontend"; }
vm "base-01" { vm-data "role" = "base2"; }
XB
no_copy_named() {   # no_copy_named FILE WHAT
	for u in $COPIES; do
		! grep -q "$u" "$1" || { cat "$1"; fail "$2 names copy $u"; }
	done
	! grep -q 'snap\|base-02\|base-03' "$1" || { cat "$1"; fail "$2 names a copy"; }
}
rc=0; "$XENBAKE" plan "$DIR/site2.xbb" >"$DIR/plan" 2>&1 || rc=$?
expect_eq "plan" $rc 2
no_copy_named "$DIR/plan" plan
grep -q "^vm base-01  ($BASE)" "$DIR/plan" || { cat "$DIR/plan"; fail "no base-01 in the plan"; }
"$XENBAKE" plan --json "$DIR/site2.xbb" >"$DIR/plan.json" 2>/dev/null || true
"$PY" - "$DIR/plan.json" "$WEB" "$BASE" <<'PYEOF' || fail "plan --json: copies planned"
import json, sys
p = json.load(open(sys.argv[1]))
assert {c["uuid"] for c in p["changes"]} == set(sys.argv[2:4]), p["changes"]
PYEOF
rc=0; "$XENBAKE" check "$DIR/site2.xbb" >"$DIR/check" 2>&1 || rc=$?
expect_eq "check before the apply" $rc 2
no_copy_named "$DIR/check" check
"$XENBAKE" apply "$DIR/site2.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "second apply"; }
no_copy_named "$DIR/out" apply
copies_now >"$DIR/copies-after"
cmp -s "$DIR/copies" "$DIR/copies-after" ||
	{ diff -u "$DIR/copies" "$DIR/copies-after"; fail "a copy was rewritten"; }
xapi_py <<'PYEOF' || fail "the originals after the second apply"
b = vm("base-01")
assert b["xenstore_data"] == {"vm-data/role": "base2"}, b["xenstore_data"]
assert "owner" not in b["other_config"], b["other_config"]
assert "HideFromXenCenter" not in b["other_config"], b["other_config"]
PYEOF
"$XENBAKE" check "$DIR/site2.xbb" >"$DIR/check" 2>&1 || { cat "$DIR/check"; fail "check after apply"; }
# export --managed: the keys xenbake wrote, on the originals only
"$XENBAKE" export --managed >"$DIR/export.xb" 2>"$DIR/err" || { cat "$DIR/err"; fail "export"; }
! grep -q 'base-02\|base-03' "$DIR/export.xb" ||
	{ cat "$DIR/export.xb"; fail "export --managed adopts a clone's inherited keys"; }
grep -q '^vm "base-01" {$' "$DIR/export.xb" || { cat "$DIR/export.xb"; fail "export --managed: base-01"; }

# the clone selected by name: xenbake's own record replaces the inherited
# one; the inherited keys are not xenbake's, so stay
compile site3 <<'XB'
vm "web-01" { vm-data "role" = "frontend"; }
vm "base-01" { vm-data "role" = "base2"; }
vm "base-02" { vm-data "site" = "lis"; other-config "tier" = "2"; }
XB
"$XENBAKE" plan "$DIR/site3.xbb" >"$DIR/plan" 2>&1 || true
grep -q '^Plan: 1 to add, 1 to change, 0 to remove\.$' "$DIR/plan" ||
	{ cat "$DIR/plan"; fail "plan of the clone"; }
grep -q 'site3.xb:3:1: note: vm base-02: the record of managed keys it carries is not its own' "$DIR/plan" ||
	{ cat "$DIR/plan"; fail "no note on the clone's inherited record"; }
"$XENBAKE" apply "$DIR/site3.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "apply to the clone"; }
xapi_py <<PYEOF || fail "the clone after it is selected"
c = vm("base-02")
assert c["power_state"] == "Halted", c["power_state"]
assert c["xenstore_data"] == {"vm-data/role": "base", "vm-data/site": "lis"}, \
    c["xenstore_data"]
oc = c["other_config"]
assert oc["tier"] == "2" and oc["owner"] == "ops" and \
    oc["HideFromXenCenter"] == "true", oc
assert oc["xenbake-managed"] == ("uuid:$CLONE\nother_config:tier\n"
                                 "xenstore_data:vm-data/site"), oc
PYEOF
"$XENBAKE" check "$DIR/site3.xbb" >"$DIR/check" 2>&1 || { cat "$DIR/check"; fail "check of the clone"; }
# dropped from the config: only what xenbake wrote on the clone goes
"$XENBAKE" apply "$DIR/site2.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "apply without the clone"; }
xapi_py <<'PYEOF' || fail "the clone after it is dropped"
c = vm("base-02")
assert c["xenstore_data"] == {"vm-data/role": "base"}, c["xenstore_data"]
oc = c["other_config"]
assert "tier" not in oc and "xenbake-managed" not in oc, oc
assert oc["owner"] == "ops" and oc["HideFromXenCenter"] == "true", oc
PYEOF

# a record from before records named their object (no uuid line): trusted
# on the VM itself; on a snapshot, which is a template, ignored
xapi_py <<'PYEOF' || fail "writing a record without uuid line"
r = api.VM.get_by_name_label("web-01")[0]
oc = api.VM.get_other_config(r)
oc.update({"legacy": "1", "xenbake-managed": "other_config:legacy\n"
           "xenstore_data:vm-data/role"})
api.VM.set_other_config(r, oc)
s = api.VM.snapshot(r, "web-01 old snap")
assert api.VM.get_other_config(s)["xenbake-managed"].startswith("other_config:")
PYEOF
"$XENBAKE" plan "$DIR/site2.xbb" >"$DIR/plan" 2>&1 || true
grep -q '^    - other_config\[legacy\]: "1"  (no longer in the config)$' "$DIR/plan" ||
	{ cat "$DIR/plan"; fail "a record without uuid line is not trusted on its VM"; }
! grep -q 'old snap' "$DIR/plan" || { cat "$DIR/plan"; fail "the snapshot of an old record planned"; }
"$XENBAKE" apply "$DIR/site2.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "apply over the old record"; }
xapi_py <<PYEOF || fail "after the old record"
w = vm("web-01")["other_config"]
assert "legacy" not in w, w
assert w["xenbake-managed"] == "uuid:$WEB\nxenstore_data:vm-data/role", w
s = vm("web-01 old snap")["other_config"]
assert s["legacy"] == "1", s
assert s["xenbake-managed"] == "other_config:legacy\nxenstore_data:vm-data/role", s
PYEOF
rc=0; "$XENBAKE" check "$DIR/site2.xbb" >"$DIR/check" 2>&1 || rc=$?
[ $rc -eq 0 ] || { cat "$DIR/check"; fail "check at the end: $rc"; }
echo "ok: records stay with their objects"
