"""The SMTP server with ordinary clients: smtplib, swaks and raw dialogues.
Clients here come from 127.0.0.1, which the default test config lists in
submitters.networks, so no AUTH is needed."""

import re
import signal
import smtplib

import swerve_harness as h
from swerve_harness import ID_RE


def test_listening_log_lines(swerve):
    d = swerve.start()
    assert d.wait_log(r"listening smtp 127\.0\.0\.1:%d\b" % d.smtp_port), d.log_tail()
    assert d.wait_log(r"listening http 127\.0\.0\.1:%d\b" % d.http_port), d.log_tail()


def test_ehlo_advertises_extensions(swerve):
    d = swerve.start(limits={"max_message_size": "64KB"})
    with d.connect() as c:
        assert c.banner.code == 220, c.banner
        r = c.ehlo()
        assert r.code == 250, r
        for ext in ("PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "STARTTLS",
                    "SMTPUTF8"):
            assert ext in c.caps, "%s not advertised: %s" % (ext, r)
        assert c.caps.get("SIZE") == str(64 * 1024), r


def test_smtplib_plain_submission(swerve):
    d = swerve.start()
    s = smtplib.SMTP("127.0.0.1", d.smtp_port, timeout=10)
    try:
        code, _ = s.ehlo("smtplib.test")
        assert code == 250
        assert s.has_extn("pipelining") and s.has_extn("size")
        code, _ = s.mail("alice@example.com")
        assert code == 250
        assert s.rcpt("bob@example.net")[0] == 250
        assert s.rcpt("carol@example.net")[0] == 250
        code, msg = s.data(h.message(subject="smtplib plain"))
        assert code == 250, msg
        m = re.search(r"2\.0\.0 Ok: queued as (" + ID_RE + r")$", msg.decode())
        assert m, msg
        qid = m.group(1)
        s.quit()
    finally:
        s.close()
    row = d.spool.message(qid)
    assert row is not None, "queue id %s not in spool.db" % qid
    assert row["sender"] == "alice@example.com"
    assert sorted(d.spool.recipients(qid)) == ["bob@example.net", "carol@example.net"]


def test_smtplib_sendmail(swerve):
    d = swerve.start()
    with smtplib.SMTP("127.0.0.1", d.smtp_port, timeout=10) as s:
        refused = s.sendmail("a@example.com", ["b@example.net"],
                             h.message(subject="sendmail"))
        assert refused == {}
    assert d.spool.count() == 1


def test_swaks_plain_submission(swerve):
    d = swerve.start()
    r = h.run_swaks(d.smtp_port, "--from", "a@example.com", "--to", "b@example.net",
                    "--header", "Subject: swaks plain", "--body", "hi from swaks")
    assert r.returncode == 0, r.stdout + r.stderr
    m = re.search(r"<-  250 2\.0\.0 Ok: queued as (" + ID_RE + ")", r.stdout)
    assert m, r.stdout
    body = d.spool.body(m.group(1))
    assert b"Subject: swaks plain\r\n" in body
    assert b"hi from swaks" in body


def test_swaks_pipelining(swerve):
    d = swerve.start()
    r = h.run_swaks(d.smtp_port, "--pipeline", "--from", "a@example.com",
                    "--to", "b@example.net,c@example.net", "--body", "pipelined")
    assert r.returncode == 0, r.stdout + r.stderr
    m = re.search(r"queued as (" + ID_RE + ")", r.stdout)
    assert m, r.stdout
    assert sorted(d.spool.recipients(m.group(1))) == ["b@example.net", "c@example.net"]


def test_basic_commands(swerve):
    d = swerve.start()
    with d.connect() as c:
        assert c.banner.code == 220
        assert c.cmd("MAIL FROM:<a@example.com>").code == 503  # EHLO first
        assert c.cmd("HELO client.test").code == 250
        assert c.ehlo().code == 250
        assert c.cmd("NOOP").code == 250
        assert c.cmd("RSET").code == 250
        assert c.cmd("VRFY postmaster").code == 252
        assert c.cmd("HELP").code in (211, 214)
        assert c.cmd("FROBNICATE now").code == 500
        assert c.cmd("RCPT TO:<b@example.net>").code == 503  # no MAIL yet
        assert c.cmd("DATA").code == 503
        assert c.cmd("MAIL FROM:<a@example.com>").code == 250
        assert c.cmd("MAIL FROM:<a@example.com>").code == 503  # nested MAIL
        assert c.cmd("DATA").code in (503, 554)  # no valid recipient
        r = c.cmd("QUIT")
        assert r.code == 221
        closed, _ = c.wait_closed(3)
        assert closed
    assert d.spool.count() == 0


def test_enhanced_status_codes_in_replies(swerve):
    d = swerve.start()
    with d.connect() as c:
        c.ehlo()
        r = c.cmd("MAIL FROM:<a@example.com>")
        assert r.code == 250 and r.first.startswith("2.1.0"), r
        r = c.cmd("RCPT TO:<b@example.net>")
        assert r.code == 250 and r.first.startswith("2.1.5"), r
        r = c.cmd("FROBNICATE")
        assert r.code == 500 and r.first.startswith("5.5."), r


def test_rset_discards_transaction(swerve):
    d = swerve.start()
    with d.connect() as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<a@example.com>").code == 250
        assert c.cmd("RCPT TO:<b@example.net>").code == 250
        assert c.cmd("RSET").code == 250
        assert c.cmd("DATA").code == 503
    assert d.spool.count() == 0


def test_pipelined_transaction_in_one_write(swerve):
    d = swerve.start()
    with d.connect() as c:
        c.ehlo()
        c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.net>\r\n"
               "RCPT TO:<c@example.net>\r\nDATA\r\n")
        codes = [r.code for r in c.replies(4)]
        assert codes == [250, 250, 250, 354], codes
        r = c.send_data(h.message(subject="pipelined"))
        assert r.code == 250 and r.queue_id(), r
        # A second transaction and QUIT pipelined after the first's end.
        c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<d@example.net>\r\nDATA\r\n")
        assert [r.code for r in c.replies(3)] == [250, 250, 354]
        c.send(h.message(subject="second") + b".\r\nQUIT\r\n")
        r2 = c.reply()
        assert r2.code == 250 and r2.queue_id() and r2.queue_id() != r.queue_id()
        assert c.reply().code == 221
    assert d.spool.count() == 2


def test_null_sender_accepted(swerve):
    d = swerve.start()
    with d.connect() as c:
        c.ehlo()
        rs = c.mail("", ["b@example.net"], h.message(subject="bounce"))
        assert rs[-1].code == 250, rs
        qid = rs[-1].queue_id()
    assert d.spool.message(qid)["sender"] == ""


def test_smtputf8_addresses(swerve):
    d = swerve.start()
    with d.connect() as c:
        c.ehlo()
        rs = c.mail("dörte@example.com", ["用户@example.net"],
                    h.message(subject="utf8", body="Grüße\r\n"),
                    mail_params=" SMTPUTF8 BODY=8BITMIME")
        assert rs[-1].code == 250, rs
        qid = rs[-1].queue_id()
    assert d.spool.message(qid)["sender"] == "dörte@example.com"
    assert d.spool.recipients(qid) == ["用户@example.net"]


def test_non_ascii_address_without_smtputf8_refused(swerve):
    d = swerve.start()
    with d.connect() as c:
        c.ehlo()
        r = c.cmd("MAIL FROM:<dörte@example.com>")
        assert 500 <= r.code < 600, r


def test_accepted_log_line(swerve):
    d = swerve.start()
    with d.connect() as c:
        c.ehlo()
        msg = h.message(subject="log line")
        rs = c.mail("logger@example.com", ["b@example.net", "c@example.net"], msg)
        qid = rs[-1].queue_id()
        assert qid, rs
    m = d.wait_log(r"[^\n]*accepted[^\n]*id=%s[^\n]*" % qid)
    assert m, "no accepted line for %s:\n%s" % (qid, d.log_tail())
    line = m.group(0)
    assert "logger@example.com" in line, line
    assert re.search(r"\bn?rcpts?\w*=2\b|\brecipients=2\b", line), line
    sz = re.search(r"\bsize=(\d+)", line)
    assert sz and int(sz.group(1)) >= len(msg), line
    assert "127.0.0.1" in line, line
    assert len(re.findall(r"accepted[^\n]*id=%s" % qid, d.log_text())) == 1, \
        "not exactly one accepted line for %s" % qid


def test_sigterm_and_sigint_exit_cleanly(swerve):
    d = swerve.start()
    assert d.stop(signal.SIGTERM) == 0, d.log_tail()
    d.start()
    assert d.stop(signal.SIGINT) == 0, d.log_tail()


def test_no_starttls_without_tls_config(swerve):
    d = swerve.start(tls=None)
    with d.connect() as c:
        c.ehlo()
        assert "STARTTLS" not in c.caps
        r = c.cmd("STARTTLS")
        assert r.code != 220 and 400 <= r.code < 600, r
        assert c.cmd("NOOP").code == 250
