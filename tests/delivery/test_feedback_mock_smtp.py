"""Feedback for an SMTP relay provider, end to end through swerve-mock
(issue 14): swerved relays to the mock's SMTP listener with a VERP
envelope sender (bounce_domain); the mock, told where swerved's
listen.bounce is (its feedback JSON's "smtp" target), mails back what a
receiving MTA would: an RFC 3464 DSN for a hard bounce (failed 5.1.1), a
soft bounce (failed 4.2.2) and a delay (delayed 4.4.1), an RFC 5965
abuse report for a complaint; nothing for a delivery.

  - every report reaches the right message and recipient (one message,
    several recipients: the VERP address names the message, the report's
    recipient the recipient);
  - the hard bounce and the complaint are suppressed, and the next
    submission to them is refused at RCPT (550 5.1.1);
  - swerve's own DSN for the hard bounce goes to the original sender
    (through the mock too: it is mail from the null sender, about which
    the mock reports nothing back, so the loop ends);
  - a report the bounce listener refuses (a mock whose reports name a
    forged VERP address) is dropped by the mock (5xx), records nothing.
"""

import json

import delivery_helpers as dh
import swerve_harness as sh

SENDER = "app@example.com"


def put_feedback(m, cfg):
    code, out, _ = sh.http_request(m.url + "/feedback", "PUT",
                                   json.dumps(cfg).encode(),
                                   {"Content-Type": "application/json"})
    assert code == 200, out


def feedback_stats(m):
    code, obj = sh.http_json(m.url + "/feedback")
    assert code == 200, obj
    return obj["stats"]


def smtp_lab(lab):
    m = lab.mock("relay")
    bport = sh.free_port()
    listen = sh.listen_config()
    listen["bounce"] = "%s:%d" % (sh.HOST, bport)
    d = lab.daemon([dh.provider("relay", m.smtp_port, 1,
                                bounce_domain="bounce.test")],
                   listen=listen)
    put_feedback(m, {"after_ms": 100, "retry_ms": 200,
                     "smtp": {"host": sh.HOST, "port": bport}})
    return m, d, sh.Api(d)


def suppressed(d):
    code, out, _ = sh.http_request(d.http_url + "/v1/suppressions?tenant=",
                                   "GET", None, dict(sh.ADMIN_AUTH))
    assert code == 200, out
    obj = json.loads(out)
    items = obj.get("suppressions", obj) if isinstance(obj, dict) else obj
    return sorted(i["address"].lower() for i in items)


def test_dsns_and_arf_reports_over_smtp_close_the_loop(lab):
    m, d, api = smtp_lab(lab)
    rcpts = ["bounce-a@example.net", "soft-b@example.net",
             "complaint-c@example.net", "delay-d@example.net",
             "fine-e@example.net"]
    qid = dh.submit(d, SENDER, rcpts,
                    sh.message("loop", sender=SENDER, to=rcpts[0]))
    api.wait_state(qid, "sent", 30)
    # The mock saw swerve's VERP envelope sender.
    got = [x for x in m.messages() if x.get("via") == "smtp"]
    assert got and got[0]["mail_from"].startswith("b-%s-" % qid), got
    assert got[0]["mail_from"].endswith("@bounce.test"), got

    want = {"bounce-a@example.net": ("bounced", "hard", ["hard_bounce"]),
            "soft-b@example.net": ("bounced", "soft", ["soft_bounce"]),
            "complaint-c@example.net": ("complained", None, ["complaint"]),
            "delay-d@example.net": (None, None, ["delayed"]),
            "fine-e@example.net": (None, None, [])}

    def by_rcpt():
        mm = api.message(qid)
        evs = {}
        for e in mm["events"]:
            evs.setdefault(e["recipient"].lower(), []).append(e["type"])
        return {r["address"].lower(): (r["outcome"], r.get("bounce"),
                                       sorted(evs.get(r["address"].lower(),
                                                      [])))
                for r in mm["rcpts"]}

    def settled():
        b = by_rcpt()
        return all(b[r][2] == w[2] for r, w in want.items())
    try:
        sh.wait_until(settled, 30, what="every report recorded")
    except AssertionError:
        raise AssertionError((by_rcpt(), feedback_stats(m), d.log_tail(30)))
    b = by_rcpt()
    for r, w in want.items():
        if w[0] is not None:
            assert b[r][:2] == w[:2], (r, b[r])
    assert b["fine-e@example.net"][0] != "bounced", b
    mm = api.message(qid)
    hard = [e for e in mm["events"] if e["type"] == "hard_bounce"][0]
    assert hard["provider"] == "relay" and hard["enhanced"] == "5.1.1", hard
    st = feedback_stats(m)
    assert st["posted"] == 4 and st["failed"] == 0, st

    gone = ["bounce-a@example.net", "complaint-c@example.net"]
    sh.wait_until(lambda: suppressed(d) == gone, 20,
                  what="suppression entries %r" % gone)
    c = sh.SMTPConn(d.smtp_port, timeout=10)
    assert c.ehlo("client.test").code == 250
    assert c.cmd("MAIL FROM:<%s>" % SENDER).code == 250
    for r in gone:
        rep = c.cmd("RCPT TO:<%s>" % r)
        assert rep.code == 550 and "5.1.1" in rep.text, (r, rep)
    assert c.cmd("RCPT TO:<fine-e@example.net>").code == 250
    c.close()

    # swerve's DSN to the original sender reached the mock, from <>.
    def dsn_out():
        return [x for x in m.messages() if x.get("via") == "smtp" and
                x["mail_from"] == "" and SENDER in x["rcpt_to"]]
    dh.wait_until(dsn_out, 30, 0.2, "swerve's DSN to the sender")
    assert feedback_stats(m)["queued"] == 4  # nothing about the DSN


def test_a_refused_report_is_dropped_and_records_nothing(lab):
    m, d, api = smtp_lab(lab)
    # swerved's bounce listener refuses RCPT to a VERP address whose mac
    # does not verify: the relay provider here signs with another key.
    d2 = lab.daemon([dh.provider("relay", m.smtp_port, 1,
                                 bounce_domain="bounce.test")])
    qid = dh.submit(d2, SENDER, ["bounce-x@example.net"],
                    sh.message("forged", sender=SENDER,
                               to="bounce-x@example.net"))
    sh.Api(d2).wait_state(qid, "sent", 30)
    sh.wait_until(lambda: feedback_stats(m)["failed"] >= 1, 20,
                  what="the report refused")
    assert feedback_stats(m)["posted"] == 0
    assert suppressed(d) == []
