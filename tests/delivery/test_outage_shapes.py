"""test_outage_shapes - every outage shape of issue 4 against two providers.

For each shape (see outage_helpers.SHAPES): a primary (priority 1) and a
backup (priority 2), both swerve-mock; the primary is broken, a short burst
of mixed mail (a third of it X-Swerve-Stream: critical, a third bulk) goes
in, then the primary heals and a trickle of mail follows. Each test checks:

  - nothing lost: every message ends `sent`, each recipient arrives once;
  - traffic shifts: the burst is accepted by the backup (which provider
    accepted each message, from GET /v1/messages/ID and the mocks' records);
  - the primary's circuit state and reason in GET /v1/providers (sampled
    while the burst runs) and the "circuit opened" log line;
  - the trace says why: the failed attempt's class and reply, and a later
    message's trace names the primary as filtered out (circuit open);
  - critical mail is not slower than bulk (accept delays, from the mocks'
    receive times against the messages' created_at);
  - after healing the primary gets traffic back and its circuit closes
    (5xx-account: it stays open for long - config class - until an
    operator resumes it).

Timeouts are short (connect/greeting 1 s, cool-down 1 s) so the whole file
runs in well under 3 minutes under ASan. No speed target is asserted here;
bench/outage/ measures those.
"""

import datetime
import threading
import time

import pytest

import delivery_helpers as dh
import outage_helpers as oh
from delivery_helpers import sh

SENDER = "app@example.com"
STREAMS = ("critical", "transactional", "bulk")


def streams_cfg():
    return {"critical": {"weight": 100, "failover_after": "2s"},
            "transactional": {"weight": 10},
            "bulk": {"weight": 1}}


def primary_cfg(port, shape, status_url=None, **kw):
    p = dh.provider("primary", port, 1, connect_timeout="1s",
                    greeting_timeout="1s", command_timeout="2s",
                    data_timeout="3s", failback_ramp="2s",
                    circuit={"cooldown": "1s", "max_cooldown": "2s"})
    if shape == "slow":  # replies 2 s late must stay inside the timeouts
        p.update(greeting_timeout="4s", command_timeout="4s",
                 data_timeout="4s")
    if status_url:
        p["status_page"] = {"url": status_url, "on_major": "open",
                            "interval": "1s"}
    p.update(kw)
    return p


def ms_of(iso):
    """swerve-mock's received_at (RFC 3339, ms, UTC) as epoch ms."""
    dt = datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ")
    return dt.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000.0


class ProvWatch:
    """Samples GET /v1/providers every 50 ms in a thread: the primary's
    (state, reason, cooldown_left_ms, ramp) as seen over time."""

    def __init__(self, d, name="primary"):
        self.d, self.name = d, name
        self.samples = []
        self.ev = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.ev.is_set():
            try:
                code, obj = self.d.admin_json("/v1/providers", timeout=5)
                if code == 200:
                    p = next(x for x in obj["providers"] if x["name"] == self.name)
                    self.samples.append((time.monotonic(), p))
            except (OSError, StopIteration, ValueError):
                pass
            self.ev.wait(0.05)

    def stop(self):
        self.ev.set()
        self.t.join(5)

    def states(self):
        return [(p["state"], p["reason"]) for _, p in self.samples]


def prov(d, name):
    code, obj = d.admin_json("/v1/providers")
    assert code == 200, obj
    return next(x for x in obj["providers"] if x["name"] == name)


class Run:
    """One shape's lab: mocks, gate/status page, swerved, and the mail."""

    def __init__(self, lab, shape, **pkw):
        self.lab = lab
        self.shape = oh.SHAPES[shape]
        self.pm = lab.mock("primary")
        self.bm = lab.mock("backup")
        self.gate = self.status = None
        port = self.pm.smtp_port
        if self.shape.needs_gate:
            self.gate = oh.GateProxy(self.pm.smtp_port)
            port = self.gate.port
        if self.shape.needs_status:
            self.status = oh.StatusPage()
        self.env = oh.Env(self.pm.url, self.gate, self.status)
        self.d = lab.daemon(
            [primary_cfg(port, shape, self.status.url if self.status else None,
                         **pkw),
             dh.provider("backup", self.bm.smtp_port, 2)],
            streams=streams_cfg())
        self.api = dh.Api(self.d)
        self.sent = {}  # qid -> (rcpt, stream)
        self.seq = 0

    def close(self):
        oh._flap_stop(self.env)
        if self.gate:
            self.gate.stop()
        if self.status:
            self.status.stop()

    def submit(self, stream, conn=None, tag="m"):
        self.seq += 1
        rcpt = "%s%d-%s@example.net" % (tag, self.seq, stream)
        hdrs = [] if stream == "transactional" else ["X-Swerve-Stream: " + stream]
        qid = dh.submit(self.d, SENDER, [rcpt],
                        sh.message(subject="%s %d" % (stream, self.seq),
                                   headers=hdrs), conn=conn)
        self.sent[qid] = (rcpt, stream)
        return qid

    def burst(self, n, tag="b"):
        conn = sh.SMTPConn(self.d.smtp_port, timeout=30)
        try:
            assert conn.ehlo("client.test").code == 250
            return [self.submit(STREAMS[i % 3], conn, tag) for i in range(n)]
        finally:
            conn.close()

    def wait_sent(self, qids, timeout=30):
        return {q: self.api.wait_state(q, ("sent", "failed"), timeout)
                for q in qids}

    def received(self):
        """rcpt -> [(provider, receive time ms)] over both mocks."""
        got = {}
        for name, m in (("primary", self.pm), ("backup", self.bm)):
            for r in m.messages():
                for a in r["rcpt_to"]:
                    got.setdefault(a, []).append((name, ms_of(r["received_at"])))
        return got


def accepted_by(m):
    return [r["provider"] for r in m["rcpts"] if r["state"] == "sent"]


def check_nothing_lost(run, msgs):
    """Every message sent; each recipient received exactly once, by the
    provider swerved recorded."""
    got = run.received()
    for qid, m in msgs.items():
        rcpt, _ = run.sent[qid]
        assert m["state"] == "sent", m
        assert len(got.get(rcpt, [])) == 1, (rcpt, got.get(rcpt))
        assert got[rcpt][0][0] == accepted_by(m)[0], (m, got[rcpt])
    return got


def delays(run, msgs, got):
    """stream -> [ms from created_at to the provider's receipt]."""
    out = {s: [] for s in STREAMS}
    for qid, m in msgs.items():
        rcpt, stream = run.sent[qid]
        out[stream].append(got[rcpt][0][1] - m["created_at_ms"])
    return out


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def check_critical_not_slower(run, msgs, got, slack_ms=300):
    dl = delays(run, msgs, got)
    assert dl["critical"] and dl["bulk"], dl
    assert median(dl["critical"]) <= median(dl["bulk"]) + slack_ms, dl
    assert max(dl["critical"]) <= max(dl["bulk"]) + slack_ms, dl
    return dl


def check_failback(run, timeout=12):
    """After healing: within timeout the primary accepts mail again and its
    circuit closes; the ramp reported climbs to 1."""
    t0 = time.monotonic()
    back = []
    while time.monotonic() - t0 < timeout:
        qid = run.submit("transactional", tag="h")
        m = run.api.wait_state(qid, ("sent", "failed"), 15)
        assert m["state"] == "sent", m
        if accepted_by(m) == ["primary"]:
            back.append(qid)
        p = prov(run.d, "primary")
        if len(back) >= 3 and p["state"] == "closed":
            return back, p
        time.sleep(0.2)
    raise AssertionError("primary did not get traffic back within %ds: "
                         "primary took %d; status %r"
                         % (timeout, len(back), prov(run.d, "primary")))


def run_failover_shape(lab, shape, burst=12, wait_open=False):
    """The common part: warm up on the primary, break it, burst, check the
    shift, heal, check the fail-back. Returns (run, msgs, watch)."""
    run = Run(lab, shape)
    try:
        warm = run.wait_sent([run.submit("transactional", tag="w")
                              for _ in range(2)], 15)
        for m in warm.values():
            assert accepted_by(m) == ["primary"], m
        watch = ProvWatch(run.d)
        try:
            run.shape.break_(run.env)
            if wait_open:
                dh.wait_until(lambda: prov(run.d, "primary")["state"] == "open",
                              10, 0.1, "the primary's circuit to open")
            qids = run.burst(burst)
            msgs = run.wait_sent(qids, 40)
        finally:
            watch.stop()
        got = check_nothing_lost(run, msgs)
        # the burst is accepted by the backup
        assert all(accepted_by(m) == ["backup"] for m in msgs.values()), \
            [(run.sent[q][0], accepted_by(m)) for q, m in msgs.items()]
        # the circuit opened, for the shape's reason
        states = watch.states()
        # the sampler may miss a short open on a loaded machine; the
        # daemon's own count of opens does not
        assert any(s == "open" and run.shape.reason in r for s, r in states) \
            or prov(run.d, "primary")["circuit_opens"] >= 1, states
        assert dh.log_lines(run.d, r"provider primary circuit opened .*%s"
                            % run.shape.reason), run.d.log_tail(40)
        # the trace says why
        failed = [a for m in msgs.values() for a in m["attempts_detail"]
                  if a["provider"] == "primary"]
        if run.shape.cls is not None:
            # (a critical message may leave first on its 2 s failover_after)
            assert failed and all(
                a["result"] == run.shape.cls or
                "failover_after" in (a["reply"] or "") for a in failed), failed
            assert any(a["result"] == run.shape.cls for a in failed), failed
            assert all(a["trace"].startswith("stream ") and "chose primary" in a["trace"]
                       for a in failed), failed
        else:
            assert failed == [], failed
        skipped = [m for m in msgs.values()
                   if [a["provider"] for a in m["attempts_detail"]] == ["backup"]]
        assert skipped, "every message tried the primary first"
        # Mail that was already waiting for the primary when its circuit
        # opened is moved to the backup without an attempt on the primary;
        # its trace then says "primary (already tried)" (misleading: it was
        # never tried; see the report). Mail routed later says "circuit".
        for m in skipped:
            tr = m["attempts_detail"][0]["trace"]
            assert "chose backup" in tr and ("primary (circuit " in tr or
                                             "primary (already tried)" in tr), tr
        check_critical_not_slower(run, msgs, got)
        return run, msgs, states
    except BaseException:
        run.close()
        raise


def heal_and_fail_back(run):
    run.shape.heal(run.env)
    back, p = check_failback(run)
    assert p["state"] == "closed", p
    return back


@pytest.mark.parametrize("shape", ["refuse", "hang", "421", "451", "throttle"])
def test_outage_shape_fails_over_and_back(lab, shape):
    """The plain failure shapes: the first attempts fail on the primary and
    move to the backup at once, the circuit opens after 3 in a row, the rest
    skip the primary; after healing and the 1 s cool-down, trial messages
    close the circuit and the primary takes the mail again."""
    run, msgs, _ = run_failover_shape(lab, shape)
    try:
        first = [a for m in msgs.values() for a in m["attempts_detail"]
                 if a["result"] == run.shape.cls][0]
        assert first["provider"] == "primary", first
        want = {"refuse": "refused", "hang": "timeout",
                "421": "service not available", "451": "temporary failure",
                "throttle": "throttling failure"}[shape]
        reply = (first["reply"] or "").lower()
        # a hung session may also be given up by a critical message's
        # failover_after (2 s) before the command timeout: that attempt is
        # "deferred" too, as nothing of the message can have been taken
        assert want in reply or (shape == "hang" and
                                 "failover_after" in reply), first
        if shape == "hang":
            # a frozen session: the command timeout (2 s); a new one: the
            # greeting timeout (1 s); never longer
            assert 800 <= first["duration_ms"] <= 2900, first
        heal_and_fail_back(run)
        # a message after the fail-back says why it went back
        qid = run.submit("bulk", tag="after")
        m = run.api.wait_state(qid, "sent", 10)
        assert accepted_by(m) == ["primary"], m
        assert m["attempts_detail"][0]["trace"].startswith(
            "stream bulk (balanced): chose primary"), m
    finally:
        run.close()


def test_outage_account_fault_opens_for_long_until_resumed(lab):
    """530 5.7.0 at MAIL is a config-class failure: one opens the circuit
    for the config cool-down (10 min by default), not the 1 s one; healing
    the provider does not bring it back by itself; an operator's resume
    does."""
    run, msgs, states = run_failover_shape(lab, "5xx-account")
    try:
        failed = [a for m in msgs.values() for a in m["attempts_detail"]
                  if a["provider"] == "primary"]
        # one config failure is enough: only those already in flight on the
        # primary's 4 connections when the first answer came fail there
        assert 1 <= len(failed) <= 4, failed
        assert "authentication required" in failed[0]["reply"].lower(), failed
        p = prov(run.d, "primary")
        assert p["state"] == "open" and p["reason"].startswith("config"), p
        assert p["cooldown_left_ms"] > 60000, p
        run.shape.heal(run.env)
        time.sleep(2.5)  # more than the ordinary 1 s cool-down
        qid = run.submit("transactional", tag="still")
        m = run.api.wait_state(qid, "sent", 10)
        assert accepted_by(m) == ["backup"], m
        assert prov(run.d, "primary")["state"] == "open"
        r = sh.swervectl(["-c", run.d.config_path, "provider", "resume", "primary"])
        assert r.returncode == 0 and "primary: closed" in r.stdout, (r.stdout, r.stderr)
        back, p = check_failback(run, 8)
        assert p["state"] == "closed"
    finally:
        run.close()


def test_outage_status_page_major_while_smtp_answers(lab):
    """The primary's SMTP still works, but its status page says major
    outage: with on_major: open the circuit opens on the page alone, the
    burst never touches the primary, and when the page clears the circuit
    closes and the primary takes mail again."""
    run, msgs, states = run_failover_shape(lab, "statuspage", wait_open=True)
    try:
        assert run.status.hits >= 1
        assert all(m["attempts"] == 1 for m in msgs.values()), msgs
        assert run.pm.messages().__len__() == 2  # the warm-up only
        p = prov(run.d, "primary")
        assert "status page reports major" in p["reason"], p
        back = heal_and_fail_back(run)
        assert back
    finally:
        run.close()


def test_outage_slow_provider_critical_leaves_bulk_stays(lab):
    """Every reply 2 s late (inside the timeouts): nothing fails, so the
    circuit stays closed; critical mail moves to the backup after its
    failover_after (2 s) instead of waiting, bulk is delivered by the slow
    primary; nothing is lost and critical is faster than bulk."""
    run = Run(lab, "slow")
    try:
        run.wait_sent([run.submit("transactional", tag="w")], 15)
        watch = ProvWatch(run.d)
        try:
            run.shape.break_(run.env)
            qids = run.burst(6)
            msgs = run.wait_sent(qids, 60)
        finally:
            watch.stop()
        got = check_nothing_lost(run, msgs)
        crit = [m for q, m in msgs.items() if run.sent[q][1] == "critical"]
        assert all(accepted_by(m) == ["backup"] for m in crit), crit
        for m in crit:
            assert "failover_after" in " ".join(
                (a["reply"] or "") + " " + a["trace"]
                for a in m["attempts_detail"]) or \
                m["attempts_detail"][0]["provider"] == "backup", m
        assert all(s == "closed" for s, _ in watch.states()), watch.states()
        dl = delays(run, msgs, got)
        assert max(dl["critical"]) < min(dl["bulk"]), dl
        run.shape.heal(run.env)
        qid = run.submit("critical", tag="after")
        m = run.api.wait_state(qid, "sent", 10)
        assert accepted_by(m) == ["primary"], m
    finally:
        run.close()


def test_outage_flapping_every_5s(lab):
    """refuse / accept every 5 s for 12 s while mail trickles in: every
    message sent exactly once, the circuit opens in the bad phases, the
    primary takes mail again in a good phase, and critical mail is never
    slower than bulk."""
    run = Run(lab, "flap")
    try:
        run.wait_sent([run.submit("transactional", tag="w")], 15)
        watch = ProvWatch(run.d)
        qids = []
        t_flap = time.monotonic()
        try:
            run.shape.break_(run.env)
            conn = sh.SMTPConn(run.d.smtp_port, timeout=30)
            assert conn.ehlo("client.test").code == 250
            i = 0
            while time.monotonic() - t_flap < 12.5:
                qids.append(run.submit(STREAMS[i % 3], conn, "f"))
                i += 1
                time.sleep(0.15)
            conn.close()
            run.shape.heal(run.env)
            msgs = run.wait_sent(qids, 40)
        finally:
            watch.stop()
        flips = run.env.flapper.flips if run.env.flapper else None
        got = check_nothing_lost(run, msgs)
        states = watch.states()
        assert any(s == "open" for s, _ in states), states
        assert dh.log_lines(run.d, "provider primary circuit (re-)?opened")
        # the second bad phase starts at 10 s; the first good at 5 s:
        # mail submitted in 6-9.5 s should have gone to the primary again
        by_time = sorted((m["created_at_ms"], accepted_by(m)[0])
                         for m in msgs.values())
        t0 = by_time[0][0]
        assert any(p == "backup" for t, p in by_time if t - t0 < 4500), by_time
        assert any(p == "primary" for t, p in by_time
                   if 6500 <= t - t0 <= 9500), by_time
        check_critical_not_slower(run, msgs, got, slack_ms=500)
        assert flips is None or flips >= 2
    finally:
        run.close()


def test_failover_after_during_greeting_is_not_unknown(lab):
    """A hung provider (never greets) with a greeting timeout longer than
    the stream's failover_after: the deadline moves the message on; as no
    byte of it can have reached the provider, the attempt must not be
    'unknown', and on_unknown: hold must not keep it from the backup."""
    pm = lab.mock("primary")
    gate = oh.GateProxy(pm.smtp_port, mode="hang")
    b = lab.mock("backup")
    try:
        d = lab.daemon([dh.provider("primary", gate.port, 1,
                                    greeting_timeout="5s"),
                        dh.provider("backup", b.smtp_port, 2)],
                       streams=dict(streams_cfg(), critical={
                           "weight": 100, "failover_after": "1s",
                           "on_unknown": "hold"}))
        api = dh.Api(d)
        qid = dh.submit(d, SENDER, ["otp@example.net"],
                        sh.message(subject="otp",
                                   headers=["X-Swerve-Stream: critical"]))
        dh.wait_until(lambda: api.message(qid)["attempts"] >= 1, 10, 0.1,
                      "a first attempt")
        time.sleep(1.0)  # a held message is "deferred" with no next attempt
        m = api.message(qid)
        assert [a["result"] for a in m["attempts_detail"]][:1] != ["unknown"], m
        assert m["state"] == "sent" and accepted_by(m) == ["backup"], m
        assert not dh.log_lines(d, "possible duplicate")
    finally:
        gate.stop()


def test_failback_ramps_the_share_back_gradually(lab):
    """After the primary heals and its circuit closes, its share climbs over
    failback_ramp (6 s here) instead of snapping back: in the first 2 s
    after the close the backup still takes a good part of the mail."""
    pm = lab.mock("primary")
    bm = lab.mock("backup")
    d = lab.daemon([primary_cfg(pm.smtp_port, "refuse", failback_ramp="6s"),
                    dh.provider("backup", bm.smtp_port, 2)],
                   streams=streams_cfg())
    run = Run.__new__(Run)  # reuse submit() on this daemon
    run.d, run.api, run.sent, run.seq = d, dh.Api(d), {}, 0
    pm.set_mode("refuse")
    run.wait_sent([run.submit("transactional", tag="r") for _ in range(3)], 15)
    assert prov(d, "primary")["state"] == "open"
    pm.set_mode("accept")
    deadline = time.monotonic() + 15
    while prov(d, "primary")["state"] != "closed":
        assert time.monotonic() < deadline, prov(d, "primary")
        run.wait_sent([run.submit("transactional", tag="t")], 10)
        time.sleep(0.1)
    p = prov(d, "primary")
    assert p["ramp"] < 0.8, p  # the ramp has started
    t0 = time.monotonic()
    qids = []
    while time.monotonic() - t0 < 2.0:
        qids.append(run.submit("transactional", tag="a"))
        time.sleep(0.08)
    msgs = run.wait_sent(qids, 15)
    share = sum(accepted_by(m) == ["primary"] for m in msgs.values()) / len(msgs)
    assert share <= 0.6, (share, prov(d, "primary"))
