"""Streams, the decision trace and operator control (issue 4, items 4-6).

  - X-Swerve-Stream picks the stream, is removed before relay, and an
    unknown stream is refused at the final dot; a submitter's default
    stream applies without the header;
  - a stream's providers list limits where its mail may go;
  - every attempt records why its provider was chosen, and
    `swervectl trace ID` prints it in plain words;
  - `swervectl provider pause|drain|resume` work without a restart;
  - SIGHUP reloads the configuration; an invalid file is refused and the
    old configuration keeps running.
"""
import os
import signal
import time

import delivery_helpers as dh
import swerve_harness as sh

SENDER = "app@example.com"


def streams_cfg():
    return {"critical": {"weight": 100, "providers": ["backup"]},
            "transactional": {"weight": 10},
            "bulk": {"weight": 1, "objective": "cost"}}


def test_stream_header_routes_and_is_removed(lab):
    p = lab.mock("primary")
    b = lab.mock("backup")
    d = lab.daemon([dh.provider("primary", p.smtp_port, 1),
                    dh.provider("backup", b.smtp_port, 2)],
                   streams=streams_cfg())
    api = dh.Api(d)
    crit = dh.submit(d, SENDER, ["c@example.net"],
                     sh.message(subject="crit", headers=["X-Swerve-Stream: critical"]))
    plain = dh.submit(d, SENDER, ["t@example.net"], sh.message(subject="plain"))
    mc = api.wait_state(crit, "sent", 10)
    mp = api.wait_state(plain, "sent", 10)
    assert mc["stream"] == "critical" and mp["stream"] == "transactional"
    # critical may only use backup, even though primary is preferred
    assert [a["provider"] for a in mc["attempts_detail"]] == ["backup"], mc
    assert [a["provider"] for a in mp["attempts_detail"]] == ["primary"], mp
    got = b.messages()
    assert len(got) == 1
    raw = b.raw(got[0]["id"])
    assert b"X-Swerve-Stream" not in raw and b"Subject: crit" in raw


def test_unknown_stream_is_refused_and_nothing_is_stored(lab):
    p = lab.mock("primary")
    d = lab.daemon([dh.provider("primary", p.smtp_port, 1)])
    c = sh.SMTPConn(d.smtp_port, timeout=10)
    try:
        assert c.ehlo("client.test").code == 250
        rs = c.mail(SENDER, ["x@example.net"],
                    sh.message(headers=["X-Swerve-Stream: vip"]))
        assert rs[-1].code == 554 and "X-Swerve-Stream" in rs[-1].text, rs
    finally:
        c.close()
    assert dh.Api(d).counts().get("ready", 0) == 0
    assert dh.Api(d).list("all") == []


def test_trace_explains_each_attempt(lab):
    p = lab.mock("primary", "tempfail")
    b = lab.mock("backup")
    d = lab.daemon([dh.provider("primary", p.smtp_port, 1),
                    dh.provider("backup", b.smtp_port, 2)])
    api = dh.Api(d)
    qid = dh.submit(d, SENDER, ["t@example.net"], sh.message())
    m = api.wait_state(qid, "sent", 10)
    traces = [a["trace"] for a in m["attempts_detail"]]
    assert traces[0].startswith("stream transactional (balanced): chose "
                                "primary by priority and weight"), traces
    assert "other candidates: backup (priority 2" in traces[0], traces
    assert "chose backup" in traces[1] and "primary (already tried)" in traces[1], traces
    r = sh.swervectl(["-c", d.config_path, "trace", qid])
    assert r.returncode == 0, r.stderr
    assert "attempt 1" in r.stdout and "primary -> deferred" in r.stdout, r.stdout
    assert "attempt 2" in r.stdout and "backup -> accepted" in r.stdout, r.stdout
    assert "why: stream transactional" in r.stdout, r.stdout


def test_pause_drain_resume_without_restart(lab):
    p = lab.mock("primary")
    b = lab.mock("backup")
    d = lab.daemon([dh.provider("primary", p.smtp_port, 1),
                    dh.provider("backup", b.smtp_port, 2)])
    api = dh.Api(d)
    r = sh.swervectl(["-c", d.config_path, "provider", "pause", "primary",
                      "--for", "10m"])
    assert r.returncode == 0 and "primary: paused" in r.stdout, (r.stdout, r.stderr)
    qid = dh.submit(d, SENDER, ["p@example.net"], sh.message(subject="paused"))
    m = api.wait_state(qid, "sent", 10)
    assert [a["provider"] for a in m["attempts_detail"]] == ["backup"], m
    assert "primary (paused by operator)" in m["attempts_detail"][0]["trace"]

    r = sh.swervectl(["-c", d.config_path, "provider", "drain", "primary"])
    assert r.returncode == 0 and "primary: draining" in r.stdout, r.stdout
    r = sh.swervectl(["-c", d.config_path, "provider", "resume", "primary"])
    assert r.returncode == 0 and "primary: closed" in r.stdout, r.stdout
    qid = dh.submit(d, SENDER, ["r@example.net"], sh.message(subject="resumed"))
    m = api.wait_state(qid, "sent", 10)
    assert [a["provider"] for a in m["attempts_detail"]] == ["primary"], m

    r = sh.swervectl(["-c", d.config_path, "provider", "pause", "nosuch"])
    assert r.returncode != 0 and "no provider named" in r.stderr, r.stderr
    r = sh.swervectl(["-c", d.config_path, "provider", "explode", "primary"])
    assert r.returncode == 2
    # status shows the circuit, the share and the health columns
    r = sh.swervectl(["-c", d.config_path, "status"])
    assert r.returncode == 0 and "share" in r.stdout and "success" in r.stdout, r.stdout


def test_sighup_reloads_and_refuses_a_bad_file(lab):
    p = lab.mock("primary")
    b = lab.mock("backup")
    d = lab.daemon([dh.provider("primary", p.smtp_port, 1),
                    dh.provider("backup", b.smtp_port, 2)])
    api = dh.Api(d)
    # Swap the priorities in the file, then SIGHUP.
    d.config["providers"][0]["priority"] = 3
    d.write_config()
    os.kill(d.pid, signal.SIGHUP)
    dh.wait_until(lambda: dh.log_lines(d, "configuration reloaded"), 5,
                  what="reload")
    qid = dh.submit(d, SENDER, ["a@example.net"], sh.message(subject="after"))
    m = api.wait_state(qid, "sent", 10)
    assert [a["provider"] for a in m["attempts_detail"]] == ["backup"], m

    # A broken file: refused with its reason, and the old config stays.
    with open(d.config_path, "w") as f:
        f.write("providers: [\n")
    os.kill(d.pid, signal.SIGHUP)
    dh.wait_until(lambda: dh.log_lines(d, "reload refused"), 5, what="refusal")
    # A change that needs a restart is refused too.
    d.config["providers"][1]["port"] = 1
    d.write_config()
    os.kill(d.pid, signal.SIGHUP)
    dh.wait_until(lambda: dh.log_lines(d, "connection settings changed"), 5,
                  what="refusal of a connection change")
    qid = dh.submit(d, SENDER, ["b@example.net"], sh.message(subject="still"))
    m = api.wait_state(qid, "sent", 10)
    assert [a["provider"] for a in m["attempts_detail"]] == ["backup"], m
    assert d.proc.poll() is None


def test_unknown_outcome_is_held_then_released(lab):
    """on_unknown: hold - a lost answer after the dot is not resent
    (no duplicate) until an operator releases the message."""
    p = lab.mock("primary", "drop")  # reads the message, then hangs up
    b = lab.mock("backup")
    d = lab.daemon([dh.provider("primary", p.smtp_port, 1),
                    dh.provider("backup", b.smtp_port, 2)],
                   streams={"transactional": {"weight": 10},
                            "bulk": {"weight": 1, "on_unknown": "hold"}})
    api = dh.Api(d)
    qid = dh.submit(d, SENDER, ["h@example.net"],
                    sh.message(subject="held", headers=["X-Swerve-Stream: bulk"]))
    m = api.wait_state(qid, "deferred", 10)
    assert m["last_error"].startswith("held: outcome unknown at primary"), m
    assert [a["result"] for a in m["attempts_detail"]] == ["unknown"], m
    time.sleep(1.5)
    assert b.messages() == [] and api.state(qid) == "deferred"
    p.set_mode("accept")
    r = sh.swervectl(["-c", d.config_path, "release", qid])
    assert r.returncode == 0 and "released" in r.stdout, (r.stdout, r.stderr)
    m = api.wait_state(qid, "sent", 10)
    # a second release of a finished message is refused
    r = sh.swervectl(["-c", d.config_path, "release", qid])
    assert r.returncode != 0 and "only a deferred one" in r.stderr, r.stderr


def test_timed_pause_of_the_only_provider_holds_mail_in_memory(lab):
    """Paused for 2 s: mail waits for the pause to end (not a back-off)
    and leaves as soon as it does."""
    p = lab.mock("primary")
    d = lab.daemon([dh.provider("primary", p.smtp_port, 1)],
                   retry={"min_backoff": "30s", "max_backoff": "60s",
                          "max_lifetime": "1h"})
    api = dh.Api(d)
    r = sh.swervectl(["-c", d.config_path, "provider", "pause", "primary",
                      "--for", "2s"])
    assert r.returncode == 0, r.stderr
    t0 = time.monotonic()
    qid = dh.submit(d, SENDER, ["w@example.net"], sh.message(subject="wait"))
    m = api.wait_state(qid, "sent", 10)
    took = time.monotonic() - t0
    assert 1.0 < took < 6.0, took  # not the 30 s back-off
    assert [a["provider"] for a in m["attempts_detail"]] == ["primary"], m
