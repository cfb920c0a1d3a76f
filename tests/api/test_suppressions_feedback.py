"""Feedback adds to the suppression list (issue 14, item 3): a Postmark
hard bounce and a spam complaint posted to the provider's events path
put the recipients on the tenant's list (reason, provider, diagnostic),
and the next submission to them is refused; a soft bounce adds only at
the third within the window; an event that matched no message adds
nothing (the list is per tenant).
"""

import json

from api_client import WEB_KEY, msg, send
from api_client import sh
from test_feedback import bounce, daemon, hook, sent_message


def entry(d, addr):
    code, out, _ = sh.http_request(
        d.http_url + "/v1/suppressions/" + addr,
        headers={"Authorization": "Bearer " + WEB_KEY})
    return code, json.loads(out or b"null")


def complaint(pmid, email, id_):
    return {"RecordType": "SpamComplaint", "ID": id_, "Type": "SpamComplaint",
            "TypeCode": 512, "Name": "Spam complaint", "MessageID": pmid,
            "Email": email, "From": "s@example.com",
            "BouncedAt": "2026-12-07T10:00:02Z", "Inactive": True,
            "Description": "The subscriber explicitly marked this message "
                           "as spam.", "Details": "Test spam complaint"}


def test_hard_bounce_and_complaint_suppress_the_next_send(lab):
    m = lab.mock()
    d = daemon(lab, m)
    qid, rec = sent_message(d)
    pmid = rec["rcpts"][0]["provider_message_id"]
    assert hook(d, bounce(pmid, "R1@Example.net", id_=11))[0] == 200
    assert hook(d, complaint(pmid, "r2@example.net", 12))[0] == 200
    sh.wait_until(lambda: entry(d, "r2@example.net")[0] == 200, 10,
                  what="the complaint on the list")
    code, e = entry(d, "r1@example.net")
    assert code == 200, e
    assert e["reason"] == "hard_bounce" and e["provider"] == "pm", e
    assert e["tenant"] == "webt" and e["expires_at_ms"] is None
    assert "5.1.1" in e["diagnostic"] or "does not exist" in e["diagnostic"]
    assert entry(d, "r2@example.net")[1]["reason"] == "complaint"
    code, obj, _ = send(d, msg(to=["r1@example.net", "r2@example.net"]))
    assert code == 422 and obj["error"]["code"] == "suppressed", obj
    # A soft bounce alone adds nothing (3 in 7 days by default).
    soft = bounce(pmid, "r3@example.net", id_=13, code=4096,
                  name="SoftBounce")
    soft["Inactive"] = False  # else Postmark deactivated it: hard
    assert hook(d, soft)[0] == 200
    # An unknown message's bounce has no tenant: nothing added.
    assert hook(d, bounce("nope", "r4@example.net", id_=14))[0] == 200
    assert entry(d, "r3@example.net")[0] == 404
    assert entry(d, "r4@example.net")[0] == 404
    # The second and third soft bounces (other event ids): now it is.
    for i in (15, 16):
        soft = dict(soft, ID=i)
        assert hook(d, soft)[0] == 200
    sh.wait_until(lambda: entry(d, "r3@example.net")[0] == 200, 10,
                  what="the third soft bounce on the list")
    code, e = entry(d, "r3@example.net")
    assert e["reason"] == "soft_bounce" and e["expires_at_ms"] is not None


def test_soft_bounce_count_survives_a_restart(lab):
    """Two soft bounces, a restart, a third: suppressed. The count is
    rebuilt from the spool's events table at start (it lived in memory
    only, and a restart reset it)."""
    import time
    m = lab.mock()
    d = daemon(lab, m)
    qid, rec = sent_message(d)
    pmid = rec["rcpts"][0]["provider_message_id"]
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    soft = bounce(pmid, "r5@example.net", id_=21, code=4096,
                  name="SoftBounce")
    soft["Inactive"] = False
    soft["BouncedAt"] = now
    for i in (21, 22):
        assert hook(d, dict(soft, ID=i))[0] == 200
    assert entry(d, "r5@example.net")[0] == 404
    d.restart()
    d.wait_log(r"2 soft bounces of the last window counted again", 10)
    assert entry(d, "r5@example.net")[0] == 404
    assert hook(d, dict(soft, ID=23))[0] == 200
    sh.wait_until(lambda: entry(d, "r5@example.net")[0] == 200, 10,
                  what="the third soft bounce, after the restart, on the list")
    assert entry(d, "r5@example.net")[1]["reason"] == "soft_bounce"
