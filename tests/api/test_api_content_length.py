"""Content-Length on the HTTP listener (src/ingress/http_guard.c): two
Content-Length fields that disagree make the request's end ambiguous
(request smuggling), so it is answered 400 before any route sees it and
the connection is closed, so that the bytes after the length evhttp used
never run as a request. Repeated fields with one value are one length
(RFC 9110, 8.6).
"""

import json
import socket

from api_client import WEB_KEY, msg


def raw(d, lengths, body, tail=b""):
    """One POST /v1/messages with a Content-Length field per entry of
    lengths, then body and tail; everything the server sent until it
    closed (or 5 s of silence)."""
    host, port = d.http_url.split("//")[1].rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=5)
    head = "".join("Content-Length: %s\r\n" % n for n in lengths)
    s.sendall(("POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
               "Authorization: Bearer %s\r\n"
               "Content-Type: application/json\r\n%s\r\n"
               % (WEB_KEY, head)).encode() + body + tail)
    got = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
            if b" 202 " in got.split(b"\r\n", 1)[0]:
                break
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    return got


def test_differing_content_lengths_are_400_and_nothing_is_stored(lab):
    d = lab.daemon()
    body = json.dumps(msg()).encode()
    # The second request hidden after the first length must not run.
    tail = (b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: "
            b"Bearer " + WEB_KEY.encode() + b"\r\nContent-Type: "
            b"application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
            + body)
    for lengths in ([len(body), len(body) + len(tail)],
                    [len(body) + len(tail), len(body)],
                    [len(body), "%d, %d" % (len(body), len(body) + 1)]):
        got = raw(d, lengths, body, tail)
        status = got.split(b"\r\n", 1)[0]
        assert status.startswith(b"HTTP/1.1 400 "), (lengths, got[:300])
        assert got.count(b"HTTP/1.1 ") == 1, got[:600]
    assert d.spool.count() == 0
    assert "Content-Length" in d.log_text()


def test_repeated_equal_content_length_is_one_length(lab):
    d = lab.daemon()
    body = json.dumps(msg()).encode()
    got = raw(d, [len(body), len(body)], body)
    assert got.split(b"\r\n", 1)[0].startswith(b"HTTP/1.1 202 "), got[:300]
    assert d.spool.count() == 1
