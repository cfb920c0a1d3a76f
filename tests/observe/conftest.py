"""Fixtures for the observability tests (metrics, JSON logs, Prometheus).

  outage  (per module) one scenario, run once, that every test reads:
          swerved with two providers (an SMTP swerve-mock behind STARTTLS
          and AUTH, and a SendGrid-typed provider on a second swerve-mock's
          fake API), a local status page, a rate limit and a quota, JSON
          logs at debug level, and a real Prometheus server scraping it
          every second. Mail flows, then the primary goes dark (tempfail)
          so mail fails over and its circuit opens, then it heals. Every
          process is stopped by PID at the end of the module; a swerved
          that exits non-zero or leaves a sanitizer report fails the
          module's last test.

Known secrets are configured so tests can check no log line or metric
carries them: the primary's SMTP password and the backup's API key.

The machinery is tests/lib/swerve_harness.py.
"""

import os
import time

import pytest

import observe_helpers as oh
import swerve_harness as sh


class Outage:
    """What the scenario left for the tests to read."""

    def __init__(self):
        self.daemon = None
        self.prom = None
        self.primary = None
        self.backup = None
        self.page = None
        self.scrapes = {}  # phase -> /metrics text at that moment
        self.qids = []
        self.problems = []


def _scrape(d):
    code, body = d.admin_json("/metrics")
    assert code == 200
    return body.decode()


@pytest.fixture(scope="module")
def outage(tmp_path_factory):
    sh.require_binaries("swerved", "swervectl", "swerve-mock")
    assert os.access(oh.PROMETHEUS, os.X_OK), "Debian package prometheus missing"
    tmp = tmp_path_factory.mktemp("observe")
    o = Outage()
    mocks = []
    try:
        cert, key = sh.make_cert(str(tmp))
        o.primary = sh.Mock(tmp, "primary", extra=[
            "--tls-cert", cert, "--tls-key", key,
            "--auth", "app:" + oh.SMTP_PASSWORD]).start()
        mocks.append(o.primary)
        o.backup = sh.Mock(tmp, "backup", extra=[
            "--api-key", "sendgrid=" + oh.API_KEY]).start()
        mocks.append(o.backup)
        o.page = sh.StatusPage()
        provs = [
            sh.provider("primary", o.primary.smtp_port, 1, username="app",
                        password=oh.SMTP_PASSWORD, tls="starttls",
                        tls_verify=False, max_rate="500/s",
                        quota={"daily": 100000}, probe_interval="500ms",
                        status_page={"url": o.page.url, "interval": "1s"},
                        circuit={"failures": 3, "cooldown": "2s"}),
            {"name": "backup", "type": "sendgrid",
             "endpoint": o.backup.url, "api_key": oh.API_KEY, "priority": 2,
             "connect_timeout": "2s", "request_timeout": "3s",
             "max_connections": 4},
        ]
        workdir = tmp / "sw"
        workdir.mkdir()
        cfg = sh.daemon_config(tmp, provs, "sw",
                               log={"level": "debug", "format": "json"})
        o.daemon = sh.Daemon(workdir, cfg)
        o.daemon.start()
        o.prom = oh.Prometheus(tmp, "127.0.0.1:%d" % o.daemon.http_port)
        # Prometheus starts scraping a few seconds after it is ready (its
        # target discovery is throttled): traffic starts after the first
        # scrape, so every counter's rise is seen.
        sh.wait_until(lambda: o.prom.query('up{job="swerve"} == 1'), 30, 0.3,
                      "Prometheus' first scrape of swerved")
        api = sh.Api(o.daemon)

        def send(n, tag):
            ids = [sh.submit(o.daemon, "alice@example.com",
                             ["r%d@example.net" % i],
                             sh.message(subject="%s %d" % (tag, i),
                                        sender="alice@example.com",
                                        to="r%d@example.net" % i))
                   for i in range(n)]
            o.qids += ids
            return ids

        # Healthy traffic, long enough for a few scrapes.
        for q in send(6, "before"):
            api.wait_state(q, "sent", 20)
        time.sleep(3)
        o.scrapes["before"] = _scrape(o.daemon)
        # The primary goes dark: mail fails over, the circuit opens.
        o.primary.set_mode("tempfail")
        for q in send(8, "outage"):
            api.wait_state(q, "sent", 30)
        sh.wait_until(
            lambda: 'swerve_provider_state{provider="primary",state="open"} 1'
            in _scrape(o.daemon), 15, 0.2, "primary circuit open")
        o.scrapes["outage"] = _scrape(o.daemon)
        time.sleep(3)  # let Prometheus scrape the outage
        o.scrapes["outage_json"] = o.daemon.admin_json("/metrics.json")[1]
        # Heal.
        o.primary.set_mode("accept")

        def closed():
            # Half-open lets trial sends through: keep mail coming.
            for q in send(1, "after"):
                api.wait_state(q, "sent", 20)
            return ('swerve_provider_state{provider="primary",state="closed"} 1'
                    in _scrape(o.daemon))
        sh.wait_until(closed, 40, 0.5, "primary circuit closed again")
        time.sleep(2)
        o.scrapes["after"] = _scrape(o.daemon)
        yield o
    finally:
        if o.prom is not None:
            o.prom.stop()
        if o.daemon is not None:
            o.daemon.stop()
            o.problems += o.daemon.problems()
        for m in mocks:
            m.stop()
        if o.page is not None:
            o.page.stop()
        sh.kill_leftovers()
