"""api_client - a small client for swerved's send API (urllib, no deps)."""

import json
import os
import sys
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "delivery"))

import delivery_helpers as dh  # noqa: E402,F401  (read-only)
from delivery_helpers import sh  # noqa: E402,F401

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
    req = urllib.request.Request(d.http_url + path, data=data, method="POST",
                                 headers=h)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            code, out, hdrs = r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        code, out, hdrs = e.code, e.read(), e.headers
    try:
        return code, json.loads(out), hdrs
    except ValueError:
        return code, out, hdrs


def send(d, msg, **kw):
    return post(d, "/v1/messages", msg, **kw)


def get(d, path):
    req = urllib.request.Request(d.http_url + path)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def msg(**kw):
    m = {"from": "Sender <s@example.com>", "to": "r@example.net",
         "subject": "hello", "text": "hi\n"}
    m.update(kw)
    return m
