# SPDX-License-Identifier: MIT
"""xs-writer.py RUNDIR KIND RATE DOMID... - busy guests for
bench/xs-busy.sh: writes under each /local/domain/DOMID, as that guest
(through its own ring: tests/sandbox/xsguest.py; RUNDIR is the daemon's
ring directory), RATE writes a second in all (0: as fast as xenstored
answers), until SIGTERM; prints the writes it made.
KIND: data     the guest agent's kind of traffic (data/meminfo_free,
               data/updated), outside vm-data
      vm-data  a guest reporting back through its vm-data
               (vm-data/report/seq), as xapi's copy-back expects
      churn    a guest making and removing a node in its vm-data
               (vm-data/churn): each changes vm-data itself, a node
               xenbake's transaction changes too
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "sandbox"))
from xsguest import Guest   # noqa: E402

rundir, kind, rate = sys.argv[1], sys.argv[2], float(sys.argv[3])
domids = [int(d) for d in sys.argv[4:]]
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
guests = [Guest.introduce(d, rundir) for d in domids]
n = 0
t0 = time.monotonic()
while not stop:
    for g in guests:
        base = "/local/domain/%d/" % g.domid
        if kind == "data":
            g.write(base + "data/meminfo_free", str(n).encode())
            g.write(base + "data/updated", b"1")
            n += 2
        elif kind == "churn":
            g.write(base + "vm-data/churn", b"1")
            g.call("RM", base + "vm-data/churn")
            n += 2
        else:
            g.write(base + "vm-data/report/seq", str(n).encode())
            n += 1
        if rate > 0:          # hold the rate: sleep until the next is due
            ahead = n / rate - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
        if stop:
            break
print(n)
