"""Idempotency keys: replay -> 200 with the first id, another payload ->
409, concurrent identical requests -> exactly one message; the same over
SMTP with X-Swerve-Idempotency-Key (removed before relay)."""

import threading

from api_client import msg, send
from api_client import JOBS_KEY, dh, sh


def test_replay_is_200_with_the_same_id(lab):
    d = lab.daemon()
    body = msg(idempotency_key="order-1")
    c1, o1, _ = send(d, body)
    assert c1 == 202, o1
    # Same payload, other key order and spacing: still the same request.
    c2, o2, _ = send(d, '{"text":"hi\\n", "idempotency_key": "order-1", '
                        '"subject":"hello","to":"r@example.net",'
                        '"from":"Sender <s@example.com>"}')
    assert c2 == 200, o2
    assert o2["id"] == o1["id"] and o2.get("duplicate") is True
    # Header form of the key, same payload without the field.
    c3, o3, _ = send(d, msg(), headers={"Idempotency-Key": "order-1"})
    assert c3 == 200 and o3["id"] == o1["id"], o3
    assert d.spool.count() == 1


def test_same_key_other_payload_is_409(lab):
    d = lab.daemon()
    c1, o1, _ = send(d, msg(), headers={"Idempotency-Key": "k-409"})
    assert c1 == 202
    c2, o2, _ = send(d, msg(text="changed"), headers={"Idempotency-Key": "k-409"})
    assert c2 == 409, o2
    assert o2["error"]["code"] == "idempotency_conflict"
    # Body and header disagreeing is a client error, before the spool.
    c3, o3, _ = send(d, msg(idempotency_key="a"), headers={"Idempotency-Key": "b"})
    assert c3 == 400, o3
    # Keys are per tenant: the jobs key may reuse it.
    c4, o4, _ = send(d, msg(**{"from": "a@example.org"}), key=JOBS_KEY,
                     headers={"Idempotency-Key": "k-409"})
    assert c4 == 202, o4
    assert d.spool.count() == 2


def test_concurrent_identical_requests_make_one_message(lab):
    m = lab.mock()
    d = lab.daemon(m)
    out = []
    lock = threading.Lock()
    go = threading.Barrier(20)

    def one():
        go.wait()
        r = send(d, msg(subject="once"), headers={"Idempotency-Key": "burst-1"})
        with lock:
            out.append(r)

    ts = [threading.Thread(target=one) for _ in range(20)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
    assert len(out) == 20
    codes = sorted(c for c, _, _ in out)
    assert codes.count(202) == 1 and codes.count(200) == 19, codes
    assert len({o["id"] for _, o, _ in out}) == 1
    assert d.spool.count() == 1
    dh.wait_until(lambda: len(m.messages()) >= 1, 15, what="delivery")
    dh.Api(d).wait_state(out[0][1]["id"], ["sent"], 15)
    assert len(m.messages()) == 1


def test_smtp_idempotency_header_dedups_and_is_removed(lab):
    m = lab.mock()
    d = lab.daemon(m)
    body = sh.message(subject="smtp-idem",
                      headers=["X-Swerve-Idempotency-Key: smtp-1"])
    ids = [dh.submit(d, "a@example.com", ["b@example.net"], body)
           for _ in range(2)]
    assert ids[0] == ids[1]
    assert d.spool.count() == 1
    assert b"X-Swerve-Idempotency-Key" not in d.spool.body(ids[0])
    dh.wait_until(lambda: len(m.messages()) == 1, 15, what="delivery")
    raw = m.raw(m.messages()[0]["id"])
    assert b"X-Swerve-Idempotency-Key" not in raw
    assert b"smtp-idem" in raw
