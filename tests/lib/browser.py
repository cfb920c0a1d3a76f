"""browser - a real browser for swerve's tests: Debian's Chromium, headless,
driven by Selenium through Debian's chromedriver.

    import browser
    with browser.Browser(tmp_path) as b:          # or b = ...; b.stop()
        b.get(daemon.admin_url + "/dashboard")
        b.driver.find_element(...)                 # plain Selenium
        assert b.console_errors() == []            # console errors
        assert b.non_loopback_requests() == []     # nothing left 127.0.0.1
        b.screenshot("dashboard")                  # a PNG, path printed

What it gives a test:
  - Chromium headless with --no-sandbox (root in CI containers needs it), a
    fresh profile in the test's tmp path, background networking, component
    updates, sync, translation and the like switched off, so the only
    requests are the ones the page makes;
  - console(): every console entry (goog:loggingPrefs browser ALL), and
    console_errors(): the SEVERE ones (JavaScript errors, failed loads,
    Content-Security-Policy violations);
  - requests(): every network request the page made, from Chrome's
    performance log (Network.requestWillBeSent, WebSocket creation too),
    and non_loopback_requests(): those whose host is not 127.0.0.0/8,
    ::1 or localhost (data:, blob: and about: URLs are local);
  - screenshot(name): a PNG under <tmp_path>/browser-artefacts/ (printed,
    so pytest -s or a failing test's captured output says where);
  - stop(): driver.quit(), then chromedriver and every Chromium process it
    started are stopped by PID (SIGTERM, then SIGKILL) - never by name.

A page under test should name its icon (<link rel="icon" href="...">,
or href="data:,") or serve /favicon.ico: Chromium asks for it, and a 404
there is a console error.

Tests that need it call require_browser() first: it fails (not skips)
with the install hint when chromium, chromium-driver or python3-selenium
is missing (scripts/setup-deps.sh installs them).
"""

import ipaddress
import json
import os
import shutil
import signal
import time
import urllib.parse

import swerve_harness as sh

CHROMIUM = os.environ.get("SWERVE_CHROMIUM") or "/usr/bin/chromium"
CHROMEDRIVER = os.environ.get("SWERVE_CHROMEDRIVER") or "/usr/bin/chromedriver"

# Flags that keep Chromium quiet: no request except what the page asks for.
QUIET_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-proxy-server",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--disable-translate",
    "--disable-client-side-phishing-detection",
    "--disable-domain-reliability",
    "--disable-breakpad",
    "--metrics-recording-only",
    "--safebrowsing-disable-auto-update",
    "--password-store=basic",
    "--use-mock-keychain",
    "--disable-features=Translate,OptimizationHints,MediaRouter,"
    "InterestFeedContentSuggestions,AutofillServerCommunication,"
    "CertificateTransparencyComponentUpdater",
)

LOCAL_SCHEMES = ("data", "blob", "about", "chrome", "devtools", "chrome-error")


def require_browser():
    """Fail with the install hint when the browser stack is missing."""
    missing = [p for p, path in (("chromium", CHROMIUM),
                                 ("chromium-driver", CHROMEDRIVER))
               if not os.access(path, os.X_OK)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("python3-selenium")
    assert not missing, ("browser tests need %s: run scripts/setup-deps.sh "
                         "(Debian packages)" % ", ".join(missing))


def is_loopback_url(url):
    """True if url goes nowhere but this host (or nowhere at all)."""
    u = urllib.parse.urlsplit(url)
    if u.scheme in LOCAL_SCHEMES or u.scheme == "":
        return True
    host = (u.hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _children(pid):
    """PIDs whose parent is pid (read from /proc)."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                stat = f.read().decode("latin-1")
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may hold spaces and parens
        rest = stat[stat.rfind(")") + 2:].split()
        if len(rest) > 1 and int(rest[1]) == pid:
            out.append(int(name))
    return out


def _descendants(pid):
    todo, seen = [pid], []
    while todo:
        for c in _children(todo.pop()):
            if c not in seen:
                seen.append(c)
                todo.append(c)
    return seen


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            return b") Z " not in f.read()
    except OSError:
        return False


def _stop_pids(pids, timeout=5.0):
    """SIGTERM each PID, then SIGKILL what is left after timeout."""
    for p in pids:
        try:
            os.kill(p, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    for p in pids:
        if _alive(p):
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass


class Browser:
    """One headless Chromium for one test (see the module's comment)."""

    def __init__(self, tmp_path, width=1280, height=900,
                 accept_insecure_certs=False, extra_flags=()):
        require_browser()
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.dir = os.path.join(str(tmp_path), "browser-artefacts")
        os.makedirs(self.dir, exist_ok=True)
        self.profile = os.path.join(str(tmp_path), "chromium-profile")
        os.makedirs(self.profile, exist_ok=True)
        self.log_path = os.path.join(self.dir, "chromedriver.log")
        self._console = []
        self._perf = []
        self.shots = []
        self.driver = None

        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for f in QUIET_FLAGS:
            opts.add_argument(f)
        opts.add_argument("--user-data-dir=" + self.profile)
        opts.add_argument("--window-size=%d,%d" % (width, height))
        for f in extra_flags:
            opts.add_argument(f)
        opts.set_capability("goog:loggingPrefs",
                            {"browser": "ALL", "performance": "ALL"})
        if accept_insecure_certs:
            opts.set_capability("acceptInsecureCerts", True)
        opts.ignore_local_proxy_environment_variables()
        # webdriver.Chrome starts chromedriver (and quits it on failure).
        self.service = Service(executable_path=CHROMEDRIVER,
                               port=sh.free_port(), log_path=self.log_path)
        self.pid = None
        try:
            self.driver = webdriver.Chrome(service=self.service, options=opts)
        finally:
            if self.service.process is not None:
                self.pid = self.service.process.pid
                sh.STARTED.add(self.service.process)  # killed at exit
        if self.driver is None:
            self.stop()
        self.driver.set_page_load_timeout(30)
        self.driver.set_script_timeout(30)
        # Chromium's own start page (chrome:// URLs) is not the test's.
        self.driver.get("about:blank")
        self.driver.get_log("browser")
        self.driver.get_log("performance")

    # --- navigation -------------------------------------------------------

    def get(self, url):
        """Load url and wait for the load event."""
        self.driver.get(url)

    def wait_for(self, cond, timeout=10.0, what="condition"):
        """Poll cond(self.driver) until true; return its value."""
        return sh.wait_until(lambda: cond(self.driver), timeout, 0.1, what)

    def cookies(self):
        """{name: cookie dict} of the current page's cookies."""
        return {c["name"]: c for c in self.driver.get_cookies()}

    # --- what the page did --------------------------------------------------

    def _drain(self):
        if self.driver is None:
            return
        self._console += self.driver.get_log("browser")
        self._perf += self.driver.get_log("performance")

    def forget(self):
        """Drop the console entries and requests seen so far (after a step
        whose errors are expected, e.g. a refused sign-in's 401)."""
        self._drain()
        self._console = []
        self._perf = []

    def console(self):
        """Every console entry so far: dicts with level, message, source."""
        self._drain()
        return list(self._console)

    def console_errors(self):
        """The SEVERE console entries so far (errors, failed loads)."""
        return [e for e in self.console() if e.get("level") == "SEVERE"]

    def requests(self):
        """Every URL the page asked for so far, in order (with repeats)."""
        self._drain()
        urls = []
        for e in self._perf:
            try:
                msg = json.loads(e["message"])["message"]
            except (KeyError, ValueError):
                continue
            if msg.get("method") == "Network.requestWillBeSent":
                urls.append(msg["params"]["request"]["url"])
            elif msg.get("method") == "Network.webSocketCreated":
                urls.append(msg["params"]["url"])
        return urls

    def non_loopback_requests(self):
        """The URLs of requests that left the loopback interface."""
        return [u for u in self.requests() if not is_loopback_url(u)]

    def screenshot(self, name, full_page=False):
        """Save the window (full_page: the whole page, the window grown to
        its height for the shot) as <artefacts>/<name>.png; print and
        return its path."""
        path = os.path.join(self.dir, name + ".png")
        size = self.driver.get_window_size()
        if full_page:
            h = self.driver.execute_script(
                "return document.documentElement.scrollHeight")
            self.driver.set_window_size(size["width"], max(size["height"], h + 100))
        try:
            ok = self.driver.save_screenshot(path)
        finally:
            if full_page:
                self.driver.set_window_size(size["width"], size["height"])
        assert ok, "screenshot failed: " + path
        self.shots.append(path)
        print("browser: screenshot %s" % path)
        return path

    def copy_screenshot(self, name, dest):
        """Copy the screenshot called name to dest (for docs/img)."""
        src = os.path.join(self.dir, name + ".png")
        os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
        shutil.copyfile(src, dest)
        return dest

    # --- the end ------------------------------------------------------------

    def stop(self):
        """Quit the session, then stop chromedriver and every process it
        started, by PID."""
        pids = _descendants(self.pid) + [self.pid] if self.pid else []
        if self.driver is not None:
            try:
                self._drain()
            except Exception:  # the browser may have died: stop it anyway
                pass
            try:
                self.driver.quit()
            except Exception:
                pass
            self.driver = None
        pids = sorted(set(pids + (_descendants(self.pid) if self.pid else [])))
        _stop_pids([p for p in pids if p != self.pid])
        if self.service is not None and self.service.process is not None:
            p = self.service.process
            if p.poll() is None:
                _stop_pids([p.pid])
            try:
                p.wait(5)
            except Exception:
                pass
            sh.STARTED.discard(p)
            self.service = None
        self.pid = None

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.stop()
