"""Limits that keep service up under abuse (issue 12, item 3).

127.0.0.2 stands in for a hostile remote client and 127.0.0.1 for the
legitimate ones: one address holding slow SMTP sessions or idle HTTP
connections must not lock the others out, must not run the daemon out of
descriptors, and must not flood the log."""

import os
import resource
import socket
import time

import swerve_harness as h

HOSTILE = "127.0.0.2"


def hostile_conn(port, timeout=5.0):
    """A connection to swerved from the hostile address."""
    return socket.create_connection((h.HOST, port), timeout=timeout,
                                    source_address=(HOSTILE, 0))


def open_idle(port, n):
    """Up to n idle connections from the hostile address (fewer when the
    listen queue is full: then connect() times out on the client)."""
    idle = []
    for _ in range(n):
        try:
            idle.append(hostile_conn(port, timeout=2))
        except OSError:
            break
    return idle


def submit_once(d, i):
    """One legitimate SMTP submission from 127.0.0.1; True when queued."""
    try:
        with d.connect() as c:
            if c.banner.code != 220:
                return False
            c.ehlo()
            if c.cmd("MAIL FROM:<app@example.com>").code != 250:
                return False
            if c.cmd("RCPT TO:<rcpt%d@example.net>" % i).code != 250:
                return False
            if c.cmd("DATA").code != 354:
                return False
            c.send("Subject: legit %d\r\n\r\nhello\r\n.\r\n" % i)
            ok = c.reply().code == 250
            c.cmd("QUIT")
            return ok
    except (OSError, h.SMTPClosed, AssertionError):
        return False


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))


def test_slow_smtp_flood_from_one_ip_leaves_room_for_others(swerve):
    # 40 sessions in all: by default one address may hold a quarter (10).
    d = swerve.start(limits={"max_sessions": 40})
    hostile, refused = [], 0
    for _ in range(80):  # twice the session cap, all slow (never speak)
        s = hostile_conn(d.smtp_port)
        s.settimeout(2)
        try:
            banner = s.recv(512)
        except socket.timeout:
            banner = b""
        if banner.startswith(b"421"):
            refused += 1
            s.close()
        else:
            hostile.append(s)
    try:
        assert refused >= 60, "one address kept %d sessions" % len(hostile)
        ok = sum(submit_once(d, i) for i in range(30))
        assert ok == 30, "only %d of 30 legitimate submissions got through" % ok
        assert "reason=sessions_per_ip" in d.log_text()
    finally:
        for s in hostile:
            s.close()


def test_idle_http_flood_keeps_smtp_and_http_up(swerve):
    raise_nofile(4096)
    d = swerve.start()  # default caps: 1,000 HTTP connections, 250 per address
    # The usual default limit of 1,024 descriptors, as on most hosts.
    resource.prlimit(d.pid, resource.RLIMIT_NOFILE, (1024, 1024))
    before = os.path.getsize(d.logs[-1])
    idle = []
    try:
        idle = open_idle(d.http_port, 1100)
        time.sleep(1.0)
        ok = 0
        for _ in range(20):
            try:
                st, _, _ = h.http_request(d.http_url + "/healthz", timeout=5)
                ok += st == 200
            except OSError:
                pass
        assert ok == 20, "only %d of 20 /healthz answered" % ok
        sent = sum(submit_once(d, i) for i in range(10))
        assert sent == 10, "only %d of 10 SMTP submissions got through" % sent
    finally:
        for s in idle:
            s.close()
    grown = os.path.getsize(d.logs[-1]) - before
    assert grown < 1024 * 1024, "the log grew by %d bytes" % grown
    assert d.alive()


def test_http_connections_over_the_per_ip_cap_get_503(swerve):
    d = swerve.start(limits={"max_http_connections": 8})
    held = [hostile_conn(d.http_port) for _ in range(2)]  # a quarter: 2
    try:
        time.sleep(0.2)
        extra = hostile_conn(d.http_port)
        extra.settimeout(5)
        data = extra.recv(4096)
        extra.close()
        assert data.startswith(b"HTTP/1.1 503"), data
        assert b"Retry-After" in data, data
        st, _, _ = h.http_request(d.http_url + "/healthz", timeout=5)
        assert st == 200
    finally:
        for s in held:
            s.close()


def test_out_of_descriptors_pauses_accepting_and_recovers(swerve):
    d = swerve.start()
    # So few descriptors that accept(2) fails long before any cap.
    resource.prlimit(d.pid, resource.RLIMIT_NOFILE, (96, 96))
    before = os.path.getsize(d.logs[-1])
    idle = []
    try:
        idle = open_idle(d.http_port, 150)
        time.sleep(2.0)
        assert d.alive()
    finally:
        for s in idle:
            s.close()
    text = d.log_text()
    assert "http: accept: Too many open files; pausing for 100 ms" in text
    grown = os.path.getsize(d.logs[-1]) - before
    assert grown < 64 * 1024, "the log grew by %d bytes in 2 s" % grown

    def healthy():
        try:
            return h.http_request(d.http_url + "/healthz", timeout=2)[0] == 200
        except OSError:
            return False
    h.wait_until(healthy, 10, what="/healthz after the descriptors came back")
    assert submit_once(d, 0)


def smtp_from(port, source):
    """An SMTPConn whose socket is bound to the address source."""
    c = h.SMTPConn.__new__(h.SMTPConn)
    c.sock = socket.create_connection((h.HOST, port), timeout=10,
                                      source_address=(source, 0))
    c.timeout = 10
    c.buf = b""
    c.caps = {}
    c.banner = c.reply()
    return c


AUTH_PLAIN = {"smtp": {"auth_plaintext": True},
              "limits": {"max_auth_failures": 3}}


def test_auth_guesses_are_slowed_across_sessions_not_the_user_elsewhere(swerve):
    d = swerve.start(**AUTH_PLAIN)
    codes = []
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:  # a guesser on one address
        c = smtp_from(d.smtp_port, HOSTILE)
        c.ehlo()
        try:
            for i in range(3):
                r = c.auth_plain("app1", "guess%d" % len(codes))
                codes.append(r.code)
                if r.code == 421:
                    break
        except (h.SMTPClosed, OSError):
            pass
        c.close()
    checked = codes.count(535)
    # 3 free failures, then waits of 1 s and 2 s: at most ~6 real tries
    # in 3 s (without the throttle: hundreds).
    assert checked <= 6, "%d guesses checked in 3 s" % checked
    assert 454 in codes, "no attempt was refused for waiting"
    # Even the right password is refused unchecked while the address waits:
    # once a wrong guess is checked again, the next wait is at least 4 s.
    deadline = time.monotonic() + 10
    while True:
        c = smtp_from(d.smtp_port, HOSTILE)
        c.ehlo()
        if c.auth_plain("app1", "wrong").code == 535:
            break
        c.close()
        assert time.monotonic() < deadline, "no guess checked in 10 s"
        time.sleep(0.2)
    assert c.auth_plain("app1", "s3cret").code == 454
    c.close()
    # The user is not locked out from another address.
    with d.connect() as c:
        c.ehlo()
        assert c.auth_plain("app1", "s3cret").code == 235
    assert "reason=auth_throttled" in d.log_text()


def test_auth_failures_wait_then_pass(swerve):
    d = swerve.start(**AUTH_PLAIN)
    for i in range(2):  # 4 failures: the last one sets a 1 s wait
        c = smtp_from(d.smtp_port, HOSTILE)
        c.ehlo()
        assert c.auth_plain("app1", "bad").code == 535
        assert c.auth_plain("app1", "bad").code == 535
        c.close()
    c = smtp_from(d.smtp_port, HOSTILE)
    c.ehlo()
    r = c.auth_plain("app1", "s3cret")
    assert r.code == 454 and "try again in 1 s" in r.text, r
    time.sleep(1.1)
    assert c.auth_plain("app1", "s3cret").code == 235
    c.close()


def test_http_request_trickling_in_is_cut_at_the_deadline(swerve):
    d = swerve.start(limits={"http_request_timeout": "2s"})
    s = hostile_conn(d.http_port)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    t0 = time.monotonic()
    closed = False
    try:
        # One header byte every 0.5 s: evhttp's own 30 s read timeout
        # restarts at each one, so only the request deadline can end it.
        while time.monotonic() - t0 < 8:
            s.sendall(b"X")
            time.sleep(0.5)
    except OSError:
        closed = True
    took = time.monotonic() - t0
    s.close()
    assert closed, "a request trickling in for 8 s was not cut"
    assert took < 4.5, "cut after %.1f s, deadline 2 s" % took
    # An answered connection gets a fresh deadline for its next request.
    c = socket.create_connection((h.HOST, d.http_port), timeout=5)
    for _ in range(3):
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert c.recv(4096).startswith(b"HTTP/1.1 200")
        time.sleep(1.2)
    c.close()
    assert "reason=request_timeout" in d.log_text()
