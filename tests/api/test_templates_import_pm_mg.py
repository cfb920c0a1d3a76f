"""swervectl template import --from-provider NAME for Postmark and
Mailgun (issue 19): swerve-mock serves Postmark's GET /templates (Count,
Offset) and GET /templates/{id}, and Mailgun's GET
/v3/{domain}/templates (paging.next) and GET
/v3/{domain}/templates/{name}?active=yes, loaded through its
/templates/api control route.

- Postmark: every page; each template stored as Mustachio under its
  Alias (its TemplateId without one) with its LayoutTemplate, so that a
  /email/withTemplate through swerved renders inside the imported layout
  and the message that leaves is complete.
- Mailgun: every page; the active version's template (Handlebars) and
  its Subject header, under the name in lower case; a template without
  an active version or with another engine is skipped; a send with
  template + t:variables renders it.
- A malformed answer for one template: that template failed (exit 1),
  nothing stored for it, the others imported; a malformed list page:
  nothing imported.
"""

import base64
import json
import urllib.parse

import swerve_harness as sh
from api_client import WEB_KEY, post
from test_templates import parsed, req

PM_KEY = "mock-postmark-server-token"
MG_KEY = "key-mock-mailgun"
MG_AUTH = "Basic " + base64.b64encode(("api:" + WEB_KEY).encode()).decode()


def load(mock, provider, templates):
    code, out, _ = sh.http_request(
        mock.url + "/templates/api", "POST",
        json.dumps({"provider": provider, "templates": templates}).encode(),
        {"Content-Type": "application/json"})
    assert code == 200, out


def malformed(mock, api):
    """Every answer of api's fake: success status, a broken body."""
    code, _, _ = sh.http_request(mock.url + "/mode/api/" + api, "PUT",
                                 b'{"mode": "malformed_json"}',
                                 {"Content-Type": "application/json"})
    assert code == 200


def daemon(lab, m):
    return lab.daemon(m, providers=[
        {"name": "up", "type": "smtp", "host": "127.0.0.1",
         "port": m.smtp_port, "tls": "none", "priority": 1},
        {"name": "pm", "type": "postmark", "endpoint": m.url,
         "api_key": PM_KEY, "priority": 2, "enabled": False},
        {"name": "pmbad", "type": "postmark", "endpoint": m.url,
         "api_key": "wrong-token", "priority": 3, "enabled": False},
        {"name": "mg", "type": "mailgun", "endpoint": m.url,
         "api_key": MG_KEY, "domain": "mg.example.com", "priority": 4,
         "enabled": False}])


def ctl(d, name):
    return sh.swervectl(["-c", d.config_path, "template", "import",
                         "--from-provider", name, "--tenant", "webt"])


def test_import_postmark_templates_and_send_with_layout(lab):
    m = lab.mock()
    d = daemon(lab, m)
    load(m, "postmark", [
        {"Name": "Base", "Alias": "base-layout", "TemplateType": "Layout",
         "HtmlBody": "<div>{{{@content}}}</div>",
         "TextBody": "== {{{@content}}} =="},
        {"Name": "Welcome", "Alias": "welcome", "Subject": "Hi {{name}}",
         "HtmlBody": "<p>{{name}}</p>", "TextBody": "Hello {{name}}",
         "LayoutTemplate": "base-layout"},
        {"Name": "NoAlias", "TemplateId": 4242, "Subject": "n",
         "TextBody": "{{#each items}}[{{.}}]{{/each}}"}]
        + [{"Name": "bulk%d" % i, "Alias": "bulk%03d" % i,
            "TextBody": "b%d {{x}}" % i} for i in range(150)])
    r = ctl(d, "pm")
    assert r.returncode == 0, r.stderr
    assert "imported 153 of 153 templates from pm (0 skipped, 0 failed)" \
        in r.stdout, r.stdout
    code, out = req(d, "GET", "/v1/templates/welcome")
    assert code == 200 and out["dialect"] == "mustachio", out
    assert out["subject"] == "Hi {{name}}" and out["text"] == "Hello {{name}}"
    assert req(d, "GET", "/v1/templates/4242")[1]["text"] == \
        "{{#each items}}[{{.}}]{{/each}}"
    assert req(d, "GET", "/v1/templates/bulk149")[0] == 200
    # Sent through swerve's Postmark API: rendered inside the layout.
    code, out, _ = post(d, "/email/withTemplate", {
        "From": "s@example.com", "To": "r@example.net",
        "TemplateAlias": "welcome", "TemplateModel": {"name": "<Ann>"}},
        key=None, headers={"X-Postmark-Server-Token": WEB_KEY})
    assert code == 200, out
    sh.wait_until(lambda: len(m.messages()) == 1, 15, what="delivered")
    e = parsed(m, 0)
    assert e["Subject"] == "Hi <Ann>"
    assert e.get_body(("plain",)).get_content().strip() == \
        "== Hello <Ann> =="
    assert "<div><p>&lt;Ann&gt;</p></div>" in \
        e.get_body(("html",)).get_content()
    # meta on the native API is an object or nothing; refused, nothing
    # stored.
    code, out = req(d, "POST", "/v1/templates/m1?tenant=webt",
                    {"text": "x", "meta": "layout"}, key=None)
    assert code == 400 and out["error"]["code"] == "invalid_field", out
    assert req(d, "GET", "/v1/templates/m1")[0] == 404
    # A wrong token: nothing imported.
    r = ctl(d, "pmbad")
    assert r.returncode == 1 and "nothing imported" in r.stderr, r.stderr


def test_import_postmark_malformed_template_fails_alone(lab):
    m = lab.mock()
    d = daemon(lab, m)
    load(m, "postmark", [
        {"Name": "Good", "Alias": "good", "TextBody": "g {{x}}"},
        {"Name": "Bad", "Alias": "bad", "TextBody": "x",
         "raw": '{"TemplateId": "seven", "Name": 5}'},
        {"Name": "Trunc", "Alias": "trunc", "TextBody": "x",
         "raw": '{"TemplateId": 7, "Name": "T", "TextBody": "ab'},
        {"Name": "Off", "Alias": "off", "TextBody": "x", "Active": False},
        {"Name": "Unparsable", "Alias": "unparsable",
         "TextBody": "{{#each x}}never closed"}])
    r = ctl(d, "pm")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "imported 1 of 5 templates from pm (1 skipped, 3 failed)" \
        in r.stdout, r.stdout
    assert "TemplateId" in r.stderr and "inactive" in r.stderr, r.stderr
    assert req(d, "GET", "/v1/templates/good")[0] == 200
    for name in ("bad", "trunc", "off", "unparsable"):
        assert req(d, "GET", "/v1/templates/" + name)[0] == 404, name
    # A list page that is not one: nothing imported.
    malformed(m, "postmark")
    r = ctl(d, "pm")
    assert r.returncode == 1 and "nothing imported" in r.stderr, r.stderr
    code, out = req(d, "GET", "/v1/templates/good/versions")
    assert [v["version"] for v in out["templates"]] == [1], out


def test_import_mailgun_templates_and_send(lab):
    m = lab.mock()
    d = daemon(lab, m)
    load(m, "mailgun", [
        {"name": "Order-Receipt", "description": "receipt",
         "version": {"tag": "v2", "engine": "handlebars",
                     "template": "<p>{{#each items}}{{this}};{{/each}}"
                                 " for {{name}}</p>",
                     "headers": {"Subject": "Receipt {{order}}"}}},
        {"name": "draft", "description": "no version yet"},
        {"name": "gotmpl", "version": {"engine": "go",
                                       "template": "{{.Name}}"}},
        {"name": "broken", "version": {"template": 12}}]
        + [{"name": "t%03d" % i, "version": {"template": "t%d" % i}}
           for i in range(120)])
    r = ctl(d, "mg")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "imported 121 of 124 templates from mg (2 skipped, 1 failed)" \
        in r.stdout, r.stdout
    assert "draft: skipped: no active version" in r.stderr, r.stderr
    assert "gotmpl: skipped: engine go" in r.stderr, r.stderr
    assert "broken: failed" in r.stderr, r.stderr
    code, out = req(d, "GET", "/v1/templates/order-receipt")
    assert code == 200 and out["dialect"] == "handlebars", out
    assert out["subject"] == "Receipt {{order}}" and out["text"] is None
    assert req(d, "GET", "/v1/templates/t119")[1]["html"] == "t119"
    assert req(d, "GET", "/v1/templates/broken")[0] == 404
    body = urllib.parse.urlencode({
        "from": "s@example.com", "to": "r@example.net",
        "template": "order-receipt",
        "t:variables": json.dumps({"items": ["a", "<b>"], "name": "Ann",
                                   "order": 9})}).encode()
    code, out, _ = sh.http_request(
        d.http_url + "/v3/mg.example.com/messages", "POST", body,
        {"Authorization": MG_AUTH,
         "Content-Type": "application/x-www-form-urlencoded"})
    assert code == 200, out
    sh.wait_until(lambda: len(m.messages()) == 1, 15, what="delivered")
    e = parsed(m, 0)
    assert e["Subject"] == "Receipt 9"
    assert "<p>a;&lt;b&gt;; for Ann</p>" in \
        e.get_body(("html",)).get_content()


def test_import_mailgun_malformed_list(lab):
    m = lab.mock()
    d = daemon(lab, m)
    load(m, "mailgun", [{"name": "ok", "version": {"template": "x"}}])
    malformed(m, "mailgun")
    r = ctl(d, "mg")
    assert r.returncode == 1 and "nothing imported" in r.stderr, r.stderr
    assert "Mailgun template list" in r.stderr, r.stderr
    assert req(d, "GET", "/v1/templates/ok")[0] == 404
