"""tests/browser/test_dashboard_browser - the operator dashboard in a real
browser (Debian's Chromium, headless, through tests/lib/browser.py),
against a real swerved delivering to two swerve-mocks.

  - a wrong key is refused on the sign-in page; the right one opens the
    dashboard, which loads with no console error and no request leaving
    127.0.0.1, and its script refreshes the live part (with the CSRF
    header) without an error either;
  - the Pause button pauses the provider (checked against deliver's state
    through the admin API), but not once its hidden CSRF field is
    removed; Resume resumes it;
  - a forged form post from another site (http://localhost:PORT) and from
    another origin on the same site (http://127.0.0.1:OTHER) change
    nothing, with the victim signed in;
  - an expired session is sent back to the sign-in page and its Pause
    button does nothing;
  - an outage (primary tempfails) opens an incident that the dashboard
    shows with its timeline within seconds, and its scope (messages
    affected, rerouted, where traffic goes now) from the spool within a
    10 s tick; a note added in the browser
    (with markup in it) appears in the timeline as text.

Screenshots are saved under each test's tmp path (printed). With
SWERVE_DOCS_SCREENSHOT=1 the outage test copies its screenshot to
docs/img/dashboard.png (and SWERVE_DASH_SECONDS=N makes its traffic run
N seconds, for fuller charts).
"""

import http.server
import os
import threading
import time

import pytest

import swerve_harness as sh
from dash_client import provider_state

from selenium.webdriver.common.by import By

REPO = sh.REPO


def two_providers(lab, **over):
    m1 = lab.mock("m1")
    m2 = lab.mock("m2")
    d = lab.daemon([sh.provider("p1", m1.smtp_port, 1),
                    sh.provider("p2", m2.smtp_port, 2)], **over)
    return d, m1, m2


def sign_in(b, d, key=sh.ADMIN_KEY):
    b.get(d.admin_url + "/dashboard")
    b.wait_for(lambda drv: drv.current_url.endswith("/dashboard/login"),
               what="the sign-in page")
    field = b.driver.find_element(By.ID, "key")
    field.clear()
    field.send_keys(key)
    b.driver.find_element(By.ID, "signin").click()


def on_dashboard(b):
    return b.wait_for(
        lambda drv: drv.find_elements(By.ID, "providers"), 10,
        "the dashboard page")


def button(b, action, provider):
    return b.driver.find_element(
        By.CSS_SELECTOR,
        'button[data-action="%s"][data-provider="%s"]' % (action, provider))


def test_sign_in_loads_clean_and_pause_needs_the_token(lab, browser):
    d, _, _ = two_providers(lab)
    b = browser
    sign_in(b, d, "wrong-key")
    b.wait_for(lambda drv: "not an admin key" in drv.page_source,
               what="the refusal")
    assert "swerve_session" not in b.cookies()
    b.screenshot("login-refused")
    b.forget()  # the refusal's 401 is a console error, rightly
    sign_in(b, d)
    on_dashboard(b)
    cookie = b.cookies()["swerve_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert cookie.get("expiry"), "a session cookie must expire"
    assert sh.ADMIN_KEY not in b.driver.page_source
    # The script refreshes the live part every 10 s, with the token.
    b.wait_for(lambda drv: drv.find_element(By.ID, "updated").text != "now",
               15, "the live refresh")
    assert b.console_errors() == []
    assert b.non_loopback_requests() == []
    assert any(u.endswith("/dashboard/live") for u in b.requests())
    b.screenshot("dashboard")

    # The Pause button without its CSRF field: refused, nothing changes.
    b.driver.execute_script(
        "document.querySelectorAll('input[name=csrf]')"
        ".forEach(function (e) { e.remove(); });")
    button(b, "pause", "p1").click()
    b.wait_for(lambda drv: drv.find_elements(By.ID, "refused"),
               what="the refusal page")
    assert "CSRF" in b.driver.find_element(By.ID, "refused").text
    assert provider_state(d, "p1") == "closed"

    # With it: paused, and the page says so.
    b.get(d.admin_url + "/dashboard")
    on_dashboard(b)
    button(b, "pause", "p1").click()
    b.wait_for(lambda drv: "p1: paused." in drv.page_source,
               what="the pause notice")
    assert provider_state(d, "p1") == "paused"
    badge = b.driver.find_element(
        By.CSS_SELECTOR, 'tr[data-provider="p1"] .badge')
    assert badge.text == "paused"
    b.screenshot("paused")
    button(b, "resume", "p1").click()
    b.wait_for(lambda drv: "p1: resumed." in drv.page_source,
               what="the resume notice")
    assert provider_state(d, "p1") == "closed"
    assert [e for e in b.console_errors()
            if "403" not in e["message"]] == []
    assert b.non_loopback_requests() == []


class _Forger(http.server.BaseHTTPRequestHandler):
    """Serves a page that posts a pause form to the dashboard at once."""
    target = None

    def do_GET(self):
        page = ("<!doctype html><html><head><link rel=icon href='data:,'>"
                "</head><body><form id=f method=post action='%s'>"
                "<input type=hidden name=csrf value='%s'></form>"
                "<script>document.getElementById('f').submit()</script>"
                "</body></html>" % (self.target, "0" * 64)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, *a):
        pass


def test_forged_cross_site_posts_change_nothing(lab, browser):
    d, _, _ = two_providers(lab)
    b = browser
    sign_in(b, d)
    on_dashboard(b)
    target = d.admin_url + "/dashboard/providers/p1/pause"
    handler = type("F", (_Forger,), {"target": target})
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        port = srv.server_address[1]
        # Another site (localhost is not 127.0.0.1 to the browser):
        # SameSite=Strict keeps the cookie home; then another origin on
        # the same site, which does get the cookie but not the token.
        for n, evil in enumerate(("http://localhost:%d/" % port,
                                  "http://127.0.0.1:%d/" % port)):
            b.get(evil)
            b.wait_for(lambda drv: drv.current_url == target, 10,
                       "the forged post")
            b.wait_for(lambda drv: drv.find_elements(By.ID, "refused"),
                       what="the refusal")
            b.screenshot("forged-%d" % n)
            assert provider_state(d, "p1") == "closed", evil
    finally:
        srv.shutdown()
        srv.server_close()
    # The session itself is still good.
    b.get(d.admin_url + "/dashboard")
    on_dashboard(b)
    assert "forgery" not in d.log_text()
    assert "without the session's CSRF token" in d.log_text()


def test_expired_session_goes_back_to_sign_in(lab, browser):
    d, _, _ = two_providers(lab, dashboard={"session_lifetime": "2s"})
    b = browser
    sign_in(b, d)
    on_dashboard(b)
    time.sleep(2.5)
    # The page still shows the old buttons; the server has forgotten the
    # session: nothing happens.
    button(b, "pause", "p1").click()
    b.wait_for(lambda drv: drv.find_elements(By.ID, "refused"),
               what="the refusal")
    assert provider_state(d, "p1") == "closed"
    b.get(d.admin_url + "/dashboard")
    b.wait_for(lambda drv: drv.current_url.endswith("/dashboard/login"),
               what="the sign-in page")
    b.screenshot("expired")


def test_outage_shows_an_incident_and_takes_a_note(lab, browser):
    d, m1, m2 = two_providers(lab)
    b = browser
    seconds = int(os.environ.get("SWERVE_DASH_SECONDS", "0"))
    sender = "app@example.com"

    def send(n, stream=None):
        hdr = ["X-Swerve-Stream: %s" % stream] if stream else []
        for i in range(n):
            sh.submit(d, sender, ["user%d@example.net" % i],
                      sh.message("dash %d" % i, headers=hdr))

    send(20)
    send(5, "bulk")
    # A longer run for the docs' screenshot: traffic for a while first.
    end = time.monotonic() + seconds / 2
    while time.monotonic() < end:
        send(8)
        send(3, "bulk")
        time.sleep(1)
    m1.set_mode("tempfail")
    send(10)
    end = time.monotonic() + seconds / 2
    while time.monotonic() < end:
        send(6)
        send(2, "bulk")
        time.sleep(1)

    sign_in(b, d)
    on_dashboard(b)
    inc = b.wait_for(
        lambda drv: (drv.refresh() or
                     drv.find_elements(By.CSS_SELECTOR, "article.incident")),
        30, "an incident on the dashboard")[0]
    # Its live scope, computed from the spool on the 10 s tick.
    scope = b.wait_for(
        lambda drv: (drv.refresh() or [
            e for e in drv.find_elements(By.CSS_SELECTOR,
                                         "article.incident p.scope")
            if "messages affected" in e.text]),
        25, "the incident's scope")[0].text
    assert "rerouted" in scope and "Traffic now" in scope, scope
    assert "p2 (" in scope, scope  # where traffic goes now
    inc = b.driver.find_elements(By.CSS_SELECTOR, "article.incident")[0]
    text = inc.text
    assert "p1" in text
    assert "investigating" in text or "identified" in text, text
    items = inc.find_elements(By.CSS_SELECTOR, ".timeline li")
    assert items, text
    kinds = [li.find_element(By.CSS_SELECTOR, ".kind").text.lower()
             for li in items]
    assert "alert" in kinds, kinds
    # A note with markup in it: shown as text.
    note = "<b>bold?</b> we are on it <script>alert(1)</script>"
    inc.find_element(By.NAME, "text").send_keys(note)
    inc.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    b.wait_for(lambda drv: "Note added to" in drv.page_source,
               what="the note notice")
    inc = b.driver.find_elements(By.CSS_SELECTOR, "article.incident")[0]
    assert note in inc.text
    assert not b.driver.find_elements(By.CSS_SELECTOR, "article.incident b")
    code, obj = d.admin_json("/v1/incidents/" + inc.get_attribute(
        "data-incident"))
    assert code == 200 and note in str(obj), (code, obj)
    assert b.console_errors() == []
    assert b.non_loopback_requests() == []
    # The provider table shows the open circuit and its reason.
    badge = b.driver.find_element(
        By.CSS_SELECTOR, 'tr[data-provider="p1"] .badge')
    assert badge.text in ("open", "half-open"), badge.text
    shot = b.screenshot("outage", full_page=True)
    if os.environ.get("SWERVE_DOCS_SCREENSHOT") == "1":
        b.copy_screenshot("outage", os.path.join(REPO, "docs", "img",
                                                 "dashboard.png"))
    assert os.path.getsize(shot) > 10000
