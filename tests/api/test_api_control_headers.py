"""The control headers X-Swerve-Stream and X-Swerve-Idempotency-Key on
every submission path (issue 11: one submission pipeline).

On SMTP, the native API (JSON and raw), and each drop-in endpoint (SES
v1 and v2, SendGrid, Postmark, Mailgun form and MIME, Resend) the
headers are honoured (the message gets the stream; a second request with
the same key stores nothing new) and taken out of the stored message. An
explicit value (the native API's "stream", an Idempotency-Key HTTP
header) that disagrees with the header is refused; a malformed key in a
header is refused on every path, SMTP included.
"""

import base64
import datetime
import hashlib
import hmac
import json
import os
import urllib.error
import urllib.parse
import urllib.request

import pytest

from api_client import WEB_KEY, dh, msg, post, send, sh

AKID = "AKIDSWERVECTL0000001"
SECRET = "ctl/secret/0123456789abcdefghijklmnopqrs"


def streams():
    return {"transactional": {"weight": 10}, "bulk": {"weight": 1}}


@pytest.fixture
def d(lab):
    secret = os.path.join(str(lab.tmp), "ses.secret")
    with open(secret, "w") as f:
        f.write(SECRET + "\n")
    return lab.daemon(streams=streams(), ses_compat={"credentials": [
        {"access_key_id": AKID, "secret_access_key_file": secret,
         "tenant": "sest", "from_domains": ["example.com"]}]})


def request(d, path, body, headers):
    """(status, body bytes) of one POST."""
    r = urllib.request.Request(d.http_url + path, data=body, method="POST",
                               headers=headers)
    try:
        with urllib.request.urlopen(r, timeout=15) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def sigv4(d, path, body, ctype):
    """Headers of a SigV4-signed POST (service ses, region us-east-1)."""
    host = urllib.parse.urlsplit(d.http_url).netloc
    now = datetime.datetime.now(datetime.timezone.utc)
    amz, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    signed = "content-type;host;x-amz-date"
    canon = "\n".join(["POST", path, "",
                       "content-type:" + ctype, "host:" + host,
                       "x-amz-date:" + amz, "", signed,
                       hashlib.sha256(body).hexdigest()])
    scope = "%s/us-east-1/ses/aws4_request" % day
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz, scope,
                         hashlib.sha256(canon.encode()).hexdigest()])
    k = ("AWS4" + SECRET).encode()
    for part in (day, "us-east-1", "ses", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    return {"Content-Type": ctype, "X-Amz-Date": amz,
            "Authorization": "AWS4-HMAC-SHA256 Credential=%s/%s, "
                             "SignedHeaders=%s, Signature=%s"
                             % (AKID, scope, signed, sig)}


def raw_message(key):
    return ("From: s@example.com\r\nTo: r@example.net\r\nSubject: raw\r\n"
            "X-Swerve-Stream: bulk\r\nX-Swerve-Idempotency-Key: %s\r\n"
            "\r\nbody\r\n" % key).encode()


BEARER = {"Authorization": "Bearer " + WEB_KEY,
          "Content-Type": "application/json"}
MG_AUTH = "Basic " + base64.b64encode(("api:" + WEB_KEY).encode()).decode()
CTL = {"X-Swerve-Stream": "bulk"}


def native_json(d, key):
    return send(d, msg(headers=dict(CTL, **{"X-Swerve-Idempotency-Key": key})))[0]


def native_raw(d, key):
    return post(d, "/v1/messages/raw", raw_message(key), raw=True)[0]


def sendgrid(d, key):
    body = {"personalizations": [{"to": [{"email": "r@example.net"}]}],
            "from": {"email": "s@example.com"}, "subject": "sg",
            "headers": dict(CTL, **{"X-Swerve-Idempotency-Key": key}),
            "content": [{"type": "text/plain", "value": "t"}]}
    return request(d, "/v3/mail/send", json.dumps(body).encode(), BEARER)[0]


def postmark(d, key):
    body = {"From": "s@example.com", "To": "r@example.net", "TextBody": "t",
            "Headers": [{"Name": "X-Swerve-Stream", "Value": "bulk"},
                        {"Name": "X-Swerve-Idempotency-Key", "Value": key}]}
    return request(d, "/email", json.dumps(body).encode(),
                   {"X-Postmark-Server-Token": WEB_KEY,
                    "Content-Type": "application/json"})[0]


def resend(d, key):
    body = {"from": "s@example.com", "to": "r@example.net", "subject": "rs",
            "text": "t",
            "headers": dict(CTL, **{"X-Swerve-Idempotency-Key": key})}
    return request(d, "/emails", json.dumps(body).encode(), BEARER)[0]


def mailgun_form(d, key):
    body = urllib.parse.urlencode({
        "from": "s@example.com", "to": "r@example.net", "subject": "mg",
        "text": "t", "h:X-Swerve-Stream": "bulk",
        "h:X-Swerve-Idempotency-Key": key}).encode()
    return request(d, "/v3/mg.example.com/messages", body, {
        "Authorization": MG_AUTH,
        "Content-Type": "application/x-www-form-urlencoded"})[0]


def mailgun_mime(d, key):
    b = "xyzBOUNDARY"
    body = ("--%s\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\n"
            "r@example.net\r\n--%s\r\nContent-Disposition: form-data; "
            "name=\"message\"; filename=\"m.eml\"\r\n\r\n" % (b, b)).encode() \
        + raw_message(key) + ("\r\n--%s--\r\n" % b).encode()
    return request(d, "/v3/mg.example.com/messages.mime", body, {
        "Authorization": MG_AUTH,
        "Content-Type": "multipart/form-data; boundary=" + b})[0]


def ses_v2_simple(d, key):
    body = json.dumps({
        "FromEmailAddress": "s@example.com",
        "Destination": {"ToAddresses": ["r@example.net"]},
        "Content": {"Simple": {
            "Subject": {"Data": "v2"}, "Body": {"Text": {"Data": "t"}},
            "Headers": [{"Name": "X-Swerve-Stream", "Value": "bulk"},
                        {"Name": "X-Swerve-Idempotency-Key", "Value": key}]}},
    }).encode()
    path = "/v2/email/outbound-emails"
    return request(d, path, body, sigv4(d, path, body, "application/json"))[0]


def ses_v2_raw(d, key):
    body = json.dumps({"Content": {"Raw": {
        "Data": base64.b64encode(raw_message(key)).decode()}}}).encode()
    path = "/v2/email/outbound-emails"
    return request(d, path, body, sigv4(d, path, body, "application/json"))[0]


def ses_v1_raw(d, key):
    body = urllib.parse.urlencode({
        "Action": "SendRawEmail", "Version": "2010-12-01",
        "RawMessage.Data": base64.b64encode(raw_message(key)).decode()}).encode()
    ct = "application/x-www-form-urlencoded"
    return request(d, "/", body, sigv4(d, "/", body, ct))[0]


PATHS = [native_json, native_raw, sendgrid, postmark, resend, mailgun_form,
         mailgun_mime, ses_v2_simple, ses_v2_raw, ses_v1_raw]


@pytest.mark.parametrize("path", PATHS, ids=[p.__name__ for p in PATHS])
def test_control_headers_are_honoured_and_removed(d, path):
    st = path(d, "ctl-" + path.__name__)
    assert 200 <= st < 300, st
    stored = d.spool.messages()
    assert len(stored) == 1, stored
    (qid, row), = stored.items()
    assert row["stream"] == "bulk", row
    assert row["idempotency_key"] == "ctl-" + path.__name__, row
    assert b"X-Swerve" not in d.spool.body(qid)
    # The key is honoured: the same request again stores nothing.
    st = path(d, "ctl-" + path.__name__)
    assert 200 <= st < 300, st
    assert d.spool.count() == 1


def test_explicit_values_and_headers_must_agree(d):
    code, obj, _ = send(d, msg(stream="transactional", headers=CTL))
    assert code == 400 and obj["error"]["field"] == "X-Swerve-Stream", obj
    code, obj, _ = send(d, msg(headers={"X-Swerve-Stream": "vip"}))
    assert code == 400 and obj["error"]["field"] == "X-Swerve-Stream", obj
    code, obj, _ = send(d, msg(idempotency_key="a", headers={
        "X-Swerve-Idempotency-Key": "b"}))
    assert code == 400, obj
    code, obj, _ = post(d, "/v1/messages/raw", raw_message("in-message"),
                        raw=True, headers={"Idempotency-Key": "other"})
    assert code == 400, obj
    assert obj["error"]["field"] == "X-Swerve-Idempotency-Key", obj
    # Agreeing values are one request.
    code, obj, _ = send(d, msg(stream="bulk", headers=CTL))
    assert code == 202, obj
    assert d.spool.count() == 1


def test_smtp_refuses_a_malformed_key_as_http_does(d):
    c = sh.SMTPConn(d.smtp_port, timeout=10)
    try:
        assert c.ehlo("client.test").code == 250
        rs = c.mail("a@example.com", ["b@example.net"], sh.message(
            headers=["X-Swerve-Idempotency-Key: two words"]))
        assert rs[-1].code == 554, rs
    finally:
        c.close()
    code, obj, _ = post(d, "/v1/messages/raw",
                        raw_message("two words"), raw=True)
    assert code == 400, obj
    assert d.spool.count() == 0
    # A good key over SMTP still works, and the stream header too.
    qid = dh.submit(d, "a@example.com", ["b@example.net"], sh.message(
        headers=["X-Swerve-Idempotency-Key: smtp-ok", "X-Swerve-Stream: bulk"]))
    row = d.spool.message(qid)
    assert row["stream"] == "bulk" and row["idempotency_key"] == "smtp-ok"
