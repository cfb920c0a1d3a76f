"""Fixtures for swerve's multi-node tests (tests/cluster).

  lab       (per test) the harness's Lab: swerve-mocks, swerveds, and
            here also HAProxy and redis processes, every one stopped by
            PID at teardown
  HAProxy   Debian's haproxy running contrib/haproxy/haproxy.cfg as is,
            its addresses given through the environment (free ports)

Clients pick their own source address on loopback (127.0.0.5, .6, ...:
Linux routes all of 127/8 to lo), so one machine shows swerved several
"real" clients and a distinct load-balancer address (LB_SOURCE).
"""

import hashlib
import http.client
import json
import os
import shutil
import signal
import socket

import pytest

import swerve_harness as sh

REPO = sh.REPO
LB_SOURCE = "127.0.0.9"  # the address HAProxy connects to the nodes from
CLIENT_A = "127.0.0.5"   # a client in submitters.networks
CLIENT_B = "127.0.0.6"   # a client that is not
WEB_KEY = "cluster-web-key-0123456789abcdef"


def api_keys():
    return [{"name": "web",
             "key_sha256": hashlib.sha256(WEB_KEY.encode()).hexdigest(),
             "tenant": "webt", "from_domains": ["example.com"]}]


class HAProxy:
    """haproxy -db -f contrib/haproxy/haproxy.cfg for up to three nodes
    (a missing node points at a closed port: its checks fail)."""

    def __init__(self, workdir, nodes):
        self.smtp_port = sh.free_port()
        self.http_port = sh.free_port()
        self.log_path = os.path.join(str(workdir), "haproxy.log")
        env = dict(os.environ)
        env["SWERVE_LB_SMTP"] = "%s:%d" % (sh.HOST, self.smtp_port)
        env["SWERVE_LB_HTTP"] = "%s:%d" % (sh.HOST, self.http_port)
        env["SWERVE_LB_SOURCE"] = LB_SOURCE
        dead = sh.free_port()  # reserved, never bound
        for i in range(3):
            d = nodes[i] if i < len(nodes) else None
            n = "SWERVE_NODE%d_" % (i + 1)
            env[n + "SMTP"] = "%s:%d" % (sh.HOST, d.smtp_port if d else dead)
            env[n + "HTTP"] = "%s:%d" % (sh.HOST, d.http_port if d else dead)
            env[n + "HTTP_PORT"] = str(d.http_port if d else dead)
        self.env = env
        self.n_nodes = len(nodes)
        self.proc = None

    def down(self, backend, k):
        """Has HAProxy marked node k (1-based) of backend down?"""
        return ("Server swerve_%s/node%d is DOWN" % (backend, k)
                in self.log_text())

    def start(self, timeout=15):
        cfg = os.path.join(REPO, "contrib", "haproxy", "haproxy.cfg")
        self.proc = sh.spawn(["haproxy", "-db", "-f", cfg], self.log_path,
                             env=self.env)
        sh.wait_until(lambda: sh.port_accepts(self.smtp_port)
                      and sh.port_accepts(self.http_port), timeout,
                      what="haproxy listening")
        # Servers start up; the missing nodes' first checks take them out.
        for k in range(self.n_nodes + 1, 4):
            for b in ("smtp", "http"):
                sh.wait_until(lambda: self.down(b, k), timeout,
                              what="haproxy: node%d of %s down" % (k, b))
        return self

    def stop(self):
        if self.proc is not None:
            sh.stop_popen(self.proc, signal.SIGTERM, 10)
            self.proc = None
        return []

    def log_text(self):
        return sh.read_log(self.log_path)


class SMTPFrom(sh.SMTPConn):
    """SMTPConn from a chosen loopback source address."""

    def __init__(self, port, source, timeout=10.0, banner=True):
        self.sock = socket.create_connection((sh.HOST, port), timeout=timeout,
                                             source_address=(source, 0))
        self.timeout = timeout
        self.buf = b""
        self.caps = {}
        self.banner = self.reply() if banner else None


def http_from(port, source, method, path, body=None, headers=None,
              timeout=10):
    """(status, parsed JSON or bytes) of one request from source."""
    c = http.client.HTTPConnection(sh.HOST, port, timeout=timeout,
                                   source_address=(source, 0))
    try:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        out = r.read()
        try:
            return r.status, json.loads(out)
        except ValueError:
            return r.status, out
    finally:
        c.close()


def raw_exchange(port, source, data, timeout=5):
    """Connect from source, send data, read until the peer closes (or the
    timeout): everything the server said."""
    s = socket.create_connection((sh.HOST, port), timeout=timeout,
                                 source_address=(source, 0))
    out = b""
    try:
        if data:
            s.sendall(data)
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                out += b"<timeout>"
                break
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
    finally:
        s.close()
    return out


class Lab(sh.Lab):
    def haproxy(self, nodes):
        return self.add(HAProxy(self.tmp, nodes)).start()


@pytest.fixture(scope="session", autouse=True)
def _binaries_present():
    sh.require_binaries("swerved", "swervectl", "swerve-mock")
    for prog in ("haproxy",):
        if shutil.which(prog) is None:
            pytest.fail("%s is not installed (scripts/setup-deps.sh)" % prog)


@pytest.fixture
def lab(tmp_path):
    yield from sh.lab_fixture(Lab(tmp_path))
