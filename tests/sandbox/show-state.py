# SPDX-License-Identifier: MIT
"""show-state.py URL - prints what a XenAPI host holds for the fields
xenbake manages, read with Debian's unmodified XenAPI.py client:
    /usr/bin/python3 tests/sandbox/show-state.py http://127.0.0.1:PORT
"""
import sys

from os_xenapi.client import XenAPI


def show(kind, records, label, fields):
    for rec in sorted(records.values(), key=label):
        values = []
        for field in fields:
            value = rec.get(field)
            if isinstance(value, dict):
                values += ["%s:%s=%r" % (field, k, v) for k, v in sorted(value.items())]
            elif value:
                values.append("%s=%r" % (field, value))
        if values:
            print("%-8s %-24s %s" % (kind, label(rec), ("\n" + " " * 34).join(values)))


def main():
    session = XenAPI.Session(sys.argv[1])
    session.xenapi.login_with_password("root", "", "2.0", "show-state")
    try:
        api = session.xenapi
        hosts = api.host.get_all_records()
        host_name = {ref: h["name_label"] for ref, h in hosts.items()}
        vms = {r: v for r, v in api.VM.get_all_records().items()
               if not v["is_a_template"] and not v["is_control_domain"]}
        show("vm", vms, lambda r: r["name_label"], ["xenstore_data", "other_config"])
        show("sr", api.SR.get_all_records(), lambda r: r["name_label"], ["other_config"])
        show("network", api.network.get_all_records(), lambda r: r["name_label"],
             ["other_config"])
        show("pif", api.PIF.get_all_records(),
             lambda r: "%s@%s" % (r["device"], host_name.get(r["host"], "?")),
             ["other_config"])
    finally:
        session.xenapi.session.logout()


if __name__ == "__main__":
    main()
