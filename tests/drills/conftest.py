"""Fixtures for the outage drill tests (issue 16, docs/drills.md).

  lab   (per test) swerve-mocks and swerved daemons inside the test's
        tmp_path; at teardown every process it started is stopped by PID,
        and the test errors if a swerved exited non-zero on SIGTERM, died
        by itself, or left an ASan/UBSan report.

The machinery is tests/lib/swerve_harness.py; what the drill tests share
is drill_helpers.py.
"""

import pytest

import swerve_harness as sh


@pytest.fixture(scope="session", autouse=True)
def _drill_binaries_present():
    sh.require_binaries("swerved", "swervectl", "swerve-mock")


@pytest.fixture
def lab(tmp_path):
    yield from sh.lab_fixture(sh.Lab(tmp_path))
