"""Incidents end to end: swerved, two swerve-mocks, the spool.

  - an outage of the primary opens ONE incident whose timeline has the
    expected entries in order with plausible times, whose scope matches
    counts computed here from the spool, which resolves after the heal,
    and whose post-incident report is written beside the spool;
    swervectl lists, shows, notes and prints the report
  - a flapping provider (fails, heals, fails ...) makes one incident,
    reopened, not one per flap
  - bad operator input is refused and changes nothing
  - a notice e-mailed while the primary is down leaves through the
    backup; it and the status-page notice go on the timeline; hostile
    note text stays text in the HTML notice
  - an operator's own notice template (swervectl template put) renders
    from the same facts with the same escaping, and can be sent
  - a notice posted to Slack and webhook targets: Slack's mrkdwn escaped,
    the answers on the timeline naming the host only (not the secret
    path of the Slack URL)
"""

import json
import os
import sqlite3
import time

import swerve_harness as sh


def _msg(i, stream="transactional"):
    return ("From: app@example.com\r\nTo: user%d@example.net\r\n"
            "X-Swerve-Stream: %s\r\nSubject: incident test %d\r\n\r\n"
            "body %d\r\n" % (i, stream, i, i))


def _daemon(lab, primary, backup, notices=None, **incidents):
    provs = [
        sh.provider("primary", primary.smtp_port, 1, probe_interval="500ms",
                    circuit={"failures": 2, "cooldown": "1s"},
                    failback_ramp="1s"),
        sh.provider("backup", backup.smtp_port, 2),
    ]
    return lab.daemon(
        provs,
        alerts={"interval": "200ms",
                "rules": [{"name": "circuit_open", "for": "0s",
                           "clear_for": "1s"}]},
        incidents=dict({"quiet": "2s", "reopen": "1m"}, **incidents,
                       **({"notices": notices} if notices else {})),
        streams={"transactional": {"weight": 1}, "bulk": {"weight": 1},
                 "critical": {"weight": 4}})


def _incidents(d):
    code, obj = d.admin_json("/v1/incidents")
    assert code == 200, obj
    return obj["incidents"]


def _incident(d, iid):
    code, obj = d.admin_json("/v1/incidents/" + iid)
    assert code == 200, obj
    return obj


def _ms(rfc3339):
    """RFC 3339 with milliseconds, UTC -> ms since the epoch."""
    t = time.strptime(rfc3339[:19], "%Y-%m-%dT%H:%M:%S")
    return int((time.mktime(t) - time.timezone) * 1000) + int(rfc3339[20:23])


def _spool_affected(d, frm, to):
    """What the spool says, computed here: messages with a failed attempt
    (not accepted, not rejected) in [frm, to], and of those the ones a
    provider other than the failing one accepted."""
    db = sqlite3.connect(os.path.join(d.spool_dir, "spool.db"), timeout=10)
    try:
        bad = {r[0] for r in db.execute(
            "SELECT DISTINCT msg_id FROM attempts WHERE result NOT IN"
            " ('accepted', 'rejected') AND at BETWEEN ? AND ?", (frm, to))}
        deferred = {r[0] for r in db.execute(
            "SELECT id FROM messages WHERE state = 'deferred'")}
        affected = bad | deferred
        rerouted = set()
        for mid in affected:
            provs = {r[0] for r in db.execute(
                "SELECT provider FROM attempts WHERE msg_id = ?", (mid,))}
            acc = db.execute("SELECT COUNT(*) FROM attempts WHERE msg_id = ?"
                             " AND result = 'accepted'", (mid,)).fetchone()[0]
            if acc and len(provs) > 1:
                rerouted.add(mid)
        streams = {}
        for mid in affected:
            s = db.execute("SELECT stream FROM messages WHERE id = ?",
                           (mid,)).fetchone()[0]
            streams[s] = streams.get(s, 0) + 1
        return affected, rerouted, streams
    finally:
        db.close()


def _wait_resolved(d, iid, timeout):
    """The incident once resolved; the timeline in the failure if not."""
    deadline = time.monotonic() + timeout
    while True:
        inc = _incident(d, iid)
        if inc["status"] == "resolved":
            return inc
        assert time.monotonic() < deadline, "not resolved: %s" % "\n".join(
            "%s %s %s" % (u["at"], u["kind"], u["text"])
            for u in inc["updates"])
        time.sleep(0.3)


def _kinds(inc):
    return [u["kind"] for u in inc["updates"]]


def _first(inc, kind, text=None):
    for i, u in enumerate(inc["updates"]):
        if u["kind"] == kind and (text is None or text in u["text"]):
            return i
    return -1


def test_an_outage_makes_one_incident_with_timeline_scope_and_report(lab):
    primary = lab.mock("primary", "accept")
    backup = lab.mock("backup", "accept")
    d = _daemon(lab, primary, backup)
    t_start = int(time.time() * 1000)
    for i in range(3):
        sh.submit(d, "app@example.com", ["user%d@example.net" % i], _msg(i))
    sh.wait_until(lambda: len(primary.messages()) >= 3, 20, 0.1,
                  "3 messages through the primary")
    assert _incidents(d) == []

    # The primary fails: mail fails over, the circuit opens, the alert
    # fires, the incident opens.
    primary.set_mode("tempfail")
    for i in range(3, 23):
        sh.submit(d, "app@example.com", ["user%d@example.net" % i],
                  _msg(i, "bulk" if i % 2 else "transactional"))
    incs = sh.wait_until(lambda: _incidents(d), 20, 0.2, "an incident")
    assert len(incs) == 1, incs
    iid = incs[0]["id"]
    assert incs[0]["providers"] == ["primary"]
    sh.wait_until(lambda: len(backup.messages()) >= 20, 30, 0.1,
                  "20 messages through the backup")
    live = _incident(d, iid)
    assert live["status"] in ("investigating", "identified"), live
    assert live["scope"]["total"]["affected"] >= 1

    # The heal: the primary takes mail again, the circuit closes, the
    # alert resolves, the fail-back ramp ends, the incident resolves.
    primary.set_mode("accept")
    i = 23
    while _first(_incident(d, iid), "circuit", "circuit closed") < 0:
        # Trial messages close the circuit once its cooldown is over.
        assert i < 200, "the primary's circuit never closed"
        sh.submit(d, "app@example.com", ["user%d@example.net" % i], _msg(i))
        i += 1
        time.sleep(0.2)
    inc = _wait_resolved(d, iid, 40)
    t_end = int(time.time() * 1000)
    assert len(_incidents(d)) == 1, _incidents(d)

    # The timeline: expected entries, in order, at plausible times.
    kinds = _kinds(inc)
    first_fail = _first(inc, "first_failure", "primary")
    opened = _first(inc, "circuit", "circuit open")
    failover = _first(inc, "failover", "primary to backup")
    fired = _first(inc, "alert", "alert firing: circuit_open")
    closed = _first(inc, "circuit", "circuit closed")
    cleared = _first(inc, "alert", "alert resolved: circuit_open")
    failback = _first(inc, "failback", "primary")
    resolved = _first(inc, "status", "resolved")
    for name, i in [("first_failure", first_fail), ("circuit open", opened),
                    ("failover", failover), ("alert firing", fired),
                    ("circuit closed", closed), ("alert resolved", cleared),
                    ("failback", failback), ("resolved", resolved)]:
        assert i >= 0, "no %s entry in %s" % (name, kinds)
    assert first_fail < opened < fired, kinds
    assert first_fail < failover, kinds
    assert fired < closed < failback < resolved, kinds
    assert fired < cleared < resolved, kinds
    ats = [_ms(u["at"]) for u in inc["updates"]]
    assert ats == sorted(ats)
    assert t_start <= ats[0] and ats[-1] <= t_end, (t_start, ats, t_end)
    facts = inc["facts"]
    assert 0 <= facts["detection_ms"] < 10000, facts
    assert facts["duration_ms"] > 0
    assert inc["status"] == "resolved" and inc["impact"] in (
        "minor", "major"), inc

    # The scope matches what the spool says, computed independently.
    frm, to = _ms(inc["scope"]["from"]), _ms(inc["scope"]["to"])
    affected, rerouted, streams = _spool_affected(d, frm, to)
    total = inc["scope"]["total"]
    assert total["affected"] == len(affected) >= 1, (total, affected)
    assert total["rerouted"] == len(rerouted), (total, rerouted)
    assert total["failed"] == 0 and total["lost"] == 0
    assert total["waiting"] == 0
    assert {s["stream"]: s["affected"]
            for s in inc["scope"]["streams"]} == streams
    # The streams found affected are the incident's.
    assert set(streams) <= set(_incident(d, iid)["streams"]), streams
    doms = {c["name"]: c["count"]
            for c in inc["scope"]["recipient_domains"]}
    assert doms == {"example.net": len(affected)}
    assert total["delay_max_ms"] >= total["delay_p99_ms"] >= \
        total["delay_p50_ms"] >= 0

    # The post-incident report, written beside the spool.
    path = sh.wait_until(lambda: _incident(d, iid).get("report_path"), 10,
                         0.2, "the report path")
    assert path == os.path.join(d.spool_dir, "incidents", iid + ".md")
    with open(path) as f:
        md = f.read()
    assert "## Timeline" in md and "## Impact" in md and "## Lessons" in md
    with open(path[:-3] + ".json") as f:
        rep = json.load(f)
    assert rep["id"] == iid and rep["scope"]["total"]["lost"] == 0
    assert os.path.exists(path[:-3] + ".html")

    # swervectl: list, show, note, report.
    ctl = ["-c", d.config_path, "incident"]
    r = sh.swervectl(ctl + ["list"])
    assert r.returncode == 0 and iid in r.stdout and "resolved" in r.stdout
    r = sh.swervectl(ctl + ["note", iid, "customer X asked", "--public"])
    assert r.returncode == 0, r.stderr
    r = sh.swervectl(ctl + ["show", iid])
    assert r.returncode == 0, r.stderr
    assert "customer X asked" in r.stdout and "timeline:" in r.stdout
    assert "scope (" in r.stdout
    r = sh.swervectl(ctl + ["report", iid, "--format", "html"])
    assert r.returncode == 0 and r.stdout.startswith("<!DOCTYPE html>")
    r = sh.swervectl(ctl + ["report", iid, "--format", "pdf"])
    assert r.returncode == 2


def test_a_flapping_provider_opens_no_storm(lab):
    primary = lab.mock("primary", "accept")
    backup = lab.mock("backup", "accept")
    d = _daemon(lab, primary, backup, quiet="1s")
    n = 0
    for flap in range(3):
        primary.set_mode("tempfail")
        for _ in range(4):
            sh.submit(d, "app@example.com", ["u%d@example.net" % n], _msg(n))
            n += 1
        sh.wait_until(lambda: any(i["status"] != "resolved"
                                  for i in _incidents(d)), 20, 0.2,
                      "an open incident (flap %d)" % flap)
        primary.set_mode("accept")
        deadline = time.monotonic() + 40
        while not all(i["status"] == "resolved" for i in _incidents(d)):
            assert time.monotonic() < deadline, "not resolved (flap %d)" % flap
            # Trial messages close the circuit once its cooldown is over.
            sh.submit(d, "app@example.com", ["u%d@example.net" % n], _msg(n))
            n += 1
            time.sleep(0.3)
    incs = _incidents(d)
    assert len(incs) == 1, incs
    inc = _incident(d, incs[0]["id"])
    assert sum(1 for u in inc["updates"]
               if u["kind"] == "alert" and "firing" in u["text"]) >= 3
    assert _first(inc, "status", "returned") >= 0


def test_bad_operator_input_changes_nothing(lab):
    primary = lab.mock("primary", "tempfail")
    backup = lab.mock("backup", "accept")
    d = _daemon(lab, primary, backup)
    for i in range(3):  # two failures open the primary's circuit
        sh.submit(d, "app@example.com", ["user@example.net"], _msg(i))
    iid = sh.wait_until(lambda: _incidents(d), 20, 0.2, "an incident")[0]["id"]
    before = _incident(d, iid)["updates"]
    for path, body in [
            ("/notes", b'{"text": ""}'),
            ("/notes", b'{"text": 5}'),
            ("/notes", b'not json'),
            ("/notes", b'{"text": "x", "public": "yes"}'),
            ("/update", b'{"status": "fixed"}'),
            ("/update", b'{"impact": "huge"}'),
            ("/update", b'{}'),
            ("/notes", json.dumps({"text": "x" * 5000}).encode())]:
        code, obj = d.admin_json("/v1/incidents/" + iid + path, "POST", body)
        assert code == 400, (path, body, code, obj)
    code, _ = d.admin_json("/v1/incidents/inc_nope/notes", "POST",
                           b'{"text": "x"}')
    assert code == 404
    code, _ = d.admin_json("/v1/incidents/" + iid + "/report?format=pdf")
    assert code == 400
    after = _incident(d, iid)["updates"]
    assert [u for u in after if u["kind"] in ("note", "status")
            and u["who"] != "swerve"] == [], after
    assert len([u for u in after if u["kind"] == "note"]) == \
        len([u for u in before if u["kind"] == "note"])
    # Without the admin key: 401, and nothing changes.
    code, _ = sh.http_json(d.admin_url + "/v1/incidents/" + iid + "/notes",
                           "POST", b'{"text": "x"}')
    assert code == 401
    # A good note with markup is kept as text.
    code, obj = d.admin_json("/v1/incidents/" + iid + "/notes", "POST",
                             b'{"text": "<b>hi</b>", "author": "ops"}')
    assert code == 200 and obj["updates"][-1]["text"] == "<b>hi</b>"
    assert obj["updates"][-1]["who"] == "ops"


def test_a_notice_leaves_through_the_backup_while_the_primary_is_down(lab):
    primary = lab.mock("primary", "tempfail")
    backup = lab.mock("backup", "accept")
    d = _daemon(lab, primary, backup, notices={
        "from": "status@example.com",
        "to": ["customers@example.org", "ops@example.org"],
        "stream": "critical"})
    for i in range(3):  # two failures open the primary's circuit
        sh.submit(d, "app@example.com", ["user%d@example.net" % i], _msg(i))
    iid = sh.wait_until(lambda: _incidents(d), 20, 0.2, "an incident")[0]["id"]
    sh.wait_until(lambda: _first(_incident(d, iid), "circuit",
                                 "circuit open") >= 0, 20, 0.2,
                  "the primary's circuit open")
    code, _ = d.admin_json("/v1/incidents/" + iid + "/notes", "POST",
                           b'{"text": "<script>alert(1)</script>",'
                           b' "public": true}')
    assert code == 200
    ctl = ["-c", d.config_path, "incident", "notice", iid]

    # A preview changes nothing and sends nothing.
    before = len(backup.messages())
    r = sh.swervectl(ctl + ["--template", "delays", "--preview"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Subject: Delays sending transactional")
    assert "<script>alert(1)</script>" in r.stdout  # text: as written
    r = sh.swervectl(ctl + ["--template", "delays", "--format", "html"])
    assert r.returncode == 0, r.stderr
    assert "<script>" not in r.stdout and "&lt;script&gt;" in r.stdout
    assert _first(_incident(d, iid), "notice") < 0
    r = sh.swervectl(ctl + ["--template", "apology"])
    assert r.returncode == 1 and "apology" in r.stderr

    # Sent: stored on the critical stream, delivered by the backup.
    r = sh.swervectl(ctl + ["--template", "delays", "--send"])
    assert r.returncode == 0, r.stderr
    mid = r.stdout.strip().rsplit(" ", 1)[-1]
    assert len(mid) == 20, r.stdout

    def notice_at_backup():
        return [m for m in backup.messages()
                if "customers@example.org" in m["rcpt_to"]]
    got = sh.wait_until(notice_at_backup, 20, 0.2, "the notice at the backup")
    assert len(backup.messages()) == before + 1
    assert sorted(got[0]["rcpt_to"]) == ["customers@example.org",
                                         "ops@example.org"]
    assert got[0]["mail_from"] == "status@example.com"
    raw = backup.raw(got[0]["id"])
    assert b"Subject: Delays sending" in raw
    assert b"X-Swerve-Incident: " + iid.encode() in raw
    html = raw.split(b"Content-Type: text/html", 1)
    assert len(html) == 2, raw
    assert b"<script>" not in html[1] and b"&lt;script&gt;" in html[1]
    db = sqlite3.connect(os.path.join(d.spool_dir, "spool.db"), timeout=10)
    try:
        stream, state = db.execute("SELECT stream, state FROM messages"
                                   " WHERE id = ?", (mid,)).fetchone()
        atts = db.execute("SELECT provider, result FROM attempts"
                          " WHERE msg_id = ?", (mid,)).fetchall()
    finally:
        db.close()
    assert stream == "critical" and state == "sent"
    assert ("backup", "accepted") in atts
    assert all(p != "primary" or res != "accepted" for p, res in atts)

    # On the timeline; the status-page notice is a public update too.
    inc = _incident(d, iid)
    n = _first(inc, "notice", "notice 'delays' e-mailed to 2 recipients")
    assert n >= 0 and mid in inc["updates"][n]["text"]
    r = sh.swervectl(ctl + ["--template", "status_page", "--send"])
    assert r.returncode == 0, r.stderr
    inc = sh.wait_until(lambda: (lambda o: o if _first(
        o, "notice", "status_page") >= 0 else None)(_incident(d, iid)),
        10, 0.2, "the status page notice on the timeline")
    pub = [u for u in inc["updates"] if u["public"] and
           "We are seeing delays" in u["text"]]
    assert pub, inc["updates"]


def test_without_an_audience_a_notice_is_not_sent(lab):
    primary = lab.mock("primary", "tempfail")
    backup = lab.mock("backup", "accept")
    d = _daemon(lab, primary, backup)
    for i in range(3):
        sh.submit(d, "app@example.com", ["user%d@example.net" % i], _msg(i))
    iid = sh.wait_until(lambda: _incidents(d), 20, 0.2, "an incident")[0]["id"]
    code, obj = d.admin_json("/v1/incidents/" + iid + "/notices", "POST",
                             b'{"template": "delays", "send": true}')
    assert code == 409, obj
    code, obj = d.admin_json("/v1/incidents/" + iid + "/notices", "POST",
                             b'{"template": "delays", "format": "pdf"}')
    assert code == 400, obj
    code, obj = d.admin_json("/v1/incidents/" + iid + "/notices", "POST",
                             b'{"template": "internal", "format": "slack"}')
    assert code == 200 and obj["sent"] is False, obj
    assert obj["subject"].startswith("[incident " + iid)
    assert _first(_incident(d, iid), "notice") < 0


def test_a_notice_is_posted_to_slack_and_webhooks(lab, receiver):
    primary = lab.mock("primary", "tempfail")
    backup = lab.mock("backup", "accept")
    slack = "/services/T0/B0/secret-token-4f1c"
    d = _daemon(lab, primary, backup, notices={
        "slack": [receiver.url(slack)], "webhooks": [receiver.url("/hook")]})
    for i in range(3):
        sh.submit(d, "app@example.com", ["user%d@example.net" % i], _msg(i))
    iid = sh.wait_until(lambda: _incidents(d), 20, 0.2, "an incident")[0]["id"]
    code, _ = d.admin_json("/v1/incidents/" + iid + "/notes", "POST",
                           b'{"text": "<!channel> & <b>x</b>",'
                           b' "public": true}')
    assert code == 200
    code, obj = d.admin_json("/v1/incidents/" + iid + "/notices", "POST",
                             b'{"template": "delays", "send": true}')
    assert code == 200 and obj["sent"] is True and \
        obj["message_id"] is None, obj
    posted = sh.wait_until(lambda: receiver.json(slack), 10, 0.1,
                           "the Slack post")
    text = posted[0]["text"]
    assert text.startswith("*Delays sending")
    assert "&lt;!channel&gt; &amp; &lt;b&gt;x&lt;/b&gt;" in text, text
    assert "<!channel>" not in text
    hook = sh.wait_until(lambda: receiver.json("/hook"), 10, 0.1,
                         "the webhook post")[0]
    assert hook["type"] == "incident.notice" and hook["incident"] == iid
    assert hook["template"] == "delays"
    assert "<!channel> & <b>x</b>" in hook["text"]  # JSON: as written
    inc = sh.wait_until(lambda: (lambda o: o if sum(
        1 for u in o["updates"] if "posted to" in u["text"]) == 2
        else None)(_incident(d, iid)), 10, 0.2, "both posts on the timeline")
    lines = [u["text"] for u in inc["updates"] if u["kind"] == "notice"]
    host = "127.0.0.1:%d" % receiver.port
    assert any("posted to Slack (%s): HTTP 200" % host in t for t in lines)
    assert any("posted to webhook (%s): HTTP 200" % host in t for t in lines)
    assert "secret-token" not in json.dumps(inc)
    assert "secret-token" not in d.log_text()


def test_an_operators_template_is_a_notice(lab):
    primary = lab.mock("primary", "tempfail")
    backup = lab.mock("backup", "accept")
    d = _daemon(lab, primary, backup, notices={
        "from": "status@example.com", "to": ["customers@example.org"]})
    for i in range(3):
        sh.submit(d, "app@example.com", ["user%d@example.net" % i], _msg(i))
    iid = sh.wait_until(lambda: _incidents(d), 20, 0.2, "an incident")[0]["id"]
    code, _ = d.admin_json("/v1/incidents/" + iid + "/notes", "POST",
                           b'{"text": "<i>soon</i>", "public": true}')
    assert code == 200
    text = os.path.join(str(lab.tmp), "apology.txt")
    html = os.path.join(str(lab.tmp), "apology.html")
    with open(text, "w") as f:
        f.write("Sorry: {{status}} since {{started_at}} on {{streams_text}}."
                "{{#updates}} {{text}}{{/updates}}\n")
    with open(html, "w") as f:
        f.write("<p>Sorry: {{status}}.{{#updates}} {{text}}{{/updates}}</p>")
    r = sh.swervectl(["-c", d.config_path, "template", "put", "apology",
                      "--subject", "Sorry about {{title}}", "--text", text,
                      "--html", html])
    assert r.returncode == 0, r.stderr
    ctl = ["-c", d.config_path, "incident", "notice", iid, "--template",
           "apology"]
    r = sh.swervectl(ctl)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Subject: Sorry about Delays"), r.stdout
    assert "Sorry: identified since" in r.stdout
    assert "<i>soon</i>" in r.stdout
    r = sh.swervectl(ctl + ["--format", "html"])
    assert r.returncode == 0 and "&lt;i&gt;soon" in r.stdout, r.stdout
    r = sh.swervectl(ctl + ["--send"])
    assert r.returncode == 0, r.stderr
    sh.wait_until(lambda: [m for m in backup.messages()
                           if "customers@example.org" in m["rcpt_to"]],
                  20, 0.2, "the operator's notice at the backup")
    assert _first(_incident(d, iid), "notice", "notice 'apology'") >= 0
