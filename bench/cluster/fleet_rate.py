#!/usr/bin/env python3
"""bench/cluster/fleet_rate.py - issue 17's account-wide limits: how close
a fleet-wide max_rate holds, what it costs in Redis commands, and what
cluster mode costs one node with a provider limit in force.

  fleet     three nodes, one provider with max_rate R at a swerve-mock,
            PER messages queued on each node (the provider paused
            fleet-wide meanwhile, then resumed): the rate the mock sees
            (steady, and the most in any 1 s and 3 s window) against R;
            Redis commands per message: the lease scripts (INFO
            commandstats: evalsha + eval) and all commands
  split     Redis killed: one node alone, its rate against R/3
  ingest    SMTP ingestion + delivery of COUNT messages (Postfix's
            smtp-source, 8 sessions) through one node whose provider has
            max_rate 50000/s (never reached: the limit's bookkeeping is
            what is measured), standalone vs cluster mode, REPEAT rounds
            taking turns (every other round reversed), medians

    nice /usr/bin/python3 bench/cluster/fleet_rate.py [R] [PER] [COUNT] [REPEAT]

Release build (SWERVE_BIN, default build/release/bin); everything on
loopback of one shared 2-core machine. Every process stopped by PID.
"""

import os
import pathlib
import re
import statistics
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
os.environ.setdefault("SWERVE_BIN", str(REPO / "build" / "release" / "bin"))
sys.path.insert(0, str(REPO / "tests" / "lib"))
sys.path.insert(0, str(REPO / "tests" / "cluster"))
sys.path.insert(0, str(HERE))
import swerve_harness as sh  # noqa: E402
from cluster_lib import Lab, wait_fleet  # noqa: E402
from fleet import smtp_source  # noqa: E402
from test_fleet_rate import (most_in_window, queue_on_each,  # noqa: E402
                             steady_rate, submit_many, when)

R = float(sys.argv[1]) if len(sys.argv) > 1 else 200.0
PER = int(sys.argv[2]) if len(sys.argv) > 2 else 600
COUNT = int(sys.argv[3]) if len(sys.argv) > 3 else 3000
REPEAT = int(sys.argv[4]) if len(sys.argv) > 4 else 4


def redis_stat(r, name):
    """A counter of INFO: total_commands_processed, or calls of a command
    from commandstats (cmdstat_evalsha)."""
    if name.startswith("cmdstat_"):
        m = re.search(name + r":calls=(\d+)", r.cmd("INFO", "commandstats"))
        return int(m.group(1)) if m else 0
    return int(r.cmd("INFO", "stats").split(name + ":")[1].split()[0])


def lease_cmds(r):
    return redis_stat(r, "cmdstat_evalsha") + redis_stat(r, "cmdstat_eval")


def limits(d):
    return d.admin_json("/v1/fleet")[1]["limits"]


def bench_fleet(lab):
    mock = lab.mock("fleet")
    r = lab.redis("fleet-redis")
    provs = [sh.provider("m", mock.smtp_port, 1, max_rate="%g/s" % R,
                         max_connections=8)]
    over = {"limits": {"max_sessions": 500, "max_message_size": "1MB",
                       "max_recipients": 100}}
    nodes = [lab.node(provs, "n%d" % i, {"redis": "redis://" + r.addr},
                      **over) for i in (1, 2, 3)]
    wait_fleet(nodes, 3)
    total = 3 * PER
    l0, c0 = lease_cmds(r), redis_stat(r, "total_commands_processed")
    queue_on_each(nodes, PER)
    t0 = time.monotonic()
    sh.wait_until(lambda: len(mock.messages()) >= total, 600, 0.2,
                  what="delivered")
    secs = time.monotonic() - t0
    l1, c1 = lease_cmds(r), redis_stat(r, "total_commands_processed")
    times = [when(m) for m in mock.messages()]
    out = {"steady": steady_rate(times, int(R / 4)),
           "w1": most_in_window(times, 1.0),
           "w3": most_in_window(times, 3.0) / 3.0,
           "secs": secs, "lease_cmds": l1 - l0, "cmds": c1 - c0,
           "msgs": total,
           "asks": sum(limits(d)["lease_asks"] for d in nodes)}
    # Redis lost: one node alone.
    r.kill9()
    sh.wait_until(lambda: all(limits(d)["mode"] == "split" for d in nodes),
                  10, what="split")
    mock.clear()
    n1 = nodes[0]
    n1.admin_json("/v1/providers/m/pause", "POST", b"{}")
    submit_many(n1, "n1@example.com", int(R))
    n1.admin_json("/v1/providers/m/resume", "POST", b"{}")
    sh.wait_until(lambda: len(mock.messages()) >= int(R), 600, 0.2,
                  what="delivered alone")
    out["split"] = steady_rate([when(m) for m in mock.messages()],
                               int(R / 3) + 1)
    for d in nodes:
        d.stop()
    mock.stop()
    return out


def bench_ingest(lab, r, name, cluster):
    mock = lab.mock("sink-" + name)
    provs = [sh.provider("m", mock.smtp_port, 1, max_connections=8,
                         max_rate="50000/s")]
    over = {"limits": {"max_sessions": 500, "max_sessions_per_ip": 500,
                       "max_message_size": "1MB", "max_recipients": 100}}
    if cluster:
        d = lab.node(provs, name, {"redis": "redis://" + r.addr,
                                   "heartbeat": "1s", "node_timeout": "5s"},
                     **over)
        wait_fleet([d], 1)
    else:
        d = lab.daemon(provs, **over)
    l0 = lease_cmds(r)
    t0 = time.monotonic()
    smtp_source(d.smtp_port, COUNT)
    sh.wait_until(lambda: len(mock.messages()) >= COUNT, 600, 0.2,
                  what="delivered")
    total_s = time.monotonic() - t0
    leases = lease_cmds(r) - l0
    d.stop()
    mock.stop()
    return COUNT / total_s, leases


def main():
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench-fleetrate-"))
    lab = Lab(tmp)
    out = []
    try:
        f = bench_fleet(lab)
        out.append("fleet of 3, max_rate %g/s, %d queued on each: steady "
                   "%.1f msg/s (%.1f%% of R), most in any 1 s %d (%.0f%% "
                   "of R), in any 3 s %.1f/s (%.1f%% of R); %d messages in "
                   "%.1f s" % (R, PER, f["steady"], 100 * f["steady"] / R,
                               f["w1"], 100 * f["w1"] / R, f["w3"],
                               100 * f["w3"] / R, f["msgs"], f["secs"]))
        out.append("Redis commands per message: lease scripts %d / %d = "
                   "%.4f (nodes' own count of asks %d); all commands %d = "
                   "%.4f (heartbeats and other shared state included)"
                   % (f["lease_cmds"], f["msgs"], f["lease_cmds"] / f["msgs"],
                      f["asks"], f["cmds"], f["cmds"] / f["msgs"]))
        out.append("Redis lost, one node alone: %.2f msg/s (R/3 = %.2f: "
                   "%.0f%%)" % (f["split"], R / 3, 300 * f["split"] / R))
        r = lab.redis("ingest-redis")
        runs = [("standalone", False), ("cluster", True)]
        res = {name: [] for name, _ in runs}
        for rnd in range(REPEAT):
            for name, cl in (runs if rnd % 2 == 0 else runs[::-1]):
                res[name].append(bench_ingest(lab, r, "%s%d" % (name, rnd),
                                              cl))
        base = statistics.median(x[0] for x in res["standalone"])
        for name, cl in runs:
            med = statistics.median(x[0] for x in res[name])
            line = ("1 node, %-10s accepted+delivered %6.0f msg/s (%3.0f%% "
                    "of standalone; rounds %s)"
                    % (name, med, 100 * med / base,
                       ", ".join("%.0f" % x[0] for x in res[name])))
            if cl:
                leases = sum(x[1] for x in res[name])
                line += ("; lease scripts %d for %d messages = %.4f per "
                         "message" % (leases, COUNT * REPEAT,
                                      leases / (COUNT * REPEAT)))
            out.append(line)
    finally:
        problems = lab.finish()
    head = "bench/cluster/fleet_rate.py R=%g PER=%d COUNT=%d REPEAT=%d %s" % (
        R, PER, COUNT, REPEAT,
        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    print("\n  ".join([head] + out))
    if problems:
        sys.exit("problems:\n" + "\n".join(problems))


if __name__ == "__main__":
    main()
