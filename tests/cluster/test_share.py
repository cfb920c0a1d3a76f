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


def page(d):
    """What a reader of d's public status page sees: the incidents (id,
    name, status, impact, times, updates) and the components' states.
    (Each node's own record of an incident has its own times.)"""
    import json
    out = []
    for f in ("incidents", "components"):
        code, body, _ = sh.http_request(
            d.http_url + "/status/api/v2/%s.json" % f)
        assert code == 200, (f, code, body[:200])
        obj = json.loads(body)
        if f == "incidents":
            out.append([(i["id"], i["name"], i["status"], i["impact"],
                         i["created_at"],
                         [(u["status"], u["body"], u["created_at"])
                          for u in i["incident_updates"]])
                        for i in obj["incidents"]])
        else:
            out.append(sorted((c["name"], c["status"])
                              for c in obj["components"]))
    return out


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
    nodes = [lab.node(provs, "n%d" % i, {"redis": redis_url}, alerts=alerts,
                      public_status={"title": "Example Mail",
                                     "on_http": True})
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
    # Every node serves the same status page: the incident as the node
    # that opened it tells it, the components from the shared circuits.
    sh.wait_until(lambda: page(nodes[0]) == page(nodes[1]) == page(nodes[2])
                  and page(nodes[0])[0], 10, what="the same status page")
    assert r.cmd("EXISTS", "swerve:incident:" + ids[0][0]) == "1"

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


def supp_list(d):
    code, obj = d.admin_json("/v1/suppressions?tenant=")
    assert code == 200, obj
    return sorted(e["address"] for e in obj["suppressions"])


def test_removal_while_cut_off_reaches_the_node_when_it_rejoins(lab):
    r = lab.redis()
    mock = lab.mock()
    provs = [sh.provider("m", mock.smtp_port, 1)]
    n1, n2 = [lab.node(provs, "n%d" % i, {"redis": "redis://" + r.addr})
              for i in (1, 2)]
    sh.wait_until(lambda: all(d.admin_json("/v1/fleet")[1]["nodes_alive"]
                              == 2 for d in (n1, n2)), 20, what="fleet")
    # Health samples ride the heartbeats: the fleet's view of provider m.
    sh.wait_until(lambda: [p for p in n1.admin_json("/v1/fleet")[1]
                           ["providers"] if p["provider"] == "m" and
                           p["nodes"] == 2 and p["success_ratio"] == 1.0],
                  10, what="the fleet's health of m from both nodes")
    for a in ("gone@example.net", "stays@example.net"):
        code, obj = n1.admin_json("/v1/suppressions?tenant=", "POST",
                                  ('{"address": "%s"}' % a).encode())
        assert code == 200, obj
    sh.wait_until(lambda: len(supp_list(n2)) == 2, 5, what="on n2")
    n2.stop()
    code, _ = n1.admin_json("/v1/suppressions/gone%40example.net?tenant=",
                            "DELETE")
    assert code == 200
    # The remove is kept in the fleet's hash as a tombstone.
    assert '"remove"' in r.cmd("HGET", "swerve:supp",
                               "\ngone@example.net")
    n2.start()
    sh.wait_until(lambda: n2.admin_json("/v1/fleet")[1]["redis"] == "up",
                  20, what="n2 re-joined")
    sh.wait_until(lambda: supp_list(n2) == ["stays@example.net"], 10,
                  what="the remove reached n2")
    # Added again: the add replaces the tombstone, everywhere.
    code, _ = n1.admin_json("/v1/suppressions?tenant=", "POST",
                            b'{"address": "gone@example.net"}')
    assert code == 200
    sh.wait_until(lambda: len(supp_list(n2)) == 2, 5, what="re-added")
    assert '"add"' in r.cmd("HGET", "swerve:supp", "\ngone@example.net")


MG_KEY = "mg-signing-key-fleetshare-0123456789"


def mailgun_event(token):
    """A Mailgun event request signed as Mailgun signs (HMAC-SHA256 of
    timestamp + token with the webhook signing key)."""
    import hashlib
    import hmac
    import json
    ts = str(int(time.time()))
    sig = hmac.new(MG_KEY.encode(), (ts + token).encode(),
                   hashlib.sha256).hexdigest()
    return json.dumps({
        "signature": {"timestamp": ts, "token": token, "signature": sig},
        "event-data": {
            "id": "mgev-" + token, "event": "failed",
            "severity": "permanent", "reason": "bounce",
            "timestamp": time.time(), "recipient": "bob@example.net",
            "delivery-status": {"code": 550, "message": "no such user"},
            "message": {"headers": {"message-id": "x@mg.test"}}}})


def sendgrid_event(key_pem, tmp):
    """A SendGrid batch signed as SendGrid signs (ECDSA P-256 over
    timestamp + body, base64 DER), with openssl."""
    import base64
    import json
    import os
    import subprocess
    ts = str(int(time.time()))
    body = json.dumps([{"email": "bob@example.net", "timestamp": int(ts),
                        "event": "delivered", "sg_event_id": "sgev-fleet",
                        "sg_message_id": "abc.filter01"}])
    data = os.path.join(str(tmp), "sg-payload")
    with open(data, "wb") as f:
        f.write((ts + body).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_pem,
                          data], check=True, capture_output=True).stdout
    return body, {"X-Twilio-Email-Event-Webhook-Signature":
                  base64.b64encode(sig).decode(),
                  "X-Twilio-Email-Event-Webhook-Timestamp": ts}


def post(d, path, body, headers=None):
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    code, data, _ = sh.http_request(d.http_url + path, "POST",
                                    body.encode(), h)
    return code, data


def test_webhook_replayed_to_another_node_is_refused(lab):
    import os
    r = lab.redis()
    m = lab.mock("up")
    mg_file = os.path.join(str(lab.tmp), "mg.key")
    with open(mg_file, "w") as f:
        f.write(MG_KEY + "\n")
    sg_priv, sg_pub = sh.sendgrid_keypair(lab.tmp)
    common = {"endpoint": m.url, "priority": 1, "connect_timeout": "2s",
              "request_timeout": "3s", "max_connections": 2}
    provs = [dict(common, name="mg", type="mailgun", api_key="key-mock",
                  domain="mg.test",
                  events={"signing_key_file": mg_file}),
             dict(common, name="sg", type="sendgrid", api_key="SG.mock",
                  priority=2, events={"public_key": sg_pub})]
    n1, n2 = [lab.node(provs, "n%d" % i, {"redis": "redis://" + r.addr})
              for i in (1, 2)]
    sh.wait_until(lambda: all(d.admin_json("/v1/fleet")[1]["nodes_alive"]
                              == 2 for d in (n1, n2)), 20, what="fleet")
    # Mailgun: the token is taken on n1; the same request at n2 is a
    # replay (403), though n2's own cache never saw it.
    body = mailgun_event("tok" + "a" * 47)
    code, ans = post(n1, "/feedback/mg", body)
    assert code == 200, ans
    code, ans = post(n2, "/feedback/mg", body)
    assert code == 403 and b"replay" in ans and b"n1" in ans, (code, ans)
    # A fresh token is taken by n2 (the check is per request).
    code, ans = post(n2, "/feedback/mg", mailgun_event("tok" + "b" * 47))
    assert code == 200, ans
    # SendGrid: the same signed batch at n2 after n1 stored it: refused.
    body, hdr = sendgrid_event(sg_priv, lab.tmp)
    code, ans = post(n1, "/feedback/sg", body, hdr)
    assert code == 200, ans
    code, ans = post(n2, "/feedback/sg", body, hdr)
    assert code == 403 and b"replay" in ans, (code, ans)
    # Refused requests leave no claim behind: a forged one at n1 is 401,
    # and n2 then takes the genuine request with that token.
    good = mailgun_event("tok" + "c" * 47)
    forged = good.replace('"bounce"', '"bounced"')
    code, _ = post(n1, "/feedback/mg", forged.replace(
        '"signature": "', '"signature": "0'))
    assert code in (400, 401), code
    code, ans = post(n2, "/feedback/mg", good)
    assert code == 200, ans


def tmpl_req(d, method, path, body=None):
    """(status, JSON) of a template API request with the web key."""
    import json
    from cluster_lib import WEB_KEY
    return sh.http_json(d.http_url + path, method,
                        None if body is None else json.dumps(body).encode(),
                        headers={"Authorization": "Bearer " + WEB_KEY,
                                 "Content-Type": "application/json"})


def test_template_put_on_node1_renders_on_node3(lab):
    from cluster_lib import api_keys
    r = lab.redis()
    mock = lab.mock()
    provs = [sh.provider("m", mock.smtp_port, 1)]
    nodes = [lab.node(provs, "n%d" % i, {"redis": "redis://" + r.addr},
                      api_keys=api_keys()) for i in (1, 2, 3)]
    n1, n2, n3 = nodes
    sh.wait_until(lambda: all(d.admin_json("/v1/fleet")[1]["nodes_alive"]
                              == 3 for d in nodes), 20, what="fleet")
    render = {"data": {"name": "Ann"}}
    assert tmpl_req(n3, "POST", "/v1/templates/welcome/render",
                    render)[0] == 404
    code, out = tmpl_req(n1, "POST", "/v1/templates/welcome",
                         {"subject": "Hi {{name}}", "text": "v1 {{name}}",
                          "dialect": "mustache"})
    assert code == 201, out
    t0 = time.monotonic()
    out = sh.wait_until(
        lambda: (lambda c, o: o if c == 200 else None)(
            *tmpl_req(n3, "POST", "/v1/templates/welcome/render", render)),
        5, 0.02, what="rendered on n3")
    took = time.monotonic() - t0
    assert out["subject"] == "Hi Ann" and out["text"] == "v1 Ann", out
    assert took < 1.0, took  # the target (loopback): within 1 s
    # A new active version, from node 2 this time, replaces it on all.
    code, out = tmpl_req(n2, "POST", "/v1/templates/welcome",
                         {"subject": "Hello {{name}}", "text": "v2",
                          "dialect": "mustache", "activate": True})
    assert code == 201, out
    for d in (n1, n3):
        sh.wait_until(lambda: tmpl_req(d, "POST",
                                       "/v1/templates/welcome/render",
                                       render)[1].get("subject") ==
                      "Hello Ann", 5, 0.02, what="v2 everywhere")
    # Cut off from Redis, node 3 still renders its own copy.
    r.kill9()
    sh.wait_until(lambda: n3.admin_json("/v1/fleet")[1]["redis"] == "lost",
                  20, what="Redis lost")
    code, out = tmpl_req(n3, "POST", "/v1/templates/welcome/render", render)
    assert code == 200 and out["subject"] == "Hello Ann", (code, out)
    # Back: a delete on node 1 reaches node 3.
    r.start()
    for d in nodes:
        sh.wait_until(lambda: d.admin_json("/v1/fleet")[1]["redis"] == "up",
                      20, what="re-joined")
    assert tmpl_req(n1, "DELETE", "/v1/templates/welcome")[0] == 200
    sh.wait_until(lambda: tmpl_req(n3, "POST", "/v1/templates/welcome/render",
                                   render)[0] == 404, 5, 0.02,
                  what="deleted on n3")
