"""tests/browser/test_browser_lib - tests/lib/browser.py itself catches what
the browser tests rely on it to catch: a console error, a request leaving
loopback, and it stops every process it started.

A local page (http.server on 127.0.0.1) logs an error and asks for an
image on a non-loopback address (TEST-NET-1, 192.0.2.1: never routed, so
nothing leaves this host in practice either); the collector must report
both, and a clean page neither.
"""

import http.server
import os
import threading

import browser


class _Pages(http.server.BaseHTTPRequestHandler):
    PAGES = {
        "/clean": b"<!doctype html><html><head><link rel=icon href='data:,'>"
                  b"<title>clean</title></head><body><p>ok</p></body></html>",
        "/dirty": b"<!doctype html><html><head><link rel=icon href='data:,'>"
                  b"<title>dirty</title></head><body>"
                  b"<img src='http://192.0.2.1:9/x.png' alt=''>"
                  b"<script>console.error('dashboard-test-boom')</script>"
                  b"</body></html>",
    }

    def do_GET(self):
        body = self.PAGES.get(self.path)
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *a):
        pass


def test_collects_errors_and_outside_requests_and_stops(tmp_path):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    base = "http://127.0.0.1:%d" % srv.server_address[1]
    b = browser.Browser(tmp_path)
    try:
        pids = browser._descendants(b.pid) + [b.pid]
        assert len(pids) > 1, "chromedriver started no browser"
        b.get(base + "/clean")
        assert b.console_errors() == []
        assert b.non_loopback_requests() == []
        assert base + "/clean" in b.requests()
        clean = b.screenshot("clean")
        assert os.path.getsize(clean) > 1000
        with open(clean, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"

        b.get(base + "/dirty")
        errs = [e["message"] for e in b.console_errors()]
        assert any("dashboard-test-boom" in m for m in errs), errs
        assert b.non_loopback_requests() == ["http://192.0.2.1:9/x.png"]
    finally:
        b.stop()
        srv.shutdown()
        srv.server_close()
    assert [p for p in pids if browser._alive(p)] == []


def test_is_loopback_url():
    assert browser.is_loopback_url("http://127.0.0.1:1/x")
    assert browser.is_loopback_url("http://127.9.9.9/x")
    assert browser.is_loopback_url("https://[::1]:8443/")
    assert browser.is_loopback_url("http://localhost:80/")
    assert browser.is_loopback_url("data:image/png;base64,AAAA")
    assert browser.is_loopback_url("about:blank")
    assert not browser.is_loopback_url("https://fonts.googleapis.com/css")
    assert not browser.is_loopback_url("http://10.0.0.1/")
    assert not browser.is_loopback_url("http://128.0.0.1/")
    assert not browser.is_loopback_url("wss://example.com/s")
    assert not browser.is_loopback_url("http://localhost.example.com/")
