"""Inbound provider events (issue 14) against the providers' own webhook
libraries, end to end on swerved's feedback paths.

  - SendGrid: requests signed with the key type and code that
    @sendgrid/eventwebhook verifies with (starkbank-ecdsa), judged by
    EventWebhook.verifySignature; Resend: requests signed and judged by
    the Standard Webhooks reference library (standardwebhooks, Svix's
    scheme). Every case the library accepts (and is fresh) is answered
    200 by swerved, every case it refuses 401, including a re-serialised
    body, another key or secret, a malleated ECDSA signature (accepted by
    both), a stale or future timestamp. SendGrid's library checks no
    timestamp: a stale case it accepts is refused by swerve (401 stale).
  - A message sent through swerve-mock's SendGrid, Mailgun and Resend
    APIs, then events about it posted signed as each provider signs
    them: they are stored against the message (GET /v1/messages/ID lists
    them, the recipient's outcome follows), a replay stores nothing new
    (Mailgun: the token is refused, 403), a forged or stale request
    records nothing.

Node and the pinned libraries come from setup-npm-feedback.sh (skipped,
saying why, when npm is unreachable).
"""

import hashlib
import hmac
import json
import os
import secrets
import subprocess
import time
import uuid

import pytest

import swerve_harness as sh

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = "feedback-sigs-api-key-0123456789"
KEYS = {"sendgrid": "SG.mock-sendgrid-key", "mailgun": "key-mock-mailgun",
        "resend": "re_mock_resend_key"}
MG_SIGNING_KEY = "mg-signing-" + "k" * 20


def node(args, stdin=None):
    p = subprocess.run(["node", os.path.join(HERE, "feedback_sigs.js")] + args,
                       input=stdin, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def provider(name, type_, mock, events):
    p = {"name": name, "type": type_, "endpoint": mock.url,
         "api_key": KEYS[type_], "priority": 1, "connect_timeout": "2s",
         "request_timeout": "3s", "max_connections": 4, "events": events}
    if type_ == "mailgun":
        p["domain"] = "mg.test"
    return p


def secret_file(lab, name, value):
    path = os.path.join(str(lab.tmp), name)
    with open(path, "w") as f:
        f.write(value + "\n")
    return path


def daemon(lab, providers):
    return lab.daemon(providers, api_keys=[
        {"name": "app", "key_sha256": hashlib.sha256(KEY.encode()).hexdigest(),
         "tenant": "app", "from_domains": ["example.com"]}])


def post(d, path, body, headers):
    h = {"Content-Type": "application/json"}
    h.update(headers)
    code, data, _ = sh.http_request(d.http_url + path, "POST",
                                    body.encode(), h)
    return code, data


def test_verdicts_agree_with_the_providers_libraries(lab, npm_feedback):
    cases = node([str(int(time.time()))])
    m = lab.mock("up")
    rs_secret = secret_file(lab, "rs.secret", cases["resend"]["secret"])
    d = daemon(lab, [
        provider("sg", "sendgrid", m,
                 {"public_key": cases["sendgrid"]["public_key"]}),
        provider("rs", "resend", m, {"secret_file": rs_secret})])
    seen = []
    for kind, path in (("sendgrid", "/feedback/sg"), ("resend", "/feedback/rs")):
        for c in cases[kind]["cases"]:
            code, body = post(d, path, c["body"], c["headers"])
            want = 200 if c["lib_ok"] and c["fresh"] else 401
            seen.append((kind, c["name"], c["lib_ok"], code))
            assert code == want, (kind, c["name"], c["lib_ok"], code, body)
    # The cases are not all alike: each library accepted and refused some.
    for kind in ("sendgrid", "resend"):
        assert {ok for k, _, ok, _ in seen if k == kind} == {True, False}


def sent_message(lab, d):
    """A message accepted by the API and sent upstream: (id, provider
    message id)."""
    code, data, _ = sh.http_request(
        d.http_url + "/v1/messages", "POST",
        json.dumps({"from": "s@example.com", "to": "Bob@Example.net",
                    "subject": "hi", "text": "hi\n"}).encode(),
        {"Content-Type": "application/json", "Authorization": "Bearer " + KEY})
    assert code == 202, data
    qid = json.loads(data)["id"]
    m = sh.Api(d).wait_state(qid, "sent", 20)
    pmid = m["rcpts"][0]["provider_message_id"]
    assert pmid, m
    return qid, pmid


def events_of(d, qid):
    return sh.Api(d).message(qid).get("events", [])


def sendgrid_request(keys, qid, pmid, now):
    body = json.dumps([
        {"email": "bob@example.net", "timestamp": now, "event": "delivered",
         "sg_event_id": "sgev-" + qid, "sg_message_id": pmid + ".filter01",
         "response": "250 2.0.0 OK", "swerve_id": qid},
        {"email": "bob@example.net", "timestamp": now, "event": "spamreport",
         "sg_event_id": "sgev2-" + qid, "sg_message_id": pmid + ".filter01",
         "swerve_id": qid}])
    hdr = node(["sign"], json.dumps({
        "sendgrid_key": keys["sendgrid"]["private_key"],
        "items": [{"kind": "sendgrid", "body": body, "ts": str(now)}]}))[0]
    return body, hdr


def resend_request(keys, qid, pmid, now):
    body = json.dumps({
        "type": "email.bounced", "created_at": time.strftime(
            "%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now)),
        "data": {"email_id": pmid, "to": ["bob@example.net"],
                 "subject": "hi", "tags": {"swerve_id": qid},
                 "bounce": {"type": "Permanent", "subType": "General",
                            "message": "mailbox does not exist"}}})
    hdr = node(["sign"], json.dumps({
        "resend_secret": keys["resend"]["secret"],
        "items": [{"kind": "resend", "body": body, "ts": str(now),
                   "id": "msg_" + uuid.uuid4().hex}]}))[0]
    return body, hdr


def mailgun_request(keys, qid, pmid, now, token=None):
    token = token or secrets.token_hex(25)
    ts = str(now)
    sig = hmac.new(MG_SIGNING_KEY.encode(), (ts + token).encode(),
                   hashlib.sha256).hexdigest()
    body = json.dumps({
        "signature": {"timestamp": ts, "token": token, "signature": sig},
        "event-data": {
            "id": "mgev-" + qid, "event": "failed", "severity": "permanent",
            "reason": "bounce", "timestamp": now + 0.25,
            "recipient": "bob@example.net",
            "delivery-status": {"code": 550, "enhanced-code": "5.1.1",
                                "message": "5.1.1 no such user"},
            "message": {"headers": {"message-id": pmid}},
            "user-variables": {"swerve_id": qid}}})
    return body, {}


BUILD = {"sendgrid": sendgrid_request, "mailgun": mailgun_request,
         "resend": resend_request}
WANT = {"sendgrid": {"delivered", "complaint"}, "mailgun": {"hard_bounce"},
        "resend": {"hard_bounce"}}


@pytest.mark.parametrize("kind", ["sendgrid", "mailgun", "resend"])
def test_signed_events_are_stored_once(lab, npm_feedback, kind):
    keys = node([str(int(time.time()))])
    m = lab.mock("up")
    events = {
        "sendgrid": {"public_key": keys["sendgrid"]["public_key"]},
        "mailgun": {"signing_key_file": secret_file(lab, "mg.key",
                                                    MG_SIGNING_KEY)},
        "resend": {"secret_file": secret_file(lab, "rs.secret",
                                              keys["resend"]["secret"])},
    }[kind]
    d = daemon(lab, [provider("p", kind, m, events)])
    qid, pmid = sent_message(lab, d)
    now = int(time.time())

    # Forged (a flipped byte of the body) and stale: refused, nothing
    # recorded.
    body, hdr = BUILD[kind](keys, qid, pmid, now)
    if kind == "mailgun":
        sig = json.loads(body)["signature"]["signature"]
        forged = body.replace(sig, ("0" if sig[0] != "0" else "1") + sig[1:])
    else:
        forged = body.replace("bob@example.net", "eve@example.net")
    code, _ = post(d, "/feedback/p", forged, hdr)
    assert code == 401
    sbody, shdr = BUILD[kind](keys, qid, pmid, now - 3600)
    code, answer = post(d, "/feedback/p", sbody, shdr)
    assert code == 401, answer
    assert events_of(d, qid) == []

    code, answer = post(d, "/feedback/p", body, hdr)
    assert code == 200, answer
    evs = events_of(d, qid)
    assert {e["type"] for e in evs} == WANT[kind], evs
    assert all(e["provider"] == "p" for e in evs)
    assert all(e["recipient"] == "bob@example.net" for e in evs)

    # The same request again: Mailgun's token is refused; the others are
    # answered 200 and their event ids are stored once.
    code, _ = post(d, "/feedback/p", body, hdr)
    assert code == (403 if kind == "mailgun" else 200)
    assert len(events_of(d, qid)) == len(evs)
