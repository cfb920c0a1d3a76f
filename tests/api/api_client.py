"""api_client - a small client for swerved's send API (urllib, no deps).

sh is the shared harness (tests/lib/swerve_harness.py); dh is the same
module under the name older tests use.
"""

import json

import swerve_harness as sh

dh = sh

WEB_KEY = "web-key-0123456789abcdef"
JOBS_KEY = "jobs-key-fedcba9876543210"


def post(d, path, body, key=WEB_KEY, headers=None, raw=False, timeout=15):
    """(status, parsed JSON or bytes, response headers) of one POST."""
    data = body if isinstance(body, bytes) else (
        body.encode() if isinstance(body, str) else json.dumps(body).encode())
    h = {"Content-Type": "message/rfc822" if raw else "application/json"}
    if key is not None:
        h["Authorization"] = "Bearer " + key
    h.update(headers or {})
    code, out, hdrs = sh.http_request(d.http_url + path, "POST", data, h, timeout)
    try:
        return code, json.loads(out), hdrs
    except ValueError:
        return code, out, hdrs


def send(d, msg, **kw):
    return post(d, "/v1/messages", msg, **kw)


def get(d, path, key=None, admin=True):
    """(status, parsed JSON) of one GET; with the harness's admin key
    unless key (an API key) is given or admin is false (no key)."""
    h = {"Authorization": "Bearer " + key} if key else (
        dict(sh.ADMIN_AUTH) if admin else {})
    code, out, _ = sh.http_request(d.http_url + path, headers=h)
    return code, json.loads(out or b"null")


def msg(**kw):
    m = {"from": "Sender <s@example.com>", "to": "r@example.net",
         "subject": "hello", "text": "hi\n"}
    m.update(kw)
    return m
