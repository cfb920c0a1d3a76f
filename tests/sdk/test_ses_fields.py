"""SES fields beyond the message, through boto3 from Debian (python3-boto3):
SESv2 and SES v1 clients pointed at swerved (endpoint_url), swerve-mock
recording what reaches the upstream.

  - EmailTags / Tags and ConfigurationSetName are on the stored message
    (GET /v1/messages/ID "meta"), not in the relayed bytes;
  - a raw message with a Bcc field and X-SES-CONFIGURATION-SET,
    X-SES-MESSAGE-TAGS, X-SES-SOURCE-ARN, X-SES-FROM-ARN and
    X-SES-RETURN-PATH-ARN: the Bcc address gets the mail, none of those
    fields (nor the account id in the ARNs) reaches the upstream, and the
    tags and the set are on the message;
  - a field swerve does not do (ListManagementOptions, SourceArn) is
    refused with SES's error naming it, and nothing is queued;
  - ReturnPath / FeedbackForwardingEmailAddress is the envelope sender;
  - the MessageId answered is the swerve id (GET /v1/messages/ID) and,
    as with SES, the local part of the delivered Message-ID;
  - SendBulkEmail and SendTemplatedEmail with a template that is not
    stored: TEMPLATE_NOT_FOUND / TemplateDoesNotExist, nothing sent.
"""

import re
import time

import pytest

import sdk_lab as c

boto3 = pytest.importorskip("boto3", reason="python3-boto3 is not installed")
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

ACCOUNT = "123456789012"


def client(lab, service):
    return boto3.client(
        service, region_name="us-east-1", endpoint_url=lab.url,
        aws_access_key_id=c.AKID, aws_secret_access_key=c.SECRET,
        config=Config(retries={"max_attempts": 1}))


def meta_of(lab, qid):
    code, obj = lab.d.admin_json("/v1/messages/" + qid)
    assert code == 200, obj
    return obj.get("meta") or {}


def upstream(lab, n):
    msgs = c.sh.wait_until(lambda: len(lab.mock.messages()) >= n and
                           lab.mock.messages(), 20,
                           what="%d message(s) at the upstream" % n)
    m = msgs[n - 1]
    return m, lab.mock.raw(m["id"])


def refused(fn, **kw):
    with pytest.raises(ClientError) as ei:
        fn(**kw)
    return ei.value.response["Error"]


def test_boto3_sesv2_tags_and_configuration_set_are_kept(lab):
    lab.start()
    v2 = client(lab, "sesv2")
    r = v2.send_email(
        FromEmailAddress="app@example.com",
        Destination={"ToAddresses": ["rcpt@example.net"]},
        FeedbackForwardingEmailAddress="bounces@example.com",
        Content={"Simple": {"Subject": {"Data": "tagged", "Charset": "UTF-8"},
                            "Body": {"Text": {"Data": "hi"}}}},
        EmailTags=[{"Name": "campaign", "Value": "spring-24"},
                   {"Name": "kind", "Value": "welcome"}],
        ConfigurationSetName="main_set")
    qid = r["MessageId"]
    meta = meta_of(lab, qid)
    assert meta["tags"] == [{"name": "campaign", "value": "spring-24"},
                            {"name": "kind", "value": "welcome"}]
    assert meta["config_set"] == "main_set"
    m, raw = upstream(lab, 1)
    assert m["mail_from"] == "bounces@example.com"
    assert b"spring-24" not in raw and b"main_set" not in raw
    # As SES does: the delivered Message-ID carries the MessageId.
    mid = re.search(rb"(?im)^message-id:[ \t]*<([^@>]+)@", raw)
    assert mid and mid.group(1).decode() == qid, raw[:500]

    err = refused(v2.send_email, FromEmailAddress="app@example.com",
                  Destination={"ToAddresses": ["rcpt@example.net"]},
                  Content={"Simple": {"Subject": {"Data": "s"},
                                      "Body": {"Text": {"Data": "t"}}}},
                  ListManagementOptions={"ContactListName": "news"})
    assert err["Code"] == "BadRequestException", err
    assert "ListManagementOptions" in err["Message"]
    err = refused(v2.send_email, FromEmailAddress="app@example.com",
                  Destination={"ToAddresses": ["rcpt@example.net"]},
                  Content={"Simple": {"Subject": {"Data": "s"},
                                      "Body": {"Text": {"Data": "t"}}}},
                  EmailTags=[{"Name": "bad name", "Value": "x"}])
    assert err["Code"] == "BadRequestException", err
    assert "EmailTags[0]" in err["Message"]
    # SendBulkEmail sends stored templates (issue 19): an unknown one is
    # each entry's TEMPLATE_NOT_FOUND, and nothing is sent.
    res = v2.send_bulk_email(FromEmailAddress="app@example.com",
                             DefaultContent={"Template": {"TemplateName": "t"}},
                             BulkEmailEntries=[{"Destination": {
                                 "ToAddresses": ["rcpt@example.net"]}}])
    assert [r["Status"] for r in res["BulkEmailEntryResults"]] == [
        "TEMPLATE_NOT_FOUND"], res
    time.sleep(0.3)
    assert len(lab.mock.messages()) == 1


RAW = ("From: App <app@example.com>\r\n"
       "To: rcpt@example.net\r\n"
       "Bcc: hidden@example.net\r\n"
       "Subject: raw with SES fields\r\n"
       "X-SES-CONFIGURATION-SET: raw_set\r\n"
       "X-SES-MESSAGE-TAGS: campaign=raw, kind=receipt\r\n"
       "X-SES-SOURCE-ARN: arn:aws:ses:us-east-1:" + ACCOUNT +
       ":identity/example.com\r\n"
       "X-SES-FROM-ARN: arn:aws:ses:us-east-1:" + ACCOUNT +
       ":identity/example.com\r\n"
       "X-SES-RETURN-PATH-ARN: arn:aws:ses:us-east-1:" + ACCOUNT +
       ":identity/example.com\r\n"
       "\r\n"
       "Raw body.\r\n").encode()


def check_raw_arrived(lab, n, qid):
    m, raw = upstream(lab, n)
    assert sorted(m["rcpt_to"]) == ["hidden@example.net", "rcpt@example.net"]
    head = raw.split(b"\r\n\r\n", 1)[0].lower()
    assert b"\nbcc:" not in head and b"hidden@" not in raw
    assert b"x-ses-" not in head and ACCOUNT.encode() not in raw
    meta = meta_of(lab, qid)
    assert meta["config_set"] == "raw_set"
    assert {"name": "campaign", "value": "raw"} in meta["tags"]
    assert {"name": "kind", "value": "receipt"} in meta["tags"]


def test_boto3_sesv2_raw_bcc_and_ses_fields_do_not_reach_the_upstream(lab):
    lab.start()
    v2 = client(lab, "sesv2")
    r = v2.send_email(FromEmailAddress="app@example.com",
                      Content={"Raw": {"Data": RAW}})
    check_raw_arrived(lab, 1, r["MessageId"])


def test_boto3_ses_v1_tags_set_raw_and_refusals(lab):
    lab.start()
    v1 = client(lab, "ses")
    r = v1.send_email(
        Source="app@example.com",
        Destination={"ToAddresses": ["rcpt@example.net"]},
        Message={"Subject": {"Data": "v1 tagged", "Charset": "UTF-8"},
                 "Body": {"Text": {"Data": "hi", "Charset": "UTF-8"}}},
        ReturnPath="bounces@example.com",
        Tags=[{"Name": "campaign", "Value": "v1"}],
        ConfigurationSetName="v1_set")
    meta = meta_of(lab, r["MessageId"])
    assert meta["tags"] == [{"name": "campaign", "value": "v1"}]
    assert meta["config_set"] == "v1_set"
    m, _ = upstream(lab, 1)
    assert m["mail_from"] == "bounces@example.com"

    r = v1.send_raw_email(RawMessage={"Data": RAW})
    check_raw_arrived(lab, 2, r["MessageId"])

    err = refused(v1.send_email, Source="app@example.com",
                  Destination={"ToAddresses": ["rcpt@example.net"]},
                  Message={"Subject": {"Data": "s"},
                           "Body": {"Text": {"Data": "t"}}},
                  SourceArn="arn:aws:ses:us-east-1:%s:identity/example.com"
                  % ACCOUNT)
    assert err["Code"] == "InvalidParameterValue", err
    assert "SourceArn" in err["Message"]
    err = refused(v1.send_email, Source="app@example.com",
                  Destination={"ToAddresses": ["rcpt@example.net"]},
                  Message={"Subject": {"Data": "s", "Charset": "ISO-8859-1"},
                           "Body": {"Text": {"Data": "t"}}})
    assert err["Code"] == "InvalidParameterValue", err
    assert "Message.Subject.Charset" in err["Message"]
    err = refused(v1.send_templated_email, Source="app@example.com",
                  Destination={"ToAddresses": ["rcpt@example.net"]},
                  Template="t", TemplateData="{}")
    assert err["Code"] == "TemplateDoesNotExist", err
    assert "t does not exist" in err["Message"]
    time.sleep(0.3)
    assert len(lab.mock.messages()) == 2
