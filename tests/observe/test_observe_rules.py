"""test_observe_rules - the shipped Prometheus rules are valid and do what
their unit tests say (promtool from Debian's prometheus package)."""

import os
import subprocess

import pytest

from observe_helpers import CONTRIB, PROMTOOL

RULES = os.path.join(CONTRIB, "prometheus", "swerve-alerts.yml")
RULE_TESTS = os.path.join(CONTRIB, "prometheus", "swerve-alerts.test.yml")


def promtool(*args, stdin=None):
    if not os.access(PROMTOOL, os.X_OK):
        pytest.fail("promtool missing: install Debian's prometheus package")
    return subprocess.run([PROMTOOL] + list(args), input=stdin,
                          capture_output=True, timeout=120)


def test_promtool_check_rules():
    r = promtool("check", "rules", RULES)
    assert r.returncode == 0, r.stdout + r.stderr
    assert b"SUCCESS: 9 rules found" in r.stdout, r.stdout


def test_promtool_test_rules():
    r = promtool("test", "rules", RULE_TESTS)
    assert r.returncode == 0, r.stdout + r.stderr
    assert b"SUCCESS" in r.stdout


def test_every_condition_of_the_issue_has_a_rule():
    text = open(RULES).read()
    for name in ("SwerveProviderCircuitOpen", "SwerveStreamNoUsableProvider",
                 "SwerveFailoverHappened", "SwerveQueueTooOld",
                 "SwerveDeferredHigh", "SwerveDeliveryRateLow",
                 "SwerveProviderConfigError", "SwerveSpoolDiskLow"):
        assert "alert: " + name in text, name
        # ... and a unit test exercising it.
        assert "alertname: " + name in open(RULE_TESTS).read(), name


def test_grafana_dashboard_is_valid_and_uses_real_metrics():
    import json
    path = os.path.join(CONTRIB, "grafana", "swerve-dashboard.json")
    dash = json.load(open(path))
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 8
    text = " ".join(exprs)
    for m in ("swerve_provider_health_score", "swerve_provider_traffic_share_ratio",
              "swerve_queue_messages", "swerve_stream_oldest_message_age_seconds",
              "swerve_provider_failovers_total",
              "swerve_delivery_latency_seconds_bucket"):
        assert m in text, m
    r = None
    for e in exprs:
        # Every expression parses (promtool has no PromQL linter for bare
        # expressions; a throwaway rule file does it).
        r = promtool("check", "rules", "/dev/stdin", stdin=(
            "groups:\n- name: g\n  rules:\n  - record: x:y\n    expr: %s\n"
            % json.dumps(e.replace("$__rate_interval", "5m")
                         .replace("$__range", "1h"))).encode())
        assert r.returncode == 0, (e, r.stdout + r.stderr)
