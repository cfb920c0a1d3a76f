"""SMTP smuggling: fake ends of data followed, in the same write, by a
second transaction. Only CRLF.CRLF ends data, and a bare CR or LF makes the
whole message refused, so the smuggled message can never be queued."""

import re

import pytest

import swerve_harness as h

ENDINGS = {
    "lf.lf": b"\n.\n",
    "lf.crlf": b"\n.\r\n",
    "crlf.lf": b"\r\n.\n",
    "cr.crlf": b"\r.\r\n",
    "crlf.cr": b"\r\n.\r",
}

SMUGGLED = (b"MAIL FROM:<ceo@example.com>\r\n"
            b"RCPT TO:<victim@example.net>\r\n"
            b"DATA\r\n"
            b"From: <ceo@example.com>\r\nSubject: smuggled\r\n\r\n"
            b"wire the money\r\n"
            b".\r\n")


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_smuggling_ending_never_makes_two_messages(swerve, ending):
    d = swerve.start()
    with d.connect() as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<a@example.com>").code == 250
        assert c.cmd("RCPT TO:<b@example.net>").code == 250
        assert c.cmd("DATA").code == 354
        first = b"From: <a@example.com>\r\nSubject: first\r\n\r\nhello"
        c.send(first + ENDINGS[ending] + SMUGGLED)
        r = c.reply()
        assert r.code != 250 and 500 <= r.code < 600, \
            "%r: message with a bare CR/LF accepted: %s" % (ending, r)
        # Nothing else may follow: a reply to the smuggled MAIL/RCPT/DATA
        # would mean they were read as commands.
        extra = c.read_all(0.5)
        assert extra == b"", "%r: extra replies %r" % (ending, extra)
        # The session is in step: RCPT needs a new MAIL.
        assert c.cmd("RCPT TO:<x@example.net>").code == 503
        rs = c.mail("a@example.com", ["b@example.net"],
                    h.message(subject="legit"))
        assert rs[-1].code == 250, rs
        legit = rs[-1].queue_id()
    msgs = d.spool.messages()
    assert list(msgs) == [legit], "%r: spool holds %d messages" % (ending, len(msgs))
    body = d.spool.body(legit)
    assert b"smuggled" not in body and b"Subject: legit" in body


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_smuggling_whole_session_in_one_write(swerve, ending):
    """Client sends everything at once, then QUIT; count the 250s."""
    d = swerve.start()
    with d.connect() as c:
        c.ehlo()
        c.send(b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n")
        assert [r.code for r in c.replies(3)] == [250, 250, 354]
        c.send(b"Subject: first\r\n\r\nhello" + ENDINGS[ending] + SMUGGLED +
               b"QUIT\r\n")
        data = c.read_all(5).decode("utf-8", "replace")
    queued = re.findall(r"^250[ -].*queued", data, re.M)
    assert queued == [], "%r: got %s" % (ending, data)
    assert not re.search(r"^354", data, re.M), data
    assert d.spool.count() == 0


def test_bare_lf_inside_body_refused(swerve):
    d = swerve.start()
    with d.connect() as c:
        c.ehlo()
        rs = c.mail("a@example.com", ["b@example.net"],
                    b"Subject: lf\r\n\r\nline one\nline two\r\n")
        assert 500 <= rs[-1].code < 600, rs
    assert d.spool.count() == 0


def test_bare_cr_inside_body_refused(swerve):
    d = swerve.start()
    with d.connect() as c:
        c.ehlo()
        rs = c.mail("a@example.com", ["b@example.net"],
                    b"Subject: cr\r\n\r\nline one\rline two\r\n")
        assert 500 <= rs[-1].code < 600, rs
    assert d.spool.count() == 0
