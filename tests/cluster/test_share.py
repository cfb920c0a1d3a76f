"""State the fleet shares beyond circuits opening (issue 17: incidents,
notifications, circuit closes, probes), with Debian's redis-server on
loopback.

  - a provider goes dark under three nodes: exactly one incident (the
    same id on every node's /v1/incidents) and one notification at a
    webhook receiver, though every node's alert fires;
  - the provider heals: the circuit that closes on one node (its trials)
    closes on every node, and one resolve notification arrives;
  - Redis lost: each node notifies on its own (better two than none).
"""

import time

import swerve_harness as sh
from cluster_lib import provider_state

MSG = ("From: s@example.com\r\nTo: r@example.net\r\nSubject: share\r\n\r\n"
       "hi\r\n")


class Receiver(sh.PostRecorder):
    """The alerts' webhook receiver: the changes of one rule."""

    def changes(self, rule="circuit_open"):
        return [b["change"] for b in self.bodies()
                if b and b.get("alert", {}).get("rule") == rule]


def incidents(d):
    code, obj = d.admin_json("/v1/incidents")
    assert code == 200, obj
    return [i for i in obj["incidents"] if not i.get("drill")]


def dark_fleet(lab, redis_url, rcv, n=3):
    """Two mocks (primary, backup) and n nodes on redis_url whose
    circuit_open alerts notify rcv."""
    primary = lab.mock("primary")
    backup = lab.mock("backup")
    provs = [sh.provider("primary", primary.smtp_port, 1,
                         probe_interval="1s",
                         circuit={"failures": 1, "cooldown": "1s"}),
             sh.provider("backup", backup.smtp_port, 2)]
    alerts = {"interval": "200ms",
              "notify": [{"type": "webhook", "url": rcv.url("/hook")}],
              "rules": [{"name": "circuit_open", "for": "0s",
                         "clear_for": "1s", "severity": "critical"}]}
    nodes = [lab.node(provs, "n%d" % i, {"redis": redis_url}, alerts=alerts)
             for i in range(1, n + 1)]
    sh.wait_until(lambda: all(
        d.admin_json("/v1/fleet")[1]["nodes_alive"] == n for d in nodes),
        20, what="%d nodes in the fleet" % n)
    return primary, backup, nodes


def test_dark_provider_one_incident_one_notification_close_shared(lab):
    r = lab.redis()
    rcv = lab.add(Receiver())
    primary, backup, nodes = dark_fleet(lab, "redis://" + r.addr, rcv)
    n1 = nodes[0]
    primary.set_mode("refuse")
    sh.submit(n1, "s@example.com", ["a@example.net"], MSG)
    for d in nodes:
        sh.wait_until(lambda: provider_state(d, "primary")[0] in
                      ("open", "half-open"), 20, what="circuit open")
    # Every node's alert fires, and every node has its incident...
    for d in nodes:
        sh.wait_until(lambda: incidents(d), 20, what="an incident")
    ids = [[i["id"] for i in incidents(d)] for d in nodes]
    # ... one and the same.
    assert all(len(x) == 1 for x in ids), ids
    assert len({x[0] for x in ids}) == 1, ids
    opened_by = [incidents(d)[0].get("opened_by") for d in nodes]
    assert opened_by.count(None) == 1, opened_by
    sh.wait_until(lambda: "firing" in rcv.changes(), 10,
                  what="a firing notification")
    time.sleep(3)  # every node had its turn to notify
    assert rcv.changes().count("firing") == 1, rcv.changes()
    k = r.cmd("--scan", "--pattern", "swerve:note:*")
    assert k.startswith("swerve:note:circuit_open primary"), k

    # Healed: mail through n1 only closes n1's circuit by its trials
    # (a probe lets them go at once); the others close on its word.
    primary.set_mode("accept")
    deadline = time.monotonic() + 30
    i = 0
    while provider_state(n1, "primary")[0] != "closed":
        assert time.monotonic() < deadline, provider_state(n1, "primary")
        sh.submit(n1, "s@example.com", ["h%d@example.net" % i], MSG)
        i += 1
        time.sleep(0.5)
    for d in nodes[1:]:
        sh.wait_until(lambda: provider_state(d, "primary")[0] == "closed",
                      10, what="circuit closed on every node")
        assert provider_state(d, "primary")[1].startswith("fleet: n1: "), \
            provider_state(d, "primary")
    sh.wait_until(lambda: "resolved" in rcv.changes(), 20,
                  what="a resolve notification")
    time.sleep(3)
    assert rcv.changes().count("resolved") == 1, rcv.changes()
    assert rcv.changes().count("firing") == 1, rcv.changes()


def test_redis_lost_every_node_notifies_alone(lab):
    r = lab.redis()
    rcv = lab.add(Receiver())
    primary, backup, nodes = dark_fleet(lab, "redis://" + r.addr, rcv, 2)
    r.kill9()
    for d in nodes:
        sh.wait_until(lambda: d.admin_json("/v1/fleet")[1]["redis"] ==
                      "lost", 20, what="Redis lost")
    primary.set_mode("refuse")
    for d in nodes:
        sh.submit(d, "s@example.com", ["a@example.net"], MSG)
    # Each node opens its own incident and notifies on its own.
    sh.wait_until(lambda: rcv.changes().count("firing") >= 2, 30,
                  what="a firing notification from each node")
    ids = {incidents(d)[0]["id"] for d in nodes}
    assert len(ids) == 2, ids
