"""E-mail alerts leave through a provider that is healthy.

The primary (swerve-mock m1) goes dark; its circuit opens and the
operators' e-mail about it is submitted to swerve's own spool, so routing
sends it through the backup (m2): the mail about a dead provider never
waits only on that provider. Also: a failover is reported as an info
alert (a silent fallback is never silent), and a notifier that fails is
retried until its receiver comes back.
"""

import swerve_harness as sh
from conftest import alerts


def _msg(i):
    return ("From: app@example.com\r\nTo: user@example.net\r\n"
            "Subject: app %d\r\n\r\nbody\r\n" % i)


def _alert_mails(mock):
    out = []
    for m in mock.messages():
        raw = mock.raw(m["id"]) if "id" in m else b""
        if isinstance(raw, bytes) and b"X-Swerve-Alert:" in raw:
            out.append(raw.decode("ascii", "replace"))
    return out


def test_alert_email_goes_through_the_healthy_provider(lab):
    m1 = lab.mock("m1", "refuse")
    m2 = lab.mock("m2", "accept")
    d = lab.daemon([
        sh.provider("m1", m1.smtp_port, 1,
                    circuit={"failures": 1, "cooldown": "1m"}),
        sh.provider("m2", m2.smtp_port, 2)], alerts={
        "interval": "200ms",
        "notify": [{"type": "email", "to": ["oncall@example.com"],
                    "from": "swerve@example.com"}],
        "rules": [
            {"name": "primary_down", "kind": "circuit_open",
             "provider": "m1", "severity": "critical"},
            {"name": "failover", "severity": "info", "window": "1m"},
        ],
    })
    qid = sh.submit(d, "app@example.com", ["user@example.net"], _msg(0))
    sh.Api(d).wait_state(qid, "sent", 20)

    mails = sh.wait_until(lambda: len(_alert_mails(m2)) >= 2 and
                          _alert_mails(m2), 30, 0.3,
                          "two alert mails at the backup")
    subjects = sorted(l for mail in mails for l in mail.split("\r\n")
                      if l.startswith("Subject: "))
    assert any("[swerve CRITICAL] FIRING primary_down (provider m1)" in s
               for s in subjects), subjects
    assert any("[swerve INFO] FIRING failover (provider m1)" in s
               for s in subjects), subjects
    for mail in mails:
        assert "To: oncall@example.com\r\n" in mail
        assert "From: swerve@example.com\r\n" in mail
        assert "Auto-Submitted: auto-generated\r\n" in mail
    fo = [x for x in mails if "FIRING failover" in x][0]
    assert "mail failed over from provider m1 to m2" in fo
    # Nothing reached the dark primary.
    assert m1.messages() == []
    rules = sorted(a["rule"] for a in alerts(d)["alerts"])
    assert rules == ["failover", "primary_down"], rules


def test_failing_webhook_is_retried_until_it_answers(lab):
    m = lab.mock("m1", "refuse")
    rcv = lab.receiver("fail")
    d = lab.daemon([sh.provider("m1", m.smtp_port, 1,
                                circuit={"failures": 1, "cooldown": "1m"})],
                   alerts={
        "interval": "200ms",
        "notify": [{"type": "webhook", "url": rcv.url("/hook")}],
        "rules": [{"name": "circuit_open", "severity": "warning"}],
    })
    sh.submit(d, "app@example.com", ["user@example.net"], _msg(0))
    sh.wait_until(lambda: len(rcv.got("/hook")) >= 2, 20, 0.1,
                  "two tries at the failing webhook")
    st = alerts(d)["notify"]
    assert st["retries"] >= 1 and st["sent"] == 0, st
    rcv.mode = "ok"
    sh.wait_until(lambda: alerts(d)["notify"]["sent"] >= 1, 20, 0.2,
                  "the webhook delivered after its receiver came back")
    bodies = rcv.json("/hook")
    assert all(b["alert"]["rule"] == "circuit_open" for b in bodies)
    assert all("x-swerve-signature" not in r["headers"]
               for r in rcv.got("/hook"))  # no secret_file: unsigned
    assert "try 1 failed (HTTP 503)" in d.log_text()
