# SPDX-License-Identifier: MIT
"""xenapi-py.py URL XENSTORED_SOCKET FIXTURE TRACE - Debian's unmodified
XenAPI.py (python3-os-xenapi) against the simulator: login and the calls
the client makes after it, records of every class against the fixture,
lookups, every XenAPI error the simulator promises, map setters, the live
vm-data rewrite on a running VM, session renewal, logout."""
import json
import sys
import time
import xmlrpc.client

from os_xenapi.client import XenAPI

from simlib import (calls, check, expect_failure, sim_get, sim_post, state,
                    xs_perms, xs_tree)

URL, XSOCK, FIXTURE, TRACE = sys.argv[1:5]
FX = json.load(open(FIXTURE))
F = XenAPI.Failure


def fails(fn, args, *want):
    expect_failure(F, fn, args, want)


# login: the client's own follow-up calls, in order
before = calls(URL)["count"]
session = XenAPI.Session(URL)
session.xenapi.login_with_password("root", "any password", "2.0", "simtest")
api = session.xenapi
log = calls(URL)
check(log["calls"][before:] == [
    "session.login_with_password", "pool.get_all", "pool.get_master",
    "host.get_API_version_major", "host.get_API_version_minor"],
    "calls made by login", log["calls"][before:])
check(session.API_version == "2.21", "API version", session.API_version)
conns = {d["conn"] for d in sim_get(URL, "/sim/calls?detail=1")["detail"]
         [before:]}
check(len(conns) == 1, "XenAPI.py keeps its connection (keep-alive)", conns)
st = state(URL)
check(len(st["sessions"]) == 1 and st["sessions"][0]["originator"] ==
      "simtest" and st["sessions"][0]["socket"] == "tcp",
      "one TCP session", st["sessions"])

# records of every class, against the fixture
hosts = api.host.get_all_records()
check(sorted(h["uuid"] for h in hosts.values()) ==
      sorted(h["uuid"] for h in FX["hosts"]), "host uuids", hosts)
(host_ref, host), = hosts.items()
check(host["name_label"] == "xs-01" and host["address"] == "127.0.0.1",
      "host record", host)
check(host["API_version_major"] == "2", "ints are strings in XML-RPC",
      host["API_version_major"])
check(host["other_config"] == {"iscsi_iqn": "iqn.test"}, "host other_config")
pools = api.pool.get_all_records()
(pool_ref, pool), = pools.items()
check(pool["master"] == host_ref, "pool master", pool, host_ref)
check(api.pool.get_master(pool_ref) == host_ref, "pool.get_master")

vms = api.VM.get_all_records()
check(sorted(v["uuid"] for v in vms.values()) ==
      sorted(v["uuid"] for v in FX["vms"]), "VM uuids")
by_name = {v["name_label"]: (r, v) for r, v in vms.items()}
web_ref, web = by_name["web-01"]
db_ref, db = by_name["db-01"]
check(web["power_state"] == "Running" and web["domid"] == "5" and
      web["resident_on"] == host_ref and web["is_a_template"] is False and
      web["is_control_domain"] is False and web["is_a_snapshot"] is False,
      "web-01 record", web)
check(web["name_description"] == "the web server", "description")
check(web["other_config"] == {"owner": "ops"}, "web-01 other_config", web)
# the VM "booted": keys outside vm-data/ and FIST/ are gone, and the field
# holds what xenopsd reads of the trees, directories included
check(web["xenstore_data"] == {"vm-data": "", "vm-data/role": "frontend",
                               "FIST": "", "FIST/x": "1"},
      "web-01 xenstore_data after boot", web["xenstore_data"])
check(db["power_state"] == "Halted" and db["domid"] == "-1" and
      db["resident_on"] == "OpaqueRef:NULL", "db-01 record", db)
check(db["xenstore_data"] == {"vm-data/tier": "1"}, "halted VM keeps data")
dom0 = by_name["Control domain on host: xs-01"][1]
check(dom0["is_control_domain"] is True and dom0["domid"] == "0", "dom0")
check(by_name["Debian Bookworm 12"][1]["is_a_template"] is True, "template")
check(xs_tree(XSOCK, "/local/domain/5/vm-data") == {"role": "frontend"},
      "vm-data written at boot", xs_tree(XSOCK, "/local/domain/5/vm-data"))
check(xs_tree(XSOCK, "/local/domain/5/FIST") == {"x": "1"}, "FIST at boot")

srs = api.SR.get_all_records()
sr_by = {v["name_label"]: (r, v) for r, v in srs.items()}
local_ref, local = sr_by["Local storage"]
nfs_ref, nfs = sr_by["Detached NFS"]
pbds = api.PBD.get_all_records()
check(len(local["PBDs"]) == 1 and len(nfs["PBDs"]) == 1, "one PBD each")
lp, np_ = pbds[local["PBDs"][0]], pbds[nfs["PBDs"][0]]
check(lp["SR"] == local_ref and lp["host"] == host_ref and
      lp["currently_attached"] is True and lp["device_config"] == {} and
      lp["other_config"] == {}, "plugged PBD", lp)
check(np_["currently_attached"] is False, "unplugged PBD", np_)

nets = api.network.get_all_records()
pifs = api.PIF.get_all_records()
net_by = {v["name_label"]: (r, v) for r, v in nets.items()}
snet_ref, snet = net_by["Storage network"]
check(len(snet["PIFs"]) == 1, "network PIFs", snet)
pif = pifs[snet["PIFs"][0]]
check(pif["device"] == "eth1" and pif["host"] == host_ref and
      pif["network"] == snet_ref and pif["other_config"] == {}, "PIF", pif)
eth1_ref = snet["PIFs"][0]
check(sorted(host["PIFs"]) == sorted(pifs), "host.PIFs", host["PIFs"])

# lookups
for cls, recs in (("VM", vms), ("SR", srs), ("network", nets),
                  ("PIF", pifs), ("host", hosts), ("pool", pools),
                  ("PBD", pbds)):
    klass = getattr(api, cls)
    check(sorted(klass.get_all()) == sorted(recs), cls + ".get_all")
    for ref, rec in recs.items():
        check(klass.get_by_uuid(rec["uuid"]) == ref, cls + ".get_by_uuid")
        check(klass.get_record(ref) == rec, cls + ".get_record")
        check(klass.get_uuid(ref) == rec["uuid"], cls + ".get_uuid")
        check(klass.get_other_config(ref) == rec["other_config"],
              cls + ".get_other_config")
    fails(klass.get_by_uuid, ("00000000-0000-0000-0000-000000000000",),
          "UUID_INVALID", cls, "00000000-0000-0000-0000-000000000000")
    fails(klass.get_record, ("OpaqueRef:nope",), "HANDLE_INVALID", cls,
          "OpaqueRef:nope")
    if cls not in ("PIF", "PBD"):
        for ref, rec in recs.items():
            check(ref in klass.get_by_name_label(rec["name_label"]),
                  cls + ".get_by_name_label")
        check(klass.get_by_name_label("no such name") == [],
              cls + ".get_by_name_label of nothing")
fails(api.PIF.get_by_name_label, ("eth1",), "MESSAGE_METHOD_UNKNOWN",
      "PIF.get_by_name_label")
fails(api.PBD.get_by_name_label, ("x",), "MESSAGE_METHOD_UNKNOWN",
      "PBD.get_by_name_label")
check(api.VM.get_power_state(web_ref) == "Running", "get_power_state")
check(api.VM.get_domid(web_ref) == "5", "get_domid")
check(api.VM.get_resident_on(web_ref) == host_ref, "get_resident_on")
check(api.PIF.get_device(eth1_ref) == "eth1", "get_device")
check(api.PBD.get_currently_attached(lp and local["PBDs"][0]) is True,
      "PBD.get_currently_attached")
check(api.session.get_this_host(session.handle) == host_ref,
      "session.get_this_host")
where = api.VM.get_all_records_where('field "name_label" = "web-01"')
check(list(where) == [web_ref], "get_all_records_where =", where)
check(sorted(api.VM.get_all_records_where("true")) == sorted(vms),
      "get_all_records_where true")
where = api.VM.get_all_records_where(
    'field "power_state" = "Running" and not (field "is_control_domain" = '
    '"true")')
check(list(where) == [web_ref], "get_all_records_where and/not", where)

# errors
fails(api.VM.no_such_call, (web_ref,), "MESSAGE_METHOD_UNKNOWN",
      "VM.no_such_call")
fails(api.VM.get_record, (web_ref, "extra"),
      "MESSAGE_PARAMETER_COUNT_MISMATCH", "VM.get_record", "2", "3")
fails(api.VM.add_to_other_config, (web_ref, "owner", "ops"),
      "MAP_DUPLICATE_KEY", "VM", "other_config", web_ref, "owner")
fails(api.VM.add_to_other_config, (web_ref, "owner", "someone else"),
      "MAP_DUPLICATE_KEY", "VM", "other_config", web_ref, "owner")
fails(api.SR.set_name_label, (nfs_ref, "New name"), "SR_HAS_NO_PBDS",
      nfs_ref)
check(api.SR.get_name_label(nfs_ref) == "Detached NFS", "name kept")
e = None
try:
    api.VM.set_name_label(web_ref, "bad \udcff utf-8")
except F as exc:
    e = exc.details
check(e is not None and e[:2] == ["INVALID_VALUE",
                                  "Invalid UTF-8 string in parameter"],
      "INVALID_VALUE", e)
check(api.VM.get_name_label(web_ref) == "web-01", "name not changed")
# the login's own arity: 2 to 4 parameters
fails(session.login_with_password, ("root",),
      "MESSAGE_PARAMETER_COUNT_MISMATCH", "session.login_with_password",
      "4", "1")
# raw XML-RPC through the same client: a bad session
raw = session.VM.get_all("OpaqueRef:bogus")
check(raw == {"Status": "Failure",
              "ErrorDescription": ["SESSION_INVALID", "OpaqueRef:bogus"]},
      "SESSION_INVALID", raw)

# names: characters XML cannot carry are cut off when stored
api.VM.set_name_description(web_ref, "front\x01 end")
check(api.VM.get_name_description(web_ref) == "front",
      "control character cuts the string", api.VM.get_name_description(web_ref))
api.SR.set_name_label(local_ref, "Local storage (renamed) é")
check(api.SR.get_name_label(local_ref) == "Local storage (renamed) é",
      "SR renamed")
api.SR.set_name_label(local_ref, "Local storage")

# maps: set_, add_to_, remove_from_ on every class with other_config
for cls, ref in (("VM", web_ref), ("SR", local_ref), ("network", snet_ref),
                 ("PIF", eth1_ref), ("host", host_ref), ("pool", pool_ref),
                 ("PBD", local["PBDs"][0])):
    klass = getattr(api, cls)
    klass.set_other_config(ref, {"a": "1", "HideFromXenCenter": "true",
                                 "amp": "x&y<z>", "cut": "ab\x02cd"})
    check(klass.get_other_config(ref) ==
          {"a": "1", "HideFromXenCenter": "true", "amp": "x&y<z>",
           "cut": "ab"}, cls + ".set_other_config",
          klass.get_other_config(ref))
    klass.add_to_other_config(ref, "b", "2")
    fails(klass.add_to_other_config, (ref, "b", "2"), "MAP_DUPLICATE_KEY",
          cls, "other_config", ref, "b")
    klass.remove_from_other_config(ref, "a")
    klass.remove_from_other_config(ref, "never there")
    check(klass.get_other_config(ref) ==
          {"HideFromXenCenter": "true", "b": "2", "amp": "x&y<z>",
           "cut": "ab"}, cls + " add_to/remove_from",
          klass.get_other_config(ref))
    fails(klass.set_other_config, ("OpaqueRef:nope", {}), "HANDLE_INVALID",
          cls, "OpaqueRef:nope")
dumped = state(URL)
vm_dump = [v for v in dumped["vms"] if v["name_label"] == "web-01"][0]
check(vm_dump["other_config"]["HideFromXenCenter"] == "true" and
      "a" not in vm_dump["other_config"], "/sim/state sees the maps",
      vm_dump)
pif_dump = [p for p in dumped["pifs"] if p["device"] == "eth1"][0]
check(pif_dump["other_config"]["b"] == "2", "/sim/state PIF", pif_dump)

# xenstore_data on a running VM: the live trees follow, in one go


def trace_ops(op):
    """Requests of op the xenstored received so far (its -T trace)."""
    with open(TRACE, errors="replace") as f:
        return sum(1 for line in f
                   if line.startswith("IN ") and " %s (" % op in line)


starts = trace_ops("TRANSACTION_START")
api.VM.set_xenstore_data(web_ref, {
    "vm-data/role": "backend", "vm-data/net/ip": "10.0.0.5",
    "vm-data/city": "Zürich", "FIST/y": "2", "other/key": "db only"})
check(trace_ops("TRANSACTION_START") == starts + 1, "one transaction",
      trace_ops("TRANSACTION_START") - starts)
check(xs_tree(XSOCK, "/local/domain/5/vm-data") ==
      {"role": "backend", "net": "", "net/ip": "10.0.0.5",
       "city": "Zürich"}, "vm-data rewritten",
      xs_tree(XSOCK, "/local/domain/5/vm-data"))
check(xs_tree(XSOCK, "/local/domain/5/FIST") == {"y": "2"}, "FIST rewritten")
check(xs_tree(XSOCK, "/local/domain/5/other") == {}, "other keys not written")
for p in ("vm-data", "vm-data/role", "vm-data/net", "vm-data/net/ip"):
    perms = xs_perms(XSOCK, "/local/domain/5/" + p)
    check(perms == ["n0", "r5"], "owned by dom0, readable by the guest: " + p,
          perms)
xd = api.VM.get_xenstore_data(web_ref)
check(xd == {"vm-data": "", "vm-data/role": "backend", "vm-data/net": "",
             "vm-data/net/ip": "10.0.0.5", "vm-data/city": "Zürich",
             "FIST": "", "FIST/y": "2"},
      "the trees copied back: other/key gone, directories there", xd)
# add_to_/remove_from_ change the database only
api.VM.add_to_xenstore_data(web_ref, "vm-data/extra", "1")
api.VM.remove_from_xenstore_data(web_ref, "vm-data/role")
xd = api.VM.get_xenstore_data(web_ref)
check("vm-data/extra" in xd and "vm-data/role" not in xd, "db changed", xd)
check(xs_tree(XSOCK, "/local/domain/5/vm-data").get("role") == "backend" and
      "extra" not in xs_tree(XSOCK, "/local/domain/5/vm-data"),
      "xenstore untouched by add_to/remove_from")
# a write in the guest's tree (here by dom0) comes back into the field
from pyxs import Client
with Client(unix_socket_path=XSOCK) as c:
    c[b"/local/domain/5/vm-data/from-guest"] = b"hello"
deadline = time.time() + 10
while api.VM.get_xenstore_data(web_ref).get("vm-data/from-guest") != "hello":
    check(time.time() < deadline, "guest write copied back",
          api.VM.get_xenstore_data(web_ref))
    time.sleep(0.05)
xd = api.VM.get_xenstore_data(web_ref)
check("vm-data/extra" not in xd and xd["vm-data/role"] == "backend",
      "the field is the trees again", xd)
# an emptied map removes the trees
api.VM.set_xenstore_data(web_ref, {})
check(xs_tree(XSOCK, "/local/domain/5/vm-data") == {} and
      xs_tree(XSOCK, "/local/domain/5/FIST") == {}, "trees removed")
check(xs_tree(XSOCK, "/local/domain/5").get("name") == "web-01",
      "the rest of the domain untouched")
check(api.VM.get_xenstore_data(web_ref) == {}, "and the field is empty")
# a halted VM: database only
api.VM.set_xenstore_data(db_ref, {"vm-data/tier": "2"})
check(api.VM.get_xenstore_data(db_ref) == {"vm-data/tier": "2"}, "halted")

# the session expires (xapi restarted): the client logs in again by itself
n = calls(URL)["count"]
status, _ = sim_post(URL, "/sim/expire-sessions")
check(status == 200, "expire-sessions")
check(sorted(api.VM.get_all()) == sorted(vms), "VM.get_all after renewal")
check(calls(URL)["calls"][n:] == [
    "VM.get_all", "session.login_with_password", "pool.get_all",
    "pool.get_master", "host.get_API_version_major",
    "host.get_API_version_minor", "VM.get_all"],
    "SESSION_INVALID then renewal", calls(URL)["calls"][n:])

# logout
handle = session.handle
api.session.logout()
st = state(URL)
check(st["sessions"] == [], "no session left", st["sessions"])
check(handle in [s["ref"] for s in st["logged_out"]], "logged out",
      st["logged_out"])
raw = xmlrpc.client.ServerProxy(URL).VM.get_all(handle)
check(raw["ErrorDescription"] == ["SESSION_INVALID", handle],
      "session dead after logout", raw)
print("xenapi-py: ok")
