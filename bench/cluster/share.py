#!/usr/bin/env python3
"""bench/cluster/share.py - figures of the fleet's shared state (issue 17,
incidents, notifications, templates, replays), on loopback with Debian's
redis-server.

  template  a template put on node 1 until it renders on node 3
            (TRIALS puts, each a new active version; target 1 s)
  outage    a provider goes dark under three nodes: the time until every
            node lists the same incident, the notifications that reach a
            webhook receiver (target: exactly one), and the Redis commands
            the outage's claims cost (INFO commandstats: SET, EVAL, GET
            beyond the heartbeats)

    nice /usr/bin/python3 bench/cluster/share.py [TRIALS]

Release build (SWERVE_BIN, default build/release/bin). Every process is
stopped by PID at the end.
"""

import json
import os
import pathlib
import statistics
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

TRIALS = int(sys.argv[1]) if len(sys.argv) > 1 else 20


def api(d, method, path, body=None):
    return sh.http_json(d.http_url + path, method,
                        None if body is None else json.dumps(body).encode(),
                        headers={"Authorization": "Bearer " + WEB_KEY,
                                 "Content-Type": "application/json"})


def fleet(nodes, n):
    sh.wait_until(lambda: all(d.admin_json("/v1/fleet")[1]["nodes_alive"]
                              == n for d in nodes), 20, what="fleet")


def commands(r):
    """{command: calls} from redis INFO commandstats."""
    out = {}
    for line in r.cmd("INFO", "commandstats").splitlines():
        if line.startswith("cmdstat_"):
            name, rest = line[8:].split(":", 1)
            out[name] = int(rest.split(",")[0].split("=")[1])
    return out


def bench_template(lab, r):
    mock = lab.mock()
    provs = [sh.provider("m", mock.smtp_port, 1)]
    nodes = [lab.node(provs, "n%d" % i, {"redis": "redis://" + r.addr,
                                         "heartbeat": "1s",
                                         "node_timeout": "5s"},
                      api_keys=api_keys()) for i in (1, 2, 3)]
    fleet(nodes, 3)
    lags = []
    for t in range(TRIALS):
        word = "v%d" % t
        code, out = api(nodes[0], "POST", "/v1/templates/bench",
                        {"subject": word + " {{n}}", "text": "x",
                         "dialect": "mustache", "activate": True})
        assert code == 201, out
        t0 = time.monotonic()
        while True:
            code, out = api(nodes[2], "POST", "/v1/templates/bench/render",
                            {"data": {"n": 1}})
            if code == 200 and out["subject"] == word + " 1":
                break
            assert time.monotonic() - t0 < 10, out
            time.sleep(0.002)
        lags.append((time.monotonic() - t0) * 1000)
    for d in nodes:
        d.stop()
    return lags


def bench_outage(lab, r):
    rcv = lab.add(sh.PostRecorder())
    primary = lab.mock("primary")
    backup = lab.mock("backup")
    provs = [sh.provider("primary", primary.smtp_port, 1,
                         circuit={"failures": 1, "cooldown": "30s"}),
             sh.provider("backup", backup.smtp_port, 2)]
    alerts = {"interval": "200ms",
              "notify": [{"type": "webhook", "url": rcv.url("/hook")}],
              "rules": [{"name": "circuit_open", "for": "0s",
                         "severity": "critical"}]}
    nodes = [lab.node(provs, "o%d" % i, {"redis": "redis://" + r.addr,
                                         "heartbeat": "1s",
                                         "node_timeout": "5s"},
                      alerts=alerts) for i in (1, 2, 3)]
    fleet(nodes, 3)
    before = commands(r)
    t0 = time.monotonic()
    primary.set_mode("refuse")
    sh.submit(nodes[0], "s@example.com", ["a@example.net"],
              "Subject: x\r\n\r\nx\r\n")

    def same():
        ids = []
        for d in nodes:
            incs = d.admin_json("/v1/incidents")[1]["incidents"]
            if not incs:
                return None
            ids.append(incs[0]["id"])
        return len(set(ids)) == 1 and ids
    sh.wait_until(same, 30, 0.005, what="one incident everywhere")
    took = (time.monotonic() - t0) * 1000
    time.sleep(3)
    after = commands(r)
    firing = [b for b in rcv.bodies("/hook")
              if b and b.get("change") == "firing"
              and b["alert"]["rule"] == "circuit_open"]
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    return took, len(firing), delta


def main():
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench-share-"))
    lab = Lab(tmp)
    out = []
    try:
        r = lab.redis()
        lags = bench_template(lab, r)
        out.append("template put on node 1 -> renders on node 3 (%d "
                   "trials): median %.1f ms, max %.1f ms (target 1 s)"
                   % (len(lags), statistics.median(lags), max(lags)))
        took, n_firing, delta = bench_outage(lab, r)
        out.append("outage under 3 nodes: same incident id on all nodes "
                   "%.0f ms after the first failed submission; firing "
                   "notifications at the receiver: %d (target 1)"
                   % (took, n_firing))
        out.append("redis commands over the outage (3 s after): %s" %
                   ", ".join("%s %d" % kv for kv in sorted(delta.items())
                             if kv[1]))
    finally:
        problems = lab.finish()
    print("\n".join(out))
    if problems:
        print("problems: %s" % problems)


if __name__ == "__main__":
    main()
