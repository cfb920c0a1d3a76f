"""Mailgun's drop-in endpoint field by field (issue 13: no silent drops).

At a recording upstream (swerve-mock over SMTP): file parts named
attachment[0], attachment[1] and inline[0] (what Symfony's mailgun+api
bridge and mailgun.js send) arrive as attachments and an inline part;
the id answered is the Message-ID of the message delivered; X-Mailgun-*
control fields of a messages.mime message are read and never relayed.
On the message (GET /v1/messages/ID): tags, variables and tracking
switches. o:testmode is answered like Mailgun and never delivered;
o:deliverytime holds the message; unsupported options are refused in
Mailgun's shape, naming the option, and store nothing.
"""

import base64
import email
import email.policy
import email.utils
import json
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from api_client import WEB_KEY, dh, get

MG_AUTH = "Basic " + base64.b64encode(("api:" + WEB_KEY).encode()).decode()
PDF = b"%PDF-1.4\n\x00\x01\x02\xff\n%%EOF\n"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUl"
                       "EQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


@pytest.fixture
def up(lab):
    """(daemon, mock): swerved relaying to a recording swerve-mock."""
    m = lab.mock()
    return lab.daemon(m), m


def request(d, path, body, ctype):
    r = urllib.request.Request(d.http_url + path, data=body, method="POST",
                               headers={"Authorization": MG_AUTH,
                                        "Content-Type": ctype})
    try:
        with urllib.request.urlopen(r, timeout=15) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def multipart(fields):
    """A multipart/form-data body of (name, value) or (name, filename,
    ctype, bytes) items -> (body, content type)."""
    b = "mgpmBOUNDARY42"
    out = b""
    for f in fields:
        if len(f) == 2:
            out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\""
                    "\r\n\r\n" % (b, f[0])).encode() + f[1].encode() + b"\r\n"
        else:
            out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; "
                    "filename=\"%s\"\r\nContent-Type: %s\r\n\r\n"
                    % (b, f[0], f[1], f[2])).encode() + f[3] + b"\r\n"
    out += ("--%s--\r\n" % b).encode()
    return out, "multipart/form-data; boundary=" + b


def messages(d, fields):
    return request(d, "/v3/mg.example.com/messages",
                   *multipart([("from", "App <app@example.com>"),
                               ("to", "rcpt@example.net"),
                               ("subject", "hello")] + fields))


def mime(d, msg, fields=()):
    return request(d, "/v3/mg.example.com/messages.mime",
                   *multipart([("to", "rcpt@example.net")] + list(fields) +
                              [("message", "message.mime",
                                "message/rfc822", msg)]))


def arrived(m, n=1):
    dh.wait_until(lambda: len(m.messages()) >= n, 20,
                  what="%d message(s) at the upstream" % n)
    got = m.messages()[n - 1]
    raw = m.raw(got["id"])
    return raw, email.message_from_bytes(raw, policy=email.policy.default)


def only_message(d):
    stored = d.spool.messages()
    assert len(stored) == 1, stored
    return next(iter(stored))


def meta_of(d, qid):
    code, obj = get(d, "/v1/messages/" + qid)
    assert code == 200, obj
    return obj.get("meta", {})


def test_indexed_file_parts_arrive_and_id_is_the_message_id(up):
    d, m = up
    st, obj = messages(d, [
        ("text", "see attached"),
        ("html", '<p>logo <img src="cid:logo.png"></p>'),
        ("attachment[0]", "report.pdf", "application/pdf", PDF),
        ("attachment[1]", "notes.txt", "text/plain", b"line one\r\n"),
        ("inline[0]", "logo.png", "image/png", PNG)])
    assert st == 200 and obj["message"] == "Queued. Thank you.", obj
    raw, msg = arrived(m)
    parts = {p.get_filename(): p for p in msg.walk() if p.get_filename()}
    assert parts["report.pdf"].get_content() == PDF
    assert parts["notes.txt"].get_content().replace("\r\n", "\n") == \
        "line one\n"
    assert parts["logo.png"].get_content() == PNG
    assert parts["logo.png"]["Content-ID"] == "<logo.png>"
    # Mailgun answers the Message-Id it put in the message; so does swerve.
    assert obj["id"] == msg["Message-ID"], (obj, msg["Message-ID"])


def test_mime_control_fields_are_read_and_never_relayed(up):
    d, m = up
    msg = (b"From: App <app@example.com>\r\nTo: rcpt@example.net\r\n"
           b"Subject: mime\r\nMessage-ID: <caller.1@example.com>\r\n"
           b"X-Mailgun-Tag: invoice\r\nX-Mailgun-Tag: eu\r\n"
           b"X-Mailgun-Variables: {\"order\": \"4711\"}\r\n"
           b"X-Mailgun-Track: no\r\nX-Mailgun-Dkim: yes\r\n"
           b"X-Other: stays\r\n\r\nbody\r\n")
    st, obj = mime(d, msg, [("v:user", "7")])
    assert st == 200, obj
    raw, got = arrived(m)
    assert b"X-Mailgun" not in raw.split(b"\r\n\r\n")[0], raw[:600]
    assert got["X-Other"] == "stays"
    assert got["Message-ID"] == "<caller.1@example.com>"
    assert obj["id"] == "<caller.1@example.com>", obj
    meta = meta_of(d, only_message(d))
    assert meta, "no meta stored"
    assert [t["name"] for t in meta["tags"]] == ["invoice", "eu"], meta
    assert meta["metadata"] == {"order": "4711", "user": "7"}, meta
    assert meta["track_opens"] is False and meta["track_clicks"] is False


def test_tags_and_variables_are_stored_on_the_message(up):
    d, m = up
    st, obj = messages(d, [
        ("text", "t"), ("o:tag", "welcome"), ("o:tag", "onboarding"),
        ("v:user-id", "42"),
        ("h:X-Mailgun-Variables", json.dumps({"plan": {"tier": "pro"}})),
        ("o:tracking-opens", "yes"), ("o:tracking-clicks", "no"),
        ("o:sending-ip-pool", "pool-a")])
    assert st == 200, obj
    raw, got = arrived(m)
    assert b"X-Mailgun" not in raw and b"pool-a" not in raw
    meta = meta_of(d, only_message(d))
    assert meta, "no meta stored"
    assert [t["name"] for t in meta["tags"]] == ["welcome", "onboarding"]
    assert meta["metadata"] == {"user-id": "42", "plan": {"tier": "pro"}}
    assert meta["track_opens"] is True and meta["track_clicks"] is False
    assert meta["ip_pool"] == "pool-a"


def test_testmode_is_answered_and_never_delivered(up):
    d, m = up
    st, obj = messages(d, [("text", "a test"), ("o:testmode", "yes")])
    assert st == 200 and obj["id"].startswith("<"), obj
    qid = only_message(d)
    meta = meta_of(d, qid)
    assert meta, "no meta stored"
    assert meta.get("sandbox") is True, meta
    # A real message sent after it arrives; the test one never does.
    st, obj = messages(d, [("text", "a real one")])
    assert st == 200, obj
    raw, got = arrived(m)
    assert got.get_body(("plain",)).get_content().strip() == "a real one"
    time.sleep(0.5)
    assert len(m.messages()) == 1
    code, o = get(d, "/v1/messages/" + qid)
    assert o["state"] == "sandboxed", o


def test_deliverytime_holds_the_message(up):
    d, m = up
    when = email.utils.formatdate(time.time() + 7200, usegmt=True)
    st, obj = messages(d, [("text", "later"), ("o:deliverytime", when)])
    assert st == 200, obj
    qid = only_message(d)
    meta = meta_of(d, qid)
    assert meta, "no meta stored"
    assert abs(meta["send_at"] - (time.time() + 7200)) < 5, meta
    st, obj = messages(d, [("text", "now")])
    assert st == 200, obj
    arrived(m)
    time.sleep(0.5)
    assert len(m.messages()) == 1
    code, o = get(d, "/v1/messages/" + qid)
    assert o["state"] == "scheduled", o


def test_recipient_variables_send_one_message_per_recipient(up):
    d, m = up
    st, obj = request(d, "/v3/mg.example.com/messages", *multipart([
        ("from", "App <app@example.com>"),
        ("to", "Bea <bea@example.net>, cy@example.net"),
        ("subject", "Hello %recipient.first%"),
        ("text", "Your code: %recipient.code%"),
        ("v:batch", "spring"),
        ("recipient-variables", json.dumps({
            "bea@example.net": {"first": "Bea", "code": 17},
            "cy@example.net": {"first": "Cy", "code": 23}}))]))
    assert st == 200 and obj["message"] == "Queued. Thank you.", obj
    dh.wait_until(lambda: len(m.messages()) >= 2, 20, what="two messages")
    got = {}
    for rec in m.messages():
        assert len(rec["rcpt_to"]) == 1, rec
        msg = email.message_from_bytes(m.raw(rec["id"]),
                                       policy=email.policy.default)
        got[rec["rcpt_to"][0]] = msg
    assert set(got) == {"bea@example.net", "cy@example.net"}
    bea, cy = got["bea@example.net"], got["cy@example.net"]
    # Each recipient sees only its own address, and its own variables.
    assert bea["To"] == "Bea <bea@example.net>" and cy["To"] == "cy@example.net"
    assert bea["Subject"] == "Hello Bea" and cy["Subject"] == "Hello Cy"
    assert bea.get_body(("plain",)).get_content().strip() == "Your code: 17"
    assert cy.get_body(("plain",)).get_content().strip() == "Your code: 23"
    # The id answered is the first message's Message-ID.
    assert obj["id"] == bea["Message-ID"], (obj, bea["Message-ID"])
    assert d.spool.count() == 2


@pytest.mark.parametrize("field,value", [
    ("o:deliverytime", "Mon, 01 Jan 2099 00:00:00 +0000"),
    ("o:deliverytime", "tomorrow"),
    ("o:sending-ip", "192.0.2.7"),
    ("o:require-tls", "yes"),
    ("o:dkim", "no"),
    ("o:tag", "a"),  # the fourth tag
    ("recipient-variables", "[1]"),
    ("template", "welcome"),
    ("amp-html", "<html></html>"),
    ("o:made-up", "1"),
])
def test_refusals_name_the_field_and_store_nothing(up, field, value):
    d, m = up
    extra = [("o:tag", "x"), ("o:tag", "y"), ("o:tag", "z")] \
        if field == "o:tag" else []
    st, obj = messages(d, [("text", "t")] + extra + [(field, value)])
    assert st == 400 and field in obj["message"], obj
    assert set(obj) == {"message"}, obj
    assert d.spool.count() == 0
    # messages.mime refuses the same option, and the X-Mailgun field.
    st, obj = mime(d, b"From: app@example.com\r\nSubject: s\r\n\r\nb\r\n",
                   extra + [(field, value)])
    assert st == 400 and field in obj["message"], obj
    assert d.spool.count() == 0
