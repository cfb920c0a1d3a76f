"""PROXY protocol between HAProxy and swerved (issue 17, part 1).

HAProxy (Debian's, running contrib/haproxy/haproxy.cfg unchanged) sends
PROXY v2 from LB_SOURCE; swerved has listen.load_balancers set to it. The
client address swerved sees - for submitters.networks, the per-IP session
cap and the message's stored client - is the client's, not HAProxy's. A
PROXY header from any other address is refused, and so is a connection
from the load balancer's address without one.
"""

import struct
import time

import swerve_harness as sh
from cluster_lib import (CLIENT_A, CLIENT_B, LB_SOURCE, WEB_KEY, SMTPFrom,
                      api_keys, http_from, raw_exchange)

MSG = ("From: s@example.com\r\nTo: r@example.net\r\nSubject: p\r\n\r\n"
       "hi\r\n")


def node(lab, mock, start=True, **over):
    over.setdefault("submitters", {"networks": [CLIENT_A + "/32"]})
    cfg = {"listen": dict(sh.listen_config(),
                          load_balancers=[LB_SOURCE + "/32"]),
           "api_keys": api_keys()}
    cfg.update(over)
    return lab.daemon([sh.provider("m", mock.smtp_port, 1)], start=start,
                      **cfg)


def clients(d):
    return sorted(m["client"] or "" for m in d.spool.messages().values())


def v2_header(src, sport, dst="127.0.0.1", dport=25, cmd=0x21):
    addr = (bytes(int(x) for x in src.split(".")) +
            bytes(int(x) for x in dst.split(".")) +
            struct.pack("!HH", sport, dport))
    return (b"\r\n\r\n\x00\r\nQUIT\n" + bytes([cmd, 0x11]) +
            struct.pack("!H", len(addr)) + addr)


def test_smtp_through_haproxy_sees_the_real_client(lab):
    mock = lab.mock()
    d = node(lab, mock, limits={"max_sessions": 20, "max_sessions_per_ip": 1,
                                "max_message_size": "1MB",
                                "max_recipients": 10})
    lb = lab.haproxy([d])
    # A client in submitters.networks may send without AUTH: swerved saw
    # 127.0.0.5, not HAProxy's 127.0.0.9 (not in the networks).
    a = SMTPFrom(lb.smtp_port, CLIENT_A, timeout=20)
    assert a.banner.code == 220, a.banner
    assert a.ehlo().code == 250
    rs = a.mail("s@example.com", ["r@example.net"], MSG)
    assert rs[-1].code == 250, rs
    # One session per address: B still gets its own (HAProxy's address
    # would have been at its cap), and B is not trusted: MAIL needs AUTH.
    b = SMTPFrom(lb.smtp_port, CLIENT_B, timeout=20)
    assert b.banner.code == 220, b.banner
    assert b.ehlo().code == 250
    r = b.cmd("MAIL FROM:<s@example.com>")
    assert r.code == 530, r
    # A second session of A's is over A's cap of one.
    a2 = SMTPFrom(lb.smtp_port, CLIENT_A, timeout=20)
    assert a2.banner.code == 421, a2.banner
    for c in (a, b):
        c.cmd("QUIT")
    sh.wait_until(lambda: len(clients(d)) == 1, 10, what="message stored")
    assert clients(d)[0].startswith(CLIENT_A + ":"), clients(d)


def test_http_through_haproxy_sees_the_real_client(lab):
    mock = lab.mock()
    d = node(lab, mock)
    lb = lab.haproxy([d])
    code, out = http_from(lb.http_port, CLIENT_B, "POST", "/v1/messages",
                          {"from": "s@example.com", "to": "r@example.net",
                           "subject": "via lb", "text": "hi\n"},
                          {"Authorization": "Bearer " + WEB_KEY})
    assert code == 202, (code, out)
    assert clients(d)[0].startswith(CLIENT_B + ":"), clients(d)
    # HAProxy's own health checks (PROXY v2 too) keep the node up.
    code, _ = http_from(lb.http_port, CLIENT_A, "GET", "/readyz")
    assert code == 200


def test_proxy_header_from_elsewhere_is_refused(lab):
    mock = lab.mock()
    d = node(lab, mock)
    # SMTP: after the greeting, a v1 header is a forbidden command.
    out = raw_exchange(d.smtp_port, CLIENT_B,
                       b"PROXY TCP4 127.0.0.5 127.0.0.1 4000 25\r\n"
                       b"MAIL FROM:<s@example.com>\r\n")
    lines = out.decode().splitlines()
    assert lines[0].startswith("220"), out
    assert lines[1].startswith("421 4.7.0"), out
    assert len(lines) == 2, out  # closed: the MAIL was never read
    # HTTP: a v1 or v2 header is not HTTP: 400, nothing stored.
    body = (b'{"from":"s@example.com","to":"r@example.net",'
            b'"subject":"x","text":"x"}')
    req = (b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
           b"Authorization: Bearer " + WEB_KEY.encode() +
           b"\r\nContent-Type: application/json\r\nContent-Length: " +
           str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    for hdr in (b"PROXY TCP4 127.0.0.5 127.0.0.1 4000 80\r\n",
                v2_header(CLIENT_A, 4000)):
        out = raw_exchange(d.http_port, CLIENT_B, hdr + req)
        assert out.startswith(b"HTTP/1.1 400"), out
    assert clients(d) == []


def test_load_balancer_without_header_is_refused(lab):
    mock = lab.mock()
    d = node(lab, mock, limits={"command_timeout": "2s",
                                "max_message_size": "1MB"})
    # No header: nothing is said, the connection is closed.
    assert raw_exchange(d.smtp_port, LB_SOURCE,
                        b"EHLO x\r\nMAIL FROM:<s@example.com>\r\n") == b""
    assert raw_exchange(d.http_port, LB_SOURCE,
                        b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n") == b""
    # A header that never ends: closed at limits.command_timeout.
    t0 = time.monotonic()
    assert raw_exchange(d.smtp_port, LB_SOURCE, b"PROXY TCP4 1.2.",
                        timeout=30) == b""
    assert time.monotonic() - t0 < 29
    d.wait_log(r"reject reason=proxy_header: PROXY header: expected", 5)
    # With a v2 header naming a trusted client it is that client's session.
    c = SMTPFrom(d.smtp_port, LB_SOURCE, banner=False)
    c.send(v2_header(CLIENT_A, 4242))
    assert c.reply().code == 220
    assert c.ehlo().code == 250
    rs = c.mail("s@example.com", ["r@example.net"], MSG)
    assert rs[-1].code == 250, rs
    c.cmd("QUIT")
    assert clients(d) == [CLIENT_A + ":4242"]
    # The same header naming an untrusted client: MAIL needs AUTH.
    c = SMTPFrom(d.smtp_port, LB_SOURCE, banner=False)
    c.send(v2_header(CLIENT_B, 4243))
    assert c.reply().code == 220
    assert c.ehlo().code == 250
    assert c.cmd("MAIL FROM:<s@example.com>").code == 530


def test_load_balancers_with_https_is_refused_by_check(lab, tmp_path):
    mock = lab.mock()
    cert, key = sh.make_cert(str(tmp_path))
    d = node(lab, mock, https={"cert": cert, "key": key}, start=False)
    d.write_config()
    r = sh.run_swerved(["--check", "-c", d.config_path])
    out = r.stdout + r.stderr
    assert r.returncode != 0
    assert "listen.load_balancers" in out and "https.cert" in out, out
