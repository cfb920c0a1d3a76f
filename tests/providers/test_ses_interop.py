"""test_ses_interop - type: ses against an SES emulator nobody on this
project wrote: the npm package aws-ses-v2-local (pinned in setup-npm.sh,
installed into tests/providers/npm/ on first use).

  - a message with text, HTML, an inline image, an attachment and a
    non-ASCII subject sent through swerved's SES adapter arrives in the
    emulator's store intact (it parses the raw MIME we send), and the
    MessageId it returns is the provider message id swerved keeps;
  - the GetAccount probe is understood by the emulator.

Skips (with the reason) only when npm or its registry is unreachable.
"""

import base64
import json
import os
import signal
import subprocess
import time

import pytest

import swerve_harness as sh
from providers_helpers import http_provider
from test_providers_fidelity import PDF, PNG, WANT, rich

HERE = os.path.dirname(os.path.abspath(__file__))
CLI = os.path.join(HERE, "npm", "node_modules", "aws-ses-v2-local", "dist", "cli.js")


@pytest.fixture(scope="module")
def emulator_installed():
    r = subprocess.run(["bash", os.path.join(HERE, "setup-npm.sh")],
                       capture_output=True, text=True, timeout=600)
    if r.returncode == 2:
        pytest.skip("aws-ses-v2-local not installable (npm unreachable): "
                    + r.stderr.strip()[-300:])
    assert r.returncode == 0, r.stderr
    assert os.path.exists(CLI), CLI


class Emulator:
    """One aws-ses-v2-local process on a free loopback port."""

    def __init__(self, workdir, env=None):
        self.port = sh.free_port()
        self.log_path = os.path.join(str(workdir), "ses-emulator.log")
        with open(self.log_path, "ab") as lf:
            self.proc = subprocess.Popen(
                ["node", CLI, "--host", "127.0.0.1", "--port", str(self.port)],
                stdin=subprocess.DEVNULL, stdout=lf, stderr=subprocess.STDOUT,
                env=dict(os.environ, **(env or {})))
        sh.STARTED.add(self.proc)
        deadline = time.monotonic() + 20
        while True:
            try:
                if sh.http_json(self.url + "/health-check", timeout=1)[0] == 200:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("aws-ses-v2-local did not start:\n" + self.log())
            time.sleep(0.1)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def emails(self):
        code, obj = sh.http_json(self.url + "/store")
        assert code == 200, obj
        return obj["emails"]

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        sh.STARTED.discard(self.proc)
        return []


@pytest.fixture
def emulator(lab, emulator_installed):
    e = Emulator(lab.tmp)
    lab.others.append(e)
    return e


def account(sending_enabled=True, sent=10):
    """An AWS_SES_ACCOUNT document (the emulator's GetAccount answer)."""
    return json.dumps({
        "DedicatedIpAutoWarmupEnabled": False,
        "Details": {"AdditionalContactEmailAddresses": [], "ContactLanguage": "EN",
                    "MailType": "TRANSACTIONAL",
                    "ReviewDetails": {"CaseId": "1", "Status": "GRANTED"},
                    "UseCaseDescription": "tests", "WebsiteURL": "https://example.com"},
        "EnforcementStatus": "HEALTHY", "ProductionAccessEnabled": True,
        "SendingEnabled": sending_enabled,
        "SendQuota": {"Max24HourSend": 50000, "MaxSendRate": 14,
                      "SentLast24Hours": sent},
        "SuppressionAttributes": {"SuppressedReasons": []},
    })


def test_message_arrives_intact_in_aws_ses_v2_local(lab, emulator):
    d = lab.daemon([http_provider("ses", "ses", emulator.url)])
    rcpts = ["bob@example.net", "carol@example.net", "dave@example.org"]
    qid = sh.submit(d, "bounce@example.com", rcpts, rich())
    m = sh.Api(d).wait_state(qid, ("sent", "failed"), 15)
    assert m["state"] == "sent", json.dumps(m, indent=1) + emulator.log()[-2000:]
    emails = emulator.emails()
    assert len(emails) == 1, emails
    e = emails[0]
    assert {r["provider_message_id"] for r in m["rcpts"]} == {e["messageId"]}
    assert "jurgen@example.com" in e["from"] and "J\u00fcrgen" in e["from"]
    assert any("bob@example.net" in t for t in e["destination"]["to"])
    assert any("dave@example.org" in t for t in e["destination"]["cc"])
    assert e["subject"] == WANT["subject"]
    assert e["body"]["text"].rstrip("\r\n") == WANT["text"]
    # mailparser (inside the emulator) turns cid: references of inline
    # parts into data: URIs; the image bytes must be ours.
    inline = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert e["body"]["html"].rstrip("\r\n") == WANT["html"].replace("cid:logo@x", inline)
    atts = {a["filename"]: a for a in e["attachments"]}
    assert base64.b64decode(atts["logo.png"]["content"]) == PNG
    assert atts["logo.png"]["contentType"] == "image/png"
    assert atts["logo.png"]["cid"] == "logo@x"
    assert base64.b64decode(atts["r\u00e9sum\u00e9.pdf"]["content"]) == PDF


def test_get_account_probe_against_aws_ses_v2_local(lab, emulator_installed):
    e = Emulator(lab.tmp, env={"AWS_SES_ACCOUNT": account()})
    lab.others.append(e)
    prov = [http_provider("ses", "ses", e.url, probe_interval="300ms")]
    d = lab.daemon(prov, log={"level": "debug"})
    assert d.wait_log(r"provider ses probe ok", 10), (d.log_tail(20), e.log())


def test_get_account_sending_disabled_is_a_config_failure(lab, emulator_installed):
    e = Emulator(lab.tmp, env={"AWS_SES_ACCOUNT": account(sending_enabled=False)})
    lab.others.append(e)
    prov = [http_provider("ses", "ses", e.url, probe_interval="300ms")]
    d = lab.daemon(prov, log={"level": "debug"})
    m = d.wait_log(r"provider ses probe failed at response \(config\): (.*)", 10)
    assert m and "disabled" in m.group(1), (d.log_tail(20), e.log())
