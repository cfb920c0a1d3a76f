"""observe_helpers - machinery for the observability tests.

  StatusPage   a statuspage.io-style JSON page on 127.0.0.1 (a thread)
  Prometheus   a real Prometheus server (Debian's package) scraping one
               target every second, with the shipped alert rules loaded;
               instant queries and alerts over its HTTP API; stopped by PID
  SECRETS      the known secrets the scenario configures

Builds on tests/delivery/delivery_helpers.py and
tests/integration/swerve_helpers.py (imported read-only).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "delivery"))

import delivery_helpers as dh  # noqa: E402
from delivery_helpers import sh  # noqa: E402

SMTP_PASSWORD = "Obs-Pr1mary-Passw0rd-7f3a"
API_KEY = "SG.obs-secret-api-key-91c2"
SECRETS = (SMTP_PASSWORD, API_KEY)
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
CONTRIB = os.path.join(os.path.dirname(os.path.dirname(HERE)), "contrib")


class StatusPage:
    """A statuspage.io-style JSON page on 127.0.0.1 (thread)."""

    def __init__(self):
        self.indicator = "none"
        page = self

        class H(BaseHTTPRequestHandler):
            def do_GET(self):
                body = json.dumps({"status": {
                    "indicator": page.indicator,
                    "description": "All Systems Operational"
                    if page.indicator == "none" else "Degraded"}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d/api/v2/status.json" % self.srv.server_port
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


class Prometheus:
    """A real Prometheus server scraping one target every second."""

    def __init__(self, workdir, target):
        self.port = sh.free_port()
        self.dir = os.path.join(str(workdir), "prometheus")
        os.makedirs(self.dir, exist_ok=True)
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "rule_files:\n  - %s\n"
                    "scrape_configs:\n  - job_name: swerve\n"
                    "    scrape_interval: 1s\n    scrape_timeout: 1s\n"
                    "    static_configs:\n      - targets: ['%s']\n"
                    % (os.path.join(CONTRIB, "prometheus", "swerve-alerts.yml"),
                       target))
        self.log_path = os.path.join(self.dir, "prometheus.log")
        argv = [PROMETHEUS, "--config.file=" + cfg,
                "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
                "--web.listen-address=127.0.0.1:%d" % self.port,
                "--log.level=warn"]
        with open(self.log_path, "ab") as lf:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                         stdout=lf, stderr=subprocess.STDOUT)
        dh.STARTED.add(self.proc)
        dh.wait_until(lambda: self._ready() or self.proc.poll() is not None,
                      30, 0.2, "prometheus ready")
        assert self.proc.poll() is None, open(self.log_path).read()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def _ready(self):
        try:
            return dh.http_json(self.url + "/-/ready", timeout=1)[0] == 200
        except OSError:
            return False

    def query(self, promql):
        """The result vector of an instant query: [(labels, value)]."""
        code, obj = dh.http_json(self.url + "/api/v1/query?query="
                                 + urllib.parse.quote(promql))
        assert code == 200 and obj["status"] == "success", (promql, obj)
        return [(r["metric"], float(r["value"][1]) if "value" in r
                 else [float(v) for _, v in r["values"]])
                for r in obj["data"]["result"]]

    def alerts(self):
        code, obj = dh.http_json(self.url + "/api/v1/alerts")
        assert code == 200, obj
        return obj["data"]["alerts"]

    def stop(self):
        if self.proc is not None:
            dh._stop_popen(self.proc, signal.SIGTERM, 20)
            self.proc = None
