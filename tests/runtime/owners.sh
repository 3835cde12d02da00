#!/bin/sh
# SPDX-License-Identifier: MIT
# Owners: blobs of "team-a" and "team-b" set keys on one VM, each recorded
# under its owner. One apply of both (the boot run's directory) writes
# both; applying one never removes the other's keys; a key the other owner
# holds with another value is a plan error naming it, the same value is
# fine; a key dropped from one blob goes unless the other holds it; a
# record from before owners keeps working as the owner "default".
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
cat >"$DIR/host.json" <<'FXEOF'
{"hosts": [{"uuid": "0b7a0c52-0000-4000-8000-000000000001",
            "name_label": "xs-01", "address": "127.0.0.1"}],
 "vms": [{"uuid": "5e1f0000-0000-4000-8000-000000000005",
          "name_label": "web-01", "power_state": "Halted",
          "is_a_template": false, "is_control_domain": false,
          "xenstore_data": {}, "other_config": {"by": "hand"}},
         {"uuid": "5e1f0000-0000-4000-8000-000000000006",
          "name_label": "db-01", "power_state": "Halted",
          "is_a_template": false, "is_control_domain": false,
          "xenstore_data": {},
          "other_config": {"legacy": "1",
                           "xenbake-managed": "other_config:legacy"}}],
 "srs": [], "networks": [], "pifs": []}
FXEOF
sandbox_up "$DIR/host.json"
mkdir "$DIR/etc"
compile a <<'XB'
owner "team-a";
vm "web-01" {
    vm-data "a" = "1";
    vm-data "a2" = "x";
    other-config "shared" = "s";
    tag "red";
}
XB
compile b <<'XB'
owner "team-b";
vm "web-01" { vm-data "b" = "2"; other-config "shared" = "s"; tag "red"; }
XB
cp "$DIR/a.xbb" "$DIR/b.xbb" "$DIR/etc/"

# the VM's maps and tags, one "FIELD KEY=VALUE" a line, sorted
state() {
	xapi_py <<'PY'
v = vm(sys.argv[2] if len(sys.argv) > 2 else "web-01")
for f in ("xenstore_data", "other_config"):
    for k, val in sorted(v[f].items()):
        print("%s %s=%s" % (f, k, val.replace("\n", "|")))
for t in sorted(v["tags"]):
    print("tags %s" % t)
PY
}
has() {
	state >"$DIR/state"
	grep -qxF "$1" "$DIR/state" || { cat "$DIR/state"; fail "missing: $1"; }
}
hasnt() {
	state >"$DIR/state"
	grep -q "^$1" "$DIR/state" && { cat "$DIR/state"; fail "still there: $1"; }
	return 0
}

# both owners in one apply, as the boot run does with its directory
rc=0; "$XENBAKE" plan --json "$DIR/etc" >"$DIR/plan.json" 2>"$DIR/err" || rc=$?
expect_eq "plan of both exit" $rc 2
"$PY" - "$DIR/plan.json" <<'PYEOF' || fail "plan.json owners"
import json, sys
d = json.load(open(sys.argv[1]))
own = {(c["key"], c["owner"]) for c in d["changes"]}
for want in (("vm-data/a", "team-a"), ("vm-data/b", "team-b"),
             ("xenbake-managed:team-a", "team-a"),
             ("xenbake-managed:team-b", "team-b")):
    assert want in own, (want, sorted(own))
assert all(c["owner"] in ("team-a", "team-b") for c in d["changes"]), d["changes"]
PYEOF
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	"$PY" "$top_srcdir/tests/schema/check-json.py" \
		"$top_srcdir/schema/plan.schema.json" "$DIR/plan.json" ||
		fail "plan.json does not match plan.schema.json"
fi
# the text plan names each change's owner
rc=0; "$XENBAKE" plan "$DIR/etc" >"$DIR/plan" 2>&1 || rc=$?
expect_eq "text plan of both exit" $rc 2
for line in '+ xenstore_data[vm-data/a]: "1"  (a.xb:3:5; owner team-a)' \
	'+ xenstore_data[vm-data/b]: "2"  (b.xb:2:15; owner team-b)' \
	'+ other_config[xenbake-managed:team-b]: (3 keys)  (xenbake'"'"'s record; owner team-b)'; do
	grep -qF "    $line" "$DIR/plan" || { cat "$DIR/plan"; fail "plan line: $line"; }
done
"$XENBAKE" apply "$DIR/etc" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "apply both"; }
has "xenstore_data vm-data/a=1"
has "xenstore_data vm-data/b=2"
has "other_config shared=s"
has "other_config xenbake-managed:team-a=uuid:5e1f0000-0000-4000-8000-000000000005|other_config:shared|tags:red|xenstore_data:vm-data/a|xenstore_data:vm-data/a2"
has "other_config xenbake-managed:team-b=uuid:5e1f0000-0000-4000-8000-000000000005|other_config:shared|tags:red|xenstore_data:vm-data/b"
has "tags red"
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	"$PY" "$top_srcdir/tests/schema/check-json.py" \
		"$top_srcdir/schema/receipt.schema.json" \
		"$XENBAKE_STATE_DIR/last-receipt.json" ||
		fail "the receipt does not match receipt.schema.json"
fi
grep -q '"owner": "team-b"' "$XENBAKE_STATE_DIR/last-receipt.json" ||
	fail "the receipt names no owner"
rc=0; "$XENBAKE" check "$DIR/etc" >/dev/null 2>&1 || rc=$?
expect_eq "check both" $rc 0
rc=0; "$XENBAKE" status >"$DIR/status" 2>&1 || rc=$?
expect_eq "status after both" $rc 0
grep -q "^Host: matches the config.\$" "$DIR/status" || { cat "$DIR/status"; fail "status"; }
# status says whose record each blob went to, and each change's owner
grep -A2 "^  blob .*/etc/a.xbb\$" "$DIR/status" | grep -q "^       owner team-a\$" &&
	grep -A2 "^  blob .*/etc/b.xbb\$" "$DIR/status" | grep -q "^       owner team-b\$" ||
	{ cat "$DIR/status"; fail "status: the blobs' owners"; }
grep -qF '+ vm web-01 xenstore_data[vm-data/b]: "2"  (b.xb:2:15; owner team-b)' "$DIR/status" ||
	{ cat "$DIR/status"; fail "status: a change's owner"; }
# export --managed: every owner's keys, no owner's record, and it compiles
"$XENBAKE" export --managed >"$DIR/managed.xb" 2>"$DIR/err" || { cat "$DIR/err"; fail "export"; }
grep -q '"vm-data/a"\|vm-data "a"' "$DIR/managed.xb" && grep -q 'vm-data "b"\|"vm-data/b"' "$DIR/managed.xb" ||
	{ cat "$DIR/managed.xb"; fail "export --managed misses an owner's keys"; }
grep -q xenbake-managed "$DIR/managed.xb" && { cat "$DIR/managed.xb"; fail "export holds a record"; }
"$XENBAKEC" --check "$DIR/managed.xb" 2>"$DIR/err" || { cat "$DIR/err"; fail "the export does not compile"; }

# one owner alone: nothing to do, the other's keys are not its to remove
rc=0; "$XENBAKE" plan "$DIR/b.xbb" >"$DIR/plan" 2>&1 || rc=$?
expect_eq "plan b alone" $rc 0
rc=0; "$XENBAKE" plan "$DIR/a.xbb" >"$DIR/plan" 2>&1 || rc=$?
expect_eq "plan a alone" $rc 0

# a key team-a holds, set to another value by team-b: an error naming
# team-a, in the apply of b alone and in one apply of both
compile b2 <<'XB'
owner "team-b";
vm "web-01" { vm-data "b" = "2"; vm-data "a" = "9"; }
XB
rc=0; "$XENBAKE" plan "$DIR/b2.xbb" >"$DIR/plan" 2>&1 || rc=$?
expect_eq "conflict plan exit" $rc 1
grep -q 'b2.xb:2:34: .*vm-data/a.*owner "team-a" holds it' "$DIR/plan" ||
	{ cat "$DIR/plan"; fail "the conflict names team-a"; }
rc=0; "$XENBAKE" apply "$DIR/b2.xbb" >"$DIR/out" 2>&1 || rc=$?
expect_eq "conflict apply exit" $rc 1
has "xenstore_data vm-data/a=1"
cp "$DIR/b2.xbb" "$DIR/etc/b.xbb"
rc=0; "$XENBAKE" plan "$DIR/etc" >"$DIR/plan" 2>&1 || rc=$?
expect_eq "conflict in one apply" $rc 1
grep -q 'by owner "team-b" here and to "1" by owner "team-a"' "$DIR/plan" ||
	{ cat "$DIR/plan"; fail "the conflict in one apply names team-a"; }
cp "$DIR/b.xbb" "$DIR/etc/b.xbb"

# team-a drops a2, shared and the tag: a2 goes; shared and the tag stay,
# team-b holds them; team-b's keys are untouched
compile a2 <<'XB'
owner "team-a";
vm "web-01" { vm-data "a" = "1"; }
XB
rc=0; "$XENBAKE" plan "$DIR/a2.xbb" >"$DIR/plan" 2>&1 || rc=$?
expect_eq "plan a2 exit" $rc 2
grep -qF '    - xenstore_data[vm-data/a2]: "x"  (no longer in the config; owner team-a)' "$DIR/plan" ||
	{ cat "$DIR/plan"; fail "plan a2: the removal's owner"; }
"$XENBAKE" apply "$DIR/a2.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "apply a2"; }
hasnt "xenstore_data vm-data/a2="
has "xenstore_data vm-data/a=1"
has "other_config shared=s"
has "tags red"
has "xenstore_data vm-data/b=2"
has "other_config by=hand"
has "other_config xenbake-managed:team-a=uuid:5e1f0000-0000-4000-8000-000000000005|xenstore_data:vm-data/a"
# then team-b drops shared too: now it goes
compile b3 <<'XB'
owner "team-b";
vm "web-01" { vm-data "b" = "2"; }
XB
"$XENBAKE" apply "$DIR/b3.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "apply b3"; }
hasnt "other_config shared="
hasnt "tags red"
has "xenstore_data vm-data/a=1"

# a record from before owners is the owner default's: other owners leave
# it alone, a blob without owner takes it over
state_db() { xapi_py <<'PY'
print(vm("db-01")["other_config"])
PY
}
compile t <<'XB'
owner "team-a";
vm "db-01" { other-config "t" = "1"; }
XB
"$XENBAKE" apply "$DIR/t.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "apply t"; }
state_db | grep -q "'legacy': '1'" || { state_db; fail "team-a removed default's key"; }
compile d <<'XB'
vm "db-01" { other-config "new" = "n"; }
XB
rc=0; "$XENBAKE" plan --json "$DIR/d.xbb" >"$DIR/plan.json" 2>&1 || rc=$?
expect_eq "plan d" $rc 2
grep -q '"key":"legacy","old":"1","new":null,"source":null,"bookkeeping":false,"owner":"default"' "$DIR/plan.json" ||
	{ cat "$DIR/plan.json"; fail "default removes its v1 key"; }
"$XENBAKE" apply "$DIR/d.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "apply d"; }
state_db | grep -q "'legacy'" && { state_db; fail "legacy stays"; }
state_db | grep -q "'xenbake-managed': 'uuid:5e1f0000-0000-4000-8000-000000000006\\\\nother_config:new'" ||
	{ state_db; fail "default's record"; }
state_db | grep -q "'t': '1'" || { state_db; fail "team-a's key went"; }

# a once key under an owner: recorded in that owner's record as written
# once, never written again after someone removes it
compile o <<'XB'
owner "team-c";
vm "db-01" { other-config "token" = "t-1" once; }
XB
"$XENBAKE" apply "$DIR/o.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "apply o"; }
state_db | grep -q "'token': 't-1'" || { state_db; fail "the once key was not written"; }
state_db | grep -q "'xenbake-managed:team-c': 'uuid:5e1f0000-0000-4000-8000-000000000006\\\\nonce:other_config:token'" ||
	{ state_db; fail "team-c's record of its once key"; }
xapi_py <<'PY' || fail "removing the once key"
api.VM.remove_from_other_config(api.VM.get_by_uuid("5e1f0000-0000-4000-8000-000000000006"), "token")
PY
"$XENBAKE" apply "$DIR/o.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "second apply o"; }
expect_eq "second apply of a once key, consumed" "$(cat "$DIR/out")" "No changes."
state_db | grep -q "'token'" && { state_db; fail "the once key came back"; }

# without XenAPI only the owner default is planned
rc=0; "$XENBAKE" plan --no-xapi "$DIR/a.xbb" >"$DIR/plan" 2>&1 || rc=$?
expect_eq "--no-xapi owner" $rc 1
grep -q 'owner "team-a": .*only XenAPI reaches; drop --no-xapi' "$DIR/plan" ||
	{ cat "$DIR/plan"; fail "--no-xapi owner message"; }
echo PASS
