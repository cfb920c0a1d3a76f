"""test_delivery_hostile - a hostile upstream cannot hurt swerved.

Small SMTP servers written here (threads + sockets) answer with a
10,000-line multi-line reply, a 100 KB reply line, NUL bytes, non-numeric
or out-of-range codes, a code that changes mid-reply, or close in the
middle of a reply, at the greeting, EHLO, MAIL or after the final dot.
Each is a provider in a chain (priority order) in front of a healthy
swerve-mock: every attempt must fail cleanly (recorded as deferred, or
unknown after the dot), the message must end at the mock, swerved must stay
up, and its log must hold no ASan/UBSan report (checked at teardown).
"""

import time

import delivery_helpers as dh
from delivery_helpers import sh

GREETING = b"220 hostile.test ESMTP\r\n"
MANY_LINES = b"".join(b"250-line %d\r\n" % i for i in range(10000)) + b"250 end\r\n"
LONG_LINE = b"250 " + b"x" * 100000 + b"\r\n"


def wait_closed(c):
    """Read and drop whatever comes until the client closes."""
    try:
        while c.recv(65536):
            pass
    except OSError:
        pass


def scripted(greeting=GREETING, on=None, close=False):
    """A server script: greeting, then normal answers except for on[verb]
    (sent instead of the normal reply; then close if close, else wait for
    the client to give up). Verb "." is the end of the data."""
    on = on or {}

    def script(c, n):
        buf = []
        c.sendall(greeting)
        if not greeting.startswith(GREETING):
            return None if close else wait_closed(c)
        while True:
            line = dh.read_line(c, buf)
            verb = line.split(b" ", 1)[0].split(b":", 1)[0].upper()
            if verb in on:
                c.sendall(on[verb])
                return None if close else wait_closed(c)
            if verb in (b"EHLO", b"HELO"):
                c.sendall(b"250-hostile.test\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                c.sendall(b"354 go\r\n")
                data = buf[0] if buf else b""
                while b"\r\n.\r\n" not in data:
                    chunk = c.recv(65536)
                    if not chunk:
                        return None
                    data += chunk
                buf[:] = [data.split(b"\r\n.\r\n", 1)[1]]
                if b"." in on:
                    c.sendall(on[b"."])
                    return None if close else wait_closed(c)
                c.sendall(b"250 ok\r\n")
            elif verb == b"QUIT":
                c.sendall(b"221 bye\r\n")
                return None
            else:
                c.sendall(b"250 ok\r\n")
    return script


# name, script, the class the attempt must be recorded as
HOSTILE = [
    ("greet-10k-lines", scripted(greeting=MANY_LINES.replace(b"250", b"220")), "deferred"),
    ("greet-100k-line", scripted(greeting=LONG_LINE.replace(b"250", b"220", 1)), "deferred"),
    ("greet-nul", scripted(greeting=b"2\x0020 hello\x00\x00\r\n"), "deferred"),
    ("greet-nonnumeric", scripted(greeting=b"abc ready\r\n"), "deferred"),
    ("greet-code-999", scripted(greeting=b"999 what\r\n"), "deferred"),
    ("greet-cut", scripted(greeting=b"220-first line\r\n220-sec", close=True), "deferred"),
    ("greet-no-crlf", scripted(greeting=b"220 " + b"A" * 300000), "deferred"),
    ("ehlo-10k-lines", scripted(on={b"EHLO": MANY_LINES}), "deferred"),
    ("ehlo-nul", scripted(on={b"EHLO": b"\x00" * 5000 + b"\r\n"}), "deferred"),
    ("mail-code-changes", scripted(on={b"MAIL": b"250-ok\r\n451 no\r\n"}), "deferred"),
    ("mail-cut", scripted(on={b"MAIL": b"250-ok\r\n25"}, close=True), "deferred"),
    ("dot-10k-lines", scripted(on={b".": MANY_LINES}), "unknown"),
    ("dot-100k-line", scripted(on={b".": LONG_LINE}), "unknown"),
    ("dot-nul", scripted(on={b".": b"\x00\x00\x00\r\n"}), "unknown"),
    ("dot-cut", scripted(on={b".": b"250-queued\r\n"}, close=True), "unknown"),
]


def test_hostile_upstreams_fail_cleanly(lab):
    servers = [lab.hostile(script) for _, script, _ in HOSTILE]
    backup = lab.mock("backup")
    provs = [dh.provider(name, srv.port, i + 1, greeting_timeout="2s",
                         command_timeout="2s", data_timeout="2s")
             for i, ((name, _, _), srv) in enumerate(zip(HOSTILE, servers))]
    provs.append(dh.provider("backup", backup.smtp_port, 100))
    d = lab.daemon(provs)
    api = dh.Api(d)
    expect = [(n, k) for n, _, k in HOSTILE] + [("backup", "accepted")]
    t0 = time.monotonic()
    for i in range(2):
        rcpt = "victim%d@example.net" % i
        qid = dh.submit(d, "alice@example.com", [rcpt], sh.message(subject="h%d" % i))
        m = api.wait_state(qid, ("sent", "failed"), 30)
        assert m["state"] == "sent", m
        got = [(a["provider"], a["result"]) for a in m["attempts_detail"]]
        assert got == expect, got
        assert m["rcpts"][0]["provider"] == "backup"
        for a in m["attempts_detail"]:
            reply = a["reply"] or ""
            assert len(reply) < 600, (a["provider"], len(reply))
            assert all(32 <= ord(ch) < 127 for ch in reply), (a["provider"], reply)
        assert len([x for x in backup.messages() if x["rcpt_to"] == [rcpt]]) == 1
    # every attempt failed at once: no timeout was needed
    assert time.monotonic() - t0 < 20
    assert d.alive(), d.log_tail()
    st = api.status()
    assert st["delivery"]["delivered"] == 2
    assert st["delivery"]["possible_duplicates"] == 2 * sum(
        1 for _, _, k in HOSTILE if k == "unknown")
    for srv, (name, _, _) in zip(servers, HOSTILE):
        assert srv.sessions >= 1, "%s was never tried" % name
    for marker in sh.SANITIZER_MARKERS:
        assert marker not in d.log_text()
