"""test_delivery_modes - swerved in front of two swerve-mocks, every mode.

The primary (priority 1) is put in one fault mode, the backup (priority 2)
accepts. For each mode: where the message ends, what each recipient's
state is, what the attempts say, and that nothing is lost or doubled.
Also: permanent failures (no failover, a well-formed DSN to the sender,
delivered through a provider, never a DSN for a <> sender), both providers
down (deferred with its last error, delivered once one comes back), and
expiry after retry.max_lifetime (failed + DSN).
"""

import email
import email.policy
import time

import pytest

import delivery_helpers as dh
from delivery_helpers import sh

SENDER = "alice@example.com"


def two_mocks(lab, primary_mode=None, **primary_kw):
    p = lab.mock("primary", primary_mode)
    b = lab.mock("backup")
    provs = [dh.provider("primary", p.smtp_port, 1, **primary_kw),
             dh.provider("backup", b.smtp_port, 2)]
    return p, b, provs


def only(msgs, rcpt):
    return [m for m in msgs if rcpt in m["rcpt_to"]]


def attempts(m):
    return [(a["provider"], a["result"]) for a in m["attempts_detail"]]


# A chain of failing providers, one per fault mode, in priority order,
# then a healthy backup: one message must walk the whole chain at once
# (instant failover) and end at the backup. mode -> recorded class.
FAILOVER_MODES = [
    ("tempfail", "deferred"),   # 451 at the dot
    ("refuse", "deferred"),     # connect() refused
    ("hang", "deferred"),       # never greeted: greeting timeout
    ("drop", "unknown"),        # closed after the dot: may have been taken
    ("throttle", "throttled"),  # 454 at MAIL
    ("authfail", "config"),     # 530 at MAIL
]


def test_every_failing_mode_fails_over_at_once(lab):
    mocks = [lab.mock(mode, mode) for mode, _ in FAILOVER_MODES]
    b = lab.mock("backup")
    provs = [dh.provider(m.name, m.smtp_port, i + 1, greeting_timeout="1s")
             for i, m in enumerate(mocks)]
    provs.append(dh.provider("backup", b.smtp_port, 100))
    d = lab.daemon(provs)
    api = dh.Api(d)
    rcpt = "bob@example.net"
    t0 = time.monotonic()
    qid = dh.submit(d, SENDER, [rcpt], sh.message(subject="chain"))
    m = api.wait_state(qid, ("sent", "failed"), 20)
    took = time.monotonic() - t0

    assert m["state"] == "sent", m
    assert [r["state"] for r in m["rcpts"]] == ["sent"]
    assert m["rcpts"][0]["provider"] == "backup", m
    assert attempts(m) == [(mode, k) for mode, k in FAILOVER_MODES] + \
        [("backup", "accepted")], m
    # no back-off between them: the only wait is hang's 1 s greeting timeout
    assert took < 8, took
    assert len(only(b.messages(), rcpt)) == 1
    for mk in mocks:
        assert mk.messages() == [], "%s kept a copy" % mk.name
    st = api.status()
    assert st["delivery"]["failovers"] == len(FAILOVER_MODES), st["delivery"]
    assert st["delivery"]["delivered"] == 1, st["delivery"]
    assert st["delivery"]["dsns"] == 0, st["delivery"]
    assert st["delivery"]["possible_duplicates"] == 1, st["delivery"]
    dup = dh.log_lines(d, r"possible duplicate")
    assert len(dup) == 1 and qid in dup[0] and "at drop" in dup[0], dup
    assert [p["name"] for p in st["providers"]][:1] == ["tempfail"]
    for p in st["providers"][:-1]:
        assert p["failed"] == 1 and p["sent"] == 0, p


def test_slow_primary_still_delivers_there(lab):
    p, b, provs = two_mocks(lab, "slow 200")
    d = lab.daemon(provs)
    api = dh.Api(d)
    t0 = time.monotonic()
    qid = dh.submit(d, SENDER, ["slow@example.net"], sh.message())
    m = api.wait_state(qid, ("sent", "failed"), 15)
    assert m["state"] == "sent"
    assert attempts(m) == [("primary", "accepted")], m
    # greeting, EHLO, MAIL, RCPT, DATA, dot: several 300 ms round trips
    assert time.monotonic() - t0 > 0.8
    assert len(p.messages()) == 1 and b.messages() == []


def test_accepting_primary_is_preferred(lab):
    p, b, provs = two_mocks(lab)
    d = lab.daemon(provs)
    api = dh.Api(d)
    ids = [dh.submit(d, SENDER, ["r%d@example.net" % i], sh.message(subject="p%d" % i))
           for i in range(5)]
    for qid in ids:
        m = api.wait_state(qid, ("sent", "failed"), 10)
        assert attempts(m) == [("primary", "accepted")], m
        assert m["rcpts"][0]["provider_message_id"], m
    got = p.messages()
    assert sorted(r for x in got for r in x["rcpt_to"]) == \
        sorted("r%d@example.net" % i for i in range(5))
    assert b.messages() == []
    # the provider's id is what swerved recorded
    assert {x["id"] for x in got} == {api.message(q)["rcpts"][0]["provider_message_id"]
                                      for q in ids}


def parse_dsn(raw):
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def check_dsn(raw, original_id, failed_rcpts, status_prefix, sender=SENDER):
    """Assert raw is an RFC 3464 report for failed_rcpts; return the
    delivery-status fields per recipient."""
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b""), "bare LF in DSN"
    msg = parse_dsn(raw)
    assert msg.get_content_type() == "multipart/report", msg.get_content_type()
    assert msg.get_param("report-type") == "delivery-status"
    assert msg["To"].strip() == "<%s>" % sender
    assert msg["Message-ID"] and msg["Date"] and msg["From"]
    assert msg["Auto-Submitted"] == "auto-replied"
    parts = msg.get_payload()
    types = [pt.get_content_type() for pt in parts]
    assert types[:2] == ["text/plain", "message/delivery-status"], types
    assert types[2] in ("text/rfc822-headers", "message/rfc822"), types
    ds = parts[1].get_payload()  # [per-message block, per-recipient blocks...]
    per_msg = ds[0]
    assert per_msg["Reporting-MTA"].startswith("dns;"), per_msg.items()
    assert per_msg["X-Swerve-Queue-ID"] == original_id
    recs = {}
    for blk in ds[1:]:
        fr = blk["Final-Recipient"]
        assert fr.lower().startswith("rfc822;"), fr
        recs[fr.split(";", 1)[1].strip()] = blk
    assert sorted(recs) == sorted(failed_rcpts), recs.keys()
    for r, blk in recs.items():
        assert blk["Action"] == "failed", blk.items()
        assert blk["Status"].startswith(status_prefix), blk.items()
    # the original's header section comes back, not its body
    assert ("Subject: " in parts[2].as_string()) and "SECRET-BODY" not in raw.decode("latin-1")
    return recs


def test_permfail_fails_recipient_without_failover_and_dsn_is_never_bounced(lab):
    """permfail: 550 at RCPT -> the recipient fails, the backup is not
    tried, one DSN is queued to the sender. That DSN (sender <>) also meets
    the permfail primary, fails, and must not produce a DSN of its own."""
    p, b, provs = two_mocks(lab, "permfail")
    d = lab.daemon(provs)
    api = dh.Api(d)
    qid = dh.submit(d, SENDER, ["nobody@example.net"],
                    sh.message(subject="perm", body="SECRET-BODY\r\n"))
    m = api.wait_state(qid, ("sent", "failed"), 10)
    assert m["state"] == "failed", m
    r = m["rcpts"][0]
    assert r["state"] == "failed", r
    assert "User unknown" in (r["last_reply"] or ""), r
    assert attempts(m) == [("primary", "rejected")], m

    def dsns():
        return [x for x in api.list() if x["sender"] == "" and x["id"] != qid]
    ds = dh.wait_until(lambda: [x for x in dsns() if x["state"] in ("sent", "failed")],
                       10, what="the DSN to finish")
    assert len(ds) == 1, ds
    dsn = api.message(ds[0]["id"])
    assert [x["address"] for x in dsn["rcpts"]] == [SENDER]
    assert dsn["state"] == "failed", dsn
    check_dsn(d.spool.body(dsn["id"]), qid, ["nobody@example.net"], "5.")
    time.sleep(1.0)  # a DSN of the DSN would have been queued by now
    st = api.status()
    assert st["delivery"]["dsns"] == 1, st["delivery"]
    assert len([x for x in api.list() if x["sender"] == ""]) == 1
    assert st["delivery"]["failovers"] == 0
    assert b.messages() == [], "permanent failure was failed over"
    assert p.messages() == []


def test_partial_rcpt_failure_dsn_delivered_through_provider(lab):
    """rcptfail on the primary for one of two recipients: that one fails
    (no failover), the other is delivered; the DSN reaches the sender
    through the primary, as a message with sender <>."""
    p, b, provs = two_mocks(lab, "rcptfail bad-")
    d = lab.daemon(provs)
    api = dh.Api(d)
    qid = dh.submit(d, SENDER, ["good@example.net", "bad-user@example.net"],
                    sh.message(subject="partial", body="SECRET-BODY\r\n"))
    m = api.wait_state(qid, ("sent", "failed"), 10)
    assert m["state"] == "sent", m
    states = {r["address"]: (r["state"], r["provider"]) for r in m["rcpts"]}
    assert states["good@example.net"] == ("sent", "primary"), states
    assert states["bad-user@example.net"][0] == "failed", states
    assert attempts(m) == [("primary", "accepted")], m
    assert b.messages() == []

    dsn_msgs = dh.wait_until(lambda: [x for x in p.messages() if x["mail_from"] == ""],
                             10, what="the DSN at the primary")
    assert len(dsn_msgs) == 1
    assert dsn_msgs[0]["rcpt_to"] == [SENDER]
    raw = p.raw(dsn_msgs[0]["id"])
    check_dsn(raw, qid, ["bad-user@example.net"], "5.1.1")
    originals = [x for x in p.messages() if x["mail_from"] == SENDER]
    assert [x["rcpt_to"] for x in originals] == [["good@example.net"]]
    assert api.status()["delivery"]["dsns"] == 1


def test_null_sender_permfail_gets_no_dsn(lab):
    p, b, provs = two_mocks(lab, "permfail")
    d = lab.daemon(provs)
    api = dh.Api(d)
    qid = dh.submit(d, "", ["nobody@example.net"], sh.message(subject="bounce"))
    m = api.wait_state(qid, ("sent", "failed"), 10)
    assert m["state"] == "failed" and m["rcpts"][0]["state"] == "failed", m
    time.sleep(1.0)
    assert api.status()["delivery"]["dsns"] == 0
    assert [x["id"] for x in api.list()] == [qid], "a DSN was queued for a <> sender"
    assert "dsn queued" not in d.log_text()


def test_both_down_defers_then_delivers_when_primary_returns(lab):
    p, b, provs = two_mocks(lab, "refuse")
    b.set_mode("refuse")
    d = lab.daemon(provs, retry={"min_backoff": "1s", "max_backoff": "2s",
                                 "max_lifetime": "1h"})
    api = dh.Api(d)
    qid = dh.submit(d, SENDER, ["later@example.net"], sh.message(subject="later"))
    m = api.wait_state(qid, "deferred", 10)
    assert m["last_error"], m
    assert m["rcpts"][0]["state"] == "pending"
    assert {a["provider"] for a in m["attempts_detail"]} == {"primary", "backup"}
    assert all(a["result"] == "deferred" for a in m["attempts_detail"]), m
    # next attempt within [min_backoff, max_backoff] (+-20% jitter, clamped)
    delay = m["next_attempt_at_ms"] - m["attempts_detail"][-1]["at_ms"]
    assert 700 <= delay <= 2600, delay

    r = sh.swervectl(["-c", d.config_path, "queue", "--state", "deferred"])
    assert r.returncode == 0, r.stderr
    line = [l for l in r.stdout.splitlines() if qid in l]
    assert len(line) == 1 and "deferred" in line[0], r.stdout
    assert m["last_error"][:20] in line[0], (m["last_error"], line)
    r = sh.swervectl(["-c", d.config_path, "show", qid])
    assert r.returncode == 0 and "deferred" in r.stdout and "primary" in r.stdout, r.stdout

    p.set_mode("accept")
    m = api.wait_state(qid, ("sent", "failed"), 15)
    assert m["state"] == "sent", m
    assert m["rcpts"][0]["provider"] == "primary"
    assert len(only(p.messages(), "later@example.net")) == 1
    assert b.messages() == []


def test_max_lifetime_expires_with_dsn(lab):
    p, b, provs = two_mocks(lab, "refuse")
    b.set_mode("refuse")
    # the first retry comes after the lifetime is over: one retry, then expiry
    d = lab.daemon(provs, retry={"min_backoff": "3s", "max_backoff": "3s",
                                 "max_lifetime": "3s"})
    api = dh.Api(d)
    t0 = time.monotonic()
    qid = dh.submit(d, SENDER, ["never@example.net", "never2@example.net"],
                    sh.message(subject="expire", body="SECRET-BODY\r\n"))
    m = api.wait_state(qid, ("sent", "failed"), 20)
    took = time.monotonic() - t0
    assert m["state"] == "failed", m
    assert took >= 2.5, "failed after %.1fs, before max_lifetime" % took
    for r in m["rcpts"]:
        assert r["state"] == "failed", r
        assert "gave up" in (r["last_reply"] or ""), r
    assert len(m["attempts_detail"]) >= 2
    dsn = dh.wait_until(lambda: [x for x in api.list() if x["sender"] == ""],
                        10, what="the expiry DSN")
    assert len(dsn) == 1
    recs = check_dsn(d.spool.body(dsn[0]["id"]), qid,
                     ["never@example.net", "never2@example.net"], "4.4.7")
    assert all("gave up" in (blk["Diagnostic-Code"] or "") for blk in recs.values())
    assert dsn[0]["state"] in ("ready", "inflight", "deferred"), dsn
    assert api.status()["delivery"]["dsns"] == 1


def test_many_expire_while_the_only_provider_is_probed(lab):
    """Several messages outlive max_lifetime behind a dark provider. When
    its cool-down ends, one message takes the probe slot and the others,
    claimed in the same batch, find no provider and expire at once: each
    fails with 4.4.7 and gets its DSN. (This path once wrote through a
    NULL update array and crashed the daemon.)"""
    p = lab.mock("dark", "refuse")
    d = lab.daemon([dh.provider("dark", p.smtp_port, 1)],
                   retry={"min_backoff": "1s", "max_backoff": "1s",
                          "max_lifetime": "2s"})
    api = dh.Api(d)
    conn = sh.SMTPConn(d.smtp_port)
    conn.ehlo()
    ids = [dh.submit(d, SENDER, ["gone%d@example.net" % i],
                     sh.message(subject="gone %d" % i), conn=conn)
           for i in range(6)]
    conn.close()
    for qid in ids:
        m = api.wait_state(qid, "failed", 30)
        assert m["rcpts"][0]["state"] == "failed", m
        assert "gave up" in (m["rcpts"][0]["last_reply"] or ""), m
    assert d.alive(), d.log_tail()
    # One DSN per expired message, queued to the sender with <> as sender.
    dsns = [m for m in api.list() if m["sender"] == "" and m["id"] not in ids]
    assert len(dsns) == len(ids), dsns
