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
