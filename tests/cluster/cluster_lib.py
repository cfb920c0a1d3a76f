"""cluster_lib - the machinery of swerve's multi-node tests (tests/cluster).

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
        self.log_path = os.path.join(str(workdir),
                                     "haproxy-%d.log" % self.smtp_port)
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


class Redis:
    """redis-server (or redis-sentinel) on a reserved loopback port, in
    its own directory, no persistence; stopped by PID."""

    def __init__(self, workdir, name, port=None, extra=(), sentinel=False):
        self.dir = os.path.join(str(workdir), name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = port or sh.free_port()
        self.name = name
        self.extra = list(extra)
        self.sentinel = sentinel
        self.log_path = os.path.join(self.dir, "log")
        self.proc = None

    @property
    def addr(self):
        return "%s:%d" % (sh.HOST, self.port)

    def start(self, timeout=10):
        conf = os.path.join(self.dir, "redis.conf")
        lines = ["port %d" % self.port, "bind %s" % sh.HOST,
                 "dir %s" % self.dir, "protected-mode no"]
        if not self.sentinel:
            lines += ["save \"\"", "appendonly no"]
        lines += self.extra
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        prog = "redis-sentinel" if self.sentinel else "redis-server"
        self.proc = sh.spawn([prog, conf], self.log_path, cwd=self.dir)
        sh.wait_until(lambda: self.proc.poll() is not None or
                      sh.port_accepts(self.port), timeout,
                      what="%s listening" % self.name)
        assert self.proc.poll() is None, sh.read_log(self.log_path)
        return self

    def cmd(self, *args, timeout=5):
        """One command with redis-cli; its output (stripped)."""
        import subprocess
        r = subprocess.run(["redis-cli", "-h", sh.HOST, "-p", str(self.port)]
                           + [str(a) for a in args], capture_output=True,
                           text=True, timeout=timeout)
        return r.stdout.strip()

    def kill9(self):
        if self.proc is not None:
            sh.stop_popen(self.proc, signal.SIGKILL, 10)
            self.proc = None

    def stop(self):
        if self.proc is not None:
            sh.stop_popen(self.proc, signal.SIGTERM, 10)
            self.proc = None
        return []


class Lab(sh.Lab):
    def haproxy(self, nodes):
        return self.add(HAProxy(self.tmp, nodes)).start()

    def redis(self, name="redis", port=None, extra=(), sentinel=False):
        return self.add(Redis(self.tmp, name, port, extra, sentinel)).start()

    def node(self, providers, node_id, cluster, **over):
        """A swerved in the cluster: node_id, fast heartbeats."""
        c = {"node_id": node_id, "heartbeat": "200ms",
             "node_timeout": "2s", "connect_timeout": "1s"}
        c.update(cluster)
        over.setdefault("cluster", c)
        # HAProxy may stand in front (PROXY v2 from LB_SOURCE).
        over.setdefault("listen", dict(sh.listen_config(),
                                       load_balancers=[LB_SOURCE + "/32"]))
        return self.daemon(providers, **over)


def fleet(d):
    """GET /v1/fleet of d (admin key)."""
    code, obj = d.admin_json("/v1/fleet")
    assert code == 200, (code, obj)
    return obj


def wait_fleet(nodes, n, timeout=20):
    """Wait until every node of nodes sees Redis up and n nodes alive."""
    sh.wait_until(lambda: all(fleet(d)["redis"] == "up" and
                              fleet(d)["nodes_alive"] == n for d in nodes),
                  timeout, what="%d nodes in the fleet" % n)


def provider_state(d, name):
    """(state, reason) of provider name on d."""
    code, obj = d.admin_json("/v1/providers")
    assert code == 200, (code, obj)
    for p in obj["providers"]:
        if p["name"] == name:
            return p["state"], p["reason"]
    raise AssertionError("no provider %s" % name)
