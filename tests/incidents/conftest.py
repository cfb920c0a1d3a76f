"""Fixtures for the incident tests (issue 15).

  lab        (per test) swerve-mocks and swerved daemons inside the test's
             tmp_path, stopped by PID at teardown; the test errors if a
             swerved exited non-zero, died, or left an ASan/UBSan report.
  receiver   a local HTTP server recording every POST and answering 200
             (the Slack and webhook targets of notices): the alert tests'
             Receiver.

The machinery is tests/lib/swerve_harness.py.
"""

import importlib.util
import os

import pytest

import swerve_harness as sh


@pytest.fixture(scope="session", autouse=True)
def _binaries_present():
    sh.require_binaries("swerved", "swerve-mock", "swervectl")


@pytest.fixture
def lab(tmp_path):
    yield from sh.lab_fixture(sh.Lab(tmp_path))


def _alerts_receiver():
    """The alert tests' Receiver (tests/alerts/conftest.py), loaded under
    a name of its own: one recording HTTP server for both suites."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "alerts", "conftest.py")
    spec = importlib.util.spec_from_file_location("alerts_receiver", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.Receiver


Receiver = _alerts_receiver()


@pytest.fixture
def receiver(lab):
    return lab.add(Receiver())
