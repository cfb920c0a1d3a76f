"""swerved --check: valid configs pass, bad ones name file:line, key, and
what was expected; a daemon never starts on a bad config."""

import os
import re

import pytest

import swerve_harness as h


def write(tmp_path, text, name="swerve.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_check_accepts_generated_config(swerve, tmp_path):
    path = write(tmp_path, h.to_yaml(swerve.config()))
    r = h.run_swerved(["--check", "-c", path])
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert re.search(re.escape(os.path.basename(path)) + r": ok\b", out), out


def test_check_accepts_every_documented_section(tmp_path, tls_cert):
    cert, key = tls_cert
    text = """\
listen:
  smtp: "127.0.0.1:2525"
  http: "127.0.0.1:8025"
spool:
  dir: "%s/spool"
  min_free: "100MB"
limits:
  max_message_size: "25MB"
  max_recipients: 100
  max_sessions: 1000
  max_auth_failures: 3
  idle_timeout: "5m"
  command_timeout: "5m"
  min_data_rate: "1KB"
tls:
  cert: "%s"
  key: "%s"
submitters:
  networks: ["127.0.0.0/8", "::1/128"]
  users:
    - name: app1
      password: "s3cret"
      from_domains: ["example.com"]
providers:
  - name: relay1
    type: smtp
    host: "127.0.0.1"
    port: 2526
retry:
  min_backoff: "30s"
  max_backoff: "1h"
  max_lifetime: "5d"
log:
  level: info
  format: text
""" % (tmp_path, cert, key)
    path = write(tmp_path, text)
    r = h.run_swerved(["--check", "-c", path])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "swerve.yaml: ok" in r.stdout + r.stderr


def test_check_accepts_minimal_config(tmp_path):
    path = write(tmp_path, 'listen:\n  smtp: "127.0.0.1:2525"\n')
    r = h.run_swerved(["--check", "-c", path])
    assert r.returncode == 0, r.stdout + r.stderr


# (text, line, key): the line the error must name, the key it must name.
BAD = {
    "unknown_top_key": ('listen:\n  smtp: "127.0.0.1:2525"\nbogus_section: 1\n',
                        3, "bogus_section"),
    "unknown_nested_key": ('limits:\n  max_recipients: 5\n  max_recipientz: 5\n',
                           3, "limits.max_recipientz"),
    "unknown_user_key": ('submitters:\n  users:\n    - name: a\n      pasword: "x"\n'
                         '      from_domains: ["example.com"]\n',
                         4, "submitters.users[0].pasword"),
    "wrong_type_string_for_int": ('limits:\n  max_recipients: "lots"\n',
                                  2, "limits.max_recipients"),
    "wrong_type_list_for_int": ('log:\n  level: info\nlimits:\n  max_recipients: [1, 2]\n',
                                4, "limits.max_recipients"),
    "wrong_type_scalar_for_map": ('spool: "/var/spool"\n', 1, "spool"),
    "negative_int": ('limits:\n  max_sessions: -4\n', 2, "limits.max_sessions"),
    "bad_size_unit": ('limits:\n  max_message_size: "25XB"\n', 2,
                      "limits.max_message_size"),
    "bad_size_text": ('spool:\n  min_free: "lots"\n', 2, "spool.min_free"),
    "bad_duration": ('limits:\n  idle_timeout: "5 fortnights"\n', 2,
                     "limits.idle_timeout"),
    "address_without_port": ('listen:\n  smtp: "127.0.0.1"\n', 2, "listen.smtp"),
    "address_port_too_big": ('listen:\n  http: "127.0.0.1:99999"\n', 2, "listen.http"),
    "bad_network": ('submitters:\n  networks: ["10.0.0.0/33"]\n', 2,
                    "submitters.networks"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_check_rejects_bad_config(tmp_path, case):
    text, line, key = BAD[case]
    path = write(tmp_path, text)
    r = h.run_swerved(["--check", "-c", path])
    err = r.stdout + r.stderr
    assert r.returncode == 1, "exit %d for %s: %s" % (r.returncode, case, err)
    assert re.search(r"swerve\.yaml:%d\b" % line, err), \
        "error does not name swerve.yaml:%d: %r" % (line, err)
    assert key in err, "error does not name key %s: %r" % (key, err)
    assert "expected" in err, "error does not say what was expected: %r" % err
    assert ": ok" not in err


def test_check_rejects_malformed_yaml(tmp_path):
    path = write(tmp_path, 'limits:\n  max_recipients: 5\n  idle_timeout: [1, 2\n')
    r = h.run_swerved(["--check", "-c", path])
    err = r.stdout + r.stderr
    assert r.returncode == 1, err
    assert re.search(r"swerve\.yaml:\d+", err), err


def test_check_rejects_missing_file(tmp_path):
    path = str(tmp_path / "nope.yaml")
    r = h.run_swerved(["--check", "-c", path])
    assert r.returncode == 1
    assert "nope.yaml" in r.stdout + r.stderr


def test_daemon_refuses_to_start_on_bad_config(tmp_path):
    port = h.free_port()
    path = write(tmp_path, 'listen:\n  smtp: "127.0.0.1:%d"\nlimits:\n  max_recipientz: 1\n'
                 % port)
    r = h.run_swerved(["-c", path], timeout=30)
    err = r.stdout + r.stderr
    assert r.returncode != 0, err
    assert re.search(r"swerve\.yaml:4\b", err) and "limits.max_recipientz" in err, err
    assert not h.port_accepts(port)
