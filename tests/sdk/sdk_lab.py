"""sdk_lab - what tests/sdk starts: one swerve-mock (the upstream, over
SMTP) and one swerved with api_keys and ses_compat credentials, in a
test's tmp_path; stopped by PID in finish().

The machinery is tests/lib/swerve_harness.py (sh).
"""

import hashlib
import os

import swerve_harness as sh

KEY = "SG.swerve-sdk-key-0123456789abcdef"  # allowed: example.com
OTHER_KEY = "sdk-other-key-9876543210"    # allowed: example.org only
AKID = "AKIDSWERVETEST000001"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


class Lab(sh.Lab):
    """The harness's lab; start() makes its mock and its daemon (lab.mock
    is then that swerve-mock, lab.d that swerved)."""

    def __init__(self, tmp):
        super().__init__(tmp)
        self.d = None

    def start(self, **over):
        self.mock = super().mock("up")
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
        self.d = self.daemon([sh.provider("m", self.mock.smtp_port, 1)], **over)
        return self

    @property
    def url(self):
        return self.d.http_url
