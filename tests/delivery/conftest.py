"""Fixtures for the delivery engine's integration tests.

  lab   (per test) makes swerve-mocks, smtp-sinks, hostile servers and
        swerved daemons inside the test's tmp_path; at teardown every
        process it started is stopped by PID, and the test errors if a
        swerved exited non-zero on SIGTERM, died by itself, or left an
        ASan/UBSan report, or if a swerve-mock did not exit 0.
"""

import pytest

import delivery_helpers as dh
import swerve_harness as sh


@pytest.fixture(scope="session", autouse=True)
def _delivery_binaries_present():
    sh.require_binaries("swerved", "swervectl", "swerve-mock")


class Lab(sh.Lab):
    """The harness's lab, plus smtp-sinks and hostile servers."""

    def sink(self, options=(), dump=True):
        return self.add(dh.Sink(self.tmp, options, dump))

    def hostile(self, script):
        return self.add(dh.HostileServer(script))

    def postfix(self, settings=None):
        return self.add(dh.Postfix(settings))

    def aiosmtpd(self, **kw):
        return self.add(dh.AioUpstream(**kw))


@pytest.fixture
def lab(tmp_path):
    yield from sh.lab_fixture(Lab(tmp_path))
