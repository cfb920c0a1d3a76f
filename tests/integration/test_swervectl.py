"""swervectl status / status --json reflect what the daemon accepted."""

import json
import re

import swerve_harness as h

STATES = ("ready", "inflight", "deferred", "sent", "failed")


def submit(d, n):
    ids = []
    with d.connect() as c:
        c.ehlo()
        for i in range(n):
            rs = c.mail("a@example.com", ["b@example.net"], h.message(subject="m%d" % i))
            assert rs[-1].code == 250, rs
            ids.append(rs[-1].queue_id())
    return ids


def test_status_json_counts(swerve):
    d = swerve.start()
    q = h.queue_counts(d)
    assert set(STATES) <= set(q), q
    assert all(q[s] == 0 for s in STATES), q
    submit(d, 3)
    q = h.queue_counts(d)
    assert q["ready"] == 3, q
    assert all(q[s] == 0 for s in STATES if s != "ready"), q
    assert d.spool.count() == 3


def test_status_json_by_url(swerve):
    d = swerve.start()
    submit(d, 2)
    q = h.queue_counts(d, use_url=True)
    assert q["ready"] == 2, q


def test_status_human(swerve):
    d = swerve.start()
    submit(d, 4)
    r = h.swervectl(["-c", d.config_path, "status"])
    assert r.returncode == 0, r.stdout + r.stderr
    m = re.search(r"\bready\b\W*(\d+)", r.stdout)
    assert m and int(m.group(1)) == 4, r.stdout
    for s in STATES:
        assert s in r.stdout, r.stdout
    # human output is not JSON
    try:
        json.loads(r.stdout)
        raise AssertionError("plain status printed JSON")
    except ValueError:
        pass


def test_status_counts_survive_restart(swerve):
    d = swerve.start()
    submit(d, 2)
    d.restart()
    assert h.queue_counts(d)["ready"] == 2


def test_status_daemon_down_fails():
    r = h.swervectl(["--url", "http://127.0.0.1:%d" % h.free_port(), "status", "--json"])
    assert r.returncode != 0, r.stdout
    assert r.stderr.strip(), "no error message"
