#!/usr/bin/env python3
"""bench/cluster/fwd.py - figures of forwarding and of moving a dead
node's queue (issue 17, part 6), on loopback with Debian's redis-server.

  get      GET /v1/messages/ID of a node-1 message, TRIALS times through
           node 1 itself and through node 2 (forwarded): median and p90
           latency of each, so the forwarding hop's cost is their
           difference
  redis    Redis commands the forwarded GETs cost (INFO commandstats,
           beyond the heartbeats): the target is none
  move     COUNT queued messages on node 1 (the relay answers 4xx),
           node 1 killed with -9: wall time of `swervectl spool export`
           and of `spool import` into stopped node 2, and the file's size

    nice /usr/bin/python3 bench/cluster/fwd.py [TRIALS] [COUNT]

Release build (SWERVE_BIN, default build/release/bin). Every process is
stopped by PID at the end.
"""

import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
os.environ.setdefault("SWERVE_BIN", str(REPO / "build" / "release" / "bin"))
sys.path.insert(0, str(REPO / "tests" / "lib"))
sys.path.insert(0, str(REPO / "tests" / "cluster"))
import swerve_harness as sh  # noqa: E402
from cluster_lib import WEB_KEY, Lab, api_keys  # noqa: E402

TRIALS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 2000


def submit(d, rcpt):
    code, out = sh.http_json(
        d.http_url + "/v1/messages", "POST", json.dumps({
            "from": "s@example.com", "to": rcpt, "subject": "fwd",
            "text": "hi\n"}).encode(),
        headers={"Authorization": "Bearer " + WEB_KEY,
                 "Content-Type": "application/json"})
    assert code == 202, out
    return out["id"]


def commands(r):
    out = {}
    for line in r.cmd("INFO", "commandstats").splitlines():
        if line.startswith("cmdstat_"):
            name, rest = line[8:].split(":", 1)
            out[name] = int(rest.split(",")[0].split("=")[1])
    return out


def timed_gets(d, mid):
    out = []
    for _ in range(TRIALS):
        t = time.perf_counter()
        code, _ = sh.http_json(d.http_url + "/v1/messages/" + mid,
                               headers={"Authorization": "Bearer " +
                                        WEB_KEY})
        out.append((time.perf_counter() - t) * 1000)
        assert code == 200
    out.sort()
    return statistics.median(out), out[int(len(out) * 0.9)]


def main():
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench-fwd-"))
    lab = Lab(tmp)
    try:
        r = lab.redis()
        mock = lab.mock()
        provs = [sh.provider("m", mock.smtp_port, 1)]
        c = {"redis": "redis://" + r.addr}
        n1 = lab.node(provs, "n1", dict(c, node_number=1),
                      api_keys=api_keys())
        n2 = lab.node(provs, "n2", dict(c, node_number=2),
                      api_keys=api_keys())
        sh.wait_until(lambda: all(
            d.admin_json("/v1/fleet")[1]["nodes_alive"] == 2 and all(
                n["http"] for n in d.admin_json("/v1/fleet")[1]["nodes"])
            for d in (n1, n2)), 20, what="fleet")
        mid = submit(n1, "r@example.net")
        time.sleep(1)
        direct = timed_gets(n1, mid)
        before = commands(r)
        t0 = time.monotonic()
        fwd = timed_gets(n2, mid)
        secs = time.monotonic() - t0
        after = commands(r)
        extra = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        # SET, PUBLISH and LRANGE per node per heartbeat (200 ms here).
        beats = 2 * 3 * secs / 0.2
        print("get direct (node 1):   median %.2f ms, p90 %.2f ms"
              % direct)
        print("get forwarded (node 2): median %.2f ms, p90 %.2f ms"
              % fwd)
        print("redis commands during %d forwarded GETs (%.1f s): %s "
              "(heartbeats alone: about %.0f)"
              % (TRIALS, secs, {k: v for k, v in extra.items() if v},
                 beats))

        mock.set_mode("tempfail")
        for i in range(COUNT):
            submit(n1, "q%05d@example.net" % i)
        time.sleep(3)
        n1.kill9()
        n2.stop()
        f = str(tmp / "n1.export")
        t = time.perf_counter()
        out = subprocess.run([sh.bin_path("swervectl"), "--spool-dir",
                              n1.spool_dir, "spool", "export", f],
                             capture_output=True, text=True)
        te = time.perf_counter() - t
        assert out.returncode == 0, out.stdout + out.stderr
        t = time.perf_counter()
        out = subprocess.run([sh.bin_path("swervectl"), "--spool-dir",
                              n2.spool_dir, "spool", "import", f],
                             capture_output=True, text=True)
        ti = time.perf_counter() - t
        assert out.returncode == 0, out.stdout + out.stderr
        size = os.path.getsize(f)
        print("export of %d queued messages: %.2f s (%.0f msg/s), file "
              "%d bytes" % (COUNT, te, COUNT / te, size))
        print("import into a stopped node:   %.2f s (%.0f msg/s): %s"
              % (ti, COUNT / ti, out.stdout.strip().splitlines()[0]))
    finally:
        problems = lab.finish()
        if problems:
            print("not clean:", problems)


if __name__ == "__main__":
    main()
