#!/bin/sh
# SPDX-License-Identifier: MIT
# status (issue 15 point 4): the last apply and the last successful one,
# --all the history kept, and the blobs found from any directory.
. "$(dirname "$0")/../runtime/lib.sh"
sandbox_up "$(fixture)"
mkdir "$DIR/work"
compile site <<'XB'
vm "web-01" { vm-data "role" = "frontend"; }
XB
compile bad <<'XB'
vm "nobody" { vm-data "role" = "x"; }
XB
mv "$DIR/site.xbb" "$DIR/bad.xbb" "$DIR/work/"

# applied with a relative path, checked from elsewhere
(cd "$DIR/work" && "$XENBAKE" apply --no-xapi site.xbb >/dev/null 2>&1) ||
	fail "apply"
"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["blobs"][0]["path"] == sys.argv[2], r["blobs"]' \
	"$XENBAKE_STATE_DIR/last-receipt.json" "$DIR/work/site.xbb" ||
	fail "the receipt names the blob by a relative path"
rc=0; (cd / && "$XENBAKE" status) >"$DIR/status" 2>&1 || rc=$?
expect_eq "status from another directory" $rc 0
grep -q "^Host: matches the config.\$" "$DIR/status" || { cat "$DIR/status"; fail "status from /"; }
grep -q "^Last successful apply: the last one" "$DIR/status" && fail "said twice"
good_time=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["time"])' \
	"$XENBAKE_STATE_DIR/last-receipt.json")

# a failed apply does not hide the last good one
(cd "$DIR/work" && "$XENBAKE" apply --no-xapi bad.xbb >/dev/null 2>&1) &&
	fail "apply of bad.xbb succeeded"
rc=0; "$XENBAKE" status --no-xapi "$DIR/work/site.xbb" >"$DIR/status" 2>&1 || rc=$?
expect_eq "status after a failure" $rc 0
grep -q "^Last apply: .*, error (pid " "$DIR/status" || { cat "$DIR/status"; fail "last apply"; }
grep -q "^Last successful apply: $good_time  applied  *+1 ~0 -0  config [0-9a-f]\{12\}\$" "$DIR/status" ||
	{ cat "$DIR/status"; fail "last successful apply"; }

# --all: the history, oldest first; with --json one object
"$XENBAKE" status --all --no-xapi "$DIR/work/site.xbb" >"$DIR/all" 2>&1 || { cat "$DIR/all"; fail "status --all"; }
grep -q "^History (2 receipts kept, oldest first):\$" "$DIR/all" || { cat "$DIR/all"; fail "history head"; }
expect_eq "history lines" "$(grep -c '^  20[0-9-]*T' "$DIR/all")" 2
grep '^  20[0-9-]*T' "$DIR/all" | tail -1 | grep -q ' error  .*no running guest' ||
	{ cat "$DIR/all"; fail "history: the failure last, with its error"; }
"$XENBAKE" status --all --json --no-xapi "$DIR/work/site.xbb" >"$DIR/all.json" 2>/dev/null
"$PY" - "$DIR/all.json" "$top_srcdir/schema/receipt.schema.json" <<'PYEOF' || fail "status --all --json"
import json, sys
d = json.load(open(sys.argv[1]))     # one object, nothing after it
assert d["command"] == "status", d
assert [r["result"] for r in d["receipts"]] == ["applied", "error"], d
try:
    import jsonschema
    for r in d["receipts"]:
        jsonschema.validate(r, json.load(open(sys.argv[2])))
except ImportError:
    pass
PYEOF
# an unreadable receipt (the oldest) is named on stderr, the rest shown
echo 'not json' >"$XENBAKE_STATE_DIR/receipts/20000101T000000.000000Z.json"
"$XENBAKE" status --all --json --no-xapi "$DIR/work/site.xbb" >"$DIR/all.json" 2>"$DIR/err"
grep -q '20000101T000000.000000Z.json' "$DIR/err" || { cat "$DIR/err"; fail "bad receipt not named"; }
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["receipts"]) == 2, d' \
	"$DIR/all.json" || fail "status --all --json with an unreadable receipt"
rc=0; "$XENBAKE" plan --all "$DIR/work/site.xbb" 2>/dev/null || rc=$?
expect_eq "--all outside status" $rc 1
echo PASS
