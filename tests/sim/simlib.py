# SPDX-License-Identifier: MIT
"""simlib.py - helpers for the simulator's fidelity tests (tests/sim/):
the simulator's /sim/ controls over http.client, a XenAPI Failure
checker, and independent xenstore reads through Debian's pyxs."""
import http.client
import json
import socket
import sys
import urllib.parse


def check(cond, what, *detail):
    if not cond:
        sys.stderr.write("FAIL: %s\n" % what)
        for d in detail:
            sys.stderr.write("  %r\n" % (d,))
        sys.exit(1)


def _conn(url):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=30)


def sim_get(url, path):
    c = _conn(url)
    try:
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        check(r.status == 200, "GET %s: status %d" % (path, r.status), body)
        return json.loads(body)
    finally:
        c.close()


def sim_post(url, path, payload=""):
    c = _conn(url)
    try:
        body = payload if isinstance(payload, str) else json.dumps(payload)
        c.request("POST", path, body.encode(),
                  {"Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        return r.status, data
    finally:
        c.close()


def calls(url):
    return sim_get(url, "/sim/calls")


def state(url):
    return sim_get(url, "/sim/state")


def expect_failure(failure_class, fn, args, want):
    """fn(*args) must raise failure_class whose .details == want."""
    try:
        got = fn(*args)
    except failure_class as e:
        check(list(e.details) == list(want), "failure details", e.details,
              want)
        return
    check(False, "no failure, want %r" % (want,), got)


def xs_read(xsock, path):
    """The value at path, or None; read with pyxs, not the simulator."""
    from pyxs import Client, PyXSError
    with Client(unix_socket_path=xsock) as c:
        try:
            return c[path.encode()].decode()
        except PyXSError:
            return None


def xs_tree(xsock, top):
    """{relative path: value} of every node under top (top excluded)."""
    from pyxs import Client, PyXSError
    out = {}
    with Client(unix_socket_path=xsock) as c:
        try:
            for path, value, _ in c.walk(top.encode()):
                rel = path.decode()[len(top) + 1:]
                if rel:
                    out[rel] = value.decode()
        except PyXSError:
            pass
    return out


def xs_perms(xsock, path):
    from pyxs import Client
    with Client(unix_socket_path=xsock) as c:
        return [p.decode() for p in c.get_perms(path.encode())]


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over the simulator's unix socket."""

    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)
