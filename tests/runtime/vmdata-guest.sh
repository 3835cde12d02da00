#!/bin/sh
# SPDX-License-Identifier: MIT
# A guest's vm-data stays the guest's (the real boot state: /local/domain/N
# dom0's, vm-data the guest's, "nN"). For a running AND a paused VM, an
# apply writes vm-data only in xenbake's own transaction, never with
# VM.set_xenstore_data (which wipes the tree and rewrites it as dom0's):
# the keys the guest wrote stay, before the apply and during it (a guest
# write between xenbake's read and its commit), every node stays the
# guest's and the guest may still write there, nothing is written outside
# the guests' vm-data, and xapi's copy-back carries the keys into
# VM.xenstore_data. `check` right after the apply reports no drift.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
HOOKED=$top_builddir/tests/runtime/xenbake-hooks
[ -x "$HOOKED" ] || skip "no tests/runtime/xenbake-hooks"
fixture >/dev/null
# db-01 paused: its domain and its vm-data stay
sed -i '/"db-01"/{n;s/"Running"/"Paused"/}' "$DIR/host.json"
grep -q '"Paused"' "$DIR/host.json" || fail "no paused VM in the fixture"
sandbox_up "$DIR/host.json"
compile site <<'XB'
vm "web-01" { vm-data "role" = "frontend"; vm-data "net/ip" = "10.0.0.5"; }
vm "db-01" { vm-data "role" = "db"; }
XB

expect_eq "boot: web-01's vm-data" "$(xs_perms /local/domain/5/vm-data)" n5
# the guest reports through its vm-data before the apply
PYTHONPATH=$top_srcdir/tests/sandbox "$PY" - <<'PYEOF' || fail "guest write"
from xsguest import Guest
Guest.introduce(5).write("/local/domain/5/vm-data/agent/version", b"7.1")
PYEOF

sim_reset
trace_mark
# a guest key written between xenbake's read and its commit
XENBAKE_TEST_HOOK_BEFORE_COMMIT='[ "$XENBAKE_TEST_ATTEMPT" != 1 ] ||
	xenstore-write /local/domain/5/vm-data/agent/state busy'
export XENBAKE_TEST_HOOK_BEFORE_COMMIT
"$HOOKED" apply -v "$DIR/site.xbb" >"$DIR/out" 2>"$DIR/err" ||
	{ cat "$DIR/out" "$DIR/err"; fail "apply failed"; }
unset XENBAKE_TEST_HOOK_BEFORE_COMMIT
"$XENBAKE" check "$DIR/site.xbb" >"$DIR/check" 2>&1 ||
	{ cat "$DIR/check"; fail "check right after the apply"; }

expect_eq "web-01 role" "$(xs_get /local/domain/5/vm-data/role)" frontend
expect_eq "web-01 ip" "$(xs_get /local/domain/5/vm-data/net/ip)" 10.0.0.5
expect_eq "paused db-01 role" "$(xs_get /local/domain/6/vm-data/role)" db
expect_eq "guest's key before" "$(xs_get /local/domain/5/vm-data/agent/version)" 7.1
expect_eq "guest's key during" "$(xs_get /local/domain/5/vm-data/agent/state)" busy
for node in vm-data vm-data/role vm-data/net vm-data/net/ip; do
	expect_eq "perms of 5/$node" "$(xs_perms /local/domain/5/$node)" n5
done
expect_eq "perms of 6/vm-data/role" "$(xs_perms /local/domain/6/vm-data/role)" n6
expect_eq "set-perms" "$(trace_count SET_PERMS)" 0
# every write of the apply inside a guest's vm-data
tail -n +"$(($(cat "$DIR/trace.mark") + 1))" "$DIR/sb/trace" |
	grep '^IN .* \(WRITE\|RM\|MKDIR\|SET_PERMS\) (' |
	grep -v ' (/local/domain/[0-9]*/vm-data/' >"$DIR/outside" || true
[ ! -s "$DIR/outside" ] || { cat "$DIR/outside"; fail "a write outside vm-data"; }
# the guest still writes its own vm-data, xenbake's keys included
PYTHONPATH=$top_srcdir/tests/sandbox "$PY" - <<'PYEOF' || fail "guest lost its vm-data"
from xsguest import Guest
g = Guest.introduce(5)
g.write("/local/domain/5/vm-data/role", b"frontend")
g.write("/local/domain/5/vm-data/net/ip", b"10.0.0.5")
PYEOF
xapi_py <<'PYEOF' || fail "XenAPI after the apply"
import json, time, urllib.request
calls = json.load(urllib.request.urlopen(sys.argv[1] + "/sim/calls"))["calls"]
assert not any("xenstore_data" in c for c in calls), calls
# xapi's copy-back, running and paused alike
for _ in range(100):
    w, d = vm("web-01")["xenstore_data"], vm("db-01")["xenstore_data"]
    if w.get("vm-data/net/ip") == "10.0.0.5" and d.get("vm-data/role") == "db" \
            and w.get("vm-data/agent/state") == "busy":
        break
    time.sleep(0.1)
assert w.get("vm-data/role") == "frontend", w
assert w.get("vm-data/agent/version") == "7.1", w
assert d.get("vm-data/role") == "db", d
PYEOF
"$XENBAKE" check "$DIR/site.xbb" >"$DIR/check" 2>&1 ||
	{ cat "$DIR/check"; fail "check after the copy-back"; }
trace_mark
"$XENBAKE" apply "$DIR/site.xbb" >"$DIR/out" 2>&1 || fail "second apply"
expect_eq "second apply" "$(cat "$DIR/out")" "No changes."
expect_eq "second apply writes" "$(trace_count WRITE)" 0
echo PASS
