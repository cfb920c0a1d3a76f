"""The whole feedback loop on loopback (issue 14): mail through
swerve-mock's provider APIs with bounce 5% and some complaints, the mock
posts the provider's own signed events to swerved (mock_fb.h), and:

  1. every recipient's outcome is recorded (GET /v1/messages/ID), as the
     mock's rules say (hash-based, so the expectation is computed here);
  2. hard bounces and complaints become suppression entries, per tenant;
  3. the next submission to those addresses is refused on SMTP (550 at
     RCPT), the native API and each drop-in endpoint.

  4. the built-in bounce-rate alert fires for the provider (rates:
     min_volume 10; the run's hard-bounce ratio is over SES's 5%);
  5. outbound webhooks (events.webhooks, types bounced and complained)
     reach a receiver that answers 500 to its first requests: every
     bounced and complained recipient arrives, signed per Standard
     Webhooks (checked here with HMAC-SHA256 over id.timestamp.body).

Not checked here: routing shifting share away from the provider (one
provider here; tests/api/test_feedback_rates.py pins the shift).

Also pinned: the mock retries an event swerved answers 5xx (the receiver
in test_a_5xx_is_retried fails twice, then takes it).
"""

import http.server
import json
import os
import smtplib
import threading

import pytest

from api_client import WEB_KEY, get, msg, send
from api_client import sh
import test_api_control_headers as ch
import test_suppressions_dropin as dropin

KEYS = {"sendgrid": "SG.mock-sendgrid-key", "mailgun": "key-mock-mailgun",
        "postmark": "mock-postmark-server-token",
        "resend": "re_mock_resend_key"}
MG_SIGNING = "mg-signing-key-0123456789abcdef"
RS_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
PM_USER, PM_PASS = "hook", "hook-pass-123"
N = 40
HOOK_KEY = b"swerve-feedback-loop-key"
HOOK_SECRET = "whsec_" + __import__("base64").b64encode(HOOK_KEY).decode()


class Hooks(http.server.BaseHTTPRequestHandler):
    """The application's webhook receiver: 500 to the first few."""
    fails = 3
    got = []
    url = None

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hooks.got.append((dict((k.lower(), v) for k, v in
                               self.headers.items()), body))
        self.send_response(500 if len(Hooks.got) <= Hooks.fails else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


HOOKS = Hooks


def fnv_band(addr):
    """mock_fb_outcome_of's hash band of an address (0..999999)."""
    h = 1469598103934665603
    for ch_ in addr.lower().encode():
        h = ((h ^ ch_) * 1099511628211) & (2 ** 64 - 1)
    return ((h ^ (h >> 29)) & (2 ** 64 - 1)) % 1000000


def expected(addr, bounce_ppm, complaint_ppm):
    for p, o in (("bounce-", "hard"), ("soft-", "soft"),
                 ("complaint-", "complaint"), ("delay-", "delay")):
        if addr.lower().startswith(p):
            return o
    b = fnv_band(addr)
    if b < bounce_ppm:
        return "hard"
    if b < bounce_ppm + complaint_ppm:
        return "complaint"
    return "delivered"


def sendgrid_keys(tmp):
    return sh.sendgrid_keypair(tmp)


def secret(lab, name, value):
    path = os.path.join(str(lab.tmp), name)
    with open(path, "w") as f:
        f.write(value + "\n")
    return path


def loop_lab(lab, kind):
    """swerved with one provider of kind through swerve-mock, whose
    feedback for that API goes to swerved's events path."""
    m = lab.mock("up")
    target = {}
    if kind == "sendgrid":
        priv, pub = sendgrid_keys(lab.tmp)
        events = {"public_key": pub}
        target = {"private_key_file": priv}
    elif kind == "mailgun":
        events = {"signing_key_file": secret(lab, "mg.key", MG_SIGNING)}
        target = {"signing_key": MG_SIGNING}
    elif kind == "postmark":
        events = {"username": PM_USER,
                  "password_file": secret(lab, "pm.pass", PM_PASS)}
        target = {"username": PM_USER, "password": PM_PASS}
    else:
        events = {"secret_file": secret(lab, "rs.secret", RS_SECRET)}
        target = {"secret": RS_SECRET}
    prov = {"name": "p", "type": kind, "endpoint": m.url,
            "api_key": KEYS[kind], "priority": 1, "connect_timeout": "2s",
            "request_timeout": "5s", "max_connections": 4,
            "events": events}
    if kind == "mailgun":
        prov["domain"] = "mg.test"
    sec = secret(lab, "ses.secret", ch.SECRET)
    hook_secret = secret(lab, "hook.secret", HOOK_SECRET)
    d = sh.Lab.daemon(lab, [prov], api_keys=lab_keys(lab), ses_compat={
        "credentials": [{"access_key_id": ch.AKID,
                         "secret_access_key_file": sec, "tenant": "webt",
                         "from_domains": ["example.com"]}]},
        rates={"min_volume": 10},
        alerts={"interval": "100ms", "rules": [{"name": "bounce_rate"}]},
        events={"retry_min": "200ms", "retry_max": "1s", "timeout": "2s",
                "webhooks": [{"url": HOOKS.url, "secret_file": hook_secret,
                              "types": ["bounced", "complained"]}]})
    target["url"] = d.http_url + "/feedback/p"
    cfg = {"rules": {"bounce": "5%", "complaint": "2%"}, "retry_ms": 200,
           kind: target}
    code, out = put(m.url + "/feedback", cfg)
    assert code == 200, out
    return m, d


def put(url, obj, method="PUT"):
    code, data, _ = sh.http_request(url, method, json.dumps(obj).encode(),
                                    {"Content-Type": "application/json"})
    return code, json.loads(data or b"null")


def lab_keys(lab):
    from conftest import api_keys
    return api_keys(lab.tmp)


OUTCOME = {"hard": ("bounced", "hard"), "soft": ("bounced", "soft"),
           "complaint": ("complained", None), "delivered": ("delivered", None),
           "delay": ("delivered", None)}


@pytest.fixture
def hooks():
    Hooks.got = []
    srv = http.server.ThreadingHTTPServer((sh.HOST, 0), Hooks)
    Hooks.url = "http://%s:%d/hooks" % (sh.HOST, srv.server_port)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield Hooks
    srv.shutdown()


def alerts(d):
    code, obj = d.admin_json("/v1/alerts")
    assert code == 200, obj
    return {(a["rule"], a.get("provider")): a for a in obj["alerts"]}


def hooked(got):
    """(message id, recipient, type) of every signed request received
    (each verified: webhook-signature over id.timestamp.body)."""
    import base64
    import hashlib
    import hmac
    out = set()
    for h, body in got:
        mac = base64.b64encode(hmac.new(
            HOOK_KEY, ("%s.%s." % (h["webhook-id"], h["webhook-timestamp"])
                       ).encode() + body, hashlib.sha256).digest()).decode()
        assert "v1," + mac in h["webhook-signature"].split(), h
        b = json.loads(body)
        out.add((b["data"].get("message_id"),
                 (b["data"].get("recipient") or "").lower(), b["type"]))
    return out


@pytest.mark.parametrize("kind", ["postmark", "mailgun", "resend", "sendgrid"])
def test_bounces_and_complaints_become_outcomes_and_suppressions(lab, kind,
                                                                 hooks):
    m, d = loop_lab(lab, kind)
    rcpts = ["user%02d@example.net" % i for i in range(N)] + [
        "bounce-a@example.net", "complaint-a@example.net",
        "soft-a@example.net", "delay-a@example.net"]
    want = {r: expected(r, 50000, 20000) for r in rcpts}
    assert sum(1 for r in rcpts[:N] if want[r] == "hard") >= 1, want
    # One message per recipient on the native API (tenant webt), and one
    # SMTP message to all of them (trusted client: tenant "").
    ids = {}
    for r in rcpts:
        code, obj, _ = send(d, msg(to=[r]))
        assert code == 202, obj
        ids[r] = obj["id"]
    s = smtplib.SMTP(sh.HOST, d.smtp_port, timeout=10)
    s.sendmail("s@example.com", rcpts, (
        "From: s@example.com\r\nTo: %s\r\nSubject: loop\r\n\r\nhi\r\n"
        % ",\r\n ".join(rcpts)).encode())
    s.quit()

    api = sh.Api(d)

    wrong = {}

    def settled():
        wrong.clear()
        for r, qid in ids.items():
            got = api.message(qid)["rcpts"][0]
            want_o, want_b = OUTCOME[want[r]]
            if got["outcome"] != want_o or got.get("bounce") != want_b:
                wrong[r] = (want[r], got["outcome"], got.get("bounce"))
        return not wrong
    try:
        sh.wait_until(settled, 60, what="every recipient's outcome")
    except AssertionError:
        raise AssertionError((wrong, sh.http_json(m.url + "/feedback"), [(x["via"], x.get("rcpt"), x.get("api", {}).get("provider_message_id")) for x in m.messages()][:3], api.message(ids["user00@example.net"])))
    # The history: a complaint follows a delivery; a delay precedes one
    # (Postmark reports no delays).
    code, got = get(d, "/v1/messages/" + ids["complaint-a@example.net"])
    assert [e["type"] for e in got["events"]] == ["delivered", "complaint"]
    code, got = get(d, "/v1/messages/" + ids["delay-a@example.net"])
    assert [e["type"] for e in got["events"]] == (
        ["delivered"] if kind == "postmark" else ["delayed", "delivered"])
    assert all(e["provider"] == "p" for e in got["events"])

    # Suppressions: exactly the hard bounces and complaints, per tenant.
    gone = sorted(r for r in rcpts if want[r] in ("hard", "complaint"))

    def listed(tenant_q, key):
        h = ({"Authorization": "Bearer " + key} if key
             else dict(sh.ADMIN_AUTH))
        code, out, _ = sh.http_request(
            d.http_url + "/v1/suppressions" + tenant_q, "GET", None, h)
        assert code == 200, out
        obj = json.loads(out)
        items = obj.get("suppressions", obj) if isinstance(obj, dict) else obj
        return sorted(i["address"].lower() for i in items)
    try:
        sh.wait_until(lambda: listed("", WEB_KEY) == gone and
                      listed("?tenant=", None) == gone, 30,
                      what="suppression entries %r" % gone)
    except AssertionError:
        smtp_msgs = [x for x in api.page()
                     if x["id"] not in ids.values()]
        raise AssertionError((gone, listed("", WEB_KEY),
                              listed("?tenant=", None), [
                                  (r["address"], r["outcome"], r["state"])
                                  for r in api.message(smtp_msgs[0]["id"])["rcpts"]][:10],
                              smtp_msgs[0]))

    # The next submission to each is refused: native API ...
    for r in gone:
        code, obj, _ = send(d, msg(to=[r]))
        assert code == 422, (r, code, obj)
    # ... SMTP at RCPT ...
    s = smtplib.SMTP(sh.HOST, d.smtp_port, timeout=10)
    s.ehlo()
    s.mail("s@example.com")
    for r in gone:
        code, text = s.rcpt(r)
        assert code == 550 and text.startswith(b"5.1.1"), (r, code, text)
    code, _ = s.rcpt("user-fresh@example.net")
    assert code == 250
    s.quit()
    # ... and each drop-in endpoint, in its own shape.
    for name, (fn, ok) in sorted(dropin.REFUSED.items()):
        dropin.GONE = gone[0]
        st, body = fn(d, [gone[0]])
        assert ok(st, body), (name, st, body)

    # The bounce-rate alert fires for the provider.
    sh.wait_until(lambda: ("bounce_rate", "p") in alerts(d), 15,
                  what="the bounce_rate alert for p")
    assert alerts(d)[("bounce_rate", "p")]["state"] == "firing"

    # Outbound webhooks: every bounced and complained API message, through
    # the receiver's 500s, nothing lost.
    want_hooks = {(ids[r], r, "bounced" if want[r] in ("hard", "soft")
                   else "complained")
                  for r in rcpts if want[r] in ("hard", "soft", "complaint")}

    def arrived():
        got = {(mid, r, t.split(".")[-1]) for mid, r, t in
               hooked([g for g in hooks.got])}
        return want_hooks <= got
    try:
        sh.wait_until(arrived, 30, what="the outbound webhooks")
    except AssertionError:
        raise AssertionError((sorted(want_hooks), sorted(hooked(hooks.got))))
    assert len(hooks.got) > Hooks.fails


class Flaky(http.server.BaseHTTPRequestHandler):
    fails = 2
    seen = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Flaky.seen.append((dict(self.headers), body))
        code = 503 if len(Flaky.seen) <= Flaky.fails else 200
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


def test_a_5xx_is_retried_and_signed_afresh(lab):
    """The mock retries what the receiver answers 5xx, as providers do;
    the control call names a message and an outcome."""
    srv = http.server.HTTPServer((sh.HOST, 0), Flaky)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        m = lab.mock("up")
        url = "http://%s:%d/hook" % (sh.HOST, srv.server_port)
        code, out = put(m.url + "/feedback", {
            "retry_ms": 100, "max_attempts": 5,
            "mailgun": {"url": url, "signing_key": MG_SIGNING}})
        assert code == 200, out
        # Accept one Mailgun message straight on the mock's API.
        import base64
        import urllib.parse
        body = urllib.parse.urlencode([
            ("from", "s@example.com"), ("to", "x@example.net"),
            ("subject", "s"), ("text", "t")]).encode()
        auth = "Basic " + base64.b64encode(
            b"api:" + KEYS["mailgun"].encode()).decode()
        code, _, _ = sh.http_request(
            m.url + "/v3/mg.test/messages", "POST", body,
            {"Authorization": auth,
             "Content-Type": "application/x-www-form-urlencoded"})
        assert code == 200
        sh.wait_until(lambda: len(Flaky.seen) >= 3, 20, what="3 attempts")
        code, st = sh.http_json(m.url + "/feedback")
        assert st["stats"]["posted"] == 1 and st["stats"]["retried"] == 2, st
        import hashlib
        import hmac
        tokens = set()
        for _, raw in Flaky.seen:
            sig = json.loads(raw)["signature"]
            want = hmac.new(MG_SIGNING.encode(),
                            (sig["timestamp"] + sig["token"]).encode(),
                            hashlib.sha256).hexdigest()
            assert sig["signature"] == want
            tokens.add(sig["token"])
        assert len(tokens) == 3  # a fresh token per attempt
        ev = json.loads(Flaky.seen[-1][1])["event-data"]
        assert ev["event"] == "delivered" and ev["recipient"] == "x@example.net"
        # A control call: this message's recipient bounces now.
        mid = m.messages()[-1]["id"]
        code, out = put(m.url + "/feedback/" + mid, {"event": "bounce"}, "POST")
        assert code == 200 and out == {"events": 1}, out
        sh.wait_until(lambda: len(Flaky.seen) >= 4, 20, what="the bounce")
        ev = json.loads(Flaky.seen[-1][1])["event-data"]
        assert (ev["event"], ev["severity"]) == ("failed", "permanent")
        code, out = put(m.url + "/feedback/" + mid, {"event": "nonsense"}, "POST")
        assert code == 400
    finally:
        srv.shutdown()
