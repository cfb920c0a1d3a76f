#!/usr/bin/python3
"""bench/abuse/abuse.py - service under abuse from one address (issue 12).

Starts bin/swerved (release build; no providers: mail is only made
durable) on loopback and measures, with 127.0.0.2 as the hostile client
and 127.0.0.1 as the legitimate ones:

  slow      hostile slow sessions at 2x the cap on each listener (SMTP:
            2 x limits.max_sessions sessions that never speak; HTTP:
            2 x limits.max_http_connections idle connections), then N
            legitimate SMTP submissions and N send-API requests;
  idle10k   10,000 idle HTTP connections from the hostile address, then
            N send-API requests;

and prints the legitimate success rate, what the hostile address got,
and how much swerved logged. Every process started is stopped by PID.

  /usr/bin/python3 bench/abuse/abuse.py [--n 500] [--bin bin]
"""

import argparse
import hashlib
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HOSTILE = "127.0.0.2"
KEY = "abuse-bench-key"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(binary, work, name, smtp, http, limits):
    cfg = os.path.join(work, name + ".yaml")
    sha = hashlib.sha256(KEY.encode()).hexdigest()
    with open(cfg, "w") as f:
        f.write("""listen: { smtp: "127.0.0.1:%d", http: "127.0.0.1:%d" }
spool: { dir: "%s/spool-%s", min_free: "10MB" }
limits: %s
submitters: { networks: ["127.0.0.0/8"] }
api_keys:
  - { name: bench, key_sha256: "%s", from_domains: ["example.com"] }
log: { level: info }
""" % (smtp, http, work, name, json.dumps(limits), sha))
    log = open(os.path.join(work, name + ".log"), "wb")
    p = subprocess.Popen([binary, "-c", cfg], stdout=log, stderr=log)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", http), timeout=0.2).close()
            return p, log.name
        except OSError:
            time.sleep(0.05)
    p.kill()
    sys.exit("swerved did not start; see " + log.name)


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(15)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def hostile(port, n, speak=False):
    """n connections from the hostile address; returns (held, refused)."""
    held, refused = [], 0
    for _ in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2,
                                         source_address=(HOSTILE, 0))
        except OSError:
            refused += 1
            continue
        held.append(s)
    # Those the server turned away are closed by it: count them.
    time.sleep(1.0)
    alive = []
    for s in held:
        s.setblocking(False)
        try:
            data = s.recv(4096)
            gone = data.startswith(b"421") or data.startswith(
                b"HTTP/1.1 503") or data == b""
        except BlockingIOError:
            gone = False
        except OSError:
            gone = True
        if gone:
            refused += 1
            s.close()
        else:
            alive.append(s)
    return alive, refused


def smtp_submit(port, i):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        f = s.makefile("rb")

        def reply():
            while True:
                line = f.readline()
                if not line:
                    raise OSError("closed")
                if line[3:4] != b"-":
                    return int(line[:3])
        ok = reply() == 220
        for cmd, want in ((b"EHLO bench\r\n", 250),
                          (b"MAIL FROM:<b@example.com>\r\n", 250),
                          (b"RCPT TO:<r%d@example.net>\r\n" % i, 250),
                          (b"DATA\r\n", 354),
                          (b"Subject: abuse bench\r\n\r\nhi\r\n.\r\n", 250)):
            if not ok:
                break
            s.sendall(cmd)
            ok = reply() == want
        s.sendall(b"QUIT\r\n")
        s.close()
        return ok
    except OSError:
        return False


def api_send(port, i):
    body = json.dumps({"from": "b@example.com", "to": "r%d@example.net" % i,
                       "subject": "abuse bench", "text": "hi\n"}).encode()
    req = urllib.request.Request(
        "http://127.0.0.1:%d/v1/messages" % port, data=body, method="POST",
        headers={"Content-Type": "application/json",
                 "Authorization": "Bearer " + KEY})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status == 202
    except (urllib.error.URLError, OSError):
        return False


def pct(ok, n):
    return "%d/%d (%.2f%%)" % (ok, n, 100.0 * ok / n)


def run_slow(binary, work, n):
    smtp, http = free_port(), free_port()
    limits = {"max_sessions": 100, "max_http_connections": 200}
    p, log = start(binary, work, "slow", smtp, http, limits)
    before = os.path.getsize(log)
    try:
        s_held, s_ref = hostile(smtp, 2 * limits["max_sessions"])
        h_held, h_ref = hostile(http, 2 * limits["max_http_connections"])
        t0 = time.monotonic()
        smtp_ok = sum(smtp_submit(smtp, i) for i in range(n))
        api_ok = sum(api_send(http, i) for i in range(n))
        took = time.monotonic() - t0
        for s in s_held + h_held:
            s.close()
    finally:
        stop(p)
    print("slow: limits %s" % json.dumps(limits))
    print("  hostile SMTP: %d sessions held, %d refused (421)"
          % (len(s_held), s_ref))
    print("  hostile HTTP: %d connections held, %d refused (503)"
          % (len(h_held), h_ref))
    print("  legitimate SMTP submissions: %s" % pct(smtp_ok, n))
    print("  legitimate send API requests: %s" % pct(api_ok, n))
    print("  legitimate run: %.1f s; log grew %d bytes"
          % (took, os.path.getsize(log) - before))


def run_idle(binary, work, n, count):
    smtp, http = free_port(), free_port()
    p, log = start(binary, work, "idle", smtp, http, {})
    before = os.path.getsize(log)
    try:
        t0 = time.monotonic()
        held, refused = hostile(http, count)
        opened = time.monotonic() - t0
        api_ok = sum(api_send(http, i) for i in range(n))
        smtp_ok = sum(smtp_submit(smtp, i) for i in range(n // 5))
        for s in held:
            s.close()
    finally:
        stop(p)
    print("idle10k: default limits (1,000 HTTP connections, 250 per address)")
    print("  hostile: %d idle HTTP connections tried in %.1f s: %d held, "
          "%d refused" % (count, opened, len(held), refused))
    print("  legitimate send API requests: %s" % pct(api_ok, n))
    print("  legitimate SMTP submissions: %s" % pct(smtp_ok, n // 5))
    print("  log grew %d bytes" % (os.path.getsize(log) - before))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--idle", type=int, default=10000)
    ap.add_argument("--bin", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "bin"))
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    work = tempfile.mkdtemp(prefix="swerve-abuse-bench.")
    try:
        binary = os.path.join(a.bin, "swerved")
        run_slow(binary, work, a.n)
        run_idle(binary, work, a.n, a.idle)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
