"""Messages that live on another node (issue 17, part 6): requests and
provider events for a message reach the node named in its id.

  - GET /v1/messages/ID and `swervectl show ID` on node 2 for a message
    of node 1 answer as node 1 does; release and an unknown id too;
  - a tenant cannot read another tenant's message through forwarding;
  - a request carrying X-Swerve-Forwarded is never forwarded again;
  - node 1 down: 503 owner_unavailable naming it;
  - a provider event (a DSN swerve-mock mails back) that reaches node 2
    lands on node 1's message; with node 1 down it waits in Redis and is
    applied when node 1 returns.
"""

import hashlib
import json
import os
import shutil

import swerve_harness as sh
from cluster_lib import LB_SOURCE, WEB_KEY, api_keys, fleet

OTHER_KEY = "cluster-other-key-0123456789abcdef"


def keys():
    return api_keys() + [
        {"name": "other",
         "key_sha256": hashlib.sha256(OTHER_KEY.encode()).hexdigest(),
         "tenant": "othert", "from_domains": ["example.org"]}]


def req(d, method, path, key=None, admin=False, body=None, headers=None):
    """(status, JSON or bytes, headers) of one request to d's listener."""
    h = dict(headers or {})
    if admin:
        h.update(sh.ADMIN_AUTH)
    elif key:
        h["Authorization"] = "Bearer " + key
    if body is not None:
        h["Content-Type"] = "application/json"
        body = json.dumps(body).encode()
    code, out, hdrs = sh.http_request(d.http_url + path, method, body, h)
    try:
        return code, json.loads(out), hdrs
    except ValueError:
        return code, out, hdrs


def hdr(hdrs, name):
    for k, v in (hdrs.items() if hasattr(hdrs, "items") else hdrs):
        if k.lower() == name.lower():
            return v
    return None


def pair(lab, provs, r):
    """Nodes 1 and 2 on Redis r, node numbers 1 and 2, both in the fleet."""
    c = {"redis": "redis://" + r.addr}
    n1 = lab.node(provs, "n1", dict(c, node_number=1), api_keys=keys())
    n2 = lab.node(provs, "n2", dict(c, node_number=2), api_keys=keys())
    sh.wait_until(lambda: all(fleet(d)["nodes_alive"] == 2 and all(
        n["http"] for n in fleet(d)["nodes"]) for d in (n1, n2)),
        20, what="2 nodes with their addresses")
    return n1, n2


def send(d, key, to, frm="s@example.com"):
    code, obj, _ = req(d, "POST", "/v1/messages", key=key, body={
        "from": frm, "to": to, "subject": "fwd", "text": "hi\n"})
    assert code == 202, obj
    return obj["id"]


def test_requests_for_another_nodes_message_are_forwarded(lab):
    mock = lab.mock()
    r = lab.redis()
    n1, n2 = pair(lab, [sh.provider("m", mock.smtp_port, 1)], r)
    # The node number rides in the id's 11th character.
    mid = send(n1, WEB_KEY, "r@example.net")
    assert mid[10] == "1" and send(n2, WEB_KEY, "r@example.net")[10] == "2"
    sh.wait_until(lambda: req(n1, "GET", "/v1/messages/" + mid,
                              admin=True)[1]["state"] == "sent",
                  20, what="sent")
    for who in ({"admin": True}, {"key": WEB_KEY}):
        c1, o1, _ = req(n1, "GET", "/v1/messages/" + mid, **who)
        c2, o2, h2 = req(n2, "GET", "/v1/messages/" + mid, **who)
        assert (c1, o1) == (c2, o2) and c2 == 200, (c1, o1, c2, o2)
        assert hdr(h2, "X-Swerve-Node") == "n1"
    # swervectl show through node 2 prints what it prints through node 1.
    s1 = sh.swervectl(["-c", n1.config_path, "show", mid])
    s2 = sh.swervectl(["-c", n2.config_path, "show", mid])
    assert s1.returncode == 0 and s2.returncode == 0, s2.stderr
    assert s1.stdout == s2.stdout and mid in s2.stdout
    # Release: node 1's answer (a sent message is not deferred: 409).
    c1, o1, _ = req(n1, "POST", "/v1/queue/%s/release" % mid, admin=True)
    c2, o2, _ = req(n2, "POST", "/v1/queue/%s/release" % mid, admin=True)
    assert (c1, o1) == (c2, o2) and c2 == 409, (c2, o2)
    out = sh.swervectl(["-c", n2.config_path, "release", mid])
    assert out.returncode != 0 and "deferred" in out.stderr + out.stdout
    # Another tenant's key: node 1 says 404, and so does node 2.
    c2, o2, _ = req(n2, "GET", "/v1/messages/" + mid, key=OTHER_KEY)
    assert c2 == 404, o2
    # An id of node 1 that node 1 does not have: its own 404.
    ghost = mid[:19] + ("0" if mid[19] != "0" else "1")
    c2, o2, h2 = req(n2, "GET", "/v1/messages/" + ghost, admin=True)
    assert c2 == 404 and hdr(h2, "X-Swerve-Node") == "n1", o2
    # One hop only: a forwarded request is answered where it lands.
    c2, o2, h2 = req(n2, "GET", "/v1/messages/" + mid, admin=True,
                     headers={"X-Swerve-Forwarded": "n9"})
    assert c2 == 404 and hdr(h2, "X-Swerve-Node") is None, o2
    # Without a key, node 2 refuses before anything is forwarded.
    c2, _, _ = req(n2, "GET", "/v1/messages/" + mid)
    assert c2 == 401
    # Node 1 down: 503 saying who holds it.
    n1.stop()
    c2, o2, h2 = req(n2, "GET", "/v1/messages/" + mid, admin=True)
    assert c2 == 503 and o2["error"]["code"] == "owner_unavailable", o2
    assert "n1" in o2["error"]["message"]
    sh.wait_until(lambda: fleet(n2)["nodes_alive"] == 1, 10, what="n1 gone")
    c2, o2, _ = req(n2, "GET", "/v1/messages/" + mid, key=WEB_KEY)
    assert c2 == 503 and "gone from the fleet" in o2["error"]["message"]


def test_a_provider_event_at_the_wrong_node_lands_on_the_right_message(lab):
    """DSNs (swerve-mock mails them to the VERP address at listen.bounce)
    all reach node 2, whatever node sent the message."""
    mock = lab.mock("relay")
    r = lab.redis()
    provs = [sh.provider("m", mock.smtp_port, 1, bounce_domain="bounce.test")]
    c = {"redis": "redis://" + r.addr}
    bport = sh.free_port()

    def listen(bounce=None):
        out = dict(sh.listen_config(), load_balancers=[LB_SOURCE + "/32"])
        if bounce:
            out["bounce"] = "%s:%d" % (sh.HOST, bounce)
        return out
    n1 = lab.node(provs, "n1", dict(c, node_number=1), api_keys=keys(),
                  listen=listen())
    n2 = lab.node(provs, "n2", dict(c, node_number=2), api_keys=keys(),
                  listen=listen(bport), start=False)
    # The fleet signs VERP addresses with one key (docs/cluster.md).
    os.makedirs(n2.spool_dir, mode=0o700, exist_ok=True)
    shutil.copy(os.path.join(n1.spool_dir, "bounce.key"),
                os.path.join(n2.spool_dir, "bounce.key"))
    n2.start()
    sh.wait_until(lambda: all(fleet(d)["nodes_alive"] == 2
                              for d in (n1, n2)), 20, what="fleet")
    code, out, _ = sh.http_request(mock.url + "/feedback", "PUT", json.dumps({
        "after_ms": 50, "retry_ms": 200,
        "smtp": {"host": sh.HOST, "port": bport}}).encode(),
        {"Content-Type": "application/json"})
    assert code == 200, out
    a = send(n1, WEB_KEY, "bounce-a@example.net")
    b = send(n1, WEB_KEY, "fine-b@example.net")

    def outcome(d, mid):
        c_, o, _ = req(d, "GET", "/v1/messages/" + mid, admin=True,
                       headers={"X-Swerve-Forwarded": "test"})
        return (o["rcpts"][0]["outcome"], o["rcpts"][0]["bounce"]) \
            if c_ == 200 else None
    sh.wait_until(lambda: outcome(n1, a) == ("bounced", "hard"), 30,
                  what="node 2's DSN on node 1's message")
    c_, o, _ = req(n1, "GET", "/v1/messages/" + a, admin=True)
    assert [e["type"] for e in o["events"]] == ["hard_bounce"], o["events"]
    # Node 2 holds nothing of node 1's (its own copy of the event stays
    # unmatched there).
    assert req(n2, "GET", "/v1/messages/" + a, admin=True,
               headers={"X-Swerve-Forwarded": "test"})[0] == 404
    assert "goes to node number 1" in n2.log_text()
    # Node 1 down: a DSN for b reaches node 2, which takes it (250) and
    # leaves it in node 1's list in Redis until node 1 is back.
    assert outcome(n1, b) == (None, None)
    mock_id = [m for m in mock.messages()
               if m.get("rcpt_to") == ["fine-b@example.net"]][0]["id"]
    n1.stop()
    code, out, _ = sh.http_request(
        mock.url + "/feedback/" + mock_id, "POST",
        json.dumps({"event": "bounce"}).encode(),
        {"Content-Type": "application/json"})
    assert code == 200, out
    sh.wait_until(lambda: r.cmd("LLEN", "swerve:fwd:1") == "1", 15,
                  what="the event kept in node 1's list")
    n1.start()
    sh.wait_until(lambda: outcome(n1, b) == ("bounced", "hard"), 30,
                  what="the kept event applied when node 1 returned")
    sh.wait_until(lambda: r.cmd("LLEN", "swerve:fwd:1") == "0", 10,
                  what="node 1's list emptied")
