#!/usr/bin/python3
"""outage.py - the outage matrix of issue 4: one relay, one outage shape.

  load (SMTP, R msg/s, 10% critical) ──► relay ──► primary  (swerve-mock, breaks)
                                                └─► backup   (swerve-mock)

The relay is swerved (two providers, primary priority 1, backup 2) or a
private stock Postfix (relayhost = primary, smtp_fallback_relay = backup;
same set-up as bench/relay.sh's postfix_start). The outage shapes are
tests/delivery/outage_helpers.py's: swerve-mock modes switched over its
HTTP /mode, a Python gate in front of the primary (hang, 421), a Python
Statuspage (status page major while SMTP answers), a flapper (refuse /
accept every 5 s).

Timeline (seconds from the first submission): load for --duration, the
primary breaks at --break-at and heals at --heal-at. Then the driver waits
until every accepted message has arrived at a mock (--drain seconds at
most; Postfix: then `postqueue -f` and --drain seconds more, to tell
"queued for a later retry" from "lost").

Every message has a unique recipient (<seq>-<stream>@rcpt.example); the
submitter records when the relay's 250 arrived (wall clock); swerve-mock
records when it took the message (GET /messages: received_at, ms). From
these alone, for swerved and Postfix alike:

  first_backup  first message accepted by the backup after the break (s)
  shift95       end of the first 250 ms bin after the break in which >= 95%
                of the messages accepted went to the backup (s), and the
                lowest backup share of any later bin before the heal
  crit/bulk     p50/p99 delay (relay's 250 -> provider's acceptance) of
                the critical / bulk messages submitted during the outage
  lost          accepted by the relay, never arrived (after the flush)
  dup           recipients that arrived more than once
  late          (Postfix) arrived only after `postqueue -f`
  failback      first message accepted by the primary after the heal (s)
                and end of the first 250 ms bin with >= 95% on the primary
  ramp          the primary's share per second after the heal

Writes one JSON object (--json) and prints a summary line. Processes it
starts are stopped by PID (Postfix through `postfix -c DIR stop`).
"""

import argparse
import datetime
import hashlib
import json
import os
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "delivery"))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))

import outage_helpers as oh  # noqa: E402

HOST = "127.0.0.1"
SENDER = "bench@sender.example"
PROCS = []  # Popen objects to stop
PF_CONF = []  # Postfix config dirs to stop


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_accepts(port):
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_port(port, proc, what, timeout=20):
    deadline = time.monotonic() + timeout
    while not port_accepts(port):
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("%s exited with %s" % (what, proc.returncode))
        if time.monotonic() > deadline:
            raise RuntimeError("%s did not listen on %d" % (what, port))
        time.sleep(0.05)


# swerved's admin plane needs an admin key; the run configures this one.
ADMIN_KEY = "outage-bench-admin-key"


def http_get(url, timeout=30):
    """GET url as JSON (with the admin key: swerved's reads need it)."""
    req = urllib.request.Request(
        url, headers={"Authorization": "Bearer " + ADMIN_KEY})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def stop_all():
    for d in PF_CONF:
        subprocess.run(["postfix", "-c", d, "stop"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    for p in PROCS:
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    for p in PROCS:
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGKILL)
            p.wait()


def start(argv, log, env=None):
    with open(log, "ab") as lf:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=lf,
                             stderr=subprocess.STDOUT, env=env)
    PROCS.append(p)
    return p


# --- the pieces --------------------------------------------------------------

class Mock:
    def __init__(self, binp, work, name):
        self.name = name
        self.smtp_port, self.http_port = free_port(), free_port()
        self.url = "http://%s:%d" % (HOST, self.http_port)
        self.proc = start([binp, "--smtp", "%s:%d" % (HOST, self.smtp_port),
                           "--http", "%s:%d" % (HOST, self.http_port),
                           "--name", name, "--max-store", "1000000"],
                          os.path.join(work, "mock-%s.log" % name))
        wait_port(self.http_port, self.proc, "swerve-mock " + name)
        wait_port(self.smtp_port, self.proc, "swerve-mock " + name)

    def messages(self):
        obj = http_get(self.url + "/messages", 120)
        return obj if isinstance(obj, list) else obj.get("messages", obj)


def swerved_start(bindir, work, p1, p2, shape, status_url, log_level):
    smtp, http = free_port(), free_port()

    def prov(name, port, prio):
        p = {"name": name, "type": "smtp", "host": HOST, "port": port,
             "tls": "none", "priority": prio, "connect_timeout": "2s",
             "greeting_timeout": "3s", "command_timeout": "5s",
             "data_timeout": "10s", "max_connections": 8,
             "max_msgs_per_conn": 1000, "failback_ramp": "5s"}
        return p

    primary = prov("primary", p1, 1)
    if status_url:
        primary["status_page"] = {"url": status_url, "on_major": "open",
                                  "interval": "1s"}
    cfg = {
        "listen": {"smtp": "%s:%d" % (HOST, smtp), "http": "%s:%d" % (HOST, http)},
        "spool": {"dir": os.path.join(work, "spool"), "min_free": "100MB"},
        "limits": {"max_message_size": "10MB", "max_recipients": 100,
                   "max_sessions": 1000},
        "submitters": {"networks": ["127.0.0.0/8"]},
        "providers": [primary, prov("backup", p2, 2)],
        "streams": {"critical": {"weight": 100, "failover_after": "3s"},
                    "transactional": {"weight": 10},
                    "bulk": {"weight": 1}},
        "retry": {"min_backoff": "1s", "max_backoff": "10s",
                  "max_lifetime": "1h"},
        "log": {"level": log_level},
        "admin_keys": [{"name": "bench", "key_sha256": hashlib.sha256(
            ADMIN_KEY.encode()).hexdigest()}],
    }
    path = os.path.join(work, "swerved.json.yaml")
    with open(path, "w") as f:
        json.dump(cfg, f, indent=1)  # JSON is YAML
    r = subprocess.run([os.path.join(bindir, "swerved"), "--check", "-c", path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("swerved --check: %s %s" % (r.stdout, r.stderr))
    p = start([os.path.join(bindir, "swerved"), "-c", path],
              os.path.join(work, "swerved.log"))
    wait_port(smtp, p, "swerved")
    wait_port(http, p, "swerved http")
    return p, smtp, "http://%s:%d" % (HOST, http), cfg


def postfix_start(work, p1, p2):
    """A private stock Postfix in work/pf (as bench/relay.sh does): only
    what a private instance needs, plus the two relays and the same
    connect (2 s) and greeting/HELO (3 s) timeouts as swerved's."""
    d = os.path.join(work, "pf")
    port = free_port()
    for sub in ("conf", "queue", "data"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    shutil.chown(os.path.join(d, "data"), "postfix")
    os.chmod(work, 0o755)
    with open("/etc/postfix/master.cf") as f, \
            open(os.path.join(d, "conf", "master.cf"), "w") as out:
        for line in f:
            fs = line.split()
            if re.match(r"^[a-z]", line) and len(fs) >= 8:
                if fs[0] == "smtp" and fs[1] == "inet":
                    fs[0] = "%s:%d" % (HOST, port)
                fs[4] = "n"
                line = " ".join(fs[:8]) + (" " + " ".join(fs[8:]) if fs[8:] else "") + "\n"
            out.write(line)
    with open(os.path.join(d, "conf", "main.cf"), "w") as f:
        f.write("""compatibility_level = 3.6
queue_directory = {d}/queue
data_directory = {d}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = relay.bench.invalid
mydomain = bench.invalid
mydestination =
alias_maps =
alias_database =
biff = no
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:{p1}
smtp_fallback_relay = [127.0.0.1]:{p2}
smtp_connect_timeout = 2s
smtp_helo_timeout = 3s
maillog_file_prefixes = {d}
maillog_file = {d}/maillog
""".format(d=d, p1=p1, p2=p2))
    conf = os.path.join(d, "conf")
    r = subprocess.run(["postfix", "-c", conf, "check"], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("postfix check: " + r.stdout + r.stderr)
    PF_CONF.append(conf)
    r = subprocess.run(["postfix", "-c", conf, "start"], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("postfix start: " + r.stdout + r.stderr)
    wait_port(port, None, "postfix")
    return d, port


def postfix_queued(d):
    n = 0
    for sub in ("incoming", "active", "deferred", "hold", "maildrop"):
        for _, _, files in os.walk(os.path.join(d, "queue", sub)):
            n += len(files)
    return n


# --- the load ----------------------------------------------------------------

def stream_of(seq):
    """10% critical, 30% transactional, 60% bulk, interleaved."""
    k = seq % 10
    return "critical" if k == 0 else ("transactional" if k in (1, 4, 7) else "bulk")


class Load:
    """sessions threads share one schedule: message i is due at
    t0 + i / rate; each records (seq, stream, rcpt, submitted wall ms,
    queue id) after the relay's 250, or an error."""

    def __init__(self, port, rate, duration, sessions=8):
        self.port, self.rate, self.duration = port, rate, duration
        self.n = int(rate * duration)
        self.sessions = sessions
        self.lock = threading.Lock()
        self.next = 0
        self.done = []
        self.errors = []
        self.late = 0  # messages sent more than 1 s after their due time
        self.body = ("x" * 70 + "\r\n") * 6

    def _take(self):
        with self.lock:
            if self.next >= self.n:
                return None
            i = self.next
            self.next += 1
            return i

    def _conn(self):
        c = smtplib.SMTP(HOST, self.port, timeout=60)
        c.ehlo("load.bench.invalid")
        return c

    def _worker(self):
        c = None
        while True:
            i = self._take()
            if i is None:
                break
            due = self.t0 + i / self.rate
            wait = due - time.time()
            if wait > 0:
                time.sleep(wait)
            elif wait < -1:
                self.late += 1
            st = stream_of(i)
            rcpt = "%d-%s@rcpt.example" % (i, st)
            msg = ("From: <%s>\r\nTo: <%s>\r\nSubject: outage %d\r\n"
                   "Message-ID: <%d.%f@load.bench.invalid>\r\n"
                   "X-Swerve-Stream: %s\r\n\r\n%s"
                   % (SENDER, rcpt, i, i, time.time(), st, self.body))
            for attempt in range(3):
                try:
                    if c is None:
                        c = self._conn()
                    code, _ = c.mail(SENDER)
                    if code != 250:
                        raise smtplib.SMTPException("MAIL %d" % code)
                    code, _ = c.rcpt(rcpt)
                    if code not in (250, 251):
                        raise smtplib.SMTPException("RCPT %d" % code)
                    code, resp = c.data(msg.encode())
                    if code != 250:
                        raise smtplib.SMTPException("DATA %d %r" % (code, resp))
                    m = re.search(rb"queued as ([0-9A-Za-z]+)", resp)
                    with self.lock:
                        self.done.append((i, st, rcpt, time.time() * 1000.0,
                                          m.group(1).decode() if m else None))
                    break
                except (OSError, smtplib.SMTPException) as e:
                    with self.lock:
                        self.errors.append("%d: %r" % (i, e))
                    try:
                        if c is not None:
                            c.close()
                    except OSError:
                        pass
                    c = None
        if c is not None:
            try:
                c.quit()
            except (OSError, smtplib.SMTPException):
                pass

    def run(self, t0):
        self.t0 = t0
        ts = [threading.Thread(target=self._worker, daemon=True)
              for _ in range(self.sessions)]
        for t in ts:
            t.start()
        return ts


# --- figures -----------------------------------------------------------------

def ms_of(iso):
    dt = datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ")
    return dt.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000.0


def pct(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    k = max(0, min(len(xs) - 1, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[k]


def first_bin(events, t_from, t_to, who, width=250.0, share=0.95):
    """(end of the first bin of width ms in [t_from, t_to) where who's
    share of events >= share, lowest share of any later non-empty bin)."""
    bins = []
    t = t_from
    while t < t_to:
        ev = [p for (tt, p) in events if t <= tt < t + width]
        bins.append((t + width, ev))
        t += width
    hit, low = None, None
    for end, ev in bins:
        if not ev:
            continue
        s = sum(1 for p in ev if p == who) / len(ev)
        if hit is None and s >= share:
            hit = end
        elif hit is not None:
            low = s if low is None else min(low, s)
    return hit, low


def figures(load, received, t_break, t_heal, t_end, queued=frozenset()):
    """The measured figures (times in seconds from the break / heal).
    queued: recipients the relay still holds at the end (not lost)."""
    first = {}
    count = {}
    for prov, recs in received.items():
        for r in recs:
            for a in r["rcpt_to"]:
                t = ms_of(r["received_at"])
                count[a] = count.get(a, 0) + 1
                if a not in first or t < first[a][1]:
                    first[a] = (prov, t)
    subm = {rc: (i, st, ts) for (i, st, rc, ts, _) in load.done}
    missing = [rc for rc in subm if rc not in first]
    lost = [rc for rc in missing if rc not in queued]
    dup = [rc for rc, n in count.items() if n > 1 and rc in subm]
    events = sorted((t, p) for (p, t) in first.values())
    ts = sorted(x[2] for x in subm.values())
    f = {"submitted": len(subm), "errors": len(load.errors),
         "late_submissions": load.late, "received": len(first),
         "lost": len(lost), "dup": len(dup), "lost_sample": lost[:5],
         "dup_sample": dup[:5],
         "other_rcpts": sorted(rc for rc in count if rc not in subm)[:5],
         "queued_at_end": len(missing) - len(lost),
         "queued_sample": [rc for rc in missing if rc in queued][:5],
         "submit_rate": (len(ts) - 1) / ((ts[-1] - ts[0]) / 1000.0)
         if len(ts) > 1 else None,
         "submit_rate_outage": len([t for t in ts if t_break <= t < t_heal])
         / ((t_heal - t_break) / 1000.0)}
    fb = [t for (t, p) in events if p == "backup" and t >= t_break]
    f["first_backup_s"] = (fb[0] - t_break) / 1000.0 if fb else None
    hit, low = first_bin(events, t_break, t_heal, "backup")
    f["shift95_s"] = (hit - t_break) / 1000.0 if hit else None
    f["min_share_after_shift"] = low
    for st in ("critical", "bulk", "transactional"):
        d = [first[rc][1] - ts for rc, (i, s, ts) in subm.items()
             if s == st and t_break <= ts < t_heal and rc in first]
        f[st] = {"n": len(d), "p50_ms": pct(d, 50), "p99_ms": pct(d, 99),
                 "max_ms": max(d) if d else None}
    during = [t for (t, p) in events if t_break <= t < t_heal]
    f["outage_accept_rate"] = len(during) / ((t_heal - t_break) / 1000.0)
    fp = [t for (t, p) in events if p == "primary" and t >= t_heal]
    f["failback_first_s"] = (fp[0] - t_heal) / 1000.0 if fp else None
    hit, low = first_bin(events, t_heal, t_end, "primary")
    f["failback95_s"] = (hit - t_heal) / 1000.0 if hit else None
    ramp = []
    t = t_heal
    while t < t_end:
        ev = [p for (tt, p) in events if t <= tt < t + 1000]
        ramp.append(round(sum(1 for p in ev if p == "primary") / len(ev), 2)
                    if ev else None)
        t += 1000
    f["ramp_per_s"] = ramp
    pre = [p for (t, p) in events if t < t_break]
    f["pre_primary_share"] = (sum(1 for p in pre if p == "primary") / len(pre)
                              if pre else None)
    return f


# --- one run -------------------------------------------------------------------

def run(a):
    shape = oh.SHAPES[a.shape]
    work = tempfile.mkdtemp(prefix="swerve-outage-%s-%s." % (a.relay, a.shape),
                            dir=a.tmp)
    os.chmod(work, 0o755)
    res = {"relay": a.relay, "shape": a.shape, "what": shape.what,
           "rate": a.rate, "duration_s": a.duration, "break_at_s": a.break_at,
           "heal_at_s": a.heal_at}
    gate = status = None
    env = None
    try:
        mock_bin = os.path.join(a.bin, "swerve-mock")
        pm = Mock(mock_bin, work, "primary")
        bm = Mock(mock_bin, work, "backup")
        p1 = pm.smtp_port
        if shape.needs_gate:
            gate = oh.GateProxy(pm.smtp_port)
            p1 = gate.port
        if shape.needs_status:
            status = oh.StatusPage()
        env = oh.Env(pm.url, gate, status)
        api = None
        if a.relay == "swerved":
            sw, port, api, cfg = swerved_start(a.bin, work, p1, bm.smtp_port,
                                               a.shape,
                                               status.url if status else None,
                                               a.log_level)
            res["config"] = {"providers": cfg["providers"],
                             "streams": cfg["streams"]}
        else:
            pfdir, port = postfix_start(work, p1, bm.smtp_port)
        load = Load(port, a.rate, a.duration, a.sessions)
        t0 = time.time() + 0.5
        threads = load.run(t0)
        samples = []

        def at(sec):
            while time.time() < t0 + sec:
                if api:
                    try:
                        p = next(x for x in http_get(api + "/v1/providers", 5)
                                 ["providers"] if x["name"] == "primary")
                        samples.append((round(time.time() - t0, 2), p["state"],
                                        p["reason"]))
                    except (OSError, StopIteration, ValueError):
                        pass
                time.sleep(0.1)
            return time.time() * 1000.0

        at(a.break_at)
        shape.break_(env)
        t_break = time.time() * 1000.0
        at(a.heal_at)
        shape.heal(env)
        t_heal = time.time() * 1000.0
        at(a.duration)
        for t in threads:
            t.join(a.duration + 120)
        t_end = t0 * 1000.0 + a.duration * 1000.0
        want = {rc for (_, _, rc, _, _) in load.done}

        def arrived():
            got = set()
            for m in (pm, bm):
                for r in m.messages():
                    got.update(r["rcpt_to"])
            return want <= got

        deadline = time.time() + a.drain
        while time.time() < deadline and not arrived():
            time.sleep(1)
        res["drained_s"] = round(time.time() - t_end / 1000.0, 1)
        late = None
        if a.relay == "postfix":
            res["postfix_queued_before_flush"] = postfix_queued(pfdir)
            if not arrived():
                before = set()
                for m in (pm, bm):
                    for r in m.messages():
                        before.update(r["rcpt_to"])
                subprocess.run(["postqueue", "-c", os.path.join(pfdir, "conf"),
                                "-f"], capture_output=True)
                deadline = time.time() + a.drain
                while time.time() < deadline and not arrived():
                    time.sleep(1)
                after = set()
                for m in (pm, bm):
                    for r in m.messages():
                        after.update(r["rcpt_to"])
                late = len((after - before) & want)
            res["postfix_queued_at_end"] = postfix_queued(pfdir)
            try:
                with open(os.path.join(pfdir, "maillog")) as f:
                    ml = f.read()
                res["postfix_bounced"] = len(re.findall(r"status=bounced", ml))
                res["postfix_deferred_lines"] = len(re.findall(r"status=deferred", ml))
            except OSError:
                pass
        received = {"primary": pm.messages(), "backup": bm.messages()}
        got = {a for ms in received.values() for r in ms for a in r["rcpt_to"]}
        queued = set()
        if a.relay == "postfix":
            r = subprocess.run(["postqueue", "-c", os.path.join(pfdir, "conf"),
                                "-j"], capture_output=True, text=True)
            for line in r.stdout.splitlines():
                try:
                    q = json.loads(line)
                except ValueError:
                    continue
                queued.update(x["address"] for x in q.get("recipients", []))
        else:
            for (_, _, rc, _, qid) in load.done:
                if rc in got or not qid:
                    continue
                try:
                    st = http_get(api + "/v1/messages/" + qid, 10)["state"]
                except (OSError, ValueError, KeyError):
                    continue
                if st not in ("sent", "failed"):
                    queued.add(rc)
        res.update(figures(load, received, t_break, t_heal,
                           t_end if t_end > t_heal else t_heal, queued))
        res["late_after_flush"] = late
        res["error_sample"] = load.errors[:5]
        if api:
            st = http_get(api + "/v1/status", 10)
            res["swerved_queue"] = st.get("queue")
            res["swerved_delivery"] = st.get("delivery")
            prov = http_get(api + "/v1/providers", 10)["providers"]
            res["providers_end"] = [{k: p.get(k) for k in
                                     ("name", "state", "reason", "picks", "sent",
                                      "failed", "circuit_opens", "ramp")}
                                    for p in prov]
            res["primary_states"] = compress(samples)
            with open(os.path.join(work, "swerved.log"), errors="replace") as f:
                res["circuit_log"] = [l.strip() for l in f
                                      if "circuit" in l or "status page" in l][:40]
    finally:
        if env is not None:
            oh._flap_stop(env)
        stop_all()
        if gate:
            gate.stop()
        if status:
            status.stop()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    return res


def compress(samples):
    """[(t, state, reason)] -> the changes only."""
    out, last = [], None
    for t, s, r in samples:
        if (s, r) != last:
            out.append([t, s, r])
            last = (s, r)
    return out


# --- the table -----------------------------------------------------------------

def fmt_s(v):
    return "-" if v is None else "%.2f" % v


def fmt_ms(v):
    return "-" if v is None else "%d" % round(v)


TARGETS = """targets (issue 4, swerved rows): refuse/421/5xx-account shifted (>= 95% on
the backup) within 1 s; hang within connect + greeting timeout + 1 s with
the accept rate kept up (hung connections do not block other traffic);
critical p99 <= 2 s (refuse) and <= greeting timeout + 2 s (hang); 0 lost."""


def verdicts(r):
    """[(target, met?)] for one swerved row."""
    out = []
    if r.get("relay") != "swerved" or "failed" in r:
        return out
    cfg = {p["name"]: p for p in r.get("config", {}).get("providers", [])}
    pr = cfg.get("primary", {})

    def secs(v, dflt):
        v = pr.get(v, dflt)
        return float(v.rstrip("s")) if isinstance(v, str) else dflt

    conn, greet = secs("connect_timeout", 5.0), secs("greeting_timeout", 5.0)
    sh = r["shape"]
    crit = r.get("critical", {}).get("p99_ms")
    if sh in ("refuse", "421", "5xx-account"):
        out.append(("shift95 <= 1 s", r.get("shift95_s") is not None
                    and r["shift95_s"] <= 1.0))
    if sh == "refuse":
        out.append(("critical p99 <= 2 s", crit is not None and crit <= 2000))
    if sh == "hang":
        lim = conn + greet + 1
        out.append(("shift95 <= %.0f s" % lim, r.get("shift95_s") is not None
                    and r["shift95_s"] <= lim))
        out.append(("critical p99 <= %.0f s" % (greet + 2),
                    crit is not None and crit <= (greet + 2) * 1000))
        out.append(("accept rate in outage >= 90%% of %d/s" % r["rate"],
                    r.get("outage_accept_rate", 0) >= 0.9 * r["rate"]))
    out.append(("0 lost", r.get("lost") == 0))
    return out


def table(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    hdr = ("| shape | relay | first on backup s | >=95% backup s (min share after) "
           "| critical p50/p99 ms | bulk p50/p99 ms | accepted/s in outage "
           "| lost (still queued) | dup | late (retry) | fail-back first / >=95% s "
           "| primary share per s after heal |")
    out = [hdr, "|" + " --- |" * 12]
    notes = []
    for r in rows:
        if "failed" in r:
            out.append("| %s | %s | run failed: %s |" % (r["shape"], r["relay"],
                                                          r["failed"][:80]))
            continue
        c, b = r["critical"], r["bulk"]
        low = r.get("min_share_after_shift")
        late = r.get("late_after_flush")
        out.append("| %s | %s | %s | %s%s | %s / %s | %s / %s | %.0f | %d (%d) | %d | %s | %s / %s | %s |" % (
            r["shape"], r["relay"], fmt_s(r["first_backup_s"]),
            fmt_s(r["shift95_s"]), "" if low is None else " (%.2f)" % low,
            fmt_ms(c["p50_ms"]), fmt_ms(c["p99_ms"]),
            fmt_ms(b["p50_ms"]), fmt_ms(b["p99_ms"]),
            r["outage_accept_rate"], r["lost"], r.get("queued_at_end", 0),
            r["dup"],
            "-" if late is None else str(late),
            fmt_s(r["failback_first_s"]), fmt_s(r["failback95_s"]),
            " ".join("-" if x is None else "%.2f" % x for x in r["ramp_per_s"])))
        for t, ok in verdicts(r):
            notes.append("%-12s %-8s %-40s %s" % (r["shape"], r["relay"], t,
                                                   "met" if ok else "MISSED"))
        if r.get("errors") or r.get("late_submissions"):
            notes.append("%-12s %-8s load: %d submission errors, %d messages "
                         "submitted > 1 s behind schedule; submitted %.0f/s "
                         "overall, %.0f/s during the outage" % (
                             r["shape"], r["relay"], r["errors"],
                             r["late_submissions"], r.get("submit_rate") or 0,
                             r.get("submit_rate_outage") or 0))
    return "\n".join(out) + "\n\n" + TARGETS + "\n\n" + "\n".join(notes) + "\n"


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--table":
        sys.stdout.write(table(sys.argv[2]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True, help="dir with swerved, swerve-mock")
    ap.add_argument("--relay", choices=("swerved", "postfix"), required=True)
    ap.add_argument("--shape", choices=oh.ORDER, required=True)
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--duration", type=float, default=30)
    ap.add_argument("--break-at", type=float, default=5)
    ap.add_argument("--heal-at", type=float, default=20)
    ap.add_argument("--drain", type=float, default=60)
    ap.add_argument("--sessions", type=int, default=32)
    ap.add_argument("--log-level", default="info")
    ap.add_argument("--tmp", default=os.environ.get("TMPDIR", "/tmp"))
    ap.add_argument("--json", help="append the result (one line) to this file")
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    a = ap.parse_args()
    try:
        res = run(a)
    except Exception as e:
        res = {"relay": a.relay, "shape": a.shape, "failed": repr(e)}
    line = json.dumps(res, sort_keys=True)
    if a.json:
        with open(a.json, "a") as f:
            f.write(line + "\n")
    print(line)
    return 1 if "failed" in res else 0


if __name__ == "__main__":
    sys.exit(main())
