"""GET /v1/readiness and `swervectl readiness` on a live swerved: the
matrix is served to an admin key only, read-only; a sender domain that
was sent from is listed with every provider, unknown until checked (readiness.interval
is 0 by default: checks run on demand, tests/readiness/test_readiness_e2e.py)."""

import json

import swerve_harness as sh

MSG = (b"From: a@example.com\r\nTo: b@example.net\r\nSubject: hi\r\n\r\n"
       b"hello\r\n")


def test_readiness_matrix_lists_sent_domains_for_admins(lab):
    primary, backup = lab.mock("primary"), lab.mock("backup")
    d = lab.daemon([sh.provider("primary", primary.smtp_port, 1),
                    sh.provider("backup", backup.smtp_port, 2)])
    code, obj = d.admin_json("/v1/readiness")
    assert code == 200, obj
    assert obj == {"entries": [], "checking": 0}
    out = sh.swervectl(["-c", d.config_path, "readiness"])
    assert out.returncode == 0, out.stderr
    assert "nothing known yet" in out.stdout, out.stdout

    sh.submit(d, "a@Example.COM", ["b@example.net"], MSG)
    sh.wait_until(lambda: len(d.admin_json("/v1/readiness")[1]["entries"])
                  == 2, 15, what="example.com in the readiness matrix")
    entries = d.admin_json("/v1/readiness")[1]["entries"]
    assert sorted(e["provider"] for e in entries) == ["backup", "primary"]
    for e in entries:
        assert e["domain"] == "example.com", e
        assert e["verdict"] == "unknown", e
        assert "not checked yet" in e["reason"], e
        assert e["dns"] == {"spf": "unknown", "dkim": "unknown",
                            "dmarc": "unknown", "return_path": "unknown"}
    out = sh.swervectl(["-c", d.config_path, "readiness"])
    assert out.returncode == 0, out.stderr
    assert "example.com" in out.stdout and "unknown" in out.stdout, out.stdout
    out = sh.swervectl(["-c", d.config_path, "--json", "readiness"])
    assert out.returncode == 0, out.stderr
    assert len(json.loads(out.stdout)["entries"]) == 2

    # no key: refused; another method: 405
    code, _ = sh.http_json(d.admin_url + "/v1/readiness")
    assert code == 401
    code, _ = d.admin_json("/v1/readiness", method="POST", body=b"{}")
    assert code == 405
