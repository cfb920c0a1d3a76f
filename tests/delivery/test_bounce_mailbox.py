"""The bounce mailbox (issue 14, item 1, SMTP relays): VERP envelope
senders and listen.bounce, against a real Postfix.

  - swerve relays through a private Postfix with bounce_domain set: the
    envelope sender Postfix sees is b-<id>-<idx>-<mac>@bounce.test, the
    mac being HMAC-SHA256 under the spool's bounce.key (computed here
    independently);
  - Postfix cannot deliver (its next hop, smtp-sink, answers 5xx to RCPT)
    and sends its own RFC 3464 DSN to that address, routed by a
    transport map to swerve's listen.bounce: the right message and
    recipient get a hard bounce, and the original sender gets swerve's
    DSN, as for a synchronous failure;
  - an RFC 5965 abuse report sent to another message's VERP address is
    matched to that message's recipient (complained);
  - listen.bounce relays nothing: a forged mac, a plain address and a
    VERP address at a domain no provider has are refused at RCPT.
"""

import hashlib
import hmac
import os
import smtplib
import time

import pytest

import delivery_helpers as dh
import swerve_harness as sh

SENDER = "app@example.com"

needs_postfix = pytest.mark.skipif(not dh.postfix_usable(),
                                   reason="a private Postfix needs root")


def verp(daemon, qid, idx, domain="bounce.test"):
    """The VERP address swerve writes, computed from its key file."""
    with open(os.path.join(daemon.spool_dir, "bounce.key"), "rb") as f:
        key = f.read()
    ix = "x" if idx is None else str(idx)
    mac = hmac.new(key, ("%s-%s" % (qid, ix)).encode(), hashlib.sha256)
    return "b-%s-%s-%s@%s" % (qid, ix, mac.hexdigest()[:16], domain)


def bounce_lab(lab):
    """Sinks, a Postfix bouncing example.net, and swerved relaying to it
    with bounce_domain bounce.test; returns (daemon, api, ok_sink, port)."""
    refuse = lab.sink(options=("-f", "RCPT"), dump=False)
    ok = lab.sink()
    bport = sh.free_port()
    transport = ("inline:{ example.net=smtp:[127.0.0.1]:%d, "
                 "example.com=smtp:[127.0.0.1]:%d, "
                 "example.org=smtp:[127.0.0.1]:%d, "
                 "bounce.test=smtp:[127.0.0.1]:%d }"
                 % (refuse.port, ok.port, ok.port, bport))
    pf = lab.postfix({"header_checks": "", "transport_maps": transport,
                      "relay_domains": "example.net, example.com, example.org",
                      "notify_classes": ""})
    listen = sh.listen_config()
    listen["bounce"] = "127.0.0.1:%d" % bport
    d = lab.daemon([dh.provider("relay", pf.port, 1,
                                bounce_domain="bounce.test")],
                   listen=listen)
    return d, dh.Api(d), ok, bport, pf


@needs_postfix
def test_a_postfix_dsn_to_the_verp_address_is_a_hard_bounce(lab):
    d, api, ok, bport, pf = bounce_lab(lab)
    qid = dh.submit(d, SENDER, ["nobody@example.net"],
                    sh.message("bounce me", sender=SENDER,
                               to="nobody@example.net"))
    api.wait_state(qid, "sent", 30)
    # Postfix saw the VERP sender swerve computed with its key.
    want = verp(d, qid, 0)
    dh.wait_until(lambda: "from=<%s>" % want in pf.maillog(), 30,
                  what="postfix took the VERP sender")

    def bounced():
        m = api.message(qid)
        return m["rcpts"][0]["outcome"] == "bounced"
    try:
        dh.wait_until(bounced, 60, 0.2, "the hard bounce recorded")
    except AssertionError:
        raise AssertionError("%s\n--- postfix\n%s\n--- swerved\n%s" % (
            api.message(qid), pf.maillog()[-3000:], d.log_tail(40)))
    m = api.message(qid)
    r = m["rcpts"][0]
    assert r["bounce"] == "hard", r
    ev = [e for e in m["events"] if e["type"] == "hard_bounce"]
    assert len(ev) == 1, m["events"]
    assert ev[0]["provider"] == "relay"
    assert ev[0]["recipient"] == "nobody@example.net"
    assert ev[0]["enhanced"].startswith("5."), ev[0]

    # swerve's own DSN reached the original sender (through the relay).
    def dsn_out():
        return [x for x in ok.dumps() if any(SENDER in a for a in x["rcpts"])
                and b"nobody@example.net" in x["body"]
                and b"multipart/report" in x["body"]]
    dh.wait_until(lambda: dsn_out(), 60, 0.2, "swerve's DSN to the sender")
    got = dsn_out()[0]
    assert b"X-Swerve-Queue-ID: " + qid.encode() in got["body"]
    assert "<>" in (got["mail"] or "") or got["mail"] in ("", None), got["mail"]


@needs_postfix
def test_an_arf_report_to_a_verp_address_is_a_complaint(lab):
    d, api, ok, bport, pf = bounce_lab(lab)
    qid = dh.submit(d, SENDER, ["dana@example.org", "eve@example.org"],
                    sh.message("spam?", sender=SENDER, to="dana@example.org"))
    api.wait_state(qid, "sent", 30)
    report = (
        "From: fbl@isp.example\r\n"
        "To: %s\r\n"
        "Subject: complaint\r\n"
        "Message-ID: <arf-%s@isp.example>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=feedback-report;\r\n"
        "\tboundary=\"arf\"\r\n\r\n"
        "--arf\r\nContent-Type: text/plain\r\n\r\nSpam report.\r\n"
        "--arf\r\nContent-Type: message/feedback-report\r\n\r\n"
        "Feedback-Type: abuse\r\nUser-Agent: ISP-FBL/1.0\r\nVersion: 1\r\n"
        "Original-Rcpt-To: <eve@example.org>\r\n\r\n"
        "--arf\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "From: %s\r\nTo: eve@example.org\r\nSubject: spam?\r\n\r\n"
        "--arf--\r\n" % (verp(d, qid, None), qid, SENDER))
    with smtplib.SMTP(sh.HOST, bport, timeout=30) as c:
        c.ehlo("isp.example")
        c.sendmail("", [verp(d, qid, None)], report.encode())
        # The same report again: accepted, stored once.
        c.sendmail("", [verp(d, qid, None)], report.encode())
    m = api.message(qid)
    by = {r["address"]: r for r in m["rcpts"]}
    assert by["eve@example.org"]["outcome"] == "complained", m["rcpts"]
    assert by["dana@example.org"]["outcome"] is None, m["rcpts"]
    assert [e["type"] for e in m["events"]] == ["complaint"], m["events"]


@needs_postfix
def test_the_bounce_listener_relays_nothing(lab):
    d, api, ok, bport, pf = bounce_lab(lab)
    qid = dh.submit(d, SENDER, ["x@example.org"],
                    sh.message("hi", sender=SENDER, to="x@example.org"))
    good = verp(d, qid, 0)
    forged = good[:good.index("@") - 1] + (
        "0" if good[good.index("@") - 1] != "0" else "1") + "@bounce.test"
    other_domain = good.replace("@bounce.test", "@elsewhere.test")
    with smtplib.SMTP(sh.HOST, bport, timeout=30) as c:
        c.ehlo("peer.example")
        assert c.mail("")[0] == 250
        for rcpt in (forged, "postmaster@bounce.test", "x@example.org",
                     other_domain):
            code, text = c.rcpt(rcpt)
            assert code == 550, (rcpt, code, text)
        assert c.rcpt(good)[0] == 250
        # Not a report: refused, nothing stored.
        code, text = c.data(b"Subject: out of office\r\n\r\nI am away.\r\n")
        assert code == 550, (code, text)
    assert api.message(qid)["events"] == []
    # Nothing was queued for delivery by the bounce listener.
    assert [m["id"] for m in api.list()] == [qid]


@needs_postfix
def test_a_redacted_arf_report_names_the_recipient_by_the_verp_index(lab):
    # The VERP of a one-recipient send names the recipient; the report
    # itself does not (no Original-Rcpt-To, a To of several addresses).
    d, api, ok, bport, pf = bounce_lab(lab)
    qid = dh.submit(d, SENDER, ["ann@example.org", "bob@example.org"],
                    sh.message("fbl", sender=SENDER, to="ann@example.org"))
    api.wait_state(qid, "sent", 30)
    report = (
        "From: fbl@isp.example\r\nSubject: complaint\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=feedback-report; "
        "boundary=\"arf\"\r\n\r\n"
        "--arf\r\nContent-Type: message/feedback-report\r\n\r\n"
        "Feedback-Type: abuse\r\nUser-Agent: FBL/2.0\r\nVersion: 1\r\n\r\n"
        "--arf\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "From: %s\r\nTo: redacted@isp.example, other@isp.example\r\n\r\n"
        "--arf--\r\n" % SENDER)
    with smtplib.SMTP(sh.HOST, bport, timeout=30) as c:
        c.ehlo("isp.example")
        c.sendmail("", [verp(d, qid, 1)], report.encode())
    by = {r["address"]: r for r in api.message(qid)["rcpts"]}
    assert by["bob@example.org"]["outcome"] == "complained", by
    assert by["ann@example.org"]["outcome"] is None, by
