"""delivery_helpers - machinery for the delivery engine's integration tests.

Real processes on 127.0.0.1 only. Builds on tests/integration/swerve_helpers
(Daemon, free_port, SMTPConn, ...), which is imported read-only; what the
delivery tests need on top of it lives here:

  Mock            one swerve-mock process (fake provider): mode, messages,
                  raw bytes, stats; stopped by PID
  Sink            one Postfix smtp-sink process (an independent upstream),
                  optionally dumping every transaction to a directory
  HostileServer   a Python SMTP server (threads + sockets) that answers
                  with malformed or oversized replies
  provider(...)   a provider entry for the config
  submit(...)     one message through swerved's SMTP port -> queue id
  Api             swerved's admin HTTP API: status, message, list
  wait_until(...) poll a condition with a deadline
  rss_kb(pid)     VmRSS of a process

Every process started here is remembered in STARTED so the conftest can
kill -9 leftovers by PID.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

import swerve_helpers as sh  # noqa: E402  (read-only shared helpers)

HOST = "127.0.0.1"
STARTED = set()  # Popen objects of mocks/sinks still possibly running


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


def _stop_popen(p, sig=signal.SIGTERM, timeout=10.0):
    """Stop p by PID with sig (None: it was signalled already, just wait);
    SIGKILL after timeout. Returns its exit code."""
    if p.poll() is None:
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
    STARTED.discard(p)
    return p.returncode


def kill_leftovers():
    for p in list(STARTED):
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
        STARTED.discard(p)


def http_json(url, method="GET", body=None, timeout=10):
    """(status, parsed JSON or raw bytes) of one HTTP request."""
    req = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            code, data, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        code, data, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
    if "json" in (ctype or ""):
        return code, json.loads(data or b"null")
    return code, data


# --- swerve-mock --------------------------------------------------------------

class Mock:
    """One swerve-mock process on fresh loopback ports."""

    def __init__(self, workdir, name, mode=None, extra=()):
        self.name = name
        self.smtp_port = sh.free_port()
        self.http_port = sh.free_port()
        self.log_path = os.path.join(str(workdir), "mock-%s.log" % name)
        self.proc = None
        self.exit_code = None
        self.mode_arg = mode
        self.extra = list(extra)
        self.signalled = False

    def start(self):
        argv = [sh.bin_path("swerve-mock"), "--smtp",
                "%s:%d" % (HOST, self.smtp_port), "--http",
                "%s:%d" % (HOST, self.http_port), "--name", self.name]
        if self.mode_arg:
            argv += ["--mode", self.mode_arg]
        argv += self.extra
        with open(self.log_path, "ab") as lf:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                         stdout=lf, stderr=subprocess.STDOUT)
        STARTED.add(self.proc)
        deadline = time.monotonic() + 15
        while True:
            try:
                if http_json(self.url + "/healthz", timeout=1)[0] == 200:
                    return self
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("swerve-mock %s did not start:\n%s"
                                   % (self.name, self.log_text()[-3000:]))
            time.sleep(0.03)

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

    def stop(self):
        if self.proc is not None:
            self.exit_code = _stop_popen(
                self.proc, None if self.signalled else signal.SIGTERM)
            self.proc = None
        return self.exit_code

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

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


def provider(name, port, priority, **kw):
    """A provider entry for swerved's config; short timeouts for tests."""
    p = {"name": name, "type": "smtp", "host": HOST, "port": port,
         "tls": "none", "priority": priority,
         "connect_timeout": "2s", "greeting_timeout": "2s",
         "command_timeout": "3s", "data_timeout": "3s",
         "max_connections": 4}
    p.update(kw)
    return p


# --- Postfix smtp-sink --------------------------------------------------------

SMTP_SINK = "/usr/sbin/smtp-sink"


class Sink:
    """smtp-sink on a fresh port; dump_dir gets one file per transaction."""

    def __init__(self, workdir, options=(), dump=True):
        self.port = sh.free_port()
        # smtp-sink runs as nobody, and pytest's tmp dirs are 0700: dump
        # into a world-writable dir of our own under /tmp (removed at stop)
        self.dump_dir = tempfile.mkdtemp(prefix="swerve-sink-")
        os.chmod(self.dump_dir, 0o777)
        self.log_path = os.path.join(str(workdir), "sink-%d.log" % self.port)
        argv = [SMTP_SINK, "-u", "nobody"]
        if dump:
            argv += ["-d", os.path.join(self.dump_dir, "m.")]
        argv += list(options) + ["%s:%d" % (HOST, self.port), "100"]
        with open(self.log_path, "ab") as lf:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                         stdout=lf, stderr=subprocess.STDOUT)
        STARTED.add(self.proc)
        wait_until(lambda: sh.port_accepts(self.port) or self.proc.poll() is not None,
                   10, what="smtp-sink listening")
        assert self.proc.poll() is None, "smtp-sink exited: %s" % open(self.log_path).read()

    def stop(self):
        if self.proc is not None:
            _stop_popen(self.proc)
            self.proc = None
        shutil.rmtree(self.dump_dir, ignore_errors=True)

    def dumps(self):
        """[(X-Rcpt-Args list, message bytes as received)] of every file.
        The dump uses LF line ends; the message part is returned with CRLF
        restored (the sink strips CR) minus the final empty line."""
        out = []
        for fn in sorted(os.listdir(self.dump_dir)):
            with open(os.path.join(self.dump_dir, fn), "rb") as f:
                data = f.read()
            lines = data.split(b"\n")
            rcpts, mail, i = [], None, 0
            while i < len(lines):
                l = lines[i]
                if l.startswith(b"X-Rcpt-Args: "):
                    rcpts.append(l[13:].decode())
                elif l.startswith(b"X-Mail-Args: "):
                    mail = l[13:].decode()
                elif l.startswith(b"Received: from "):
                    i += 3  # the sink's own three-line Received
                    break
                i += 1
            body = lines[i:]
            if body and body[-1] == b"":
                body = body[:-1]
            if body and body[-1] == b"":
                body = body[:-1]  # the empty line the dump format appends
            out.append({"file": fn, "mail": mail, "rcpts": rcpts,
                        "body": b"\r\n".join(body) + b"\r\n"})
        return out


# --- swerved ------------------------------------------------------------------

def daemon_config(tmp, providers, name="sw", retry=None, **over):
    """A complete swerved config for delivery tests."""
    cfg = {
        "listen": {"smtp": "%s:%d" % (HOST, sh.free_port()),
                   "http": "%s:%d" % (HOST, sh.free_port())},
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
    return sh.deep_merge(cfg, over)


class Api:
    """swerved's admin API (GET /v1/status, /v1/messages...)."""

    def __init__(self, daemon):
        self.d = daemon

    def status(self):
        code, obj = http_json(self.d.http_url + "/v1/status")
        assert code == 200, obj
        return obj

    def message(self, qid):
        code, obj = http_json(self.d.http_url + "/v1/messages/" + qid)
        assert code == 200, "GET /v1/messages/%s -> %s %r" % (qid, code, obj)
        return obj

    def page(self, state="all", limit=1000, after=""):
        """One page of GET /v1/messages."""
        q = "/v1/messages?state=%s&limit=%d" % (state, limit)
        if after:
            q += "&after=" + after
        code, obj = http_json(self.d.http_url + q)
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


def submit(daemon, sender, rcpts, msg, conn=None):
    """One message through swerved's SMTP port; returns the queue id."""
    c = conn or sh.SMTPConn(daemon.smtp_port, timeout=30)
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
            except (OSError, sh.SMTPClosed):
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


# --- a hostile upstream --------------------------------------------------------

class HostileServer:
    """A tiny threaded SMTP server whose answers are scripted per session.

    script(conn_socket, session_no) runs in its own thread per connection
    and may send anything. Counts sessions; stop() closes everything."""

    def __init__(self, script):
        self.script = script
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((HOST, 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.sessions = 0
        self.errors = []
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
                self.conns.append(c)
            threading.Thread(target=self._run, args=(c, n), daemon=True).start()

    def _run(self, c, n):
        try:
            c.settimeout(10)
            self.script(c, n)
        except OSError:
            pass
        except Exception as e:  # a bug in the script itself
            self.errors.append(repr(e))
        finally:
            try:
                c.close()
            except OSError:
                pass

    def stop(self):
        self.stopping = True
        try:
            self.sock.close()
        except OSError:
            pass
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                c.close()


def read_line(c, buf):
    """Read one CRLF line from socket c with carry-over list buf."""
    data = buf[0] if buf else b""
    while b"\n" not in data:
        chunk = c.recv(65536)
        if not chunk:
            raise OSError("closed")
        data += chunk
    line, rest = data.split(b"\n", 1)
    buf[:] = [rest]
    return line.rstrip(b"\r")
