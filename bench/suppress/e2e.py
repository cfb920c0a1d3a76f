#!/usr/bin/env python3
"""bench/suppress/e2e.py - submission throughput through swerved with an
empty suppression list vs 1,000,000 suppressed addresses (issue 14's
target: under 5% difference), SMTP and the native HTTP API, end to end.

Two release swerveds (SWERVE_BIN, default build/release/bin), no
providers (mail is only made durable, as in bench/api), log level warn:
"none" with an empty list, "1M" whose spool gets ENTRIES rows in its
suppressions table (half for tenant "" - SMTP's trusted clients - and half
for the API key's tenant "bench") before its start, so it loads them as
at any start. Only one runs at a time. For ROUNDS rounds, each daemon in
turn is started and driven by

  - SMTP: bench/smtp_lat (built here) with -u, every message to its own
    unlisted recipient, CONNS sessions, MSGS messages of 1 KiB;
  - HTTP: wrk (Debian's package), POST /v1/messages, every request to its
    own unlisted recipient, CONNS connections for SECS seconds;

every 250 and 202 came after the spool's commit. A listed address is
checked to be refused on both paths (550 at RCPT, 422 on the API), so the
list is really there. Reports per round the rate and swerved's CPU time
per message spooled (utime + stime from /proc, by the spool's committed
count), then the medians and the differences. On a shared machine the
rates swing with others' load; the CPU per message much less.

    nice /usr/bin/python3 bench/suppress/e2e.py [ENTRIES] [ROUNDS] [MSGS] [SECS] [CONNS]
"""

import hashlib
import http.client
import json
import os
import pathlib
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
os.environ.setdefault("SWERVE_BIN", str(REPO / "build" / "release" / "bin"))
sys.path.insert(0, str(REPO / "tests" / "lib"))
import swerve_harness as sh  # noqa: E402

ENTRIES = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
MSGS = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
SECS = int(sys.argv[4]) if len(sys.argv) > 4 else 5
CONNS = int(sys.argv[5]) if len(sys.argv) > 5 else 8
KEY = "bench-suppress-key"
LISTED = "user1@example1.com"  # entry 1: tenant "bench"; entry 0: ""
LISTED_SMTP = "user0@example0.com"

LUA = r"""
local text = string.rep("The quick brown fox jumps over the lazy dog. ", 20)
local n = 0
local tid = 0
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
function request()
  n = n + 1
  local body = string.format(
    '{"from":"bench@example.com","to":["r%d.%d@example.net"],' ..
    '"subject":"bench","text":"%s"}', tid, n, text)
  return wrk.format("POST", "/v1/messages", {
    ["Authorization"] = "Bearer KEY",
    ["Content-Type"] = "application/json"}, body)
end
local bad = 0
function response(status, headers, body)
  if status ~= 202 then bad = bad + 1 end
end
function done(summary, latency, requests)
  io.write(string.format("non202=%d\n", summary.errors.status))
end
""".replace("KEY", KEY)


def fill(spool_dir, n):
    """ENTRIES rows in the spool's suppressions table (swerved stopped)."""
    db = sqlite3.connect(os.path.join(spool_dir, "spool.db"))
    db.execute("CREATE TABLE IF NOT EXISTS suppressions ("
               " tenant TEXT NOT NULL, akey TEXT NOT NULL,"
               " address TEXT NOT NULL, reason TEXT NOT NULL,"
               " provider TEXT NOT NULL DEFAULT '',"
               " created_ms INTEGER NOT NULL, expires_ms INTEGER,"
               " diagnostic TEXT NOT NULL DEFAULT '',"
               " PRIMARY KEY (tenant, akey)) WITHOUT ROWID")
    now = int(time.time() * 1000)

    def rows():
        for i in range(n):
            a = "user%d@example%d.com" % (i, i % 5000)
            yield ("" if i % 2 == 0 else "bench", a, a, "hard_bounce",
                   "bench", now, None, "550 5.1.1 user unknown")
    db.execute("BEGIN")
    db.executemany("INSERT OR REPLACE INTO suppressions VALUES "
                   "(?, ?, ?, ?, ?, ?, ?, ?)", rows())
    db.commit()
    db.close()


HZ = os.sysconf("SC_CLK_TCK")


def cpu_s(d):
    """swerved's CPU time so far (utime + stime), seconds."""
    with open("/proc/%d/stat" % d.pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def spooled(d):
    code, obj = d.admin_json("/v1/status")
    return obj["spool"]["committed_messages"]


def smtp_rate(lat, d):
    out = subprocess.run(
        [lat, "-q", "-u", "-c", str(CONNS), "-m", str(MSGS), "-s", "1024",
         "-f", "bench@example.com", "-t", "r@example.net",
         "%s:%d" % (sh.HOST, d.smtp_port)],
        capture_output=True, text=True, timeout=600)
    kv = dict(x.split("=", 1) for x in out.stdout.split())
    if out.returncode != 0 or int(kv.get("errors", "1")) != 0:
        raise SystemExit("smtp_lat failed: %s %s" % (out.stdout,
                                                     out.stderr[-2000:]))
    return float(kv["rate"]), int(kv["msgs"])


def http_rate(lua, d):
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(CONNS), "-d", "%ds" % SECS, "-s", lua,
         "http://%s:%d/v1/messages" % (sh.HOST, d.http_port)],
        capture_output=True, text=True, timeout=SECS + 60)
    m = re.search(r"Requests/sec:\s+([\d.]+)", out.stdout)
    bad = re.search(r"non202=(\d+)", out.stdout)
    if m is None or bad is None or int(bad.group(1)) != 0:
        raise SystemExit("wrk failed: %s %s" % (out.stdout, out.stderr))
    return float(m.group(1))


def refused(d):
    """Is a listed address refused on both paths?"""
    c = sh.SMTPConn(d.smtp_port, timeout=10)
    c.ehlo("bench.example")
    c.cmd("MAIL FROM:<bench@example.com>")
    smtp = c.cmd("RCPT TO:<%s>" % LISTED_SMTP).code
    c.close()
    h = http.client.HTTPConnection(sh.HOST, d.http_port, timeout=10)
    h.request("POST", "/v1/messages", json.dumps({
        "from": "bench@example.com", "to": [LISTED], "subject": "x",
        "text": "x"}), {"Authorization": "Bearer " + KEY,
                        "Content-Type": "application/json"})
    api = h.getresponse().status
    h.close()
    return smtp, api


def start(d, timeout=120):
    """Start d and wait for its listeners (at log level warn the
    harness's "listening" lines are not there): /healthz answers."""
    d.start(wait=False)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if d.proc.poll() is not None:
            raise SystemExit("swerved exited:\n" + d.log_tail(20))
        try:
            c = http.client.HTTPConnection(sh.HOST, d.http_port, timeout=2)
            c.request("GET", "/healthz")
            ok = c.getresponse().status == 200
            c.close()
            if ok:
                sh.SMTPConn(d.smtp_port, timeout=5).close()
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit("swerved did not start:\n" + d.log_tail(20))


def main():
    tmp = tempfile.mkdtemp(prefix="supp-e2e-")
    lat = os.path.join(tmp, "smtp_lat")
    subprocess.run(["cc", "-O2", "-std=c17", "-Wall", "-Wextra", "-Werror",
                    "-o", lat, str(REPO / "bench" / "smtp_lat.c")],
                   check=True)
    lua = os.path.join(tmp, "send.lua")
    with open(lua, "w") as f:
        f.write(LUA)
    lab = sh.Lab(pathlib.Path(tmp))
    keys = [{"name": "bench",
             "key_sha256": hashlib.sha256(KEY.encode()).hexdigest(),
             "tenant": "bench", "from_domains": ["example.com"]}]
    ds = {}
    try:
        for name in ("none", "1M"):
            d = lab.daemon([], api_keys=keys, log={"level": "warn"},
                           limits={"max_sessions": 1000}, start=False)
            start(d)
            d.stop()
            ds[name] = d
        t0 = time.monotonic()
        fill(ds["1M"].spool_dir, ENTRIES)
        print("filled %d entries in %.1f s" % (ENTRIES,
                                                time.monotonic() - t0))
        rates = {(n, k): [] for n in ds for k in ("smtp", "http")}
        cpu = {(n, k): [] for n in ds for k in ("smtp", "http")}
        for r in range(ROUNDS):
            for name, d in ds.items():
                t0 = time.monotonic()
                start(d)
                started = time.monotonic() - t0
                if r == 0:
                    print("%-4s started in %.1f s; listed address: SMTP %s,"
                          " API %s" % ((name, started) + refused(d)))
                c0, n0 = cpu_s(d), spooled(d)
                s, _ = smtp_rate(lat, d)
                c1, n1 = cpu_s(d), spooled(d)
                h = http_rate(lua, d)
                c2, n2 = cpu_s(d), spooled(d)
                rates[(name, "smtp")].append(s)
                rates[(name, "http")].append(h)
                scpu = 1e6 * (c1 - c0) / max(1, n1 - n0)
                hcpu = 1e6 * (c2 - c1) / max(1, n2 - n1)
                cpu[(name, "smtp")].append(scpu)
                cpu[(name, "http")].append(hcpu)
                d.stop()
                print("round %d %-4s SMTP %6.0f msg/s %5.0f us CPU/msg   "
                      "HTTP %6.0f msg/s %5.0f us CPU/msg (%d spooled)"
                      % (r + 1, name, s, scpu, h, hcpu, n2 - n0),
                      flush=True)
        for k in ("smtp", "http"):
            a = statistics.median(rates[("none", k)])
            b = statistics.median(rates[("1M", k)])
            print("%-4s median throughput: none %6.0f  1M %6.0f msg/s  "
                  "difference %+.1f%%" % (k.upper(), a, b,
                                          100.0 * (b - a) / a))
            a = statistics.median(cpu[("none", k)])
            b = statistics.median(cpu[("1M", k)])
            print("%-4s median swerved CPU: none %5.1f  1M %5.1f us/msg  "
                  "difference %+.1f%%" % (k.upper(), a, b,
                                          100.0 * (b - a) / a))
    finally:
        problems = lab.finish()
        if problems:
            print("not clean:", problems)


if __name__ == "__main__":
    main()
