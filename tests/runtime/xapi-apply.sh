#!/bin/sh
# SPDX-License-Identifier: MIT
# One plan across both backends, through the XenAPI simulator: plan, apply,
# check; the running guest's vm-data is written live only (never with
# VM.set_xenstore_data, which wipes the tree and takes it from the guest),
# and xapi's copy-back carries it into VM.xenstore_data; a second apply
# writes nothing anywhere; an edit is applied as exactly that difference.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
sandbox_up "$(fixture)"
[ -n "$XENBAKE_XAPI" ] || fail "the sandbox has no XenAPI endpoint"
compile site <<'XB'
vm "web-01" {
    vm-data "role" = "frontend";
    vm-data "net/ip" = "10.0.0.5";
    other-config "owner" = "ops";
    hide-from-xencenter;
}
network "Storage network" { hide-from-xencenter; }
pif "eth1" { hide-from-xencenter; }
sr "Local storage" { i18n-key local-storage; }
XB

rc=0; "$XENBAKE" plan "$DIR/site.xbb" >"$DIR/plan" 2>"$DIR/err" || rc=$?
[ $rc -eq 2 ] || { cat "$DIR/plan" "$DIR/err"; fail "plan exit $rc, want 2"; }
! grep -q 'xenstore_data\[vm-data/' "$DIR/plan" ||
	{ cat "$DIR/plan"; fail "a running VM's vm-data planned through XenAPI"; }
# per object, one line per key
grep -q '^vm web-01  (5e1f0000-0000-4000-8000-000000000005)$' "$DIR/plan" ||
	{ cat "$DIR/plan"; fail "no object head"; }
grep -q '^    + \[domain 5\] vm-data/role: "frontend"' "$DIR/plan" ||
	{ cat "$DIR/plan"; fail "no live xenstore line"; }
[ "$(grep -c 'vm-data/role' "$DIR/plan")" = 1 ] ||
	{ cat "$DIR/plan"; fail "a key on two lines"; }
grep -q '^  sr: 1 object, keys: 2 to add, 0 to change, 0 to remove$' "$DIR/plan" ||
	{ cat "$DIR/plan"; fail "no summary line per class"; }
grep -q "$(printf '\033')" "$DIR/plan" && fail "colour into a file"
"$XENBAKE" plan --json "$DIR/site.xbb" >"$DIR/plan.json" 2>/dev/null || true
"$PY" - "$DIR/plan.json" <<'PYEOF' || fail "plan --json: one call per map"
import json, sys
p = json.load(open(sys.argv[1]))
calls = p["xapi_calls"]
# other_config of web-01, network, PIF, SR; vm-data goes live only
assert len(calls) == 4, calls
assert not any("xenstore_data" in c for c in calls), calls
assert len(set(calls)) == len(calls), calls
assert p["xenstore_guests"] == [5], p
PYEOF

# one call per key: owner, HideFromXenCenter and the managed record on
# web-01, HideFromXenCenter and the record on the network and the PIF,
# i18n-key, its original name and the record on the SR
expect_eq "XenAPI calls planned" "$(plan_calls "$DIR/site.xbb")" 10
sim_reset
trace_mark
"$XENBAKE" apply -v "$DIR/site.xbb" >"$DIR/out" 2>"$DIR/err" ||
	{ cat "$DIR/out" "$DIR/err"; fail "apply failed"; }
expect_eq "XenAPI writes of the first apply" "$(sim_writes)" 10
grep -q '(4 XenAPI writes, 1 xenstore transaction)' "$DIR/out" ||
	{ cat "$DIR/out"; fail "apply summary"; }
[ "$(trace_count TRANSACTION_START)" -le 2 ] || fail "too many transactions"
"$XENBAKE" check "$DIR/site.xbb" >"$DIR/check" 2>&1 ||
	{ cat "$DIR/check"; fail "check right after apply (copy-back pending)"; }
xapi_py <<'PYEOF' || fail "XenAPI state after apply"
import time
# xapi's copy-back is asynchronous: the database follows the live tree
for _ in range(100):
    w = vm("web-01")
    if w["xenstore_data"].get("vm-data/net/ip") == "10.0.0.5":
        break
    time.sleep(0.1)
assert w["xenstore_data"]["vm-data/role"] == "frontend", w["xenstore_data"]
assert w["xenstore_data"]["vm-data/net/ip"] == "10.0.0.5", w["xenstore_data"]
import json, urllib.request
calls = json.load(urllib.request.urlopen(sys.argv[1] + "/sim/calls"))["calls"]
assert not any("xenstore_data" in c for c in calls), calls
oc = w["other_config"]
assert oc["owner"] == "ops" and oc["HideFromXenCenter"] == "true", oc
assert set(oc["xenbake-managed"].split("\n")) == {
    "uuid:" + w["uuid"], "other_config:HideFromXenCenter", "other_config:owner",
    "xenstore_data:vm-data/net/ip", "xenstore_data:vm-data/role"}, oc
assert find("network", "Storage network")["other_config"]["HideFromXenCenter"] == "true"
pifs = list(api.PIF.get_all_records().values())
assert all(p["other_config"].get("HideFromXenCenter") == "true"
           for p in pifs if p["device"] == "eth1"), pifs
sr = find("SR", "Local storage")["other_config"]
assert sr["i18n-key"] == "local-storage", sr
assert sr["i18n-original-value-name_label"] == "Local storage", sr
PYEOF
expect_eq "live role" "$(xs_get /local/domain/5/vm-data/role)" frontend
expect_eq "live ip" "$(xs_get /local/domain/5/vm-data/net/ip)" 10.0.0.5
"$XENBAKE" check "$DIR/site.xbb" >"$DIR/check" 2>&1 ||
	{ cat "$DIR/check"; fail "check after apply"; }

# again: nothing to do, nothing written (XenAPI nor xenstore)
sim_reset
trace_mark
"$XENBAKE" apply -v "$DIR/site.xbb" >"$DIR/out" 2>"$DIR/err" || fail "second apply"
expect_eq "second apply" "$(cat "$DIR/out")" "No changes."
for op in TRANSACTION_START WRITE RM SET_PERMS MKDIR; do
	expect_eq "second apply $op" "$(trace_count $op)" 0
done
expect_eq "XenAPI writes of the second apply" "$(sim_writes)" 0

# an edit: only the difference
compile site2 <<'XB'
vm "web-01" {
    vm-data "role" = "backend";
    vm-data "net/ip" = "10.0.0.5";
    other-config "owner" = "ops";
    hide-from-xencenter;
}
network "Storage network" { hide-from-xencenter; }
pif "eth1" { hide-from-xencenter; }
sr "Local storage" { i18n-key local-storage; }
XB
"$XENBAKE" plan "$DIR/site2.xbb" >"$DIR/plan" 2>&1 || true
grep -q '^Plan: 0 to add, 1 to change, 0 to remove\.$' "$DIR/plan" ||
	{ cat "$DIR/plan"; fail "edit plan"; }
sim_reset
"$XENBAKE" apply -v "$DIR/site2.xbb" >"$DIR/out" 2>"$DIR/err" ||
	{ cat "$DIR/out" "$DIR/err"; fail "edit apply"; }
expect_eq "XenAPI writes of the edit" "$(sim_writes)" 0
grep -q '(0 XenAPI writes, 1 xenstore transaction)' "$DIR/out" ||
	{ cat "$DIR/out"; fail "edit apply summary"; }
expect_eq "live role after edit" "$(xs_get /local/domain/5/vm-data/role)" backend
# xenbake wrote the one node, nothing else
grep -Eq 'xenstore: 1 transaction, [0-9]+ reads, 1 writes, 0 removes' \
	"$DIR/err" || { cat "$DIR/err"; fail "more than the changed node written"; }
xapi_py <<'PYEOF' || fail "XenAPI state after edit"
import time
for _ in range(100):
    if vm("web-01")["xenstore_data"]["vm-data/role"] == "backend":
        break
    time.sleep(0.1)
assert vm("web-01")["xenstore_data"]["vm-data/role"] == "backend"
PYEOF
"$XENBAKE" check "$DIR/site2.xbb" >/dev/null 2>&1 || fail "check after edit"
echo PASS
