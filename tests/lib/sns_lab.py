"""sns_lab - Amazon SNS as the SES event tests need it: a test CA, an
HTTPS server that plays sns.<region>.amazonaws.com (the signing
certificate at /SimpleNotificationService-<hex>.pem, ConfirmSubscription
at /?Action=...), and SNS messages signed as SNS signs them (version 1:
SHA1withRSA, version 2: SHA256withRSA over the fields in SNS's order).

swerved is pointed at the server with providers[].events.sns_cert_host
(host:port) and sns_trust_anchor (the CA), the test-only keys.
"""

import base64
import http.server
import json
import ssl
import subprocess
import threading
import uuid

import swerve_harness as sh

TOPIC = "arn:aws:sns:us-east-1:123456789012:ses-events"
CERT_HEX = "01d088a6f77103d0fe307c0069e40ed6"
REDIRECT_HEX = "dead"  # this certificate path answers 302
ROGUE_HEX = "0bad"  # this one serves a self-signed certificate
OTHER_PATH = "/certs/signer.pem"  # the signing certificate, off SNS's path


class Pki:
    """A test CA, the HTTPS server's certificate and the signing one."""

    def __init__(self, directory):
        d = str(directory)
        self.ca = sh.make_ca(d, "sns-ca")
        self.server = sh.make_leaf(d, self.ca, "sns-https")
        self.signer = sh.make_leaf(d, self.ca, "sns-signer")
        self.rogue = sh.make_ca(d, "sns-rogue")  # self-signed, not trusted
        self.ca_file = self.ca[0]


NOTIFICATION_KEYS = ("Message", "MessageId", "Subject", "Timestamp",
                     "TopicArn", "Type")
CONFIRMATION_KEYS = ("Message", "MessageId", "SubscribeURL", "Timestamp",
                     "Token", "TopicArn", "Type")


def string_to_sign(msg):
    keys = NOTIFICATION_KEYS if msg["Type"] == "Notification" \
        else CONFIRMATION_KEYS
    return "".join("%s\n%s\n" % (k, msg[k]) for k in keys if k in msg)


def sign(msg, key_path, version=None):
    """msg with Signature set, by the PEM key at key_path (RSA PKCS #1
    v1.5 with openssl dgst)."""
    version = version or msg["SignatureVersion"]
    sig = subprocess.run(
        ["openssl", "dgst", "-sha1" if version == "1" else "-sha256",
         "-sign", key_path],
        input=string_to_sign(msg).encode(), capture_output=True,
        check=True, timeout=30).stdout
    out = dict(msg)
    out["Signature"] = base64.b64encode(sig).decode()
    return out


def cert_url(host, hex_=CERT_HEX):
    return "https://%s/SimpleNotificationService-%s.pem" % (host, hex_)


def notification(host, payload, version="1", topic=TOPIC, subject=None,
                 message_id=None, url=None):
    """An unsigned Notification carrying the SES payload (a dict)."""
    m = {"Type": "Notification",
         "MessageId": message_id or str(uuid.uuid4()),
         "TopicArn": topic,
         "Message": json.dumps(payload),
         "Timestamp": "2026-12-07T10:00:00.000Z",
         "SignatureVersion": version,
         "SigningCertURL": url or cert_url(host),
         "UnsubscribeURL": "https://%s/?Action=Unsubscribe&"
                           "SubscriptionArn=%s:1" % (host, topic)}
    if subject is not None:
        m["Subject"] = subject
    return m


def subscription(host, token=None, topic=TOPIC, version="1",
                 subscribe_url=None):
    token = token or uuid.uuid4().hex
    return {"Type": "SubscriptionConfirmation",
            "MessageId": str(uuid.uuid4()),
            "Token": token,
            "TopicArn": topic,
            "Message": "You have chosen to subscribe to the topic %s.\n"
                       "To confirm the subscription, visit the "
                       "SubscribeURL included in this message." % topic,
            "SubscribeURL": subscribe_url or
            "https://%s/?Action=ConfirmSubscription&TopicArn=%s&Token=%s"
            % (host, topic, token),
            "Timestamp": "2026-12-07T10:00:00.000Z",
            "SignatureVersion": version,
            "SigningCertURL": cert_url(host)}


def ses_bounce(message_id, rcpts, swerve_id=None, kind="Permanent",
               sub="General"):
    mail = {"timestamp": "2026-12-07T09:59:00.000Z", "messageId": message_id,
            "source": "sender@example.com", "destination": list(rcpts)}
    if swerve_id:
        mail["tags"] = {"swerve_id": [swerve_id]}
    return {"notificationType": "Bounce",
            "bounce": {"bounceType": kind, "bounceSubType": sub,
                       "bouncedRecipients": [
                           {"emailAddress": r, "status": "5.1.1",
                            "action": "failed",
                            "diagnosticCode": "smtp; 550 5.1.1 user unknown"}
                           for r in rcpts],
                       "timestamp": "2026-12-07T10:00:00.000Z",
                       "feedbackId": "0100-feedback"},
            "mail": mail}


def ses_delivery(message_id, rcpts, swerve_id=None):
    mail = {"timestamp": "2026-12-07T09:59:00.000Z", "messageId": message_id,
            "source": "sender@example.com", "destination": list(rcpts)}
    if swerve_id:
        mail["tags"] = {"swerve_id": [swerve_id]}
    return {"eventType": "Delivery",
            "delivery": {"timestamp": "2026-12-07T10:00:01.000Z",
                         "processingTimeMillis": 500,
                         "recipients": list(rcpts),
                         "smtpResponse": "250 2.0.0 OK",
                         "reportingMTA": "a8-1.smtp-out.amazonses.com"},
            "mail": mail}


class SnsServer:
    """The HTTPS stand-in for sns.<region>.amazonaws.com on 127.0.0.1.

    hits: every path requested, in order. The signing certificate is at
    cert_url(host) and OTHER_PATH; REDIRECT_HEX's path answers 302 to it;
    ROGUE_HEX's serves the untrusted self-signed one; any other
    certificate path is 404; /?Action=ConfirmSubscription... is 200."""

    def __init__(self, pki):
        self.pki = pki
        self.hits = []
        with open(pki.signer[0]) as f:
            self.pem = f.read().encode()
        with open(pki.rogue[0]) as f:
            self.rogue_pem = f.read().encode()
        self.port = sh.free_port()
        self.host = "localhost:%d" % self.port
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.hits.append(self.path)
                if self.path in ("/SimpleNotificationService-%s.pem"
                                 % CERT_HEX, OTHER_PATH):
                    self._answer(200, server.pem, "application/x-pem-file")
                elif self.path == "/SimpleNotificationService-%s.pem" \
                        % ROGUE_HEX:
                    self._answer(200, server.rogue_pem,
                                 "application/x-pem-file")
                elif self.path.startswith("/SimpleNotificationService-%s"
                                          % REDIRECT_HEX):
                    self.send_response(302)
                    self.send_header("Location", cert_url(server.host))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif self.path.startswith("/?Action=ConfirmSubscription"):
                    self._answer(200, b"<ConfirmSubscriptionResponse>"
                                 b"<ConfirmSubscriptionResult>"
                                 b"<SubscriptionArn>" + TOPIC.encode() +
                                 b":1</SubscriptionArn>"
                                 b"</ConfirmSubscriptionResult>"
                                 b"</ConfirmSubscriptionResponse>",
                                 "text/xml")
                else:
                    self._answer(404, b"no", "text/plain")

            def _answer(self, code, body, ctype):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port),
                                                     Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pki.server[0], pki.server[1])
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket,
                                            server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def cert_hits(self):
        return [h for h in self.hits if h.endswith(".pem")]

    def confirm_hits(self):
        return [h for h in self.hits if "ConfirmSubscription" in h]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        return []


def events_config(server, **kw):
    """providers[].events for an ses provider verified against server."""
    e = {"topic_arns": [TOPIC], "sns_cert_host": server.host,
         "sns_trust_anchor": server.pki.ca_file}
    e.update(kw)
    return e


def post(daemon, msg, path="/feedback/ses", headers=None):
    """POST msg (a dict, or bytes) as SNS does: (status, JSON or text)."""
    body = msg if isinstance(msg, bytes) else json.dumps(msg).encode()
    h = {"Content-Type": "text/plain; charset=UTF-8"}
    if isinstance(msg, dict):
        h["x-amz-sns-message-type"] = msg.get("Type", "")
        h["x-amz-sns-message-id"] = msg.get("MessageId", "")
        h["x-amz-sns-topic-arn"] = msg.get("TopicArn", "")
    h.update(headers or {})
    code, out, _ = sh.http_request(daemon.http_url + path, "POST", body, h)
    try:
        return code, json.loads(out)
    except ValueError:
        return code, out

