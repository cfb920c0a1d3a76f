"""Templates through the official SDKs (issue 19): each SDK uploads a
template to swerved, sends with it, and the upstream receives the message
rendered by swerve.

- SES v2 (@aws-sdk/client-sesv2): Create/Get/Update/List/Delete,
  TestRender, SendEmail with Content.Template, SendBulkEmail with
  per-entry results (the entry's data over the defaults; a missing
  variable fails that entry alone, as INVALID_PARAMETER; malformed data
  refuses the whole request), errors as SES's exceptions (AlreadyExists,
  NotFound, BadRequest with the line of a template that does not parse).

- SES v1 through Debian's boto3 (Create/Get/Update/List/TestRender/
  Delete, SendTemplatedEmail, SendBulkTemplatedEmail with a per-entry
  status, errors as SES's codes) and @aws-sdk/client-ses.

- @sendgrid/mail: template_id + dynamic_template_data per
  personalization (Handlebars: each, if, HTML escaped in html), an
  unknown template_id refused in SendGrid's error shape.

- mailgun.js: template with t:variables, or h:X-Mailgun-Variables as the
  variables; an unknown template refused with Mailgun's message.

- postmark: sendEmailWithTemplate by TemplateAlias and by TemplateId
  (a template named by the number), Mustachio ({{#each}}), an unknown
  template ErrorCode 1101; sendEmailBatchWithTemplates with per-message
  results.

The sdk_tmpl.js helper makes the node calls; these tests judge the
results.
"""

import email
import email.policy
import json
import os
import subprocess
import time

import pytest

import sdk_lab as c

HERE = os.path.dirname(os.path.abspath(__file__))


def scenario(lab, name, **env):
    e = dict(os.environ, SWERVE_URL=lab.url, SDK_KEY=c.KEY,
             SDK_AKID=c.AKID, SDK_SECRET=c.SECRET)
    e.update(env)
    p = subprocess.run(["node", os.path.join(HERE, "sdk_tmpl.js"), name],
                       capture_output=True, text=True, env=e, timeout=120)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    assert lines, "sdk_tmpl %s printed nothing:\n%s" % (name, p.stderr)
    return json.loads(lines[-1])


def upstream(lab, n, timeout=20):
    """The upstream's messages once it has n, parsed, by recipient."""
    msgs = c.sh.wait_until(lambda: len(lab.mock.messages()) >= n and
                           lab.mock.messages(), timeout,
                           what="%d message(s) at the upstream" % n)
    out = {}
    for m in msgs:
        raw = lab.mock.raw(m["id"])
        out[m["rcpt_to"][0]] = email.message_from_bytes(
            raw, policy=email.policy.default)
    return out


def text(msg):
    return msg.get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_sesv2_sdk_templates_send_and_bulk(lab, npm):
    lab.start()
    r = scenario(lab, "sesv2")
    assert r["create"]["ok"], r["create"]
    assert not r["createAgain"]["ok"]
    assert r["createAgain"]["name"] == "AlreadyExistsException", r["createAgain"]
    bad = r["createBad"]
    assert not bad["ok"] and bad["name"] == "BadRequestException", bad
    assert "line 2" in bad["message"], bad
    assert r["get"]["ok"] and r["get"]["content"] == {
        "Subject": "Receipt {{order}}", "Html": "<p>Hi {{name}}</p>",
        "Text": "Hi {{name}}, order {{order}}"}, r["get"]
    assert r["update"]["ok"], r["update"]
    assert r["updateMissing"]["name"] == "NotFoundException", r["updateMissing"]
    assert r["list"]["ok"] and r["list"]["names"] == ["receipt"], r["list"]
    assert r["list"]["created"] == [True] and r["list"]["next"] is None
    rendered = r["render"]["rendered"]
    assert "Subject: Your receipt A-1" in rendered, rendered
    # SES does not escape HTML.
    assert "<p>Hi <Ann></p>" in rendered, rendered
    assert r["renderMissing"]["name"] == "BadRequestException", r["renderMissing"]
    assert "name" in r["renderMissing"]["message"]
    assert r["send"]["ok"], r["send"]
    assert r["sendMissingVar"]["name"] == "BadRequestException"
    assert r["sendNoTemplate"]["name"] == "NotFoundException", r["sendNoTemplate"]
    assert r["bulk"]["ok"], r["bulk"]
    res = r["bulk"]["results"]
    assert [x["Status"] for x in res] == [
        "SUCCESS", "INVALID_PARAMETER", "SUCCESS"], res
    assert res[0]["MessageId"] and res[2]["MessageId"]
    assert "name" in res[1]["Error"], res
    # Malformed data in one entry refuses the whole request.
    bad = r["bulkBadData"]
    assert bad["name"] == "BadRequestException", bad
    assert "BulkEmailEntries[1]" in bad["message"], bad
    assert [x["Status"] for x in r["bulkNoTemplate"]["results"]] == [
        "TEMPLATE_NOT_FOUND"], r["bulkNoTemplate"]
    assert r["delete"]["ok"], r["delete"]
    assert r["getDeleted"]["name"] == "NotFoundException", r["getDeleted"]

    got = upstream(lab, 3)
    assert set(got) == {"rcpt@example.net", "one@example.net",
                        "three@example.net"}
    assert str(got["rcpt@example.net"]["Subject"]) == "Your receipt A-2"
    assert text(got["rcpt@example.net"]).strip() == "Hi Bo, order A-2"
    # Bulk: the entry's data over the defaults.
    assert str(got["one@example.net"]["Subject"]) == "Your receipt B-0"
    assert text(got["one@example.net"]).strip() == "Hi One, order B-0"
    assert text(got["three@example.net"]).strip() == "Hi Three, order B-3"
    time.sleep(0.5)
    assert len(lab.mock.messages()) == 3


def test_ses_v1_boto3_and_sdk_templates(lab, npm):
    boto3 = pytest.importorskip("boto3")
    from botocore.exceptions import ClientError
    lab.start()
    ses = boto3.client("ses", region_name="us-east-1", endpoint_url=lab.url,
                       aws_access_key_id=c.AKID,
                       aws_secret_access_key=c.SECRET)

    def code(fn, **kw):
        with pytest.raises(ClientError) as ei:
            fn(**kw)
        return ei.value.response["Error"]["Code"]

    ses.create_template(Template={"TemplateName": "welcome",
                                  "SubjectPart": "Welcome {{name}}",
                                  "TextPart": "Hi {{name}} from {{city}}",
                                  "HtmlPart": "<p>{{name}}</p>"})
    assert code(ses.create_template, Template={
        "TemplateName": "welcome", "TextPart": "x"}) == "AlreadyExists"
    assert code(ses.create_template, Template={
        "TemplateName": "bad", "TextPart": "a\nb {{c"}) == "InvalidTemplate"
    t = ses.get_template(TemplateName="welcome")["Template"]
    assert t == {"TemplateName": "welcome", "SubjectPart": "Welcome {{name}}",
                 "TextPart": "Hi {{name}} from {{city}}",
                 "HtmlPart": "<p>{{name}}</p>"}, t
    assert code(ses.get_template, TemplateName="nope") == "TemplateDoesNotExist"
    ses.update_template(Template={"TemplateName": "welcome",
                                  "SubjectPart": "Welcome, {{name}}",
                                  "TextPart": "Hi {{name}} from {{city}}"})
    assert code(ses.update_template, Template={
        "TemplateName": "nope", "TextPart": "x"}) == "TemplateDoesNotExist"
    lst = ses.list_templates(MaxItems=10)
    assert [m["Name"] for m in lst["TemplatesMetadata"]] == ["welcome"]
    assert lst["TemplatesMetadata"][0]["CreatedTimestamp"].year >= 2024
    r = ses.test_render_template(TemplateName="welcome", TemplateData=json.dumps(
        {"name": "<Ann>", "city": "Oslo"}))["RenderedTemplate"]
    assert "Subject: Welcome, <Ann>" in r, r
    assert code(ses.test_render_template, TemplateName="welcome",
                TemplateData='{"name": "x"}') == "InvalidRenderingParameter"

    mid = ses.send_templated_email(
        Source="s@example.com", Destination={"ToAddresses": ["b1@example.net"]},
        Template="welcome", TemplateData=json.dumps({"name": "Bo", "city": "Rome"}))
    assert mid["MessageId"]
    assert code(ses.send_templated_email, Source="s@example.com",
                Destination={"ToAddresses": ["b1@example.net"]},
                Template="nope", TemplateData="{}") == "TemplateDoesNotExist"
    st = ses.send_bulk_templated_email(
        Source="s@example.com", Template="welcome",
        DefaultTemplateData=json.dumps({"name": "Default", "city": "Paris"}),
        Destinations=[
            {"Destination": {"ToAddresses": ["b2@example.net"]}},
            {"Destination": {"ToAddresses": ["b3@example.net"]},
             "ReplacementTemplateData": json.dumps({"name": "Three"})},
            {"Destination": {"ToAddresses": ["b4@example.net"]},
             "ReplacementTemplateData": json.dumps({"city": None})}])["Status"]
    assert [x["Status"] for x in st[:2]] == ["Success", "Success"], st
    assert st[0]["MessageId"] and st[1]["MessageId"]

    r = scenario(lab, "ses")
    assert r["create"]["ok"] and r["send"]["ok"], r
    assert r["get"]["template"]["SubjectPart"] == "Hello {{name}}"
    assert [x["Status"] for x in r["bulk"]["status"]] == ["Success", "Success"]
    assert r["sendMissing"]["name"] == "TemplateDoesNotExistException", \
        r["sendMissing"]

    ses.delete_template(TemplateName="welcome")
    assert code(ses.get_template, TemplateName="welcome") == "TemplateDoesNotExist"
    n = 6 + (1 if st[2]["Status"] == "Success" else 0)
    got = upstream(lab, n)
    assert str(got["b1@example.net"]["Subject"]) == "Welcome, Bo"
    assert text(got["b1@example.net"]).strip() == "Hi Bo from Rome"
    assert text(got["b2@example.net"]).strip() == "Hi Default from Paris"
    assert text(got["b3@example.net"]).strip() == "Hi Three from Paris"
    assert str(got["js1@example.net"]["Subject"]) == "Hello Jo"
    assert text(got["js2@example.net"]).strip() == "Dear Default"
    assert text(got["js3@example.net"]).strip() == "Dear Three"


def put_template(lab, tenant, name, body):
    code, out, _ = c.sh.http_request(
        lab.url + "/v1/templates/%s?tenant=%s" % (name, tenant), "POST",
        json.dumps(body).encode(),
        dict(c.sh.ADMIN_AUTH, **{"Content-Type": "application/json"}))
    assert code == 201, out


def test_sendgrid_sdk_dynamic_template(lab, npm):
    lab.start()
    put_template(lab, "sdkt", "d-5f0c0ffee", {
        "dialect": "handlebars",
        "subject": "Hi {{name}}{{#if vip}} (VIP){{/if}}",
        "html": "<p>{{name}}</p><ul>{{#each items}}<li>{{n}}</li>{{/each}}</ul>",
        "text": "{{name}}: {{#each items}}{{n}};{{else}}none{{/each}}"})
    r = scenario(lab, "sendgrid", TEMPLATE_ID="d-5f0c0ffee")
    assert r["send"]["ok"] and r["send"]["status"] == 202, r["send"]
    u = r["unknown"]
    assert not u["ok"] and u["status"] == 400, u
    assert u["errors"][0]["field"] == "template_id", u
    got = upstream(lab, 2)
    one, two = got["sg1@example.net"], got["sg2@example.net"]
    assert str(one["Subject"]) == "Hi One (VIP)"
    assert text(one).strip() == "One: a;b;"
    assert "<ul><li>a</li><li>b</li></ul>" in one.get_body(("html",)).get_content()
    assert str(two["Subject"]) == "Hi <Two>"
    assert text(two).strip() == "<Two>: none"
    assert "<p>&lt;Two&gt;</p>" in two.get_body(("html",)).get_content()
    time.sleep(0.5)
    assert len(lab.mock.messages()) == 2


def test_mailgun_sdk_template(lab, npm):
    lab.start()
    put_template(lab, "sdkt", "welcome", {
        "subject": "Welcome {{name}}",
        "html": "<b>{{name}}</b>{{#each items}}<i>{{this}}</i>{{/each}}",
        "text": "Hi {{name}}"})
    r = scenario(lab, "mailgun")
    assert r["tvars"]["ok"] and r["tvars"]["id"], r["tvars"]
    assert r["hvars"]["ok"], r["hvars"]
    assert not r["unknown"]["ok"], r["unknown"]
    assert r["unknown"]["status"] == 400, r["unknown"]
    assert "nosuch" in r["unknown"]["details"], r["unknown"]
    got = upstream(lab, 2)
    assert str(got["mg1@example.net"]["Subject"]) == "Welcome Mia"
    assert "<b>Mia</b><i>x</i><i>y</i>" in \
        got["mg1@example.net"].get_body(("html",)).get_content()
    assert text(got["mg2@example.net"]).strip() == "Hi <Max>"
    assert "<b>&lt;Max&gt;</b>" in \
        got["mg2@example.net"].get_body(("html",)).get_content()
    time.sleep(0.5)
    assert len(lab.mock.messages()) == 2


def test_postmark_sdk_templates(lab, npm):
    lab.start()
    put_template(lab, "sdkt", "pm-welcome", {
        "dialect": "mustachio", "subject": "Hello {{name}}",
        "html": "<p>{{name}}</p>{{#each items}}<i>{{n}}</i>{{/each}}",
        "text": "Hello {{name}}"})
    put_template(lab, "sdkt", "4242", {
        "dialect": "mustachio", "subject": "By id {{name}}",
        "text": "id {{name}} {{missing}}."})
    r = scenario(lab, "postmark")
    assert r["alias"]["ok"] and r["alias"]["code"] == 0, r["alias"]
    assert r["id"]["ok"], r["id"]
    assert not r["missing"]["ok"], r["missing"]
    assert "1101" in str(r["missing"].get("status")) or \
        "could not be found" in r["missing"]["message"], r["missing"]
    res = r["batch"]["results"]
    assert res[0]["code"] == 0 and res[0]["id"], res
    assert res[1]["code"] == 1101, res
    got = upstream(lab, 3)
    assert str(got["pm1@example.net"]["Subject"]) == "Hello Pia"
    assert "<p>Pia</p><i>a</i><i>b</i>" in \
        got["pm1@example.net"].get_body(("html",)).get_content()
    assert text(got["pm2@example.net"]).strip() == "id Pat ."
    assert "<p>&lt;Ben&gt;</p>" in \
        got["pm3@example.net"].get_body(("html",)).get_content()
    time.sleep(0.5)
    assert len(lab.mock.messages()) == 3
