# SPDX-License-Identifier: MIT
"""pool.py MASTER_URL MEMBER_URL MEMBER_SOCKET MASTER_XS MEMBER_XS - a
two-host pool: the member refuses logins over TCP with HOST_IS_SLAVE
[master address], forwards its unix socket's calls to the master, and
VM.set_xenstore_data on the master reaches the guest on the member."""
import sys
import xmlrpc.client

from os_xenapi.client import XenAPI

from simlib import UnixHTTPConnection, calls, check, xs_tree

MASTER, MEMBER, MSOCK, MXS, SXS = sys.argv[1:6]

# a member over TCP: HOST_IS_SLAVE, with the master's address
member = XenAPI.Session(MEMBER)
try:
    member.xenapi.login_with_password("root", "")
    check(False, "the member accepted a login over TCP")
except XenAPI.Failure as e:
    check(e.details == ["HOST_IS_SLAVE", "127.0.0.1"], "HOST_IS_SLAVE",
          e.details)

# the master: both hosts, both guests
session = XenAPI.Session(MASTER)
session.xenapi.login_with_password("root", "")
api = session.xenapi
hosts = api.host.get_all_records()
check(sorted(h["name_label"] for h in hosts.values()) == ["xs-01", "xs-02"],
      "two hosts")
(pool,) = api.pool.get_all_records().values()
check(hosts[pool["master"]]["name_label"] == "xs-01", "master", pool)
check(hosts[api.session.get_this_host(session.handle)]["name_label"] ==
      "xs-01", "the master's session is on xs-01")
vms = {v["name_label"]: (r, v) for r, v in api.VM.get_all_records().items()}
app_ref, app = vms["app-02"]
check(hosts[app["resident_on"]]["name_label"] == "xs-02", "app-02 on xs-02")
(sr,) = api.SR.get_all_records().values()
check(len(sr["PBDs"]) == 2, "a shared SR has a PBD per host", sr)
check(xs_tree(SXS, "/local/domain/7/vm-data") == {"boot": "yes"},
      "the member's guest booted with its vm-data")
check(xs_tree(MXS, "/local/domain/7") == {}, "not on the master's store")

# the member's guest gets its data in the member's xenstored
api.VM.set_xenstore_data(app_ref, {"vm-data/role": "app"})
check(xs_tree(SXS, "/local/domain/7/vm-data") == {"role": "app"},
      "vm-data on the member", xs_tree(SXS, "/local/domain/7/vm-data"))
check(xs_tree(MXS, "/local/domain/7") == {}, "still not on the master")

# the member's unix socket: calls go to the master
before_master = calls(MASTER)["count"]
before_member = calls(MEMBER)["count"]
c = UnixHTTPConnection(MSOCK)


def local(method, *params):
    c.request("POST", "/", xmlrpc.client.dumps(params, method),
              {"Content-Type": "text/xml"})
    r = xmlrpc.client.loads(c.getresponse().read())[0][0]
    check(r["Status"] == "Success", method, r)
    return r["Value"]


# the login is answered by the member itself (a session of the member,
# in the master's database); the other calls go to the master
s = local("session.login_with_password", "root", "any password")
check(hosts[api.session.get_this_host(s)]["name_label"] == "xs-02",
      "a local login on the member is the member's session")
local("VM.add_to_other_config", s, app_ref, "via", "member")
check(api.VM.get_other_config(app_ref) == {"via": "member"},
      "the master's database changed")
local("session.logout", s)
check(calls(MASTER)["calls"][before_master:] == [
    "session.get_this_host", "VM.add_to_other_config",
    "VM.get_other_config", "session.logout"], "the master ran them",
      calls(MASTER)["calls"][before_master:])
check(calls(MEMBER)["calls"][before_member:] ==
      ["session.login_with_password"], "the member ran the login only",
      calls(MEMBER))
api.session.logout()
print("pool: ok")
