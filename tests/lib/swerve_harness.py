"""swerve_harness - the machinery every integration suite of swerve uses.

Real processes on 127.0.0.1 only, each in the test's own temp dir, each
stopped by PID. tests/conftest.py puts this directory on sys.path, so a
suite imports it by name (`import swerve_harness as sh`); the suites'
own conftest.py files keep only what is theirs.

  processes   spawn() a program with its log file, stop_popen() by PID
              (SIGTERM, then SIGKILL), kill_leftovers() at exit
  ports       free_port(): a port the kernel chose (bind to port 0),
              reserved across processes until the test ends
  Daemon      one swerved: config file, start and wait until listening,
              stop / kill -9 / restart, logs, sanitizer check
  Mock        one swerve-mock (fake provider) on ports the kernel chose
  Lab         what one test starts, stopped at its end; lab_fixture()
  config      to_yaml, deep_merge, daemon_config, provider
  clients     SMTPConn (raw SMTP), submit(), http_json(), Api (swerved's
              admin API, with the admin key), swervectl(), run_swaks()
  admin key   every Daemon gets admin_keys (ADMIN_KEY, from a key file)
              and swervectl.key_file unless its config says admin_keys
              itself; ADMIN_AUTH is the header that carries it
  servers     TcpServer (threaded, for scripted peers and proxies),
              StatusPage, Program (Prometheus, Alertmanager, ...)
  spool       Spool (read the sqlite spool), split_message, ...

Why ports are reserved: swerved and the other programs the tests start
(smtp-sink, Prometheus, Alertmanager) are told a port in their config, so
a port is picked before the program binds it. free_port() asks the kernel
for one (bind to port 0) and then takes an exclusive flock on
$TMPDIR/swerve-test-ports/<port>, held until the end of the test: another
pytest process running beside this one (scripts/run-tests.sh runs suites
in parallel) that is offered the same port by the kernel in that window
skips it, and so does this process. swerve-mock needs no reservation: it
is started on port 0 and its log says which ports it got.
"""

import atexit
import base64
import errno
import fcntl
import http.server
import json
import os
import re
import signal
import socket
import sqlite3
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SWERVE_BIN = os.environ.get("SWERVE_BIN") or os.path.join(REPO, "build", "asan", "bin")
MOCK_BIN = os.environ.get("SWERVE_MOCK") or os.path.join(SWERVE_BIN, "swerve-mock")
HOST = "127.0.0.1"

# The admin key every Daemon is configured with (unless its config has
# admin_keys of its own): the admin plane needs it, swervectl reads it
# from swervectl.key_file, Api and admin_json() send it.
ADMIN_KEY = "swerve-test-admin-key-4f1c9a0e7b2d"
ADMIN_AUTH = {"Authorization": "Bearer " + ADMIN_KEY}


def write_admin_key(directory):
    """<directory>/admin.key holding ADMIN_KEY (mode 0600); its path."""
    path = os.path.join(str(directory), "admin.key")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(ADMIN_KEY + "\n")
    return path


# A queue id: 20 characters of Crockford base32 (src/core/id.h).
ID_RE = r"[0-9A-HJKMNP-TV-Z]{20}"
QUEUED_RE = re.compile(r"queued as (" + ID_RE + r")", re.I)

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer")


def bin_path(name):
    """Absolute path of a swerve program under $SWERVE_BIN."""
    return os.path.join(SWERVE_BIN, name)


def require_binaries(*progs):
    """Fail (not skip) when a program the suite needs is not built."""
    for prog in progs:
        path = bin_path(prog)
        assert os.access(path, os.X_OK), (
            "%s missing: build it (make B=... $B/asan/bin/%s) or set SWERVE_BIN"
            % (path, prog))


# --- processes -------------------------------------------------------------------

# Every process started through this module, so a crashed test run can
# still kill -9 its leftovers at exit.
STARTED = set()


def spawn(argv, log_path, **kw):
    """Start argv with stdout+stderr appended to log_path; remembered in
    STARTED until stop_popen()."""
    with open(log_path, "ab") as lf:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=lf,
                             stderr=subprocess.STDOUT, **kw)
    STARTED.add(p)
    return p


def stop_popen(p, sig=signal.SIGTERM, timeout=10.0):
    """Stop p by PID with sig (None: it was signalled already, just wait);
    SIGKILL after timeout. Returns (exit code, how): how is "stop",
    "stop-timeout" or "exited-by-itself"."""
    how = "exited-by-itself"
    if p.poll() is None:
        how = "stop"
        if sig is not None:
            try:
                os.kill(p.pid, sig)
            except ProcessLookupError:
                pass
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
            how = "stop-timeout"
    STARTED.discard(p)
    return p.returncode, how


def kill_leftovers():
    for p in list(STARTED):
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
        STARTED.discard(p)


atexit.register(kill_leftovers)


def read_log(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def wait_until(cond, timeout, interval=0.05, what="condition"):
    """Poll cond() until it returns a true value; return it. Raises
    AssertionError naming what after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s"
                                 % (timeout, what))
        time.sleep(interval)


class Program:
    """One program the tests run beside swerve (Prometheus, Alertmanager,
    an emulator...): started with its log, waited for until ready()
    returns true, stopped by PID."""

    def __init__(self, argv, log_path, ready, what, timeout=30.0, **kw):
        self.what = what
        self.log_path = log_path
        self.proc = spawn(argv, log_path, **kw)
        wait_until(lambda: self.proc.poll() is not None or ready(), timeout,
                   0.1, what + " ready")
        assert self.proc.poll() is None, "%s exited:\n%s" % (
            what, read_log(log_path)[-3000:])

    def log_text(self):
        return read_log(self.log_path)

    def stop(self, timeout=10.0):
        if self.proc is not None:
            stop_popen(self.proc, signal.SIGTERM, timeout)
            self.proc = None


def http_ok(url):
    """True if GET url answers 200 within a second."""
    try:
        return http_request(url, timeout=1)[0] == 200
    except OSError:
        return False


# --- ports -----------------------------------------------------------------------

PORT_DIR = os.path.join(tempfile.gettempdir(), "swerve-test-ports")
_reserved = {}  # port -> the open lock file that holds its flock


def _reserve(port):
    """Take port's cross-process lock; False if someone holds it (this
    process included: flock is per open file)."""
    if not _reserved:
        os.makedirs(PORT_DIR, exist_ok=True)
        try:
            os.chmod(PORT_DIR, 0o1777)  # shared by every user's test runs
        except PermissionError:
            pass
    try:
        fd = os.open(os.path.join(PORT_DIR, str(port)), os.O_RDONLY | os.O_CREAT,
                     0o644)
    except PermissionError:
        return False  # another user's file: theirs
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        os.close(fd)
        if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return False
        raise
    _reserved[port] = fd
    return True


def free_port():
    """A TCP port on 127.0.0.1 that the kernel offered (bind to port 0) and
    that no other caller of free_port, in this process or another one,
    holds: it stays reserved until release_ports() (the end of the test)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((HOST, 0))
            port = s.getsockname()[1]
        if _reserve(port):
            return port
    raise RuntimeError("no free port after 100 tries")


def release_ports():
    """Drop every reservation (the programs given them are listening by
    now, or the test is over)."""
    for fd in _reserved.values():
        os.close(fd)
    _reserved.clear()


def port_accepts(port, host=HOST, timeout=0.2):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


# --- configuration -----------------------------------------------------------

def _scalar(v):
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a YAML double-quoted scalar
    if isinstance(v, list):
        return "[" + ", ".join(_scalar(x) for x in v) + "]"
    if isinstance(v, dict) and not v:
        return "{}"
    raise TypeError("cannot emit %r" % (v,))


def _yaml_lines(obj, indent):
    pad = "  " * indent
    lines = []
    for k, v in obj.items():
        if isinstance(v, dict) and v:
            lines.append("%s%s:" % (pad, k))
            lines += _yaml_lines(v, indent + 1)
        elif isinstance(v, list) and any(isinstance(x, dict) for x in v):
            lines.append("%s%s:" % (pad, k))
            for item in v:
                sub = _yaml_lines(item, indent + 2)
                sub[0] = pad + "  - " + sub[0].lstrip()
                lines += sub
        else:
            lines.append("%s%s: %s" % (pad, k, _scalar(v)))
    return lines


def to_yaml(obj):
    """Block-style YAML for a dict of dicts/lists/scalars."""
    return "\n".join(_yaml_lines(obj, 0)) + "\n"


def deep_merge(base, over):
    """A copy of base with over applied; dicts merge, None deletes a key."""
    out = dict(base)
    for k, v in over.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def listen_config():
    """Fresh smtp and http listen addresses for one swerved."""
    return {"smtp": "%s:%d" % (HOST, free_port()),
            "http": "%s:%d" % (HOST, free_port())}


def daemon_config(tmp, providers, name="sw", retry=None, **over):
    """A complete swerved config for delivery tests: fresh ports, own
    spool, clients on 127.0.0.0/8 allowed without AUTH."""
    cfg = {
        "listen": listen_config(),
        "spool": {"dir": os.path.join(str(tmp), name, "spool"), "min_free": "1MB"},
        "limits": {"max_message_size": "1MB", "max_recipients": 100,
                   "max_sessions": 200},
        "smtp": {"hostname": "swerve.test"},
        "submitters": {"networks": ["127.0.0.0/8"]},
        "providers": providers,
        "retry": retry or {"min_backoff": "1s", "max_backoff": "2s",
                           "max_lifetime": "1h"},
        "log": {"level": "info"},
    }
    return deep_merge(cfg, over)


def provider(name, port, priority, **kw):
    """An SMTP provider entry for swerved's config; short timeouts."""
    p = {"name": name, "type": "smtp", "host": HOST, "port": port,
         "tls": "none", "priority": priority,
         "connect_timeout": "2s", "greeting_timeout": "2s",
         "command_timeout": "3s", "data_timeout": "3s",
         "max_connections": 4}
    p.update(kw)
    return p


# --- swerved -----------------------------------------------------------------

class DaemonError(Exception):
    pass


class Daemon:
    """One swerved process with its own directory, config and spool.

    The config dict is written to <dir>/swerve.yaml at each start. Logs of
    each start go to <dir>/swerved.<n>.log (stderr+stdout). With
    fresh_ports, the listen addresses are the harness's to choose: if a
    first start finds one taken (by a program outside the harness), it is
    tried again on new ones. Later starts keep the ports (tests and
    Prometheus hold them)."""

    def __init__(self, workdir, config, env=None, fresh_ports=False):
        self.dir = str(workdir)
        self.config = config
        self.config_path = os.path.join(self.dir, "swerve.yaml")
        self.env = dict(os.environ)
        self.env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1")
        self.env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        if env:
            self.env.update(env)
        self.fresh_ports = fresh_ports
        self.args = []  # extra command-line arguments for swerved
        self.proc = None
        self.starts = 0
        self.listened = False
        self.logs = []
        self.exit_codes = []  # (rc, how) for each finished run
        self.killed_runs = 0

    # ports from the config, so restarts keep them
    @property
    def smtp_port(self):
        return int(self.config["listen"]["smtp"].rsplit(":", 1)[1])

    @property
    def http_port(self):
        return int(self.config["listen"]["http"].rsplit(":", 1)[1])

    @property
    def http_url(self):
        return "http://%s:%d" % (HOST, self.http_port)

    @property
    def admin_url(self):
        """Where the admin plane is: listen.admin, else listen.http."""
        a = self.config.get("listen", {}).get("admin")
        if isinstance(a, list):
            a = a[0] if a else None
        if not a:
            return self.http_url
        return "http://%s:%d" % (HOST, int(a.rsplit(":", 1)[1]))

    def admin_json(self, path, method="GET", body=None, timeout=10):
        """(status, JSON or bytes) of an admin request with ADMIN_KEY."""
        return http_json(self.admin_url + path, method, body, timeout,
                         headers=ADMIN_AUTH)

    @property
    def spool_dir(self):
        return self.config["spool"]["dir"]

    @property
    def spool(self):
        return Spool(self.spool_dir)

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def write_config(self):
        if "admin_keys" not in self.config:
            key_file = write_admin_key(self.dir)
            self.config["admin_keys"] = [{"name": "test-admin",
                                          "key_file": key_file}]
            self.config.setdefault("swervectl", {"key_file": key_file})
        with open(self.config_path, "w") as f:
            f.write(to_yaml(self.config))

    def start(self, wait=True, timeout=30.0):
        for attempt in range(3):
            self._spawn()
            if not wait:
                return self
            try:
                self.wait_ready(timeout)
                self.listened = True
                return self
            except DaemonError:
                self.stop()
                if (not self.fresh_ports or self.listened or attempt == 2
                        or "in use" not in self.log_tail(5)):
                    raise
                # That run's failure is not the product's.
                self.exit_codes.pop()
                self.config["listen"] = listen_config()
        return self

    def _spawn(self):
        if self.alive():
            raise DaemonError("already running")
        self.write_config()
        self.starts += 1
        log = os.path.join(self.dir, "swerved.%d.log" % self.starts)
        self.logs.append(log)
        self.proc = spawn([bin_path("swerved"), "-c", self.config_path] + self.args,
                          log, env=self.env, cwd=self.dir)

    def wait_ready(self, timeout=30.0):
        """Wait until swerved logged "listening smtp/http <addr>" for its
        configured listeners and those ports accept connections (the log
        line makes sure it is our process, not another one that took the
        port meanwhile)."""
        pending = [("smtp", self.config["listen"]["smtp"])]
        if "http" in self.config.get("listen", {}):
            pending.append(("http", self.config["listen"]["http"]))
        if self.config["listen"].get("admin"):
            pending.append(("admin", self.config["listen"]["admin"]))
        deadline = time.monotonic() + timeout
        log = self.logs[-1]
        while pending:
            if self.proc.poll() is not None:
                raise DaemonError("swerved exited with %s before listening:\n%s"
                                  % (self.proc.returncode, self.log_tail()))
            kind, addr = pending[0]
            port = int(addr.rsplit(":", 1)[1])
            if ("listening %s %s" % (kind, addr)) in read_log(log) and port_accepts(port):
                pending.pop(0)
                continue
            if time.monotonic() > deadline:
                raise DaemonError("swerved not listening on %s after %.0fs:\n%s"
                                  % (pending, timeout, self.log_tail()))
            time.sleep(0.02)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=10.0, patience=3.0):
        """Stop by PID with sig; SIGKILL after timeout. Returns the exit code
        (negative for a signal, as subprocess reports it). A SIGTERM is a
        graceful stop that waits for deliveries on the wire (up to
        shutdown_timeout): after patience seconds a second SIGTERM makes
        swerved exit at once, so a test's teardown stays quick."""
        if self.proc is None:
            return None
        graceful = sig == signal.SIGTERM and self.proc.poll() is None
        if graceful:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(min(patience, timeout))
            except subprocess.TimeoutExpired:
                pass
        if graceful and self.proc.poll() is not None:
            rc, how = self.proc.returncode, "stop"
            STARTED.discard(self.proc)
        else:
            rc, how = stop_popen(self.proc, sig, timeout)
        self.exit_codes.append((rc, how))
        self.proc = None
        return rc

    def kill9(self):
        """kill -9 by PID (crash simulation)."""
        if self.proc is None:
            return
        self.exit_codes.append((stop_popen(self.proc, signal.SIGKILL)[0], "kill9"))
        self.killed_runs += 1
        self.proc = None

    def restart(self, **overrides):
        self.stop()
        if overrides:
            self.config = deep_merge(self.config, overrides)
        return self.start()

    def log_text(self):
        return "".join(read_log(path) for path in self.logs)

    def log_tail(self, n=40):
        return "\n".join(self.log_text().splitlines()[-n:])

    def wait_log(self, pattern, timeout=5.0):
        """Wait until a log line matches the regex; return the match."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.log_text())
            if m or time.monotonic() > deadline:
                return m
            time.sleep(0.05)

    def problems(self):
        """Why this daemon's runs were not clean: a non-zero exit on SIGTERM,
        an exit nobody asked for, or a sanitizer report in its logs."""
        out = []
        for rc, how in self.exit_codes:
            if how == "kill9":
                continue
            if how == "stop-timeout":
                out.append("swerved ignored SIGTERM for 10 s (killed)")
            elif how == "exited-by-itself":
                out.append("swerved exited by itself with %s" % rc)
            elif rc != 0:
                out.append("swerved exited with %s on SIGTERM" % rc)
        text = self.log_text()
        for marker in SANITIZER_MARKERS:
            if marker in text:
                out.append("sanitizer report in log: %r" % marker)
        return out

    def connect(self, **kw):
        return SMTPConn(self.smtp_port, **kw)


def run_swerved(args, timeout=30, **kw):
    """Run swerved with args (e.g. ["--check", "-c", path]) to completion."""
    return subprocess.run([bin_path("swerved")] + list(args), capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL, **kw)


def swervectl(args, timeout=30):
    return subprocess.run([bin_path("swervectl")] + list(args), capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def queue_counts(daemon, use_url=False):
    """swervectl status --json -> the 'queue' dict; asserts it ran."""
    args = (["--url", daemon.admin_url, "--key-file",
             os.path.join(daemon.dir, "admin.key")] if use_url
            else ["-c", daemon.config_path])
    r = swervectl(args + ["status", "--json"])
    assert r.returncode == 0, "swervectl failed (%d): %s %s" % (
        r.returncode, r.stdout, r.stderr)
    return json.loads(r.stdout)["queue"]


def swaks_has_tls():
    """True if swaks can do STARTTLS (needs Net::SSLeay)."""
    r = subprocess.run(["swaks", "--support"], capture_output=True, text=True,
                       timeout=30, stdin=subprocess.DEVNULL)
    return "=== TLS supported" in r.stdout + r.stderr


def run_swaks(port, *args, timeout=60):
    cmd = ["swaks", "--server", HOST, "--port", str(port),
           "--timeout", "20"] + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


# --- HTTP ----------------------------------------------------------------------

def http_request(url, method="GET", body=None, headers=None, timeout=10,
                 context=None):
    """(status, body bytes, response headers) of one HTTP request; an HTTP
    error status is an answer, not an exception. context: the ssl context
    for an https URL (e.g. one trusting a test CA)."""
    req = urllib.request.Request(url, data=body, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def http_json(url, method="GET", body=None, timeout=10, headers=None):
    """(status, parsed JSON or raw bytes) of one HTTP request."""
    code, data, hdrs = http_request(url, method, body, headers, timeout)
    if "json" in (hdrs.get("Content-Type", "") or ""):
        return code, json.loads(data or b"null")
    return code, data


class Api:
    """swerved's admin API (GET /v1/status, /v1/messages...), with the
    admin key, on the daemon's admin plane."""

    def __init__(self, daemon):
        self.d = daemon

    def status(self):
        code, obj = self.d.admin_json("/v1/status")
        assert code == 200, obj
        return obj

    def message(self, qid):
        code, obj = self.d.admin_json("/v1/messages/" + qid)
        assert code == 200, "GET /v1/messages/%s -> %s %r" % (qid, code, obj)
        return obj

    def page(self, state="all", limit=1000, after=""):
        """One page of GET /v1/messages."""
        q = "/v1/messages?state=%s&limit=%d" % (state, limit)
        if after:
            q += "&after=" + after
        code, obj = self.d.admin_json(q)
        assert code == 200, obj
        return obj["messages"]

    def list(self, state="all", limit=1000):
        """Every message in state (pages through the API)."""
        out, after = [], ""
        while True:
            page = self.page(state, limit, after)
            out += page
            if len(page) < limit:
                return out
            after = page[-1]["id"]

    def state(self, qid):
        return self.message(qid)["state"]

    def wait_state(self, qid, states, timeout):
        if isinstance(states, str):
            states = (states,)
        last = {}

        def done():
            last["m"] = self.message(qid)
            return last["m"]["state"] in states
        try:
            wait_until(done, timeout, 0.1, "message %s in %s" % (qid, states))
        except AssertionError as e:
            raise AssertionError("%s; last seen: %s" % (e, json.dumps(last.get("m"))))
        return last["m"]

    def counts(self):
        return self.status()["queue"]


class StatusPage:
    """An Atlassian Statuspage /api/v2/status.json on 127.0.0.1 (thread).

    url is .../api/v2/status.json; set(indicator, description) changes what
    it serves. hits counts the requests."""

    def __init__(self, indicator="none", description="All Systems Operational"):
        page = self
        self.indicator = indicator
        self.description = description
        self.hits = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                page.hits += 1
                body = json.dumps({
                    "page": {"id": "test", "name": "Provider",
                             "url": "http://%s" % HOST},
                    "status": {"indicator": page.indicator,
                               "description": page.description}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((HOST, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://%s:%d/api/v2/status.json" % (HOST, self.port)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.1},
                                       daemon=True)
        self.thread.start()

    def set(self, indicator, description):
        self.description = description
        self.indicator = indicator

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def sendgrid_keypair(tmp):
    """(private key PEM path, public key base64 DER) of a fresh P-256
    key, made by openssl: SendGrid's signed event webhook's key type."""
    import base64
    key = os.path.join(str(tmp), "sg-private.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-out", key], check=True,
                   capture_output=True)
    der = subprocess.run(["openssl", "pkey", "-in", key, "-pubout",
                          "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return key, base64.b64encode(der).decode()


class PostRecorder:
    """An HTTP server on 127.0.0.1 (thread) that records every POST's
    path and parsed JSON body (None when not JSON) and answers 200: a
    webhook receiver. bodies(path) lists what came to path (all: None)."""

    def __init__(self):
        rec = self
        self.got = []
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 (http.server's naming)
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                with rec.lock:
                    rec.got.append((self.path, body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((HOST, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.1},
                                       daemon=True)
        self.thread.start()

    def url(self, path="/"):
        return "http://%s:%d%s" % (HOST, self.port, path)

    def bodies(self, path=None):
        with self.lock:
            return [b for p, b in self.got if path is None or p == path]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        return []


class TcpServer:
    """A threaded TCP server on 127.0.0.1, on a port the kernel chose.

    Each connection runs serve(conn, n) in a thread of its own (n counts
    sessions from 1). A subclass sets its own attributes before calling
    TcpServer.__init__, which starts accepting. track() adds a socket
    (e.g. an upstream one) to those stop() closes with the listener."""

    def __init__(self, backlog=64):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((HOST, 0))
        self.sock.listen(backlog)
        self.port = self.sock.getsockname()[1]
        self.sessions = 0
        self.conns = []
        self.lock = threading.Lock()
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.sessions += 1
                n = self.sessions
            self.track(c)
            threading.Thread(target=self.serve, args=(c, n), daemon=True).start()

    def serve(self, conn, n):
        raise NotImplementedError

    def track(self, s):
        with self.lock:
            self.conns.append(s)
        return s

    def stop(self):
        """Close the listener and every tracked socket."""
        self.stopping = True
        try:
            self.sock.close()
        except OSError:
            pass
        with self.lock:
            conns, self.conns = self.conns, []
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                c.close()
            except OSError:
                pass


# --- swerve-mock ----------------------------------------------------------------

_paths_given = set()


def _new_path(directory, stem, ext):
    """<directory>/<stem><ext>, or <stem>.<n><ext> if that one is taken."""
    path, n = os.path.join(str(directory), stem + ext), 1
    while path in _paths_given or os.path.exists(path):
        n += 1
        path = os.path.join(str(directory), "%s.%d%s" % (stem, n, ext))
    _paths_given.add(path)
    return path


class Mock:
    """One swerve-mock process (a fake provider: SMTP and the providers'
    HTTP APIs) on ports the kernel chose: it is started on port 0 and its
    log says which. A restart keeps the ports (configs point at them).
    smtp=False starts it without an SMTP listener."""

    def __init__(self, workdir, name, mode=None, extra=(), smtp=True):
        self.name = name
        self.smtp_port = 0 if smtp else None
        self.http_port = 0
        self.log_path = _new_path(workdir, "mock-%s" % name, ".log")
        self.proc = None
        self.exit_code = None
        self.mode_arg = mode
        self.extra = list(extra)
        self.signalled = False

    def start(self, timeout=15):
        skip = len(read_log(self.log_path))
        modes = [self.mode_arg or ""] + [
            m for a, m in zip(self.extra, self.extra[1:]) if a == "--mode"]
        if self.smtp_port == 0 and any(m.startswith("refuse") for m in modes):
            # Refusing from the start, it binds nothing until told to
            # accept: the port is reserved now, so that it can.
            self.smtp_port = free_port()
        argv = [MOCK_BIN, "--http",
                "%s:%d" % (HOST, self.http_port), "--name", self.name]
        if self.smtp_port is not None:
            argv += ["--smtp", "%s:%d" % (HOST, self.smtp_port)]
        if self.mode_arg:
            argv += ["--mode", self.mode_arg]
        argv += self.extra
        self.signalled = False
        self.proc = spawn(argv, self.log_path)
        want = ["http"] + (["smtp"] if self.smtp_port is not None else [])

        def listening():
            text = read_log(self.log_path)[skip:]
            for kind in want:
                m = re.search(r"mock\[[^\]]*\]: %s listening on \S+ "
                              r"\(port (\d+)\)" % kind, text)
                if m is None:
                    return False
                setattr(self, kind + "_port", int(m.group(1)))
            return True
        try:
            wait_until(lambda: self.proc.poll() is not None or listening(),
                       timeout, 0.03, "swerve-mock %s listening" % self.name)
        except AssertionError:
            pass
        if self.proc.poll() is not None or not listening():
            raise RuntimeError("swerve-mock %s did not start:\n%s"
                               % (self.name, self.log_text()[-3000:]))
        return self

    @property
    def url(self):
        return "http://%s:%d" % (HOST, self.http_port)

    def signal_stop(self):
        """SIGTERM by PID without waiting; stop() then only waits."""
        if self.proc is not None and self.proc.poll() is None and not self.signalled:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            self.signalled = True

    def stop(self, sig=signal.SIGTERM, timeout=15.0):
        """Stop by PID; returns the exit code (0: clean, leaks included)."""
        if self.proc is not None:
            self.exit_code = stop_popen(
                self.proc, None if self.signalled else sig, timeout)[0]
            self.proc = None
        return self.exit_code

    def log_text(self):
        return read_log(self.log_path)

    def set_mode(self, mode):
        code, obj = http_json(self.url + "/mode", "PUT", mode.encode())
        assert code == 200, "mock %s: PUT /mode %r -> %s %r" % (
            self.name, mode, code, obj)
        return obj

    def messages(self):
        code, obj = http_json(self.url + "/messages")
        assert code == 200, obj
        return obj if isinstance(obj, list) else obj.get("messages", obj)

    def raw(self, mid):
        code, data = http_json(self.url + "/messages/" + mid)
        assert code == 200, "mock %s: GET /messages/%s -> %s" % (self.name, mid, code)
        return data

    def stats(self):
        return http_json(self.url + "/stats")[1]

    def clear(self):
        assert http_json(self.url + "/messages", "DELETE")[0] == 200


# --- what one test starts ---------------------------------------------------------

class Lab:
    """Everything one test starts, stopped by PID at the end (finish()).

    mock() and daemon() start swerve-mocks and swerveds in the test's
    tmp_path; add() takes anything else with a stop() method, whose return
    value, if a list, is a list of problems."""

    prefix = "sw"

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.mocks = []
        self.daemons = []
        self.others = []

    def mock(self, name="m1", mode=None, extra=()):
        m = Mock(self.tmp, name, mode, extra)
        self.mocks.append(m)
        return m.start()

    def swerved(self, config, env=None, start=True, fresh_ports=True):
        """A Daemon in <tmp>/<prefix><n>, started unless start=False."""
        workdir = self.tmp / self.next_name()
        workdir.mkdir(parents=True, exist_ok=True)
        d = Daemon(workdir, config, env=env, fresh_ports=fresh_ports)
        self.daemons.append(d)
        if start:
            d.start()
        return d

    def next_name(self):
        return "%s%d" % (self.prefix, len(self.daemons))

    def daemon(self, providers, start=True, env=None, **kw):
        """A swerved with daemon_config(providers, **kw)."""
        cfg = daemon_config(self.tmp, providers, self.next_name(), **kw)
        return self.swerved(cfg, env, start, fresh_ports="listen" not in kw)

    def add(self, obj):
        self.others.append(obj)
        return obj

    def finish(self):
        """Stop everything; the list of what was not clean. swerved goes
        first, while its providers are still up: a provider closing its
        connections at the moment swerved gets SIGTERM makes swerved leak
        them at exit (a deferred smtpc callback still queued when the loop
        stops keeps a reference), which is not what tests are about."""
        problems = []
        for d in self.daemons:
            d.stop()
            for p in d.problems():
                problems.append("%s: %s\n--- log tail ---\n%s"
                                % (d.dir, p, d.log_tail(30)))
        for m in self.mocks:
            rc = m.stop()
            if rc not in (0, None):
                problems.append("swerve-mock %s exited %s on SIGTERM:\n%s"
                                % (m.name, rc, m.log_text()[-2000:]))
        for o in self.others:
            problems += o.stop() or []
        return problems


def lab_fixture(lab):
    """The body of a per-test lab fixture: yields lab, then finishes it
    and fails the test if anything was not clean."""
    import pytest
    yield lab
    problems = lab.finish()
    if problems:
        pytest.fail("processes not clean:\n" + "\n".join(problems), pytrace=False)


# --- submission -------------------------------------------------------------------

def submit(daemon, sender, rcpts, msg, conn=None):
    """One message through swerved's SMTP port; returns the queue id."""
    c = conn or SMTPConn(daemon.smtp_port, timeout=30)
    try:
        if conn is None:
            assert c.ehlo("client.test").code == 250
        rs = c.mail(sender, rcpts, msg)
        assert rs[-1].code == 250, "submission refused: %s" % rs
        qid = rs[-1].queue_id()
        assert qid, rs[-1]
        return qid
    finally:
        if conn is None:
            try:
                c.cmd("QUIT")
            except (OSError, SMTPClosed):
                pass
            c.close()


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


def log_lines(daemon, pattern):
    rx = re.compile(pattern)
    return [l for l in daemon.log_text().splitlines() if rx.search(l)]


# --- raw SMTP ------------------------------------------------------------------

class Reply:
    """One SMTP reply: code (int), lines (texts after the code)."""

    def __init__(self, code, lines):
        self.code = code
        self.lines = lines

    @property
    def text(self):
        return "\n".join(self.lines)

    @property
    def first(self):
        return self.lines[0] if self.lines else ""

    def queue_id(self):
        m = QUEUED_RE.search(self.text)
        return m.group(1) if m else None

    def __str__(self):
        return "\n".join("%d %s" % (self.code, l) for l in self.lines)

    __repr__ = __str__


class SMTPClosed(Exception):
    pass


class SMTPConn:
    """A raw SMTP client over one socket; bytes go out exactly as given."""

    def __init__(self, port, host="127.0.0.1", timeout=10.0, banner=True):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.timeout = timeout
        self.buf = b""
        self.caps = {}
        self.banner = self.reply() if banner else None

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise SMTPClosed("connection closed by server; unread %r" % self.buf)
        self.buf += chunk

    def readline(self):
        while b"\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self):
        """Read one (possibly multi-line) reply."""
        lines = []
        while True:
            line = self.readline()
            m = re.match(r"^(\d{3})([ -]?)(.*)$", line)
            if not m:
                raise AssertionError("malformed reply line %r" % line)
            lines.append(m.group(3))
            if m.group(2) != "-":
                return Reply(int(m.group(1)), lines)

    def replies(self, n):
        return [self.reply() for _ in range(n)]

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def ehlo(self, name="client.test"):
        r = self.cmd("EHLO " + name)
        if r.code == 250:
            self.caps = {}
            for l in r.lines[1:]:
                parts = l.split(None, 1)
                if parts:
                    self.caps[parts[0].upper()] = parts[1] if len(parts) > 1 else ""
        return r

    def starttls(self, ctx=None, expect_clean=True):
        r = self.cmd("STARTTLS")
        if r.code != 220:
            return r
        self.tls_handshake(ctx, expect_clean)
        return r

    def tls_handshake(self, ctx=None, expect_clean=True):
        if expect_clean and self.buf:
            raise AssertionError("plaintext after the 220 to STARTTLS: %r" % self.buf)
        self.buf = b""
        self.sock = (ctx or client_tls_context()).wrap_socket(
            self.sock, server_hostname="localhost")
        self.caps = {}

    def auth_plain(self, user, password, initial=True):
        tok = base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()
        if initial:
            return self.cmd("AUTH PLAIN " + tok)
        r = self.cmd("AUTH PLAIN")
        if r.code != 334:
            return r
        return self.cmd(tok)

    def auth_login(self, user, password):
        r = self.cmd("AUTH LOGIN")
        if r.code != 334:
            return r
        r = self.cmd(base64.b64encode(user.encode()).decode())
        if r.code != 334:
            return r
        return self.cmd(base64.b64encode(password.encode()).decode())

    def send_data(self, message, stuff=True):
        """After a 354: send message (bytes, CRLF line ends), dot-stuffed
        if stuff, then the end of data. Returns the reply."""
        if isinstance(message, str):
            message = message.encode("utf-8")
        if stuff:
            message = dot_stuff(message)
        if not message.endswith(b"\r\n"):
            message += b"\r\n"
        self.send(message + b".\r\n")
        return self.reply()

    def mail(self, sender, rcpts, message, mail_params=""):
        """One full transaction; returns the list of replies (stops early
        at the first unexpected one). The last one is DATA's final reply."""
        out = [self.cmd("MAIL FROM:<%s>%s" % (sender, mail_params))]
        if out[-1].code != 250:
            return out
        ok = 0
        for r in rcpts:
            out.append(self.cmd("RCPT TO:<%s>" % r))
            ok += out[-1].code == 250
        if not ok:
            return out
        out.append(self.cmd("DATA"))
        if out[-1].code != 354:
            return out
        out.append(self.send_data(message))
        return out

    def read_all(self, timeout=3.0):
        """Everything the server sends until it closes (or timeout)."""
        return self.wait_closed(timeout)[1]

    def wait_closed(self, timeout=5.0):
        """(closed?, bytes received meanwhile) within timeout."""
        self.sock.settimeout(timeout)
        data = self.buf
        self.buf = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True, data
                data += chunk
        except socket.timeout:
            return False, data
        except (ConnectionResetError, BrokenPipeError):
            return True, data
        except ssl.SSLError:
            return True, data
        finally:
            self.sock.settimeout(self.timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


def dot_stuff(message):
    """RFC 5321 4.5.2 transparency: a leading '.' on a line is doubled."""
    lines = message.split(b"\r\n")
    return b"\r\n".join((b"." + l if l.startswith(b".") else l) for l in lines)


def client_tls_context(cafile=None):
    """A client context; verifies against cafile if given."""
    if cafile:
        ctx = ssl.create_default_context(cafile=cafile)
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def make_cert(directory):
    """Self-signed cert+key for CN=localhost via the openssl CLI."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-subj", "/CN=localhost", "-days", "1",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", key, "-out", cert],
        check=True, capture_output=True, timeout=60)
    return cert, key


def make_ca(directory, name="ca"):
    """A test certificate authority: (cert, key) PEM paths in directory."""
    cert = os.path.join(directory, name + ".pem")
    key = os.path.join(directory, name + ".key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-subj", "/CN=swerve test CA %s" % name, "-days", "1",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign",
         "-keyout", key, "-out", cert],
        check=True, capture_output=True, timeout=60)
    return cert, key


def make_leaf(directory, ca, name="server"):
    """A server certificate for localhost and 127.0.0.1 signed by ca (as
    make_ca returns it): (cert, key) PEM paths in directory. Each call
    makes a new key and serial, so two leaves are told apart."""
    cert = os.path.join(directory, name + ".pem")
    key = os.path.join(directory, name + ".key")
    csr = os.path.join(directory, name + ".csr")
    ext = os.path.join(directory, name + ".ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                "extendedKeyUsage=serverAuth\n")
    subprocess.run(
        ["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes",
         "-subj", "/CN=localhost", "-keyout", key, "-out", csr],
        check=True, capture_output=True, timeout=60)
    subprocess.run(
        ["openssl", "x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1],
         "-CAcreateserial", "-days", "1", "-extfile", ext, "-out", cert],
        check=True, capture_output=True, timeout=60)
    return cert, key


def message(subject="test", body="hello\r\n", headers=None, mid=True, date=True,
            sender="a@example.com", to="b@example.net"):
    """A small RFC 5322 message as bytes with CRLF line ends."""
    h = ["From: <%s>" % sender, "To: <%s>" % to, "Subject: %s" % subject]
    if mid:
        h.append("Message-ID: <%s.%f@client.test>" % (subject.replace(" ", "."), time.time()))
    if date:
        h.append("Date: Thu, 27 Nov 2025 10:00:00 +0000")
    h += headers or []
    if isinstance(body, str):
        body = body.encode("utf-8")
    return ("\r\n".join(h) + "\r\n\r\n").encode("utf-8") + body


# --- the spool database --------------------------------------------------------

class Spool:
    """Read access to <dir>/spool.db (works while swerved runs: WAL)."""

    MSG_COLS = ("msg_id", "message_id", "message", "mid", "msg")
    ADDR_COLS = ("rcpt", "address", "recipient", "addr", "email", "rcpt_to")

    def __init__(self, directory):
        self.path = os.path.join(directory, "spool.db")

    def _connect(self):
        assert os.path.exists(self.path), "no spool database at %s" % self.path
        db = sqlite3.connect(self.path, timeout=10)
        db.execute("PRAGMA query_only=1")
        db.row_factory = sqlite3.Row
        return db

    def count(self):
        db = self._connect()
        try:
            return db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        finally:
            db.close()

    def messages(self):
        """{id: dict(row)} of every stored message."""
        db = self._connect()
        try:
            # Bodies are kept in their own table (schema version 2).
            return {r["id"]: dict(r) for r in db.execute(
                "SELECT m.*, b.body FROM messages m"
                " LEFT JOIN bodies b ON b.id = m.id")}
        finally:
            db.close()

    def message(self, msg_id):
        return self.messages().get(msg_id)

    def body(self, msg_id):
        m = self.message(msg_id)
        assert m is not None, "message %s not in spool" % msg_id
        return spool_body_bytes(m)

    def recipients(self, msg_id):
        """Recipient addresses of msg_id (column names found by looking)."""
        db = self._connect()
        try:
            cols = [r[1] for r in db.execute("PRAGMA table_info(recipients)")]
            fk = next((c for c in self.MSG_COLS if c in cols), None)
            addr = next((c for c in self.ADDR_COLS if c in cols), None)
            assert fk and addr, "recipients table columns not understood: %s" % cols
            order = " ORDER BY idx" if "idx" in cols else ""
            return [r[0] for r in db.execute(
                "SELECT %s FROM recipients WHERE %s = ?%s" % (addr, fk, order),
                (msg_id,))]
        finally:
            db.close()


def spool_body_bytes(row):
    """The body column of a messages row as bytes."""
    b = row["body"]
    return b.encode("utf-8") if isinstance(b, str) else bytes(b)


def split_message(raw):
    """(header lines unfolded as [(name, value)], body bytes)."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        head, body = raw, b""
    fields = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            n, v = fields[-1]
            fields[-1] = (n, v + b"\r\n" + line)
        else:
            n, _, v = line.partition(b":")
            fields.append((n, v))
    return [(n.decode("latin-1"), v.decode("latin-1")) for n, v in fields], body


def strip_received(stored):
    """Split a stored message into (leading Received header bytes, rest).
    The Received header may be folded over several lines."""
    assert stored.lower().startswith(b"received:"), \
        "stored message does not start with a Received header: %r" % stored[:200]
    end = stored.index(b"\r\n") + 2
    while stored[end:end + 1] in (b" ", b"\t"):
        end = stored.index(b"\r\n", end) + 2
    return stored[:end], stored[end:]
