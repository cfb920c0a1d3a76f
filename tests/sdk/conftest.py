"""Fixtures for the official-SDK tests of the compatible endpoints.

  npm    (session) runs tests/sdk/setup-npm.sh once; skips the node tests
         with the reason when npm or the registry is unreachable
  lab    (per test) a sdk_lab.Lab (swerve-mock + swerved, started by the
         test with lab.start()); every process is stopped by PID at
         teardown, and the test errors if swerved did not exit cleanly or
         left an ASan/UBSan report.
"""

import atexit
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import sdk_lab  # noqa: E402

atexit.register(sdk_lab.dh.kill_leftovers)
atexit.register(sdk_lab.sh.kill_leftovers)


@pytest.fixture
def lab(tmp_path):
    lb = sdk_lab.Lab(tmp_path)
    yield lb
    problems = lb.finish()
    if problems:
        pytest.fail("processes not clean:\n" + "\n".join(problems), pytrace=False)


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
