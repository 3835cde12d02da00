# SPDX-License-Identifier: MIT
"""faults.py URL - the simulator's fault switches. The sandbox was started
with XAPISIM_FAULTS and XAPISIM_LATENCY_MS (see faults.sh); then rules are
added at run time through /sim/ and through sim.* calls."""
import http.client
import json
import sys
import time
import urllib.parse
import xmlrpc.client

from os_xenapi.client import XenAPI

from simlib import calls, check, sim_get, sim_post, state

URL = sys.argv[1]
u = urllib.parse.urlsplit(URL)


class Dropped(Exception):
    pass


def rpc(method, *params):
    """One call on a fresh connection: the reply struct, or Dropped."""
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        c.request("POST", "/", xmlrpc.client.dumps(params, method).encode(),
                  {"Content-Type": "text/xml"})
        try:
            r = c.getresponse()
            body = r.read()
        except (http.client.RemoteDisconnected, ConnectionError):
            raise Dropped(method)
        return xmlrpc.client.loads(body)[0][0]
    finally:
        c.close()


def ok(method, *params):
    r = rpc(method, *params)
    check(r.get("Status") == "Success", method, r)
    return r["Value"]


def failure(method, *params):
    r = rpc(method, *params)
    check(r.get("Status") == "Failure", method + " should fail", r)
    return r["ErrorDescription"]


def dropped(method, *params):
    try:
        r = rpc(method, *params)
    except Dropped:
        return
    check(False, method + " should be dropped", r)


# the rules given at start (faults.sh):
#   fail:VM.get_all_records#1:HOST_OFFLINE:xs-01
#   fail:SR.get_all#+1*:["SR_BACKEND_FAILURE_1","a:b"]
#   drop:7
# and a latency of 150 ms per call
t0 = time.time()
s = ok("session.login_with_password", "root", "")              # 1
check(time.time() - t0 >= 0.15, "startup latency", time.time() - t0)
rules = sim_get(URL, "/sim/faults")
check(len(rules) == 3, "three rules pending", rules)
status, _ = sim_post(URL, "/sim/latency", {"ms": 0})
check(status == 200, "latency to 0")
check(failure("VM.get_all_records", s) == ["HOST_OFFLINE", "xs-01"],
      "failed 1st VM.get_all_records")                           # 2
check(len(ok("VM.get_all_records", s)) == 4, "then it works")   # 3
want = ["SR_BACKEND_FAILURE_1", "a:b"]
check(failure("SR.get_all", s) == want, "SR.get_all fails")     # 4
check(failure("SR.get_all", s) == want, "and keeps failing")    # 5
ok("network.get_all", s)                                        # 6
dropped("network.get_all", s)                                   # 7
check(len(ok("network.get_all", s)) == 2, "after the drop")     # 8
log = calls(URL)
check(log["count"] == 8 and log["calls"] == [
    "session.login_with_password", "VM.get_all_records",
    "VM.get_all_records", "SR.get_all", "SR.get_all", "network.get_all",
    "network.get_all", "network.get_all"], "the call log", log)
check(log["by_method"]["network.get_all"] == 3, "by method", log)
check(len(sim_get(URL, "/sim/faults")) == 1, "one rule left (the '*')")

# run time: clear, then one rule at a time
status, _ = sim_post(URL, "/sim/clear-faults")
check(status == 200 and sim_get(URL, "/sim/faults") == [], "cleared")
check(len(ok("SR.get_all", s)) == 2, "SR.get_all works again")
status, _ = sim_post(URL, "/sim/fault",
                     'fail:+1:["HANDLE_INVALID","VM","OpaqueRef:x"]')
check(status == 200, "fault as a plain spec")
check(failure("host.get_all", s) == ["HANDLE_INVALID", "VM", "OpaqueRef:x"],
      "the next call fails, whatever it is")
ok("host.get_all", s)

vm = ok("VM.get_by_name_label", s, "web-01")[0]
status, _ = sim_post(URL, "/sim/fault",
                     {"spec": "drop-after:VM.set_other_config#+1"})
check(status == 200, "fault as JSON")
dropped("VM.set_other_config", s, vm, {"changed": "yes"})
web = [v for v in state(URL)["vms"] if v["name_label"] == "web-01"][0]
check(web["other_config"] == {"changed": "yes"}, "drop-after: it ran", web)
sim_post(URL, "/sim/fault", "drop:VM.set_name_label#+1")
dropped("VM.set_name_label", s, vm, "never")
check(ok("VM.get_name_label", s, vm) == "web-01", "drop: it did not run")

status, body = sim_post(URL, "/sim/fault", "explode:1")
check(status == 400, "a bad spec is refused", status, body)
status, body = sim_post(URL, "/sim/fault", "fail:3")
check(status == 400, "fail without a code is refused", status, body)

# latency at run time
sim_post(URL, "/sim/latency", "250")
t0 = time.time()
ok("pool.get_all", s)
check(time.time() - t0 >= 0.25, "latency added", time.time() - t0)
sim_post(URL, "/sim/latency", "0")
t0 = time.time()
ok("pool.get_all", s)
check(time.time() - t0 < 0.25, "latency removed", time.time() - t0)

# the same controls as calls, XML-RPC and JSON-RPC; never counted
n = calls(URL)["count"]
p = xmlrpc.client.ServerProxy(URL)
p.sim.fault("fail:+1:XML_FAULT")
check(failure("pool.get_all", s) == ["XML_FAULT"], "sim.fault over XML-RPC")
c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
c.request("POST", "/jsonrpc", json.dumps(
    {"jsonrpc": "2.0", "method": "sim.fault", "id": 1,
     "params": ["fail:pool.get_all#+1:JSON_FAULT:x"]}),
    {"Content-Type": "application/json"})
check(c.getresponse().status == 200, "sim.fault over JSON-RPC")
check(failure("pool.get_all", s) == ["JSON_FAULT", "x"],
      "sim.fault over JSON-RPC fires")
check(calls(URL)["count"] == n + 2, "sim.* not counted", calls(URL), n)
check(p.sim.calls()["count"] == n + 2, "sim.calls")

# a real client meets a dropped reply: Python's xmlrpc.client sends the
# call again once on a kept-alive connection that was closed, so the drop
# is invisible for a read, and a non-idempotent write runs twice
session = XenAPI.Session(URL)
session.xenapi.login_with_password("root", "")
n = calls(URL)["count"]
sim_post(URL, "/sim/fault", "drop:VM.get_all#+1")
check(len(session.xenapi.VM.get_all()) == 4, "XenAPI.py retried the read")
check(calls(URL)["calls"][n:] == ["VM.get_all", "VM.get_all"],
      "sent twice", calls(URL)["calls"][n:])
sim_post(URL, "/sim/fault", "drop-after:VM.add_to_other_config#+1")
try:
    session.xenapi.VM.add_to_other_config(vm, "once", "1")
    check(False, "the resent add_to_ should fail")
except XenAPI.Failure as e:
    check(e.details == ["MAP_DUPLICATE_KEY", "VM", "other_config", vm,
                        "once"], "resent write", e.details)
# after: another client's calls between a call and its reply: the read
# is as before them, the database as after, and they are not counted
session.xenapi.VM.remove_from_other_config(vm, "once")
n = calls(URL)["count"]
status, _ = sim_post(URL, "/sim/fault", "after:VM.get_other_config#+1:" +
                     json.dumps([["VM.add_to_other_config", vm, "racer", "1"],
                                 ["VM.add_to_other_config", vm, "racer", "2"]]))
check(status == 200, "after: rule taken", status)
before = session.xenapi.VM.get_other_config(vm)
check("racer" not in before, "after: the read comes first", before)
check(session.xenapi.VM.get_other_config(vm).get("racer") == "1",
      "after: the racer's call ran (its failing second one skipped)")
check(calls(URL)["calls"][n:] == ["VM.get_other_config"] * 2,
      "after: the racer's calls not counted", calls(URL)["calls"][n:])
session.xenapi.VM.remove_from_other_config(vm, "racer")
for bad in ("after:VM.get_all#+1", "after:VM.get_all#+1:[]",
            'after:VM.get_all#+1:["VM.get_all"]'):
    check(sim_post(URL, "/sim/fault", bad)[0] == 400, "bad rule taken", bad)
# two drops in a row: the client gives up
sim_post(URL, "/sim/fault", "drop:VM.get_all#+1")
sim_post(URL, "/sim/fault", "drop:VM.get_all#+2")
try:
    session.xenapi.VM.get_all()
    check(False, "XenAPI.py did not see two drops")
except (http.client.RemoteDisconnected, ConnectionError):
    pass
check(len(session.xenapi.VM.get_all()) == 4, "XenAPI.py goes on")
# sessions expire: SESSION_INVALID for everyone
sim_post(URL, "/sim/expire-sessions")
check(failure("VM.get_all", s) == ["SESSION_INVALID", s], "expired")
session.xenapi.VM.get_all()     # XenAPI.py logs in again by itself
session.xenapi.session.logout()
sim_post(URL, "/sim/reset-calls")
check(calls(URL) == {"count": 0, "calls": [], "by_method": {}}, "reset")
print("faults: ok")
