"""test_delivery_crash - kill -9 in the middle of delivery loses nothing.

500 messages are accepted while the provider answers slowly (slow 50:
every reply 50 ms late), swerved is killed with SIGKILL while it is
delivering, restarted on the same spool, and the provider set to accept.
Every accepted message must be delivered at least once; a message may be
delivered twice only if it was in flight when swerved died, so the number
of duplicates is bounded by the number of messages the restarted spool
reports as recovered from "inflight" (itself at most max_inflight, 256).
"""

import re
import smtplib
import threading
import time

import delivery_helpers as dh

N = 500
THREADS = 6
MAX_INFLIGHT = 256  # deliver.c default; not configurable


def submit_all(port, n, threads):
    accepted, lock, nxt = {}, threading.Lock(), [0]

    def run():
        s = smtplib.SMTP("127.0.0.1", port, timeout=30)
        s.ehlo("crash.test")
        while True:
            with lock:
                seq = nxt[0]
                nxt[0] += 1
            if seq >= n:
                break
            rcpt = "c%d@example.net" % seq
            s.mail("crash@example.com")
            s.rcpt(rcpt)
            code, resp = s.data(("Subject: crash %d\r\n\r\nbody %d\r\n" % (seq, seq)).encode())
            assert code == 250, (code, resp)
            with lock:
                accepted[seq] = re.search(rb"queued as (\S+)", resp).group(1).decode()
        s.quit()
    ts = [threading.Thread(target=run, daemon=True) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    return accepted


def test_kill9_during_delivery_loses_nothing(lab):
    p = lab.mock("provider", "slow 50")
    d = lab.daemon([dh.provider("provider", p.smtp_port, 1, max_connections=8,
                                command_timeout="5s", data_timeout="5s")])
    accepted = submit_all(d.smtp_port, N, THREADS)
    assert len(accepted) == N
    # mid-delivery: some delivered, most not
    dh.wait_until(lambda: len(p.messages()) >= 40, 30, 0.05, "deliveries to start")
    before = dh.Api(d).status()["delivery"]
    d.kill9()
    time.sleep(0.3)  # let the mock finish what was already on its sockets
    delivered_at_kill = len(p.messages())
    assert delivered_at_kill < N, "everything was delivered before the kill"

    d.start()
    p.set_mode("accept")
    with open(d.logs[-1]) as f:
        restart_log = f.read()
    m = re.search(r"open: (\d+) ready \((\d+) were in flight\), (\d+) deferred, "
                  r"(\d+) sent", restart_log)
    assert m, restart_log[:2000]
    ready, recovered, deferred, sent = map(int, m.groups())
    api = dh.Api(d)

    def drained():
        q = api.counts()
        return q["ready"] == 0 and q["inflight"] == 0 and q["deferred"] == 0 and \
            q["sent"] + q["failed"] >= N
    dh.wait_until(drained, 60, 0.2, "the queue to drain after restart")
    assert api.counts()["failed"] == 0

    seen = {}
    for x in p.messages():
        for r in x["rcpt_to"]:
            seq = int(r.split("@")[0][1:])
            seen[seq] = seen.get(seq, 0) + 1
    lost = sorted(set(accepted) - set(seen))
    dups = {s: c for s, c in seen.items() if c > 1}
    extra = sum(c - 1 for c in dups.values())
    print("\ncrash: %d accepted, %d delivered before kill -9 (daemon counted %d), "
          "spool after restart: %d ready incl. %d recovered from inflight, "
          "%d deferred, %d sent; duplicates after restart: %d"
          % (N, delivered_at_kill, before["delivered"], ready, recovered, deferred,
             sent, extra))
    assert not lost, "lost after kill -9: %s" % lost[:20]
    assert set(seen) <= set(accepted)
    assert recovered <= MAX_INFLIGHT
    assert extra <= recovered, (extra, recovered)
    # the spool's view before the crash is consistent with what arrived:
    # everything it had as sent was really delivered, and only what had
    # arrived without being recorded as sent may arrive twice
    assert sent <= delivered_at_kill
    assert extra <= delivered_at_kill - sent, (extra, delivered_at_kill, sent)
    assert recovered > 0, "nothing was in flight at the kill: not a mid-delivery crash"
    assert ready + deferred + sent == N
