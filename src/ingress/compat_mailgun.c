/*
 * compat_mailgun.c - Mailgun POST /v3/{domain}/messages and
 * /v3/{domain}/messages.mime, as mailgun.js calls them.
 *
 * HTTP Basic auth with user "api" and a swerve api key as the password.
 * The body is multipart/form-data or application/x-www-form-urlencoded
 * (form.h). /messages takes from, to / cc / bcc (repeatable, each a
 * comma list), subject, text, html, attachment and inline file parts
 * (also named attachment[N] and inline[N]; an inline part's Content-ID
 * is its file name, as Mailgun does) and h:Name custom header fields
 * (h:Reply-To becomes the Reply-To). /messages.mime takes to (the
 * envelope) and message (the whole MIME message, a file part or a plain
 * value), relayed as given but for its X-Mailgun-* fields. The sending
 * options (o:, v:, t:, h:X-Mailgun-*, and X-Mailgun-* fields in a MIME
 * message) are read by compat_mailgun_opts.c into the message's
 * msg_meta or refused; any other field is refused, never dropped.
 * Success is 200 {"id": "<Message-ID>", "message": "Queued. Thank
 * you."}, the Message-ID of the message stored, as Mailgun answers the
 * one it put in the message; a bad key is 401 with the plain text
 * "Forbidden", other errors {"message"} with 400, 403, 404, 413 or 503.
 *
 * template names a stored template (docs/template-store.md), rendered
 * with t:variables (else h:X-Mailgun-Variables) before the message is
 * stored. Not done: recipient-variables (refused), the domain's
 * own checks (any well-formed {domain} is accepted; the key's
 * from_domains decide).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/http.h>

#include "core/clock.h"
#include "core/xmalloc.h"
#include "ingress/compat.h"
#include "ingress/compat_mailgun_tmpl.h"
#include "ingress/http_templates.h"
#include "mime/form.h"
#include "mime/header.h"
#include "mime/mime_build.h"

#define MG_DOMAIN_MAX 253

/* mg_str - a copy of the view s, or NULL with *e when it holds NUL. */
static char *
mg_str(struct str s, const char *field, bool header, struct api_error *e)
{
	/* An empty field's view may be {NULL, 0}: no memchr on it. */
	if (s.len == 0)
		return xstrdup("");
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

/* mg_part_name - name is base or base[N] (mailgun.js and Symfony's
 * bridge index repeated file parts). */
static bool
mg_part_name(struct str name, const char *base)
{
	size_t n = strlen(base), i;

	if (name.len < n || memcmp(name.p, base, n) != 0)
		return false;
	if (name.len == n)
		return true;
	if (name.len < n + 3 || name.len > n + 6 || name.p[n] != '[' ||
	    name.p[name.len - 1] != ']')
		return false;
	for (i = n + 1; i < name.len - 1; i++)
		if (name.p[i] < '0' || name.p[i] > '9')
			return false;
	return true;
}

/* mg_file - an attachment or inline file part. */
static int
mg_file(const struct form_field *f, bool inl, struct api_msg *msg,
        struct api_error *e)
{
	const char *field = inl ? "inline" : "attachment";
	char *fn = NULL, *ct = NULL;
	int rc;

	if (f->filename.len > 0 &&
	    (fn = mg_str(f->filename, field, true, e)) == NULL)
		return -1;
	if (f->ctype.len > 0 &&
	    (ct = mg_str(f->ctype, field, true, e)) == NULL) {
		free(fn);
		return -1;
	}
	if (inl && fn == NULL) {
		free(ct);
		return api_error_set(e, 400, "invalid_field", "inline",
		                     "an inline part needs a file name");
	}
	rc = compat_att_add(&msg->mail, fn, ct, inl ? fn : NULL, f->value.p,
	                    f->value.len, field, e);
	free(fn);
	free(ct);
	return rc;
}

/* mg_header - a custom header field h:Name (h:Reply-To: the Reply-To). */
static int
mg_header(const char *name, struct str value, struct api_msg *msg,
          struct api_error *e)
{
	struct mime_build_msg *m = &msg->mail;
	char *v;
	int rc;

	if ((v = mg_str(value, "h:", true, e)) == NULL)
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

/* mg_opt_field - f through compat_mailgun_opt: 0 done, 1 not an
 * option, -1 refused. */
static int
mg_opt_field(struct compat_mg_opts *o, const struct form_field *f,
             const char *name, struct api_error *e)
{
	char *v = mg_str(f->value, name, false, e);
	int rc;

	if (v == NULL)
		return -1;
	rc = compat_mailgun_opt(o, name, v, e);
	free(v);
	return rc;
}

/*
 * mg_template_field - template (a stored template's name) or t:variables
 * (a JSON object: the template's variables) into msg; rendered at
 * submission (http_templates_apply).
 */
static int
mg_template_field(const char *name, const struct form_field *f,
                  struct api_msg *msg, struct api_error *e)
{
	char *v = mg_str(f->value, name, name[0] == 't' && name[1] == 'e', e);
	json_t *d;

	if (v == NULL)
		return -1;
	if (strcmp(name, "template") == 0) {
		if (msg->template_name != NULL || !tmpl_store_name_ok(v)) {
			free(v);
			return api_error_set(e, 400, "invalid_field",
			                     "template",
			                     "'template' must be one template "
			                     "name");
		}
		msg->template_name = v;
		return 0;
	}
	d = json_loads(v, JSON_REJECT_DUPLICATES, NULL);
	free(v);
	if (!json_is_object(d) || msg->template_data != NULL) {
		json_decref(d);
		return api_error_set(e, 400, "invalid_field", "t:variables",
		                     "'t:variables' must be one JSON object");
	}
	msg->template_data = d;
	return 0;
}

/*
 * mg_template_check - a template and its variables: t:variables, else
 * h:X-Mailgun-Variables (as Mailgun); text and html are the template's.
 */
static int
mg_template_check(const struct form *fm, struct api_msg *msg,
                  struct api_error *e)
{
	const struct form_field *f;

	if (msg->template_name == NULL) {
		if (msg->template_data != NULL)
			return api_error_set(e, 400, "invalid_field",
			                     "t:variables",
			                     "'t:variables' needs 'template'");
		return 0;
	}
	if (msg->mail.text != NULL || msg->mail.html != NULL)
		return api_error_set(e, 400, "invalid_field", "template",
		                     "give 'template' or 'text'/'html', not "
		                     "both: the template gives the content");
	if (msg->template_data == NULL &&
	    (f = form_field_get(fm, "h:X-Mailgun-Variables")) != NULL)
		msg->template_data = json_loadb(f->value.p, f->value.len,
		                                JSON_REJECT_DUPLICATES, NULL);
	if (msg->template_data != NULL && !json_is_object(msg->template_data)) {
		json_decref(msg->template_data);
		msg->template_data = NULL;
		return api_error_set(e, 400, "invalid_field",
		                     "h:X-Mailgun-Variables",
		                     "'h:X-Mailgun-Variables' must be a JSON "
		                     "object");
	}
	return 0;
}

/* mg_field - one field other than from, to, cc and bcc. */
static int
mg_field(const struct form_field *f, struct compat_mg_opts *o,
         struct api_msg *msg, struct api_error *e)
{
	struct mime_build_msg *m = &msg->mail;
	char name[128];
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
	if (mg_part_name(f->name, "attachment") ||
	    mg_part_name(f->name, "inline"))
		return mg_file(f, f->name.p[0] == 'i', msg, e);
	if (f->name.len == 0 || f->name.len >= sizeof(name) ||
	    memchr(f->name.p, '\0', f->name.len) != NULL)
		return api_error_set(e, 400, "invalid_field", "",
		                     "a parameter name is empty, too long or "
		                     "holds NUL");
	memcpy(name, f->name.p, f->name.len);
	name[f->name.len] = '\0';
	if (strcmp(name, "template") == 0 || strcmp(name, "t:variables") == 0)
		return mg_template_field(name, f, msg, e);
	if (strcmp(name, "amp-html") == 0)
		return api_error_set(e, 400, "invalid_field", "amp-html",
		                     "'amp-html' parameter is not supported: "
		                     "give html");
	rc = mg_opt_field(o, f, name, e);
	if (rc <= 0)
		return rc;
	if (strncmp(name, "h:", 2) == 0 && name[2] != '\0')
		return mg_header(name + 2, f->value, msg, e);
	return api_error_set(e, 400, "invalid_field", name,
	                     "'%s' parameter is not supported by this endpoint",
	                     name);
}

int
compat_mailgun_decode(const struct form *fm, time_t now, struct api_msg *msg,
                      struct api_error *e)
{
	struct mime_build_msg *m = &msg->mail;
	struct mime_build_addr *from = NULL;
	struct compat_mg_opts o;
	size_t nfrom = 0, i;

	memset(msg, 0, sizeof(*msg));
	msg_meta_init(&msg->meta);
	compat_mailgun_opts_init(&o, &msg->meta, now);
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

		if (form_str_eq(f->name, "from") ||
		    form_str_eq(f->name, "to") || form_str_eq(f->name, "cc") ||
		    form_str_eq(f->name, "bcc"))
			continue;
		if (mg_field(f, &o, msg, e) < 0)
			goto fail;
	}
	compat_mailgun_opts_done(&o);
	if (mg_template_check(fm, msg, e) < 0)
		goto fail;
	if (m->text == NULL && m->html == NULL && msg->template_name == NULL) {
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
	char id[ID_SIZE + MG_DOMAIN_MAX + 4];
	struct api_error e;
	size_t i;

	/* A batch send answers one id, the first message's; should one of
	 * its messages not be stored, the answer is that error (the ones
	 * stored stay stored). */
	for (i = 0; i < n; i++)
		if (compat_result_failed(&res[i], &e)) {
			mg_fail(req, &e);
			return;
		}
	/* Mailgun answers the Message-Id it put in the message; so does
	 * swerve (should there be none, an id of swerve's and the domain). */
	if (res[0].message_id[0] == '\0')
		snprintf(id, sizeof(id), "<%s@%s>", res[0].id,
		         (const char *)arg);
	compat_reply_json(
	    req, 200,
	    json_pack("{s:s,s:s}", "id",
	              res[0].message_id[0] ? res[0].message_id : id, "message",
	              "Queued. Thank you."));
}

const struct config_api_key *
compat_mailgun_auth(struct compat *c, struct evhttp_request *req)
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

/*
 * mg_mime_field - an h:Name field of a messages.mime request as the line
 * "Name: value" appended to out, unless the message (msg) already has
 * such a field: then it is refused, as two would be.
 */
static int
mg_mime_field(const char *name, struct str value, struct str msg,
              struct buf *out, struct api_error *e)
{
	const char *why;
	char *v;

	if ((v = mg_str(value, name, true, e)) == NULL)
		return -1;
	if (mime_build_field_check(name + 2, v, &why) < 0) {
		api_error_set(e, 400, "invalid_field", name, "'%s': %s", name,
		              why);
		free(v);
		return -1;
	}
	if (msg.len > 0 && mime_header_has(msg.p, msg.len, name + 2)) {
		free(v);
		return api_error_set(e, 400, "invalid_field", name,
		                     "'%s': the message already has a %s field",
		                     name, name + 2);
	}
	buf_printf(out, "%s: %s\r\n", name + 2, v);
	free(v);
	return 0;
}

int
compat_mailgun_mime_decode(const struct form *fm, time_t now,
                           struct compat_raw_req *raw, struct msg_meta *meta,
                           struct api_error *e)
{
	const struct form_field *msg = form_field_get(fm, "message");
	struct mime_build_addr *to = NULL;
	struct compat_mg_opts o;
	struct buf b;
	size_t n = 0, i;

	memset(raw, 0, sizeof(*raw));
	msg_meta_init(meta);
	compat_mailgun_opts_init(&o, meta, now);
	buf_init(&b);
	if (msg == NULL) {
		api_error_set(e, 400, "missing_field", "message",
		              "'message' parameter is missing");
		goto fail;
	}
	if (mg_addrs(fm, "to", &to, &n, e) < 0)
		goto fail;
	if (n == 0) {
		api_error_set(e, 400, "missing_field", "to",
		              "'to' parameter is missing");
		goto fail;
	}
	for (i = 0; i < fm->n; i++) {
		const struct form_field *f = &fm->f[i];
		char name[128];
		int rc;

		if (form_str_eq(f->name, "to") ||
		    form_str_eq(f->name, "message"))
			continue;
		if (f->name.len == 0 || f->name.len >= sizeof(name) ||
		    memchr(f->name.p, '\0', f->name.len) != NULL) {
			api_error_set(e, 400, "invalid_field", "",
			              "a parameter name is empty, too long or "
			              "holds NUL");
			goto fail;
		}
		memcpy(name, f->name.p, f->name.len);
		name[f->name.len] = '\0';
		if ((rc = mg_opt_field(&o, f, name, e)) < 0)
			goto fail;
		if (rc == 1 && strncmp(name, "h:", 2) == 0 && name[2] != '\0') {
			if (mg_mime_field(name, f->value, msg->value, &b, e) <
			    0)
				goto fail;
		} else if (rc == 1) {
			api_error_set(e, 400, "invalid_field", name,
			              "'%s' parameter is not supported by "
			              "messages.mime",
			              name);
			goto fail;
		}
	}
	/* h: fields (already in b) go in front of the message's own. */
	if (msg->value.len > 0)
		buf_add(&b, msg->value.p, msg->value.len);
	if (compat_mailgun_opts_mime(&o, &b, e) < 0)
		goto fail;
	compat_mailgun_opts_done(&o);
	raw->env_to = xcalloc(n, sizeof(*raw->env_to));
	for (i = 0; i < n; i++) {
		raw->env_to[i] = to[i].addr;
		to[i].addr = NULL;
	}
	raw->n_env_to = n;
	compat_addrs_free(to, n);
	raw->data = (unsigned char *)buf_steal(&b, &raw->len);
	return 0;
fail:
	compat_addrs_free(to, n);
	buf_fini(&b);
	msg_meta_fini(meta);
	return -1;
}

/* mg_prepare_mime - the one spool message of a messages.mime form into
 * *ms (*n = 1). 0 or -1 with *e. */
static int
mg_prepare_mime(struct compat *c, const struct config_api_key *k,
                const struct form *fm, const char *client,
                struct spool_msg_new **ms, size_t *n, struct api_error *e)
{
	struct compat_raw_req raw;
	struct msg_meta meta;
	int rc;

	if (compat_mailgun_mime_decode(fm, clock_wall_time(), &raw, &meta, e) <
	    0)
		return -1;
	*ms = xcalloc(1, sizeof(**ms));
	rc = compat_raw_prepare(c, k, (const char *)raw.data, raw.len, NULL,
	                        raw.env_to, raw.n_env_to, NULL, &meta, client,
	                        &(*ms)[0], e);
	compat_raw_req_fini(&raw);
	msg_meta_fini(&meta);
	if (rc < 0) {
		free(*ms);
		*ms = NULL;
		return -1;
	}
	*n = 1;
	return 0;
}

/*
 * mg_template_apply - msg's template rendered as Mailgun does:
 * Handlebars, HTML escaped in the html part, a missing variable empty.
 */
static int
mg_template_apply(const struct config_api_key *k, struct api_msg *msg,
                  struct api_error *e)
{
	static const struct tmpl_store_render_opts o = {
	    {TMPL_ESCAPE_NONE, TMPL_ESCAPE_HTML, TMPL_ESCAPE_NONE}, 0};

	if (http_templates_apply(k->tenant, msg, &o, e) == 0)
		return 0;
	if (strcmp(e->code, "template_not_found") == 0)
		snprintf(e->message, sizeof(e->message),
		         "template '%s' not found", msg->template_name);
	return -1;
}

/*
 * mg_prepare_form - the spool messages of a /messages form (one, or one
 * per recipient of a batch send) into *ms (*n of them). All are
 * prepared before any is stored: one refused refuses the request. 0 or
 * -1 with *e.
 */
static int
mg_prepare_form(struct compat *c, const struct config_api_key *k,
                const struct form *fm, const char *client,
                struct spool_msg_new **ms, size_t *n, struct api_error *e)
{
	struct api_msg *msgs;
	size_t nm, i, j;
	int rc = 0;

	if (compat_mailgun_batch_decode(fm, clock_wall_time(), &msgs, &nm, e) <
	    0)
		return -1;
	*ms = xcalloc(nm, sizeof(**ms));
	for (i = 0; i < nm && rc == 0; i++)
		rc = (msgs[i].template_name != NULL &&
		      mg_template_apply(k, &msgs[i], e) < 0) ||
		             compat_msg_prepare(c, k, &msgs[i], client,
		                                &(*ms)[i], e) < 0
		         ? -1
		         : 0;
	compat_msgs_free(msgs, nm);
	if (rc < 0) {
		/* ms[i - 1] failed and is empty; the ones before are not. */
		for (j = 0; j + 1 < i; j++)
			spool_msg_new_fini(&(*ms)[j]);
		free(*ms);
		*ms = NULL;
		return -1;
	}
	*n = nm;
	return 0;
}

int
compat_mailgun_form(struct compat *c, struct evhttp_request *req,
                    struct form *fm, char **copy, struct api_error *e)
{
	const char *body, *ct = compat_header(req, "Content-Type"), *why;
	struct str bnd;
	size_t len;
	int rc;

	*copy = NULL;
	if ((body = compat_body(c, req, &len, e)) == NULL)
		return -1;
	if (ct != NULL && form_boundary_get(ct, &bnd, &why) == 0)
		rc = form_multipart_parse(body, len, bnd, fm, &why);
	else if (ct != NULL &&
	         strncasecmp(ct, "application/x-www-form-urlencoded", 33) ==
	             0) {
		*copy = xmemdup(body, len + 1);
		rc = form_urlencoded_parse(*copy, len, fm, &why);
	} else {
		rc = -1;
		why = "expected multipart/form-data or "
		      "application/x-www-form-urlencoded";
	}
	if (rc < 0)
		return api_error_set(e, 400, "invalid_field", "", "%s", why);
	return 0;
}

void
compat_mailgun_handle(struct compat *c, struct evhttp_request *req,
                      const char *path)
{
	const struct config_api_key *k;
	char domain[MG_DOMAIN_MAX + 1], client[96], *copy = NULL;
	struct spool_msg_new *ms = NULL;
	struct api_error e;
	struct form fm;
	size_t n = 0;
	bool mime;
	int rc;

	if (compat_mailgun_tmpl_path(path)) {
		compat_mailgun_tmpl_handle(c, req, path);
		return;
	}
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
	if ((k = compat_mailgun_auth(c, req)) == NULL) {
		api_error_set(&e, 401, "unauthorized", "", "Forbidden");
		goto fail;
	}
	if (compat_mailgun_form(c, req, &fm, &copy, &e) < 0)
		goto fail;
	http_pending_client(req, client, sizeof(client));
	rc = mime ? mg_prepare_mime(c, k, &fm, client, &ms, &n, &e)
	          : mg_prepare_form(c, k, &fm, client, &ms, &n, &e);
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
	compat_submit(c, req, k, ms, NULL, n, mg_done, xstrdup(domain), NULL);
	free(ms);
	return;
fail:
	form_fini(&fm);
	free(copy);
	mg_fail(req, &e);
}
