# SPDX-License-Identifier: MIT
"""pool3-merge.py POOL.json [HOST.json] > OUT.json

The realistic 3-host pool (tests/sim/pool3.json: every host with its
installer SRs "Local storage", "Removable storage", "DVD drives", eth0
and eth1 with VLANs 20 and 30 on eth1, control domains, templates, a
snapshot), plus what an example's host.json adds: its VMs (the running
ones spread over the three hosts), and its SRs and networks unless the
pool has that name already. The example's own host and PIFs are dropped:
its `pif "eth1"` then meets the pool's physical eth1 of each host beside
their VLAN PIFs. No root password, so the tests' clients log in as on
dom0's socket."""
import json
import sys

pool = json.load(open(sys.argv[1]))
pool.pop("root_password", None)
hosts = [h["uuid"] for h in pool["hosts"]]
if len(sys.argv) > 2:
    ex = json.load(open(sys.argv[2]))
    names = {(k, o["name_label"]) for k in ("srs", "networks")
             for o in pool[k]}
    for k in ("srs", "networks"):
        for o in ex.get(k, []):
            if (k, o["name_label"]) not in names:
                pool[k].append(o)
    n = 0
    for vm in ex.get("vms", []):
        vm = dict(vm)
        if vm.get("power_state") in ("Running", "Paused"):
            vm["resident_on"] = hosts[n % len(hosts)]
            vm["domid"] = 10 + n // len(hosts)   # above the pool's own
            n += 1
        else:
            vm.pop("resident_on", None)
        pool["vms"].append(vm)
json.dump(pool, sys.stdout, indent=1, sort_keys=True)
