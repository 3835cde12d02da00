#!/bin/sh
# SPDX-License-Identifier: MIT
# Pool-shaped selectors on the realistic 3-host pool (tests/sim/pool3.json,
# served as xs-01): `sr "Local storage"` is the installer SR of each host
# (three SRs of one name, each local to its own host), `sr "..." host "H"`
# one of them, `pif "eth1"` the physical eth1 of each host and none of the
# VLAN PIFs on it, `pif "eth1" vlan T [host "H"]` those; read back through
# XenAPI.py. A shared name (SRs not host-local) stays an error. Then each
# example (examples/*/) on that pool plus the example's own VMs, and the
# README's first file and pool section: plan or apply, check, and a second
# apply that changes nothing.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
POOL=$top_srcdir/tests/sim/pool3.json
MERGE=$top_srcdir/tests/runtime/pool3-merge.py
export SANDBOX_HOST=xs-01

"$PY" "$MERGE" "$POOL" >"$DIR/pool.json" || fail "pool3-merge.py"
sandbox_up "$DIR/pool.json"
compile sel <<'XB'
sr "Local storage" { i18n-key local-storage; other-config "tier" = "local"; }
sr "Local storage" host "xs-02" { other-config "rack" = "r2"; }
pif "eth1" { other-config "role" = "trunk"; }
pif "eth1" vlan 30 { other-config "vlan" = "30"; }
pif "eth1" vlan 20 host "xs-02" { other-config "vlan" = "20"; }
pif "eth1" vlan 99 optional { other-config "vlan" = "99"; }
XB
"$XENBAKE" dump "$DIR/sel.xbb" >"$DIR/sel-dump.xb"
"$XENBAKEC" -o "$DIR/sel2.xbb" "$DIR/sel-dump.xb" || fail "dump does not compile"
cmp -s "$DIR/sel.xbb" "$DIR/sel2.xbb" || fail "dump does not round-trip"

rc=0; "$XENBAKE" plan "$DIR/sel.xbb" >"$DIR/plan" 2>&1 || rc=$?
expect_eq "plan" $rc 2
grep -q 'pif "eth1" vlan 99 optional\|pif "eth1" vlan 99.*optional' "$DIR/plan" ||
	{ cat "$DIR/plan"; fail "no note for the optional VLAN 99"; }
"$XENBAKE" apply "$DIR/sel.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "apply"; }
"$XENBAKE" check "$DIR/sel.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "check"; }
xapi_py >"$DIR/state" <<'PYEOF' || fail "reading back"
hosts = {r: h["name_label"] for r, h in api.host.get_all_records().items()}
pbds = api.PBD.get_all_records()
for ref, sr in sorted(api.SR.get_all_records().items(),
                      key=lambda kv: (kv[1]["name_label"],
                                      sorted(hosts[pbds[p]["host"]] for p in kv[1]["PBDs"]))):
    on = ",".join(sorted(hosts[pbds[p]["host"]] for p in sr["PBDs"]))
    oc = sr["other_config"]
    print("sr", sr["name_label"], on, oc.get("tier", "-"), oc.get("rack", "-"))
for ref, pif in sorted(api.PIF.get_all_records().items(),
                       key=lambda kv: (hosts[kv[1]["host"]], kv[1]["device"], int(kv[1]["VLAN"]))):
    oc = pif["other_config"]
    print("pif", hosts[pif["host"]], pif["device"], pif["VLAN"],
          oc.get("role", "-"), oc.get("vlan", "-"))
PYEOF
cat >"$DIR/want" <<'EOF2'
sr DVD drives xs-01 - -
sr DVD drives xs-02 - -
sr DVD drives xs-03 - -
sr Local storage xs-01 local -
sr Local storage xs-02 local r2
sr Local storage xs-03 local -
sr Removable storage xs-01 - -
sr Removable storage xs-02 - -
sr Removable storage xs-03 - -
pif xs-01 eth0 -1 - -
pif xs-01 eth1 -1 trunk -
pif xs-01 eth1 20 - -
pif xs-01 eth1 30 - 30
pif xs-02 eth0 -1 - -
pif xs-02 eth1 -1 trunk -
pif xs-02 eth1 20 - 20
pif xs-02 eth1 30 - 30
pif xs-03 eth0 -1 - -
pif xs-03 eth1 -1 trunk -
pif xs-03 eth1 20 - -
pif xs-03 eth1 30 - 30
EOF2
diff -u "$DIR/want" "$DIR/state" || fail "the pool is not as the selectors say"
"$XENBAKE" apply "$DIR/sel.xbb" >"$DIR/out" 2>"$DIR/err" || fail "second apply"
expect_eq "second apply" "$(cat "$DIR/out")" "No changes."

# two SRs of one name on one host, or a shared one beside a local one:
# not "one per host", so ambiguous; by host it is one again
xapi_py <<'PYEOF' || fail "renaming"
for ref, sr in api.SR.get_all_records().items():
    if sr["name_label"] == "DVD drives":
        api.SR.set_name_label(ref, "Removable storage")
PYEOF
compile amb <<'XB'
sr "Removable storage" { other-config "k" = "v"; }
XB
rc=0; "$XENBAKE" plan "$DIR/amb.xbb" >"$DIR/out" 2>&1 || rc=$?
expect_eq "plan of an ambiguous SR" $rc 1
grep -q '6 SRs match (.*); select one by host (sr "NAME" host "HOST") or by uuid' "$DIR/out" ||
	{ cat "$DIR/out"; fail "the ambiguity is not explained"; }
compile amb2 <<'XB'
sr "Removable storage" host "xs-03" { other-config "k" = "v"; }
XB
rc=0; "$XENBAKE" plan "$DIR/amb2.xbb" >"$DIR/out" 2>&1 || rc=$?
expect_eq "plan of two SRs on xs-03" $rc 1
grep -q '2 SRs match' "$DIR/out" || { cat "$DIR/out"; fail "two on one host"; }
compile nohost <<'XB'
sr "Local storage" host "xs-09" { other-config "k" = "v"; }
XB
rc=0; "$XENBAKE" plan "$DIR/nohost.xbb" >"$DIR/out" 2>&1 || rc=$?
expect_eq "plan with an unknown host" $rc 1
grep -q 'no host is named "xs-09"' "$DIR/out" || { cat "$DIR/out"; fail "unknown host"; }
"$SANDBOX/down" "$DIR/sb" >/dev/null 2>&1 || true

# every example on the pool, with its own VMs
found=0
for ex in "$top_srcdir"/examples/*/; do
	[ -f "$ex/host.json" ] || continue
	name=$(basename "$ex")
	src=$ex/$name.xb
	[ -f "$src" ] || src=$ex/site.xb
	[ -f "$src" ] || continue
	found=$((found + 1))
	"$XENBAKEC" -o "$DIR/$name.xbb" "$src" || fail "$name: does not compile"
	"$PY" "$MERGE" "$POOL" "$ex/host.json" >"$DIR/pool.json" ||
		fail "$name: pool3-merge.py"
	"$SANDBOX/down" "$DIR/sb" >/dev/null 2>&1 || true
	sandbox_up "$DIR/pool.json"
	rc=0; "$XENBAKE" plan "$DIR/$name.xbb" >"$DIR/plan" 2>&1 || rc=$?
	[ $rc -eq 2 ] || { cat "$DIR/plan"; fail "$name: plan exit $rc, want 2"; }
	"$XENBAKE" apply "$DIR/$name.xbb" >"$DIR/out" 2>&1 ||
		{ cat "$DIR/out"; fail "$name: apply on the pool"; }
	"$XENBAKE" check "$DIR/$name.xbb" >"$DIR/out" 2>&1 ||
		{ cat "$DIR/out"; fail "$name: check after apply"; }
	"$XENBAKE" apply "$DIR/$name.xbb" >"$DIR/out" 2>"$DIR/err" ||
		fail "$name: second apply"
	expect_eq "$name: second apply" "$(cat "$DIR/out")" "No changes."
done
[ "$found" -ge 3 ] || fail "only $found examples found"

# the README's first file and its pool section, on the pool plus the VM
# and network the first file names
cat >"$DIR/readme-host.json" <<'EOF2'
{"hosts": [], "networks": [{"uuid": "4e700000-0000-4000-8000-0000000000aa",
  "name_label": "Storage network", "other_config": {}}],
 "vms": [{"uuid": "5e1f0000-0000-4000-8000-0000000000aa", "name_label": "web-01",
  "power_state": "Running", "domid": 5, "is_a_template": false,
  "is_control_domain": false, "xenstore_data": {}, "other_config": {}}]}
EOF2
"$PY" "$MERGE" "$POOL" "$DIR/readme-host.json" >"$DIR/pool.json" || fail "merge"
"$SANDBOX/down" "$DIR/sb" >/dev/null 2>&1 || true
sandbox_up "$DIR/pool.json"
for part in "## A first file" "### Pool-shaped selectors"; do
	awk -v h="$part" 'index($0, h) == 1 { on = 1; next }
		on && /^```$/ && inblock { exit }
		on && /^```$/ { inblock = 1; next }
		inblock { print }' "$top_srcdir/README.md" >"$DIR/readme.xb"
	[ -s "$DIR/readme.xb" ] || fail "no code under '$part' in the README"
	"$XENBAKEC" -o "$DIR/readme.xbb" "$DIR/readme.xb" ||
		fail "README '$part' does not compile"
	"$XENBAKE" apply "$DIR/readme.xbb" >"$DIR/out" 2>&1 ||
		{ cat "$DIR/out"; fail "README '$part': apply on the pool"; }
	"$XENBAKE" check "$DIR/readme.xbb" >"$DIR/out" 2>&1 ||
		{ cat "$DIR/out"; fail "README '$part': check"; }
	"$XENBAKE" apply "$DIR/readme.xbb" >"$DIR/out" 2>"$DIR/err" ||
		fail "README '$part': second apply"
	expect_eq "README '$part': second apply" "$(cat "$DIR/out")" "No changes."
done
echo "PASS"
