"""test_delivery_bytes - what reaches the provider is what was submitted.

Byte for byte: the message fetched back from swerve-mock equals the
submitted one plus swerve's own headers (Received first; Message-ID and
Date only when the message had none). Lines starting with "." survive
(dot-stuffed on the wire, un-stuffed by the mock). A recording upstream
written here checks the wire itself: CRLF only, no bare LF or CR, every
leading dot doubled, one terminating "." line.
"""

import re

import delivery_helpers as dh
from delivery_helpers import sh

SENDER = "alice@example.com"

TRICKY_BODY = (
    b".\r\n"                       # a line that is only a dot
    b"..\r\n"
    b".leading dot\r\n"
    b"...three\r\n"
    b" . not leading\r\n"
    b"\r\n"
    b"\r\n"
    b"trailing spaces   \r\n"
    b"\ttab first\r\n"
    b"8-bit: \xc3\xa9t\xc3\xa9 \xe2\x82\xac\r\n"
    b"." + b"d" * 996 + b"\r\n"    # 997 + stuffing = 998 octets on the wire
    b"From not a header\r\n"
    b"--\r\n"
    b"last line without anything after it\r\n"
)


def tricky_message(with_ids):
    headers = [b"From: Alice <alice@example.com>",
               b"To: bob@example.net",
               b"Subject: a folded",
               b"\tsubject line",
               b"X-Dots: .a .b",
               b"MIME-Version: 1.0",
               b"Content-Type: text/plain; charset=utf-8",
               b"Content-Transfer-Encoding: 8bit"]
    if with_ids:
        headers += [b"Message-ID: <fixed.1@client.test>",
                    b"Date: Thu, 27 Nov 2025 10:00:00 +0000"]
    return b"\r\n".join(headers) + b"\r\n\r\n" + TRICKY_BODY


def header_names(block):
    return [l.split(b":", 1)[0].lower() for l in block.split(b"\r\n")
            if l and l[:1] not in (b" ", b"\t")]


def check_stored_vs_submitted(stored, submitted, added):
    """stored = Received + exactly the headers in added + submitted."""
    assert b"\n" not in stored.replace(b"\r\n", b""), "bare LF in stored message"
    received, rest = sh.strip_received(stored)
    assert rest.endswith(submitted), "submitted bytes changed"
    extra = rest[:len(rest) - len(submitted)]
    assert sorted(header_names(extra)) == sorted(added), extra
    assert b"by swerve.test" in received, received


def test_mock_gets_submitted_bytes_plus_swerve_headers(lab):
    p = lab.mock("primary")
    d = lab.daemon([dh.provider("primary", p.smtp_port, 1)])
    api = dh.Api(d)
    cases = []
    for with_ids in (True, False):
        msg = tricky_message(with_ids)
        rcpt = "ids-%s@example.net" % with_ids
        qid = dh.submit(d, SENDER, [rcpt], msg)
        cases.append((qid, rcpt, msg, [] if with_ids else [b"message-id", b"date"]))
    for qid, rcpt, msg, added in cases:
        m = api.wait_state(qid, ("sent", "failed"), 10)
        assert m["state"] == "sent", m
        stored = d.spool.body(qid)
        check_stored_vs_submitted(stored, msg, added)
        got = [x for x in p.messages() if x["rcpt_to"] == [rcpt]]
        assert len(got) == 1
        raw = p.raw(got[0]["id"])
        assert raw == stored, "provider got different bytes than the spool holds"
        assert got[0]["size"] == len(stored)
        assert m["size"] == len(stored)
        # headers added once only, and the Received header comes first
        assert raw.lower().startswith(b"received: ")
        names = header_names(raw.split(b"\r\n\r\n", 1)[0])
        assert names.count(b"message-id") == 1 and names.count(b"date") == 1, names
        assert names.count(b"received") == 1


def recording_upstream(captured):
    """A minimal SMTP server script that keeps the raw DATA bytes."""
    def script(c, n):
        buf = []
        c.sendall(b"220 recorder ESMTP\r\n")
        while True:
            line = dh.read_line(c, buf)
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                c.sendall(b"250-recorder\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                c.sendall(b"354 go ahead\r\n")
                data = buf[0] if buf else b""
                while b"\r\n.\r\n" not in b"\r\n" + data:
                    chunk = c.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                end = (b"\r\n" + data).index(b"\r\n.\r\n") + 3  # through ".\r\n"
                captured.append(data[:end])
                buf[:] = [data[end:]]
                c.sendall(b"250 2.0.0 recorded as R%d\r\n" % len(captured))
            elif verb == b"QUIT":
                c.sendall(b"221 bye\r\n")
                return
            else:
                c.sendall(b"250 ok\r\n")
    return script


def test_wire_is_crlf_only_and_dot_stuffed(lab):
    captured = []
    rec = lab.hostile(recording_upstream(captured))
    d = lab.daemon([dh.provider("recorder", rec.port, 1)])
    api = dh.Api(d)
    msg = tricky_message(True)
    qid = dh.submit(d, SENDER, ["wire@example.net"], msg)
    m = api.wait_state(qid, ("sent", "failed"), 10)
    assert m["state"] == "sent", m
    assert len(captured) == 1
    wire = captured[0]
    assert wire.endswith(b"\r\n.\r\n")
    # no bare LF, no bare CR anywhere on the wire
    assert re.search(rb"(?<!\r)\n", wire) is None, "bare LF on the wire"
    assert re.search(rb"\r(?!\n)", wire) is None, "bare CR on the wire"
    lines = wire[:-len(b".\r\n")].split(b"\r\n")[:-1]
    stored_lines = d.spool.body(qid).split(b"\r\n")[:-1]
    assert len(lines) == len(stored_lines)
    for w, s in zip(lines, stored_lines):
        assert w == (b"." + s if s.startswith(b".") else s), (w[:60], s[:60])
        assert len(w) <= 998
    assert b"\r\n..\r\n" in wire and b"\r\n...\r\n" in wire  # "." and ".." lines
