"""listen.smtps: SMTP submission over implicit TLS (RFC 8314, port 465
style). Real clients: curl's smtps:// and Python's smtplib.SMTP_SSL, both
verifying swerved's certificate; the session after the handshake is the
STARTTLS one (AUTH offered, STARTTLS not). Plain text or garbage sent to
the port is closed cleanly and the daemon goes on serving; sslscan shows
the same TLS policy as the STARTTLS port; --check refuses listen.smtps
without tls.cert."""

import os
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import time

import pytest

import swerve_harness as h
from swerve_harness import ID_RE
from test_tls_policy import assert_policy, need_sslscan, sslscan

CLOSED = {"networks": []}


def start_smtps(swerve, **over):
    port = h.free_port()
    d = swerve.start(listen={"smtps": "%s:%d" % (h.HOST, port)}, **over)
    h.wait_until(lambda: h.port_accepts(port), 10, what="smtps port")
    return d, port


def ctx(swerve):
    return ssl.create_default_context(cafile=swerve.cert)


def read_all(sock):
    """What the server sends until it closes (a reset counts as closed)."""
    data = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return data
            data += chunk
    except ConnectionResetError:
        return data


def test_smtplib_smtp_ssl_submits_with_auth(swerve):
    d, port = start_smtps(swerve, submitters=CLOSED)
    with smtplib.SMTP_SSL("localhost", port, context=ctx(swerve),
                          timeout=10) as s:
        code, greeting = s.ehlo("smtps.test")
        assert code == 250, greeting
        assert not s.has_extn("starttls"), s.esmtp_features
        assert "PLAIN" in s.esmtp_features.get("auth", "").upper()
        s.login("app1", "s3cret")
        s.mail("me@example.com")
        s.rcpt("you@example.net")
        code, msg = s.data(h.message(subject="over smtps",
                                     sender="me@example.com"))
        assert code == 250, msg
        qid = re.search(r"queued as (" + ID_RE + ")", msg.decode()).group(1)
    received, _ = h.strip_received(d.spool.body(qid))
    assert b"with ESMTPSA" in received, received


def test_curl_smtps_url(swerve, tmp_path):
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    d, port = start_smtps(swerve, submitters=CLOSED)
    msg = tmp_path / "m.eml"
    msg.write_bytes(h.message(subject="curl smtps", sender="me@example.com"))
    p = subprocess.run(
        ["curl", "-sS", "--url", "smtps://localhost:%d" % port,
         "--cacert", swerve.cert, "--mail-from", "me@example.com",
         "--mail-rcpt", "you@example.net", "--user", "app1:s3cret",
         "-T", str(msg)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    h.wait_until(lambda: d.spool.count() == 1, 10, what="stored")


def test_plain_text_and_garbage_are_closed_cleanly(swerve):
    d, port = start_smtps(swerve)
    # A client that speaks plain SMTP: no greeting in clear text, closed.
    with socket.create_connection((h.HOST, port), timeout=10) as s:
        s.sendall(b"EHLO plain.test\r\n")
        data = read_all(s)
        assert b"220" not in data and b"250" not in data, data
    # A bogus ClientHello, then a client that connects and says nothing
    # before closing: both go away without harm.
    with socket.create_connection((h.HOST, port), timeout=10) as s:
        s.sendall(b"\x16\x03\x01\x00\x05\xff\xff\xff\xff\xff" * 10)
        try:
            s.recv(4096)
        except ConnectionResetError:
            pass
    socket.create_connection((h.HOST, port), timeout=10).close()
    # The daemon still serves both ports.
    with smtplib.SMTP_SSL("localhost", port, context=ctx(swerve),
                          timeout=10) as s:
        assert s.noop()[0] == 250
    with smtplib.SMTP(h.HOST, d.smtp_port, timeout=10) as s:
        assert s.noop()[0] == 250
    assert d.proc.poll() is None


def test_smtps_tls_policy_holds(swerve):
    need_sslscan()
    _, port = start_smtps(swerve)
    assert_policy(sslscan(port))
    # openssl s_client: TLS 1.3 then the greeting, encrypted.
    p = subprocess.run(
        ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
         "-CAfile", swerve.cert, "-servername", "localhost", "-quiet"],
        input="QUIT\r\n", capture_output=True, text=True, timeout=30)
    assert re.search(r"^220 \S+ ESMTP swerve", p.stdout, re.M), \
        p.stdout + p.stderr
    assert "221" in p.stdout, p.stdout
    # An old protocol is refused on this port too.
    p = subprocess.run(
        ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
         "-tls1_1"], input="", capture_output=True, text=True, timeout=30)
    assert "220 " not in p.stdout, p.stdout


def test_check_refuses_smtps_without_tls_cert(swerve):
    d = swerve.daemon(listen={"smtps": "%s:%d" % (h.HOST, h.free_port())})
    del d.config["tls"]
    d.write_config()
    r = h.run_swerved(["--check", "-c", d.config_path])
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "listen.smtps" in out and "tls.cert" in out, out
    assert os.path.exists(d.config_path)


def test_turned_away_on_smtps_is_closed_without_clear_text(swerve):
    d, port = start_smtps(swerve, limits={"max_sessions": 1})
    # The start-up probe's own connection may still hold the one session
    # for a moment: until it is gone, this one is turned away too.
    deadline = time.monotonic() + 10
    while True:
        try:
            held = smtplib.SMTP_SSL("localhost", port, context=ctx(swerve),
                                    timeout=10)
            break
        except (ConnectionResetError, ssl.SSLError,
                smtplib.SMTPServerDisconnected):
            assert time.monotonic() < deadline, "the one session never came"
            time.sleep(0.1)
    try:
        assert held.noop()[0] == 250
        # Over limits.max_sessions: the smtps port closes, saying nothing
        # in clear text; the plain port still says 421.
        with socket.create_connection((h.HOST, port), timeout=10) as s:
            data = read_all(s)
            assert data == b"", data
        with socket.create_connection((h.HOST, d.smtp_port), timeout=10) as s:
            assert s.recv(4096).startswith(b"421 ")
    finally:
        held.close()
