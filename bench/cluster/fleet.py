#!/usr/bin/env python3
"""bench/cluster/fleet.py - issue 17's figures: nodes sharing state
through Redis, on loopback, with Debian's redis-server and haproxy.

  circuit   time for a circuit opened on node 1 to be open on nodes 2
            and 3 (from node 1's log line to theirs; TRIALS trials)
  ingest    SMTP ingestion + delivery of COUNT messages (Postfix's
            smtp-source, 8 sessions) to a swerve-mock relay:
              one node standalone, one node in cluster mode (Redis up),
              one node behind HAProxy, three nodes behind HAProxy
  redis     Redis commands per message (redis INFO total_commands_
            processed over the cluster-mode run, and what the heartbeats
            alone account for)

    /usr/bin/python3 bench/cluster/fleet.py [COUNT] [TRIALS] [REPEAT]

Release build (SWERVE_BIN, default build/release/bin). The machine is
shared (2 cores for everything: clients, HAProxy, Redis, the nodes, the
mock): ingest figures are what it allows. Every process is stopped by
PID at the end.
"""

import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
os.environ.setdefault("SWERVE_BIN", str(REPO / "build" / "release" / "bin"))
sys.path.insert(0, str(REPO / "tests" / "lib"))
sys.path.insert(0, str(REPO / "tests" / "cluster"))
import swerve_harness as sh  # noqa: E402
from cluster_lib import LB_SOURCE, Lab  # noqa: E402

COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
TRIALS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
REPEAT = int(sys.argv[3]) if len(sys.argv) > 3 else 3
TS = re.compile(r"^(\S+Z) warn deliver: provider primary circuit opened")


def opened_at(d, after):
    """Wall time (s) of d's first 'circuit opened' line after `after`."""
    for line in d.log_text().splitlines():
        m = TS.match(line)
        if m:
            t = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ")
            t = (t - datetime(1970, 1, 1)).total_seconds()
            if t > after:
                return t
    return None


def bench_circuit(lab, r):
    primary = lab.mock("primary")
    backup = lab.mock("backup")
    provs = [sh.provider("primary", primary.smtp_port, 1,
                         circuit={"cooldown": "30s"}),
             sh.provider("backup", backup.smtp_port, 2)]
    nodes = [lab.node(provs, "n%d" % i, {"redis": "redis://" + r.addr,
                                         "heartbeat": "1s",
                                         "node_timeout": "5s"})
             for i in (1, 2, 3)]
    sh.wait_until(lambda: all(lab_fleet(d) == 3 for d in nodes), 20,
                  what="fleet")
    lags = []
    for t in range(TRIALS):
        for d in nodes:
            d.admin_json("/v1/providers/primary/resume", "POST", b"{}")
        time.sleep(1.5)
        start = time.time()
        primary.set_mode("refuse")
        for i in range(4):
            sh.submit(nodes[0], "s@example.com", ["t%d-%d@example.net"
                                                  % (t, i)], "Subject: x\r\n\r\nx\r\n")
        sh.wait_until(lambda: all(opened_at(d, start) for d in nodes), 30,
                      what="open everywhere")
        t1 = opened_at(nodes[0], start)
        lags += [opened_at(d, start) - t1 for d in nodes[1:]]
        primary.set_mode("accept")
    for d in nodes:
        d.stop()
    return lags


def lab_fleet(d):
    code, obj = d.admin_json("/v1/fleet")
    return obj.get("nodes_alive") if code == 200 else 0


def smtp_source(port, count):
    t0 = time.monotonic()
    r = subprocess.run(["smtp-source", "-s", "8", "-m", str(count), "-l",
                        "1000", "-f", "s@example.com", "-t",
                        "r@example.net", "127.0.0.1:%d" % port],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError("smtp-source: %s" % (r.stderr or r.stdout)[-500:])
    return time.monotonic() - t0


def bench_ingest(lab, name, n_nodes, cluster, via_lb, redis=None):
    mock = lab.mock("sink-" + name)
    provs = [sh.provider("m", mock.smtp_port, 1, max_connections=8)]
    nodes = []
    for i in range(n_nodes):
        over = {"limits": {"max_sessions": 500, "max_sessions_per_ip": 500,
                           "max_message_size": "1MB",
                           "max_recipients": 100}}
        if cluster:
            nodes.append(lab.node(provs, "%s%d" % (name, i),
                                  {"redis": "redis://" + redis.addr,
                                   "heartbeat": "1s", "node_timeout": "5s"},
                                  **over))
        else:
            over["listen"] = dict(sh.listen_config(),
                                  load_balancers=[LB_SOURCE + "/32"])
            nodes.append(lab.daemon(provs, **over))
    port = lab.haproxy(nodes).smtp_port if via_lb else nodes[0].smtp_port
    before = int(redis.cmd("INFO", "stats").split(
        "total_commands_processed:")[1].split()[0]) if redis else 0
    t0 = time.monotonic()
    accept_s = smtp_source(port, COUNT)
    sh.wait_until(lambda: len(mock.messages()) >= COUNT, 600, 0.2,
                  what="delivered")
    total_s = time.monotonic() - t0
    after = int(redis.cmd("INFO", "stats").split(
        "total_commands_processed:")[1].split()[0]) if redis else 0
    for d in nodes:
        d.stop()
    mock.stop()
    return COUNT / accept_s, COUNT / total_s, after - before, total_s


def main():
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    lab = Lab(tmp)
    out = []
    try:
        r = lab.redis()
        lags = bench_circuit(lab, r)
        out.append("circuit open fleet-wide after node 1 (ms, %d samples): "
                   "median %.0f, max %.0f (target 1000)"
                   % (len(lags), statistics.median(lags) * 1000,
                      max(lags) * 1000))
        runs = [("standalone, 1 node", 1, False, False),
                ("cluster, 1 node", 1, True, False),
                ("standalone, 1 node via HAProxy", 1, False, True),
                ("cluster, 3 nodes via HAProxy", 3, True, True)]
        # The machine is shared: the configurations take turns, REPEAT
        # rounds, and each figure is the median of its rounds.
        res = {name: [] for name, _, _, _ in runs}
        for rnd in range(REPEAT):
            # Every other round in reverse order: no configuration always
            # runs first (or last) on a machine whose load drifts.
            for name, n, cl, lb in (runs if rnd % 2 == 0 else runs[::-1]):
                try:
                    res[name].append(bench_ingest(
                        lab, "%s%d" % (re.sub(r"\W", "", name)[:10], rnd),
                        n, cl, lb, r if cl else None))
                except RuntimeError as e:
                    out.append("%s round %d failed: %s (%s)"
                               % (name, rnd, e, tmp))
        base = statistics.median(x[1] for x in res[runs[0][0]])
        for name, n, cl, lb in runs:
            if not res[name]:
                continue
            acc = statistics.median(x[0] for x in res[name])
            tot = statistics.median(x[1] for x in res[name])
            line = ("%-32s accepted %6.0f msg/s, accepted+delivered %6.0f "
                    "msg/s (%3.0f%% of standalone; rounds %s)"
                    % (name, acc, tot, 100 * tot / base,
                       ", ".join("%.0f" % x[1] for x in res[name])))
            if cl:
                cmds = sum(x[2] for x in res[name])
                secs = sum(x[3] for x in res[name])
                line += ("; Redis commands %d for %d messages = %.4f per "
                         "message, heartbeats about %.0f of them"
                         % (cmds, COUNT * REPEAT, cmds / (COUNT * REPEAT),
                            2 * n * secs))
            out.append(line)
    finally:
        problems = lab.finish()
        for o in lab.others:
            if hasattr(o, "log_text") and "SC" in o.log_text():
                out.append("haproxy log tail (%s):\n%s" % (
                    o.log_path, o.log_text()[-1500:]))
    print("bench/cluster/fleet.py COUNT=%d TRIALS=%d REPEAT=%d %s" % (
        COUNT, TRIALS, REPEAT, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
    for line in out:
        print("  " + line)
    if problems:
        print("problems:", *problems, sep="\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
