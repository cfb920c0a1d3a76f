"""swervectl template import --from-provider NAME (issue 19, item 5):
a provider's own templates read through its API and stored in the
tenant's store. swerve-mock serves SendGrid's /v3/templates and
/v3/templates/{id} (seeded through SendGrid's own create calls) and SES
v2's ListEmailTemplates and GetEmailTemplate behind its SigV4 check
(seeded with boto3's CreateEmailTemplate). SendGrid: the active version,
stored under the d-... id a send's template_id names; importing again
adds a version. SES: every page (NextToken), a wrong secret imports
nothing. A provider type without such an import says so.
"""

import json

import pytest

import swerve_harness as sh
from api_client import post
from test_templates import req

SG_KEY = "SG.mock-sendgrid-key"


def sg_call(mock, path, body):
    code, out, _ = sh.http_request(
        mock.url + path, "POST", json.dumps(body).encode(),
        {"Content-Type": "application/json",
         "Authorization": "Bearer " + SG_KEY})
    assert code == 201, out
    return json.loads(out)


def test_import_sendgrid_dynamic_templates(lab):
    m = lab.mock()
    d = lab.daemon(m, providers=[
        {"name": "sg", "type": "sendgrid", "endpoint": m.url,
         "api_key": SG_KEY, "priority": 1},
        {"name": "up", "type": "smtp", "host": "127.0.0.1",
         "port": m.smtp_port, "tls": "none", "priority": 2}])
    t = sg_call(m, "/v3/templates", {"name": "Receipt",
                                      "generation": "dynamic"})
    sg_call(m, "/v3/templates/%s/versions" % t["id"], {
        "name": "old", "subject": "old {{x}}", "plain_content": "old",
        "active": 1})
    sg_call(m, "/v3/templates/%s/versions" % t["id"], {
        "name": "new", "subject": "Receipt {{order}}",
        "html_content": "<p>{{name}}</p>", "plain_content": "Hi {{name}}",
        "active": 1})
    empty = sg_call(m, "/v3/templates", {"name": "Draft",
                                          "generation": "dynamic"})
    r = sh.swervectl(["-c", d.config_path, "template", "import",
                      "--from-provider", "sg", "--tenant", "webt"])
    assert r.returncode == 0, r.stderr
    assert "imported 1 of 1 templates from sg" in r.stdout, r.stdout
    code, out = req(d, "GET", "/v1/templates/" + t["id"])
    assert code == 200, out
    assert out["subject"] == "Receipt {{order}}" and out["version"] == 1
    assert out["html"] == "<p>{{name}}</p>" and out["dialect"] == "handlebars"
    assert req(d, "GET", "/v1/templates/" + empty["id"])[0] == 404
    # A send through the SendGrid API with the same template_id works.
    code, out, _ = post(d, "/v3/mail/send", {
        "personalizations": [{"to": [{"email": "r@example.net"}],
                              "dynamic_template_data": {"name": "Ann",
                                                        "order": 5}}],
        "from": {"email": "s@example.com"}, "template_id": t["id"]})
    assert code == 202, out
    r = sh.swervectl(["-c", d.config_path, "template", "import",
                      "--from-provider", "sg", "--tenant", "webt"])
    assert r.returncode == 0, r.stderr
    code, out = req(d, "GET", "/v1/templates/%s/versions" % t["id"])
    assert [v["version"] for v in out["templates"]] == [1, 2]
    r = sh.swervectl(["-c", d.config_path, "template", "import",
                      "--from-provider", "up", "--tenant", "webt"])
    assert r.returncode == 2 and "sendgrid" in r.stderr, r.stderr
    r = sh.swervectl(["-c", d.config_path, "template", "import",
                      "--from-provider", "nope"])
    assert r.returncode == 2, r.stderr


AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def test_import_ses_templates(lab):
    """SES v2: ListEmailTemplates (paged by NextToken) and
    GetEmailTemplate, SigV4-signed; seeded through boto3's
    CreateEmailTemplate against swerve-mock."""
    boto3 = pytest.importorskip("boto3")
    m = lab.mock()
    d = lab.daemon(m, providers=[
        {"name": "ses", "type": "ses", "endpoint": m.url,
         "access_key_id": AKID, "secret_access_key": SECRET,
         "region": "us-east-1", "priority": 1},
        {"name": "sesbad", "type": "ses", "endpoint": m.url,
         "access_key_id": AKID, "secret_access_key": SECRET[:-1] + "x",
         "region": "us-east-1", "priority": 2, "enabled": False}])
    ses = boto3.client("sesv2", region_name="us-east-1", endpoint_url=m.url,
                       aws_access_key_id=AKID, aws_secret_access_key=SECRET)
    for i in range(120):  # more than one page of 100
        ses.create_email_template(TemplateName="t%03d" % i, TemplateContent={
            "Subject": "S%d {{a}}" % i, "Text": "text {{a}}",
            "Html": "<p>{{a}}</p>"})
    r = sh.swervectl(["-c", d.config_path, "template", "import",
                      "--from-provider", "ses", "--tenant", "webt"])
    assert r.returncode == 0, r.stderr
    assert "imported 120 of 120 templates from ses" in r.stdout, r.stdout
    code, out = req(d, "GET", "/v1/templates/t119")
    assert code == 200 and out["subject"] == "S119 {{a}}", out
    assert out["text"] == "text {{a}}" and out["dialect"] == "handlebars"
    code, out = req(d, "POST", "/v1/templates/t007/render",
                    {"data": {"a": "x"}})
    assert out["subject"] == "S7 x", out
    r = sh.swervectl(["-c", d.config_path, "template", "import",
                      "--from-provider", "sesbad", "--tenant", "webt"])
    assert r.returncode == 1 and "nothing imported" in r.stderr, r.stderr
