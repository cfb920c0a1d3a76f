"""The template store (issue 19, item 1): /v1/templates per tenant,
versioned, and swervectl template list|show|put|render|diff.

- Versions: the first is active; a put may activate its version or not;
  activate switches; the active version cannot be deleted alone; the
  name can (every version); all of it survives a restart.
- A part that does not parse is refused with its line and column, and
  nothing is stored (the version numbers do not move).
- Scoping: an API key sees its own tenant's templates only, the admin key
  names the tenant with ?tenant=; the same name in two tenants is two
  templates.
- render: the active version or a named one, HTML escaped in html only.
- swervectl: put (files), list, show, render (--data), diff, activate,
  delete.
- Sending (issue 19, item 2): "template" on /v1/messages and the batch
  renders at ingress; the stored message is complete (a later version
  changes nothing already accepted); unknown template, template with
  subject/text/html, a rendered subject with a line break: refused,
  nothing stored.
- Failover: the primary refuses, the backup receives the same rendered
  subject and bodies.
"""

import email
import email.policy
import json
import os
import time

import swerve_harness as sh
from api_client import JOBS_KEY, WEB_KEY, post, send


def req(d, method, path, body=None, key=WEB_KEY):
    h = ({"Authorization": "Bearer " + key} if key
         else dict(sh.ADMIN_AUTH) if key is None else {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    code, out, _ = sh.http_request(d.http_url + path, method, data, h)
    return code, json.loads(out or b"null")


def test_versions_activation_deletion_and_restart(lab):
    d = lab.daemon()
    code, out = req(d, "POST", "/v1/templates/welcome",
                    {"subject": "Hi {{name}}", "html": "<p>{{name}}</p>",
                     "text": "Hello {{name}}", "activate": False,
                     "dialect": "mustache"})
    assert code == 201 and out == {"name": "welcome", "version": 1}, out
    code, out = req(d, "POST", "/v1/templates/welcome",
                    {"subject": "Hello {{name}}", "text": "v2 {{name}}",
                     "activate": False, "dialect": "mustache"})
    assert code == 201 and out["version"] == 2, out
    # The first version is active whatever its put said; v2 waits.
    code, out = req(d, "GET", "/v1/templates/welcome")
    assert code == 200 and out["version"] == 1 and out["active"] is True
    assert out["html"] == "<p>{{name}}</p>" and out["dialect"] == "mustache"
    assert out["tenant"] == "webt"
    code, out = req(d, "GET", "/v1/templates/welcome?version=2")
    assert code == 200 and out["active"] is False and out["html"] is None
    assert out["dialect"] == "mustache"
    code, out = req(d, "POST", "/v1/templates/welcome/render",
                    {"data": {"name": "<Ann>"}})
    assert code == 200, out
    assert out == {"name": "welcome", "version": 1, "subject": "Hi <Ann>",
                   "html": "<p>&lt;Ann&gt;</p>", "text": "Hello <Ann>"}
    code, out = req(d, "POST", "/v1/templates/welcome/render",
                    {"data": {"name": "Bo"}, "version": 2})
    assert code == 200 and out["subject"] == "Hello Bo", out
    assert out["html"] is None and out["text"] == "v2 Bo"

    code, out = req(d, "POST", "/v1/templates/welcome/activate",
                    {"version": 2})
    assert code == 200, out
    code, out = req(d, "POST", "/v1/templates/welcome/activate",
                    {"version": 7})
    assert code == 404, out
    code, out = req(d, "GET", "/v1/templates/welcome/versions")
    assert code == 200
    assert [(v["version"], v["active"]) for v in out["templates"]] == [
        (1, False), (2, True)]
    assert req(d, "DELETE", "/v1/templates/welcome?version=2")[0] == 409
    code, out = req(d, "GET", "/v1/templates")
    assert [(t["name"], t["version"]) for t in out["templates"]] == [
        ("welcome", 2)]
    assert out["next"] is None

    d.restart()
    code, out = req(d, "POST", "/v1/templates/welcome/render",
                    {"data": {"name": "Cy"}})
    assert code == 200 and out["version"] == 2 and out["subject"] == "Hello Cy"
    assert req(d, "DELETE", "/v1/templates/welcome?version=1")[0] == 200
    assert req(d, "GET", "/v1/templates/welcome?version=1")[0] == 404
    assert req(d, "DELETE", "/v1/templates/welcome")[0] == 200
    assert req(d, "GET", "/v1/templates/welcome")[0] == 404
    assert req(d, "POST", "/v1/templates/welcome/render", {})[0] == 404
    assert req(d, "DELETE", "/v1/templates/welcome")[0] == 404
    d.restart()
    code, out = req(d, "GET", "/v1/templates")
    assert code == 200 and out["templates"] == []


def test_a_part_that_does_not_parse_is_refused_and_nothing_stored(lab):
    d = lab.daemon()
    assert req(d, "POST", "/v1/templates/r", {"text": "ok {{a}}",
                                             "dialect": "mustache"})[0] == 201
    code, out = req(d, "POST", "/v1/templates/r",
                    {"subject": "fine", "html": "<p>\n  {{oops</p>",
                     "dialect": "mustache"})
    assert code == 400, out
    e = out["error"]
    assert e["code"] == "template_syntax" and e["field"] == "html", e
    assert e["line"] == 2 and e["column"] >= 1, e
    assert "line 2" in e["message"], e
    code, out = req(d, "GET", "/v1/templates/r/versions")
    assert [v["version"] for v in out["templates"]] == [1]
    # Malformed requests: each refused, nothing stored.
    for body, code_want in [
            ({"subject": "only"}, "missing_field"),
            ({"text": "x", "dialect": "jinja"}, "invalid_field"),
            ({"text": 5}, "invalid_field"),
            ({"text": "x", "activate": "yes"}, "invalid_field"),
            ({"text": "x", "extra": 1}, "unknown_field")]:
        code, out = req(d, "POST", "/v1/templates/r", body)
        assert code == 400 and out["error"]["code"] == code_want, (body, out)
    code, out, _ = sh.http_request(
        d.http_url + "/v1/templates/r", "POST", b"{not json",
        {"Authorization": "Bearer " + WEB_KEY})
    assert code == 400
    for bad in ["/v1/templates/.x", "/v1/templates/a%20b"]:
        assert req(d, "POST", bad, {"text": "x"})[0] == 400, bad
    assert req(d, "POST", "/v1/templates/r/activate", {"version": "1"})[0] == 400
    assert req(d, "POST", "/v1/templates/r/render", {"data": [1]})[0] == 400
    assert req(d, "GET", "/v1/templates?limit=0")[0] == 400
    code, out = req(d, "GET", "/v1/templates/r/versions")
    assert [v["version"] for v in out["templates"]] == [1]


def test_tenants_are_apart(lab):
    d = lab.daemon()
    assert req(d, "POST", "/v1/templates/t", {"text": "web {{x}}",
                                             "dialect": "mustache"})[0] == 201
    assert req(d, "POST", "/v1/templates/t", {"text": "jobs {{x}}",
                                             "dialect": "mustache"},
               key=JOBS_KEY)[0] == 201
    code, out = req(d, "POST", "/v1/templates/t/render", {"data": {"x": 1}},
                    key=JOBS_KEY)
    assert out["text"] == "jobs 1", out
    code, out = req(d, "POST", "/v1/templates/t/render", {"data": {"x": 1}})
    assert out["text"] == "web 1", out
    # An API key cannot name another tenant; the admin key names any.
    assert req(d, "GET", "/v1/templates?tenant=jobs")[0] == 403
    code, out = req(d, "GET", "/v1/templates/t?tenant=jobs", key=None)
    assert code == 200 and out["text"] == "jobs {{x}}", out
    code, out = req(d, "GET", "/v1/templates", key=None)
    assert code == 200 and out["templates"] == []
    assert req(d, "GET", "/v1/templates", key="")[0] == 401
    assert req(d, "DELETE", "/v1/templates/t", key=JOBS_KEY)[0] == 200
    code, out = req(d, "GET", "/v1/templates/t")
    assert code == 200 and out["text"] == "web {{x}}"


def ctl(d, *args):
    return sh.swervectl(["-c", d.config_path, "template"] + list(args))


def test_swervectl_template(lab, tmp_path):
    d = lab.daemon()
    html = tmp_path / "r.html"
    html.write_text("<h1>Receipt</h1>\n<p>{{total}}</p>\n")
    text = tmp_path / "r.txt"
    text.write_text("Total {{total}}\n")
    r = ctl(d, "put", "receipt", "--tenant", "webt", "--subject",
            "Receipt {{id}}", "--html", str(html), "--text", str(text),
            "--dialect", "mustache")
    assert r.returncode == 0, r.stderr
    assert "version 1 stored" in r.stdout
    html.write_text("<h1>Your receipt</h1>\n<p>{{total}}</p>\n")
    r = ctl(d, "put", "receipt", "--tenant", "webt", "--subject",
            "Receipt {{id}}", "--html", str(html), "--text", str(text),
            "--no-activate", "--dialect", "mustache")
    assert r.returncode == 0 and "version 2 stored" in r.stdout, r.stderr
    bad = tmp_path / "bad.html"
    bad.write_text("a\nb {{x\n")
    r = ctl(d, "put", "receipt", "--tenant", "webt", "--html", str(bad),
            "--dialect", "mustache")
    assert r.returncode == 1 and "line 2" in r.stderr, r.stderr

    r = ctl(d, "list", "--tenant", "webt")
    assert r.returncode == 0 and "receipt" in r.stdout and "v1" in r.stdout
    r = ctl(d, "show", "receipt", "--tenant", "webt")
    assert r.returncode == 0, r.stderr
    assert "receipt version 1, active" in r.stdout
    assert "v2" in r.stdout and "<h1>Receipt</h1>" in r.stdout
    data = tmp_path / "d.json"
    data.write_text(json.dumps({"id": "A-1", "total": "9.50"}))
    r = ctl(d, "render", "receipt", "--tenant", "webt", "--data", str(data),
            "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["subject"] == "Receipt A-1"
    assert out["html"] == "<h1>Receipt</h1>\n<p>9.50</p>\n"
    r = ctl(d, "diff", "receipt", "1", "2", "--tenant", "webt")
    assert r.returncode == 1, r.stderr
    assert "-<h1>Receipt</h1>" in r.stdout
    assert "+<h1>Your receipt</h1>" in r.stdout
    assert " <p>{{total}}</p>" in r.stdout
    r = ctl(d, "diff", "receipt", "1", "1", "--tenant", "webt")
    assert r.returncode == 0 and "same" in r.stdout
    r = ctl(d, "activate", "receipt", "2", "--tenant", "webt")
    assert r.returncode == 0, r.stderr
    r = ctl(d, "render", "receipt", "--tenant", "webt", "--data", str(data))
    assert r.returncode == 0 and "Your receipt" in r.stdout, r.stdout
    r = ctl(d, "delete", "receipt", "--tenant", "webt", "--version", "2")
    assert r.returncode == 1 and "409" in r.stderr
    r = ctl(d, "delete", "receipt", "--tenant", "webt")
    assert r.returncode == 0, r.stderr
    r = ctl(d, "show", "receipt", "--tenant", "webt")
    assert r.returncode == 1 and "404" in r.stderr
    assert not os.path.exists(str(tmp_path / "nothing"))


def parsed(m, i):
    raw = m.raw(m.messages()[i]["id"])
    raw = raw if isinstance(raw, bytes) else json.dumps(raw).encode()
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_native_send_renders_before_storing(lab):
    m = lab.mock()
    d = lab.daemon(m)
    assert req(d, "POST", "/v1/templates/welcome",
               {"subject": "Welcome {{name}}",
                "html": "<p>Hi {{name}}</p>",
                "text": "Hi {{name}}, order {{order}}",
                "dialect": "mustache"})[0] == 201
    code, out, _ = send(d, {"from": "s@example.com", "to": "r@example.net",
                            "template": {"name": "welcome",
                                         "data": {"name": "<Ann>",
                                                  "order": 7}}})
    assert code == 202, out
    sh.wait_until(lambda: len(m.messages()) == 1, 15, what="mock got it")
    e = parsed(m, 0)
    assert str(e["Subject"]) == "Welcome <Ann>"
    assert e.get_body(("plain",)).get_content().strip() == "Hi <Ann>, order 7"
    assert "<p>Hi &lt;Ann&gt;</p>" in e.get_body(("html",)).get_content()
    # The stored message is the rendered one: a new version changes
    # nothing already accepted.
    assert req(d, "POST", "/v1/templates/welcome",
               {"subject": "v2 {{name}}", "text": "v2",
                "dialect": "mustache"})[0] == 201
    code, out, _ = send(d, {"from": "s@example.com", "to": "r@example.net",
                            "template": {"name": "welcome",
                                         "data": {"name": "Bo"}}})
    assert code == 202, out
    sh.wait_until(lambda: len(m.messages()) == 2, 15, what="second")
    assert str(parsed(m, 1)["Subject"]) == "v2 Bo"

    # Refusals: nothing stored.
    for body, status, ecode in [
            ({"template": {"name": "nope"}}, 404, "template_not_found"),
            ({"template": {"name": "welcome"}, "subject": "x"}, 400,
             "invalid_field"),
            ({"template": {"name": "welcome", "data": [1]}}, 400,
             "invalid_field"),
            ({"template": {"name": "welcome", "x": 1}}, 400, "unknown_field"),
            ({"template": "welcome"}, 400, "invalid_field"),
            ({"template": {"name": "welcome",
                           "data": {"name": "a\r\nBcc: x@evil.test"}}},
             400, "invalid_field")]:
        msg = {"from": "s@example.com", "to": "r@example.net"}
        msg.update(body)
        code, out, _ = send(d, msg)
        assert code == status and out["error"]["code"] == ecode, (body, out)
    # Another tenant's template is not found.
    code, out, _ = send(d, {"from": "s@example.org", "to": "r@example.net",
                            "template": {"name": "welcome"}}, key=JOBS_KEY)
    assert code == 404, out
    # A batch: each item rendered with its own data.
    code, out, _ = post(d, "/v1/messages/batch", {"messages": [
        {"from": "s@example.com", "to": "a@example.net",
         "template": {"name": "welcome", "data": {"name": "A"}}},
        {"from": "s@example.com", "to": "b@example.net",
         "template": {"name": "welcome", "data": {"name": "B"}}}]})
    assert code == 202, out
    sh.wait_until(lambda: len(m.messages()) == 4, 15, what="batch")
    subjects = sorted(str(parsed(m, i)["Subject"]) for i in (2, 3))
    assert subjects == ["v2 A", "v2 B"]
    time.sleep(0.3)
    assert len(m.messages()) == 4


def test_primary_down_backup_gets_the_same_rendered_message(lab):
    """Rendering happens once, at ingress: the backup provider receives
    exactly the body the primary would have (issue 19's reason)."""
    primary, backup = lab.mock("p"), lab.mock("b")
    d = lab.daemon(providers=[sh.provider("p", primary.smtp_port, 1),
                              sh.provider("b", backup.smtp_port, 2)])
    assert req(d, "POST", "/v1/templates/r", {
        "dialect": "handlebars", "subject": "Order {{id}}",
        "html": "<p>{{name}}</p>{{#each items}}<i>{{this}}</i>{{/each}}",
        "text": "{{name}}: {{#each items}}{{this}} {{/each}}"})[0] == 201
    msg = {"from": "s@example.com", "to": "r@example.net",
           "template": {"name": "r", "data": {"id": 7, "name": "<Ann>",
                                              "items": ["a", "b"]}}}
    assert send(d, msg)[0] == 202
    sh.wait_until(lambda: len(primary.messages()) == 1, 15, what="primary")
    primary.set_mode("refuse")
    assert send(d, msg)[0] == 202
    sh.wait_until(lambda: len(backup.messages()) == 1, 30, what="backup")
    a = email.message_from_bytes(primary.raw(primary.messages()[0]["id"]),
                                 policy=email.policy.default)
    b = email.message_from_bytes(backup.raw(backup.messages()[0]["id"]),
                                 policy=email.policy.default)
    assert str(a["Subject"]) == str(b["Subject"]) == "Order 7"
    for kind in ("plain", "html"):
        assert a.get_body((kind,)).get_content() == \
            b.get_body((kind,)).get_content()
    assert "<p>&lt;Ann&gt;</p><i>a</i><i>b</i>" in \
        b.get_body(("html",)).get_content()


def test_hostile_templates_refused_or_bounded(lab):
    """Deep nesting is refused at upload with its place; a loop that
    would write too much stops at render with a clear error and nothing
    is stored; a partial is an error (none is stored with a template)."""
    m = lab.mock()
    d = lab.daemon(m)
    deep = "{{#a}}" * 150 + "x" + "{{/a}}" * 150
    code, out = req(d, "POST", "/v1/templates/deep",
                    {"dialect": "handlebars", "text": deep})
    assert code == 400 and out["error"]["code"] == "template_syntax", out
    assert out["error"]["line"] == 1 and out["error"]["column"] > 1, out
    assert req(d, "GET", "/v1/templates/deep")[0] == 404
    # 200 rows of 200 columns of a 200-octet string: 8 MB > 4 MiB limit.
    code, out = req(d, "POST", "/v1/templates/big", {
        "dialect": "handlebars",
        "text": "{{#each rows}}{{#each ../cols}}{{../../s}}{{/each}}{{/each}}"})
    assert code == 201, out
    data = {"rows": list(range(200)), "cols": list(range(200)), "s": "x" * 200}
    code, out, _ = send(d, {"from": "s@example.com", "to": "r@example.net",
                            "template": {"name": "big", "data": data}})
    assert code == 400 and out["error"]["code"] == "render_failed", out
    code, out = req(d, "POST", "/v1/templates/big/render", {"data": data})
    assert code == 400, out
    assert req(d, "POST", "/v1/templates/part", {
        "dialect": "handlebars", "text": "a {{> other}} b"})[0] == 201
    code, out, _ = send(d, {"from": "s@example.com", "to": "r@example.net",
                            "template": {"name": "part"}})
    assert code == 400 and out["error"]["code"] == "render_failed", out
    time.sleep(0.3)
    assert m.messages() == []
