#!/usr/bin/env python3
"""http_bench.py - delivery through each HTTP provider adapter, and through
the SMTP relay adapter, to swerve-mock on loopback (see README.md).

For each message size and each adapter (smtp ses sendgrid mailgun postmark
resend), on a fresh swerved and a fresh swerve-mock:

  1. fill: swerved starts with its one provider disabled and takes N
     messages from smtp-source (-d -s 8); nothing can be delivered;
  2. swerved is stopped (SIGTERM) and started again with the provider
     enabled; the N messages are now due, and the clock starts;
  3. drain: until GET /v1/status says all N are sent, every 50 ms it
     samples the provider's busy channels (= HTTP requests in flight, or
     SMTP connections in a transaction) and the messages in flight in
     deliver; CPU (utime+stime from /proc) of swerved and of the mock is
     read when the first message is sent and when the last one is.

Figures per run: delivery msg/s (first to last sent), swerved CPU ms per
message over the same span, the mock's CPU per message (the far end's cost,
for scale), requests in flight (mean and max of the samples), and the
mock's own count of what it accepted (must equal N).

PROFILE=1 prints a perf profile of swerved during each drain.

Environment: BIN (swerved, swerve-mock; default bin/), N1K (20000), N100K
(2000), CONNS (max_connections, 32), INFLIGHT (delivery.max_inflight, 1024), POLL
(delivery.poll_interval, 5ms), ONLY (regex on "size/adapter"),
QUICK=1 (a tenth of the messages), OUT (results file; default
bench/results/http-<UTC date>.txt unless QUICK or ONLY). Everything runs on
127.0.0.1; every process started is stopped by PID.
"""

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("BIN") or os.path.join(ROOT, "bin")
QUICK = os.environ.get("QUICK") == "1"
ONLY = os.environ.get("ONLY", ".")
N1K = int(os.environ.get("N1K", "20000"))
N100K = int(os.environ.get("N100K", "2000"))
CONNS = int(os.environ.get("CONNS", "32"))
if QUICK:
    N1K, N100K = N1K // 10, N100K // 10
HZ = os.sysconf("SC_CLK_TCK")
ADAPTERS = ("smtp", "ses", "sendgrid", "mailgun", "postmark", "resend")
KEYS = {"sendgrid": "SG.mock-sendgrid-key", "mailgun": "key-mock-mailgun",
        "postmark": "mock-postmark-server-token", "resend": "re_mock_resend_key"}
PROCS = []


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


# swerved's admin plane (GET /v1/status) needs an admin key.
ADMIN_KEY = "http-bench-admin-key"


def http_json(url, method="GET", body=None, timeout=10, headers=None):
    req = urllib.request.Request(url, data=body, method=method,
                                 headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"null")


def cpu_s(pid):
    """utime + stime of pid in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def start(argv, log):
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                         stderr=subprocess.STDOUT)
    PROCS.append(p)
    return p


def stop(p, timeout=20):
    if p.poll() is None:
        os.kill(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
    if p in PROCS:
        PROCS.remove(p)
    return p.returncode


def wait_for(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out waiting for " + what)
        time.sleep(0.02)


def yaml(obj, ind=0):
    """Just enough YAML for swerved's config (maps, lists, scalars)."""
    pad = " " * ind
    out = []
    for k, v in obj.items():
        if isinstance(v, dict):
            out.append("%s%s:" % (pad, k))
            out.append(yaml(v, ind + 2))
        elif isinstance(v, list):
            out.append("%s%s:" % (pad, k))
            for e in v:
                if isinstance(e, dict):
                    first = True
                    for line in yaml(e, ind + 4).splitlines():
                        out.append((pad + "  - " + line.lstrip()) if first else line)
                        first = False
                else:
                    out.append("%s  - %s" % (pad, json.dumps(e)))
        else:
            out.append("%s%s: %s" % (pad, k, json.dumps(v)))
    return "\n".join(out)


def provider(kind, mock_http, mock_smtp, enabled):
    p = {"name": "p", "type": kind, "enabled": enabled, "max_connections": CONNS,
         "connect_timeout": "5s"}
    if kind == "smtp":
        p.update(host="127.0.0.1", port=mock_smtp, tls="none",
                 max_msgs_per_conn=100000, data_timeout="30s",
                 command_timeout="30s")
        return p
    p.update(endpoint="http://127.0.0.1:%d" % mock_http, request_timeout="30s",
             probe_interval="1h")
    if kind == "ses":
        p.update(access_key_id="AKIDEXAMPLE",
                 secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    else:
        p["api_key"] = KEYS[kind]
    if kind == "mailgun":
        p["domain"] = "mg.test"
    return p


class Run:
    """One adapter and size: fill, restart, drain, measure."""

    def __init__(self, kind, size, n, tmp):
        self.kind, self.size, self.n = kind, size, n
        self.dir = tempfile.mkdtemp(prefix="httpbench-", dir=tmp)
        self.mock_http, self.mock_smtp = free_port(), free_port()
        self.smtp, self.http = free_port(), free_port()

    def config(self, enabled):
        cfg = {
            "listen": {"smtp": "127.0.0.1:%d" % self.smtp,
                       "http": "127.0.0.1:%d" % self.http},
            "spool": {"dir": os.path.join(self.dir, "spool"), "min_free": "1MB"},
            "limits": {"max_message_size": "1MB", "max_sessions": 200},
            "smtp": {"hostname": "bench.test"},
            "submitters": {"networks": ["127.0.0.0/8"]},
            "providers": [provider(self.kind, self.mock_http, self.mock_smtp, enabled)],
            "retry": {"min_backoff": "1s", "max_backoff": "1s", "max_lifetime": "1h"},
            "log": {"level": "warn"},
            "admin_keys": [{"name": "bench", "key_sha256": hashlib.sha256(
                ADMIN_KEY.encode()).hexdigest()}],
            "delivery": {"max_inflight": int(os.environ.get("INFLIGHT", "1024")),
                         "poll_interval": os.environ.get("POLL", "5ms")},
        }
        path = os.path.join(self.dir, "swerve.yaml")
        with open(path, "w") as f:
            f.write(yaml(cfg) + "\n")
        return path

    def swerved(self, enabled, tag):
        log = open(os.path.join(self.dir, "swerved-%s.log" % tag), "ab")
        p = start([os.path.join(BIN, "swerved"), "-c", self.config(enabled)], log)
        wait_for(lambda: self.status() is not None, 30, "swerved up")
        return p

    def status(self):
        try:
            return http_json("http://127.0.0.1:%d/v1/status" % self.http, timeout=2,
                             headers={"Authorization": "Bearer " + ADMIN_KEY})
        except OSError:
            return None

    def go(self):
        log = open(os.path.join(self.dir, "mock.log"), "ab")
        mock = start([os.path.join(BIN, "swerve-mock"), "-q", "--max-store", "200",
                      "--smtp", "127.0.0.1:%d" % self.mock_smtp,
                      "--http", "127.0.0.1:%d" % self.mock_http], log)
        wait_for(lambda: _up("http://127.0.0.1:%d/healthz" % self.mock_http), 15,
                 "swerve-mock up")
        try:
            return self._measure(mock)
        finally:
            if stop(mock) != 0:
                print("  (swerve-mock exit status %s)" % mock.returncode)
            shutil.rmtree(self.dir, ignore_errors=True)

    def _measure(self, mock):
        d = self.swerved(False, "fill")
        src = subprocess.run(
            ["smtp-source", "-d", "-s", "8", "-m", str(self.n), "-l", str(self.size),
             "-f", "sender@bench.test", "-t", "rcpt@bench.test", "-S", "bench",
             "127.0.0.1:%d" % self.smtp], capture_output=True, text=True)
        if src.returncode != 0:
            raise RuntimeError("smtp-source: " + src.stderr)
        stop(d)
        d = self.swerved(True, "drain")
        perf = None
        if os.environ.get("PROFILE") == "1":
            self.perf_data = os.path.join(tmp_keep(), "perf-%s-%d.data" % (self.kind, self.size))
            perf = subprocess.Popen(["perf", "record", "--call-graph", os.environ.get("PERF_CG", "fp"), "-o", self.perf_data,
                                     "-p", str(d.pid)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
        busy, infl = [], []
        t_first = c_first = m_first = None
        deadline = time.monotonic() + 600
        while True:
            st = self.status()
            now = time.monotonic()
            sent = st["queue"]["sent"]
            if t_first is None and sent > 0:
                t_first, c_first, m_first = now, cpu_s(d.pid), cpu_s(mock.pid)
            if t_first is not None:
                busy.append(st["providers"][0].get("busy", 0))
                infl.append(st["delivery"]["inflight"])
            if sent >= self.n:
                t_last, c_last, m_last = now, cpu_s(d.pid), cpu_s(mock.pid)
                break
            if now > deadline:
                raise RuntimeError("drain stalled at %d of %d" % (sent, self.n))
            time.sleep(0.05)
        final = self.status()
        if perf is not None:
            os.kill(perf.pid, signal.SIGINT)
            perf.wait()
            rep = subprocess.run(["perf", "report", "--no-children", "--stdio",
                                  "-i", self.perf_data, "--percent-limit", "1.5",
                                  "-g", "none"], capture_output=True, text=True).stdout
            print("\n".join(l for l in rep.splitlines() if l and not l.startswith("#")))
        stop(d)
        got = mock_count(self.mock_http, self.kind)
        span = max(t_last - t_first, 1e-6)
        # Messages sent before the first sample are counted in the rate's
        # numerator only from the first sample on.
        first_sent = 1
        return {
            "msgs": self.n,
            "msg_s": (self.n - first_sent) / span,
            "cpu_ms": (c_last - c_first) * 1000 / (self.n - first_sent),
            "mock_cpu_ms": (m_last - m_first) * 1000 / (self.n - first_sent),
            "busy_mean": sum(busy) / max(len(busy), 1),
            "busy_max": max(busy or [0]),
            "inflight_max": max(infl or [0]),
            "mock_got": got,
            "sent": final["queue"]["sent"],
            "failed": final["queue"]["failed"],
            "attempts": final["delivery"]["attempts"],
        }


def tmp_keep():
    d = os.environ.get("TMPDIR", "/tmp")
    return d


def _up(url):
    try:
        urllib.request.urlopen(url, timeout=1).read()
        return True
    except OSError:
        return False


def mock_count(port, kind):
    """Messages the mock accepted through kind (API counters or SMTP)."""
    if kind == "smtp":
        st = http_json("http://127.0.0.1:%d/stats" % port)
        for k in ("accepted", "messages", "messages_accepted"):
            if isinstance(st.get(k), int):
                return st[k]
        return json.dumps(st)[:200]
    st = http_json("http://127.0.0.1:%d/stats/api" % port)
    apis = st.get("apis", st)
    return apis.get(kind, {}).get("accepted")


def main():
    for prog in ("swerved", "swerve-mock"):
        if not os.access(os.path.join(BIN, prog), os.X_OK):
            sys.exit("http_bench: %s/%s missing (set BIN)" % (BIN, prog))
    if shutil.which("smtp-source") is None:
        sys.exit("http_bench: smtp-source missing (Debian package postfix)")
    tmp = os.environ.get("TMPDIR", "/tmp")
    rows, bad = [], []
    for size, n, label in ((1024, N1K, "1k"), (102400, N100K, "100k")):
        for kind in ADAPTERS:
            name = "%s/%s" % (label, kind)
            if not re.search(ONLY, name):
                continue
            print("== %s: %d messages" % (name, n), flush=True)
            r = Run(kind, size, n, tmp).go()
            r["name"] = name
            rows.append(r)
            ok = r["sent"] == n and r["failed"] == 0 and r["mock_got"] == n
            if not ok:
                bad.append(name)
            print("   %7.0f msg/s  %.3f ms CPU/msg  in flight mean %.1f max %d  %s"
                  % (r["msg_s"], r["cpu_ms"], r["busy_mean"], r["busy_max"],
                     "ok" if ok else "MISMATCH %r" % r), flush=True)
    report(rows, bad)
    sys.exit(1 if bad else 0)


def report(rows, bad):
    lines = []
    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    load = open("/proc/loadavg").read().split()[:3]
    lines.append("swerve HTTP adapter benchmark (delivery only) - %s UTC"
                 % time.strftime("%Y-%m-%d %H:%M", time.gmtime()))
    lines.append("commit:  %s; binaries %s; max_connections %d; %d cores; "
                 "load average at the end: %s" % (head, BIN, CONNS, os.cpu_count(),
                                                  " ".join(load)))
    lines.append("chain:   spool (filled beforehand) -> swerved -> adapter -> "
                 "swerve-mock, 127.0.0.1")
    lines.append("")
    lines.append("%-14s %6s %8s %9s %9s %8s %8s %6s" % (
        "run", "msgs", "msg/s", "cpu_ms/m", "mock_ms/m", "busy_avg", "busy_max",
        "vsSMTP"))
    smtp = {r["name"].split("/")[0]: r["cpu_ms"] for r in rows
            if r["name"].endswith("/smtp")}
    for r in rows:
        base = smtp.get(r["name"].split("/")[0])
        ratio = "%.2fx" % (r["cpu_ms"] / base) if base else "-"
        lines.append("%-14s %6d %8.0f %9.3f %9.3f %8.1f %8d %6s" % (
            r["name"], r["msgs"], r["msg_s"], r["cpu_ms"], r["mock_cpu_ms"],
            r["busy_mean"], r["busy_max"], ratio))
    lines.append("")
    lines.append("columns: msg/s = delivery rate from the first to the last message "
                 "sent; cpu_ms/m = swerved CPU (utime+stime) per message over the same "
                 "span; mock_ms/m = the same for swerve-mock; busy = provider channels "
                 "in a request (HTTP requests in flight; SMTP: connections in a "
                 "transaction), sampled every 50 ms; vsSMTP = cpu_ms/m over the SMTP "
                 "adapter's at the same size")
    if bad:
        lines.append("FAILED (count mismatch): " + ", ".join(bad))
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    out = os.environ.get("OUT")
    if out is None and not QUICK and ONLY == ".":
        out = os.path.join(ROOT, "bench", "results",
                           "http-%s.txt" % time.strftime("%Y%m%d-%H%M", time.gmtime()))
    if out:
        with open(out, "w") as f:
            f.write(text)
        print("written to " + out)


if __name__ == "__main__":
    try:
        main()
    finally:
        for p in list(PROCS):
            stop(p)
