"""Least privilege: with user: set, swerved binds its listeners as root,
then runs as that user and group for good (its spool handed over), still
accepts and spools mail; without user:, a root start warns loudly, at
start and in --check. Started as root here; skipped otherwise."""

import os
import pwd
import shutil
import tempfile

import pytest

import swerve_harness as h

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root: the drop is from root to nobody")

MSG = ("From: app@example.com\r\nTo: rcpt@example.net\r\n"
       "Subject: priv\r\n\r\nbody\r\n")


@pytest.fixture
def open_dir():
    """A directory that nobody can search (pytest's tmp_path is under a
    root-only 0700 parent, so nobody could not reach a spool there)."""
    d = tempfile.mkdtemp(prefix="swerve-priv-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def status_ids(pid):
    """The Uid, Gid and Groups lines of /proc/PID/status."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, val = line.partition(":")
            if key in ("Uid", "Gid", "Groups"):
                out[key] = [int(x) for x in val.split()]
    return out


def test_drops_to_user_and_still_spools(swerve, open_dir):
    nobody = pwd.getpwnam("nobody")
    spool = os.path.join(open_dir, "spool")
    d = swerve.start(user="nobody", spool={"dir": spool})
    # Listening is logged before the drop (nothing is served until the
    # loop runs, after it): wait for the drop's own line.
    assert d.wait_log(r"running as user nobody \(uid", 10), d.log_tail()
    ids = status_ids(d.pid)
    # real, effective, saved, file system: all nobody's, no root group.
    assert ids["Uid"] == [nobody.pw_uid] * 4, ids
    assert ids["Gid"] == [nobody.pw_gid] * 4, ids
    assert 0 not in ids["Groups"], ids
    assert "running as root" not in d.log_text()
    # The spool was handed over, and mail is still accepted and stored.
    st = os.stat(spool)
    assert (st.st_uid, st.st_gid) == (nobody.pw_uid, nobody.pw_gid)
    qid = h.submit(d, "app@example.com", ["rcpt@example.net"], MSG)
    assert b"Subject: priv" in d.spool.body(qid)
    for name in os.listdir(spool):
        assert os.lstat(os.path.join(spool, name)).st_uid == nobody.pw_uid, name


def test_group_key_is_applied(swerve, open_dir):
    nogroup = 65534
    d = swerve.start(user="nobody", group=str(nogroup),
                     spool={"dir": os.path.join(open_dir, "spool")})
    assert d.wait_log(r"running as user nobody", 10), d.log_tail()
    assert status_ids(d.pid)["Gid"] == [nogroup] * 4


def test_root_without_user_warns_at_start(swerve):
    d = swerve.start()
    assert d.wait_log(r"WARNING: running as root with no user:", 5), d.log_tail()
    assert status_ids(d.pid)["Uid"][1] == 0


def test_check_warns_as_root_without_user(swerve, tmp_path):
    path = tmp_path / "swerve.yaml"
    path.write_text(h.to_yaml(swerve.config()))
    r = h.run_swerved(["--check", "-c", str(path)])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "WARNING" in r.stderr and "no user:" in r.stderr, r.stderr


def test_check_with_user_is_quiet_and_unknown_user_fails(swerve, tmp_path):
    path = tmp_path / "swerve.yaml"
    path.write_text(h.to_yaml(swerve.config(user="nobody")))
    r = h.run_swerved(["--check", "-c", str(path)])
    assert r.returncode == 0 and "WARNING" not in r.stderr, r.stderr
    path.write_text(h.to_yaml(swerve.config(user="no-such-user-swerve")))
    r = h.run_swerved(["--check", "-c", str(path)])
    assert r.returncode == 1, r.stdout + r.stderr
    assert 'no such user "no-such-user-swerve"' in r.stderr, r.stderr
    path.write_text(h.to_yaml(swerve.config(user="root")))
    r = h.run_swerved(["--check", "-c", str(path)])
    assert r.returncode == 1 and "is root" in r.stderr, r.stderr


def test_unreachable_spool_is_fatal_after_drop(swerve, tmp_path):
    # tmp_path's parents are root-only: nobody cannot reach the spool, and
    # the daemon must say so and stop rather than serve without a spool.
    d = swerve.daemon(user="nobody")
    d.start(wait=False)
    assert h.wait_until(lambda: not d.alive(), 20), d.log_tail()
    assert d.stop() == 1
    d.exit_codes.clear()
    assert "is not usable by nobody" in d.log_text(), d.log_tail()
