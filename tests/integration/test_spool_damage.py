"""Spool integrity: a spool damaged while swerved was stopped is noticed
at start (a clear refusal naming the file, unless --accept-spool-damage,
which says what was lost), files are private whatever the umask, and
`swervectl spool check` / `spool backup` work on the files.

Each damage is one the adversarial review did by hand: the WAL deleted,
its salt corrupted, 64 random bytes in the middle of it, garbage in
database pages. "Stopped" is kill -9 for the WAL cases (a clean stop
checkpoints the WAL away) and a clean stop for the database case."""

import os
import stat

import swerve_harness as h


def fill(d, n, tag):
    """n messages, one SMTP transaction (and so one commit) each."""
    with d.connect() as c:
        c.ehlo()
        for i in range(n):
            rs = c.mail("a@example.com", ["b@example.net"],
                        h.message(subject="%s %d" % (tag, i),
                                  body=("%s-%d " % (tag, i)) * 40 + "\r\n"))
            assert rs[-1].code == 250, rs


def wal(d):
    return os.path.join(d.spool_dir, "spool.db-wal")


def refused(d):
    """Run swerved on d's config; it must refuse to start. Its output."""
    r = h.run_swerved(["-c", d.config_path], timeout=60)
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    assert "--accept-spool-damage" in out, out
    return out


def crashed_with_mail(swerve, n, tag):
    d = swerve.start()
    fill(d, n, tag)
    d.kill9()
    assert os.path.getsize(wal(d)) > 0
    return d


def start_accepting(d):
    d.args = ["--accept-spool-damage"]
    d.start()
    d.args = []
    return d


def test_deleted_wal_is_refused_then_accepted(swerve):
    d = crashed_with_mail(swerve, 10, "del")
    os.unlink(wal(d))
    out = refused(d)
    assert wal(d) in out and "WAL is missing" in out, out
    start_accepting(d)
    assert d.wait_log(r"--accept-spool-damage: .*WAL is missing.*lost")
    with d.connect() as c:
        assert c.banner.code == 220


def test_corrupted_wal_salt_is_refused(swerve):
    d = crashed_with_mail(swerve, 10, "salt")
    with open(wal(d), "r+b") as f:
        f.seek(16)
        f.write(os.urandom(8))
    out = refused(d)
    assert wal(d) in out and "header is damaged" in out, out
    start_accepting(d)
    # SQLite would ignore the whole log: all 10 messages, counted exactly.
    assert d.wait_log(r"--accept-spool-damage: .*header is damaged.*"
                      r"accepted: 10 messages lost"), d.log_tail()


def test_random_bytes_mid_wal_are_refused_and_counted(swerve):
    d = crashed_with_mail(swerve, 40, "mid")
    size = os.path.getsize(wal(d))
    with open(wal(d), "r+b") as f:
        f.seek(size // 2)
        f.write(os.urandom(64))
    out = refused(d)
    assert wal(d) in out and "committed transactions after it" in out, out
    start_accepting(d)
    m = d.wait_log(r"accepted: (\d+) messages lost")
    assert m, d.log_tail()
    assert 0 < d.spool.count() < 40
    assert int(m.group(1)) + d.spool.count() == 40, (m.group(0), d.spool.count())


def test_garbage_in_database_pages_is_refused_then_salvaged(swerve):
    d = swerve.start()
    fill(d, 30, "pages")
    d.stop()
    db = os.path.join(d.spool_dir, "spool.db")
    data = open(db, "rb").read()
    at = data.find(b"pages-7 pages-7 pages-7")
    assert at > 0
    page = at - at % 4096
    with open(db, "r+b") as f:
        f.seek(page + 100)
        f.write(os.urandom(3900))
    out = refused(d)
    assert db in out and "damaged" in out, out
    start_accepting(d)
    m = d.wait_log(r"salvaged .*: (\d+) messages kept whole, (\d+) damaged messages dropped")
    assert m, d.log_tail()
    kept, lost = int(m.group(1)), int(m.group(2))
    assert lost > 0 and kept > 0 and kept + lost == 30, (kept, lost)
    assert d.spool.count() == kept
    # The damaged file is kept for the operator, not deleted.
    assert any(n.startswith("spool.db.damaged-") for n in os.listdir(d.spool_dir))
    r = h.swervectl(["-c", d.config_path, "spool", "check"])
    assert r.returncode == 0, r.stdout + r.stderr


def test_files_are_private_under_umask_000(swerve):
    old = os.umask(0)
    try:
        d = swerve.start()
        fill(d, 2, "umask")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(d.spool_dir).st_mode) == 0o700
    for name in ("spool.db", "spool.db-wal", "spool.db-shm", "spool.db.mark"):
        mode = stat.S_IMODE(os.stat(os.path.join(d.spool_dir, name)).st_mode)
        assert mode == 0o600, (name, oct(mode))


def test_world_readable_spool_directory_is_fixed(swerve):
    d = swerve.start()
    d.stop()
    os.chmod(d.spool_dir, 0o755)
    d.start()
    assert stat.S_IMODE(os.stat(d.spool_dir).st_mode) == 0o700
    assert d.wait_log(r"had mode 0755; changed to 0700")


def test_swervectl_spool_check_and_backup_while_running(swerve, tmp_path):
    d = swerve.start()
    fill(d, 5, "bk")
    r = h.swervectl(["-c", d.config_path, "spool", "check"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "quick_check: ok" in r.stdout and "5 readable" in r.stdout, r.stdout
    dest = str(tmp_path / "backup.db")
    r = h.swervectl(["-c", d.config_path, "spool", "backup", dest])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "5 messages backed up" in r.stdout, r.stdout
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    assert h.Spool(str(tmp_path)).path  # the harness reads spool.db only
    # A backup never overwrites.
    r = h.swervectl(["-c", d.config_path, "spool", "backup", dest])
    assert r.returncode != 0
    # A damaged spool: check says so, exit 1.
    d.kill9()
    os.unlink(wal(d))
    r = h.swervectl(["-c", d.config_path, "spool", "check"])
    assert r.returncode == 1 and "WAL is missing" in r.stdout, r.stdout


def test_damage_at_run_time_makes_swerved_unhealthy_not_dead(swerve):
    d = swerve.start()
    fill(d, 20, "rt")
    d.restart()  # a clean stop: everything is in spool.db, nothing cached
    db = os.path.join(d.spool_dir, "spool.db")
    size = os.path.getsize(db)
    with open(db, "r+b") as f:
        for off in range(4096, size, 4096):
            f.seek(off)
            f.write(os.urandom(4096))
    with d.connect() as c:
        # The first read of the damaged pages finds it: this message's
        # store, or a background read (the due-time query, the webhook
        # queue) that came first; then the banner says so already.
        if c.banner.code == 220:
            c.ehlo()
            rs = c.mail("a@example.com", ["b@example.net"],
                        h.message(subject="rt"))
            assert rs[-1].code == 421 and rs[-1].first.startswith("4.3.0"), rs
        else:
            assert c.banner.code == 421, c.banner
            assert c.banner.first.startswith("4.3.0"), c.banner
    assert d.wait_log(r"the store is damaged")
    with d.connect() as c:
        assert c.banner.code == 421, c.banner
    r = h.http_request(d.http_url + "/readyz")
    assert r[0] == 503 and b"spool damaged" in r[1], r
    assert d.alive()
