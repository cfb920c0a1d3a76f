"""A real Prometheus Alertmanager (Debian's prometheus-alertmanager),
started by the test on 127.0.0.1, receives swerve's alert when
swerve-mock goes dark (mode refuse) and its resolve when it heals: the
alert is listed by Alertmanager's /api/v2/alerts while the provider is
down and leaves the list once swerve posted endsAt = now.
"""

import swerve_harness as sh
from conftest import alerts


def _msg(i):
    return ("From: app@example.com\r\nTo: user@example.net\r\n"
            "Subject: am %d\r\n\r\nbody\r\n" % i)


def _ours(am):
    return [a for a in am.alerts()
            if a["labels"].get("alertname") == "provider_down"]


def test_alertmanager_gets_alert_when_mock_goes_dark_and_resolve(lab):
    am = lab.alertmanager()
    m = lab.mock("m1", "accept")
    prov = sh.provider("m1", m.smtp_port, 1, probe_interval="1s",
                       circuit={"failures": 1, "cooldown": "1s"})
    d = lab.daemon([prov], alerts={
        "interval": "200ms",
        "notify": [{"type": "alertmanager", "url": am.url}],
        "rules": [{"name": "provider_down", "kind": "circuit_open",
                   "for": "0s", "clear_for": "1s",
                   "severity": "critical"}],
    })
    api = sh.Api(d)
    qid = sh.submit(d, "app@example.com", ["user@example.net"], _msg(0))
    api.wait_state(qid, "sent", 20)
    assert _ours(am) == []

    m.set_mode("refuse")
    sh.submit(d, "app@example.com", ["user@example.net"], _msg(1))
    got = sh.wait_until(lambda: _ours(am), 30, 0.2,
                        "the alert in Alertmanager")
    a = got[0]
    assert a["labels"]["provider"] == "m1"
    assert a["labels"]["severity"] == "critical"
    assert a["labels"]["kind"] == "circuit_open"
    assert a["labels"]["service"] == "swerve"
    assert a["status"]["state"] == "active"
    assert "provider m1: circuit open" in a["annotations"]["summary"]
    assert [x["rule"] for x in alerts(d)["alerts"]] == ["provider_down"]

    # Heal: trial messages close the circuit; the resolve reaches
    # Alertmanager, which then no longer lists the alert as active.
    m.set_mode("accept")
    for i in range(4):
        sh.submit(d, "app@example.com", ["user@example.net"], _msg(2 + i))
    sh.wait_until(lambda: _ours(am) == [], 40, 0.3,
                  "the resolve in Alertmanager")
    assert alerts(d)["alerts"] == []
    st = alerts(d)["notify"]
    assert st["sent"] >= 2 and st["failed"] == 0, st
    # swerve logged both changes.
    log = d.log_text()
    assert "alert: firing provider_down/m1" in log
    assert "alert: resolved provider_down/m1" in log
