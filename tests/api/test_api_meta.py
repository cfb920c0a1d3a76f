"""What a caller asks of a message besides its bytes (issue 13): tags and
metadata are stored with the message and shown by GET /v1/messages/ID and
swervectl show, as the "meta" object of src/spool/msg_meta.h."""

from api_client import WEB_KEY, get, msg, send
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
