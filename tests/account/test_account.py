"""Provider account health end to end with swerve-mock's SES API: the
account poll (GetAccount) reads the enforcement status and the 24-hour
quota; a quota nearly used sends new mail elsewhere before the provider
throttles, probation lowers the share, a shut-down account opens the
circuit; swervectl status, /v1/providers and the alerts show it."""

import json
import time

import swerve_harness as sh

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
MSG = (b"From: a@example.com\r\nTo: b@example.net\r\nSubject: hi\r\n\r\n"
       b"hello\r\n")


def set_account(mock, **state):
    state["provider"] = "ses"
    code, obj = sh.http_json(mock.url + "/account/api", "PUT",
                             json.dumps(state).encode())
    assert code == 200, obj


def daemon(lab, ses_mock, backup, backup_priority=2):
    provs = [
        {"name": "ses", "type": "ses", "endpoint": ses_mock.url,
         "access_key_id": AKID, "secret_access_key": SECRET,
         "region": "us-east-1", "priority": 1, "account_interval": "1s"},
        sh.provider("backup", backup.smtp_port, backup_priority),
    ]
    return lab.daemon(provs, alerts={"interval": "1s"})


def provider(d, name):
    code, obj = d.admin_json("/v1/providers")
    assert code == 200, obj
    return [p for p in obj["providers"] if p["name"] == name][0]


def send(d, n):
    return [sh.submit(d, "a@example.com", ["b%d@example.net" % i], MSG)
            for i in range(n)]


def trace(d, qid):
    out = sh.swervectl(["-c", d.config_path, "trace", qid])
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_a_quota_nearly_used_spills_before_the_first_throttle(lab):
    ses, backup = lab.mock("ses"), lab.mock("backup")
    set_account(ses, max_24h=1000, sent_24h=995)
    d = daemon(lab, ses, backup)
    sh.wait_until(lambda: provider(d, "ses").get("account", {})
                  .get("spill"), 15, what="the account poll")
    acct = provider(d, "ses")["account"]
    assert acct["enforcement"] == "HEALTHY"
    assert acct["quota_24h"] == 1000 and acct["quota_left"] == 5
    assert "account quota nearly used: 5 of 1000 left" in acct["note"]
    ids = send(d, 4)
    sh.wait_until(lambda: len(backup.messages()) == 4, 20,
                  what="the backup takes them")
    before = sh.http_json(ses.url + "/stats/api")[1]
    assert before["ses"]["accepted"] == 0, before
    assert "account quota nearly used" in trace(d, ids[0])
    out = sh.swervectl(["-c", d.config_path, "status"])
    assert "account: HEALTHY, 5 of 1000 left in 24 h" in out.stdout, out.stdout
    sh.wait_until(
        lambda: any(a["kind"] == "account" and a.get("provider") == "ses"
                    for a in d.admin_json("/v1/alerts")[1]["alerts"]), 10,
        what="the account alert")
    # a new day: the quota is back, and so is the traffic
    set_account(ses, max_24h=1000, sent_24h=0)
    sh.wait_until(lambda: not provider(d, "ses")["account"]["spill"], 10,
                  what="the next poll")
    send(d, 2)
    sh.wait_until(
        lambda: sh.http_json(ses.url + "/stats/api")[1]["ses"]["accepted"]
        == 2, 20, what="ses takes mail again")


def test_sends_count_down_the_estimate_between_polls(lab):
    ses, backup = lab.mock("ses"), lab.mock("backup")
    set_account(ses, max_24h=1000, sent_24h=970)
    d = daemon(lab, ses, backup)
    d.stop()
    d.config["providers"][0]["account_interval"] = "1h"
    d.write_config()
    d.start()
    sh.wait_until(lambda: "account" in provider(d, "ses"), 15,
                  what="the first poll")
    assert provider(d, "ses")["account"]["quota_left"] == 30
    # reserve 20 (2% of 1000): 10 go to ses, then it spills. One at a
    # time: the estimate counts what the provider accepted, so mail in
    # flight when the reserve is reached may still go (at most
    # max_connections messages).
    for i in range(14):
        send(d, 1)
        sh.wait_until(lambda: len(backup.messages()) +
                      sh.http_json(ses.url + "/stats/api")[1]["ses"]
                      ["accepted"] == i + 1, 20, what="delivered")
    got = sh.http_json(ses.url + "/stats/api")[1]["ses"]["accepted"]
    assert got == 10, got
    assert provider(d, "ses")["account"]["spill"]


def test_probation_lowers_the_share(lab):
    ses, backup = lab.mock("ses"), lab.mock("backup")
    set_account(ses, enforcement="PROBATION")
    d = daemon(lab, ses, backup, backup_priority=1)
    sh.wait_until(lambda: provider(d, "ses").get("account", {})
                  .get("enforcement") == "PROBATION", 15, what="the poll")
    ids = send(d, 40)
    sh.wait_until(lambda: len(backup.messages()) +
                  sh.http_json(ses.url + "/stats/api")[1]["ses"]["accepted"]
                  == 40, 30, what="all delivered")
    got = sh.http_json(ses.url + "/stats/api")[1]["ses"]["accepted"]
    # equal weights: 50% each; on probation ses keeps 25% of its weight,
    # 20% of the traffic (8 of 40 expected)
    assert got < 17, got
    assert any("account on probation at the provider" in trace(d, q)
               for q in ids[:10])
    assert "account on probation" in d.log_text()


def test_a_shut_down_account_opens_the_circuit(lab):
    ses, backup = lab.mock("ses"), lab.mock("backup")
    d = daemon(lab, ses, backup)
    sh.wait_until(lambda: "account" in provider(d, "ses"), 15,
                  what="the first poll")
    set_account(ses, enforcement="SHUTDOWN")
    sh.wait_until(lambda: provider(d, "ses")["state"] == "open", 15,
                  what="the circuit opens")
    assert "the account is shut down (enforcement status SHUTDOWN)" \
        in d.log_text()
    ids = send(d, 2)
    sh.wait_until(lambda: len(backup.messages()) == 2, 20,
                  what="the backup takes them")
    assert ids
    sh.wait_until(
        lambda: any(a["kind"] == "provider_config" and
                    a.get("provider") == "ses"
                    for a in d.admin_json("/v1/alerts")[1]["alerts"]), 10,
        what="the provider_config alert")
    acct = provider(d, "ses")["account"]
    assert acct["paused"] and acct["note"] == \
        "the account is shut down (enforcement status SHUTDOWN)"
    # reinstated: the next GetAccount ends the configuration cool-down
    # (10 minutes by default) and SES takes mail again at once
    set_account(ses, enforcement="HEALTHY")
    sh.wait_until(lambda: not provider(d, "ses")["account"]["paused"], 10,
                  what="the next poll")
    send(d, 1)
    sh.wait_until(lambda: sh.http_json(ses.url + "/stats/api")[1]["ses"]
                  ["accepted"] == 1, 15, what="ses takes mail again")
