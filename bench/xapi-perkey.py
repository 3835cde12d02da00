# SPDX-License-Identifier: MIT
"""xapi-perkey.py URL N K - what users do today, as `xe vm-param-set` and
Ansible do: one XenAPI call per key, through Debian's unmodified XenAPI.py.
For each of N VMs (vm-00000..) it sets K vm-data keys with
VM.add_to_xenstore_data (removing the key first, since add_to fails on an
existing key), then hides the network and the PIF and localises the SR,
one other_config key at a time. The simulator counts the calls.
    /usr/bin/python3 bench/xapi-perkey.py http://127.0.0.1:PORT 1000 10
"""
import sys

from os_xenapi.client import XenAPI


def set_key(cls, ref, key, value, add, remove):
    getattr(cls, remove)(ref, key)
    getattr(cls, add)(ref, key, value)


def main():
    url, n, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    session = XenAPI.Session(url)
    session.xenapi.login_with_password("root", "", "2.0", "bench")
    api = session.xenapi
    other = ("add_to_other_config", "remove_from_other_config")
    try:
        for i in range(n):
            (vm,) = api.VM.get_by_name_label("vm-%05d" % i)
            for j in range(k):
                set_key(api.VM, vm, "vm-data/key-%02d" % j, "value-%d-%d" % (i, j),
                        "add_to_xenstore_data", "remove_from_xenstore_data")
        for ref in api.network.get_by_name_label("Storage network"):
            set_key(api.network, ref, "HideFromXenCenter", "true", *other)
        for ref in api.SR.get_by_name_label("Local storage"):
            set_key(api.SR, ref, "i18n-key", "local-storage", *other)
            set_key(api.SR, ref, "i18n-original-value-name_label", "Local storage", *other)
        for ref, rec in api.PIF.get_all_records().items():
            if rec["device"] == "eth1":
                set_key(api.PIF, ref, "HideFromXenCenter", "true", *other)
    finally:
        api.session.logout()


if __name__ == "__main__":
    main()
