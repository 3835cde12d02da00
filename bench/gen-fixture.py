# SPDX-License-Identifier: MIT
"""gen-fixture.py N [halted] [realistic] - a sandbox fixture (CONTRACT.md's
format) for the synthetic sources of gen-source.py: N VMs vm-00000..
running with domids 1..N on one host (or halted), plus an SR, a network and
its PIF. "realistic" gives each VM the other_config keys a VM installed
from a template carries (the simulator's --realistic adds the other
fields of a real record).
    /usr/bin/python3 bench/gen-fixture.py 1000 > host.json
"""
import json
import sys
import uuid


def ident(kind, i):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "xenbake-bench/%s/%d" % (kind, i)))


def other_config(i):
    """What xapi and XenCenter leave in a VM's other_config."""
    return {"base_template_name": "Debian Bookworm 12",
            "install-methods": "cdrom,nfs,http,ftp",
            "linux_template": "true", "import_task": "OpaqueRef:NULL",
            "mac_seed": ident("mac", i),
            "install-repository": "cdrom",
            "folder": "/production/web",
            "XenCenter.CustomFields.owner": "team-%d" % (i % 17)}


def main():
    n = int(sys.argv[1])
    running = "halted" not in sys.argv[2:]
    realistic = "realistic" in sys.argv[2:]
    host = ident("host", 0)
    net = ident("network", 0)
    json.dump({
        "hosts": [{"uuid": host, "name_label": "xs-01", "address": "127.0.0.1"}],
        "vms": [{"uuid": ident("vm", i), "name_label": "vm-%05d" % i,
                 "power_state": "Running" if running else "Halted",
                 "domid": i + 1 if running else -1,
                 "resident_on": host if running else "",
                 "is_a_template": False, "is_control_domain": False,
                 "xenstore_data": {},
                 "other_config": other_config(i) if realistic else {}}
                for i in range(n)],
        "srs": [{"uuid": ident("sr", 0), "name_label": "Local storage",
                 "name_description": "", "other_config": {}, "pbds_plugged": True}],
        "networks": [{"uuid": net, "name_label": "Storage network", "other_config": {}}],
        "pifs": [{"uuid": ident("pif", 0), "device": "eth1", "host": host,
                  "network": net, "other_config": {}}],
    }, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
