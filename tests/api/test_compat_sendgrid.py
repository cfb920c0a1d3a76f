"""SendGrid v3 POST /v3/mail/send at a recording upstream (issue 13).

Each personalization is its own message (its from, subject, headers
and substitutions applied, the footer added), a send_at personalization
is held, a sandbox request is answered 200 and never delivered, and
categories and custom_args are stored on each message
(GET /v1/messages/ID "meta").
Refusals come in SendGrid's error shape naming the field.
"""

import email
import email.policy
import json
import time

from api_client import WEB_KEY, dh, post

BEARER = {"Authorization": "Bearer " + WEB_KEY}


def sg(d, body):
    return post(d, "/v3/mail/send", body, key=None, headers=BEARER)


def delivered(mock, n):
    dh.wait_until(lambda: len(mock.messages()) >= n, 15,
                  what="%d messages at the mock" % n)
    out = {}
    for m in mock.messages():
        raw = mock.raw(m["id"])
        raw = raw if isinstance(raw, bytes) else json.dumps(raw).encode()
        e = email.message_from_bytes(raw, policy=email.policy.default)
        out[m["rcpt_to"][0]] = (m, e)
    return out


def tenant_ids(api):
    return [m["id"] for m in api.list() if m.get("tenant") == "webt"]


def test_personalizations_are_messages_with_their_own_parts(lab):
    m = lab.mock()
    d = lab.daemon(m)
    later = int(time.time()) + 3600
    body = {
        "personalizations": [
            {"to": [{"email": "ann@example.net", "name": "Ann"}],
             "substitutions": {"-name-": "Ann", "-city-": "Oslo"},
             "headers": {"Message-ID": "<ann-1@client.example>"},
             "custom_args": {"user": "1"}},
            {"to": [{"email": "bob@example.net"}],
             "cc": [{"email": "cc@example.net"}],
             "from": {"email": "sales@example.com", "name": "Sales"},
             "subject": "For -name- only",
             "headers": {"X-Mine": "-name-"},
             "substitutions": {"-name-": "Bob", "-city-": "Rome"}},
            {"to": [{"email": "later@example.net"}], "send_at": later,
             "substitutions": {"-name-": "Lee"}},
        ],
        "from": {"email": "app@example.com", "name": "App"},
        "subject": "Hello -name-",
        "headers": {"X-Mine": "top"},
        "content": [{"type": "text/plain", "value": "Dear -name- of -city-"},
                    {"type": "text/html",
                     "value": "<html><body><p>-name-</p></body></html>"}],
        "categories": ["welcome", "onboarding"],
        "custom_args": {"user": "0", "campaign": "c1"},
        "mail_settings": {"footer": {"enable": True, "text": "-- App",
                                     "html": "<hr>App"}},
        "tracking_settings": {"open_tracking": {"enable": True}},
    }
    code, obj, hdrs = sg(d, body)
    assert code == 202, obj
    first = dict((k.lower(), v) for k, v in hdrs.items())["x-message-id"]
    got = delivered(m, 2)
    ann_env, ann = got["ann@example.net"]
    assert str(ann["Subject"]) == "Hello Ann"
    assert ann["From"].addresses[0].addr_spec == "app@example.com"
    assert ann["X-Mine"] == "top"
    # a caller's Message-ID is kept; the others get swerve's own
    assert ann["Message-ID"] == "<ann-1@client.example>"
    assert ann.get_body(("plain",)).get_content().replace("\r\n", "\n") \
        .rstrip("\n") == "Dear Ann of Oslo\n-- App"
    assert "<p>Ann</p><hr>App</body>" in ann.get_body(("html",)).get_content()
    bob_env, bob = got["bob@example.net"]
    assert sorted(bob_env["rcpt_to"]) == ["bob@example.net", "cc@example.net"]
    assert bob_env["mail_from"] == "sales@example.com"
    assert str(bob["Subject"]) == "For Bob only"
    assert bob["From"].addresses[0].display_name == "Sales"
    assert bob["X-Mine"] == "Bob"
    assert bob["Message-ID"] != ann["Message-ID"]
    assert "Dear Bob of Rome" in bob.get_body(("plain",)).get_content()
    # Three messages stored, each with the request's categories and
    # custom_args (the personalization's over them), one held for its
    # send_at.
    api = dh.Api(d)
    ids = tenant_ids(api)
    assert len(ids) == 3 and first in ids
    metas = {}
    for qid in ids:
        full = api.message(qid)
        metas[full["rcpts"][0]["address"]] = full
    assert metas["ann@example.net"]["id"] == first
    held = metas["later@example.net"]
    assert held["meta"]["send_at"] == later
    assert held["state"] == "scheduled", held
    assert "send_at" not in metas["ann@example.net"]["meta"]
    time.sleep(0.5)
    assert len(m.messages()) == 2
    for full in metas.values():
        meta = full["meta"]
        assert [t["name"] for t in meta["tags"]] == ["welcome", "onboarding"]
        assert meta["metadata"]["campaign"] == "c1"
        assert meta["track_opens"] is True
    users = sorted(f["meta"]["metadata"]["user"] for f in metas.values())
    assert users == ["0", "0", "1"]
    # The held message is cancelled with swerve's own API and the key.
    code, out, _ = dh.http_request(
        d.http_url + "/v1/messages/" + held["id"], "DELETE", None,
        {"Authorization": "Bearer " + WEB_KEY})
    assert code == 200, out
    assert api.message(held["id"])["state"] == "cancelled"


def test_sandbox_is_validated_answered_200_and_never_delivered(lab):
    m = lab.mock()
    d = lab.daemon(m)
    body = {"personalizations": [{"to": [{"email": "r@example.net"}]}],
            "from": {"email": "app@example.com"}, "subject": "sandbox",
            "content": [{"type": "text/plain", "value": "t"}],
            "mail_settings": {"sandbox_mode": {"enable": True}}}
    # Validated like a real send: a sender the key may not use is 403.
    bad = dict(body, **{"from": {"email": "app@example.org"}})
    code, obj, _ = sg(d, bad)
    assert code == 403 and obj["errors"][0]["field"] == "from", obj
    code, obj, hdrs = sg(d, body)
    assert code == 200 and obj in (b"", "", None), obj
    qid = dict((k.lower(), v) for k, v in hdrs.items())["x-message-id"]
    api = dh.Api(d)
    full = api.message(qid)
    assert full["meta"]["sandbox"] is True
    assert full["state"] == "sandboxed", full
    # A real send after it arrives; the sandboxed one never does.
    real = dict(body, mail_settings={"sandbox_mode": {"enable": False}},
                subject="real")
    assert sg(d, real)[0] == 202
    got = delivered(m, 1)
    time.sleep(0.5)
    assert len(m.messages()) == 1
    assert str(got["r@example.net"][1]["Subject"]) == "real"


def test_request_idempotency_key_makes_a_whole_retry_safe(lab):
    """X-Swerve-Idempotency-Key in the request's headers: each
    personalization gets its own key, so the same request sent twice
    stores its two messages once (not a 409 for the second message)."""
    m = lab.mock()
    d = lab.daemon(m)
    body = {"personalizations": [{"to": [{"email": "a1@example.net"}]},
                                 {"to": [{"email": "a2@example.net"}]}],
            "from": {"email": "app@example.com"}, "subject": "once",
            "headers": {"X-Swerve-Idempotency-Key": "order-42"},
            "content": [{"type": "text/plain", "value": "t"}]}
    code, obj, h1 = sg(d, body)
    assert code == 202, obj
    code, obj, h2 = sg(d, body)
    assert code == 202, obj
    first = [dict((k.lower(), v) for k, v in h.items())["x-message-id"]
             for h in (h1, h2)]
    assert first[0] == first[1]
    assert len(tenant_ids(dh.Api(d))) == 2
    got = delivered(m, 2)
    assert sorted(got) == ["a1@example.net", "a2@example.net"]
    assert "X-Swerve-Idempotency-Key" not in got["a1@example.net"][1]


def test_refusals_name_the_field_in_sendgrids_shape(lab):
    d = lab.daemon()
    base = {"personalizations": [{"to": [{"email": "r@example.net"}]}],
            "from": {"email": "app@example.com"}, "subject": "s",
            "content": [{"type": "text/plain", "value": "t"}]}
    cases = [
        ({"send_at": int(time.time()) + 73 * 3600}, "send_at"),
        ({"batch_id": "b1"}, "batch_id"),
        ({"asm": {"group_id": 1}}, "asm"),
        # A dynamic template gives the content (issue 19).
        ({"template_id": "d-1"}, "content"),
        ({"sections": {"a": "b"}}, "sections"),
        ({"tracking_settings": {"subscription_tracking": {"enable": True}}},
         "tracking_settings.subscription_tracking.enable"),
        ({"personalizations": [{"to": [{"email": "r@example.net"}],
                                "substitutions": {"-a-": 1}}]},
         "personalizations.0.substitutions"),
    ]
    for patch, field in cases:
        code, obj, _ = sg(d, dict(base, **patch))
        assert code == 400, (patch, obj)
        err = obj["errors"][0]
        assert err["field"] == field and err["message"], (patch, obj)
        assert "help" in err
    assert dh.Api(d).list() == []
