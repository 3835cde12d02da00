#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""canned-xapi.py - a tiny XML-RPC server with canned XenAPI replies, for
testing the client's transport and its checks of reply shapes.

  canned-xapi.py --port-file F --log F [--bind ADDR] [--port N]
                 [--unix PATH] [--replies FILE.json] [--mode MODE]
                 [--master ADDR] [--tls-cert PEM --tls-key PEM] [--raw-names]

--replies maps a method name to its Value, or to {"fault": [CODE, ...]}, or
to {"raw": "BODY"} (sent as is). Login and logout answer by themselves.
--mode makes every reply (but login's, unless named) misbehave:
  status500  HTTP 500 with an HTML page       html     200 with an HTML page
  garbage    200 with text that is not XML    huge     200 with 256 MiB + 1
  huge-chunked  257 MiB in chunks, no Content-Length
(both written 1 MiB at a time, never held whole; one byte over xenbake's
limit, XR_MAX_REPLY)
  slow       waits 3 s before answering       slave    login: HOST_IS_SLAVE
  session-invalid-once   the first call after login: SESSION_INVALID
The log gets one line per connection ("connect") and per call
("METHOD PARAMS-AS-JSON").
"""
import argparse
import html
import http.server
import json
import os
import re
import socketserver
import ssl
import sys
import threading
import time
import xmlrpc.client

LOCK = threading.Lock()
HUGE = (256 << 20) + 1          # XR_MAX_REPLY + 1
SPACES = b" " * (1 << 20)


def log(args, line):
    with LOCK, open(args.log, "a") as f:
        f.write(line + "\n")


RAW_NAMES = False


def raw_names(body):
    """Member names unescaped, as xapi writes them."""
    return re.sub(r"<name>(.*?)</name>",
                  lambda m: "<name>%s</name>" % html.unescape(m.group(1)),
                  body)


def success(value):
    body = xmlrpc.client.dumps(({"Status": "Success", "Value": value},),
                               methodresponse=True, allow_none=True)
    return raw_names(body) if RAW_NAMES else body


def failure(desc):
    return xmlrpc.client.dumps(({"Status": "Failure",
                                 "ErrorDescription": desc},),
                               methodresponse=True)


class State:
    def __init__(self):
        self.sessions = 0
        self.invalidated = False


def make_handler(args, replies, state):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            log(args, "connect")

        def log_message(self, fmt, *a):
            pass

        def send(self, code, body, ctype="text/xml"):
            data = body.encode() if isinstance(body, str) else body
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(n)
            if self.headers.get("Content-Type") != "text/xml":
                log(args, "bad-content-type %s" %
                    self.headers.get("Content-Type"))
            try:
                params, method = xmlrpc.client.loads(raw)
            except Exception as e:   # noqa: BLE001 - tell the test
                log(args, "unparsable %r" % e)
                self.send(400, "bad request", "text/plain")
                return
            log(args, "%s %s" % (method, json.dumps(params)))
            mode = args.mode
            if method == "session.login_with_password":
                if mode == "slave":
                    self.send(200, failure(["HOST_IS_SLAVE", args.master]))
                    return
                state.sessions += 1
                self.send(200, success("OpaqueRef:session-%d" %
                                       state.sessions))
                return
            if mode == "session-invalid-once" and not state.invalidated:
                state.invalidated = True
                self.send(200, failure(["SESSION_INVALID", params[0]]))
                return
            if mode == "status500":
                self.send(500, "<html><body>500 Internal Server Error"
                          "</body></html>", "text/html")
                return
            if mode == "html":
                self.send(200, "<!DOCTYPE html><html><body><h1>It works"
                          "</h1></body></html>", "text/html")
                return
            if mode == "garbage":
                self.send(200, "this is not XML\n", "text/plain")
                return
            if mode == "huge":         # refused on its Content-Length
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(HUGE))
                self.end_headers()
                try:
                    for _ in range(HUGE >> 20):
                        self.wfile.write(SPACES)
                    self.wfile.write(b" ")
                except (BrokenPipeError, ConnectionResetError):
                    pass
                return
            if mode == "huge-chunked":     # no Content-Length to refuse
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"%x\r\n%s\r\n" % (len(SPACES), SPACES)
                try:
                    for _ in range((HUGE >> 20) + 1):
                        self.wfile.write(chunk)
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass
                return
            if mode == "slow":
                time.sleep(3)
            if method == "session.logout":
                self.send(200, success(""))
                return
            if method not in replies:
                self.send(200, failure(["MESSAGE_METHOD_UNKNOWN", method]))
                return
            reply = replies[method]
            if isinstance(reply, dict) and "fault" in reply:
                self.send(200, failure(reply["fault"]))
            elif isinstance(reply, dict) and "raw" in reply:
                self.send(200, reply["raw"])
            else:
                self.send(200, success(reply))

    return Handler


class TCPServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class UnixServer(socketserver.ThreadingMixIn,
                 socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        conn, _ = super().get_request()
        return conn, ("unix", 0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--unix")
    p.add_argument("--replies")
    p.add_argument("--mode", default="")
    p.add_argument("--master", default="127.0.0.2")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--raw-names", action="store_true",
                   help="write member names unescaped, as xapi does")
    args = p.parse_args()
    global RAW_NAMES
    RAW_NAMES = args.raw_names
    replies = {}
    if args.replies:
        with open(args.replies) as f:
            replies = json.load(f)
    handler = make_handler(args, replies, State())
    servers = []
    tcp = TCPServer((args.bind, args.port), handler)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        tcp.socket = ctx.wrap_socket(tcp.socket, server_side=True)
    servers.append(tcp)
    if args.unix:
        if os.path.exists(args.unix):
            os.unlink(args.unix)
        servers.append(UnixServer(args.unix, handler))
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % tcp.server_address[1])
    os.rename(tmp, args.port_file)
    try:
        tcp.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
