"""Provider account health beyond SES GetAccount, end to end with
swerve-mock: SES reputation from CloudWatch GetMetricData, SendGrid
credits and reputation, a Mailgun domain's state, Postmark's delivery
type, and the on-demand poll (swervectl account refresh). Each provider's
answer maps to one model: paused -> configuration failure (circuit
open), quota nearly used -> spill before the provider throttles,
reputation at SES's levels -> the account alert."""

import json

import swerve_harness as sh

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
MSG = (b"From: a@example.com\r\nTo: b@example.net\r\nSubject: hi\r\n\r\n"
       b"hello\r\n")
KEYS = {"sendgrid": "SG.mock-sendgrid-key", "mailgun": "key-mock-mailgun",
        "postmark": "mock-postmark-server-token",
        "resend": "re_mock_resend_key"}


def set_account(mock, provider, **state):
    state["provider"] = provider
    code, obj = sh.http_json(mock.url + "/account/api", "PUT",
                             json.dumps(state).encode())
    assert code == 200, obj


def http_provider(kind, mock, interval="1s", **kw):
    p = {"name": kind, "type": kind, "endpoint": mock.url, "priority": 1,
         "connect_timeout": "2s", "request_timeout": "5s",
         "max_connections": 4, "account_interval": interval}
    if kind == "ses":
        p.update({"access_key_id": AKID, "secret_access_key": SECRET,
                  "region": "us-east-1", "cloudwatch_endpoint": mock.url})
    else:
        p["api_key"] = KEYS[kind]
    if kind == "mailgun":
        p["domain"] = "mg.test"
    p.update(kw)
    return p


def daemon(lab, prov, backup):
    return lab.daemon([prov, sh.provider("backup", backup.smtp_port, 2)],
                      alerts={"interval": "1s"})


def account(d, name):
    code, obj = d.admin_json("/v1/providers")
    assert code == 200, obj
    return [p for p in obj["providers"] if p["name"] == name][0] \
        .get("account", {})


def provider_state(d, name):
    code, obj = d.admin_json("/v1/providers")
    assert code == 200, obj
    return [p for p in obj["providers"] if p["name"] == name][0]["state"]


def alerts(d):
    return d.admin_json("/v1/alerts")[1]["alerts"]


def send(d, n):
    return [sh.submit(d, "a@example.com", ["b@example.net"], MSG)
            for _ in range(n)]


def status(d):
    out = sh.swervectl(["-c", d.config_path, "status"])
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_cloudwatch_bounce_rate_over_5pct_alerts_and_shows(lab):
    ses, backup = lab.mock("ses"), lab.mock("backup")
    set_account(ses, "ses", bounce_rate=0.062, complaint_rate=0.0004)
    d = daemon(lab, http_provider("ses", ses), backup)
    sh.wait_until(lambda: account(d, "ses").get("bounce_rate") == 0.062,
                  15, what="the CloudWatch poll")
    acct = account(d, "ses")
    assert acct["complaint_rate"] == 0.0004
    assert acct["note"] == "bounce rate 6.2% at SES's review level (5%)"
    assert "bounce 6.2%, complaint 0.04%" in status(d)
    sh.wait_until(
        lambda: any(a["kind"] == "account" and a.get("provider") == "ses"
                    for a in alerts(d)), 10, what="the account alert")
    metrics = d.admin_json("/metrics")[1].decode()
    assert 'swerve_provider_account_bounce_rate{provider="ses"} 0.062' \
        in metrics, metrics[-2000:]
    # the reputation does not change routing: SES still takes mail
    send(d, 1)
    sh.wait_until(lambda: sh.http_json(ses.url + "/stats/api")[1]["ses"]
                  ["accepted"] == 1, 20, what="ses takes the message")
    # back under the review level: the warning goes (the alert then
    # clears after its clear_for)
    set_account(ses, "ses", bounce_rate=0.01)
    sh.wait_until(lambda: account(d, "ses").get("bounce_rate") == 0.01, 15,
                  what="the next poll")
    assert account(d, "ses")["note"] == ""
    assert "bounce rate 6.2% at SES's review level" in d.log_text()


def test_sendgrid_out_of_credits_spills_before_the_first_throttle(lab):
    sg, backup = lab.mock("sg"), lab.mock("backup")
    set_account(sg, "sendgrid", credits_total=1000, credits_remain=25,
                reputation=97.5, type="paid")
    d = daemon(lab, http_provider("sendgrid", sg, interval="1h"), backup)
    sh.wait_until(lambda: account(d, "sendgrid").get("quota_left") == 25,
                  15, what="the credits poll")
    acct = account(d, "sendgrid")
    assert acct["quota_24h"] == 1000 and acct["quota_period"] == "month"
    assert acct["reputation"] == 97.5 and acct["state"] == "paid"
    # reserve 2% of 1000 = 20: five go to SendGrid, then it spills
    for i in range(8):
        send(d, 1)
        sh.wait_until(lambda: len(backup.messages()) +
                      sh.http_json(sg.url + "/stats/api")[1]["sendgrid"]
                      ["accepted"] == i + 1, 20, what="delivered")
    st = sh.http_json(sg.url + "/stats/api")[1]["sendgrid"]
    assert st["accepted"] == 5, st
    assert st["errors"] == 0, st  # never throttled
    assert len(backup.messages()) == 3
    acct = account(d, "sendgrid")
    assert acct["spill"] and acct["in_flight"] == 0
    assert "account quota nearly used: 20 of 1000 left" in acct["note"]
    assert "20 of 1000 left in month, reputation 97.5" in status(d)


def test_mailgun_domain_disabled_opens_the_circuit(lab):
    mg, backup = lab.mock("mg"), lab.mock("backup")
    d = daemon(lab, http_provider("mailgun", mg), backup)
    sh.wait_until(lambda: account(d, "mailgun").get("state") == "active",
                  15, what="the first poll")
    set_account(mg, "mailgun", state="disabled")
    sh.wait_until(lambda: provider_state(d, "mailgun") == "open", 15,
                  what="the circuit opens")
    acct = account(d, "mailgun")
    assert acct["paused"] and acct["note"] == \
        "Mailgun domain mg.test is disabled"
    assert "Mailgun domain mg.test is disabled; treated as a " \
        "configuration failure" in d.log_text()
    send(d, 2)
    sh.wait_until(lambda: len(backup.messages()) == 2, 20,
                  what="the backup takes them")
    assert sh.http_json(mg.url + "/stats/api")[1]["mailgun"]["accepted"] \
        == 0
    sh.wait_until(
        lambda: any(a["kind"] == "provider_config" and
                    a.get("provider") == "mailgun" for a in alerts(d)), 10,
        what="the provider_config alert")
    # active again: the circuit closes and mail flows back
    set_account(mg, "mailgun", state="active")
    sh.wait_until(lambda: not account(d, "mailgun")["paused"], 10,
                  what="the next poll")
    send(d, 1)
    sh.wait_until(lambda: sh.http_json(mg.url + "/stats/api")[1]["mailgun"]
                  ["accepted"] == 1, 20, what="mailgun takes mail again")
    assert provider_state(d, "mailgun") != "open"


def test_postmark_sandbox_server_is_a_config_failure(lab):
    pm, backup = lab.mock("pm"), lab.mock("backup")
    set_account(pm, "postmark", delivery_type="Sandbox")
    d = daemon(lab, http_provider("postmark", pm), backup)
    sh.wait_until(lambda: provider_state(d, "postmark") == "open", 15,
                  what="the circuit opens")
    assert account(d, "postmark")["state"] == "Sandbox"
    assert "Postmark server in sandbox mode" in d.log_text()


def test_an_on_demand_refresh_picks_up_a_change_at_once(lab):
    sg, backup = lab.mock("sg"), lab.mock("backup")
    set_account(sg, "sendgrid", credits_total=5000, credits_remain=4000,
                reputation=99)
    d = daemon(lab, http_provider("sendgrid", sg, interval="1h"), backup)
    sh.wait_until(lambda: account(d, "sendgrid").get("polls", 0) >= 1, 15,
                  what="the first poll")
    set_account(sg, "sendgrid", credits_total=5000, credits_remain=3000,
                reputation=81.5)
    assert account(d, "sendgrid")["reputation"] == 99  # interval: 1 h
    out = sh.swervectl(["-c", d.config_path, "account", "refresh",
                        "sendgrid"])
    assert out.returncode == 0, out.stderr
    assert "3000 of 5000 left in month, reputation 81.5" in out.stdout, \
        out.stdout
    assert account(d, "sendgrid")["reputation"] == 81.5
    # every provider; the SMTP backup has no account to poll
    out = sh.swervectl(["-c", d.config_path, "account", "refresh"])
    assert out.returncode == 0, out.stderr
    assert "sendgrid" in out.stdout and "backup" not in out.stdout
    bad = sh.swervectl(["-c", d.config_path, "account", "refresh", "nope"])
    assert bad.returncode != 0
    # the admin route needs an admin key
    code, _ = sh.http_json(d.admin_url + "/v1/providers/sendgrid/account",
                           "POST", b"")
    assert code == 401


def test_mail_in_flight_cannot_carry_the_quota_past_the_reserve(lab):
    ses, backup = lab.mock("ses"), lab.mock("backup")
    set_account(ses, "ses", max_24h=1000, sent_24h=970)
    code, obj = sh.http_json(ses.url + "/mode/api", "PUT", b"slow 300")
    assert code == 200, obj
    d = daemon(lab, http_provider("ses", ses, interval="1h"), backup)
    sh.wait_until(lambda: account(d, "ses").get("quota_left") == 30, 15,
                  what="the first poll")
    # 30 left, reserve 20, four connections, each answer 300 ms late: a
    # burst of 16 at once. Counting what is on its way, exactly 10 go to
    # SES; counting only answers, up to 4 more would have.
    send(d, 16)
    sh.wait_until(lambda: len(backup.messages()) +
                  sh.http_json(ses.url + "/stats/api")[1]["ses"]["accepted"]
                  == 16, 30, what="all delivered")
    assert sh.http_json(ses.url + "/stats/api")[1]["ses"]["accepted"] == 10
    # (the mock counts a message before its slow answer leaves)
    sh.wait_until(lambda: account(d, "ses")["in_flight"] == 0, 5,
                  what="nothing left in flight")
    assert account(d, "ses")["quota_left"] == 20


def test_a_refresh_asks_even_with_the_periodic_poll_off(lab):
    mg, backup = lab.mock("mg"), lab.mock("backup")
    set_account(mg, "mailgun", state="unverified")
    d = daemon(lab, http_provider("mailgun", mg, interval=0), backup)
    assert account(d, "mailgun") == {}  # never polled by itself
    out = sh.swervectl(["-c", d.config_path, "account", "refresh",
                        "mailgun"])
    assert out.returncode == 0, out.stderr
    assert "account: unverified, paused; Mailgun domain mg.test is " \
        "unverified" in out.stdout, out.stdout
