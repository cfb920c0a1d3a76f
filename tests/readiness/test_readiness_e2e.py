"""Failover readiness end to end: a real DNS server on loopback (NSD
serving a test zone) and swerve-mock's verification APIs feed the
readiness matrix; `swervectl readiness --refresh` reports a backup that
lacks the sender domain, with the reason; when the primary goes dark
the failover skips the unverified backup (it gets no request) and the
trace says why; DNS incomplete (no DKIM) is reported; an unreadable
verification answer or a malformed DNS answer is "unknown" with the
reason, and nothing crashes."""

import json
import re

import pytest

import swerve_harness as sh
from dnslab import GarbageDns, Nsd



def msg(rcpt):
    return ("From: a@example.com\r\nTo: %s\r\nSubject: hi\r\n\r\n"
            "hello\r\n" % rcpt).encode()


def send(d, rcpt):
    return sh.submit(d, "a@example.com", [rcpt], msg(rcpt))

# What SendGrid and Mailgun ask of example.com's DNS: SPF includes,
# the DKIM selector s1, DMARC, the return path em1 (CNAME) and the
# domain's own MX (Mailgun's envelope sender).
ZONE = """
@ IN TXT "v=spf1 include:sendgrid.net include:mailgun.org ~all"
@ IN MX 10 mxa.mailgun.org.
s1._domainkey IN CNAME s1.domainkey.u1.wl.sendgrid.net.
_dmarc IN TXT "v=DMARC1; p=quarantine; rua=mailto:d@example.com"
em1 IN CNAME u1.wl.sendgrid.net.
"""


def verify(mock, provider, domain="example.com", **state):
    state.update(provider=provider, domain=domain)
    code, obj = sh.http_json(mock.url + "/verify/api", "PUT",
                             json.dumps(state).encode())
    assert code == 200, obj


def http_prov(name, ptype, mock, priority, **kw):
    p = {"name": name, "type": ptype, "endpoint": mock.url,
         "priority": priority}
    keys = {"sendgrid": "SG.mock-sendgrid-key",
            "mailgun": "key-mock-mailgun",
            "postmark": "mock-postmark-server-token",
            "resend": "re_mock_resend_key"}
    if ptype == "ses":
        p.update(access_key_id="AKIDEXAMPLE", region="us-east-1",
                 secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    else:
        p["api_key"] = keys[ptype]
    if ptype == "mailgun":
        p["domain"] = "example.com"
    p.update(kw)
    return p


def refresh(d, *extra):
    out = sh.swervectl(["-c", d.config_path, "readiness", "--refresh"]
                       + list(extra), timeout=90)
    assert out.returncode == 0, out.stderr
    return out.stdout


def entry(d, provider, domain="example.com"):
    code, obj = d.admin_json("/v1/readiness")
    assert code == 200, obj
    got = [e for e in obj["entries"]
           if e["provider"] == provider and e["domain"] == domain]
    assert len(got) == 1, obj
    return got[0]


def api_requests(mock, api):
    return sh.http_json(mock.url + "/stats/api")[1][api]


@pytest.fixture
def nsd(tmp_path):
    n = Nsd(tmp_path, {"example.com": ZONE})
    yield n
    n.stop()


def test_a_backup_missing_the_domain_is_reported(lab, nsd):
    sg, rs = lab.mock("sg"), lab.mock("rs")
    verify(sg, "sendgrid", verified=True, selectors=["s1"],
           return_path="em1.example.com")
    verify(rs, "resend", domain="other.example", verified=True)
    d = lab.daemon([http_prov("sg", "sendgrid", sg, 1),
                    http_prov("rs", "resend", rs, 2)],
                   readiness={"resolver": nsd.resolver},
                   alerts={"interval": "1s"})
    send(d, "b@example.net")
    sh.wait_until(lambda: len(sg.messages()) == 1, 20, what="sent")
    out = refresh(d)
    lines = {tuple(line.split()[:3]): line for line in out.splitlines()}
    assert ("example.com", "sg", "ready") in lines, out
    assert ("example.com", "rs", "not_verified") in lines, out
    assert "example.com is not among resend's domains" in \
        lines[("example.com", "rs", "not_verified")], out
    e = entry(d, "sg")
    assert e["dns"]["spf"] == "yes" and e["dns"]["dkim"] == "yes", e
    assert e["dns"]["dmarc"] == "yes" and e["dns"]["return_path"] == "yes"
    assert "CNAME at s1._domainkey.example.com" in e["dns"]["dkim_words"]
    assert e["checked_ms"] > 0
    # the metric and the alert
    code, text = sh.http_request(d.admin_url + "/metrics",
                                 headers=sh.ADMIN_AUTH)[:2]
    text = text.decode() if isinstance(text, bytes) else text
    assert re.search(r'swerve_readiness\{provider="rs",domain="example.com",'
                     r'verdict="not_verified"\} 1', text), text[-2000:]
    assert 'swerve_readiness_pairs{verdict="ready"} 1' in text
    sh.wait_until(
        lambda: any(a["kind"] == "readiness" and a.get("provider") == "rs"
                    for a in d.admin_json("/v1/alerts")[1]["alerts"]), 10,
        what="the readiness alert")
    assert not any(a["kind"] == "readiness" and a.get("provider") == "sg"
                   for a in d.admin_json("/v1/alerts")[1]["alerts"])
    assert "readiness: example.com x rs: not_verified" in d.log_text()


def test_failover_skips_the_unverified_backup(lab, nsd):
    primary, sg, mg = lab.mock("primary"), lab.mock("sg"), lab.mock("mg")
    verify(sg, "sendgrid", verified=False, selectors=["s1"])
    verify(mg, "mailgun", verified=True, selectors=["s1"])
    d = lab.daemon([sh.provider("primary", primary.smtp_port, 1),
                    http_prov("sg", "sendgrid", sg, 2),
                    http_prov("mg", "mailgun", mg, 3)],
                   readiness={"resolver": nsd.resolver})
    send(d, "b@example.net")
    sh.wait_until(lambda: len(primary.messages()) == 1, 20, what="sent")
    out = refresh(d)
    assert re.search(r"example.com +sg +not_verified .*authenticated "
                     r"domain not valid", out), out
    assert re.search(r"example.com +mg +ready", out), out
    before = api_requests(sg, "sendgrid")["requests"]
    primary.stop()
    qid = send(d, "c@example.net")
    sh.wait_until(lambda: len(mg.messages()) == 1, 30,
                  what="the ready backup takes it")
    assert api_requests(sg, "sendgrid")["requests"] == before
    assert api_requests(sg, "sendgrid")["accepted"] == 0
    tr = sh.swervectl(["-c", d.config_path, "trace", qid])
    assert tr.returncode == 0, tr.stderr
    assert "sender domain example.com not verified at sg" in tr.stdout, \
        tr.stdout


def test_no_ready_backup_the_message_waits(lab, nsd):
    primary, sg = lab.mock("primary"), lab.mock("sg")
    verify(sg, "sendgrid", domain="other.example", verified=True)
    d = lab.daemon([sh.provider("primary", primary.smtp_port, 1),
                    http_prov("sg", "sendgrid", sg, 2)],
                   readiness={"resolver": nsd.resolver},
                   retry={"min_backoff": "1s", "max_backoff": "2s"})
    send(d, "b@example.net")
    sh.wait_until(lambda: len(primary.messages()) == 1, 20, what="sent")
    refresh(d)
    primary.stop()
    qid = send(d, "c@example.net")
    sh.wait_until(lambda: "filtered: sg (sender domain example.com not "
                  "verified at sg: example.com is not among SendGrid's"
                  in sh.swervectl(["-c", d.config_path, "trace",
                                   qid]).stdout,
                  20, what="the trace says why it waits")
    sh.wait_until(lambda: "no usable provider" in d.log_text(), 20,
                  what="it waits once the primary's circuit is open")
    assert api_requests(sg, "sendgrid")["accepted"] == 0
    msg = sh.Api(d).message(qid)
    assert msg["state"] in ("deferred", "queued"), msg
    # the domain gets verified: the next refresh lets it go
    verify(sg, "sendgrid", verified=True, selectors=["s1"])
    refresh(d)
    sh.wait_until(lambda: len(sg.messages()) == 1, 30,
                  what="sent once verified")


def test_dns_incomplete_without_dkim(lab, tmp_path):
    zone = "\n".join(line for line in ZONE.splitlines()
                     if "_domainkey" not in line)
    n = Nsd(tmp_path, {"example.com": zone})
    try:
        sg = lab.mock("sg")
        verify(sg, "sendgrid", verified=True, selectors=["s1"],
               return_path="em1.example.com")
        d = lab.daemon([http_prov("sg", "sendgrid", sg, 1)],
                       readiness={"resolver": n.resolver})
        send(d, "b@example.net")
        sh.wait_until(lambda: len(sg.messages()) == 1, 20, what="sent")
        out = refresh(d)
        assert re.search(r"example.com +sg +dns_incomplete +DNS missing: "
                         r"dkim \(no TXT or CNAME at "
                         r"s1._domainkey.example.com\)", out), out
        e = entry(d, "sg")
        assert e["dns"]["spf"] == "yes" and e["dns"]["dkim"] == "no", e
        # DNS incomplete never blocks: the next message still goes there
        send(d, "c@example.net")
        sh.wait_until(lambda: len(sg.messages()) == 2, 20, what="sent")
    finally:
        n.stop()


def test_garbage_answers_are_unknown_with_a_reason(lab, nsd):
    sg, pm = lab.mock("sg"), lab.mock("pm")
    verify(sg, "sendgrid", verified=True, selectors=["s1"], garbage=True)
    verify(pm, "postmark", verified=True, selectors=["s1"])
    bad = GarbageDns()
    try:
        d = lab.daemon([http_prov("sg", "sendgrid", sg, 1),
                        http_prov("pm", "postmark", pm, 2)],
                       readiness={"resolver": bad.resolver,
                                  "dns_timeout": "300ms"})
        send(d, "b@example.net")
        sh.wait_until(lambda: len(sg.messages()) == 1, 20, what="sent")
        out = refresh(d)
        e = entry(d, "sg")
        assert e["verdict"] == "unknown", e
        assert e["verified"] == "unknown", e
        assert "sendgrid: not JSON" in e["verified_words"], e
        e = entry(d, "pm")
        assert e["verified"] == "yes", e
        assert e["verdict"] == "unknown", e
        assert e["dns"]["spf"] == "unknown", e
        assert re.search(r"lookup of example.com failed: "
                         r"(malformed answer|Misformatted)",
                         e["dns"]["spf_words"]), e
        assert bad.asked > 0
        assert d.alive(), d.log_tail()
        assert "example.com" in out
        # unknown never blocks
        send(d, "c@example.net")
        sh.wait_until(lambda: len(sg.messages()) == 2, 20, what="sent")
    finally:
        bad.stop()
