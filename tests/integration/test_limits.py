"""Size and count limits: command and text line length, SIZE=, message
size, recipients, NUL bytes; memory stays bounded on endless lines."""

import socket
import time

import swerve_harness as h


def test_command_line_length_boundary(swerve):
    d = swerve.start()
    with d.connect() as c:
        c.ehlo()
        # 512 octets including CRLF is allowed (RFC 5321 4.5.3.1.4) ...
        line = "NOOP " + "x" * (512 - 2 - 5)
        assert len(line) + 2 == 512
        assert c.cmd(line).code == 250
        # ... 513 is not.
        r = c.cmd(line + "y")
        assert 500 <= r.code < 600, r


def test_long_mail_command_not_executed(swerve):
    d = swerve.start()
    with d.connect() as c:
        c.ehlo()
        r = c.cmd("MAIL FROM:<" + "a" * 600 + "@example.com>")
        assert r.code == 500, r
        try:
            r = c.cmd("RCPT TO:<b@example.net>")
        except (h.SMTPClosed, ConnectionError):
            return  # closing the session is a fine answer too
        assert r.code == 503, "MAIL from an overlong line was executed: %s" % r
        assert c.cmd("NOOP").code == 250, "session out of step after long line"


def test_endless_line_bounded_memory(swerve):
    # A small quarantine so freed memory is reused and RSS measures live use.
    d = swerve.start(env={"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=1:"
                                         "quarantine_size_mb=1"})
    with d.connect() as warm:  # warm up allocator paths first
        warm.ehlo()
    time.sleep(0.2)
    before = rss_kb(d.pid)
    c = d.connect()
    c.sock.settimeout(5)
    sent = 0
    chunk = b"A" * 65536
    try:
        while sent < 32 * 1024 * 1024:
            c.sock.sendall(chunk)
            sent += len(chunk)
    except (socket.timeout, BrokenPipeError, ConnectionResetError):
        pass  # the server stopped reading or closed: both bound memory
    time.sleep(0.3)
    after = rss_kb(d.pid)
    c.close()
    print("\nendless line: sent %d bytes, RSS %d -> %d KB" % (sent, before, after))
    assert d.alive()
    assert after - before < 16 * 1024, \
        "RSS grew %d KB after %d bytes of one line" % (after - before, sent)
    with d.connect() as c2:
        assert c2.banner.code == 220
        assert c2.ehlo().code == 250


def test_endless_data_line_bounded_memory(swerve):
    """One 32 MB line inside DATA (max_message_size 1MB): not buffered,
    refused at the dot, nothing queued, session still in step."""
    d = swerve.start(env={"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=1:"
                                         "quarantine_size_mb=1"})
    with d.connect() as warm:
        warm.ehlo()
        rs = warm.mail("a@example.com", ["b@example.net"], h.message())
        assert rs[-1].code == 250
    time.sleep(0.2)
    before = rss_kb(d.pid)
    with d.connect() as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<a@example.com>").code == 250
        assert c.cmd("RCPT TO:<b@example.net>").code == 250
        assert c.cmd("DATA").code == 354
        c.send(b"Subject: endless\r\n\r\n")
        chunk = b"B" * 65536
        for _ in range(512):
            c.sock.sendall(chunk)
        after = rss_kb(d.pid)
        r = c.send_data(b"", stuff=False)
        after = max(after, rss_kb(d.pid))
        assert 500 <= r.code < 600, r
        assert c.cmd("RCPT TO:<b@example.net>").code == 503
        assert c.cmd("NOOP").code == 250
    print("\nendless DATA line: RSS %d -> %d KB" % (before, after))
    assert after - before < 16 * 1024, "RSS grew %d KB" % (after - before)
    assert d.spool.count() == 1


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_text_line_over_1000_refused(swerve):
    d = swerve.start()
    with d.connect() as c:
        c.ehlo()
        body = b"x" * 999 + b"\r\n"  # 1001 octets with CRLF
        rs = c.mail("a@example.com", ["b@example.net"], h.message(body=body))
        assert 500 <= rs[-1].code < 600, rs
        assert c.cmd("NOOP").code == 250
    assert d.spool.count() == 0


def test_size_param_over_limit(swerve):
    d = swerve.start(limits={"max_message_size": "64KB"})
    with d.connect() as c:
        c.ehlo()
        assert c.caps.get("SIZE") == "65536"
        r = c.cmd("MAIL FROM:<a@example.com> SIZE=65537")
        assert r.code == 552, r
        assert c.cmd("RCPT TO:<b@example.net>").code == 503
        assert c.cmd("MAIL FROM:<a@example.com> SIZE=1000").code == 250


def test_body_over_limit_drained_and_refused(swerve):
    d = swerve.start(limits={"max_message_size": "64KB"})
    with d.connect() as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<a@example.com>").code == 250
        assert c.cmd("RCPT TO:<b@example.net>").code == 250
        assert c.cmd("DATA").code == 354
        filler = (b"y" * 76 + b"\r\n") * 1200  # ~94 KB
        # Past the limit, lines that look like commands are still body.
        tail = (b"MAIL FROM:<evil@example.com>\r\nRCPT TO:<v@example.net>\r\n"
                b"DATA\r\nSubject: smuggled\r\n\r\nsmuggled\r\n")
        c.send(h.message(body=filler + tail) + b".\r\n")
        r = c.reply()
        assert r.code == 552, r
        r = c.cmd("RCPT TO:<z@example.net>")
        assert r.code == 503, "a command from inside the body ran: %s" % r
        # The session is in step and usable.
        rs = c.mail("a@example.com", ["b@example.net"], h.message(subject="small"))
        assert rs[-1].code == 250, rs
    assert d.spool.count() == 1


def test_body_just_under_limit_accepted(swerve):
    d = swerve.start(limits={"max_message_size": "64KB"})
    msg = h.message(body=b"")
    msg += (b"z" * 98 + b"\r\n") * ((60 * 1024 - len(msg)) // 100)
    with d.connect() as c:
        c.ehlo()
        rs = c.mail("a@example.com", ["b@example.net"], msg,
                    mail_params=" SIZE=%d" % len(msg))
        assert rs[-1].code == 250, rs


def test_too_many_recipients(swerve):
    d = swerve.start(limits={"max_recipients": 3})
    with d.connect() as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<a@example.com>").code == 250
        rcpts = ["r%d@example.net" % i for i in range(5)]
        rs = [c.cmd("RCPT TO:<%s>" % r) for r in rcpts]
        assert [r.code for r in rs] == [250, 250, 250, 452, 452], rs
        assert rs[3].first.startswith("4.5.3"), rs[3]
        assert c.cmd("DATA").code == 354
        r = c.send_data(h.message(subject="three"))
        assert r.code == 250, r
        qid = r.queue_id()
    assert sorted(d.spool.recipients(qid)) == rcpts[:3]


def test_nul_in_data_refused(swerve):
    d = swerve.start()
    with d.connect() as c:
        c.ehlo()
        rs = c.mail("a@example.com", ["b@example.net"],
                    h.message(body=b"before\x00after\r\n"))
        assert 500 <= rs[-1].code < 600 and rs[-1].code != 552, rs
        assert c.cmd("NOOP").code == 250
    assert d.spool.count() == 0


def test_nul_in_command_refused(swerve):
    d = swerve.start()
    with d.connect() as c:
        c.ehlo()
        r = c.cmd("MAIL FROM:<a@exa\x00mple.com>")
        assert 500 <= r.code < 600, r
        assert c.cmd("RCPT TO:<b@example.net>").code == 503
