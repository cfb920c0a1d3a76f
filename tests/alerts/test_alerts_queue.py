"""Queue rules against a live daemon: a message stuck behind a dark
provider makes queue_age go pending, then fire for its stream (with the
deferred count rule beside it), and both resolve once the provider heals
and the queue drains. GET /v1/alerts shows the states on the way.
"""

import swerve_harness as sh
from conftest import alerts


def _by_rule(d):
    return {a["rule"]: a for a in alerts(d)["alerts"]}


def test_queue_age_and_deferred_fire_per_stream_and_resolve(lab):
    m = lab.mock("m1", "refuse")
    rcv = lab.receiver("ok")
    d = lab.daemon([sh.provider("m1", m.smtp_port, 1,
                                circuit={"failures": 50})], alerts={
        "interval": "200ms",
        "notify": [{"type": "webhook", "url": rcv.url("/hook")}],
        "rules": [
            {"name": "queue_too_old", "stream": "transactional",
             "oldest_age_over": "2s", "for": "2s", "clear_for": "0s",
             "severity": "critical"},
            # clear_for rides over the instant between a retry's attempt
            # and its next deferral.
            {"name": "deferred_high", "deferred_over": 1, "for": "0s",
             "clear_for": "1s"},
        ],
    })
    for i in range(3):
        sh.submit(d, "app@example.com", ["user@example.net"],
                  "Subject: q %d\r\n\r\nbody\r\n" % i)
    pend = sh.wait_until(lambda: _by_rule(d).get("queue_too_old"), 15, 0.1,
                         "queue_too_old pending")
    assert pend["state"] == "pending" and pend["stream"] == "transactional"
    fired = sh.wait_until(
        lambda: [b for b in rcv.json("/hook")
                 if b["alert"]["rule"] == "queue_too_old"], 20, 0.1,
        "queue_too_old firing")[0]
    assert fired["alert"]["stream"] == "transactional"
    assert fired["alert"]["severity"] == "critical"
    assert fired["alert"]["value"] > 2 and fired["alert"]["threshold"] == 2
    sh.wait_until(lambda: any(b["alert"]["rule"] == "deferred_high"
                              for b in rcv.json("/hook")), 20, 0.1,
                  "deferred_high firing")
    st = _by_rule(d)
    assert st["queue_too_old"]["state"] == "firing"
    assert st["deferred_high"]["stream"] == "transactional"

    m.set_mode("accept")
    sh.wait_until(lambda: _by_rule(d) == {}, 30, 0.2, "both resolved")
    changes = sorted((b["alert"]["rule"], b["status"])
                     for b in rcv.json("/hook"))
    assert changes == [("deferred_high", "firing"),
                       ("deferred_high", "resolved"),
                       ("queue_too_old", "firing"),
                       ("queue_too_old", "resolved")], changes


def test_queue_age_sees_mail_queued_before_a_restart(lab):
    """After a restart nothing is accepted anew and the deferred message
    is not due for an hour: only the backlog seeded from the spool can
    tell how old it is."""
    m = lab.mock("m1", "refuse")
    d = lab.daemon([sh.provider("m1", m.smtp_port, 1)],
                   retry={"min_backoff": "1h", "max_backoff": "1h",
                          "max_lifetime": "5d"},
                   alerts={"rules": []})
    api = sh.Api(d)
    qid = sh.submit(d, "app@example.com", ["user@example.net"],
                    "Subject: old\r\n\r\nbody\r\n")
    api.wait_state(qid, "deferred", 20)
    d.restart(alerts={"interval": "200ms", "rules": [
        {"name": "queue_too_old", "oldest_age_over": "1s", "for": "0s",
         "severity": "critical"},
        {"name": "deferred_high", "deferred_over": 0, "for": "0s"}]})
    got = sh.wait_until(lambda: len(_by_rule(d)) == 2 and _by_rule(d),
                        20, 0.2, "both alerts from the seeded backlog")
    assert got["queue_too_old"]["stream"] == "transactional"
    assert got["queue_too_old"]["state"] == "firing"
    assert got["deferred_high"]["value"] == 1
    assert api.state(qid) == "deferred"  # not retried meanwhile
