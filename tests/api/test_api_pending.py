"""The one life cycle of an HTTP request waiting for the spool
(src/ingress/http_pending.c): clients that leave before their answer, on
the native API, a drop-in endpoint and the operator's release, leave the
daemon healthy (no crash, no ASan or leak report at exit, checked by the
lab) and their messages stored.
"""

import json
import socket
import struct
import time

from api_client import WEB_KEY, dh, msg


def rst_post(d, path, headers, body=b""):
    """POST and reset the connection at once, without reading."""
    host, port = d.http_url.split("//")[1].rsplit(":", 1)
    s = socket.create_connection((host, int(port)))
    head = "".join("%s: %s\r\n" % kv for kv in headers.items())
    s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\n%sContent-Length: %d\r\n\r\n"
               % (path, head, len(body))).encode() + body)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def test_clients_that_leave_early_leave_no_trace(lab):
    d = lab.daemon()
    auth = {"Authorization": "Bearer " + WEB_KEY,
            "Content-Type": "application/json"}
    native = json.dumps(msg()).encode()
    resend = json.dumps({"from": "s@example.com", "to": "r@example.net",
                         "subject": "s", "text": "t"}).encode()
    for _ in range(50):
        rst_post(d, "/v1/messages", auth, native)
        rst_post(d, "/emails", auth, resend)
        rst_post(d, "/v1/queue/01ABCDEFGHJKMNPQRSTV/release", {})
    dh.wait_until(lambda: d.spool.count() == 100, 15, what="100 stored")
    time.sleep(0.5)
    code, obj = d.admin_json("/v1/status")
    assert code == 200, obj
