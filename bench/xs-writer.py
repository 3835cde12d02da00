"""xs-writer.py RUNDIR KIND DOMID... - a busy guest for bench/xs-busy.sh:
writes, as fast as xenstored answers, under each /local/domain/DOMID, as
that guest (through its own ring: tests/sandbox/xsguest.py; RUNDIR is the
daemon's ring directory), until SIGTERM; prints the writes it made.
KIND: data     the guest agent's kind of traffic (data/meminfo_free,
               data/updated), outside vm-data
      vm-data  a guest reporting back through its vm-data
               (vm-data/report/seq), as xapi's copy-back expects
"""
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "sandbox"))
from xsguest import Guest   # noqa: E402

rundir, kind = sys.argv[1:3]
domids = [int(d) for d in sys.argv[3:]]
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
guests = [Guest.introduce(d, rundir) for d in domids]
n = 0
while not stop:
    for g in guests:
        base = "/local/domain/%d/" % g.domid
        if kind == "data":
            g.write(base + "data/meminfo_free", str(n).encode())
            g.write(base + "data/updated", b"1")
        else:
            g.write(base + "vm-data/report/seq", str(n).encode())
        n += 1
print(n)
