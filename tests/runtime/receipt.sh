#!/bin/sh
# SPDX-License-Identifier: MIT
# Receipts: every apply (applied, nothing to do, failed) leaves one JSON
# receipt that validates against schema/receipt.schema.json, with the blob's
# real SHA-256 and each change's outcome; `status` shows it and tells
# whether the host still matches (0), has drifted (2) or cannot say (1).
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
"$PY" -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema not installed"
sandbox_up "$(fixture)"
STATE=$XENBAKE_STATE_DIR
compile site <<'XB'
vm "web-01" { vm-data "role" = "frontend"; other-config "owner" = "ops"; }
sr "Local storage" { other-config "tier" = "gold"; }
network "Storage network" { hide-from-xencenter; }
XB

# receipt_py FILE <<'PY' ... PY: r is the receipt, validated first
receipt_py() {
	{
		cat <<'PYEOF'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
r = json.load(open(sys.argv[2]))
jsonschema.validate(r, schema)
PYEOF
		cat
	} >"$DIR/check.py"
	"$PY" "$DIR/check.py" "$top_srcdir/schema/receipt.schema.json" "$1" ||
		{ cat "$1"; fail "receipt $1"; }
}

"$XENBAKE" apply "$DIR/site.xbb" >"$DIR/out" 2>&1 ||
	{ cat "$DIR/out"; fail "apply"; }
[ -f "$STATE/last-receipt.json" ] || fail "no last-receipt.json"
[ "$(ls "$STATE/receipts" | wc -l)" -eq 1 ] || fail "not one receipt"
cmp "$STATE/last-receipt.json" "$STATE/receipts/"*.json ||
	fail "last-receipt.json is not the newest receipt"
[ "$(stat -c %a "$STATE")" = 700 ] || fail "state dir is not 0700"
# the blob's own hash, verified on load (header bytes 24..55), not the file's
sum=$("$PY" -c 'import sys; print(open(sys.argv[1], "rb").read()[24:56].hex())' "$DIR/site.xbb")
[ "$sum" != "$(sha256sum "$DIR/site.xbb" | cut -d' ' -f1)" ] || fail "test: the two hashes agree"
receipt_py "$STATE/last-receipt.json" <<PYEOF
assert r["result"] == "applied" and r["error"] is None, r["result"]
assert r["blobs"] == [{"path": "$DIR/site.xbb", "sha256": "$sum",
                       "owner": "default"}], r["blobs"]
keys = {(c["where"], c["field"], c["key"]): c for c in r["changes"]}
role = keys[("xenstore", "xenstore_data", "vm-data/role")]
assert role["new"] == "frontend" and role["old"] is None and role["domid"] == 5
assert role["source"].endswith("site.xb:1:15"), role["source"]
assert ("xapi", "other_config", "tier") in keys
assert all(c["outcome"] == "applied" for c in r["changes"])
assert r["summary"]["add"] >= 4, r["summary"]
# other_config of the VM, SR, network: the running VM's vm-data is live only
assert len(r["xapi_calls"]["writes"]) == 3, r["xapi_calls"]
assert not any("xenstore_data" in w for w in r["xapi_calls"]["writes"])
assert r["xapi_calls"]["count"] > 3
assert r["xenstore_requests"]["transactions"] == 1
assert r["xenstore_guests"] == [5]
PYEOF

# status: readable, raw with --json, and the host checked against the blob
rc=0; "$XENBAKE" status >"$DIR/status" 2>&1 || rc=$?
expect_eq "status after apply" $rc 0
grep -q "^Last apply: .*, applied (pid " "$DIR/status" || { cat "$DIR/status"; fail "status: no summary"; }
grep -q "^  blob $DIR/site.xbb\$" "$DIR/status" || { cat "$DIR/status"; fail "status: no blob"; }
grep -q "^       sha256 $sum\$" "$DIR/status" || { cat "$DIR/status"; fail "status: no sha256"; }
grep -q "^       owner default\$" "$DIR/status" || { cat "$DIR/status"; fail "status: no owner"; }
grep -q '^  applied  *+ vm web-01 \[domain 5\] vm-data/role: "frontend"' "$DIR/status" ||
	{ cat "$DIR/status"; fail "status: no change line"; }
grep -q "^Host: matches the config.\$" "$DIR/status" || { cat "$DIR/status"; fail "status: no match"; }
"$XENBAKE" status --json >"$DIR/status.json" 2>/dev/null || fail "status --json"
cmp "$DIR/status.json" "$STATE/last-receipt.json" || fail "status --json is not the receipt"

# drift: someone changes a key; status names it and exits 2
xenstore-write /local/domain/5/vm-data/role backend
rc=0; "$XENBAKE" status >"$DIR/status" 2>&1 || rc=$?
expect_eq "status after drift" $rc 2
grep -q '^drift: vm web-01 \[domain 5\] vm-data/role: host has "backend"' "$DIR/status" ||
	{ cat "$DIR/status"; fail "status: drift not named"; }
# ... and against another blob, given on the command line
compile other <<'XB'
vm "web-01" { vm-data "role" = "backend"; }
XB
rc=0; "$XENBAKE" status --no-xapi "$DIR/other.xbb" >"$DIR/status" 2>&1 || rc=$?
expect_eq "status against another blob" $rc 0
grep -q "^note: $DIR/other.xbb was not part of the last apply" "$DIR/status" ||
	{ cat "$DIR/status"; fail "status: no note on the other blob"; }
# the blob changed since: said so
cp "$DIR/site.xbb" "$DIR/site.xbb.orig"
cp "$DIR/other.xbb" "$DIR/site.xbb"
rc=0; "$XENBAKE" status >"$DIR/status" 2>&1 || rc=$?
grep -q "^note: $DIR/site.xbb has changed since the last apply" "$DIR/status" ||
	{ cat "$DIR/status"; fail "status: a changed blob is not noted"; }
cp "$DIR/site.xbb.orig" "$DIR/site.xbb"
# a receipt of an older xenbake names the blob by the file's sha256sum:
# the same blob, not a changed one
"$PY" - "$STATE/last-receipt.json" "$(sha256sum "$DIR/site.xbb" | cut -d' ' -f1)" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
r["blobs"][0]["sha256"] = sys.argv[2]
json.dump(r, open(sys.argv[1], "w"))
PYEOF
rc=0; "$XENBAKE" status >"$DIR/status" 2>&1 || rc=$?
grep -q "^note: " "$DIR/status" && { cat "$DIR/status"; fail "status: an older receipt's file sha256 is noted as a change"; }
# the host unreachable: status still shows the receipt, then exits 1
rc=0; XENSTORED_PATH=$DIR/nowhere "$XENBAKE" status >"$DIR/status" 2>&1 || rc=$?
expect_eq "status, host unreachable" $rc 1
grep -q "^Last apply: " "$DIR/status" && grep -q "^Host: not checked: cannot reach xenstored" "$DIR/status" ||
	{ cat "$DIR/status"; fail "status, host unreachable"; }

# nothing to do: a receipt too
"$XENBAKE" apply "$DIR/site.xbb" >/dev/null 2>&1 || fail "second apply"
"$XENBAKE" apply "$DIR/site.xbb" >/dev/null 2>&1 || fail "third apply"
receipt_py "$STATE/last-receipt.json" <<'PYEOF'
assert r["result"] == "no changes" and r["changes"] == [], r
PYEOF

# a XenAPI write fails: the writes made are set back; xenstore never
# started; the outcomes were checked on the host
xenstore-write /local/domain/5/vm-data/role backend
xapi_py <<'PYEOF'
v = vm("web-01")
oc = dict(v["other_config"]); oc["owner"] = "dev"
api.VM.set_other_config(api.VM.get_by_uuid(v["uuid"]), oc)
PYEOF
# (the changed value's remove_from_ goes through: it is set back too)
sim_fault 'fail:VM.add_to_other_config#+1:INTERNAL_ERROR:injected'
rc=0; "$XENBAKE" apply "$DIR/site.xbb" >/dev/null 2>"$DIR/err" || rc=$?
expect_eq "apply with a fault" $rc 1
receipt_py "$STATE/last-receipt.json" <<'PYEOF'
assert r["result"] == "error" and "INTERNAL_ERROR" in r["error"], r["error"]
assert r["verified"] is True
out = {(c["where"], c["key"]): c["outcome"] for c in r["changes"]}
assert out[("xapi", "owner")] == "rolled-back", out
assert out[("xenstore", "vm-data/role")] == "not-attempted", out
PYEOF

# the xenstore transaction fails (a conflict at every commit): the XenAPI
# write was made and set back, the transaction aborted
HOOKED=$top_builddir/tests/runtime/xenbake-hooks
if [ -x "$HOOKED" ]; then
	rc=0
	XENBAKE_TEST_HOOK_BEFORE_COMMIT="xenstore-write /local/domain/5/vm-data/role x\$XENBAKE_TEST_ATTEMPT" \
		"$HOOKED" apply "$DIR/site.xbb" >/dev/null 2>"$DIR/err" || rc=$?
	expect_eq "apply with a xenstore conflict every time" $rc 1
	receipt_py "$STATE/last-receipt.json" <<'PYEOF'
assert r["result"] == "error", r
out = {(c["where"], c["key"]): c["outcome"] for c in r["changes"]}
assert out[("xapi", "owner")] == "undone", out
assert out[("xenstore", "vm-data/role")] == "undone", out
assert r["xenstore_requests"]["transactions"] == 4, r["xenstore_requests"]
PYEOF
fi

# a blob that fails verification: receipt with no sha256 for it
printf 'not a blob' >"$DIR/bad.xbb"
rc=0; "$XENBAKE" apply "$DIR/bad.xbb" >/dev/null 2>&1 || rc=$?
expect_eq "apply of a bad blob" $rc 1
receipt_py "$STATE/last-receipt.json" <<PYEOF
assert r["result"] == "error" and r["changes"] == [], r
assert r["blobs"] == [{"path": "$DIR/bad.xbb", "sha256": None}], r["blobs"]
PYEOF

# bounded: the oldest receipts go
for i in $(seq 10 70); do
	: >"$STATE/receipts/20000101T0000$i.000000Z.json"
done
"$XENBAKE" apply "$DIR/site.xbb" >/dev/null 2>&1 || fail "apply with 61 old receipts"
expect_eq "receipts kept" "$(find "$STATE/receipts" -name '*.json' | wc -l)" 50
[ ! -e "$STATE/receipts/20000101T000010.000000Z.json" ] || fail "the oldest receipt was kept"
cmp -s "$STATE/last-receipt.json" "$(find "$STATE/receipts" -name '*.json' | sort | tail -n 1)" ||
	fail "last-receipt.json is not the newest receipt"
# written by rename: no temporary file left behind
expect_eq "temporary files" "$(find "$STATE" -name '.*' | wc -l)" 0
echo PASS
