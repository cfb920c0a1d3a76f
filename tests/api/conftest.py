"""Fixtures for the HTTP send API's integration tests (tests/api).

  lab   (per test) starts swerve-mocks (fake providers) and swerved
        daemons with api_keys inside the test's tmp_path; at teardown every
        process it started is stopped by PID, and the test errors if a
        swerved did not exit cleanly on SIGTERM or left an ASan/UBSan
        report.

Builds on tests/integration/swerve_helpers.py and
tests/delivery/delivery_helpers.py, imported read-only.
"""

import atexit
import hashlib
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from api_client import JOBS_KEY, WEB_KEY, dh, sh  # noqa: E402

atexit.register(dh.kill_leftovers)
atexit.register(sh.kill_leftovers)


def api_keys(tmp):
    """Two keys: web by digest (example.com), jobs from a file (example.org)."""
    path = os.path.join(str(tmp), "jobs.key")
    with open(path, "w") as f:
        f.write(JOBS_KEY + "\n")
    return [
        {"name": "web",
         "key_sha256": hashlib.sha256(WEB_KEY.encode()).hexdigest(),
         "tenant": "webt", "from_domains": ["example.com"]},
        {"name": "jobs", "key_file": path, "tenant": "jobs",
         "from_domains": ["example.org"]},
    ]


class Lab:
    """Everything one test starts, stopped by PID at the end."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.mocks = []
        self.daemons = []

    def mock(self, name="m1"):
        m = dh.Mock(self.tmp, name)
        self.mocks.append(m)
        return m.start()

    def daemon(self, mock=None, start=True, **over):
        name = "sw%d" % len(self.daemons)
        workdir = self.tmp / name
        workdir.mkdir(parents=True, exist_ok=True)
        provs = [dh.provider("m", mock.smtp_port, 1)] if mock else []
        over.setdefault("api_keys", api_keys(self.tmp))
        cfg = dh.daemon_config(self.tmp, provs, name, **over)
        d = sh.Daemon(workdir, cfg)
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
                problems.append("swerve-mock %s exited %s" % (m.name, rc))
        return problems


@pytest.fixture
def lab(tmp_path):
    lb = Lab(tmp_path)
    yield lb
    problems = lb.finish()
    if problems:
        pytest.fail("processes not clean:\n" + "\n".join(problems), pytrace=False)
