"""POST /v1/messages against a real swerved and a swerve-mock upstream:
the message arrives intact, 202 means durable, status reads back, and
every bad request gets its precise 4xx with nothing queued."""

import base64
import email
import email.policy
import json
import socket

from api_client import WEB_KEY, get, msg, post, send
from api_client import JOBS_KEY, dh, sh

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40


def full_message():
    return {
        "from": {"email": "news@example.com", "name": "Zoë Ünal"},
        "to": ["Bob <bob@example.net>", "carol@example.net"],
        "cc": "Dave <dave@example.net>",
        "bcc": ["hidden@example.net"],
        "reply_to": "help@example.com",
        "subject": "Grüße aus Köln — 日本語 🎉",
        "text": "Hallo Bob,\nplain text with ümlauts.\n",
        "html": "<p>Hallo <b>Bob</b> <img src=\"cid:logo@example.com\"></p>",
        "headers": {"X-Campaign": "spring-2024"},
        "attachments": [
            {"filename": "Prüfbericht März.pdf", "content_type": "application/pdf",
             "content": base64.b64encode(PDF).decode()},
            {"filename": "logo.png", "content_type": "image/png",
             "content_id": "logo@example.com",
             "content": base64.b64encode(PNG).decode()},
        ],
        "stream": "transactional",
        "tags": {"kind": "welcome"},
        "metadata": {"user": 42},
    }


def test_message_arrives_intact_and_status_reads_back(lab):
    m = lab.mock()
    d = lab.daemon(m)
    code, obj, _ = send(d, full_message())
    assert code == 202, obj
    qid = obj["id"]
    dh.wait_until(lambda: len(m.messages()) == 1, 15, what="mock got it")
    got = m.messages()[0]
    assert got["mail_from"] == "news@example.com"
    assert sorted(got["rcpt_to"]) == sorted(
        ["bob@example.net", "carol@example.net", "dave@example.net",
         "hidden@example.net"])
    raw = m.raw(got["id"])
    raw = raw if isinstance(raw, bytes) else json.dumps(raw).encode()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    e = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(e["Subject"]) == "Grüße aus Köln — 日本語 🎉"
    assert e["From"].addresses[0].display_name == "Zoë Ünal"
    assert "Bcc" not in e and b"hidden@example.net" not in raw
    assert e["X-Campaign"] == "spring-2024"
    assert e["Message-ID"].endswith("@example.com>")
    assert e.get_content_type() == "multipart/mixed"
    assert e.get_body(("plain",)).get_content().replace("\r\n", "\n") == \
        "Hallo Bob,\nplain text with ümlauts.\n"
    assert "<b>Bob</b>" in e.get_body(("html",)).get_content()
    atts = {p.get_filename(): p for p in e.walk() if p.get_filename()}
    assert atts["Prüfbericht März.pdf"].get_content() == PDF
    logo = atts["logo.png"]
    assert logo["Content-ID"] == "<logo@example.com>"
    assert logo.get_content() == PNG
    # The admin view: sent, by which provider, with the provider's id.
    api = dh.Api(d)
    st = api.wait_state(qid, ["sent"], 15)
    full = api.message(qid)
    assert full["tenant"] == "webt"
    assert full["stream"] == "transactional"
    assert all(r["state"] == "sent" and r["provider"] == "m"
               for r in full["rcpts"])
    assert full["attempts_detail"][0]["result"] == "accepted"
    assert st


def test_202_means_durable_across_kill9(lab):
    d = lab.daemon()
    ids = []
    for i in range(15):
        code, obj, _ = send(d, msg(text="n%d" % i))
        assert code == 202, obj
        ids.append(obj["id"])
    d.kill9()
    stored = d.spool.messages()
    for qid in ids:
        assert qid in stored, "202 for %s but not in the spool" % qid
        assert stored[qid]["tenant"] == "webt"
    d.start()


def test_auth_401_and_403_say_nothing_more(lab):
    d = lab.daemon()
    for key in (None, "", "wrong-key", JOBS_KEY + "x"):
        code, obj, hdrs = send(d, msg(), key=key)
        assert code == 401, (key, obj)
        assert obj["error"]["code"] == "unauthorized"
        assert hdrs.get("WWW-Authenticate") == "Bearer"
    c1, o1, _ = send(d, msg(**{"from": "x@example.org"}))
    c2, o2, _ = send(d, msg(**{"from": "s@example.com"}), key=JOBS_KEY)
    assert c1 == c2 == 403 and o1 == o2
    c3, o3, _ = send(d, msg(**{"from": "a@example.org"}), key=JOBS_KEY)
    assert c3 == 202, o3
    assert d.spool.count() == 1
    # The key never reaches the log.
    assert JOBS_KEY not in d.log_text()


def test_header_injection_is_400_naming_the_field(lab):
    d = lab.daemon()
    cases = [
        (msg(subject="hi\r\nBcc: victim@example.org"), "subject"),
        (msg(subject="hi\nX-Evil: 1"), "subject"),
        (msg(subject="nul\u0000here"), "subject"),
        (msg(to=["ok@example.net", "x@example.net\r\nBcc: v@example.org"]), "to[1]"),
        (msg(**{"from": {"email": "s@example.com", "name": "A\r\nB"}}), "from.name"),
        (msg(headers={"X-Tag": "a\r\nBcc: v@example.org"}), "headers.X-Tag"),
        (msg(headers={"Bcc": "v@example.org"}), "headers.Bcc"),
        (msg(attachments=[{"filename": "a\r\n.txt", "content": ""}]),
         "attachments[0].filename"),
    ]
    for body, field in cases:
        code, obj, _ = send(d, body)
        assert code == 400, (body, obj)
        assert obj["error"]["field"] == field, obj
    for bad in ("nobody", "a@", "Name <a b@example.net>", "x@exa mple.net"):
        code, obj, _ = send(d, msg(to=bad))
        assert code == 400 and obj["error"]["code"] == "invalid_address", obj
    assert d.spool.count() == 0


def test_bad_json_is_400_with_bounded_memory(lab):
    d = lab.daemon()
    bodies = [
        b"", b"{", b"not json", b"[]",
        b'{"from":"s@example.com","from":"t@example.com","to":"r@example.net","text":"x"}',
        b'{"from":"s@example.com","to":"r@example.net","text":"x","metadata":' +
        b"[" * 50000 + b"]" * 50000 + b"}",
        b'{"from":"s@example.com","text":"x","to":[' +
        b",".join(b'"r%d@example.net"' % i for i in range(1500)) + b"]}",
        b'{"from":"s@example.com","to":"r@example.net","text":"x","frm":"typo"}',
    ]
    for b in bodies:
        code, obj, _ = send(d, b)
        assert code == 400, (b[:80], obj)
        assert obj["error"]["code"] in ("invalid_json", "unknown_field"), obj
    assert d.spool.count() == 0
    assert dh.rss_kb(d.pid) < 400 * 1024


def test_oversize_is_413(lab):
    d = lab.daemon()  # limits.max_message_size: 1MB
    big = base64.b64encode(b"x" * (1100 * 1024)).decode()
    code, obj, _ = send(d, msg(attachments=[{"filename": "b.bin", "content": big}]))
    assert code == 413, obj
    assert obj["error"]["code"] == "too_large"
    # Far over: evhttp refuses from Content-Length, before the body.
    s = socket.create_connection(("127.0.0.1", d.http_port), timeout=10)
    s.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
              b"Content-Length: 60000000\r\n\r\n{")
    assert b" 413 " in s.recv(4096).split(b"\r\n")[0]
    s.close()
    assert d.spool.count() == 0
    code, obj, _ = send(d, msg())
    assert code == 202, obj


def test_spool_full_is_503_with_retry_after(lab):
    d = lab.daemon(spool={"max_messages": 1})
    assert send(d, msg())[0] == 202
    code, obj, hdrs = send(d, msg(text="second"))
    assert code == 503, obj
    assert hdrs.get("Retry-After")
    assert d.spool.count() == 1


def test_methods_and_unknown_stream(lab):
    d = lab.daemon()
    code, _ = get(d, "/v1/messages/raw")
    assert code == 404
    code, obj, _ = post(d, "/v1/messages/nope", msg())
    assert code == 404
    code, obj, _ = send(d, msg(stream="no-such-stream"))
    assert code == 400 and obj["error"]["field"] == "stream"
    code, obj, _ = send(d, msg(stream="bulk"))
    assert code == 202
    assert d.spool.message(obj["id"])["stream"] == "bulk"


def test_keep_alive_serves_many_requests(lab):
    d = lab.daemon()
    s = socket.create_connection(("127.0.0.1", d.http_port))
    body = json.dumps(msg()).encode()
    req = (b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
           + WEB_KEY.encode() + b"\r\nContent-Type: application/json\r\n"
           b"Content-Length: %d\r\n\r\n" % len(body)) + body
    f = s.makefile("rb")
    for _ in range(5):
        s.sendall(req)
        status = f.readline()
        assert b" 202 " in status, status
        n = 0
        while True:
            line = f.readline()
            if line.lower().startswith(b"content-length:"):
                n = int(line.split(b":")[1])
            if line == b"\r\n":
                break
        f.read(n)
    s.close()
    assert d.spool.count() == 5


def test_shutdown_with_requests_in_flight_is_clean(lab):
    """SIGTERM while requests wait for the spool: every 202 is stored, the
    daemon exits 0 without sanitizer reports (lab checks)."""
    import threading
    d = lab.daemon()
    results = []
    lock = threading.Lock()

    def client(n):
        for i in range(40):
            try:
                r = send(d, msg(text="t%d-%d" % (n, i)), timeout=5)
            except OSError:
                return
            with lock:
                results.append(r)

    ts = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for t in ts:
        t.start()
    dh.wait_until(lambda: len(results) >= 20, 20, what="some answers")
    d.stop()
    for t in ts:
        t.join(30)
    ok = [o["id"] for c, o, _ in results if c == 202]
    assert ok
    stored = d.spool.messages()
    assert all(i in stored for i in ok)
