#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""xapisim.py - a XenAPI simulator for the test sandbox.

    xapisim.py --fixture FIXTURE.json --port 0 --port-file FILE
               --unix SOCKPATH --xenstored XS_SOCKET --pid-file FILE
               [--host NAME] [--bind ADDR] [--password PW]
               [--auth-fail-delay S] [--fault SPEC]... [--latency-ms MS]

Speaks XenAPI as xapi does: XML-RPC on
POST / and /RPC2 (and, like xapi's longest-prefix routing, any other POST
path but /jsonrpc), JSON-RPC v1 and v2 on /jsonrpc, over TCP on ADDR
(127.0.0.1; port 0 picks a free one, written to --port-file once it
accepts connections) and over a unix socket, HTTP/1.1 with keep-alive.
Python 3 standard library plus Debian's python3-pyxs only.

The database is loaded from the fixture (the sandbox format of CONTRACT.md;
extra fields welcome: "ref", "pbds", "pbds_plugged", "master", "pools",
"name_description", "snapshot_of", "root_password", ...).
VM.set_xenstore_data on a running VM rewrites the guest's vm-data and
FIST trees in the sandbox's xenstored in one transaction, as xapi
(through xenopsd) does: written by dom0 without setting permissions, so
the nodes inherit /local/domain/N's (n0 rN, as tests/sandbox/up builds
it): the guest reads them and may no longer write there. At start, the
vm-data/FIST keys of every running or paused VM of this host are written
into its vm-data without wiping it (the VM "booted" with them; they
inherit the guest's own vm-data) and other keys are dropped from
VM.xenstore_data, as xapi does (--no-boot-sync keeps the fixture as it
is). A paused VM's set_xenstore_data changes the database only.
VM.snapshot, VM.clone and VM.copy copy the record as xapi's
copy_vm_record does (docs/xapi-facts.md); tags are sets (add_tags,
remove_tags, set_tags). And as xapi copies what
xenopsd reads of those trees back into VM.xenstore_data whenever they
change, every node under vm-data/ and FIST/ (directories included, with
their values, usually "") becomes the field: at once after
VM.set_xenstore_data, shortly after a guest or anyone else writes there
(a xenstore watch). --no-xenstore-sync (XAPISIM_XENSTORE_SYNC=0) turns
that off.

Test controls, never part of XenAPI (not counted, not logged, not listed):
  GET  /sim/calls      {"count": N, "calls": [method, ...], "by_method": {}}
                       (?detail=1 adds "detail": [{n, method, params,
                       transport, socket, conn}], conn numbering the
                       connections)
  GET  /sim/state      the database in the fixture's format, plus
                       "sessions" (live) and "logged_out" (ended)
  GET  /sim/faults     the pending fault rules
  POST /sim/fault      JSON {"spec": SPEC} or a SPEC string (see below)
  POST /sim/clear-faults, /sim/reset-calls, /sim/expire-sessions
  POST /sim/latency    JSON {"ms": N} or "N"
The same as XML-RPC/JSON-RPC methods sim.fault(SPEC), sim.clear_faults(),
sim.latency(MS), sim.calls(), sim.state(), sim.reset_calls(),
sim.expire_sessions() (no session needed).

Fault SPECs (CLI --fault, repeatable; env XAPISIM_FAULTS, ';'-separated):
  fail:WHEN:CODE[:PARAM...]   answer call WHEN with Failure [CODE, PARAM...]
                              without running it (or fail:WHEN:["CODE",
                              "PARAM",...] for params holding ':')
  drop:WHEN                   close the connection at call WHEN, no reply,
                              the call not run
  drop-after:WHEN             run call WHEN, then close without a reply
  after:WHEN:[[METHOD, ARG...], ...]
                              run call WHEN, then, before its reply goes,
                              each METHOD(session, ARG...) as another
                              client would (a session of its own; not
                              counted or logged): a race between a
                              client's read and its write, made
                              deterministic (a failing call is skipped)
  WHEN is N (the Nth call counted from the start, all methods), METHOD#N
  (the Nth call of METHOD), +N or METHOD#+N (counted from when the rule is
  added); a trailing '*' makes the rule fire on that call and every later
  one (of that method). Latency: --latency-ms or env XAPISIM_LATENCY_MS,
  added before every call.

Cost model (off by default, for the benchmarks): --latency-ms is a wait
before each call that overlaps across connections; --write-cost-ms
(XAPISIM_WRITE_COST_MS) is paid by every database write (set_, add_to_,
remove_from_, create, destroy, snapshot, clone, copy) while holding the
one database lock, so writes are serialised as in xapi. --realistic
(XAPISIM_REALISTIC=1) gives every host, VM, SR, network and PIF record
the fields xapi's datamodel gives it, with plausible values (a VM record
is some 10 kB of XML, as a real one); the tests' fixtures stay small
without it.

Logins. Over TCP, when root's password is known (the fixture's
"root_password" or --password), a login by anyone else or with another
password waits --auth-fail-delay seconds (default 5, as xapi; env
XAPISIM_AUTH_FAIL_DELAY) and fails with SESSION_AUTHENTICATION_FAILED;
with no password given any is accepted. The unix socket takes any user
and password.

Pools. The fixture may hold several hosts (one with "master": true, else
the first is the master). --host NAME makes this instance that host: over
TCP a member answers session.login_with_password with HOST_IS_SLAVE
[master address]; over its unix socket it answers a login itself (a
session of this host, made in the master's database) and forwards every
other call to --master-url when given (as a member's xapi forwards to the
master), else serves them from its own copy of the database. A member
with a --master-url that does not answer is in emergency mode: every call
(login included, either socket) fails with INTERNAL_ERROR. A multi-host sandbox is one
tests/sandbox/up per host, each in its own directory, all loading the same
fixture; each host's simulator listens on that host's fixture "address",
all on the same port; the master is told each member's xenstored so that
VM.set_xenstore_data reaches the guest's own host (tests/sim/pool.sh):
    SANDBOX_HOST=xs-01 XAPISIM_MEMBER_XENSTORED=xs-02=D2/socket \
        tests/sandbox/up pool.json D1                # 127.0.0.1, port P
    SANDBOX_HOST=xs-02 SANDBOX_XAPI_BIND=127.0.0.2 SANDBOX_XAPI_PORT=P \
        XAPISIM_MASTER_URL=http://127.0.0.1:P tests/sandbox/up pool.json D2
Each runs its own guests' domains in its own xenstored; any number of
hosts works the same way (tests/runtime/pool4.sh runs four: the master
gets XAPISIM_MEMBER_XENSTORED="xs-02=D2/socket;xs-03=D3/socket;...").
The master watches every xenstored it was given, so that a guest's own
writes on a member reach the master's VM.xenstore_data as they do through
the member's xenopsd and xapi; a member's xenstored that is not up yet
(or restarted) is connected to when it answers. If a guest's xenstored
cannot be reached, VM.set_xenstore_data stores the field and then fails
with INTERNAL_ERROR, as xapi does when xenopsd fails after the database
write.

Fidelity notes: strings are sent untyped (<value>x</value>) and ints as
untyped strings in XML-RPC but numbers in JSON-RPC, as xapi does; a body
over 300 KiB or without Content-Length gets HTTP 500 and the connection is
closed. xapi's XML-RPC encoder writes struct member names (map keys)
without escaping them, and so does the simulator (a key with '&' or '<'
then makes the reply malformed XML, as with xapi);
--escape-member-names escapes them.
"""
import argparse
import http.server
import json
import os
import re
import signal
import socket
import socketserver
import sys
import threading
import time
import urllib.parse
import uuid as uuidlib
import xmlrpc.client

MAX_BODY = 300 * 1024
API_MAJOR, API_MINOR = 2, 21
NULL_REF = "OpaqueRef:NULL"
XS_PREFIXES = ("vm-data", "FIST")
# what a member in emergency mode still answers (none is simulated: they
# get MESSAGE_METHOD_UNKNOWN rather than the emergency-mode error)
EMERGENCY_CALLS = {"session.slave_local_login_with_password",
                   "session.local_logout", "pool.emergency_reset_master",
                   "pool.emergency_transition_to_master",
                   "host.emergency_ha_disable"}
REF_NAMESPACE = uuidlib.UUID("5e1a5e1a-0000-4000-8000-00000000a5a5")

# fixture key -> class, and back
FIXTURE_CLASSES = [("pools", "pool"), ("hosts", "host"), ("vms", "VM"),
                   ("srs", "SR"), ("networks", "network"), ("pifs", "PIF")]
# fields listing the objects that point here: rebuilt on load, not dumped
BACK_REFS = {"host": {"PIFs", "PBDs", "resident_VMs"},
             "SR": {"PBDs", "VDIs"}, "network": {"PIFs", "VIFs"},
             "VM": {"VIFs", "VBDs", "snapshots"}}
CLASSES = ["session", "pool", "host", "VM", "SR", "PBD", "network", "PIF"]
# classes with name_label / name_description setters
NAMED = {"pool", "host", "VM", "SR", "network"}
# fields that hold refs to other objects (for the fixture: given as uuids)
REF_FIELDS = {"pool": {"master": "host", "default_SR": "SR"},
              "VM": {"resident_on": "host", "snapshot_of": "VM"},
              "PBD": {"host": "host", "SR": "SR"},
              "PIF": {"host": "host", "network": "network"}}


class XapiError(Exception):
    """A XenAPI failure: ErrorDescription = [code] + params."""

    def __init__(self, code, *params):
        super().__init__(code)
        self.description = [code] + [str(p) for p in params]


class DropConnection(Exception):
    """Close the connection without a reply (fault injection)."""

    def __init__(self, after=False):
        super().__init__("drop")
        self.after = after


# ---------------------------------------------------------------- strings

# Bodies are decoded with surrogateescape and bytes or characters that an
# XML parser would refuse are replaced by a marker sequence so that the
# parser keeps them; they are restored in the parsed strings. Then a string
# with a lone surrogate held invalid UTF-8 (INVALID_VALUE, as xapi checks
# every parameter), and one with a control character is cut short when
# stored, as xapi's database does.
MARK = "\U000F0000"
_PREP_RE = re.compile("[\udc80-\udcff\x00-\x08\x0b\x0c\x0e-\x1f%s]"
                      "|&#(?:x([0-9a-fA-F]{1,8})|([0-9]{1,10}));" % MARK)
_UNMARK_RE = re.compile(MARK + "(M|b[0-9a-f]{2}|c[0-9a-f]{2}|s[0-9a-f]{4})")
_XML_BAD_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff"
                         "\ud800-\udfff]")


def _xml_allowed(cp):
    return (cp in (0x9, 0xA, 0xD) or 0x20 <= cp <= 0xD7FF or
            0xE000 <= cp <= 0xFFFD or 0x10000 <= cp <= 0x10FFFF)


def _prep(m):
    text = m.group(0)
    if m.group(1) is not None or m.group(2) is not None:
        cp = int(m.group(1), 16) if m.group(1) else int(m.group(2))
        if cp < 0x20 and not _xml_allowed(cp):
            return MARK + "c%02x" % cp
        if 0xD800 <= cp <= 0xDFFF:
            return MARK + "s%04x" % cp
        return text
    if text == MARK:
        return MARK + "M"
    cp = ord(text)
    if 0xDC80 <= cp <= 0xDCFF:
        return MARK + "b%02x" % (cp - 0xDC00)
    return MARK + "c%02x" % cp


def _unmark(m):
    tag = m.group(1)
    if tag == "M":
        return MARK
    if tag[0] == "b":
        return chr(0xDC00 + int(tag[1:], 16))
    return chr(int(tag[1:], 16))


def _unmark_value(v):
    if isinstance(v, str):
        return _UNMARK_RE.sub(_unmark, v) if MARK in v else v
    if isinstance(v, list):
        return [_unmark_value(x) for x in v]
    if isinstance(v, dict):
        return {_unmark_value(k): _unmark_value(x) for k, x in v.items()}
    return v


def invalid_utf8(v):
    """True if a parameter holds a string that was not valid UTF-8."""
    if isinstance(v, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in v)
    if isinstance(v, list):
        return any(invalid_utf8(x) for x in v)
    if isinstance(v, dict):
        return any(invalid_utf8(k) or invalid_utf8(x) for k, x in v.items())
    return False


def xml_cut(s):
    """xapi's database keeps the longest prefix valid in XML."""
    m = _XML_BAD_RE.search(s)
    return s if m is None else s[:m.start()]


def parse_xmlrpc(body):
    text = body.decode("utf-8", "surrogateescape")
    text = _PREP_RE.sub(_prep, text)
    params, method = xmlrpc.client.loads(text.encode("utf-8"),
                                         use_builtin_types=True)
    return _unmark_value(method), [_unmark_value(p) for p in params]


def _xml_escape(s, drop_bad=True):
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = s.replace('"', "&quot;")
    if drop_bad:
        s = _XML_BAD_RE.sub("", s)
    return s


def xml_value(v, out, raw_names, typed_ints=False):
    if isinstance(v, bool):
        out.append("<value><boolean>%d</boolean></value>" % v)
    elif isinstance(v, int) and typed_ints:
        out.append("<value><int>%d</int></value>" % v)
    elif isinstance(v, int):
        out.append("<value>%d</value>" % v)
    elif isinstance(v, float):
        out.append("<value><double>%.16g</double></value>" % v)
    elif isinstance(v, str):
        out.append("<value>%s</value>" % _xml_escape(v))
    elif isinstance(v, dict):
        out.append("<value><struct>")
        for k, x in v.items():
            name = k if raw_names else _xml_escape(str(k))
            out.append("<member><name>%s</name>" % name)
            xml_value(x, out, raw_names, typed_ints)
            out.append("</member>")
        out.append("</struct></value>")
    elif isinstance(v, (list, tuple)):
        out.append("<value><array><data>")
        for x in v:
            xml_value(x, out, raw_names, typed_ints)
        out.append("</data></array></value>")
    elif v is None:
        out.append("<value><nil/></value>")
    else:
        out.append("<value>%s</value>" % _xml_escape(str(v)))


def xml_response(v, raw_names=False, typed_ints=False):
    out = ['<?xml version="1.0"?><methodResponse><params><param>']
    xml_value(v, out, raw_names, typed_ints)
    out.append("</param></params></methodResponse>")
    return "".join(out).encode("utf-8")


# ---------------------------------------------------------------- xenstore

def xs_guarded(fn, *args, timeout=10.0):
    """fn(*args) in a thread of its own: pyxs waits for ever for the reply
    to a request that xenstored died before answering (its reader thread
    ends, the waiting request is never woken). Gives up after timeout with
    pyxs's ConnectionError, as if the connection had been refused."""
    from pyxs.exceptions import ConnectionError as XsGone
    box = {}

    def run():
        try:
            box["value"] = fn(*args)
        except BaseException as e:      # handed to the caller
            box["error"] = e
    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise XsGone("xenstored did not answer within %gs" % timeout)
    if "error" in box:
        raise box["error"]
    return box.get("value")


class Xenstore:
    """Writes guests' vm-data/FIST trees, through Debian's pyxs."""

    def __init__(self, socket_path):
        self.path = socket_path
        self.lock = threading.Lock()

    def rewrite(self, domid, data):
        xs_guarded(self._rewrite, domid, data)

    def boot_write(self, domid, data):
        xs_guarded(self._rewrite, domid, data, False)

    def read_trees(self, domid):
        return xs_guarded(self._read_trees, domid)

    def _rewrite(self, domid, data, wipe=True):
        """One transaction: remove the old trees (unless at domain build,
        when the keys go into the vm-data the guest owns), write the new
        keys. Retries on EAGAIN."""
        from pyxs import Client
        from pyxs.exceptions import PyXSError
        base = "/local/domain/%d" % domid
        keys = sorted(k for k in data if allowed_xs_key(k))
        for _ in range(20):
            with self.lock, Client(unix_socket_path=self.path) as c:
                c.transaction()
                try:
                    for p in XS_PREFIXES if wipe else ():
                        if c.exists((base + "/" + p).encode()):
                            c.delete((base + "/" + p).encode())
                    # written as dom0 without setting permissions:
                    # each new node inherits its parent's, so on a
                    # domain in the boot state (/local/domain/N n0 rN)
                    # the guest may read the new vm-data but no longer
                    # write it (xenopsd's set_xsdata)
                    for k in keys:
                        path = (base + "/" + k).encode()
                        xs_write(c, path, data[k].encode("utf-8"))
                except PyXSError:
                    c.rollback()
                    raise
                if c.commit():
                    return
        raise XapiError("INTERNAL_ERROR", "xenstore transaction kept "
                        "conflicting for domain %d" % domid)


    def _read_trees(self, domid):
        """What xenopsd reports as the domain's xsdata: every node under
        vm-data and FIST, directories included, keyed relative to
        /local/domain/<domid> (xenopsd's ls_lR)."""
        from pyxs import Client
        from pyxs.exceptions import PyXSError
        base = "/local/domain/%d" % domid
        out = {}

        def walk(c, rel):
            path = (base + "/" + rel).encode()
            try:
                value = c.read(path)
            except PyXSError:
                return
            out[rel] = xml_cut(value.decode("utf-8", "surrogateescape"))
            try:
                children = c.list(path)
            except PyXSError:
                return
            for child in children:
                if child:
                    walk(c, rel + "/" + child.decode("utf-8",
                                                      "surrogateescape"))
        with Client(unix_socket_path=self.path) as c:
            for p in XS_PREFIXES:
                walk(c, p)
        return out

    def watch(self, domids, changed, stop):
        """Calls changed(domid) whenever a guest's trees change, until
        stop is set (a thread; xenopsd's watches). A xenstored that is
        not there yet (a member's sandbox starting after the master's) or
        that went away is tried again: registering the watches fires
        each once, so the field catches up when it comes back."""
        from pyxs import Client
        said = False
        while not stop.is_set():
            try:
                with Client(unix_socket_path=self.path) as c:
                    m = c.monitor()
                    for domid in domids:
                        for p in XS_PREFIXES:
                            m.watch(("/local/domain/%d/%s" %
                                     (domid, p)).encode(),
                                    str(domid).encode())
                    said = False
                    for _, token in m.wait():
                        if stop.is_set():
                            return
                        changed(int(token))
            except Exception as e:      # xenstored gone, or not yet up
                if not stop.is_set() and not said:
                    sys.stderr.write("xapisim: xenstore watch on %s: %r; "
                                     "trying again\n" % (self.path, e))
                    said = True
            stop.wait(0.2)


def xs_write(c, path, value):
    """pyxs refuses bytes outside 7-bit ASCII; xenstore takes any value.
    Send the WRITE as pyxs does, without that check, when needed."""
    if all(b < 0x80 for b in value) and b"\x00" not in value:
        c.write(path, value)
        return
    from pyxs._internal import NUL, Op, Packet, next_rq_id
    from pyxs.helpers import error
    packet = c.router.send(Packet(Op.WRITE, path + NUL + value,
                                  rq_id=next_rq_id(), tx_id=c.tx_id)).get()
    if packet.op == Op.ERROR:
        raise error(packet.payload[:-1])


def allowed_xs_key(k):
    return any(k == p or k.startswith(p + "/") for p in XS_PREFIXES)


# ---------------------------------------------------------------- database

def make_ref(cls, uuid):
    return "OpaqueRef:%s" % uuidlib.uuid5(REF_NAMESPACE, cls + "/" + uuid)


def new_uuid():
    return str(uuidlib.uuid4())


def _smap(v, what):
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise ValueError("%s must be an object" % what)
    return {str(k): str(x) for k, x in v.items()}


# ---------------------------------------------------------------- cost model

_WRITE_RE = re.compile(r"\.(set_|add_|remove_|create|destroy|snapshot|"
                       r"clone|copy|provision)")


def is_db_write(method):
    """Whether a call writes xapi's database (serialised behind its lock
    under --write-cost-ms)."""
    return bool(_WRITE_RE.search(method))


# Every field xapi's datamodel gives these classes (ocaml/idl/datamodel*.ml,
# xapi 24.x), with values a real pool shows: --realistic adds those a
# record lacks, so that replies are as large as a real xapi's (a VM record
# of some 5 kB, most of it last_booted_record and recommendations).
_RECOMMENDATIONS = (
    '<restrictions><restriction field="memory-static-max" '
    'max="1649267441664"/><restriction field="vcpus-max" max="32"/>'
    '<restriction field="has-vendor-device" value="false"/>'
    '<restriction field="allow-gpu-passthrough" value="1"/>'
    '<restriction field="allow-vgpu" value="1"/><restriction '
    'max="255" property="number-of-vbds"/><restriction max="7" '
    'property="number-of-vifs"/></restrictions>')
_OPS = ["changing_dynamic_range", "changing_shadow_memory", "clone",
        "copy", "snapshot", "checkpoint", "export", "migrate_send",
        "destroy", "provision", "start", "start_on", "pool_migrate",
        "changing_memory_limits", "changing_static_range",
        "changing_VCPUs", "make_into_template", "hard_reboot"]


def _vm_fields(rec, i):
    uuid = rec["uuid"]
    platform = {"timeoffset": "0", "device-model": "qemu-upstream-compat",
                "videoram": "8", "hpet": "true", "secureboot": "false",
                "vga": "std", "apic": "true", "viridian": "true",
                "nx": "true", "acpi": "1", "cores-per-socket": "2",
                "pae": "true", "viridian_time_ref_count": "true",
                "viridian_reference_tsc": "true", "device_id": "0001"}
    f = {
        "allowed_operations": list(_OPS), "current_operations": {},
        "name_description": "Installed via xe CLI",
        "user_version": 1, "is_default_template": False,
        "suspend_VDI": NULL_REF, "scheduled_to_be_resident_on": NULL_REF,
        "affinity": NULL_REF, "memory_overhead": "11534336",
        "memory_target": "0", "memory_static_max": "4294967296",
        "memory_dynamic_max": "4294967296",
        "memory_dynamic_min": "4294967296",
        "memory_static_min": "1073741824",
        "VCPUs_params": {"weight": "256", "cap": "0"},
        "VCPUs_max": "4", "VCPUs_at_startup": "4",
        "actions_after_softreboot": "soft_reboot",
        "actions_after_shutdown": "destroy",
        "actions_after_reboot": "restart", "actions_after_crash": "restart",
        "consoles": [], "VIFs": [], "VBDs": [], "VUSBs": [],
        "crash_dumps": [], "VTPMs": [],
        "PV_bootloader": "", "PV_kernel": "", "PV_ramdisk": "",
        "PV_args": "", "PV_bootloader_args": "", "PV_legacy_args": "",
        "HVM_boot_policy": "BIOS order",
        "HVM_boot_params": {"order": "cdn", "firmware": "bios"},
        "HVM_shadow_multiplier": 1.0, "platform": platform,
        "PCI_bus": "", "domarch": "",
        "last_boot_CPU_flags": {
            "features": "1fcbfbff-f7fa3223-2d93fbff-00000123-0000000f-"
                        "219c07ab-18400064-00000000-00001000-ac000400-"
                        "00000000-00000000-00000000-00000000-00000000",
            "vendor": "GenuineIntel"},
        "metrics": make_ref("VM_metrics", uuid),
        "guest_metrics": NULL_REF,
        "recommendations": _RECOMMENDATIONS,
        "ha_always_run": False, "ha_restart_priority": "",
        "transportable_snapshot_id": "", "blobs": {},
        "blocked_operations": {}, "snapshot_metadata": "",
        "parent": NULL_REF, "children": [],
        "bios_strings": {"bios-vendor": "Xen", "bios-version": "",
                         "system-manufacturer": "Xen",
                         "system-product-name": "HVM domU",
                         "system-version": "", "system-serial-number": "",
                         "baseboard-manufacturer": "",
                         "baseboard-product-name": "",
                         "baseboard-version": "",
                         "baseboard-serial-number": "",
                         "baseboard-asset-tag": "",
                         "baseboard-location-in-chassis": "",
                         "enclosure-asset-tag": "",
                         "hp-rombios": "", "oem-1": "Xen",
                         "oem-2": "MS_VM_CERT/SHA1/"
                                  "bdbeb6e0a816d43fa6d3fe8aaef04c2bad9d3e3d"},
        "protection_policy": NULL_REF, "is_snapshot_from_vmpp": False,
        "snapshot_schedule": NULL_REF, "is_vmss_snapshot": False,
        "appliance": NULL_REF, "start_delay": "0", "shutdown_delay": "0",
        "order": "0", "VGPUs": [], "attached_PCIs": [],
        "suspend_SR": NULL_REF, "version": "0",
        "generation_id": "0:0", "hardware_platform_version": "0",
        "has_vendor_device": False, "requires_reboot": False,
        "reference_label": "", "domain_type": "hvm", "NVRAM": {},
        "pending_guidances": [], "pending_guidances_recommended": [],
        "pending_guidances_full": [],
    }
    # what xapi keeps of the VM as it last booted: the record itself,
    # serialised, for a VM that has run once (most have)
    f["last_booted_record"] = (
        "('struct' ('uuid' '%s') ('allowed_operations' ('array' %s)) "
        "('name_label' '%s') ('power_state' 'Running') "
        "('memory_static_max' '4294967296') ('VCPUs_max' '4') "
        "('platform' ('struct' %s)) ('HVM_boot_params' ('struct' "
        "('order' 'cdn') ('firmware' 'bios'))) ('recommendations' '%s') "
        "('other_config' ('struct' ('base_template_name' 'Debian "
        "Bookworm 12') ('install-methods' 'cdrom,nfs,http,ftp') "
        "('mac_seed' '%s') ('import_task' 'OpaqueRef:NULL'))))" % (
            uuid, " ".join("'%s'" % o for o in _OPS),
            rec.get("name_label", ""),
            " ".join("('%s' '%s')" % kv for kv in sorted(platform.items())),
            _RECOMMENDATIONS.replace("'", "\\'"),
            str(uuidlib.uuid5(REF_NAMESPACE, "mac" + uuid))))
    return f


def _sr_fields(rec, i):
    return {"allowed_operations": ["vdi_create", "vdi_destroy", "scan",
                                   "plug", "unplug", "vdi_snapshot",
                                   "vdi_clone", "vdi_resize", "update"],
            "current_operations": {}, "VDIs": [], "PBDs": [],
            "virtual_allocation": "214748364800",
            "physical_utilisation": "107374182400",
            "physical_size": "499558383616", "type": "lvm",
            "content_type": "user", "shared": False,
            "sm_config": {"allocation": "thick", "use_vhd": "true",
                          "devserial": "scsi-3600508b1001c5e1d"},
            "blobs": {}, "local_cache_enabled": False,
            "introduced_by": NULL_REF, "clustered": False,
            "is_tools_sr": False}


def _network_fields(rec, i):
    return {"allowed_operations": [], "current_operations": {},
            "VIFs": [], "PIFs": [], "MTU": "1500",
            "bridge": "xenbr%d" % i, "managed": True, "blobs": {},
            "default_locking_mode": "unlocked", "assigned_ips": {},
            "purpose": []}


def _pif_fields(rec, i):
    return {"MAC": "00:16:3e:00:%02x:%02x" % ((i >> 8) & 255, i & 255),
            "physical": True, "currently_attached": True,
            "ip_configuration_mode": "Static", "IP": "10.0.%d.%d" % (
                (i >> 8) & 255, i & 255),
            "netmask": "255.255.255.0", "gateway": "10.0.0.1",
            "DNS": "10.0.0.2", "bond_slave_of": NULL_REF,
            "bond_master_of": [], "VLAN_master_of": NULL_REF,
            "VLAN_slave_of": [], "tunnel_access_PIF_of": [],
            "tunnel_transport_PIF_of": [], "metrics":
                make_ref("PIF_metrics", rec["uuid"]),
            "management": False, "disallow_unplug": False,
            "ipv6_configuration_mode": "None", "IPv6": [],
            "ipv6_gateway": "", "primary_address_type": "IPv4",
            "managed": True, "properties": {"gro": "on"},
            "capabilities": ["fcoe"], "igmp_snooping_status": "disabled",
            "sriov_physical_PIF_of": [], "sriov_logical_PIF_of": [],
            "PCI": NULL_REF, "VLAN": "-1", "MTU": "1500"}


def _host_fields(rec, i):
    return {"allowed_operations": ["provision", "evacuate", "reboot",
                                   "shutdown", "vm_start", "vm_resume",
                                   "vm_migrate"],
            "current_operations": {}, "memtotal": "274877906944",
            "memory_overhead": "4294967296",
            "capabilities": ["xen-3.0-x86_64", "hvm-3.0-x86_32",
                             "hvm-3.0-x86_32p", "hvm-3.0-x86_64"],
            "cpu_configuration": {}, "sched_policy": "credit",
            "supported_bootloaders": ["pygrub", "eliloader"],
            "logging": {}, "suspend_image_sr": NULL_REF,
            "crash_dump_sr": NULL_REF, "crashdumps": [], "patches": [],
            "updates": [], "host_CPUs": [], "cpu_info": {
                "cpu_count": "48", "socket_count": "2", "vendor":
                "GenuineIntel", "speed": "2394.454", "modelname":
                "Intel(R) Xeon(R) Gold 6240R CPU @ 2.40GHz",
                "family": "6", "model": "85", "stepping": "7"},
            "metrics": make_ref("host_metrics", rec["uuid"]),
            "ha_statefiles": [], "ha_network_peers": [], "blobs": {},
            "external_auth_type": "", "external_auth_service_name": "",
            "external_auth_configuration": {}, "edition": "xcp-ng",
            "license_server": {"address": "localhost", "port": "27000"},
            "bios_strings": {"bios-vendor": "HPE", "system-manufacturer":
                             "HPE", "system-product-name":
                             "ProLiant DL380 Gen10"},
            "power_on_mode": "", "power_on_config": {},
            "local_cache_sr": NULL_REF, "chipset_info": {"iommu": "true"},
            "PCIs": [], "PGPUs": [], "PUSBs": [], "ssl_legacy": False,
            "guest_VCPUs_params": {}, "display": "enabled",
            "virtual_hardware_platform_versions": ["0", "1", "2"],
            "control_domain": NULL_REF, "updates_requiring_reboot": [],
            "features": [], "iscsi_iqn": "iqn.2024-01.com.example:%d" % i,
            "multipathing": False, "uefi_certificates": "",
            "certificates": [], "editions": ["xcp-ng"],
            "pending_guidances": [], "tls_verification_enabled": True,
            "last_software_update": "20240101T00:00:00Z",
            "https_only": False, "latest_synced_updates_applied":
                "unknown", "numa_affinity_policy": "default_policy"}


_REALISTIC = {"VM": _vm_fields, "SR": _sr_fields,
              "network": _network_fields, "PIF": _pif_fields,
              "host": _host_fields}


def fill_realistic(db):
    """Adds the fields a record lacks (what the fixture gave wins)."""
    for cls, fields in _REALISTIC.items():
        for i, rec in enumerate(db.objects[cls].values()):
            for k, v in fields(rec, i).items():
                rec.setdefault(k, v)


class Database:
    def __init__(self, fixture, this_host_name=None, realistic=False):
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.objects = {c: {} for c in CLASSES}
        self.events = []          # (id, class, operation, ref, snapshot)
        self.event_id = 0
        self.logged_out = []
        pw = fixture.get("root_password")
        self.root_password = None if pw is None else str(pw)
        self._load(fixture)
        if realistic:
            fill_realistic(self)
        hosts = self.objects["host"]
        self.this_host = self.master
        if this_host_name:
            hits = [r for r, h in hosts.items()
                    if h["name_label"] == this_host_name]
            if len(hits) != 1:
                raise ValueError("no single host named %r in the fixture"
                                 % this_host_name)
            self.this_host = hits[0]

    # ---- loading

    def _add(self, cls, spec, record):
        uuid = str(spec.get("uuid") or new_uuid())
        ref = str(spec.get("ref") or make_ref(cls, uuid))
        record["uuid"] = uuid
        for k, v in spec.items():
            if k in ("ref", "uuid") or k in record:
                continue
            record[k] = v        # extra fields are kept as they are
        self.objects[cls][ref] = record
        return ref

    def _by_uuid(self, cls, uuid, what):
        if uuid in (None, "", NULL_REF):
            return NULL_REF
        if uuid in self.objects[cls]:
            return uuid         # given as a ref already
        for ref, rec in self.objects[cls].items():
            if rec["uuid"] == uuid:
                return ref
        raise ValueError("%s: no %s with uuid %s" % (what, cls, uuid))

    def _load(self, fx):
        hosts = fx.get("hosts") or []
        if not hosts:
            raise ValueError("the fixture has no hosts")
        for h in hosts:
            name = str(h.get("name_label", ""))
            self._add("host", h, {
                "name_label": name,
                "name_description": str(h.get("name_description", "")),
                "hostname": str(h.get("hostname", name)),
                "address": str(h.get("address", "127.0.0.1")),
                "API_version_major": int(h.get("API_version_major",
                                               API_MAJOR)),
                "API_version_minor": int(h.get("API_version_minor",
                                               API_MINOR)),
                "API_version_vendor": "XenSource",
                "enabled": bool(h.get("enabled", True)),
                "software_version": _smap(h.get("software_version", {
                    "product_brand": "XCP-ng", "product_version": "8.3.0",
                    "xapi": "24.19"}), "software_version"),
                "other_config": _smap(h.get("other_config"), "other_config"),
                "tags": list(h.get("tags", [])),
                "PIFs": [], "PBDs": [], "resident_VMs": [],
            })
        refs = list(self.objects["host"])       # in the fixture's order
        masters = [r for r, h in zip(refs, hosts) if h.get("master")]
        self.master = (masters or refs)[0]
        for h in self.objects["host"].values():
            h.pop("master", None)
        pools = fx.get("pools") or [{"name_label": ""}]
        for p in pools:
            ref = self._add("pool", p, {
                "name_label": str(p.get("name_label", "")),
                "name_description": str(p.get("name_description", "")),
                "master": self.master,
                "default_SR": NULL_REF,
                "other_config": _smap(p.get("other_config"), "other_config"),
                "gui_config": {}, "tags": list(p.get("tags", [])),
            })
            rec = self.objects["pool"][ref]
            if p.get("master"):
                rec["master"] = self._by_uuid("host", p["master"], "pool")
                self.master = rec["master"]
        for vm in fx.get("vms") or []:
            # a paused VM has its domain and its host too
            running = vm.get("power_state", "Halted") in ("Running",
                                                          "Paused")
            ref = self._add("VM", vm, {
                "name_label": str(vm.get("name_label", "")),
                "name_description": str(vm.get("name_description", "")),
                "power_state": str(vm.get("power_state", "Halted")),
                "domid": int(vm.get("domid", -1 if not running else 0)),
                "resident_on": NULL_REF,
                "is_a_template": bool(vm.get("is_a_template", False)),
                "is_default_template": bool(vm.get("is_default_template",
                                                   False)),
                "is_control_domain": bool(vm.get("is_control_domain",
                                                 False)),
                "is_a_snapshot": bool(vm.get("is_a_snapshot", False)),
                "snapshot_of": NULL_REF,
                "snapshot_time": str(vm.get("snapshot_time",
                                            "19700101T00:00:00Z")),
                "snapshot_info": _smap(vm.get("snapshot_info"),
                                       "snapshot_info"),
                "snapshots": [],
                "other_config": _smap(vm.get("other_config"), "other_config"),
                "xenstore_data": _smap(vm.get("xenstore_data"),
                                       "xenstore_data"),
                "platform": _smap(vm.get("platform"), "platform"),
                "tags": list(vm.get("tags", [])),
                "VIFs": [], "VBDs": [],
            })
            rec = self.objects["VM"][ref]
            rec["_snapshot_of"] = vm.get("snapshot_of")
            if running:
                rec["resident_on"] = self._by_uuid(
                    "host", vm.get("resident_on") or
                    self.objects["host"][self.master]["uuid"], "resident_on")
                self.objects["host"][rec["resident_on"]][
                    "resident_VMs"].append(ref)
        for ref, rec in self.objects["VM"].items():
            of = rec.pop("_snapshot_of", None)
            if of:
                rec["snapshot_of"] = self._by_uuid("VM", of, "snapshot_of")
                self.objects["VM"][rec["snapshot_of"]]["snapshots"].append(
                    ref)
        for sr in fx.get("srs") or []:
            self._add("SR", sr, {
                "name_label": str(sr.get("name_label", "")),
                "name_description": str(sr.get("name_description", "")),
                "type": str(sr.get("type", "lvm")),
                "content_type": str(sr.get("content_type", "user")),
                "shared": bool(sr.get("shared", False)),
                "other_config": _smap(sr.get("other_config"), "other_config"),
                "sm_config": _smap(sr.get("sm_config"), "sm_config"),
                "tags": list(sr.get("tags", [])),
                "PBDs": [], "VDIs": [],
            })
        for ref, sr in list(self.objects["SR"].items()):
            pbds = sr.pop("pbds", None)
            plugged = bool(sr.pop("pbds_plugged", True))
            if pbds is None:
                # one PBD per host for a shared SR, else on the master
                on = (list(self.objects["host"]) if sr["shared"]
                      else [self._by_uuid("host", sr.get("host"), "SR host")
                            if sr.get("host") else self.master])
                pbds = [{"host": h, "currently_attached": plugged}
                        for h in on]
            for spec in pbds:
                self._add_pbd(dict(spec, SR=ref))
            sr.pop("host", None)
        for spec in fx.get("pbds") or []:      # PBDs given on their own
            self._add_pbd(spec)
        for net in fx.get("networks") or []:
            n = len(self.objects["network"])
            self._add("network", net, {
                "name_label": str(net.get("name_label", "")),
                "name_description": str(net.get("name_description", "")),
                "bridge": str(net.get("bridge", "xenbr%d" % n)),
                "MTU": int(net.get("MTU", 1500)),
                "other_config": _smap(net.get("other_config"),
                                      "other_config"),
                "tags": list(net.get("tags", [])),
                "PIFs": [], "VIFs": [],
            })
        for pif in fx.get("pifs") or []:
            host = self._by_uuid("host", pif.get("host") or
                                 self.objects["host"][self.master]["uuid"],
                                 "PIF host")
            net = self._by_uuid("network", pif.get("network"), "PIF network")
            ref = self._add("PIF", pif, {
                "device": str(pif.get("device", "eth0")),
                "host": host, "network": net,
                "MAC": str(pif.get("MAC", "")),
                "MTU": int(pif.get("MTU", 1500)),
                "VLAN": int(pif.get("VLAN", -1)),
                "IP": str(pif.get("IP", "")),
                "management": bool(pif.get("management", False)),
                "physical": bool(pif.get("physical", True)),
                "currently_attached": bool(pif.get("currently_attached",
                                                   True)),
                "other_config": _smap(pif.get("other_config"),
                                      "other_config"),
            })
            self.objects["host"][host]["PIFs"].append(ref)
            if net != NULL_REF:
                self.objects["network"][net]["PIFs"].append(ref)

    def _add_pbd(self, spec):
        host = self._by_uuid("host", spec.get("host") or self.master,
                             "PBD host")
        sr = self._by_uuid("SR", spec.get("SR"), "PBD SR")
        ref = self._add("PBD", spec, {
            "host": host, "SR": sr,
            "currently_attached": bool(spec.get("currently_attached", True)),
            "device_config": _smap(spec.get("device_config"),
                                   "device_config"),
            "other_config": _smap(spec.get("other_config"), "other_config"),
        })
        self.objects["SR"][sr]["PBDs"].append(ref)
        self.objects["host"][host]["PBDs"].append(ref)

    # ---- dumping (the fixture's format, refs as uuids)

    def dump(self):
        with self.lock:
            out = {}
            for key, cls in FIXTURE_CLASSES:
                items = []
                for ref, rec in self.objects[cls].items():
                    d = self._dump_one(cls, ref, rec)
                    if cls == "host":
                        d["master"] = ref == self.master
                    if cls == "SR":
                        pbds = [self._dump_one("PBD", p,
                                               self.objects["PBD"][p])
                                for p in rec["PBDs"]]
                        d["pbds_plugged"] = any(p["currently_attached"]
                                                for p in pbds)
                        d["pbds"] = pbds
                    items.append(d)
                out[key] = items
            if self.root_password is not None:
                out["root_password"] = self.root_password
            out["sessions"] = [self.session_info(r, s) for r, s in
                               self.objects["session"].items()]
            out["logged_out"] = list(self.logged_out)
            return out

    def _dump_one(self, cls, ref, rec):
        d = {"ref": ref}
        for f, v in rec.items():
            if f in BACK_REFS.get(cls, ()) or f.startswith("_") or \
                    (cls == "PBD" and f == "SR"):
                continue
            target = REF_FIELDS.get(cls, {}).get(f)
            if target:
                v = self.objects[target].get(v, {}).get("uuid", "")
            d[f] = v
        return d

    def session_info(self, ref, s):
        return {"ref": ref, "uuid": s["uuid"], "user": s["auth_user_name"],
                "originator": s["originator"], "socket": s["_socket"],
                "transport": s["_transport"]}

    # ---- events

    def record_event(self, cls, op, ref):
        """Called with the lock held, after a change."""
        self.event_id += 1
        snap = self.public(self.objects[cls].get(ref)) if op != "del" else {}
        self.events.append((self.event_id, cls, op, ref, snap))
        del self.events[:-10000]
        self.changed.notify_all()

    @staticmethod
    def public(rec):
        if rec is None:
            return None
        return {k: v for k, v in rec.items() if not k.startswith("_")}


# ---------------------------------------------------------------- the API

class Method:
    def __init__(self, name, params, fn, session=True, expected=None):
        self.name = name
        self.params = params            # list of (name, type) after session
        self.fn = fn
        self.session = session
        self.nparams = len(params) + (1 if session else 0)
        self.min = self.nparams if expected is None else expected[0]
        self.max = self.nparams if expected is None else expected[1]


def _check_type(method, pname, ptype, value):
    ok = {"string": lambda v: isinstance(v, str),
          "map": lambda v: isinstance(v, dict) and
          all(isinstance(x, str) for x in v.values()),
          "strings": lambda v: isinstance(v, list) and
          all(isinstance(x, str) for x in v),
          "float": lambda v: isinstance(v, (int, float, str)) and
          not isinstance(v, bool),
          "any": lambda v: True}.get(ptype.split(":")[0])
    if ok is not None and not ok(value):
        raise XapiError("FIELD_TYPE_ERROR", pname)


class Api:
    def __init__(self, db, xenstore, opts):
        self.db = db
        self.xs = xenstore            # host ref -> Xenstore
        self.opts = opts
        self.methods = {}
        self.reported = {}      # (host, domid) -> trees last copied back
        self._build()

    # ---- helpers

    def is_master(self):
        return self.db.this_host == self.db.master

    def _obj(self, cls, ref):
        rec = self.db.objects[cls].get(ref) if isinstance(ref, str) else None
        if rec is None:
            raise XapiError("HANDLE_INVALID", cls, ref)
        return rec

    def _changed(self, cls, ref):
        self.db.record_event(cls, "mod", ref)

    def _add(self, name, params, fn, **kw):
        self.methods[name] = Method(name, params, fn, **kw)

    # ---- the method table

    def _build(self):
        db = self.db
        for cls in CLASSES:
            if cls != "session":
                self._add(cls + ".get_all", [], self._getter_all(cls))
                self._add(cls + ".get_all_records", [],
                          self._getter_all_records(cls))
                self._add(cls + ".get_all_records_where",
                          [("expr", "string")], self._getter_where(cls))
                if cls in NAMED:    # not PIF nor PBD: no name_label
                    self._add(cls + ".get_by_name_label",
                              [("label", "string")], self._by_name(cls))
            self._add(cls + ".get_record", [("self", "ref:" + cls)],
                      lambda s, ref, c=cls: db.public(self._obj(c, ref)))
            self._add(cls + ".get_by_uuid", [("uuid", "string")],
                      self._by_uuid(cls))
            sample = self._field_sample(cls)
            for field, value in sample.items():
                self._add("%s.get_%s" % (cls, field),
                          [("self", "ref:" + cls)],
                          lambda s, ref, c=cls, f=field:
                          self._obj(c, ref).get(f))
                if isinstance(value, dict):
                    self._map_methods(cls, field)
            if "tags" in sample:
                self._tag_methods(cls)
            if cls in NAMED:
                for field in ("name_label", "name_description"):
                    self._add("%s.set_%s" % (cls, field),
                              [("self", "ref:" + cls), ("value", "string")],
                              self._set_name(cls, field))
        self._add("session.login_with_password",
                  [("uname", "string"), ("pwd", "string"),
                   ("version", "string"), ("originator", "string")],
                  None, session=False, expected=(2, 4))
        self._add("session.logout", [], self._logout)
        self._add("VM.snapshot", [("vm", "ref:VM"), ("new_name", "string")],
                  lambda s, vm, name: self._copy_vm(vm, name, "snapshot"))
        self._add("VM.clone", [("vm", "ref:VM"), ("new_name", "string")],
                  lambda s, vm, name: self._copy_vm(vm, name, "clone"))
        self._add("VM.copy", [("vm", "ref:VM"), ("new_name", "string"),
                              ("sr", "string")],
                  lambda s, vm, name, sr: self._copy_vm(vm, name, "copy",
                                                        sr))
        self._add("session.get_this_host", [("self", "ref:session")],
                  lambda s, ref: self._obj("session", ref)["this_host"])
        self._add("pool.get_master", [("self", "ref:pool")],
                  lambda s, ref: self._obj("pool", ref)["master"])
        self._add("event.register", [("classes", "strings")],
                  lambda s, classes: "")
        self._add("event.unregister", [("classes", "strings")],
                  lambda s, classes: "")
        self._add("event.get_current_id", [],
                  lambda s: str(self.db.event_id))
        self._add("event.inject", [("class", "string"), ("ref", "string")],
                  self._event_inject)
        self._add("event.from", [("classes", "strings"),
                                 ("token", "string"), ("timeout", "float")],
                  self._event_from)
        self._add("event.next", [], self._event_next)
        self._add("system.listMethods", [], self._list_methods,
                  session=False)
        self._add("system.isAlive", [], lambda: True, session=False)

    def _field_sample(self, cls):
        """The fields of a class: those of its first object, or of a
        record of that class built the way the loader builds them."""
        recs = self.db.objects[cls]
        if recs:
            fields = {}
            for rec in recs.values():
                for k, v in rec.items():
                    if not k.startswith("_"):
                        fields.setdefault(k, v)
            return fields
        base = {"uuid": "", "other_config": {}}
        extra = {
            "session": {"this_host": "", "this_user": "", "originator": "",
                        "auth_user_name": "", "is_local_superuser": True,
                        "last_active": "", "validation_time": ""},
            "VM": {"name_label": "", "name_description": "",
                   "power_state": "", "domid": 0, "resident_on": "",
                   "is_a_template": False, "is_control_domain": False,
                   "is_a_snapshot": False, "xenstore_data": {},
                   "platform": {}, "snapshot_of": "", "snapshots": [],
                   "snapshot_info": {}, "is_default_template": False},
            "SR": {"name_label": "", "name_description": "", "PBDs": [],
                   "sm_config": {}},
            "PBD": {"host": "", "SR": "", "currently_attached": False,
                    "device_config": {}},
            "network": {"name_label": "", "name_description": "",
                        "PIFs": [], "bridge": ""},
            "PIF": {"device": "", "host": "", "network": ""},
            "pool": {"name_label": "", "master": "", "gui_config": {}},
            "host": {"name_label": "", "address": ""},
        }
        base.update(extra.get(cls, {}))
        if cls in NAMED:
            base["tags"] = []
        return base

    def _getter_all(self, cls):
        return lambda s: list(self.db.objects[cls])

    def _getter_all_records(self, cls):
        return lambda s: {r: self.db.public(v)
                          for r, v in self.db.objects[cls].items()}

    def _getter_where(self, cls):
        def fn(s, expr):
            pred = parse_expr(expr)
            return {r: self.db.public(v)
                    for r, v in self.db.objects[cls].items() if pred(v)}
        return fn

    def _by_name(self, cls):
        return lambda s, label: [r for r, v in self.db.objects[cls].items()
                                 if v.get("name_label") == label]

    def _by_uuid(self, cls):
        def fn(s, uuid):
            for r, v in self.db.objects[cls].items():
                if v["uuid"] == uuid:
                    return r
            raise XapiError("UUID_INVALID", cls, uuid)
        return fn

    def _set_name(self, cls, field):
        def fn(s, ref, value):
            rec = self._obj(cls, ref)
            if cls == "SR":
                pbds = [self.db.objects["PBD"][p] for p in rec["PBDs"]]
                if not any(p["currently_attached"] for p in pbds):
                    raise XapiError("SR_HAS_NO_PBDS", ref)
            rec[field] = xml_cut(value)
            self._changed(cls, ref)
            return ""
        return fn

    def _map_methods(self, cls, field):
        def set_map(s, ref, value):
            rec = self._obj(cls, ref)
            new = {}
            for k, v in value.items():
                k = xml_cut(k)
                new[k] = xml_cut(v)
            self._store_map(cls, ref, rec, field, new)
            return ""

        def add_to(s, ref, key, value):
            rec = self._obj(cls, ref)
            key = xml_cut(key)
            if key in rec[field]:
                raise XapiError("MAP_DUPLICATE_KEY", cls, field, ref, key)
            rec[field] = dict(rec[field], **{key: xml_cut(value)})
            self._changed(cls, ref)
            return ""

        def remove_from(s, ref, key):
            rec = self._obj(cls, ref)
            if key in rec[field]:
                rec[field] = {k: v for k, v in rec[field].items()
                              if k != key}
                self._changed(cls, ref)
            return ""

        sref = ("self", "ref:" + cls)
        self._add("%s.set_%s" % (cls, field), [sref, ("value", "map")],
                  set_map)
        self._add("%s.add_to_%s" % (cls, field),
                  [sref, ("key", "string"), ("value", "string")], add_to)
        self._add("%s.remove_from_%s" % (cls, field),
                  [sref, ("key", "string")], remove_from)

    def _tag_methods(self, cls):
        """Sets in xapi's database (database/db_cache_types.ml):
        add_ puts a value not yet there in front, remove_ drops every
        copy, set_ stores the list."""
        sref = ("self", "ref:" + cls)

        def set_tags(s, ref, value):
            rec = self._obj(cls, ref)
            rec["tags"] = [xml_cut(t) for t in value]
            self._changed(cls, ref)
            return ""

        def add_tags(s, ref, value):
            rec = self._obj(cls, ref)
            value = xml_cut(value)
            if value not in rec["tags"]:
                rec["tags"] = [value] + rec["tags"]
                self._changed(cls, ref)
            return ""

        def remove_tags(s, ref, value):
            rec = self._obj(cls, ref)
            if value in rec["tags"]:
                rec["tags"] = [t for t in rec["tags"] if t != value]
                self._changed(cls, ref)
            return ""
        self._add(cls + ".set_tags", [sref, ("value", "strings")], set_tags)
        self._add(cls + ".add_tags", [sref, ("value", "string")], add_tags)
        self._add(cls + ".remove_tags", [sref, ("value", "string")],
                  remove_tags)

    def _copy_vm(self, ref, name, op, sr=None):
        """VM.snapshot, VM.clone, VM.copy: the new record as xapi's
        xapi_vm_clone.ml copy_vm_record makes it (no disks here)."""
        src = self._obj("VM", ref)
        snap = op == "snapshot"
        if src["is_control_domain"]:
            raise XapiError("OPERATION_NOT_ALLOWED",
                            "%s of a control domain" % op)
        if not snap and src["power_state"] not in ("Halted", "Suspended"):
            raise XapiError("VM_BAD_POWER_STATE", ref, "halted",
                            src["power_state"].lower())
        # VM.copy's sr: an invalid reference means the disks' own SRs
        # (no disks here, so nothing else to check)
        oc = dict(src["other_config"])
        if not snap:
            # clones and copies get a new mac_seed (added if absent)
            oc["mac_seed"] = new_uuid()
        for k in ("default_template", "xensource_internal"):
            oc.pop(k, None)
        if src["is_a_template"] and "base_template_name" not in oc:
            oc["base_template_name"] = src["name_label"]
        new = {}
        for k, v in src.items():
            if k.startswith("_") or k in BACK_REFS["VM"]:
                continue
            new[k] = json.loads(json.dumps(v))      # a deep copy
        uuid = new_uuid()
        new_ref = "OpaqueRef:" + new_uuid()
        new.update({
            "uuid": uuid, "name_label": xml_cut(name),
            "power_state": "Halted", "domid": -1, "resident_on": NULL_REF,
            "is_a_template": snap or src["is_a_template"],
            "is_default_template": False, "is_a_snapshot": snap,
            "snapshot_of": ref if snap else NULL_REF,
            "snapshot_time": time.strftime("%Y%m%dT%H:%M:%SZ",
                                           time.gmtime())
            if snap else "19700101T00:00:00Z",
            "snapshot_info": {"power-state-at-snapshot":
                              src["power_state"],
                              "disk-snapshot-type": "crash_consistent"}
            if snap else {},
            "other_config": oc,
            "xenstore_data": dict(src["xenstore_data"]),
            "tags": list(src["tags"]),
            "VIFs": [], "VBDs": [], "snapshots": [],
        })
        self.db.objects["VM"][new_ref] = new
        if snap:
            src["snapshots"].append(new_ref)
            self._changed("VM", ref)
        self.db.record_event("VM", "add", new_ref)
        return new_ref

    def _store_map(self, cls, ref, rec, field, new):
        if cls == "VM" and field == "xenstore_data" and \
                rec["power_state"] == "Running" and rec["domid"] >= 0 and \
                not rec["is_control_domain"]:
            xs = self.xs.get(rec["resident_on"])
            if xs is not None:
                from pyxs.exceptions import ConnectionError as XsGone
                try:
                    xs.rewrite(rec["domid"], new)
                    if self.opts.xenstore_sync:
                        # xenopsd sees the trees change and xapi copies
                        # them back: keys outside vm-data/ and FIST/ go,
                        # the directories appear (done at once, not
                        # later, so that tests need not wait)
                        new = xs.read_trees(rec["domid"])
                        self.reported[(rec["resident_on"],
                                       rec["domid"])] = new
                except (OSError, XsGone) as e:
                    # xapi stores the field first, then xenopsd fails
                    # to reach the guest's xenstored: the call fails,
                    # the database keeps the new map
                    rec[field] = new
                    self._changed(cls, ref)
                    raise XapiError("INTERNAL_ERROR", "xenopsd: cannot "
                                    "update domain %d's xenstore: %s" %
                                    (rec["domid"], e))
        rec[field] = new
        self._changed(cls, ref)

    def copy_back(self, host, domid):
        """A guest's trees changed: VM.xenstore_data follows, as xapi
        does on xenopsd's report."""
        xs = self.xs.get(host)
        if xs is None:
            return
        with self.db.lock:
            # read under the lock: a report read before a concurrent
            # set_xenstore_data must not be applied after it
            trees = xs.read_trees(domid)
            # xapi updates the field when xenopsd's report changes, not
            # when it differs from the field (add_to_ stays until then)
            if self.reported.get((host, domid)) == trees:
                return
            self.reported[(host, domid)] = trees
            for ref, rec in self.db.objects["VM"].items():
                if rec["resident_on"] == host and rec["domid"] == domid and \
                        rec["power_state"] in ("Running", "Paused") and \
                        rec["xenstore_data"] != trees:
                    rec["xenstore_data"] = trees
                    self._changed("VM", ref)

    # ---- sessions

    def login(self, params, conn):
        user, pwd = params[0], params[1]
        for i, p in enumerate(params):
            if not isinstance(p, str):
                raise XapiError("FIELD_TYPE_ERROR",
                                ["uname", "pwd", "version", "originator"][i])
        if conn["socket"] == "tcp":
            if not self.is_master():
                master = self.db.objects["host"][self.db.master]
                raise XapiError("HOST_IS_SLAVE", master["address"])
            want = self.opts.password
            if want is None:
                want = self.db.root_password
            if want is not None and (user != "root" or pwd != want):
                # xapi_session.ml thread_delay_and_raise_error: 5 s
                # against brute force, then the failure (no lock held)
                time.sleep(self.opts.auth_fail_delay)
                raise XapiError("SESSION_AUTHENTICATION_FAILED", user,
                                "Authentication failure")
        return self.new_session(user, params[3] if len(params) > 3 else "",
                                conn, self.db.this_host)

    def new_session(self, user, originator, conn, host):
        uuid = new_uuid()
        ref = "OpaqueRef:" + new_uuid()
        now = time.strftime("%Y%m%dT%H:%M:%SZ", time.gmtime())
        with self.db.lock:
            self.db.objects["session"][ref] = {
                "uuid": uuid, "this_host": host,
                "this_user": NULL_REF, "last_active": now,
                "validation_time": now, "pool": False,
                "auth_user_name": user, "is_local_superuser": True,
                "originator": originator,
                "other_config": {}, "parent": NULL_REF,
                "_socket": conn["socket"], "_transport": conn["transport"],
            }
        return ref

    def _logout(self, s):
        with self.db.lock:
            rec = self.db.objects["session"].pop(s)
            self.db.logged_out.append(self.db.session_info(s, rec))
        return ""

    def expire_sessions(self):
        with self.db.lock:
            n = len(self.db.objects["session"])
            self.db.objects["session"].clear()
        return n

    # ---- events

    def _event_inject(self, s, cls, ref):
        real = self._class_named(cls)
        if real is None:
            raise XapiError("MESSAGE_METHOD_UNKNOWN", "%s.inject" % cls)
        self._obj(real, ref)
        self.db.record_event(real, "mod", ref)
        return str(self.db.event_id)

    def _class_named(self, name):
        for c in CLASSES:
            if c.lower() == str(name).lower():
                return c
        return None

    def _event_from(self, s, classes, token, timeout):
        try:
            since = int(token) if token else 0
        except ValueError:
            raise XapiError("EVENT_FROM_TOKEN_PARSE_FAILURE", token)
        if self.db.events and 0 < since < self.db.events[0][0] - 1:
            raise XapiError("EVENTS_LOST")
        want = {c.lower() for c in classes}
        everything = "*" in want
        deadline = time.time() + max(0.0, min(float(timeout),
                                              self.opts.event_wait))

        def pending():
            return [e for e in self.db.events if e[0] > since and
                    (everything or e[1].lower() in want)]
        with self.db.changed:
            events = pending()
            while not events:
                left = deadline - time.time()
                if left <= 0:
                    break
                self.db.changed.wait(left)
                events = pending()
            counts = {c.lower(): len(self.db.objects[c]) for c in CLASSES
                      if c != "session" and (everything or c.lower() in want)}
            return {"events": [self._event_record(e) for e in events],
                    "valid_ref_counts": counts,
                    "token": str(self.db.event_id)}

    def _event_next(self, s):
        rec = self._obj("session", s)
        since = rec.get("_event_pos", self.db.event_id)
        with self.db.changed:
            if self.db.event_id <= since:
                self.db.changed.wait(min(5.0, self.opts.event_wait))
            events = [e for e in self.db.events if e[0] > since]
            rec["_event_pos"] = self.db.event_id
        return [self._event_record(e) for e in events]

    @staticmethod
    def _event_record(e):
        eid, cls, op, ref, snap = e
        return {"id": str(eid), "timestamp": "%d" % time.time(),
                "class": cls.lower(), "operation": op, "ref": ref,
                "snapshot": snap}

    def _list_methods(self):
        return sorted(self.methods)

    # ---- dispatch

    def call(self, method, params, conn):
        """Returns the value or raises XapiError."""
        for p in params:
            if invalid_utf8(p):
                raise XapiError("INVALID_VALUE",
                                "Invalid UTF-8 string in parameter",
                                repr(p))
        m = self.methods.get(method)
        if m is None:
            raise XapiError("MESSAGE_METHOD_UNKNOWN", method)
        if not m.min <= len(params) <= m.max:
            raise XapiError("MESSAGE_PARAMETER_COUNT_MISMATCH", method,
                            m.max, len(params))
        if method == "session.login_with_password":
            return self.login(params, conn)
        with self.db.lock:
            args = list(params)
            if m.session:
                s = args[0]
                if not isinstance(s, str) or \
                        s not in self.db.objects["session"]:
                    raise XapiError("SESSION_INVALID", s)
                self.db.objects["session"][s]["last_active"] = \
                    time.strftime("%Y%m%dT%H:%M:%SZ", time.gmtime())
                rest = args[1:]
            else:
                rest = args
            for (pname, ptype), value in zip(m.params, rest):
                _check_type(method, pname, ptype, value)
                if ptype.startswith("ref:"):
                    self._obj(ptype[4:], value)
            cost = getattr(self.opts, "write_cost_ms", 0)
            if cost and is_db_write(method):
                # xapi serialises database writes behind one lock: the
                # cost is paid holding it, so writes never overlap
                time.sleep(cost / 1000.0)
            return m.fn(*args)


# ---------------------------------------------------------------- filters

_TOKEN_RE = re.compile(r'\s*(?:(\()|(\))|(=|<>)|"((?:[^"\\]|\\.)*)"|'
                       r'([A-Za-z_]+))')


def parse_expr(text):
    """The simple forms of xapi's filter language: true, false,
    field "f" = "v", <>, and, or, not, parentheses."""
    toks = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None or m.end() == pos:
            raise XapiError("INVALID_VALUE", "expr", text)
        pos = m.end()
        if m.group(4) is not None:
            toks.append(("str", re.sub(r"\\(.)", r"\1", m.group(4))))
        else:
            toks.append(("op", m.group(0).strip().lower()))
    i = [0]

    def peek():
        return toks[i[0]] if i[0] < len(toks) else ("end", "")

    def take():
        t = peek()
        i[0] += 1
        return t

    def operand():
        t = take()
        if t == ("op", "field"):
            name = take()
            if name[0] != "str":
                raise XapiError("INVALID_VALUE", "expr", text)
            return lambda rec, f=name[1]: _as_text(rec.get(f, ""))
        if t[0] == "str":
            return lambda rec, v=t[1]: v
        raise XapiError("INVALID_VALUE", "expr", text)

    def atom():
        t = peek()
        if t == ("op", "true"):
            take()
            return lambda rec: True
        if t == ("op", "false"):
            take()
            return lambda rec: False
        if t == ("op", "not"):
            take()
            inner = atom()
            return lambda rec: not inner(rec)
        if t == ("op", "("):
            take()
            inner = disj()
            if take() != ("op", ")"):
                raise XapiError("INVALID_VALUE", "expr", text)
            return inner
        left = operand()
        op = take()
        if op not in (("op", "="), ("op", "<>")):
            raise XapiError("INVALID_VALUE", "expr", text)
        right = operand()
        if op[1] == "=":
            return lambda rec: left(rec) == right(rec)
        return lambda rec: left(rec) != right(rec)

    def conj():
        f = atom()
        while peek() == ("op", "and"):
            take()
            g = atom()
            f = (lambda a, b: lambda rec: a(rec) and b(rec))(f, g)
        return f

    def disj():
        f = conj()
        while peek() == ("op", "or"):
            take()
            g = conj()
            f = (lambda a, b: lambda rec: a(rec) or b(rec))(f, g)
        return f

    pred = disj()
    if peek()[0] != "end":
        raise XapiError("INVALID_VALUE", "expr", text)
    return pred


def _as_text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


# ---------------------------------------------------------------- faults

class Faults:
    """Call counting, the call log, and the fault rules."""

    _SPEC_RE = re.compile(r"^(fail|drop|drop-after|after):"
                          r"(?:([A-Za-z_.]+)#)?(\+?)([0-9]+)(\*?)(?::(.*))?$",
                          re.S)

    def __init__(self):
        self.lock = threading.Lock()
        self.count = 0
        self.by_method = {}
        self.log = []
        self.rules = []
        self.latency_ms = 0

    def add(self, spec):
        m = self._SPEC_RE.match(spec.strip())
        if m is None:
            raise ValueError("bad fault spec %r (want fail:WHEN:CODE[:P..],"
                             " drop:WHEN or drop-after:WHEN)" % spec)
        kind, method, rel, n, every, rest = m.groups()
        if kind in ("fail", "after") and not rest:
            raise ValueError("fault %r: %s needs %s" % (
                spec, kind, "a code" if kind == "fail" else "calls"))
        if kind not in ("fail", "after") and rest:
            raise ValueError("fault %r: %s takes no code" % (spec, kind))
        calls = None
        if kind == "after":
            calls = json.loads(rest)
            if not (isinstance(calls, list) and calls and
                    all(isinstance(c, list) and c and isinstance(c[0], str)
                        for c in calls)):
                raise ValueError("fault %r: after wants [[METHOD, ARG...],"
                                 " ...]" % spec)
            rest = None
        with self.lock:
            at = int(n)
            if rel:
                at += self.by_method.get(method, 0) if method else self.count
            error = None
            if rest and rest.startswith("["):
                error = [str(x) for x in json.loads(rest)]
            elif rest:
                error = rest.split(":")
            if kind == "fail" and not (error and error[0]):
                raise ValueError("fault %r: fail needs a code" % spec)
            rule = {"spec": spec, "kind": kind, "method": method, "at": at,
                    "every": bool(every), "error": error, "calls": calls}
            self.rules.append(rule)
        return rule

    def clear(self):
        with self.lock:
            self.rules = []

    def reset_calls(self):
        with self.lock:
            self.count = 0
            self.by_method = {}
            self.log = []

    def count_call(self, method, params, conn):
        """Counts a call; returns the rule that fires on it, if any."""
        with self.lock:
            self.count += 1
            k = self.by_method.get(method, 0) + 1
            self.by_method[method] = k
            shown = ["*" if method.startswith("session.login") and i == 1
                     else p for i, p in enumerate(params)]
            self.log.append({"n": self.count, "method": method,
                             "params": shown, "transport": conn["transport"],
                             "socket": conn["socket"],
                             "conn": conn.get("conn", 0)})
            for rule in self.rules:
                if rule["method"] is not None and rule["method"] != method:
                    continue
                n = k if rule["method"] is not None else self.count
                if n == rule["at"] or (rule["every"] and n > rule["at"]):
                    if not rule["every"]:
                        self.rules.remove(rule)
                    return rule
            return None

    def calls(self, detail=False):
        with self.lock:
            out = {"count": self.count,
                   "calls": [e["method"] for e in self.log],
                   "by_method": dict(self.by_method)}
            if detail:
                out["detail"] = json.loads(json.dumps(self.log, default=str))
            return out


# ---------------------------------------------------------------- HTTP

class Sim:
    """Everything a request handler needs."""

    def __init__(self, opts):
        with open(opts.fixture) as f:
            fixture = json.load(f)
        self.opts = opts
        self.db = Database(fixture, opts.host, opts.realistic)
        xs = {}
        if opts.xenstored:
            xs[self.db.this_host] = Xenstore(opts.xenstored)
        for spec in opts.member_xenstored or []:
            name, _, path = spec.partition("=")
            hits = [r for r, h in self.db.objects["host"].items()
                    if h["name_label"] == name]
            if len(hits) != 1 or not path:
                raise ValueError("--member-xenstored %s: no such host"
                                 % spec)
            xs[hits[0]] = Xenstore(path)
        self.api = Api(self.db, xs, opts)
        self.faults = Faults()
        self.conns = 0
        self.faults.latency_ms = opts.latency_ms
        for spec in opts.fault or []:
            self.faults.add(spec)
        if not opts.no_boot_sync:
            self.boot_sync(xs)
        self.stop = threading.Event()
        self.watchers = []
        # xenopsd on each host reports its guests' trees to that host's
        # xapi, which writes the master's database: the master follows
        # every host's xenstored it was given, a member its own
        for host, store in xs.items() if opts.xenstore_sync else ():
            domids = [vm["domid"] for vm in self.db.objects["VM"].values()
                      if vm["resident_on"] == host and
                      vm["power_state"] in ("Running", "Paused") and
                      vm["domid"] > 0 and
                      not vm["is_control_domain"]]
            for domid in domids:
                try:
                    self.api.copy_back(host, domid)
                except Exception:
                    if host == self.db.this_host:
                        raise
                    # a member's xenstored not up yet: its watch,
                    # once it connects, catches up
            self.watchers.append(threading.Thread(
                target=store.watch, daemon=True,
                args=(domids, lambda d, h=host: self.api.copy_back(h, d),
                      self.stop)))

    def boot_sync(self, xs):
        """The running VMs "started" with their vm-data/FIST keys."""
        for ref, vm in self.db.objects["VM"].items():
            if vm["power_state"] not in ("Running", "Paused") or \
                    vm["is_control_domain"] or vm["domid"] < 0:
                continue
            kept = {k: xml_cut(v) for k, v in vm["xenstore_data"].items()
                    if allowed_xs_key(k)}
            vm["xenstore_data"] = kept
            # each host's toolstack started its own guests
            target = xs.get(vm["resident_on"]) \
                if vm["resident_on"] == self.db.this_host else None
            if target is not None and kept:
                # at domain build: into the guest's own vm-data, the
                # keys inheriting its permissions
                target.boot_write(vm["domid"], kept)

    def next_conn_id(self):
        """Connections are numbered from 1, over both sockets."""
        with self.faults.lock:
            self.conns += 1
            return self.conns

    def control(self, name, arg):
        """The sim.* test controls; returns a JSON-able value."""
        if name == "fault":
            self.faults.add(str(arg))
            return self.faults_view()
        if name == "clear_faults":
            self.faults.clear()
            return []
        if name == "latency":
            self.faults.latency_ms = int(arg)
            return self.faults.latency_ms
        if name == "calls":
            return self.faults.calls(detail=bool(arg))
        if name == "reset_calls":
            self.faults.reset_calls()
            return 0
        if name == "state":
            return self.db.dump()
        if name == "expire_sessions":
            return self.api.expire_sessions()
        if name == "member_login":
            # a member's local login, made in this (the master's) database
            host, user, originator = (list(arg) + ["", "", ""])[:3]
            hits = [r for r, h in self.db.objects["host"].items()
                    if h["name_label"] == host]
            if len(hits) != 1:
                raise ValueError("member_login: no host %r" % host)
            return self.api.new_session(
                user, originator, {"socket": "unix", "transport": "member"},
                hits[0])
        if name == "faults":
            return self.faults_view()
        raise KeyError(name)

    def faults_view(self):
        with self.faults.lock:
            return [dict(r) for r in self.faults.rules]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "xapisim"
    sys_version = ""
    timeout = 600
    # one write per reply: headers and body apart meet Nagle and delayed
    # ACKs (40 ms a call); xapi also sets TCP_NODELAY
    wbufsize = 1 << 16

    def setup(self):
        super().setup()
        self.conn_id = self.server.sim.next_conn_id()
        if self.server.kind == "tcp":
            self.connection.setsockopt(socket.IPPROTO_TCP,
                                       socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):
        if self.server.sim.opts.verbose:
            sys.stderr.write("xapisim: %s\n" % (fmt % args))

    def _reply(self, code, body, ctype, close=False):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, no-store")
        if close or self.close_connection:
            self.close_connection = True
            self.send_header("Connection", "close")
        else:
            self.send_header("Connection", "keep-alive")
        self.end_headers()
        self.wfile.write(body)

    def _error500(self, why):
        body = ("<html><body><h1>HTTP 500 internal server error</h1>"
                "%s</body></html>" % why).encode()
        self._reply(500, body, "text/html", close=True)

    def _read_body(self):
        """The body, or None after a 500 (xapi: Content-Length required,
        at most 300 KiB)."""
        length = self.headers.get("Content-Length")
        if length is None or not length.strip().isdigit():
            self._error500("We require a content-length: HTTP header")
            return None
        n = int(length)
        if n > MAX_BODY:
            self._error500("Client_requested_size_over_limit")
            return None
        body = self.rfile.read(n)
        if len(body) != n:
            self.close_connection = True
            return None
        return body

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        sim = self.server.sim
        if url.path == "/sim/calls":
            out = sim.control("calls", query.get("detail", [""])[0] in
                              ("1", "true", "yes"))
        elif url.path == "/sim/state":
            out = sim.control("state", None)
        elif url.path == "/sim/faults":
            out = sim.control("faults", None)
        else:
            self._reply(404, b"not found\n", "text/plain")
            return
        self._reply(200, json.dumps(out, indent=1).encode(),
                    "application/json")

    def do_POST(self):
        body = self._read_body()
        if body is None:
            return
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/sim/"):
            self._sim_post(path[5:].replace("-", "_"), body)
        elif path.startswith("/jsonrpc"):
            self._jsonrpc(body)
        else:
            self._xmlrpc(body)

    def _sim_post(self, name, body):
        text = body.decode("utf-8", "replace").strip()
        arg = None
        if text:
            try:
                doc = json.loads(text)
                arg = doc.get("spec", doc.get("ms")) \
                    if isinstance(doc, dict) else doc
            except ValueError:
                arg = text
        try:
            out = self.server.sim.control(name, arg)
        except KeyError:
            self._reply(404, b"no such control\n", "text/plain")
            return
        except (ValueError, TypeError) as e:
            self._reply(400, (str(e) + "\n").encode(), "text/plain")
            return
        self._reply(200, json.dumps(out).encode(), "application/json")

    def _conn(self, transport):
        return {"socket": self.server.kind, "transport": transport,
                "conn": self.conn_id}

    def _forward(self, body):
        """A member's local socket: the master answers."""
        opts = self.server.sim.opts
        u = urllib.parse.urlsplit(opts.master_url)
        import http.client
        c = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=60)
        try:
            c.request("POST", self.path, body,
                      {"Content-Type": self.headers.get("Content-Type",
                                                        "text/xml")})
            r = c.getresponse()
            data = r.read()
            self._reply(r.status, data, r.getheader("Content-Type",
                                                    "text/xml"))
        finally:
            c.close()

    def _member_forwards(self):
        sim = self.server.sim
        return (self.server.kind == "unix" and sim.opts.master_url and
                not sim.api.is_master())

    def _emergency(self, method):
        """A member whose master does not answer is in emergency mode:
        every call but the emergency ones, login included, on either
        socket, gets the emergency-mode error (api_server.ml); the
        member's start-up (xapi.ml) leaves INTERNAL_ERROR there when
        the master cannot be reached at all."""
        sim = self.server.sim
        if not sim.opts.master_url or sim.api.is_master() or \
                method.startswith("sim.") or method in EMERGENCY_CALLS:
            return None
        u = urllib.parse.urlsplit(sim.opts.master_url)
        try:
            socket.create_connection((u.hostname, u.port or 80),
                                     timeout=1.0).close()
            return None
        except OSError as e:
            return XapiError("INTERNAL_ERROR", "cannot contact the pool "
                             "master %s: %s" % (u.hostname, e.strerror))

    def _local_login(self, params, transport):
        """A member answers a login on its unix socket itself (the
        session, written to the master's database, names the member as
        this_host); only the other calls are forwarded."""
        sim = self.server.sim
        rule = sim.faults.count_call("session.login_with_password", params,
                                     self._conn(transport))
        if rule is not None:
            raise XapiError(*rule["error"]) if rule["kind"] == "fail" \
                else DropConnection(after=rule["kind"] == "drop-after")
        if not 2 <= len(params) <= 4:
            raise XapiError("MESSAGE_PARAMETER_COUNT_MISMATCH",
                            "session.login_with_password", 4, len(params))
        me = sim.db.objects["host"][sim.db.this_host]["name_label"]
        u = urllib.parse.urlsplit(sim.opts.master_url)
        import http.client
        c = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=60)
        try:
            c.request("POST", "/sim/member-login", json.dumps(
                [me, str(params[0]), str(params[3]) if len(params) > 3
                 else ""]).encode(), {"Content-Type": "application/json"})
            r = c.getresponse()
            data = r.read()
            if r.status != 200:
                raise XapiError("INTERNAL_ERROR", data.decode("utf-8",
                                                              "replace"))
            return json.loads(data)
        finally:
            c.close()

    def _run(self, method, params, transport):
        """Counts, logs, applies faults and latency, then calls."""
        sim = self.server.sim
        if method.startswith("sim."):
            return sim.control(method[4:], params[0] if params else None)
        rule = sim.faults.count_call(method, params, self._conn(transport))
        if sim.faults.latency_ms:
            time.sleep(sim.faults.latency_ms / 1000.0)
        if rule is not None and rule["kind"] == "drop":
            raise DropConnection()
        if rule is not None and rule["kind"] == "fail":
            raise XapiError(*rule["error"])
        if rule is not None and rule["kind"] == "after":
            value = sim.api.call(method, params, self._conn(transport))
            self._race(rule["calls"])
            return value
        try:
            value = sim.api.call(method, params, self._conn(transport))
        except XapiError:
            if rule is not None:      # drop-after
                raise DropConnection(after=True)
            raise
        if rule is not None:
            raise DropConnection(after=True)
        return value

    def _race(self, calls):
        """The calls of an after: rule, by another client of its own
        session, between this call and its reply."""
        sim = self.server.sim
        conn = {"socket": "race", "transport": "race"}
        s = sim.api.new_session("racer", "after-rule", conn,
                                sim.db.this_host)
        for c in calls:
            try:
                sim.api.call(c[0], [s] + list(c[1:]), conn)
            except XapiError as e:
                print("xapisim: after-rule %s: %s" % (c[0], e),
                      file=sys.stderr)
        sim.api.call("session.logout", [s], conn)

    def _drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _xmlrpc(self, body):
        try:
            method, params = parse_xmlrpc(body)
        except Exception as e:       # xapi: not a Server_error -> 500
            if self._member_forwards():
                self._forward(body)
                return
            self._error500("cannot parse the XML-RPC call: %s" %
                           _xml_escape(str(e)))
            return
        raw = not self.server.sim.opts.escape_member_names
        emergency = self._emergency(method)
        if emergency is None and self._member_forwards() and \
                method != "session.login_with_password":
            self._forward(body)
            return
        try:
            if emergency is not None:
                raise emergency
            if self._member_forwards():
                value = self._local_login(params, "xmlrpc")
            else:
                value = self._run(method, params, "xmlrpc")
            if method == "system.listMethods":
                out = xml_response(value, raw)      # xapi: not wrapped
            elif method.startswith("sim."):
                # test controls: plain values, ints typed
                out = xml_response(json.loads(json.dumps(value)), raw, True)
            else:
                out = xml_response({"Status": "Success", "Value": value},
                                   raw)
        except XapiError as e:
            out = xml_response({"Status": "Failure",
                                "ErrorDescription": e.description}, raw)
        except DropConnection:
            self._drop()
            return
        except (KeyError, ValueError, TypeError) as e:   # a bad sim.*
            out = xml_response({"Status": "Failure", "ErrorDescription":
                                ["SIM_CONTROL", str(e)]}, raw)
        self._reply(200, out, "text/xml")

    def _jsonrpc(self, body):
        try:
            req = json.loads(body.decode("utf-8", "surrogateescape"),
                             strict=False)
            if not isinstance(req, dict) or \
                    not isinstance(req.get("method"), str):
                raise ValueError("not a JSON-RPC call")
            params = req.get("params", [])
            if not isinstance(params, list):
                raise ValueError("params must be an array")
        except ValueError as e:
            if self._member_forwards():
                self._forward(body)
                return
            self._error500("cannot parse the JSON-RPC call: %s" %
                           _xml_escape(str(e)))
            return
        v2 = req.get("jsonrpc") == "2.0"
        rid = req.get("id")
        method = req["method"]
        emergency = self._emergency(method)
        if emergency is None and self._member_forwards() and \
                method != "session.login_with_password":
            self._forward(body)
            return
        try:
            if emergency is not None:
                raise emergency
            if self._member_forwards():
                value = self._local_login(params, "jsonrpc")
            else:
                value = self._run(method, params, "jsonrpc")
            out = {"result": value, "id": rid}
            if v2:
                out["jsonrpc"] = "2.0"
            else:
                out["error"] = None
        except XapiError as e:
            if v2 and method != "system.listMethods":
                err = {"code": 1, "message": e.description[0],
                       "data": e.description[1:]}
                out = {"jsonrpc": "2.0", "error": err, "id": rid}
            elif v2:
                out = {"jsonrpc": "2.0", "error": e.description, "id": rid}
            else:
                out = {"result": None, "error": e.description, "id": rid}
        except DropConnection:
            self._drop()
            return
        except (KeyError, ValueError, TypeError) as e:
            out = {"result": None, "error": ["SIM_CONTROL", str(e)],
                   "id": rid}
        data = json.dumps(out, ensure_ascii=False,
                          default=str).encode("utf-8", "surrogateescape")
        self._reply(200, data, "application/json")


class QuietErrors:
    """A client that goes away mid-request is no error of ours."""

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class TCPServer(QuietErrors, socketserver.ThreadingMixIn,
                http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    kind = "tcp"

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)   # no name lookup
        self.server_name, self.server_port = self.server_address[:2]


class UnixServer(QuietErrors, socketserver.ThreadingMixIn,
                 socketserver.UnixStreamServer):
    daemon_threads = True
    kind = "unix"

    def get_request(self):
        sock, _ = super().get_request()
        return sock, ("unix", 0)     # BaseHTTPRequestHandler wants a pair


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="xapisim.py",
        description="XenAPI simulator for the xenbake test sandbox "
        "(see the module docstring for the /sim/ controls and the "
        "fault SPECs).")
    p.add_argument("--fixture", required=True, help="FIXTURE.json")
    p.add_argument("--port", type=int, default=0,
                   help="TCP port (0: a free one)")
    p.add_argument("--bind", default="127.0.0.1", help="TCP address")
    p.add_argument("--port-file", help="write the TCP port here once "
                   "connections are accepted")
    p.add_argument("--unix", help="also listen on this unix socket")
    p.add_argument("--xenstored", help="the sandbox xenstored's socket")
    p.add_argument("--pid-file", help="write our pid here")
    p.add_argument("--host", help="serve as this fixture host (pools)")
    p.add_argument("--master-url",
                   default=os.environ.get("XAPISIM_MASTER_URL"),
                   help="a member's unix socket forwards calls to this "
                   "master (http://ADDR:PORT; env XAPISIM_MASTER_URL)")
    p.add_argument("--member-xenstored", action="append",
                   metavar="NAME=SOCKET", help="the xenstored of another "
                   "host, for its guests' vm-data (env "
                   "XAPISIM_MEMBER_XENSTORED, ';'-separated)")
    p.add_argument("--password", default=os.environ.get("XAPISIM_PASSWORD"),
                   help="password required over TCP (default: any)")
    p.add_argument("--fault", action="append", metavar="SPEC",
                   help="a fault rule; repeatable")
    p.add_argument("--latency-ms", type=int,
                   default=int(os.environ.get("XAPISIM_LATENCY_MS", "0")),
                   help="added before every call")
    p.add_argument("--write-cost-ms", type=float,
                   default=float(os.environ.get("XAPISIM_WRITE_COST_MS",
                                                "0")),
                   help="a database write holds the database lock this "
                   "long (writes are serialised, as in xapi; env "
                   "XAPISIM_WRITE_COST_MS; default 0)")
    p.add_argument("--realistic", action="store_true",
                   default=os.environ.get("XAPISIM_REALISTIC", "0") != "0",
                   help="records carry every field xapi's records do, "
                   "with plausible values (a VM record of several kB; "
                   "env XAPISIM_REALISTIC=1; the benchmarks use it)")
    p.add_argument("--event-wait", type=float, default=1.0,
                   help="longest wait (s) of event.from/next with no event")
    p.add_argument("--no-boot-sync", action="store_true",
                   help="do not write running VMs' vm-data into xenstore "
                   "at start nor drop their other xenstore_data keys")
    p.add_argument("--no-xenstore-sync", dest="xenstore_sync",
                   action="store_false",
                   default=os.environ.get("XAPISIM_XENSTORE_SYNC",
                                          "1") != "0",
                   help="do not copy the guests' vm-data/FIST trees back "
                   "into VM.xenstore_data when they change (env "
                   "XAPISIM_XENSTORE_SYNC=0)")
    p.add_argument("--raw-member-names", action="store_true",
                   help="accepted for old scripts: the default now")
    p.add_argument("--escape-member-names", action="store_true",
                   help="escape struct member names (map keys) in "
                   "XML-RPC replies; xapi does not")
    p.add_argument("--auth-fail-delay", type=float,
                   default=float(os.environ.get("XAPISIM_AUTH_FAIL_DELAY",
                                                "5")),
                   help="seconds a failed TCP login waits before its "
                   "SESSION_AUTHENTICATION_FAILED, as xapi (default 5; "
                   "env XAPISIM_AUTH_FAIL_DELAY)")
    p.add_argument("--verbose", action="store_true", help="log requests")
    opts = p.parse_args(argv)
    env = os.environ.get("XAPISIM_MEMBER_XENSTORED", "")
    opts.member_xenstored = [s for s in env.split(";") if s.strip()] + \
        (opts.member_xenstored or [])
    env = os.environ.get("XAPISIM_FAULTS", "")
    opts.fault = [s for s in env.split(";") if s.strip()] + \
        (opts.fault or [])
    return opts


def write_atomic(path, text):
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def main(argv):
    opts = parse_args(argv)
    try:
        sim = Sim(opts)
    except (OSError, ValueError, KeyError, TypeError) as e:
        print("xapisim: %s" % e, file=sys.stderr)
        return 2
    except Exception as e:       # pyxs: the guests' vm-data at start
        print("xapisim: cannot write the running guests' vm-data into "
              "xenstore: %r" % e, file=sys.stderr)
        return 2
    if opts.pid_file:
        write_atomic(opts.pid_file, "%d\n" % os.getpid())
    servers = []
    tcp = TCPServer((opts.bind, opts.port), Handler)
    tcp.sim = sim
    servers.append(tcp)
    if opts.unix:
        if os.path.exists(opts.unix):
            os.unlink(opts.unix)
        unix = UnixServer(opts.unix, Handler)
        unix.sim = sim
        servers.append(unix)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threads = [threading.Thread(target=s.serve_forever, daemon=True)
               for s in servers]
    threads.extend(sim.watchers)
    for t in threads:
        t.start()
    port = tcp.server_address[1]
    if opts.port_file:
        write_atomic(opts.port_file, "%d\n" % port)
    print("xapisim: %s:%d%s, %d methods" %
          (opts.bind, port, " and " + opts.unix if opts.unix else "",
           len(sim.api.methods)), file=sys.stderr)
    while not stop.wait(1.0):
        pass
    sim.stop.set()
    for s in servers:
        s.shutdown()
        s.server_close()
    if opts.unix and os.path.exists(opts.unix):
        os.unlink(opts.unix)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
