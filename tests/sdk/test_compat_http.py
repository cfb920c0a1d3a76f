"""The compatible endpoints over plain HTTP (no SDK, no npm): the answers
the SDKs never provoke on their own.

  - each endpoint's error shape for a missing or unknown key, and for a
    header injection (nothing queued);
  - Resend's Idempotency-Key under 12 concurrent identical requests:
    one message, one id; the same key with another body: 409;
  - SES v1 / v2 without a signature, and an unknown operation;
  - Mailgun over application/x-www-form-urlencoded, and a multipart body
    without its closing delimiter;
  - the routes around them (/healthz, the native /v1/messages, unknown
    paths) still answer as before.
"""

import base64
import json
import threading
import time
import urllib.error
import urllib.request

import sdk_lab as c


def req(lab, path, body=b"", headers=None, method="POST"):
    """(status, headers, body bytes) of one request."""
    r = urllib.request.Request(lab.url + path, data=body if method != "GET" else None,
                               method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(r, timeout=15) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def jpost(lab, path, obj, headers):
    h = {"Content-Type": "application/json"}
    h.update(headers)
    st, hd, b = req(lab, path, json.dumps(obj).encode(), h)
    return st, hd, (json.loads(b) if b else None)


def n_delivered(lab):
    time.sleep(0.5)
    return len(lab.mock.messages())


BEARER = {"Authorization": "Bearer " + c.KEY}
RESEND = {"from": "s@example.com", "to": ["r@example.net"], "subject": "s",
          "text": "t"}


def test_every_endpoint_refuses_keys_in_its_own_shape(lab):
    lab.start()
    st, _, b = jpost(lab, "/v3/mail/send", {}, {"Authorization": "Bearer nope"})
    assert st == 401 and b["errors"][0]["message"]
    st, _, b = jpost(lab, "/email", {}, {"X-Postmark-Server-Token": "nope"})
    assert st == 401 and b["ErrorCode"] == 10
    st, _, b = jpost(lab, "/email", {}, {})
    assert st == 401 and b["ErrorCode"] == 10
    st, _, b = jpost(lab, "/emails", RESEND, {})
    assert st == 401 and b["name"] == "missing_api_key"
    st, _, b = jpost(lab, "/emails", RESEND, {"Authorization": "Bearer nope"})
    assert st == 403 and b["name"] == "invalid_api_key"
    bad = "Basic " + base64.b64encode(b"api:nope").decode()
    st, hd, b = req(lab, "/v3/mg.example.com/messages", b"from=a", {
        "Authorization": bad, "Content-Type": "application/x-www-form-urlencoded"})
    assert st == 401 and b == b"Forbidden"
    # The right key with another user name is not Mailgun's scheme.
    other = "Basic " + base64.b64encode(("user:" + c.KEY).encode()).decode()
    st, _, _ = req(lab, "/v3/mg.example.com/messages", b"from=a", {
        "Authorization": other, "Content-Type": "application/x-www-form-urlencoded"})
    assert st == 401
    st, hd, b = req(lab, "/", b"Action=SendEmail", {
        "Content-Type": "application/x-www-form-urlencoded"})
    assert st == 403 and b"<Code>MissingAuthenticationToken</Code>" in b
    st, hd, b = jpost(lab, "/v2/email/outbound-emails", {}, {})
    assert st == 403
    assert hd["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    st, hd, b = jpost(lab, "/v2/email/outbound-emails", {}, {
        "Authorization": "AWS4-HMAC-SHA256 nonsense"})
    assert st == 403 and hd["x-amzn-ErrorType"] == "IncompleteSignatureException"
    assert n_delivered(lab) == 0


def test_header_injection_is_refused_naming_the_field(lab):
    lab.start()
    sg = {"personalizations": [{"to": [{"email": "r@example.net"}]}],
          "from": {"email": "s@example.com"}, "subject": "a\r\nBcc: x@evil.org",
          "content": [{"type": "text/plain", "value": "t"}]}
    st, _, b = jpost(lab, "/v3/mail/send", sg, BEARER)
    assert st == 400 and b["errors"][0]["field"] == "subject", b
    pm = {"From": "s@example.com", "To": "r@example.net", "TextBody": "t",
          "Headers": [{"Name": "X-A", "Value": "1\r\nBcc: x@evil.org"}]}
    st, _, b = jpost(lab, "/email", pm, {"X-Postmark-Server-Token": c.KEY})
    assert st == 422 and b["ErrorCode"] == 300, b
    rs = dict(RESEND, headers={"X-A\r\nBcc": "x"})
    st, _, b = jpost(lab, "/emails", rs, BEARER)
    assert st == 422 and b["name"] == "validation_error", b
    st, _, b = jpost(lab, "/emails", dict(RESEND, subject=None), BEARER)
    assert st == 422 and b["name"] == "missing_required_field", b
    st, _, b = req(lab, "/emails", b"{not json", dict(BEARER))
    assert st == 422
    assert n_delivered(lab) == 0


def test_resend_concurrent_idempotent_requests_store_one_message(lab):
    lab.start()
    out = []

    def one():
        out.append(jpost(lab, "/emails", RESEND,
                         dict(BEARER, **{"Idempotency-Key": "same-key"})))

    ts = [threading.Thread(target=one) for _ in range(12)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(st == 200 for st, _, _ in out), out
    assert len({b["id"] for _, _, b in out}) == 1
    st, _, b = jpost(lab, "/emails", dict(RESEND, subject="other"),
                     dict(BEARER, **{"Idempotency-Key": "same-key"}))
    assert st == 409 and b["name"] == "invalid_idempotent_request", b
    st, _, b = jpost(lab, "/emails", RESEND,
                     dict(BEARER, **{"Idempotency-Key": "x" * 300}))
    assert st == 400 and b["name"] == "invalid_idempotency_key", b
    assert n_delivered(lab) == 1


def test_mailgun_urlencoded_and_broken_multipart(lab):
    lab.start()
    auth = "Basic " + base64.b64encode(("api:" + c.KEY).encode()).decode()
    st, _, b = req(lab, "/v3/mg.example.com/messages",
                   b"from=s%40example.com&to=r%40example.net&subject=hi&text=yo",
                   {"Authorization": auth,
                    "Content-Type": "application/x-www-form-urlencoded"})
    assert st == 200 and json.loads(b)["message"] == "Queued. Thank you."
    st, _, b = req(lab, "/v3/mg.example.com/messages",
                   b"--b\r\nContent-Disposition: form-data; name=from\r\n\r\nx\r\n",
                   {"Authorization": auth,
                    "Content-Type": "multipart/form-data; boundary=b"})
    assert st == 400 and "closing delimiter" in json.loads(b)["message"]
    st, _, b = req(lab, "/v3/mg.example.com/events", b"", {"Authorization": auth})
    assert st == 404
    assert n_delivered(lab) == 1


def test_routes_around_the_compat_endpoints_still_answer(lab):
    lab.start()
    st, _, _ = req(lab, "/healthz", method="GET")
    assert st == 200
    st, _, b = jpost(lab, "/v1/messages", {"from": "s@example.com",
                                           "to": "r@example.net",
                                           "subject": "native", "text": "t"},
                     BEARER)
    assert st == 202 and b["id"]
    st, _, _ = req(lab, "/nowhere", method="GET")
    assert st == 404
    st, _, b = req(lab, "/", method="GET")
    assert st == 404 and b"<ErrorResponse" in b
    # /email/withTemplate is served (issue 19): a message without a
    # template is Postmark's 422; an unknown path under /email is 404.
    st, _, b = jpost(lab, "/email/withTemplate", {}, {"X-Postmark-Server-Token": c.KEY})
    assert st == 422 and b["ErrorCode"] == 300, b
    st, _, b = jpost(lab, "/email/withTemplates", {}, {"X-Postmark-Server-Token": c.KEY})
    assert st == 404
    st, _, b = jpost(lab, "/emails/batch", [], BEARER)
    assert st == 422 and b["name"] == "validation_error"
    st, _, b = jpost(lab, "/emails/x/y", {}, BEARER)
    assert st == 404 and b["name"] == "not_found"
    assert n_delivered(lab) == 1
