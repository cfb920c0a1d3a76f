"""POST /v1/messages/batch (all valid or nothing queued; per-item
results) and POST /v1/messages/raw (RFC 5322 body, envelope from the
query or the header fields)."""

from api_client import msg, post
from api_client import JOBS_KEY, dh

RAW = (b"From: Sender <s@example.com>\r\nTo: r@example.net\r\n"
       b"Cc: c@example.net\r\nSubject: raw one\r\n\r\nraw body\r\n")


def test_batch_is_one_request_with_per_item_ids(lab):
    m = lab.mock()
    d = lab.daemon(m)
    items = [msg(text="item %d" % i, to="r%d@example.net" % i) for i in range(50)]
    code, obj, _ = post(d, "/v1/messages/batch", {"messages": items})
    assert code == 202, obj
    assert obj["accepted"] == 50 and obj["failed"] == 0
    ids = [r["id"] for r in obj["results"]]
    assert [r["index"] for r in obj["results"]] == list(range(50))
    assert len(set(ids)) == 50
    stored = d.spool.messages()
    assert all(i in stored for i in ids)
    dh.wait_until(lambda: len(m.messages()) == 50, 30, what="all delivered")


def test_batch_with_one_bad_item_queues_nothing(lab):
    d = lab.daemon()
    items = [msg(), msg(subject="bad\r\nBcc: v@example.org"), msg()]
    code, obj, _ = post(d, "/v1/messages/batch", items)
    assert code == 400, obj
    assert obj["error"]["code"] == "invalid_batch"
    res = obj["results"]
    assert res[0]["valid"] and res[2]["valid"]
    assert res[1]["status"] == 400 and res[1]["error"]["field"] == "subject"
    # An item whose From the key may not use: 403, nothing queued.
    code, obj, _ = post(d, "/v1/messages/batch",
                        [msg(), msg(**{"from": "x@example.org"})])
    assert code == 403, obj
    assert d.spool.count() == 0


def test_batch_limits_and_idempotent_items(lab):
    d = lab.daemon()
    code, obj, _ = post(d, "/v1/messages/batch", [msg()] * 501)
    assert code == 400 and "500" in obj["error"]["message"]
    code, obj, _ = post(d, "/v1/messages/batch", [])
    assert code == 400
    items = [msg(idempotency_key="b-%d" % i) for i in range(3)]
    c1, o1, _ = post(d, "/v1/messages/batch", items)
    assert c1 == 202, o1
    c2, o2, _ = post(d, "/v1/messages/batch", items)
    assert c2 == 202 and all(r.get("duplicate") for r in o2["results"])
    assert [r["id"] for r in o1["results"]] == [r["id"] for r in o2["results"]]
    items[1]["text"] = "changed"
    c3, o3, _ = post(d, "/v1/messages/batch", items)
    assert c3 == 207, o3
    assert o3["results"][1]["status"] == 409
    assert d.spool.count() == 3


def test_raw_uses_header_envelope_and_arrives(lab):
    m = lab.mock()
    d = lab.daemon(m)
    code, obj, _ = post(d, "/v1/messages/raw", RAW, raw=True)
    assert code == 202, obj
    dh.wait_until(lambda: len(m.messages()) == 1, 15, what="delivery")
    got = m.messages()[0]
    assert got["mail_from"] == "s@example.com"
    assert sorted(got["rcpt_to"]) == ["c@example.net", "r@example.net"]
    raw = m.raw(got["id"])
    assert b"raw body" in raw and b"Message-ID:" in raw and b"Date:" in raw


def test_raw_query_envelope_idempotency_and_refusals(lab):
    d = lab.daemon()
    code, obj, _ = post(d, "/v1/messages/raw?from=bounce@example.com"
                        "&to=x@example.net&to=y@example.net", RAW, raw=True,
                        headers={"Idempotency-Key": "raw-1"})
    assert code == 202, obj
    qid = obj["id"]
    assert d.spool.recipients(qid) == ["x@example.net", "y@example.net"]
    assert d.spool.message(qid)["sender"] == "bounce@example.com"
    code, obj, _ = post(d, "/v1/messages/raw?from=bounce@example.com"
                        "&to=x@example.net&to=y@example.net", RAW, raw=True,
                        headers={"Idempotency-Key": "raw-1"})
    assert code == 200 and obj["id"] == qid
    code, obj, _ = post(d, "/v1/messages/raw", RAW.replace(b"raw body", b"other"),
                        raw=True, headers={"Idempotency-Key": "raw-1"})
    assert code == 409
    # From outside the key's domains, in the header or the envelope.
    assert post(d, "/v1/messages/raw", RAW, raw=True, key=JOBS_KEY)[0] == 403
    assert post(d, "/v1/messages/raw?from=a@example.org", RAW, raw=True)[0] == 403
    # A Bcc field: its address joins the envelope, the field is never
    # stored (so never relayed); an unreadable one is refused.
    code, obj, _ = post(d, "/v1/messages/raw",
                        b"Bcc: v@example.org\r\n" + RAW, raw=True)
    assert code == 202, obj
    assert "v@example.org" in d.spool.recipients(obj["id"])
    assert b"v@example.org" not in d.spool.body(obj["id"])
    code, obj, _ = post(d, "/v1/messages/raw",
                        b"Bcc: v@\r\n" + RAW, raw=True)
    assert code == 400 and obj["error"]["field"] == "Bcc"
    assert post(d, "/v1/messages/raw", b"no header here", raw=True)[0] == 400
    assert post(d, "/v1/messages/raw?to=bad", RAW, raw=True)[0] == 400
    assert post(d, "/v1/messages/raw", RAW, raw=True, key="nope")[0] == 401
    assert d.spool.count() == 2
