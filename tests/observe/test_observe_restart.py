"""test_observe_restart - the per-stream queue estimate after a restart:
mail deferred by an earlier run (its next attempt far away) is counted
and aged from the spool at start, not only at its next attempt."""

import re
import time

import pytest

import observe_helpers as oh
import swerve_harness as sh


def gauge(text, name):
    m = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
    assert m, name
    return float(m.group(1))


@pytest.fixture
def lab(tmp_path):
    made = []
    yield tmp_path, made
    for x in reversed(made):
        x.stop()
    sh.kill_leftovers()


def test_queue_age_survives_a_restart(lab):
    tmp, made = lab
    mock = sh.Mock(tmp, "dark", mode="tempfail").start()
    made.append(mock)
    (tmp / "sw").mkdir()
    cfg = sh.daemon_config(tmp, [sh.provider("dark", mock.smtp_port, 1)], "sw",
                           retry={"min_backoff": "30m", "max_backoff": "1h",
                                  "max_lifetime": "1d"})
    d = sh.Daemon(tmp / "sw", cfg)
    made.append(d)
    d.start()
    api = sh.Api(d)
    ids = [sh.submit(d, "a@example.com", ["r%d@example.net" % i],
                     sh.message(subject="q%d" % i)) for i in range(5)]
    for q in ids:
        api.wait_state(q, "deferred", 20)
    time.sleep(1.5)
    text = d.admin_json("/metrics")[1].decode()
    name = 'swerve_stream_queued_messages{stream="transactional",state="deferred"}'
    assert gauge(text, name) == 5
    age_before = gauge(text, 'swerve_stream_oldest_message_age_seconds{stream="transactional"}')
    assert age_before >= 1
    d.stop()
    assert not d.problems(), d.problems()
    d.start()
    # Nothing will be attempted for 30 minutes; the estimate comes from
    # the spool.
    def seeded():
        t = d.admin_json("/metrics")[1].decode()
        return t if gauge(t, name) == 5 else None
    text = sh.wait_until(seeded, 10, 0.2, "queue estimate seeded from the spool")
    assert gauge(text, 'swerve_stream_oldest_message_age_seconds{stream="transactional"}') \
        >= age_before
    assert all(api.state(q) == "deferred" for q in ids)
    for q in ids:
        assert q not in text
    d.stop()
    assert not d.problems(), d.problems()
