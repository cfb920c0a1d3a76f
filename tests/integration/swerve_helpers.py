"""swerve_helpers - shared machinery for swerve's integration tests.

Real processes on 127.0.0.1 only. What lives here (reusable by later suites,
e.g. delivery engine and swerve-mock tests):

  free_port()            a port that was free a moment ago (bind port 0)
  to_yaml(obj)           a tiny YAML emitter for config dicts (stdlib only)
  deep_merge(a, b)       config overrides; a None value deletes the key
  Daemon                 one swerved process: start, wait ready, stop (by
                         PID, SIGTERM then SIGKILL), kill -9, logs, ASan check
  SMTPConn               a raw-socket SMTP dialogue (exact bytes, pipelining,
                         STARTTLS, AUTH PLAIN/LOGIN)
  Spool                  reads <spool.dir>/spool.db with sqlite3
  swervectl(...)         runs the CLI, returns CompletedProcess
  run_swaks(...)         runs swaks, returns CompletedProcess

Nothing here picks fixed ports or touches anything outside the test's own
temp dir.
"""

import base64
import json
import os
import re
import signal
import socket
import sqlite3
import ssl
import subprocess
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SWERVE_BIN = os.environ.get("SWERVE_BIN") or os.path.join(REPO, "build", "asan", "bin")

# A queue id: 20 characters of Crockford base32 (src/core/id.h).
ID_RE = r"[0-9A-HJKMNP-TV-Z]{20}"
QUEUED_RE = re.compile(r"queued as (" + ID_RE + r")", re.I)

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer")

# Every process started through this module, so a crashed test run can
# still kill -9 its leftovers (conftest calls kill_leftovers at exit).
_STARTED = set()


def bin_path(name):
    """Absolute path of a swerve program under $SWERVE_BIN."""
    return os.path.join(SWERVE_BIN, name)


_PORTS_GIVEN = set()


def free_port():
    """A TCP port on 127.0.0.1 that was free when asked (bind port 0),
    never one this process handed out before: the kernel may offer a
    just-closed port again, and two listeners of one daemon (smtp and
    http) asked in a row must not get the same number."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _PORTS_GIVEN:
            _PORTS_GIVEN.add(port)
            return port
    raise RuntimeError("no fresh free port after 100 tries")


def port_accepts(port, host="127.0.0.1", timeout=0.2):
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


# --- the daemon --------------------------------------------------------------

class DaemonError(Exception):
    pass


class Daemon:
    """One swerved process with its own directory, config and spool.

    The config dict is written to <dir>/swerve.yaml at each start. Logs of
    each start go to <dir>/swerved.<n>.log (stderr+stdout).
    """

    def __init__(self, workdir, config, env=None):
        self.dir = str(workdir)
        self.config = config
        self.config_path = os.path.join(self.dir, "swerve.yaml")
        self.env = dict(os.environ)
        self.env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1")
        self.env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        if env:
            self.env.update(env)
        self.proc = None
        self.starts = 0
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
        return "http://127.0.0.1:%d" % self.http_port

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
        with open(self.config_path, "w") as f:
            f.write(to_yaml(self.config))

    def start(self, wait=True, timeout=30.0):
        if self.alive():
            raise DaemonError("already running")
        self.write_config()
        self.starts += 1
        log = os.path.join(self.dir, "swerved.%d.log" % self.starts)
        self.logs.append(log)
        with open(log, "wb") as lf:
            self.proc = subprocess.Popen(
                [bin_path("swerved"), "-c", self.config_path],
                stdin=subprocess.DEVNULL, stdout=lf, stderr=subprocess.STDOUT,
                env=self.env, cwd=self.dir)
        _STARTED.add(self.proc)
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=30.0):
        """Wait until swerved logged "listening smtp/http <addr>" for its
        configured listeners and those ports accept connections (the log
        line makes sure it is our process, not another one that took the
        port meanwhile)."""
        pending = [("smtp", self.config["listen"]["smtp"])]
        if "http" in self.config.get("listen", {}):
            pending.append(("http", self.config["listen"]["http"]))
        deadline = time.monotonic() + timeout
        log = self.logs[-1]
        while pending:
            if self.proc.poll() is not None:
                raise DaemonError("swerved exited with %s before listening:\n%s"
                                  % (self.proc.returncode, self.log_tail()))
            kind, addr = pending[0]
            with open(log, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            port = int(addr.rsplit(":", 1)[1])
            if ("listening %s %s" % (kind, addr)) in text and port_accepts(port):
                pending.pop(0)
                continue
            if time.monotonic() > deadline:
                raise DaemonError("swerved not listening on %s after %.0fs:\n%s"
                                  % (pending, timeout, self.log_tail()))
            time.sleep(0.02)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Stop by PID with sig; SIGKILL after timeout. Returns the exit code
        (negative for a signal, as subprocess reports it)."""
        if self.proc is None:
            return None
        p = self.proc
        if p.poll() is None:
            try:
                os.kill(p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout)
                how = "stop"
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait()
                how = "stop-timeout"
        else:
            how = "exited-by-itself"
        _STARTED.discard(p)
        self.exit_codes.append((p.returncode, how))
        self.proc = None
        return p.returncode

    def kill9(self):
        """kill -9 by PID (crash simulation)."""
        if self.proc is None:
            return
        p = self.proc
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
        p.wait()
        _STARTED.discard(p)
        self.exit_codes.append((p.returncode, "kill9"))
        self.killed_runs += 1
        self.proc = None

    def restart(self, **overrides):
        self.stop()
        if overrides:
            self.config = deep_merge(self.config, overrides)
        return self.start()

    def log_text(self):
        out = []
        for path in self.logs:
            try:
                with open(path, "rb") as f:
                    out.append(f.read().decode("utf-8", "replace"))
            except FileNotFoundError:
                pass
        return "".join(out)

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


def kill_leftovers():
    for p in list(_STARTED):
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
        _STARTED.discard(p)


def run_swerved(args, timeout=30, **kw):
    """Run swerved with args (e.g. ["--check", "-c", path]) to completion."""
    return subprocess.run([bin_path("swerved")] + list(args), capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL, **kw)


def swervectl(args, timeout=30):
    return subprocess.run([bin_path("swervectl")] + list(args), capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def queue_counts(daemon, use_url=False):
    """swervectl status --json -> the 'queue' dict; asserts it ran."""
    args = (["--url", daemon.http_url] if use_url else ["-c", daemon.config_path])
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
    cmd = ["swaks", "--server", "127.0.0.1", "--port", str(port),
           "--timeout", "20"] + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


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
        self.sock.settimeout(timeout)
        data = self.buf
        self.buf = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (socket.timeout, ConnectionResetError, ssl.SSLError):
            pass
        finally:
            self.sock.settimeout(self.timeout)
        return data

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
