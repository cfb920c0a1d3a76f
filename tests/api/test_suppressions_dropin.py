"""A suppressed recipient on each drop-in endpoint, in that endpoint's
own format (docs/drop-in.md#suppressed-recipients).

With suppression.on_submit refuse, a message whose every recipient is on
the tenant's list is refused in the provider's error shape (SendGrid
400 errors[], Postmark 422 ErrorCode 406, Mailgun 400 message, SES v2
MessageRejected, SES v1 XML MessageRejected, Resend 422
validation_error); one with other recipients is accepted for them and
the suppressed one is recorded in meta.suppressed, never sent. SendGrid's
mail_settings.bypass_list_management lets it through.
"""

import base64
import json
import os
import urllib.parse

import pytest

from api_client import WEB_KEY, get, sh
import test_api_control_headers as ch

GONE = "gone@example.net"


@pytest.fixture
def d(lab):
    secret = os.path.join(str(lab.tmp), "ses.secret")
    with open(secret, "w") as f:
        f.write(ch.SECRET + "\n")
    d = lab.daemon(ses_compat={"credentials": [
        {"access_key_id": ch.AKID, "secret_access_key_file": secret,
         "tenant": "webt", "from_domains": ["example.com"]}]})
    code, _, _ = sh.http_request(
        d.http_url + "/v1/suppressions", "POST",
        json.dumps({"address": GONE, "reason": "hard_bounce"}).encode(),
        {"Authorization": "Bearer " + WEB_KEY,
         "Content-Type": "application/json"})
    assert code == 200
    return d


def sendgrid(d, to, bypass=False):
    body = {"personalizations": [{"to": [{"email": a} for a in to]}],
            "from": {"email": "s@example.com"}, "subject": "sg",
            "content": [{"type": "text/plain", "value": "t"}]}
    if bypass:
        body["mail_settings"] = {"bypass_list_management": {"enable": True}}
    return ch.request(d, "/v3/mail/send", json.dumps(body).encode(),
                      ch.BEARER)


def postmark(d, to):
    body = {"From": "s@example.com", "To": ", ".join(to), "TextBody": "t"}
    return ch.request(d, "/email", json.dumps(body).encode(),
                      {"X-Postmark-Server-Token": WEB_KEY,
                       "Content-Type": "application/json"})


def mailgun(d, to):
    body = urllib.parse.urlencode([("from", "s@example.com"),
                                   ("subject", "mg"), ("text", "t")]
                                  + [("to", a) for a in to]).encode()
    return ch.request(d, "/v3/mg.example.com/messages", body, {
        "Authorization": ch.MG_AUTH,
        "Content-Type": "application/x-www-form-urlencoded"})


def resend(d, to):
    body = {"from": "s@example.com", "to": to, "subject": "rs", "text": "t"}
    return ch.request(d, "/emails", json.dumps(body).encode(), ch.BEARER)


def ses_v2(d, to):
    body = json.dumps({
        "FromEmailAddress": "s@example.com",
        "Destination": {"ToAddresses": to},
        "Content": {"Simple": {"Subject": {"Data": "v2"},
                               "Body": {"Text": {"Data": "t"}}}}}).encode()
    path = "/v2/email/outbound-emails"
    return ch.request(d, path, body,
                      ch.sigv4(d, path, body, "application/json"))


def ses_v1_raw(d, to):
    raw = ("From: s@example.com\r\nTo: %s\r\nSubject: raw\r\n\r\nbody\r\n"
           % ", ".join(to)).encode()
    params = [("Action", "SendRawEmail"), ("Version", "2010-12-01"),
              ("RawMessage.Data", base64.b64encode(raw).decode())]
    params += [("Destinations.member.%d" % (i + 1), a)
               for i, a in enumerate(to)]
    body = urllib.parse.urlencode(params).encode()
    ct = "application/x-www-form-urlencoded"
    return ch.request(d, "/", body, ch.sigv4(d, "/", body, ct))


def js(body):
    return json.loads(body)


REFUSED = {
    "sendgrid": (sendgrid, lambda st, b: st == 400 and
                 GONE in js(b)["errors"][0]["message"].lower()),
    "postmark": (postmark, lambda st, b: st == 422 and
                 js(b)["ErrorCode"] == 406 and GONE in js(b)["Message"].lower()),
    "mailgun": (mailgun, lambda st, b: st == 400 and
                GONE in js(b)["message"].lower()),
    "resend": (resend, lambda st, b: st == 422 and
               js(b)["name"] == "validation_error" and
               GONE in js(b)["message"].lower()),
    "ses_v2": (ses_v2, lambda st, b: st == 400 and GONE in js(b)["message"].lower()),
    "ses_v1_raw": (ses_v1_raw, lambda st, b: st == 400 and
                   b"<Code>MessageRejected</Code>" in b and
                   GONE.encode() in b.lower()),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_every_recipient_suppressed_is_refused_in_its_format(d, name):
    fn, ok = REFUSED[name]
    st, body = fn(d, [GONE.upper()])
    assert ok(st, body), (st, body)
    assert d.spool.count() == 0


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_others_accepted_suppressed_recorded(d, name):
    fn, _ = REFUSED[name]
    st, body = fn(d, [GONE, "ok@example.net"])
    assert 200 <= st < 300, (st, body)
    stored = d.spool.messages()
    assert len(stored) == 1
    (qid, _), = stored.items()
    code, m = get(d, "/v1/messages/" + qid)
    assert [r["address"] for r in m["rcpts"]] == ["ok@example.net"], m
    assert m["meta"]["suppressed"] == [{"address": GONE,
                                        "reason": "hard_bounce"}]


def test_sendgrid_bypass_list_management_sends(d):
    st, body = sendgrid(d, [GONE], bypass=True)
    assert st == 202, (st, body)
    (qid, _), = d.spool.messages().items()
    code, m = get(d, "/v1/messages/" + qid)
    assert [r["address"] for r in m["rcpts"]] == [GONE]
    assert "suppressed" not in m["meta"]
