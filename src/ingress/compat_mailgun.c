/*
 * compat_mailgun.c - Mailgun POST /v3/{domain}/messages and
 * /v3/{domain}/messages.mime, as mailgun.js calls them.
 *
 * HTTP Basic auth with user "api" and a swerve api key as the password.
 * The body is multipart/form-data or application/x-www-form-urlencoded
 * (form.h). /messages takes from, to / cc / bcc (repeatable, each a
 * comma list), subject, text, html, attachment and inline file parts
 * (an inline part's Content-ID is its file name, as Mailgun does) and
 * h:Name custom header fields (h:Reply-To becomes the Reply-To).
 * /messages.mime takes to (the envelope) and message (the whole MIME
 * message, a file part or a plain value), relayed as given. Success is
 * 200 {"id": "<ID@domain>", "message": "Queued. Thank you."}; a bad key
 * is 401 with the plain text "Forbidden", other errors {"message"} with
 * 400, 403, 404, 413 or 503.
 *
 * Not done: templates (refused), o:testmode (refused: ignoring it would
 * deliver a test), other o: options and v: variables (ignored: swerve
 * does no tracking), recipient-variables (refused: batch sends
 * would need one message per recipient), the domain's own checks (any
 * well-formed {domain} is accepted; the key's from_domains decide).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/http.h>

#include "core/xmalloc.h"
#include "ingress/compat.h"
#include "mime/form.h"

#define MG_DOMAIN_MAX 253

/* mg_str - a copy of the view s, or NULL with *e when it holds NUL. */
static char *
mg_str(struct str s, const char *field, bool header, struct api_error *e)
{
	if (header ? compat_str_check(s.p, s.len, field, e) < 0
	           : memchr(s.p, '\0', s.len) != NULL) {
		api_error_set(e, 400, "invalid_field", field,
		              "'%s' parameter holds CR, LF or NUL", field);
		return NULL;
	}
	return str_dup(s);
}

/* mg_addrs - every field called name (comma lists) into list. */
static int
mg_addrs(const struct form *fm, const char *name, struct mime_build_addr **list,
         size_t *n, struct api_error *e)
{
	size_t i;

	for (i = 0; i < fm->n; i++) {
		if (!form_str_eq(fm->f[i].name, name))
			continue;
		/* An empty field's view may be {NULL, 0}: no memchr on it. */
		if ((fm->f[i].value.len > 0 &&
		     memchr(fm->f[i].value.p, '\0', fm->f[i].value.len)) ||
		    compat_addr_list_parse(fm->f[i].value.p, fm->f[i].value.len,
		                           list, n, API_JSON_RCPTS_MAX) < 0)
			return api_error_set(
			    e, 400, "invalid_field", name,
			    "'%s' parameter is not a valid address. Please "
			    "check documentation",
			    name);
	}
	return 0;
}

/* mg_field - one non-file field (or a header field h:Name). */
static int
mg_field(const struct form_field *f, struct api_msg *msg, struct api_error *e)
{
	struct mime_build_msg *m = &msg->mail;
	char name[128], *v;
	int rc;

	if (form_str_eq(f->name, "subject")) {
		free(m->subject);
		m->subject = mg_str(f->value, "subject", true, e);
		return m->subject ? 0 : -1;
	}
	if (form_str_eq(f->name, "text") || form_str_eq(f->name, "html"))
		return compat_text_set(
		    m, form_str_eq(f->name, "html"), f->value.p, f->value.len,
		    f->name.p[0] == 't' ? "text" : "html", e);
	if (form_str_eq(f->name, "o:testmode") &&
	    (form_str_eq(f->value, "yes") || form_str_eq(f->value, "true") ||
	     form_str_eq(f->value, "True")))
		/* Ignoring it would deliver what the client meant as a test. */
		return api_error_set(
		    e, 400, "invalid_field", "o:testmode",
		    "test mode is not supported by this endpoint; nothing was "
		    "sent");
	if (form_str_eq(f->name, "template") ||
	    form_str_eq(f->name, "recipient-variables"))
		return api_error_set(
		    e, 400, "invalid_field", "template",
		    "templates and batch sends are not supported by this "
		    "endpoint");
	if (f->name.len < 3 || f->name.len - 2 >= sizeof(name) ||
	    memcmp(f->name.p, "h:", 2) != 0)
		return 0; /* o:, v:, t: and the rest are ignored */
	memcpy(name, f->name.p + 2, f->name.len - 2);
	name[f->name.len - 2] = '\0';
	if ((v = mg_str(f->value, "h:", true, e)) == NULL)
		return -1;
	if (strcasecmp(name, "Reply-To") == 0) {
		rc = compat_addr_list_parse(v, strlen(v), &m->reply_to,
		                            &m->n_reply_to, API_JSON_RCPTS_MAX);
		if (rc < 0)
			api_error_set(e, 400, "invalid_field", "h:Reply-To",
			              "not a valid address");
	} else
		rc = compat_field_add(m, name, v, "h:", e);
	free(v);
	return rc;
}

int
compat_mailgun_decode(const struct form *fm, struct api_msg *msg,
                      struct api_error *e)
{
	struct mime_build_msg *m = &msg->mail;
	struct mime_build_addr *from = NULL;
	size_t nfrom = 0, i;

	memset(msg, 0, sizeof(*msg));
	if (mg_addrs(fm, "from", &from, &nfrom, e) < 0) {
		compat_addrs_free(from, nfrom);
		goto fail;
	}
	if (nfrom != 1) {
		compat_addrs_free(from, nfrom);
		from = NULL;
		api_error_set(
		    e, 400, nfrom ? "invalid_field" : "missing_field", "from",
		    nfrom ? "'from' parameter is not a valid address. "
		            "Please check documentation"
		          : "'from' parameter is missing");
		goto fail;
	}
	m->from = from[0];
	free(from);
	if (mg_addrs(fm, "to", &m->to, &m->n_to, e) < 0 ||
	    mg_addrs(fm, "cc", &m->cc, &m->n_cc, e) < 0 ||
	    mg_addrs(fm, "bcc", &msg->bcc, &msg->n_bcc, e) < 0)
		goto fail;
	if (m->n_to == 0) {
		api_error_set(e, 400, "missing_field", "to",
		              "'to' parameter is missing");
		goto fail;
	}
	for (i = 0; i < fm->n; i++) {
		const struct form_field *f = &fm->f[i];
		bool att = form_str_eq(f->name, "attachment");
		bool inl = form_str_eq(f->name, "inline");
		char *fn = NULL, *ct = NULL;
		int rc;

		if (!att && !inl) {
			if (mg_field(f, msg, e) < 0)
				goto fail;
			continue;
		}
		if (f->filename.len > 0 &&
		    (fn = mg_str(f->filename,
		                 f->name.p[0] == 'a' ? "attachment" : "inline",
		                 true, e)) == NULL)
			goto fail;
		if (f->ctype.len > 0 &&
		    (ct = mg_str(f->ctype, "attachment", true, e)) == NULL) {
			free(fn);
			goto fail;
		}
		if (inl && fn == NULL) {
			free(ct);
			api_error_set(e, 400, "invalid_field", "inline",
			              "an inline part needs a file name");
			goto fail;
		}
		rc = compat_att_add(m, fn, ct, inl ? fn : NULL, f->value.p,
		                    f->value.len, att ? "attachment" : "inline",
		                    e);
		free(fn);
		free(ct);
		if (rc < 0)
			goto fail;
	}
	if (m->text == NULL && m->html == NULL) {
		api_error_set(
		    e, 400, "missing_field", "text",
		    "Need at least one of 'text', 'html' or 'template' "
		    "parameters specified");
		goto fail;
	}
	return 0;
fail:
	api_msg_fini(msg);
	return -1;
}

void
compat_mailgun_error_render(const struct api_error *e, struct compat_answer *a)
{
	if (strcmp(e->code, "unauthorized") == 0) {
		a->status = 401;
		a->ctype = "text/plain";
		a->error_type = NULL;
		buf_init(&a->body);
		buf_addstr(&a->body, "Forbidden");
		return;
	}
	compat_answer_json(a, compat_error_status(e),
	                   json_pack("{s:s}", "message", e->message));
}

/* mg_fail - a Mailgun error (plain "Forbidden" for a bad key). */
static void
mg_fail(struct evhttp_request *req, const struct api_error *e)
{
	struct compat_answer a;

	compat_mailgun_error_render(e, &a);
	if (a.status == 401)
		evhttp_add_header(evhttp_request_get_output_headers(req),
		                  "WWW-Authenticate", "Basic realm=\"MG API\"");
	compat_answer_send(req, &a);
}

/* mg_done - 200 {"id", "message"} or the failure; arg is the domain. */
static void
mg_done(struct evhttp_request *req, const struct http_pending_result *res,
        size_t n, void *arg)
{
	struct api_error e;
	char id[ID_SIZE + MG_DOMAIN_MAX + 4];

	(void)n;
	if (compat_result_failed(&res[0], &e)) {
		mg_fail(req, &e);
		return;
	}
	snprintf(id, sizeof(id), "<%s@%s>", res[0].id, (const char *)arg);
	compat_reply_json(
	    req, 200,
	    json_pack("{s:s,s:s}", "id", id, "message", "Queued. Thank you."));
}

/* mg_auth - the key of "Basic base64(api:KEY)", or NULL. */
static const struct config_api_key *
mg_auth(struct compat *c, struct evhttp_request *req)
{
	const char *h = compat_header(req, "Authorization");
	const struct config_api_key *k = NULL;
	unsigned char *dec = NULL;
	size_t n = 0;

	if (h == NULL || strncasecmp(h, "Basic ", 6) != 0)
		return NULL;
	h += 6;
	while (*h == ' ')
		h++;
	if (compat_b64_decode(h, strlen(h), &dec, &n) < 0)
		return NULL;
	if (n > 4 && memcmp(dec, "api:", 4) == 0)
		k = compat_key_find(c, (const char *)dec + 4, n - 4);
	explicit_bzero(dec, n);
	free(dec);
	return k;
}

/* mg_path - "/v3/{domain}/messages[.mime]": domain into d, mime flag. */
static int
mg_path(const char *path, char d[MG_DOMAIN_MAX + 1], bool *mime)
{
	const char *p = path + 4, *s;
	size_t n, i;

	if (strncmp(path, "/v3/", 4) != 0 || (s = strchr(p, '/')) == NULL)
		return -1;
	n = (size_t)(s - p);
	if (n == 0 || n > MG_DOMAIN_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		      (p[i] >= 'A' && p[i] <= 'Z') ||
		      (p[i] >= '0' && p[i] <= '9') || p[i] == '.' ||
		      p[i] == '-' || p[i] == '_'))
			return -1;
	memcpy(d, p, n);
	d[n] = '\0';
	if (strcmp(s, "/messages") == 0)
		*mime = false;
	else if (strcmp(s, "/messages.mime") == 0)
		*mime = true;
	else
		return -1;
	return 0;
}

/* mg_mime - the spool message of a messages.mime form. 0 or -1 + *e. */
static int
mg_mime(struct compat *c, const struct config_api_key *k, const struct form *fm,
        const char *client, struct spool_msg_new *m, struct api_error *e)
{
	const struct form_field *msg = form_field_get(fm, "message");
	struct mime_build_addr *to = NULL;
	char **env = NULL;
	size_t n = 0, i;
	int rc = -1;

	if (msg == NULL)
		return api_error_set(e, 400, "missing_field", "message",
		                     "'message' parameter is missing");
	if (mg_addrs(fm, "to", &to, &n, e) < 0)
		goto done;
	if (n == 0) {
		api_error_set(e, 400, "missing_field", "to",
		              "'to' parameter is missing");
		goto done;
	}
	env = xcalloc(n, sizeof(*env));
	for (i = 0; i < n; i++)
		env[i] = to[i].addr;
	rc = compat_raw_prepare(c, k, msg->value.p, msg->value.len, NULL, env,
	                        n, NULL, NULL, client, m, e);
done:
	free(env);
	compat_addrs_free(to, n);
	return rc;
}

void
compat_mailgun_handle(struct compat *c, struct evhttp_request *req,
                      const char *path)
{
	const struct config_api_key *k;
	char domain[MG_DOMAIN_MAX + 1], client[96], *copy = NULL;
	const char *body, *ct = compat_header(req, "Content-Type"), *why;
	struct spool_msg_new m;
	struct api_error e;
	struct api_msg msg;
	struct str bnd;
	struct form fm;
	size_t len;
	bool mime;
	int rc;

	form_init(&fm);
	if (mg_path(path, domain, &mime) < 0) {
		api_error_set(&e, 404, "not_found", "", "Not Found");
		goto fail;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		api_error_set(&e, 405, "method_not_allowed", "",
		              "Method Not Allowed");
		goto fail;
	}
	if ((k = mg_auth(c, req)) == NULL) {
		api_error_set(&e, 401, "unauthorized", "", "Forbidden");
		goto fail;
	}
	if ((body = compat_body(c, req, &len, &e)) == NULL)
		goto fail;
	if (ct != NULL && form_boundary_get(ct, &bnd, &why) == 0)
		rc = form_multipart_parse(body, len, bnd, &fm, &why);
	else if (ct != NULL &&
	         strncasecmp(ct, "application/x-www-form-urlencoded", 33) ==
	             0) {
		copy = xmemdup(body, len + 1);
		rc = form_urlencoded_parse(copy, len, &fm, &why);
	} else {
		rc = -1;
		why = "expected multipart/form-data or "
		      "application/x-www-form-urlencoded";
	}
	if (rc < 0) {
		api_error_set(&e, 400, "invalid_field", "", "%s", why);
		goto fail;
	}
	http_pending_client(req, client, sizeof(client));
	if (mime)
		rc = mg_mime(c, k, &fm, client, &m, &e);
	else if ((rc = compat_mailgun_decode(&fm, &msg, &e)) == 0) {
		rc = compat_msg_prepare(c, k, &msg, client, &m, &e);
		api_msg_fini(&msg);
	}
	if (rc < 0) {
		if (strcmp(e.code, "forbidden") == 0)
			snprintf(
			    e.message, sizeof(e.message),
			    "Domain %.80s is not allowed to send: the From "
			    "address is not in this key's domains",
			    domain);
		goto fail;
	}
	form_fini(&fm);
	free(copy);
	compat_submit(c, req, k, &m, NULL, 1, mg_done, xstrdup(domain), NULL);
	return;
fail:
	form_fini(&fm);
	free(copy);
	mg_fail(req, &e);
}
