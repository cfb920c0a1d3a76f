"""Amazon SES feedback end to end through swerve-mock (issue 14): swerved
sends through the mock's SES API; the mock emits each recipient's SES
event in an SNS Notification signed with a test RSA key (SignatureVersion
2 by default), after the SubscriptionConfirmation handshake, and serves
the signing certificate over HTTPS on its --sns listener. swerved is
pointed there with its test-only keys sns_cert_host and sns_trust_anchor,
so the whole SNS path is real: swerved follows SubscribeURL to confirm,
fetches SigningCertURL over TLS, checks the chain and the signature.

  - the handshake: the mock holds notifications until swerved confirmed;
  - a bounce and a complaint reach swerved: the recipients are bounced
    (hard) and complained, the delivered one delivered, the two
    addresses suppressed for the tenant, and the next send to them is
    refused (422 on the native API);
  - SignatureVersion 1 (SHA1withRSA) verifies too;
  - a tampered signature (the mock signs with a key that is not the
    certificate's) is refused: nothing is recorded or suppressed, and the
    mock counts the refused posts as failed.
"""

import hashlib
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


def mock_with_sns(lab, pki):
    """A swerve-mock with its SNS stand-in; (mock, "localhost:PORT")."""
    m = lab.mock("up", extra=("--sns", "%s:0" % sh.HOST,
                              "--sns-tls-cert", pki.server[0],
                              "--sns-tls-key", pki.server[1]))
    found = re.search(r"mock\[up\]: sns listening on \S+ \(port (\d+)\)",
                      m.log_text())
    assert found, m.log_text()[-2000:]
    return m, "localhost:%s" % found.group(1)


def ses_lab(lab, pki, **events):
    m, host = mock_with_sns(lab, pki)
    ev = {"topic_arns": [sns.TOPIC], "sns_cert_host": host,
          "sns_trust_anchor": pki.ca_file}
    ev.update(events)
    provs = [{"name": "ses", "type": "ses", "endpoint": m.url,
              "access_key_id": AKID, "secret_access_key": SECRET,
              "region": "us-east-1", "priority": 1,
              "request_timeout": "5s", "events": ev}]
    d = sh.Lab.daemon(lab, provs, api_keys=[
        {"name": "web",
         "key_sha256": hashlib.sha256(WEB_KEY.encode()).hexdigest(),
         "tenant": "webt", "from_domains": ["example.com"]}])
    return m, host, d


def configure(m, d, pki, key=None, **ses):
    target = {"url": d.http_url + "/feedback/ses", "topic_arn": sns.TOPIC,
              "signing_key_file": key or pki.signer[1],
              "signing_cert_file": pki.signer[0]}
    target.update(ses)
    code, out, _ = sh.http_request(
        m.url + "/feedback", "PUT",
        json.dumps({"after_ms": 100, "retry_ms": 200, "max_attempts": 3,
                    "ses": target}).encode(),
        {"Content-Type": "application/json"})
    assert code == 200, out
    return json.loads(out)


def feedback_state(m):
    code, obj = sh.http_json(m.url + "/feedback")
    assert code == 200, obj
    return obj


def send_each(d, rcpts):
    ids = {}
    for r in rcpts:
        code, obj, _ = send(d, msg(to=[r]))
        assert code == 202, obj
        ids[r] = obj["id"]
    return ids


def suppressed(d):
    code, out, _ = sh.http_request(d.http_url + "/v1/suppressions", "GET",
                                   None,
                                   {"Authorization": "Bearer " + WEB_KEY})
    assert code == 200, out
    obj = json.loads(out)
    items = obj.get("suppressions", obj) if isinstance(obj, dict) else obj
    return sorted(i["address"].lower() for i in items)


@pytest.mark.parametrize("version", [2, 1])
def test_ses_events_through_sns_become_outcomes_and_suppressions(
        lab, pki, version):
    m, host, d = ses_lab(lab, pki)
    out = configure(m, d, pki, signature_version=version)
    assert out["sns"]["subscription"] == "pending", out
    assert out["sns"]["cert_url"].startswith(
        "https://%s/SimpleNotificationService-" % host), out
    # swerved verified the SubscriptionConfirmation (fetching the
    # certificate from the mock over HTTPS) and followed SubscribeURL.
    sh.wait_until(lambda: feedback_state(m)["sns"]["subscription"] ==
                  "confirmed", 20, what="the SNS subscription confirmed")
    sh.wait_until(lambda: "SNS subscription to %s confirmed" % sns.TOPIC
                  in d.log_text(), 10, what="swerved logs the confirmation")

    rcpts = ["bounce-ses@example.net", "complaint-ses@example.net",
             "fine-ses@example.net"]
    ids = send_each(d, rcpts)
    api = sh.Api(d)
    want = {"bounce-ses@example.net": ("bounced", "hard"),
            "complaint-ses@example.net": ("complained", None),
            "fine-ses@example.net": ("delivered", None)}

    def settled():
        return all((api.message(ids[r])["rcpts"][0]["outcome"],
                    api.message(ids[r])["rcpts"][0].get("bounce")) == w
                   for r, w in want.items())
    try:
        sh.wait_until(settled, 30, what="the SES outcomes")
    except AssertionError:
        raise AssertionError((feedback_state(m),
                              [api.message(i)["rcpts"] for i in ids.values()],
                              d.log_tail(30)))
    code, got = get(d, "/v1/messages/" + ids["bounce-ses@example.net"],
                    key=WEB_KEY)
    assert code == 200
    ev = got["events"]
    assert [e["type"] for e in ev] == ["hard_bounce"], ev
    assert ev[0]["provider"] == "ses" and ev[0]["enhanced"] == "5.1.1", ev
    code, got = get(d, "/v1/messages/" + ids["complaint-ses@example.net"],
                    key=WEB_KEY)
    assert sorted(e["type"] for e in got["events"]) == [
        "complaint", "delivered"], got["events"]

    gone = ["bounce-ses@example.net", "complaint-ses@example.net"]
    sh.wait_until(lambda: suppressed(d) == gone, 20,
                  what="suppression entries %r" % gone)
    for r in gone:
        code, obj, _ = send(d, msg(to=[r]))
        assert code == 422, (r, code, obj)
    code, obj, _ = send(d, msg(to=["fine-ses@example.net"]))
    assert code == 202, obj

    st = feedback_state(m)["stats"]
    assert st["failed"] == 0 and st["posted"] >= 5, st
    # swerved fetched the certificate from the mock (once: it caches it).
    assert m.log_text().count("sns: served /SimpleNotificationService-") \
        == 1, m.log_text()[-3000:]


def test_a_tampered_signature_is_refused_and_records_nothing(lab, pki):
    m, host, d = ses_lab(lab, pki)
    # The mock signs with a key the certificate does not certify (and
    # skips the handshake, which would be refused the same way).
    configure(m, d, pki, key=pki.rogue[1], subscribe=False)
    ids = send_each(d, ["bounce-bad@example.net"])
    sh.wait_until(lambda: feedback_state(m)["stats"]["failed"] >= 1, 20,
                  what="the mock's post refused")
    assert feedback_state(m)["stats"]["posted"] == 0
    assert "signature" in d.log_text()
    r = sh.Api(d).message(ids["bounce-bad@example.net"])["rcpts"][0]
    assert r["outcome"] is None, r
    assert suppressed(d) == []
    code, obj, _ = send(d, msg(to=["bounce-bad@example.net"]))
    assert code == 202, obj


def test_notifications_wait_for_the_subscription(lab, pki):
    """auto_confirm false: swerved logs the swervectl command and confirms
    nothing, so SNS (the mock) delivers no notification."""
    m, host, d = ses_lab(lab, pki, auto_confirm=False)
    configure(m, d, pki)
    sh.wait_until(lambda: "waits for an operator" in d.log_text(), 20,
                  what="swerved logs the subscription")
    ids = send_each(d, ["bounce-wait@example.net"])
    sh.Api(d).wait_state(ids["bounce-wait@example.net"], "sent", 20)
    import time
    time.sleep(1.0)
    st = feedback_state(m)
    assert st["sns"]["subscription"] == "pending", st
    assert st["stats"]["pending"] >= 1, st
    r = sh.Api(d).message(ids["bounce-wait@example.net"])["rcpts"][0]
    assert r["outcome"] is None, r
