# SPDX-License-Identifier: MIT
"""realistic.py URL XENSTORED_SOCKET RUNDIR UNIX_SOCKET DELAY - the
simulator on a generated 3-host pool (tests/sandbox/gen-pool.py), as
sandbox xs-01, driven by Debian's unmodified XenAPI.py: the pool's shape
(installer SRs per host, VLAN PIFs, control domains, templates, a
snapshot), VM.snapshot/clone/copy, tags, name_description, host and pool
other_config, the guests' boot state and vm-data as a guest and xapi see
it, the password over TCP, map keys unescaped."""
import errno
import http.client
import sys
import time
import urllib.parse
import xmlrpc.client

from os_xenapi.client import XenAPI

from simlib import (UnixHTTPConnection, check, expect_failure, xs_perms,
                    xs_read, xs_tree)

URL, XSOCK, RUNDIR, USOCK, DELAY = sys.argv[1:6]
DELAY = float(DELAY)
F = XenAPI.Failure


def fails(fn, args, *want):
    expect_failure(F, fn, args, want)


def wait_for(what, cond, timeout=10):
    deadline = time.time() + timeout
    while not cond():
        check(time.time() < deadline, what)
        time.sleep(0.05)


# ---- login: root's password over TCP, a wait before the failure
t0 = time.time()
fails(XenAPI.Session(URL).xenapi.login_with_password, ("root", "wrong"),
      "SESSION_AUTHENTICATION_FAILED", "root", "Authentication failure")
check(time.time() - t0 >= DELAY * 0.9, "a failed login waits",
      time.time() - t0)
fails(XenAPI.Session(URL).xenapi.login_with_password, ("admin", "xenroot"),
      "SESSION_AUTHENTICATION_FAILED", "admin", "Authentication failure")
c = UnixHTTPConnection(USOCK)
c.request("POST", "/", xmlrpc.client.dumps(("anyone", "anything"),
          "session.login_with_password"), {"Content-Type": "text/xml"})
r = xmlrpc.client.loads(c.getresponse().read())[0][0]
check(r["Status"] == "Success", "the unix socket takes any user", r)
session = XenAPI.Session(URL)
session.xenapi.login_with_password("root", "xenroot", "2.0", "realistic")
api = session.xenapi

# ---- the pool's shape
hosts = api.host.get_all_records()
hname = {r: h["name_label"] for r, h in hosts.items()}
check(sorted(hname.values()) == ["xs-01", "xs-02", "xs-03"], "3 hosts")
href = {n: r for r, n in hname.items()}
srs = api.SR.get_all_records()
pbds = api.PBD.get_all_records()
want_keys = {"Local storage": {"i18n-key": "local-storage",
                               "i18n-original-value-name_label":
                               "Local storage"},
             "Removable storage": {"i18n-key": "local-hotplug-disk",
                                   "i18n-original-value-name_label":
                                   "Removable storage"},
             "DVD drives": {"i18n-key": "local-hotplug-cd",
                            "i18n-original-value-name_label": "DVD drives",
                            "i18n-original-value-name_description":
                            "Physical DVD drives"}}
for label, keys in want_keys.items():
    same = api.SR.get_by_name_label(label)
    check(len(same) == 3, "one %r per host" % label, same)
    on = set()
    for ref in same:
        sr = srs[ref]
        check(sr["shared"] is False and len(sr["PBDs"]) == 1,
              label + ": non-shared, one PBD", sr)
        check(sr["other_config"] == keys, label + ": i18n keys",
              sr["other_config"])
        on.add(hname[pbds[sr["PBDs"][0]]["host"]])
    check(on == {"xs-01", "xs-02", "xs-03"}, label + " on each host", on)
check(srs[api.SR.get_by_name_label("DVD drives")[0]]["name_description"] ==
      "Physical DVD drives", "DVD drives description")
pifs = api.PIF.get_all_records()
for h in href.values():
    eth1 = [p for p in pifs.values() if p["host"] == h and
            p["device"] == "eth1"]
    phys = [p for p in eth1 if p["physical"]]
    vlan = sorted(int(p["VLAN"]) for p in eth1 if not p["physical"])
    check(len(phys) == 1 and phys[0]["VLAN"] == "-1" and vlan == [20, 30],
          "eth1: one physical PIF (VLAN -1), VLAN 20 and 30 on it", eth1)
vms = api.VM.get_all_records()
by = {v["name_label"]: (r, v) for r, v in vms.items()}
dom0s = [v for v in vms.values() if v["is_control_domain"]]
check(sorted(hname[v["resident_on"]] for v in dom0s) ==
      ["xs-01", "xs-02", "xs-03"] and all(v["domid"] == "0" for v in dom0s),
      "a control domain per host", dom0s)
check(len([v for v in vms.values() if v["is_default_template"]]) >= 3,
      "default templates")
db_ref, db = by["db-01"]
snap_ref, snap = by["db-01 before upgrade"]
check(snap["is_a_snapshot"] and snap["is_a_template"] and
      snap["snapshot_of"] == db_ref and db["snapshots"] == [snap_ref],
      "the fixture's snapshot", snap, db)

# ---- VM.snapshot, VM.clone, VM.copy
web_ref, web = by["web-01-1"]
s_ref = api.VM.snapshot(web_ref, "web-01-1 snap")
s = api.VM.get_record(s_ref)
check(s["is_a_snapshot"] is True and s["is_a_template"] is True and
      s["snapshot_of"] == web_ref and s["power_state"] == "Halted" and
      s["resident_on"] == "OpaqueRef:NULL" and s["domid"] == "-1",
      "a snapshot is a halted template of its VM", s)
check(s["other_config"] == web["other_config"], "snapshot: other_config as "
      "it was, mac_seed included", s["other_config"], web["other_config"])
check(s["xenstore_data"] == api.VM.get_xenstore_data(web_ref) and
      s["xenstore_data"].get("vm-data/role") == "web",
      "snapshot: xenstore_data", s["xenstore_data"])
check(s["tags"] == web["tags"] and s["snapshot_info"][
      "power-state-at-snapshot"] == "Running", "snapshot: tags, info", s)
check(s_ref in api.VM.get_snapshots(web_ref), "VM.snapshots")
fails(api.VM.clone, (web_ref, "x"), "VM_BAD_POWER_STATE", web_ref, "halted",
      "running")
fails(api.VM.copy, (web_ref, "x", ""), "VM_BAD_POWER_STATE", web_ref,
      "halted", "running")
for op, args in (("clone", ()), ("copy", ("",)),
                 ("copy", (api.SR.get_by_name_label("Local storage")[0],))):
    n_ref = getattr(api.VM, op)(db_ref, "db-01 " + op, *args)
    n = api.VM.get_record(n_ref)
    check(n["is_a_template"] is False and n["is_a_snapshot"] is False and
          n["snapshot_of"] == "OpaqueRef:NULL" and n["uuid"] != db["uuid"],
          op + ": an ordinary VM", n)
    oc = dict(n["other_config"])
    check(oc.pop("mac_seed") != db["other_config"]["mac_seed"] and
          oc == {k: v for k, v in db["other_config"].items()
                 if k != "mac_seed"}, op + ": other_config, new mac_seed",
          n["other_config"], db["other_config"])
    check(n["xenstore_data"] == db["xenstore_data"] and
          n["tags"] == db["tags"], op + ": xenstore_data and tags", n)
tpl_ref, tpl = by["Debian Bookworm 12"]
n = api.VM.get_record(api.VM.clone(tpl_ref, "my template"))
check(n["is_a_template"] is True and n["is_default_template"] is False and
      "default_template" not in n["other_config"] and
      n["other_config"]["base_template_name"] == "Debian Bookworm 12" and
      "mac_seed" in n["other_config"], "a clone of a default template", n)

# ---- tags: sets (add_ in front if absent, remove_ every copy)
check(api.VM.get_tags(db_ref) == ["db"], "get_tags")
api.VM.add_tags(db_ref, "prod")
api.VM.add_tags(db_ref, "db")
check(api.VM.get_tags(db_ref) == ["prod", "db"], "add_tags",
      api.VM.get_tags(db_ref))
api.VM.remove_tags(db_ref, "db")
api.VM.remove_tags(db_ref, "never there")
check(api.VM.get_tags(db_ref) == ["prod"], "remove_tags")
api.VM.set_tags(db_ref, ["a", "b"])
check(api.VM.get_tags(db_ref) == ["a", "b"], "set_tags")
check(api.VM.get_record(db_ref)["tags"] == ["a", "b"], "the record's tags")

# ---- name_description on VM, SR, network
net_ref = api.network.get_by_name_label("VLAN 20")[0]
for cls, ref in (("VM", db_ref), ("SR", api.SR.get_by_name_label(
        "Local storage")[0]), ("network", net_ref)):
    k = getattr(api, cls)
    k.set_name_description(ref, "described")
    check(k.get_name_description(ref) == "described" and
          k.get_record(ref)["name_description"] == "described",
          cls + ".set_name_description")

# ---- host and pool other_config
h1 = href["xs-01"]
(pool_ref,) = api.pool.get_all()
check(api.host.get_all_records()[h1]["other_config"] ==
      {"multipathhandle": "dmp"}, "host other_config in get_all_records")
for cls, ref in (("host", h1), ("pool", pool_ref)):
    k = getattr(api, cls)
    k.add_to_other_config(ref, "rack", "r12")
    fails(k.add_to_other_config, (ref, "rack", "r12"), "MAP_DUPLICATE_KEY",
          cls, "other_config", ref, "rack")
    check(k.get_other_config(ref)["rack"] == "r12" and
          k.get_all_records()[ref]["other_config"]["rack"] == "r12",
          cls + ".add_to_other_config")
    k.remove_from_other_config(ref, "rack")
    check("rack" not in k.get_other_config(ref), cls + ".remove_from_")
    k.set_other_config(ref, {"site": "ams-3"})
    check(k.get_other_config(ref) == {"site": "ams-3"}, cls + ".set_")

# ---- map keys unescaped in XML-RPC replies, as xapi writes them
api.VM.add_to_other_config(db_ref, "K&R", "x")
u = urllib.parse.urlsplit(URL)
hc = http.client.HTTPConnection(u.hostname, u.port)
hc.request("POST", "/", xmlrpc.client.dumps((session.handle, db_ref),
           "VM.get_other_config"), {"Content-Type": "text/xml"})
raw = hc.getresponse().read()
check(b"<name>K&R</name>" in raw, "map key unescaped", raw)
api.VM.remove_from_other_config(db_ref, "K&R")

# ---- a guest's boot state: /local/domain/N dom0's, vm-data the guest's
sys.path.insert(0, RUNDIR)
from xsguest import Guest, XsError     # noqa: E402
d = "/local/domain/1"
check(xs_perms(XSOCK, d) == ["n0", "r1"], "domain dir n0 r1",
      xs_perms(XSOCK, d))
check(xs_perms(XSOCK, d + "/vm-data") == ["n1"], "vm-data the guest's",
      xs_perms(XSOCK, d + "/vm-data"))
check(xs_perms(XSOCK, d + "/vm-data/role") == ["n1"] and
      xs_read(XSOCK, d + "/vm-data/role") == "web",
      "boot keys inherit the guest's vm-data", xs_perms(XSOCK, d +
                                                        "/vm-data/role"))
g = Guest.introduce(1)
g.write(d + "/vm-data/report/ip", b"10.1.0.1")      # the guest reports
wait_for("a guest's write copied back into VM.xenstore_data",
         lambda: api.VM.get_xenstore_data(web_ref).get(
             "vm-data/report/ip") == "10.1.0.1")
xd = api.VM.get_xenstore_data(web_ref)
check(xd.get("vm-data/report") == "" and xd.get("vm-data") == "",
      "directories read as empty strings", xd)
try:
    g.write(d + "/name", b"evil")
    check(False, "the guest wrote its domain's name")
except XsError as e:
    check(e.errno == errno.EACCES, "domain dir read-only to the guest", e)

# add_to_/remove_from_xenstore_data: the database only
api.VM.add_to_xenstore_data(web_ref, "vm-data/db-only", "1")
check(xs_read(XSOCK, d + "/vm-data/db-only") is None, "add_to_: no push")

# set_xenstore_data on a running VM: the trees removed and rewritten as
# dom0; the guest's own nodes are lost and it may no longer write
api.VM.set_xenstore_data(web_ref, {"vm-data/role": "app"})
check(xs_tree(XSOCK, d + "/vm-data") == {"role": "app"},
      "the guest's report lost", xs_tree(XSOCK, d + "/vm-data"))
for node in ("vm-data", "vm-data/role"):
    check(xs_perms(XSOCK, d + "/" + node) == ["n0", "r1"],
          node + " now dom0's, as xenopsd's rewrite leaves it",
          xs_perms(XSOCK, d + "/" + node))
check(g.read(d + "/vm-data/role").rstrip(b"\0") == b"app", "guest reads")
try:
    g.write(d + "/vm-data/report/ip", b"10.1.0.2")
    check(False, "the guest still writes its vm-data")
except XsError as e:
    check(e.errno == errno.EACCES, "vm-data read-only to the guest now", e)
check(api.VM.get_xenstore_data(web_ref) == {"vm-data": "",
                                            "vm-data/role": "app"},
      "the field is the trees", api.VM.get_xenstore_data(web_ref))

# a paused VM: set_xenstore_data changes the database only
p_ref, p = by["paused-01"]
pd = "/local/domain/%s" % p["domid"]
check(xs_read(XSOCK, pd + "/vm-data/role") == "paused", "paused VM booted")
api.VM.set_xenstore_data(p_ref, {"vm-data/role": "changed"})
check(xs_read(XSOCK, pd + "/vm-data/role") == "paused", "paused: no push")
check(api.VM.get_xenstore_data(p_ref) == {"vm-data/role": "changed"},
      "paused: the database changed", api.VM.get_xenstore_data(p_ref))

api.session.logout()
print("realistic: ok")
