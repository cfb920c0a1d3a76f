"""Defences against slow and greedy clients: idle timeout, per-command
timeout, minimum data rate, cap on concurrent sessions."""

import socket
import time

import swerve_harness as h


def expect_421_and_close(c, within):
    t0 = time.monotonic()
    closed, data = c.wait_closed(within)
    took = time.monotonic() - t0
    assert closed, "still open after %.1fs (got %r)" % (within, data)
    assert data.startswith(b"421"), "closed without 421: %r" % data
    return took


def test_idle_timeout_before_and_after_ehlo(swerve):
    d = swerve.start(limits={"idle_timeout": "1s", "command_timeout": "1s"})
    c1 = d.connect()
    c2 = d.connect()
    c2.ehlo()
    assert c2.cmd("MAIL FROM:<a@example.com>").code == 250
    t0 = time.monotonic()
    expect_421_and_close(c1, 5)
    expect_421_and_close(c2, 5)
    assert time.monotonic() - t0 >= 0.7, "closed before the idle timeout"
    c1.close()
    c2.close()
    assert d.alive()
    assert d.spool.count() == 0


def test_active_client_not_cut_by_idle_timeout(swerve):
    d = swerve.start(limits={"idle_timeout": "2s"})
    with d.connect() as c:
        c.ehlo()
        for _ in range(7):  # 2.8 s of activity, never 2 s idle
            time.sleep(0.4)
            assert c.cmd("NOOP").code == 250
        rs = c.mail("a@example.com", ["b@example.net"], h.message())
        assert rs[-1].code == 250


def test_trickled_command_cut_off(swerve):
    """One byte every 0.3 s never leaves the line idle for 1 s, but the
    command as a whole must still complete within command_timeout."""
    d = swerve.start(limits={"idle_timeout": "1s", "command_timeout": "2s"})
    c = d.connect()
    c.ehlo()
    c.sock.settimeout(0.3)
    t0 = time.monotonic()
    payload = b"NOOP " + b"x" * 200
    got = b""
    cut = False
    for i, byte in enumerate(payload):
        try:
            c.sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            cut = True
            break
        try:
            chunk = c.sock.recv(4096)
            got += chunk
            if not chunk:
                cut = True
                break
        except socket.timeout:
            pass
        except ConnectionResetError:
            cut = True
            break
        if time.monotonic() - t0 > 8:
            break
    c.close()
    assert cut, "trickling client still connected after %.1fs (got %r)" % (
        time.monotonic() - t0, got)
    assert got.startswith(b"421"), got
    assert time.monotonic() - t0 < 6


def test_slow_data_below_min_rate_cut_off(swerve):
    d = swerve.start(limits={"idle_timeout": "30s", "command_timeout": "30s",
                             "min_data_rate": "1KB"})
    c = d.connect()
    c.ehlo()
    assert c.cmd("MAIL FROM:<a@example.com>").code == 250
    assert c.cmd("RCPT TO:<b@example.net>").code == 250
    assert c.cmd("DATA").code == 354
    c.sock.settimeout(0.5)
    t0 = time.monotonic()
    got = b""
    cut = False
    c.send(b"Subject: slow\r\n\r\n")
    while time.monotonic() - t0 < 15:  # ~100 B/s, a tenth of the minimum
        try:
            c.sock.sendall(b"s" * 48 + b"\r\n")
            chunk = c.sock.recv(4096)
            got += chunk
            if not chunk:
                cut = True
                break
        except socket.timeout:
            continue
        except (BrokenPipeError, ConnectionResetError):
            cut = True
            break
    took = time.monotonic() - t0
    try:
        c.sock.sendall(b".\r\n")  # finish, in case the server still reads
    except OSError:
        pass
    c.close()
    assert cut, "client at 100 B/s still connected after %.1fs; got %r" % (took, got)
    assert got.startswith(b"4"), "cut without a 4xx reply: %r" % got
    assert d.alive()
    time.sleep(0.2)
    assert d.spool.count() == 0


def test_max_sessions(swerve):
    d = swerve.start(limits={"max_sessions": 3, "max_sessions_per_ip": 3})
    time.sleep(0.2)  # let the readiness probe's session end
    conns = [d.connect() for _ in range(3)]
    for c in conns:
        assert c.banner.code == 220, c.banner
    extra = d.connect(banner=False)
    closed, data = extra.wait_closed(5)
    assert data.startswith(b"421"), "excess session got %r" % data
    assert closed
    extra.close()
    # the three are still served
    for c in conns:
        assert c.cmd("NOOP").code == 250
    assert conns[0].cmd("QUIT").code == 221
    conns[0].close()
    ok = False
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and not ok:
        c = d.connect()
        ok = c.banner.code == 220
        c.close()
        if not ok:
            time.sleep(0.1)
    assert ok, "a freed session slot was not reused"
    for c in conns[1:]:
        c.close()
