"""A drill's safety (issue 16): abort, refusals (no backup, another
drill, a real failure under way, bad requests), self-abort when the
backup fails for real, a SIGHUP reload in the middle, a restart in the
middle (kill -9 and a graceful stop), alerts labelled and timed, the
preflight, the report's formats and the history, and a scheduled drill
firing at its time under the test-only shifted wall clock."""

import json
import re
import signal
import time

import drill_helpers as dh
import swerve_harness as sh


def no_drill_running(d):
    code, st = d.admin_json("/v1/drills")
    assert code == 200
    return st["running"] is None


def test_abort_ends_it_at_once(lab):
    d, m1, m2 = dh.setup(lab)
    s = dh.Sender(d)
    rep = dh.start(d, "primary", "outage", "--for", "60s")
    s.send(4, every=0.1)
    r = dh.ctl(d, "drill", "abort")
    assert r.returncode == 0, r.stderr
    assert no_drill_running(d)
    got = dh.report(d, rep["id"])
    assert got["state"] == "aborted"
    assert "aborted by" in got["end_reason"]
    # A second abort has nothing to end.
    r = dh.ctl(d, "drill", "abort")
    assert r.returncode == 1 and "no drill is running" in r.stderr
    # Traffic comes back to the primary.
    sh.wait_until(lambda: s.send(1) or len(m1.messages()) > 0, 20, 0.2,
                  "the primary takes traffic after the abort")
    states = dh.wait_sent(d, s.ids)
    assert set(states.values()) == {"sent"}
    s.close()


def test_refusals(lab):
    d, m1, _ = dh.setup(lab, mocks=1)
    # One provider: the stream would have none left.
    r = dh.ctl(d, "drill", "start", "primary", "outage", "--for", "5s")
    assert r.returncode == 1
    assert "no usable provider" in r.stderr, r.stderr
    assert no_drill_running(d)
    # Bad requests say what is wrong and change nothing.
    for args, words in [(["nope", "outage"], "no provider named"),
                        (["primary", "melt"], "unknown fault"),
                        (["primary", "slow"], "needs a duration"),
                        (["primary", "outage", "--for", "3h"],
                         "max_duration"),
                        (["primary", "outage", "--stream", "nope"],
                         "no stream named"),
                        (["primary", "outage", "--share", "150%"],
                         "--share")]:
        r = dh.ctl(d, "drill", "start", *args)
        assert r.returncode != 0, args
        assert words in r.stderr, (args, r.stderr)
    assert no_drill_running(d)
    # --force starts it: mail waits (deferred), nothing fails.
    s = dh.Sender(d)
    rep = dh.start(d, "primary", "outage", "--for", "30s", "--force")
    s.send(2)
    # Another drill may not start while this one runs.
    r = dh.ctl(d, "drill", "start", "primary", "hang", "--for", "5s",
               "--force")
    assert r.returncode == 1 and "another drill is running" in r.stderr
    time.sleep(1.5)
    assert len(m1.messages()) == 0
    assert dh.ctl(d, "drill", "abort").returncode == 0
    states = dh.wait_sent(d, s.ids, timeout=30)
    assert set(states.values()) == {"sent"}
    assert dh.failed_rcpts(d) == 0
    assert "started with --force" in dh.report(d, rep["id"])["notes"]
    s.close()


def test_refused_while_a_real_failure_is_under_way(lab):
    d, m1, m2 = dh.setup(lab)
    m1.set_mode("tempfail")
    s = dh.Sender(d)
    s.send(4, every=0.1)
    # The primary fails for real: its circuit opens, the alert fires.
    sh.wait_until(lambda: not no_alerts(d), 20, 0.2, "a real alert fires")
    r = dh.ctl(d, "drill", "start", "backup", "outage", "--for", "5s",
               "--force")
    assert r.returncode == 1
    assert "real incident is open" in r.stderr or \
        "real alert is firing" in r.stderr, r.stderr
    assert no_drill_running(d)
    m1.set_mode("accept")
    dh.wait_sent(d, s.ids)
    s.close()


def no_alerts(d):
    code, a = d.admin_json("/v1/alerts")
    return not [x for x in a["alerts"] if x["state"] == "firing"]


def test_self_abort_when_the_backup_fails_for_real(lab):
    d, m1, m2 = dh.setup(lab)
    s = dh.Sender(d)
    rep = dh.start(d, "primary", "outage", "--for", "60s")
    m2.set_mode("tempfail")
    s.send(6, every=0.1)
    sh.wait_until(lambda: dh.report(d, rep["id"])["state"] != "running",
                  20, 0.2, "the drill aborts itself")
    got = dh.report(d, rep["id"])
    assert got["state"] == "aborted"
    assert "real failure" in got["end_reason"]
    assert "backup" in got["end_reason"]
    assert any("aborted" in n for n in got["notes"])
    m2.set_mode("accept")
    states = dh.wait_sent(d, s.ids, timeout=40)
    assert set(states.values()) == {"sent"}
    assert dh.failed_rcpts(d) == 0
    s.close()


def test_a_reload_does_not_touch_a_running_drill(lab):
    d, m1, m2 = dh.setup(lab)
    s = dh.Sender(d)
    rep = dh.start(d, "primary", "outage", "--for", "5s")
    t0 = dh.iso_ms(rep["started_at"])
    s.send(3, every=0.2)
    d.proc.send_signal(signal.SIGHUP)
    d.wait_log(r"configuration reloaded", timeout=10)
    d.wait_log(r"goes on across the reload", timeout=10)
    assert dh.report(d, rep["id"])["state"] == "running"
    s.send(6, every=0.2)
    sh.wait_until(lambda: dh.report(d, rep["id"])["state"] != "running",
                  10, 0.2, "the drill ends")
    got = dh.report(d, rep["id"])
    assert got["state"] == "ended"
    t1 = dh.iso_ms(got["ended_at"])
    # Simulated all through: nothing reached the primary meanwhile.
    assert [t for t in dh.mock_times(m1) if t0 + 100 <= t < t1] == []
    assert got["figures"]["simulated"] > 0
    dh.wait_sent(d, s.ids)
    s.close()


def test_a_restart_ends_the_drill_and_says_why(lab):
    d, m1, m2 = dh.setup(lab)
    rep = dh.start(d, "primary", "outage", "--for", "60s")
    d.kill9()
    d.start()
    # Not running any more, and the report says why.
    assert no_drill_running(d)
    got = dh.report(d, rep["id"])
    assert got["state"] == "interrupted"
    assert "swerved stopped while the drill ran" in got["end_reason"]
    assert got["passed"] is False
    d.wait_log(r"was running when swerved stopped", timeout=5)
    # The primary takes mail again at once.
    s = dh.Sender(d)
    s.send(2)
    dh.wait_sent(d, s.ids)
    assert len(m1.messages()) == 2
    # A graceful stop ends the next one the same way.
    rep2 = dh.start(d, "primary", "hang", "--for", "60s")
    s.close()
    d.stop()
    d.start()
    got = dh.report(d, rep2["id"])
    assert got["state"] == "interrupted"
    assert "stopped" in got["end_reason"]
    assert no_drill_running(d)
    r = dh.ctl(d, "drill", "history")
    assert r.returncode == 0
    assert rep["id"] in r.stdout and rep2["id"] in r.stdout


def test_alerts_are_labelled_and_timed(lab):
    rcv = lab.add(dh.Receiver())
    d, m1, m2 = dh.setup(lab, alerts={
        "interval": "1s", "notify": [{"type": "webhook", "url": rcv.url}]})
    s = dh.Sender(d)
    rep = dh.start(d, "primary", "outage", "--for", "3s")
    s.send(12, every=0.2)
    sh.wait_until(lambda: dh.report(d, rep["id"])["state"] != "running",
                  10, 0.1, "the drill ends")

    def failed_back():
        s.send(1)
        return any(t > dh.iso_ms(rep["ends_at"]) for t in dh.mock_times(m1))
    sh.wait_until(failed_back, 20, 0.2, "fail-back")
    got = dh.wait_final(d, rep["id"])
    bodies = [r["body"].decode() for r in rcv.requests]
    labelled = [b for b in bodies if "[DRILL %s]" % rep["id"] in b]
    assert labelled, bodies
    ind = dh.independent(d, rep["id"])
    first_ok = min(r["at_ms"] for r in rcv.requests
                   if "[DRILL %s]" % rep["id"] in r["body"].decode())
    alert_ms = got["figures"]["alert_ms"]
    assert alert_ms is not None
    # The receiver saw it just before swerved took its answer.
    assert abs(alert_ms - (first_ok - ind["first_fail"])) <= 300, \
        (alert_ms, first_ok, ind)
    row = {o["name"]: o for o in got["objectives"]}
    assert row["alert_within"]["pass"] is True
    dh.wait_sent(d, s.ids)
    s.close()
    # The report in each format.
    for fmt, words in [("text", "Objectives"), ("md", "| objective |"),
                       ("html", "<table>"), ("json", '"figures"')]:
        r = dh.ctl(d, "drill", "report", rep["id"], "--format", fmt)
        assert r.returncode == 0 and words in r.stdout, (fmt, r.stderr)
    r = dh.ctl(d, "drill", "report", rep["id"], "--format", "pdf")
    assert r.returncode == 2


def test_preflight(lab):
    rcv = lab.add(dh.Receiver())
    d, m1, m2 = dh.setup(lab, alerts={
        "interval": "1s", "notify": [{"type": "webhook", "url": rcv.url}]})
    # The idle backup is probed every second: soon proven.
    sh.wait_until(lambda: dh.ctl(d, "drill", "preflight").returncode == 0,
                  15, 0.5, "the preflight is ready")
    r = dh.ctl(d, "drill", "preflight", "primary")
    assert r.returncode == 0, r.stdout
    for check in ("backup", "capacity", "proven", "alerts"):
        assert re.search(r"\s%s\s+yes\s" % check, r.stdout), r.stdout
    assert any(b"drill_preflight" in q["body"] for q in rcv.requests)
    # The alert route fails: not ready, and it says which check.
    rcv.fail = True
    r = dh.ctl(d, "drill", "preflight", "primary")
    assert r.returncode == 1
    assert re.search(r"\salerts\s+NO\s", r.stdout), r.stdout
    assert "NOT READY" in r.stdout
    # The backup paused: no usable backup.
    rcv.fail = False
    assert dh.ctl(d, "provider", "pause", "backup").returncode == 0
    r = dh.ctl(d, "drill", "preflight", "primary", "--json")
    assert r.returncode == 1
    rows = json.loads(r.stdout)["rows"]
    assert any(x["check"] == "backup" and not x["ok"] and
               "backup is paused" in x["reason"] for x in rows), rows


def test_a_scheduled_drill_fires_at_its_time(lab):
    # 2026-12-14 is a Monday; the wall clock starts 4 s before 03:00.
    d, m1, m2 = dh.setup(
        lab, drills=[{"name": "weekly", "provider": "primary",
                      "fault": "outage", "duration": "3s",
                      "schedule": "Mon 03:00", "timezone": "UTC"}],
        start=False)
    d.env = dict(d.env or {}, SWERVE_TEST_WALL_CLOCK="2026-12-14T02:59:56Z")
    d.start()
    d.wait_log(r"SWERVE_TEST_WALL_CLOCK is set", timeout=5)
    assert no_drill_running(d)
    s = dh.Sender(d)

    def running():
        s.send(1)
        return not no_drill_running(d)
    sh.wait_until(running, 15, 0.2, "the scheduled drill starts")
    code, st = d.admin_json("/v1/drills")
    rep = st["running"]
    assert rep["name"] == "weekly" and rep["started_by"] == "schedule"
    started = dh.iso_ms(rep["started_at"])
    monday_3 = dh.iso_ms("2026-12-14T03:00:00.000Z")
    assert monday_3 <= started < monday_3 + 2000
    sh.wait_until(lambda: no_drill_running(d), 15, 0.2, "it ends")
    got = dh.report(d, rep["id"])
    assert got["state"] == "ended"
    dh.wait_sent(d, s.ids)
    s.close()
