/*
 * compat_sendgrid.c - SendGrid v3 POST /v3/mail/send, as @sendgrid/mail
 * calls it, and the /v3 prefix shared with Mailgun.
 *
 * Authorization: Bearer <key>, a swerve api key. Every documented field
 * of the request is honoured, recorded on the message (msg_meta) or
 * refused in SendGrid's error shape naming it; unknown fields are
 * refused too (docs/drop-in.md has the field matrix). Each
 * personalization is one message: its from, to/cc/bcc, subject, headers
 * (over the request's), substitutions (compat_sendgrid_subst.c),
 * custom_args and send_at (over the request's; compat_sendgrid_opts.c).
 *
 * Success is SendGrid's: 202 with an empty body and the message id in
 * X-Message-Id (the first message's, when there are several); with
 * mail_settings.sandbox_mode.enable 200 with an empty body (the
 * messages are validated and stored with meta.sandbox, never
 * delivered). Errors are {"errors": [{"message", "field", "help"}]} with
 * SendGrid's statuses (400, 401, 403, 413, 503).
 *
 * A request's messages are all checked before any is stored; the answer
 * is a success only when every one was stored. When the spool refuses
 * one after others were stored, the error says how many were stored and
 * names the first personalization that was not.
 *
 * template_id names a stored template (docs/template-store.md), rendered
 * per personalization with its dynamic_template_data at submission.
 * Refused: batch_id
 * (no batch cancel API), asm (no unsubscribe groups),
 * tracking_settings.subscription_tracking.enable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/http.h>

#include "core/clock.h"
#include "core/xmalloc.h"
#include "ingress/api_auth.h"
#include "ingress/compat.h"
#include "ingress/compat_sendgrid_int.h"
#include "ingress/http_templates.h"

#define SG_PERSONALIZATIONS_MAX 1000
#define SG_RCPTS_MAX 1000 /* to + cc + bcc over all personalizations */
/* Content and attachments times personalizations: what one request may
 * make swerve build and store (each personalization copies them). */
#define SG_EXPANDED_MAX (64u << 20)

/* The request's parts every personalization shares, decoded once. */
struct sg_req {
	json_t *j;
	const char *template_id; /* a dynamic template's name, or NULL */
	int64_t now;
	struct compat_sendgrid_opts opts;
	struct mime_build_msg base; /* text, html and attachments */
	size_t n_rcpts;             /* so far, over all personalizations */
	size_t n;                   /* personalizations */
	size_t subst_work;          /* substitution comparisons left */
};

/*
 * sg_addrs - the array v of {"email", "name"} objects at field into
 * *list (*n counted), at most max; absent or null v adds nothing. 0, or
 * -1 with *e.
 */
static int
sg_addrs(json_t *v, const char *field, size_t max,
         struct mime_build_addr **list, size_t *n, struct api_error *e)
{
	static const char *const known[] = {"email", "name", NULL};
	size_t i;
	json_t *it;

	if (!compat_sendgrid_present(v))
		return 0;
	if (!json_is_array(v))
		return api_error_set(e, 400, "invalid_field", field,
		                     "Invalid type. Expected: array.");
	if (json_array_size(v) > max)
		return api_error_set(e, 400, "invalid_field", field,
		                     "%s may not have more than %zu entries.",
		                     field, max);
	json_array_foreach(v, i, it)
	{
		struct mime_build_addr a = {0};
		char f[96];

		snprintf(f, sizeof(f), "%s.%zu", field, i);
		if (compat_sendgrid_obj_keys(it, f, known, e) < 0)
			return -1;
		if (!json_is_string(json_object_get(it, "email")))
			return api_error_set(
			    e, 400, "invalid_field", f,
			    "The email parameter is required and must be "
			    "a valid email address.");
		if (compat_json_addr1(it, f, &a, e) < 0)
			return -1;
		*list = xreallocarray(*list, *n + 1, sizeof(**list));
		(*list)[(*n)++] = a;
	}
	return 0;
}

/* sg_addr1 - the {"email", "name"} object v at field into *out. */
static int
sg_addr1(json_t *v, const char *field, struct mime_build_addr *out,
         struct api_error *e)
{
	static const char *const known[] = {"email", "name", NULL};

	if (!compat_sendgrid_present(v))
		return 0;
	if (compat_sendgrid_obj_keys(v, field, known, e) < 0)
		return -1;
	if (!json_is_string(json_object_get(v, "email")))
		return api_error_set(e, 400, "invalid_field", field,
		                     "The email parameter is required and "
		                     "must be a valid email address.");
	return compat_json_addr1(v, field, out, e);
}

/* sg_dup_check - an address twice in to, cc and bcc of one message. */
static int
sg_dup_check(const struct api_msg *msg, const char *field, struct api_error *e)
{
	const struct mime_build_msg *m = &msg->mail;
	size_t n = m->n_to + m->n_cc + msg->n_bcc, i, j;
	const struct mime_build_addr **all = xcalloc(n + 1, sizeof(*all));
	int rc = 0;

	for (i = 0; i < m->n_to; i++)
		all[i] = &m->to[i];
	for (i = 0; i < m->n_cc; i++)
		all[m->n_to + i] = &m->cc[i];
	for (i = 0; i < msg->n_bcc; i++)
		all[m->n_to + m->n_cc + i] = &msg->bcc[i];
	for (i = 1; i < n && rc == 0; i++)
		for (j = 0; j < i && rc == 0; j++)
			if (strcasecmp(all[i]->addr, all[j]->addr) == 0)
				rc = api_error_set(
				    e, 400, "invalid_field", field,
				    "Each email address in the "
				    "personalization block should be unique "
				    "between to, cc, and bcc. We found the "
				    "first duplicate instance of [%.100s].",
				    all[i]->addr);
	free(all);
	return rc;
}

/* sg_reserved - a header SendGrid does not let a caller set. */
static bool
sg_reserved(const char *name)
{
	static const char *const reserved[] = {
	    "x-sg-id", "x-sg-eid", "received", "dkim-signature", NULL};
	size_t i;

	for (i = 0; reserved[i] != NULL; i++)
		if (strcasecmp(name, reserved[i]) == 0)
			return true;
	return false;
}

/*
 * sg_header_earlier - the name of a member of h before k that names the
 * same field (case-insensitively), or NULL. nodemailer's SendGrid
 * transport sends a Message-ID as "Message-ID" and "message-id".
 */
static const char *
sg_header_earlier(json_t *h, const char *k)
{
	const char *o;
	json_t *v;

	json_object_foreach(h, o, v)
	{
		if (o == k || strcmp(o, k) == 0)
			return NULL;
		if (strcasecmp(o, k) == 0)
			return o;
	}
	return NULL;
}

/*
 * sg_headers_check - the headers object h (absent or null: none) at
 * field: string values, no reserved name, a field named twice (in
 * another case) only with the same value (then it is one field).
 */
static int
sg_headers_check(json_t *h, const char *field, struct api_error *e)
{
	const char *k, *o;
	json_t *v;

	if (!compat_sendgrid_present(h))
		return 0;
	if (!json_is_object(h))
		return api_error_set(e, 400, "invalid_field", field,
		                     "Invalid type. Expected: object.");
	json_object_foreach(h, k, v)
	{
		if (!json_is_string(v))
			return api_error_set(
			    e, 400, "invalid_field", field,
			    "The header %.60s must be a string.", k);
		if (sg_reserved(k))
			return api_error_set(
			    e, 400, "invalid_field", field,
			    "You may not overwrite the header %.60s.", k);
		o = sg_header_earlier(h, k);
		if (o != NULL && !json_equal(json_object_get(h, o), v))
			return api_error_set(
			    e, 400, "invalid_field", field,
			    "The header %.60s is given twice (as %.60s) with "
			    "different values.",
			    k, o);
	}
	return 0;
}

/*
 * sg_header_add - header k: v (substituted, then suffix appended when
 * not NULL) into m; field names where it came from.
 */
static int
sg_header_add(struct mime_build_msg *m, struct compat_sendgrid_subst *sub,
              const char *k, json_t *v, const char *suffix, const char *field,
              struct api_error *e)
{
	size_t len;
	char *t;
	int rc;

	t = compat_sendgrid_subst_apply(sub, json_string_value(v),
	                                json_string_length(v), &len, field, e);
	if (t == NULL)
		return -1;
	if (memchr(t, '\0', len) != NULL) {
		free(t);
		return api_error_set(e, 400, "invalid_field", field,
		                     "NUL in header %.60s", k);
	}
	if (suffix != NULL) {
		t = xrealloc(t, len + strlen(suffix) + 1);
		memcpy(t + len, suffix, strlen(suffix) + 1);
	}
	rc = compat_field_add(m, k, t, field, e);
	free(t);
	return rc;
}

/*
 * sg_headers - the request's headers, those of personalization p over
 * them (by name, case-insensitively), into m with substitutions. idem
 * (NULL: none) is appended to the request's X-Swerve-Idempotency-Key:
 * a key names one message, so each personalization's gets its own
 * ("KEY/p1"), and a retry of the whole request replays every message.
 */
static int
sg_headers(json_t *top, json_t *ph, const char *pfield, const char *idem,
           struct compat_sendgrid_subst *sub, struct mime_build_msg *m,
           struct api_error *e)
{
	const char *k, *pk;
	json_t *v, *pv;

	if (!compat_sendgrid_present(top))
		top = NULL;
	if (!compat_sendgrid_present(ph))
		ph = NULL;
	json_object_foreach(top, k, v)
	{
		bool over = false;

		json_object_foreach(ph, pk, pv)
		{
			over = over || strcasecmp(k, pk) == 0;
		}
		if (!over && sg_header_earlier(top, k) == NULL &&
		    sg_header_add(m, sub, k, v,
		                  strcasecmp(k, "X-Swerve-Idempotency-Key") == 0
		                      ? idem
		                      : NULL,
		                  "headers", e) < 0)
			return -1;
	}
	json_object_foreach(ph, pk, pv)
	{
		if (sg_header_earlier(ph, pk) == NULL &&
		    sg_header_add(m, sub, pk, pv, NULL, pfield, e) < 0)
			return -1;
	}
	return 0;
}

/*
 * sg_reply_to - reply_to or reply_to_list (not both) with substitutions
 * into m's Reply-To.
 */
static int
sg_reply_to(json_t *j, struct compat_sendgrid_subst *sub,
            struct mime_build_msg *m, struct api_error *e)
{
	json_t *rt = json_object_get(j, "reply_to");
	json_t *rtl = json_object_get(j, "reply_to_list");
	json_t *v;
	int rc;

	if (compat_sendgrid_present(rt) && compat_sendgrid_present(rtl))
		return api_error_set(e, 400, "invalid_field", "reply_to_list",
		                     "reply_to is mutually exclusive with "
		                     "reply_to_list.");
	if (compat_sendgrid_present(rt)) {
		struct mime_build_addr a = {0};

		/* Without substitutions the list is used as given. */
		v = sub->n == 0
		        ? json_incref(rt)
		        : compat_sendgrid_subst_json(sub, rt, "reply_to", e);
		if (v == NULL)
			return -1;
		rc = sg_addr1(v, "reply_to", &a, e);
		json_decref(v);
		if (rc < 0)
			return -1;
		m->reply_to = xcalloc(1, sizeof(*m->reply_to));
		m->reply_to[0] = a;
		m->n_reply_to = 1;
		return 0;
	}
	if (!compat_sendgrid_present(rtl))
		return 0;
	v = sub->n == 0
	        ? json_incref(rtl)
	        : compat_sendgrid_subst_json(sub, rtl, "reply_to_list", e);
	if (v == NULL)
		return -1;
	rc =
	    sg_addrs(v, "reply_to_list", 1000, &m->reply_to, &m->n_reply_to, e);
	json_decref(v);
	return rc;
}

/*
 * sg_reply_to_unique - each address of reply_to_list once (checked once
 * per request, on the list as given).
 */
static int
sg_reply_to_unique(json_t *j, struct api_error *e)
{
	json_t *rtl = json_object_get(j, "reply_to_list");
	size_t i, k;

	if (!json_is_array(rtl) || json_array_size(rtl) > 1000)
		return 0; /* sg_addrs says what is wrong with it */
	for (i = 1; i < json_array_size(rtl); i++) {
		const char *a = json_string_value(
		    json_object_get(json_array_get(rtl, i), "email"));

		for (k = 0; a != NULL && k < i; k++) {
			const char *b = json_string_value(
			    json_object_get(json_array_get(rtl, k), "email"));

			if (b != NULL && strcasecmp(a, b) == 0)
				return api_error_set(
				    e, 400, "invalid_field", "reply_to_list",
				    "Each email address in the reply_to_list "
				    "should be unique.");
		}
	}
	return 0;
}

/* sg_subject - the personalization's subject, else the request's. */
static int
sg_subject(json_t *j, json_t *p, const char *pfield,
           struct compat_sendgrid_subst *sub, struct mime_build_msg *m,
           struct api_error *e)
{
	json_t *v = json_object_get(p, "subject");
	char f[96];
	size_t len;

	snprintf(f, sizeof(f), "%s.subject", pfield);
	if (!compat_sendgrid_present(v)) {
		v = json_object_get(j, "subject");
		snprintf(f, sizeof(f), "subject");
	}
	if (!compat_sendgrid_present(v))
		return api_error_set(
		    e, 400, "missing_field", "subject",
		    "The subject is required. You can get around this "
		    "requirement if you use a template with a subject "
		    "defined or if every personalization has a subject "
		    "defined.");
	if (!json_is_string(v) || json_string_length(v) == 0)
		return api_error_set(e, 400, "invalid_field", f,
		                     "The subject must be a string at least "
		                     "one character in length.");
	m->subject = compat_sendgrid_subst_apply(
	    sub, json_string_value(v), json_string_length(v), &len, f, e);
	if (m->subject == NULL)
		return -1;
	if (compat_str_check(m->subject, len, f, e) < 0)
		return -1;
	return 0;
}

/* sg_recipients - to (required), cc, bcc of p into msg. */
static int
sg_recipients(struct sg_req *r, json_t *p, const char *pfield,
              struct api_msg *msg, struct api_error *e)
{
	struct mime_build_msg *m = &msg->mail;
	char ft[96], fc[96], fb[96];

	snprintf(ft, sizeof(ft), "%s.to", pfield);
	snprintf(fc, sizeof(fc), "%s.cc", pfield);
	snprintf(fb, sizeof(fb), "%s.bcc", pfield);
	if (sg_addrs(json_object_get(p, "to"), ft, 1000, &m->to, &m->n_to, e) <
	        0 ||
	    sg_addrs(json_object_get(p, "cc"), fc, 1000, &m->cc, &m->n_cc, e) <
	        0 ||
	    sg_addrs(json_object_get(p, "bcc"), fb, 1000, &msg->bcc,
	             &msg->n_bcc, e) < 0)
		return -1;
	if (m->n_to == 0)
		return api_error_set(
		    e, 400, "missing_field", ft,
		    "The to array is required for all personalization "
		    "objects, and must have at least one email object with a "
		    "valid email address.");
	r->n_rcpts += m->n_to + m->n_cc + msg->n_bcc;
	if (r->n_rcpts > SG_RCPTS_MAX)
		return api_error_set(
		    e, 400, "invalid_field", "personalizations",
		    "The total number of recipients (to, cc and bcc over all "
		    "personalizations) may not exceed 1000.");
	return sg_dup_check(msg, pfield, e);
}

/*
 * sg_template_data - with a template_id, the template's name and p's
 * dynamic_template_data (an object; absent: {}) into msg, rendered at
 * submission (http_templates_apply); without one, dynamic_template_data
 * is refused.
 */
static int
sg_template_data(struct sg_req *r, json_t *p, const char *pf,
                 struct api_msg *msg, struct api_error *e)
{
	json_t *d = json_object_get(p, "dynamic_template_data");
	char f[96];

	snprintf(f, sizeof(f), "%s.dynamic_template_data", pf);
	if (r->template_id == NULL) {
		if (compat_sendgrid_present(d))
			return api_error_set(e, 400, "invalid_field", f,
			                     "dynamic_template_data needs a "
			                     "template_id");
		return 0;
	}
	if (compat_sendgrid_present(d) && !json_is_object(d))
		return api_error_set(e, 400, "invalid_field", f,
		                     "Invalid type. Expected: object.");
	msg->template_name = xstrdup(r->template_id);
	msg->template_data =
	    json_is_object(d) ? json_deep_copy(d) : json_object();
	return 0;
}

/* sg_one - the message for personalization i (p) of the request. */
static int
sg_one(struct sg_req *r, size_t i, json_t *p, struct api_msg *msg,
       struct api_error *e)
{
	static const char *const known[] = {"from",
	                                    "to",
	                                    "cc",
	                                    "bcc",
	                                    "subject",
	                                    "headers",
	                                    "substitutions",
	                                    "dynamic_template_data",
	                                    "custom_args",
	                                    "send_at",
	                                    NULL};
	struct compat_sendgrid_subst sub;
	struct mime_build_msg *m = &msg->mail;
	char pf[48], f[96], idem[32];
	json_t *from;
	int rc = -1;

	msg_meta_init(&msg->meta);
	snprintf(pf, sizeof(pf), "personalizations.%zu", i);
	snprintf(idem, sizeof(idem), "/p%zu", i);
	if (compat_sendgrid_obj_keys(p, pf, known, e) < 0 ||
	    sg_template_data(r, p, pf, msg, e) < 0)
		return -1;
	snprintf(f, sizeof(f), "%s.substitutions", pf);
	if (compat_sendgrid_subst_parse(json_object_get(p, "substitutions"), f,
	                                &r->subst_work, &sub, e) < 0)
		return -1;
	snprintf(f, sizeof(f), "%s.from", pf);
	from = json_object_get(p, "from");
	if (!compat_sendgrid_present(from)) {
		from = json_object_get(r->j, "from");
		snprintf(f, sizeof(f), "from");
	}
	if (sg_addr1(from, f, &m->from, e) < 0)
		goto done;
	if (m->from.addr == NULL) {
		api_error_set(
		    e, 400, "missing_field", "from",
		    "The from object must be provided for every email send. "
		    "It is an object that requires the email parameter, but "
		    "may also contain a name parameter.");
		goto done;
	}
	snprintf(f, sizeof(f), "%s.headers", pf);
	if (sg_recipients(r, p, pf, msg, e) < 0 ||
	    sg_reply_to(r->j, &sub, m, e) < 0 ||
	    (r->template_id == NULL &&
	     sg_subject(r->j, p, pf, &sub, m, e) < 0) ||
	    sg_headers_check(json_object_get(p, "headers"), f, e) < 0 ||
	    sg_headers(json_object_get(r->j, "headers"),
	               json_object_get(p, "headers"), f, r->n > 1 ? idem : NULL,
	               &sub, m, e) < 0 ||
	    compat_sendgrid_body_build(&r->opts, &r->base, &sub, m, e) < 0)
		goto done;
	rc = compat_sendgrid_meta(&r->opts, p, pf, r->now, &msg->meta, e);
done:
	compat_sendgrid_subst_fini(&sub);
	return rc;
}

/* sg_refused - the fields swerve refuses whenever they are given. */
static int
sg_refused(json_t *j, struct api_error *e)
{
	if (compat_sendgrid_present(json_object_get(j, "batch_id")))
		return api_error_set(
		    e, 400, "invalid_field", "batch_id",
		    "batch_id is not supported by this endpoint: swerve has "
		    "no batch cancel or pause API (send_at alone is; cancel "
		    "a scheduled message with DELETE /v1/messages/ID)");
	if (compat_sendgrid_present(json_object_get(j, "asm")))
		return api_error_set(
		    e, 400, "invalid_field", "asm",
		    "unsubscribe groups (asm) are not supported by this "
		    "endpoint: swerve keeps no unsubscribe groups, so it "
		    "could not leave out the recipients who left a group");
	return 0;
}

/* sg_template_id - template_id (a stored template's name) into r. */
static int
sg_template_id(struct sg_req *r, struct api_error *e)
{
	json_t *v = json_object_get(r->j, "template_id");

	if (!compat_sendgrid_present(v))
		return 0;
	if (!json_is_string(v) || !tmpl_store_name_ok(json_string_value(v)))
		return api_error_set(e, 400, "invalid_field", "template_id",
		                     "The template_id must be a valid template "
		                     "ID (letters, digits, '_', '-' or '.').");
	r->template_id = json_string_value(v);
	return 0;
}

/* sg_request - the shared parts of request j (checked, decoded once). */
static int
sg_request(struct sg_req *r, struct api_error *e)
{
	static const char *const known[] = {
	    "personalizations",  "from",       "reply_to",     "reply_to_list",
	    "subject",           "content",    "attachments",  "template_id",
	    "headers",           "categories", "custom_args",  "send_at",
	    "batch_id",          "asm",        "ip_pool_name", "mail_settings",
	    "tracking_settings", NULL};
	json_t *ps = json_object_get(r->j, "personalizations");
	size_t i;
	json_t *p;

	if (!json_is_object(r->j))
		return api_error_set(e, 400, "invalid_json", "", "Bad Request");
	if (compat_sendgrid_present(
	        json_object_get(r->j, "dynamic_template_data")))
		return api_error_set(
		    e, 400, "invalid_field", "dynamic_template_data",
		    "dynamic_template_data goes in each personalization");
	if (compat_sendgrid_keys_check(r->j, known, "", e) < 0 ||
	    sg_refused(r->j, e) < 0)
		return -1;
	if (!json_is_array(ps) || json_array_size(ps) == 0)
		return api_error_set(
		    e, 400, "missing_field", "personalizations",
		    "The personalizations field is required and must have "
		    "at least one personalization.");
	if (json_array_size(ps) > SG_PERSONALIZATIONS_MAX)
		return api_error_set(
		    e, 400, "invalid_field", "personalizations",
		    "The personalizations field may not have more than "
		    "1000 personalizations.");
	json_array_foreach(ps, i, p)
	{
		if (!json_is_object(p))
			return api_error_set(e, 400, "invalid_field",
			                     "personalizations",
			                     "Invalid type. Expected: object.");
	}
	if (sg_reply_to_unique(r->j, e) < 0 || sg_template_id(r, e) < 0)
		return -1;
	if (sg_headers_check(json_object_get(r->j, "headers"), "headers", e) <
	        0 ||
	    compat_sendgrid_body_parse(r->j, r->template_id != NULL, &r->base,
	                               e) < 0 ||
	    compat_sendgrid_opts_parse(r->j, r->now, &r->opts, e) < 0)
		return -1;
	if (r->template_id != NULL && r->opts.footer)
		return api_error_set(e, 400, "invalid_field",
		                     "mail_settings.footer",
		                     "a footer is added to the request's "
		                     "content, and a dynamic template "
		                     "(template_id) has none here: put the "
		                     "footer in the template");
	return 0;
}

/* sg_expanded_check - refuse a request whose messages are too big in all. */
static int
sg_expanded_check(const struct sg_req *r, size_t n, struct api_error *e)
{
	const struct mime_build_msg *b = &r->base;
	size_t one = b->text_len + b->html_len, i;

	if (r->opts.footer)
		one += (r->opts.footer_text ? strlen(r->opts.footer_text) : 0) +
		       (r->opts.footer_html ? strlen(r->opts.footer_html) : 0);
	for (i = 0; i < b->n_atts; i++)
		one += b->atts[i].len;
	if (one > SG_EXPANDED_MAX / n)
		return api_error_set(
		    e, 413, "too_large", "personalizations",
		    "the content and attachments times the %zu "
		    "personalizations exceed %u MiB; send fewer "
		    "personalizations per request",
		    n, SG_EXPANDED_MAX >> 20);
	return 0;
}

int
compat_sendgrid_decode(const char *body, size_t len, int64_t now,
                       struct api_msg **msgs, size_t *n, struct api_error *e)
{
	struct sg_req r;
	json_t *ps, *p;
	size_t i;
	int rc = -1;

	*msgs = NULL;
	*n = 0;
	memset(&r, 0, sizeof(r));
	r.now = now;
	r.subst_work = SG_SUBST_WORK_MAX;
	if ((r.j = compat_json_load(body, len, e)) == NULL)
		return -1;
	if (sg_request(&r, e) < 0)
		goto done;
	ps = json_object_get(r.j, "personalizations");
	r.n = json_array_size(ps);
	if (sg_expanded_check(&r, r.n, e) < 0)
		goto done;
	*msgs = xcalloc(r.n, sizeof(**msgs));
	json_array_foreach(ps, i, p)
	{
		*n = i + 1;
		if (sg_one(&r, i, p, &(*msgs)[i], e) < 0)
			goto done;
	}
	rc = 0;
done:
	json_decref(r.j);
	compat_sendgrid_opts_fini(&r.opts);
	mime_build_msg_fini(&r.base);
	if (rc < 0) {
		compat_msgs_free(*msgs, *n);
		*msgs = NULL;
		*n = 0;
	}
	return rc;
}

void
compat_sendgrid_error_render(const struct api_error *e, struct compat_answer *a)
{
	json_t *err;
	int st;

	st = compat_error_status(e);
	err = json_pack("{s:s,s:o,s:n}", "message", e->message, "field",
	                e->field[0] ? json_string(e->field) : json_null(),
	                "help");
	compat_answer_json(a, st, json_pack("{s:[o]}", "errors", err));
}

void
compat_sendgrid_fail(struct evhttp_request *req, const struct api_error *e)
{
	struct compat_answer a;

	compat_sendgrid_error_render(e, &a);
	compat_answer_send(req, &a);
}

const struct config_api_key *
compat_sendgrid_auth(struct compat *c, struct evhttp_request *req)
{
	const struct config_api_key *k = NULL;
	struct api_error e;
	struct str key;

	if (api_auth_bearer_parse(compat_header(req, "Authorization"), &key) ==
	    0)
		k = compat_key_find(c, key.p, key.len);
	if (k == NULL) {
		api_error_set(
		    &e, 401, "unauthorized", "",
		    "The provided authorization grant is invalid, expired, "
		    "or revoked");
		compat_sendgrid_fail(req, &e);
	}
	return k;
}

/*
 * sg_done - 202 (200 for a sandbox request) with X-Message-Id, or the
 * first failure, saying how many of the request's messages were stored
 * before it (they stay stored) and which personalization was not.
 */
static void
sg_done(struct evhttp_request *req, const struct http_pending_result *res,
        size_t n, void *arg)
{
	const bool *sandbox = arg;
	struct api_error e, first;
	size_t i, stored = 0, bad = n;
	const char *id = NULL;

	for (i = 0; i < n; i++) {
		if (!compat_result_failed(&res[i], &e)) {
			stored++;
			if (id == NULL)
				id = res[i].id;
		} else if (bad == n) {
			bad = i;
			first = e;
		}
	}
	if (id != NULL)
		evhttp_add_header(evhttp_request_get_output_headers(req),
		                  "X-Message-Id", id);
	if (bad == n) {
		compat_reply(req, *sandbox ? 200 : 202, NULL, NULL, 0);
		return;
	}
	if (n > 1) {
		char f[48];

		snprintf(f, sizeof(f), "personalizations.%zu", bad);
		api_error_set(&e, first.http_status, first.code, f,
		              "%.80s (%zu of %zu personalizations were stored; "
		              "send the others again, from %s)",
		              first.message, stored, n, f);
		first = e;
	}
	compat_sendgrid_fail(req, &first);
}

/*
 * sg_template_apply - msg's dynamic template rendered for k's tenant as
 * SendGrid does: Handlebars, HTML escaped in the html part, a missing
 * variable empty; an unknown template in SendGrid's words.
 */
static int
sg_template_apply(const struct config_api_key *k, struct api_msg *msg,
                  struct api_error *e)
{
	static const struct tmpl_store_render_opts o = {
	    {TMPL_ESCAPE_NONE, TMPL_ESCAPE_HTML, TMPL_ESCAPE_NONE}, 0};

	if (http_templates_apply(k->tenant, msg, &o, e) == 0)
		return 0;
	if (strcmp(e->code, "template_not_found") == 0) {
		e->http_status = 400;
		snprintf(e->field, sizeof(e->field), "template_id");
		snprintf(e->message, sizeof(e->message),
		         "The template_id must be a valid template ID.");
	}
	return -1;
}

void
compat_sendgrid_handle(struct compat *c, struct evhttp_request *req,
                       const char *path)
{
	const struct config_api_key *k;
	struct spool_msg_new *ms;
	struct api_msg *msgs;
	struct api_error e;
	const char *body;
	char client[96];
	size_t len, n, i;
	bool *sandbox;

	(void)path; /* the route row matched it exactly */
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		api_error_set(&e, 405, "method_not_allowed", "", "use POST");
		compat_sendgrid_fail(req, &e);
		return;
	}
	if ((k = compat_sendgrid_auth(c, req)) == NULL)
		return;
	if ((body = compat_body(c, req, &len, &e)) == NULL ||
	    compat_sendgrid_decode(body, len, (int64_t)clock_wall_time(), &msgs,
	                           &n, &e) < 0) {
		compat_sendgrid_fail(req, &e);
		return;
	}
	http_pending_client(req, client, sizeof(client));
	ms = xcalloc(n, sizeof(*ms));
	for (i = 0; i < n; i++) {
		if ((msgs[i].template_name == NULL ||
		     sg_template_apply(k, &msgs[i], &e) == 0) &&
		    compat_msg_prepare(c, k, &msgs[i], client, &ms[i], &e) == 0)
			continue;
		if (strcmp(e.code, "forbidden") == 0)
			snprintf(
			    e.message, sizeof(e.message),
			    "The from address does not match a verified Sender "
			    "Identity. Mail cannot be sent until this error is "
			    "resolved.");
		while (i-- > 0)
			spool_msg_new_fini(&ms[i]);
		free(ms);
		compat_msgs_free(msgs, n);
		compat_sendgrid_fail(req, &e);
		return;
	}
	sandbox = xmalloc(sizeof(*sandbox));
	*sandbox = msgs[0].meta.sandbox;
	compat_msgs_free(msgs, n);
	compat_submit(c, req, k, ms, NULL, n, sg_done, sandbox, NULL);
	free(ms);
}
