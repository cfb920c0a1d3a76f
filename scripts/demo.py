#!/usr/bin/python3
"""demo.py - swerve's main job, end to end, on loopback.

Starts two swerve-mock providers (primary, backup) and swerved with
examples/demo.yaml, submits N messages over SMTP from several threads,
switches the primary to `refuse` halfway, shows live progress on one line,
and ends with a report: accepted, delivered per provider, lost (must be 0),
duplicates, and the time from the primary's failure to the first delivery
through the backup. Then delivery feedback: one message to an address the
mock bounces and one to an address that complains; the mock mails a DSN
and an abuse report back to swerved's bounce listener (the VERP envelope
sender), `swervectl show` has the recipients bounced and complained,
`swervectl suppression list` has both addresses, and the next message to
the bounced one is refused at RCPT. Every process it starts is stopped by
PID, also on Ctrl-C. It ends with the incident the outage opened: its id,
duration, detection time, time to failover, messages delayed, lost (0)
and the path of its post-incident report, then an outage drill of the
primary (the primary back up first): 5 s of simulated outage while mail
flows, and the drill's report; last, the failover readiness matrix
(`swervectl readiness --refresh`). Exit status 0 only if nothing was
lost and the feedback, incident, drill and readiness sections held.
"""
import argparse
import json
import os
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRIMARY = {"name": "primary", "smtp": 2601, "http": 2611}
BACKUP = {"name": "backup", "smtp": 2602, "http": 2612}
SMTP_PORT, HTTP_PORT, BOUNCE_PORT = 2525, 2580, 2526

procs = []


def start(argv, log):
    p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                         cwd=ROOT, start_new_session=True)
    procs.append(p)
    return p


def stop_all():
    for p in reversed(procs):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.time() + 5
    for p in reversed(procs):
        try:
            p.wait(max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    procs.clear()


def wait_port(port, what, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"demo: {what} did not start listening on {port}")


def port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


# examples/demo.yaml's admin key (the admin plane needs one).
DEMO_ADMIN_KEY = "swerve-demo-admin-key"


def http(method, port, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                 data=body, method=method)
    if port == HTTP_PORT:
        req.add_header("Authorization", "Bearer " + DEMO_ADMIN_KEY)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"null")


def mock_messages(prov):
    return http("GET", prov["http"], "/messages")


def parse_ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() \
        if s.endswith("Z") else float(s)


class Submitter:
    def __init__(self, total, threads):
        self.total = total
        self.next = 0
        self.accepted = {}       # seq -> queue id
        self.refused = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, daemon=True)
                        for _ in range(threads)]

    def take(self):
        with self.lock:
            if self.next >= self.total:
                return None
            self.next += 1
            return self.next - 1

    def run(self):
        s = None
        while True:
            seq = self.take()
            if seq is None:
                break
            msg = (f"From: demo@example.com\r\nTo: user{seq}@example.net\r\n"
                   f"Subject: demo message {seq}\r\nX-Demo-Seq: {seq}\r\n\r\n"
                   f"Hello from the swerve demo, message {seq}.\r\n")
            for _ in range(3):
                try:
                    if s is None:
                        s = smtplib.SMTP("127.0.0.1", SMTP_PORT, timeout=30)
                        s.ehlo("demo.example.com")
                    s.mail("demo@example.com")
                    s.rcpt(f"user{seq}@example.net")
                    code, resp = s.data(msg.encode())
                    if code == 250:
                        qid = resp.decode().rsplit(" ", 1)[-1]
                        with self.lock:
                            self.accepted[seq] = qid
                    else:
                        with self.lock:
                            self.refused += 1
                    break
                except (smtplib.SMTPException, OSError):
                    s = None
        if s is not None:
            try:
                s.quit()
            except (smtplib.SMTPException, OSError):
                pass


def progress(sub, total, delivered, phase):
    bar_w = 30
    done = int(bar_w * delivered / max(total, 1))
    line = (f"\r  [{'#' * done}{'.' * (bar_w - done)}] accepted "
            f"{len(sub.accepted):5d}/{total}  delivered {delivered:5d}  "
            f"primary: {phase:<7s}")
    sys.stdout.write(line)
    sys.stdout.flush()


def submit_one(rcpt):
    """One message to rcpt over SMTP: the queue id, or the refusal."""
    with smtplib.SMTP("127.0.0.1", SMTP_PORT, timeout=30) as s:
        s.ehlo("demo.example.com")
        s.mail("demo@example.com")
        code, text = s.rcpt(rcpt)
        if code != 250:
            return None, f"{code} {text.decode()}"
        code, resp = s.data((f"From: demo@example.com\r\nTo: {rcpt}\r\n"
                             f"Subject: feedback demo\r\n\r\n"
                             f"Hello {rcpt}.\r\n").encode())
        return resp.decode().rsplit(" ", 1)[-1], None


def swervectl(args, keyfile, *argv):
    out = subprocess.run(
        [os.path.join(args.bin, "swervectl"), "--url",
         f"http://127.0.0.1:{HTTP_PORT}", "-k", keyfile] + list(argv),
        capture_output=True, text=True, timeout=30)
    return out.stdout


def feedback_section(args, logdir):
    """A bounce and a complaint: reports in, outcomes, suppression, and
    the next send refused. True when all of it held."""
    print()
    print("  delivery feedback (DSN and abuse report over SMTP, VERP)")
    keyfile = os.path.join(logdir, "admin.key")
    with open(keyfile, "w") as f:
        f.write(DEMO_ADMIN_KEY + "\n")
    os.chmod(keyfile, 0o600)
    want = {"bounce-demo@example.net": "bounced",
            "complaint-demo@example.net": "complained"}
    ids = {r: submit_one(r)[0] for r in want}
    got = {}
    deadline = time.time() + 30
    while time.time() < deadline:
        for r, qid in ids.items():
            m = http("GET", HTTP_PORT, f"/v1/messages/{qid}")
            got[r] = m["rcpts"][0]
        if all(got[r].get("outcome") == o for r, o in want.items()):
            break
        time.sleep(0.2)
    ok = all(got.get(r, {}).get("outcome") == o for r, o in want.items())
    for r, qid in ids.items():
        rc = got.get(r, {})
        detail = rc.get("bounce") or ""
        print(f"    {r:<27s} {rc.get('outcome') or 'no report':<10s} "
              f"{detail:<4s} (swervectl show {qid})")
        for line in swervectl(args, keyfile, "show", qid).splitlines():
            if r in line or "bounce" in line.lower() or \
                    "complain" in line.lower():
                print(f"      | {line.strip()}")
    csv = swervectl(args, keyfile, "suppression", "list").splitlines()
    listed = [line for line in csv if line.split(",")[0] in want]
    print("    swervectl suppression list:")
    for line in listed:
        print(f"      | {line}")
    ok = ok and len(listed) == len(want)
    qid, refused = submit_one("bounce-demo@example.net")
    print(f"    next send to bounce-demo@example.net: "
          f"{'refused: ' + refused if refused else 'ACCEPTED as ' + qid}")
    ok = ok and refused is not None and refused.startswith("550")
    print(f"    feedback loop       {'ok' if ok else 'FAILED'}")
    return ok


def status_page_section(args, logdir):
    """The public status page after the outage, exported as static files
    (swervectl status-page export): its path, its overall status and the
    incidents on it. True when the export worked."""
    print()
    print("  public status page (docs/status-page.md)")
    keyfile = os.path.join(logdir, "admin.key")  # feedback_section's
    out = os.path.join(logdir, "status-page")
    # The outage's incident opens when the circuit_open alert fires (the
    # alerts are evaluated every second): give it a few seconds to be on
    # the page.
    deadline = time.time() + 10
    while True:
        p = subprocess.run(
            [os.path.join(args.bin, "swervectl"), "--url",
             f"http://127.0.0.1:{HTTP_PORT}", "-k", keyfile, "status-page",
             "export", out], capture_output=True, text=True, timeout=30)
        if p.returncode != 0:
            print(f"    export failed: {p.stderr.strip()}")
            return False
        with open(os.path.join(out, "api", "v2", "summary.json")) as f:
            summary = json.load(f)
        with open(os.path.join(out, "api", "v2", "incidents.json")) as f:
            incidents = json.load(f)["incidents"]
        if incidents or time.time() > deadline:
            break
        time.sleep(0.5)
    print(f"    status              {summary['status']['description']}")
    for c in summary["components"]:
        print(f"    {c['name']:<19s} {c['status']}")
    for inc in incidents[:3]:
        print(f"    incident            {inc['name']} ({inc['status']}, "
              f"impact {inc['impact']})")
    print(f"    page                {os.path.relpath(out, ROOT)}/index.html")
    return True


def incident_section(args, logdir):
    """The incident the outage caused (docs/incidents.md): swerve opened
    it from the alerts, filled its timeline and its scope from the spool;
    the demo resolves it as an operator would, which writes the
    post-incident report beside the spool. True when there was one
    incident for the primary, nothing was lost, and the report exists."""
    print()
    print("  incident (docs/incidents.md)")
    keyfile = os.path.join(logdir, "admin.key")
    incs = [i for i in http("GET", HTTP_PORT, "/v1/incidents")["incidents"]
            if "primary" in i["providers"] and not i["drill"]]
    if len(incs) != 1:
        print(f"    expected one incident for the primary, found {len(incs)}")
        return False
    iid = incs[0]["id"]
    swervectl(args, keyfile, "incident", "resolve", iid, "--text",
              "The demo is over: the backup carries the mail.")
    inc = {}
    deadline = time.time() + 15
    while time.time() < deadline:
        inc = http("GET", HTTP_PORT, f"/v1/incidents/{iid}")
        if inc.get("report_path"):
            break
        time.sleep(0.2)
    facts, total = inc["facts"], inc.get("scope", {}).get("total", {})

    def dur(ms):
        if ms is None:
            return "n/a"
        return f"{ms} ms" if ms < 1000 else f"{ms / 1000:.1f} s"
    print(f"    id                  {iid} ({inc['status']}, impact "
          f"{inc['impact']}, {len(inc['updates'])} timeline entries)")
    print(f"    duration            {dur(facts['duration_ms'])}")
    print(f"    detection           {dur(facts['detection_ms'])}"
          "  (first failed attempt -> alert)")
    print(f"    time to failover    {dur(facts['time_to_failover_ms'])}"
          "  (first failure -> 95% of traffic elsewhere)")
    print(f"    messages delayed    {total.get('delayed', 0)}"
          f"  (rerouted {total.get('rerouted', 0)}, p99 delay "
          f"{total.get('delay_p99_ms', 0)} ms)")
    print(f"    lost                {total.get('lost', 0)}")
    report = inc.get("report_path")
    print(f"    report              "
          f"{os.path.relpath(report, ROOT) if report else 'NOT WRITTEN'}")
    page = os.path.join(logdir, "status-page", "index.html")
    if os.path.exists(page):
        print(f"    status page         {os.path.relpath(page, ROOT)}")
    return bool(report) and os.path.exists(report) and \
        total.get("lost", 0) == 0


def drill_section(args, logdir):
    """An outage drill of the primary (docs/drills.md): the primary is
    back up, the outage's incident resolved; swerve simulates the
    primary's outage for 5 s while mail flows, rolls back by itself, and
    the demo prints the drill's report. True when the drill ran, ended at
    its deadline and lost nothing."""
    print()
    print("  outage drill (docs/drills.md)")
    keyfile = os.path.join(logdir, "admin.key")
    http("PUT", PRIMARY["http"], "/mode", b"accept")
    base = http("GET", PRIMARY["http"], "/stats")["messages_accepted"]
    n = 0

    def send(k):
        nonlocal n
        for _ in range(k):
            n += 1
            submit_one(f"drill{n}@example.net")
    deadline = time.time() + 30
    while time.time() < deadline and \
            http("GET", PRIMARY["http"], "/stats")["messages_accepted"] == base:
        send(2)
        time.sleep(0.3)
    # The outage is over: the operator resolves what it left open (a
    # drill waits while a real incident is open).
    resolve_open(args, keyfile, "The primary is back.")
    rep, did = run_drill(args, keyfile, send)
    if did is not None and rep.get("state") != "ended" and \
            "real" in (rep.get("end_reason") or ""):
        # A drill stands down when something real happens meanwhile (on a
        # busy machine the outage's after-effects can still be settling):
        # say so, resolve it, and rehearse once more.
        print(f"    the drill stood down: {rep.get('end_reason')}; again")
        resolve_open(args, keyfile, "Settled after the outage.")
        rep, did = run_drill(args, keyfile, send)
    if did is None:
        return False
    text = swervectl(args, keyfile, "drill", "report", did)
    for line in text.splitlines():
        print(f"    | {line}")
    print(f"    (swervectl drill report {did} --format md|html|json)")
    return rep.get("state") == "ended" and rep["figures"].get("lost") == 0


def resolve_open(args, keyfile, text):
    """Resolve every real incident still open (as an operator would)."""
    for inc in http("GET", HTTP_PORT, "/v1/incidents")["incidents"]:
        if inc["status"] != "resolved" and not inc["drill"] and \
                inc.get("impact") != "none":
            swervectl(args, keyfile, "incident", "resolve", inc["id"],
                      "--text", text)
            print(f"    resolved {inc['id']} ({inc.get('title', '')}): "
                  f"{text.lower().rstrip('.')}")


def run_drill(args, keyfile, send):
    """Start a 5 s outage drill of the primary while mail flows and wait
    for its end: (its GET /v1/drills/ID answer, its id or None)."""
    started, did, why = None, None, ""
    deadline = time.time() + 20
    while time.time() < deadline and did is None:
        out = subprocess.run(
            [os.path.join(args.bin, "swervectl"), "--url",
             f"http://127.0.0.1:{HTTP_PORT}", "-k", keyfile, "drill",
             "start", "primary", "outage", "--for", "5s", "--json"],
            capture_output=True, text=True, timeout=30)
        if out.returncode == 0:
            started = json.loads(out.stdout)
            did = started["id"]
        else:
            why = out.stderr.strip()
            time.sleep(0.5)
    if did is None:
        print(f"    drill refused: {why}")
        return {}, None
    print(f"    swervectl drill start primary outage --for 5s -> {did}")
    rep = {}
    deadline = time.time() + 40
    while time.time() < deadline:
        send(3)
        rep = http("GET", HTTP_PORT, f"/v1/drills/{did}")
        if rep["figures"].get("lost") is not None:
            break
        time.sleep(0.2)
    return rep, did


def readiness_section(args, logdir):
    """Failover readiness (docs/readiness.md): every provider checked
    for the sender domains the demo sent from, the matrix printed. The
    demo's providers are SMTP relays (no verification API): each verdict
    is "unknown" with that reason, and no DNS is asked. True when the
    matrix lists the demo's sender domain."""
    keyfile = os.path.join(logdir, "admin.key")
    print()
    print("  failover readiness (docs/readiness.md)")
    out = swervectl(args, keyfile, "readiness", "--refresh")
    lines = [ln for ln in out.splitlines() if ln.strip()]
    for ln in lines[:4]:
        print(f"    {ln}")
    ok = any(ln.startswith("example.com ") for ln in lines)
    print(f"    readiness matrix    {'ok' if ok else 'FAILED'}")
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--bin", default=os.path.join(ROOT, "bin"))
    args = ap.parse_args()

    for port in (SMTP_PORT, HTTP_PORT, BOUNCE_PORT,
                 PRIMARY["smtp"], PRIMARY["http"],
                 BACKUP["smtp"], BACKUP["http"]):
        if not port_free(port):
            raise SystemExit(f"demo: port {port} is in use; stop what "
                             f"uses it (an earlier swerved?) and retry")
    spool = os.path.join(ROOT, "var", "demo")
    shutil.rmtree(spool, ignore_errors=True)
    logdir = os.path.join(ROOT, "var", "demo-logs")
    os.makedirs(logdir, exist_ok=True)

    print("swerve demo: 2 fake providers, swerved in front, "
          f"{args.messages} messages; the primary goes dark halfway.")
    for prov in (PRIMARY, BACKUP):
        log = open(os.path.join(logdir, f"{prov['name']}.log"), "w")
        start([os.path.join(args.bin, "swerve-mock"), "--smtp",
               f"127.0.0.1:{prov['smtp']}", "--http",
               f"127.0.0.1:{prov['http']}", "--name", prov["name"], "-q"], log)
        wait_port(prov["http"], f"swerve-mock {prov['name']}")
        # Delivery feedback by SMTP to swerved's bounce listener: only for
        # the addresses the mock's rules name (bounce-..., complaint-...).
        http("PUT", prov["http"], "/feedback", json.dumps({
            "after_ms": 200, "retry_ms": 500,
            "smtp": {"host": "127.0.0.1", "port": BOUNCE_PORT}}).encode())
    log = open(os.path.join(logdir, "swerved.log"), "w")
    start([os.path.join(args.bin, "swerved"), "-c",
           "examples/demo.yaml"], log)
    wait_port(SMTP_PORT, "swerved")
    wait_port(HTTP_PORT, "swerved (http)")

    sub = Submitter(args.messages, args.threads)
    t0 = time.time()
    for t in sub.threads:
        t.start()
    t_fail = None
    phase = "up"
    delivered = 0
    while True:
        delivered = sum(http("GET", prov["http"], "/stats")
                        ["messages_accepted"] for prov in (PRIMARY, BACKUP))
        if t_fail is None and len(sub.accepted) >= args.messages // 2:
            http("PUT", PRIMARY["http"], "/mode", b"refuse")
            t_fail = time.time()
            phase = "REFUSE"
        progress(sub, args.messages, delivered, phase)
        alive = any(t.is_alive() for t in sub.threads)
        if not alive and delivered >= len(sub.accepted):
            break
        if not alive and time.time() - t0 > 120:
            break
        time.sleep(0.1)
    t_end = time.time()
    print()

    # What each provider received, by the demo's sequence number.
    seen = {}
    first_backup_after = None
    per = {}
    for prov in (PRIMARY, BACKUP):
        msgs = mock_messages(prov)
        per[prov["name"]] = len(msgs)
        for m in msgs:
            for r in m["rcpt_to"]:
                seq = int(r.split("@")[0][4:])
                seen[seq] = seen.get(seq, 0) + 1
            if prov is BACKUP and t_fail is not None:
                ts = parse_ts(m["received_at"])
                if ts >= t_fail and (first_backup_after is None or
                                     ts < first_backup_after):
                    first_backup_after = ts
    lost = [s for s in sub.accepted if s not in seen]
    dups = sum(n - 1 for n in seen.values() if n > 1)
    status = http("GET", HTTP_PORT, "/v1/status")
    possible = status.get("delivery", {}).get("possible_duplicates", 0)

    print()
    print("  report")
    print(f"    submitted           {args.messages}")
    print(f"    accepted (250)      {len(sub.accepted)}"
          + (f"   (refused: {sub.refused})" if sub.refused else ""))
    for name, n in per.items():
        print(f"    delivered {name:<9s} {n}")
    print(f"    lost                {len(lost)}")
    print(f"    duplicates          {dups}  (logged as possible: {possible})")
    if first_backup_after is not None:
        print(f"    failover time       {1000 * (first_backup_after - t_fail):.0f} ms"
              "  (primary switched to refuse -> first message at backup)")
    print(f"    wall time           {t_end - t0:.1f} s")
    print(f"    failovers           {status.get('delivery', {}).get('failovers')}")
    fb_ok = feedback_section(args, logdir)
    fb_ok = status_page_section(args, logdir) and fb_ok
    fb_ok = incident_section(args, logdir) and fb_ok
    fb_ok = drill_section(args, logdir) and fb_ok
    fb_ok = readiness_section(args, logdir) and fb_ok
    print(f"  logs in {os.path.relpath(logdir, ROOT)}/")
    return 0 if not lost and fb_ok else 1


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(130))
    rc = 1
    try:
        rc = main()
    except KeyboardInterrupt:
        print("\ndemo: interrupted")
        rc = 130
    finally:
        stop_all()
    sys.exit(rc)
