#!/bin/sh
# SPDX-License-Identifier: MIT
# `match` and `tag` selectors on the realistic 3-host pool
# (tests/sim/pool3.json):
# a pattern selects every object of its class whose name (a PIF's device)
# it matches, and never a template, snapshot or control domain; plan notes
# what each pattern matched; a pattern that matches nothing is an error
# unless optional; a second apply changes nothing; and the blob round-trips
# through dump. Read back with XenAPI.py.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
export SANDBOX_HOST=xs-01

# pool3-merge.py: the pool without its root password, as on dom0's socket
"$PY" "$top_srcdir/tests/runtime/pool3-merge.py" "$top_srcdir/tests/sim/pool3.json" \
	>"$DIR/pool.json" || fail "pool3-merge.py"
sandbox_up "$DIR/pool.json"
compile sel <<'XB'
vm match "*" { other-config "all" = "yes"; }
vm match "web-0[12]-?" { other-config "tier" = "web"; }
vm match "db-*" { other-config "tier" = "db"; }
vm match "lab-*" optional { other-config "tier" = "lab"; }
pif match "eth*" { other-config "seen" = "yes"; }
XB
"$XENBAKE" dump "$DIR/sel.xbb" >"$DIR/sel-dump.xb"
grep -q '^vm match "web-0\[12\]-?" {' "$DIR/sel-dump.xb" ||
	{ cat "$DIR/sel-dump.xb"; fail "dump does not print the pattern"; }
"$XENBAKEC" -o "$DIR/sel2.xbb" "$DIR/sel-dump.xb" || fail "dump does not compile"
cmp -s "$DIR/sel.xbb" "$DIR/sel2.xbb" || fail "dump does not round-trip"

rc=0; "$XENBAKE" plan "$DIR/sel.xbb" >"$DIR/plan" 2>&1 || rc=$?
[ $rc -eq 2 ] || { cat "$DIR/plan"; fail "plan exit $rc"; }
grep -q 'vm match "web-0\[12\]-?" matches 4 VMs: "web-01-1", "web-01-2", "web-02-1", "web-02-2"$' "$DIR/plan" ||
	{ cat "$DIR/plan"; fail "plan does not name what the pattern matched"; }
grep -q 'vm match "lab-\*" is optional and matches nothing: skipped' "$DIR/plan" ||
	{ cat "$DIR/plan"; fail "no note for the optional pattern"; }
"$XENBAKE" apply "$DIR/sel.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "apply"; }
"$XENBAKE" check "$DIR/sel.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "check"; }
xapi_py >"$DIR/state" <<'PYEOF' || fail "reading back"
for ref, vm in sorted(api.VM.get_all_records().items(),
                      key=lambda kv: kv[1]["name_label"]):
    oc = vm["other_config"]
    print("vm", vm["name_label"], oc.get("all", "-"), oc.get("tier", "-"))
hosts = {r: h["name_label"] for r, h in api.host.get_all_records().items()}
for ref, pif in sorted(api.PIF.get_all_records().items(),
                       key=lambda kv: (hosts[kv[1]["host"]], kv[1]["device"], int(kv[1]["VLAN"]))):
    print("pif", hosts[pif["host"]], pif["device"], pif["VLAN"],
          pif["other_config"].get("seen", "-"))
PYEOF
cat >"$DIR/want" <<'EOF2'
vm Control domain on host: xs-01 - -
vm Control domain on host: xs-02 - -
vm Control domain on host: xs-03 - -
vm Debian Bookworm 12 - -
vm Other install media - -
vm Rocky Linux 9 - -
vm Windows Server 2022 (64-bit) - -
vm db-01 yes db
vm db-01 before upgrade - -
vm db-02 yes db
vm paused-01 yes -
vm web-01-1 yes web
vm web-01-2 yes web
vm web-02-1 yes web
vm web-02-2 yes web
vm web-03-1 yes -
vm web-03-2 yes -
pif xs-01 eth0 -1 yes
pif xs-01 eth1 -1 yes
pif xs-01 eth1 20 -
pif xs-01 eth1 30 -
pif xs-02 eth0 -1 yes
pif xs-02 eth1 -1 yes
pif xs-02 eth1 20 -
pif xs-02 eth1 30 -
pif xs-03 eth0 -1 yes
pif xs-03 eth1 -1 yes
pif xs-03 eth1 20 -
pif xs-03 eth1 30 -
EOF2
diff -u "$DIR/want" "$DIR/state" || fail "the pool is not as the patterns say"
"$XENBAKE" apply "$DIR/sel.xbb" >"$DIR/out" 2>"$DIR/err" || fail "second apply"
expect_eq "second apply" "$(cat "$DIR/out")" "No changes."

# a pattern that matches nothing, not optional: an error at plan time
compile none <<'XB'
vm match "lab-*" { other-config "tier" = "lab"; }
XB
rc=0; "$XENBAKE" plan "$DIR/none.xbb" >"$DIR/out" 2>&1 || rc=$?
expect_eq "plan of a pattern that matches nothing" $rc 1
grep -q 'vm match "lab-\*": no VM has a name this pattern matches' "$DIR/out" ||
	{ cat "$DIR/out"; fail "the empty match is not explained"; }
grep -q 'pif match "eth\*" matches 6 PIFs: "eth0" on xs-01, "eth1" on xs-01, "eth0" on xs-02, ' "$DIR/plan" ||
	{ cat "$DIR/plan"; fail "PIFs are not named with their host"; }
# vm tag "T": every VM that carries the tag, never a template or snapshot
# that carries it too; a tag nobody carries is an error unless optional
xapi_py <<'PYEOF' || fail "tagging"
for ref, vm in api.VM.get_all_records().items():
    if vm["name_label"] in ("db-02", "web-03-1", "Debian Bookworm 12",
                            "db-01 before upgrade"):
        api.VM.add_tags(ref, "gpu")
PYEOF
compile tagged <<'XB'
vm tag "gpu" { other-config "gpu" = "yes"; }
vm tag "fpga" optional { other-config "fpga" = "yes"; }
XB
"$XENBAKE" dump "$DIR/tagged.xbb" >"$DIR/tagged-dump.xb"
grep -q '^vm tag "gpu" {' "$DIR/tagged-dump.xb" ||
	{ cat "$DIR/tagged-dump.xb"; fail "dump does not print the tag selector"; }
"$XENBAKEC" -o "$DIR/tagged2.xbb" "$DIR/tagged-dump.xb" &&
	cmp -s "$DIR/tagged.xbb" "$DIR/tagged2.xbb" || fail "tag selector does not round-trip"
rc=0; "$XENBAKE" plan "$DIR/tagged.xbb" >"$DIR/plan" 2>&1 || rc=$?
[ $rc -eq 2 ] || { cat "$DIR/plan"; fail "plan of tagged exit $rc"; }
grep -q 'vm tag "gpu" matches 2 VMs: "web-03-1", "db-02"$\|vm tag "gpu" matches 2 VMs: "db-02", "web-03-1"$' "$DIR/plan" ||
	{ cat "$DIR/plan"; fail "plan does not name the tagged VMs"; }
"$XENBAKE" apply "$DIR/tagged.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "apply tagged"; }
xapi_py >"$DIR/state" <<'PYEOF' || fail "reading back"
print(" ".join(sorted(v["name_label"] for v in api.VM.get_all_records().values()
                      if v["other_config"].get("gpu") == "yes")))
PYEOF
expect_eq "VMs the tag selected" "$(cat "$DIR/state")" "db-02 web-03-1"
"$XENBAKE" apply "$DIR/tagged.xbb" >"$DIR/out" 2>"$DIR/err" || fail "second apply tagged"
expect_eq "second apply tagged" "$(cat "$DIR/out")" "No changes."
compile notag <<'XB'
vm tag "fpga" { other-config "fpga" = "yes"; }
XB
rc=0; "$XENBAKE" plan "$DIR/notag.xbb" >"$DIR/out" 2>&1 || rc=$?
expect_eq "plan of a tag nobody carries" $rc 1
grep -q 'vm tag "fpga": no VM carries this tag' "$DIR/out" ||
	{ cat "$DIR/out"; fail "the missing tag is not explained"; }
echo "match.sh: ok"
