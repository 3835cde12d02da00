#!/bin/sh
# SPDX-License-Identifier: MIT
# Reviewing a change (issue 15 point 2): the configuration identity ignores
# comments, layout and positions but not what is applied, and is the same
# in dump, plan --json, the receipt and status; `xenbake diff` names each
# object and key that differs, text and JSON, exit 0/2 like plan. And
# --json prints one object whatever the outcome.
. "$(dirname "$0")/../runtime/lib.sh"
"$PY" -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema not installed"
sandbox_up "$(fixture)"
compile old <<'XB'
vm "web-01" {
    vm-data "role" = "frontend";
    vm-data "tier" = "1";
}
vm "db-01" { vm-data "role" = "db"; }
XB
# the same configuration: comments, layout, order of statements
compile same <<'XB'
# the web tier

vm "db-01" {
        vm-data "role" = "db";   # primary
}
vm "web-01" { vm-data "tier" = "1"; vm-data "role" = "frontend"; }
XB
compile new <<'XB'
vm "web-01" {
    vm-data "role" = "backend";
    vm-data "site" = "lab-a";
}
vm "app-01" optional { vm-data "role" = "app"; }
XB

sha() { sha256sum "$1" | cut -d' ' -f1; }
ident() { sed -n '1s/^# xenbake dump, config identity \([0-9a-f]\{64\}\)$/\1/p' "$1"; }
[ "$(sha "$DIR/old.xbb")" != "$(sha "$DIR/same.xbb")" ] ||
	fail "the two files should differ in bytes"
"$XENBAKE" dump "$DIR/old.xbb" >"$DIR/old.dump"
"$XENBAKE" dump "$DIR/same.xbb" >"$DIR/same.dump"
"$XENBAKE" dump "$DIR/new.xbb" >"$DIR/new.dump"
id_old=$(ident "$DIR/old.dump")
[ -n "$id_old" ] || { head -1 "$DIR/old.dump"; fail "dump header"; }
expect_eq "identity, comments and layout only" "$(ident "$DIR/same.dump")" "$id_old"
[ "$(ident "$DIR/new.dump")" != "$id_old" ] || fail "new config, same identity"
[ "$id_old" != "$(sha "$DIR/old.xbb")" ] || fail "identity is the file's sha256"

# diff: nothing between old and same
rc=0; "$XENBAKE" diff "$DIR/old.xbb" "$DIR/same.xbb" >"$DIR/d0" || rc=$?
expect_eq "diff exit (same)" $rc 0
expect_eq "diff (same)" "$(cat "$DIR/d0")" \
	"No differences: the same configuration (identity $id_old)."

rc=0; "$XENBAKE" diff "$DIR/old.xbb" "$DIR/new.xbb" >"$DIR/d1" || rc=$?
expect_eq "diff exit (differ)" $rc 2
cat >"$DIR/d1.want" <<EOF2
~ vm "web-01"
    ~ xenstore_data[vm-data/role]: "frontend" -> "backend"  (new.xb:2:5)
    + xenstore_data[vm-data/site]: "lab-a"  (new.xb:3:5)
    - xenstore_data[vm-data/tier]: "1"
- vm "db-01"
    - xenstore_data[vm-data/role]: "db"
+ vm "app-01" optional
    + xenstore_data[vm-data/role]: "app"  (new.xb:5:24)
Diff: 1 object added, 1 changed, 1 removed; 2 keys added, 1 changed, 2 removed.
Config identity: $id_old -> $(ident "$DIR/new.dump")
EOF2
sort "$DIR/d1" >"$DIR/d1.sorted"; sort "$DIR/d1.want" >"$DIR/d1.want.sorted"
cmp -s "$DIR/d1.sorted" "$DIR/d1.want.sorted" ||
	{ diff -u "$DIR/d1.want" "$DIR/d1" >&2 || true; fail "diff text"; }

rc=0; "$XENBAKE" diff --json "$DIR/old.xbb" "$DIR/new.xbb" >"$DIR/d1.json" || rc=$?
expect_eq "diff --json exit" $rc 2
"$PY" - "$DIR/d1.json" "$id_old" <<'PYEOF' || fail "diff --json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["command"] == "diff" and d["result"] == "different", d
assert d["old"]["identity"] == sys.argv[2], d
objs = {(o["class"], o["selector"]): o for o in d["objects"]}
assert objs[("vm", "db-01")]["op"] == "remove", objs
web = objs[("vm", "web-01")]
assert web["op"] == "change", web
ch = {c["key"]: c for c in web["changes"]}
assert ch["vm-data/role"]["old"] == "frontend" and ch["vm-data/role"]["new"] == "backend", ch
assert ch["vm-data/site"]["op"] == "add" and ch["vm-data/site"]["source"] == "new.xb:3:5", ch
assert ch["vm-data/tier"]["op"] == "remove" and ch["vm-data/tier"]["new"] is None, ch
assert d["summary"]["keys"] == {"add": 2, "change": 1, "remove": 2}, d["summary"]
PYEOF
rc=0; "$XENBAKE" diff --json "$DIR/old.xbb" "$DIR/missing.xbb" >"$DIR/d2.json" 2>/dev/null || rc=$?
expect_eq "diff exit (no blob)" $rc 1
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["result"]=="error" and d["errors"], d' \
	"$DIR/d2.json" || fail "diff --json prints one object on error"
# a source is compiled first, by the xenbakec beside xenbake: the same
# result as the blobs, and nothing left behind in TMPDIR
mkdir "$DIR/tmp"
rc=0; TMPDIR="$DIR/tmp" "$XENBAKE" diff "$DIR/old.xb" "$DIR/new.xbb" >"$DIR/d3" || rc=$?
expect_eq "diff exit (source)" $rc 2
"$XENBAKE" diff "$DIR/old.xbb" "$DIR/new.xbb" >"$DIR/d1b" || true
cmp -s "$DIR/d1b" "$DIR/d3" || { diff "$DIR/d1b" "$DIR/d3"; fail "diff of a source differs from the blob's"; }
rc=0; TMPDIR="$DIR/tmp" "$XENBAKE" diff "$DIR/same.xb" "$DIR/old.xb" >/dev/null || rc=$?
expect_eq "diff exit (two sources, same config)" $rc 0
[ -z "$(ls -A "$DIR/tmp")" ] || { ls -la "$DIR/tmp"; fail "diff left files behind"; }
# -I reaches xenbakec; a source that does not compile is an error
mkdir "$DIR/inc"
printf 'let role = "frontend";\n' >"$DIR/inc/roles.xb"
printf 'include "roles.xb";\nvm "web-01" { vm-data "role" = "${role}"; vm-data "tier" = "1"; }\nvm "db-01" { vm-data "role" = "db"; }\n' >"$DIR/incl.xb"
rc=0; "$XENBAKE" diff -I "$DIR/inc" "$DIR/old.xbb" "$DIR/incl.xb" >/dev/null || rc=$?
expect_eq "diff exit (-I)" $rc 0
printf 'vm "web-01" { vm-data "role" = "x" }\n' >"$DIR/bad.xb"
rc=0; "$XENBAKE" diff --json "$DIR/old.xbb" "$DIR/bad.xb" >"$DIR/d4.json" 2>"$DIR/err" || rc=$?
expect_eq "diff exit (source with errors)" $rc 1
grep -q 'bad.xb:1:' "$DIR/err" || { cat "$DIR/err"; fail "xenbakec's diagnostics on stderr"; }
grep -q 'bad.xb did not compile' "$DIR/err" || { cat "$DIR/err"; fail "diff names the source"; }
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["result"]=="error", d' \
	"$DIR/d4.json" || fail "diff --json: one object when a source does not compile"
rc=0; XENBAKEC=/nonexistent/xenbakec "$XENBAKE" diff "$DIR/old.xb" "$DIR/new.xbb" 2>"$DIR/err" >/dev/null || rc=$?
expect_eq "diff exit (no compiler)" $rc 1
grep -q 'could not be run' "$DIR/err" || { cat "$DIR/err"; fail "no compiler: said"; }

# the same identity in plan --json, the receipt and status
"$XENBAKE" plan --no-xapi --json "$DIR/same.xbb" >"$DIR/plan.json" 2>/dev/null || true
"$PY" - "$DIR/plan.json" "$id_old" "$top_srcdir/schema/plan.schema.json" <<'PYEOF' || fail "plan --json identity"
import json, sys, jsonschema
p = json.load(open(sys.argv[1]))
jsonschema.validate(p, json.load(open(sys.argv[3])))
assert p["identity"] == sys.argv[2], p
PYEOF
"$XENBAKE" apply --no-xapi "$DIR/old.xbb" >/dev/null 2>&1 || fail "apply"
"$PY" - "$XENBAKE_STATE_DIR/last-receipt.json" "$id_old" "$top_srcdir/schema/receipt.schema.json" <<'PYEOF' || fail "receipt identity"
import json, sys, jsonschema
r = json.load(open(sys.argv[1]))
jsonschema.validate(r, json.load(open(sys.argv[3])))
assert r["identity"] == sys.argv[2], r
PYEOF
"$XENBAKE" status --no-xapi >"$DIR/status" 2>&1 || { cat "$DIR/status"; fail "status"; }
grep -q "config identity $id_old" "$DIR/status" || { cat "$DIR/status"; fail "status identity"; }

# --json: one object whatever the outcome, even when nothing could be loaded
for cmd in plan check apply dump; do
	rc=0; "$XENBAKE" $cmd --no-xapi --json "$DIR/missing.xbb" >"$DIR/$cmd.json" 2>/dev/null || rc=$?
	expect_eq "$cmd --json exit (no blob)" $rc 1
	"$PY" - "$DIR/$cmd.json" "$cmd" "$top_srcdir/schema/plan.schema.json" <<'PYEOF' || fail "$cmd --json, no blob"
import json, sys, jsonschema
text = open(sys.argv[1]).read()
d = json.loads(text)             # exactly one value
assert d["command"] == sys.argv[2] and d["result"] == "error", d
assert d["errors"] and "missing.xbb" in d["errors"][0], d
if sys.argv[2] != "dump":
    jsonschema.validate(d, json.load(open(sys.argv[3])))
PYEOF
done
"$XENBAKE" dump --json "$DIR/new.xbb" >"$DIR/dump.json" || fail "dump --json"
"$PY" - "$DIR/dump.json" "$(ident "$DIR/new.dump")" <<'PYEOF' || fail "dump --json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["result"] == "ok" and d["identity"] == sys.argv[2], d
web = [o for o in d["objects"] if o["selector"] == "web-01"][0]
assert {(e["key"], e["value"], e["source"]) for e in web["entries"]} == \
    {("vm-data/role", "backend", "new.xb:2:5"), ("vm-data/site", "lab-a", "new.xb:3:5")}, web
PYEOF
rc=0; "$XENBAKE" status --json --state-dir "$DIR/nowhere" >"$DIR/st.json" 2>/dev/null || rc=$?
expect_eq "status --json exit (no receipt)" $rc 1
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["command"]=="status" and d["result"]=="error" and d["errors"], d' \
	"$DIR/st.json" || fail "status --json, no receipt"
echo PASS
