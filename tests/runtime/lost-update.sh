#!/bin/sh
# SPDX-License-Identifier: MIT
# No lost updates (issue 12): another XenAPI client adds keys to the maps
# xenbake writes, between xenbake's read (get_all_records) and its writes
# (the simulator's after: rule runs its calls there, deterministically):
# a running VM's and a halted VM's other_config, the halted VM's
# xenstore_data, an SR's, a network's and a PIF's other_config, and a VM's
# tags. Every one
# of their keys survives, and xenbake's keys are as the config says: on a
# first apply, on one that changes a value and drops a managed key, when
# the other client takes a key the config names, and when a fault sets the
# apply back. A whole-map set_ computed from the read would delete them.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
"$PY" - "$(fixture)" "$DIR/race.json" <<'PYEOF'
import json, sys
fx = json.load(open(sys.argv[1]))
fx["vms"].append({"uuid": "5e1f0000-0000-4000-8000-000000000009",
                  "name_label": "batch-01", "power_state": "Halted",
                  "domid": -1, "is_a_template": False,
                  "is_control_domain": False,
                  "xenstore_data": {"vm-data/seed": "kept"},
                  "other_config": {"folder": "/batch"}})
json.dump(fx, open(sys.argv[2], "w"))
PYEOF
sandbox_up "$DIR/race.json"

compile a <<'XB'
vm "web-01" { other-config "owner" = "ops"; }
vm "batch-01" { vm-data "role" = "batch"; vm-data "tier" = "2"; other-config "owner" = "ops"; other-config "gone" = "soon"; }
sr "Local storage" { other-config "tier" = "gold"; }
network "Storage network" { other-config "vlan" = "10"; }
pif "eth1" { other-config "mtu" = "9000"; }
XB
compile b <<'XB'
vm "web-01" { other-config "owner" = "dev"; }
vm "batch-01" { vm-data "role" = "batch"; vm-data "tier" = "3"; other-config "owner" = "dev"; other-config "mine" = "xenbake"; }
sr "Local storage" { other-config "tier" = "silver"; }
network "Storage network" { other-config "vlan" = "20"; }
pif "eth1" { other-config "mtu" = "1500"; }
XB

# race TAG [take]: after each class's next get_all_records, another client
# adds other_config "theirs-TAG" (and on batch-01 xenstore_data
# "vm-data/theirs-TAG") to every object the configs name; with take, it
# also adds batch-01's other_config "mine", a key the config b names
race() {
	RACE_TAG=$1 RACE_TAKE=${2:-} xapi_py <<'PYEOF' >"$DIR/rules"
import json, os
tag = os.environ["RACE_TAG"]
def ref(cls, label):
    return [r for r, v in getattr(api, cls).get_all_records().items()
            if v.get("name_label", v.get("device")) == label][0]
k = "theirs-" + tag
vm = [["VM.add_to_other_config", ref("VM", n), k, tag]
      for n in ("web-01", "batch-01")]
vm.append(["VM.add_to_xenstore_data", ref("VM", "batch-01"),
           "vm-data/" + k, tag])
if os.environ["RACE_TAKE"]:
    vm.append(["VM.add_to_other_config", ref("VM", "batch-01"), "mine",
               "someone"])
rules = {"VM": vm,
         "SR": [["SR.add_to_other_config", ref("SR", "Local storage"), k, tag]],
         "network": [["network.add_to_other_config",
                      ref("network", "Storage network"), k, tag]],
         "PIF": [["PIF.add_to_other_config", ref("PIF", "eth1"), k, tag]]}
for cls, calls in rules.items():
    print("after:%s.get_all_records#+1:%s" % (cls, json.dumps(calls)))
PYEOF
	while read -r rule; do sim_fault "$rule"; done <"$DIR/rules"
}
sim_clear() {
	"$PY" -c 'import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/sim/clear-faults", data=b"", method="POST"))' "$XENBAKE_XAPI"
}
# the maps as they are: "CLASS NAME FIELD KEY=VALUE ..." (no running
# VM's xenstore_data: xapi's copy of the live tree)
maps() {
	xapi_py <<'PYEOF'
for cls in ("VM", "SR", "network", "PIF"):
    for r in getattr(api, cls).get_all_records().values():
        name = r.get("name_label") if cls != "PIF" else r["device"]
        fields = ["other_config"]
        if cls == "VM" and r["power_state"] == "Halted":
            fields.append("xenstore_data")
        for f in fields:
            print(cls, name, f, " ".join("%s=%s" % kv for kv in
                                        sorted(r[f].items())).replace("\n", ","))
PYEOF
}
has() {   # has CLASS NAME FIELD KEY=VALUE: the map holds it
	grep -q "^$1 $2 $3 \(.* \)\?$4\( \|\$\)" "$DIR/maps" ||
		{ cat "$DIR/maps" >&2; fail "$5: $1 $2 $3 lacks $4"; }
}
hasnt() {
	! grep -q "^$1 $2 $3 \(.* \)\?$4=" "$DIR/maps" ||
		{ cat "$DIR/maps" >&2; fail "$5: $1 $2 $3 still has $4"; }
}
theirs() {   # theirs TAG WHAT: every key of race TAG is there
	for o in "VM web-01" "VM batch-01" "SR Local storage" \
		 "network Storage network" "PIF eth1"; do
		cls=${o%% *} name=${o#* }
		grep -q "^$cls $name other_config .*theirs-$1=$1" "$DIR/maps" ||
			{ cat "$DIR/maps" >&2; fail "$2: $o lost theirs-$1"; }
	done
	has VM batch-01 xenstore_data "vm-data/theirs-$1=$1" "$2"
}

# 1. a first apply, raced
race 1
"$XENBAKE" apply "$DIR/a.xbb" >"$DIR/out" 2>"$DIR/err" ||
	{ cat "$DIR/err" >&2; fail "apply a"; }
maps >"$DIR/maps"
theirs 1 "apply a"
has VM web-01 other_config owner=ops "apply a"
has VM batch-01 other_config owner=ops "apply a"
has VM batch-01 other_config gone=soon "apply a"
has VM batch-01 other_config folder=/batch "apply a"
has VM batch-01 xenstore_data vm-data/role=batch "apply a"
has VM batch-01 xenstore_data vm-data/tier=2 "apply a"
has VM batch-01 xenstore_data vm-data/seed=kept "apply a"
has SR "Local storage" other_config tier=gold "apply a"
has network "Storage network" other_config vlan=10 "apply a"
has PIF eth1 other_config mtu=9000 "apply a"
"$XENBAKE" check "$DIR/a.xbb" >"$DIR/out" 2>&1 ||
	{ cat "$DIR/out" >&2; fail "check a after a raced apply"; }

# 2. values changed, a managed key dropped, one added whose name the other
# client takes meanwhile (MAP_DUPLICATE_KEY: the config's value wins)
sim_clear
race 2 take
"$XENBAKE" apply "$DIR/b.xbb" >"$DIR/out" 2>"$DIR/err" ||
	{ cat "$DIR/err" >&2; fail "apply b"; }
maps >"$DIR/maps"
theirs 1 "apply b"
theirs 2 "apply b"
has VM web-01 other_config owner=dev "apply b"
has VM batch-01 other_config owner=dev "apply b"
hasnt VM batch-01 other_config gone "apply b"
has VM batch-01 other_config mine=xenbake "apply b"
has VM batch-01 other_config folder=/batch "apply b"
has VM batch-01 xenstore_data vm-data/tier=3 "apply b"
has VM batch-01 xenstore_data vm-data/seed=kept "apply b"
has SR "Local storage" other_config tier=silver "apply b"
has network "Storage network" other_config vlan=20 "apply b"
has PIF eth1 other_config mtu=1500 "apply b"
grep "^VM batch-01 other_config" "$DIR/maps" | grep -q "xenbake-managed=[^ ]*other_config:mine" &&
! grep "^VM batch-01 other_config" "$DIR/maps" | grep -q "xenbake-managed=[^ ]*other_config:gone" ||
	{ cat "$DIR/maps" >&2; fail "batch-01's managed record is not b's keys"; }
"$XENBAKE" check "$DIR/b.xbb" >"$DIR/out" 2>&1 ||
	{ cat "$DIR/out" >&2; fail "check b after a raced apply"; }

# 3. raced, then a fault on the last write: everything xenbake wrote is set
# back, and the other client's keys (old and new) stay
sim_clear
race 3
sim_fault 'fail:PIF.remove_from_other_config#+1:INTERNAL_ERROR:injected'
rc=0
"$XENBAKE" apply "$DIR/a.xbb" >"$DIR/out" 2>"$DIR/err" || rc=$?
expect_eq "apply a with a fault (rc)" $rc 1
grep -q 'set back: nothing was changed, the host is as it was' "$DIR/err" ||
	{ cat "$DIR/err" >&2; fail "no word of the restore"; }
maps >"$DIR/maps"
theirs 1 "set back"
theirs 2 "set back"
theirs 3 "set back"
has VM batch-01 other_config owner=dev "set back"
has VM batch-01 other_config mine=xenbake "set back"
hasnt VM batch-01 other_config gone "set back"
has VM batch-01 xenstore_data vm-data/tier=3 "set back"
has SR "Local storage" other_config tier=silver "set back"
has network "Storage network" other_config vlan=20 "set back"
has PIF eth1 other_config mtu=1500 "set back"
sim_clear
"$XENBAKE" check "$DIR/b.xbb" >"$DIR/out" 2>&1 ||
	{ cat "$DIR/out" >&2; fail "check b after the set-back"; }

# 4. tags, a set: another client tags web-01 between the read and the
# writes; its tag stays beside the one the config adds, and dropping the
# config's tag later removes only that one
compile t <<'XB'
vm "web-01" { tag "web"; }
XB
compile u <<'XB'
vm "web-01" { other-config "x" = "1"; }
XB
xapi_py <<'PYEOF' >"$DIR/rules"
import json
ref = [r for r, v in api.VM.get_all_records().items()
       if v["name_label"] == "web-01"][0]
print("after:VM.get_all_records#+1:%s" % json.dumps([["VM.add_tags", ref, "theirs"]]))
PYEOF
sim_fault "$(cat "$DIR/rules")"
"$XENBAKE" apply "$DIR/t.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out" >&2; fail "apply t"; }
sim_clear
tags() {
	xapi_py <<'PYEOF'
print(" ".join(sorted([v for v in api.VM.get_all_records().values()
                       if v["name_label"] == "web-01"][0]["tags"])))
PYEOF
}
expect_eq "tags after a raced apply" "$(tags)" "theirs web"
"$XENBAKE" apply "$DIR/u.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out" >&2; fail "apply u"; }
expect_eq "tags once the config drops its tag" "$(tags)" "theirs"
echo PASS
