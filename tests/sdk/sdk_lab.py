"""sdk_lab - what tests/sdk starts: one swerve-mock (the upstream, over
SMTP) and one swerved with api_keys and ses_compat credentials, in a
test's tmp_path; stopped by PID in finish().

Builds on tests/delivery/delivery_helpers.py and
tests/integration/swerve_helpers.py, imported read-only.
"""

import hashlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "delivery"))

import delivery_helpers as dh  # noqa: E402
from delivery_helpers import sh  # noqa: E402

KEY = "SG.swerve-sdk-key-0123456789abcdef"  # allowed: example.com
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
