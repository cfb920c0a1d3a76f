"""
test_swerve_mock.py - swerve-mock, the fake provider, against real clients.

Starts the real binary ($SWERVE_BIN/swerve-mock; SWERVE_BIN defaults to
build/asan/bin, or set SWERVE_MOCK to the binary itself) on free loopback
ports and drives every mode with smtplib and the control API with urllib.
Every process started here is stopped by PID with SIGTERM, and must exit 0
(under ASan that also means: no leaks).

Run: SWERVE_BIN=/tmp/b-x/asan/bin /usr/bin/python3 -m pytest -q tests/mock
"""
import base64
import hashlib
import json
import os
import signal
import smtplib
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import pytest

import swerve_harness as sh

MOCK = sh.MOCK_BIN
HOST = sh.HOST


class Mock(sh.Mock):
    """One running swerve-mock process and helpers to talk to it."""

    def __init__(self, tmp_path, *args):
        if not os.access(MOCK, os.X_OK):
            pytest.skip("%s missing: build it or set SWERVE_BIN" % MOCK)
        super().__init__(tmp_path, "mx.mock.test", extra=args)
        self.start(timeout=10)

    def request(self, method, path, body=None, ctype=None):
        req = urllib.request.Request(
            "http://%s:%d%s" % (HOST, self.http_port, path), data=body, method=method)
        if ctype:
            req.add_header("Content-Type", ctype)
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status, r.headers.get("Content-Type"), r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type"), e.read()

    def get(self, path):
        return self.request("GET", path)

    def json(self, method, path, body=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        code, _, data = self.request(method, path, body)
        return code, json.loads(data)

    def mode(self, text):
        code, obj = self.json("PUT", "/mode", text.encode())
        assert code == 200, obj
        return obj

    def stats(self):
        return self.json("GET", "/stats")[1]

    def messages(self):
        return self.json("GET", "/messages")[1]

    def smtp(self, timeout=5):
        return smtplib.SMTP(HOST, self.smtp_port, timeout=timeout)


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    m = Mock(tmp_path_factory.mktemp("mock"))
    yield m
    assert m.stop() == 0, m.log_text()


@pytest.fixture
def mock(shared):
    """The shared mock, back in accept mode with an empty store."""
    shared.mode("accept")
    assert shared.json("DELETE", "/messages")[0] == 200
    return shared


MSG = (b"From: a@sender.test\r\nTo: b@rcpt.test\r\nSubject: hello\r\n\r\n"
       b"Body line one.\r\n.A line that starts with a dot\r\n..two dots\r\n"
       b"\r\n8-bit: \xc3\xa9t\xc3\xa9\r\nlast line\r\n")


def send(m, msg=MSG, rcpts=("b@rcpt.test",), timeout=5):
    with m.smtp(timeout) as s:
        return s.sendmail("a@sender.test", list(rcpts), msg)


# --- accept ------------------------------------------------------------------

def test_accept_message_comes_back_byte_for_byte(mock):
    assert send(mock, rcpts=("b@rcpt.test", "c@rcpt.test")) == {}
    msgs = mock.messages()
    assert len(msgs) == 1
    m = msgs[0]
    assert m["mail_from"] == "a@sender.test"
    assert m["rcpt_to"] == ["b@rcpt.test", "c@rcpt.test"]
    assert m["size"] == len(MSG)
    assert m["sha256"] == hashlib.sha256(MSG).hexdigest()
    assert m["received_at"].endswith("Z")
    code, ctype, raw = mock.get("/messages/" + m["id"])
    assert code == 200 and ctype == "message/rfc822"
    assert raw == MSG
    st = mock.stats()
    assert st["messages_accepted"] == 1 and st["rcpts_accepted"] == 2
    assert st["connections"] == 1
    assert st["by_mode"]["accept"]["messages_accepted"] == 1


def test_accept_reply_names_the_stored_id(mock):
    with mock.smtp() as s:
        s.ehlo()
        assert s.has_extn("pipelining") and s.has_extn("size")
        assert s.has_extn("8bitmime") and s.has_extn("enhancedstatuscodes")
        assert s.mail("a@sender.test")[0] == 250
        assert s.rcpt("b@rcpt.test")[0] == 250
        code, text = s.data(MSG)
    assert code == 250
    assert text.startswith(b"2.0.0 Ok: queued as ")
    mid = text.split()[-1].decode()
    assert [m["id"] for m in mock.messages()] == [mid]


def test_empty_and_null_sender_message_is_kept(mock):
    with mock.smtp() as s:
        s.ehlo()
        assert s.mail("<>")[0] == 250
        assert s.rcpt("b@rcpt.test")[0] == 250
        s.putcmd("data")
        assert s.getreply()[0] == 354
        s.send(b".\r\n")
        assert s.getreply()[0] == 250
    m = mock.messages()[0]
    assert m["mail_from"] == "" and m["size"] == 0
    assert mock.get("/messages/" + m["id"])[2] == b""


def test_pipelined_commands_get_replies_in_order(mock):
    with socket.create_connection((HOST, mock.smtp_port), timeout=5) as c:
        f = c.makefile("rb")
        assert f.readline().startswith(b"220 ")
        c.sendall(b"EHLO client.test\r\nMAIL FROM:<a@sender.test>\r\n"
                  b"RCPT TO:<b@rcpt.test>\r\nRCPT TO:<c@rcpt.test>\r\nDATA\r\n")
        while True:
            line = f.readline()
            if line.startswith(b"250 "):
                break
        codes = [f.readline()[:3] for _ in range(4)]
        assert codes == [b"250", b"250", b"250", b"354"]
        c.sendall(b"Subject: p\r\n\r\nbody\r\n.\r\nQUIT\r\n")
        assert f.readline().startswith(b"250 2.0.0 Ok: queued as ")
        assert f.readline().startswith(b"221 ")
    assert mock.messages()[0]["rcpt_to"] == ["b@rcpt.test", "c@rcpt.test"]


def test_protocol_errors_get_precise_codes(mock):
    with mock.smtp() as s:
        assert s.docmd("MAIL FROM:<a@sender.test>")[0] == 503  # before EHLO
        s.ehlo()
        assert s.docmd("FROB")[0] == 500
        assert s.docmd("RCPT TO:<b@rcpt.test>")[0] == 503  # no MAIL
        assert s.docmd("MAIL FROM:a@sender.test")[0] == 501  # no <>
        assert s.docmd("MAIL FROM:<a@sender.test> FOO=BAR")[0] == 555
        assert s.docmd("MAIL FROM:<a@sender.test> SIZE=999999999999")[0] == 552
        assert s.docmd("MAIL FROM:<a@sender.test> SIZE=10 BODY=8BITMIME")[0] == 250
        assert s.docmd("RCPT TO:<not an address>")[0] == 501
        assert s.docmd("DATA")[0] == 554  # no valid recipient yet
        assert s.docmd("STARTTLS")[0] == 454  # no certificate configured
        assert s.docmd("RSET")[0] == 250
        assert s.docmd("NOOP")[0] == 250


def test_bare_lf_in_body_is_refused(mock):
    with mock.smtp() as s:
        s.ehlo()
        s.mail("a@sender.test")
        s.rcpt("b@rcpt.test")
        s.putcmd("data")
        assert s.getreply()[0] == 354
        # smtplib would fix line endings; send the raw bytes ourselves.
        s.send(b"Subject: x\r\n\r\nbare\nlf\r\n.\r\n")
        code, text = s.getreply()
    assert code == 550 and text.startswith(b"5.6.0")
    assert mock.messages() == []
    assert mock.stats()["messages_rejected"] == 1


# --- fault modes ---------------------------------------------------------------

def test_tempfail_answers_451_at_the_final_dot(mock):
    mock.mode("tempfail")
    with mock.smtp() as s:
        s.ehlo()
        assert s.mail("a@sender.test")[0] == 250
        assert s.rcpt("b@rcpt.test")[0] == 250
        code, text = s.data(MSG)
    assert code == 451 and text.startswith(b"4.3.0")
    assert mock.messages() == []
    assert mock.stats()["by_mode"]["tempfail"]["messages_rejected"] == 1


def test_permfail_answers_550_at_every_rcpt(mock):
    mock.mode("permfail")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as e:
        send(mock, rcpts=("b@rcpt.test", "c@rcpt.test"))
    refused = e.value.recipients
    assert set(refused) == {"b@rcpt.test", "c@rcpt.test"}
    assert all(code == 550 and text.startswith(b"5.1.1") for code, text in refused.values())
    assert mock.stats()["rcpts_rejected"] == 2


def test_rcptfail_refuses_only_matching_recipients(mock):
    obj = mock.mode("rcptfail bounce")
    assert obj == {"mode": "rcptfail", "slow_ms": 0, "match": "bounce"}
    refused = send(mock, rcpts=("ok@rcpt.test", "BOUNCE@rcpt.test"))
    assert list(refused) == ["BOUNCE@rcpt.test"] and refused["BOUNCE@rcpt.test"][0] == 550
    assert mock.messages()[0]["rcpt_to"] == ["ok@rcpt.test"]


def test_refuse_closes_the_port_and_reopens_it(mock):
    with mock.smtp() as open_session:
        open_session.ehlo()
        mock.mode("refuse")
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((HOST, mock.smtp_port), timeout=1).close()
        # Sessions that were open are closed too.
        with pytest.raises(smtplib.SMTPServerDisconnected):
            open_session.noop()
    mock.mode("accept")
    assert send(mock) == {}
    assert len(mock.messages()) == 1


def test_hang_never_greets(mock):
    mock.mode("hang")
    t0 = time.monotonic()
    with pytest.raises((smtplib.SMTPServerDisconnected, TimeoutError, socket.timeout)) as e:
        smtplib.SMTP(HOST, mock.smtp_port, timeout=1)
    assert "timed out" in str(e.value)
    assert time.monotonic() - t0 >= 0.9
    # TCP itself was accepted: a plain connect succeeds and reads nothing.
    with socket.create_connection((HOST, mock.smtp_port), timeout=1) as c:
        with pytest.raises(socket.timeout):
            c.recv(100)
    assert mock.stats()["by_mode"]["hang"]["connections"] >= 2


def test_hang_silences_an_open_session(mock):
    with mock.smtp(timeout=1) as s:
        s.ehlo()
        mock.mode("hang")
        with pytest.raises(smtplib.SMTPServerDisconnected):
            s.mail("a@sender.test")


def test_drop_closes_after_the_body_without_reply(mock):
    mock.mode("drop")
    with mock.smtp() as s:
        s.ehlo()
        assert s.mail("a@sender.test")[0] == 250
        assert s.rcpt("b@rcpt.test")[0] == 250
        with pytest.raises(smtplib.SMTPServerDisconnected):
            s.data(MSG)
    assert mock.messages() == []
    assert mock.stats()["messages_dropped"] == 1


def test_slow_delays_every_reply(mock):
    assert mock.mode("slow 300") == {"mode": "slow", "slow_ms": 300}
    t = time.monotonic()
    laps = []

    def lap():
        nonlocal t
        now = time.monotonic()
        laps.append(now - t)
        t = now

    s = mock.smtp(timeout=5)
    lap()  # greeting
    s.ehlo()
    lap()
    s.mail("a@sender.test")
    lap()
    s.rcpt("b@rcpt.test")
    lap()
    code, _ = s.data(MSG)  # two replies: 354 and 250
    lap()
    s.quit()
    lap()
    assert code == 250
    assert all(x >= 0.29 for x in laps), laps
    assert laps[4] >= 0.59, laps
    assert len(mock.messages()) == 1


def test_throttle_answers_454_at_mail(mock):
    mock.mode("throttle")
    with pytest.raises(smtplib.SMTPSenderRefused) as e:
        send(mock)
    assert e.value.smtp_code == 454
    assert b"4.7.0 Throttling failure" in e.value.smtp_error
    assert mock.stats()["by_mode"]["throttle"]["messages_rejected"] == 1


def test_mode_change_applies_to_an_open_session(mock):
    with mock.smtp() as s:
        s.ehlo()
        mock.mode("throttle")
        assert s.mail("a@sender.test")[0] == 454
        mock.mode("accept")
        assert s.mail("a@sender.test")[0] == 250


def test_authfail_refuses_auth_and_unauthenticated_mail(mock):
    mock.mode("authfail")
    with mock.smtp() as s:
        s.ehlo()
        with pytest.raises(smtplib.SMTPAuthenticationError) as e:
            s.login("user", "pass")
        assert e.value.smtp_code == 535
        code, text = s.mail("a@sender.test")
        assert code == 530 and text.startswith(b"5.7.0")


def test_auth_is_optional_and_open_without_credentials(mock):
    with mock.smtp() as s:
        s.ehlo()
        assert s.login("anyone", "anything")[0] == 235
        assert s.sendmail("a@sender.test", ["b@rcpt.test"], MSG) == {}


# --- control API -----------------------------------------------------------------

def test_mode_api_reads_sets_and_rejects(mock):
    assert mock.json("GET", "/mode") == (200, {"mode": "accept", "slow_ms": 0})
    assert mock.json("PUT", "/mode", {"mode": "slow", "ms": 200}) == (
        200, {"mode": "slow", "slow_ms": 200})
    assert mock.json("POST", "/mode", {"mode": "throttle"})[1]["mode"] == "throttle"
    assert mock.json("PUT", "/mode", b"slow=150")[1] == {"mode": "slow", "slow_ms": 150}
    assert mock.json("PUT", "/mode", {"mode": "rcptfail", "match": "@bad."})[1]["match"] == "@bad."
    # What GET shows can be sent back as is.
    cur = mock.json("GET", "/mode")[1]
    assert mock.json("PUT", "/mode", cur) == (200, cur)
    for bad in (b"sideways", b"slow", b"slow 0", b"accept 5", b"{\"mode\":3}",
                b"{not json", b"", b"rcptfail"):
        code, obj = mock.json("PUT", "/mode", bad)
        assert code == 400 and obj["error"]["code"] == "bad_mode", bad
    assert mock.json("GET", "/mode")[1] == cur  # unchanged by the failures
    assert mock.json("DELETE", "/mode")[0] == 405


def test_delete_messages_clears_store_and_counters(mock):
    send(mock)
    send(mock)
    assert mock.json("DELETE", "/messages") == (200, {"deleted": 2})
    assert mock.messages() == []
    st = mock.stats()
    assert st["messages_accepted"] == 0 and st["connections"] == 0


def test_messages_limit_and_unknown_id(mock):
    for _ in range(3):
        send(mock)
    all_ids = [m["id"] for m in mock.messages()]
    assert all_ids == sorted(all_ids) and len(all_ids) == 3
    assert [m["id"] for m in mock.json("GET", "/messages?limit=2")[1]] == all_ids[1:]
    assert mock.get("/messages/NOSUCHID")[0] == 404
    assert mock.get("/nowhere")[0] == 404
    assert mock.get("/healthz")[0] == 200


# --- options that need their own process ------------------------------------------

def test_max_store_drops_the_oldest(tmp_path):
    m = Mock(tmp_path, "--max-store", "2")
    try:
        for _ in range(3):
            send(m)
        msgs = m.messages()
        assert len(msgs) == 2
        assert m.stats()["messages_accepted"] == 3
        assert m.get("/messages/" + msgs[0]["id"])[2] == MSG
    finally:
        assert m.stop() == 0, m.log_text()


def test_start_mode_and_auth_required(tmp_path):
    m = Mock(tmp_path, "--auth", "user:s3cret", "--mode", "slow:100")
    try:
        assert m.json("GET", "/mode")[1] == {"mode": "slow", "slow_ms": 100}
        m.mode("accept")
        with m.smtp() as s:
            s.ehlo()
            assert s.mail("a@sender.test")[0] == 530
            with pytest.raises(smtplib.SMTPAuthenticationError):
                s.login("user", "wrong")
            s.rset()
            # AUTH LOGIN by hand, then PLAIN through smtplib elsewhere.
            assert s.docmd("AUTH LOGIN")[0] == 334
            assert s.docmd(base64.b64encode(b"user").decode())[0] == 334
            assert s.docmd(base64.b64encode(b"s3cret").decode())[0] == 235
            assert s.sendmail("a@sender.test", ["b@rcpt.test"], MSG) == {}
        with m.smtp() as s:
            s.ehlo()
            plain = base64.b64encode(b"\0user\0s3cret").decode()
            assert s.docmd("AUTH PLAIN " + plain)[0] == 235
        # smtplib.login tries PLAIN, then LOGIN.
        assert m.stats()["auth_rejected"] == 2
    finally:
        assert m.stop() == 0, m.log_text()


def test_starttls_then_send(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=mx.mock.test", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    m = Mock(tmp_path, "--tls-cert", str(cert), "--tls-key", str(key))
    try:
        ctx = ssl.create_default_context(cafile=str(cert))
        ctx.check_hostname = False
        with m.smtp() as s:
            s.ehlo()
            assert s.has_extn("starttls")
            assert s.starttls(context=ctx)[0] == 220
            s.ehlo()
            assert not s.has_extn("starttls")
            assert s.sendmail("a@sender.test", ["b@rcpt.test"], MSG) == {}
        msgs = m.messages()
        assert m.get("/messages/" + msgs[0]["id"])[2] == MSG
    finally:
        assert m.stop() == 0, m.log_text()


def test_start_in_refuse_then_open_port_zero(tmp_path):
    m = Mock(tmp_path, "--mode", "refuse")
    try:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((HOST, m.smtp_port), timeout=1).close()
        m.mode("accept")
        assert send(m) == {}
    finally:
        assert m.stop(signal.SIGINT) == 0, m.log_text()


def test_bad_arguments_exit_nonzero():
    if not os.access(MOCK, os.X_OK):
        pytest.skip("%s missing" % MOCK)
    for args in (["--smtp", "nowhere"], ["--smtp", "%s:0" % HOST, "--mode", "sideways"],
                 [], ["--smtp", "%s:0" % HOST, "--auth", "nocolon"]):
        r = subprocess.run([MOCK, *args], capture_output=True, timeout=10)
        assert r.returncode != 0, args


def test_port_zero_picks_free_ports_and_logs_them(tmp_path):
    """--smtp/--http HOST:0 bind any free port; the log line names it."""
    log = open(tmp_path / "mock.log", "w+")
    p = subprocess.Popen([MOCK, "--smtp", "127.0.0.1:0", "--http", "127.0.0.1:0"],
                         stdout=log, stderr=subprocess.STDOUT)
    try:
        ports = {}
        deadline = time.time() + 10
        while len(ports) < 2 and time.time() < deadline:
            log.seek(0)
            for line in log.read().splitlines():
                for kind in ("smtp", "http"):
                    tag = "%s listening on 127.0.0.1:0 (port " % kind
                    if tag in line:
                        ports[kind] = int(line.split(tag)[1].split(")")[0])
            time.sleep(0.05)
        assert set(ports) == {"smtp", "http"}, ports
        assert all(port > 0 for port in ports.values()), ports
        with smtplib.SMTP("127.0.0.1", ports["smtp"], timeout=5) as s:
            assert s.ehlo()[0] == 250
        with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % ports["http"],
                                    timeout=5) as r:
            assert r.status == 200
    finally:
        p.send_signal(signal.SIGTERM)
        assert p.wait(10) == 0
        log.close()
