"""Built-in alerting end to end: swerved, swerve-mock, local receivers.

  - the generic webhook's JSON and its HMAC-SHA256 signature, and the
    Slack payload, on firing and on resolve, checked by a local receiver;
    the webhook secret never appears in the log
  - GET /v1/alerts lists the firing alert
  - dead receivers (hanging, failing, refusing) do not slow delivery:
    the same N messages are delivered with and without them
"""

import hashlib
import hmac
import os
import time

import swerve_harness as sh
from conftest import alerts

SECRET = "whsec-7f3a9c1e5b"


def _secret_file(tmp):
    p = os.path.join(str(tmp), "hook.secret")
    with open(p, "w") as f:
        f.write(SECRET + "\n")
    return p


def _msg(i=0):
    return ("From: app@example.com\r\nTo: user@example.net\r\n"
            "Subject: alert test %d\r\n\r\nbody %d\r\n" % (i, i))


def _verify(req):
    """The X-Swerve-Signature header of req matches its body."""
    sig = req["headers"].get("x-swerve-signature")
    assert sig, "no signature header: %r" % req["headers"]
    parts = dict(p.split("=", 1) for p in sig.split(","))
    assert set(parts) == {"t", "v1"}, sig
    ts = parts["t"]
    assert abs(int(ts) - time.time()) < 120, "stale timestamp %s" % ts
    want = hmac.new(SECRET.encode(), ts.encode() + b"." + req["body"],
                    hashlib.sha256).hexdigest()
    assert hmac.compare_digest(parts["v1"], want), (sig, want)


def test_webhook_signed_and_slack_payloads_on_fire_and_resolve(lab):
    m = lab.mock("m1", "refuse")
    rcv = lab.receiver("ok")
    prov = sh.provider("m1", m.smtp_port, 1, probe_interval="1s",
                       circuit={"failures": 1, "cooldown": "1s"})
    d = lab.daemon([prov], alerts={
        "interval": "200ms",
        "notify": [
            {"type": "webhook", "url": rcv.url("/hook"),
             "secret_file": _secret_file(lab.tmp)},
            {"type": "slack", "url": rcv.url("/slack/T0/B0/tok")},
        ],
        "rules": [{"name": "circuit_open", "for": "0s", "clear_for": "1s",
                   "severity": "critical"}],
    })
    sh.submit(d, "app@example.com", ["user@example.net"], _msg())

    hooks = sh.wait_until(lambda: rcv.got("/hook"), 20, 0.1,
                          "a webhook request")
    _verify(hooks[0])
    assert hooks[0]["headers"]["content-type"] == "application/json"
    body = rcv.json("/hook")[0]
    assert body["version"] == 1 and body["source"] == "swerve"
    assert body["status"] == "firing" and body["change"] == "firing"
    al = body["alert"]
    assert al["rule"] == "circuit_open" and al["kind"] == "circuit_open"
    assert al["severity"] == "critical"
    assert al["provider"] == "m1" and al["stream"] is None
    assert al["id"] == "circuit_open/m1"
    assert "provider m1: circuit open" in al["summary"]
    assert al["started_at"].endswith("Z") and al["resolved_at"] is None

    slack = sh.wait_until(lambda: rcv.json("/slack/T0/B0/tok"), 10, 0.1,
                          "a slack request")[0]
    assert "[CRITICAL] FIRING circuit_open" in slack["text"]
    assert slack["blocks"][0]["type"] == "section"
    assert slack["blocks"][0]["text"]["type"] == "mrkdwn"
    assert "`circuit_open`" in slack["blocks"][0]["text"]["text"]
    assert slack["blocks"][1]["type"] == "context"
    assert "x-swerve-signature" not in rcv.got("/slack/T0/B0/tok")[0]["headers"]

    active = alerts(d)["alerts"]
    assert [a["rule"] for a in active] == ["circuit_open"], active
    assert active[0]["state"] == "firing" and active[0]["provider"] == "m1"

    # The provider heals; trial messages close the circuit (half-open
    # still counts as firing: hysteresis) and a resolve follows.
    m.set_mode("accept")
    for i in range(4):
        sh.submit(d, "app@example.com", ["user@example.net"], _msg(i + 1))
    sh.wait_until(lambda: any(b["status"] == "resolved"
                              for b in rcv.json("/hook")),
                  30, 0.2, "a resolve on the webhook")
    resolved = [r for r in rcv.got("/hook")
                if b'"status":"resolved"' in r["body"]]
    _verify(resolved[0])
    rb = [b for b in rcv.json("/hook") if b["status"] == "resolved"][0]
    assert rb["alert"]["resolved_at"] is not None
    sh.wait_until(lambda: any("RESOLVED" in s["text"]
                              for s in rcv.json("/slack/T0/B0/tok")),
                  10, 0.1, "a resolve on slack")
    assert alerts(d)["alerts"] == []
    # One firing and one resolve: no repeats in between.
    assert [b["change"] for b in rcv.json("/hook")] == ["firing", "resolved"]
    assert SECRET not in d.log_text()
    assert "/slack/T0/B0/tok" not in d.log_text()


def _deliver_n(lab, m, n, alerts_cfg):
    """Start a daemon with alerts_cfg, submit n messages over one SMTP
    session, return (seconds until all were sent, daemon)."""
    m.clear()
    prov = sh.provider("m1", m.smtp_port, 1, max_connections=4)
    d = lab.daemon([prov], alerts=alerts_cfg)
    api = sh.Api(d)
    conn = sh_conn(d)
    t0 = time.monotonic()
    try:
        for i in range(n):
            sh.submit(d, "app@example.com", ["user@example.net"], _msg(i),
                      conn=conn)
    finally:
        conn.cmd("QUIT")
        conn.close()
    sh.wait_until(lambda: api.counts().get("sent", 0) >= n, 120, 0.05,
                  "%d messages sent" % n)
    return time.monotonic() - t0, d


def sh_conn(d):
    c = sh.SMTPConn(d.smtp_port, timeout=30)
    assert c.ehlo("client.test").code == 250
    return c


def test_dead_receivers_do_not_slow_delivery(lab):
    n = 150
    m = lab.mock("m1", "accept")
    base_s, d0 = _deliver_n(lab, m, n, {"rules": []})
    d0.stop()

    hang = lab.receiver("hang")
    fail = lab.receiver("fail")
    dead_port = sh.free_port()  # nothing listens there
    noisy = {
        "interval": "100ms",
        "notify": [
            {"type": "webhook", "url": hang.url("/hook")},
            {"type": "webhook", "url": "http://127.0.0.1:%d/hook" % dead_port},
            {"type": "slack", "url": fail.url("/slack")},
            {"type": "alertmanager", "url": hang.url("/am")},
        ],
        # Fires as soon as anything waits, and repeats every second.
        "rules": [{"name": "anything_waiting", "oldest_age_over": "1ms",
                   "for": "0s", "clear_for": "0s", "repeat_interval": "1s",
                   "severity": "critical"}],
    }
    dead_s, d1 = _deliver_n(lab, m, n, noisy)

    # The notifiers really were busy failing while mail flowed.
    assert hang.got(), "the hanging receiver saw no request"
    assert fail.got(), "the failing receiver saw no request"
    st = alerts(d1)["notify"]
    assert st["retries"] + st["queued"] > 0, st
    assert "anything_waiting" in d1.log_text()
    print("delivery of %d: %.2fs without notifiers, %.2fs with dead ones"
          % (n, base_s, dead_s))
    assert dead_s < base_s * 1.5 + 1.0, (base_s, dead_s)


def test_alert_changes_are_json_log_lines(lab):
    import json
    m = lab.mock("m1", "refuse")
    d = lab.daemon([sh.provider("m1", m.smtp_port, 1,
                                circuit={"failures": 1, "cooldown": "1m"})],
                   log={"level": "info", "format": "json"},
                   alerts={"interval": "200ms", "rules": [
                       {"name": "circuit_open", "severity": "critical"}]})
    sh.submit(d, "app@example.com", ["user@example.net"], _msg())

    def alert_lines():
        out = []
        for line in d.log_text().splitlines():
            if '"event":"alert"' in line:
                out.append(json.loads(line))
        return out
    got = sh.wait_until(alert_lines, 20, 0.1, "an alert log line")[0]
    assert got["level"] == "warn" and got["state"] == "firing"
    assert got["rule"] == "circuit_open" and got["provider"] == "m1"
    assert got["severity"] == "critical" and got["kind"] == "circuit_open"
    assert got["ts"].endswith("Z")
    assert got["msg"].startswith("alert: firing circuit_open/m1")
    assert "provider m1: circuit open" in got["text"]
