"""The public status page (docs/status-page.md) served by a real swerved:

- an outage driven with swerve-mock (the primary's probes fail, its
  circuit opens, the circuit_open alert opens an incident) is on the
  page within seconds, in the JSON, the HTML and both feeds, and no
  provider name is;
- the feeds validate with Debian's python3-feedparser;
- `swervectl status-page export DIR` writes the same bytes the live
  page serves;
- a second swerved with a provider whose `status_page:` points at the
  first's page reads it with swerve's own poller, overall and by
  component, as the first's state changes;
- an operator's public note is text on the page, an internal one is
  absent; a drill's simulated outage does not show;
- the statuspage.io npm client (a Statuspage API v2 client) reads it;
- Debian's Chromium, headless, loads it with no console error and no
  request leaving loopback, and saves a screenshot.
"""

import json
import os
import shutil
import subprocess
import time
import urllib.request

import pytest

import swerve_harness as sh

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# Provider names that must never reach the page (show_providers is off).
PRIMARY, BACKUP = "esp-alpha", "esp-beta"


def _get(url, timeout=10):
    """(status, headers, body bytes) of a plain GET."""
    req = urllib.request.Request(url)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def _json(url):
    code, _, body = _get(url)
    assert code == 200, (url, code, body[:300])
    return json.loads(body)


def _page_daemon(lab, primary, backup, **public):
    """swerved with listen.status, two providers (the primary probed
    every 300 ms, its circuit opening on one failure) and a status page
    naming the transactional stream "Password reset emails"."""
    status_port = sh.free_port()
    http = "%s:%d" % (sh.HOST, sh.free_port())
    ps = {"title": "Example Mail", "on_http": True,
          "streams": {"transactional": {"name": "Password reset emails",
                                        "description": "Sign-in links"},
                      "bulk": {"name": "Newsletters"}}}
    ps.update(public)
    d = lab.daemon(
        [sh.provider(PRIMARY, primary.smtp_port, 1, probe_interval="300ms",
                     circuit={"failures": 1, "cooldown": "30s"}),
         sh.provider(BACKUP, backup.smtp_port, 2)],
        listen={"smtp": "%s:%d" % (sh.HOST, sh.free_port()), "http": http,
                "status": "%s:%d" % (sh.HOST, status_port)},
        alerts={"interval": "200ms",
                "rules": [{"name": "circuit_open", "for": "0s"}]},
        public_status=ps)
    d.status_url = "http://%s:%d" % (sh.HOST, status_port)
    sh.wait_until(lambda: sh.port_accepts(status_port), 10,
                  what="listen.status accepting")
    return d


def _files(d):
    """Every file of the page, as the live listener serves it now."""
    out = {}
    for path in ("index.html", "api/v2/summary.json", "api/v2/status.json",
                 "api/v2/components.json", "api/v2/incidents.json",
                 "api/v2/incidents/unresolved.json",
                 "api/v2/scheduled-maintenances.json",
                 "api/v2/scheduled-maintenances/upcoming.json",
                 "api/v2/scheduled-maintenances/active.json",
                 "history.rss", "history.atom"):
        code, _, body = _get(d.status_url + "/" + path)
        assert code == 200, (path, code)
        out[path] = body
    return out


def _outage(d, primary, timeout=15.0):
    """Make the primary fail; the seconds until the page shows an
    incident, and the summary then."""
    t0 = time.monotonic()
    primary.set_mode("refuse")
    summary = sh.wait_until(
        lambda: (lambda s: s if s["incidents"] else None)(
            _json(d.status_url + "/api/v2/summary.json")),
        timeout, 0.1, "an incident on the status page")
    return time.monotonic() - t0, summary


def test_page_answers_and_is_public(lab):
    primary, backup = lab.mock("p"), lab.mock("b")
    d = _page_daemon(lab, primary, backup)
    s = _json(d.status_url + "/api/v2/summary.json")
    assert s["status"] == {"indicator": "none",
                           "description": "All Systems Operational"}
    assert [c["name"] for c in s["components"]] == [
        "Password reset emails", "Newsletters"]
    assert [c["status"] for c in s["components"]] == ["operational"] * 2
    assert s["incidents"] == [] and s["scheduled_maintenances"] == []
    assert s["page"]["name"] == "Example Mail"
    # No credential asked for; the HTML with its headers.
    code, hdrs, body = _get(d.status_url + "/")
    assert code == 200 and hdrs["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in hdrs["Content-Security-Policy"]
    assert b"<h1>Example Mail</h1>" in body
    assert hdrs["Access-Control-Allow-Origin"] == "*"
    # Nothing else is served there; the admin API is not.
    assert _get(d.status_url + "/v1/status")[0] == 404
    assert _get(d.status_url + "/api/v2/nope.json")[0] == 404
    # The same page under /status/ on listen.http (on_http).
    assert _get(d.http_url + "/status/api/v2/status.json")[0] == 200
    code, hdrs, _ = _get(d.http_url + "/status/")
    assert code == 200
    for text in (PRIMARY, BACKUP):
        assert text.encode() not in body


def test_outage_reaches_page_feeds_and_export(lab, tmp_path):
    primary, backup = lab.mock("p"), lab.mock("b")
    d = _page_daemon(lab, primary, backup)
    took, s = _outage(d, primary)
    print("incident on the status page %.2f s after the outage began" % took)
    assert took < 10, took
    inc = s["incidents"][0]
    assert inc["status"] in ("investigating", "identified")
    assert inc["impact"] in ("none", "minor", "major", "critical")
    assert inc["incident_updates"], inc
    assert s["status"]["indicator"] != "none"
    comp = {c["name"]: c["status"] for c in s["components"]}
    # The transactional stream lost a provider while the backup carries
    # its mail; the bulk stream likewise (no stream restricts providers).
    assert comp["Password reset emails"] != "operational", comp
    assert [c["name"] for c in inc["components"]] == [
        "Password reset emails", "Newsletters"]

    files = _files(d)
    for path, body in files.items():
        for name in (PRIMARY, BACKUP):
            assert name.encode() not in body, (path, name)
    html = files["index.html"].decode()
    assert 'id="incident-%s"' % inc["id"] in html
    assert "No active incidents" not in html

    # Feeds, read by a real feed parser.
    import feedparser
    for path in ("history.rss", "history.atom"):
        f = feedparser.parse(files[path])
        assert not f.bozo, (path, f.bozo_exception)
        assert len(f.entries) == 1, path
        e = f.entries[0]
        assert e.title == inc["name"], (path, e.title)
        assert e.link.endswith("#incident-" + inc["id"])
        assert e.published_parsed is not None
        assert "Example Mail" in f.feed.title
    assert feedparser.parse(files["history.rss"]).version == "rss20"
    assert feedparser.parse(files["history.atom"]).version == "atom10"

    # The export: the same bytes as the live page (taken while the page
    # did not change between two reads around it).
    out = tmp_path / "export"
    for attempt in range(10):
        before = _files(d)
        r = sh.swervectl(["-c", d.config_path, "status-page", "export",
                          str(out)])
        assert r.returncode == 0, r.stderr
        after = _files(d)
        if before == after:
            break
        time.sleep(0.3)
    else:
        pytest.fail("the page kept changing")
    for path, body in after.items():
        with open(out / path, "rb") as fh:
            assert fh.read() == body, path
    assert sorted(os.listdir(out)) == ["api", "history.atom", "history.rss",
                                       "index.html"]
    # No temporary file left behind.
    for root, _, names in os.walk(out):
        assert not [n for n in names if ".tmp." in n], names


def test_second_swerved_polls_the_page(lab):
    """swerve's own Statuspage poller (a provider's status_page:) reads
    the first swerved's page: the overall indicator and a component."""
    primary, backup = lab.mock("p"), lab.mock("b")
    a = _page_daemon(lab, primary, backup,
                     streams={"transactional": {"name":
                                                "Password reset emails"}})
    m = lab.mock("m")
    b = lab.daemon([
        sh.provider("via-a", m.smtp_port, 1, status_page={
            "url": a.status_url + "/api/v2/status.json",
            "interval": "1s"}),
        sh.provider("via-a-comp", m.smtp_port, 2, status_page={
            "url": a.status_url + "/api/v2/components.json",
            "components": ["Password reset emails"],
            "interval": "1s"}),
    ])

    def levels():
        code, provs = b.admin_json("/v1/providers")
        assert code == 200
        return {p["name"]: p.get("status_page")
                for p in provs["providers"]}

    def wait_levels(want):
        return sh.wait_until(lambda: levels() == want or None, 15, 0.1,
                             "B's poller reading %s" % want)

    wait_levels({"via-a": "ok", "via-a-comp": "ok"})
    # Every provider of A paused: its stream can send nowhere, a major
    # outage; A's indicator critical. (An operator action, so the state
    # is exact and no alert is involved.)
    for name in (PRIMARY, BACKUP):
        code, _ = a.admin_json("/v1/providers/%s/pause" % name, "POST")
        assert code == 200
    assert _json(a.status_url + "/api/v2/status.json")["status"][
        "indicator"] == "critical"
    wait_levels({"via-a": "critical", "via-a-comp": "critical"})
    for name in (PRIMARY, BACKUP):
        code, _ = a.admin_json("/v1/providers/%s/resume" % name, "POST")
        assert code == 200
    wait_levels({"via-a": "ok", "via-a-comp": "ok"})
    assert "status page" in b.log_text()


def test_statuspage_npm_client_reads_the_page(lab, npm):
    primary, backup = lab.mock("p"), lab.mock("b")
    d = _page_daemon(lab, primary, backup)
    _outage(d, primary)
    p = subprocess.run(["node", os.path.join(HERE, "sp_client.js"),
                        d.status_url], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    assert got["summary"]["page"]["name"] == "Example Mail"
    assert got["status"]["status"]["indicator"] in ("minor", "major",
                                                    "critical")
    assert [c["name"] for c in got["components"]["components"]] == [
        "Password reset emails", "Newsletters"]
    assert len(got["incidents"]["incidents"]) == 1
    assert got["unresolved"]["incidents"][0]["id"] == \
        got["incidents"]["incidents"][0]["id"]


def test_browser_loads_page_locally_with_no_console_error(lab, tmp_path):
    import browser
    browser.require_browser()
    primary, backup = lab.mock("p"), lab.mock("b")
    d = _page_daemon(lab, primary, backup)
    _outage(d, primary)
    with browser.Browser(tmp_path) as b:
        b.get(d.status_url + "/")
        from selenium.webdriver.common.by import By
        assert b.driver.find_element(By.TAG_NAME, "h1").text == \
            "Example Mail"
        arts = b.driver.find_elements(By.CSS_SELECTOR, "article")
        assert arts, "no incident on the page"
        comps = b.driver.find_elements(By.CSS_SELECTOR,
                                       "ul.components > li")
        assert len(comps) == 2
        # The status is in words, not only in colour.
        words = comps[0].find_element(By.CSS_SELECTOR, ".st").text
        assert any(w in words for w in ("Degraded", "outage")), words
        shot = b.screenshot("status-page")
        assert b.console_errors() == []
        assert b.non_loopback_requests() == []
        reqs = b.requests()
        assert reqs, "the browser's request log is empty"
    if os.environ.get("SWERVE_UPDATE_SCREENSHOTS"):
        shutil.copy(shot, os.path.join(REPO, "docs", "img",
                                       "status-page.png"))


HOSTILE = ('<script>console.error("escaped?")</script>'
           '<img src="http://203.0.113.9/x.png"> & "quotes" via ' + PRIMARY)


def test_operator_notes_reach_the_page_as_text(lab, tmp_path):
    """A public note an operator adds (POST /v1/incidents/ID/notes) is on
    the page as text: markup in it adds no element, loads nothing, runs
    nothing, and the provider's name in it is not shown; an internal
    note is not on the page at all; resolving moves the incident to the
    past incidents and the feeds."""
    import browser
    browser.require_browser()
    primary, backup = lab.mock("p"), lab.mock("b")
    d = _page_daemon(lab, primary, backup)
    _, s = _outage(d, primary)
    iid = s["incidents"][0]["id"]
    code, obj = d.admin_json("/v1/incidents/%s/notes" % iid, "POST",
                             json.dumps({"text": HOSTILE, "public": True})
                             .encode())
    if code == 404 and "incident" not in json.dumps(obj):
        pytest.skip("the incident API (POST /v1/incidents/ID/notes) is "
                    "not in this build")
    assert code == 200, (code, obj)
    code, obj = d.admin_json("/v1/incidents/%s/notes" % iid, "POST",
                             json.dumps({"text": "internal: secret-word",
                                         "public": False}).encode())
    assert code == 200, (code, obj)

    inc = _json(d.status_url + "/api/v2/incidents.json")["incidents"][0]
    bodies = [u["body"] for u in inc["incident_updates"]]
    want = HOSTILE.replace(PRIMARY, "an email provider")
    assert want in bodies, bodies
    files = _files(d)
    for path, body in files.items():
        assert b"secret-word" not in body, path
        assert PRIMARY.encode() not in body, path
        if path.endswith(".json"):
            continue  # JSON carries the text as text (a JSON string)
        assert b'<img src="http://203.0.113.9' not in body, path
        assert b"<script>" not in body, path
    import feedparser
    f = feedparser.parse(files["history.atom"])
    assert not f.bozo and len(f.entries) == 1
    # The entry's HTML content, parsed once, holds the markup as text.
    assert "&lt;script&gt;" in f.entries[0].content[0].value

    with browser.Browser(tmp_path) as b:
        b.get(d.status_url + "/")
        from selenium.webdriver.common.by import By
        art = b.driver.find_element(By.CSS_SELECTOR,
                                    "article#incident-" + iid)
        assert '<script>console.error("escaped?")</script>' in art.text
        assert art.find_elements(By.TAG_NAME, "img") == []
        assert art.find_elements(By.TAG_NAME, "script") == []
        b.screenshot("status-page-hostile-note")
        assert b.console_errors() == []
        assert b.non_loopback_requests() == []

    code, obj = d.admin_json("/v1/incidents/%s/resolve" % iid, "POST",
                             json.dumps({"text": "Mail flows again."})
                             .encode())
    assert code == 200, (code, obj)
    s = _json(d.status_url + "/api/v2/summary.json")
    assert s["incidents"] == []
    inc = _json(d.status_url + "/api/v2/incidents.json")["incidents"][0]
    assert inc["status"] == "resolved" and inc["resolved_at"]
    html = _get(d.status_url + "/")[2].decode()
    assert "No active incidents." in html
    past = html.split('id="past-h"', 1)[1]
    assert 'id="incident-%s"' % iid in past


def test_a_drill_never_shows_on_the_page(lab):
    """A drill's simulated outage of the primary (swervectl drill start)
    opens its circuit and a drill incident, and the public page shows
    neither: every component operational, no incident, indicator none
    (public_status.show_drills is off)."""
    primary, backup = lab.mock("p"), lab.mock("b")
    d = _page_daemon(lab, primary, backup)
    r = sh.swervectl(["-c", d.config_path, "drill", "start", PRIMARY,
                      "outage", "--json"])
    assert r.returncode == 0, (r.stdout, r.stderr)

    def open_circuit():
        code, obj = d.admin_json("/v1/providers")
        assert code == 200
        return [p for p in obj["providers"]
                if p["name"] == PRIMARY and p["state"] == "open"]

    sh.wait_until(open_circuit, 15, 0.1, "the drilled provider's circuit "
                  "open")
    # The drill's incident exists (admin view) ...
    sh.wait_until(lambda: [i for i in d.admin_json("/v1/incidents")[1]
                           ["incidents"] if i["drill"]], 15, 0.1,
                  "the drill's incident")
    # ... and the public page knows nothing of it.
    s = _json(d.status_url + "/api/v2/summary.json")
    assert s["status"]["indicator"] == "none", s["status"]
    assert [c["status"] for c in s["components"]] == ["operational"] * 2
    assert s["incidents"] == []
    assert _json(d.status_url + "/api/v2/incidents.json")["incidents"] == []
    html = _get(d.status_url + "/")[2].decode()
    assert "All Systems Operational" in html
