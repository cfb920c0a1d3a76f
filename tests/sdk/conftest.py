"""Fixtures for the official-SDK tests of the compatible endpoints.

  npm    (session) runs tests/sdk/setup-npm.sh once; skips the node tests
         with the reason when npm or the registry is unreachable
  npm_more  (session) the same with setup-npm-more.sh (test_sdk_more.py)
  lab    (per test) a sdk_lab.Lab (swerve-mock + swerved, started by the
         test with lab.start()); every process is stopped by PID at
         teardown, and the test errors if swerved did not exit cleanly or
         left an ASan/UBSan report.
"""

import os
import shutil
import subprocess

import pytest

import sdk_lab
import swerve_harness as sh

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture
def lab(tmp_path):
    yield from sh.lab_fixture(sdk_lab.Lab(tmp_path))


_npm_state = {}


def _npm_install(script, what):
    """Run script once per session; skip (saying why) when npm or the
    registry is unreachable (its exit code 2)."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    if script not in _npm_state:
        try:
            p = subprocess.run(["bash", os.path.join(HERE, script)],
                               capture_output=True, text=True, timeout=900)
            _npm_state[script] = (p.returncode, p.stderr)
        except (OSError, subprocess.TimeoutExpired) as e:
            _npm_state[script] = (2, str(e))
    rc, err = _npm_state[script]
    if rc == 2:
        pytest.skip("npm registry unreachable, %s not installed: %s"
                    % (what, err.strip()[-300:]))
    assert rc == 0, err


@pytest.fixture(scope="session")
def npm():
    """Install the pinned SDKs once; skip (saying why) when unreachable."""
    _npm_install("setup-npm.sh", "SDKs")
    return os.path.join(HERE, "node_modules")


@pytest.fixture(scope="session")
def npm_more():
    """The same for test_sdk_more.py's clients (setup-npm-more.sh)."""
    _npm_install("setup-npm-more.sh", "clients")
    return os.path.join(HERE, "more", "node_modules")


@pytest.fixture(scope="session")
def npm_sns():
    """sns-validator for test_sns_validator.py (setup-npm-sns.sh)."""
    _npm_install("setup-npm-sns.sh", "sns-validator")
    return os.path.join(HERE, "sns", "node_modules")


@pytest.fixture(scope="session")
def npm_feedback():
    """The providers' webhook verifiers (setup-npm-feedback.sh), once."""
    _npm_install("setup-npm-feedback.sh", "webhook verifiers")
    return os.path.join(HERE, "feedback", "node_modules")
