"""test_observe_metrics - /metrics and /metrics.json on a live swerved that
went through a provider outage (see conftest.outage), checked by
promtool and by a real Prometheus server."""

import re
import subprocess

import pytest

import observe_helpers as oh
import swerve_harness as sh

# Every family swerved exports once it has seen traffic, an outage, a
# probe, a status page, a rate limit and a quota.
FAMILIES = """
swerve_smtp_sessions_open swerve_smtp_sessions_total
swerve_messages_accepted_total swerve_messages_accepted_bytes_total
swerve_smtp_rejections_total swerve_http_responses_total
swerve_queue_messages swerve_spool_commits_total
swerve_spool_committed_messages_total swerve_spool_failed_commits_total
swerve_spool_commit_seconds_total swerve_spool_deduplicated_total
swerve_spool_queued_jobs swerve_spool_disk_low swerve_spool_damaged
swerve_spool_commit_batch_size swerve_spool_commit_duration_seconds
swerve_delivery_inflight_messages swerve_delivery_parked_messages
swerve_delivery_attempts_total swerve_messages_delivered_total
swerve_failovers_total swerve_messages_deferred_total
swerve_messages_failed_total swerve_messages_held_total swerve_dsns_total
swerve_possible_duplicates_total swerve_provider_state
swerve_provider_consecutive_failures swerve_provider_health_score
swerve_provider_success_ratio swerve_provider_failback_ramp_ratio
swerve_provider_latency_ewma_seconds swerve_provider_cooldown_seconds
swerve_provider_attempts_total swerve_provider_results_total
swerve_provider_config_errors_total swerve_provider_circuit_opens_total
swerve_provider_picks_total swerve_provider_probes_total
swerve_provider_status_page swerve_provider_rate_limit_per_second
swerve_provider_rate_limit_tokens swerve_provider_quota_limit
swerve_provider_quota_remaining swerve_provider_connections
swerve_provider_waiting_messages swerve_stream_usable_providers
swerve_stream_inflight_messages swerve_deliveries_total
swerve_stream_messages_total swerve_provider_failovers_total
swerve_provider_circuit_changes_total swerve_provider_throttled_total
swerve_provider_traffic_share_ratio swerve_delivery_latency_seconds
swerve_delivery_attempt_duration_seconds swerve_stream_queued_messages
swerve_stream_oldest_message_age_seconds swerve_stream_queue_untracked_total
swerve_tenant_messages_accepted_total swerve_events_total
swerve_process_uptime_seconds process_resident_memory_bytes process_open_fds
""".split()


def samples(text):
    """{'name{labels}': value} of an exposition."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def families(text):
    """{family: type} from the TYPE lines."""
    return dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))


def test_promtool_check_metrics_on_a_live_scrape(outage):
    for phase in ("before", "outage", "after"):
        text = outage.scrapes[phase]
        r = subprocess.run([oh.PROMTOOL, "check", "metrics"],
                           input=text.encode(), capture_output=True,
                           timeout=60)
        assert r.returncode == 0, (phase, r.stdout + r.stderr)


def test_every_family_is_populated_after_the_outage(outage):
    text = outage.scrapes["outage"]
    fams = families(text)
    assert sorted(set(FAMILIES) - set(fams)) == []
    names = {k.split("{")[0] for k in samples(text)}
    for f in FAMILIES:
        if fams[f] == "histogram":
            assert f + "_bucket" in names and f + "_count" in names, f
        else:
            assert f in names, "family %s has no sample" % f
    # Histograms in their standard shape, with observations in them.
    s = samples(text)
    assert s['swerve_delivery_latency_seconds_count{stream="transactional"}'] >= 14
    assert s['swerve_delivery_latency_seconds_bucket{stream="transactional",le="+Inf"}'] \
        == s['swerve_delivery_latency_seconds_count{stream="transactional"}']
    assert s['swerve_delivery_attempt_duration_seconds_count{provider="primary"}'] >= 6
    assert s["swerve_spool_commit_batch_size_count"] >= 1
    assert s["swerve_spool_commit_duration_seconds_count"] == \
        s["swerve_spool_commit_batch_size_count"]


def test_outage_shows_in_the_metrics(outage):
    before = samples(outage.scrapes["before"])
    s = samples(outage.scrapes["outage"])
    assert before['swerve_provider_failovers_total{from="primary",to="backup"}'] == 0
    assert s['swerve_provider_failovers_total{from="primary",to="backup"}'] >= 3
    assert s['swerve_provider_state{provider="primary",state="open"}'] == 1
    assert s['swerve_provider_circuit_changes_total{provider="primary",state="open"}'] >= 1
    assert s['swerve_deliveries_total{provider="primary",stream="transactional",class="deferred"}'] >= 3
    assert s['swerve_deliveries_total{provider="backup",stream="transactional",class="accepted"}'] >= 5
    assert s['swerve_stream_usable_providers{stream="transactional"}'] == 1
    assert s['swerve_provider_status_page{provider="primary",level="ok"}'] == 1
    assert s['swerve_provider_quota_limit{provider="primary"}'] == 100000
    assert s['swerve_provider_traffic_share_ratio{provider="backup"}'] > 0
    after = samples(outage.scrapes["after"])
    assert after['swerve_provider_state{provider="primary",state="closed"}'] == 1
    # Nothing is left in the queue estimate once everything was sent.
    assert after['swerve_stream_queued_messages{stream="transactional",state="deferred"}'] == 0
    assert after['swerve_stream_oldest_message_age_seconds{stream="transactional"}'] == 0


def test_metrics_json_carries_the_same_families(outage):
    obj = outage.scrapes["outage_json"]
    text_fams = families(outage.scrapes["outage"])
    assert set(obj) == set(text_fams)
    for name, fam in obj.items():
        assert fam["type"] == text_fams[name], name
        assert fam["help"]
    fo = [x for x in obj["swerve_provider_failovers_total"]["samples"]
          if x["labels"] == {"from": "primary", "to": "backup"}]
    assert fo and fo[0]["value"] >= 3
    h = obj["swerve_delivery_latency_seconds"]["samples"][0]
    assert h["buckets"][-1][0] == "+Inf" and h["buckets"][-1][1] == h["count"]


def test_labels_are_bounded_no_ids_or_addresses(outage):
    for phase in ("before", "outage", "after"):
        text = outage.scrapes[phase]
        for q in outage.qids:
            assert q not in text
        assert "@" not in text, "an address in the metrics"
        for secret in oh.SECRETS:
            assert secret not in text
        labels = set(re.findall(r'[{,]([a-z_]+)="', text))
        assert labels <= {"provider", "stream", "class", "state", "reason",
                          "result", "outcome", "level", "code", "handler",
                          "from", "to", "tenant", "ingress", "event", "le",
                          # the delivery ratios: window and kind from
                          # fixed lists, domain at most 50 (observe/rates.h)
                          "window", "kind", "domain",
                          # readiness: one of four verdicts; its domain
                          # series capped by readiness.max_metrics
                          "verdict"}, sorted(labels)


def test_prometheus_server_scraped_the_outage(outage):
    prom = outage.prom
    # (A scrape may time out on a loaded machine: ask whether scrapes
    # worked, not whether the very last one did.)
    up = prom.query('max_over_time(up{job="swerve"}[1m])')
    assert up and up[0][1] == 1
    r = prom.query('max(swerve_provider_failovers_total{from="primary",to="backup"})')
    assert r and r[0][1] >= 3, r
    r = prom.query('max_over_time(swerve_provider_state{provider="primary",state="open"}[10m])')
    assert r and r[0][1] == 1, r
    r = prom.query('last_over_time(swerve_provider_state{provider="primary",state="closed"}[1m])')
    assert r and r[0][1] == 1, r
    r = prom.query('sum by (provider) (increase(swerve_deliveries_total{class="accepted"}[10m]))')
    got = {m["provider"]: v for m, v in r}
    assert got.get("backup", 0) > 0, got
    r = prom.query('histogram_quantile(0.99, sum by (le) '
                   '(rate(swerve_delivery_latency_seconds_bucket{stream="transactional"}[10m])))')
    assert r and 0 < r[0][1] < 60, r
    # The shipped rule saw the failover (info: a silent fallback is
    # never silent).
    sh.wait_until(lambda: any(a["labels"]["alertname"] == "SwerveFailoverHappened"
                              and a["labels"].get("from") == "primary"
                              for a in prom.alerts()), 10, 0.5,
                  "SwerveFailoverHappened in Prometheus")


def test_swervectl_status_shows_share_alerts_and_watch_refreshes(outage):
    import signal
    import time
    ctl = [sh.bin_path("swervectl"), "-c", outage.daemon.config_path]
    r = subprocess.run(ctl + ["status"], capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    rows = {l.split()[0]: l.split() for l in out.splitlines()
            if l.startswith("  primary ") or l.startswith("  backup ")}
    assert rows["primary"][1] == "closed", out
    # share (5 min) + success ratio + latency columns; the backup carried
    # the outage, so both have a share and the shares add up to 100%.
    shares = [float(rows[p][2].rstrip("%")) for p in ("primary", "backup")]
    assert all(x > 0 for x in shares) and abs(sum(shares) - 100) < 0.2, out
    assert rows["backup"][3].endswith("%") and rows["backup"][4].endswith("ms")
    # Active alerts when the daemon serves /v1/alerts (tolerated if not).
    code, _ = outage.daemon.admin_json("/v1/alerts")
    assert ("alerts:" in out) == (code == 200), out
    p = subprocess.Popen(ctl + ["status", "--watch"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        time.sleep(4.6)
        os_kill = __import__("os").kill
        os_kill(p.pid, signal.SIGINT)
        out, err = p.communicate(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    frames = out.decode().count("swervectl status --watch")
    assert frames >= 2, out
    assert out.count(b"\033[H") == frames and b"\033[2J" not in out


def test_daemon_stopped_cleanly(outage):
    # The scenario's swerved is stopped at module teardown; this test is
    # last in the file and only checks what happened so far.
    assert outage.daemon.alive(), outage.daemon.log_tail(30)
