"""Durability: kill -9 swerved again and again while clients submit. Every
message that got a 250 must be in spool.db afterwards, intact."""

import hashlib
import os
import random
import threading
import time

import swerve_harness as h

CYCLES = int(os.environ.get("SWERVE_CRASH_CYCLES", "10"))
THREADS = 4


def make_msg(tag):
    payload = os.urandom(random.randint(200, 6000)).hex().encode()
    lines = b"\r\n".join(payload[i:i + 76] for i in range(0, len(payload), 76))
    body = lines + b"\r\n"
    digest = hashlib.sha256(body).hexdigest()
    return h.message(subject="%s sha256=%s" % (tag, digest), body=body), digest


def client(port, tid, stop, acked, errors):
    n = 0
    while not stop.is_set():
        try:
            with h.SMTPConn(port, timeout=5) as c:
                if c.banner.code != 220:
                    time.sleep(0.05)
                    continue
                c.ehlo()
                while not stop.is_set():
                    n += 1
                    msg, digest = make_msg("t%d-%d" % (tid, n))
                    rs = c.mail("a@example.com", ["b@example.net"], msg)
                    qid = rs[-1].queue_id()
                    if rs[-1].code == 250:
                        if not qid:
                            errors.append("250 without queue id: %s" % rs[-1])
                        acked[qid] = (msg, digest)
                    else:
                        errors.append("unexpected reply while up: %s" % rs)
                        break
        except (OSError, h.SMTPClosed, AssertionError):
            time.sleep(0.02)  # daemon down or killed mid-dialogue: retry


def test_kill9_loop_loses_no_acknowledged_message(swerve, capsys):
    d = swerve.start()
    stop = threading.Event()
    acked = {}
    errors = []
    threads = [threading.Thread(target=client, args=(d.smtp_port, i, stop, acked, errors),
                                daemon=True) for i in range(THREADS)]
    for t in threads:
        t.start()
    cycles = 0
    per_cycle = []
    try:
        for i in range(CYCLES):
            before = len(acked)
            time.sleep(random.uniform(0.5, 1.0))
            d.kill9()
            cycles += 1
            per_cycle.append(len(acked) - before)
            d.start()
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    d.stop()
    with capsys.disabled():  # shown even without -s
        print("\n[crash] kill -9 cycles: %d, threads: %d, acknowledged messages: %d "
              "(per cycle %s)" % (cycles, THREADS, len(acked), per_cycle))
    assert cycles == CYCLES
    assert len(acked) >= CYCLES, "too few messages acknowledged to mean anything"
    assert not errors, errors[:5]
    stored = d.spool.messages()
    missing = [q for q in acked if q not in stored]
    assert not missing, "%d acknowledged messages lost, e.g. %s" % (len(missing), missing[:5])
    for qid, (msg, digest) in acked.items():
        raw = h.spool_body_bytes(stored[qid])
        _, rest = h.strip_received(raw)
        assert rest == msg, "message %s corrupted" % qid
        _, body = h.split_message(rest)
        assert hashlib.sha256(body).hexdigest() == digest
    # the daemon comes back and counts them all (ready: no delivery yet;
    # nothing may be left "inflight" after the crash recovery)
    d.start()
    q = h.queue_counts(d)
    assert q["inflight"] == 0, q
    assert sum(q[k] for k in ("ready", "inflight", "deferred", "sent", "failed")) \
        == len(stored), (q, len(stored))
