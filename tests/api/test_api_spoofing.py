"""No sender spoofing on the HTTP paths (issue 12, item 2).

A key's from_domains bind every address of every From, Sender,
Resent-From and Resent-Sender field, not only the first From: on the raw
API, on Mailgun messages.mime, and in a JSON request's custom headers
(native, SendGrid, Postmark, Resend). A message with two From or two
Sender fields is refused (400) whoever sends it. Each refusal is in the
endpoint's own error shape, and nothing refused is stored.

The web key may use example.com; the jobs key example.org.
"""

import base64
import json
import urllib.parse

import pytest

from api_client import JOBS_KEY, WEB_KEY, msg, post, send

MG_AUTH = "Basic " + base64.b64encode(("api:" + WEB_KEY).encode()).decode()


def raw(*fields):
    """A raw message with the given sender fields, then To and Subject."""
    return ("\r\n".join(list(fields) + ["To: r@example.net", "Subject: s",
                                        "", "body", ""])).encode()


OWN = ("From: s@example.com",)
SPOOFS = {
    "second-from": (OWN + ("From: ceo@bank.example",), 400, "From"),
    "second-own-from": (OWN + ("From: t@example.com",), 400, "From"),
    "second-sender": (OWN + ("Sender: s@example.com",
                             "Sender: t@example.com"), 400, "Sender"),
    "sender": (OWN + ("Sender: Boss <ceo@bank.example>",), 403, ""),
    "resent-from": (OWN + ("Resent-From: ceo@bank.example",), 403, ""),
    "resent-sender-folded": (OWN + ("Resent-Sender: s@example.com,\r\n"
                                    "\tceo@bank.example",), 403, ""),
    "from-list": (("From: s@example.com, ceo@bank.example",), 400, "From"),
}


@pytest.fixture
def d(lab):
    return lab.daemon()


@pytest.mark.parametrize("name", sorted(SPOOFS))
def test_raw_sender_fields(d, name):
    fields, status, field = SPOOFS[name]
    code, obj, _ = post(d, "/v1/messages/raw", raw(*fields), raw=True)
    assert code == status, (name, code, obj)
    want = "forbidden" if status == 403 else "invalid_message"
    assert obj["error"]["code"] == want, obj
    assert obj["error"].get("field", "") == field, obj
    assert d.spool.count() == 0


def test_raw_own_sender_fields_pass(d):
    body = raw("From: s@example.com", "Sender: ops@example.com",
               "Resent-From: a@example.com",
               "Resent-Sender: b@EXAMPLE.com",
               "Resent-From: c@example.com")
    code, obj, _ = post(d, "/v1/messages/raw", body, raw=True)
    assert code in (200, 202), obj
    # The other key may not send it: every field counts, not the first.
    code, obj, _ = post(d, "/v1/messages/raw?from=x@example.org",
                        raw("From: x@example.org", "Sender: s@example.com"),
                        raw=True, key=JOBS_KEY)
    assert code == 403, obj
    assert d.spool.count() == 1


def mailgun_mime(d, message):
    b = "xyzBOUNDARY"
    body = ("--%s\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\n"
            "r@example.net\r\n--%s\r\nContent-Disposition: form-data; "
            "name=\"message\"; filename=\"m.eml\"\r\n\r\n" % (b, b)).encode() \
        + message + ("\r\n--%s--\r\n" % b).encode()
    return post(d, "/v3/mg.example.com/messages.mime", body, key=None,
                headers={"Authorization": MG_AUTH,
                         "Content-Type": "multipart/form-data; boundary=" + b})


@pytest.mark.parametrize("name,status", [
    ("sender", 403), ("resent-from", 403), ("second-from", 400)])
def test_mailgun_mime_sender_fields(d, name, status):
    code, obj, _ = mailgun_mime(d, raw(*SPOOFS[name][0]))
    assert code == status, (code, obj)
    # Mailgun's error shape: {"message": "..."}.
    assert set(obj) == {"message"}, obj
    assert d.spool.count() == 0
    code, obj, _ = mailgun_mime(d, raw("From: s@example.com",
                                       "Sender: t@example.com"))
    assert code == 200, obj
    assert d.spool.count() == 1


@pytest.mark.parametrize("field", ["Resent-From", "Resent-Sender"])
def test_native_json_custom_sender_headers(d, field):
    code, obj, _ = send(d, msg(headers={field: "Boss <ceo@bank.example>"}))
    assert code == 403, obj
    assert obj["error"]["code"] == "forbidden", obj
    assert d.spool.count() == 0
    code, obj, _ = send(d, msg(headers={field: "Ops <ops@example.com>"}))
    assert code in (200, 202), obj
    assert d.spool.count() == 1


def test_drop_in_json_custom_sender_headers(d):
    bearer = {"Authorization": "Bearer " + WEB_KEY}
    spoof = {"Resent-From": "ceo@bank.example"}
    # SendGrid: {"errors": [{"message", "field", "help"}]}.
    code, obj, _ = post(d, "/v3/mail/send", {
        "personalizations": [{"to": [{"email": "r@example.net"}]}],
        "from": {"email": "s@example.com"}, "subject": "sg",
        "headers": spoof,
        "content": [{"type": "text/plain", "value": "t"}]},
        key=None, headers=bearer)
    assert code == 403, obj
    assert obj["errors"][0]["field"] == "from", obj
    # Postmark: {"ErrorCode", "Message"}.
    code, obj, _ = post(d, "/email", {
        "From": "s@example.com", "To": "r@example.net", "TextBody": "t",
        "Headers": [{"Name": "Resent-From", "Value": "ceo@bank.example"}]},
        key=None, headers={"X-Postmark-Server-Token": WEB_KEY})
    assert code == 422 and obj["ErrorCode"] == 400, (code, obj)
    # Resend: {"statusCode", "name", "message"}.
    code, obj, _ = post(d, "/emails", {
        "from": "s@example.com", "to": "r@example.net", "subject": "rs",
        "text": "t", "headers": spoof}, key=None, headers=bearer)
    assert code == 403 and obj.get("name") == "validation_error", obj
    # Mailgun form: h:Resent-From.
    form = urllib.parse.urlencode({
        "from": "s@example.com", "to": "r@example.net", "subject": "mg",
        "text": "t", "h:Resent-From": "ceo@bank.example"}).encode()
    code, obj, _ = post(d, "/v3/mg.example.com/messages", form, key=None,
                        headers={"Authorization": MG_AUTH,
                                 "Content-Type":
                                 "application/x-www-form-urlencoded"})
    assert code == 403 and set(obj) == {"message"}, (code, obj)
    assert d.spool.count() == 0
