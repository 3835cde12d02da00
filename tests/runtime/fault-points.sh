#!/bin/sh
# SPDX-License-Identifier: MIT
# Every failure at every point of a realistic apply (fault-points.py): the
# simulator's fault switches at each XenAPI call (a Failure, the connection
# dropped before or after the call runs, the session gone), corrupted
# blobs, xenstored killed at the commit. Each time the host is as it was,
# or, when apply went through, as the config says; the next run completes
# it. Then the same at the first writes of an apply big enough to write
# over several connections at once (each one's first call on a new
# connection, where a lost reply cannot be retried).
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
HOOKED=$top_builddir/tests/runtime/xenbake-hooks
[ -x "$HOOKED" ] || skip "no tests/runtime/xenbake-hooks"
FX=$(fixture)
sandbox_up "$FX"
# A: what the host was given earlier (the SR is named back if B renamed it)
compile a <<'XB'
vm "web-01" { vm-data "role" = "frontend"; vm-data "old/key" = "1"; other-config "owner" = "ops"; }
vm "db-01" { vm-data "role" = "db"; }
network "Storage network" { other-config "mtu" = "1500"; }
sr "Fast storage" { name-label "Local storage"; }
XB
# B: adds, changes, removes; renames the SR; every class
compile b <<'XB'
vm "web-01" { vm-data "role" = "edge"; vm-data "net/ip" = "10.0.0.5"; other-config "owner" = "web"; hide-from-xencenter; }
vm "db-01" { vm-data "role" = "db"; vm-data "disk" = "ssd"; }
vm "app-01" { xenstore-data "vm-data/tier" = "2"; }
sr "Local storage" { name-label "Fast storage"; i18n-key local-storage; }
network "Storage network" { hide-from-xencenter; }
pif "eth1" { other-config "storage" = "yes"; }
XB
points() {
	PYTHONPATH=$top_srcdir/tests/runtime "$PY" \
		"$top_srcdir/tests/runtime/fault-points.py" "$XENBAKE" "$HOOKED" \
		"$DIR/sb" "$1" "$DIR/$2.xbb" "$DIR/$3.xbb"
}
points "$FX" a b || fail "fault points"

# 40 halted VMs: B writes two maps of each, over several connections
"$SANDBOX/down" "$DIR/sb"
"$PY" "$top_srcdir/bench/gen-fixture.py" 40 halted >"$DIR/many.json"
sandbox_up "$DIR/many.json"
"$PY" - "$DIR/many.json" "$DIR" <<'PYEOF'
import json, sys
vms = [v["name_label"] for v in json.load(open(sys.argv[1]))["vms"]
       if not v.get("is_control_domain") and not v.get("is_a_template")]
with open(sys.argv[2] + "/many-a.xb", "w") as a, \
        open(sys.argv[2] + "/many-b.xb", "w") as b:
    for i, name in enumerate(vms):
        a.write('vm "%s" { other-config "slot" = "%d"; }\n' % (name, i))
        b.write('vm "%s" { other-config "slot" = "%d"; vm-data "slot" = "%d"; }\n'
                % (name, i + 1, i))
PYEOF
for x in many-a many-b; do
	"$XENBAKEC" -o "$DIR/$x.xbb" "$DIR/$x.xb" || fail "xenbakec $x"
done
FAULT_POINTS_FIRST_WRITES=4 points "$DIR/many.json" many-a many-b ||
	fail "fault points of a parallel apply"
echo PASS
