"""observe_helpers - machinery for the observability tests.

  Prometheus   a real Prometheus server (Debian's package) scraping one
               target every second, with the shipped alert rules loaded;
               instant queries and alerts over its HTTP API; stopped by PID
  SECRETS      the known secrets the scenario configures

The rest (swerved, swerve-mock, the status page) is the shared harness,
tests/lib/swerve_harness.py.
"""

import os
import shutil
import urllib.parse

import swerve_harness as sh

HERE = os.path.dirname(os.path.abspath(__file__))

SMTP_PASSWORD = "Obs-Pr1mary-Passw0rd-7f3a"
API_KEY = "SG.obs-secret-api-key-91c2"
SECRETS = (SMTP_PASSWORD, API_KEY)
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
CONTRIB = os.path.join(os.path.dirname(os.path.dirname(HERE)), "contrib")


class Prometheus(sh.Program):
    """A real Prometheus server scraping one target every second."""

    def __init__(self, workdir, target):
        self.port = sh.free_port()
        self.dir = os.path.join(str(workdir), "prometheus")
        os.makedirs(self.dir, exist_ok=True)
        # /metrics is on swerved's admin plane: scrape with the admin key.
        key = sh.write_admin_key(self.dir)
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "rule_files:\n  - %s\n"
                    "scrape_configs:\n  - job_name: swerve\n"
                    "    scrape_interval: 1s\n    scrape_timeout: 1s\n"
                    "    authorization:\n      credentials_file: %s\n"
                    "    static_configs:\n      - targets: ['%s']\n"
                    % (os.path.join(CONTRIB, "prometheus", "swerve-alerts.yml"),
                       key, target))
        argv = [PROMETHEUS, "--config.file=" + cfg,
                "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
                "--web.listen-address=127.0.0.1:%d" % self.port,
                "--log.level=warn"]
        super().__init__(argv, os.path.join(self.dir, "prometheus.log"),
                         lambda: sh.http_ok(self.url + "/-/ready"),
                         "prometheus")

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def query(self, promql):
        """The result vector of an instant query: [(labels, value)]."""
        code, obj = sh.http_json(self.url + "/api/v1/query?query="
                                 + urllib.parse.quote(promql))
        assert code == 200 and obj["status"] == "success", (promql, obj)
        return [(r["metric"], float(r["value"][1]) if "value" in r
                 else [float(v) for _, v in r["values"]])
                for r in obj["data"]["result"]]

    def alerts(self):
        code, obj = sh.http_json(self.url + "/api/v1/alerts")
        assert code == 200, obj
        return obj["data"]["alerts"]

    def stop(self):
        super().stop(20)
