"""test_providers_fidelity - what each HTTP provider receives, end to end.

swerved with one HTTP provider pointed at swerve-mock (which checks each
API's authentication, SigV4 included, the way the real service does):

  - raw fidelity: SES (SendEmail Content.Raw) and Mailgun (messages.mime)
    receive the spooled message byte for byte, 8-bit bytes, dot-led lines
    and trailing spaces included, sent to exactly the envelope recipients
    and tagged with swerve's id; the provider's message id is stored;
  - JSON fidelity: SendGrid, Postmark and Resend receive the right fields
    for a message with text + HTML + an attachment + an inline image + a
    non-ASCII subject and display name, To/Cc/Bcc split by the envelope,
    swerve's id in custom_args / Metadata / tags (and Resend's
    Idempotency-Key);
  - a message a JSON provider cannot carry (multipart/signed) is routed to
    a raw-MIME provider instead, and the trace says why.
"""

import base64
import json

import pytest

import swerve_harness as sh
from providers_helpers import http_provider

SENDER = "bounce@example.com"

RAW = (b"From: Alice <alice@example.com>\r\nTo: bob@example.net\r\n"
       b"Subject: =?UTF-8?B?w6l0w6k=?=\r\nMIME-Version: 1.0\r\n"
       b"Content-Type: text/plain; charset=utf-8\r\n"
       b"Content-Transfer-Encoding: 8bit\r\n\r\n"
       b"caf\xc3\xa9 \r\n.leading dot\r\n..two dots\r\n\r\nlast line  \r\n")

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


def rich():
    """text + HTML + inline image + attachment, non-ASCII subject/name."""
    b64 = lambda b: base64.encodebytes(b).replace(b"\n", b"\r\n")  # noqa: E731
    return (b"From: =?utf-8?q?J=C3=BCrgen?= <jurgen@example.com>\r\n"
            b"To: Bob <bob@example.net>, carol@example.net\r\n"
            b"Cc: Dave <dave@example.org>\r\n"
            b"Reply-To: replies@example.com\r\n"
            b"Subject: =?utf-8?b?R3LDvMOfZSDwn5GL?=\r\n"
            b"Message-ID: <rich.1@example.com>\r\n"
            b"X-Campaign: spring\r\n"
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"MIX\"\r\n\r\n"
            b"--MIX\r\nContent-Type: multipart/alternative; boundary=\"ALT\"\r\n\r\n"
            b"--ALT\r\nContent-Type: text/plain; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            b"Hall=C3=B6chen, see the logo.\r\n"
            b"--ALT\r\nContent-Type: multipart/related; boundary=\"REL\"\r\n\r\n"
            b"--REL\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            b"<p>Hall\xc3\xb6chen <img src=\"cid:logo@x\"></p>\r\n"
            b"--REL\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\n"
            b"Content-Disposition: inline; filename=\"logo.png\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + b64(PNG) +
            b"--REL--\r\n--ALT--\r\n"
            b"--MIX\r\nContent-Type: application/pdf; name=\"r\xc3\xa9sum\xc3\xa9.pdf\"\r\n"
            b"Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + b64(PDF) +
            b"--MIX--\r\n")


# What the rich message must arrive as, in every JSON provider.
WANT = {
    "from": ("jurgen@example.com", "J\u00fcrgen"),
    "to": ["bob@example.net", "carol@example.net"],
    "cc": ["dave@example.org"],
    "bcc": ["eve@example.com"],
    "subject": "Gr\u00fc\u00dfe \U0001f44b",
    "text": "Hall\u00f6chen, see the logo.",
    "html": "<p>Hall\u00f6chen <img src=\"cid:logo@x\"></p>",
    "attachments": {"logo.png": ("image/png", PNG, "logo@x"),
                    "r\u00e9sum\u00e9.pdf": ("application/pdf", PDF, None)},
    "header": ("X-Campaign", "spring"),
}
RCPTS = ["bob@example.net", "carol@example.net", "dave@example.org",
         "eve@example.com"]


def split_addr(s):
    """'Name <a@b>' -> (a@b, Name); 'a@b' -> (a@b, None)."""
    if "<" in s:
        name, addr = s.rsplit("<", 1)
        name = name.strip().strip('"') or None
        return addr.rstrip(">").strip(), name
    return s.strip(), None


def normalise(kind, doc):
    """The provider's JSON in one common shape."""
    if kind == "sendgrid":
        p = doc["personalizations"][0]
        content = {c["type"]: c["value"] for c in doc["content"]}
        return {
            "from": (doc["from"]["email"], doc["from"].get("name")),
            "to": [a["email"] for a in p.get("to", [])],
            "cc": [a["email"] for a in p.get("cc", [])],
            "bcc": [a["email"] for a in p.get("bcc", [])],
            "to_names": [a.get("name") for a in p.get("to", [])],
            "subject": doc["subject"],
            "text": content.get("text/plain"),
            "html": content.get("text/html"),
            "attachments": {a["filename"]: (a["type"], base64.b64decode(a["content"]),
                                            a.get("content_id"))
                            for a in doc.get("attachments", [])},
            "inline": {a["filename"]: a.get("disposition") == "inline"
                       for a in doc.get("attachments", [])},
            "headers": doc.get("headers", {}),
            "tag": p["custom_args"]["swerve_id"],
            "reply_to": doc["reply_to"]["email"],
        }
    if kind == "postmark":
        lst = lambda s: [split_addr(x)[0] for x in s.split(",")] if s else []  # noqa: E731
        return {
            "from": split_addr(doc["From"]),
            "to": lst(doc.get("To")),
            "cc": lst(doc.get("Cc")),
            "bcc": lst(doc.get("Bcc")),
            "to_names": [split_addr(x)[1] for x in doc["To"].split(",")],
            "subject": doc["Subject"],
            "text": doc.get("TextBody"),
            "html": doc.get("HtmlBody"),
            "attachments": {a["Name"]: (a["ContentType"], base64.b64decode(a["Content"]),
                                        (a.get("ContentID") or "")[4:] or None)
                            for a in doc.get("Attachments", [])},
            "inline": {a["Name"]: bool(a.get("ContentID"))
                       for a in doc.get("Attachments", [])},
            "headers": {h["Name"]: h["Value"] for h in doc.get("Headers", [])},
            "tag": doc["Metadata"]["swerve_id"],
            "reply_to": doc["ReplyTo"],
            "stream": doc["MessageStream"],
        }
    lst = lambda v: [split_addr(x)[0] for x in ([v] if isinstance(v, str) else v or [])]  # noqa: E731
    return {
        "from": split_addr(doc["from"]),
        "to": lst(doc.get("to")),
        "cc": lst(doc.get("cc")),
        "bcc": lst(doc.get("bcc")),
        "to_names": [split_addr(x)[1] for x in doc["to"]],
        "subject": doc["subject"],
        "text": doc.get("text"),
        "html": doc.get("html"),
        "attachments": {a["filename"]: (a["content_type"], base64.b64decode(a["content"]),
                                        a.get("content_id"))
                        for a in doc.get("attachments", [])},
        "inline": {a["filename"]: bool(a.get("content_id"))
                   for a in doc.get("attachments", [])},
        "headers": doc.get("headers", {}),
        "tag": {t["name"]: t["value"] for t in doc["tags"]}["swerve_id"],
        "reply_to": split_addr(doc["reply_to"][0])[0],
    }


def one_message(mock):
    ms = mock.messages()
    assert len(ms) == 1, json.dumps(ms, indent=1)
    return ms[0]


def sent(d, qid, timeout=15):
    m = sh.Api(d).wait_state(qid, ("sent", "failed"), timeout)
    assert m["state"] == "sent", json.dumps(m, indent=1)
    return m


@pytest.mark.parametrize("kind", ["ses", "mailgun"])
def test_raw_provider_receives_the_exact_bytes(lab, kind):
    m = lab.mock("api")
    d = lab.daemon([http_provider("p1", kind, m.url)])
    rcpts = ["bob@example.net", "hidden@example.org"]
    qid = sh.submit(d, SENDER, rcpts, RAW)
    msg = sent(d, qid)
    got = one_message(m)
    spooled = d.spool.body(qid)
    assert spooled.endswith(RAW)
    assert m.raw(got["id"]) == spooled, "the provider got other bytes"
    assert sorted(got["rcpt_to"]) == sorted(rcpts)
    assert got["api"]["provider"] == kind
    assert got["api"]["format"] == "mime"
    # Mailgun's id is kept without its angle brackets, as webhooks show it.
    pid = got["api"]["provider_message_id"].strip("<>")
    assert pid and {r["provider_message_id"] for r in msg["rcpts"]} == {pid}
    req = json.dumps(got["api"].get("request", {}))
    assert qid in req, "swerve's id is not tagged: %s" % req
    if kind == "ses":
        assert got["api"]["auth"] == "AKIDEXAMPLE"
        assert got["api"]["request"]["tags"] == {"swerve_id": qid}


def test_ses_configuration_set_reaches_the_api(lab):
    m = lab.mock("api")
    d = lab.daemon([http_provider("p1", "ses", m.url, configuration_set="gw-events")])
    qid = sh.submit(d, SENDER, ["bob@example.net"], RAW)
    sent(d, qid)
    assert one_message(m)["api"]["request"]["configuration_set"] == "gw-events"


@pytest.mark.parametrize("kind", ["sendgrid", "postmark", "resend"])
def test_json_provider_receives_the_right_fields(lab, kind):
    m = lab.mock("api")
    extra = {"message_stream": "outbound"} if kind == "postmark" else {}
    d = lab.daemon([http_provider("p1", kind, m.url, **extra)])
    qid = sh.submit(d, SENDER, RCPTS, rich())
    msg = sent(d, qid)
    got = one_message(m)
    assert got["api"]["format"] == "json"
    doc = m.raw(got["id"])
    assert isinstance(doc, dict), doc
    n = normalise(kind, doc)
    assert n["from"] == WANT["from"]
    assert n["to"] == WANT["to"] and n["to_names"] == ["Bob", None]
    assert n["cc"] == WANT["cc"]
    assert n["bcc"] == WANT["bcc"]
    assert n["subject"] == WANT["subject"]
    assert n["text"].rstrip("\r\n") == WANT["text"]
    assert n["html"].rstrip("\r\n") == WANT["html"]
    assert n["attachments"] == WANT["attachments"]
    assert n["inline"] == {"logo.png": True, "r\u00e9sum\u00e9.pdf": False}
    assert n["headers"].get("X-Campaign") == "spring"
    assert n["headers"].get("Message-ID") == "<rich.1@example.com>"
    assert not any(h.lower() in ("received", "mime-version", "content-type")
                   for h in n["headers"])
    assert n["reply_to"] == "replies@example.com"
    assert n["tag"] == qid
    pid = got["api"]["provider_message_id"]
    assert pid and {r["provider_message_id"] for r in msg["rcpts"]} == {pid}


def test_resend_idempotency_key_is_swerves_id(lab):
    m = lab.mock("api")
    d = lab.daemon([http_provider("p1", "resend", m.url)])
    qid = sh.submit(d, SENDER, ["bob@example.net"], rich())
    sent(d, qid)
    got = one_message(m)
    assert got["api"]["request"]["idempotency_key"] == qid, got["api"]


def test_resend_after_unknown_outcome_does_not_duplicate(lab):
    """The API kept the first request but never answered (unknown); the
    retry on the same provider carries the same Idempotency-Key, so Resend
    answers with the first message's id instead of sending it again."""
    m = lab.mock("api", extra=["--api-mode", "hang_after_body"])
    d = lab.daemon([http_provider("p1", "resend", m.url, request_timeout="1s")],
                   retry={"min_backoff": "1s", "max_backoff": "1s",
                          "max_lifetime": "1h"})
    api = sh.Api(d)
    qid = sh.submit(d, SENDER, ["bob@example.net"], rich())
    sh.wait_until(lambda: [a["result"] for a in api.message(qid)["attempts_detail"]]
                  == ["unknown"], 10, 0.1, "the first attempt to time out")
    first = one_message(m)
    api_mode = sh.http_json(m.url + "/mode/api", "PUT", b"accept")
    assert api_mode[0] == 200, api_mode
    msg = sent(d, qid, 20)
    assert [a["result"] for a in msg["attempts_detail"]][-1] == "accepted", msg
    again = one_message(m)  # still exactly one message at the provider
    assert again["id"] == first["id"]
    pid = first["api"]["provider_message_id"]
    assert {r["provider_message_id"] for r in msg["rcpts"]} == {pid}


def test_bcc_only_recipient_goes_to_a_raw_provider(lab):
    """A recipient in no To/Cc header cannot be given to a JSON API
    without disclosing it or dropping the To header: the router sees that
    before any attempt (the adapter's `represents` gets the envelope) and
    the message goes straight to a raw provider; the trace says why."""
    m = lab.mock("api")
    d = lab.daemon([http_provider("json", "sendgrid", m.url, priority=1),
                    http_provider("raw", "ses", m.url, priority=2)])
    qid = sh.submit(d, SENDER, ["hidden@example.org"], rich())
    msg = sent(d, qid)
    assert [(a["provider"], a["result"]) for a in msg["attempts_detail"]] == [
        ("raw", "accepted")], msg
    assert "filtered: json (" in msg["attempts_detail"][0]["trace"], msg
    assert "Bcc" in msg["attempts_detail"][0]["trace"], msg
    got = one_message(m)
    assert got["api"]["provider"] == "ses"
    assert got["rcpt_to"] == ["hidden@example.org"]


SIGNED = (b"From: a@example.com\r\nTo: bob@example.net\r\nSubject: signed\r\n"
          b"MIME-Version: 1.0\r\n"
          b"Content-Type: multipart/signed; boundary=\"S\"; "
          b"protocol=\"application/pgp-signature\"; micalg=pgp-sha256\r\n\r\n"
          b"--S\r\nContent-Type: text/plain\r\n\r\nsigned text\r\n"
          b"--S\r\nContent-Type: application/pgp-signature\r\n\r\n"
          b"-----BEGIN PGP SIGNATURE-----\r\nxx\r\n-----END PGP SIGNATURE-----\r\n"
          b"--S--\r\n")


@pytest.mark.parametrize("kind", ["sendgrid", "postmark", "resend"])
def test_unrepresentable_message_goes_to_a_raw_provider(lab, kind):
    m = lab.mock("api")
    d = lab.daemon([http_provider("json", kind, m.url, priority=1),
                    http_provider("raw", "mailgun", m.url, priority=2)])
    qid = sh.submit(d, SENDER, ["bob@example.net"], SIGNED)
    msg = sent(d, qid)
    got = one_message(m)
    assert got["api"]["provider"] == "mailgun"
    assert m.raw(got["id"]) == d.spool.body(qid)
    assert [a["provider"] for a in msg["attempts_detail"]] == ["raw"], msg
    # The router's trace, stored with the attempt, says why the JSON
    # provider was passed over: the MIME reader's reason.
    traces = spool_texts(d, qid)
    assert any("json" in t and "signed" in t for t in traces), traces


def spool_texts(d, qid):
    """Every text value in the spool's rows that mention qid (any table)."""
    import sqlite3
    db = sqlite3.connect("file:%s/spool.db?mode=ro" % d.spool_dir, uri=True)
    out = []
    try:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'"):
            for row in db.execute("SELECT * FROM %s" % table):
                vals = [v for v in row if isinstance(v, str)]
                if qid in vals:
                    out += vals
    finally:
        db.close()
    return out
