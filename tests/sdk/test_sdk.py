"""The providers' official SDKs against swerved's compatible endpoints.

Each SDK (from npm, pinned by setup-npm.sh) is used as an application
uses it, with only its endpoint / base URL pointed at swerved:
  @aws-sdk/client-sesv2   endpoint          (SendEmail Simple and Raw)
  @aws-sdk/client-ses     endpoint          (SendEmail, SendRawEmail)
  @sendgrid/mail          client baseUrl    (setDefaultRequest)
  postmark                requestHost + useHttps: false
  mailgun.js              url
  resend                  baseUrl
  nodemailer              SMTP host/port (swerved's submission port)
and, from Debian, Symfony Mailer's SES, Mailgun (mailgun+api,
mailgun+https) and Postmark (postmark+api) bridges (symfony_*.php).
Every SDK sends one message with a non-ASCII subject, text and HTML, a
PDF attachment and an inline PNG; swerved routes it like any other mail
to swerve-mock (over SMTP), where the test decodes every part. Then each
SDK's error paths: a key swerve does not know and a field swerve refuses
(a From outside the key's domains), and the test checks the SDK raised
(or, for Resend, returned) its own error type with the provider's code.
SES also: a wrong secret and a stale clock (SigV4 verification).
The sdk_run.js helper makes the calls; these tests judge the results.
"""

import email
import email.policy
import json
import os
import shutil
import subprocess
import time

import pytest

import sdk_lab as c

HERE = os.path.dirname(os.path.abspath(__file__))

SUBJECT = "Grüße aus Köln — 件名 ✓"
TEXT = "Hello from the SDK test.\nZeile zwei: äöü ß ✓\n"
PDF = b"%PDF-1.4\n% binary: \x00\x01\x02\xff\xfe\n%%EOF\n"
PNG_B64 = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAE"
           "hQGAhKmMIQAAAABJRU5ErkJggg==")

def run(lab, sdk, case="send", **env):
    """One SDK call through sdk_run.js -> its JSON result."""
    e = dict(os.environ, SWERVE_URL=lab.url,
             SWERVE_SMTP_PORT=str(lab.d.smtp_port), SDK_KEY=c.KEY,
             SDK_AKID=c.AKID, SDK_SECRET=c.SECRET)
    e.update(env)
    p = subprocess.run(["node", os.path.join(HERE, "sdk_run.js"), sdk, case],
                       capture_output=True, text=True, env=e, timeout=90)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    assert lines, "sdk_run %s %s printed nothing:\n%s" % (sdk, case, p.stderr)
    return json.loads(lines[-1])


def delivered(lab, n=1, timeout=20):
    """The n-th message the upstream received, parsed (and its raw bytes)."""
    import base64  # noqa: F401
    msgs = c.sh.wait_until(lambda: len(lab.mock.messages()) >= n and
                           lab.mock.messages(), timeout,
                           what="%d message(s) at the upstream" % n)
    m = msgs[n - 1]
    raw = lab.mock.raw(m["id"])
    return m, raw, email.message_from_bytes(raw, policy=email.policy.default)


def check_intact(msg, cid="logo@swerve", attachments=True):
    """Subject, both bodies and (when sent) both binary parts decode to
    exactly what the SDK was given."""
    import base64
    assert msg["Subject"] == SUBJECT
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None, msg.as_string()[:2000]
    assert text.get_content().replace("\r\n", "\n") == TEXT
    assert "<b>HTML</b> äöü ✓" in html.get_content()
    parts = {p.get_filename(): p for p in msg.walk() if p.get_filename()}
    if cid is None:  # the client makes up the Content-ID
        cid = parts["logo.png"]["Content-ID"].strip("<>")
    assert ("cid:" + cid) in html.get_content()
    if not attachments:
        return
    assert parts["report.pdf"].get_content() == PDF
    assert parts["report.pdf"].get_content_type() == "application/pdf"
    png = parts["logo.png"]
    assert png.get_content() == base64.b64decode(PNG_B64)
    assert png["Content-ID"].strip("<>") == cid


def check_nothing_queued(lab, before):
    time.sleep(0.3)
    assert len(lab.mock.messages()) == before


# --- SES v2 -------------------------------------------------------------------

def test_sesv2_simple_send_arrives_intact_and_errors_are_ses_codes(lab, npm):
    lab.start()
    r = run(lab, "sesv2")
    assert r["ok"], r
    m, raw, msg = delivered(lab)
    assert m["rcpt_to"] == ["rcpt@example.net"]
    check_intact(msg)
    r = run(lab, "sesv2", "badkey")
    assert not r["ok"] and r["name"] == "UnrecognizedClientException", r
    assert r["status"] == 403
    r = run(lab, "sesv2", "badfield")
    assert r["name"] == "MessageRejected" and r["errorClass"] == "MessageRejected", r
    r = run(lab, "sesv2", "badsecret")
    assert r["name"] == "InvalidSignatureException", r
    r = run(lab, "sesv2", "stale")
    assert r["name"] == "InvalidSignatureException", r
    assert "Signature expired" in r["message"]
    check_nothing_queued(lab, 1)


def test_sesv2_raw_send_arrives_intact(lab, npm):
    lab.start()
    r = run(lab, "sesv2raw")
    assert r["ok"], r
    m, raw, msg = delivered(lab)
    check_intact(msg)
    r = run(lab, "sesv2raw", "badfield")
    assert r["name"] == "MessageRejected", r


# --- SES v1 (Query) -------------------------------------------------------------

def test_ses_v1_send_email_arrives_and_errors_are_query_codes(lab, npm):
    lab.start()
    r = run(lab, "ses")
    assert r["ok"], r
    m, raw, msg = delivered(lab)
    # SES v1 SendEmail carries no attachments: text and HTML only.
    check_intact(msg, attachments=False)
    r = run(lab, "ses", "badkey")
    assert r["name"] == "InvalidClientTokenId" and r["status"] == 403, r
    r = run(lab, "ses", "badsecret")
    assert r["name"] == "SignatureDoesNotMatch", r
    r = run(lab, "ses", "stale")
    assert r["name"] == "SignatureDoesNotMatch", r
    r = run(lab, "ses", "badfield")
    assert r["name"] == "MessageRejected" and r["errorClass"] == "MessageRejected", r
    check_nothing_queued(lab, 1)


def test_ses_v1_send_raw_email_arrives_intact(lab, npm):
    lab.start()
    r = run(lab, "sesraw")
    assert r["ok"], r
    m, raw, msg = delivered(lab)
    check_intact(msg)
    r = run(lab, "sesraw", "badkey")
    assert r["name"] == "InvalidClientTokenId", r


# --- SendGrid -------------------------------------------------------------------

def test_sendgrid_sdk_send_arrives_intact_and_errors_are_response_errors(lab, npm):
    lab.start()
    r = run(lab, "sendgrid")
    assert r["ok"] and r["id"], r
    m, raw, msg = delivered(lab)
    check_intact(msg)
    r = run(lab, "sendgrid", "badkey")
    assert r["errorClass"] == "ResponseError" and r["code"] == 401, r
    assert r["body"]["errors"][0]["message"]
    r = run(lab, "sendgrid", "badfield")
    assert r["errorClass"] == "ResponseError" and r["code"] == 403, r
    assert r["body"]["errors"][0]["field"] == "from"
    check_nothing_queued(lab, 1)


def test_sendgrid_sdk_personalizations_are_messages_and_sandbox_is_not_sent(lab, npm):
    """@sendgrid/mail: each personalization is one message with its own
    substitutions ({{name}}, the SDK's default wrappers), from, subject
    and sendAt (held); categories and customArgs are on every message;
    sandbox mode is answered 200 and never delivered."""
    lab.start()
    r = run(lab, "sendgrid", "personalize")
    assert r["ok"] and r["id"]["status"] == 202, r
    msgs = c.sh.wait_until(lambda: len(lab.mock.messages()) >= 2 and
                           lab.mock.messages(), 20, what="2 messages")
    got = {}
    for m in msgs:
        raw = lab.mock.raw(m["id"])
        got[m["rcpt_to"][0]] = (m, email.message_from_bytes(
            raw, policy=email.policy.default))
    ann = got["ann@example.net"][1]
    assert ann["Subject"] == "Hello Ann"
    assert ann.get_body(("plain",)).get_content().strip() == "Dear Ann of Oslo"
    assert "<p>Dear Ann</p>" in ann.get_body(("html",)).get_content()
    bob_env, bob = got["bob@example.net"]
    assert bob["Subject"] == "For Bob only"
    assert bob_env["mail_from"] == "sales@example.com"
    assert bob["From"].addresses[0].display_name == "Sales"
    api = c.sh.Api(lab.d)
    mine = [api.message(m["id"]) for m in api.list() if m["tenant"] == "sdkt"]
    assert len(mine) == 3
    by_rcpt = {m["rcpts"][0]["address"]: m for m in mine}
    assert by_rcpt["later@example.net"]["state"] == "scheduled"
    for m in mine:
        assert [t["name"] for t in m["meta"]["tags"]] == ["sdk-cat"]
        assert m["meta"]["metadata"]["campaign"] == "c1"
    assert by_rcpt["ann@example.net"]["meta"]["metadata"]["user"] == "1"
    assert r["id"]["messageId"] in by_rcpt["ann@example.net"]["id"]
    check_nothing_queued(lab, 2)
    r = run(lab, "sendgrid", "sandbox")
    assert r["ok"] and r["id"]["status"] == 200, r
    sb = api.message(r["id"]["messageId"])
    assert sb["meta"]["sandbox"] is True and sb["state"] == "sandboxed", sb
    check_nothing_queued(lab, 2)


# --- Postmark -------------------------------------------------------------------

def test_postmark_sdk_send_and_batch_and_errors(lab, npm):
    lab.start()
    r = run(lab, "postmark")
    assert r["ok"] and r["id"], r
    m, raw, msg = delivered(lab)
    check_intact(msg)
    # MessageID is the delivered Message-ID without its angle brackets.
    assert "<%s>" % r["id"] == msg["Message-ID"], (r, msg["Message-ID"])
    r = run(lab, "postmark", "badkey")
    assert r["errorClass"] == "InvalidAPIKeyError" and r["code"] == 10, r
    r = run(lab, "postmark", "badfield")
    assert r["errorClass"] == "ApiInputError" and r["code"] == 400, r
    assert r["status"] == 422
    # A batch answers per message: the good one queued, the bad one 300.
    r = run(lab, "postmarkbatch")
    assert r["ok"], r
    assert r["id"][0]["ErrorCode"] == 0 and r["id"][0]["MessageID"]
    assert r["id"][1]["ErrorCode"] == 300
    delivered(lab, 2)
    check_nothing_queued(lab, 2)


# --- Mailgun --------------------------------------------------------------------

def test_mailgun_sdk_messages_arrive_intact_and_errors(lab, npm):
    lab.start()
    r = run(lab, "mailgun")
    assert r["ok"], r
    m, raw, msg = delivered(lab)
    check_intact(msg, cid="logo.png")
    # Mailgun answers the Message-Id it put in the message; so does swerve.
    assert r["id"] == msg["Message-ID"], (r, msg["Message-ID"])
    r = run(lab, "mailgun", "badkey")
    assert r["type"] == "MailgunAPIError" and r["status"] == 401, r
    r = run(lab, "mailgun", "badfield")
    assert r["type"] == "MailgunAPIError" and r["status"] == 403, r
    check_nothing_queued(lab, 1)


def test_mailgun_sdk_options_testmode_and_tag_limit(lab, npm):
    """mailgun.js with Mailgun's options: the tags, variables and
    tracking switches are stored on the message and the delivery time
    holds it; o:testmode is answered like a send and never delivered; a
    fourth o:tag is Mailgun's 400, not a dropped tag."""
    lab.start()
    r = run(lab, "mailgun", "options")
    assert r["ok"] and r["id"].startswith("<"), r
    r2 = run(lab, "mailgun", "testmode")
    assert r2["ok"] and r2["id"].startswith("<"), r2
    rows = list(lab.d.spool.messages().values())
    assert len(rows) == 2, rows
    metas = [json.loads(row["meta"]) for row in rows]
    held = next(m for m in metas if "send_at" in m)
    test = next(m for m in metas if m.get("sandbox"))
    assert [t["name"] for t in held["tags"]] == ["welcome", "onboarding"]
    assert held["metadata"] == {"user-id": "42", "plan": "pro"}, held
    assert held["track_opens"] is True and held["track_clicks"] is False
    assert abs(held["send_at"] - (time.time() + 3600)) < 60, held
    assert "send_at" not in test
    states = sorted(row["state"] for row in rows)
    assert states == ["sandboxed", "scheduled"], states
    time.sleep(1)
    assert lab.mock.messages() == []
    r = run(lab, "mailgun", "fourtags")
    assert r["type"] == "MailgunAPIError" and r["status"] == 400, r
    assert "o:tag" in str(r.get("details") or r.get("message")), r


def test_postmark_sdk_fields_are_stored_and_batch_refuses_templates(lab, npm):
    lab.start()
    r = run(lab, "postmark", "options")
    assert r["ok"], r
    m, raw, msg = delivered(lab)
    assert "<%s>" % r["id"] == msg["Message-ID"]
    row, = lab.d.spool.messages().values()
    meta = json.loads(row["meta"])
    assert meta["tags"] == [{"name": "welcome"}], meta
    assert meta["metadata"] == {"user-id": "42"}, meta
    assert meta["message_stream"] == "broadcast", meta
    assert meta["track_opens"] is True and meta["track_clicks"] is True
    r = run(lab, "postmarkbatch", "template")
    assert r["ok"], r
    assert r["id"][0]["ErrorCode"] == 0, r
    assert r["id"][1]["ErrorCode"] == 300, r
    delivered(lab, 2)


def test_mailgun_sdk_messages_mime_arrives_intact(lab, npm):
    lab.start()
    r = run(lab, "mailgunmime")
    assert r["ok"], r
    m, raw, msg = delivered(lab)
    check_intact(msg)
    assert r["id"] == msg["Message-ID"], (r, msg["Message-ID"])
    assert m["rcpt_to"] == ["rcpt@example.net"]
    r = run(lab, "mailgunmime", "badkey")
    assert r["type"] == "MailgunAPIError" and r["status"] == 401, r


# --- Resend ---------------------------------------------------------------------

def test_resend_sdk_send_idempotency_and_returned_errors(lab, npm):
    lab.start()
    r = run(lab, "resend", IDEM="order-4711")
    assert r["ok"], r
    m, raw, msg = delivered(lab)
    check_intact(msg)
    # The same request with the same Idempotency-Key: the same id, no
    # second message.
    r2 = run(lab, "resend", IDEM="order-4711")
    assert r2["ok"] and r2["id"] == r["id"], (r, r2)
    # Resend's SDK returns {error} instead of throwing (its normal way).
    r = run(lab, "resend", "badkey")
    assert r["name"] == "invalid_api_key" and r["status"] == 403, r
    r = run(lab, "resend", "badfield", IDEM="order-4712")
    assert r["name"] == "validation_error" and r["status"] == 403, r
    check_nothing_queued(lab, 1)


# --- nodemailer over SMTP ---------------------------------------------------------

def test_nodemailer_smtp_arrives_intact_and_errors(lab, npm):
    # nodemailer speaks plain SMTP here (no STARTTLS in this lab): AUTH is
    # offered in clear text only with smtp.auth_plaintext.
    lab.start(smtp={"auth_plaintext": True})
    r = run(lab, "nodemailer")
    assert r["ok"] and r["id"].startswith("250"), r
    m, raw, msg = delivered(lab)
    check_intact(msg)
    r = run(lab, "nodemailer", "badkey")
    assert r["code"] == "EAUTH", r
    r = run(lab, "nodemailer", "badfield")
    assert r["code"] == "EENVELOPE", r
    check_nothing_queued(lab, 1)


# --- a second, independent SES client: Symfony Mailer (PHP, Debian) ---------------

SYMFONY_AUTOLOAD = "/usr/share/php/Symfony/Component/Mailer/Bridge/Amazon/autoload.php"


@pytest.mark.skipif(shutil.which("php") is None or not os.path.exists(SYMFONY_AUTOLOAD),
                    reason="php-cli and php-symfony-amazon-mailer are not "
                           "installed (scripts/setup-deps.sh installs them)")
def test_symfony_amazon_mailer_ses_api_transport(lab):
    lab.start()
    host = lab.url.replace("http://", "")

    def php(case):
        env = dict(os.environ, SES_HOST=host, SES_AKID=c.AKID,
                   SES_SECRET=c.SECRET if case != "badkey" else "wrong",
                   SES_FROM="sender@example.com" if case != "badfield"
                   else "sender@example.org")
        p = subprocess.run(["php", os.path.join(HERE, "symfony_ses.php")],
                           capture_output=True, text=True, env=env, timeout=60)
        lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
        assert lines, p.stdout + p.stderr
        return json.loads(lines[-1])

    r = php("send")
    assert r["ok"], r
    m, raw, msg = delivered(lab)
    check_intact(msg, cid=None)
    r = php("badkey")
    assert not r["ok"] and "signature" in r["message"].lower(), r
    r = php("badfield")
    assert not r["ok"] and "not verified" in r["message"], r
    check_nothing_queued(lab, 1)


# --- second Mailgun and Postmark clients: Symfony Mailer's bridges (Debian) --------

BRIDGES = {
    "mailgun+api": "/usr/share/php/Symfony/Component/Mailer/Bridge/Mailgun/autoload.php",
    "mailgun+https": "/usr/share/php/Symfony/Component/Mailer/Bridge/Mailgun/autoload.php",
    "postmark+api": "/usr/share/php/Symfony/Component/Mailer/Bridge/Postmark/autoload.php",
}


@pytest.mark.parametrize("transport", sorted(BRIDGES))
def test_symfony_mailgun_and_postmark_bridges(lab, transport):
    """Symfony's mailgun+api names its file parts attachment[0] and
    inline[0]; mailgun+https posts messages.mime with the tag and the
    metadata as X-Mailgun-Tag and X-Mailgun-Variables fields; postmark+api
    sends Tag and Metadata. Each arrives intact, the X-Mailgun fields are
    not relayed, the id Symfony reports is the delivered Message-ID (bare
    for Postmark), and the tag and metadata are stored on the message."""
    if shutil.which("php") is None or not os.path.exists(BRIDGES[transport]):
        pytest.skip("php-cli and php-symfony-%s-mailer are not installed "
                    "(scripts/setup-deps.sh installs them)"
                    % transport.split("+")[0])
    lab.start()

    def php(case):
        env = dict(os.environ, TRANSPORT=transport,
                   SW_HOST=lab.url.replace("http://", ""),
                   SW_KEY=c.KEY if case != "badkey" else "not-a-swerve-key",
                   SW_FROM="sender@example.com" if case != "badfield"
                   else "sender@example.org")
        p = subprocess.run(["php", os.path.join(HERE, "symfony_mailers.php")],
                           capture_output=True, text=True, env=env, timeout=60)
        lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
        assert lines, p.stdout + p.stderr
        return json.loads(lines[-1])

    r = php("send")
    assert r["ok"], r
    m, raw, msg = delivered(lab)
    check_intact(msg, cid=None)
    assert b"X-Mailgun" not in raw.split(b"\r\n\r\n")[0]
    want = msg["Message-ID"] if transport.startswith("mailgun") \
        else msg["Message-ID"].strip("<>")
    assert r["id"] == want, (r, msg["Message-ID"])
    row, = lab.d.spool.messages().values()
    meta = json.loads(row["meta"])
    assert meta["tags"] == [{"name": "welcome"}], meta
    assert meta["metadata"] == {"user-id": "42"}, meta
    r = php("badkey")
    assert not r["ok"] and ("401" in r["message"] or "10" in r["message"]), r
    r = php("badfield")
    assert not r["ok"] and ("403" in r["message"] or "400" in r["message"]), r
    check_nothing_queued(lab, 1)


# --- over HTTPS -------------------------------------------------------------------

@pytest.mark.parametrize("sdk", ["sesv2", "sendgrid", "postmark", "mailgun",
                                 "resend"])
def test_sdk_sends_over_https_verifying_a_test_ca(lab, npm, tmp_path, sdk):
    """https.cert on listen.http: the SDK, pointed at https://localhost and
    trusting a test CA (NODE_EXTRA_CA_CERTS), sends as it would to the
    provider; without the CA it refuses the certificate."""
    ca = c.sh.make_ca(str(tmp_path))
    cert, key = c.sh.make_leaf(str(tmp_path), ca)
    lab.start(https={"cert": cert, "key": key})
    url = "https://localhost:%d" % lab.d.http_port
    r = run(lab, sdk, SWERVE_URL=url, NODE_EXTRA_CA_CERTS=ca[0])
    assert r["ok"], r
    m, raw, msg = delivered(lab)
    # Mailgun's form names the inline part by its file name.
    check_intact(msg, cid="logo.png" if sdk == "mailgun" else "logo@swerve")
    # Without the CA the SDK refuses the certificate (fetch-based SDKs
    # report only "fetch failed"): an error, and nothing is queued.
    r = run(lab, sdk, SWERVE_URL=url)
    assert not r["ok"], r
    check_nothing_queued(lab, 1)
