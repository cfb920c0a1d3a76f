"""Fixtures for the built-in alerting tests.

  lab        (per test) swerve-mocks, swerved daemons, HTTP receivers and
             Alertmanagers inside the test's tmp_path; at teardown every
             process it started is stopped by PID, every receiver closed,
             and the test errors if a swerved exited non-zero on SIGTERM,
             died by itself, or left an ASan/UBSan report.
  Receiver   a local HTTP server (thread) that records every request and
             answers as told: "ok" (200), "fail" (503), "hang" (never).

The machinery for mocks and daemons is tests/lib/swerve_harness.py.
"""

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import swerve_harness as sh

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"


@pytest.fixture(scope="session", autouse=True)
def _alerts_binaries_present():
    sh.require_binaries("swerved", "swerve-mock")


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


class Alertmanager(sh.Program):
    """prometheus-alertmanager on a fresh loopback port, no clustering."""

    def __init__(self, workdir):
        self.dir = os.path.join(str(workdir), "alertmanager")
        os.makedirs(os.path.join(self.dir, "data"), exist_ok=True)
        self.port = sh.free_port()
        cfg = os.path.join(self.dir, "alertmanager.yml")
        with open(cfg, "w") as f:
            f.write("route:\n  receiver: blackhole\n  group_wait: 1s\n"
                    "receivers:\n  - name: blackhole\n")
        argv = [ALERTMANAGER, "--config.file=" + cfg,
                "--storage.path=" + os.path.join(self.dir, "data"),
                "--web.listen-address=127.0.0.1:%d" % self.port,
                "--cluster.listen-address=", "--log.level=warn"]
        super().__init__(argv, os.path.join(self.dir, "log"),
                         lambda: sh.http_ok(self.url + "/-/ready"),
                         "alertmanager")

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def alerts(self):
        code, obj = sh.http_json(self.url + "/api/v2/alerts")
        assert code == 200, obj
        return obj


class Lab(sh.Lab):
    """The harness's lab, plus HTTP receivers and Alertmanagers."""

    def receiver(self, mode="ok"):
        return self.add(Receiver(mode))

    def alertmanager(self):
        if not os.access(ALERTMANAGER, os.X_OK):
            pytest.skip("prometheus-alertmanager is not installed "
                        "(scripts/setup-deps.sh)")
        return self.add(Alertmanager(self.tmp))


@pytest.fixture
def lab(tmp_path):
    yield from sh.lab_fixture(Lab(tmp_path))


def alerts(daemon):
    """GET /v1/alerts of a daemon."""
    code, obj = daemon.admin_json("/v1/alerts")
    assert code == 200, obj
    return obj
