"""Identity and headers on every ingress path (issue 13, item 7/8):

  - a Bcc: field is accepted on every raw path (native raw, SES v1
    SendRawEmail through boto3, Mailgun messages.mime, SMTP DATA) and is
    never relayed: the upstream sees no Bcc field, and the hidden
    recipient is still a recipient of the envelope;
  - a caller's Message-ID is kept on every path (the JSON endpoints'
    custom headers, a raw message, SMTP) and the native API answers it
    as "message_id"; an invalid one is refused naming the field;
  - our Received field writes the client as an address literal.
"""

import base64
import json
import smtplib
import time
import urllib.error
import urllib.request

import pytest

import sdk_lab as c
import swerve_harness as sh

BEARER = {"Authorization": "Bearer " + c.KEY}
HIDDEN = "hidden@example.net"


def req(lab, path, body, headers):
    r = urllib.request.Request(lab.url + path, data=body, method="POST",
                               headers=headers)
    try:
        with urllib.request.urlopen(r, timeout=15) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def jpost(lab, path, obj, headers=None):
    h = {"Content-Type": "application/json"}
    h.update(headers or BEARER)
    st, hd, b = req(lab, path, json.dumps(obj).encode(), h)
    return st, hd, (json.loads(b) if b else None)


def raw_msg(subject, mid=None):
    h = ["From: S <s@example.com>", "To: r@example.net",
         "Bcc: Hidden <%s>" % HIDDEN, "Subject: %s" % subject]
    if mid:
        h.append("Message-ID: %s" % mid)
    return ("\r\n".join(h) + "\r\n\r\nbody of %s\r\n" % subject).encode()


def delivered(lab, subject, timeout=20):
    """(mock record, raw bytes) of the one message with subject."""
    def find():
        for m in lab.mock.messages():
            raw = lab.mock.raw(m["id"])
            if ("Subject: %s\r\n" % subject).encode() in raw:
                return m, raw
        return None
    sh.wait_until(lambda: find() is not None, timeout, what=subject)
    return find()


def header_values(raw, name):
    fields, _ = sh.split_message(raw)
    return [v.strip() for n, v in fields if n.lower() == name.lower()]


def no_bcc(raw):
    fields, _ = sh.split_message(raw)
    names = [n.lower() for n, _ in fields]
    assert "bcc" not in names, raw
    assert HIDDEN.encode() not in raw, raw


def test_bcc_accepted_on_raw_paths_and_never_relayed(lab):
    lab.start()
    # Native raw: no to= in the query, so To, Cc and Bcc are recipients.
    st, _, b = req(lab, "/v1/messages/raw", raw_msg("native raw"),
                   dict(BEARER, **{"Content-Type": "message/rfc822"}))
    assert st == 202, b
    # Mailgun messages.mime: the envelope is "to"; the field still goes.
    boundary = "XyZ"
    body = ("--%s\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\n"
            "r@example.net,%s\r\n"
            "--%s\r\nContent-Disposition: form-data; name=\"message\"; "
            "filename=\"m.eml\"\r\nContent-Type: message/rfc822\r\n\r\n"
            % (boundary, HIDDEN, boundary)).encode() + \
        raw_msg("mailgun mime") + ("\r\n--%s--\r\n" % boundary).encode()
    auth = "Basic " + base64.b64encode(("api:" + c.KEY).encode()).decode()
    st, _, b = req(lab, "/v3/mg.example.com/messages.mime", body, {
        "Authorization": auth,
        "Content-Type": "multipart/form-data; boundary=" + boundary})
    assert st == 200, b
    # SES v1 SendRawEmail through boto3 (signed), no Destinations.
    boto3 = pytest.importorskip("boto3")
    ses = boto3.client("ses", region_name="us-east-1", endpoint_url=lab.url,
                       aws_access_key_id=c.AKID,
                       aws_secret_access_key=c.SECRET)
    r = ses.send_raw_email(RawMessage={"Data": raw_msg("ses raw")})
    assert r["MessageId"]
    # SMTP DATA: Postfix removes Bcc; so do we.
    with smtplib.SMTP("127.0.0.1", lab.d.smtp_port, timeout=10) as s:
        s.ehlo()
        s.sendmail("s@example.com", ["r@example.net", HIDDEN],
                   raw_msg("smtp data"))
    for subject in ("native raw", "mailgun mime", "ses raw", "smtp data"):
        m, raw = delivered(lab, subject)
        no_bcc(raw)
        assert sorted(m["rcpt_to"]) == [HIDDEN, "r@example.net"], \
            (subject, m["rcpt_to"])


def test_caller_message_id_kept_and_answered(lab):
    lab.start()
    # Native JSON: kept, answered as message_id beside swerve's id.
    st, _, b = jpost(lab, "/v1/messages", {
        "from": "s@example.com", "to": "r@example.net", "subject": "mid json",
        "text": "t", "headers": {"Message-ID": "<order-42@app.example.com>"}})
    assert st == 202, b
    assert b["message_id"] == "<order-42@app.example.com>" and b["id"]
    # Without one: the answer is the Message-ID delivered.
    st, _, b2 = jpost(lab, "/v1/messages", {
        "from": "s@example.com", "to": "r@example.net",
        "subject": "mid made", "text": "t"})
    assert st == 202, b2
    # ... and its local part is swerve's id (as SES's MessageId is).
    assert b2["message_id"].startswith("<" + b2["id"] + "@"), b2
    # With a key: a replay answers the same message_id.
    req_obj = {"from": "s@example.com", "to": "r@example.net",
               "subject": "mid keyed", "text": "t", "idempotency_key": "k-42"}
    st, _, k1 = jpost(lab, "/v1/messages", req_obj)
    st2, _, k2 = jpost(lab, "/v1/messages", req_obj)
    assert (st, st2) == (202, 200), (k1, k2)
    assert k1["message_id"] == k2["message_id"] and k1["id"] == k2["id"]
    # SendGrid and Postmark custom headers (nodemailer's transports set
    # one on every send): accepted, kept.
    st, hd, b = jpost(lab, "/v3/mail/send", {
        "personalizations": [{"to": [{"email": "r@example.net"}]}],
        "from": {"email": "s@example.com"}, "subject": "mid sendgrid",
        "content": [{"type": "text/plain", "value": "t"}],
        "headers": {"Message-ID": "<sg.1@app.example.com>"}})
    assert st == 202, b
    st, _, b = jpost(lab, "/email", {
        "From": "s@example.com", "To": "r@example.net",
        "Subject": "mid postmark", "TextBody": "t",
        "Headers": [{"Name": "Message-ID", "Value": "<pm.1@app.example.com>"}]},
        {"X-Postmark-Server-Token": c.KEY})
    assert st == 200, b
    # A raw message and SMTP keep theirs.
    st, _, b3 = req(lab, "/v1/messages/raw",
                    raw_msg("mid raw", "<raw.1@app.example.com>"),
                    dict(BEARER, **{"Content-Type": "message/rfc822"}))
    assert st == 202, b3
    assert json.loads(b3)["message_id"] == "<raw.1@app.example.com>"
    with smtplib.SMTP("127.0.0.1", lab.d.smtp_port, timeout=10) as s:
        s.sendmail("s@example.com", ["r@example.net"],
                   raw_msg("mid smtp", "<smtp.1@app.example.com>"))
    want = {"mid json": "<order-42@app.example.com>",
            "mid made": b2["message_id"], "mid keyed": k1["message_id"],
            "mid sendgrid": "<sg.1@app.example.com>",
            "mid postmark": "<pm.1@app.example.com>",
            "mid raw": "<raw.1@app.example.com>",
            "mid smtp": "<smtp.1@app.example.com>"}
    for subject, mid in want.items():
        _, raw = delivered(lab, subject)
        assert header_values(raw, "Message-ID") == [mid], (subject, raw[:400])


def test_invalid_message_id_refused_naming_it(lab):
    lab.start()
    st, _, b = jpost(lab, "/v1/messages", {
        "from": "s@example.com", "to": "r@example.net", "subject": "x",
        "text": "t", "headers": {"Message-ID": "no-brackets@app.example.com"}})
    assert st == 400 and b["error"]["field"] == "headers.Message-ID", b
    st, _, b = req(lab, "/v1/messages/raw", raw_msg("bad", "<a b@c>"),
                   dict(BEARER, **{"Content-Type": "message/rfc822"}))
    b = json.loads(b)
    assert st == 400 and b["error"]["field"] == "Message-ID", b
    st, _, b = jpost(lab, "/v3/mail/send", {
        "personalizations": [{"to": [{"email": "r@example.net"}]}],
        "from": {"email": "s@example.com"}, "subject": "x",
        "content": [{"type": "text/plain", "value": "t"}],
        "headers": {"Message-ID": "<<x@y>>"}})
    assert st == 400 and "Message-ID" in json.dumps(b), b
    with smtplib.SMTP("127.0.0.1", lab.d.smtp_port, timeout=10) as s:
        with pytest.raises(smtplib.SMTPDataError) as ei:
            s.sendmail("s@example.com", ["r@example.net"],
                       raw_msg("bad smtp", "<@>"))
        assert ei.value.smtp_code == 554 and b"Message-ID" in ei.value.smtp_error
    time.sleep(0.3)
    assert lab.d.spool.count() == 0


def test_received_writes_an_address_literal(lab):
    lab.start()
    with smtplib.SMTP("127.0.0.1", lab.d.smtp_port, timeout=10) as s:
        s.ehlo("client.test")
        s.sendmail("s@example.com", ["r@example.net"], raw_msg("literal"))
    _, raw = delivered(lab, "literal")
    rcvd = header_values(raw, "Received")
    assert any(v.startswith("from client.test ([127.0.0.1])") for v in rcvd), rcvd


def test_long_header_values_fold_up_to_the_header_limit(lab):
    """A subject, a custom header value and a display name far over the
    old limits (~900 / 2048 / 256 octets) are folded and delivered with
    every line within 998 octets; a header section over 64 KiB is 413."""
    lab.start()
    subject = "long " + " ".join("word%d" % i for i in range(600))  # ~5 KB
    value = "v" * 3000  # one word: encoded-words
    name = "N" * 400 + " \u00e9"
    st, _, b = jpost(lab, "/v1/messages", {
        "from": {"email": "s@example.com", "name": name},
        "to": "r@example.net", "subject": subject, "text": "t",
        "headers": {"X-Long": value}})
    assert st == 202, b
    # The same through a drop-in endpoint (Postmark's Headers).
    st, _, b2 = jpost(lab, "/email", {
        "From": "s@example.com", "To": "r@example.net",
        "Subject": subject.replace("long", "pm"), "TextBody": "t",
        "Headers": [{"Name": "X-Long", "Value": value}]},
        {"X-Postmark-Server-Token": c.KEY})
    assert st == 200, b2
    for subj in (subject, subject.replace("long", "pm")):
        def find():
            for m in lab.mock.messages():
                raw = lab.mock.raw(m["id"])
                if b"word599" in raw and ("X-Long" in raw.decode("latin-1")) \
                        and subj[:4].encode() in raw:
                    return raw
            return None
        sh.wait_until(lambda: find() is not None, 20, what=subj[:8])
        raw = find()
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert max(len(l) for l in head.split(b"\r\n")) <= 998
        got = " ".join(v for v in header_values(raw, "Subject"))
        assert "".join(got.split("\r\n")) == subj, got[:200]
    # Over the header section limit: 413, naming the headers.
    st, _, b = jpost(lab, "/v1/messages", {
        "from": "s@example.com", "to": "r@example.net", "subject": "big",
        "text": "t", "headers": {"X-Big": "\u00e9" * 30000}})
    assert st == 413 and b["error"]["field"] == "headers", b
