"""What the drill tests share: a primary and a backup swerve-mock behind
one swerved, traffic, swervectl, and figures computed from the spool and
the mocks' own records, apart from what swerved reports."""

import json
import os
import sqlite3
import time

import swerve_harness as sh

MSG = (b"From: app@example.com\r\nTo: user@example.net\r\n"
       b"Subject: drill %d\r\n\r\nbody %d\r\n")


def setup(lab, drill=None, providers_over=None, mocks=2, **over):
    """Mocks m1 (primary) and m2 (backup) and a swerved routing to them:
    fast circuits (2 failures, 1 s cool-down), a 1 s fail-back ramp."""
    m1 = lab.mock("m1")
    m2 = lab.mock("m2") if mocks > 1 else None
    common = {"circuit": {"failures": 2, "cooldown": "1s",
                          "max_cooldown": "2s", "config_cooldown": "2s"},
              "failback_ramp": "1s", "probe_interval": "1s"}
    common.update(providers_over or {})
    provs = [sh.provider("primary", m1.smtp_port, 1, **common)]
    if m2 is not None:
        provs.append(sh.provider("backup", m2.smtp_port, 2, **common))
    cfg = {"drill": dict({"failback_wait": "6s"}, **(drill or {})),
           "retry": {"min_backoff": "1s", "max_backoff": "2s",
                     "max_lifetime": "1h"}}
    cfg.update(over)
    d = lab.daemon(provs, **cfg)
    return d, m1, m2


class Sender:
    """Submits numbered messages through one SMTP connection."""

    def __init__(self, d):
        self.d = d
        self.n = 0
        self.ids = []
        self.conn = sh.SMTPConn(d.smtp_port, timeout=30)
        assert self.conn.ehlo("client.test").code == 250

    def send(self, k=1, every=0.0, stream=None):
        for _ in range(k):
            self.n += 1
            msg = MSG % (self.n, self.n)
            if stream:
                msg = b"X-Swerve-Stream: " + stream.encode() + b"\r\n" + msg
            self.ids.append(sh.submit(self.d, "app@example.com",
                                      ["user%d@example.net" % self.n],
                                      msg, conn=self.conn))
            if every:
                time.sleep(every)

    def close(self):
        try:
            self.conn.close()
        except Exception:
            pass


def ctl(d, *args, timeout=30):
    """swervectl -c CONFIG args -> CompletedProcess."""
    return sh.swervectl(["-c", d.config_path] + list(args), timeout=timeout)


def start(d, provider, fault, *extra):
    """swervectl drill start; the drill's report so far (asserts it ran)."""
    r = ctl(d, "drill", "start", provider, fault, "--json", *extra)
    assert r.returncode == 0, "drill start failed: %s %s" % (r.stdout, r.stderr)
    return json.loads(r.stdout)


def report(d, did):
    code, obj = d.admin_json("/v1/drills/" + did)
    assert code == 200, (code, obj)
    return obj


def wait_final(d, did, timeout=30):
    """The report once it is final (the lost count is in)."""
    out = {}

    def final():
        out["r"] = report(d, did)
        return out["r"]["figures"].get("lost") is not None
    sh.wait_until(final, timeout, 0.2, "drill %s report final" % did)
    return out["r"]


def wait_sent(d, ids, timeout=40):
    """Every message of ids is in a final state; their states."""
    def states():
        db = sqlite3.connect(os.path.join(d.spool_dir, "spool.db"), timeout=10)
        try:
            return dict(db.execute(
                "SELECT id, state FROM messages WHERE id IN (%s)"
                % ",".join("?" * len(ids)), ids).fetchall())
        finally:
            db.close()
    out = {}

    def done():
        out["s"] = states()
        return len(out["s"]) == len(ids) and all(
            s in ("sent", "failed") for s in out["s"].values())
    sh.wait_until(done, timeout, 0.2, "every message settled")
    return out["s"]


def attempts(d):
    """Every attempt in the spool: (msg_id, end_ms, provider, result, reply)."""
    db = sqlite3.connect(os.path.join(d.spool_dir, "spool.db"), timeout=10)
    try:
        return db.execute(
            "SELECT msg_id, at + duration_ms, provider, result,"
            " coalesce(reply, '') FROM attempts ORDER BY at, id").fetchall()
    finally:
        db.close()


def failed_rcpts(d):
    db = sqlite3.connect(os.path.join(d.spool_dir, "spool.db"), timeout=10)
    try:
        return db.execute("SELECT count(*) FROM recipients"
                          " WHERE state = 'failed'").fetchone()[0]
    finally:
        db.close()


def independent(d, did):
    """The drill's figures from the spool alone: the simulated attempts
    (their replies name the drill), the failovers, and the time from the
    first simulated failure to the first of its messages accepted by the
    backup."""
    att = attempts(d)
    sim = [a for a in att if a[2] == "primary" and ("drill %s" % did) in a[4]]
    touched = {a[0] for a in sim}
    first_fail = min(a[1] for a in sim) if sim else None
    elsewhere = [a[1] for a in att if a[2] != "primary" and a[0] in touched
                 and a[3] == "accepted"]
    return {"simulated": len(sim), "touched": touched,
            "first_fail": first_fail,
            "failover_first_ms": (min(elsewhere) - first_fail)
            if elsewhere and first_fail else None}


def mock_times(m):
    """When each message reached mock m (ms since the epoch)."""
    from datetime import datetime
    out = []
    for msg in m.messages():
        t = datetime.strptime(msg["received_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
        out.append(int((t - datetime(1970, 1, 1)).total_seconds() * 1000))
    return sorted(out)


def iso_ms(s):
    from datetime import datetime
    t = datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
    return int((t - datetime(1970, 1, 1)).total_seconds() * 1000)


class Receiver:
    """An HTTP server on 127.0.0.1 (a thread) that records each POST and
    answers 200, or 503 when fail is set: an alert route."""

    def __init__(self, fail=False):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        self.fail = fail
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                outer.requests.append({"body": body,
                                       "at_ms": int(time.time() * 1000)})
                code = 503 if outer.fail else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer((sh.HOST, 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://%s:%d/hook" % (sh.HOST, self.port)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        return []
