"""test_delivery_tls_auth - STARTTLS and AUTH towards the provider.

swerve-mocks with a self-signed certificate and required credentials:
wrong credentials are a config fault, a server without STARTTLS (when
tls: starttls is asked) and a certificate that does not verify are
transient; each fails over at once, and the provider with TLS + the right
credentials gets the message.
"""

import delivery_helpers as dh
from delivery_helpers import sh


def test_starttls_auth_chain(lab, tmp_path):
    cert, key = sh.make_cert(str(tmp_path))
    tls_args = ["--tls-cert", cert, "--tls-key", key]
    wrong = lab.mock("wrong-pass", extra=tls_args + ["--auth", "app:right"])
    plain = lab.mock("no-starttls")
    unverified = lab.mock("unverified", extra=tls_args)
    good = lab.mock("good", extra=tls_args + ["--auth", "app:s3cret"])
    tls = dict(tls="starttls", tls_verify=False)
    provs = [
        dh.provider("wrong-pass", wrong.smtp_port, 1, username="app",
                    password="badpass1", **tls),
        dh.provider("no-starttls", plain.smtp_port, 2, **tls),
        dh.provider("unverified", unverified.smtp_port, 3, tls="starttls",
                    tls_verify=True),
        dh.provider("good", good.smtp_port, 4, username="app", password="s3cret", **tls),
    ]
    d = lab.daemon(provs)
    api = dh.Api(d)
    msg = sh.message(subject="tls", body=b".dot line\r\nsecret body\r\n")
    qid = dh.submit(d, "alice@example.com", ["t@example.net"], msg)
    m = api.wait_state(qid, ("sent", "failed"), 15)
    assert m["state"] == "sent", m
    got = [(a["provider"], a["result"]) for a in m["attempts_detail"]]
    assert got == [("wrong-pass", "config"), ("no-starttls", "deferred"),
                   ("unverified", "deferred"), ("good", "accepted")], m
    assert good.stats()["auth_accepted"] == 1
    assert wrong.stats()["auth_rejected"] >= 1
    assert plain.messages() == [] and unverified.messages() == [] and wrong.messages() == []
    stored = good.messages()
    assert len(stored) == 1
    assert good.raw(stored[0]["id"]) == d.spool.body(qid)
    # the password never shows in the log or the API
    shown = sh.swervectl(["-c", d.config_path, "show", qid]).stdout
    for secret in ("s3cret", "badpass1"):
        assert secret not in d.log_text()
        assert secret not in str(api.status()) and secret not in str(api.message(qid))
        assert secret not in shown
