"""Fixtures for the HTTP send API's integration tests (tests/api).

  lab   (per test) starts swerve-mocks (fake providers) and swerved
        daemons with api_keys inside the test's tmp_path; at teardown every
        process it started is stopped by PID, and the test errors if a
        swerved did not exit cleanly on SIGTERM or left an ASan/UBSan
        report.

The machinery is tests/lib/swerve_harness.py.
"""

import hashlib
import os

import pytest

import swerve_harness as sh
from api_client import JOBS_KEY, WEB_KEY


def api_keys(tmp):
    """Two keys: web by digest (example.com), jobs from a file (example.org)."""
    path = os.path.join(str(tmp), "jobs.key")
    with open(path, "w") as f:
        f.write(JOBS_KEY + "\n")
    return [
        {"name": "web",
         "key_sha256": hashlib.sha256(WEB_KEY.encode()).hexdigest(),
         "tenant": "webt", "from_domains": ["example.com"]},
        {"name": "jobs", "key_file": path, "tenant": "jobs",
         "from_domains": ["example.org"]},
    ]


class Lab(sh.Lab):
    """The harness's lab; a daemon has the two api_keys and, given a
    mock, one SMTP provider on it (or the given providers)."""

    def daemon(self, mock=None, start=True, providers=None, **over):
        provs = providers if providers is not None else (
            [sh.provider("m", mock.smtp_port, 1)] if mock else [])
        over.setdefault("api_keys", api_keys(self.tmp))
        return super().daemon(provs, start=start, **over)


@pytest.fixture
def lab(tmp_path):
    yield from sh.lab_fixture(Lab(tmp_path))
