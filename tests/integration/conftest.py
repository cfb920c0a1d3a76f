"""Fixtures for swerve's integration tests (see README.md here).

  tls_cert   (session) a self-signed cert+key made with the openssl CLI
  swerve     (per test) a factory of Daemon objects living in tmp_path; every
             daemon it started is stopped by PID at teardown, and the test
             errors if one exited non-zero on SIGTERM, died by itself or left
             a sanitizer report in its log.
"""

import atexit
import os

import pytest

import swerve_helpers as h

atexit.register(h.kill_leftovers)

USERS = {
    "app1": ("s3cret", ["example.com"]),
    "app2": ("file-pass-42", ["example.org"]),
}


@pytest.fixture(scope="session", autouse=True)
def _binaries_present():
    for prog in ("swerved", "swervectl"):
        path = h.bin_path(prog)
        assert os.access(path, os.X_OK), (
            "%s missing: build it (make B=... $B/asan/bin/%s) or set SWERVE_BIN"
            % (path, prog))


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory):
    return h.make_cert(str(tmp_path_factory.mktemp("tls")))


class SwerveFactory:
    """Makes configs and daemons inside one test's tmp_path."""

    def __init__(self, tmp_path, tls_cert):
        self.tmp = tmp_path
        self.cert, self.key = tls_cert
        self.daemons = []
        pwfile = tmp_path / "app2.password"
        pwfile.write_text(USERS["app2"][0])
        self.pwfile = str(pwfile)

    def base_config(self, name="d0"):
        """A complete config: fresh ports, own spool, TLS, two users,
        clients on 127.0.0.0/8 allowed without AUTH. Limits are small so
        tests are quick; override what a test is about."""
        return {
            "listen": {"smtp": "127.0.0.1:%d" % h.free_port(),
                       "http": "127.0.0.1:%d" % h.free_port()},
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
        name = "d%d" % len(self.daemons)
        workdir = self.tmp / name
        workdir.mkdir(parents=True, exist_ok=True)
        d = h.Daemon(workdir, self.config(name, **overrides), env=env)
        self.daemons.append(d)
        return d

    def start(self, env=None, **overrides):
        """Start a daemon and wait until its ports accept connections.
        If another process took a free port meanwhile, retry with new ones
        (only when the test did not choose the listen addresses)."""
        d = self.daemon(env=env, **overrides)
        for attempt in range(3):
            try:
                return d.start()
            except h.DaemonError:
                d.stop()
                if ("listen" in overrides or attempt == 2
                        or "in use" not in d.log_tail(5)):
                    raise
                d.exit_codes.clear()  # that run's failure is not the product's
                d.config["listen"] = self.base_config()["listen"]
        return d

    def finish(self):
        problems = []
        for d in self.daemons:
            d.stop()
            for p in d.problems():
                problems.append("%s: %s\n--- log tail ---\n%s"
                                % (d.dir, p, d.log_tail(30)))
        return problems


@pytest.fixture
def swerve(tmp_path, tls_cert):
    f = SwerveFactory(tmp_path, tls_cert)
    yield f
    problems = f.finish()
    if problems:
        pytest.fail("daemon not clean:\n" + "\n".join(problems), pytrace=False)
