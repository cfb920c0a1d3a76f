"""No sender spoofing over SMTP (issue 12, item 2).

An authenticated user's from_domains bind the envelope sender and every
address of every From, Sender, Resent-From and Resent-Sender field; the
null sender needs allow_null_sender; more than one From or Sender field
is refused for everyone, trusted networks included. Envelope refusals
come at MAIL (553 5.7.1), header refusals at the final dot (550 5.7.1 for
a sender not allowed, 554 5.6.0 for a second From), and nothing refused
is stored.

The daemons run with submitters.networks: [] (AUTH after STARTTLS is the
only way in) except where a trusted network is the point.
"""

import ssl

import pytest

import swerve_harness as h


def users(bounces):
    """app1 (example.com), any ("*") and, when bounces, a user allowed
    the null sender."""
    u = [{"name": "app1", "password": "s3cret",
          "from_domains": ["example.com"]},
         {"name": "any", "password": "4ny", "from_domains": ["*"]}]
    if bounces:
        u.append({"name": "bounces", "password": "b0unce",
                  "from_domains": ["example.com"], "allow_null_sender": True})
    return u


def start(swerve, networks=(), bounces=False):
    return swerve.start(submitters={"networks": list(networks),
                                    "users": users(bounces)})


def authed(d, swerve, user, password):
    """An SMTP connection after EHLO, STARTTLS, EHLO and AUTH PLAIN."""
    c = d.connect()
    c.ehlo()
    ctx = ssl.create_default_context(cafile=swerve.cert)
    assert c.starttls(ctx).code == 220
    assert c.ehlo().code == 250
    assert c.auth_plain(user, password).code == 235
    return c


def spoof(header_lines, sender="a@example.com"):
    """A message from sender with extra header fields before To."""
    return ("\r\n".join(header_lines + ["To: <b@example.net>",
                                        "Subject: spoof", ""])
            + "\r\nhello\r\n").encode()


@pytest.mark.parametrize("fields", [
    ["From: CEO <ceo@bank.example>"],
    ["From: <a@example.com>, <ceo@bank.example>"],
    ["From: <a@example.com>", "Sender: <ceo@bank.example>"],
    ["From: <a@example.com>", "Resent-From: <ceo@bank.example>"],
    ["From: <a@example.com>", "Resent-Sender:\r\n <ceo@bank.example>"],
], ids=["from", "second-address", "sender", "resent-from", "resent-sender"])
def test_header_sender_fields_follow_from_domains(swerve, fields):
    d = start(swerve)
    with authed(d, swerve, "app1", "s3cret") as c:
        rs = c.mail("a@example.com", ["b@example.net"], spoof(fields))
        assert rs[-1].code == 550 and rs[-1].first.startswith("5.7.1"), rs
        # The session goes on: the user's own message passes.
        rs = c.mail("a@example.com", ["b@example.net"],
                    spoof(["From: <a@example.com>",
                           "Sender: <ops@example.com>"]))
        assert rs[-1].code == 250, rs
    assert d.spool.count() == 1


def test_second_from_refused_even_from_a_trusted_network(swerve):
    d = start(swerve, networks=["127.0.0.0/8"])
    with d.connect() as c:
        c.ehlo()
        rs = c.mail("a@example.com", ["b@example.net"],
                    spoof(["From: <a@example.com>", "From: <b@example.com>"]))
        assert rs[-1].code == 554 and rs[-1].first.startswith("5.6.0"), rs
        # A trusted network may still name anyone, once.
        rs = c.mail("a@x.test", ["b@example.net"],
                    spoof(["From: <ceo@bank.example>"]))
        assert rs[-1].code == 250, rs
    assert d.spool.count() == 1


def test_null_sender_refused_without_allow_null_sender(swerve):
    d = start(swerve)
    # "*" names any domain; the null sender is none.
    for user, password in (("app1", "s3cret"), ("any", "4ny")):
        with authed(d, swerve, user, password) as c:
            r = c.cmd("MAIL FROM:<>")
            assert r.code == 553 and r.first.startswith("5.7.1"), (user, r)
            assert c.cmd("RCPT TO:<b@example.net>").code == 503
    assert d.spool.count() == 0


def test_null_sender_with_allow_null_sender(swerve):
    d = start(swerve, bounces=True)
    with authed(d, swerve, "bounces", "b0unce") as c:
        rs = c.mail("", ["b@example.net"],
                    spoof(["From: Mail Delivery <mailer-daemon@example.com>"]))
        assert rs[-1].code == 250, rs
    assert d.spool.count() == 1


def test_star_user_keeps_sending_as_anyone(swerve):
    d = start(swerve)
    with authed(d, swerve, "any", "4ny") as c:
        rs = c.mail("x@anything.test", ["b@example.net"],
                    spoof(["From: <ceo@bank.example>",
                           "Resent-From: <x@elsewhere.test>"]))
        assert rs[-1].code == 250, rs
