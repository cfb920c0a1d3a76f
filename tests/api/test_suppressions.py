"""The suppression list (issue 14, item 3): /v1/suppressions per tenant,
and a suppressed recipient refused (or dropped) on every ingress path.

- API round trip: POST one and many, GET a page (filter by reason, paged
  with after/next), GET one (case-folded local part), DELETE, 404s; an
  API key sees its own tenant's list only, the admin key any tenant's.
- The native API: every recipient suppressed -> 422 "suppressed";
  some -> 202 and the message's meta.suppressed names them, the rest
  are the envelope.
- SMTP: RCPT to a suppressed address hears 550 5.1.1.
- suppression.on_submit drop: 202, stored sandboxed, meta.suppressed.
- The list survives a restart.
"""

import json
import smtplib
import urllib.parse

import swerve_harness as sh
from api_client import JOBS_KEY, WEB_KEY, get, msg, post, send


def req(d, method, path, body=None, key=WEB_KEY):
    h = ({"Authorization": "Bearer " + key} if key
         else dict(sh.ADMIN_AUTH) if key is None else {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    code, out, _ = sh.http_request(d.http_url + path, method, data, h)
    return code, json.loads(out or b"null")


def addr_path(a):
    return "/v1/suppressions/" + urllib.parse.quote(a, safe="")


def test_api_round_trip_tenant_scoped(lab):
    d = lab.daemon()
    code, out = req(d, "POST", "/v1/suppressions",
                    {"address": "Gone@Example.NET", "reason": "hard_bounce",
                     "provider": "ses", "diagnostic": "550 5.1.1"})
    assert code == 200 and out == {"added": 1}, out
    code, out = req(d, "POST", "/v1/suppressions", {"suppressions": [
        {"address": "a@example.net", "reason": "complaint"},
        {"address": "b@example.net"},
        {"address": "c@example.net", "reason": "unsubscribe",
         "expires_at_ms": 4102444800000}]})
    assert code == 200 and out == {"added": 3}, out
    # One invalid entry: nothing stored, the index named.
    code, out = req(d, "POST", "/v1/suppressions", {"suppressions": [
        {"address": "x@example.net"}, {"address": "nobody"}]})
    assert code == 400 and "suppressions[1].address" in out["error"]["message"]
    code, out = req(d, "POST", "/v1/suppressions", {"address": "y@e.net",
                                                    "reason": "bogus"})
    assert code == 400

    code, out = req(d, "GET", addr_path("gone@example.net"))
    assert code == 200, out
    assert out["address"] == "Gone@example.net"
    assert out["reason"] == "hard_bounce" and out["provider"] == "ses"
    assert out["tenant"] == "webt" and out["expires_at_ms"] is None
    code, out = req(d, "GET", "/v1/suppressions")
    assert code == 200
    assert [e["address"] for e in out["suppressions"]] == [
        "a@example.net", "b@example.net", "c@example.net", "Gone@example.net"]
    assert out["next"] is None
    code, out = req(d, "GET", "/v1/suppressions?limit=2")
    assert len(out["suppressions"]) == 2 and out["next"] == "b@example.net"
    code, out = req(d, "GET", "/v1/suppressions?limit=2&after=b@example.net")
    assert [e["address"] for e in out["suppressions"]] == [
        "c@example.net", "Gone@example.net"]
    code, out = req(d, "GET", "/v1/suppressions?reason=manual")
    assert [e["address"] for e in out["suppressions"]] == ["b@example.net"]
    assert req(d, "GET", "/v1/suppressions?reason=nope")[0] == 400

    # Another tenant's key sees nothing of it; the admin names the tenant.
    code, out = req(d, "GET", "/v1/suppressions", key=JOBS_KEY)
    assert code == 200 and out["suppressions"] == []
    assert req(d, "GET", addr_path("a@example.net"), key=JOBS_KEY)[0] == 404
    assert req(d, "GET", "/v1/suppressions?tenant=webt", key=JOBS_KEY)[0] == 403
    code, out = req(d, "GET", "/v1/suppressions?tenant=webt", key=None)
    assert code == 200 and len(out["suppressions"]) == 4
    assert req(d, "GET", "/v1/suppressions")[0] == 200
    assert req(d, "GET", "/v1/suppressions", key="")[0] in (401, 403)

    code, out = req(d, "DELETE", addr_path("B@example.net"))
    assert code == 200 and out == {"removed": "B@example.net"}, out
    assert req(d, "DELETE", addr_path("b@example.net"))[0] == 404
    assert req(d, "GET", addr_path("b@example.net"))[0] == 404

    d.restart()
    code, out = req(d, "GET", "/v1/suppressions")
    assert [e["address"] for e in out["suppressions"]] == [
        "a@example.net", "c@example.net", "Gone@example.net"]


def test_native_api_refuses_and_records(lab):
    m = lab.mock()
    d = lab.daemon(m)
    assert req(d, "POST", "/v1/suppressions",
               {"address": "gone@example.net", "reason": "hard_bounce"})[0] \
        == 200
    code, out, _ = send(d, msg(to="GONE@example.net"))
    assert code == 422, out
    assert out["error"]["code"] == "suppressed"
    assert "gone@example.net" in out["error"]["message"].lower()
    # The other tenant's list does not hold it.
    code, out, _ = send(d, msg(**{"from": "s@example.org",
                                  "to": "gone@example.net"}), key=JOBS_KEY)
    assert code == 202, out

    code, out, _ = send(d, msg(to=["gone@example.net", "ok@example.net"]))
    assert code == 202, out
    # The answer names the recipients taken out, per recipient.
    assert out["suppressed"] == [
        {"address": "gone@example.net", "reason": "hard_bounce"}], out
    code, m1 = get(d, "/v1/messages/" + out["id"])
    assert [r["address"] for r in m1["rcpts"]] == ["ok@example.net"]
    assert m1["meta"]["suppressed"] == [
        {"address": "gone@example.net", "reason": "hard_bounce"}]
    code, out, _ = send(d, msg(to="ok@example.net"))
    assert code == 202 and "suppressed" not in out, out
    # A batch (all valid or nothing): a wholly suppressed item is that
    # item's 422 and nothing is queued; the per-item results otherwise
    # name the recipients taken out.
    code, out, _ = post(d, "/v1/messages/batch", {"messages": [
        msg(to=["gone@example.net", "ok2@example.net"]),
        msg(to="gone@example.net")]})
    assert code == 400 and out["error"]["code"] == "invalid_batch", out
    assert out["results"][1]["status"] == 422, out
    assert out["results"][1]["error"]["code"] == "suppressed"
    code, out, _ = post(d, "/v1/messages/batch", {"messages": [
        msg(to=["gone@example.net", "ok2@example.net"]),
        msg(to="ok3@example.net")]})
    assert code == 202, out
    assert out["results"][0]["suppressed"][0]["address"] == "gone@example.net"
    assert "suppressed" not in out["results"][1]


def test_smtp_rcpt_refused_550(lab):
    m = lab.mock()
    d = lab.daemon(m)
    # A trusted SMTP client has no tenant: the admin's list "".
    code, _ = req(d, "POST", "/v1/suppressions?tenant=",
                  {"address": "gone@example.net", "reason": "complaint"},
                  key=None)
    assert code == 200
    s = smtplib.SMTP(sh.HOST, d.smtp_port, timeout=10)
    s.ehlo()
    s.mail("s@example.com")
    code, text = s.rcpt("Gone@Example.net")
    assert code == 550 and text.startswith(b"5.1.1"), (code, text)
    assert b"suppression" in text
    code, _ = s.rcpt("ok@example.net")
    assert code == 250
    code, _ = s.data(b"Subject: x\r\n\r\nhi\r\n")
    assert code == 250
    s.quit()


def test_drop_mode_accepts_and_never_sends(lab):
    m = lab.mock()
    d = lab.daemon(m, suppression={"on_submit": "drop"})
    assert req(d, "POST", "/v1/suppressions",
               {"address": "gone@example.net"})[0] == 200
    code, out, _ = send(d, msg(to="gone@example.net"))
    assert code == 202, out
    code, m1 = get(d, "/v1/messages/" + out["id"])
    assert m1["state"] == "sandboxed", m1
    assert m1["meta"]["suppressed"] == [
        {"address": "gone@example.net", "reason": "manual"}]
    # SMTP hears 250 at RCPT in drop mode.
    req(d, "POST", "/v1/suppressions?tenant=", {"address": "g2@example.net"},
        key=None)
    s = smtplib.SMTP(sh.HOST, d.smtp_port, timeout=10)
    s.ehlo()
    s.mail("s@example.com")
    assert s.rcpt("g2@example.net")[0] == 250
    assert s.data(b"Subject: x\r\n\r\nhi\r\n")[0] == 250
    s.quit()
    code, out = get(d, "/v1/messages?state=sandboxed")
    assert len(out["messages"]) == 2, out


def ctl(d, *args):
    r = sh.swervectl(["-c", d.config_path, "suppression"] + list(args))
    return r.returncode, r.stdout, r.stderr


def test_swervectl_round_trip_import_export(lab, tmp_path):
    d = lab.daemon()
    csv = tmp_path / "in.csv"
    csv.write_text(
        "address,reason,created,expires,provider\n"
        "Gone@Example.net,hard_bounce,2026-01-02T03:04:05Z,,ses\n"
        "c@example.net,complaint,2026-01-02T03:04:05Z,2030-01-01T00:00:00Z,"
        "\"sendgrid, eu\"\n")
    rc, out, err = ctl(d, "import", str(csv), "--tenant", "webt")
    assert rc == 0 and "imported 2 entries" in out, (out, err)
    # Idempotent: the same file again, the same list.
    assert ctl(d, "import", str(csv), "--tenant", "webt")[0] == 0
    rc, out, _ = ctl(d, "add", "x@example.net", "--tenant", "webt",
                     "--reason", "unsubscribe")
    assert rc == 0
    rc, out, err = ctl(d, "export", "--tenant", "webt")
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == "address,reason,created,expires,provider"
    assert lines[1] == ("c@example.net,complaint,2026-01-02T03:04:05Z,"
                        "2030-01-01T00:00:00Z,\"sendgrid, eu\"")
    assert lines[2] == "Gone@example.net,hard_bounce,2026-01-02T03:04:05Z,,ses"
    assert lines[3].startswith("x@example.net,unsubscribe,20")
    assert len(lines) == 4
    # The API key's own view agrees.
    code, got = req(d, "GET", "/v1/suppressions")
    assert len(got["suppressions"]) == 3
    # Malformed rows: nothing imported, each line named.
    bad = tmp_path / "bad.csv"
    bad.write_text("ok@example.net,manual\nnobody,manual\n"
                   "z@example.net,bounced\n")
    rc, out, err = ctl(d, "import", str(bad), "--tenant", "webt")
    assert rc == 1
    assert "line 2: address" in err and "line 3: reason" in err, err
    assert req(d, "GET", addr_path("ok@example.net"))[0] == 404
    rc, out, _ = ctl(d, "remove", "GONE@example.net", "--tenant", "webt")
    assert rc == 0
    rc, out, _ = ctl(d, "list", "--tenant", "webt", "--limit", "1")
    assert len(out.splitlines()) > 1, (rc, out, _)
    assert out.splitlines()[1].startswith("c@example.net,")
    assert len(out.splitlines()) == 2
    rc, out, err = ctl(d, "import", "--from-provider", "ses")
    assert rc == 2 and "no provider named ses" in err, err
