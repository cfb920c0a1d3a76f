"""dash_client - a person at the dashboard, over plain HTTP, for the
black-box tests of tests/browser (urllib; redirects are answers, not
followed; the session cookie kept by hand).

  request()         one request; a dict body is sent as an HTML form
  Session           signed in with an admin key: its cookie and CSRF token
  provider_state()  deliver's state of a provider, read with the admin key
"""

import re
import urllib.error
import urllib.parse
import urllib.request

import swerve_harness as sh

CSRF_META = re.compile(rb'<meta name="csrf-token" content="([0-9a-f]{64})">')


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **kw):
        return None


_opener = urllib.request.build_opener(NoRedirect)


def request(url, method="GET", body=None, headers=None, timeout=10):
    """(status, body, headers) of one request; redirects are answers."""
    if isinstance(body, dict):
        body = urllib.parse.urlencode(body).encode()
        headers = dict(headers or {})
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    req = urllib.request.Request(url, data=body, method=method,
                                 headers=headers or {})
    try:
        with _opener.open(req, timeout=timeout) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


class Session:
    """A person signed in to the dashboard at base (the admin plane)."""

    def __init__(self, base, key=sh.ADMIN_KEY):
        self.base = base
        code, body, hdrs = request(base + "/dashboard/login", "POST",
                                   {"key": key})
        assert code == 303, (code, body)
        self.set_cookie = hdrs.get("Set-Cookie")
        m = re.match(r"swerve_session=([0-9a-f]{64});", self.set_cookie or "")
        assert m, self.set_cookie
        self.id = m.group(1)
        code, body, _ = self.get("/dashboard")
        assert code == 200, (code, body[:500])
        self.csrf = CSRF_META.search(body).group(1).decode()

    @property
    def cookie(self):
        return {"Cookie": "swerve_session=" + self.id}

    def get(self, path, headers=None):
        return request(self.base + path, headers=dict(self.cookie, **(headers or {})))

    def post(self, path, form=None, headers=None):
        return request(self.base + path, "POST", form if form is not None else b"",
                       dict(self.cookie, **(headers or {})))


def provider_state(daemon, name):
    """deliver's state of provider name, read with the admin key."""
    code, obj = daemon.admin_json("/v1/providers")
    assert code == 200, obj
    return {p["name"]: p["state"] for p in obj["providers"]}[name]
