"""Fixtures for the public status page tests (src/status/).

  lab   (per test) swerve-mocks and swerved daemons in the test's
        tmp_path, stopped by PID at teardown; the test errors if a
        swerved exited non-zero, died, or left an ASan/UBSan report.
  npm   (session) runs setup-npm.sh once (statuspage.io, a Statuspage
        API v2 client, pinned to a version that runs on Node 20, in its
        own prefix tests/statuspage/npm); skips the client test, saying
        why, when node or the npm registry is unreachable.

The machinery is tests/lib/swerve_harness.py; the browser is
tests/lib/browser.py.
"""

import os
import shutil
import subprocess

import pytest

import swerve_harness as sh

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="session", autouse=True)
def _binaries_present():
    sh.require_binaries("swerved", "swerve-mock", "swervectl")


@pytest.fixture
def lab(tmp_path):
    yield from sh.lab_fixture(sh.Lab(tmp_path))


_npm = {}


@pytest.fixture(scope="session")
def npm():
    """The statuspage.io client installed (or the test skipped)."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    if "rc" not in _npm:
        try:
            p = subprocess.run(["bash", os.path.join(HERE, "setup-npm.sh")],
                               capture_output=True, text=True, timeout=900)
            _npm["rc"], _npm["err"] = p.returncode, p.stderr
        except (OSError, subprocess.TimeoutExpired) as e:
            _npm["rc"], _npm["err"] = 2, str(e)
    if _npm["rc"] == 2:
        pytest.skip("npm registry unreachable, statuspage.io not installed: "
                    + _npm["err"].strip()[-300:])
    assert _npm["rc"] == 0, _npm["err"]
    return os.path.join(HERE, "npm")
