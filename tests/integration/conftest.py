"""Fixtures for swerve's integration tests (see README.md here).

  tls_cert   (session) a self-signed cert+key made with the openssl CLI
  swerve     (per test) a factory of Daemon objects living in tmp_path; every
             daemon it started is stopped by PID at teardown, and the test
             errors if one exited non-zero on SIGTERM, died by itself or left
             a sanitizer report in its log.

The machinery is tests/lib/swerve_harness.py.
"""

import pytest

import swerve_harness as h

USERS = {
    "app1": ("s3cret", ["example.com"]),
    "app2": ("file-pass-42", ["example.org"]),
}


@pytest.fixture(scope="session", autouse=True)
def _binaries_present():
    h.require_binaries("swerved", "swervectl")


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory):
    return h.make_cert(str(tmp_path_factory.mktemp("tls")))


class SwerveFactory(h.Lab):
    """Makes configs and daemons inside one test's tmp_path."""

    prefix = "d"

    def __init__(self, tmp_path, tls_cert):
        super().__init__(tmp_path)
        self.cert, self.key = tls_cert
        pwfile = tmp_path / "app2.password"
        pwfile.write_text(USERS["app2"][0])
        self.pwfile = str(pwfile)

    def base_config(self, name="d0"):
        """A complete config: fresh ports, own spool, TLS, two users,
        clients on 127.0.0.0/8 allowed without AUTH. Limits are small so
        tests are quick; override what a test is about."""
        return {
            "listen": h.listen_config(),
            "spool": {"dir": str(self.tmp / name / "spool"), "min_free": "1MB"},
            "limits": {
                "max_message_size": "1MB",
                "max_recipients": 10,
                "max_sessions": 50,
                "max_auth_failures": 3,
                "idle_timeout": "30s",
                "command_timeout": "30s",
                "min_data_rate": "1KB",
            },
            "tls": {"cert": self.cert, "key": self.key},
            "submitters": {
                "networks": ["127.0.0.0/8"],
                "users": [
                    {"name": "app1", "password": USERS["app1"][0],
                     "from_domains": USERS["app1"][1]},
                    {"name": "app2", "password_file": self.pwfile,
                     "from_domains": USERS["app2"][1]},
                ],
            },
            "log": {"level": "info"},
        }

    def config(self, name="d0", **overrides):
        return h.deep_merge(self.base_config(name), overrides)

    def daemon(self, env=None, **overrides):
        """A Daemon (not started) with base config + overrides."""
        return self.swerved(self.config(self.next_name(), **overrides), env,
                            start=False, fresh_ports="listen" not in overrides)

    def start(self, env=None, **overrides):
        """Start a daemon and wait until its ports accept connections."""
        return self.daemon(env=env, **overrides).start()


@pytest.fixture
def swerve(tmp_path, tls_cert):
    yield from h.lab_fixture(SwerveFactory(tmp_path, tls_cert))
