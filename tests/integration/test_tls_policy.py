"""TLS policy and HTTPS: what swerved's TLS servers offer, and HTTPS on
listen.http.

sslscan (Debian package, scripts/setup-deps.sh) enumerates the protocols
and suites the SMTP STARTTLS port and the HTTPS port accept; the default
policy (Mozilla "intermediate") allows TLS 1.2 and 1.3 only, and TLS 1.2
only with forward-secret key exchange (ECDHE, DHE) and AEAD ciphers: no
static RSA, no CBC, no SHA-1. A weakened tls.ciphers shows that the scan
would notice. Then: a send through the native API over HTTPS verified
against a test CA, no clear-text fallback on the HTTPS port, and a new
certificate served after SIGHUP on both ports."""

import hashlib
import json
import re
import shutil
import signal
import socket
import ssl
import subprocess
import xml.etree.ElementTree as ET

import pytest

import swerve_harness as h

API_KEY = "tls-test-key-0123456789abcdef"
API_KEYS = [{"name": "web",
             "key_sha256": hashlib.sha256(API_KEY.encode()).hexdigest(),
             "tenant": "webt", "from_domains": ["example.com"]}]

# TLS 1.2 suites the policy allows: ECDHE/DHE key exchange, AES-GCM or
# ChaCha20-Poly1305. (TLS 1.3 suites are all AEAD and forward-secret.)
GOOD_TLS12 = re.compile(
    r"^(ECDHE-(RSA|ECDSA)|DHE-RSA)-(AES(128|256)-GCM-SHA(256|384)|"
    r"CHACHA20-POLY1305)$")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A test CA and two server certificates it signed (a and b)."""
    d = str(tmp_path_factory.mktemp("pki"))
    ca = h.make_ca(d)
    return {"ca": ca, "a": h.make_leaf(d, ca, "a"), "b": h.make_leaf(d, ca, "b")}


def need_sslscan():
    if shutil.which("sslscan") is None:
        pytest.skip("sslscan is not installed (scripts/setup-deps.sh "
                    "installs it)")


def sslscan(port, starttls=False):
    """{"protocols": {"1.2": True, ...}, "ciphers": {(version, name)}}."""
    argv = ["sslscan", "--no-colour", "--no-heartbleed", "--xml=-"]
    if starttls:
        argv.append("--starttls-smtp")
    argv.append("127.0.0.1:%d" % port)
    p = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    xml = p.stdout[p.stdout.index("<?xml"):]
    root = ET.fromstring(xml)
    test = root.find("ssltest")
    assert test is not None, p.stdout + p.stderr
    protocols = {e.get("version") if e.get("type") == "tls" else
                 "ssl" + e.get("version"): e.get("enabled") == "1"
                 for e in test.iter("protocol")}
    ciphers = {(e.get("sslversion"), e.get("cipher"))
               for e in test.iter("cipher")}
    assert protocols and ciphers, p.stdout + p.stderr
    return {"protocols": protocols, "ciphers": ciphers}


def assert_policy(scan):
    p = scan["protocols"]
    for old in ("ssl2", "ssl3", "1.0", "1.1"):
        assert not p.get(old), "protocol %s enabled: %s" % (old, p)
    assert p.get("1.2") and p.get("1.3"), p
    bad = sorted(c for v, c in scan["ciphers"]
                 if v == "TLSv1.2" and not GOOD_TLS12.match(c))
    assert not bad, "suites outside the policy: %s" % bad
    assert {v for v, _ in scan["ciphers"]} <= {"TLSv1.2", "TLSv1.3"}, scan


def https_config(pki, which="a"):
    cert, key = pki[which]
    return {"tls": {"cert": cert, "key": key},
            "https": {"cert": cert, "key": key},
            "api_keys": API_KEYS}


def https_url(d, path):
    # localhost: the name the test certificates are issued for.
    return "https://localhost:%d%s" % (d.http_port, path)


def ca_context(pki):
    return ssl.create_default_context(cafile=pki["ca"][0])


def served_cert(port, pki, starttls=False):
    """The DER certificate the server presents (verified against the CA)."""
    ctx = ca_context(pki)
    if starttls:
        c = h.SMTPConn(port)
        try:
            c.ehlo()
            assert c.cmd("STARTTLS").code == 220
            tls = ctx.wrap_socket(c.sock, server_hostname="localhost")
            der = tls.getpeercert(binary_form=True)
            tls.close()
            return der
        finally:
            c.sock.close()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname="localhost") as tls:
            return tls.getpeercert(binary_form=True)


def pem_der(path):
    with open(path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


# --- the cipher policy ------------------------------------------------------

def test_smtp_starttls_offers_only_tls12_plus_forward_secret_aead(swerve):
    need_sslscan()
    d = swerve.start()
    assert_policy(sslscan(d.smtp_port, starttls=True))


def test_https_offers_only_tls12_plus_forward_secret_aead(swerve, pki):
    need_sslscan()
    d = swerve.start(**https_config(pki))
    assert_policy(sslscan(d.http_port))


def test_weakened_ciphers_are_served_and_the_scan_sees_them(swerve):
    """tls.ciphers is honoured, and the scan above can fail: a policy that
    adds static-RSA CBC-SHA1 (AES128-SHA) is reported as such."""
    need_sslscan()
    d = swerve.start(tls={"ciphers": "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA"})
    scan = sslscan(d.smtp_port, starttls=True)
    assert ("TLSv1.2", "AES128-SHA") in scan["ciphers"], scan
    with pytest.raises(AssertionError, match="AES128-SHA"):
        assert_policy(scan)


def test_dhe_uses_the_ffdhe2048_group(swerve):
    """DHE suites use RFC 7919's ffdhe2048 (Mozilla's profile), not the
    RFC 3526 prime OpenSSL would pick by itself: the ServerKeyExchange
    carries p, whose first bytes tell the two apart."""
    d = swerve.start()
    p = subprocess.run(
        ["openssl", "s_client", "-connect", "127.0.0.1:%d" % d.smtp_port,
         "-starttls", "smtp", "-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256",
         "-msg"], input="", capture_output=True, text=True, timeout=30)
    out = p.stdout + p.stderr
    m = re.search(r"ServerKeyExchange\n((?:\s+(?:[0-9a-f]{2} ?)+\n){2})", out)
    assert m, out[-3000:]
    hexbytes = "".join(m.group(1).split())
    # 0c, 3-byte length, 2-byte length of p (256), then p.
    assert hexbytes[12:44] == "ffffffffffffffffadf85458a2bb4a9a", hexbytes


def test_min_version_13_refuses_tls12(swerve):
    d = swerve.start(tls={"min_version": "1.3"})
    ctx = ssl.create_default_context(cafile=swerve.cert)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    c = h.SMTPConn(d.smtp_port)
    try:
        c.ehlo()
        assert c.cmd("STARTTLS").code == 220
        with pytest.raises(ssl.SSLError):
            ctx.wrap_socket(c.sock, server_hostname="localhost")
    finally:
        c.sock.close()
    ctx = ssl.create_default_context(cafile=swerve.cert)
    c = h.SMTPConn(d.smtp_port)
    try:
        c.ehlo()
        assert c.cmd("STARTTLS").code == 220
        tls = ctx.wrap_socket(c.sock, server_hostname="localhost")
        assert tls.version() == "TLSv1.3"
        tls.close()
    finally:
        c.sock.close()


@pytest.mark.parametrize("tls,key,reason", [
    ({"ciphers": "NOT-A-SUITE"}, "tls.ciphers", "no usable suite"),
    ({"ciphersuites": "TLS_NOPE"}, "tls.ciphersuites", "no usable suite"),
    ({"min_version": "1.1"}, "tls.min_version", "1.2"),
])
def test_bad_policy_is_refused_at_check(swerve, tls, key, reason):
    d = swerve.daemon(tls=tls)
    d.write_config()
    r = h.run_swerved(["--check", "-c", d.config_path])
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert key in out and reason in out, out


def test_https_cert_without_key_is_refused(swerve, pki):
    d = swerve.daemon(https={"cert": pki["a"][0]})
    d.write_config()
    r = h.run_swerved(["--check", "-c", d.config_path])
    out = r.stdout + r.stderr
    assert r.returncode == 1 and "https.key" in out, out


# --- HTTPS on listen.http ---------------------------------------------------

def test_native_send_over_https_verified_by_test_ca(swerve, pki):
    d = swerve.start(**https_config(pki))
    body = json.dumps({"from": "s@example.com", "to": "r@example.net",
                       "subject": "over https", "text": "hi\n"}).encode()
    code, out, _ = h.http_request(
        https_url(d, "/v1/messages"), "POST", body,
        {"Content-Type": "application/json",
         "Authorization": "Bearer " + API_KEY}, context=ca_context(pki))
    assert code == 202, out
    qid = json.loads(out)["id"]
    assert d.spool.message(qid) is not None
    # The certificate really is checked: an unrelated CA fails.
    other = ssl.create_default_context(cafile=swerve.cert)
    with pytest.raises(Exception, match="CERTIFICATE_VERIFY_FAILED"):
        h.http_request(https_url(d, "/healthz"), context=other)


def test_https_port_never_answers_clear_text(swerve, pki):
    d = swerve.start(**https_config(pki))
    with socket.create_connection(("127.0.0.1", d.http_port), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(5)
        got = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
        except (socket.timeout, ConnectionResetError):
            pass
    assert b"HTTP/1." not in got and b"status" not in got, got
    # ...and the daemon still serves HTTPS afterwards.
    code, out, _ = h.http_request(https_url(d, "/healthz"),
                                  context=ca_context(pki))
    assert code == 200, out


def test_sighup_serves_the_renewed_certificate(swerve, pki, tmp_path):
    """Certificate files replaced in place, then SIGHUP: new connections
    on both ports get the new certificate, without a restart."""
    cert, key = str(tmp_path / "live.pem"), str(tmp_path / "live.key")
    shutil.copy(pki["a"][0], cert)
    shutil.copy(pki["a"][1], key)
    d = swerve.start(tls={"cert": cert, "key": key},
                     https={"cert": cert, "key": key}, api_keys=API_KEYS)
    a, b = pem_der(pki["a"][0]), pem_der(pki["b"][0])
    assert served_cert(d.http_port, pki) == a
    assert served_cert(d.smtp_port, pki, starttls=True) == a
    shutil.copy(pki["b"][0], cert)
    shutil.copy(pki["b"][1], key)
    d.proc.send_signal(signal.SIGHUP)
    assert d.wait_log(r"configuration reloaded")
    assert served_cert(d.http_port, pki) == b
    assert served_cert(d.smtp_port, pki, starttls=True) == b


def test_sighup_with_a_broken_key_keeps_the_running_certificate(swerve, pki,
                                                                 tmp_path):
    cert, key = str(tmp_path / "live.pem"), str(tmp_path / "live.key")
    shutil.copy(pki["a"][0], cert)
    shutil.copy(pki["a"][1], key)
    d = swerve.start(tls={"cert": cert, "key": key},
                     https={"cert": cert, "key": key}, api_keys=API_KEYS)
    shutil.copy(pki["b"][0], cert)  # b's certificate with a's key
    d.proc.send_signal(signal.SIGHUP)
    assert d.wait_log(r"reload refused[^\n]*(key does not match|mismatch)")
    a = pem_der(pki["a"][0])
    assert served_cert(d.http_port, pki) == a
    assert served_cert(d.smtp_port, pki, starttls=True) == a


def test_sighup_cannot_switch_https_off(swerve, pki):
    d = swerve.start(**https_config(pki))
    del d.config["https"]
    d.write_config()
    d.proc.send_signal(signal.SIGHUP)
    assert d.wait_log(r"reload refused[^\n]*needs a restart")
    code, _, _ = h.http_request(https_url(d, "/healthz"),
                                context=ca_context(pki))
    assert code == 200


def test_swervectl_reaches_an_https_daemon_through_its_config(swerve, pki):
    """swervectl -c with https.cert speaks HTTPS and pins the key of the
    certificate file the daemon serves; a daemon serving another key is
    refused."""
    d = swerve.start(**https_config(pki))
    assert h.queue_counts(d)["ready"] == 0
    # The same config, but naming certificate b: the pin does not match.
    other = dict(d.config, https={"cert": pki["b"][0], "key": pki["b"][1]})
    path = d.config_path + ".other"
    with open(path, "w") as f:
        f.write(h.to_yaml(other))
    r = h.swervectl(["-c", path, "--json", "status"])
    assert r.returncode != 0, r.stdout
    assert "https://" in r.stderr and "pin" in r.stderr.lower(), r.stderr


def test_https_admin_serves_the_admin_plane_over_https(swerve, pki):
    """https.admin: listen.admin speaks HTTPS with the same certificate;
    swervectl -c reaches it (pinned); without https.admin it stays plain."""
    listen = dict(h.listen_config(), admin="127.0.0.1:%d" % h.free_port())
    d = swerve.start(listen=listen, https=dict(https_config(pki)["https"],
                                               admin=True),
                     tls=https_config(pki)["tls"], api_keys=API_KEYS)
    port = int(listen["admin"].rsplit(":", 1)[1])
    assert served_cert(port, pki) == pem_der(pki["a"][0])
    code, _, _ = h.http_request("https://localhost:%d/healthz" % port,
                                context=ca_context(pki))
    assert code == 200
    assert h.queue_counts(d)["ready"] == 0
    listen = dict(h.listen_config(), admin="127.0.0.1:%d" % h.free_port())
    d = swerve.start(listen=listen, **https_config(pki))
    port = int(listen["admin"].rsplit(":", 1)[1])
    code, _, _ = h.http_request("http://127.0.0.1:%d/healthz" % port)
    assert code == 200
    assert h.queue_counts(d)["ready"] == 0


def test_https_admin_needs_a_certificate(swerve):
    d = swerve.daemon(https={"admin": True})
    d.write_config()
    r = h.run_swerved(["--check", "-c", d.config_path])
    out = r.stdout + r.stderr
    assert r.returncode == 1 and "https.admin" in out, out
