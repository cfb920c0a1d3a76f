"""Each fault kind end to end (issue 16): a primary and a backup
swerve-mock behind one swerved; a drill of the primary while traffic
flows.

For every kind: traffic moves to the backup; nothing reaches the
primary's mock while the fault is simulated (its own record of received
messages); the figures swerved reports match those computed from the
spool apart from it; the drill rolls back at its deadline and the primary
takes traffic again (fail-back); every message is sent exactly once
(the two mocks together hold each message once) and no recipient failed.
slow sends late instead of failing; flap fails only in its outage
halves.
"""

import pytest

import drill_helpers as dh
import swerve_harness as sh

FAILING = ["outage", "hang", "tempfail", "throttle:5s", "account"]


def run_drill(lab, fault, during=12, duration="3s"):
    d, m1, m2 = dh.setup(lab)
    s = dh.Sender(d)
    s.send(3)
    dh.wait_sent(d, s.ids)
    assert len(m1.messages()) == 3 and len(m2.messages()) == 0
    rep = dh.start(d, "primary", fault, "--for", duration)
    did = rep["id"]
    assert rep["state"] == "running"
    t0, t1 = dh.iso_ms(rep["started_at"]), dh.iso_ms(rep["ends_at"])
    s.send(during, every=0.2)
    # After the deadline: traffic until the primary takes some again.
    sh.wait_until(lambda: dh.report(d, did)["state"] != "running", 10, 0.1,
                  "the drill ends at its deadline")

    def failed_back():
        s.send(1)
        return any(t > t1 for t in dh.mock_times(m1))
    sh.wait_until(failed_back, 20, 0.2, "the primary takes traffic again")
    states = dh.wait_sent(d, s.ids)
    s.close()
    return d, m1, m2, s, did, t0, t1, states


def check_nothing_lost(d, m1, m2, s, states):
    assert set(states.values()) == {"sent"}
    assert dh.failed_rcpts(d) == 0
    # Each message exactly once across the two providers.
    assert len(m1.messages()) + len(m2.messages()) == len(s.ids)


@pytest.mark.parametrize("fault", FAILING)
def test_failing_fault_moves_traffic_and_rolls_back(lab, fault):
    d, m1, m2, s, did, t0, t1, states = run_drill(lab, fault)
    # Nothing reached the primary while the fault was on (an attempt
    # already on the wire when it started may land in its first 100 ms).
    during = [t for t in dh.mock_times(m1) if t0 + 100 <= t < t1]
    assert during == [], "the primary received %d messages during the " \
        "drill" % len(during)
    assert len(m2.messages()) > 0
    check_nothing_lost(d, m1, m2, s, states)
    rep = dh.wait_final(d, did)
    fig = rep["figures"]
    ind = dh.independent(d, did)
    assert ind["simulated"] > 0
    assert fig["simulated"] == ind["simulated"]
    assert fig["rerouted"] == ind["simulated"]
    assert fig["lost"] == 0 and fig["permanent_failures"] == 0
    assert fig["duplicates_possible"] == 0
    assert abs(fig["failover_first_ms"] - ind["failover_first_ms"]) <= 100, \
        (fig, ind)
    assert fig["failback_ms"] is not None
    assert rep["state"] == "ended"
    assert "duration" in rep["end_reason"]
    row = {o["name"]: o for o in rep["objectives"]}
    assert row["lost"]["pass"] is True
    assert row["failover_within"]["observed"] == fig["failover_first_ms"]
    # The simulated answers went through the failure policy: the attempt
    # classes are the ones a real failure of that shape gets.
    want = {"throttle:5s": "throttled", "account": "config"}.get(
        fault, "deferred")
    sims = [a for a in dh.attempts(d) if "drill %s" % did in a[4]]
    assert {a[3] for a in sims} == {want}


def test_outage_detect_matches_the_log(lab):
    d, m1, m2, s, did, t0, t1, states = run_drill(lab, "outage")
    rep = dh.wait_final(d, did)
    ind = dh.independent(d, did)
    # The circuit opening, as swerved logged it (its own timestamp).
    import re
    m = re.search(r"^(\S+) warn deliver: provider primary circuit opened",
                  d.log_text(), re.M)
    assert m, d.log_tail(40)
    opened = dh.iso_ms(m.group(1))
    assert abs(rep["figures"]["detect_ms"] - (opened - ind["first_fail"])) \
        <= 100, (rep["figures"], opened, ind)
    row = {o["name"]: o for o in rep["objectives"]}
    assert row["detect_within"]["pass"] is True
    # Incidents ran unchanged, on the drill's events: the one it opened
    # is labelled a drill, and no real one was opened.
    code, inc = d.admin_json("/v1/incidents")
    assert code == 200
    assert inc["incidents"], "the drill opened no incident"
    assert all(i["drill"] for i in inc["incidents"]), inc


def test_slow_delays_but_sends(lab):
    d, m1, m2, s, did, t0, t1, states = run_drill(lab, "slow:2s", during=6)
    check_nothing_lost(d, m1, m2, s, states)
    # Sent by the primary itself, late: no failover.
    during = [t for t in dh.mock_times(m1) if t0 + 1900 <= t < t1 + 2500]
    assert during, "slow: the primary received nothing"
    rep = dh.wait_final(d, did)
    assert rep["figures"]["simulated"] == 0
    assert rep["figures"]["rerouted"] == 0
    assert rep["figures"]["streams"]["transactional"]["p50_ms"] >= 2000


def test_flap_fails_only_in_its_outage_half(lab):
    d, m1, m2, s, did, t0, t1, states = run_drill(lab, "flap:2s",
                                                  duration="4s", during=18)
    check_nothing_lost(d, m1, m2, s, states)
    first_half = [t for t in dh.mock_times(m1) if t0 + 100 <= t < t0 + 2000]
    assert first_half == []
    rep = dh.wait_final(d, did)
    assert rep["figures"]["simulated"] > 0
    assert rep["figures"]["lost"] == 0
