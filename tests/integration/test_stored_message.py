"""What the spool holds: the message byte for byte as sent (un-dot-stuffed),
a Received header first, Message-ID and Date added only when missing."""

import re

import pytest

import swerve_harness as h


def send_raw(d, msg, params=""):
    with d.connect() as c:
        c.ehlo()
        rs = c.mail("a@example.com", ["b@example.net"], msg, mail_params=params)
        assert rs[-1].code == 250, rs
        return rs[-1].queue_id()


def header_count(fields, name):
    return sum(1 for n, _ in fields if n.lower() == name.lower())


TRICKY_BODY = (b"plain line\r\n"
               b".\r\n"                     # a lone dot
               b"..\r\n"                    # two dots
               b".hidden line\r\n"
               b" .space dot\r\n"
               b"\r\n"
               b"\r\n"                      # empty lines
               b"tab\there\r\n"
               b"utf8: gr\xc3\xbc\xc3\x9fe \xe2\x9c\x93\r\n"
               + b"L" * 998 + b"\r\n"       # the longest legal line
               + b"-- \r\n"
               b"last line before the end\r\n")


def test_body_byte_for_byte(swerve):
    d = swerve.start()
    msg = h.message(subject="exact", body=TRICKY_BODY)
    qid = send_raw(d, msg, params=" BODY=8BITMIME")
    stored = d.spool.body(qid)
    received, rest = h.strip_received(stored)
    assert rest == msg, "stored message differs from the one sent:\n%r\n%r" % (rest, msg)
    assert re.match(rb"Received: from ", received), received
    assert b"127.0.0.1" in received, received
    assert re.search(rb";\s*\w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}", received), \
        received


def test_leading_dots_survive_smtplib(swerve):
    """smtplib dot-stuffs on its own; the stored copy is unstuffed."""
    import smtplib
    d = swerve.start()
    msg = h.message(subject="dots", body=b".one\r\n..two\r\n.\r\nend\r\n")
    with smtplib.SMTP("127.0.0.1", d.smtp_port, timeout=10) as s:
        s.ehlo()
        s.mail("a@example.com")
        s.rcpt("b@example.net")
        code, text = s.data(msg)
        assert code == 250, text
        qid = re.search(h.QUEUED_RE, text.decode()).group(1)
    assert h.strip_received(d.spool.body(qid))[1] == msg


def test_message_id_and_date_added_when_missing(swerve):
    d = swerve.start()
    msg = h.message(subject="bare", mid=False, date=False, body=b"no ids here\r\n")
    qid = send_raw(d, msg)
    stored = d.spool.body(qid)
    fields, body = h.split_message(stored)
    assert fields[0][0].lower() == "received", fields[0]
    assert header_count(fields, "Received") == 1, fields
    assert header_count(fields, "Message-ID") == 1, fields
    assert header_count(fields, "Date") == 1, fields
    mid = dict((n.lower(), v) for n, v in fields)["message-id"].strip()
    assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", mid), mid
    date = dict((n.lower(), v) for n, v in fields)["date"].strip()
    assert re.fullmatch(r"(\w{3}, )?\d{1,2} \w{3} \d{4} \d\d:\d\d(:\d\d)? [+-]\d{4}"
                        r"( \(\w+\))?", date), date
    assert body == b"no ids here\r\n"
    # the original header lines are all still there, in order
    orig, _ = h.split_message(msg)
    kept = [f for f in fields if f[0].lower() not in ("received", "message-id", "date")]
    assert kept == orig


@pytest.mark.parametrize("names", [("Message-ID", "Date"), ("message-id", "DATE"),
                                   ("Message-Id", "date")])
def test_message_id_and_date_not_duplicated(swerve, names):
    d = swerve.start()
    hdrs = ["%s: <given.1@client.test>" % names[0],
            "%s: Wed, 26 Nov 2025 08:00:00 +0100" % names[1]]
    msg = h.message(subject="has ids", mid=False, date=False, headers=hdrs)
    qid = send_raw(d, msg)
    stored = d.spool.body(qid)
    fields, _ = h.split_message(stored)
    assert header_count(fields, "Message-ID") == 1, fields
    assert header_count(fields, "Date") == 1, fields
    assert h.strip_received(stored)[1] == msg


def test_only_date_missing(swerve):
    d = swerve.start()
    msg = h.message(subject="no date", mid=True, date=False)
    fields, _ = h.split_message(d.spool.body(send_raw(d, msg)))
    assert header_count(fields, "Message-ID") == 1
    assert header_count(fields, "Date") == 1


def test_headers_only_message(swerve):
    d = swerve.start()
    msg = b"Subject: empty body\r\nMessage-ID: <e@client.test>\r\n" \
          b"Date: Wed, 26 Nov 2025 08:00:00 +0000\r\n\r\n"
    qid = send_raw(d, msg)
    assert h.strip_received(d.spool.body(qid))[1] == msg


def test_stored_body_survives_restart(swerve):
    d = swerve.start()
    msg = h.message(subject="persist", body=TRICKY_BODY)
    qid = send_raw(d, msg, params=" BODY=8BITMIME")
    d.stop()
    assert h.strip_received(d.spool.body(qid))[1] == msg
