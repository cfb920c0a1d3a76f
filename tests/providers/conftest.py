"""Fixtures for the HTTP provider adapters' end-to-end tests.

  lab   (per test) starts swerve-mocks (fake SES, SendGrid, Mailgun,
        Postmark, Resend and SMTP on one process) and swerved daemons in
        the test's tmp_path; at teardown every process is stopped by PID,
        and the test errors if a swerved exited non-zero on SIGTERM, died,
        or left an ASan/UBSan report, or if a swerve-mock did not exit 0.

Builds on tests/delivery/delivery_helpers.py and
tests/integration/swerve_helpers.py (imported read-only).
"""

import atexit
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "delivery"))

import delivery_helpers as dh  # noqa: E402
from delivery_helpers import sh  # noqa: E402

atexit.register(dh.kill_leftovers)
atexit.register(sh.kill_leftovers)


@pytest.fixture(scope="session", autouse=True)
def _binaries_present():
    for prog in ("swerved", "swerve-mock"):
        path = sh.bin_path(prog)
        assert os.access(path, os.X_OK), (
            "%s missing: build it (make B=... $B/asan/bin/%s) or set SWERVE_BIN"
            % (path, prog))


class Lab:
    """Everything one test starts, stopped by PID at the end."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.mocks = []
        self.daemons = []
        self.others = []  # objects with stop() -> list of problems

    def mock(self, name, mode=None, extra=()):
        m = dh.Mock(self.tmp, name, mode, extra)
        self.mocks.append(m)
        return m.start()

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
        for o in self.others:
            problems += o.stop() or []
        return problems


@pytest.fixture
def lab(tmp_path):
    lb = Lab(tmp_path)
    yield lb
    problems = lb.finish()
    if problems:
        pytest.fail("processes not clean:\n" + "\n".join(problems), pytrace=False)
