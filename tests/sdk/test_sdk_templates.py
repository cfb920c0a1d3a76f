"""Templates through the official SDKs (issue 19): each SDK uploads a
template to swerved, sends with it, and the upstream receives the message
rendered by swerve.

- SES v2 (@aws-sdk/client-sesv2): Create/Get/Update/List/Delete,
  TestRender, SendEmail with Content.Template, SendBulkEmail with
  per-entry results (the entry's data over the defaults; a missing
  variable fails that entry alone, as INVALID_PARAMETER; malformed data
  refuses the whole request), errors as SES's exceptions (AlreadyExists,
  NotFound, BadRequest with the line of a template that does not parse).

The sdk_tmpl.js helper makes the calls; these tests judge the results.
"""

import email
import email.policy
import json
import os
import subprocess
import time

import sdk_lab as c

HERE = os.path.dirname(os.path.abspath(__file__))


def scenario(lab, name, **env):
    e = dict(os.environ, SWERVE_URL=lab.url, SDK_KEY=c.KEY,
             SDK_AKID=c.AKID, SDK_SECRET=c.SECRET)
    e.update(env)
    p = subprocess.run(["node", os.path.join(HERE, "sdk_tmpl.js"), name],
                       capture_output=True, text=True, env=e, timeout=120)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    assert lines, "sdk_tmpl %s printed nothing:\n%s" % (name, p.stderr)
    return json.loads(lines[-1])


def upstream(lab, n, timeout=20):
    """The upstream's messages once it has n, parsed, by recipient."""
    msgs = c.sh.wait_until(lambda: len(lab.mock.messages()) >= n and
                           lab.mock.messages(), timeout,
                           what="%d message(s) at the upstream" % n)
    out = {}
    for m in msgs:
        raw = lab.mock.raw(m["id"])
        out[m["rcpt_to"][0]] = email.message_from_bytes(
            raw, policy=email.policy.default)
    return out


def text(msg):
    return msg.get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_sesv2_sdk_templates_send_and_bulk(lab, npm):
    lab.start()
    r = scenario(lab, "sesv2")
    assert r["create"]["ok"], r["create"]
    assert not r["createAgain"]["ok"]
    assert r["createAgain"]["name"] == "AlreadyExistsException", r["createAgain"]
    bad = r["createBad"]
    assert not bad["ok"] and bad["name"] == "BadRequestException", bad
    assert "line 2" in bad["message"], bad
    assert r["get"]["ok"] and r["get"]["content"] == {
        "Subject": "Receipt {{order}}", "Html": "<p>Hi {{name}}</p>",
        "Text": "Hi {{name}}, order {{order}}"}, r["get"]
    assert r["update"]["ok"], r["update"]
    assert r["updateMissing"]["name"] == "NotFoundException", r["updateMissing"]
    assert r["list"]["ok"] and r["list"]["names"] == ["receipt"], r["list"]
    assert r["list"]["created"] == [True] and r["list"]["next"] is None
    rendered = r["render"]["rendered"]
    assert "Subject: Your receipt A-1" in rendered, rendered
    # SES does not escape HTML.
    assert "<p>Hi <Ann></p>" in rendered, rendered
    assert r["renderMissing"]["name"] == "BadRequestException", r["renderMissing"]
    assert "name" in r["renderMissing"]["message"]
    assert r["send"]["ok"], r["send"]
    assert r["sendMissingVar"]["name"] == "BadRequestException"
    assert r["sendNoTemplate"]["name"] == "NotFoundException", r["sendNoTemplate"]
    assert r["bulk"]["ok"], r["bulk"]
    res = r["bulk"]["results"]
    assert [x["Status"] for x in res] == [
        "SUCCESS", "INVALID_PARAMETER", "SUCCESS"], res
    assert res[0]["MessageId"] and res[2]["MessageId"]
    assert "name" in res[1]["Error"], res
    # Malformed data in one entry refuses the whole request.
    bad = r["bulkBadData"]
    assert bad["name"] == "BadRequestException", bad
    assert "BulkEmailEntries[1]" in bad["message"], bad
    assert [x["Status"] for x in r["bulkNoTemplate"]["results"]] == [
        "TEMPLATE_NOT_FOUND"], r["bulkNoTemplate"]
    assert r["delete"]["ok"], r["delete"]
    assert r["getDeleted"]["name"] == "NotFoundException", r["getDeleted"]

    got = upstream(lab, 3)
    assert set(got) == {"rcpt@example.net", "one@example.net",
                        "three@example.net"}
    assert str(got["rcpt@example.net"]["Subject"]) == "Your receipt A-2"
    assert text(got["rcpt@example.net"]).strip() == "Hi Bo, order A-2"
    # Bulk: the entry's data over the defaults.
    assert str(got["one@example.net"]["Subject"]) == "Your receipt B-0"
    assert text(got["one@example.net"]).strip() == "Hi One, order B-0"
    assert text(got["three@example.net"]).strip() == "Hi Three, order B-3"
    time.sleep(0.5)
    assert len(lab.mock.messages()) == 3
