# SPDX-License-Identifier: MIT
"""snapshot.py URL XENSTORED_SOCKET... - the whole state of a sandbox pool
as one canonical JSON document on stdout, for tests that compare states
rather than count requests:

  "xapi"      every object of the simulator's database (GET /sim/state,
              without the sessions, which come and go) at URL (the master)
  "xenapi"    VM, SR, network, PIF, PBD, host and pool records read through
              Debian's unmodified XenAPI client (os_xenapi), as a second,
              independent reading of the same database
  "xenstore"  per socket, every node of that xenstored from / (value and
              permissions), read with Debian's pyxs

Imported, snapshot(url, sockets) returns the same as a dict.
"""
import json
import sys
import urllib.request

from os_xenapi.client import XenAPI
from pyxs import Client, PyXSError

CLASSES = ("VM", "SR", "network", "PIF", "PBD", "host", "pool")


def sim_db(url):
    with urllib.request.urlopen(url + "/sim/state") as r:
        state = json.load(r)
    state.pop("sessions", None)
    state.pop("logged_out", None)
    return state


def xenapi_db(url):
    session = XenAPI.Session(url)
    session.xenapi.login_with_password("root", "", "2.0", "xenbake-test")
    try:
        api = session.xenapi
        out = {}
        for cls in CLASSES:
            recs = getattr(api, cls).get_all_records()
            out[cls] = {ref: recs[ref] for ref in sorted(recs)}
        return out
    finally:
        session.xenapi.session.logout()


def xs_tree(sock):
    """path -> [value, perms...] for every node."""
    out = {}
    with Client(unix_socket_path=sock) as c:
        def walk(path):
            try:
                value = c.read(path.encode())
                perms = [p.decode() for p in c.get_perms(path.encode())]
                children = c.list(path.encode())
            except PyXSError:
                return          # gone while we walked
            out[path] = [value.decode("utf-8", "backslashreplace")] + perms
            for child in sorted(children):
                name = child.decode("utf-8", "backslashreplace")
                walk(path.rstrip("/") + "/" + name)
        walk("/")
    return out


def snapshot(url, sockets):
    return {"xapi": sim_db(url), "xenapi": xenapi_db(url),
            "xenstore": [xs_tree(s) for s in sockets]}


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    json.dump(snapshot(argv[1], argv[2:]), sys.stdout, indent=1,
              sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
