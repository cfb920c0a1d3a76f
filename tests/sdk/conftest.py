"""Fixtures for the official-SDK tests of the compatible endpoints.

  npm    (session) runs tests/sdk/setup-npm.sh once; skips the node tests
         with the reason when npm or the registry is unreachable
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


@pytest.fixture(scope="session")
def npm():
    """Install the pinned SDKs once; skip (saying why) when unreachable."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    if "rc" not in _npm_state:
        try:
            p = subprocess.run(["bash", os.path.join(HERE, "setup-npm.sh")],
                               capture_output=True, text=True, timeout=900)
            _npm_state["rc"], _npm_state["err"] = p.returncode, p.stderr
        except (OSError, subprocess.TimeoutExpired) as e:
            _npm_state["rc"], _npm_state["err"] = 2, str(e)
    if _npm_state["rc"] == 2:
        pytest.skip("npm registry unreachable, SDKs not installed: "
                    + _npm_state["err"].strip()[-300:])
    assert _npm_state["rc"] == 0, _npm_state["err"]
    return os.path.join(HERE, "node_modules")
