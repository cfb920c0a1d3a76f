"""swervectl suppression import --from-provider NAME (issue 14, item 3):
a provider's own suppression list read through its API (swerve-mock
serves SendGrid's bounces/spam_reports/unsubscribes, paged, and
Postmark's suppressions dump, Mailgun's
bounces/complaints/unsubscribes, paged, and SES v2's
ListSuppressedDestinations (SigV4, NextToken), seeded by POST /suppressions/api), added
with the reason mapped and the provider named; the addresses are then
refused at submission, and a second import adds nothing new.
"""

import json
import urllib.parse

import swerve_harness as sh
from api_client import msg, send
from test_feedback import api_keys
from test_suppressions import req

SG_KEY = "SG.mock-sendgrid-key"
PM_KEY = "mock-postmark-server-token"
AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


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
        {"name": "mg", "type": "mailgun", "endpoint": mock.url,
         "api_key": "key-mock-mailgun", "domain": "mg.example.com",
         "priority": 4},
        {"name": "ses", "type": "ses", "endpoint": mock.url,
         "access_key_id": AKID, "secret_access_key": SECRET,
         "region": "us-east-1", "priority": 5},
        {"name": "sesbad", "type": "ses", "endpoint": mock.url,
         "access_key_id": AKID, "secret_access_key": SECRET[:-1] + "x",
         "region": "us-east-1", "priority": 6, "enabled": False},
        {"name": "rs", "type": "resend", "endpoint": mock.url,
         "api_key": "re_mock_resend_key", "priority": 3},
    ]
    return sh.Lab.daemon(lab, provs, api_keys=api_keys(lab), **over)


def entries(d):
    got, after = {}, ""
    while True:
        code, out = req(d, "GET", "/v1/suppressions?tenant=webt&limit=500"
                        + ("&after=" + urllib.parse.quote(after)
                           if after else ""), key=None)
        assert code == 200, out
        got.update({e["address"]: (e["reason"], e["provider"])
                    for e in out["suppressions"]})
        if out["next"] is None:
            return got
        after = out["next"]


def ctl(d, *args):
    return sh.swervectl(["-c", d.config_path, "suppression", "import",
                         "--tenant", "webt"] + list(args))


def import_twice(lab, prov, name, lists, expect, refused):
    """Seed lists on the mock, import from provider name: every address
    listed with the mapped reason, refused at submission; a second
    import leaves the list as it was."""
    m = lab.mock()
    d = daemon(lab, m)
    n = 0
    for lst, addrs in lists.items():
        seed(m, prov, lst, addrs)
        n += len(addrs)
    r = ctl(d, "--from-provider", name)
    assert r.returncode == 0, r.stderr
    assert "imported %d entries from %s" % (n, name) in r.stdout
    got = entries(d)
    assert len(got) == n
    for addr, reason in expect.items():
        assert got[addr] == (reason, name), addr
    for addr in refused:
        code, out, _ = send(d, msg(to=addr))
        assert code == 422 and out["error"]["code"] == "suppressed", out
    r = ctl(d, "--from-provider", name)
    assert r.returncode == 0, r.stderr
    assert entries(d) == got


def test_import_from_sendgrid_paged_then_refused(lab):
    import_twice(lab, "sendgrid", "sg", {
        "bounces": ["b%03d@example.net" % i for i in range(620)],  # 2 pages
        "spam_reports": ["spam@example.net"],
        "unsubscribes": ["Unsub@Example.NET"]}, {
        "b619@example.net": "hard_bounce", "spam@example.net": "complaint",
        "Unsub@example.net": "unsubscribe"},
        ["b005@example.net", "unsub@example.net"])


def test_import_from_postmark(lab):
    import_twice(lab, "postmark", "pm", {
        "HardBounce": ["hb@example.net"],
        "SpamComplaint": ["sc@example.net"],
        "ManualSuppression": ["ms@example.net"]}, {
        "hb@example.net": "hard_bounce", "sc@example.net": "complaint",
        "ms@example.net": "unsubscribe"}, ["sc@example.net"])


def test_import_from_mailgun_paged(lab):
    import_twice(lab, "mailgun", "mg", {
        "bounces": ["m%04d@example.net" % i for i in range(1100)],  # 2 pages
        "complaints": ["c+1@example.net"],
        "unsubscribes": ["u@example.net"]}, {
        "m1099@example.net": "hard_bounce", "c+1@example.net": "complaint",
        "u@example.net": "unsubscribe"}, ["c+1@example.net", "m0003@example.net"])


def test_import_from_ses_v2_signed_and_paged(lab):
    import_twice(lab, "ses", "ses", {
        "BOUNCE": ["s%04d@example.net" % i for i in range(1001)],  # 2 pages
        "COMPLAINT": ["sc@example.net"]}, {
        "s1000@example.net": "hard_bounce", "sc@example.net": "complaint"},
        ["s0000@example.net", "sc@example.net"])


def test_import_refusals(lab):
    m = lab.mock()
    d = daemon(lab, m)
    r = ctl(d, "--from-provider", "rs")
    assert r.returncode == 2
    assert "Resend has no suppression list API" in r.stderr
    # A signature SES refuses: nothing imported, the provider's answer.
    seed(m, "ses", "BOUNCE", ["x@example.net"])
    r = ctl(d, "--from-provider", "sesbad")
    assert r.returncode == 1 and "nothing imported" in r.stderr, r.stderr
    assert "HTTP 403" in r.stderr, r.stderr
    r = ctl(d, "--from-provider", "nosuch")
    assert r.returncode == 2 and "no provider named nosuch" in r.stderr
    assert entries(d) == {}
