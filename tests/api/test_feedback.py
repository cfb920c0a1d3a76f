"""Delivery feedback in (issue 14): a provider's webhook events become
per-recipient outcomes.

swerved sends through swerve-mock's Postmark API; the test then posts
Postmark's webhook records to the provider's events path, as Postmark
would (basic credentials in the URL). Each event is verified before its
body is read, stored once (a provider's retry is 200 and stores nothing),
matched to the message and recipient by swerve's id (Metadata) or
Postmark's MessageID, and shown in GET /v1/messages/ID (tenant-scoped),
swervectl show and the metrics. Refused requests store nothing.
"""

import base64
import hashlib
import json
import os
import re

import pytest

from api_client import JOBS_KEY, WEB_KEY, get, msg, send
from api_client import sh

PM_KEY = "mock-postmark-server-token"
HOOK_USER, HOOK_PASS = "hook", "hook-s3cret"
# SendGrid's documented test key: a request without SendGrid's signature
# on its path is refused like any other (tests/sdk/test_feedback_sigs.py
# posts signed ones).
SG_PUBLIC = ("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4Cwr"
             "qDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==")


def basic(user, password):
    return "Basic " + base64.b64encode(
        ("%s:%s" % (user, password)).encode()).decode()


GOOD = {"Authorization": basic(HOOK_USER, HOOK_PASS),
        "Content-Type": "application/json"}


def daemon(lab, mock, networks=None, **over):
    secret = os.path.join(str(lab.tmp), "pm-hook.secret")
    with open(secret, "w") as f:
        f.write(HOOK_PASS + "\n")
    events = {"username": HOOK_USER, "password_file": secret,
              "max_body": "4KB"}
    if networks:
        events["networks"] = networks
    provs = [
        {"name": "pm", "type": "postmark", "endpoint": mock.url,
         "api_key": PM_KEY, "priority": 1, "request_timeout": "5s",
         "events": events},
        {"name": "sg", "type": "sendgrid", "endpoint": mock.url,
         "api_key": "SG.mock-sendgrid-key", "priority": 9,
         "enabled": False, "events": {"public_key": SG_PUBLIC}},
    ]
    return sh.Lab.daemon(lab, provs, api_keys=api_keys(lab), **over)


def api_keys(lab):
    """Two tenants: web (example.com, WEB_KEY), jobs (example.org)."""
    jobs = os.path.join(str(lab.tmp), "jobs-fb.key")
    with open(jobs, "w") as f:
        f.write(JOBS_KEY + "\n")
    return [{"name": "web",
             "key_sha256": hashlib.sha256(WEB_KEY.encode()).hexdigest(),
             "tenant": "webt", "from_domains": ["example.com"]},
            {"name": "jobs", "key_file": jobs, "tenant": "jobs",
             "from_domains": ["example.org"]}]


@pytest.fixture
def up(lab):
    m = lab.mock()
    return daemon(lab, m)


def hook(d, body, headers=GOOD, path="/feedback/pm", method="POST"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    code, out, _ = sh.http_request(d.http_url + path, method, data, headers)
    try:
        return code, json.loads(out)
    except ValueError:
        return code, out


def sent_message(d, to=("r1@example.net", "r2@example.net")):
    """A message to two recipients, sent through pm: (id, its record)."""
    code, obj, _ = send(d, msg(to=list(to)))
    assert code == 202, obj
    qid = obj["id"]
    m = sh.Api(d).wait_state(qid, "sent", 30)
    return qid, m


def metrics(d, prefix="swerve_feedback_"):
    """The samples of /metrics whose names start with prefix."""
    code, body, _ = sh.http_request(d.admin_url + "/metrics",
                                    headers=sh.ADMIN_AUTH)
    assert code == 200
    out = {}
    for line in body.decode().splitlines():
        if line.startswith(prefix):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def delivery(pmid, rcpt, swerve_id=None):
    d = {"RecordType": "Delivery", "ServerID": 23,
         "MessageStream": "outbound", "MessageID": pmid, "Recipient": rcpt,
         "DeliveredAt": "2026-12-07T10:00:01.9070259Z",
         "Details": "250 2.0.0 OK queued", "Tag": ""}
    if swerve_id:
        d["Metadata"] = {"swerve_id": swerve_id}
    return d


def bounce(pmid, email, id_=4323372036854775807, code=1, name="HardBounce"):
    return {"RecordType": "Bounce", "ID": id_, "Type": name,
            "TypeCode": code, "Name": "Hard bounce", "MessageID": pmid,
            "Email": email, "From": "s@example.com",
            "BouncedAt": "2026-12-07T10:00:02Z", "Inactive": True,
            "Description": "The server was unable to deliver your message.",
            "Details": "smtp;550 5.1.1 The email account does not exist."}


def test_a_delivery_and_a_bounce_become_recipient_outcomes(up):
    d = up
    qid, m = sent_message(d)
    pmid = m["rcpts"][0]["provider_message_id"]
    assert pmid and m["rcpts"][0]["outcome"] is None, m["rcpts"]
    # Matched by swerve's id, echoed in Metadata.
    code, obj = hook(d, delivery(pmid, "R1@Example.NET", swerve_id=qid))
    assert (code, obj) == (200, {"events": 1, "stored": 1, "duplicates": 0})
    # Matched by Postmark's MessageID alone.
    code, obj = hook(d, bounce(pmid, "r2@example.net"))
    assert (code, obj) == (200, {"events": 1, "stored": 1, "duplicates": 0})
    # The tenant's own key reads the outcomes.
    code, got = get(d, "/v1/messages/" + qid, key=WEB_KEY)
    assert code == 200
    r1, r2 = got["rcpts"]
    assert r1["state"] == "sent" and r1["outcome"] == "delivered", r1
    assert r1["bounce"] is None and r1["outcome_at_ms"] == 1796637601000
    assert r2["outcome"] == "bounced" and r2["bounce"] == "hard", r2
    assert "5.1.1" in r2["outcome_text"]
    evs = got["events"]
    assert [e["type"] for e in evs] == ["delivered", "hard_bounce"], evs
    assert [e["rcpt"] for e in evs] == [0, 1]
    assert evs[1]["smtp_code"] == 550 and evs[1]["enhanced"] == "5.1.1"
    assert evs[1]["provider"] == "pm"
    assert evs[1]["event_id"] == "bounce:4323372036854775807"
    # Another tenant cannot see them.
    assert get(d, "/v1/messages/" + qid, key=JOBS_KEY)[0] == 404
    # swervectl show too.
    r = sh.swervectl(["-c", d.config_path, "show", qid])
    assert r.returncode == 0, r.stderr
    assert re.search(r"outcome: bounced hard at .*5\.1\.1", r.stdout), r.stdout
    assert re.search(r"outcome: delivered at ", r.stdout), r.stdout
    assert re.search(r"events:\n.*pm +delivered +R1@example.net", r.stdout), r.stdout
    s = metrics(d)
    assert s['swerve_feedback_events_total{provider="pm",type="delivered"}'] == 1
    assert s['swerve_feedback_events_total{provider="pm",type="hard_bounce"}'] == 1
    assert s['swerve_feedback_unmatched_total{provider="pm"}'] == 0


def test_a_retry_is_answered_200_and_stores_nothing_new_even_after_a_restart(up):
    d = up
    qid, m = sent_message(d)
    pmid = m["rcpts"][0]["provider_message_id"]
    ev = bounce(pmid, "r2@example.net", id_=77)
    assert hook(d, ev)[1]["stored"] == 1
    code, obj = hook(d, ev)
    assert (code, obj) == (200, {"events": 1, "stored": 0, "duplicates": 1})
    d.stop()
    d.start()
    code, obj = hook(d, ev)
    assert (code, obj) == (200, {"events": 1, "stored": 0, "duplicates": 1})
    got = sh.Api(d).message(qid)
    assert len(got["events"]) == 1, got["events"]
    assert got["rcpts"][1]["outcome"] == "bounced"
    # Counted once, by the run that stored it (and none since).
    assert metrics(d)['swerve_feedback_events_total{provider="pm",type="hard_bounce"}'] == 0


def test_an_event_for_no_known_message_is_stored_and_counted(up):
    d = up
    code, obj = hook(d, bounce("no-such-message", "x@example.net", id_=5))
    assert (code, obj) == (200, {"events": 1, "stored": 1, "duplicates": 0})
    s = metrics(d)
    assert s['swerve_feedback_unmatched_total{provider="pm"}'] == 1
    assert s['swerve_feedback_events_total{provider="pm",type="hard_bounce"}'] == 1


def test_refused_requests_store_nothing(up):
    d = up
    qid, m = sent_message(d)
    pmid = m["rcpts"][0]["provider_message_id"]
    ev = bounce(pmid, "r2@example.net", id_=9)
    cases = [
        # (headers, body, path, method, status, reason)
        ({"Content-Type": "application/json"}, ev, None, "POST", 401, "signature"),
        ({"Authorization": basic(HOOK_USER, "wrong")}, ev, None, "POST", 401, "signature"),
        ({"Authorization": basic("other", HOOK_PASS)}, ev, None, "POST", 401, "signature"),
        (GOOD, b'{"RecordType":"Bounce",', None, "POST", 400, "parse"),
        (GOOD, {"RecordType": "Delivery", "Recipient": "r2@example.net"}, None, "POST", 400, "parse"),
        (GOOD, dict(ev, Details="x" * 5000), None, "POST", 413, "too_large"),
        (GOOD, ev, "/feedback/sg", "POST", 401, "signature"),
    ]
    for headers, body, path, method, status, reason in cases:
        code, obj = hook(d, body, headers, path or "/feedback/pm", method)
        assert code == status, (reason, code, obj)
        assert obj["error"]["code"] == reason, obj
    # Not a feedback path, or not a POST: nothing runs at all.
    assert hook(d, ev, GOOD, "/feedback/nope")[0] == 404
    assert hook(d, b"", GOOD, "/feedback/pm", "GET")[0] == 405
    got = sh.Api(d).message(qid)
    assert got["events"] == [] and got["rcpts"][1]["outcome"] is None, got
    s = metrics(d)
    assert s['swerve_feedback_refused_total{provider="pm",reason="signature"}'] == 3
    assert s['swerve_feedback_refused_total{provider="pm",reason="parse"}'] == 2
    assert s['swerve_feedback_refused_total{provider="pm",reason="too_large"}'] == 1
    assert s['swerve_feedback_refused_total{provider="sg",reason="signature"}'] == 1
    assert sum(v for k, v in s.items()
               if k.startswith("swerve_feedback_events_total")) == 0
    # With the right credentials the same event is taken.
    assert hook(d, ev)[0] == 200


def test_a_source_outside_the_networks_is_forbidden(lab):
    m = lab.mock()
    d = daemon(lab, m, networks=["10.0.0.0/8"])
    code, obj = hook(d, bounce("x", "x@example.net", id_=1))
    assert code == 403 and obj["error"]["code"] == "forbidden", obj
    assert metrics(d)['swerve_feedback_refused_total{provider="pm",reason="forbidden"}'] == 1


def test_each_stored_event_is_published_with_its_message(lab):
    """EVENT_FEEDBACK reaches the listeners (here the JSON log) once per
    new event, with the matched message's tenant and stream; a replay is
    not published again."""
    m = lab.mock()
    d = daemon(lab, m, log={"level": "info", "format": "json"})
    qid, got = sent_message(d)
    pmid = got["rcpts"][0]["provider_message_id"]
    ev = bounce(pmid, "r2@example.net", id_=31)
    assert hook(d, ev)[1]["stored"] == 1
    assert hook(d, ev)[1]["stored"] == 0
    assert hook(d, bounce("unknown", "x@example.net", id_=32))[0] == 200

    def published():
        out = []
        for line in d.log_text().splitlines():
            try:
                o = json.loads(line)
            except ValueError:
                continue
            if o.get("event") == "feedback":
                out.append(o)
        return out
    sh.wait_until(lambda: len(published()) == 2, 5, what="two feedback events")
    first, second = published()
    assert first["msg_id"] == qid and first["tenant"] == "webt", first
    assert first["stream"] == "transactional" and first["provider"] == "pm"
    assert "hard_bounce" in first["msg"], first
    assert "msg_id" not in second and "no such message" in second["msg"], second
