"""/healthz and /readyz: the process answers; mail can flow end to end.

/readyz is 200 only when the spool takes new mail and at least one
provider can take a message now; otherwise 503 with a reason that names
what is wrong (the spool, or each provider's state).
"""

import delivery_helpers as dh
from delivery_helpers import sh

SENDER = "alice@example.com"


def get(d, path):
    return d.admin_json(path)


def test_ready_with_a_healthy_provider(lab):
    p = lab.mock("primary")
    d = lab.daemon([dh.provider("primary", p.smtp_port, 1)])
    assert get(d, "/healthz") == (200, {"status": "ok"})
    code, obj = get(d, "/readyz")
    assert code == 200 and obj == {"ready": True}, (code, obj)


def test_not_ready_while_the_only_provider_cools(lab):
    p = lab.mock("primary", "refuse")
    d = lab.daemon([dh.provider("primary", p.smtp_port, 1)])
    api = dh.Api(d)
    for i in range(3):
        dh.submit(d, SENDER, ["r%d@example.net" % i], sh.message())
    dh.wait_until(lambda: api.status()["providers"][0]["state"] == "open",
                  10, what="primary open")
    code, obj = get(d, "/readyz")
    assert code == 503 and obj["ready"] is False, (code, obj)
    assert "primary open" in obj["reason"], obj
    assert "retry in" in obj["reason"], obj
    # The process itself is fine.
    assert get(d, "/healthz")[0] == 200


def test_not_ready_without_providers_or_space(lab):
    d = lab.daemon([])
    code, obj = get(d, "/readyz")
    assert code == 503 and "no provider configured" in obj["reason"], obj
    p = lab.mock("primary")
    full = lab.daemon([dh.provider("primary", p.smtp_port, 1)],
                      spool={"min_free": "1000TB"})
    code, obj = get(full, "/readyz")
    assert code == 503 and obj["reason"].startswith("spool:"), obj


def test_metrics_in_prometheus_text_format(lab):
    p = lab.mock("primary")
    d = lab.daemon([dh.provider("primary", p.smtp_port, 1)])
    api = dh.Api(d)
    qid = dh.submit(d, SENDER, ["m@example.net"], sh.message())
    api.wait_state(qid, "sent", 10)
    code, body = get(d, "/metrics")
    assert code == 200
    text = body.decode()
    samples = {}
    for line in text.splitlines():
        if line.startswith("#"):
            assert line.startswith(("# HELP ", "# TYPE ")), line
            continue
        name, value = line.rsplit(" ", 1)
        samples[name] = float(value)
    assert samples['swerve_messages_accepted_total{ingress="smtp"}'] == 1
    assert samples["swerve_messages_delivered_total"] == 1
    assert samples['swerve_queue_messages{state="sent"}'] == 1
    assert samples['swerve_provider_state{provider="primary",state="closed"}'] == 1
    assert samples['swerve_provider_attempts_total{provider="primary",result="ok"}'] == 1
    assert samples["swerve_spool_committed_messages_total"] >= 1
    assert samples["process_resident_memory_bytes"] > 1e6
    assert samples["process_open_fds"] > 3
    # Bounded labels only: no message ids or addresses.
    assert qid not in text and "m@example.net" not in text
