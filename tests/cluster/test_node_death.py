"""A node killed with -9 under load behind HAProxy (issue 17): clients
that retry on a refused or broken connection see every message accepted
somewhere; nothing acknowledged is lost; the dead node's backlog is
delivered once it restarts; duplicates at most what was in flight."""

import threading
import time

import swerve_harness as sh
from cluster_lib import fleet


def send_one(port, rcpt):
    """One message through HAProxy; True once a 250 came back."""
    msg = ("From: s@example.com\r\nTo: %s\r\nSubject: k\r\n\r\nhi\r\n"
           % rcpt)
    try:
        c = sh.SMTPConn(port, timeout=10)
    except (OSError, sh.SMTPClosed, AssertionError):
        return False  # refused, or closed before the greeting
    try:
        if c.banner.code != 220 or c.ehlo().code != 250:
            return False
        return c.mail("s@example.com", [rcpt], msg)[-1].code == 250
    except (OSError, sh.SMTPClosed, AssertionError):
        return False
    finally:
        try:
            c.close()
        except OSError:
            pass


def test_kill9_of_a_node_under_load_loses_nothing(lab):
    r = lab.redis()
    # The relay is slow to answer, so that mail waits in the nodes'
    # spools when one dies.
    mock = lab.mock("relay", mode="slow 200")
    provs = [sh.provider("m", mock.smtp_port, 1, max_connections=2)]
    nodes = [lab.node(provs, "n%d" % i, {"redis": "redis://" + r.addr})
             for i in (1, 2, 3)]
    sh.wait_until(lambda: all(fleet(d)["nodes_alive"] == 3 for d in nodes),
                  20, what="fleet")
    lb = lab.haproxy(nodes)
    acked, retries, lock = [], [0], threading.Lock()
    total = 150

    def client(k):
        for i in range(k, total, 3):
            rcpt = "c%03d@example.net" % i
            while not send_one(lb.smtp_port, rcpt):
                with lock:
                    retries[0] += 1
                time.sleep(0.05)
            with lock:
                acked.append(rcpt)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    sh.wait_until(lambda: len(acked) >= 40, 60, what="load running")
    victim = nodes[1]
    victim.kill9()
    for t in threads:
        t.join(120)
    assert len(acked) == total
    # The dead node kept its acknowledged mail: restart it, it delivers.
    held = victim.spool.count()
    victim.start()
    sh.wait_until(lambda: {m["rcpt_to"][0] for m in mock.messages()}
                  >= set(acked), 120, 0.2,
                  what="every acknowledged message delivered")
    got = [m["rcpt_to"][0] for m in mock.messages()]
    dups = len(got) - len(set(got))
    # Only what was in flight to the relay when the node died (at most
    # its connections) may go twice.
    assert dups <= 2, (dups, retries[0])
    assert held > 0  # the victim did hold mail when it died
