"""STARTTLS, AUTH PLAIN/LOGIN, no open relay, sender domains, auth failures
and STARTTLS command injection.

Most daemons here run with submitters.networks: [] so that only
authenticated clients may submit: AUTH is then the only way in."""

import re
import smtplib
import ssl

import pytest

import swerve_harness as h
from swerve_harness import ID_RE

CLOSED = {"networks": []}


def verified_ctx(swerve):
    ctx = ssl.create_default_context(cafile=swerve.cert)
    return ctx


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_smtplib_starttls_auth(swerve, mech):
    d = swerve.start(submitters=CLOSED)
    s = smtplib.SMTP("127.0.0.1", d.smtp_port, timeout=10)
    try:
        s.ehlo("smtplib.test")
        assert s.has_extn("starttls")
        code, _ = s.starttls(context=verified_ctx(swerve))  # verifies our cert
        assert code == 220
        s.ehlo("smtplib.test")
        mechs = s.esmtp_features.get("auth", "").upper().split()
        assert "PLAIN" in mechs and "LOGIN" in mechs, s.esmtp_features
        s.user, s.password = "app1", "s3cret"
        auth = s.auth_plain if mech == "PLAIN" else s.auth_login
        code, resp = s.auth(mech, auth, initial_response_ok=(mech == "PLAIN"))
        assert code == 235, resp
        assert s.mail("me@example.com")[0] == 250
        assert s.rcpt("you@example.net")[0] == 250
        code, msg = s.data(h.message(subject="smtplib tls " + mech,
                                     sender="me@example.com"))
        assert code == 250, msg
        qid = re.search(r"queued as (" + ID_RE + ")", msg.decode()).group(1)
        s.quit()
    finally:
        s.close()
    row = d.spool.message(qid)
    assert row is not None and row["sender"] == "me@example.com"
    if "tenant" in row:
        assert row["tenant"] == "app1"
    m = d.wait_log(r"[^\n]*accepted[^\n]*id=%s[^\n]*" % qid)
    assert m and re.search(r"\bapp1\b", m.group(0)), "tenant not logged: %s" % (
        m and m.group(0))


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_swaks_starttls_auth(swerve, mech):
    assert h.swaks_has_tls(), \
        "swaks has no TLS: install libnet-ssleay-perl (scripts/setup-deps.sh)"
    d = swerve.start(submitters=CLOSED)
    r = h.run_swaks(d.smtp_port, "--tls", "--auth", mech, "--auth-user", "app1",
                    "--auth-password", "s3cret", "--from", "x@example.com",
                    "--to", "y@example.net", "--header", "Subject: swaks " + mech)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "TLS started" in out, out
    assert re.search(r"<~  235 ", out), out  # ~ = over TLS in swaks' transcript
    m = re.search(r"<~  250 2\.0\.0 Ok: queued as (" + ID_RE + ")", out)
    assert m, out
    assert d.spool.message(m.group(1)) is not None


def test_swaks_wrong_password_fails(swerve):
    assert h.swaks_has_tls(), \
        "swaks has no TLS: install libnet-ssleay-perl (scripts/setup-deps.sh)"
    d = swerve.start(submitters=CLOSED)
    r = h.run_swaks(d.smtp_port, "--tls", "--auth", "PLAIN", "--auth-user", "app1",
                    "--auth-password", "wrong", "--from", "x@example.com",
                    "--to", "y@example.net")
    assert r.returncode != 0
    assert re.search(r"<~\*? 535 5\.7\.8", r.stdout + r.stderr), r.stdout
    assert d.spool.count() == 0


def tls_conn(d, swerve):
    c = d.connect()
    c.ehlo()
    assert c.starttls(verified_ctx(swerve)).code == 220
    assert c.ehlo().code == 250
    return c


def test_auth_plain_challenge_form_and_password_file(swerve):
    d = swerve.start(submitters=CLOSED)
    with tls_conn(d, swerve) as c:
        r = c.auth_plain("app2", "file-pass-42", initial=False)
        assert r.code == 235 and r.first.startswith("2.7.0"), r
        rs = c.mail("n@example.org", ["m@example.net"],
                    h.message(subject="app2", sender="n@example.org"))
        assert rs[-1].code == 250, rs


def test_auth_twice_refused(swerve):
    d = swerve.start(submitters=CLOSED)
    with tls_conn(d, swerve) as c:
        assert c.auth_plain("app1", "s3cret").code == 235
        assert c.auth_plain("app1", "s3cret").code == 503


def test_open_relay_refused(swerve):
    d = swerve.start(submitters=CLOSED)
    with d.connect() as c:
        c.ehlo()
        rs = [c.cmd("MAIL FROM:<a@example.com>"), c.cmd("RCPT TO:<victim@example.net>")]
        assert any(r.code == 530 and r.first.startswith("5.7.0") for r in rs), rs
        assert all(r.code != 250 for r in rs[1:]), rs
        r = c.cmd("DATA")
        assert r.code != 354, r
    with tls_conn(d, swerve) as c:  # TLS alone is not authentication
        r = c.cmd("MAIL FROM:<a@example.com>")
        r2 = c.cmd("RCPT TO:<victim@example.net>")
        assert 530 in (r.code, r2.code) and r2.code != 250, (r, r2)
    r = h.run_swaks(d.smtp_port, "--from", "a@example.com", "--to", "v@example.net")
    assert r.returncode != 0 and "530 5.7.0" in r.stdout + r.stderr, r.stdout
    assert d.spool.count() == 0


def test_open_relay_pipelined_nothing_queued(swerve):
    d = swerve.start(submitters=CLOSED)
    with d.connect() as c:
        c.ehlo()
        c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<v@example.net>\r\nDATA\r\n"
               "Subject: relay\r\n\r\nspam\r\n.\r\nQUIT\r\n")
        data = c.read_all(5).decode()
    assert "530 5.7.0" in data, data
    assert not re.search(r"^354", data, re.M), data
    assert not re.search(r"^250 .*queued", data, re.M), data
    assert d.spool.count() == 0


def test_auth_refused_in_plaintext_outside_networks(swerve):
    d = swerve.start(submitters=CLOSED)
    with d.connect() as c:
        c.ehlo()
        assert "AUTH" not in c.caps, "AUTH offered in plaintext: %s" % c.caps
        r = c.auth_plain("app1", "s3cret")
        assert r.code != 235 and 500 <= r.code < 600, r
        r = c.auth_login("app1", "s3cret")
        assert r.code != 235, r
        # still not authenticated: no relaying
        r1 = c.cmd("MAIL FROM:<a@example.com>")
        r2 = c.cmd("RCPT TO:<b@example.net>")
        assert 530 in (r1.code, r2.code) and r2.code != 250, (r1, r2)
    assert d.spool.count() == 0


def test_auth_allowed_in_plaintext_inside_networks(swerve):
    # 127.0.0.0/8 listed, and plaintext AUTH allowed for it explicitly.
    d = swerve.start(smtp={"auth_plaintext": True})
    with d.connect() as c:
        c.ehlo()
        assert "AUTH" in c.caps, c.caps
        r = c.auth_plain("app1", "s3cret")
        assert r.code == 235, r


def test_auth_not_offered_in_plaintext_inside_networks_by_default(swerve):
    d = swerve.start()  # 127.0.0.0/8 listed: may send without AUTH
    with d.connect() as c:
        c.ehlo()
        assert "AUTH" not in c.caps, "AUTH offered in plaintext: %s" % c.caps
        r = c.auth_plain("app1", "s3cret")
        assert r.code == 538, r
        # The network still lets it send without AUTH.
        assert c.cmd("MAIL FROM:<x@example.com>").code == 250


def test_wrong_passwords_then_disconnect(swerve):
    d = swerve.start(submitters=CLOSED, limits={"max_auth_failures": 3})
    with tls_conn(d, swerve) as c:
        codes = []
        closed = False
        for i in range(4):
            try:
                r = (c.auth_plain("app1", "bad%d" % i) if i % 2 == 0
                     else c.auth_login("app1", "bad%d" % i))
            except (h.SMTPClosed, ConnectionError, ssl.SSLError):
                closed = True
                break
            codes.append(r.code)
            if r.code == 421:
                break
        assert codes[:2] == [535, 535], codes
        assert 421 in codes, "no 421 after 3 failures: %s" % codes
        assert codes.index(421) in (2, 3), codes
        if not closed:
            closed, _ = c.wait_closed(5)
            assert closed, "connection still open after 421"
    assert d.alive()


def test_unknown_user_and_good_password_after_failure(swerve):
    d = swerve.start(submitters=CLOSED)
    with tls_conn(d, swerve) as c:
        r = c.auth_plain("nobody", "s3cret")
        assert r.code == 535 and r.first.startswith("5.7.8"), r
        r = c.auth_plain("app1", "s3cret")
        assert r.code == 235, r


def test_hostile_auth_name_is_one_quoted_field_in_the_log(swerve):
    """An AUTH name is the client's: in the text log it is quoted and
    escaped (core/log.c log_quote), so it cannot forge fields or lines."""
    d = swerve.start(submitters=CLOSED)
    name = 'x reason=ok user="app1"\u00e9\x1b[2J'
    with tls_conn(d, swerve) as c:
        assert c.auth_plain(name, "nope").code == 535
        assert c.auth_plain("app1", "s3cret").code == 235
    want = ('reason=auth_failed user="x reason=ok user=\\"app1\\"'
            '\\xc3\\xa9\\x1b[2J" failures=1')
    assert d.wait_log(re.escape(want)), d.log_tail()
    assert d.wait_log(re.escape('auth ok user="app1"')), d.log_tail()


def test_sender_domain_enforced(swerve):
    d = swerve.start(submitters=CLOSED)
    with tls_conn(d, swerve) as c:
        assert c.auth_login("app1", "s3cret").code == 235
        for bad in ("x@evil.test", "x@example.org", "x@notexample.com",
                    "x@example.com.evil.test"):
            r = c.cmd("MAIL FROM:<%s>" % bad)
            assert r.code == 553 and r.first.startswith("5.7.1"), (bad, r)
        # pipelined: the refused MAIL must leave no transaction behind
        c.send("MAIL FROM:<x@evil.test>\r\nRCPT TO:<v@example.net>\r\nDATA\r\n")
        rs = c.replies(3)
        assert rs[0].code == 553, rs
        assert rs[1].code == 503 and rs[2].code in (503, 554), rs
        rs = c.mail("ok@example.com", ["v@example.net"],
                    h.message(subject="allowed", sender="ok@example.com"))
        assert rs[-1].code == 250, rs
    assert d.spool.count() == 1


def test_sender_domain_case_insensitive(swerve):
    d = swerve.start(submitters=CLOSED)
    with tls_conn(d, swerve) as c:
        assert c.auth_plain("app1", "s3cret").code == 235
        assert c.cmd("MAIL FROM:<Ok@EXAMPLE.Com>").code == 250


def test_sender_domain_enforced_for_authenticated_client_inside_networks(swerve):
    d = swerve.start(smtp={"auth_plaintext": True})
    with d.connect() as c:
        c.ehlo()
        assert c.auth_plain("app1", "s3cret").code == 235
        r = c.cmd("MAIL FROM:<x@evil.test>")
        assert r.code == 553, r


@pytest.mark.parametrize("injected", [
    "MAIL FROM:<x@example.com>\r\n",
    "RSET\r\nMAIL FROM:<x@example.com>\r\n",
    "EHLO evil.test\r\nMAIL FROM:<x@example.com>\r\nRCPT TO:<v@example.net>\r\n",
], ids=["mail", "rset-mail", "ehlo-mail-rcpt"])
def test_starttls_command_injection(swerve, injected):
    d = swerve.start()
    with d.connect() as c:
        c.ehlo()
        c.send("STARTTLS\r\n" + injected)
        r = c.reply()
        assert r.code == 220, r
        # Anything after the 220 in plaintext would be a reply to the
        # injected commands: tls_handshake asserts there is none.
        c.tls_handshake(verified_ctx(swerve))
        r = c.cmd("RCPT TO:<v@example.net>")
        assert r.code == 503, "injected command survived STARTTLS: %s" % r
        r = c.cmd("MAIL FROM:<x@example.com>")
        assert r.code == 503, "MAIL accepted without EHLO after STARTTLS: %s" % r
        assert c.ehlo().code == 250
        assert "STARTTLS" not in c.caps
        rs = c.mail("x@example.com", ["v@example.net"], h.message(subject="after tls"))
        assert rs[-1].code == 250, rs
    assert d.spool.count() == 1


def test_auth_dropped_by_starttls(swerve):
    """Credentials given in plaintext do not carry over into TLS."""
    d = swerve.start(smtp={"auth_plaintext": True})  # plaintext AUTH allowed
    with d.connect() as c:
        c.ehlo()
        assert c.auth_plain("app1", "s3cret").code == 235
        # after STARTTLS the session is reset (RFC 3207 4.2)
        assert c.starttls(verified_ctx(swerve)).code == 220
        c.ehlo()
        assert c.auth_plain("app1", "s3cret").code == 235  # not 503 "already"
