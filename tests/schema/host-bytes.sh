#!/bin/sh
# SPDX-License-Identifier: MIT
# A host value that is not UTF-8 (any guest can write one into its own
# vm-data) must still give valid JSON: RFC 8259 text is UTF-8, and
# xenbakec --diagnostics=json already prints such bytes as U+FFFD.
# xenbake --json, like the receipts, writes such a byte as the code point of
# the same number (\u00ff), so it can be told apart and recovered; its text
# output shows it as \xff.
. "$(dirname "$0")/../runtime/lib.sh"
"$PY" -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema not installed"
sandbox_up "$(fixture)"
# host_value PRINTF-FORMAT: web-01's live vm-data/role := those bytes
# (xenstore-write takes any but NUL; it reads a backslash as an escape)
host_value() {
	xenstore-write /local/domain/5/vm-data/role "$(printf "$1")"
}
compile site <<'XB'
vm "web-01" { vm-data "role" = "tab\t newline\n quote\" backslash\\ é"; }
XB
"$XENBAKE" apply --no-xapi "$DIR/site.xbb" >/dev/null 2>&1 || fail "apply"
# the escapes the configuration holds come back as they were written
rc=0; "$XENBAKE" check --no-xapi --json "$DIR/site.xbb" >"$DIR/matches.json" || rc=$?
expect_eq "check exit" $rc 0
host_value 'tab\t newline\n quote" \303\251 \001, tampered'
rc=0; "$XENBAKE" check --no-xapi --json "$DIR/site.xbb" >"$DIR/drift.json" || rc=$?
expect_eq "check exit (drift)" $rc 2
"$PY" - "$DIR/drift.json" <<'PYEOF' || fail "escaped value"
import json, sys
c = json.load(open(sys.argv[1], encoding="utf-8"))["changes"][0]
assert c["new"] == 'tab\t newline\n quote" backslash\\ é', c
assert c["old"] == 'tab\t newline\n quote" \u00e9 \u0001, tampered', c
PYEOF
host_value 'not \377 UTF-8'
rc=0; "$XENBAKE" check --no-xapi --json "$DIR/site.xbb" >"$DIR/bytes.json" || rc=$?
expect_eq "check exit (drift, bytes)" $rc 2
CHECK="$PY $top_srcdir/tests/schema/check-json.py $top_srcdir/schema/plan.schema.json"
$CHECK "$DIR/matches.json" "$DIR/drift.json" || fail "check --json does not match the schema"
rc=0; $CHECK "$DIR/bytes.json" 2>"$DIR/err" || rc=$?
[ $rc -eq 0 ] || { cat "$DIR/err" >&2; fail "check --json with a non-UTF-8 host value"; }
"$PY" - "$DIR/bytes.json" <<'PYEOF' || fail "non-UTF-8 byte in --json"
import json, sys
c = json.load(open(sys.argv[1], encoding="utf-8"))["changes"][0]
assert c["old"] == "not \u00ff UTF-8", c
PYEOF
# the same plan as text: the byte shown, not copied raw to the terminal
rc=0; "$XENBAKE" plan --no-xapi "$DIR/site.xbb" >"$DIR/plan.txt" 2>&1 || rc=$?
grep -qF '"not \xff UTF-8" -> "tab\t newline\n quote\" backslash\\ é"' "$DIR/plan.txt" ||
	{ cat "$DIR/plan.txt" >&2; fail "plan text with a non-UTF-8 host value"; }
if LC_ALL=C grep -q "$(printf '\377')" "$DIR/plan.txt"; then
	fail "plan text copies the raw byte"
fi
echo PASS
