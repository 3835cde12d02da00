# SPDX-License-Identifier: MIT
"""wire.py URL XAPI_SOCKET - the wire rules of XenAPI, with a raw HTTP
client (http.client), over TCP and the unix socket: paths and content
types, reply shapes of XML-RPC and JSON-RPC v1/v2, listMethods, arity,
unknown methods, the 300 KiB limit, Content-Length, keep-alive, untyped
XML-RPC strings and ints, invalid UTF-8."""
import http.client
import json
import socket
import sys
import time
import urllib.parse
import xmlrpc.client

from simlib import UnixHTTPConnection, calls, check, state

URL, XAPISOCK = sys.argv[1:3]
u = urllib.parse.urlsplit(URL)


def tcp():
    return http.client.HTTPConnection(u.hostname, u.port, timeout=30)


def post(conn, path, body, ctype="text/xml"):
    conn.request("POST", path, body, {"Content-Type": ctype})
    r = conn.getresponse()
    return r, r.read()


def xml_call(conn, method, *params, path="/"):
    r, body = post(conn, path, xmlrpc.client.dumps(params, method).encode())
    check(r.status == 200, "%s: HTTP %d" % (method, r.status), body)
    check(r.getheader("Content-Type") == "text/xml",
          "XML-RPC content type", r.getheader("Content-Type"))
    return xmlrpc.client.loads(body)[0][0], body


def json_call(conn, method, params, v2=False, rid=7):
    req = {"method": method, "params": params, "id": rid}
    if v2:
        req["jsonrpc"] = "2.0"
    r, body = post(conn, "/jsonrpc", json.dumps(req).encode(),
                   "application/json")
    check(r.status == 200, "%s: HTTP %d" % (method, r.status), body)
    check(r.getheader("Content-Type") == "application/json",
          "JSON-RPC content type", r.getheader("Content-Type"))
    return json.loads(body)


for name, make in (("tcp", tcp), ("unix", lambda: UnixHTTPConnection(
        XAPISOCK))):
    c = make()
    # XML-RPC on / and /RPC2; login with 2, 3 and 4 parameters
    logins = []
    for path, params in (("/", ("root", "")), ("/RPC2", ("root", "", "2.0")),
                         ("/", ("root", "", "2.0", "wire"))):
        reply, _ = xml_call(c, "session.login_with_password", *params,
                            path=path)
        check(reply["Status"] == "Success" and
              reply["Value"].startswith("OpaqueRef:"), "login " + path, reply)
        logins.append(reply["Value"])
    s = reply["Value"]
    sock = c.sock
    # one connection for all of them: HTTP/1.1 keep-alive
    reply, raw = xml_call(c, "VM.get_all_records", s)
    check(c.sock is sock, name + ": the connection was kept")
    check(b"<value>OpaqueRef:" in raw and b"<string>" not in raw,
          "strings travel untyped, as xapi sends them", raw[:300])
    check(b"<name>domid</name><value>5</value>" in raw,
          "ints travel as untyped strings in XML-RPC", raw[:300])
    check(b"<name>is_a_template</name><value><boolean>0</boolean>" in raw,
          "booleans are typed")
    check(raw.startswith(b'<?xml version="1.0"?><methodResponse><params>'
                         b"<param><value><struct><member><name>Status</name>"
                         b"<value>Success</value>"), "reply struct", raw[:200])
    web = [r for r in reply["Value"].values() if r["name_label"] == "web-01"]
    check(len(web) == 1 and web[0]["domid"] == "5", "web-01 over " + name)
    # replies come in one piece: 50 calls on a kept connection in
    # under 1.5 s even on a busy machine (headers and body apart cost
    # 40 ms a call in delayed ACKs: 2 s)
    t0 = time.time()
    for _ in range(50):
        xml_call(c, "pool.get_all", s)
    check(time.time() - t0 < 1.5, name + ": 50 calls took %.2f s" %
          (time.time() - t0))
    check(c.sock is sock, name + ": still the same connection")
    # void
    vm = xml_call(c, "VM.get_by_name_label", s, "web-01")[0]["Value"][0]
    reply, raw = xml_call(c, "VM.set_name_description", s, vm, "wire")
    check(reply == {"Status": "Success", "Value": ""}, "void is ''", reply)
    # listMethods: a bare array, not a Status struct
    methods, raw = xml_call(c, "system.listMethods")
    check(isinstance(methods, list) and "VM.get_all_records" in methods and
          "VM.add_to_xenstore_data" in methods and
          "SR.set_name_label" in methods and
          "PIF.get_by_name_label" not in methods and
          not any(m.startswith("sim.") for m in methods),
          "system.listMethods", methods[:10])
    check(xml_call(c, "system.isAlive")[0]["Status"] == "Success", "isAlive")
    # failures
    reply = xml_call(c, "VM.frobnicate", s)[0]
    check(reply == {"Status": "Failure", "ErrorDescription":
                    ["MESSAGE_METHOD_UNKNOWN", "VM.frobnicate"]},
          "unknown method", reply)
    reply = xml_call(c, "VM.get_all")[0]
    check(reply["ErrorDescription"] == ["MESSAGE_PARAMETER_COUNT_MISMATCH",
                                        "VM.get_all", "1", "0"], "arity",
          reply)
    for params in (("root",), ("a", "b", "c", "d", "e")):
        reply = xml_call(c, "session.login_with_password", *params)[0]
        check(reply["ErrorDescription"] ==
              ["MESSAGE_PARAMETER_COUNT_MISMATCH",
               "session.login_with_password", "4", str(len(params))],
              "login arity", reply)
    reply = xml_call(c, "VM.get_all", "OpaqueRef:x")[0]
    check(reply["ErrorDescription"] == ["SESSION_INVALID", "OpaqueRef:x"],
          "SESSION_INVALID", reply)

    # JSON-RPC: v1 without "jsonrpc", v2 with it
    out = json_call(c, "session.login_with_password", ["root", "x"])
    check(set(out) == {"result", "error", "id"} and out["error"] is None and
          out["id"] == 7 and out["result"].startswith("OpaqueRef:"),
          "JSON-RPC v1 success", out)
    js = out["result"]
    out = json_call(c, "VM.get_record", [js, vm], v2=True, rid="x")
    check(set(out) == {"jsonrpc", "result", "id"} and out["id"] == "x" and
          out["result"]["domid"] == 5 and out["result"]["name_label"] ==
          "web-01", "JSON-RPC v2 success; ints are numbers", out)
    out = json_call(c, "VM.frobnicate", [js])
    check(out == {"result": None, "id": 7, "error":
                  ["MESSAGE_METHOD_UNKNOWN", "VM.frobnicate"]},
          "JSON-RPC v1 failure", out)
    out = json_call(c, "VM.get_record", [js, "OpaqueRef:nope"], v2=True)
    check(out == {"jsonrpc": "2.0", "id": 7, "error": {
        "code": 1, "message": "HANDLE_INVALID",
        "data": ["VM", "OpaqueRef:nope"]}}, "JSON-RPC v2 failure", out)
    out = json_call(c, "VM.get_all", [], v2=True)
    check(out["error"]["data"] == ["VM.get_all", "1", "0"], "v2 arity", out)
    out = json_call(c, "system.listMethods", [])
    check("VM.get_all" in out["result"], "JSON listMethods", out)

    # invalid UTF-8 in a parameter: INVALID_VALUE, over both protocols
    body = xmlrpc.client.dumps((s, vm, "XXXX"),
                               "VM.set_name_label").encode()
    r, raw = post(c, "/", body.replace(b"XXXX", b"caf\xe9"))
    reply = xmlrpc.client.loads(raw)[0][0]
    check(reply["ErrorDescription"][:2] == [
        "INVALID_VALUE", "Invalid UTF-8 string in parameter"],
        "invalid UTF-8 over XML-RPC", reply)
    body = json.dumps({"method": "VM.set_name_label",
                       "params": [js, vm, "XXXX"], "id": 1}).encode()
    r, raw = post(c, "/jsonrpc", body.replace(b"XXXX", b"caf\xe9"),
                  "application/json")
    check(json.loads(raw)["error"][:1] == ["INVALID_VALUE"],
          "invalid UTF-8 over JSON-RPC", raw)
    check(xml_call(c, "VM.get_name_label", s, vm)[0]["Value"] == "web-01",
          "name unchanged")
    # control characters: cut off where they start, when stored
    out = json_call(c, "VM.set_name_description", [js, vm, "ok\u0001gone"])
    check(out["error"] is None, "control char accepted", out)
    check(xml_call(c, "VM.get_name_description", s, vm)[0]["Value"] == "ok",
          "control char cut")
    body = xmlrpc.client.dumps((s, vm, {"k": "a&#1;b", "t\tab": "x"}),
                               "VM.set_other_config").encode()
    r, raw = post(c, "/", body.replace(b"a&amp;#1;b", b"a&#1;b"))
    check(xmlrpc.client.loads(raw)[0][0]["Status"] == "Success", "&#1;")
    oc = xml_call(c, "VM.get_other_config", s, vm)[0]["Value"]
    check(oc == {"k": "a", "t\tab": "x"}, "char reference cut", oc)
    xml_call(c, "VM.set_other_config", s, vm, {"owner": "ops"})

    # logout, both sessions
    for sess in logins + [js]:
        xml_call(c, "session.logout", sess)
    c.close()

# a body of exactly 300 KiB is read; one byte more gets HTTP 500
for size, status in ((300 * 1024, 200), (300 * 1024 + 1, 500)):
    call = xmlrpc.client.dumps((), "system.isAlive").encode()
    body = call + b" " * (size - len(call))
    c = tcp()
    c.request("POST", "/", body, {"Content-Type": "text/xml"})
    r = c.getresponse()
    raw = r.read()
    check(r.status == status, "%d-byte body: HTTP %d" % (size, r.status), raw)
    if status == 500:
        check(r.getheader("Connection") == "close", "500 closes")
    c.close()

# no Content-Length: HTTP 500
s = socket.create_connection((u.hostname, u.port), timeout=30)
call = xmlrpc.client.dumps((), "system.isAlive").encode()
s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n\r\n" +
          call)
reply = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    reply += chunk
s.close()
check(reply.startswith(b"HTTP/1.1 500") or reply.startswith(b"HTTP/1.0 500"),
      "no Content-Length", reply[:100])

# HTTP/1.0: the reply closes the connection
s = socket.create_connection((u.hostname, u.port), timeout=30)
s.sendall(b"POST /RPC2 HTTP/1.0\r\nContent-Type: text/xml\r\n"
          b"Content-Length: %d\r\n\r\n" % len(call) + call)
reply = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    reply += chunk
s.close()
check(b"Connection: close" in reply and b"<value>Success</value>" in reply,
      "HTTP/1.0", reply[:300])

# the simulator saw it all; both sockets' sessions ended
st = state(URL)
check(st["sessions"] == [], "no session left", st["sessions"])
check({s["socket"] for s in st["logged_out"]} == {"tcp", "unix"},
      "sessions on both sockets", st["logged_out"])
check(calls(URL)["by_method"]["system.isAlive"] >= 3, "isAlive counted")
print("wire: ok")
