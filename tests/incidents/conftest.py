"""Fixtures for the incident tests (issue 15).

  lab   (per test) swerve-mocks and swerved daemons inside the test's
        tmp_path, stopped by PID at teardown; the test errors if a swerved
        exited non-zero, died, or left an ASan/UBSan report.

The machinery is tests/lib/swerve_harness.py.
"""

import pytest

import swerve_harness as sh


@pytest.fixture(scope="session", autouse=True)
def _binaries_present():
    sh.require_binaries("swerved", "swerve-mock", "swervectl")


@pytest.fixture
def lab(tmp_path):
    yield from sh.lab_fixture(sh.Lab(tmp_path))
