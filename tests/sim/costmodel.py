# SPDX-License-Identifier: MIT
"""costmodel.py URL on|off - with the cost model on (costmodel.sh starts
the simulator with XAPISIM_REALISTIC=1, XAPISIM_WRITE_COST_MS=150 and
XAPISIM_LATENCY_MS=150): records carry every field of a real xapi's, the
fixture's values still win; reads on four connections overlap, writes on
four connections are serialised. Off: the fixture's small records."""
import sys
import threading
import time
import xmlrpc.client

from simlib import check

URL, MODE = sys.argv[1], sys.argv[2]


def session():
    p = xmlrpc.client.ServerProxy(URL, allow_none=True)
    r = p.session.login_with_password("root", "", "2.0", "costmodel")
    check(r["Status"] == "Success", "login", r)
    return p, r["Value"]


def ok(r, what):
    check(r["Status"] == "Success", what, r)
    return r["Value"]


p, s = session()
vms = ok(p.VM.get_all_records(s), "VM.get_all_records")
web = [v for v in vms.values() if v["name_label"] == "web-01"]
check(len(web) == 1, "web-01 in the records")
web = web[0]
size = len(xmlrpc.client.dumps(({"r": web},), methodresponse=True))
if MODE == "off":
    check("last_booted_record" not in web, "small records by default",
          sorted(web))
    check(size < 3000, "a small VM record by default", size)
    print("costmodel.py: off: ok")
    sys.exit(0)

for f in ("last_booted_record", "recommendations", "VCPUs_max",
          "memory_static_max", "allowed_operations", "HVM_boot_params",
          "platform", "blocked_operations", "bios_strings", "domain_type"):
    check(f in web, "a realistic VM record has " + f, sorted(web))
check(size > 5000, "a realistic VM record is several kB", size)
check(web["other_config"] == {"owner": "ops"}, "the fixture's values win",
      web["other_config"])
for cls in ("SR", "network", "PIF", "host"):
    recs = ok(getattr(p, cls).get_all_records(s), cls)
    check(all("allowed_operations" in r or "MAC" in r
              for r in recs.values()), cls + " records are realistic")


def timed(fn):
    """Seconds for fn run on four connections at once."""
    errors = []

    def run():
        try:
            fn(*session())
        except Exception as e:      # reported below
            errors.append(e)
    threads = [threading.Thread(target=run) for _ in range(4)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not errors, "calls on four connections", errors)
    return time.monotonic() - t0


ref = ok(p.VM.get_by_name_label(s, "db-01"), "get_by_name_label")[0]
# the logins themselves pay the latency (overlapping): measured apart
base = timed(lambda q, t: None)
reads = timed(lambda q, t: ok(q.VM.get_other_config(t, ref), "read"))
writes = timed(lambda q, t: ok(q.VM.add_to_other_config(
    t, ref, "k%d" % threading.get_ident(), "v"), "write"))
# reads: one latency (0.15 s), overlapping; writes: a latency plus four
# serialised write costs (0.15 + 4 x 0.15 s)
check(reads - base < 0.55, "reads on four connections overlap",
      reads, base)
check(writes - base >= 0.6, "writes are serialised", writes, base)
print("costmodel.py: on: ok (reads %.2f s, writes %.2f s, logins %.2f s)"
      % (reads - base, writes - base, base))
