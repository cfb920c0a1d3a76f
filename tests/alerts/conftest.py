"""Fixtures for the built-in alerting tests.

  lab        (per test) swerve-mocks, swerved daemons, HTTP receivers and
             Alertmanagers inside the test's tmp_path; at teardown every
             process it started is stopped by PID, every receiver closed,
             and the test errors if a swerved exited non-zero on SIGTERM,
             died by itself, or left an ASan/UBSan report.
  Receiver   a local HTTP server (thread) that records every request and
             answers as told: "ok" (200), "fail" (503), "hang" (never).

The machinery for mocks and daemons is tests/delivery/delivery_helpers
(imported read-only), the same as the delivery tests use.
"""

import atexit
import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "delivery"))

import delivery_helpers as dh  # noqa: E402  (read-only shared helpers)
from delivery_helpers import sh  # noqa: E402

atexit.register(dh.kill_leftovers)
atexit.register(sh.kill_leftovers)

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
_AM_STARTED = set()


def _kill_am_leftovers():
    for p in list(_AM_STARTED):
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
            p.wait()


atexit.register(_kill_am_leftovers)


@pytest.fixture(scope="session", autouse=True)
def _alerts_binaries_present():
    for prog in ("swerved", "swerve-mock"):
        path = sh.bin_path(prog)
        assert os.access(path, os.X_OK), (
            "%s missing: build it (make B=... $B/asan/bin/%s) or set SWERVE_BIN"
            % (path, prog))


class Receiver:
    """An HTTP server on 127.0.0.1 that records requests.

    mode: "ok" answers 200, "fail" answers 503, "hang" reads the request
    and never answers (until stop)."""

    def __init__(self, mode="ok"):
        self.mode = mode
        self.requests = []  # dicts: path, headers, body (bytes), at
        self.lock = threading.Lock()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with outer.lock:
                    outer.requests.append({
                        "path": self.path, "body": body, "at": time.time(),
                        "headers": {k.lower(): v for k, v in self.headers.items()}})
                if outer.mode == "hang":
                    outer.release.wait(60)
                    return
                code = 200 if outer.mode == "ok" else 503
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def got(self, path=None):
        with self.lock:
            return [r for r in self.requests if path is None or r["path"] == path]

    def json(self, path=None):
        return [json.loads(r["body"]) for r in self.got(path)]

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class Alertmanager:
    """prometheus-alertmanager on a fresh loopback port, no clustering."""

    def __init__(self, workdir):
        self.dir = os.path.join(str(workdir), "alertmanager")
        os.makedirs(os.path.join(self.dir, "data"), exist_ok=True)
        self.port = sh.free_port()
        cfg = os.path.join(self.dir, "alertmanager.yml")
        with open(cfg, "w") as f:
            f.write("route:\n  receiver: blackhole\n  group_wait: 1s\n"
                    "receivers:\n  - name: blackhole\n")
        self.log_path = os.path.join(self.dir, "log")
        argv = [ALERTMANAGER, "--config.file=" + cfg,
                "--storage.path=" + os.path.join(self.dir, "data"),
                "--web.listen-address=127.0.0.1:%d" % self.port,
                "--cluster.listen-address=", "--log.level=warn"]
        with open(self.log_path, "ab") as lf:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                         stdout=lf, stderr=subprocess.STDOUT)
        _AM_STARTED.add(self.proc)
        dh.wait_until(lambda: self._ready() or self.proc.poll() is not None,
                      30, 0.1, "alertmanager ready")
        assert self.proc.poll() is None, open(self.log_path).read()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def _ready(self):
        try:
            return dh.http_json(self.url + "/-/ready", timeout=1)[0] == 200
        except OSError:
            return False

    def alerts(self):
        code, obj = dh.http_json(self.url + "/api/v2/alerts")
        assert code == 200, obj
        return obj

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        _AM_STARTED.discard(self.proc)


class Lab:
    """Everything one test starts, stopped by PID at the end."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.mocks = []
        self.daemons = []
        self.receivers = []
        self.ams = []

    def mock(self, name, mode=None, extra=()):
        m = dh.Mock(self.tmp, name, mode, extra)
        self.mocks.append(m)
        return m.start()

    def receiver(self, mode="ok"):
        r = Receiver(mode)
        self.receivers.append(r)
        return r

    def alertmanager(self):
        if not os.access(ALERTMANAGER, os.X_OK):
            pytest.skip("prometheus-alertmanager is not installed "
                        "(scripts/setup-deps.sh)")
        am = Alertmanager(self.tmp)
        self.ams.append(am)
        return am

    def daemon(self, providers, start=True, **kw):
        name = "sw%d" % len(self.daemons)
        workdir = self.tmp / name
        workdir.mkdir(parents=True, exist_ok=True)
        d = sh.Daemon(workdir, dh.daemon_config(self.tmp, providers, name, **kw))
        self.daemons.append(d)
        if start:
            d.start()
        return d

    def finish(self):
        problems = []
        for d in self.daemons:
            d.stop()
            for p in d.problems():
                problems.append("%s: %s\n--- log tail ---\n%s"
                                % (d.dir, p, d.log_tail(30)))
        for m in self.mocks:
            rc = m.stop()
            if rc not in (0, None):
                problems.append("swerve-mock %s exited %s on SIGTERM"
                                % (m.name, rc))
        for r in self.receivers:
            r.stop()
        for am in self.ams:
            am.stop()
        return problems


@pytest.fixture
def lab(tmp_path):
    lb = Lab(tmp_path)
    yield lb
    problems = lb.finish()
    if problems:
        pytest.fail("processes not clean:\n" + "\n".join(problems), pytrace=False)


def alerts(daemon):
    """GET /v1/alerts of a daemon."""
    code, obj = dh.http_json(daemon.http_url + "/v1/alerts")
    assert code == 200, obj
    return obj
