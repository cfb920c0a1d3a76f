"""Fixtures for the official-SDK tests of the compatible endpoints.

  npm    (session) runs tests/sdk/setup-npm.sh once; skips the node tests
         with the reason when npm or the registry is unreachable
  lab    (per test) one swerve-mock (the upstream, over SMTP) and one
         swerved with api_keys and ses_compat credentials, in the test's
         tmp_path; every process is stopped by PID at teardown, and the
         test errors if swerved did not exit cleanly or left an
         ASan/UBSan report.

Builds on tests/delivery/delivery_helpers.py and
tests/integration/swerve_helpers.py, imported read-only.
"""

import atexit
import hashlib
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "delivery"))

import delivery_helpers as dh  # noqa: E402
from delivery_helpers import sh  # noqa: E402

atexit.register(dh.kill_leftovers)
atexit.register(sh.kill_leftovers)

KEY = "sdk-key-0123456789abcdef0123"     # allowed: example.com
OTHER_KEY = "sdk-other-key-9876543210"    # allowed: example.org only
AKID = "AKIDSWERVETEST000001"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


class Lab:
    def __init__(self, tmp):
        self.tmp = tmp
        self.mock = None
        self.d = None

    def start(self, **over):
        self.mock = dh.Mock(self.tmp, "up").start()
        secret = os.path.join(str(self.tmp), "ses.secret")
        with open(secret, "w") as f:
            f.write(SECRET + "\n")
        keys = [
            {"name": "sdk", "key_sha256": hashlib.sha256(KEY.encode()).hexdigest(),
             "tenant": "sdkt", "from_domains": ["example.com"]},
            {"name": "other",
             "key_sha256": hashlib.sha256(OTHER_KEY.encode()).hexdigest(),
             "tenant": "other", "from_domains": ["example.org"]},
        ]
        over.setdefault("api_keys", keys)
        over.setdefault("ses_compat", {"credentials": [
            {"access_key_id": AKID, "secret_access_key_file": secret,
             "tenant": "sest", "from_domains": ["example.com"]}]})
        cfg = dh.daemon_config(self.tmp, [dh.provider("m", self.mock.smtp_port, 1)],
                               "sw", **over)
        (self.tmp / "sw").mkdir(parents=True, exist_ok=True)
        self.d = sh.Daemon(self.tmp / "sw", cfg)
        self.d.start()
        return self

    @property
    def url(self):
        return self.d.http_url

    def finish(self):
        problems = []
        if self.d is not None:
            self.d.stop()
            for p in self.d.problems():
                problems.append("%s: %s\n--- log tail ---\n%s"
                                % (self.d.dir, p, self.d.log_tail(30)))
        if self.mock is not None:
            rc = self.mock.stop()
            if rc not in (0, None):
                problems.append("swerve-mock exited %s" % rc)
        return problems


@pytest.fixture
def lab(tmp_path):
    lb = Lab(tmp_path)
    yield lb
    problems = lb.finish()
    if problems:
        pytest.fail("processes not clean:\n" + "\n".join(problems), pytrace=False)


_npm_state = {}


@pytest.fixture(scope="session")
def npm():
    """Install the pinned SDKs once; skip (saying why) when unreachable."""
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
