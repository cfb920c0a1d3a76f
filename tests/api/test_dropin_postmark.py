"""Postmark's drop-in endpoints field by field (issue 13: no silent drops).

/email/batch answers 200 with one result per message, as Postmark does:
ErrorCode 0 and a MessageID for the good ones (queued and delivered),
ErrorCode 300 and a Message naming the field for the bad ones (nothing
stored for them). MessageID is the delivered message's Message-ID
without its angle brackets. Tag, Metadata, MessageStream and the
tracking switches are stored on the message (GET /v1/messages/ID);
template fields and unknown fields are refused with Postmark's error
shape.
"""

import email
import email.policy
import json
import urllib.error
import urllib.request

import pytest

from api_client import WEB_KEY, dh, get


@pytest.fixture
def up(lab):
    m = lab.mock()
    return lab.daemon(m), m


def request(d, path, body):
    r = urllib.request.Request(
        d.http_url + path, data=json.dumps(body).encode(), method="POST",
        headers={"X-Postmark-Server-Token": WEB_KEY,
                 "Content-Type": "application/json",
                 "Accept": "application/json"})
    try:
        with urllib.request.urlopen(r, timeout=15) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def message(**kw):
    m = {"From": "App <app@example.com>", "To": "rcpt@example.net",
         "Subject": "hello", "TextBody": "hi"}
    m.update(kw)
    return m


def delivered(m, n):
    dh.wait_until(lambda: len(m.messages()) >= n, 20,
                  what="%d message(s) at the upstream" % n)
    out = []
    for got in m.messages():
        raw = m.raw(got["id"])
        out.append(email.message_from_bytes(raw, policy=email.policy.default))
    return out


def test_batch_answers_per_message_in_postmarks_shape(up):
    d, m = up
    st, obj = request(d, "/email/batch", [
        message(Subject="one", Tag="welcome"),
        message(Subject="two", Metadata={"n": 1}),
        message(Subject="three", TemplateId=42),
        message(Subject="four", To="not an address"),
        message(Subject="five", Priority="high"),
        message(Subject="six", TrackLinks="Always"),
        message(Subject="seven", MessageStream="outbound"),
    ])
    assert st == 200 and len(obj) == 7, obj
    ok = [r for r in obj if r["ErrorCode"] == 0]
    assert [r["Message"] for r in ok] == ["OK", "OK"], obj
    assert [r["ErrorCode"] for r in obj] == [0, 300, 300, 300, 300, 300, 0]
    for r, field in zip(obj[1:6], ["Metadata", "TemplateId", "To",
                                   "Priority", "TrackLinks"]):
        assert set(r) == {"ErrorCode", "Message"}, r
        assert field in r["Message"], (field, r)
    assert d.spool.count() == 2
    msgs = delivered(m, 2)
    ids = {str(x["Subject"]): x["Message-ID"] for x in msgs}
    assert ids.keys() == {"one", "seven"}
    # MessageID is the delivered Message-ID without its angle brackets.
    assert "<%s>" % obj[0]["MessageID"] == ids["one"], (obj[0], ids)
    assert "<%s>" % obj[6]["MessageID"] == ids["seven"], (obj[6], ids)


def test_single_refusals_are_422_naming_the_field(up):
    d, m = up
    for extra, field in [({"TemplateAlias": "welcome"}, "TemplateAlias"),
                         ({"InlineCss": True}, "InlineCss"),
                         ({"Metadata": {"k" * 21: "v"}}, "Metadata"),
                         ({"TrackOpens": "yes"}, "TrackOpens"),
                         ({"Tag": "x" * 1001}, "Tag")]:
        st, obj = request(d, "/email", message(**extra))
        assert st == 422 and obj["ErrorCode"] == 300, (extra, obj)
        assert field in obj["Message"], obj
    assert d.spool.count() == 0


def test_tag_metadata_stream_and_tracking_are_stored(up):
    d, m = up
    st, obj = request(d, "/email", message(
        Tag="invoice", Metadata={"color": "blue", "client-id": "12345"},
        MessageStream="broadcast", TrackOpens=True, TrackLinks="None",
        Headers=[{"Name": "X-Ref", "Value": "r1"}]))
    assert st == 200 and obj["ErrorCode"] == 0, obj
    got, = delivered(m, 1)
    assert got["X-Ref"] == "r1"
    assert "<%s>" % obj["MessageID"] == got["Message-ID"]
    qid, = d.spool.messages()
    code, o = get(d, "/v1/messages/" + qid)
    meta = o.get("meta", {})
    assert meta, "no meta stored"
    assert meta["tags"] == [{"name": "invoice"}], meta
    assert meta["metadata"] == {"color": "blue", "client-id": "12345"}
    assert meta["message_stream"] == "broadcast"
    assert meta["track_opens"] is True and meta["track_clicks"] is False
