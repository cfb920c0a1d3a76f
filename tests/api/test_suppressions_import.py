"""swervectl suppression import --from-provider NAME (issue 14, item 3):
a provider's own suppression list read through its API (swerve-mock
serves SendGrid's bounces/spam_reports/unsubscribes, paged, and
Postmark's suppressions dump, seeded by POST /suppressions/api), added
with the reason mapped and the provider named; the addresses are then
refused at submission, and a second import adds nothing new.
"""

import json

import swerve_harness as sh
from api_client import msg, send
from test_feedback import api_keys
from test_suppressions import req

SG_KEY = "SG.mock-sendgrid-key"
PM_KEY = "mock-postmark-server-token"


def seed(mock, provider, lst, addrs):
    code, out, _ = sh.http_request(
        mock.url + "/suppressions/api", "POST",
        json.dumps({"provider": provider, "list": lst,
                    "addresses": addrs}).encode(),
        {"Content-Type": "application/json"})
    assert code == 200, out


def daemon(lab, mock, **over):
    provs = [
        {"name": "sg", "type": "sendgrid", "endpoint": mock.url,
         "api_key": SG_KEY, "priority": 1},
        {"name": "pm", "type": "postmark", "endpoint": mock.url,
         "api_key": PM_KEY, "priority": 2},
        {"name": "rs", "type": "resend", "endpoint": mock.url,
         "api_key": "re_mock_resend_key", "priority": 3},
    ]
    return sh.Lab.daemon(lab, provs, api_keys=api_keys(lab), **over)


def entries(d):
    code, out = req(d, "GET", "/v1/suppressions?tenant=webt&limit=1000",
                    key=None)
    assert code == 200, out
    return {e["address"]: (e["reason"], e["provider"])
            for e in out["suppressions"]}


def ctl(d, *args):
    return sh.swervectl(["-c", d.config_path, "suppression", "import",
                         "--tenant", "webt"] + list(args))


def test_import_from_sendgrid_paged_then_refused(lab):
    m = lab.mock()
    d = daemon(lab, m)
    bounces = ["b%03d@example.net" % i for i in range(620)]  # two pages
    seed(m, "sendgrid", "bounces", bounces)
    seed(m, "sendgrid", "spam_reports", ["spam@example.net"])
    seed(m, "sendgrid", "unsubscribes", ["Unsub@Example.NET"])
    r = ctl(d, "--from-provider", "sg")
    assert r.returncode == 0, r.stderr
    assert "imported 622 entries from sg" in r.stdout
    got = entries(d)
    assert len(got) == 622
    assert got["b619@example.net"] == ("hard_bounce", "sg")
    assert got["spam@example.net"] == ("complaint", "sg")
    assert got["Unsub@example.net"] == ("unsubscribe", "sg")

    code, out, _ = send(d, msg(to="b005@example.net"))
    assert code == 422 and out["error"]["code"] == "suppressed", out
    code, out, _ = send(d, msg(to="unsub@example.net"))
    assert code == 422, out

    # Idempotent: a second import leaves the list as it was.
    r = ctl(d, "--from-provider", "sg")
    assert r.returncode == 0, r.stderr
    assert entries(d) == got


def test_import_from_postmark(lab):
    m = lab.mock()
    d = daemon(lab, m)
    seed(m, "postmark", "HardBounce", ["hb@example.net"])
    seed(m, "postmark", "SpamComplaint", ["sc@example.net"])
    seed(m, "postmark", "ManualSuppression", ["ms@example.net"])
    r = ctl(d, "--from-provider", "pm")
    assert r.returncode == 0, r.stderr
    got = entries(d)
    assert got == {"hb@example.net": ("hard_bounce", "pm"),
                   "sc@example.net": ("complaint", "pm"),
                   "ms@example.net": ("unsubscribe", "pm")}
    code, out, _ = send(d, msg(to="sc@example.net"))
    assert code == 422, out
    r = ctl(d, "--from-provider", "pm")
    assert r.returncode == 0 and entries(d) == got


def test_import_refusals(lab):
    m = lab.mock()
    d = daemon(lab, m)
    r = ctl(d, "--from-provider", "rs")
    assert r.returncode == 2
    assert "Resend has no suppression list API" in r.stderr
    r = ctl(d, "--from-provider", "nosuch")
    assert r.returncode == 2 and "no provider named nosuch" in r.stderr
    assert entries(d) == {}
