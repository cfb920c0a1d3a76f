"""The field matrix in docs/drop-in.md is true (issue 13: no silent drops).

For each emulated endpoint docs/drop-in.md has one table after a marker
line `<!-- fields: ENDPOINT -->`, header `| Field | Outcome | Notes |`,
one row per documented request field (tests/lib/esp_fields.py says where
the lists of documented fields come from). Two tests per endpoint:

  test_matrix_names_every_documented_field
      every documented field has a row (its own, or one naming an object
      or array it lies in); every row names a documented field; every
      outcome is one of honoured, carried, refused, not applied.
  test_matrix_rows_hold
      one request per row, through swerved's real endpoint, setting that
      field on a minimal valid request (a unique marker where the field
      is free text), and the outcome checked:
        refused      the ESP's own error shape, the field named in the
                     message, nothing queued;
        honoured     2xx, and the marker observable: in what swerve-mock
                     (the upstream, over SMTP) received, or in
                     GET /v1/messages/ID; unless EXPECT below says how
                     else the field is honoured (sandbox: never delivered,
                     recorded as sandboxed; a send time: held);
        carried      2xx, and the marker at the upstream (its relay has a
                     meta_header, so an SMTP egress can carry meta too);
        not applied  2xx, through a relay without meta_header: "not
                     applied" recorded on the message, naming nothing
                     but analytics (ip_pool, track_opens, track_clicks),
                     or a "not applied" entry in its meta.
      Every row is tried; the test fails listing each row that did not
      hold and why.

An endpoint whose marker is not in docs/drop-in.md yet is skipped, with
the reason (pytest -rs prints it). SWERVE_MATRIX_DOC=path checks another
copy of the page (to try a table before it lands).
"""

import base64
import copy
import email
import email.policy
import email.utils
import hashlib
import json
import os
import re
import time
import urllib.parse

import pytest

import esp_fields
import swerve_harness as sh

DOC = os.environ.get("SWERVE_MATRIX_DOC") or os.path.join(sh.REPO, "docs",
                                                        "drop-in.md")
OUTCOMES = ("honoured", "carried", "refused", "not applied")

KEY = "matrix-key-0123456789abcdef"
AKID = "AKIDSWERVEMATRIX0001"
SECRET = "matrixSecretKey/K7MDENG+bPxRfiCYEXAMPLE"
FROM = "app@example.com"
TO = "rcpt@example.net"
MATRIX_TEMPLATE = "tmatrix"


# --- the tables ----------------------------------------------------------------

def parse_matrix(text):
    """{endpoint: [(field, outcome, notes, line number)]} of every table
    after a `<!-- fields: ENDPOINT -->` marker; problems as a list."""
    tables, problems = {}, []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^\s*<!--\s*fields:\s*(.+?)\s*-->\s*$", lines[i])
        i += 1
        if not m:
            continue
        endpoint = m.group(1)
        if endpoint not in esp_fields.ENDPOINTS:
            problems.append("line %d: unknown endpoint %r" % (i, endpoint))
            continue
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i >= len(lines) or not re.match(
                r"^\|\s*Field\s*\|\s*Outcome\s*\|\s*Notes\s*\|\s*$", lines[i]):
            problems.append("line %d: %s: the table header must be exactly "
                            "'| Field | Outcome | Notes |'" % (i + 1, endpoint))
            continue
        i += 2  # header and separator
        rows = tables.setdefault(endpoint, [])
        while i < len(lines) and lines[i].lstrip().startswith("|"):
            cells = [c.strip() for c in _cells(lines[i])]
            if len(cells) < 3:
                problems.append("line %d: %s: expected 3 cells" % (i + 1, endpoint))
            else:
                names = re.findall(r"`([^`]+)`", cells[0])
                if not names:
                    problems.append("line %d: %s: no `field` in %r"
                                    % (i + 1, endpoint, cells[0]))
                outcome = re.sub(r"[*_]", "", cells[1]).strip().lower()
                for name in names:
                    rows.append((name, outcome, cells[2], i + 1))
            i += 1
    return tables, problems


def _cells(line):
    """The cells of a table row; a | inside backticks or escaped stays."""
    out, cur, tick = [], "", False
    s = line.strip().strip("|") if line.strip().endswith("|") else line.strip()[1:]
    j = 0
    while j < len(s):
        ch = s[j]
        if ch == "\\" and j + 1 < len(s) and s[j + 1] == "|":
            cur += "|"
            j += 2
            continue
        if ch == "`":
            tick = not tick
        if ch == "|" and not tick:
            out.append(cur)
            cur = ""
        else:
            cur += ch
        j += 1
    out.append(cur)
    return out


def load_matrix():
    with open(DOC, encoding="utf-8") as f:
        return parse_matrix(f.read())


# Placeholders of the documentation for "any such parameter" (Mailgun's
# h:X-My-Header, v:my-var): a row naming any h: / v: parameter is a row
# for that documented field.
PATTERNS = {"mailgun messages": {"h:": "h:X-My-Header", "v:": "v:my-var"},
            "mailgun messages.mime": {"h:": "h:X-My-Header", "v:": "v:my-var"}}
BATCH = ("postmark email/batch", "resend emails/batch")


def documented(endpoint, row_field):
    """The documented field a row names (the row's own name for pattern
    parameters), or None."""
    known = {f for f, _ in esp_fields.documented_fields(endpoint)}
    f = row_field
    if endpoint in BATCH and f.startswith("[]."):
        f = f[3:]
    if f in known:
        return f
    for prefix, placeholder in PATTERNS.get(endpoint, {}).items():
        if f.startswith(prefix) and len(f) > len(prefix):
            return placeholder
    return None


def leaves(fields):
    names = [f for f, _ in fields]
    return [f for f in names
            if not any(o != f and (o.startswith(f + ".") or o.startswith(f + "["))
                       for o in names)]


def covered_by(leaf, row_fields):
    for r in row_fields:
        if leaf == r or leaf.startswith(r + ".") or leaf.startswith(r + "["):
            return True
    return False


def matrix_or_skip(endpoint):
    tables, problems = load_matrix()
    if endpoint not in tables:
        pytest.skip("docs/drop-in.md has no `<!-- fields: %s -->` table yet"
                    % endpoint)
    return tables[endpoint], problems


@pytest.mark.parametrize("endpoint", esp_fields.ENDPOINTS)
def test_matrix_names_every_documented_field(endpoint):
    rows, problems = matrix_or_skip(endpoint)
    problems = list(problems)
    fields = esp_fields.documented_fields(endpoint)
    assert fields, "no documented fields for %s" % endpoint
    named = []
    for field, outcome, _notes, line in rows:
        doc = documented(endpoint, field)
        if doc is None:
            problems.append("line %d: `%s` is not a documented field of %s"
                            % (line, field, endpoint))
        else:
            named.append(doc)
        if outcome not in OUTCOMES:
            problems.append("line %d: `%s`: outcome %r is not one of %s"
                            % (line, field, outcome, ", ".join(OUTCOMES)))
    for leaf in leaves(fields):
        if not covered_by(leaf, named):
            problems.append("%s: documented field `%s` has no row"
                            % (endpoint, leaf))
    assert not problems, "\n".join(problems)


def test_matrix_parser_finds_rows_and_problems():
    """The parser itself: a table is read, and each kind of mistake is
    reported (so the tests above can fail)."""
    text = ("<!-- fields: resend emails -->\n\n| Field | Outcome | Notes |\n"
            "| --- | --- | --- |\n| `from` | honoured | x |\n"
            "| `tags[].name` | **carried** | a \\| b |\n"
            "<!-- fields: resend nothing -->\n"
            "<!-- fields: postmark email -->\n| Field | Outcome |\n")
    tables, problems = parse_matrix(text)
    assert tables["resend emails"] == [("from", "honoured", "x", 5),
                                       ("tags[].name", "carried", "a | b", 6)]
    assert len(problems) == 2, problems
    assert documented("resend emails", "tags[].name") == "tags[].name"
    assert documented("resend emails", "nope") is None
    assert documented("resend emails/batch", "[].from") == "from"
    assert documented("mailgun messages", "h:Reply-To") == "h:X-My-Header"
    assert covered_by("tags[].name", ["tags"])
    assert not covered_by("tags[].name", ["tag"])


# --- requests ------------------------------------------------------------------

def marker():
    return "mx" + os.urandom(5).hex()


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode()


def mime_message(m, sender=FROM, to=TO):
    return ("From: <%s>\r\nTo: <%s>\r\nSubject: matrix %s\r\n"
            "Message-ID: <%s@client.test>\r\nDate: %s\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "\r\nbody %s\r\n" % (sender, to, m, m,
                                 email.utils.formatdate(usegmt=True), m)).encode()


FROM_NAMES = {"from", "source", "fromemailaddress", "returnpath",
              "feedbackforwardingemailaddress"}
ADDR_NAMES = {"to", "cc", "bcc", "reply_to", "replyto", "email", "toaddresses",
              "ccaddresses", "bccaddresses", "replytoaddresses", "destinations",
              "o:archive-to"}


def _leaf_name(path):
    parts = [p for p in re.split(r"[.\[\]]+", path)
             if p and p not in ("member", "N")]
    return parts[-1] if parts else path


def generic_value(path, typ, m):
    """(value, observable) for a field nobody described: an address, a
    flag, a number, a small object, or the marker itself."""
    name = _leaf_name(path).lower()
    parent = _leaf_name(path.rsplit(".", 1)[0]).lower() if "." in path else ""
    if name == "email" and parent == "from" or name in FROM_NAMES:
        return m + "@example.com", m
    if name in ADDR_NAMES or name == "email":
        return m + "@example.net", m
    if name.endswith("arn"):
        return "arn:aws:ses:us-east-1:123456789012:identity/example.com", None
    if name == "charset":
        return "UTF-8", None
    if typ == "boolean":
        return True, None
    if typ in ("integer", "number", "double", "long"):
        return 1, None
    if typ == "blob":
        return b64("blob " + m), m
    if typ in ("object", "map"):
        return {"X-Matrix" if "header" in name else "k": m}, m
    return m, m


class Req:
    """One request under construction for one endpoint: body (dict, list,
    or [(name, value)] for forms), files (form file parts), and what to
    look for afterwards."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.files = []
        self.body = BASES[endpoint]()

    @property
    def item(self):
        """The message object fields apply to (a batch's first item)."""
        return self.body[0] if self.endpoint in BATCH else self.body


def _json_set(obj, path, value, groups):
    """Set a dotted path with [] for "first element" in obj, creating
    objects (from groups' defaults where given) on the way."""
    toks = path.split(".")
    cur, prefix = obj, ""
    for k, tok in enumerate(toks):
        is_list = tok.endswith("[]")
        key = tok[:-2] if is_list else tok
        prefix = (prefix + "." if prefix else "") + key
        last = k == len(toks) - 1
        if last and not is_list:
            cur[key] = value
            return
        if last and is_list:
            cur[key] = [value]
            return
        if is_list:
            if not isinstance(cur.get(key), list) or not cur[key]:
                cur[key] = [copy.deepcopy(groups.get(prefix + "[]", {}))]
            cur = cur[key][0]
            prefix += "[]"
        else:
            if not isinstance(cur.get(key), dict):
                cur[key] = copy.deepcopy(groups.get(prefix, {}))
            cur = cur[key]


def _query_set(params, path, value, groups):
    """SES v1 Query: Tags.member.N.Name -> Tags.member.1.Name (with the
    group's sibling defaults)."""
    def nth(p, j=1):
        return re.sub(r"\.N(?=\.|$)", ".%d" % j, p)
    for g, defaults in groups.items():
        if path.startswith(g + "."):
            for k, v in defaults.items():
                params.setdefault(nth(g) + "." + k, v)
    if isinstance(value, list):
        for j, v in enumerate(value, 1):
            params[nth(path, j)] = v
    else:
        params[nth(path)] = value


def _form_set(req, path, value):
    if path in ("attachment", "inline", "message"):
        req.files.append(value)
        return
    req.body = [(n, v) for n, v in req.body if n != path] + [(path, value)]


# Defaults for objects a field lies in (so one field can be set alone).
GROUPS = {
    "sendgrid mail/send": {
        "attachments[]": {"content": b64("hello"), "filename": "a.txt",
                          "type": "text/plain"},
        "mail_settings.footer": {"enable": True},
        "mail_settings.sandbox_mode": {"enable": True},
        "tracking_settings.click_tracking": {"enable": True},
        "tracking_settings.open_tracking": {"enable": True},
        "tracking_settings.subscription_tracking": {"enable": True},
        "tracking_settings.ganalytics": {"enable": True},
        "asm": {"group_id": 1},
        "reply_to_list[]": {"email": "r1@example.net"},
        "personalizations[].cc[]": {"email": "cc@example.net"},
        "personalizations[].bcc[]": {"email": "bcc@example.net"},
        "personalizations[].from": {"email": "pfrom@example.com"},
        "reply_to": {"email": "rt@example.net"},
        "from": {"email": FROM},
    },
    "postmark email": {
        "Headers[]": {"Name": "X-Matrix", "Value": "v"},
        "Attachments[]": {"Name": "a.txt", "Content": b64("hello"),
                          "ContentType": "text/plain"},
    },
    "resend emails": {
        "attachments[]": {"filename": "a.txt", "content": b64("hello")},
        "tags[]": {"name": "t", "value": "v"},
        "template": {"id": "tmpl"},
    },
    "ses-v2 SendEmail": {
        "Content.Simple.Headers[]": {"Name": "X-Matrix", "Value": "v"},
        "Content.Simple.Attachments[]": {"FileName": "a.txt",
                                         "RawContent": b64("hello")},
        "Content.Template.Headers[]": {"Name": "X-Matrix", "Value": "v"},
        "Content.Template.Attachments[]": {"FileName": "a.txt",
                                           "RawContent": b64("hello")},
        "EmailTags[]": {"Name": "t", "Value": "v"},
        "Content.Simple.Body.Html": {"Data": "<p>html</p>"},
    },
    "ses-v1 SendEmail": {
        "Tags.member.N": {"Name": "t", "Value": "v"},
        "Message.Body.Html": {"Data": "<p>html</p>"},
    },
    "ses-v1 SendRawEmail": {"Tags.member.N": {"Name": "t", "Value": "v"}},
}
GROUPS["postmark email/batch"] = GROUPS["postmark email"]
GROUPS["resend emails/batch"] = GROUPS["resend emails"]


def _future(seconds=3600):
    return int(time.time()) + seconds


def _footer(req, m):
    req.body["mail_settings"] = {"footer": {"enable": True, "text": m}}
    return m


def _sg_substitutions(req, m):
    req.body["content"][0]["value"] += " -mxsub-"
    req.body["personalizations"][0]["substitutions"] = {"-mxsub-": m}
    return m


def _sg_template(req, m):
    """A dynamic template: the one MatrixLab stored, the marker in the
    personalization's dynamic_template_data; no content."""
    del req.body["content"]
    req.body["template_id"] = MATRIX_TEMPLATE
    req.body["personalizations"][0]["dynamic_template_data"] = {"m": m}
    return m


def _mg_template(req, m):
    """Mailgun's template: the one MatrixLab stored, the marker in
    t:variables; no text."""
    if req.endpoint == "mailgun messages.mime":
        _form_set(req, "template", MATRIX_TEMPLATE)
        return m
    req.body = [(n, v) for n, v in req.body if n != "text"]
    _form_set(req, "template", MATRIX_TEMPLATE)
    _form_set(req, "t:variables", json.dumps({"m": m}))
    return m


def _sg_footer_html(req, m):
    """The HTML footer goes into HTML content: give the message some."""
    req.body["content"].append({"type": "text/html", "value": "<p>base</p>"})
    req.body["mail_settings"] = {"footer": {"enable": True,
                                            "html": "<i>%s</i>" % m}}
    return m


def _v2_raw(req, m):
    req.body["Content"] = {"Raw": {"Data": b64(mime_message(m))}}
    return m


def _v2_template(field):
    """A Content.Template row: the template MatrixLab stored, rendered
    with the marker (so TemplateName and TemplateData are seen at the
    upstream), the row's field set beside them."""
    def f(req, m):
        t = {"TemplateName": MATRIX_TEMPLATE,
             "TemplateData": json.dumps({"m": m})}
        if field not in ("TemplateName", "TemplateData"):
            _json_set(t, field, generic_value(field, "string", m)[0],
                      {k[len("Content.Template."):]: v
                       for k, v in GROUPS["ses-v2 SendEmail"].items()
                       if k.startswith("Content.Template.")})
        req.body["Content"] = {"Template": t}
        return m if field in ("TemplateName", "TemplateData") else None
    return f


# Fields whose value must be more than the generic one: functions
# (req, marker) -> what to look for (None: nothing).
def _set(path, value, observable=None):
    def f(req, m):
        _put(req, path, value(m) if callable(value) else value)
        return observable(m) if callable(observable) else observable
    return f


def _put(req, path, value):
    """Set one field of req, the way its endpoint's body is shaped."""
    if req.endpoint.startswith("mailgun"):
        _form_set(req, path, value)
    elif req.endpoint.startswith("ses-v1"):
        _query_set(req.body, path, value, GROUPS.get(req.endpoint, {}))
    else:
        _json_set(req.item, path, value, GROUPS.get(req.endpoint, {}))


def _mk(m):
    return m


def _mailgun_batch(req, m):
    """recipient-variables with a text that uses the variable (on
    /messages; messages.mime has no text field)."""
    _put(req, "recipient-variables", json.dumps({TO: {"k": m}}))
    if req.endpoint == "mailgun messages":
        _put(req, "text", "batch %recipient.k%")
    return m


def _inline(group, cid, disposition, inline):
    """A content id (the marker) on an inline part."""
    def f(req, m):
        _put(req, group + "." + disposition, inline)
        _put(req, group + "." + cid, m)
        return m
    return f


SPECIAL = {
    "sendgrid mail/send": {
        "send_at": _set("send_at", lambda m: _future()),
        "personalizations[].send_at": _set("personalizations[].send_at",
                                           lambda m: _future()),
        "batch_id": _set("batch_id", lambda m: "b" + m, _mk),
        "personalizations[].substitutions": _sg_substitutions,
        "mail_settings.footer.html": _sg_footer_html,
        "content[].type": _set("content[].type", "text/html", "text/html"),
        "mail_settings.footer.enable": _footer,
        "content[].value": _set("content[].value", _mk, _mk),
        "attachments[].content": _set("attachments[].content",
                                      lambda m: b64("att " + m), _mk),
        "attachments[].type": _set("attachments[].type", "text/csv", "text/csv"),
        "attachments[].disposition": _set("attachments[].disposition", "attachment"),
        "attachments[].content_id": _inline("attachments[]", "content_id",
                                            "disposition", "inline"),
        "attachments[].filename": _set("attachments[].filename",
                                       lambda m: m + ".txt", _mk),
        "custom_args": _set("custom_args", lambda m: {"k": m}, _mk),
        "template_id": _sg_template,
        "personalizations[].dynamic_template_data": _sg_template,
        "asm.groups_to_display[]": _set("asm.groups_to_display[]", 1),
        "tracking_settings.open_tracking.substitution_tag":
            _set("tracking_settings.open_tracking.substitution_tag", "%open%"),
        "tracking_settings.subscription_tracking.substitution_tag":
            _set("tracking_settings.subscription_tracking.substitution_tag",
                 "%unsub%"),
    },
    "postmark email": {
        "TrackLinks": _set("TrackLinks", "HtmlAndText"),
        "Attachments[].Content": _set("Attachments[].Content",
                                      lambda m: b64("att " + m), _mk),
        "Attachments[].ContentType": _set("Attachments[].ContentType", "text/csv",
                                          "text/csv"),
        "Attachments[].Name": _set("Attachments[].Name", lambda m: m + ".txt", _mk),
        "Attachments[].ContentID": _set("Attachments[].ContentID",
                                        lambda m: "cid:" + m, _mk),
        "Headers[].Name": _set("Headers[].Name", lambda m: "X-" + m, _mk),
        "HtmlBody": _set("HtmlBody", lambda m: "<p>%s</p>" % m, _mk),
    },
    "resend emails": {
        "scheduled_at": _set("scheduled_at", lambda m: time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime(_future()))),
        "attachments[].content": _set("attachments[].content",
                                      lambda m: b64("att " + m), _mk),
        "attachments[].filename": _set("attachments[].filename",
                                       lambda m: m + ".txt", _mk),
        "attachments[].content_type": _set("attachments[].content_type",
                                           "text/csv", "text/csv"),
        "attachments[].path": _set("attachments[].path",
                                   lambda m: "https://files.example/%s.txt" % m),
        "tags[].name": _set("tags[].name", _mk, _mk),
        "html": _set("html", lambda m: "<p>%s</p>" % m, _mk),
    },
    "ses-v2 SendEmail": {
        "Content.Raw.Data": _v2_raw,
        "Content.Raw": _v2_raw,
        "Content.Simple.Attachments[].ContentDisposition":
            _set("Content.Simple.Attachments[].ContentDisposition", "ATTACHMENT"),
        "Content.Simple.Attachments[].ContentTransferEncoding":
            _set("Content.Simple.Attachments[].ContentTransferEncoding", "BASE64"),
        "Content.Simple.Attachments[].ContentType":
            _set("Content.Simple.Attachments[].ContentType", "text/csv",
                 "text/csv"),
        "Content.Simple.Attachments[].RawContent":
            _set("Content.Simple.Attachments[].RawContent",
                 lambda m: b64("att " + m), _mk),
        "Content.Simple.Attachments[].FileName":
            _set("Content.Simple.Attachments[].FileName", lambda m: m + ".txt", _mk),
        "Content.Simple.Headers[].Name": _set("Content.Simple.Headers[].Name",
                                              lambda m: "X-" + m, _mk),
        "ConfigurationOverrides.Tracking.OpenTrackingEnabled":
            _set("ConfigurationOverrides.Tracking.OpenTrackingEnabled", "ENABLED"),
        "ConfigurationOverrides.Tracking.ClickTrackingEnabled":
            _set("ConfigurationOverrides.Tracking.ClickTrackingEnabled", "ENABLED"),
        "Content.Simple.Attachments[].ContentId": _inline(
            "Content.Simple.Attachments[]", "ContentId", "ContentDisposition",
            "INLINE"),
        "EmailTags[].Name": _set("EmailTags[].Name", _mk, _mk),
    },
    "ses-v1 SendEmail": {
        "Tags.member.N.Name": _set("Tags.member.N.Name", _mk, _mk),
    },
    "ses-v1 SendRawEmail": {
        "RawMessage.Data": _set("RawMessage.Data",
                                lambda m: b64(mime_message(m)), _mk),
        "Tags.member.N.Name": _set("Tags.member.N.Name", _mk, _mk),
        "Destinations.member.N": _set("Destinations.member.N",
                                      lambda m: [TO, m + "@example.net"], _mk),
    },
    "mailgun messages": {
        "attachment": _set("attachment", lambda m: ("attachment", m + ".txt",
                                                    ("att " + m).encode(),
                                                    "text/plain"), _mk),
        "inline": _set("inline", lambda m: ("inline", m + ".png",
                                            b"\x89PNG" + m.encode(),
                                            "image/png"), _mk),
        "o:deliverytime": _set("o:deliverytime", lambda m: email.utils.formatdate(
            _future(), usegmt=True)),
        "o:testmode": _set("o:testmode", "yes"),
        "o:tracking": _set("o:tracking", "yes"),
        "o:tracking-clicks": _set("o:tracking-clicks", "yes"),
        "o:tracking-opens": _set("o:tracking-opens", "yes"),
        "o:tracking-pixel-location-top": _set("o:tracking-pixel-location-top",
                                              "yes"),
        "o:dkim": _set("o:dkim", "yes"),
        "o:secondary-dkim": _set("o:secondary-dkim", "example.com/s1"),
        "o:secondary-dkim-public": _set("o:secondary-dkim-public",
                                        "example.com/s1"),
        "o:require-tls": _set("o:require-tls", "true"),
        "o:skip-verification": _set("o:skip-verification", "false"),
        "o:sending-ip": _set("o:sending-ip", "192.0.2.10"),
        "o:time-zone-localize": _set("o:time-zone-localize", "02:00"),
        "o:deliverytime-optimize-period": _set("o:deliverytime-optimize-period",
                                               "24h"),
        "o:suppress-headers": _set("o:suppress-headers", "all"),
        "t:text": _set("t:text", "yes"),
        "t:variables": lambda req, m: _mg_template(req, m),
        "template": lambda req, m: _mg_template(req, m),
        "recipient-variables": _mailgun_batch,
        "html": _set("html", lambda m: "<p>%s</p>" % m, _mk),
        "amp-html": _set("amp-html", lambda m: "<html amp4email><body>%s</body>"
                         "</html>" % m, _mk),
        "message": _set("message", lambda m: ("message", "m.eml", mime_message(m),
                                              "message/rfc822"), _mk),
    },
}
SPECIAL["postmark email/batch"] = SPECIAL["postmark email"]
SPECIAL["resend emails/batch"] = SPECIAL["resend emails"]
SPECIAL["mailgun messages.mime"] = SPECIAL["mailgun messages"]
for _f in ("TemplateName", "TemplateArn", "TemplateData",
           "TemplateContent.Subject", "TemplateContent.Text",
           "TemplateContent.Html", "Headers[].Name", "Headers[].Value",
           "Attachments[].RawContent", "Attachments[].FileName",
           "Attachments[].ContentDisposition", "Attachments[].ContentDescription",
           "Attachments[].ContentId", "Attachments[].ContentTransferEncoding",
           "Attachments[].ContentType"):
    SPECIAL["ses-v2 SendEmail"]["Content.Template." + _f] = _v2_template(_f)


def _mailgun_pattern(row_field, m):
    """A row naming any h: / v: parameter is sent as that parameter
    (the documentation's placeholders as X-Matrix / matrix)."""
    name = {"h:X-My-Header": "h:X-Matrix", "v:my-var": "v:matrix"}.get(
        row_field, row_field)
    if name.lower() in ("h:reply-to", "h:cc", "h:to", "h:bcc", "h:sender"):
        return name, m + "@example.net"
    if name.lower() == "h:message-id":
        return name, "<%s@client.test>" % m
    if name.lower() == "h:x-mailgun-variables":
        return name, json.dumps({"k": m})
    return name, m


BASES = {
    "sendgrid mail/send": lambda: {
        "personalizations": [{"to": [{"email": TO}]}],
        "from": {"email": FROM}, "subject": "matrix base",
        "content": [{"type": "text/plain", "value": "base body"}]},
    "postmark email": lambda: {"From": FROM, "To": TO, "Subject": "matrix base",
                               "TextBody": "base body"},
    "postmark email/batch": lambda: [{"From": FROM, "To": TO,
                                      "Subject": "matrix base",
                                      "TextBody": "base body"}],
    "resend emails": lambda: {"from": FROM, "to": [TO], "subject": "matrix base",
                              "text": "base body"},
    "resend emails/batch": lambda: [{"from": FROM, "to": [TO],
                                     "subject": "matrix base",
                                     "text": "base body"}],
    "mailgun messages": lambda: [("from", FROM), ("to", TO),
                                 ("subject", "matrix base"), ("text", "base body")],
    "mailgun messages.mime": lambda: [("to", TO)],
    "ses-v2 SendEmail": lambda: {
        "FromEmailAddress": FROM, "Destination": {"ToAddresses": [TO]},
        "Content": {"Simple": {"Subject": {"Data": "matrix base"},
                               "Body": {"Text": {"Data": "base body"}}}}},
    "ses-v1 SendEmail": lambda: {
        "Action": "SendEmail", "Version": "2010-12-01", "Source": FROM,
        "Destination.ToAddresses.member.1": TO,
        "Message.Subject.Data": "matrix base",
        "Message.Body.Text.Data": "base body"},
    "ses-v1 SendRawEmail": lambda: {
        "Action": "SendRawEmail", "Version": "2010-12-01",
        "RawMessage.Data": b64(mime_message("base"))},
}


def build(endpoint, row_field, doc_field, m, own_rows=()):
    """The request for one row: (Req, what to look for or None). A row
    for an object or array sets every field in it that has no row of its
    own (own_rows)."""
    req = Req(endpoint)
    f = row_field[3:] if row_field.startswith("[].") else row_field
    fields = dict(esp_fields.documented_fields(endpoint))
    special = SPECIAL.get(endpoint, {})
    if endpoint == "mailgun messages.mime" and f != "message":
        req.files.append(("message", "m.eml", mime_message("base"),
                          "message/rfc822"))
    if endpoint.startswith("mailgun") and doc_field in ("h:X-My-Header",
                                                        "v:my-var"):
        name, value = _mailgun_pattern(row_field, m)
        _form_set(req, name, value)
        return req, m
    if f in special:
        return req, special[f](req, m)
    inside = [leaf for leaf in leaves(list(fields.items()))
              if (leaf.startswith(f + ".") or leaf.startswith(f + "["))
              and not covered_by(leaf, [r for r in own_rows if r != f])]
    if inside:
        # A row for a whole object or array: set every field in it.
        seen = None
        for leaf in inside:
            seen = _apply_leaf(req, leaf, fields[leaf], m) or seen
        return req, seen
    return req, _apply_leaf(req, f, fields[f], m)


def _apply_leaf(req, f, typ, m):
    special = SPECIAL.get(req.endpoint, {})
    if f in special:
        return special[f](req, m)
    value, obs = generic_value(f, typ, m)
    _put(req, f, value)
    return obs


# --- sending -------------------------------------------------------------------

def _multipart(fields, files):
    boundary = "matrix" + os.urandom(8).hex()
    out = b""
    for name, value in fields:
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n"
                % (boundary, name)).encode() + str(value).encode() + b"\r\n"
    for name, filename, data, ctype in files:
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; "
                "filename=\"%s\"\r\nContent-Type: %s\r\n\r\n"
                % (boundary, name, filename, ctype)).encode() + data + b"\r\n"
    out += ("--%s--\r\n" % boundary).encode()
    return out, "multipart/form-data; boundary=" + boundary


def _sigv4(method, url, body, headers):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    r = AWSRequest(method=method, url=url, data=body, headers=headers)
    SigV4Auth(Credentials(AKID, SECRET), "ses", "us-east-1").add_auth(r)
    return dict(r.headers.items())


def send(d, req):
    """(status, body bytes, headers) of req sent to swerved d."""
    ep, url = req.endpoint, d.http_url
    if ep == "sendgrid mail/send":
        path, body = "/v3/mail/send", json.dumps(req.body).encode()
        h = {"Authorization": "Bearer " + KEY, "Content-Type": "application/json"}
    elif ep.startswith("postmark"):
        path = "/email/batch" if ep.endswith("batch") else "/email"
        body = json.dumps(req.body).encode()
        h = {"X-Postmark-Server-Token": KEY, "Content-Type": "application/json",
             "Accept": "application/json"}
    elif ep.startswith("resend"):
        path = "/emails/batch" if ep.endswith("batch") else "/emails"
        body = json.dumps(req.body).encode()
        h = {"Authorization": "Bearer " + KEY, "Content-Type": "application/json"}
    elif ep.startswith("mailgun"):
        path = "/v3/mg.example.com/" + ("messages.mime" if ep.endswith("mime")
                                        else "messages")
        body, ctype = _multipart(req.body, req.files)
        h = {"Authorization": "Basic " + b64("api:" + KEY), "Content-Type": ctype}
    elif ep == "ses-v2 SendEmail":
        path, body = "/v2/email/outbound-emails", json.dumps(req.body).encode()
        h = _sigv4("POST", url + path, body, {"Content-Type": "application/json"})
    else:
        path = "/"
        body = urllib.parse.urlencode(req.body).encode()
        h = _sigv4("POST", url + path, body, {
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    return sh.http_request(url + path, "POST", body, h, timeout=20)


# --- judging -------------------------------------------------------------------

def error_text(endpoint, status, headers, body):
    """The ESP-shaped error's message (and field), or None if the answer
    is not that ESP's error shape."""
    if status < 400 and not endpoint.startswith("postmark"):
        return None
    try:
        obj = json.loads(body or b"null")
    except ValueError:
        obj = None
    if endpoint == "sendgrid mail/send":
        if isinstance(obj, dict) and obj.get("errors"):
            e = obj["errors"]
            return " ".join("%s %s" % (x.get("message", ""), x.get("field") or "")
                            for x in e)
    elif endpoint.startswith("postmark"):
        items = obj if isinstance(obj, list) else [obj]
        errs = [x for x in items if isinstance(x, dict) and x.get("ErrorCode")]
        if errs and all("Message" in x for x in errs):
            return " ".join(x["Message"] for x in errs)
    elif endpoint.startswith("resend"):
        if isinstance(obj, dict) and {"statusCode", "name", "message"} <= set(obj):
            return obj["message"]
    elif endpoint.startswith("mailgun"):
        if isinstance(obj, dict) and "message" in obj:
            return obj["message"]
    elif endpoint == "ses-v2 SendEmail":
        if headers.get("x-amzn-ErrorType") and isinstance(obj, dict):
            return obj.get("message") or obj.get("Message")
    else:
        m = re.search(rb"<Message>(.*?)</Message>", body or b"", re.S)
        if b"<ErrorResponse" in (body or b"") and m:
            return m.group(1).decode("utf-8", "replace")
    return None


def names_field(text, field):
    """Does an error message name the field? Its last name, or the one
    before it (`sandbox_mode` for mail_settings.sandbox_mode.enable,
    `Body` for ...Body.Text.Data), or a placeholder's prefix."""
    parts = [p for p in re.split(r"[.\[\]]+", field) if p and p not in ("member", "N")]
    low = text.lower()
    cands = parts[-2:] if len(parts) > 1 else parts
    if re.match(r"^[hvot]:", field):
        cands = cands + [field.split(":", 1)[0] + ":"]
    return any(c.lower() in low for c in cands)


def haystack(lab, d, new_ids, upstream_only=False):
    """Everything observable about the new messages: the upstream's
    records and bytes (MIME parts decoded), and (unless upstream_only)
    GET /v1/messages/ID."""
    out = []
    for rec in lab.mock.messages():
        out.append(json.dumps(rec))
        raw = lab.mock.raw(rec["id"])
        raw = raw if isinstance(raw, bytes) else json.dumps(raw).encode()
        out.append(raw.decode("utf-8", "replace"))
        try:
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            for part in msg.walk():
                payload = part.get_payload(decode=True)
                if payload:
                    out.append(payload.decode("utf-8", "replace"))
                for k, v in part.items():
                    out.append("%s: %s" % (k, v))
                    if k.lower() == META_HEADER.lower():
                        out.append(base64.b64decode(re.sub(r"\s", "", str(v)))
                                   .decode("utf-8", "replace"))
        except Exception:  # noqa: BLE001 - not MIME, the raw text is there
            pass
    for qid in ([] if upstream_only else new_ids):
        code, obj = d.admin_json("/v1/messages/" + qid)
        out.append(json.dumps(obj))
    return "\n".join(out)


# The carrier's relay gets each message's meta in this header (base64 of
# its JSON form; docs/providers.md, "Tags, metadata and options").
META_HEADER = "X-Swerve-Meta"


# What only a provider's analytics use: the one kind of field a matrix
# may call "not applied" (the names of msg_meta's fields in the egress
# adapter's "not applied by <provider>: <list>" note).
ANALYTICS = {"ip_pool", "track_opens", "track_clicks"}


def not_applied_problem(d, new):
    """'' if the new messages record a field as not applied, and nothing
    but analytics at that; else what is wrong."""
    notes, ingress = [], False
    for qid in new:
        obj = d.admin_json("/v1/messages/" + qid)[1]
        text = json.dumps(obj)
        notes += re.findall(r"not applied by [^:\"]+: ([^\"]*)", text)
        ingress = ingress or '"not applied"' in json.dumps(obj.get("meta") or {})
    if not notes and not ingress:
        return "outcome not applied, but no 'not applied' note on the message"
    for note in notes:
        items = {re.split(r"[ (]", x.strip(), 1)[0] for x in note.split(",")}
        if items - ANALYTICS:
            return ("recorded as not applied: %s; only analytics (%s) may be"
                    % (note, ", ".join(sorted(ANALYTICS))))
    return ""


def message_ids(d):
    code, obj = d.admin_json("/v1/messages?state=all&limit=1000")
    assert code == 200, obj
    return {m["id"] for m in obj["messages"]}


# How some fields are honoured other than by being seen upstream.
# not_delivered: answered 2xx, never reaches the upstream, recorded as
#                sandboxed (state sandboxed, meta.sandbox).
# held: answered 2xx, not delivered now, the message waits in the spool
#       (state scheduled, meta.send_at).
EXPECT = {
    ("sendgrid mail/send", "mail_settings.sandbox_mode.enable"): "not_delivered",
    ("sendgrid mail/send", "mail_settings.sandbox_mode"): "not_delivered",
    ("sendgrid mail/send", "send_at"): "held",
    ("sendgrid mail/send", "personalizations[].send_at"): "held",
    ("sendgrid mail/send", "batch_id"): "accepted",
    # A Bcc recipient's name is shown nowhere (no Bcc field is written).
    ("sendgrid mail/send", "personalizations[].bcc[].name"): "accepted",
    ("mailgun messages", "o:testmode"): "not_delivered",
    ("mailgun messages.mime", "o:testmode"): "not_delivered",
    ("mailgun messages", "o:deliverytime"): "held",
    ("mailgun messages.mime", "o:deliverytime"): "held",
    ("resend emails", "scheduled_at"): "held",
    ("resend emails/batch", "scheduled_at"): "held",
}


def judge(lab, d, endpoint, row, before, own_rows):
    """Send one row's request; '' if it held, else why not."""
    field, outcome, notes, line = row
    doc = documented(endpoint, field)
    if doc is None or outcome not in OUTCOMES:
        return ""  # test_matrix_names_every_documented_field says why
    m = marker()
    try:
        req, obs = build(endpoint, field, doc, m, own_rows)
    except Exception as e:  # noqa: BLE001 - a row the test cannot build
        return "the test cannot build a request for it: %r" % (e,)
    lab.mock.clear()
    status, body, headers = send(d, req)
    text = error_text(endpoint, status, headers, body)
    answer = "%s %s" % (status, text if text is not None else
                        (body or b"")[:300].decode("utf-8", "replace"))
    if outcome == "refused":
        if text is None:
            return "outcome refused, but the answer is not %s's error shape: %s" % (
                endpoint.split()[0], answer)
        if not names_field(text, field):
            return "refused, but the message does not name the field: %r" % text
        new = message_ids(d) - before
        if new:
            return "refused, yet %d message(s) were queued" % len(new)
        return ""
    if not 200 <= status < 300:
        return "outcome %s, but the answer is %s" % (outcome, answer)
    if endpoint.startswith("postmark") and error_text(endpoint, status, headers, body):
        return "outcome %s, but the batch item was refused: %s" % (outcome, answer)
    new = sh.wait_until(lambda: message_ids(d) - before, 5, 0.1,
                        "the message in GET /v1/messages")
    before |= new
    kind = EXPECT.get((endpoint, field))
    if kind in ("not_delivered", "held"):
        time.sleep(1.5)
        if lab.mock.messages():
            return "expected %s, but the upstream received it" % kind
        for qid in new:
            obj = d.admin_json("/v1/messages/" + qid)[1]
            meta = obj.get("meta") or {}
            want = {"held": "scheduled", "not_delivered": "sandboxed"}[kind]
            if obj.get("state") != want:
                return "expected %s, but the message is %s, not %s" % (
                    kind, obj.get("state"), want)
            if kind == "held" and not meta.get("send_at"):
                return "held, but no send_at in the message's meta: %r" % meta
            if kind == "not_delivered" and meta.get("sandbox") is not True:
                return "not delivered, but not recorded as sandboxed: %r" % meta
        return ""
    settled(lab, d, new)
    if outcome == "not applied":
        return wait_for_answer(lambda: not_applied_problem(d, new))
    if kind == "accepted" or obs is None:
        return ""
    if outcome == "carried":
        if not seen(lab, d, new, obs, upstream_only=True):
            return ("outcome carried, but the marker %s (the field's value) "
                    "did not reach the upstream" % obs)
        return ""
    if not seen(lab, d, new, obs):
        return ("outcome %s, but the marker %s (the field's value) is neither "
                "at the upstream nor in GET /v1/messages/ID" % (outcome, obs))
    return ""


def wait_for_answer(problem, timeout=1.0):
    """problem() until it is '' or timeout (a record written just after
    delivery); its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        why = problem()
        if not why or time.monotonic() > deadline:
            return why
        time.sleep(0.2)


def settled(lab, d, new, timeout=20):
    """Wait until the new messages reached the upstream or left the queue
    some other way (delivery is what makes most fields observable)."""
    def done():
        if lab.mock.messages():
            return True
        return all(d.admin_json("/v1/messages/" + q)[1].get("state")
                   not in ("queued", "ready", "inflight", "deferred")
                   for q in new)
    try:
        sh.wait_until(done, timeout, 0.1, "delivery")
    except AssertionError:
        pass


def seen(lab, d, new, needle, timeout=1.0, upstream_only=False):
    """needle in what is observable of the new messages (a moment's grace
    for records written just after delivery)."""
    try:
        return sh.wait_until(
            lambda: needle in haystack(lab, d, new, upstream_only), timeout,
            0.2, needle)
    except AssertionError:
        return False


class MatrixLab(sh.Lab):
    """swerve-mock (the upstream, over SMTP) and two swerveds with one API
    key and one SES credential, both for example.com: carrier's relay has
    a meta_header, so everything a message carries besides its bytes
    reaches the upstream (rows honoured, carried, refused); plain's has
    none, so what it cannot carry is recorded as not applied (rows not
    applied)."""

    def start(self):
        self.mock = super().mock("up")
        secret = os.path.join(str(self.tmp), "ses.secret")
        with open(secret, "w") as f:
            f.write(SECRET + "\n")
        over = dict(
            api_keys=[{"name": "matrix",
                       "key_sha256": hashlib.sha256(KEY.encode()).hexdigest(),
                       "tenant": "mx", "from_domains": ["example.com"]}],
            ses_compat={"credentials": [
                {"access_key_id": AKID, "secret_access_key_file": secret,
                 "tenant": "mxs", "from_domains": ["example.com"]}]})
        self.carrier = self.daemon(
            [sh.provider("m", self.mock.smtp_port, 1,
                         meta_header=META_HEADER)], **over)
        self.plain = self.daemon([sh.provider("m", self.mock.smtp_port, 1)],
                                 **over)
        # The template of the SES credential's tenant (Content.Template
        # rows) and of the API key's (SendGrid's template_id, ...).
        for d, tenant in ((self.carrier, "mxs"), (self.plain, "mxs"),
                          (self.carrier, "mx"), (self.plain, "mx")):
            code, out, _ = sh.http_request(
                d.http_url + "/v1/templates/%s?tenant=%s" % (MATRIX_TEMPLATE,
                                                             tenant),
                "POST", json.dumps({"subject": "matrix {{m}}",
                                    "text": "matrix {{m}}"}).encode(),
                dict(sh.ADMIN_AUTH, **{"Content-Type": "application/json"}))
            assert code == 201, out
        return self


@pytest.fixture
def lab(tmp_path):
    yield from sh.lab_fixture(MatrixLab(tmp_path))


@pytest.mark.parametrize("endpoint", esp_fields.ENDPOINTS)
def test_matrix_rows_hold(lab, endpoint):
    rows, _ = matrix_or_skip(endpoint)
    lab.start()
    before = {d: message_ids(d) for d in (lab.carrier, lab.plain)}
    failures = []
    own = [f for f in (documented(endpoint, r[0]) for r in rows) if f]
    for row in rows:
        d = lab.plain if row[1] == "not applied" else lab.carrier
        why = judge(lab, d, endpoint, row, before[d], own)
        if why:
            failures.append("line %d: %s `%s` (%s): %s"
                            % (row[3], endpoint, row[0], row[1], why))
    assert not failures, "%d of %d rows do not hold:\n%s" % (
        len(failures), len(rows), "\n".join(failures))
