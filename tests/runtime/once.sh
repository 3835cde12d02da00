#!/bin/sh
# SPDX-License-Identifier: MIT
# once keys end to end, on a running guest (its live vm-data, in xenbake's
# transaction) and a halted VM (XenAPI): written while absent, a key
# already there left as it is, the record says so; then the guest's: a
# guest that deletes or changes it gets nothing back, check and status
# see no drift, and a second apply writes nothing. Dropping a once key
# from the config drops its record line, never the key.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
cat >"$DIR/host.json" <<'FXEOF'
{"hosts": [{"uuid": "0b7a0c52-0000-4000-8000-000000000001",
            "name_label": "xs-01", "address": "127.0.0.1"}],
 "vms": [{"uuid": "5e1f0000-0000-4000-8000-000000000005",
          "name_label": "web-01", "power_state": "Running", "domid": 5,
          "resident_on": "0b7a0c52-0000-4000-8000-000000000001",
          "is_a_template": false, "is_control_domain": false,
          "xenstore_data": {}, "other_config": {}},
         {"uuid": "5e1f0000-0000-4000-8000-000000000006",
          "name_label": "db-01", "power_state": "Halted",
          "is_a_template": false, "is_control_domain": false,
          "xenstore_data": {"vm-data/seen": "the guest's"},
          "other_config": {}}],
 "srs": [], "networks": [], "pifs": []}
FXEOF
sandbox_up "$DIR/host.json"
# the running guest has one of its once keys already
xenstore-write /local/domain/5/vm-data/pre guest
compile site <<'XB'
vm "web-01" {
    vm-data "first-boot/token" = "t-1" once;
    vm-data "role" = "web";
    other-config "installed" = "day-1" once;
    vm-data "pre" = "xenbake's" once;
}
vm "db-01" {
    vm-data "first-boot/token" = "t-2" once;
    vm-data "seen" = "mine" once;
}
XB

# once is part of the configuration: another identity, a diff line
compile always <<'XB'
vm "db-01" { vm-data "first-boot/token" = "t-2"; }
XB
compile oncely <<'XB'
vm "db-01" { vm-data "first-boot/token" = "t-2" once; }
XB
rc=0; "$XENBAKE" diff "$DIR/always.xbb" "$DIR/oncely.xbb" >"$DIR/diff" 2>&1 || rc=$?
expect_eq "diff exit" $rc 2
grep -qF '~ xenstore_data[vm-data/first-boot/token]: "t-2" -> "t-2" once' "$DIR/diff" ||
	{ cat "$DIR/diff"; fail "diff: once"; }

rc=0; "$XENBAKE" plan "$DIR/site.xbb" >"$DIR/plan" 2>&1 || rc=$?
expect_eq "plan exit" $rc 2
for line in '[domain 5] vm-data/first-boot/token: "t-1"  (site.xb:2:5; once: only while absent)' \
	'other_config[installed]: "day-1"  (site.xb:4:5; once: only while absent)' \
	'xenstore_data[vm-data/first-boot/token]: "t-2"  (site.xb:8:5; once: only while absent)'; do
	grep -qF "$line" "$DIR/plan" || { cat "$DIR/plan"; fail "plan line: $line"; }
done
grep -q 'vm-data/seen\|vm-data/pre' "$DIR/plan" && { cat "$DIR/plan"; fail "a present once key planned"; }
# the first write of a once key is not drift: check says the host matches
rc=0; "$XENBAKE" check "$DIR/site.xbb" >"$DIR/check" 2>&1 || rc=$?
grep -q 'first-boot\|installed' "$DIR/check" && { cat "$DIR/check"; fail "once key as drift"; }
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	rc=0; "$XENBAKE" plan --json "$DIR/site.xbb" >"$DIR/plan.json" 2>/dev/null || rc=$?
	expect_eq "plan --json exit" $rc 2
	"$PY" "$top_srcdir/tests/schema/check-json.py" \
		"$top_srcdir/schema/plan.schema.json" "$DIR/plan.json" ||
		fail "plan.json does not match plan.schema.json"
	"$PY" - "$DIR/plan.json" <<'PYEOF' || fail "plan.json: once"
import json, sys
d = json.load(open(sys.argv[1]))
once = sorted((c["where"], c["key"]) for c in d["changes"] if c.get("once"))
assert once == [("xapi", "installed"), ("xapi", "vm-data/first-boot/token"),
                ("xenstore", "vm-data/first-boot/token")], once
role = [c for c in d["changes"] if c["key"] == "vm-data/role"]
assert role and "once" not in role[0], role
PYEOF
fi

"$XENBAKE" apply "$DIR/site.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "apply"; }
expect_eq "running: token" "$(xs_get /local/domain/5/vm-data/first-boot/token)" t-1
expect_eq "running: role" "$(xs_get /local/domain/5/vm-data/role)" web
expect_eq "running: a once key found is kept" "$(xs_get /local/domain/5/vm-data/pre)" guest
# the receipt marks the once keys' writes as the plan does
"$PY" - "$XENBAKE_STATE_DIR/last-receipt.json" <<'PYEOF' || fail "receipt: once"
import json, sys
d = json.load(open(sys.argv[1]))
once = sorted((c["where"], c["key"]) for c in d["changes"] if c.get("once"))
assert once == [("xapi", "installed"), ("xapi", "vm-data/first-boot/token"),
                ("xenstore", "vm-data/first-boot/token")], once
assert all(c["once"] is True for c in d["changes"] if "once" in c), d
role = [c for c in d["changes"] if c["key"] == "vm-data/role"]
assert role and "once" not in role[0], role
PYEOF
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	"$PY" "$top_srcdir/tests/schema/check-json.py" \
		"$top_srcdir/schema/receipt.schema.json" \
		"$XENBAKE_STATE_DIR/last-receipt.json" ||
		fail "the receipt does not match receipt.schema.json"
fi
"$XENBAKE" status >"$DIR/status" 2>&1 || true
grep -qF '[domain 5] vm-data/first-boot/token: "t-1"  (site.xb:2:5; once: only while absent)' "$DIR/status" ||
	{ cat "$DIR/status"; fail "status: the once key"; }
xapi_py <<'PYEOF' || fail "state after apply"
w, d = vm("web-01"), vm("db-01")
assert w["other_config"]["installed"] == "day-1", w["other_config"]
assert w["other_config"]["xenbake-managed"].split("\n") == [
    "uuid:" + w["uuid"], "once:other_config:installed",
    "once:xenstore_data:vm-data/first-boot/token",
    "once:xenstore_data:vm-data/pre",
    "xenstore_data:vm-data/role"], w["other_config"]
assert d["xenstore_data"] == {"vm-data/first-boot/token": "t-2",
                              "vm-data/seen": "the guest's"}, d
assert d["other_config"]["xenbake-managed"].split("\n") == [
    "uuid:" + d["uuid"], "once:xenstore_data:vm-data/first-boot/token",
    "once:xenstore_data:vm-data/seen"], d["other_config"]
PYEOF
rc=0; "$XENBAKE" check "$DIR/site.xbb" >"$DIR/check" 2>&1 || rc=$?
expect_eq "check after apply" $rc 0
# export --managed keeps a once key one (the record says so), and compiles
"$XENBAKE" export --managed >"$DIR/export.xb" 2>"$DIR/err" || { cat "$DIR/err"; fail "export"; }
grep -qF 'vm-data "first-boot/token" = "t-2" once;' "$DIR/export.xb" ||
	{ cat "$DIR/export.xb"; fail "export: no once key"; }
grep -qF 'vm-data "seen" = "the guest'"'"'s" once;' "$DIR/export.xb" ||
	{ cat "$DIR/export.xb"; fail "export: the found once key"; }
"$XENBAKEC" --check "$DIR/export.xb" || { cat "$DIR/export.xb"; fail "the export does not compile"; }

# the guests consume the tokens: the running one deletes its node, the
# halted one's is removed through XenAPI; someone changes the other key
xenstore-rm /local/domain/5/vm-data/first-boot/token
xapi_py <<'PYEOF' || fail "consuming the tokens"
ref = api.VM.get_by_name_label("db-01")[0]
api.VM.remove_from_xenstore_data(ref, "vm-data/first-boot/token")
api.VM.add_to_xenstore_data(ref, "vm-data/first-boot/done", "yes")
web = api.VM.get_by_name_label("web-01")[0]
api.VM.remove_from_other_config(web, "installed")
api.VM.add_to_other_config(web, "installed", "day-2")
PYEOF
rc=0; "$XENBAKE" check "$DIR/site.xbb" >"$DIR/check" 2>&1 || rc=$?
expect_eq "check after the guests consumed their tokens" $rc 0
rc=0; "$XENBAKE" status >"$DIR/status" 2>&1 || rc=$?
expect_eq "status after the guests consumed their tokens" $rc 0
rc=0; "$XENBAKE" plan "$DIR/site.xbb" >"$DIR/plan" 2>&1 || rc=$?
expect_eq "plan after the guests consumed their tokens" $rc 0
sim_reset
trace_mark
"$XENBAKE" apply "$DIR/site.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "second apply"; }
expect_eq "XenAPI writes of the second apply" "$(sim_writes)" 0
expect_eq "xenstore writes of the second apply" "$(trace_count WRITE)" 0
expect_eq "running: token stays consumed" \
	"$(xs_get /local/domain/5/vm-data/first-boot/token)" "<absent>"
xapi_py <<'PYEOF' || fail "state after the second apply"
w, d = vm("web-01"), vm("db-01")
assert w["other_config"]["installed"] == "day-2", w["other_config"]
assert "vm-data/first-boot/token" not in d["xenstore_data"], d
PYEOF

# a guest that writes the key between xenbake's read and its commit keeps
# its value: a fresh once key, and the hooked binary's commit hook
HOOKED=$top_builddir/tests/runtime/xenbake-hooks
if [ -x "$HOOKED" ]; then
	compile race <<'XB'
vm "web-01" {
    vm-data "first-boot/token" = "t-1" once;
    vm-data "role" = "web";
    other-config "installed" = "day-1" once;
    vm-data "pre" = "xenbake's" once;
    vm-data "late" = "xenbake's" once;
}
vm "db-01" {
    vm-data "first-boot/token" = "t-2" once;
    vm-data "seen" = "mine" once;
}
XB
	XENBAKE_TEST_HOOK_BEFORE_COMMIT='[ "$XENBAKE_TEST_ATTEMPT" != 1 ] ||
		xenstore-write /local/domain/5/vm-data/late guest'
	export XENBAKE_TEST_HOOK_BEFORE_COMMIT
	"$HOOKED" apply "$DIR/race.xbb" >"$DIR/out" 2>&1 ||
		{ cat "$DIR/out"; fail "apply racing the guest"; }
	unset XENBAKE_TEST_HOOK_BEFORE_COMMIT
	expect_eq "the guest's late write kept" \
		"$(xs_get /local/domain/5/vm-data/late)" guest
fi

# dropped from the config: the record lines go, the keys stay
compile dropped <<'XB'
vm "web-01" { vm-data "role" = "web"; }
XB
"$XENBAKE" apply "$DIR/dropped.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "apply without once keys"; }
xapi_py <<'PYEOF' || fail "state after dropping the once keys"
w, d = vm("web-01"), vm("db-01")
assert w["other_config"]["installed"] == "day-2", w["other_config"]
assert w["other_config"]["xenbake-managed"].split("\n") == [
    "uuid:" + w["uuid"], "xenstore_data:vm-data/role"], w["other_config"]
assert d["xenstore_data"]["vm-data/seen"] == "the guest's", d
assert "xenbake-managed" not in d["other_config"], d["other_config"]
PYEOF
[ -x "$HOOKED" ] && expect_eq "running: late stays" \
	"$(xs_get /local/domain/5/vm-data/late)" guest

# without XenAPI the record is the guest's node in xenstore: the same rules
compile nox <<'XB'
vm "web-01" { vm-data "nx" = "1" once; vm-data "role" = "web"; }
XB
"$XENBAKE" apply --no-xapi "$DIR/nox.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "apply --no-xapi"; }
expect_eq "no-xapi: once key written" "$(xs_get /local/domain/5/vm-data/nx)" 1
expect_eq "no-xapi: the record" \
	"$(xs_get /tool/xenbake/managed/5e1f0000-0000-4000-8000-000000000005)" \
	"$(printf 'once:nx\nrole')"
xenstore-rm /local/domain/5/vm-data/nx
rc=0; "$XENBAKE" check --no-xapi "$DIR/nox.xbb" >"$DIR/check" 2>&1 || rc=$?
expect_eq "no-xapi: check after the guest deleted it" $rc 0
trace_mark
"$XENBAKE" apply --no-xapi "$DIR/nox.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "second apply --no-xapi"; }
expect_eq "no-xapi: xenstore writes of the second apply" "$(trace_count WRITE)" 0
expect_eq "no-xapi: stays deleted" "$(xs_get /local/domain/5/vm-data/nx)" "<absent>"
echo PASS
