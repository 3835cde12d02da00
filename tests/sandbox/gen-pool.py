#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""gen-pool.py - a sandbox fixture shaped like a real pool (see
docs/xapi-facts.md for where each shape comes from):

    gen-pool.py [--hosts N] [--vms-per-host M] [--vlans 20,30]
                [--root-password PW] [--seed S] > pool.json

Every host, xs-01 .. xs-NN on 127.0.0.1 .. 127.0.0.N (the first is the
master), has what the installer and xapi leave on it:
  - its control domain ("Control domain on host: xs-NN", domid 0);
  - its own non-shared "Local storage", "Removable storage" and "DVD
    drives" SRs, one PBD each, with the i18n keys storage-init sets;
  - physical PIFs eth0 (management) and eth1 (VLAN -1), on the pool-wide
    networks, and a VLAN PIF per tag on eth1 (device eth1, VLAN = the
    tag, physical false) on a network per VLAN;
  - other_config multipathhandle=dmp (storage-init).
Then M running guests per host (web-NN-K, domid 1..M, vm-data keys), a
paused one on xs-01 (paused-01, domid M+1), one
halted VM with other_config and xenstore_data, a snapshot of it (a
template, snapshot_of the VM) and a clone (a new mac_seed), and the
default templates (is_default_template). Same arguments, same bytes: the
uuids are derived from --seed.
"""
import argparse
import json
import sys
import uuid as uuidlib

TEMPLATES = ["Debian Bookworm 12", "Rocky Linux 9", "Windows Server 2022 (64-bit)",
             "Other install media"]


def main(argv):
    p = argparse.ArgumentParser(prog="gen-pool.py")
    p.add_argument("--hosts", type=int, default=3)
    p.add_argument("--vms-per-host", type=int, default=2)
    p.add_argument("--vlans", default="20,30",
                   help="VLAN tags on eth1 of every host (comma list)")
    p.add_argument("--root-password", default=None,
                   help="root's password, checked over TCP")
    p.add_argument("--seed", default="xenbake-pool")
    a = p.parse_args(argv)
    if not 1 <= a.hosts <= 250 or not 0 <= a.vms_per_host <= 1000:
        p.error("--hosts 1..250, --vms-per-host 0..1000")
    vlans = [int(v) for v in a.vlans.split(",") if v.strip()]
    if any(not 0 <= v <= 4094 for v in vlans):
        p.error("a VLAN tag is 0..4094")
    ns = uuidlib.uuid5(uuidlib.NAMESPACE_URL, "xenbake:" + a.seed)

    def uid(*parts):
        return str(uuidlib.uuid5(ns, "/".join(str(x) for x in parts)))

    fx = {"pools": [{"uuid": uid("pool"), "name_label": "pool",
                     "other_config": {}}],
          "hosts": [], "vms": [], "srs": [], "networks": [], "pifs": []}
    if a.root_password is not None:
        fx["root_password"] = a.root_password
    net0 = uid("net", "eth0")
    net1 = uid("net", "eth1")
    fx["networks"] += [
        {"uuid": net0, "name_label": "Pool-wide network associated with eth0",
         "bridge": "xenbr0", "other_config": {}},
        {"uuid": net1, "name_label": "Pool-wide network associated with eth1",
         "bridge": "xenbr1", "other_config": {}}]
    for tag in vlans:
        fx["networks"].append({
            "uuid": uid("net", "vlan", tag),
            "name_label": "VLAN %d" % tag, "bridge": "xapi%d" % tag,
            "other_config": {}})
    for h in range(1, a.hosts + 1):
        name = "xs-%02d" % h
        host = uid("host", h)
        fx["hosts"].append({
            "uuid": host, "name_label": name, "hostname": name,
            "address": "127.0.0.%d" % h, "master": h == 1,
            "other_config": {"multipathhandle": "dmp"}})
        fx["vms"].append({
            "uuid": uid("dom0", h), "name_label": "Control domain on host: %s"
            % name, "power_state": "Running", "domid": 0,
            "resident_on": host, "is_a_template": False,
            "is_control_domain": True, "xenstore_data": {},
            "other_config": {"storage_driver_domain": "OpaqueRef:NULL"}})
        # storage-init: sr_create sets the keys after creating the SR
        for label, desc, typ, content, key, sm in (
                ("Local storage", "", "lvm", "user", "local-storage", {}),
                ("Removable storage", "", "udev", "disk",
                 "local-hotplug-disk", {"type": "block"}),
                ("DVD drives", "Physical DVD drives", "udev", "iso",
                 "local-hotplug-cd", {"type": "cd"})):
            oc = {"i18n-key": key, "i18n-original-value-name_label": label}
            if desc:
                oc["i18n-original-value-name_description"] = desc
            fx["srs"].append({
                "uuid": uid("sr", h, key), "name_label": label,
                "name_description": desc, "type": typ,
                "content_type": content, "shared": False,
                "other_config": oc, "sm_config": sm,
                "pbds": [{"uuid": uid("pbd", h, key), "host": host,
                          "currently_attached": True}]})
        mac = "52:54:00:00:%02x:%02x"
        fx["pifs"] += [
            {"uuid": uid("pif", h, "eth0"), "device": "eth0", "host": host,
             "network": net0, "MAC": mac % (h, 0), "VLAN": -1,
             "physical": True, "management": True,
             "IP": "127.0.0.%d" % h, "other_config": {}},
            {"uuid": uid("pif", h, "eth1"), "device": "eth1", "host": host,
             "network": net1, "MAC": mac % (h, 1), "VLAN": -1,
             "physical": True, "other_config": {}}]
        for tag in vlans:     # a VLAN PIF: its tagged PIF's device
            fx["pifs"].append({
                "uuid": uid("pif", h, "eth1", tag), "device": "eth1",
                "host": host, "network": uid("net", "vlan", tag),
                "MAC": mac % (h, 1), "VLAN": tag, "physical": False,
                "other_config": {}})
        for k in range(1, a.vms_per_host + 1):
            fx["vms"].append({
                "uuid": uid("vm", h, k), "name_label": "web-%02d-%d" % (h, k),
                "power_state": "Running", "domid": k, "resident_on": host,
                "is_a_template": False, "is_control_domain": False,
                "tags": ["web"],
                "xenstore_data": {"vm-data/role": "web",
                                  "vm-data/host": name},
                "other_config": {"mac_seed": uid("mac", h, k)}})
        if h == 1:      # a paused guest: its domain exists, frozen
            fx["vms"].append({
                "uuid": uid("vm", h, "paused"), "name_label": "paused-01",
                "power_state": "Paused", "domid": a.vms_per_host + 1,
                "resident_on": host, "is_a_template": False,
                "is_control_domain": False,
                "xenstore_data": {"vm-data/role": "paused"},
                "other_config": {"mac_seed": uid("mac", h, "paused")}})
    base = uid("vm", "db")
    db_oc = {"mac_seed": uid("mac", "db"), "owner": "ops"}
    fx["vms"] += [
        {"uuid": base, "name_label": "db-01", "power_state": "Halted",
         "domid": -1, "is_a_template": False, "is_control_domain": False,
         "tags": ["db"], "xenstore_data": {"vm-data/role": "db"},
         "other_config": db_oc},
        {"uuid": uid("vm", "db", "snap"), "name_label": "db-01 before upgrade",
         "power_state": "Halted", "domid": -1, "is_a_template": True,
         "is_a_snapshot": True, "snapshot_of": base,
         "snapshot_time": "20260101T00:00:00Z",
         "snapshot_info": {"power-state-at-snapshot": "Halted",
                           "disk-snapshot-type": "crash_consistent"},
         "is_control_domain": False, "tags": ["db"],
         "xenstore_data": {"vm-data/role": "db"}, "other_config": db_oc},
        {"uuid": uid("vm", "db", "clone"), "name_label": "db-02",
         "power_state": "Halted", "domid": -1, "is_a_template": False,
         "is_control_domain": False, "tags": ["db"],
         "xenstore_data": {"vm-data/role": "db"},
         "other_config": dict(db_oc, mac_seed=uid("mac", "db", "clone"))}]
    for i, t in enumerate(TEMPLATES):
        fx["vms"].append({
            "uuid": uid("template", i), "name_label": t,
            "power_state": "Halted", "domid": -1, "is_a_template": True,
            "is_default_template": True, "is_control_domain": False,
            "xenstore_data": {}, "other_config": {"default_template": "true"}})
    json.dump(fx, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
