"""Fixtures for failover readiness end-to-end tests: the harness's lab
(tests/lib/swerve_harness.py), every process stopped by PID."""

import pytest

import swerve_harness as sh


@pytest.fixture(scope="session", autouse=True)
def _binaries_present():
    sh.require_binaries("swerved", "swerve-mock", "swervectl")


@pytest.fixture
def lab(tmp_path):
    yield from sh.lab_fixture(sh.Lab(tmp_path))
