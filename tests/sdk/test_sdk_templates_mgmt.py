"""The ESPs' template management APIs through their official SDKs
(issue 19): an upload script written for the ESP works against swerved
unchanged, and the template it uploads is what a send renders.

- SendGrid (@sendgrid/client 8.1.6): POST /v3/templates (dynamic),
  versions created, edited, activated, deleted; GET one and the list;
  PATCH (rename); DELETE; then @sendgrid/mail sends with the template_id
  and the upstream receives the active version rendered. A version that
  does not parse or lacks its subject is refused in SendGrid's error
  shape and changes nothing.

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
        data = body if isinstance(body, bytes) or body is None \
            else json.dumps(body).encode()
        code, out, _ = c.sh.http_request(lab.url + path, method, data, headers)
        return code, json.loads(out) if out else None

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
