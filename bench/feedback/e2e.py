#!/usr/bin/env python3
"""bench/feedback/e2e.py - verified inbound provider events per second
through swerved, HTTP end to end (issue 14's benchmark).

One swerved (release build: SWERVE_BIN, default build/release/bin) with a
provider of each webhook type whose events: path is configured. For each
scheme the script signs COUNT requests first (fresh timestamps, unique
event ids, so each is verified, parsed, stored and de-duplicated like a
real one; none matches a message, so each is counted unmatched), then
posts them from THREADS keep-alive connections and reports requests/s
and events/s. SendGrid posts batches of BATCH events, as SendGrid does.

    /usr/bin/python3 bench/feedback/e2e.py [COUNT] [THREADS] [BATCH]

The client is Python on the same machine: the figures are a floor for
swerved, the client shares the cores.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
os.environ.setdefault("SWERVE_BIN", str(REPO / "build" / "release" / "bin"))
sys.path.insert(0, str(REPO / "tests" / "lib"))
import swerve_harness as sh  # noqa: E402

COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
THREADS = int(sys.argv[2]) if len(sys.argv) > 2 else 4
BATCH = int(sys.argv[3]) if len(sys.argv) > 3 else 100
MG_KEY = "bench-mailgun-signing-key"
RS_KEY = b"bench-resend-secret-key!"
PM_USER, PM_PASS = "hook", "bench-pass"


def secret(tmp, name, value):
    p = os.path.join(tmp, name)
    with open(p, "w") as f:
        f.write(value + "\n")
    return p


def sg_keys(tmp):
    key = os.path.join(tmp, "sg.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-out", key], check=True,
                   capture_output=True)
    der = subprocess.run(["openssl", "pkey", "-in", key, "-pubout",
                          "-outform", "DER"], check=True,
                         capture_output=True).stdout
    from cryptography.hazmat.primitives import serialization
    with open(key, "rb") as f:
        priv = serialization.load_pem_private_key(f.read(), None)
    return priv, base64.b64encode(der).decode()


def requests(kind, n, sg_priv):
    now = str(int(time.time()))
    out = []
    for i in range(n):
        u = uuid.uuid4().hex
        if kind == "postmark":
            body = json.dumps({"RecordType": "Bounce", "ID": int(u[:12], 16),
                               "Type": "HardBounce", "TypeCode": 1,
                               "MessageID": u, "Email": "r%d@example.net" % i,
                               "BouncedAt": "2026-12-07T10:00:02Z",
                               "Details": "smtp;550 5.1.1 unknown"}).encode()
            auth = base64.b64encode(
                ("%s:%s" % (PM_USER, PM_PASS)).encode()).decode()
            out.append((body, {"Authorization": "Basic " + auth}, 1))
        elif kind == "mailgun":
            tok = u + u[:18]
            sig = hmac.new(MG_KEY.encode(), (now + tok).encode(),
                           hashlib.sha256).hexdigest()
            body = json.dumps({
                "signature": {"timestamp": now, "token": tok,
                              "signature": sig},
                "event-data": {"id": u, "event": "delivered",
                               "timestamp": float(now),
                               "recipient": "r%d@example.net" % i,
                               "message": {"headers": {"message-id": u}}}}
            ).encode()
            out.append((body, {}, 1))
        elif kind == "resend":
            body = json.dumps({"type": "email.delivered",
                               "created_at": "2026-12-07T10:00:02.000Z",
                               "data": {"email_id": u,
                                        "to": ["r%d@example.net" % i]}}
                              ).encode()
            mid = "msg_" + u
            mac = base64.b64encode(hmac.new(
                RS_KEY, ("%s.%s." % (mid, now)).encode() + body,
                hashlib.sha256).digest()).decode()
            out.append((body, {"svix-id": mid, "svix-timestamp": now,
                               "svix-signature": "v1," + mac}, 1))
        else:
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.asymmetric import ec
            evs = [{"email": "r%d@example.net" % j, "timestamp": int(now),
                    "event": "delivered", "sg_event_id": "%s-%d" % (u, j),
                    "sg_message_id": u + ".filter"} for j in range(BATCH)]
            body = json.dumps(evs).encode()
            sig = sg_priv.sign(now.encode() + body, ec.ECDSA(hashes.SHA256()))
            out.append((body, {
                "X-Twilio-Email-Event-Webhook-Signature":
                    base64.b64encode(sig).decode(),
                "X-Twilio-Email-Event-Webhook-Timestamp": now}, BATCH))
    return out


def fire(port, path, reqs):
    errors = []

    def worker(part):
        c = http.client.HTTPConnection(sh.HOST, port, timeout=30)
        for body, hdr, _ in part:
            h = {"Content-Type": "application/json"}
            h.update(hdr)
            c.request("POST", path, body, h)
            r = c.getresponse()
            r.read()
            if r.status != 200:
                errors.append(r.status)
        c.close()
    parts = [reqs[i::THREADS] for i in range(THREADS)]
    ts = [threading.Thread(target=worker, args=(p,)) for p in parts]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return time.monotonic() - t0, errors


def main():
    tmp = tempfile.mkdtemp(prefix="fb-e2e-")
    lab = sh.Lab(pathlib.Path(tmp))
    try:
        m = lab.mock("up")
        sg_priv, sg_pub = sg_keys(tmp)
        ev = {
            "postmark": {"username": PM_USER,
                         "password_file": secret(tmp, "pm", PM_PASS)},
            "mailgun": {"signing_key_file": secret(tmp, "mg", MG_KEY)},
            "resend": {"secret_file": secret(
                tmp, "rs", "whsec_" + base64.b64encode(RS_KEY).decode())},
            "sendgrid": {"public_key": sg_pub},
        }
        keys = {"postmark": "mock-postmark-server-token",
                "mailgun": "key-mock-mailgun", "resend": "re_mock_resend_key",
                "sendgrid": "SG.mock-sendgrid-key"}
        provs = []
        for k in ev:
            p = {"name": k, "type": k, "endpoint": m.url, "api_key": keys[k],
                 "priority": 1, "events": dict(ev[k], max_body="1MB")}
            if k == "mailgun":
                p["domain"] = "mg.test"
            provs.append(p)
        d = lab.daemon(provs)
        for kind in ("postmark", "mailgun", "resend", "sendgrid"):
            n = COUNT if kind != "sendgrid" else max(1, COUNT // BATCH * 4)
            reqs = requests(kind, n, sg_priv)
            secs, errors = fire(d.http_port, "/feedback/" + kind, reqs)
            events = sum(r[2] for r in reqs)
            print("%-9s %6d requests %7d events in %6.2f s: %8.0f req/s "
                  "%8.0f events/s%s" % (
                      kind, len(reqs), events, secs, len(reqs) / secs,
                      events / secs,
                      "  (%d errors: %s)" % (len(errors), sorted(
                          set(errors))) if errors else ""))
    finally:
        problems = lab.finish()
        if problems:
            print("not clean:", problems)


if __name__ == "__main__":
    main()
