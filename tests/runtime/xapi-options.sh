#!/bin/sh
# SPDX-License-Identifier: MIT
# Options around XenAPI: --no-xenstore leaves xenstore alone, --xapi
# overrides XENBAKE_XAPI, an unreachable XenAPI is an error before any
# write, check --json names the drift, and a template or the control
# domain is never selected by name.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
sandbox_up "$(fixture)"
compile site <<'XB'
vm "web-01" { vm-data "role" = "frontend"; }
vm "db-01" { other-config "owner" = "dba"; }
XB

# nobody at this endpoint: exit 1, nothing written anywhere
trace_mark
rc=0
"$XENBAKE" apply --xapi http://127.0.0.1:1 "$DIR/site.xbb" >/dev/null 2>"$DIR/err" || rc=$?
expect_eq "exit with no XenAPI" $rc 1
grep -q '127.0.0.1:1' "$DIR/err" || { cat "$DIR/err"; fail "the endpoint is not named"; }
for op in TRANSACTION_START WRITE; do
	expect_eq "$op with no XenAPI" "$(trace_count $op)" 0
done
expect_eq "XenAPI writes" "$(sim_writes)" 0

# --xapi wins over XENBAKE_XAPI; --no-xenstore: no xenstore request at all
trace_mark
good=$XENBAKE_XAPI
XENBAKE_XAPI=http://127.0.0.1:1 "$XENBAKE" apply -v --no-xenstore --xapi "$good" \
	"$DIR/site.xbb" >"$DIR/out" 2>"$DIR/err" || { cat "$DIR/out" "$DIR/err"; fail "apply --no-xenstore"; }
grep -q 'xenstore:' "$DIR/err" && fail "--no-xenstore used xenstore"
grep -q '\[domain' "$DIR/out" && fail "--no-xenstore planned live nodes"
# a running VM's vm-data is the guest's, written only live: not with
# --no-xenstore, and said so (never VM.set_xenstore_data)
expect_eq "XenAPI writes" "$(sim_writes)" 3   # add_to_other_config, one a key
grep -q 'xenstore is not used (--no-xenstore).*not applied here' "$DIR/err" ||
	{ cat "$DIR/err"; fail "no note of the vm-data not applied"; }
"$XENBAKE" check --no-xenstore "$DIR/site.xbb" >/dev/null 2>&1 ||
	fail "check after apply"
"$XENBAKE" apply "$DIR/site.xbb" >/dev/null 2>&1 || fail "apply with xenstore"
"$XENBAKE" check "$DIR/site.xbb" >/dev/null 2>&1 || fail "check after apply"

# drift in XenAPI, as JSON
xapi_py <<'PYEOF'
ref = [r for r, v in api.VM.get_all_records().items() if v["name_label"] == "db-01"][0]
oc = api.VM.get_other_config(ref)
oc["owner"] = "someone-else"
api.VM.set_other_config(ref, oc)
PYEOF
rc=0; "$XENBAKE" check --json "$DIR/site.xbb" >"$DIR/check.json" 2>/dev/null || rc=$?
expect_eq "check exit (drift)" $rc 2
"$PY" - "$DIR/check.json" <<'PYEOF' || fail "check --json"
import json, sys
c = json.load(open(sys.argv[1]))
assert c["result"] == "drift", c
d = [x for x in c["changes"] if not x["bookkeeping"]]
assert len(d) == 1, d
assert (d[0]["object"], d[0]["field"], d[0]["key"]) == ("db-01", "other_config", "owner"), d
assert (d[0]["old"], d[0]["new"]) == ("someone-else", "dba"), d
assert d[0]["source"].startswith("site.xb:2:"), d
PYEOF
echo PASS
