#!/bin/sh
# SPDX-License-Identifier: MIT
# plan and check: exit codes, terraform-like lines, --json, drift naming
# the key and its source position, selector errors naming theirs.
. "$(dirname "$0")/../runtime/lib.sh"
sandbox_up "$(fixture)"
compile site <<'XB'
vm "web-01" {
    vm-data "role" = "frontend";
}
vm "ghost" optional { vm-data "x" = "1"; }
XB

rc=0; "$XENBAKE" plan --no-xapi "$DIR/site.xbb" >"$DIR/plan" 2>"$DIR/err" || rc=$?
expect_eq "plan exit (pending)" $rc 2
grep -q '^vm web-01  (5e1f0000-0000-4000-8000-000000000005)$' "$DIR/plan" ||
	{ cat "$DIR/plan"; fail "object head"; }
grep -q '^    + \[domain 5\] vm-data/role: "frontend"  (site.xb:2:5)$' \
	"$DIR/plan" || { cat "$DIR/plan"; fail "plan line"; }
grep -q '^Plan: 1 to add, 0 to change, 0 to remove\.$' "$DIR/plan" ||
	{ cat "$DIR/plan"; fail "plan summary"; }
grep -q 'site.xb:4:1: note: vm "ghost" is optional' "$DIR/err" ||
	{ cat "$DIR/err"; fail "optional note"; }
rc=0; "$XENBAKE" check --no-xapi "$DIR/site.xbb" >"$DIR/check" || rc=$?
expect_eq "check exit before apply" $rc 2
grep -q "$(printf '\033')" "$DIR/plan" && fail "colour into a file"
# colour on a terminal, none with NO_COLOR or TERM=dumb
"$PY" - "$XENBAKE" "$DIR/site.xbb" <<'PYEOF' || fail "plan colour on a terminal"
import os, pty, subprocess, sys
def plan(**env):
    m, s = pty.openpty()
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    e["TERM"] = "xterm"
    e.update(env)
    subprocess.run([sys.argv[1], "plan", "--no-xapi", sys.argv[2]], stdout=s,
                   stderr=subprocess.DEVNULL, env=e)
    os.close(s)
    out = b""
    while True:
        try:
            d = os.read(m, 65536)
        except OSError:
            break
        if not d:
            break
        out += d
    os.close(m)
    return out
out = plan()
assert b"\x1b[32m+ " in out and b"\x1b[1mvm" in out, out
assert b"\x1b" not in plan(NO_COLOR="1"), "NO_COLOR"
assert b"\x1b" not in plan(TERM="dumb"), "TERM=dumb"
assert b"\x1b[32m" in plan(NO_COLOR=""), "an empty NO_COLOR is unset"
PYEOF

rc=0; "$XENBAKE" plan --no-xapi --json "$DIR/site.xbb" >"$DIR/plan.json" 2>/dev/null || rc=$?
expect_eq "plan --json exit" $rc 2
"$PY" - "$DIR/plan.json" <<'PYEOF' || fail "plan --json"
import json, sys
p = json.load(open(sys.argv[1]))
assert p["result"] == "changes pending", p
assert p["summary"] == {"add": 1, "change": 0, "remove": 0}, p
c = [c for c in p["changes"] if not c["bookkeeping"]]
assert len(c) == 1 and c[0]["key"] == "vm-data/role" and c[0]["domid"] == 5, c
assert c[0]["new"] == "frontend" and c[0]["old"] is None, c
assert c[0]["source"] == "site.xb:2:5", c
assert p["xenstore_guests"] == [5] and p["xapi_calls"] == [], p
PYEOF

"$XENBAKE" apply --no-xapi "$DIR/site.xbb" >/dev/null 2>&1 || fail "apply"
rc=0; "$XENBAKE" plan --no-xapi "$DIR/site.xbb" >"$DIR/plan" 2>/dev/null || rc=$?
expect_eq "plan exit (nothing)" $rc 0
expect_eq "plan output" "$(cat "$DIR/plan")" "No changes."
rc=0; "$XENBAKE" check --no-xapi "$DIR/site.xbb" >"$DIR/check" 2>/dev/null || rc=$?
expect_eq "check exit (matches)" $rc 0

xenstore-write /local/domain/5/vm-data/role tampered
rc=0; "$XENBAKE" check --no-xapi "$DIR/site.xbb" >"$DIR/check" 2>/dev/null || rc=$?
expect_eq "check exit (drift)" $rc 2
grep -q 'vm-data/role: host has "tampered", config says "frontend" (site.xb:2:5)' \
	"$DIR/check" || { cat "$DIR/check"; fail "drift line"; }
rc=0; "$XENBAKE" plan --no-xapi "$DIR/site.xbb" >"$DIR/plan" 2>/dev/null || rc=$?
grep -q '^    ~ \[domain 5\] vm-data/role: "tampered" -> "frontend"' \
	"$DIR/plan" || { cat "$DIR/plan"; fail "change line"; }

compile bad <<'XB'
vm "web-01" { vm-data "a" = "1"; }
vm "nobody" { vm-data "a" = "1"; }
XB
rc=0; "$XENBAKE" plan --no-xapi "$DIR/bad.xbb" >/dev/null 2>"$DIR/err" || rc=$?
expect_eq "plan exit (no such VM)" $rc 1
grep -q 'bad.xb:2:1: vm "nobody": no running guest' "$DIR/err" ||
	{ cat "$DIR/err"; fail "selector error"; }
compile sr <<'XB'
sr "Local storage" { other-config "a" = "1"; }
XB
rc=0; "$XENBAKE" apply --no-xapi "$DIR/sr.xbb" >/dev/null 2>"$DIR/err" || rc=$?
expect_eq "apply exit (sr without xapi)" $rc 1
grep -q 'sr.xb:1:1: sr "Local storage": SRs can only be configured through XenAPI' \
	"$DIR/err" || { cat "$DIR/err"; fail "no-xapi error"; }

rc=0; "$XENBAKE" frobnicate "$DIR/site.xbb" 2>/dev/null || rc=$?
expect_eq "unknown command" $rc 1
"$XENBAKE" --help | grep -q 'xenbake apply' || fail "--help has no example"
"$XENBAKE" --version | grep -q '^xenbake ' || fail "--version"
echo PASS
