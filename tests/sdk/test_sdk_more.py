"""A second client per ESP against swerved's compatible endpoints.

Beside test_sdk.py's official Node SDKs, each of these is used as an
application uses it, with only its endpoint pointed at swerved:
  boto3 (Debian python3-boto3)   SES v1 SendEmail and SendRawEmail, SES v2
                                 SendEmail (Simple and Raw), each with
                                 tags and a configuration set (in
                                 GET /v1/messages/ID's meta)
  @sendgrid/client               the raw v3 mail/send request, baseUrl
  postmark gem (ruby-postmark)   host / port / secure: false
  nodemailer-mailgun-transport   nodemailer's Mailgun API transport (url)
  @documenso/nodemailer-resend   nodemailer's Resend transport
                                 (RESEND_BASE_URL)
Each sends test_sdk.py's message (non-ASCII subject, text and HTML, a PDF
attachment and an inline PNG; the Resend transport has no inline parts,
so its PNG is an attachment) to swerve-mock over SMTP, where every part
is decoded and compared; then a key swerve does not know and a From
outside the key's domains, each answered in the ESP's own error shape.
"""

import base64
import email.message
import json
import os
import shutil
import subprocess

import pytest

import sdk_lab as c
from test_sdk import PDF, PNG_B64, SUBJECT, TEXT, check_intact, \
    check_nothing_queued, delivered

HERE = os.path.dirname(os.path.abspath(__file__))
CID = "logo@swerve"
FROM = "sender@example.com"
TO = "rcpt@example.net"


def html(cid=CID):
    return '<p>Hello <b>HTML</b> äöü ✓</p><img src="cid:%s">' % cid


def msg_env(cid=CID):
    return json.dumps({"subject": SUBJECT, "text": TEXT, "html": html(cid),
                       "pdf": base64.b64encode(PDF).decode(), "png": PNG_B64,
                       "cid": cid})


def client_env(lab, cid=CID, **extra):
    e = dict(os.environ, SWERVE_URL=lab.url, SDK_KEY=c.KEY, FROM=FROM, TO=TO,
             MSG=msg_env(cid))
    e.update(extra)
    return e


def last_json(p):
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    assert lines, "printed nothing:\n%s\n%s" % (p.stdout, p.stderr)
    return json.loads(lines[-1])


# --- boto3 (Debian) ---------------------------------------------------------------

def boto3_client(lab, service, secret=c.SECRET, akid=c.AKID):
    boto3 = pytest.importorskip(
        "boto3", reason="python3-boto3 is not installed "
        "(scripts/setup-deps.sh installs it)")
    from botocore.config import Config
    return boto3.client(service, endpoint_url=lab.url, region_name="eu-west-1",
                        aws_access_key_id=akid, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}))


def mime_with_parts(sender=FROM):
    """The test message as MIME built by Python's email package."""
    m = email.message.EmailMessage()
    m["From"] = "Sender <%s>" % sender
    m["To"] = TO
    m["Subject"] = SUBJECT
    m.set_content(TEXT)
    m.add_alternative(html(), subtype="html")
    m.get_payload()[1].add_related(base64.b64decode(PNG_B64), "image", "png",
                                   cid="<%s>" % CID, filename="logo.png")
    m.add_attachment(PDF, "application", "pdf", filename="report.pdf")
    return m.as_bytes()


def meta_of_new(lab, seen):
    """GET /v1/messages/ID's meta of the one message not in seen (ids),
    which it then joins."""
    new = [m["id"] for m in c.sh.Api(lab.d).list() if m["id"] not in seen]
    assert len(new) == 1, new
    seen.add(new[0])
    return c.sh.Api(lab.d).message(new[0]).get("meta")


TAGS = [{"Name": "campaign", "Value": "welcome"}]
META = {"tags": [{"name": "campaign", "value": "welcome"}],
        "config_set": "transactional"}


def error_code(exc_info):
    return exc_info.value.response["Error"]["Code"]


def test_boto3_ses_v1_send_email_and_raw_with_tags_and_configuration_set(lab):
    from botocore.exceptions import ClientError
    lab.start()
    ses = boto3_client(lab, "ses")
    tags, seen = TAGS, set()
    r = ses.send_email(Source=FROM, Destination={"ToAddresses": [TO]},
                       Message={"Subject": {"Data": SUBJECT, "Charset": "UTF-8"},
                                "Body": {"Text": {"Data": TEXT},
                                         "Html": {"Data": html()}}},
                       Tags=tags, ConfigurationSetName="transactional")
    assert r["MessageId"]
    m, raw, msg = delivered(lab)
    assert m["rcpt_to"] == [TO]
    check_intact(msg, attachments=False)  # v1 SendEmail has no attachments
    assert meta_of_new(lab, seen) == META
    r = ses.send_raw_email(RawMessage={"Data": mime_with_parts()},
                           Destinations=[TO], Tags=tags,
                           ConfigurationSetName="transactional")
    assert r["MessageId"]
    m, raw, msg = delivered(lab, 2)
    check_intact(msg)
    assert meta_of_new(lab, seen) == META
    with pytest.raises(ClientError) as e:
        boto3_client(lab, "ses", akid="AKIDUNKNOWN000000000").send_raw_email(
            RawMessage={"Data": mime_with_parts()})
    assert error_code(e) == "InvalidClientTokenId"
    with pytest.raises(ClientError) as e:
        ses.send_raw_email(RawMessage={"Data": mime_with_parts("s@example.org")})
    assert error_code(e) == "MessageRejected"
    check_nothing_queued(lab, 2)


def test_boto3_sesv2_send_email_simple_and_raw_with_tags(lab):
    from botocore.exceptions import ClientError
    lab.start()
    v2 = boto3_client(lab, "sesv2")
    tags, seen = TAGS, set()
    r = v2.send_email(FromEmailAddress=FROM, Destination={"ToAddresses": [TO]},
                      Content={"Simple": {
                          "Subject": {"Data": SUBJECT, "Charset": "UTF-8"},
                          "Body": {"Text": {"Data": TEXT, "Charset": "UTF-8"},
                                   "Html": {"Data": html()}}}},
                      EmailTags=tags, ConfigurationSetName="transactional")
    assert r["MessageId"]
    m, raw, msg = delivered(lab)
    check_intact(msg, attachments=False)
    assert meta_of_new(lab, seen) == META
    # Debian's botocore predates Simple attachments: Raw carries them.
    r = v2.send_email(Destination={"ToAddresses": [TO]},
                      Content={"Raw": {"Data": mime_with_parts()}},
                      EmailTags=tags, ConfigurationSetName="transactional")
    assert r["MessageId"]
    m, raw, msg = delivered(lab, 2)
    assert m["rcpt_to"] == [TO]
    check_intact(msg)
    assert meta_of_new(lab, seen) == META
    with pytest.raises(ClientError) as e:
        boto3_client(lab, "sesv2", secret="wrong").send_email(
            Destination={"ToAddresses": [TO]},
            Content={"Raw": {"Data": mime_with_parts()}})
    assert error_code(e) == "InvalidSignatureException"
    with pytest.raises(ClientError) as e:
        v2.send_email(Destination={"ToAddresses": [TO]},
                      Content={"Raw": {"Data": mime_with_parts("s@example.org")}})
    assert error_code(e) == "MessageRejected"
    check_nothing_queued(lab, 2)


# --- postmark gem (Debian ruby-postmark) -----------------------------------------

def ruby_postmark_missing():
    if shutil.which("ruby") is None:
        return True
    p = subprocess.run(["ruby", "-e", "require 'postmark'"], capture_output=True,
                       timeout=60)
    return p.returncode != 0


needs_ruby_postmark = pytest.mark.skipif(
    ruby_postmark_missing(),
    reason="ruby-postmark is not installed (scripts/setup-deps.sh installs it)")


def ruby_postmark(lab, case):
    env = client_env(lab, SWERVE_HOST=c.sh.HOST, SWERVE_PORT=str(lab.d.http_port))
    p = subprocess.run(["ruby", os.path.join(HERE, "postmark_ruby.rb"), case],
                       capture_output=True, text=True, env=env, timeout=60)
    return last_json(p)


@needs_ruby_postmark
def test_postmark_ruby_gem_send_and_errors(lab):
    lab.start()
    r = ruby_postmark(lab, "send")
    assert r["ok"] and r["id"], r
    m, raw, msg = delivered(lab)
    check_intact(msg, attachments=False)
    parts = {p.get_filename(): p for p in msg.walk() if p.get_filename()}
    assert parts["report.pdf"].get_content() == PDF
    assert parts["logo.png"].get_content() == base64.b64decode(PNG_B64)
    r = ruby_postmark(lab, "badkey")
    assert r["errorClass"] == "Postmark::InvalidApiKeyError", r
    r = ruby_postmark(lab, "badfield")
    assert r["errorClass"] == "Postmark::ApiInputError" and r["code"] == 400, r
    check_nothing_queued(lab, 1)


@needs_ruby_postmark
def test_postmark_ruby_gem_inline_part_keeps_its_content_id(lab):
    """The gem spells the attachment key ContentId: Postmark reads JSON
    keys regardless of case, and so does swerve's /email."""
    lab.start()
    r = ruby_postmark(lab, "send")
    assert r["ok"], r
    m, raw, msg = delivered(lab)
    check_intact(msg)


# --- Node clients (npm) -------------------------------------------------------------

def node(lab, client, case="send", cid=CID, **extra):
    p = subprocess.run(["node", os.path.join(HERE, "sdk_more.js"), client, case],
                       capture_output=True, text=True, timeout=90,
                       env=client_env(lab, cid, **extra))
    return last_json(p)


def test_sendgrid_client_request_arrives_intact_and_errors(lab, npm_more):
    lab.start()
    r = node(lab, "sendgrid-client")
    assert r["ok"] and r["id"], r
    m, raw, msg = delivered(lab)
    check_intact(msg)
    r = node(lab, "sendgrid-client", "badkey")
    assert r["errorClass"] == "ResponseError" and r["code"] == 401, r
    r = node(lab, "sendgrid-client", "badfield")
    assert r["code"] == 403 and r["body"]["errors"][0]["field"] == "from", r
    check_nothing_queued(lab, 1)


def test_nodemailer_mailgun_transport_arrives_intact_and_errors(lab, npm_more):
    lab.start()
    # The transport names an inline part after its cid, and Mailgun makes
    # the part's Content-ID its file name.
    r = node(lab, "mailgun-nodemailer", cid="logo.png")
    assert r["ok"], r
    m, raw, msg = delivered(lab)
    check_intact(msg, cid="logo.png")
    # Mailgun answers the Message-Id it put in the message; so does swerve.
    assert r["id"] == msg["Message-ID"], (r, msg["Message-ID"])
    r = node(lab, "mailgun-nodemailer", "badkey", cid="logo.png")
    assert not r["ok"] and r["status"] == 401, r
    r = node(lab, "mailgun-nodemailer", "badfield", cid="logo.png")
    assert not r["ok"] and r["status"] == 403, r
    check_nothing_queued(lab, 1)


def test_nodemailer_resend_transport_sends_and_errors(lab, npm_more):
    lab.start()
    r = node(lab, "resend-nodemailer", "plain", RESEND_BASE_URL=lab.url)
    assert r["ok"] and r["id"], r
    m, raw, msg = delivered(lab)
    assert msg["Subject"] == SUBJECT
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == TEXT
    assert "<b>HTML</b> äöü ✓" in msg.get_body(("html",)).get_content()
    r = node(lab, "resend-nodemailer", "badkey", RESEND_BASE_URL=lab.url)
    assert not r["ok"] and "invalid_api_key" in r["message"], r
    r = node(lab, "resend-nodemailer", "badfield", RESEND_BASE_URL=lab.url)
    assert not r["ok"] and "validation_error" in r["message"], r
    check_nothing_queued(lab, 1)


def test_nodemailer_resend_transport_attachments_arrive_intact(lab, npm_more):
    # The transport (resend 4 underneath) sends attachment content as a
    # Node Buffer, which JSON-encodes as {type: Buffer, data: [...]}.
    lab.start()
    r = node(lab, "resend-nodemailer", RESEND_BASE_URL=lab.url)
    assert r["ok"] and r["id"], r
    m, raw, msg = delivered(lab)
    assert msg["Subject"] == SUBJECT
    # No inline parts in this transport: both files are attachments.
    parts = {p.get_filename(): p for p in msg.walk() if p.get_filename()}
    assert parts["report.pdf"].get_content() == PDF
    assert parts["logo.png"].get_content() == base64.b64decode(PNG_B64)
