"""The admin plane apart from the send API (issue 12, item 1).

Applications' API keys send mail and read their own tenant's messages,
nothing else; status, the queue, metrics, alerts and provider / queue
control need an admin key (admin_keys), and may live on a listener of
their own (listen.admin). Where a request comes from grants nothing: a
second loopback address (127.0.0.2) stands in for a remote client, and
127.0.0.1 itself gets no more than it.
"""

import hashlib
import http.client
import json
import os
import re

from api_client import JOBS_KEY, WEB_KEY, msg, send
from api_client import sh

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ID = "01ABCDEFGHJKMNPQRSTV"


def req(port, method, path, key=None, source="127.0.0.1", body=None):
    """(status, parsed JSON or bytes) of one request from source."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                   source_address=(source, 0))
    try:
        h = {"Authorization": "Bearer " + key} if key else {}
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        try:
            return r.status, json.loads(data)
        except ValueError:
            return r.status, data
    finally:
        c.close()


def web_message(d):
    code, obj, _ = send(d, msg())
    assert code == 202, obj
    return obj["id"]


def jobs_message(d):
    code, obj, _ = send(d, msg(**{"from": "app@example.org"}), key=JOBS_KEY)
    assert code == 202, obj
    return obj["id"]


def test_no_key_reads_nothing(lab):
    d = lab.daemon()
    qid = web_message(d)
    for path in ("/v1/messages", "/v1/messages/" + qid, "/v1/status",
                 "/metrics", "/metrics.json", "/v1/providers", "/v1/alerts"):
        code, obj = req(d.http_port, "GET", path)
        assert code == 401, (path, code, obj)
        assert obj["error"]["code"] == "unauthorized", obj
    code, obj = req(d.http_port, "GET", "/v1/messages", key="wrong-key")
    assert code == 401
    # Up / ready stay public: a load balancer checks them.
    assert req(d.http_port, "GET", "/healthz")[0] == 200
    assert req(d.http_port, "GET", "/readyz")[0] in (200, 503)


def test_a_tenant_reads_its_own_messages_only(lab):
    d = lab.daemon()
    mine, theirs = web_message(d), jobs_message(d)
    code, obj = req(d.http_port, "GET", "/v1/messages/" + mine, WEB_KEY)
    assert code == 200 and obj["id"] == mine and obj["tenant"] == "webt", obj
    # Another tenant's message is not there, as far as this key can tell.
    code, obj = req(d.http_port, "GET", "/v1/messages/" + theirs, WEB_KEY)
    assert code == 404 and obj["error"]["code"] == "not_found", obj
    assert req(d.http_port, "GET", "/v1/messages/" + ID, WEB_KEY)[0] == 404
    assert req(d.http_port, "GET", "/v1/messages/" + mine, JOBS_KEY)[0] == 404
    assert req(d.http_port, "GET", "/v1/messages/" + theirs, JOBS_KEY)[0] == 200
    # A tenant lists its own messages only; across tenants is the
    # operator's.
    code, obj = req(d.http_port, "GET", "/v1/messages?state=all", WEB_KEY)
    assert code == 200, obj
    listed = {m["id"] for m in obj["messages"]}
    assert mine in listed and theirs not in listed, obj
    assert all(m["tenant"] == "webt" for m in obj["messages"]), obj
    code, obj = req(d.http_port, "GET", "/v1/messages?state=all", JOBS_KEY)
    listed = {m["id"] for m in obj["messages"]}
    assert code == 200 and theirs in listed and mine not in listed, obj
    code, obj = req(d.http_port, "GET", "/v1/status", WEB_KEY)
    assert code == 403 and "admin key" in obj["error"]["message"], obj
    # The admin key reads every tenant's.
    ids = {m["id"] for m in sh.Api(d).list()}
    assert {mine, theirs} <= ids
    assert sh.Api(d).message(theirs)["tenant"] == "jobs"


def test_an_api_key_cannot_pause_a_provider_the_admin_key_can(lab):
    m = lab.mock("m")
    d = lab.daemon(m)
    path = "/v1/providers/m/pause"
    code, obj = req(d.http_port, "POST", path, WEB_KEY)
    assert code == 403 and obj["error"]["code"] == "forbidden", obj
    assert req(d.http_port, "POST", "/v1/providers/m/drain", WEB_KEY)[0] == 403
    assert req(d.http_port, "POST", "/v1/queue/%s/release" % ID, WEB_KEY)[0] == 403
    assert req(d.http_port, "POST", "/v1/reload", WEB_KEY)[0] == 403
    state = next(p for p in sh.Api(d).status()["providers"] if p["name"] == "m")
    assert state["state"] != "paused", state
    code, obj = req(d.http_port, "POST", path, sh.ADMIN_KEY)
    assert code == 200 and obj["state"] == "paused", obj
    code, obj = req(d.http_port, "POST", "/v1/providers/m/resume", sh.ADMIN_KEY)
    assert code == 200 and obj["state"] != "paused", obj


def test_a_loopback_peer_grants_nothing(lab):
    m = lab.mock("m")
    d = lab.daemon(m)
    qid = web_message(d)
    for source in ("127.0.0.2", "127.0.0.1"):
        for method, path in (("POST", "/v1/providers/m/pause"),
                             ("POST", "/v1/providers/m/drain"),
                             ("POST", "/v1/queue/%s/release" % qid),
                             ("POST", "/v1/reload"),
                             ("GET", "/v1/status"),
                             ("GET", "/v1/providers"),
                             ("GET", "/v1/messages"),
                             ("GET", "/v1/messages/" + qid),
                             ("GET", "/metrics")):
            code, obj = req(d.http_port, method, path, source=source)
            assert code == 401, (source, method, path, code, obj)
    state = next(p for p in sh.Api(d).status()["providers"] if p["name"] == "m")
    assert state["state"] != "paused", state
    # With the key, from anywhere: the key is what counts.
    code, obj = req(d.http_port, "POST", "/v1/providers/m/pause", sh.ADMIN_KEY,
                    source="127.0.0.2")
    assert code == 200 and obj["state"] == "paused", obj


def test_the_admin_listener_apart(lab):
    admin = "127.0.0.1:%d" % sh.free_port()
    d = lab.daemon(listen={"smtp": "127.0.0.1:%d" % sh.free_port(),
                           "http": "127.0.0.1:%d" % sh.free_port(),
                           "admin": admin})
    assert d.admin_url != d.http_url
    qid = web_message(d)
    aport = int(admin.rsplit(":", 1)[1])
    # The public listener serves the send API and the tenant's reads; the
    # operator's endpoints do not exist there, whatever the key.
    for path in ("/v1/status", "/metrics", "/v1/alerts", "/v1/providers"):
        code, _ = req(d.http_port, "GET", path, sh.ADMIN_KEY)
        assert code in (404, 405), (path, code)
    assert req(d.http_port, "POST", "/v1/providers/m/pause", sh.ADMIN_KEY)[0] == 404
    assert req(d.http_port, "GET", "/v1/messages/" + qid, sh.ADMIN_KEY)[0] == 401
    assert req(d.http_port, "GET", "/v1/messages/" + qid, WEB_KEY)[0] == 200
    # The tenant's own listing is on the public listener; the admin key's
    # listing across tenants is on the admin listener only.
    assert req(d.http_port, "GET", "/v1/messages", sh.ADMIN_KEY)[0] == 401
    code, obj = req(d.http_port, "GET", "/v1/messages?state=all", WEB_KEY)
    assert code == 200 and [m["id"] for m in obj["messages"]] == [qid], obj
    assert req(d.http_port, "GET", "/healthz")[0] == 200
    # The admin listener: admin keys only; no send API there.
    assert req(aport, "GET", "/v1/status")[0] == 401
    assert req(aport, "GET", "/v1/messages/" + qid, WEB_KEY)[0] == 401
    assert req(aport, "GET", "/v1/status", sh.ADMIN_KEY)[0] == 200
    assert req(aport, "GET", "/v1/messages/" + qid, sh.ADMIN_KEY)[0] == 200
    code, body = req(aport, "GET", "/metrics", sh.ADMIN_KEY)
    assert code == 200 and b"swerve_" in body
    assert req(aport, "POST", "/v1/messages", WEB_KEY,
               body=json.dumps(msg()).encode())[0] == 405  # GET only
    assert req(aport, "POST", "/v3/mail/send", WEB_KEY, body=b"{}")[0] == 404
    assert req(aport, "GET", "/healthz")[0] == 200
    # swervectl finds the admin listener and the key through the config.
    r = sh.swervectl(["-c", d.config_path, "status", "--json"])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["queue"]
    r = sh.swervectl(["--url", d.admin_url, "status"])
    assert r.returncode != 0 and "HTTP 401" in r.stderr, r.stderr
    assert "--key-file" in r.stderr
    r = sh.swervectl(["--url", d.admin_url, "--key-file",
                      os.path.join(d.dir, "admin.key"), "queue"])
    assert r.returncode == 0 and qid in r.stdout, r.stdout + r.stderr


def test_the_admin_listener_has_the_connection_caps_too(lab):
    """Idle connections from one address to listen.admin are capped like
    those to listen.http (limits.max_http_connections_per_ip)."""
    import socket
    import time
    admin_port = sh.free_port()
    d = lab.daemon(listen={"smtp": "127.0.0.1:%d" % sh.free_port(),
                           "http": "127.0.0.1:%d" % sh.free_port(),
                           "admin": "127.0.0.1:%d" % admin_port},
                   limits={"max_http_connections": 8})
    held = [socket.create_connection(("127.0.0.1", admin_port),
                                     source_address=("127.0.0.2", 0))
            for _ in range(2)]  # a quarter of 8
    try:
        time.sleep(0.2)
        extra = socket.create_connection(("127.0.0.1", admin_port),
                                         source_address=("127.0.0.2", 0))
        extra.settimeout(5)
        data = extra.recv(4096)
        extra.close()
        assert data.startswith(b"HTTP/1.1 503"), data
        # Another address is not held back by it.
        assert req(admin_port, "GET", "/v1/status", sh.ADMIN_KEY)[0] == 200
    finally:
        for s in held:
            s.close()


def test_metrics_can_move_to_the_public_listener_for_a_remote_scraper(lab):
    prom_key = "prometheus-scrape-key-77"
    key_file = sh.write_admin_key(lab.tmp)
    d = lab.daemon(
        listen={"smtp": "127.0.0.1:%d" % sh.free_port(),
                "http": "127.0.0.1:%d" % sh.free_port(),
                "admin": "127.0.0.1:%d" % sh.free_port()},
        metrics={"listener": "http"},
        admin_keys=[{"name": "ops", "key_file": key_file},
                    {"name": "prom", "role": "metrics",
                     "key_sha256": hashlib.sha256(prom_key.encode()).hexdigest()}],
        swervectl={"key_file": key_file})
    assert req(d.http_port, "GET", "/metrics")[0] == 401
    code, body = req(d.http_port, "GET", "/metrics", prom_key, source="127.0.0.2")
    assert code == 200 and b"swerve_" in body
    # A scrape key reads metrics, nothing else.
    aport = int(d.admin_url.rsplit(":", 1)[1])
    code, obj = req(aport, "GET", "/v1/status", prom_key)
    assert code == 403 and "metrics only" in obj["error"]["message"], obj
    assert req(aport, "GET", "/metrics", sh.ADMIN_KEY)[0] == 404
    assert req(aport, "GET", "/v1/status", sh.ADMIN_KEY)[0] == 200


def test_without_admin_keys_the_admin_plane_is_closed(lab):
    d = lab.daemon(admin_keys=[])
    code, obj = req(d.http_port, "GET", "/v1/status", sh.ADMIN_KEY)
    assert code == 401 and "admin_keys" in obj["error"]["message"], obj
    assert "no admin_keys" in d.log_text()
    r = sh.swervectl(["-c", d.config_path, "status"])
    assert r.returncode != 0 and "HTTP 401" in r.stderr, r.stderr
    # The send API and the tenant's reads do not depend on it.
    qid = web_message(d)
    assert req(d.http_port, "GET", "/v1/messages/" + qid, WEB_KEY)[0] == 200


def test_swervectl_reload_needs_the_admin_key(lab):
    d = lab.daemon()
    r = sh.swervectl(["-c", d.config_path, "reload"])
    assert r.returncode == 0, r.stderr
    assert "configuration reloaded" in r.stdout
    assert d.wait_log("configuration reloaded from")
    r = sh.swervectl(["--url", d.http_url, "reload"])
    assert r.returncode != 0 and "HTTP 401" in r.stderr


def test_every_access_rule_is_documented():
    """docs/http-api.md's table lists each row of src/ingress/http_access.c
    with the same methods and who."""
    with open(os.path.join(REPO, "src", "ingress", "http_access.c")) as f:
        src = f.read()
    rows = re.findall(r'\{"(/[^"]*)",\s*(GET|POST|DELETE|ANY),\s*HTTP_WHO_([A-Z]+)', src)
    assert len(rows) >= 20, rows
    with open(os.path.join(REPO, "docs", "http-api.md")) as f:
        doc = f.read()
    for pattern, method, who in rows:
        line = "| `%s` | %s | %s |" % (pattern, method, who.lower())
        assert line in doc, "docs/http-api.md lacks the row %r" % line
