"""The periodic purge (spool.purge_interval, events.unmatched_retention;
spool/spool_purge.c): expired suppression entries are deleted from the
spool database (they already suppressed nothing), and provider events
matched to no message are deleted once older than the retention, while
entries that have not expired and events of a message stay.

Read straight from the spool database (sqlite3, read-only), so the test
sees the rows go, not only what the API shows.
"""

import json
import os
import sqlite3
import time

import test_feedback as fb
from api_client import WEB_KEY, get
from api_client import sh


def rows(d, sql, *args):
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(d.spool_dir,
                                                          "spool.db"),
                         uri=True, timeout=10)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def test_expired_suppressions_and_old_unmatched_events_are_purged(lab):
    m = lab.mock()
    d = fb.daemon(lab, m, spool={"purge_interval": "300ms"},
                  events={"unmatched_retention": "2s"})
    now = int(time.time() * 1000)
    code, out, _ = sh.http_request(
        d.http_url + "/v1/suppressions", "POST", json.dumps(
            {"suppressions": [
                {"address": "soon@example.net", "expires_at_ms": now + 1500},
                {"address": "later@example.net",
                 "expires_at_ms": now + 3600 * 1000},
                {"address": "keep@example.net"}]}).encode(),
        {"Authorization": "Bearer " + WEB_KEY,
         "Content-Type": "application/json"})
    assert code == 200, out
    # An event for no message (kept for de-duplication, then purged) ...
    code, obj = fb.hook(d, fb.bounce("no-such-message", "x@example.net",
                                     id_=77))
    assert code == 200 and obj["stored"] == 1, obj
    # ... and events of a message, which stay.
    qid, msg = fb.sent_message(d, to=("r1@example.net",))
    pmid = msg["rcpts"][0]["provider_message_id"]
    code, obj = fb.hook(d, fb.delivery(pmid, "r1@example.net"))
    assert code == 200 and obj["stored"] == 1, obj
    assert len(rows(d, "SELECT 1 FROM events WHERE msg_id IS NULL")) == 1
    assert len(rows(d, "SELECT 1 FROM suppressions")) == 3

    def addresses():
        return sorted(r[0] for r in rows(d, "SELECT akey FROM suppressions"))

    sh.wait_until(lambda: addresses() == ["keep@example.net",
                                          "later@example.net"], 15,
                  what="the expired entry purged")
    sh.wait_until(lambda: not rows(
        d, "SELECT 1 FROM events WHERE msg_id IS NULL"), 15,
        what="the unmatched event purged")
    assert len(rows(d, "SELECT 1 FROM events WHERE msg_id = ?", qid)) == 1
    code, got = get(d, "/v1/messages/" + qid, key=WEB_KEY)
    assert [e["type"] for e in got["events"]] == ["delivered"], got
    assert "spool: purged 1 expired suppression(s)" in d.log_text()
    assert "and 1 unmatched event(s)" in d.log_text()
    # The purged entry is gone from memory too: the API lists the rest.
    code, out, _ = sh.http_request(d.http_url + "/v1/suppressions", "GET",
                                   None,
                                   {"Authorization": "Bearer " + WEB_KEY})
    listed = sorted(i["address"] for i in json.loads(out)["suppressions"])
    assert listed == ["keep@example.net", "later@example.net"], listed
    # A restart loads only what is left.
    d.stop()
    d.start()
    assert "suppression list: 2 entries" in sh.read_log(d.logs[-1])


def test_nothing_is_purged_before_its_time(lab):
    """The defaults (1 h, 30 days) leave a fresh unmatched event and a
    not-yet-expired entry alone; a short interval with a long retention
    too."""
    m = lab.mock()
    d = fb.daemon(lab, m, spool={"purge_interval": "200ms"})
    code, obj = fb.hook(d, fb.bounce("no-such-message", "y@example.net",
                                     id_=78))
    assert code == 200 and obj["stored"] == 1, obj
    time.sleep(1.0)
    assert len(rows(d, "SELECT 1 FROM events WHERE msg_id IS NULL")) == 1
    assert "spool: purged" not in d.log_text()
