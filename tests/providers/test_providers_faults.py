"""test_providers_faults - how each HTTP provider's failures are classified
and acted on, end to end (swerved + swerve-mock).

  - for every HTTP provider type and each of 429, 500, 503, 401 and "hang
    after reading the body": the attempt gets the right class (throttled,
    deferred, deferred, config, unknown) and the message fails over to an
    SMTP relay at once;
  - failover from an HTTP provider to an SMTP provider while the API
    answers 503, and back to the HTTP provider once it heals and its
    circuit's cool-down is over;
  - active probes: the provider's cheap authenticated call (GetAccount,
    scopes, domain, server, domains) succeeds against a healthy API and is
    reported as a config failure when the API refuses the credentials;
  - connection refused is deferred (nothing sent) and fails over;
  - max_connections caps the requests in flight to one provider.
"""

import json
import time

import pytest

import swerve_harness as sh
from providers_helpers import HTTP_TYPES, http_provider

SENDER = "alice@example.com"

FAULTS = [
    ("throttle 1", "throttled"),
    ("500", "deferred"),
    ("503", "deferred"),
    ("401", "config"),
    ("hang_after_body", "unknown"),
]


def api_mode(mock, text, api=None):
    url = mock.url + "/mode/api" + ("/" + api if api else "")
    code, obj = sh.http_json(url, "PUT", text.encode())
    assert code == 200, (code, obj)


def attempts(m):
    return [(a["provider"], a["result"]) for a in m["attempts_detail"]]


def sent(d, qid, timeout=15):
    m = sh.Api(d).wait_state(qid, ("sent", "failed"), timeout)
    assert m["state"] == "sent", json.dumps(m, indent=1)
    return m


@pytest.mark.parametrize("kind", HTTP_TYPES)
@pytest.mark.parametrize("fault,cls", FAULTS, ids=[f[0].split()[0] for f in FAULTS])
def test_fault_is_classified_and_fails_over_to_smtp(lab, kind, fault, cls):
    api = lab.mock("api", extra=["--api-mode", fault])
    relay = lab.mock("relay")
    d = lab.daemon([http_provider("http", kind, api.url, priority=1,
                                  request_timeout="1s"),
                    sh.provider("relay", relay.smtp_port, 2)])
    qid = sh.submit(d, SENDER, ["bob@example.net"],
                    sh.message(subject="fault", to="bob@example.net"))
    m = sent(d, qid)
    assert attempts(m) == [("http", cls), ("relay", "accepted")], json.dumps(m, indent=1)
    assert [x["rcpt_to"] for x in relay.messages()] == [["bob@example.net"]]
    stored = [x for x in api.messages() if x.get("api")]
    if fault == "hang_after_body":
        # The API kept the request and never answered: the outcome was
        # unknown, and the stream's policy (resend) sent it elsewhere.
        assert len(stored) == 1
    else:
        assert stored == []


@pytest.mark.parametrize("kind", HTTP_TYPES)
def test_failover_to_smtp_and_back(lab, kind):
    api = lab.mock("api")
    relay = lab.mock("relay")
    circuit = {"failures": 2, "cooldown": "1s", "max_cooldown": "1s"}
    d = lab.daemon([http_provider("http", kind, api.url, priority=1,
                                  circuit=circuit),
                    sh.provider("relay", relay.smtp_port, 2)])

    def one(tag):
        qid = sh.submit(d, SENDER, ["bob@example.net"],
                        sh.message(subject=tag, to="bob@example.net"))
        return attempts(sent(d, qid))

    assert one("healthy") == [("http", "accepted")]
    api_mode(api, "503")
    assert one("down1") == [("http", "deferred"), ("relay", "accepted")]
    assert one("down2") == [("http", "deferred"), ("relay", "accepted")]
    # The circuit is open now: straight to the relay.
    assert one("benched") == [("relay", "accepted")]
    api_mode(api, "accept")
    seen = []

    def back():
        seen.append(one("heal%d" % len(seen)))
        return seen[-1] == [("http", "accepted")]
    sh.wait_until(back, 15, 0.3, "mail back on the HTTP provider")
    assert one("healed") == [("http", "accepted")]
    assert all(a[-1][1] == "accepted" for a in seen), seen


@pytest.mark.parametrize("kind", HTTP_TYPES)
def test_probe_uses_the_providers_cheap_call(lab, kind):
    api = lab.mock("api")
    prov = [http_provider("http", kind, api.url, probe_interval="300ms")]
    d = lab.daemon(prov, log={"level": "debug"})
    assert d.wait_log(r"provider http probe ok", 10), d.log_tail(20)
    # (A probe's own result keeps the provider busy for the health window,
    # so the refusal is seen by a second daemon, probing from scratch.)
    api_mode(api, "401")
    d2 = lab.daemon(prov, log={"level": "debug"})
    m = d2.wait_log(r"provider http probe failed at response \(config\): (.*)", 10)
    assert m, d2.log_tail(20)
    for secret in ("SG.mock-sendgrid-key", "key-mock-mailgun",
                   "mock-postmark-server-token", "re_mock_resend_key",
                   "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"):
        assert secret not in d.log_text() and secret not in d2.log_text()


@pytest.mark.parametrize("kind", ["ses", "resend"])
def test_connection_refused_is_deferred_and_fails_over(lab, kind):
    relay = lab.mock("relay")
    dead = "http://127.0.0.1:%d" % sh.free_port()  # nobody listens there
    d = lab.daemon([http_provider("http", kind, dead, priority=1),
                    sh.provider("relay", relay.smtp_port, 2)])
    qid = sh.submit(d, SENDER, ["bob@example.net"],
                    sh.message(subject="refused", to="bob@example.net"))
    assert attempts(sent(d, qid)) == [("http", "deferred"), ("relay", "accepted")]


def test_concurrent_requests_are_capped_by_max_connections(lab):
    """max_connections is the cap on requests in flight to one provider:
    with the API holding every request, only that many reach it."""
    api = lab.mock("api", extra=["--api-mode", "hang_after_body"])
    d = lab.daemon([http_provider("http", "sendgrid", api.url,
                                  max_connections=2, request_timeout="3s")])
    for i in range(6):
        sh.submit(d, SENDER, ["bob@example.net"],
                  sh.message(subject="cap%d" % i, to="bob@example.net"))
    sh.wait_until(lambda: len([m for m in api.messages() if m.get("api")]) >= 2,
                  5, 0.05, "two requests at the API")
    time.sleep(1.0)
    assert len([m for m in api.messages() if m.get("api")]) == 2
    st = next(p for p in sh.Api(d).status()["providers"] if p["name"] == "http")
    assert st["busy"] == 2, st
