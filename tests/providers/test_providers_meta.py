"""test_providers_meta - a message's tags, metadata and options (its
msg_meta) reach each egress provider in that provider's own fields, and
what a provider has no equivalent for is recorded on the attempt.

swerved with one provider pointed at swerve-mock (which records each
upstream request and checks the fields the way the real API does):

  - native API tags and metadata go to SES EmailTags, SendGrid
    custom_args, Mailgun v: variables, Postmark Metadata, Resend tags,
    and to an SMTP relay in the meta_header (base64 of the meta JSON,
    before the message, which is otherwise unchanged); what breaks a
    provider's rule (SES and Resend: a URL value) is left out and named
    in attempts_detail[].not_applied and `swervectl show`;
  - an SMTP relay without meta_header gets the message unchanged, and
    the attempt says the tags and metadata were not applied;
  - an SES v2 drop-in request with EmailTags, ConfigurationSetName and
    tracking overrides: carried to SES (tags, configuration set), to
    SendGrid (custom_args, tracking_settings) and to Postmark (Metadata,
    TrackOpens / TrackLinks), recorded as not applied where the provider
    has no field for them.
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

import swerve_harness as sh
from providers_helpers import http_provider

KEY = "meta-key-0123456789abcdef"
AKID = "AKIDSWERVEMETA000001"
SECRET = "meta/secret/0123456789abcdefghijklmnop"

TAGS = {"campaign": "spring"}
METADATA = {"order": "42", "user": 7, "url": "https://x.test/a"}
# What every key/value field carries: values as strings.
PAIRS = {"campaign": "spring", "order": "42", "user": "7",
         "url": "https://x.test/a"}


def daemon(lab, providers):
    secret = os.path.join(str(lab.tmp), "ses.secret")
    with open(secret, "w") as f:
        f.write(SECRET + "\n")
    return lab.daemon(providers, api_keys=[
        {"name": "app", "key_sha256": hashlib.sha256(KEY.encode()).hexdigest(),
         "tenant": "app", "from_domains": ["example.com"]}],
        ses_compat={"credentials": [
            {"access_key_id": AKID, "secret_access_key_file": secret,
             "tenant": "app", "from_domains": ["example.com"]}]})


def post(d, path, body, headers):
    r = urllib.request.Request(d.http_url + path, data=body, method="POST",
                               headers=headers)
    try:
        with urllib.request.urlopen(r, timeout=15) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def send_native(d, **extra):
    m = {"from": "Sender <s@example.com>", "to": "bob@example.net",
         "subject": "hello", "text": "hi\n"}
    m.update(extra)
    code, obj = post(d, "/v1/messages", json.dumps(m).encode(),
                     {"Content-Type": "application/json",
                      "Authorization": "Bearer " + KEY})
    assert code == 202, obj
    return obj["id"]


def sigv4(d, path, body, ctype):
    """Headers of a SigV4-signed POST (service ses, region us-east-1)."""
    host = urllib.parse.urlsplit(d.http_url).netloc
    now = datetime.datetime.now(datetime.timezone.utc)
    amz, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    signed = "content-type;host;x-amz-date"
    canon = "\n".join(["POST", path, "", "content-type:" + ctype,
                       "host:" + host, "x-amz-date:" + amz, "", signed,
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


def send_ses_v2(d):
    """An SES v2 SendEmail with tags, a configuration set and tracking."""
    body = json.dumps({
        "FromEmailAddress": "s@example.com",
        "Destination": {"ToAddresses": ["bob@example.net"]},
        "Content": {"Simple": {"Subject": {"Data": "v2"},
                               "Body": {"Text": {"Data": "t"}}}},
        "EmailTags": [{"Name": "campaign", "Value": "spring"}],
        "ConfigurationSetName": "cs-app",
        "ConfigurationOverrides": {"Tracking": {
            "OpenTrackingEnabled": "ENABLED",
            "ClickTrackingEnabled": "DISABLED"}},
    }).encode()
    path = "/v2/email/outbound-emails"
    code, obj = post(d, path, body, sigv4(d, path, body, "application/json"))
    assert code == 200, obj
    msgs = sh.Api(d).list()
    assert len(msgs) == 1, msgs
    return msgs[0]["id"]


def sent(d, qid):
    m = sh.Api(d).wait_state(qid, ("sent", "failed"), 15)
    assert m["state"] == "sent", json.dumps(m, indent=1)
    assert len(m["attempts_detail"]) == 1, m
    return m


def one(mock):
    ms = mock.messages()
    assert len(ms) == 1, json.dumps(ms, indent=1)
    return ms[0]


def carried(kind, mock, got):
    """The name/value pairs the provider received, swerve_id left out."""
    if kind == "ses":
        pairs = dict(got["api"]["request"]["tags"])
    elif kind == "resend":
        pairs = {t["name"]: t["value"] for t in mock.raw(got["id"])["tags"]}
    elif kind == "sendgrid":
        doc = mock.raw(got["id"])
        pairs = dict(doc["personalizations"][0]["custom_args"])
    elif kind == "postmark":
        pairs = dict(mock.raw(got["id"])["Metadata"])
    else:  # mailgun: v:NAME options, one value each
        opts = got["api"]["request"]["options"]
        pairs = {k[2:]: v[0] for k, v in opts.items() if k.startswith("v:")}
    pairs.pop("swerve_id")
    return pairs


# The URL breaks SES's and Resend's tag rule (letters, digits, _ and -).
NOT_APPLIED = {
    "ses": 'not applied by p1: metadata "url" (characters)',
    "resend": 'not applied by p1: metadata "url" (characters)',
    "sendgrid": None, "mailgun": None, "postmark": None,
}


@pytest.mark.parametrize("kind", ["ses", "sendgrid", "mailgun", "postmark",
                                  "resend"])
def test_native_tags_and_metadata_reach_the_provider(lab, kind):
    m = lab.mock("api")
    d = daemon(lab, [http_provider("p1", kind, m.url)])
    qid = send_native(d, tags=TAGS, metadata=METADATA)
    msg = sent(d, qid)
    got = one(m)
    want = dict(PAIRS)
    if NOT_APPLIED[kind]:
        del want["url"]
    assert carried(kind, m, got) == want, got
    att = msg["attempts_detail"][0]
    assert att["not_applied"] == NOT_APPLIED[kind], att
    r = sh.swervectl(["-c", d.config_path, "show", qid])
    assert r.returncode == 0, r.stderr
    if NOT_APPLIED[kind]:
        assert NOT_APPLIED[kind] in r.stdout, r.stdout
    else:
        assert "not applied" not in r.stdout, r.stdout


def test_smtp_relay_gets_meta_in_its_header_before_the_message(lab):
    m = lab.mock("relay")
    d = daemon(lab, [sh.provider("relay", m.smtp_port, 1,
                                 meta_header="X-Swerve-Meta")])
    qid = send_native(d, tags=TAGS, metadata=METADATA)
    msg = sent(d, qid)
    assert msg["attempts_detail"][0]["not_applied"] is None, msg
    raw = m.raw(one(m)["id"])
    raw = raw if isinstance(raw, bytes) else raw.encode()
    spooled = d.spool.body(qid)
    assert raw.endswith(spooled), "the message itself was changed"
    lines = raw[:len(raw) - len(spooled)].split(b"\r\n")[:-1]
    assert lines[0].startswith(b"X-Swerve-Meta: "), lines
    assert all(len(x) <= 78 for x in lines), lines
    assert all(x.startswith(b" ") for x in lines[1:]), lines
    value = b"".join(x.strip() for x in b"\r\n".join(lines)[14:].split(b"\r\n"))
    meta = json.loads(base64.b64decode(value))
    assert meta == msg["meta"], (meta, msg["meta"])
    assert meta["tags"] == [{"name": "campaign", "value": "spring"}]
    assert meta["metadata"] == METADATA


def test_smtp_relay_without_meta_header_records_not_applied(lab):
    m = lab.mock("relay")
    d = daemon(lab, [sh.provider("relay", m.smtp_port, 1)])
    qid = send_native(d, tags=TAGS, metadata=METADATA)
    msg = sent(d, qid)
    att = msg["attempts_detail"][0]
    assert att["not_applied"] == "not applied by relay: tags, metadata", att
    raw = m.raw(one(m)["id"])
    raw = raw if isinstance(raw, bytes) else raw.encode()
    assert raw.endswith(d.spool.body(qid))
    assert b"X-Swerve-Meta" not in raw
    r = sh.swervectl(["-c", d.config_path, "trace", qid])
    assert r.returncode == 0 and "not applied by relay: tags, metadata" \
        in r.stdout, r.stdout


SES_V2 = {
    "ses": ('not applied by p1: track_opens, track_clicks',
            lambda m, got: (got["api"]["request"]["tags"]["campaign"] == "spring"
                            and got["api"]["request"]["configuration_set"]
                            == "cs-app")),
    "sendgrid": ('not applied by p1: config_set',
                 lambda m, got: (
                     m.raw(got["id"])["personalizations"][0]["custom_args"]
                     ["campaign"] == "spring"
                     and m.raw(got["id"])["tracking_settings"] == {
                         "open_tracking": {"enable": True},
                         "click_tracking": {"enable": False}})),
    "postmark": ('not applied by p1: config_set',
                 lambda m, got: (
                     m.raw(got["id"])["Metadata"]["campaign"] == "spring"
                     and m.raw(got["id"])["TrackOpens"] is True
                     and m.raw(got["id"])["TrackLinks"] == "None")),
}


@pytest.mark.parametrize("kind", sorted(SES_V2))
def test_ses_drop_in_tags_config_set_and_tracking_reach_the_provider(lab,
                                                                    kind):
    m = lab.mock("api")
    d = daemon(lab, [http_provider("p1", kind, m.url)])
    qid = send_ses_v2(d)
    msg = sent(d, qid)
    assert msg["meta"]["config_set"] == "cs-app", msg["meta"]
    got = one(m)
    na, check = SES_V2[kind]
    assert check(m, got), json.dumps(got, indent=1)
    assert msg["attempts_detail"][0]["not_applied"] == na, msg
