# SPDX-License-Identifier: MIT
"""xapi-batched.py URL N K CONNECTIONS - the same algorithm as xenbake's,
written as a short script on Debian's unmodified XenAPI.py: one
get_all_records per class, then one whole-map set_ per changed map
(VM.set_xenstore_data, set_other_config), spread over CONNECTIONS
connections (threads, each with its own login). It is the honest peer of
xenbake's XenAPI writes; like any whole-map write it would remove a key
another client added between its read and its write.
    /usr/bin/python3 bench/xapi-batched.py http://127.0.0.1:PORT 1000 10 4
"""
import sys
import threading

from os_xenapi.client import XenAPI


def login(url):
    session = XenAPI.Session(url)
    session.xenapi.login_with_password("root", "", "2.0", "bench")
    return session


def writes(api, n, k):
    """(class, setter, ref, map) for every map that differs."""
    out = []
    vms = {rec["name_label"]: (ref, rec) for ref, rec in api.VM.get_all_records().items()}
    for i in range(n):
        ref, rec = vms["vm-%05d" % i]
        want = dict(rec["xenstore_data"])
        want.update({"vm-data/key-%02d" % j: "value-%d-%d" % (i, j) for j in range(k)})
        if want != rec["xenstore_data"]:
            out.append(("VM", "set_xenstore_data", ref, want))

    def other(cls, match, keys):
        for ref, rec in getattr(api, cls).get_all_records().items():
            if match(rec):
                want = dict(rec["other_config"], **keys)
                if want != rec["other_config"]:
                    out.append((cls, "set_other_config", ref, want))

    other("SR", lambda r: r["name_label"] == "Local storage",
          {"i18n-key": "local-storage", "i18n-original-value-name_label": "Local storage"})
    other("network", lambda r: r["name_label"] == "Storage network",
          {"HideFromXenCenter": "true"})
    other("PIF", lambda r: r["device"] == "eth1", {"HideFromXenCenter": "true"})
    return out


def main():
    url, n, k, conns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    first = login(url)
    try:
        todo = writes(first.xenapi, n, k)
        sessions = [first] + [login(url) for _ in range(conns - 1)]
        errors = []

        def worker(session, part):
            try:
                for cls, setter, ref, value in part:
                    getattr(getattr(session.xenapi, cls), setter)(ref, value)
            except Exception as e:  # reported after the join
                errors.append(e)

        threads = [threading.Thread(target=worker, args=(s, todo[i::conns]))
                   for i, s in enumerate(sessions)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for s in sessions[1:]:
            s.xenapi.session.logout()
        if errors:
            raise errors[0]
    finally:
        first.xenapi.session.logout()


if __name__ == "__main__":
    main()
