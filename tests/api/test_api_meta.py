"""What a caller asks of a message besides its bytes (issue 13): tags and
metadata are stored with the message and shown by GET /v1/messages/ID and
swervectl show, as the "meta" object of src/spool/msg_meta.h; send_at
holds a message in the spool (state scheduled, across a kill -9) until
then; DELETE /v1/messages/ID cancels it before it is sent; sandbox stores
it as sandboxed and never delivers it; a malformed or too distant send_at
is refused naming the field."""

import json
import time

from api_client import JOBS_KEY, WEB_KEY, get, msg, post, send
from api_client import sh


def test_tags_and_metadata_are_visible_on_get_and_show(lab):
    m = lab.mock()
    d = lab.daemon(m)
    code, obj = send(d, msg(tags={"kind": "welcome", "plan": "pro"},
                            metadata={"user": 42, "deep": {"x": [1, 2]}}))[:2]
    assert code == 202, obj
    qid = obj["id"]
    sh.Api(d).wait_state(qid, ["sent"], 15)
    for key in (None, WEB_KEY):
        code, full = get(d, "/v1/messages/" + qid, key=key)
        assert code == 200, full
        assert full["meta"] == {
            "tags": [{"name": "kind", "value": "welcome"},
                     {"name": "plan", "value": "pro"}],
            "metadata": {"deep": {"x": [1, 2]}, "user": 42}}, full
    r = sh.swervectl(["-c", d.config_path, "show", qid])
    assert r.returncode == 0, r.stderr
    line = [x for x in r.stdout.splitlines() if x.startswith("meta:")]
    assert line and '"tags":[{"name":"kind","value":"welcome"}' in line[0] \
        and '"metadata":{"deep":{"x":[1,2]},"user":42}' in line[0], r.stdout
    # A message that asked nothing has an empty meta, and show prints none.
    code, obj = send(d, msg())[:2]
    assert code == 202, obj
    code, full = get(d, "/v1/messages/" + obj["id"])
    assert code == 200 and full["meta"] == {}, full
    r = sh.swervectl(["-c", d.config_path, "show", obj["id"]])
    assert r.returncode == 0 and "meta:" not in r.stdout, r.stdout


def delete(d, qid, key=None):
    """(status, parsed JSON) of DELETE /v1/messages/ID (admin key unless
    an API key is given)."""
    h = {"Authorization": "Bearer " + key} if key else dict(sh.ADMIN_AUTH)
    code, out, _ = sh.http_request(d.http_url + "/v1/messages/" + qid,
                                   "DELETE", None, h)
    return code, json.loads(out or b"null")


def scheduled(lab, subject, at, send_at=None):
    """A mock, a daemon on it, and the id of one message scheduled for at
    (unix seconds; given to the API as send_at, by default the same)."""
    m = lab.mock()
    d = lab.daemon(m)
    code, obj = send(d, msg(subject=subject,
                            send_at=at if send_at is None else send_at))[:2]
    assert code == 202, obj
    return m, d, obj["id"]


def test_scheduled_message_waits_for_send_at_then_goes(lab):
    at = int(time.time()) + 3
    m, d, qid = scheduled(lab, "later", at)
    full = get(d, "/v1/messages/" + qid)[1]
    assert full["state"] == "scheduled", full
    assert full["send_at_ms"] == at * 1000 and full["meta"]["send_at"] == at
    r = sh.swervectl(["-c", d.config_path, "queue", "--scheduled"])
    assert r.returncode == 0 and qid in r.stdout, r.stdout + r.stderr
    assert "send at" in r.stdout.splitlines()[0], r.stdout
    r = sh.swervectl(["-c", d.config_path, "show", qid])
    assert "send at:" in r.stdout and "scheduled" in r.stdout, r.stdout
    # Not before its time ...
    while time.time() < at - 0.5:
        assert m.messages() == [], "delivered before send_at"
        time.sleep(0.2)
    # ... and then without anything else waking delivery up.
    sh.Api(d).wait_state(qid, ["sent"], 15)
    assert time.time() >= at
    assert len(m.messages()) == 1
    assert get(d, "/v1/messages/" + qid)[1]["send_at_ms"] is None


def test_scheduled_message_survives_kill_9(lab):
    at = int(time.time()) + 4
    m, d, qid = scheduled(lab, "durable", at, rfc3339(at))
    d.kill9()
    d.start()
    assert get(d, "/v1/messages/" + qid)[1]["state"] == "scheduled"
    assert m.messages() == []
    sh.Api(d).wait_state(qid, ["sent"], 20)
    assert time.time() >= at
    assert len(m.messages()) == 1


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def test_cancel_before_send_never_delivers(lab):
    at = int(time.time()) + 3
    m, d, qid = scheduled(lab, "cancel me", at)
    # Another tenant's key does not see it; the send API's own key does.
    code, obj = delete(d, qid, key=JOBS_KEY)
    assert code == 404, obj
    code, obj = delete(d, qid, key=WEB_KEY)
    assert code == 200 and obj["state"] == "cancelled", obj
    assert obj["id"] == qid and obj["meta"]["send_at"] == at
    # Asking again is the same answer.
    code, obj = delete(d, qid)
    assert code == 200 and obj["state"] == "cancelled", obj
    time.sleep(at - time.time() + 2)
    assert m.messages() == []
    assert get(d, "/v1/messages/" + qid)[1]["state"] == "cancelled"
    assert sh.queue_counts(d)["cancelled"] == 1
    # A message already sent is not cancellable: 409 with its state.
    code, obj = send(d, msg(subject="now"))[:2]
    sent = obj["id"]
    sh.Api(d).wait_state(sent, ["sent"], 15)
    code, obj = delete(d, sent, key=WEB_KEY)
    assert code == 409, obj
    assert obj["error"]["code"] == "not_cancellable" and obj["state"] == "sent"
    assert delete(d, "01ABCDEFGHJKMNPQRSTV")[0] == 404
    assert delete(d, "nonsense")[0] == 404


def test_sandbox_is_validated_stored_and_never_delivered(lab):
    m = lab.mock()
    d = lab.daemon(m)
    code, obj = send(d, msg(subject="sandbox", sandbox=True,
                            tags={"t": "1"}))[:2]
    assert code == 202, obj
    qid = obj["id"]
    code, obj = send(d, msg(subject="real"))[:2]
    real = obj["id"]
    sh.Api(d).wait_state(real, ["sent"], 15)
    full = get(d, "/v1/messages/" + qid)[1]
    assert full["state"] == "sandboxed", full
    assert full["meta"] == {"sandbox": True,
                            "tags": [{"name": "t", "value": "1"}]}, full
    assert len(m.messages()) == 1
    counts = sh.queue_counts(d)
    assert counts["sandboxed"] == 1 and counts["sent"] == 1, counts
    r = sh.swervectl(["-c", d.config_path, "show", qid])
    assert "state:     sandboxed" in r.stdout, r.stdout
    # Validated exactly like a real send.
    code, obj = send(d, msg(sandbox=True, to="not an address"))[:2]
    assert code == 400 and obj["error"]["field"] == "to", obj


def test_bad_or_too_far_send_at_is_refused_naming_the_field(lab):
    d = lab.daemon(None, limits={"max_schedule_ahead": "1h"})
    for bad in ("tomorrow", "2030-02-30T00:00:00Z", -5, 1.5, True):
        code, obj = send(d, msg(send_at=bad))[:2]
        assert code == 400, (bad, obj)
        assert obj["error"]["code"] == "invalid_field", obj
        assert obj["error"]["field"] == "send_at", obj
    code, obj = send(d, msg(send_at=int(time.time()) + 7200))[:2]
    assert code == 400 and obj["error"]["field"] == "send_at", obj
    assert "max_schedule_ahead" in obj["error"]["message"], obj
    # In a batch, per item.
    code, obj = post(d, "/v1/messages/batch",
                     [msg(), msg(send_at=int(time.time()) + 7200)])[:2]
    assert code == 400, obj
    assert obj["results"][1]["error"]["field"] == "send_at", obj
    code, obj = send(d, msg(sandbox="yes"))[:2]
    assert code == 400 and obj["error"]["field"] == "sandbox", obj
    assert get(d, "/v1/messages?state=all")[1]["messages"] == []
    # Within the limit, and in a batch: scheduled.
    code, obj = post(d, "/v1/messages/batch",
                     [msg(send_at=int(time.time()) + 1800)])[:2]
    assert code == 202, obj
