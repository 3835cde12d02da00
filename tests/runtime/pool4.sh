#!/bin/sh
# SPDX-License-Identifier: MIT
# A pool of four hosts (tests/runtime/pool4.json: xs-01 the master on
# 127.0.0.1, members xs-02..04 on 127.0.0.2..4, one xenstored and one
# simulator each), and `xenbake apply` run on all four AT ONCE, each with
# its own xenstored and its own local endpoint: the master's socket, a
# member's socket (forwarded to the master), a member over TCP (which
# answers HOST_IS_SLAVE), a member's socket again. The config names VMs
# resident on every host (two of them with the same domid on different
# hosts), a halted VM, pool-wide SRs and networks, and PIFs on every host.
# Afterwards the pool holds one correct state, read back independently
# (XenAPI.py and the simulator's /sim/state for the master's database,
# pyxs for each host's xenstored): each guest's vm-data is in its own
# host's xenstored and nowhere else, every managed-keys record is the one
# the config gives. A second round on every host changes nothing.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
FX=$top_srcdir/tests/runtime/pool4.json
HOSTS="1 2 3 4"
trap 'for n in $HOSTS; do "$SANDBOX/down" "$DIR/h$n" & done; wait; rm -rf "$DIR"' EXIT

members=
for n in 2 3 4; do
	members="$members${members:+;}xs-0$n=$DIR/h$n/socket"
done
SANDBOX_HOST=xs-01 XAPISIM_MEMBER_XENSTORED=$members \
	"$SANDBOX/up" "$FX" "$DIR/h1" 2>"$DIR/up1.log" ||
	{ cat "$DIR/up1.log" >&2; fail "the master did not start"; }
P=$(cat "$DIR/h1/xapi.port")
MASTER=http://127.0.0.1:$P
for n in 2 3 4; do
	SANDBOX_HOST=xs-0$n SANDBOX_XAPI_BIND=127.0.0.$n SANDBOX_XAPI_PORT=$P \
		XAPISIM_MASTER_URL=$MASTER \
		"$SANDBOX/up" "$FX" "$DIR/h$n" 2>"$DIR/up$n.log" ||
		{ cat "$DIR/up$n.log" >&2; fail "member xs-0$n did not start"; }
done

# each host's own way to XenAPI, as xenbake finds it at boot
endpoint() {
	case $1 in
	3) echo "http://127.0.0.3:$P" ;;       # HOST_IS_SLAVE, then the master
	*) echo "unix:$DIR/h$1/xapi.sock" ;;   # the master's, or forwarded
	esac
}

compile pool <<'XB'
let site = "lab-a";
vm "web-01" {                                   # on xs-01 (domain 3)
	vm-data "role" = "frontend";
	vm-data "net/ip" = "10.0.0.1";
	vm-data "site" = "${site}";
	other-config "owner" = "ops";
}
vm "web-02" {                                   # on xs-02 (domain 3 too)
	vm-data "role" = "frontend";
	vm-data "net/ip" = "10.0.0.2";
	hide-from-xencenter;
}
vm uuid "7e000000-0000-4000-8000-000000000003" { vm-data "role" = "db"; }
vm "app-04" {                                   # on xs-04 (domain 3 again)
	vm-data "role" = "app";
	xenstore-data "vm-data/tier" = "2";
}
vm "cache-04" { vm-data "cache/policy" = "lru"; }
vm "batch" { vm-data "schedule" = "02:00"; other-config "owner" = "ops"; }
vm "retired" optional { vm-data "x" = "1"; }
sr "NFS" { name-label "NFS pool storage"; other-config "tier" = "gold"; }
sr "Local storage xs-03" { i18n-key local-storage; }
network "Storage network" { hide-from-xencenter; other-config "mtu" = "9000"; }
network "Backup network" { other-config "backup" = "yes"; }
pif "eth1" { hide-from-xencenter; other-config "storage" = "yes"; }
pif "eth0" host "xs-03" { other-config "role" = "management"; }
XB

sockets() { for n in $HOSTS; do printf ' %s' "$DIR/h$n/socket"; done; }
snapshot() {   # snapshot FILE: the whole pool, see snapshot.py
	# shellcheck disable=SC2046
	PYTHONPATH=$top_srcdir/tests/runtime "$PY" \
		"$top_srcdir/tests/runtime/snapshot.py" "$MASTER" $(sockets) >"$1" ||
		fail "snapshot"
}
sim_ctl() {    # sim_ctl PATH [BODY]: POST to the master's /sim/ controls
	"$PY" -c 'import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + sys.argv[2],
    data=sys.argv[3].encode(), method="POST"))' "$MASTER" "$1" "${2:-}"
}
# xenbake_on N ARGS...: xenbake as host xs-0N runs it, with that host's
# own xenstored and state directory (lock, journal, receipts)
xenbake_on() {
	n=$1
	shift
	XENSTORED_PATH=$DIR/h$n/socket XENBAKE_XAPI=$(endpoint "$n") \
		XENBAKE_STATE_DIR=$DIR/h$n/state XENBAKE_LOG_SOCKET=$DIR/h$n/log.sock \
		"$XENBAKE" "$@"
}
# round NAME: apply on every host at once; each must exit 0
round() {
	for n in $HOSTS; do
		( rc=0
		  xenbake_on "$n" apply "$DIR/pool.xbb" \
			>"$DIR/$1.$n.out" 2>"$DIR/$1.$n.err" || rc=$?
		  echo $rc >"$DIR/$1.$n.rc" ) &
	done
	wait
	for n in $HOSTS; do
		rc=$(cat "$DIR/$1.$n.rc")
		[ "$rc" = 0 ] || { cat "$DIR/$1.$n.out" "$DIR/$1.$n.err" >&2;
			fail "$1: apply on xs-0$n exited $rc"; }
		! grep -Ei 'error|conflict|fail|warning' "$DIR/$1.$n.err" ||
			fail "$1: xs-0$n said something is wrong"
	done
}

# the master has caught up with the guests' trees on every host (its
# watches start as the members do)
i=0
until PYTHONPATH=$top_srcdir/tests/runtime "$PY" - "$MASTER" <<'PYEOF'
import sys
from snapshot import sim_db
db = sim_db(sys.argv[1])
web02 = [v for v in db["vms"] if v["name_label"] == "web-02"][0]
sys.exit(0 if web02["xenstore_data"].get("vm-data") == "" else 1)
PYEOF
do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "the master never saw web-02's trees on xs-02"
	sleep 0.1
done

# round 1: every host at once, the master slowed down a little so that
# the four runs overlap call by call
sim_ctl /sim/latency 10
sim_ctl /sim/reset-calls
round first
sim_ctl /sim/latency 0
for n in $HOSTS; do
	grep -q '^Applied:' "$DIR/first.$n.out" ||
		{ cat "$DIR/first.$n.out" >&2; fail "xs-0$n: no Applied line"; }
done
# a member sent nothing over TCP but its login (HOST_IS_SLAVE), and on a
# member's unix socket only the login was answered there (as xapi does);
# the writes all reached the master, each host's session with it
"$PY" - "$MASTER" <<'PYEOF' || fail "the writes did not all go to the master"
import json, sys, urllib.request
def calls(n):
    return json.load(urllib.request.urlopen(
        sys.argv[1].replace("127.0.0.1", "127.0.0.%d" % n) + "/sim/calls"))["calls"]
c = calls(1)
writes = [m for m in c if ".set_" in m]
assert writes, c
assert c.count("session.login_with_password") >= 2, c   # xs-01's, xs-03's
for n in (2, 3, 4):
    m = calls(n)
    assert m and set(m) == {"session.login_with_password"}, (n, m)
ended = json.load(urllib.request.urlopen(sys.argv[1] + "/sim/state"))["logged_out"]
assert len(ended) >= 4, ended
PYEOF

snapshot "$DIR/after1.json"
PYTHONPATH=$top_srcdir/tests/runtime "$PY" - "$DIR/after1.json" <<'PYEOF' ||
import json, sys
snap = json.load(open(sys.argv[1]))
db, api, stores = snap["xapi"], snap["xenapi"], snap["xenstore"]
errors = []
def want(cond, what, *more):
    if not cond:
        errors.append(what + "".join(" | %r" % (m,) for m in more))

HOSTS = {h["uuid"]: h["name_label"] for h in db["hosts"]}
# each record names its object first (runtime/managed.h): checked here,
# then left out of the comparisons below
def unbind(o):
    rec = o["other_config"].get("xenbake-managed")
    if rec is not None:
        first, _, rest = rec.partition("\n")
        want(first == "uuid:" + o["uuid"], "the record of " + o["uuid"], rec)
        o["other_config"]["xenbake-managed"] = rest
for cls in ("vms", "srs", "networks", "pifs"):
    for o in db[cls]:
        unbind(o)
for o in api["VM"].values():
    unbind(o)
VM = {v["name_label"]: v for v in db["vms"]}
VD = "vm-data/"
# what the config makes of each VM: its vm-data leaves (with the keys
# others set, kept), other_config (likewise), and the managed record
EXPECT = {
    "web-01": ({"role": "frontend", "net/ip": "10.0.0.1", "site": "lab-a"},
               {"owner": "ops"}),
    "web-02": ({"role": "frontend", "net/ip": "10.0.0.2", "boot": "yes"},
               {"owner": "web-team", "HideFromXenCenter": "true"}),
    "db-03": ({"role": "db"}, {}),
    "app-04": ({"role": "app", "tier": "2"}, {}),
    "cache-04": ({"cache/policy": "lru", "cache/size": "1G"}, {}),
    "batch": ({"schedule": "02:00"}, {"owner": "ops", "cron": "nightly"}),
}
FOREIGN = {"web-02": {"xenstore_data:vm-data/boot", "other_config:owner"},
           "cache-04": {"xenstore_data:vm-data/cache/size"},
           "batch": {"other_config:cron"}}

def record(xd, oc, foreign=()):
    names = ["xenstore_data:" + VD + k for k in xd] + \
            ["other_config:" + k for k in oc]
    return "\n".join(sorted(n for n in names if n not in foreign))

def leaves(m):
    keys = set(m)
    return {k: v for k, v in m.items()
            if not any(o.startswith(k + "/") for o in keys)}

for name, (vd, oc) in EXPECT.items():
    v = VM[name]
    xd = {VD + k: x for k, x in vd.items()}
    want(leaves(v["xenstore_data"]) == xd, name + ": xenstore_data",
         v["xenstore_data"])
    other = dict(oc, **{"xenbake-managed":
                        record(vd, oc, FOREIGN.get(name, ()))})
    want(v["other_config"] == other, name + ": other_config",
         v["other_config"], other)

# each running guest: its vm-data in its own host's xenstored, the same
# trees as VM.xenstore_data (xapi's copy), every node the guest's own
# (xenbake never takes a guest's vm-data from it)
names = [h["name_label"] for h in db["hosts"]]
for i, store in enumerate(stores):
    host = "xs-%02d" % (i + 1)
    doms = {p.split("/")[3] for p in store if p.startswith("/local/domain/")
            and p.count("/") >= 3}
    here = {str(v["domid"]): v for v in db["vms"]
            if v["power_state"] == "Running" and not v["is_control_domain"]
            and HOSTS[v["resident_on"]] == host}
    want(doms - {"0"} == set(here), host + ": the domains here", doms, here)
    for domid, v in here.items():
        base = "/local/domain/%s/" % domid
        want(store[base + "vm"][0] == "/vm/" + v["uuid"],
             host + ": domain %s is %s" % (domid, v["name_label"]))
        tree = {p[len(base):]: n[0] for p, n in store.items()
                if p.startswith(base + "vm-data")}
        want(tree == v["xenstore_data"], host + ": %s's trees" % v["name_label"],
             tree, v["xenstore_data"])
        for p, n in store.items():
            if p.startswith(base + "vm-data"):
                want(n[1:] == ["n" + domid], p + ": permissions", n)
    want(not any(p.startswith("/tool/xenbake") for p in store),
         host + ": a managed record in xenstore (XenAPI keeps it)")

SR = {s["uuid"]: s for s in db["srs"]}
nfs = SR["5b000000-0000-4000-8000-000000000001"]
want(nfs["name_label"] == "NFS pool storage", "NFS renamed", nfs["name_label"])
want(nfs["other_config"] == {"tier": "gold", "xenbake-managed":
                             "other_config:tier"}, "NFS", nfs["other_config"])
local = SR["5b000000-0000-4000-8000-000000000002"]
want(local["other_config"] == {
    "i18n-key": "local-storage",
    "i18n-original-value-name_label": "Local storage xs-03",
    "xenbake-managed": "other_config:i18n-key\n"
                       "other_config:i18n-original-value-name_label"},
     "local SR", local["other_config"])
iso = SR["5b000000-0000-4000-8000-000000000003"]
want(iso["other_config"] == {"owner": "ops"}, "ISO SR untouched", iso)
NET = {n["name_label"]: n for n in db["networks"]}
want(NET["Storage network"]["other_config"] == {
    "HideFromXenCenter": "true", "mtu": "9000",
    "xenbake-managed": "other_config:HideFromXenCenter\nother_config:mtu"},
     "storage network", NET["Storage network"])
want(NET["Backup network"]["other_config"] == {
    "backup": "yes", "xenbake-managed": "other_config:backup"},
     "backup network", NET["Backup network"])
want(NET["Pool-wide network associated with eth0"]["other_config"] == {},
     "eth0's network untouched")
for p in db["pifs"]:
    on = HOSTS[p["host"]]
    if p["device"] == "eth1":
        oc = {"HideFromXenCenter": "true", "storage": "yes",
              "xenbake-managed": "other_config:HideFromXenCenter\n"
                                 "other_config:storage"}
    elif on == "xs-03":
        oc = {"role": "management",
              "xenbake-managed": "other_config:role"}
    else:
        oc = {}
    want(p["other_config"] == oc, "%s on %s" % (p["device"], on),
         p["other_config"])
tmpl = [v for v in db["vms"] if v["is_a_template"]][0]
want(tmpl["other_config"] == {} and tmpl["xenstore_data"] == {},
     "the template untouched")
# the Debian client reads the same database
byuuid = {r["uuid"]: r for r in api["VM"].values()}
for v in db["vms"]:
    r = byuuid[v["uuid"]]
    want(r["other_config"] == v["other_config"] and
         r["xenstore_data"] == v["xenstore_data"],
         "XenAPI.py and /sim/state disagree on " + v["name_label"])
for e in errors:
    print("pool4:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
PYEOF
	fail "the pool is not in the state the config gives"

# every host agrees that nothing drifted
for n in $HOSTS; do
	xenbake_on "$n" check "$DIR/pool.xbb" >"$DIR/check.$n" 2>&1 ||
		{ cat "$DIR/check.$n" >&2; fail "check on xs-0$n"; }
done

# round 2: every host at once again: nothing to do, nothing written
sim_ctl /sim/reset-calls
round second
for n in $HOSTS; do
	grep -qx 'No changes.' "$DIR/second.$n.out" ||
		{ cat "$DIR/second.$n.out" >&2; fail "xs-0$n: round 2 changed something"; }
done
"$PY" - "$MASTER" <<'PYEOF' || fail "round 2 wrote through XenAPI"
import json, sys, urllib.request
c = json.load(urllib.request.urlopen(sys.argv[1] + "/sim/calls"))["calls"]
w = [m for m in c if any(p in m for p in (".set_", ".add_to_", ".remove_from_"))]
assert not w, w
PYEOF
snapshot "$DIR/after2.json"
diff -u "$DIR/after1.json" "$DIR/after2.json" >&2 ||
	fail "round 2 changed the pool"
echo PASS
