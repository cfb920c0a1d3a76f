"""SMTPUTF8, 8BITMIME and TLS towards real SMTP upstreams (issue 13, item 8).

  - a real Postfix (a private instance, tests/delivery/delivery_helpers.py)
    that offers SMTPUTF8 takes a UTF-8 recipient: swerve declares SMTPUTF8
    (Postfix refuses a UTF-8 address without it: 553/555); a Postfix with
    smtputf8_enable = no is skipped (deferred, "upstream does not offer
    SMTPUTF8") and the message fails over, never bounces;
  - aiosmtpd without 8BITMIME, which refuses any 8-bit octet, gets an 8-bit
    message quoted-printable; with 8BITMIME it gets BODY=8BITMIME and the
    bytes as they are; a message that cannot be made 7-bit fails over;
  - a private CA (openssl): ca_file verifies the relay, client_cert and
    client_key satisfy a relay that requires a client certificate.
"""

import email
import email.policy
import ssl

import pytest

import delivery_helpers as dh
import swerve_harness as sh

SENDER = "app@example.com"
UTF8_RCPT = "用户@example.net"


def submit_utf8(d, rcpts, msg):
    """One message with SMTPUTF8 through swerved's SMTP port."""
    c = sh.SMTPConn(d.smtp_port, timeout=30)
    try:
        assert c.ehlo("client.test").code == 250
        rs = c.mail(SENDER, rcpts, msg, mail_params=" SMTPUTF8 BODY=8BITMIME")
        assert rs[-1].code == 250, rs
        return rs[-1].queue_id()
    finally:
        c.close()


def attempts(api, qid):
    return [(a["provider"], a["result"], a["reply"])
            for a in api.message(qid)["attempts_detail"]]


needs_postfix = pytest.mark.skipif(not dh.postfix_usable(),
                                   reason="a private Postfix needs root")


@needs_postfix
def test_utf8_recipient_relayed_with_smtputf8_or_failed_over(lab):
    plain = lab.postfix({"smtputf8_enable": "no"})
    intl = lab.postfix({"smtputf8_enable": "yes"})
    d = lab.daemon([dh.provider("plain", plain.port, 1),
                    dh.provider("intl", intl.port, 2)])
    api = dh.Api(d)
    msg = sh.message(subject="utf8", body="Grüße\r\n", to=UTF8_RCPT)
    qid = submit_utf8(d, [UTF8_RCPT], msg)
    m = api.wait_state(qid, ("sent", "failed"), 30)
    assert m["state"] == "sent", (m, plain.maillog(), intl.maillog())
    att = attempts(api, qid)
    assert att[0][:2] == ("plain", "deferred"), att
    assert att[0][2] == "upstream does not offer SMTPUTF8", att
    assert att[-1][:2] == ("intl", "accepted"), att
    # The Postfix without SMTPUTF8 saw no transaction at all.
    assert "from=<" not in plain.maillog(), plain.maillog()
    held = intl.held()
    assert len(held) == 1, intl.maillog()
    assert UTF8_RCPT in held[0] and "Grüße" in held[0], held[0]

    # Learnt: the next UTF-8 message is not offered to "plain" at all;
    # an ASCII one still goes there.
    qid2 = submit_utf8(d, [UTF8_RCPT], msg)
    m2 = api.wait_state(qid2, ("sent", "failed"), 30)
    assert m2["state"] == "sent", m2
    att2 = attempts(api, qid2)
    assert [a[0] for a in att2] == ["intl"], att2
    tr = api.message(qid2)["attempts_detail"][0]["trace"]
    assert "upstream does not offer SMTPUTF8" in tr, tr
    qid3 = dh.submit(d, SENDER, ["ascii@example.net"], sh.message())
    assert api.wait_state(qid3, ("sent", "failed"), 30)["state"] == "sent"
    assert [a[0] for a in attempts(api, qid3)] == ["plain"]


@needs_postfix
def test_utf8_recipient_waits_when_no_upstream_offers_smtputf8(lab):
    plain = lab.postfix({"smtputf8_enable": "no"})
    d = lab.daemon([dh.provider("plain", plain.port, 1)])
    api = dh.Api(d)
    qid = submit_utf8(d, [UTF8_RCPT], sh.message(to=UTF8_RCPT))
    dh.wait_until(lambda: api.message(qid)["attempts"] >= 1, 15,
                  what="an attempt")
    m = api.message(qid)
    # Deferred for a later attempt: not failed, no DSN.
    assert m["state"] in ("deferred", "inflight", "ready"), m
    assert [r["state"] for r in m["rcpts"]] == ["pending"], m


MIXED = (b"From: <app@example.com>\r\n"
         b"To: <b@example.net>\r\n"
         b"Subject: mixed\r\n"
         b"Message-ID: <mixed.1@client.test>\r\n"
         b"Date: Thu, 27 Nov 2025 10:00:00 +0000\r\n"
         b"MIME-Version: 1.0\r\n"
         b"Content-Type: multipart/mixed; boundary=\"zz\"\r\n"
         b"\r\n"
         b"--zz\r\n"
         b"Content-Type: text/plain; charset=us-ascii\r\n"
         b"\r\n"
         b"plain part\r\n"
         b"--zz\r\n"
         b"Content-Type: text/plain; charset=utf-8\r\n"
         b"Content-Transfer-Encoding: 8bit\r\n"
         b"\r\n"
         + "Grüße aus Köln, ".encode() * 10 + b"\r\n"
         b"--zz--\r\n")


def test_8bit_to_a_strict_upstream_without_8bitmime_arrives_quoted_printable(lab):
    up = lab.aiosmtpd(eightbitmime=False)
    d = lab.daemon([dh.provider("strict", up.port, 1)])
    api = dh.Api(d)
    qid = dh.submit(d, SENDER, ["b@example.net"], MIXED)
    m = api.wait_state(qid, ("sent", "failed"), 20)
    assert m["state"] == "sent", (m, up.refused)
    assert up.refused == [] and len(up.got) == 1
    got = up.got[0]
    assert "BODY=8BITMIME" not in got["mail_options"], got
    data = got["data"]
    assert all(b < 0x80 for b in data)
    assert max(len(l) for l in data.split(b"\r\n")) <= 998
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain"] * 2
    assert parts[0]["Content-Transfer-Encoding"] is None
    assert parts[0].get_content().strip() == "plain part"
    assert parts[1]["Content-Transfer-Encoding"] == "quoted-printable"
    assert parts[1].get_content().rstrip("\r\n") == "Grüße aus Köln, " * 10
    # Header fields and structure are untouched.
    assert b"Subject: mixed\r\n" in data and b"boundary=\"zz\"" in data
    assert b"\r\n--zz\r\nContent-Type: text/plain; charset=us-ascii\r\n" in data


def test_8bit_with_8bitmime_goes_as_it_is(lab):
    up = lab.aiosmtpd(eightbitmime=True)
    d = lab.daemon([dh.provider("eight", up.port, 1)])
    api = dh.Api(d)
    qid = dh.submit(d, SENDER, ["b@example.net"], MIXED)
    assert api.wait_state(qid, ("sent", "failed"), 20)["state"] == "sent"
    got = up.got[0]
    assert "BODY=8BITMIME" in got["mail_options"], got
    assert got["data"].endswith(MIXED), got["data"][-200:]


def test_unconvertible_8bit_fails_over_to_an_upstream_that_takes_it(lab):
    strict = lab.aiosmtpd(eightbitmime=False)
    intl = lab.aiosmtpd(eightbitmime=True, smtputf8=True)
    d = lab.daemon([dh.provider("strict", strict.port, 1),
                    dh.provider("intl", intl.port, 2)])
    api = dh.Api(d)
    # UTF-8 in a header field: needs SMTPUTF8, which "strict" lacks.
    msg = sh.message(subject="Grüße", body="Grüße\r\n")
    qid = submit_utf8(d, ["b@example.net"], msg)
    m = api.wait_state(qid, ("sent", "failed"), 20)
    assert m["state"] == "sent", m
    att = attempts(api, qid)
    assert att[0] == ("strict", "deferred",
                      "upstream does not offer SMTPUTF8"), att
    assert att[1][:2] == ("intl", "accepted"), att
    assert strict.got == [] and strict.refused == []
    assert "SMTPUTF8" in intl.got[0]["mail_options"]
    assert "BODY=8BITMIME" in intl.got[0]["mail_options"]


PART_HEADER_8BIT = (b"From: <app@example.com>\r\n"
                    b"To: <b@example.net>\r\n"
                    b"Subject: attachment\r\n"
                    b"MIME-Version: 1.0\r\n"
                    b"Content-Type: multipart/mixed; boundary=\"zz\"\r\n"
                    b"\r\n"
                    b"--zz\r\n"
                    b"Content-Type: text/plain; charset=utf-8\r\n"
                    + "Content-Disposition: attachment; filename=Grüße.txt"
                    .encode() + b"\r\n"
                    b"\r\n"
                    + "Grüße\r\n".encode() +
                    b"--zz--\r\n")


def test_8bit_without_a_7bit_form_fails_over_and_is_learnt(lab):
    strict = lab.aiosmtpd(eightbitmime=False)
    eight = lab.aiosmtpd(eightbitmime=True)
    d = lab.daemon([dh.provider("strict", strict.port, 1),
                    dh.provider("eight", eight.port, 2)])
    api = dh.Api(d)
    why = ("upstream does not offer 8BITMIME and the message cannot be "
           "made 7-bit: 8-bit octets in a MIME part's header")
    qid = dh.submit(d, SENDER, ["b@example.net"], PART_HEADER_8BIT)
    m = api.wait_state(qid, ("sent", "failed"), 20)
    assert m["state"] == "sent", m
    att = attempts(api, qid)
    assert att[0] == ("strict", "deferred", why), att
    assert att[1][:2] == ("eight", "accepted"), att
    assert strict.got == [] and strict.refused == []
    assert eight.got[0]["data"].endswith(PART_HEADER_8BIT)
    # Learnt: the next one goes to "eight" at once, saying why.
    qid = dh.submit(d, SENDER, ["b@example.net"], PART_HEADER_8BIT)
    assert api.wait_state(qid, ("sent", "failed"), 20)["state"] == "sent"
    detail = api.message(qid)["attempts_detail"]
    assert [a["provider"] for a in detail] == ["eight"], detail
    # (the trace keeps the start of the reason)
    assert "filtered: strict (upstream does not offer 8BITMIME and the " \
        "message cannot be made 7-bit" in detail[0]["trace"], detail[0]["trace"]


# --- TLS with a private CA ----------------------------------------------------

def tls_upstream(lab, ca, require_client_cert):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(ca.server_cert, ca.server_key)
    if require_client_cert:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(ca.ca)
    return lab.aiosmtpd(ssl_context=ctx)


def tls_pair(lab, up, first, second):
    """Providers first (priority 1) and second (2), both {name: extra
    keys}, at the TLS upstream up: one message, its attempts."""
    (n1, kw1), = first.items()
    (n2, kw2), = second.items()
    d = lab.daemon([dh.provider(n1, up.port, 1, tls="tls", **kw1),
                    dh.provider(n2, up.port, 2, tls="tls", **kw2)])
    api = dh.Api(d)
    qid = dh.submit(d, SENDER, ["b@example.net"], sh.message())
    m = api.wait_state(qid, ("sent", "failed"), 20)
    assert m["state"] == "sent", m
    assert len(up.got) == 1
    return attempts(api, qid)


def test_ca_file_verifies_a_relay_with_a_private_ca(lab, tmp_path):
    ca = dh.PrivateCA(tmp_path / "ca")
    up = tls_upstream(lab, ca, False)
    att = tls_pair(lab, up, {"untrusted": {}}, {"private": {"ca_file": ca.ca}})
    # The system trust store does not know the private CA...
    assert att[0][:2] == ("untrusted", "deferred"), att
    assert "certificate verify failed" in att[0][2], att
    # ...ca_file does.
    assert att[1][:2] == ("private", "accepted"), att


def test_client_certificate_is_presented_when_configured(lab, tmp_path):
    ca = dh.PrivateCA(tmp_path / "ca")
    up = tls_upstream(lab, ca, True)
    att = tls_pair(lab, up, {"anon": {"ca_file": ca.ca}},
                   {"mtls": {"ca_file": ca.ca, "client_cert": ca.client_cert,
                             "client_key": ca.client_key}})
    assert att[0][:2] == ("anon", "deferred"), att
    assert att[1][:2] == ("mtls", "accepted"), att


def test_client_key_that_does_not_match_stops_the_start(tmp_path):
    ca = dh.PrivateCA(tmp_path / "ca")
    cfg = sh.daemon_config(tmp_path, [dh.provider(
        "mtls", 25, 1, tls="tls", ca_file=ca.ca, client_cert=ca.client_cert,
        client_key=ca.server_key)])
    path = tmp_path / "swerve.yaml"
    path.write_text(sh.to_yaml(cfg))
    r = sh.run_swerved(["--check", "-c", str(path)])
    assert r.returncode == 0, r.stderr  # the files exist and are readable
    r = sh.run_swerved(["-c", str(path)], timeout=30)
    assert r.returncode != 0
    assert "provider mtls: tls: cannot load key " + ca.server_key in r.stderr, \
        r.stderr
    assert "LeakSanitizer" not in r.stderr, r.stderr
