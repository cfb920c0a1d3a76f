"""Fixtures for the outbound webhook tests (events.webhooks).

  lab        (per test) swerve-mocks, swerved daemons and receivers in the
             test's tmp_path; everything is stopped by PID at teardown and
             the test errors if a swerved exited non-zero on SIGTERM, died
             by itself, or left an ASan/UBSan report.
  Receiver   a local HTTP server (http.server, in a thread) that records
             every request and answers as told: "ok" (200), "fail" (500),
             "hang" (reads the request, never answers: the sender's
             timeout), or is closed (the port refuses) and reopened on the
             same port.
  verify     checks recorded requests with the official standardwebhooks
             npm package (tests/sdk/setup-npm-webhooks.sh; skips saying why
             when npm or the registry is unreachable).

The machinery for mocks and daemons is tests/lib/swerve_harness.py.
"""

import base64
import json
import os
import shutil
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import swerve_harness as sh

HERE = os.path.dirname(os.path.abspath(__file__))
SDK = os.path.join(os.path.dirname(HERE), "sdk")


@pytest.fixture(scope="session", autouse=True)
def _binaries_present():
    sh.require_binaries("swerved", "swerve-mock")


class Receiver:
    """An HTTP server on 127.0.0.1 that records requests and answers as
    its mode says. close() frees the port (connections are refused),
    reopen() serves on the same port again."""

    def __init__(self, mode="ok"):
        self.mode = mode
        self.requests = []  # path, headers, body (bytes), at, answered
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.port = 0
        self.server = None
        self._open()

    def _open(self):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):  # noqa: N802 (http.server's naming)
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                if len(body) < n:
                    # cut short (the sender was killed mid-request): not
                    # received; the sender sends it again after a restart
                    self.close_connection = True
                    return
                mode = outer.mode
                rec = {"path": self.path, "body": body, "at": time.time(),
                       "headers": {k.lower(): v
                                   for k, v in self.headers.items()},
                       "answered": 200 if mode == "ok" else None}
                with outer.lock:
                    outer.requests.append(rec)
                if mode == "hang":
                    outer.release.wait(60)
                    return
                code = 200 if mode == "ok" else 500
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def reopen(self, mode="ok"):
        self.mode = mode
        self.release = threading.Event()
        self._open()

    def got(self, path=None):
        with self.lock:
            return [r for r in self.requests
                    if path is None or r["path"] == path]

    def ok(self, path=None):
        """The requests answered 200, with their JSON bodies."""
        return [(r, json.loads(r["body"])) for r in self.got(path)
                if r["answered"] == 200]

    def stop(self):
        try:
            self.close()
        except Exception:  # already closed
            pass


class Lab(sh.Lab):
    def receiver(self, mode="ok"):
        return self.add(Receiver(mode))


@pytest.fixture
def lab(tmp_path):
    yield from sh.lab_fixture(Lab(tmp_path))


_npm = {}


@pytest.fixture(scope="session")
def verify():
    """verify(secret, requests) -> list of (ok, error) from the official
    standardwebhooks package."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    if "rc" not in _npm:
        p = subprocess.run(["bash", os.path.join(SDK,
                                                 "setup-npm-webhooks.sh")],
                           capture_output=True, text=True, timeout=900)
        _npm["rc"], _npm["err"] = p.returncode, p.stderr
    if _npm["rc"] == 2:
        pytest.skip("npm registry unreachable, standardwebhooks not "
                    "installed: %s" % _npm["err"].strip()[-300:])
    assert _npm["rc"] == 0, _npm["err"]

    def run(secret, requests):
        doc = {"secret": secret, "requests": [
            {"headers": r["headers"],
             "body": base64.b64encode(r["body"]).decode()}
            for r in requests]}
        p = subprocess.run(["node", os.path.join(HERE, "verify.js")],
                           input=json.dumps(doc), capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        return [(o["ok"], o.get("error")) for o in json.loads(p.stdout)]
    return run
