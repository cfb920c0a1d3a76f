"""Nodes sharing state through Redis (issue 17, parts 2 and 3), with
Debian's redis-server, redis-sentinel and haproxy on loopback.

  - membership: every node sees every other by its heartbeats
    (GET /v1/fleet, swervectl status --fleet);
  - Redis killed under load: every submission is still accepted and
    delivered (0 lost), the cluster_lost alert fires, and the nodes
    re-join by themselves when Redis returns;
  - a circuit that opens on one node opens on all (the primary goes
    dark; traffic reaches it through one node only);
  - an operator's pause on one node applies on all;
  - Sentinel promotes the replica when the master dies: the nodes follow.
"""

import threading
import time

import swerve_harness as sh
from cluster_lib import (CLIENT_A, WEB_KEY, api_keys, fleet, http_from,
                         provider_state, wait_fleet)

MSG = ("From: s@example.com\r\nTo: r@example.net\r\nSubject: fleet\r\n\r\n"
       "hi\r\n")


def alerts(d):
    code, obj = d.admin_json("/v1/alerts")
    assert code == 200, obj
    return {a["rule"]: a["state"] for a in obj["alerts"]}


def two_nodes(lab):
    """A mock, a Redis and two nodes on it, both in the fleet."""
    mock = lab.mock()
    r = lab.redis()
    provs = [sh.provider("m", mock.smtp_port, 1)]
    n1 = lab.node(provs, "n1", {"redis": "redis://" + r.addr},
                  api_keys=api_keys())
    n2 = lab.node(provs, "n2", {"redis": "redis://" + r.addr},
                  api_keys=api_keys())
    wait_fleet([n1, n2], 2)
    return mock, r, provs, n1, n2


def test_membership_and_swervectl_status_fleet(lab):
    mock, r, provs, n1, n2 = two_nodes(lab)
    out = sh.swervectl(["-c", n1.config_path, "status", "--fleet"])
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "Redis up at %s" % r.addr in lines[0], out.stdout
    rows = {l.split()[0]: l for l in lines[2:]}
    assert set(rows) == {"n1", "n2"}, out.stdout
    assert "alive (this node)" in rows["n1"] and "0.1.0" in rows["n2"]
    # A node that stops is gone from the others' view after node_timeout.
    n2.stop()
    sh.wait_until(lambda: fleet(n1)["nodes_alive"] == 1, 10,
                  what="n2 gone from n1's view")
    gone = [n for n in fleet(n1)["nodes"] if n["node"] == "n2"][0]
    assert gone["alive"] is False and gone["last_heartbeat_ms"] >= 2000
    # Without cluster: the route says so.
    solo = lab.daemon(provs)
    code, obj = solo.admin_json("/v1/fleet")
    assert code == 404 and obj["error"]["code"] == "not_clustered"


def test_redis_killed_under_load_loses_nothing_and_rejoins(lab):
    mock, r, provs, n1, n2 = two_nodes(lab)
    accepted, errors = [], []
    stop = threading.Event()

    def load():
        i = 0
        while not stop.is_set() and i < 400:
            d = (n1, n2)[i % 2]
            try:
                accepted.append(sh.submit(d, "s@example.com",
                                          ["r%d@example.net" % i], MSG))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))
            i += 1
            time.sleep(0.01)

    t = threading.Thread(target=load)
    t.start()
    try:
        sh.wait_until(lambda: len(accepted) >= 20, 30, what="load")
        r.kill9()
        sh.wait_until(lambda: fleet(n1)["redis"] == "lost" and
                      fleet(n2)["redis"] == "lost", 10, what="Redis lost")
        sh.wait_until(lambda: alerts(n1).get("cluster_lost") == "firing",
                      10, what="cluster_lost alert")
        before = len(accepted)
        sh.wait_until(lambda: len(accepted) >= before + 20, 30,
                      what="accepting alone")
        # Redis returns on its address: both re-join without a restart.
        lab.redis("redis-again", port=r.port)
        wait_fleet([n1, n2], 2)
        assert n1.wait_log(r"re-joined the fleet", 5)
        assert n2.wait_log(r"re-joined the fleet", 5)
        before = len(accepted)
        sh.wait_until(lambda: len(accepted) >= before + 10, 30,
                      what="accepting after re-join")
    finally:
        stop.set()
        t.join(60)
    assert errors == []
    # Every accepted message was delivered: nothing lost.
    sh.wait_until(lambda: len(mock.messages()) >= len(accepted), 60,
                  what="every accepted message delivered")
    assert len(mock.messages()) == len(accepted)


def three_nodes(lab, redis_url):
    primary = lab.mock("primary")
    backup = lab.mock("backup")
    provs = [sh.provider("primary", primary.smtp_port, 1),
             sh.provider("backup", backup.smtp_port, 2)]
    nodes = [lab.node(provs, "n%d" % i, {"redis": redis_url})
             for i in (1, 2, 3)]
    wait_fleet(nodes, 3)
    return primary, backup, nodes


def test_primary_dark_all_nodes_stop_using_it(lab):
    r = lab.redis()
    primary, backup, nodes = three_nodes(lab, "redis://" + r.addr)
    n1, n2, n3 = nodes
    lb = lab.haproxy(nodes)
    primary.set_mode("refuse")
    # Mail reaches the primary through node 1 only: its circuit opens.
    for i in range(6):
        sh.submit(n1, "s@example.com", ["a%d@example.net" % i], MSG)
    sh.wait_until(lambda: provider_state(n1, "primary")[0] == "open", 30,
                  what="n1's circuit open")
    # The two others open theirs from n1's word, with its reason.
    for d in (n2, n3):
        sh.wait_until(lambda: provider_state(d, "primary")[0] == "open", 10,
                      what="fleet-wide open")
        assert provider_state(d, "primary")[1].startswith("fleet: n1: ")
    # New mail through the load balancer goes to the backup on every
    # node, and n2 and n3 never tried the primary.
    for i in range(6):
        c = sh.SMTPConn(lb.smtp_port, timeout=20)
        assert c.ehlo().code == 250
        assert c.mail("s@example.com", ["b%d@example.net" % i],
                      MSG)[-1].code == 250
        c.cmd("QUIT")
    sh.wait_until(lambda: len(backup.messages()) >= 12, 30,
                  what="all mail delivered by the backup")
    for d in (n2, n3):
        code, obj = d.admin_json("/v1/providers")
        p = [x for x in obj["providers"] if x["name"] == "primary"][0]
        assert p["sent"] == 0 and p["failed"] == 0, p


def test_operator_pause_applies_fleet_wide(lab):
    r = lab.redis()
    primary, backup, nodes = three_nodes(lab, "redis://" + r.addr)
    n1, n2, n3 = nodes
    code, obj = n2.admin_json("/v1/providers/primary/pause", "POST", b"{}")
    assert code == 200, obj
    for d in (n1, n3):
        sh.wait_until(lambda: provider_state(d, "primary")[0] == "paused",
                      5, what="pause applied fleet-wide")
    code, obj = n3.admin_json("/v1/providers/primary/resume", "POST", b"{}")
    assert code == 200, obj
    for d in (n1, n2):
        sh.wait_until(lambda: provider_state(d, "primary")[0] == "closed",
                      5, what="resume applied fleet-wide")


def test_sentinel_promotes_the_replica_and_nodes_follow(lab):
    master = lab.redis("master")
    replica = lab.redis("replica",
                        extra=["replicaof %s %d" % (sh.HOST, master.port)])
    sh.wait_until(lambda: "master_link_status:up" in
                  replica.cmd("INFO", "replication"), 15,
                  what="replica in sync")
    sentinel = lab.redis(
        "sentinel", sentinel=True,
        extra=["sentinel monitor swerve %s %d 1" % (sh.HOST, master.port),
               "sentinel down-after-milliseconds swerve 1000",
               "sentinel failover-timeout swerve 5000",
               "sentinel parallel-syncs swerve 1"])
    mock = lab.mock()
    provs = [sh.provider("m", mock.smtp_port, 1)]
    cl = {"sentinel": {"master": "swerve", "addresses": [sentinel.addr]}}
    n1 = lab.node(provs, "n1", cl)
    n2 = lab.node(provs, "n2", cl)
    wait_fleet([n1, n2], 2)
    assert fleet(n1)["master"] == master.addr
    # Sentinel has seen the replica before the master dies.
    sh.wait_until(lambda: str(replica.port) in sentinel.cmd(
        "SENTINEL", "replicas", "swerve"), 15, what="sentinel knows replica")
    master.kill9()
    sh.wait_until(lambda: fleet(n1)["master"] == replica.addr and
                  fleet(n2)["master"] == replica.addr, 30,
                  what="nodes on the promoted replica")
    wait_fleet([n1, n2], 2)
    # Mail flowed all along on local state.
    sh.submit(n1, "s@example.com", ["r@example.net"], MSG)
    sh.wait_until(lambda: len(mock.messages()) == 1, 20, what="delivered")


def test_suppression_via_node1_refuses_on_node3(lab):
    r = lab.redis()
    primary, backup, nodes = three_nodes(lab, "redis://" + r.addr)
    n1, n2, n3 = nodes
    # Added through node 1's API (the admin's list "", which trusted SMTP
    # clients use) ...
    code, obj = n1.admin_json("/v1/suppressions?tenant=", "POST",
                              b'{"address": "gone@example.net", '
                              b'"reason": "complaint"}')
    assert code == 200, obj
    t0 = time.monotonic()

    def refused_on(d):
        c = sh.SMTPConn(d.smtp_port, timeout=10)
        try:
            assert c.ehlo().code == 250
            assert c.cmd("MAIL FROM:<s@example.com>").code == 250
            return c.cmd("RCPT TO:<Gone@Example.net>").code == 550
        finally:
            c.close()
    # ... refuses on node 3 within a second (generous bound: 5 s).
    sh.wait_until(lambda: refused_on(n3), 5, 0.02, what="refused on n3")
    assert time.monotonic() - t0 < 5
    # n2 applies the same message on its own time (a few ms apart).
    sh.wait_until(lambda: refused_on(n2), 5, 0.02, what="refused on n2")
    # Durable on node 3 itself: its own list has the entry.
    code, obj = n3.admin_json("/v1/suppressions?tenant=")
    assert [e["address"] for e in obj["suppressions"]] == ["gone@example.net"]
    # A remove on node 2 reaches the others too.
    code, _ = n2.admin_json("/v1/suppressions/gone%40example.net?tenant=",
                            "DELETE")
    assert code == 200
    sh.wait_until(lambda: not refused_on(n1), 5, 0.05, what="removed on n1")
    # A node that was away gets what was added meanwhile when it re-joins.
    n3.stop()
    code, _ = n1.admin_json("/v1/suppressions?tenant=", "POST",
                            b'{"address": "later@example.net"}')
    assert code == 200
    n3.start()
    wait_fleet(nodes, 3)
    sh.wait_until(lambda: n3.admin_json("/v1/suppressions?tenant=")[1]
                  ["suppressions"] != [], 10, what="re-synced")
    code, obj = n3.admin_json("/v1/suppressions?tenant=")
    assert [e["address"] for e in obj["suppressions"]] == ["later@example.net"]


def test_same_idempotency_key_on_two_nodes_stores_one_message(lab):
    mock, r, provs, n1, n2 = two_nodes(lab)
    body = {"from": "s@example.com", "to": "r@example.net",
            "subject": "once", "text": "hi\n"}
    hdr = {"Authorization": "Bearer " + WEB_KEY,
           "Idempotency-Key": "order-4711"}
    code, first = http_from(n1.http_port, CLIENT_A, "POST", "/v1/messages",
                            body, hdr)
    assert code == 202, (code, first)
    code, again = http_from(n2.http_port, CLIENT_A, "POST", "/v1/messages",
                            body, hdr)
    assert code == 200, (code, again)
    assert again["id"] == first["id"]
    # The other payload under that key: refused on the other node too.
    code, other = http_from(n2.http_port, CLIENT_A, "POST", "/v1/messages",
                            dict(body, subject="twice"), hdr)
    assert code == 409, (code, other)
    assert n1.spool.count() + n2.spool.count() == 1
    sh.wait_until(lambda: len(mock.messages()) == 1, 20, what="delivered")
    # Redis lost: each node still de-duplicates on its own.
    r.kill9()
    sh.wait_until(lambda: fleet(n2)["redis"] == "lost", 10, what="lost")
    hdr["Idempotency-Key"] = "order-4712"
    for _ in range(2):
        code, _ = http_from(n2.http_port, CLIENT_A, "POST", "/v1/messages",
                            body, hdr)
        assert code in (200, 202)
    assert n1.spool.count() == 1 and n2.spool.count() == 1
