"""test_delivery_routing - provider choice, breaker, per-recipient outcomes,
connection reuse.

  - a provider failing 3 times in a row is benched (status: open), mail
    goes straight to the next one, and after the 5 s cool-down one probe
    brings it back;
  - one message, three recipients, three fates at one upstream: accepted,
    4xx (fails over alone to the backup), 5xx (fails, DSN for it only);
  - a disabled provider is never used; connections are reused up to
    max_msgs_per_conn;
  - partial delivery, then expiry: DSN for the unsent recipient only;
  - weights share traffic within a priority (1:3 weights give about 1:3).
"""

import time

import delivery_helpers as dh
from delivery_helpers import sh

SENDER = "alice@example.com"


def attempts(m):
    return [(a["provider"], a["result"]) for a in m["attempts_detail"]]


def prov_status(api, name):
    return next(p for p in api.status()["providers"] if p["name"] == name)


def test_breaker_benches_failing_provider_then_probes_it_back(lab):
    p = lab.mock("primary", "refuse")
    b = lab.mock("backup")
    d = lab.daemon([dh.provider("primary", p.smtp_port, 1),
                    dh.provider("backup", b.smtp_port, 2)])
    api = dh.Api(d)
    for i in range(3):
        qid = dh.submit(d, SENDER, ["t%d@example.net" % i], sh.message(subject="t%d" % i))
        m = api.wait_state(qid, "sent", 10)
        assert attempts(m) == [("primary", "deferred"), ("backup", "accepted")], m
    ps = prov_status(api, "primary")
    assert ps["state"] == "open", ps
    assert ps["reason"] == "3 consecutive failures", ps
    assert 0 < ps["cooldown_left_ms"] <= 5000, ps
    t_trip = time.monotonic()
    r = sh.swervectl(["-c", d.config_path, "status"])
    assert r.returncode == 0 and "open" in r.stdout, r.stdout

    # benched: the next message does not even try the primary
    qid = dh.submit(d, SENDER, ["benched@example.net"], sh.message(subject="benched"))
    m = api.wait_state(qid, "sent", 10)
    assert attempts(m) == [("backup", "accepted")], m

    # back once a probe sees it healthy: trial messages, then closed
    p.set_mode("accept")
    dh.wait_until(lambda: prov_status(api, "primary")["cooldown_left_ms"] == 0,
                  8, 0.1, "the cool-down to end")
    # The cool-down (5 s) ends early once a probe (every 2 s while open)
    # finds the provider healthy again: that is what ended it here.
    provs = d.admin_json("/v1/providers")[1]["providers"]
    assert next(x for x in provs if x["name"] == "primary")["probes_ok"] >= 1
    assert time.monotonic() - t_trip < 5.5
    qid = dh.submit(d, SENDER, ["probe@example.net"], sh.message(subject="probe"))
    m = api.wait_state(qid, "sent", 10)
    assert attempts(m) == [("primary", "accepted")], m
    ps = prov_status(api, "primary")
    assert ps["state"] == "half-open", ps  # one trial so far; 3 close it
    assert [x["rcpt_to"] for x in p.messages()] == [["probe@example.net"]]


def picky_upstream(seen):
    """RCPT: soft-* -> 450, bad-* -> 550, anything else 250; dot -> 250."""
    def script(c, n):
        buf = []
        rcpts = []
        c.sendall(b"220 picky ESMTP\r\n")
        while True:
            line = dh.read_line(c, buf)
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                c.sendall(b"250-picky\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n")
            elif verb == b"MAIL":
                rcpts = []
                c.sendall(b"250 2.1.0 ok\r\n")
            elif verb == b"RCPT":
                addr = line.split(b"<", 1)[1].split(b">", 1)[0].decode()
                if addr.startswith("soft-"):
                    c.sendall(b"450 4.2.1 mailbox busy, try later\r\n")
                elif addr.startswith("bad-"):
                    c.sendall(b"550 5.1.1 no such user here\r\n")
                else:
                    rcpts.append(addr)
                    c.sendall(b"250 2.1.5 ok\r\n")
            elif verb == b"DATA":
                c.sendall(b"354 go\r\n")
                data = buf[0] if buf else b""
                while b"\r\n.\r\n" not in b"\r\n" + data:
                    chunk = c.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                buf[:] = [data.split(b"\r\n.\r\n", 1)[1] if b"\r\n.\r\n" in data else b""]
                seen.append(list(rcpts))
                c.sendall(b"250 2.0.0 queued as P%d\r\n" % len(seen))
            elif verb == b"QUIT":
                c.sendall(b"221 bye\r\n")
                return
            else:
                c.sendall(b"250 ok\r\n")
    return script


def test_per_recipient_outcomes_at_one_upstream(lab):
    seen = []
    picky = lab.hostile(picky_upstream(seen))
    b = lab.mock("backup")
    d = lab.daemon([dh.provider("picky", picky.port, 1),
                    dh.provider("backup", b.smtp_port, 2)])
    api = dh.Api(d)
    rcpts = ["good@example.net", "soft-1@example.net", "bad-1@example.net"]
    qid = dh.submit(d, SENDER, rcpts, sh.message(subject="three fates"))
    m = api.wait_state(qid, ("sent", "failed"), 15)
    assert m["state"] == "sent", m
    st = {r["address"]: r for r in m["rcpts"]}
    assert (st["good@example.net"]["state"], st["good@example.net"]["provider"]) == \
        ("sent", "picky"), st
    assert (st["soft-1@example.net"]["state"], st["soft-1@example.net"]["provider"]) == \
        ("sent", "backup"), st
    assert st["bad-1@example.net"]["state"] == "failed", st
    assert "no such user" in st["bad-1@example.net"]["last_reply"], st
    assert [a["provider"] for a in m["attempts_detail"]] == ["picky", "backup"], m
    # each recipient received once, where it belongs
    assert seen[:1] == [["good@example.net"]], seen  # (the DSN may follow)
    got = [x for x in b.messages() if x["mail_from"] == SENDER]
    assert [x["rcpt_to"] for x in got] == [["soft-1@example.net"]], got
    # the DSN names the failed recipient only; it goes to the picky
    # upstream (priority 1), which takes it
    dsn = dh.wait_until(lambda: [x for x in api.list() if x["sender"] == ""], 10,
                        what="a DSN")
    assert len(dsn) == 1
    dm = api.wait_state(dsn[0]["id"], ("sent", "failed"), 10)
    assert dm["state"] == "sent" and dm["rcpts"][0]["address"] == SENDER, dm
    body = d.spool.body(dsn[0]["id"]).decode("latin-1")
    assert "Final-Recipient: rfc822; bad-1@example.net" in body
    assert "good@example.net>" not in body.split("text/rfc822-headers")[0]
    assert "soft-1@example.net" not in body.split("text/rfc822-headers")[0]
    assert seen == [["good@example.net"], [SENDER]], seen


def test_disabled_provider_unused_and_connections_reused(lab):
    off = lab.mock("off")
    p = lab.mock("primary")
    d = lab.daemon([dh.provider("off", off.smtp_port, 0, enabled=False),
                    dh.provider("primary", p.smtp_port, 1, max_connections=1,
                                max_msgs_per_conn=3)])
    api = dh.Api(d)
    conn = sh.SMTPConn(d.smtp_port)
    conn.ehlo()
    ids = [dh.submit(d, SENDER, ["m%d@example.net" % i], sh.message(subject="m%d" % i),
                     conn=conn) for i in range(7)]
    conn.close()
    for qid in ids:
        m = api.wait_state(qid, ("sent", "failed"), 15)
        assert attempts(m) == [("primary", "accepted")], m
    assert len(p.messages()) == 7
    assert off.stats()["connections"] == 0 and off.messages() == []
    assert prov_status(api, "off")["state"] == "disabled"
    # one connection at a time, at most 3 messages each: 7 -> 3 sessions
    assert p.stats()["connections"] == 3, p.stats()["connections"]


def test_partial_delivery_then_expiry_dsn_names_only_the_unsent(lab):
    """good@ is taken at once; soft-@ gets 450 at the picky upstream and
    the backup is dark, so it expires: the message ends sent (something
    went out), the soft recipient failed with 4.4.7, and the DSN names it
    alone."""
    seen = []
    picky = lab.hostile(picky_upstream(seen))
    b = lab.mock("backup", "refuse")
    d = lab.daemon([dh.provider("picky", picky.port, 1),
                    dh.provider("backup", b.smtp_port, 2)],
                   retry={"min_backoff": "3s", "max_backoff": "3s",
                          "max_lifetime": "3s"})
    api = dh.Api(d)
    qid = dh.submit(d, SENDER, ["good@example.net", "soft-2@example.net"],
                    sh.message(subject="half"))
    m = api.wait_state(qid, ("sent", "failed"), 20)
    st = {r["address"]: r for r in m["rcpts"]}
    assert m["state"] == "sent", m
    assert st["good@example.net"]["state"] == "sent", st
    assert st["soft-2@example.net"]["state"] == "failed", st
    assert "gave up" in st["soft-2@example.net"]["last_reply"], st
    assert seen[0] == ["good@example.net"], seen
    dsn = dh.wait_until(lambda: [x for x in api.list() if x["sender"] == ""], 10,
                        what="a DSN")
    assert len(dsn) == 1
    body = d.spool.body(dsn[0]["id"]).decode("latin-1")
    report = body.split("text/rfc822-headers")[0]
    assert "Final-Recipient: rfc822; soft-2@example.net" in report
    assert "Status: 4.4.7" in report
    assert "good@example.net" not in report
    # good@ was delivered exactly once, never retried
    assert sum(r == ["good@example.net"] for r in seen) == 1


def test_weights_share_traffic_within_a_priority(lab):
    a = lab.mock("light")
    b = lab.mock("heavy")
    d = lab.daemon([dh.provider("light", a.smtp_port, 1, weight=1),
                    dh.provider("heavy", b.smtp_port, 1, weight=3)])
    api = dh.Api(d)
    conn = sh.SMTPConn(d.smtp_port)
    conn.ehlo()
    ids = []
    for i in range(30):
        ids.append(dh.submit(d, SENDER, ["w%d@example.net" % i], sh.message(),
                             conn=conn))
        time.sleep(0.03)
    conn.close()
    for qid in ids:
        api.wait_state(qid, "sent", 10)
    na, nb = len(a.messages()), len(b.messages())
    assert na + nb == 30
    # weight 3 vs 1: smooth weighted round-robin gives 3 of every 4
    assert 20 <= nb <= 25 and na >= 5, (na, nb)
