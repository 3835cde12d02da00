#!/bin/sh
# SPDX-License-Identifier: MIT
# The JSON the programs really print, checked against the schemas they
# install (schema/*.schema.json): xenbakec --diagnostics=json on good and
# bad sources, and xenbake plan, check and apply --json against the sandbox
# host through every result each can give. A deliberately wrong document
# must be rejected, so a validator that accepts anything fails here too.
. "$(dirname "$0")/../runtime/lib.sh"
SCHEMA=$top_srcdir/schema
CHECK="$PY $top_srcdir/tests/schema/check-json.py"
"$PY" -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema not installed"

# valid SCHEMA NAME...: each $DIR/NAME.json must match
valid() {
	schema=$1; shift
	for doc in "$@"; do
		$CHECK "$SCHEMA/$schema.schema.json" "$DIR/$doc.json" ||
			{ cat "$DIR/$doc.json" >&2; fail "$doc.json does not match $schema.schema.json"; }
	done
}
# has NAME PYTHON-EXPRESSION: what the document must hold, beyond its shape
has() {
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert eval(sys.argv[2]), sys.argv[2]' "$DIR/$1.json" "$2" ||
		{ cat "$DIR/$1.json" >&2; fail "$1.json: $2"; }
}

# -- the negative controls: each breaks one rule the schemas state
echo '[{"file":"a.xb","line":0,"column":1,"severity":"fatal","check":"syntax","message":"m","hint":null,"notes":[]}]' >"$DIR/wrong-diag.json"
echo '{"command":"plan","result":"applied","changes":[],"xapi_calls":[],"xenstore_guests":[],"notes":[],"errors":[],"summary":{"add":0,"change":0,"remove":0}}' >"$DIR/wrong-plan.json"
echo '{"command":"plan"' >"$DIR/not-json.json"
for w in diagnostics:wrong-diag plan:wrong-plan plan:not-json; do
	rc=0; $CHECK "$SCHEMA/${w%%:*}.schema.json" "$DIR/${w#*:}.json" 2>"$DIR/err" || rc=$?
	expect_eq "${w#*:}.json rejected" $rc 1
	[ -s "$DIR/err" ] || fail "${w#*:}.json: rejected without saying why"
done
$CHECK "$SCHEMA/diagnostics.schema.json" "$DIR/wrong-diag.json" 2>&1 |
	grep -q '/0/severity' || fail "the error does not name the field"

# -- xenbakec --diagnostics=json
n=0
for f in "$top_srcdir"/examples/*/*.xb "$top_srcdir"/tests/compiler/all-statements.xb; do
	n=$((n + 1))
	"$XENBAKEC" --check --diagnostics=json -I "$top_srcdir/tests/compiler/inc/lib" \
		"$f" >"$DIR/good-$n.json" || fail "xenbakec rejected $f"
	valid diagnostics "good-$n"
	has "good-$n" 'all(x["severity"] == "warning" for x in d)'
done
for f in "$top_srcdir"/tests/compiler/bad/*.xb; do
	b=$(basename "$f" .xb)
	rc=0; "$XENBAKEC" --check --diagnostics=json "$f" >"$DIR/$b.json" || rc=$?
	valid diagnostics "$b"
	case $b in
	bad-*) expect_eq "$b exit" $rc 1; has "$b" 'any(x["severity"] == "error" for x in d)' ;;
	warn-*) has "$b" 'd and all(x["severity"] == "warning" for x in d)' ;;
	esac
done
# what the schema allows is really printed: notes, hints, both severities
"$PY" - "$DIR"/bad-*.json "$DIR"/warn-*.json <<'PYEOF' || fail "the bad sources exercise too little"
import json, sys
ds = [x for f in sys.argv[1:] for x in json.load(open(f))]
assert any(x["notes"] for x in ds), "no notes"
assert any(x["hint"] for x in ds) and any(x["hint"] is None for x in ds), "hints"
assert {x["severity"] for x in ds} == {"error", "warning"}
PYEOF

# -- xenbake plan, check, apply --json through XenAPI and xenstore
need_xapi
sandbox_up "$(fixture)"
compile site <<'XB'
vm "web-01" {
    vm-data "role" = "frontend";
    other-config "owner" = "ops";
}
vm "ghost" optional { vm-data "x" = "1"; }
network "Storage network" { other-config "mtu-note" = "jumbo"; }
sr "Local storage" { name-label "Fast disks"; }
XB
run() {   # run NAME WANT-EXIT COMMAND BLOB [OPTION...]
	name=$1 want=$2 cmd=$3 blob=$4; shift 4
	rc=0; "$XENBAKE" "$cmd" --json "$@" "$DIR/$blob.xbb" >"$DIR/$name.json" \
		2>"$DIR/$name.err" || rc=$?
	[ $rc -eq "$want" ] || { cat "$DIR/$name.json" "$DIR/$name.err" >&2;
		fail "$name: exit $rc, want $want"; }
	valid plan "$name"
}
run plan-pending 2 plan site
has plan-pending 'd["result"] == "changes pending" and d["notes"]'
has plan-pending '{(c["where"], c["field"]) for c in d["changes"]} >= {("xapi", "name_label"), ("xapi", "other_config"), ("xenstore", "xenstore_data")}'
has plan-pending 'd["xapi_calls"] and d["xenstore_guests"] == [5]'
run check-before 2 check site
has check-before 'd["result"] == "drift"'
run apply-applied 0 apply site
has apply-applied 'd["result"] == "applied" and d["summary"]["add"] >= 3'
run plan-nothing 0 plan site
has plan-nothing 'd["result"] == "no changes" and d["summary"] == {"add": 0, "change": 0, "remove": 0}'
run apply-nothing 0 apply site
has apply-nothing 'd["result"] == "no changes"'
run check-matches 0 check site
has check-matches 'd["result"] == "matches"'

xenstore-write /local/domain/5/vm-data/role tampered
run check-drift 2 check site
has check-drift 'any(c["op"] == "change" and c["old"] == "tampered" for c in d["changes"])'

# a key the configuration no longer names is removed
compile less <<'XB'
vm "web-01" { vm-data "role" = "frontend"; }
network "Storage network" { other-config "mtu-note" = "jumbo"; }
sr "Local storage" { name-label "Fast disks"; }
XB
run plan-remove 2 plan less
has plan-remove 'any(c["op"] == "remove" and c["key"] == "owner" for c in d["changes"])'

# xenstore alone: no XenAPI record, so no uuid from it
compile fresh <<'XB'
vm "db-01" { vm-data "role" = "db"; }
XB
run plan-no-xapi 2 plan fresh --no-xapi
has plan-no-xapi 'd["changes"] and all(c["where"] == "xenstore" and c["domid"] == 6 for c in d["changes"]) and d["xapi_calls"] == []'

# errors: a selector that finds nothing, then a XenAPI write that fails
compile nobody <<'XB'
vm "nobody" { vm-data "a" = "1"; }
XB
run plan-error 1 plan nobody
has plan-error 'd["result"] == "error" and d["errors"]'
run check-error 1 check nobody
sim_fault 'fail:VM.remove_from_other_config#+1:INTERNAL_ERROR:injected'
run apply-error 1 apply less
has apply-error 'd["result"] == "error" and any("INTERNAL_ERROR" in e for e in d["errors"])'
cp "$XENBAKE_STATE_DIR/last-receipt.json" "$DIR/receipt-error.json"
valid receipt receipt-error

# -- the receipt of an apply with an owner and a once key: both are
# marked (the blob's owner, each change's; "once" on the once key's write)
compile marked <<'XB'
owner "ops";
vm "web-01" { vm-data "token" = "t-1" once; vm-data "site" = "lab"; }
XB
"$XENBAKE" apply "$DIR/marked.xbb" >"$DIR/marked.out" 2>&1 ||
	{ cat "$DIR/marked.out" >&2; fail "apply marked"; }
cp "$XENBAKE_STATE_DIR/last-receipt.json" "$DIR/receipt-marked.json"
valid receipt receipt-marked
has receipt-marked '[b["owner"] for b in d["blobs"]] == ["ops"]'
has receipt-marked '[c["key"] for c in d["changes"] if c.get("once")] == ["vm-data/token"]'
# the negative control: "once" is true or absent, never false
"$PY" - "$DIR/receipt-marked.json" "$DIR/wrong-receipt.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
next(c for c in d["changes"] if c["key"] == "vm-data/site")["once"] = False
json.dump(d, open(sys.argv[2], "w"))
PYEOF
rc=0; $CHECK "$SCHEMA/receipt.schema.json" "$DIR/wrong-receipt.json" 2>"$DIR/err" || rc=$?
expect_eq "wrong-receipt.json rejected" $rc 1
echo PASS
