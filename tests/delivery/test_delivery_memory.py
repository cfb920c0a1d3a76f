"""test_delivery_memory - memory stays flat with a big queue behind a dark
provider.

20,000 messages (4 KB bodies, 80 MB in all) are put straight into the
spool (swerved makes the database on a first start; the rows are then
inserted with sqlite3 while it is stopped, the way spool_db.c writes
them), and swerved is started with its only provider in `hang` mode. It
claims, times out, trips the provider, defers, probes again... while the
test reads /v1/status and lists messages (a page of 1000 of all, and
the deferred ones). VmRSS is sampled for ~10 s after a warm-up (which also
fills SQLite's page cache, bounded by cache_size): it must not grow by more
than a few MB, and must
stay far below the size of the queued bodies (bodies live in the spool,
at most max_inflight messages in memory).

ASan's quarantine (freed memory held back to catch use-after-free) would
show up as growth that is not a leak, so this daemon runs with
quarantine_size_mb=0; leak checking stays on.
"""

import os
import sqlite3
import time

import delivery_helpers as dh

N = 20000
BODY_SIZE = 4096
MAX_INFLIGHT = 256
WARMUP = 3.0
SAMPLE_FOR = 10.0
MAX_GROWTH_KB = 6 * 1024

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def make_id(ms, seq):
    """20 Crockford base32 characters: 48 bits of ms, 52 bits of seq."""
    v = (ms << 52) | seq
    return "".join(CROCKFORD[(v >> (5 * (19 - i))) & 31] for i in range(20))


def fill_spool(path, n, now_ms):
    db = sqlite3.connect(path)
    try:
        (version,) = db.execute("PRAGMA user_version").fetchone()
        # The columns written below exist in every version since 2.
        assert version >= 2, "unexpected spool schema version %d" % version
        body_pad = b"x" * (BODY_SIZE - 200)
        msgs, rcpts, bodies = [], [], []
        for i in range(n):
            qid = make_id(now_ms - n + i, i)
            body = (b"Received: from prefill\r\nSubject: queued %d\r\n"
                    b"Message-ID: <%d@prefill.test>\r\n\r\n" % (i, i)) + body_pad + b"\r\n"
            msgs.append((qid, "ready", "queue@example.com", None, "prefill",
                         "transactional", len(body), now_ms - n + i, now_ms - n + i,
                         None))
            bodies.append((qid, body))
            rcpts.append((qid, 0, "q%d@example.net" % i))
        with db:
            db.executemany(
                "INSERT INTO messages (id, state, sender, tenant, client, stream,"
                " size, created_at, next_attempt_at, idempotency_key)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)", msgs)
            db.executemany("INSERT INTO bodies (id, body) VALUES (?,?)", bodies)
            db.executemany("INSERT INTO recipients (msg_id, idx, address)"
                           " VALUES (?,?,?)", rcpts)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


def test_rss_flat_with_20000_queued_behind_dark_provider(lab):
    p = lab.mock("dark", "hang")
    env = {"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=1:quarantine_size_mb=0"}
    d = lab.daemon([dh.provider("dark", p.smtp_port, 1, greeting_timeout="1s",
                                command_timeout="1s")],
                   start=False, env=env,
                   retry={"min_backoff": "1s", "max_backoff": "2s",
                          "max_lifetime": "1h"})
    d.start()   # creates the spool database with swerved's own schema
    dh.Api(d).status()
    api0 = dh.Api(d)
    api0.page("all", 1000)
    baseline = dh.rss_kb(d.pid)  # an idle daemon with an empty queue
    d.stop()
    fill_spool(os.path.join(d.spool_dir, "spool.db"), N, int(time.time() * 1000))

    d.start(timeout=60)
    api = dh.Api(d)
    q = api.counts()
    assert sum(q.values()) == N and q["ready"] + q["inflight"] + q["deferred"] == N, q
    def listings():
        assert len(api.page("all", 1000)) == 1000
        api.page("deferred", 1000)
        return 1
    t_end_warm = time.monotonic() + WARMUP
    while time.monotonic() < t_end_warm:
        listings()
        time.sleep(0.2)
    samples = []
    max_inflight = 0
    listed = 0
    t_end = time.monotonic() + SAMPLE_FOR
    while time.monotonic() < t_end:
        samples.append(dh.rss_kb(d.pid))
        st = api.status()
        max_inflight = max(max_inflight, st["delivery"]["inflight"])
        listed += listings()
        time.sleep(0.25)
    st = api.status()
    q = st["queue"]
    first, peak, last = samples[0], max(samples), samples[-1]
    print("\nmemory: empty-queue baseline %.1f MB; %d queued (%d MB of bodies); VmRSS after %.0fs warm-up %.1f MB, "
          "peak %.1f MB, last %.1f MB over %.0fs (%d samples); growth %+d KB; "
          "listings %d; max inflight %d; attempts %d, deferred %d; queue %s"
          % (baseline / 1024, N, N * BODY_SIZE // (1 << 20), WARMUP, first / 1024, peak / 1024,
             last / 1024, SAMPLE_FOR, len(samples), peak - first, listed, max_inflight,
             st["delivery"]["attempts"], st["delivery"]["deferred"], q))
    # it really worked the queue while dark
    assert st["delivery"]["attempts"] > 0 and st["delivery"]["deferred"] > 0, st
    assert q["sent"] == 0 and q["failed"] == 0 and sum(q.values()) == N, q
    assert max_inflight <= MAX_INFLIGHT
    assert peak - first <= MAX_GROWTH_KB, "VmRSS grew by %d KB: %s" % (
        peak - first, samples)
    # bodies are not held in memory: the whole run stays far below the
    # 78 MB queued (SQLite's page cache is 16 MB per connection)
    assert peak - baseline < N * BODY_SIZE // 1024 // 2, (baseline, peak)
