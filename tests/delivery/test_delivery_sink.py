"""test_delivery_sink - delivery through Postfix's smtp-sink.

smtp-sink is an upstream swerve did not write: what it dumps (-d) is what
went over the wire, so envelope and bytes are checked against an
independent SMTP server. Its -r/-f/-q/-Q options fake 4xx, 5xx,
disconnects and 421s on chosen commands; each must end the way the
classification says: transient faults fail over at once to the backup (a
swerve-mock), permanent ones fail the recipient with a DSN.
"""

import os
import time

import pytest

import delivery_helpers as dh
from delivery_helpers import sh

SENDER = "alice@example.com"

pytestmark = pytest.mark.skipif(not os.access(dh.SMTP_SINK, os.X_OK),
                                reason="Postfix smtp-sink not installed")


def attempts(m):
    return [(a["provider"], a["result"]) for a in m["attempts_detail"]]


def test_sink_receives_exact_envelope_and_bytes(lab):
    s = lab.sink()
    d = lab.daemon([dh.provider("sink", s.port, 1)])
    api = dh.Api(d)
    bodies = [b"one\r\n.starts with a dot\r\n..two dots\r\n.\r\n\r\nend\r\n",
              b"second message\r\n\r\n\r\n",
              b"\xc3\xa9t\xc3\xa9 8-bit\r\n\ttabbed   \r\nx" + b"y" * 900 + b"\r\n"]
    conn = sh.SMTPConn(d.smtp_port)
    conn.ehlo()
    ids = []
    for i, body in enumerate(bodies):
        rcpts = ["r%d-a@example.net" % i, "r%d-b@example.org" % i]
        ids.append((dh.submit(d, SENDER, rcpts, sh.message(subject="sink %d" % i,
                                                           body=body), conn=conn),
                    rcpts))
    conn.close()
    for qid, rcpts in ids:
        m = api.wait_state(qid, ("sent", "failed"), 10)
        assert m["state"] == "sent", m
        assert [r["state"] for r in m["rcpts"]] == ["sent", "sent"], m
        assert attempts(m) == [("sink", "accepted")], m
    dumps = dh.wait_until(lambda: len(s.dumps()) == 3 and s.dumps(), 5,
                          what="three sink dumps")
    by_rcpts = {tuple(x["rcpts"]): x for x in dumps}
    for qid, rcpts in ids:
        x = by_rcpts[tuple("<%s>" % r for r in rcpts)]
        assert x["mail"].startswith("<%s>" % SENDER), x["mail"]
        stored = d.spool.body(qid)
        # the sink stores LF line ends; stored has CRLF only (checked too)
        assert b"\n" not in stored.replace(b"\r\n", b"")
        assert x["body"] == stored, (x["body"][:300], stored[:300])


def test_sink_faults_fail_over_to_backup(lab):
    """One sink per transient fault, in priority order, then a healthy
    swerve-mock: the message walks them all at once and ends at the mock."""
    faults = [
        ("q421-connect", ["-Q", "CONNECT"], "deferred"),   # 421 greeting
        ("soft-mail", ["-r", "MAIL"], "deferred"),         # 450 at MAIL
        ("soft-rcpt", ["-r", "RCPT"], "deferred"),         # 450 at RCPT
        ("q421-mail", ["-Q", "MAIL"], "deferred"),         # 421 + close
        ("drop-rcpt", ["-q", "RCPT"], "deferred"),         # close, no reply
        ("soft-dot", ["-r", "."], "deferred"),             # 450 at the dot
        ("drop-dot", ["-q", "."], "unknown"),              # close after dot
    ]
    sinks = [lab.sink(opts) for _, opts, _ in faults]
    backup = lab.mock("backup")
    provs = [dh.provider(name, s.port, i + 1)
             for i, ((name, _, _), s) in enumerate(zip(faults, sinks))]
    provs.append(dh.provider("backup", backup.smtp_port, 100))
    d = lab.daemon(provs)
    api = dh.Api(d)
    rcpts = ["x@example.net", "y@example.net"]
    qid = dh.submit(d, SENDER, rcpts, sh.message(subject="faults"))
    m = api.wait_state(qid, ("sent", "failed"), 20)
    assert m["state"] == "sent", m
    assert attempts(m) == [(n, k) for n, _, k in faults] + [("backup", "accepted")], m
    assert [(r["state"], r["provider"]) for r in m["rcpts"]] == [("sent", "backup")] * 2
    got = backup.messages()
    assert len(got) == 1 and got[0]["rcpt_to"] == rcpts
    dup = dh.log_lines(d, "possible duplicate")
    assert len(dup) == 1 and "at drop-dot" in dup[0], dup
    assert api.status()["delivery"]["failovers"] == len(faults)


@pytest.mark.parametrize("cmd", ["RCPT", "."])
def test_sink_hard_reject_fails_without_failover(lab, cmd):
    s = lab.sink(["-f", cmd])
    backup = lab.mock("backup")
    d = lab.daemon([dh.provider("sink", s.port, 1),
                    dh.provider("backup", backup.smtp_port, 2)])
    api = dh.Api(d)
    qid = dh.submit(d, SENDER, ["gone@example.net"], sh.message(subject="hard"))
    m = api.wait_state(qid, ("sent", "failed"), 10)
    assert m["state"] == "failed", m
    assert m["rcpts"][0]["state"] == "failed"
    assert "5.3.0" in (m["rcpts"][0]["last_reply"] or "") or \
        "command failed" in (m["rcpts"][0]["last_reply"] or ""), m
    assert attempts(m) == [("sink", "rejected")], m
    # the DSN to the sender is queued (and meets the same sink)
    dsn = dh.wait_until(lambda: [x for x in dh.Api(d).list() if x["sender"] == ""],
                        5, what="a DSN")
    assert [x["id"] for x in dsn] != [qid] and len(dsn) == 1
    dh.Api(d).wait_state(dsn[0]["id"], ("sent", "failed"), 10)
    assert backup.messages() == [], "a permanent failure was failed over"
    st = api.status()["delivery"]
    assert st["failovers"] == 0 and st["dsns"] == 1, st


def test_sink_without_ehlo_gets_helo(lab):
    """A server that refuses EHLO (5xx) still gets the mail over HELO."""
    s = lab.sink(["-f", "EHLO"])
    d = lab.daemon([dh.provider("sink", s.port, 1)])
    api = dh.Api(d)
    qid = dh.submit(d, SENDER, ["h@example.net"], sh.message(subject="helo"))
    m = api.wait_state(qid, ("sent", "failed"), 10)
    assert m["state"] == "sent", m
    dumps = dh.wait_until(s.dumps, 5, what="a sink dump")
    assert dumps[0]["body"] == d.spool.body(qid)


def one_txn_per_session(received):
    """An upstream that answers 421 to a second MAIL in one session (as
    some providers do after their per-connection limit) and closes."""
    def script(c, n):
        buf, txns = [], 0
        c.sendall(b"220 strict ESMTP\r\n")
        while True:
            line = dh.read_line(c, buf)
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                c.sendall(b"250-strict\r\n250 8BITMIME\r\n")
            elif verb == b"MAIL":
                txns += 1
                if txns > 1:
                    c.sendall(b"421 4.7.0 one message per connection\r\n")
                    received.append("421@%d" % n)
                    return
                c.sendall(b"250 ok\r\n")
            elif verb == b"DATA":
                c.sendall(b"354 go\r\n")
                data = buf[0] if buf else b""
                while b"\r\n.\r\n" not in data:
                    chunk = c.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                buf[:] = [data.split(b"\r\n.\r\n", 1)[1]]
                received.append(n)
                c.sendall(b"250 ok\r\n")
            elif verb == b"QUIT":
                c.sendall(b"221 bye\r\n")
                return
            else:
                c.sendall(b"250 ok\r\n")
    return script


def test_reused_connection_closed_by_server_is_reopened(lab):
    """Providers close idle connections (smtp-sink -t 1: after 1 s) or
    answer 421 to the next transaction on a reused one: the next message
    must go through on a new connection, with no failed attempt recorded."""
    idle = lab.sink(["-t", "1"])
    d = lab.daemon([dh.provider("sink", idle.port, 1, max_connections=1)])
    api = dh.Api(d)
    for i in range(3):
        qid = dh.submit(d, SENDER, ["reuse%d@example.net" % i],
                        sh.message(subject="reuse %d" % i))
        m = api.wait_state(qid, ("sent", "failed"), 10)
        assert attempts(m) == [("sink", "accepted")], m
        time.sleep(1.6)  # the sink drops the idle connection
    dumps = dh.wait_until(lambda: len(idle.dumps()) == 3 and idle.dumps(), 5,
                          what="three dumps")
    assert sorted(x["rcpts"][0] for x in dumps) == \
        ["<reuse%d@example.net>" % i for i in range(3)]

    received = []
    strict = lab.hostile(one_txn_per_session(received))
    d2 = lab.daemon([dh.provider("strict", strict.port, 1, max_connections=1)])
    api2 = dh.Api(d2)
    conn = sh.SMTPConn(d2.smtp_port)
    conn.ehlo()
    for i in range(3):
        qid = dh.submit(d2, SENDER, ["s%d@example.net" % i], sh.message(subject="s"),
                        conn=conn)
        m = api2.wait_state(qid, ("sent", "failed"), 10)
        assert attempts(m) == [("strict", "accepted")], m
    conn.close()
    # sessions 1, 2, 3 each carried one message; the 421 came when swerved
    # reused sessions 1 and 2
    assert received == [1, "421@1", 2, "421@2", 3], received
    assert strict.sessions == 3
