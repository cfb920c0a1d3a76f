"""The ESPs' template management APIs through their official SDKs
(issue 19): an upload script written for the ESP works against swerved
unchanged, and the template it uploads is what a send renders.

- SendGrid (@sendgrid/client 8.1.6): POST /v3/templates (dynamic),
  versions created, edited, activated, deleted; GET one and the list;
  PATCH (rename); DELETE; then @sendgrid/mail sends with the template_id
  and the upstream receives the active version rendered. A version that
  does not parse or lacks its subject is refused in SendGrid's error
  shape and changes nothing.

- Postmark (postmark 5.1.0): createTemplate (Standard and Layout),
  getTemplates (Count/Offset, TemplateType filter), getTemplate by id
  and by alias, editTemplate (a new alias too), validateTemplate
  (ValidationErrors with Line and CharacterPosition, RenderedContent
  inside the layout, SuggestedTemplateModel), deleteTemplate; sends by
  TemplateAlias and TemplateId render the Standard template inside its
  Layout at {{{@content}}}. Malformed requests answer Postmark's
  ErrorCodes (1120 missing, 1122 invalid, 1123 not allowed, 1130/1131
  placeholder, 1132 type change, 1101 not found) and change nothing.

- Mailgun (mailgun.js 14.0.1): domainTemplates create (with a first
  version), createVersion (active: yes), get (?active=yes), listVersions,
  getVersion, updateVersion, update (description), list, destroyVersion,
  destroy; a send with `template` renders the active version. Malformed
  forms answer Mailgun's {"message"} 400/404 and change nothing.

The sdk_tmpl_mgmt.js helper makes the node calls; these tests judge
the results.
"""

import email
import email.policy
import json
import os
import re
import subprocess

import sdk_lab as c

HERE = os.path.dirname(os.path.abspath(__file__))


def scenario(lab, name, **env):
    e = dict(os.environ, SWERVE_URL=lab.url, SDK_KEY=c.KEY)
    e.update(env)
    p = subprocess.run(["node", os.path.join(HERE, "sdk_tmpl_mgmt.js"), name],
                       capture_output=True, text=True, env=e, timeout=120)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    assert lines, "sdk_tmpl_mgmt %s printed nothing:\n%s" % (name, p.stderr)
    return json.loads(lines[-1])


def native_versions(lab, tenant, name):
    code, out, _ = c.sh.http_request(
        lab.url + "/v1/templates/%s/versions?tenant=%s" % (name, tenant),
        "GET", None, c.sh.ADMIN_AUTH)
    return code, json.loads(out) if out else None


def call(lab, method, path, body=None, headers=None):
    """(status, parsed JSON or None) of one request to swerved."""
    data = body if isinstance(body, bytes) or body is None \
        else json.dumps(body).encode()
    code, out, _ = c.sh.http_request(lab.url + path, method, data, headers)
    return code, json.loads(out) if out else None


def test_sendgrid_client_manages_templates_and_mail_sends_with_one(lab, npm):
    lab.start()
    r = scenario(lab, "sendgrid")
    cr = r["create"]
    assert cr["ok"] and cr["status"] == 201, cr
    tid = cr["body"]["id"]
    assert re.fullmatch(r"d-[0-9a-f]{32}", tid), tid
    assert cr["body"]["name"] == "Receipt"
    assert cr["body"]["generation"] == "dynamic"
    assert cr["body"]["versions"] == []
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d",
                        cr["body"]["updated_at"]), cr["body"]
    # generation defaults to legacy, which swerve does not serve.
    leg = r["createLegacy"]
    assert not leg["ok"] and leg["status"] == 400, leg
    assert leg["body"]["errors"][0]["field"] == "generation", leg

    assert r["getEmpty"]["body"]["versions"] == []
    v1 = r["v1"]
    assert v1["ok"] and v1["status"] == 201, v1
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}"
                        r"-[0-9a-f]{12}", v1["body"]["id"]), v1
    assert v1["body"]["template_id"] == tid
    # The first version of a template is its active one, whatever it said.
    assert v1["body"]["active"] == 1, v1
    assert v1["body"]["subject"] == "Receipt {{order}}"
    assert v1["body"]["html_content"] == "<p>{{name}}</p>"
    assert v1["body"]["plain_content"] == "Hi {{name}}"
    assert v1["body"]["editor"] == "code"

    bad = r["vBad"]
    assert not bad["ok"] and bad["status"] == 400, bad
    err = bad["body"]["errors"][0]
    assert err["field"] == "html_content", err
    assert "line 2" in err["message"], err
    ns = r["vNoSubject"]
    assert ns["status"] == 400 and ns["body"]["errors"][0]["field"] == "subject"

    v2 = r["v2"]
    assert v2["ok"] and v2["body"]["active"] == 0, v2
    g = r["get"]["body"]
    assert [v["name"] for v in g["versions"]] == ["first", "second"], g
    assert [v["active"] for v in g["versions"]] == [1, 0], g

    ed = r["edit"]
    assert ed["ok"] and ed["status"] == 200, ed
    assert ed["body"]["id"] == v2["body"]["id"]
    assert ed["body"]["subject"] == "Your order {{order}}"
    assert ed["body"]["html_content"] == "<p>v2 {{name}}</p>", ed
    assert ed["body"]["name"] == "second"
    assert r["getV2"]["body"]["subject"] == "Your order {{order}}"

    act = r["activate"]
    assert act["ok"] and act["body"]["active"] == 1, act
    ren = r["rename"]
    assert ren["ok"] and ren["body"]["name"] == "Receipts", ren
    assert [v["active"] for v in ren["body"]["versions"]] == [0, 1], ren

    lst = r["list"]
    assert lst["ok"], lst
    mine = [t for t in lst["body"]["result"] if t["id"] == tid]
    assert len(mine) == 1, lst
    assert mine[0]["name"] == "Receipts"
    assert len(mine[0]["versions"]) == 2
    assert "html_content" not in mine[0]["versions"][0]
    assert lst["body"]["_metadata"]["count"] == 1
    assert r["listNoSize"]["status"] == 400
    assert r["listNoSize"]["body"]["errors"][0]["field"] == "page_size"

    assert r["send"]["ok"] and r["send"]["status"] == 202, r["send"]
    msgs = c.sh.wait_until(lambda: lab.mock.messages(), 20,
                           what="the templated message at the upstream")
    m = email.message_from_bytes(lab.mock.raw(msgs[0]["id"]),
                                 policy=email.policy.default)
    assert str(m["Subject"]) == "Your order A-1"
    assert "<p>v2 &lt;Ann&gt;</p>" in m.get_body(("html",)).get_content()
    assert m.get_body(("plain",)).get_content().strip() == "v2 <Ann>"

    assert r["deleteV1"]["ok"] and r["deleteV1"]["status"] == 204
    assert r["getV1Gone"]["status"] == 404
    assert "errors" in r["getV1Gone"]["body"], r["getV1Gone"]
    assert [v["name"] for v in r["afterDelete"]["body"]["versions"]] == \
        ["second"]
    # Deleting the active version leaves the template without one.
    assert r["deleteActive"]["status"] == 204, r["deleteActive"]
    assert r["noVersions"]["body"]["versions"] == []
    assert r["noVersions"]["body"]["name"] == "Receipts"
    assert r["delete"]["status"] == 204
    assert r["gone"]["status"] == 404
    code, _ = native_versions(lab, "sdkt", tid)
    assert code == 404


def test_sendgrid_refusals_change_nothing(lab):
    """Malformed bodies, wrong keys, unknown ids: SendGrid's error shape,
    and the store is as it was."""
    lab.start()
    auth = {"Authorization": "Bearer " + c.KEY,
            "Content-Type": "application/json"}

    def call(method, path, body=None, headers=auth):
        return globals()["call"](lab, method, path, body, headers)

    code, t = call("POST", "/v3/templates",
                   {"name": "T", "generation": "dynamic"})
    assert code == 201
    tid = t["id"]
    code, v = call("POST", "/v3/templates/%s/versions" % tid,
                   {"name": "a", "subject": "s {{x}}", "html_content": "h"})
    assert code == 201
    _, before = native_versions(lab, "sdkt", tid)
    for method, path, body, want, field in [
        ("POST", "/v3/templates", b"{not json", 400, None),
        ("POST", "/v3/templates", {"name": "x" * 101,
                                   "generation": "dynamic"}, 400, "name"),
        ("POST", "/v3/templates", {"generation": "dynamic"}, 400, "name"),
        ("POST", "/v3/templates", {"name": "x", "generation": "dynamic",
                                   "bogus": 1}, 400, None),
        ("PATCH", "/v3/templates/" + tid, {"name": 7}, 400, "name"),
        ("POST", "/v3/templates/%s/versions" % tid,
         {"name": "b", "subject": "{{#each}}", "html_content": "x"}, 400,
         "subject"),
        ("POST", "/v3/templates/%s/versions" % tid,
         {"name": "b", "subject": "s", "active": 2}, 400, "active"),
        ("POST", "/v3/templates/%s/versions" % tid,
         {"name": "b", "subject": "s", "editor": "word"}, 400, "editor"),
        ("PATCH", "/v3/templates/%s/versions/%s" % (tid, v["id"]),
         {"html_content": "{{/if}}"}, 400, "html_content"),
        ("POST", "/v3/templates/d-%s/versions" % ("0" * 32),
         {"name": "b", "subject": "s"}, 404, None),
        ("GET", "/v3/templates/not-an-id", None, 404, None),
        ("GET", "/v3/templates/%s/versions/%s" % (tid, "1" * 36), None,
         404, None),
        ("PUT", "/v3/templates/" + tid, {"name": "x"}, 405, None),
        ("GET", "/v3/templates?page_size=0", None, 400, "page_size"),
        ("GET", "/v3/templates?page_size=5&generations=new", None, 400,
         "generations"),
    ]:
        code, out = call(method, path, body)
        assert code == want, (method, path, code, out)
        assert isinstance(out["errors"], list) and out["errors"][0]["message"]
        if field is not None:
            assert out["errors"][0]["field"] == field, (path, out)
    code, out = call("GET", "/v3/templates/" + tid, None,
                     {"Authorization": "Bearer wrong"})
    assert code == 401 and out["errors"][0]["message"], out
    # Another tenant's key does not see it.
    code, out = call("GET", "/v3/templates/" + tid, None,
                     {"Authorization": "Bearer " + c.OTHER_KEY})
    assert code == 404, out
    _, after = native_versions(lab, "sdkt", tid)
    assert after == before
    # generations=legacy: swerve keeps none.
    code, out = call("GET", "/v3/templates?page_size=5&generations=legacy")
    assert code == 200 and out["result"] == [], out


def test_postmark_client_manages_templates_and_layouts(lab, npm):
    lab.start()
    r = scenario(lab, "postmark")
    lay = r["layout"]
    assert lay["ok"], lay
    assert lay["body"]["TemplateType"] == "Layout"
    assert lay["body"]["Alias"] == "base-layout"
    assert isinstance(lay["body"]["TemplateId"], int)
    assert r["layoutNoPlaceholder"]["code"] == 1130, r["layoutNoPlaceholder"]
    w = r["create"]
    assert w["ok"], w
    tid = w["body"]["TemplateId"]
    assert w["body"] == {"TemplateId": tid, "Name": "Welcome", "Active": True,
                         "TemplateType": "Standard", "Alias": "welcome",
                         "LayoutTemplate": "base-layout"}
    assert r["dupAlias"]["status"] == 422 and r["dupAlias"]["code"] == 1122
    bad = r["badSyntax"]
    assert bad["code"] == 1122 and "line 2" in bad["message"], bad
    assert r["noLayout"]["code"] == 1101, r["noLayout"]

    lst = r["list"]["body"]
    assert lst["TotalCount"] == 2, lst
    assert sorted(t["Name"] for t in lst["Templates"]) == ["Base", "Welcome"]
    assert "HtmlBody" not in lst["Templates"][0]
    assert [t["Name"] for t in r["listLayouts"]["body"]["Templates"]] == \
        ["Base"]
    g = r["getAlias"]["body"]
    assert g["TemplateId"] == tid and g["Subject"] == "Hi {{name}}", g
    assert g["TextBody"] == "Hello {{name}}"
    assert g["LayoutTemplate"] == "base-layout"
    assert r["getId"]["body"] == g

    ed = r["edit"]
    assert ed["ok"] and ed["body"]["Alias"] == "welcome2", ed
    assert ed["body"]["TemplateId"] == tid
    # The old alias is gone with the edit.
    assert r["oldAlias"]["code"] == 1101

    v = r["validate"]["body"]
    assert v["AllContentIsValid"] is True, v
    assert v["Subject"]["RenderedContent"] == "Hi Val"
    assert v["HtmlBody"]["RenderedContent"] == \
        "<html><body><b>Val</b><hr>Acme</body></html>"
    assert v["TextBody"]["RenderedContent"] == "T Val\n-- Acme"
    assert v["SuggestedTemplateModel"] == {
        "name": "name_Value", "items": [{"n": "n_Value"}],
        "company": "company_Value"}, v
    vb = r["validateBad"]["body"]
    assert vb["AllContentIsValid"] is False
    assert vb["Subject"]["ContentIsValid"] is True
    err = vb["HtmlBody"]["ValidationErrors"][0]
    assert (err["Line"], err["CharacterPosition"]) == (2, 3), err

    assert r["send"]["ok"] and r["send"]["body"]["ErrorCode"] == 0, r["send"]
    assert r["sendId"]["ok"], r["sendId"]
    got = {}
    msgs = c.sh.wait_until(lambda: len(lab.mock.messages()) >= 2 and
                           lab.mock.messages(), 20, what="2 messages")
    for m in msgs:
        got[m["rcpt_to"][0]] = email.message_from_bytes(
            lab.mock.raw(m["id"]), policy=email.policy.default)
    one = got["pmt1@example.net"]
    # The edited subject, inside the layout, HTML escaped in html.
    assert str(one["Subject"]) == "Welcome, <Zoe>"
    assert one.get_body(("html",)).get_content().strip() == \
        "<html><body><p>&lt;Zoe&gt;</p><i>a</i><hr>Acme</body></html>"
    assert one.get_body(("plain",)).get_content().replace("\r\n", "\n") \
        .strip() == "Hello <Zoe>\n-- Acme"
    assert str(got["pmt2@example.net"]["Subject"]) == "Welcome, Max"

    assert r["delete"]["body"] == {"ErrorCode": 0,
                                   "Message": "Template %d removed." % tid}
    assert r["gone"]["code"] == 1101 and r["goneId"]["code"] == 1101
    assert r["listAfter"]["body"]["TotalCount"] == 1


def test_postmark_refusals_change_nothing(lab):
    """Malformed bodies, a wrong token, unknown names: Postmark's
    {"ErrorCode", "Message"}, and the store is as it was."""
    lab.start()
    auth = {"X-Postmark-Server-Token": c.KEY, "Accept": "application/json",
            "Content-Type": "application/json"}

    def call(method, path, body=None, headers=auth):
        return globals()["call"](lab, method, path, body, headers)

    code, t = call("POST", "/templates", {"Name": "T", "Alias": "t-one",
                                          "Subject": "s", "TextBody": "x"})
    assert code == 200, t
    tid = t["TemplateId"]

    def store():
        return [native_versions(lab, "sdkt", str(tid)),
                native_versions(lab, "sdkt", "t-one")]
    before = store()
    for method, path, body, want in [
        ("POST", "/templates", b"{nope", 402),
        ("POST", "/templates", {"Subject": "s", "TextBody": "x"}, 1120),
        ("POST", "/templates", {"Name": "n", "TextBody": "x"}, 1120),
        ("POST", "/templates", {"Name": "n", "Subject": "s"}, 1120),
        ("POST", "/templates", {"Name": "n", "Subject": "s",
                                "TextBody": "x", "Color": 1}, 1123),
        ("POST", "/templates", {"Name": 5, "Subject": "s",
                                "TextBody": "x"}, 1122),
        ("POST", "/templates", {"Name": "n", "Alias": "1abc", "Subject": "s",
                                "TextBody": "x"}, 1122),
        ("POST", "/templates", {"Name": "n", "Subject": "{{#a}}",
                                "TextBody": "x"}, 1122),
        ("POST", "/templates", {"Name": "n", "TemplateType": "Fancy",
                                "Subject": "s", "TextBody": "x"}, 1122),
        ("POST", "/templates", {"Name": "L", "TemplateType": "Layout",
                                "Subject": "s",
                                "TextBody": "{{{@content}}}"}, 1123),
        ("POST", "/templates", {"Name": "L", "TemplateType": "Layout",
                                "TextBody": "{{{@content}}}{{{@content}}}"},
         1130),
        ("POST", "/templates", {"Name": "n", "Subject": "{{{@content}}}",
                                "TextBody": "x"}, 1131),
        ("POST", "/templates", {"Name": "n", "Alias": "t-one",
                                "Subject": "s", "TextBody": "x"}, 1122),
        ("PUT", "/templates/t-one", {"TemplateType": "Layout"}, 1132),
        ("PUT", "/templates/t-one", {"TextBody": "{{/x}}"}, 1122),
        ("PUT", "/templates/t-one", {"Subject": None}, 1120),
        ("PUT", "/templates/t-one", {"LayoutTemplate": "nosuch"}, 1101),
        ("PUT", "/templates/nosuch", {"Name": "x"}, 1101),
        ("DELETE", "/templates/99999999", None, 1101),
        ("GET", "/templates?Count=0&Offset=0", None, 1122),
        ("GET", "/templates?Count=5&Offset=0&TemplateType=Odd", None, 1122),
        ("POST", "/templates/validate", {"Nothing": 1}, 1123),
        ("POST", "/templates/validate", {"TextBody": "x",
                                         "TestRenderModel": [1]}, 1122),
        ("POST", "/templates/validate", {}, 1120),
    ]:
        code, out = call(method, path, body)
        assert code == 422, (method, path, body, code, out)
        assert out["ErrorCode"] == want, (method, path, body, out)
        assert out["Message"], out
    code, out = call("GET", "/templates/" + str(tid), None,
                     {"X-Postmark-Server-Token": "wrong"})
    assert code == 401 and out["ErrorCode"] == 10, out
    code, out = call("GET", "/templates/" + str(tid), None,
                     {"X-Postmark-Server-Token": c.OTHER_KEY})
    assert code == 422 and out["ErrorCode"] == 1101, out
    # A method Postmark does not serve: 404, as its /email does.
    code, out = call("PATCH", "/templates/" + str(tid), {"Name": "x"})
    assert code == 404, out
    code, out = call("GET", "/templates/a/b")
    assert code == 404, out
    assert store() == before


def test_mailgun_js_manages_templates_and_versions(lab, npm):
    lab.start()
    r = scenario(lab, "mailgun")
    cr = r["create"]
    assert cr["ok"], cr
    # Mailgun lowercases names; the first version is the active one.
    assert cr["body"]["name"] == "receipt"
    assert cr["body"]["description"] == "the receipt"
    assert cr["body"]["version"]["tag"] == "v1"
    assert cr["body"]["version"]["active"] is True
    assert r["createAgain"]["status"] == 400, r["createAgain"]
    assert "already exists" in r["createAgain"]["details"]
    bad = r["createBad"]
    assert bad["status"] == 400 and "line 2" in bad["details"], bad
    v2 = r["v2"]
    assert v2["ok"] and v2["body"]["template"]["version"]["tag"] == "v2", v2
    assert v2["body"]["template"]["version"]["active"] is True
    assert r["v2again"]["status"] == 400, r["v2again"]
    g = r["get"]["body"]
    assert g["version"]["tag"] == "v2" and \
        g["version"]["template"] == "<p>{{name}} v2</p>", g
    vs = r["versions"]
    assert vs["ok"], vs
    assert [(v["tag"], v["active"]) for v in vs["body"]["template"]["versions"]] \
        == [("v1", False), ("v2", True)], vs
    assert r["getV1"]["body"]["version"]["template"] == "<p>{{name}} v1</p>"
    assert r["editV1"]["ok"], r["editV1"]
    v1b = r["getV1b"]["body"]["version"]
    assert v1b["template"] == "<p>{{name}} v1 edited</p>", v1b
    assert v1b["comment"] == "edited" and v1b["active"] is False
    assert r["update"]["ok"], r["update"]
    lst = r["list"]["body"]["items"]
    assert [(t["name"], t["description"]) for t in lst] == \
        [("receipt", "receipts, all of them")], lst
    assert r["send"]["ok"], r["send"]
    msgs = c.sh.wait_until(lambda: lab.mock.messages(), 20,
                           what="the templated message")
    m = email.message_from_bytes(lab.mock.raw(msgs[0]["id"]),
                                 policy=email.policy.default)
    assert str(m["Subject"]) == "Your receipt"
    assert "<p>&lt;Ida&gt; v2</p>" in m.get_body(("html",)).get_content()
    assert r["deleteV1"]["ok"], r["deleteV1"]
    assert r["getV1gone"]["status"] == 404, r["getV1gone"]
    assert r["delete"]["ok"], r["delete"]
    assert r["gone"]["status"] == 404, r["gone"]


def test_mailgun_refusals_change_nothing(lab):
    lab.start()
    import base64
    auth = {"Authorization": "Basic " +
            base64.b64encode(("api:" + c.KEY).encode()).decode(),
            "Content-Type": "application/x-www-form-urlencoded"}
    base = "/v3/mg.example.com/templates"

    def form(method, path, body=None, headers=auth):
        return call(lab, method, path,
                    body.encode() if body is not None else None, headers)

    code, _ = form("POST", base, "name=t1&template=<b>{{x}}</b>&tag=a")
    assert code == 200
    before = native_versions(lab, "sdkt", "t1")
    for method, path, body, want in [
        ("POST", base, "template=x", 400),
        ("POST", base, "name=bad name&template=x", 400),
        ("POST", base, "name=t2&template={{#if x}}", 400),
        ("POST", base, "name=t2&template=x&engine=go", 400),
        ("POST", base, "name=t2&template=x&tag=a b", 400),
        ("POST", base + "/t1/versions", "template=y", 400),
        ("POST", base + "/t1/versions", "template=y&tag=a", 400),
        ("POST", base + "/t1/versions", "template={{/x}}&tag=b", 400),
        ("POST", base + "/t1/versions", "template=y&tag=b&active=maybe", 400),
        ("PUT", base + "/t1", "comment=x", 400),
        ("PUT", base + "/t1/versions/a", "template={{#each}}", 400),
        ("PUT", base + "/t1/versions/zz", "template=y", 404),
        ("DELETE", base + "/t1/versions/a", None, 400),
        ("GET", base + "/nosuch", None, 404),
        ("GET", base + "?limit=0", None, 400),
        ("PATCH", base + "/t1", "x=1", 405),
        ("GET", base + "/t1/other", None, 404),
    ]:
        code, out = form(method, path, body)
        assert code == want, (method, path, body, code, out)
        assert out["message"], out
    code, out, _ = c.sh.http_request(lab.url + base + "/t1", "GET", None,
                                     {"Authorization": "Basic eA=="})
    assert code == 401, out
    assert native_versions(lab, "sdkt", "t1") == before
