# SPDX-License-Identifier: MIT
"""fault-points.py XENBAKE HOOKED SANDBOX_DIR FIXTURE A.xbb B.xbb - drives
tests/runtime/fault-points.sh: the host holds config A; then B (which
adds, changes and removes keys, renames an SR) is applied with one
failure injected at a time, at every point where one can strike:

  * every XenAPI call of a clean apply of B, named METHOD#K (the K-th
    call of METHOD, as the simulator counts them): answered with a
    Failure, or the connection dropped before it runs; and for every
    write (set_/add_to_/remove_from_), also the connection dropped after
    it ran (the reply lost) and SESSION_INVALID (the client logs in again)
  * every corruption of B's blob: cut short at many lengths, one bit
    flipped at many offsets
  * xenstored killed just before the commit (the test build's hook)

After each, the whole state (snapshot.py: the simulator's database, the
same through XenAPI.py, every xenstore node with its permissions) must
equal the state before, if apply failed, or hold exactly what B gives, if
it succeeded; then a clean apply of B must succeed and give that too.
The calls are found from a clean run, not listed here, so a change in the
runtime's requests moves the points with it. Prints the count."""
import difflib
import json
import os
import subprocess
import sys
import urllib.request

from snapshot import sim_db, snapshot, xenapi_db

XENBAKE, HOOKED, SB, FIXTURE, BLOB_A, BLOB_B = sys.argv[1:7]
# FAULT_POINTS_FIRST_WRITES=N: only the first N writes of each method
# (the ones that open the parallel writers' connections), no blobs, no kill
FIRST_WRITES = int(os.environ.get("FAULT_POINTS_FIRST_WRITES", "0"))
UP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                  "sandbox", "up")
URL = os.environ["XENBAKE_XAPI"]
SOCK = os.environ["XENSTORED_PATH"]
WRITES = (".set_", ".add_to_", ".remove_from_")
failures = []


def sim(path, body=None):
    req = urllib.request.Request(URL + path, method="POST" if body is not
                                 None else "GET",
                                 data=body.encode() if body is not None
                                 else None)
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def run(blob, binary=XENBAKE, env=None):
    p = subprocess.run([binary, "apply", blob], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, timeout=60)
    return p.returncode, p.stdout.decode(errors="replace") + \
        p.stderr.decode(errors="replace")


def state():
    return snapshot(URL, [SOCK])


def leaves(m):
    return {k: v for k, v in m.items()
            if not any(o.startswith(k + "/") for o in m)}


def view(snap, fresh=False):
    """What a config decides: every object's names and maps (vm-data as
    leaves), every guest's vm-data leaves with their permissions. With
    fresh, empty leaves are left out: a directory whose keys a config
    dropped stays, empty, in a guest's tree, and is gone from one that
    started again."""
    db = snap["xapi"]
    out = {}

    def vd_leaves(m):       # a node is [value, perms...], a key a value
        return {k: v for k, v in leaves(m).items()
                if not fresh or (v[0] if isinstance(v, list) else v)}
    for key in ("vms", "srs", "networks", "pifs", "hosts", "pools"):
        for o in db[key]:
            # a live VM's xenstore_data is xapi's copy of its live tree
            # (compared below), which follows it asynchronously
            live = o.get("power_state") in ("Running", "Paused")
            out[key + " " + o["uuid"]] = (
                o.get("name_label"), o.get("name_description"),
                o.get("other_config"),
                {} if live else vd_leaves(o.get("xenstore_data", {})))
    for tree in snap["xenstore"]:
        vd = {p: n for p, n in tree.items()
              if p.startswith("/local/domain/") and "/vm-data" in p}
        out["xenstore"] = vd_leaves(vd)
        out["xenstore other"] = {p: n for p, n in tree.items()
                                 if "/vm-data" not in p}
    return out


def check(cond, what, detail=""):
    if not cond:
        failures.append("%s%s" % (what, (": " + detail) if detail else ""))
        print("FAIL:", failures[-1], file=sys.stderr)


def diff(a, b):
    """A short account of where two snapshots differ."""
    out = []
    for part in sorted(set(a) | set(b)):
        if a.get(part) != b.get(part):
            x = json.dumps(a.get(part), sort_keys=True, indent=0).split("\n")
            y = json.dumps(b.get(part), sort_keys=True, indent=0).split("\n")
            out.append("%s: %s" % (part, " ".join(
                l for l in difflib.unified_diff(x, y, n=0, lineterm="")
                if l[:1] in "+-" and l[:3] not in ("+++", "---"))[:600]))
    return "; ".join(out)


def must_apply(blob, what):
    rc, out = run(blob)
    check(rc == 0, what + ": a clean apply failed", out[-400:])


def judge(what, before, rc, out, want):
    after = state()
    if rc != 0:
        check(view(after) == view(before), what + ": failed (exit %d) but "
              "the host changed" % rc, diff(view(before), view(after)))
    else:
        check(view(after) == want, what + ": succeeded but the host "
              "does not hold B", diff(view(after), want))
    must_apply(BLOB_B, what + ", then")
    check(view(state()) == want, what + ": the next run did not give B")


def call_points(log):
    """Every call of the reference run, named METHOD#K."""
    points = []
    seen = {}
    for call in log:
        m = call["method"]
        seen[m] = seen.get(m, 0) + 1
        at = "%s#%d" % (m, seen[m])
        write = any(w in m for w in WRITES)
        if FIRST_WRITES and (not write or seen[m] > FIRST_WRITES):
            continue
        points += ["fail:%s:INTERNAL_ERROR:injected" % at, "drop:%s" % at]
        if write:
            points += ["drop-after:%s" % at,
                       "fail:%s:SESSION_INVALID:OpaqueRef:gone" % at]
    return points


def try_calls(points, want):
    """Each point from config A's state; returns the points not reached."""
    missed = []
    for spec in points:
        must_apply(BLOB_A, "back to A before " + spec)
        before = state()
        sim("/sim/clear-faults", "")
        sim("/sim/reset-calls", "")
        sim("/sim/fault", spec)
        rc, out = run(BLOB_B)
        pending = sim("/sim/faults")
        sim("/sim/clear-faults", "")
        if pending:
            missed.append(spec)
        judge(spec, before, rc, out, want)
    return missed


def try_blobs():
    """Corrupted blobs: refused before any request, the host untouched."""
    must_apply(BLOB_A, "A before the corrupted blobs")
    with open(BLOB_B, "rb") as f:
        blob = f.read()
    bad = os.path.join(SB, "bad.xbb")
    cuts = {n for n in [0, 1, 2, 4, 8, 16, 32, 64, len(blob) - 1] +
            list(range(0, len(blob), max(1, len(blob) // 24)))
            if 0 <= n < len(blob)}
    flips = set(range(0, min(len(blob), 96))) | \
        set(range(0, len(blob), max(1, len(blob) // 48))) | {len(blob) - 1}
    want = view(state())
    for kind, cases in (("cut", sorted(cuts)), ("flip", sorted(flips))):
        for n in cases:
            data = blob[:n] if kind == "cut" else \
                blob[:n] + bytes([blob[n] ^ (1 << (n % 8))]) + blob[n + 1:]
            with open(bad, "wb") as f:
                f.write(data)
            sim("/sim/reset-calls", "")
            rc, out = run(bad)
            calls = sim("/sim/calls")["calls"]
            what = "blob %s at byte %d" % (kind, n)
            check(rc == 1, what + ": exit %d, want 1" % rc, out[-300:])
            check(not calls, what + ": the blob reached XenAPI",
                  str(calls[:3]))
            # (a live VM's xenstore_data follows its tree asynchronously:
            # compared as view() does, through the tree itself)
            after = view(state())
            check(after == want, what + ": the host changed",
                  diff(want, after) if after != want else "")
    return len(cuts) + len(flips)


def try_xenstored_killed(ref):
    """xenstored killed just before the commit: apply fails, and the
    database is as it was (xenstored's tree died with it); with a new
    xenstored (the guests' domains made again), B."""
    pid = open(os.path.join(SB, "xenstored.pid")).read().strip()
    env = dict(os.environ, XENBAKE_TEST_HOOK_BEFORE_COMMIT="kill -9 " + pid)
    must_apply(BLOB_A, "A before xenstored is killed")
    before = state()
    rc, out = run(BLOB_B, HOOKED, env)
    check(rc == 1, "xenstored killed: exit %d, want 1" % rc, out[-400:])
    after = {"xapi": sim_db(URL), "xenapi": xenapi_db(URL)}
    check(after["xapi"] == before["xapi"] and
          after["xenapi"] == before["xenapi"],
          "xenstored killed: the database changed",
          diff({"xapi": before["xapi"]}, {"xapi": after["xapi"]}))
    subprocess.run([UP, FIXTURE, SB], check=True, stderr=subprocess.DEVNULL,
                   env=dict(os.environ, SANDBOX_RESTART_XENSTORED="1"))
    must_apply(BLOB_B, "B with xenstored back")
    check(view(state(), True) == view(ref, True),
          "xenstored killed: the next run did not give B",
          diff(view(state(), True), view(ref, True)))


# the reference: A, then B cleanly; the calls B makes
must_apply(BLOB_A, "A")
sim("/sim/clear-faults", "")
sim("/sim/reset-calls", "")
must_apply(BLOB_B, "B")
log = sim("/sim/calls?detail=1")["detail"]     # before any snapshot's
REF = state()
rc, out = run(BLOB_B)
check(rc == 0 and "No changes" in out, "B twice", out[-400:])
check(any(any(w in c["method"] for w in WRITES) for c in log),
      "a clean apply of B made no XenAPI write", str(log))

points = call_points(log)
missed = try_calls(points, view(REF))
check(not missed, "points a run of B never reached", " ".join(missed))
blobs = 0 if FIRST_WRITES else try_blobs()
if not FIRST_WRITES:
    try_xenstored_killed(REF)
print("fault points tried: %d (%d XenAPI call faults, %d corrupted blobs, "
      "%d xenstored kill)" % (len(points) + blobs + (not FIRST_WRITES),
                              len(points), blobs, not FIRST_WRITES))
if failures:
    print("%d of them went wrong" % len(failures), file=sys.stderr)
    sys.exit(1)
