"""Events out to applications (events.webhooks), end to end.

  - every request verifies with the official standardwebhooks package;
    a receiver that fails for a while (500s, then timeouts, then a closed
    port) and then recovers loses nothing, and an event it saw twice
    came both times under the same webhook-id; a webhook with types
    gets only those types
  - kill -9 of swerved with events queued: delivered after the restart,
    under the ids they had before
  - a receiver that never recovers: dead-lettered after events.retry_for,
    counted in the metrics, listed by GET /v1/events/dead
"""

import base64
import os
import re
import time

import swerve_harness as sh

SECRET = "whsec_" + base64.b64encode(b"swerve-webhook-test-key!").decode()


def _secret_file(tmp):
    p = os.path.join(str(tmp), "hook.secret")
    with open(p, "w") as f:
        f.write(SECRET + "\n")
    return p


def _msg(i):
    return ("From: app@example.com\r\nTo: user%d@example.net\r\n"
            "Subject: webhook test %d\r\n\r\nbody %d\r\n" % (i, i, i))


def _events(tmp, hooks, **kw):
    ev = {"retry_min": "200ms", "retry_max": "1s", "timeout": "1s",
          "webhooks": hooks}
    ev.update(kw)
    return ev


def _metric(d, name, label=None):
    code, body = d.admin_json("/metrics")
    assert code == 200
    if isinstance(body, bytes):
        body = body.decode()
    for line in body.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r'^(\w+)(\{[^}]*\})? (\S+)$', line)
        if m and m.group(1) == name and (label is None or
                                         label in (m.group(2) or "")):
            return float(m.group(3))
    return None


def _by_event(rcv, path):
    """(message_id, type) -> set of webhook-ids over every request."""
    seen = {}
    for r in rcv.got(path):
        import json
        b = json.loads(r["body"])
        key = (b["data"].get("message_id"), b["type"])
        seen.setdefault(key, set()).add(r["headers"]["webhook-id"])
        assert b["id"] == r["headers"]["webhook-id"]
    return seen


def _submit_n(d, n):
    return [sh.submit(d, "app@example.com", ["user%d@example.net" % i],
                      _msg(i)) for i in range(n)]


def test_failing_receiver_recovers_nothing_lost_ids_stable(lab, verify):
    m = lab.mock("m1")
    rcv = lab.receiver("fail")
    sec = _secret_file(lab.tmp)
    d = lab.daemon([sh.provider("m1", m.smtp_port, 1)], events=_events(
        lab.tmp, [{"url": rcv.url("/all"), "secret_file": sec},
                  {"url": rcv.url("/sent"), "secret_file": sec,
                   "types": ["sent"]}]))
    n = 5
    qids = _submit_n(d, n)
    want = {(q, t) for q in qids for t in ("accepted", "sent")}
    # 500s for a while ...
    sh.wait_until(lambda: len(rcv.got("/all")) >= 3 * len(want), 30, 0.1,
                  "retries after 500s")
    # ... then timeouts (the receiver reads and never answers) ...
    rcv.mode = "hang"
    t = len(rcv.got())
    sh.wait_until(lambda: len(rcv.got()) >= t + 4, 30, 0.1, "hung requests")
    # ... then a closed port ...
    rcv.close()
    time.sleep(2)
    # ... and it recovers.
    rcv.reopen("ok")
    sh.wait_until(lambda: {(b["data"]["message_id"], b["type"])
                           for _, b in rcv.ok("/all")} >= want,
                  60, 0.2, "every event answered 200 at last")
    sh.wait_until(lambda: {b["data"]["message_id"]
                           for _, b in rcv.ok("/sent")} >= set(qids),
                  60, 0.2, "every sent event on the typed webhook")
    # Duplicates only under the same id: one webhook-id per event.
    for path in ("/all", "/sent"):
        for key, ids in _by_event(rcv, path).items():
            assert len(ids) == 1, (path, key, ids)
    # The typed webhook got only its type.
    assert {b["type"] for _, b in rcv.ok("/sent")} == {"sent"}
    for _, b in rcv.ok("/all"):
        assert b["data"]["message_id"] in qids
        assert b["timestamp"].endswith("Z")
        if b["type"] == "sent":
            assert b["data"]["provider"] == "m1"
    # Every request, failed or not, verifies with the official library.
    answered = [r for r in rcv.got() if r["answered"] == 200]
    res = verify(SECRET, answered)
    assert all(ok for ok, _ in res), res
    # A tampered body does not.
    bad = dict(answered[0])
    bad["body"] = answered[0]["body"].replace(b"accepted", b"Accepted")
    bad["body"] = bad["body"].replace(b"sent", b"Sent")
    assert verify(SECRET, [bad]) == [(False, "No matching signature found")]
    sh.wait_until(lambda: _metric(d, "swerve_webhook_queue") == 0, 20, 0.2,
                  "an empty webhook queue")
    assert _metric(d, "swerve_webhook_deliveries_total", 'result="retry"') > 0
    assert _metric(d, "swerve_webhook_deliveries_total",
                   'result="ok"') >= len(want) + n
    assert SECRET not in d.log_text()


def test_kill9_with_events_queued_redelivers_under_same_ids(lab, verify):
    m = lab.mock("m1")
    rcv = lab.receiver("fail")
    d = lab.daemon([sh.provider("m1", m.smtp_port, 1)], events=_events(
        lab.tmp, [{"url": rcv.url("/h"),
                   "secret_file": _secret_file(lab.tmp)}]))
    qids = _submit_n(d, 4)
    want = {(q, t) for q in qids for t in ("accepted", "sent")}
    sh.wait_until(lambda: set(_by_event(rcv, "/h")) >= want, 30, 0.1,
                  "every event tried once")
    before = _by_event(rcv, "/h")
    d.kill9()
    rcv.mode = "ok"
    d.start()
    sh.wait_until(lambda: {(b["data"]["message_id"], b["type"])
                           for _, b in rcv.ok("/h")} >= want,
                  60, 0.2, "every event delivered after the restart")
    after = _by_event(rcv, "/h")
    for key in want:
        assert after[key] == before[key], (key, before[key], after[key])
    res = verify(SECRET, [r for r, _ in rcv.ok("/h")])
    assert all(ok for ok, _ in res), res


def test_never_recovering_receiver_is_dead_lettered(lab):
    m = lab.mock("m1")
    rcv = lab.receiver("fail")
    d = lab.daemon([sh.provider("m1", m.smtp_port, 1)], events=_events(
        lab.tmp, [{"url": rcv.url("/h"), "secret_file": _secret_file(lab.tmp),
                   "types": ["accepted"]}], retry_for="2s"))
    qids = _submit_n(d, 2)
    sh.wait_until(lambda: _metric(d, "swerve_webhook_dead_total") == 2, 30,
                  0.2, "two dead-lettered deliveries")
    assert _metric(d, "swerve_webhook_queue") == 0
    assert _metric(d, "swerve_webhook_deliveries_total", 'result="dead"') == 2
    assert "dead-lettered" in d.log_text()
    code, body = d.admin_json("/v1/events/dead")
    assert code == 200, body
    dead = body["dead"]
    assert sorted(x["message_id"] for x in dead) == sorted(qids)
    for x in dead:
        assert x["url"] == rcv.url("/h") and x["type"] == "accepted"
        assert x["attempts"] >= 2 and x["last_error"] == "HTTP 500"
    # Nothing more is tried.
    n = len(rcv.got())
    time.sleep(1.5)
    assert len(rcv.got()) == n


def test_swervectl_events_tail_follows_and_filters(lab):
    m = lab.mock("m1")
    rcv = lab.receiver("ok")
    d = lab.daemon([sh.provider("m1", m.smtp_port, 1)], events=_events(
        lab.tmp, [{"url": rcv.url("/h"),
                   "secret_file": _secret_file(lab.tmp)}]))
    key = sh.write_admin_key(str(lab.tmp))
    import subprocess
    argv = [sh.bin_path("swervectl"), "--url", d.admin_url, "--key-file",
            key, "events", "tail", "--type", "sent", "--limit", "3",
            "--json"]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        time.sleep(0.5)  # following before the mail comes
        qids = _submit_n(d, 3)
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    import json
    evs = [json.loads(line) for line in out.splitlines()]
    assert [e["type"] for e in evs] == ["sent"] * 3
    assert sorted(e["data"]["message_id"] for e in evs) == sorted(qids)
    assert all(e["seq"] > 0 for e in evs)
    # The endpoint: after=, an unknown type refused.
    code, body = d.admin_json("/v1/events?type=opened")
    assert code == 400
    code, got = d.admin_json("/v1/events")
    assert [e["type"] for e in got["events"]].count("accepted") == 3
    code, body = d.admin_json("/v1/events?after=%d" % got["next"])
    assert body["events"] == []


def test_tenant_webhook_gets_its_api_mail_with_tags_and_metadata(lab, verify):
    """A webhook with tenant: gets the events of that tenant's mail only
    (an HTTP submission's accepted event carries its tenant too), with the
    message's tags and metadata; SMTP mail without a tenant is not its."""
    import hashlib
    import json
    web_key = "web-key-0123456789abcdef"
    m = lab.mock("m1")
    rcv = lab.receiver("ok")
    keys = [{"name": "web",
             "key_sha256": hashlib.sha256(web_key.encode()).hexdigest(),
             "tenant": "webt", "from_domains": ["example.com"]}]
    d = lab.daemon([sh.provider("m1", m.smtp_port, 1)], api_keys=keys,
                   events=_events(lab.tmp, [
                       {"url": rcv.url("/t"),
                        "secret_file": _secret_file(lab.tmp),
                        "tenant": "webt", "types": ["accepted", "sent"]}]))
    body = json.dumps({"from": "s@example.com", "to": "r@example.net",
                       "subject": "hi", "text": "hi\n",
                       "tags": {"kind": "report"},
                       "metadata": {"order": 42}}).encode()
    code, out, _ = sh.http_request(
        d.http_url + "/v1/messages", "POST", body,
        {"Authorization": "Bearer " + web_key,
         "Content-Type": "application/json"})
    assert code in (200, 202), out
    qid = json.loads(out)["id"]
    smtp_qid = _submit_n(d, 1)[0]
    sh.wait_until(lambda: {b["type"] for _, b in rcv.ok("/t")}
                  >= {"accepted", "sent"}, 30, 0.1, "the tenant's events")
    time.sleep(1)  # the SMTP message's events would have come by now
    got = rcv.ok("/t")
    assert sorted(b["type"] for _, b in got) == ["accepted", "sent"]
    for _, b in got:
        assert b["data"]["message_id"] == qid != smtp_qid
        assert b["data"]["tenant"] == "webt"
        assert b["data"]["tags"] == [{"name": "kind", "value": "report"}]
        assert b["data"]["metadata"] == {"order": 42}
    res = verify(SECRET, [r for r, _ in got])
    assert all(ok for ok, _ in res), res


def test_suppressed_recipients_are_events(lab):
    """A suppressed recipient left out of an API submission (the others
    taken) and one refused at SMTP RCPT are each a suppressed event of
    the tenant, with the address and why it is listed."""
    import hashlib
    import json
    web_key = "web-key-0123456789abcdef"
    m = lab.mock("m1")
    rcv = lab.receiver("ok")
    keys = [{"name": "web",
             "key_sha256": hashlib.sha256(web_key.encode()).hexdigest(),
             "tenant": "webt", "from_domains": ["example.com"]}]
    d = lab.daemon([sh.provider("m1", m.smtp_port, 1)], api_keys=keys,
                   events=_events(lab.tmp, [
                       {"url": rcv.url("/s"),
                        "secret_file": _secret_file(lab.tmp),
                        "types": ["suppressed"]}]))
    auth = {"Authorization": "Bearer " + web_key,
            "Content-Type": "application/json"}
    code, out, _ = sh.http_request(
        d.http_url + "/v1/suppressions", "POST",
        json.dumps({"address": "gone@example.net",
                    "reason": "hard_bounce"}).encode(), auth)
    assert code in (200, 201), out
    body = json.dumps({"from": "s@example.com",
                       "to": ["gone@example.net", "ok@example.net"],
                       "subject": "hi", "text": "hi\n"}).encode()
    code, out, _ = sh.http_request(d.http_url + "/v1/messages", "POST", body,
                                   auth)
    assert code in (200, 202), out
    got = sh.wait_until(lambda: rcv.ok("/s"), 20, 0.1, "a suppressed event")
    b = got[0][1]
    assert b["type"] == "suppressed"
    assert b["data"]["recipient"] == "gone@example.net"
    assert b["data"]["reason"] == "hard_bounce"
    assert b["data"]["action"] == "dropped"
    assert b["data"]["tenant"] == "webt"
    time.sleep(0.5)
    assert len(rcv.ok("/s")) == 1  # ok@example.net was not suppressed


def test_kill9_under_load_every_stored_change_is_told(lab):
    """kill -9 while mail flows: every message the spool holds has its
    "accepted" webhook and every sent one its "sent" webhook after the
    restart. The notices are stored in the commit of the change they tell
    of (spool.h's outbox); when they were queued in the commit after, the
    kill fell between the two for some message on almost every run."""
    import threading
    m = lab.mock("m1")
    rcv = lab.receiver("fail")
    d = lab.daemon([sh.provider("m1", m.smtp_port, 1)], events=_events(
        lab.tmp, [{"url": rcv.url("/h"),
                   "secret_file": _secret_file(lab.tmp),
                   "types": ["accepted", "sent"]}]))
    stop = threading.Event()
    acked = []

    def client(k):
        i = 0
        while not stop.is_set():
            try:
                acked.append(sh.submit(d, "app@example.com",
                                       ["u%d-%d@example.net" % (k, i)],
                                       _msg(i)))
            except Exception:  # the daemon is gone: that is the point
                return
            i += 1

    threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    sh.wait_until(lambda: len(acked) >= 60, 60, 0.05, "mail flowing")
    d.kill9()
    stop.set()
    for t in threads:
        t.join(30)
    rcv.mode = "ok"
    d.start()
    stored = d.spool.messages()
    assert set(acked) <= set(stored), "an acknowledged message was lost"
    sh.wait_until(lambda: all(r["state"] in ("sent", "failed")
                              for r in d.spool.messages().values()),
                  60, 0.2, "every message delivered after the restart")
    final = d.spool.messages()
    want = {(q, "accepted") for q in final}
    want |= {(q, "sent") for q, r in final.items() if r["state"] == "sent"}
    sh.wait_until(lambda: {(b["data"]["message_id"], b["type"])
                           for _, b in rcv.ok("/h")} >= want,
                  60, 0.2, "a webhook for every stored change")
    # One id per acceptance (a message in flight at the kill may be sent
    # twice: two deliveries, each told under its own id).
    for key, ids in _by_event(rcv, "/h").items():
        assert key[1] != "accepted" or len(ids) == 1, (key, ids)


def test_reload_replaces_the_webhooks_and_refuses_a_bad_secret(lab):
    """SIGHUP with another events.webhooks: later events go to the new
    URL only; a secret that does not decode refuses the whole reload
    (the running webhooks stay)."""
    import json
    import signal
    m = lab.mock("m1")
    rcv = lab.receiver("ok")
    sec = _secret_file(lab.tmp)
    d = lab.daemon([sh.provider("m1", m.smtp_port, 1)], events=_events(
        lab.tmp, [{"url": rcv.url("/a"), "secret_file": sec,
                   "types": ["accepted"]}]))
    q1 = _submit_n(d, 1)[0]
    sh.wait_until(lambda: rcv.ok("/a"), 20, 0.1, "the first event at /a")
    d.config["events"]["webhooks"] = [{"url": rcv.url("/b"),
                                       "secret_file": sec,
                                       "types": ["accepted"]}]
    d.write_config()
    os.kill(d.pid, signal.SIGHUP)
    sh.wait_until(lambda: "events.webhooks: 1 webhooks now" in d.log_text(),
                  10, 0.1, "the webhooks replaced")
    q2 = sh.submit(d, "app@example.com", ["late@example.net"], _msg(9))
    sh.wait_until(lambda: rcv.ok("/b"), 20, 0.1, "the second event at /b")
    assert [b["data"]["message_id"] for _, b in rcv.ok("/a")] == [q1]
    assert [b["data"]["message_id"] for _, b in rcv.ok("/b")] == [q2]
    # A secret that does not decode: refused, /b stays.
    bad = os.path.join(str(lab.tmp), "bad.secret")
    with open(bad, "w") as f:
        f.write("not-a-whsec-secret\n")
    d.config["events"]["webhooks"][0]["secret_file"] = bad
    d.write_config()
    os.kill(d.pid, signal.SIGHUP)
    sh.wait_until(lambda: "reload refused" in d.log_text(), 10, 0.1,
                  "the refusal")
    assert "whsec_" in d.log_text().split("reload refused")[-1]
    q3 = sh.submit(d, "app@example.com", ["later@example.net"], _msg(10))
    sh.wait_until(lambda: len(rcv.ok("/b")) == 2, 20, 0.1, "still /b")
    assert json.loads(rcv.ok("/b")[1][0]["body"])["data"]["message_id"] == q3
