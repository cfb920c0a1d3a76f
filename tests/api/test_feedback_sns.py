"""Amazon SES events through SNS (issue 14): signed SNS posts reach
swerved's events path, are verified against a signing certificate that
swerved fetches over HTTPS (only from the pinned host, chain-verified,
once per URL), and stored against the message and recipient.

A local HTTPS server plays sns.<region>.amazonaws.com with a certificate
from a test CA (sns_lab.SnsServer); swerved is pointed at it with the
test-only keys sns_cert_host and sns_trust_anchor. swerve-mock plays
SES's sending API, so the SES message id is real to swerved.
"""

import json
import re

import pytest

import sns_lab as sns
import swerve_harness as sh
from api_client import WEB_KEY, get, msg, send

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


@pytest.fixture
def pki(tmp_path_factory):
    return sns.Pki(tmp_path_factory.mktemp("sns-pki"))


def ses_daemon(lab, server, **events):
    m = lab.mock()
    provs = [{"name": "ses", "type": "ses", "endpoint": m.url,
              "access_key_id": AKID, "secret_access_key": SECRET,
              "region": "us-east-1", "priority": 1,
              "request_timeout": "5s",
              "events": sns.events_config(server, max_body="16KB",
                                          **events)}]
    return sh.Lab.daemon(lab, provs, api_keys=lab_keys(lab))


def lab_keys(lab):
    import hashlib
    return [{"name": "web",
             "key_sha256": hashlib.sha256(WEB_KEY.encode()).hexdigest(),
             "tenant": "webt", "from_domains": ["example.com"]}]


@pytest.fixture
def server(lab, pki):
    return lab.add(sns.SnsServer(pki))


def sent(d, to=("r1@example.net", "r2@example.net")):
    code, obj, _ = send(d, msg(to=list(to)))
    assert code == 202, obj
    qid = obj["id"]
    m = sh.Api(d).wait_state(qid, "sent", 30)
    return qid, m["rcpts"][0]["provider_message_id"]


def metrics(d):
    code, body, _ = sh.http_request(d.admin_url + "/metrics",
                                    headers=sh.ADMIN_AUTH)
    assert code == 200
    out = {}
    for line in body.decode().splitlines():
        if line.startswith("swerve_feedback_"):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def test_signed_ses_events_are_verified_stored_and_the_cert_fetched_once(
        lab, server, pki):
    d = ses_daemon(lab, server)
    qid, sesid = sent(d)
    assert sesid
    bounce = sns.sign(sns.notification(
        server.host, sns.ses_bounce(sesid, ["r2@example.net"], qid)),
        pki.signer[1])
    code, obj = sns.post(d, bounce)
    assert (code, obj) == (200, {"events": 1, "stored": 1, "duplicates": 0})
    # Version 2 (SHA256withRSA), with a Subject, matched by SES's id only.
    deliv = sns.sign(sns.notification(
        server.host, sns.ses_delivery(sesid, ["R1@Example.NET"]),
        version="2", subject="Amazon SES Email Event Notification"),
        pki.signer[1])
    code, obj = sns.post(d, deliv)
    assert (code, obj) == (200, {"events": 1, "stored": 1, "duplicates": 0})
    # SNS's retry of the same message stores nothing new.
    code, obj = sns.post(d, bounce)
    assert (code, obj) == (200, {"events": 1, "stored": 0, "duplicates": 1})
    # Three posts, one certificate fetch: the cache holds it.
    assert server.cert_hits() == [
        "/SimpleNotificationService-%s.pem" % sns.CERT_HEX]
    code, got = get(d, "/v1/messages/" + qid, key=WEB_KEY)
    assert code == 200
    r1, r2 = got["rcpts"]
    assert r1["outcome"] == "delivered", r1
    assert r2["outcome"] == "bounced" and r2["bounce"] == "hard", r2
    assert "5.1.1" in r2["outcome_text"]
    evs = got["events"]
    assert sorted(e["type"] for e in evs) == ["delivered", "hard_bounce"]
    assert {e["event_id"] for e in evs} == {
        bounce["MessageId"] + ":r2@example.net",
        deliv["MessageId"] + ":R1@example.net"}
    s = metrics(d)
    assert s['swerve_feedback_events_total{provider="ses",type="hard_bounce"}'] == 1
    assert s['swerve_feedback_events_total{provider="ses",type="delivered"}'] == 1


def test_forged_and_foreign_posts_are_refused_and_store_nothing(
        lab, server, pki):
    d = ses_daemon(lab, server)
    qid, sesid = sent(d)
    payload = sns.ses_bounce(sesid, ["r2@example.net"], qid)
    good = sns.notification(server.host, payload)
    host = server.host

    def with_url(url):
        return sns.sign(sns.notification(host, payload, url=url),
                        pki.signer[1])

    forged = sns.sign(good, pki.signer[1])
    forged["Message"] = json.dumps(sns.ses_delivery(sesid, ["r2@example.net"]))
    cases = [
        # (what, message or body, status, reason)
        ("forged signature", forged, 401, "signature"),
        ("signed by a key the CA never certified",
         sns.sign(good, pki.rogue[1]), 401, "signature"),
        ("version 1 signature sent as version 2",
         dict(sns.sign(good, pki.signer[1]), SignatureVersion="2"), 401,
         "signature"),
        ("plain http", with_url("http://%s/SimpleNotificationService-%s.pem"
                                % (host, sns.CERT_HEX)), 403, "forbidden"),
        ("look-alike host", with_url(
            "https://sns.us-east-1.amazonaws.com.evil.example/"
            "SimpleNotificationService-%s.pem" % sns.CERT_HEX), 403,
         "forbidden"),
        ("dash for dot", with_url(
            "https://sns-us-east-1.amazonaws.com/"
            "SimpleNotificationService-%s.pem" % sns.CERT_HEX), 403,
         "forbidden"),
        ("amazonaws.com.evil", with_url(
            "https://amazonaws.com.evil/SimpleNotificationService-%s.pem"
            % sns.CERT_HEX), 403, "forbidden"),
        ("S3 bucket", with_url(
            "https://sns-certs.s3.amazonaws.com/"
            "SimpleNotificationService-%s.pem" % sns.CERT_HEX), 403,
         "forbidden"),
        ("the real SNS host while the test pin is set", with_url(
            "https://sns.us-east-1.amazonaws.com/"
            "SimpleNotificationService-%s.pem" % sns.CERT_HEX), 403,
         "forbidden"),
        ("userinfo", with_url("https://x@%s/SimpleNotificationService-%s.pem"
                              % (host, sns.CERT_HEX)), 403, "forbidden"),
        ("wrong path", with_url("https://%s/cert.pem" % host), 403,
         "forbidden"),
        ("unexpected TopicArn", sns.sign(sns.notification(
            host, payload, topic="arn:aws:sns:us-east-1:666:other"),
            pki.signer[1]), 403, "forbidden"),
        ("oversized body", dict(sns.sign(good, pki.signer[1]),
                                Pad="x" * 20000), 413, "too_large"),
        ("not JSON", b'{"Type":"Notification",', 400, "malformed"),
        ("no SigningCertURL", {k: v for k, v in sns.sign(
            good, pki.signer[1]).items() if k != "SigningCertURL"}, 400,
         "malformed"),
        ("certificate not there", with_url(sns.cert_url(host, "abc")), 503,
         "unavailable"),
        ("certificate behind a redirect", with_url(
            sns.cert_url(host, sns.REDIRECT_HEX)), 503, "unavailable"),
    ]
    for what, m, status, reason in cases:
        code, obj = sns.post(d, m)
        assert code == status, (what, code, obj)
        assert obj["error"]["code"] == reason, (what, obj)
    # Nothing was fetched for any refused URL: only the good certificate
    # (once, for the signature checks) and the two other paths on the
    # pinned host (not there; a redirect, not followed).
    assert server.cert_hits() == [
        "/SimpleNotificationService-%s.pem" % sns.CERT_HEX,
        "/SimpleNotificationService-abc.pem",
        "/SimpleNotificationService-%s.pem" % sns.REDIRECT_HEX], server.hits
    got = sh.Api(d).message(qid)
    assert got["events"] == [] and got["rcpts"][1]["outcome"] is None, got
    s = metrics(d)
    assert sum(v for k, v in s.items()
               if k.startswith("swerve_feedback_events_total")) == 0
    # The same event, signed well, is taken.
    assert sns.post(d, sns.sign(good, pki.signer[1]))[0] == 200


def test_subscription_confirmed_when_auto_confirm(lab, server, pki):
    d = ses_daemon(lab, server, auto_confirm=True)
    sub = sns.sign(sns.subscription(server.host), pki.signer[1])
    code, _ = sns.post(d, sub)
    assert code == 200
    assert server.confirm_hits() == [sub["SubscribeURL"][len(
        "https://" + server.host):]]
    # A SubscribeURL off the pin is refused, however well signed, and
    # never requested.
    off = sns.sign(sns.subscription(
        server.host, subscribe_url="https://sns.us-east-1.amazonaws.com."
        "evil.example/?Action=ConfirmSubscription&Token=1"), pki.signer[1])
    code, obj = sns.post(d, off)
    assert code == 403 and obj["error"]["code"] == "forbidden", obj
    assert len(server.confirm_hits()) == 1


def test_subscription_left_to_the_operator_and_swervectl_confirms(
        lab, server, pki):
    d = ses_daemon(lab, server, auto_confirm=False)
    sub = sns.sign(sns.subscription(server.host), pki.signer[1])
    code, _ = sns.post(d, sub)
    assert code == 200
    assert server.confirm_hits() == []
    d.wait_log(r"swervectl events confirm ses '", timeout=5)
    url = re.search(r"swervectl events confirm ses '([^']+)'",
                    d.log_text()).group(1)
    assert url == sub["SubscribeURL"]
    r = sh.swervectl(["-c", d.config_path, "events", "confirm", "ses", url])
    assert r.returncode == 0, r.stderr
    assert "confirmed" in r.stdout
    assert len(server.confirm_hits()) == 1
    # swervectl holds a URL to the same pin.
    for bad in ("http://%s/?Action=ConfirmSubscription" % server.host,
                "https://sns.us-east-1.amazonaws.com/?Action="
                "ConfirmSubscription",
                "https://%s.evil/?Action=ConfirmSubscription" % server.host):
        r = sh.swervectl(["-c", d.config_path, "events", "confirm", "ses",
                          bad])
        assert r.returncode == 1 and "refused" in r.stderr, (bad, r.stderr)
    assert len(server.confirm_hits()) == 1
