"""outage_helpers - the outage shapes of issue 4, shared by
tests/delivery/test_outage_shapes.py and bench/outage/outage.py.

A shape says how the primary provider misbehaves between "break" and
"heal". Most are swerve-mock modes switched over its HTTP PUT /mode; what
swerve-mock cannot do is done here in Python, on 127.0.0.1 only:

  GateProxy    a TCP front for a swerve-mock's SMTP port: "pass" splices
               bytes through, "421" greets "421 4.3.2 ..." and closes,
               "hang" accepts and never says a word (held until heal or
               stop)
  StatusPage   an Atlassian Statuspage /api/v2/status.json whose indicator
               is set from Python (none | minor | major | critical); the
               shared harness's (tests/lib/swerve_harness.py)
  Flapper      a thread that switches a mode on and off every period

  SHAPES       name -> Shape(break_, heal, ...) over an Env (mock, gate,
               status page) that the caller builds; see Shape.

Nothing here starts swerved or swerve-mock: the caller owns processes and
stops them by PID. Threads here are daemon threads; stop() closes every
socket they hold.
"""

import socket
import threading
import urllib.request

from swerve_harness import HOST, TcpServer
from swerve_harness import StatusPage  # noqa: F401  (oh.StatusPage)


def put_mode(mock_url, mode):
    """PUT a swerve-mock's /mode (plain text); raises unless 200."""
    req = urllib.request.Request(mock_url + "/mode", data=mode.encode(),
                                 method="PUT")
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.status == 200, (mock_url, mode, r.status)


# --- a gate in front of an SMTP port --------------------------------------------

class GateProxy(TcpServer):
    """A threaded TCP proxy in front of upstream_port with a switchable mode.

    mode "pass": every new connection is spliced to the upstream;
    mode "421":  every new connection gets "421 4.3.2 <text>" and is closed;
    mode "hang": every new connection is accepted and never answered; it
                 stays open until the gate stops or the peer gives up.
    Switching to "421" also ends the sessions in progress the way a server
    going down does (an unsolicited "421 4.3.2" and close); switching to
    "hang" freezes them: from then on nothing more is passed either way
    (the server stopped answering mid-session)."""

    def __init__(self, upstream_port, mode="pass", text="Service not available"):
        self.upstream_port = upstream_port
        self.mode = mode
        self.text = text
        self.pairs = []  # [client, upstream, frozen] of spliced sessions
        self.counts = {"pass": 0, "421": 0, "hang": 0}
        super().__init__(backlog=256)

    def set_mode(self, mode):
        assert mode in ("pass", "421", "hang"), mode
        self.mode = mode
        if mode == "pass":
            return
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            pair[2] = True
            if mode == "421":
                try:
                    pair[0].sendall(b"421 4.3.2 " + self.text.encode() + b"\r\n")
                except OSError:
                    pass
                for s in pair[:2]:
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

    @staticmethod
    def _drop(s):
        try:
            s.close()
        except OSError:
            pass

    def serve(self, c, n):
        mode = self.mode
        self.counts[mode] += 1
        if mode == "421":
            try:
                c.sendall(b"421 4.3.2 " + self.text.encode() + b"\r\n")
            except OSError:
                pass
            self._drop(c)
        elif mode == "pass":
            self._splice(c)
        # "hang": c stays open, tracked, until stop()

    def _pump(self, a, b, pair):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                if not pair[2]:  # frozen: swallow it
                    b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _splice(self, c):
        try:
            u = socket.create_connection((HOST, self.upstream_port), timeout=5)
        except OSError:
            self._drop(c)
            return
        u.settimeout(None)
        self.track(u)
        pair = [c, u, False]
        with self.lock:
            self.pairs.append(pair)
        t = threading.Thread(target=self._pump, args=(u, c, pair), daemon=True)
        t.start()
        self._pump(c, u, pair)
        t.join()
        self._drop(c)
        self._drop(u)


# --- flapping -------------------------------------------------------------------

class Flapper:
    """Calls bad() and good() alternately every period seconds (bad first)
    until stop(); stop() leaves it good. flips counts the switches."""

    def __init__(self, bad, good, period):
        self.bad, self.good, self.period = bad, good, period
        self.ev = threading.Event()
        self.flips = 0
        self.errors = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        broken = False
        while True:
            try:
                (self.good if broken else self.bad)()
                self.flips += 1
            except Exception as e:  # keep flapping; the caller checks errors
                self.errors.append(repr(e))
            broken = not broken
            if self.ev.wait(self.period):
                break
        self.good()

    def stop(self):
        self.ev.set()
        self.thread.join(10)


# --- the shapes -----------------------------------------------------------------

class Env:
    """What a shape acts on: the primary's swerve-mock (its HTTP URL), the
    gate in front of it (None unless the shape needs one) and the status
    page (None unless the shape needs one)."""

    def __init__(self, mock_url, gate=None, status=None):
        self.mock_url = mock_url
        self.gate = gate
        self.status = status
        self.flapper = None


class Shape:
    """One outage shape.

    needs_gate / needs_status: the caller must put a GateProxy in front of
    the primary (and point the relay at gate.port) / serve a StatusPage and
    give the primary status_page: {url, on_major: open}.
    reason: a substring of the primary's circuit reason in /v1/providers
    while it is out; trace: a substring of the failed attempt's reply or the
    trace; cls: the result class of the primary's failed attempts (None:
    none is expected, e.g. the circuit is opened by the status page)."""

    def __init__(self, name, what, break_, heal, reason, cls,
                 needs_gate=False, needs_status=False, opens=True):
        self.name = name
        self.what = what
        self._break = break_
        self._heal = heal
        self.reason = reason
        self.cls = cls
        self.needs_gate = needs_gate
        self.needs_status = needs_status
        self.opens = opens

    def break_(self, env):
        self._break(env)

    def heal(self, env):
        self._heal(env)


def _mode(m):
    return lambda env: put_mode(env.mock_url, m)


def _accept(env):
    put_mode(env.mock_url, "accept")


def _flap_start(env, period=5.0):
    env.flapper = Flapper(lambda: put_mode(env.mock_url, "refuse"),
                          lambda: put_mode(env.mock_url, "accept"), period)


def _flap_stop(env):
    if env.flapper is not None:
        env.flapper.stop()
        env.flapper = None


def _status_major(env):
    env.status.set("major", "Partial outage of outbound email")


def _status_none(env):
    env.status.set("none", "All Systems Operational")


SHAPES = {s.name: s for s in [
    Shape("refuse", "connection refused (listener closed)",
          _mode("refuse"), _accept, "consecutive failures", "deferred"),
    Shape("hang", "accepts TCP, never greets",
          lambda env: env.gate.set_mode("hang"),
          lambda env: env.gate.set_mode("pass"),
          "consecutive failures", "deferred", needs_gate=True),
    Shape("421", "421 4.3.2 at the greeting, then close",
          lambda env: env.gate.set_mode("421"),
          lambda env: env.gate.set_mode("pass"),
          "consecutive failures", "deferred", needs_gate=True),
    Shape("451", "451 4.3.0 at the final dot of every message",
          _mode("tempfail"), _accept, "consecutive failures", "deferred"),
    Shape("5xx-account", "530 5.7.0 at MAIL (account/credentials fault)",
          _mode("authfail"), _accept, "config failure", "config"),
    Shape("throttle", "454 4.7.0 Throttling failure at MAIL",
          _mode("throttle"), _accept, "consecutive failures", "throttled"),
    Shape("slow", "every reply 2 s late (timeouts not reached)",
          _mode("slow 2000"), _accept, None, None, opens=False),
    Shape("flap", "refuse / accept, switching every 5 s",
          _flap_start, _flap_stop, "consecutive failures", "deferred"),
    Shape("statuspage", "status page: major outage; SMTP still answers",
          _status_major, _status_none, "status page reports", None,
          needs_status=True),
]}

ORDER = ["refuse", "hang", "421", "451", "5xx-account", "throttle", "slow",
         "flap", "statuspage"]
