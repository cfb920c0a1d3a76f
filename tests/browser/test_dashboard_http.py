"""tests/browser/test_dashboard_http - the dashboard's sign-in, cookie and
CSRF rules, black-box over HTTP against a real swerved (no browser: the
exact headers and status codes).

  - /dashboard without a session goes to the sign-in page; a wrong key is
    401 and sets no cookie; an admin key gets a cookie that is HttpOnly,
    SameSite=Strict, Path=/, expiring (Max-Age = session_lifetime), not
    Secure over plain HTTP, and is not the key;
  - pause needs the session AND its CSRF token AND (when sent) our own
    Origin: without any of them 403 and deliver's state does not change;
  - the JSON API never takes the cookie alone (401), but does with the
    session's token in X-CSRF-Token;
  - a session expires, and sign-out ends it;
  - over HTTPS the cookie is Secure.
"""

import os
import re
import time
import urllib.request

import pytest

import swerve_harness as sh
from dash_client import NoRedirect, Session, provider_state, request


def start(lab, **over):
    m = lab.mock("m1")
    return lab.daemon([sh.provider("p1", m.smtp_port, 1)], **over)


def test_sign_in_cookie_flags(lab):
    d = start(lab)
    base = d.admin_url
    code, _, hdrs = request(base + "/dashboard")
    assert code == 303 and hdrs["Location"] == "/dashboard/login"
    code, body, hdrs = request(base + "/dashboard/login")
    assert code == 200 and b'name="key"' in body
    assert "script-src 'self'" in hdrs["Content-Security-Policy"]

    code, body, hdrs = request(base + "/dashboard/login", "POST",
                               {"key": "not-the-key"})
    assert code == 401 and b"not an admin key" in body
    assert hdrs.get("Set-Cookie") is None

    s = Session(base)
    flags = [f.strip() for f in s.set_cookie.split(";")]
    assert "HttpOnly" in flags and "SameSite=Strict" in flags
    assert "Path=/" in flags and "Max-Age=28800" in flags
    assert "Secure" not in flags  # plain HTTP here
    assert sh.ADMIN_KEY not in s.set_cookie and s.id != sh.ADMIN_KEY
    code, body, hdrs = s.get("/dashboard")
    assert code == 200 and b'data-provider="p1"' in body
    assert sh.ADMIN_KEY.encode() not in body
    assert hdrs["Cache-Control"] == "no-store"
    assert hdrs["X-Frame-Options"] == "DENY"
    # A second sign-in is a different session with another token.
    s2 = Session(base)
    assert s2.id != s.id and s2.csrf != s.csrf


def test_pause_needs_session_and_csrf(lab):
    d = start(lab)
    s = Session(d.admin_url)
    path = "/dashboard/providers/p1/pause"
    # No session at all (a cross-site form post carries no cookie under
    # SameSite=Strict): refused.
    code, body, _ = request(d.admin_url + path, "POST", {"csrf": s.csrf})
    assert code == 403, body
    # A session but no token, an empty one, another session's token.
    other = Session(d.admin_url)
    for form in ({}, {"csrf": ""}, {"csrf": "0" * 64}, {"csrf": other.csrf}):
        code, body, _ = s.post(path, form)
        assert code == 403 and b"CSRF" in body, (form, code, body)
    # The right token from another origin.
    code, body, _ = s.post(path, {"csrf": s.csrf},
                           {"Origin": "http://evil.example"})
    assert code == 403 and b"origin" in body
    assert provider_state(d, "p1") == "closed"
    # Session + token (form field): paused.
    code, _, hdrs = s.post(path, {"csrf": s.csrf},
                           {"Origin": d.admin_url})
    assert code == 303 and hdrs["Location"].startswith("/dashboard?done=pause")
    assert provider_state(d, "p1") == "paused"
    code, body, _ = s.get(hdrs["Location"])
    assert b"p1: paused." in body
    # The token in the header instead works too; resume.
    code, _, _ = s.post("/dashboard/providers/p1/resume", b"",
                        {"X-CSRF-Token": s.csrf})
    assert code == 303
    assert provider_state(d, "p1") == "closed"
    # The action is in the log with the key's name.
    assert re.search(r"dashboard: p1: pause by test-admin", d.log_text())


def test_api_never_takes_the_cookie_alone(lab):
    d = start(lab)
    s = Session(d.admin_url)
    code, body, _ = s.get("/v1/status")
    assert code == 401 and b"X-CSRF-Token" in body
    code, body, _ = s.post("/v1/providers/p1/pause")
    assert code == 401
    assert provider_state(d, "p1") == "closed"
    code, body, _ = s.get("/v1/status", {"X-CSRF-Token": "f" * 64})
    assert code == 401
    code, body, _ = s.get("/v1/status", {"X-CSRF-Token": s.csrf})
    assert code == 200 and b'"service":"swerved"' in body
    code, body, _ = s.post("/v1/providers/p1/drain", None,
                           {"X-CSRF-Token": s.csrf})
    assert code == 200, body
    assert provider_state(d, "p1") == "draining"
    # The live part for the page's script needs the token as well.
    assert s.get("/dashboard/live")[0] == 403
    code, body, _ = s.get("/dashboard/live", {"X-CSRF-Token": s.csrf})
    assert code == 200 and b'id="providers"' in body


def test_session_expires_and_sign_out_ends_it(lab):
    d = start(lab, dashboard={"session_lifetime": "2s"})
    s = Session(d.admin_url)
    assert "Max-Age=2" in s.set_cookie
    assert s.get("/dashboard")[0] == 200
    time.sleep(2.3)
    code, _, hdrs = s.get("/dashboard")
    assert code == 303 and hdrs["Location"] == "/dashboard/login"
    assert s.get("/v1/status", {"X-CSRF-Token": s.csrf})[0] == 401
    assert s.post("/dashboard/providers/p1/pause", {"csrf": s.csrf})[0] == 403
    assert provider_state(d, "p1") == "closed"

    s = Session(d.admin_url)
    assert s.post("/dashboard/logout", {})[0] == 403  # needs the token
    code, _, hdrs = s.post("/dashboard/logout", {"csrf": s.csrf})
    assert code == 303 and "Max-Age=0" in hdrs["Set-Cookie"]
    assert s.get("/dashboard")[0] == 303


def test_only_admin_role_signs_in_and_failures_slow_down(lab, tmp_path):
    mkey = "metrics-only-key-9d1e"
    path = os.path.join(str(tmp_path), "metrics.key")
    with open(path, "w") as f:
        f.write(mkey + "\n")
    admin_path = os.path.join(str(tmp_path), "adm.key")
    with open(admin_path, "w") as f:
        f.write(sh.ADMIN_KEY + "\n")
    d = start(lab, admin_keys=[
        {"name": "ops", "key_file": admin_path},
        {"name": "scraper", "key_file": path, "role": "metrics"}])
    code, body, hdrs = request(d.admin_url + "/dashboard/login", "POST",
                               {"key": mkey})
    assert code == 401 and b"metrics only" in body
    assert hdrs.get("Set-Cookie") is None
    # Three free failures (the metrics key's was the first), then each
    # further one makes the next attempt wait, even with the right key.
    for _ in range(3):
        request(d.admin_url + "/dashboard/login", "POST", {"key": "x"})
    code, body, _ = request(d.admin_url + "/dashboard/login", "POST",
                            {"key": sh.ADMIN_KEY})
    assert code == 429 and b"Too many failed sign-ins" in body


def test_disabled_is_404(lab):
    d = start(lab, dashboard={"enabled": False})
    assert request(d.admin_url + "/dashboard/login")[0] == 404
    assert request(d.admin_url + "/dashboard")[0] == 404


def test_not_on_the_send_plane(lab):
    d = start(lab, listen=dict(sh.listen_config(),
                               admin="127.0.0.1:%d" % sh.free_port()))
    assert request(d.http_url + "/dashboard/login")[0] == 404
    assert request(d.admin_url + "/dashboard/login")[0] == 200


def test_secure_cookie_over_https(lab, tmp_path):
    cert, key = sh.make_cert(str(tmp_path))
    d = start(lab, https={"cert": cert, "key": key})
    base = "https://127.0.0.1:%d" % d.http_port
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=sh.client_tls_context()),
        NoRedirect)
    req = urllib.request.Request(
        base + "/dashboard/login", method="POST",
        data=b"key=" + sh.ADMIN_KEY.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        r = opener.open(req, timeout=10)
        code, hdrs = r.status, r.headers
    except urllib.error.HTTPError as e:
        code, hdrs = e.code, e.headers
    assert code == 303
    flags = [f.strip() for f in hdrs["Set-Cookie"].split(";")]
    assert "Secure" in flags and "HttpOnly" in flags
