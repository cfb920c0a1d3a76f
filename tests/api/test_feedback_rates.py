"""Delivery ratios (issue 14, item 4): bounces reported through a real
feedback route fire the built-in bounce-rate alert at SES's 5% level and
take share away from that provider for that sender domain only, every such
decision visible in the routing trace (swervectl trace); more delivered
mail brings the ratio under the level again, and everything recovers.

Two Postmark providers through swerve-mock, shared by weight (objective
balanced). The test posts Postmark's bounce records to pm1's events path,
as Postmark would (basic credentials), for mail pm1 sent from
example.com. rates: min_volume 10 so a dozen sends decide; penalty_share
50% so the penalised provider still carries a third of example.com's mail
and its ratio can recover within the test.
"""

import os
import time

import pytest

from api_client import JOBS_KEY, WEB_KEY, msg, send
from api_client import sh
from test_feedback import HOOK_PASS, HOOK_USER, api_keys, bounce, hook
from test_feedback import metrics

PM_KEY = "mock-postmark-server-token"


def daemon(lab, mock):
    secret = os.path.join(str(lab.tmp), "pm-hook.secret")
    with open(secret, "w") as f:
        f.write(HOOK_PASS + "\n")
    events = {"username": HOOK_USER, "password_file": secret}
    provs = [{"name": name, "type": "postmark", "endpoint": mock.url,
              "api_key": PM_KEY, "priority": 1, "weight": 1,
              "request_timeout": "5s", "events": dict(events)}
             for name in ("pm1", "pm2")]
    return sh.Lab.daemon(
        lab, provs, api_keys=api_keys(lab),
        rates={"min_volume": 10, "penalty_share": "50%"},
        # The shipped rules' names and levels (rates:), with a short
        # clear_for so the resolution is seen within the test.
        alerts={"interval": "100ms", "rules": [
            {"name": "bounce_rate", "clear_for": "1s"},
            {"name": "bounce_rate_critical", "kind": "bounce_rate",
             "severity": "critical", "clear_for": "1s"}]})


@pytest.fixture
def up(lab):
    return daemon(lab, lab.mock())


SEQ = [0]


def batch(d, n, sender="s@example.com", key=WEB_KEY):
    """n messages, one fresh recipient each, all sent: their records."""
    ids = []
    for _ in range(n):
        SEQ[0] += 1
        code, obj, _ = send(d, msg(**{"from": sender,
                                      "to": "r%d@example.net" % SEQ[0]}),
                            key=key)
        assert code == 202, obj
        ids.append(obj["id"])
    api = sh.Api(d)
    return [api.wait_state(qid, "sent", 30) for qid in ids]


def provider_of(m):
    return m["attempts_detail"][-1]["provider"]


def trace_of(m):
    return m["attempts_detail"][-1]["trace"]


def alerts(d):
    code, obj = d.admin_json("/v1/alerts")
    assert code == 200, obj
    return {(a["rule"], a.get("provider")): a for a in obj["alerts"]}


def wait_alert(d, rule, prov, present, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        got = alerts(d)
        if ((rule, prov) in got) == present:
            return got.get((rule, prov))
        time.sleep(0.1)
    raise AssertionError("alert %s/%s %s: %s" % (
        rule, prov, "never fired" if present else "still active",
        alerts(d)))


def test_bounces_fire_the_alert_and_shift_share_then_recover(up):
    d = up
    # 24 messages from example.com: shared evenly, 12 each.
    first = batch(d, 24)
    by = {"pm1": [m for m in first if provider_of(m) == "pm1"],
          "pm2": [m for m in first if provider_of(m) == "pm2"]}
    n1 = len(by["pm1"])
    assert 10 <= n1 <= 14, [provider_of(m) for m in first]
    assert "reputation" not in trace_of(first[-1]), trace_of(first[-1])
    # No bounce yet: no ratio alert.
    time.sleep(0.5)
    assert not [k for k in alerts(d) if k[0].startswith("bounce_rate")]

    # One hard bounce of about twelve sends (8.3%, over 5%), from pm1.
    victim = by["pm1"][0]
    pmid = victim["rcpts"][0]["provider_message_id"]
    code, obj = hook(d, bounce(pmid, victim["rcpts"][0]["address"]),
                     path="/feedback/pm1")
    assert (code, obj) == (200, {"events": 1, "stored": 1,
                                 "duplicates": 0}), obj
    a = wait_alert(d, "bounce_rate", "pm1", True)
    assert a["severity"] == "warning" and a["state"] == "firing", a
    pct = "%.2f%%" % (100.0 / n1)
    assert "bounce rate %s over the last 24h (1 of %d sends; alert at " \
        "5%%)" % (pct, n1) in a["summary"], a
    # 8.3% is under the critical 10%; pm2 has nothing against it.
    assert ("bounce_rate_critical", "pm1") not in alerts(d)
    assert ("bounce_rate", "pm2") not in alerts(d)
    m = metrics(d, "swerve_delivery_")
    assert m['swerve_delivery_ratio{provider="pm1",window="24h",'
             'kind="bounce"}'] == pytest.approx(1 / n1), m
    assert m['swerve_delivery_sends{provider="pm1",window="1h"}'] == n1, m
    assert m['swerve_delivery_ratio{domain="example.com",window="24h",'
             'kind="bounce"}'] == pytest.approx(1 / 24), m
    assert m['swerve_delivery_ratio{stream="transactional",window="1h",'
             'kind="bounce"}'] == pytest.approx(1 / 24), m
    st = sh.swervectl(["-c", d.config_path, "status"])
    assert st.returncode == 0, st.stderr
    row = [ln for ln in st.stdout.splitlines()
           if ln.strip().startswith("pm1 ")][0]
    assert pct in row and "0.000%" in row, st.stdout

    # pm1 now keeps half its weight for example.com: a third of the mail.
    second = batch(d, 12)
    on1 = [m for m in second if provider_of(m) == "pm1"]
    assert 3 <= len(on1) <= 5, [provider_of(m) for m in second]
    t = trace_of(on1[0])
    assert "x reputation 0.50: bounce %s >= 5%% (1/%d sends, 24h) for " \
        "example.com" % (pct, n1) in t, t
    t = trace_of([m for m in second if provider_of(m) == "pm2"][0])
    assert "pm1 (priority 1, score 0.50; reputation x0.50: bounce" in t, t
    r = sh.swervectl(["-c", d.config_path, "trace", on1[0]["id"]])
    assert r.returncode == 0 and "x reputation 0.50: bounce" in r.stdout, \
        r.stdout
    # Another sender domain is not affected: pm1 is clean for example.org.
    other = batch(d, 6, sender="j@example.org", key=JOBS_KEY)
    assert all("reputation" not in trace_of(m) for m in other), \
        [trace_of(m) for m in other]

    # Mail keeps flowing; delivered sends dilute pm1's ratio under 4%
    # (the alert's hysteresis) and both the alert and the penalty end.
    for _ in range(20):
        more = batch(d, 6)
        if ("bounce_rate", "pm1") not in alerts(d) and \
                "reputation" not in trace_of(more[-1]):
            break
    wait_alert(d, "bounce_rate", "pm1", False)
    last = batch(d, 8)
    got = [provider_of(m) for m in last]
    assert got.count("pm1") >= 3 and got.count("pm2") >= 3, got
    assert all("reputation" not in trace_of(m) for m in last)
