"""delivery_helpers - what the delivery engine's tests need on top of the
shared harness (tests/lib/swerve_harness.py):

  Sink            one Postfix smtp-sink process (an independent upstream),
                  optionally dumping every transaction to a directory
  HostileServer   a Python SMTP server (threads + sockets) that answers
                  with malformed or oversized replies
  read_line(...)  one CRLF line from a socket, for HostileServer scripts

The harness's names are re-exported, so a test reads dh.Mock, dh.submit
and dh.Sink alike; `sh` is the harness module itself.
"""

import os
import shutil
import tempfile

import swerve_harness as sh
from swerve_harness import *  # noqa: F401,F403  (dh.X for every harness X)
from swerve_harness import HOST, spawn, stop_popen, wait_until

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
        self.proc = spawn(argv, self.log_path)
        wait_until(lambda: sh.port_accepts(self.port) or self.proc.poll() is not None,
                   10, what="smtp-sink listening")
        assert self.proc.poll() is None, "smtp-sink exited: %s" % open(self.log_path).read()

    def stop(self):
        if self.proc is not None:
            stop_popen(self.proc)
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


# --- a hostile upstream --------------------------------------------------------

class HostileServer(sh.TcpServer):
    """A tiny threaded SMTP server whose answers are scripted per session.

    script(conn_socket, session_no) runs in its own thread per connection
    and may send anything. Counts sessions; stop() closes everything."""

    def __init__(self, script):
        self.script = script
        self.errors = []
        super().__init__()

    def serve(self, c, n):
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
        """Close everything; the script's own errors, as problems."""
        super().stop()
        if self.errors:
            return ["hostile server script errors: %s" % self.errors]
        return []


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


# --- a private Postfix as a real upstream ------------------------------------

POSTFIX = "/usr/sbin/postfix"


def postfix_usable():
    """A private Postfix needs the binaries and root (its master starts
    as root and gives up privileges to the postfix user)."""
    return os.path.exists(POSTFIX) and os.geteuid() == 0


class Postfix:
    """A private stock Postfix (own config_directory, queue_directory and
    data_directory under /tmp; /etc/postfix is only read) whose smtpd
    listens on a fresh port and relays example.net for 127.0.0.0/8, every
    message put on hold (header_checks HOLD), so nothing leaves and
    postcat can read what arrived. settings: extra main.cf lines
    (e.g. {"smtputf8_enable": "no"})."""

    def __init__(self, settings=None):
        self.port = sh.free_port()
        # Postfix's daemons (user postfix) must reach their dirs: not
        # under pytest's 0700 tmp_path.
        self.dir = tempfile.mkdtemp(prefix="swerve-postfix-")
        os.chmod(self.dir, 0o755)
        self.conf = os.path.join(self.dir, "conf")
        for sub in ("conf", "queue", "data"):
            os.mkdir(os.path.join(self.dir, sub))
        shutil.chown(os.path.join(self.dir, "data"), "postfix")
        self.pid = None
        lines = []
        with open("/etc/postfix/master.cf") as f:
            for line in f:
                w = line.split()
                if line[:1].isalpha() and len(w) >= 8:
                    if w[0] == "smtp" and w[1] == "inet":
                        w[0] = "%s:%d" % (HOST, self.port)
                    w[4] = "n"  # no chroot: it would need /etc copies
                    line = " ".join(w) + "\n"
                lines.append(line)
        with open(os.path.join(self.conf, "master.cf"), "w") as f:
            f.writelines(lines)
        with open(os.path.join(self.conf, "hold"), "w") as f:
            f.write("/^/ HOLD\n")
        main = {
            "compatibility_level": "3.6",
            "queue_directory": os.path.join(self.dir, "queue"),
            "data_directory": os.path.join(self.dir, "data"),
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": "upstream.test",
            "mydomain": "upstream.test",
            "mydestination": "",
            "relay_domains": "example.net",
            "alias_maps": "",
            "alias_database": "",
            "biff": "no",
            "inet_interfaces": HOST,
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "smtpd_recipient_restrictions": "permit_mynetworks, reject",
            "header_checks": "regexp:" + os.path.join(self.conf, "hold"),
            "maillog_file_prefixes": self.dir,
            "maillog_file": os.path.join(self.dir, "maillog"),
        }
        main.update(settings or {})
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            for k, v in main.items():
                f.write("%s = %s\n" % (k, v))
        self._run("check")
        self._run("start")
        pidfile = os.path.join(self.dir, "queue", "pid", "master.pid")
        wait_until(lambda: os.path.exists(pidfile) and
                   open(pidfile).read().strip(), 10, what="postfix master pid")
        self.pid = int(open(pidfile).read().strip())
        wait_until(lambda: sh.port_accepts(self.port), 10,
                   what="postfix smtpd listening")

    def _run(self, what):
        import subprocess
        r = subprocess.run([POSTFIX, "-c", self.conf, what],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, "postfix %s: %s%s%s" % (
            what, r.stdout, r.stderr, self.maillog())

    def maillog(self):
        try:
            with open(os.path.join(self.dir, "maillog"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def held(self):
        """The envelope and message of every held message, as postcat
        prints them."""
        import subprocess
        hold = os.path.join(self.dir, "queue", "hold")
        out = []
        for fn in sorted(os.listdir(hold)) if os.path.isdir(hold) else []:
            r = subprocess.run(["/usr/sbin/postcat", "-c", self.conf, "-q", fn],
                               capture_output=True, timeout=30)
            out.append(r.stdout.decode("utf-8", "replace"))
        return out

    def stop(self):
        problems = []
        if self.pid is not None:
            import subprocess
            subprocess.run([POSTFIX, "-c", self.conf, "stop"],
                           capture_output=True, timeout=60)
            try:
                wait_until(lambda: not os.path.exists("/proc/%d" % self.pid),
                           15, what="postfix master exit")
            except AssertionError:
                os.kill(self.pid, 9)
                problems.append("postfix master %d did not stop" % self.pid)
            self.pid = None
        shutil.rmtree(self.dir, ignore_errors=True)
        return problems


# --- aiosmtpd as a strict, recording upstream --------------------------------

class AioUpstream:
    """An aiosmtpd server in this process (a thread) that records every
    transaction (MAIL parameters, recipients, the bytes of DATA).
    eightbitmime=False: it does not offer 8BITMIME and answers 554 to
    any DATA holding an 8-bit octet; smtputf8: offers SMTPUTF8. tls:
    (ssl.SSLContext, True) for implicit TLS on connect."""

    def __init__(self, eightbitmime=True, smtputf8=False, ssl_context=None):
        from aiosmtpd.controller import Controller

        self.got = []
        self.refused = []
        strict = not eightbitmime
        up = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                raw = envelope.original_content or b""
                rec = {"mail_options": list(envelope.mail_options),
                       "rcpts": list(envelope.rcpt_tos),
                       "data": raw}
                if strict and any(b >= 0x80 for b in raw):
                    up.refused.append(rec)
                    return "554 5.6.0 8-bit data without 8BITMIME"
                up.got.append(rec)
                return "250 2.0.0 Ok: queued as A%d" % len(up.got)

        self.port = sh.free_port()
        self.ctl = Controller(Handler(), hostname=HOST, port=self.port,
                              decode_data=not eightbitmime,
                              enable_SMTPUTF8=smtputf8,
                              ssl_context=ssl_context)
        self.ctl.start()

    def stop(self):
        if self.ctl is not None:
            self.ctl.stop()
            self.ctl = None
        return []


# --- a private CA made with openssl ------------------------------------------

class PrivateCA:
    """A CA, a server certificate for 127.0.0.1 and a client certificate,
    made with the openssl command in directory d. Paths: ca, server_cert,
    server_key, client_cert, client_key."""

    def __init__(self, d):
        import subprocess

        def run(*args):
            r = subprocess.run(["openssl"] + list(args), cwd=d,
                               capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, r.stderr

        d = str(d)
        os.makedirs(d, exist_ok=True)
        run("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", "/CN=swerve test CA", "-keyout", "ca.key", "-out", "ca.pem",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        for who, ext in (("server", "subjectAltName=IP:127.0.0.1\n"
                                    "extendedKeyUsage=serverAuth\n"),
                         ("client", "extendedKeyUsage=clientAuth\n")):
            with open(os.path.join(d, who + ".ext"), "w") as f:
                f.write(ext)
            run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-subj", "/CN=swerve test " + who,
                "-keyout", who + ".key", "-out", who + ".csr")
            run("x509", "-req", "-in", who + ".csr", "-CA", "ca.pem",
                "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                "-extfile", who + ".ext", "-out", who + ".pem")
        self.ca = os.path.join(d, "ca.pem")
        self.server_cert = os.path.join(d, "server.pem")
        self.server_key = os.path.join(d, "server.key")
        self.client_cert = os.path.join(d, "client.pem")
        self.client_key = os.path.join(d, "client.key")
