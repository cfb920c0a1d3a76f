"""Resend beyond the plain send, through the resend npm SDK (pinned by
setup-npm.sh) and plain HTTP, swerve-mock recording the upstream:

  - tags are stored with the message (GET /v1/messages/ID "meta"), a
    Buffer attachment arrives byte for byte;
  - attachment content as older SDKs serialised it (a Node Buffer's
    {"type":"Buffer","data":[...]}, an array of bytes) arrives intact, a
    path (URL) is refused naming it and nothing is fetched or queued;
  - /emails/batch: strict (the default) is all or nothing, permissive
    stores the valid emails and lists the others by index;
  - scheduled_at: the message is held (state scheduled, not at the
    upstream); GET /emails/{id} shows it as Resend does, PATCH moves it,
    POST /emails/{id}/cancel cancels it; a far-off or unreadable time is
    refused; another tenant's id is not found.
"""

import email as em
import email.policy
import json
import time

import sdk_lab as c
from test_sdk import check_nothing_queued, run

PDF = b"%PDF-1.4\n% binary: \x00\x01\x02\xff\xfe\n%%EOF\n"


def post(lab, path, body, headers=None):
    h = {"Authorization": "Bearer " + c.KEY, "Content-Type": "application/json"}
    h.update(headers or {})
    code, data = c.sh.http_request(lab.url + path, "POST",
                                   json.dumps(body).encode(), h)[:2]
    return code, json.loads(data or b"null")


def meta_of(lab, qid):
    code, obj = lab.d.admin_json("/v1/messages/" + qid)
    assert code == 200, obj
    return obj


def upstream(lab, n, timeout=20):
    return c.sh.wait_until(lambda: len(lab.mock.messages()) >= n and
                           lab.mock.messages(), timeout,
                           what="%d message(s) at the upstream" % n)


def mail_req(i, **kw):
    e = {"from": "Sender <sender@example.com>", "to": ["rcpt@example.net"],
         "subject": "batch %d" % i, "text": "hello %d" % i}
    e.update(kw)
    return e


def test_resend_sdk_tags_and_buffer_attachment(lab, npm):
    lab.start()
    r = run(lab, "resendx", "tags")
    assert r["ok"], r
    meta = meta_of(lab, r["id"])["meta"]
    assert meta["tags"] == [{"name": "category", "value": "confirm_email"},
                            {"name": "tenant", "value": "acme-1"}]
    m = upstream(lab, 1)[0]
    raw = lab.mock.raw(m["id"])
    msg = em.message_from_bytes(raw, policy=em.policy.default)
    parts = {p.get_filename(): p for p in msg.walk() if p.get_filename()}
    assert parts["report.pdf"].get_content() == PDF
    assert b"confirm_email" not in raw


def test_resend_attachment_forms_older_sdks_send(lab):
    lab.start()
    code, obj = post(lab, "/emails", mail_req(0, attachments=[
        {"filename": "a.pdf", "content": {"type": "Buffer", "data": list(PDF)}},
        {"filename": "b.bin", "content": [0, 1, 2, 255]}]))
    assert code == 200, obj
    raw = lab.mock.raw(upstream(lab, 1)[0]["id"])
    msg = em.message_from_bytes(raw, policy=em.policy.default)
    parts = {p.get_filename(): p for p in msg.walk() if p.get_filename()}
    assert parts["a.pdf"].get_content() == PDF
    assert parts["b.bin"].get_content() == b"\x00\x01\x02\xff"
    # A path is a URL swerve would have to fetch: refused, naming it.
    code, obj = post(lab, "/emails", mail_req(1, attachments=[
        {"filename": "x.pdf", "path": "https://files.example/x.pdf"}]))
    assert code == 422 and obj["name"] == "validation_error", obj
    assert "path" in obj["message"]
    code, obj = post(lab, "/emails", mail_req(2, react={"type": "div"}))
    assert code == 422 and "react" in obj["message"], obj
    check_nothing_queued(lab, 1)
    # A caller's Message-ID is kept, and GET /emails/{id} shows it.
    code, obj = post(lab, "/emails", mail_req(3, headers={
        "Message-ID": "<order-42@shop.example.com>", "X-Entity": "e1"}))
    assert code == 200, obj
    raw = lab.mock.raw(upstream(lab, 2)[1]["id"])
    assert b"Message-ID: <order-42@shop.example.com>" in raw
    assert b"X-Entity: e1" in raw
    code, got, _ = c.sh.http_request(
        lab.url + "/emails/" + obj["id"], "GET", None,
        {"Authorization": "Bearer " + c.KEY})
    assert code == 200
    assert json.loads(got)["message_id"] == "<order-42@shop.example.com>"


def test_resend_batch_strict_and_permissive(lab, npm):
    lab.start()
    r = run(lab, "resendx", "batch")
    assert r["ok"], r
    ids = [d["id"] for d in r["id"]["data"]]
    assert len(ids) == 2
    recs = upstream(lab, 2)
    assert sorted(x["rcpt_to"][0] for x in recs) == ["rcpt@example.net"] * 2
    assert meta_of(lab, ids[1])["meta"]["tags"] == [{"name": "item",
                                                     "value": "2"}]
    # Strict (the SDK's default): one bad email refuses the batch.
    r = run(lab, "resendx", "batchbad")
    assert not r["ok"] and r["name"] == "validation_error", r
    assert "emails[1]" in r["message"] and "`to`" in r["message"], r
    check_nothing_queued(lab, 2)
    # Permissive: the good ones are stored, the bad one listed.
    r = run(lab, "resendx", "batchpermissive")
    assert r["ok"], r
    assert len(r["id"]["data"]) == 2
    assert [e["index"] for e in r["id"]["errors"]] == [1], r
    upstream(lab, 4)
    # The same Idempotency-Key and body: the same ids, nothing new.
    body = [mail_req(7), mail_req(8)]
    code, a = post(lab, "/emails/batch", body, {"Idempotency-Key": "b-1"})
    assert code == 200, a
    code, b = post(lab, "/emails/batch", body, {"Idempotency-Key": "b-1"})
    assert code == 200 and a == b, (a, b)
    code, e = post(lab, "/emails/batch", [mail_req(9)], {"Idempotency-Key": "b-1"})
    assert code == 409 and e["name"] == "invalid_idempotent_request", e
    code, e = post(lab, "/emails/batch", [mail_req(i) for i in range(101)])
    assert code == 422, e
    upstream(lab, 6)
    check_nothing_queued(lab, 6)


def test_resend_scheduled_send_get_update_cancel(lab, npm):
    lab.start()
    t0 = time.time()
    r = run(lab, "resendx", "scheduled", WHEN="in 1 hour")
    assert r["ok"], r
    qid = r["id"]
    m = meta_of(lab, qid)
    assert m["state"] == "scheduled", m
    assert abs(m["meta"]["send_at"] - (t0 + 3600)) < 30, m
    # GET /emails/{id} as Resend answers it.
    g = run(lab, "resendx", "get", ID=qid)
    assert g["ok"], g
    e = g["id"]
    assert e["object"] == "email" and e["id"] == qid
    assert e["last_event"] == "scheduled" and e["scheduled_at"], e
    assert e["to"] == ["rcpt@example.net"] and e["tags"] == [
        {"name": "item", "value": "9"}], e
    assert e["message_id"].startswith("<"), e
    # PATCH: a new send time.
    u = run(lab, "resendx", "update", ID=qid, WHEN="in 2 hours")
    assert u["ok"] and u["id"]["id"] == qid, u
    m = meta_of(lab, qid)
    assert abs(m["meta"]["send_at"] - (t0 + 7200)) < 30, m
    # Cancel: never sent.
    x = run(lab, "resendx", "cancel", ID=qid)
    assert x["ok"] and x["id"] == {"object": "email", "id": qid}, x
    assert run(lab, "resendx", "get", ID=qid)["id"]["last_event"] == "canceled"
    u = run(lab, "resendx", "update", ID=qid, WHEN="in 3 hours")
    assert not u["ok"] and u["name"] == "validation_error", u
    # Another one moved to now goes out at once.
    r = run(lab, "resendx", "scheduled", WHEN="in 1 day")
    assert r["ok"], r
    assert run(lab, "resendx", "update", ID=r["id"], WHEN="now")["ok"]
    upstream(lab, 1)
    c.sh.wait_until(lambda: meta_of(lab, r["id"])["state"] == "sent", 20,
                    what="sent")
    x = run(lab, "resendx", "cancel", ID=r["id"])
    assert not x["ok"] and x["status"] == 422, x
    # Unknown ids, and another tenant's, are not found.
    g = run(lab, "resendx", "get", ID="01M9NOSUCHIDXXXXXXXX")
    assert not g["ok"] and g["name"] == "not_found", g
    g = run(lab, "resendx", "get", ID=qid, SDK_KEY=c.OTHER_KEY)
    assert not g["ok"] and g["name"] == "not_found", g
    # Too far, or unreadable.
    for when in ("in 31 days", "tomorrow at 9am", "2030-01-01T09:00:00"):
        code, obj = post(lab, "/emails", mail_req(1, scheduled_at=when))
        assert code == 422 and "scheduled_at" in obj["message"], obj
    time.sleep(1)
    assert len(lab.mock.messages()) == 1
