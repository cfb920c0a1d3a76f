"""test_delivery_restart - a clean stop never strands mail.

  - SIGTERM while every connection hangs on a dark provider: swerved waits
    for the attempts on the wire only up to shutdown_timeout (not for the
    upstream's timeouts), exits 0, and after a restart with the provider
    back every message is delivered once;
  - deferred messages survive a restart and go out when due.
"""

import time

import delivery_helpers as dh
from delivery_helpers import sh

SENDER = "alice@example.com"


def test_sigterm_with_hung_connections_then_restart(lab):
    p = lab.mock("dark", "hang")
    d = lab.daemon([dh.provider("dark", p.smtp_port, 1, greeting_timeout="30s",
                                command_timeout="30s", data_timeout="30s")],
                   shutdown_timeout="1s")
    api = dh.Api(d)
    ids = [dh.submit(d, SENDER, ["h%d@example.net" % i], sh.message(subject="h%d" % i))
           for i in range(12)]
    dh.wait_until(lambda: api.status()["providers"][0]["busy"] >= 4, 10, 0.1,
                  "connections to hang")
    t0 = time.monotonic()
    rc = d.stop(patience=8)  # one SIGTERM: shutdown_timeout ends the wait
    took = time.monotonic() - t0
    assert rc == 0, d.log_tail()
    assert took < 8, "SIGTERM took %.1fs with hung provider connections" % took
    assert "shutdown_timeout passed" in d.log_text(), d.log_tail()

    p.set_mode("accept")  # new sessions are served again
    d.start()
    for qid in ids:
        m = api.wait_state(qid, ("sent", "failed"), 15)
        assert m["state"] == "sent", m
    rc = [r for x in p.messages() for r in x["rcpt_to"]]
    assert sorted(rc) == sorted("h%d@example.net" % i for i in range(12)), rc


def test_deferred_mail_survives_restart(lab):
    p = lab.mock("primary", "tempfail")
    d = lab.daemon([dh.provider("primary", p.smtp_port, 1)],
                   retry={"min_backoff": "2s", "max_backoff": "3s",
                          "max_lifetime": "1h"})
    api = dh.Api(d)
    qid = dh.submit(d, SENDER, ["later@example.net"], sh.message(subject="later"))
    m = api.wait_state(qid, "deferred", 10)
    due = m["next_attempt_at_ms"]
    d.stop()
    p.set_mode("accept")
    d.start()
    m = api.message(qid)
    assert m["state"] == "deferred" and m["next_attempt_at_ms"] == due, m
    m = api.wait_state(qid, ("sent", "failed"), 15)
    assert m["state"] == "sent", m
    # not before it was due
    sent_at = m["attempts_detail"][-1]["at_ms"]
    assert sent_at >= due - 50, (sent_at, due)
    assert [a["result"] for a in m["attempts_detail"]] == ["deferred", "accepted"], m
    assert len(p.messages()) == 1
