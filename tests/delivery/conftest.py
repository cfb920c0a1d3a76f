"""Fixtures for the delivery engine's integration tests.

  lab   (per test) makes swerve-mocks, smtp-sinks, hostile servers and
        swerved daemons inside the test's tmp_path; at teardown every
        process it started is stopped by PID, and the test errors if a
        swerved exited non-zero on SIGTERM, died by itself, or left an
        ASan/UBSan report, or if a swerve-mock did not exit 0.
"""

import atexit
import os

import pytest

import delivery_helpers as dh
from delivery_helpers import sh

atexit.register(dh.kill_leftovers)
atexit.register(sh.kill_leftovers)


@pytest.fixture(scope="session", autouse=True)
def _delivery_binaries_present():
    for prog in ("swerved", "swervectl", "swerve-mock"):
        path = sh.bin_path(prog)
        assert os.access(path, os.X_OK), (
            "%s missing: build it (make B=... $B/asan/bin/%s) or set SWERVE_BIN"
            % (path, prog))


class Lab:
    """Everything one test starts, stopped by PID at the end."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.mocks = []
        self.sinks = []
        self.hostiles = []
        self.daemons = []

    def mock(self, name, mode=None, extra=()):
        m = dh.Mock(self.tmp, name, mode, extra)
        self.mocks.append(m)
        return m.start()

    def sink(self, options=(), dump=True):
        s = dh.Sink(self.tmp, options, dump)
        self.sinks.append(s)
        return s

    def hostile(self, script):
        h = dh.HostileServer(script)
        self.hostiles.append(h)
        return h

    def daemon(self, providers, start=True, env=None, **kw):
        name = "sw%d" % len(self.daemons)
        workdir = self.tmp / name
        workdir.mkdir(parents=True, exist_ok=True)
        d = sh.Daemon(workdir, dh.daemon_config(self.tmp, providers, name, **kw),
                      env=env)
        self.daemons.append(d)
        if start:
            d.start()
        return d

    def finish(self):
        problems = []
        # swerved first, while its providers are still up: a provider
        # closing its connections at the moment swerved gets SIGTERM makes
        # swerved leak those connections at exit (a product bug: the
        # smtpc bufferevents use BEV_OPT_DEFER_CALLBACKS and a deferred
        # callback still queued when the loop stops keeps a reference that
        # is never dropped), which is not what these tests are about.
        for d in self.daemons:
            d.stop()
            for p in d.problems():
                problems.append("%s: %s\n--- log tail ---\n%s"
                                % (d.dir, p, d.log_tail(30)))
        for m in self.mocks:
            rc = m.stop()
            if rc not in (0, None):
                problems.append("swerve-mock %s exited %s on SIGTERM:\n%s"
                                % (m.name, rc, m.log_text()[-2000:]))
        for s in self.sinks:
            s.stop()
        for h in self.hostiles:
            h.stop()
            if h.errors:
                problems.append("hostile server script errors: %s" % h.errors)
        return problems


@pytest.fixture
def lab(tmp_path):
    lb = Lab(tmp_path)
    yield lb
    problems = lb.finish()
    if problems:
        pytest.fail("processes not clean:\n" + "\n".join(problems), pytrace=False)
