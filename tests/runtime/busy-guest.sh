#!/bin/sh
# SPDX-License-Identifier: MIT
# One guest cannot block the others (issue 12 point 4): a guest that keeps
# changing its vm-data makes every transaction that holds it conflict.
# After the shared transaction conflicted, the guests are retried apart;
# the one that still conflicts is given up, every other guest gets its
# keys. apply exits 3; stdout, stderr, --json and the receipt name the
# guest not written; its VM's XenAPI maps are set back (all or nothing per
# guest), no journal stays, and the next quiet run finishes it.
# 1. a test build's hook rewrites db-01's key before every commit of a
#    transaction that holds db-01 (deterministic);
# 2. a real guest writer, as domain 6 through its own ring, makes and
#    removes a node in its vm-data as fast as xenstored answers, on the
#    installed xenbake with no hook.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
HOOKED=$top_builddir/tests/runtime/xenbake-hooks
[ -x "$HOOKED" ] || skip "no tests/runtime/xenbake-hooks"
sandbox_up "$(fixture)"
STATE=$XENBAKE_STATE_DIR
compile site <<'XB'
vm "web-01" { vm-data "role" = "frontend"; other-config "owner" = "web"; }
vm "db-01" { vm-data "role" = "db"; other-config "owner" = "dba"; }
vm "app-01" { vm-data "role" = "app"; other-config "owner" = "app"; }
XB
owners() {
	xapi_py <<'PYEOF'
for n in ("web-01", "db-01", "app-01"):
    print(n, sorted(vm(n)["other_config"].items()))
PYEOF
}
owners >"$DIR/before"

# 1. deterministic: db-01 conflicts in every transaction that holds it
rc=0
XENBAKE_TEST_HOOK_BEFORE_COMMIT='case "$XENBAKE_TEST_DOMIDS" in *" 6 "*)
	xenstore-write /local/domain/6/vm-data/role intruder-$XENBAKE_TEST_ATTEMPT ;; esac' \
	"$HOOKED" apply --json "$DIR/site.xbb" >"$DIR/out" 2>"$DIR/err" || rc=$?
[ $rc -eq 3 ] || { cat "$DIR/out" "$DIR/err"; fail "apply exit $rc, want 3"; }
grep -q 'xenstore: 1 guest kept conflicting with other writers, even alone (2 attempts in its own transaction): vm db-01 (domain 6): its vm-data was not written; the 2 other guests got theirs; the XenAPI maps of their VMs were set back' "$DIR/err" ||
	{ cat "$DIR/err"; fail "stderr does not name the guest given up"; }
expect_eq "web-01 role" "$(xs_get /local/domain/5/vm-data/role)" frontend
expect_eq "app-01 role" "$(xs_get /local/domain/7/vm-data/role)" app
case $(xs_get /local/domain/6/vm-data/role) in
intruder-*) ;;
*) fail "db-01's role is not the guest's own: $(xs_get /local/domain/6/vm-data/role)" ;;
esac
[ ! -e "$STATE/journal" ] || fail "a journal stays after a partial apply"
owners >"$DIR/after"
grep -q "^web-01 .*('owner', 'web')" "$DIR/after" || { cat "$DIR/after"; fail "web-01 not written"; }
grep -q "^app-01 .*('owner', 'app')" "$DIR/after" || { cat "$DIR/after"; fail "app-01 not written"; }
expect_eq "db-01's other_config (set back)" "$(grep '^db-01' "$DIR/after")" \
	"$(grep '^db-01' "$DIR/before")"
"$PY" - "$top_srcdir/schema/plan.schema.json" "$DIR/out" <<'PYEOF' || { cat "$DIR/out"; fail "--json"; }
import json, sys, jsonschema
j = json.load(open(sys.argv[2]))
jsonschema.validate(j, json.load(open(sys.argv[1])))
assert j["result"] == "partial", j["result"]
assert len(j["errors"]) == 1 and "vm db-01 (domain 6)" in j["errors"][0], j["errors"]
PYEOF
receipt_py() {
	"$PY" - "$top_srcdir/schema/receipt.schema.json" "$STATE/last-receipt.json" ||
		{ cat "$STATE/last-receipt.json"; fail "receipt"; }
}
receipt_py <<'PYEOF'
import json, sys, jsonschema
r = json.load(open(sys.argv[2]))
jsonschema.validate(r, json.load(open(sys.argv[1])))
assert r["result"] == "partial", r["result"]
assert "vm db-01 (domain 6)" in r["error"], r["error"]
assert r["xenstore_guests"] == [5, 6, 7], r["xenstore_guests"]
assert r["xenstore_guests_not_written"] == [6], r["xenstore_guests_not_written"]
for c in r["changes"]:
    lost = c["object"] == "db-01"
    want = "undone" if lost else "applied"
    assert c["outcome"] == want, c
PYEOF
rc=0; "$XENBAKE" status >"$DIR/status" 2>&1 || rc=$?
grep -q '^Last apply: .*, partial ' "$DIR/status" &&
	grep -q '^xenstore: vm-data not written for domain 6$' "$DIR/status" ||
	{ cat "$DIR/status"; fail "status does not show the partial apply"; }
expect_eq "status exit after a partial apply (db-01 drifts)" $rc 2
# quiet again: the next run writes db-01, and only db-01
rc=0; "$XENBAKE" apply "$DIR/site.xbb" >"$DIR/out" 2>"$DIR/err" || rc=$?
[ $rc -eq 0 ] || { cat "$DIR/out" "$DIR/err"; fail "the quiet apply: exit $rc"; }
grep -q '^Applied: 1 added, 1 changed, 0 removed (1 XenAPI write' "$DIR/out" ||
	{ cat "$DIR/out"; fail "the quiet apply did more or less than db-01"; }
expect_eq "db-01 role" "$(xs_get /local/domain/6/vm-data/role)" db

# kill -9 while the guests are tried apart (web-01 committed alone,
# db-01 conflicting): the journal is right, and the next apply of the
# same blob finishes it all
compile kill <<'XB'
vm "web-01" { vm-data "role" = "web-2"; other-config "owner" = "web-2"; }
vm "db-01" { vm-data "role" = "db-2"; other-config "owner" = "dba-2"; }
vm "app-01" { vm-data "role" = "app-2"; other-config "owner" = "app-2"; }
XB
rc=0
(XENBAKE_TEST_HOOK_BEFORE_COMMIT='[ "$XENBAKE_TEST_ATTEMPT" != 8 ] || kill -9 $PPID
	case "$XENBAKE_TEST_DOMIDS" in *" 6 "*)
	xenstore-write /local/domain/6/vm-data/role intruder-$XENBAKE_TEST_ATTEMPT ;; esac' \
	"$HOOKED" apply "$DIR/kill.xbb" >/dev/null 2>&1) 2>/dev/null || rc=$?
expect_eq "apply killed while the guests were tried apart" $rc 137
[ -e "$STATE/journal" ] || fail "no journal after the kill"
expect_eq "web-01 role, committed alone before the kill" \
	"$(xs_get /local/domain/5/vm-data/role)" web-2
rc=0; "$XENBAKE" apply "$DIR/kill.xbb" >"$DIR/out" 2>"$DIR/err" || rc=$?
[ $rc -eq 0 ] || { cat "$DIR/out" "$DIR/err"; fail "apply after the kill: exit $rc"; }
grep -q 'recovery: finished an apply cut off' "$DIR/err" ||
	{ cat "$DIR/err"; fail "the journal was not finished"; }
[ ! -e "$STATE/journal" ] || fail "the journal stays after the recovery"
rc=0; "$XENBAKE" check "$DIR/kill.xbb" >"$DIR/out" 2>&1 || rc=$?
[ $rc -eq 0 ] || { cat "$DIR/out"; fail "check after the recovery: exit $rc"; }

# only the shared transaction conflicts (one holding both web-01 and
# app-01): apart, every guest commits, and that is a plain success
compile halves <<'XB'
vm "web-01" { vm-data "half" = "5"; }
vm "db-01" { vm-data "half" = "6"; }
vm "app-01" { vm-data "half" = "7"; }
XB
rc=0
XENBAKE_TEST_HOOK_BEFORE_COMMIT='case "$XENBAKE_TEST_DOMIDS" in *" 5 "*" 7 "*)
	xenstore-write /local/domain/5/vm-data/half x$XENBAKE_TEST_ATTEMPT ;; esac' \
	"$HOOKED" apply --no-xapi "$DIR/halves.xbb" >"$DIR/out" 2>"$DIR/err" || rc=$?
[ $rc -eq 0 ] || { cat "$DIR/out" "$DIR/err"; fail "shared conflicts only: exit $rc, want 0"; }
grep -q '^Applied: 3 added' "$DIR/out" || { cat "$DIR/out"; fail "shared conflicts only: not applied"; }
for d in 5 6 7; do
	expect_eq "half of domain $d" "$(xs_get /local/domain/$d/vm-data/half)" $d
done
"$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))
assert r["result"] == "applied" and r["xenstore_guests_not_written"] == [], r
# 4 shared attempts, then domain 5 alone and 6 with 7
assert r["xenstore_requests"]["transactions"] == 6, r["xenstore_requests"]' \
	"$STATE/last-receipt.json" || fail "receipt after the split"

# every guest conflicting: nothing written, exit 1, as before
compile two <<'XB'
vm "web-01" { vm-data "role" = "frontend-2"; }
vm "app-01" { vm-data "role" = "app-2"; }
XB
rc=0
# (role: web-01 and app-01 get it; half: db-01's to remove)
XENBAKE_TEST_HOOK_BEFORE_COMMIT='for d in $XENBAKE_TEST_DOMIDS; do
	xenstore-write /local/domain/$d/vm-data/role intruder-$XENBAKE_TEST_ATTEMPT \
		/local/domain/$d/vm-data/half intruder-$XENBAKE_TEST_ATTEMPT; done' \
	"$HOOKED" apply --no-xapi "$DIR/two.xbb" >"$DIR/out" 2>"$DIR/err" || rc=$?
[ $rc -eq 1 ] || { cat "$DIR/out" "$DIR/err"; fail "all conflicting: exit $rc, want 1"; }
grep -q 'even with each guest alone (2 attempts each): vm web-01 (domain 5), vm db-01 (domain 6), vm app-01 (domain 7); gave up, nothing was written' "$DIR/err" ||
	{ cat "$DIR/err"; fail "all conflicting: message"; }

# 2. a real busy guest: domain 6 makes and removes vm-data/churn flat out
compile three <<'XB'
vm "web-01" { vm-data "k" = "5"; }
vm "db-01" { vm-data "k" = "6"; }
vm "app-01" { vm-data "k" = "7"; }
XB
"$PY" "$top_srcdir/bench/xs-writer.py" "$XSSHIM_RINGDIR" churn 0 6 >"$DIR/writer" 2>&1 &
writer=$!
trap 'kill $writer 2>/dev/null || true; "$SANDBOX/down" "$DIR/sb"; rm -rf "$DIR"' EXIT
sleep 1
rc=0; "$XENBAKE" apply -v "$DIR/three.xbb" >"$DIR/out" 2>"$DIR/err" || rc=$?
kill $writer; wait $writer || true
trap '"$SANDBOX/down" "$DIR/sb"; rm -rf "$DIR"' EXIT
echo "busy guest: apply exit $rc; $(grep 'xenstore: [0-9]* transaction' "$DIR/err")"
expect_eq "web-01 k next to the busy guest" "$(xs_get /local/domain/5/vm-data/k)" 5
expect_eq "app-01 k next to the busy guest" "$(xs_get /local/domain/7/vm-data/k)" 7
case $rc in
0) expect_eq "db-01 k" "$(xs_get /local/domain/6/vm-data/k)" 6 ;;
3)
	grep -q '^Partly applied: ' "$DIR/out" || { cat "$DIR/out"; fail "no Partly applied line"; }
	grep -q 'vm db-01 (domain 6)' "$DIR/err" || { cat "$DIR/err"; fail "the busy guest is not named"; }
	"$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))
assert r["result"] == "partial" and r["xenstore_guests_not_written"] == [6], r' \
		"$STATE/last-receipt.json" || fail "receipt of the busy-guest apply" ;;
*) cat "$DIR/out" "$DIR/err"; fail "apply next to a busy guest: exit $rc" ;;
esac
echo PASS
