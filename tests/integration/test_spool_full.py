"""Spool full: free disk below spool.min_free means 452 4.3.1, never 250;
the daemon keeps running and accepts again once the config allows."""

import re

import swerve_harness as h


def test_disk_below_min_free(swerve):
    d = swerve.start(spool={"min_free": "1000TB"})
    for attempt in range(2):  # the daemon stays up and keeps answering
        with d.connect() as c:
            assert c.banner.code == 220
            c.ehlo()
            rs = c.mail("a@example.com", ["b@example.net"],
                        h.message(subject="full %d" % attempt))
            assert all(r.code != 250 or r.queue_id() is None for r in rs), rs
            full = [r for r in rs if r.code == 452]
            assert full and full[0].first.startswith("4.3.1"), rs
            assert rs[-1].code != 354
            assert c.cmd("NOOP").code == 250
        assert d.alive()
    assert d.spool.count() == 0
    assert h.queue_counts(d)["ready"] == 0
    # enough room again (restart with a sane min_free): accepted
    d.restart(spool={"min_free": "1MB"})
    with d.connect() as c:
        c.ehlo()
        rs = c.mail("a@example.com", ["b@example.net"], h.message(subject="room"))
        assert rs[-1].code == 250, rs
    assert d.spool.count() == 1


def test_swaks_sees_452_when_full(swerve):
    d = swerve.start(spool={"min_free": "1000TB"})
    r = h.run_swaks(d.smtp_port, "--from", "a@example.com", "--to", "b@example.net")
    assert r.returncode != 0
    assert re.search(r"452 4\.3\.1", r.stdout + r.stderr), r.stdout
    assert not re.search(r"queued as", r.stdout), r.stdout
    assert d.alive()
