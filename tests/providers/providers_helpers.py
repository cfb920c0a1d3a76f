"""providers_helpers - what the provider tests share besides the lab
fixture: credentials swerve-mock accepts by default and a provider entry
of an HTTP type. A module of its own (not conftest) so that test modules
can import it by a name no other test directory uses.
"""

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
KEYS = {"sendgrid": "SG.mock-sendgrid-key", "mailgun": "key-mock-mailgun",
        "postmark": "mock-postmark-server-token", "resend": "re_mock_resend_key"}
HTTP_TYPES = ("ses", "sendgrid", "mailgun", "postmark", "resend")


def http_provider(name, type_, endpoint, priority=1, **kw):
    """A provider entry of an HTTP type pointed at endpoint (a base URL)."""
    p = {"name": name, "type": type_, "endpoint": endpoint,
         "priority": priority, "connect_timeout": "2s",
         "request_timeout": "3s", "max_connections": 4}
    if type_ == "ses":
        p.update(access_key_id=AKID, secret_access_key=SECRET,
                 region="us-east-1")
    else:
        p["api_key"] = KEYS[type_]
    if type_ == "mailgun":
        p["domain"] = "mg.test"
    p.update(kw)
    return p
