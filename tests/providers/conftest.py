"""Fixtures for the HTTP provider adapters' end-to-end tests.

  lab   (per test) starts swerve-mocks (fake SES, SendGrid, Mailgun,
        Postmark, Resend and SMTP on one process) and swerved daemons in
        the test's tmp_path; at teardown every process is stopped by PID,
        and the test errors if a swerved exited non-zero on SIGTERM, died,
        or left an ASan/UBSan report, or if a swerve-mock did not exit 0.

The machinery is tests/lib/swerve_harness.py.
"""

import pytest

import swerve_harness as sh


@pytest.fixture(scope="session", autouse=True)
def _binaries_present():
    sh.require_binaries("swerved", "swerve-mock")


@pytest.fixture
def lab(tmp_path):
    yield from sh.lab_fixture(sh.Lab(tmp_path))
