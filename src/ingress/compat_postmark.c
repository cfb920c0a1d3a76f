/*
 * compat_postmark.c - Postmark POST /email and /email/batch, as the
 * postmark npm client calls them.
 *
 * X-Postmark-Server-Token: <key>, a swerve api key. A message is
 * Postmark's object (From, To/Cc/Bcc comma lists, ReplyTo, Subject,
 * TextBody, HtmlBody, Headers [{Name, Value}], Attachments [{Name,
 * Content, ContentType, ContentID}], and into its msg_meta Tag, Metadata
 * (Postmark's limits), MessageStream, TrackOpens, TrackLinks); any other
 * field is refused naming it (template fields: templates are not done).
 * Keys are matched regardless of case, as Postmark matches them.
 * Success is 200 {"To", "SubmittedAt", "MessageID", "ErrorCode": 0,
 * "Message": "OK"}, MessageID being the stored message's Message-ID
 * without its angle brackets; errors
 * are {"ErrorCode", "Message"} with 401 (code 10) or 422 (300 invalid
 * request, 400 sender not allowed, 402 bad JSON, 410 too many messages),
 * 503 when the spool cannot take mail. A batch (at most 500) answers 200
 * with one such object per message, as Postmark does; valid messages
 * are queued even when others in the batch are not.
 *
 * Not done: templates (/email/withTemplate, and TemplateId and the like
 * on /email: refused). MessageStream is Postmark's routing, kept for an
 * egress Postmark; swerve's own stream comes from X-Swerve-Stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/http.h>

#include "core/clock.h"
#include "core/xmalloc.h"
#include "ingress/compat.h"
#include "ingress/compat_postmark_tmpl.h"

#define PM_BATCH_MAX 500
#define PM_TAG_MAX 1000       /* Postmark: a tag's characters */
#define PM_META_FIELDS_MAX 10 /* Postmark: metadata fields per message */
#define PM_META_NAME_MAX 20   /* Postmark: a metadata field name */
#define PM_META_VALUE_MAX 80  /* Postmark: a metadata value */

/* The fields of a message object swerve reads; any other is refused. */
static const char *const pm_fields[] = {
    "From",          "To",          "Cc",         "Bcc",
    "ReplyTo",       "Subject",     "TextBody",   "HtmlBody",
    "Headers",       "Attachments", "Tag",        "Metadata",
    "MessageStream", "TrackOpens",  "TrackLinks",
};

/* Template fields: /email/withTemplate's (pm_template_take), refused on
 * /email and /email/batch. */
static const char *const pm_template_fields[] = {
    "TemplateId",
    "TemplateAlias",
    "TemplateModel",
    "InlineCss",
};

/* pm_field_find - the spelling in names[0..n) of key, matched as
 * Postmark matches JSON keys (ignoring case), or NULL. */
static const char *
pm_field_find(const char *key, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(key, names[i]) == 0)
			return names[i];
	return NULL;
}

/*
 * pm_canon - a copy of object o with its keys spelt as names[0..n) spells
 * them: Postmark reads keys regardless of case (the postmark gem sends
 * ContentId). A key that is none of names (the template fields when
 * templates is true: templates are not done), or that comes twice in two
 * spellings, is refused naming it (field: where o is). NULL then.
 */
static json_t *
pm_canon(json_t *o, const char *const *names, size_t n, bool templates,
         const char *field, struct api_error *e)
{
	json_t *out = json_object(), *v;
	const char *k, *name;

	json_object_foreach(o, k, v)
	{
		name = pm_field_find(k, names, n);
		if (name != NULL && json_object_get(out, name) == NULL) {
			json_object_set(out, name, v);
			continue;
		}
		if (name != NULL)
			api_error_set(e, 422, "invalid_field",
			              *field ? field : k,
			              "'%.40s' is given twice", name);
		else if (templates &&
		         pm_field_find(k, pm_template_fields,
		                       sizeof(pm_template_fields) /
		                           sizeof(pm_template_fields[0])))
			api_error_set(
			    e, 422, "invalid_field", k,
			    "'%.40s' is a field of /email/withTemplate and "
			    "/email/batchWithTemplates, not of this endpoint: "
			    "send Subject and TextBody or HtmlBody here",
			    k);
		else
			api_error_set(
			    e, 422, "invalid_field", *field ? field : k,
			    "'%.40s' is not a field of %s: nothing was "
			    "sent",
			    k, *field ? field : "the Postmark email API");
		json_decref(out);
		return NULL;
	}
	return out;
}

/* pm_tag - Tag: one label, at most PM_TAG_MAX characters. */
static int
pm_tag(json_t *o, struct msg_meta *meta, struct api_error *e)
{
	json_t *v = json_object_get(o, "Tag");

	if (v == NULL || json_is_null(v) ||
	    (json_is_string(v) && json_string_length(v) == 0))
		return 0;
	if (!json_is_string(v))
		return api_error_set(e, 422, "invalid_field", "Tag",
		                     "Tag must be a string");
	if (json_string_length(v) > PM_TAG_MAX ||
	    msg_meta_add_tag(meta, json_string_value(v), NULL) < 0)
		return api_error_set(
		    e, 422, "invalid_field", "Tag",
		    "Tag must be at most %d characters without "
		    "control characters",
		    json_string_length(v) > PM_TAG_MAX ? PM_TAG_MAX
		                                       : MSG_META_TAG_MAX);
	return 0;
}

/* pm_metadata - Metadata: Postmark's string pairs, within its limits
 * (names unique regardless of case). */
static int
pm_metadata(json_t *o, struct msg_meta *meta, struct api_error *e)
{
	json_t *v = json_object_get(o, "Metadata"), *val;
	const char *k, *k2;
	json_t *val2;
	char *s;
	int rc;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return api_error_set(e, 422, "invalid_field", "Metadata",
		                     "Metadata must be an object");
	if (json_object_size(v) > PM_META_FIELDS_MAX)
		return api_error_set(e, 422, "invalid_field", "Metadata",
		                     "Metadata can have at most %d fields",
		                     PM_META_FIELDS_MAX);
	json_object_foreach(v, k, val)
	{
		if (*k == '\0' || strlen(k) > PM_META_NAME_MAX)
			return api_error_set(
			    e, 422, "invalid_field", "Metadata",
			    "Metadata field names are 1..%d characters",
			    PM_META_NAME_MAX);
		if (!json_is_string(val) ||
		    json_string_length(val) > PM_META_VALUE_MAX)
			return api_error_set(
			    e, 422, "invalid_field", "Metadata",
			    "Metadata value of '%.20s' must be a string of at "
			    "most %d characters",
			    k, PM_META_VALUE_MAX);
		json_object_foreach(v, k2, val2)
		{
			if (k2 != k && strcasecmp(k2, k) == 0)
				return api_error_set(
				    e, 422, "invalid_field", "Metadata",
				    "Metadata field names must differ in more "
				    "than case: '%.20s'",
				    k);
		}
	}
	s = json_dumps(v, JSON_COMPACT);
	rc = s ? msg_meta_set_metadata(meta, s) : -1;
	free(s);
	if (rc < 0)
		return api_error_set(e, 422, "invalid_field", "Metadata",
		                     "Metadata is too large");
	return 0;
}

/* pm_stream_track - MessageStream, TrackOpens and TrackLinks. */
static int
pm_stream_track(json_t *o, struct msg_meta *meta, struct api_error *e)
{
	json_t *v = json_object_get(o, "MessageStream");
	const char *s;
	size_t i;

	if (v != NULL && !json_is_null(v)) {
		s = json_string_value(v);
		if (s == NULL || *s == '\0' || strlen(s) > MSG_META_NAME_MAX)
			return api_error_set(
			    e, 422, "invalid_field", "MessageStream",
			    "MessageStream must be a stream ID");
		for (i = 0; s[i] != '\0'; i++)
			if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
				return api_error_set(
				    e, 422, "invalid_field", "MessageStream",
				    "MessageStream must be a stream ID");
		meta->message_stream = xstrdup(s);
	}
	v = json_object_get(o, "TrackOpens");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_boolean(v))
			return api_error_set(
			    e, 422, "invalid_field", "TrackOpens",
			    "TrackOpens must be true or false");
		meta->track_opens =
		    json_is_true(v) ? MSG_TRACK_ON : MSG_TRACK_OFF;
	}
	v = json_object_get(o, "TrackLinks");
	if (v != NULL && !json_is_null(v)) {
		s = json_string_value(v);
		if (s != NULL && strcmp(s, "None") == 0)
			meta->track_clicks = MSG_TRACK_OFF;
		else if (s != NULL && (strcmp(s, "HtmlAndText") == 0 ||
		                       strcmp(s, "HtmlOnly") == 0 ||
		                       strcmp(s, "TextOnly") == 0))
			meta->track_clicks = MSG_TRACK_ON;
		else
			return api_error_set(
			    e, 422, "invalid_field", "TrackLinks",
			    "TrackLinks must be None, HtmlAndText, "
			    "HtmlOnly or TextOnly");
	}
	return 0;
}

/* pm_addrs - a comma-separated address field into list. */
static int
pm_addrs(json_t *o, const char *key, struct mime_build_addr **list, size_t *n,
         struct api_error *e)
{
	json_t *v = json_object_get(o, key);

	if (v != NULL && !json_is_null(v) && !json_is_string(v))
		return api_error_set(e, 422, "invalid_field", key,
		                     "Invalid '%s' address: expected a string",
		                     key);
	if (compat_json_addrs(v, key, true, list, n, e) < 0) {
		snprintf(e->message, sizeof(e->message),
		         "Error parsing '%s': Illegal email address '%s'.", key,
		         json_string_value(v));
		return -1;
	}
	return 0;
}

int
compat_postmark_msg_decode(json_t *in, struct api_msg *msg, struct api_error *e)
{
	static const char *const att_fields[] = {"Name", "Content",
	                                         "ContentType", "ContentID"};
	static const char *const hdr_fields[] = {"Name", "Value"};
	struct mime_build_msg *m = &msg->mail;
	struct mime_build_addr *from = NULL;
	size_t nfrom = 0, i;
	json_t *o, *v, *it0;

	memset(msg, 0, sizeof(*msg));
	msg_meta_init(&msg->meta);
	if (!json_is_object(in))
		return api_error_set(e, 422, "invalid_json", "",
		                     "Received invalid JSON input.");
	o = pm_canon(in, pm_fields, sizeof(pm_fields) / sizeof(pm_fields[0]),
	             true, "", e);
	if (o == NULL)
		return -1;
	if (pm_addrs(o, "From", &from, &nfrom, e) < 0) {
		compat_addrs_free(from, nfrom);
		goto fail;
	}
	if (nfrom != 1) {
		compat_addrs_free(from, nfrom);
		from = NULL;
		api_error_set(e, 422, nfrom ? "invalid_field" : "missing_field",
		              "From",
		              "Invalid 'From' address: exactly one is needed.");
		goto fail;
	}
	m->from = from[0];
	free(from);
	if (pm_addrs(o, "To", &m->to, &m->n_to, e) < 0 ||
	    pm_addrs(o, "Cc", &m->cc, &m->n_cc, e) < 0 ||
	    pm_addrs(o, "Bcc", &msg->bcc, &msg->n_bcc, e) < 0 ||
	    pm_addrs(o, "ReplyTo", &m->reply_to, &m->n_reply_to, e) < 0)
		goto fail;
	if (m->n_to + m->n_cc + msg->n_bcc == 0) {
		api_error_set(e, 422, "missing_field", "To",
		              "Zero recipients specified");
		goto fail;
	}
	if (compat_json_str(o, "Subject", "Subject", true, &m->subject, e) < 0)
		goto fail;
	if ((v = json_object_get(o, "TextBody")) != NULL && !json_is_null(v) &&
	    (!json_is_string(v) ||
	     compat_text_set(m, false, json_string_value(v),
	                     json_string_length(v), "TextBody", e) < 0))
		goto bad_body;
	if ((v = json_object_get(o, "HtmlBody")) != NULL && !json_is_null(v) &&
	    (!json_is_string(v) ||
	     compat_text_set(m, true, json_string_value(v),
	                     json_string_length(v), "HtmlBody", e) < 0))
		goto bad_body;
	if (m->text == NULL && m->html == NULL) {
		api_error_set(
		    e, 422, "missing_field", "TextBody",
		    "Provide either email TextBody or HtmlBody or both.");
		goto fail;
	}
	v = json_object_get(o, "Headers");
	if (v != NULL && !json_is_null(v) && !json_is_array(v)) {
		api_error_set(e, 422, "invalid_field", "Headers",
		              "Headers must be an array");
		goto fail;
	}
	json_array_foreach(v, i, it0)
	{
		char *n = NULL, *val = NULL;
		json_t *it = json_is_object(it0) ? pm_canon(it0, hdr_fields, 2,
		                                            false, "Headers", e)
		                                 : NULL;
		int rc = it ? 0 : -1;

		if (it == NULL && !json_is_object(it0))
			api_error_set(
			    e, 422, "invalid_field", "Headers",
			    "a header must be an object {Name, Value}");
		if (rc == 0)
			rc =
			    compat_json_str(it, "Name", "Headers", true, &n, e);
		if (rc == 0)
			rc = compat_json_str(it, "Value", "Headers", true, &val,
			                     e);
		if (rc == 0)
			rc = compat_field_add(m, n ? n : "", val ? val : "",
			                      "Headers", e);
		free(n);
		free(val);
		json_decref(it);
		if (rc < 0)
			goto fail;
	}
	v = json_object_get(o, "Attachments");
	if (v != NULL && !json_is_null(v) && !json_is_array(v)) {
		api_error_set(e, 422, "invalid_field", "Attachments",
		              "Attachments must be an array");
		goto fail;
	}
	json_array_foreach(v, i, it0)
	{
		char f[40], *fn = NULL, *ct = NULL, *cid = NULL;
		json_t *it, *c;
		int rc;

		snprintf(f, sizeof(f), "Attachments[%zu]", i);
		if (!json_is_object(it0)) {
			api_error_set(e, 422, "invalid_field", f,
			              "an attachment must be an object");
			goto fail;
		}
		if ((it = pm_canon(it0, att_fields, 4, false, f, e)) == NULL)
			goto fail;
		c = json_object_get(it, "Content");
		if (!json_is_string(c)) {
			json_decref(it);
			api_error_set(e, 422, "invalid_field", f,
			              "Attachment content is required");
			goto fail;
		}
		rc = compat_json_str(it, "Name", f, true, &fn, e);
		if (rc == 0)
			rc =
			    compat_json_str(it, "ContentType", f, true, &ct, e);
		if (rc == 0)
			rc = compat_json_str(it, "ContentID", f, true, &cid, e);
		if (rc == 0)
			rc = compat_att_add_b64(m, fn, ct, cid,
			                        json_string_value(c),
			                        json_string_length(c), f, e);
		free(fn);
		free(ct);
		free(cid);
		json_decref(it);
		if (rc < 0)
			goto fail;
	}
	if (pm_tag(o, &msg->meta, e) < 0 || pm_metadata(o, &msg->meta, e) < 0 ||
	    pm_stream_track(o, &msg->meta, e) < 0)
		goto fail;
	json_decref(o);
	return 0;
bad_body:
	api_error_set(e, 422, "invalid_field", "TextBody",
	              "TextBody and HtmlBody must be strings without NUL");
fail:
	json_decref(o);
	api_msg_fini(msg);
	return -1;
}

/* The text Postmark echoes in "To", per message (packed in one block). */
struct pm_arg {
	bool batch;
	size_t n;
	char *to[];
};

/* pm_arg_new - room for n To strings. */
static struct pm_arg *
pm_arg_new(bool batch, size_t n)
{
	struct pm_arg *a = xcalloc(1, sizeof(*a) + n * sizeof(char *));

	a->batch = batch;
	a->n = n;
	return a;
}

/* pm_arg_free - free a and its strings. */
static void
pm_arg_free(void *p)
{
	struct pm_arg *a = p;
	size_t i;

	for (i = 0; a != NULL && i < a->n; i++)
		free(a->to[i]);
	free(a);
}

/* pm_error_code - Postmark's ErrorCode for a generic error. */
static int
pm_error_code(const struct api_error *e, int *status)
{
	*status = 422;
	if (strcmp(e->code, "unauthorized") == 0) {
		*status = 401;
		return 10;
	}
	if (strcmp(e->code, "unavailable") == 0) {
		*status = 503;
		return 100;
	}
	if (strcmp(e->code, "not_found") == 0 ||
	    strcmp(e->code, "method_not_allowed") == 0) {
		*status = 404;
		return 0;
	}
	if (strcmp(e->code, "forbidden") == 0)
		return 400;
	if (strcmp(e->code, "invalid_json") == 0)
		return 402;
	if (strcmp(e->code, "batch_too_large") == 0)
		return 410;
	/* Postmark's "Inactive recipient": every recipient is on the
	 * tenant's suppression list. */
	if (strcmp(e->code, "suppressed") == 0)
		return 406;
	/* Templates: not found, and a template that does not render. */
	if (strcmp(e->code, "template_not_found") == 0)
		return 1101;
	if (strcmp(e->code, "render_failed") == 0)
		return 1105;
	return 300;
}

/* pm_error_obj - {"ErrorCode", "Message"} of e. */
static json_t *
pm_error_obj(const struct api_error *e, int *status)
{
	int code = pm_error_code(e, status);

	return json_pack("{s:i,s:s}", "ErrorCode", code, "Message", e->message);
}

void
compat_postmark_error_render(const struct api_error *e, struct compat_answer *a)
{
	int st;
	json_t *o = pm_error_obj(e, &st);

	compat_answer_json(a, st, o);
}

/* pm_fail - one error answer. */
static void
pm_fail(struct evhttp_request *req, const struct api_error *e)
{
	struct compat_answer a;

	compat_postmark_error_render(e, &a);
	compat_answer_send(req, &a);
}

/* pm_result - one message's result object. MessageID is the Message-ID
 * of the message stored without its angle brackets (Postmark's ids are
 * bare); should there be none, swerve's id stands in. */
static json_t *
pm_result(const struct http_pending_result *r, const char *to, int *status)
{
	size_t n = strlen(r->message_id);
	char id[sizeof(r->message_id)];

	if (n > 2 && r->message_id[0] == '<' && r->message_id[n - 1] == '>') {
		memcpy(id, r->message_id + 1, n - 2);
		id[n - 2] = '\0';
	} else
		snprintf(id, sizeof(id), "%s", r->id);
	struct api_error e;
	char when[40];
	time_t now = clock_wall_time();
	struct tm tm;

	*status = 200;
	if (compat_result_failed(r, &e))
		return pm_error_obj(&e, status);
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:s,s:s,s:s,s:i,s:s}", "To", to ? to : "",
	                 "SubmittedAt", when, "MessageID", id, "ErrorCode", 0,
	                 "Message", "OK");
}

/* pm_done - one object, or an array for a batch. */
static void
pm_done(struct evhttp_request *req, const struct http_pending_result *res,
        size_t n, void *arg)
{
	struct pm_arg *a = arg;
	json_t *out;
	size_t i;
	int st;

	if (!a->batch) {
		out = pm_result(&res[0], a->to[0], &st);
		compat_reply_json(req, st, out);
		return;
	}
	out = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(out, pm_result(&res[i], a->to[i], &st));
	compat_reply_json(req, 200, out);
}

/*
 * pm_template_take - a /email/withTemplate message o: TemplateId (a
 * stored template named by the number) or TemplateAlias, TemplateModel
 * and InlineCss taken out of a copy of o, which gets a placeholder
 * TextBody for the message decoder (the template replaces it). The copy,
 * or NULL with *e; the template's name and data into msg.
 */
static json_t *
pm_template_take(json_t *o, struct api_msg *msg, struct api_error *e)
{
	json_t *c = json_object(), *v, *id = NULL, *alias = NULL;
	json_t *model = NULL, *css = NULL;
	const char *k;
	char name[32];

	json_object_foreach(o, k, v)
	{
		if (strcasecmp(k, "TemplateId") == 0)
			id = v;
		else if (strcasecmp(k, "TemplateAlias") == 0)
			alias = v;
		else if (strcasecmp(k, "TemplateModel") == 0)
			model = v;
		else if (strcasecmp(k, "InlineCss") == 0)
			css = v;
		else if (strcasecmp(k, "Subject") == 0 ||
		         strcasecmp(k, "TextBody") == 0 ||
		         strcasecmp(k, "HtmlBody") == 0) {
			json_decref(c);
			api_error_set(e, 422, "invalid_field", k,
			              "'%.20s' is not a field of a templated "
			              "message: the template gives it",
			              k);
			return NULL;
		} else
			json_object_set(c, k, v);
	}
	if ((id != NULL && !json_is_null(id)) ==
	    (alias != NULL && !json_is_null(alias))) {
		json_decref(c);
		api_error_set(e, 422, "template_field", "TemplateId",
		              "Either 'TemplateId' or 'TemplateAlias' is "
		              "required, not both.");
		return NULL;
	}
	if (id != NULL && !json_is_null(id) &&
	    (!json_is_integer(id) || json_integer_value(id) < 0)) {
		json_decref(c);
		api_error_set(e, 422, "template_field", "TemplateId",
		              "'TemplateId' must be a number.");
		return NULL;
	}
	if ((alias != NULL && !json_is_null(alias) &&
	     (!json_is_string(alias) ||
	      !tmpl_store_name_ok(json_string_value(alias)))) ||
	    (model != NULL && !json_is_null(model) && !json_is_object(model)) ||
	    (css != NULL && !json_is_null(css) && !json_is_boolean(css))) {
		json_decref(c);
		api_error_set(
		    e, 422, "template_field",
		    alias != NULL && !json_is_string(alias)   ? "TemplateAlias"
		    : model != NULL && !json_is_object(model) ? "TemplateModel"
		                                              : "InlineCss",
		    "'TemplateAlias' must be a template alias, "
		    "'TemplateModel' an object, 'InlineCss' true or "
		    "false.");
		return NULL;
	}
	if (json_is_true(css)) {
		json_decref(c);
		api_error_set(e, 422, "template_field", "InlineCss",
		              "'InlineCss': swerve does not inline CSS; send "
		              "false (or leave it out) and inline the styles "
		              "in the template.");
		return NULL;
	}
	if (alias != NULL && !json_is_null(alias))
		msg->template_name = xstrdup(json_string_value(alias));
	else {
		snprintf(name, sizeof(name), "%lld",
		         (long long)json_integer_value(id));
		msg->template_name = xstrdup(name);
	}
	msg->template_data =
	    json_is_object(model) ? json_deep_copy(model) : json_object();
	json_object_set_new(c, "TextBody", json_string(" "));
	return c;
}

/*
 * pm_template_apply - msg's template as Postmark renders it: its stored
 * dialect (Mustachio for Postmark's), HTML escaped in the html part, a
 * missing value empty.
 */
static int
pm_template_apply(const struct config_api_key *k, struct api_msg *msg,
                  struct api_error *e)
{
	static const struct tmpl_store_render_opts o = {
	    {TMPL_ESCAPE_NONE, TMPL_ESCAPE_HTML, TMPL_ESCAPE_NONE}, 0};

	if (compat_postmark_tmpl_apply(k->tenant, msg, &o, e) == 0)
		return 0;
	e->http_status = 422;
	if (strcmp(e->code, "template_not_found") == 0)
		snprintf(e->message, sizeof(e->message),
		         "The template '%s' could not be found.",
		         msg->template_name);
	return -1;
}

/* pm_prepare - decode and prepare item o into *m / *r; To into *to;
 * templated: a /email/withTemplate message. */
static void
pm_prepare(struct compat *c, const struct config_api_key *k, json_t *o,
           bool templated, const char *client, struct spool_msg_new *m,
           struct http_pending_result *r, char **to)
{
	struct api_msg msg, tm;
	json_t *t = NULL, *v, *copy = NULL;
	const char *key;

	/* Postmark reads keys regardless of case; so does the echo. */
	json_object_foreach(o, key, v)
	{
		if (strcasecmp(key, "To") == 0)
			t = v;
	}
	memset(r, 0, sizeof(*r));
	memset(&tm, 0, sizeof(tm));
	*to = json_is_string(t) ? xstrdup(json_string_value(t)) : NULL;
	if (templated) {
		if (!json_is_object(o)) {
			api_error_set(&r->err, 422, "invalid_json", "",
			              "Received invalid JSON input.");
			return;
		}
		if ((copy = pm_template_take(o, &tm, &r->err)) == NULL) {
			api_msg_fini(&tm);
			return;
		}
		o = copy;
	}
	if (compat_postmark_msg_decode(o, &msg, &r->err) < 0) {
		json_decref(copy);
		api_msg_fini(&tm);
		return;
	}
	json_decref(copy);
	msg.template_name = tm.template_name;
	msg.template_data = tm.template_data;
	tm.template_name = NULL;
	tm.template_data = NULL;
	api_msg_fini(&tm);
	if (msg.template_name != NULL &&
	    pm_template_apply(k, &msg, &r->err) < 0) {
		api_msg_fini(&msg);
		return;
	}
	if (compat_msg_prepare(c, k, &msg, client, m, &r->err) < 0 &&
	    strcmp(r->err.code, "forbidden") == 0)
		snprintf(
		    r->err.message, sizeof(r->err.message),
		    "The 'From' address you supplied (%s) is not a Sender "
		    "Signature on your account. Please add and confirm this "
		    "address in order to be able to use it in the 'From' "
		    "field of your messages.",
		    msg.mail.from.addr);
	api_msg_fini(&msg);
}

void
compat_postmark_handle(struct compat *c, struct evhttp_request *req,
                       const char *path)
{
	const char *tok = compat_header(req, "X-Postmark-Server-Token");
	const struct config_api_key *k;
	struct http_pending_result *rs;
	struct spool_msg_new *ms;
	struct pm_arg *a;
	struct api_error e;
	const char *body;
	char client[96];
	bool batch, templated;
	json_t *j, *items;
	size_t len, n, i;

	if (path == NULL ||
	    (strcmp(path, "/email") != 0 && strcmp(path, "/email/batch") != 0 &&
	     strcmp(path, "/email/withTemplate") != 0 &&
	     strcmp(path, "/email/batchWithTemplates") != 0)) {
		api_error_set(&e, 404, "not_found", "", "Not found");
		pm_fail(req, &e);
		return;
	}
	batch = strcmp(path, "/email/batch") == 0 ||
	        strcmp(path, "/email/batchWithTemplates") == 0;
	templated = strstr(path, "emplate") != NULL;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		api_error_set(&e, 405, "method_not_allowed", "", "use POST");
		pm_fail(req, &e);
		return;
	}
	if ((k = compat_key_find(c, tok, tok ? strlen(tok) : 0)) == NULL) {
		api_error_set(&e, 401, "unauthorized", "",
		              "Request does not contain a valid Server token.");
		pm_fail(req, &e);
		return;
	}
	if ((body = compat_body(c, req, &len, &e)) == NULL ||
	    (j = compat_json_load(body, len, &e)) == NULL) {
		if (strcmp(e.code, "invalid_json") == 0)
			snprintf(e.message, sizeof(e.message),
			         "Received invalid JSON input.");
		pm_fail(req, &e);
		return;
	}
	/* batchWithTemplates wraps its array: {"Messages": [...]}. */
	items = batch && templated ? json_object_get(j, "Messages") : j;
	if (batch && (!json_is_array(items) || json_array_size(items) == 0 ||
	              json_array_size(items) > PM_BATCH_MAX ||
	              (templated && json_object_size(j) != 1))) {
		api_error_set(&e, 422,
		              json_is_array(items) && json_array_size(items)
		                  ? "batch_too_large"
		                  : "invalid_json",
		              "",
		              json_is_array(items) && json_array_size(items) &&
		                      json_array_size(items) > PM_BATCH_MAX
		                  ? "Too many batch messages (at most 500)."
		                  : "Received invalid JSON input.");
		json_decref(j);
		pm_fail(req, &e);
		return;
	}
	n = batch ? json_array_size(items) : 1;
	http_pending_client(req, client, sizeof(client));
	ms = xcalloc(n, sizeof(*ms));
	rs = xcalloc(n, sizeof(*rs));
	a = pm_arg_new(batch, n);
	for (i = 0; i < n; i++)
		pm_prepare(c, k, batch ? json_array_get(items, i) : j,
		           templated, client, &ms[i], &rs[i], &a->to[i]);
	json_decref(j);
	if (!batch && rs[0].err.http_status != 0) {
		pm_fail(req, &rs[0].err);
		pm_arg_free(a);
		free(rs);
		free(ms);
		return;
	}
	compat_submit(c, req, k, ms, rs, n, pm_done, a, pm_arg_free);
	free(rs);
	free(ms);
}
