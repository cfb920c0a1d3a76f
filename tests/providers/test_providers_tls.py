"""test_providers_tls - HTTPS to the providers: the certificate is checked.

swerve-mock speaks plain HTTP, so a small TLS-terminating proxy (Python's
ssl, a self-signed certificate for 127.0.0.1 made by the openssl CLI)
sits in front of it:

  - with ca_file naming that certificate, the request goes through and the
    message arrives (connections kept alive through the proxy);
  - with the system trust store only, the handshake fails: the attempt is
    "deferred" before anything was sent and the message fails over to an
    SMTP relay; the API never sees it;
  - tls_verify: false accepts the unknown certificate (tests only).
"""

import json
import socket
import ssl
import threading

import swerve_harness as sh
from providers_helpers import http_provider

SENDER = "alice@example.com"


class TLSProxy(sh.TcpServer):
    """TLS on a free loopback port, forwarding bytes to 127.0.0.1:upstream."""

    def __init__(self, cert, key, upstream):
        self.upstream = upstream
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.handshakes = 0
        self.failed_handshakes = 0
        super().__init__()

    def serve(self, c, n):
        try:
            s = self.ctx.wrap_socket(c, server_side=True)
        except (ssl.SSLError, OSError):
            self.failed_handshakes += 1
            c.close()
            return
        self.handshakes += 1
        self.track(s)
        u = self.track(socket.create_connection(("127.0.0.1", self.upstream)))
        t = threading.Thread(target=self._pipe, args=(u, s), daemon=True)
        t.start()
        self._pipe(s, u)
        t.join(5)

    @staticmethod
    def _pipe(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        for x in (a, b):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self):
        super().stop()
        return []


def tls_lab(lab):
    cert, key = sh.make_cert(str(lab.tmp))
    api = lab.mock("api")
    relay = lab.mock("relay")
    proxy = TLSProxy(cert, key, api.http_port)
    lab.others.append(proxy)
    url = "https://127.0.0.1:%d" % proxy.port
    return cert, api, relay, proxy, url


def send_one(d, tag):
    qid = sh.submit(d, SENDER, ["bob@example.net"],
                    sh.message(subject=tag, to="bob@example.net"))
    m = sh.Api(d).wait_state(qid, ("sent", "failed"), 15)
    assert m["state"] == "sent", json.dumps(m, indent=1)
    return [(a["provider"], a["result"]) for a in m["attempts_detail"]]


def test_https_with_ca_file_is_verified_and_kept_alive(lab):
    cert, api, relay, proxy, url = tls_lab(lab)
    d = lab.daemon([http_provider("ses", "ses", url, ca_file=cert)])
    for i in range(5):
        assert send_one(d, "tls%d" % i) == [("ses", "accepted")]
    assert len([m for m in api.messages() if m.get("api")]) == 5
    # Keep-alive: far fewer handshakes than requests.
    assert 1 <= proxy.handshakes < 5, proxy.handshakes


def test_unknown_certificate_is_refused_before_sending(lab):
    cert, api, relay, proxy, url = tls_lab(lab)
    d = lab.daemon([http_provider("sg", "sendgrid", url, priority=1),
                    sh.provider("relay", relay.smtp_port, 2)])
    assert send_one(d, "untrusted") == [("sg", "deferred"), ("relay", "accepted")]
    assert [m for m in api.messages() if m.get("api")] == []
    assert proxy.failed_handshakes >= 1


def test_tls_verify_false_accepts_any_certificate(lab):
    cert, api, relay, proxy, url = tls_lab(lab)
    d = lab.daemon([http_provider("pm", "postmark", url, tls_verify=False)])
    assert send_one(d, "insecure") == [("pm", "accepted")]
    assert "tls_verify: false" in d.log_text()
