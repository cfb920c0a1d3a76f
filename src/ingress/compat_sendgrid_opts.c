/*
 * compat_sendgrid_opts.c - what a SendGrid mail/send request asks of
 * every message besides its content: categories, custom_args, send_at,
 * ip_pool_name, mail_settings and tracking_settings, into the message's
 * msg_meta (see compat_sendgrid_int.h and docs/drop-in.md's field
 * matrix).
 *
 * Every member is checked as SendGrid checks it and either honoured,
 * recorded on the message, or refused naming its path; nothing is read
 * and dropped. What swerve records without a member of its own goes to
 * msg_meta.options under its documented path: the bypass filters at the
 * top, the tracking refinements no egress provider is given (click
 * tracking's enable_text, open tracking's substitution_tag, ganalytics)
 * under "not applied".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "ingress/compat_sendgrid_int.h"

int
compat_sendgrid_keys_check(json_t *obj, const char *const *known,
                           const char *prefix, struct api_error *e)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(obj, k, v)
	{
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(k, known[i]) == 0)
				break;
		if (known[i] == NULL) {
			char f[96];

			snprintf(f, sizeof(f), "%s%s", prefix, k);
			return api_error_set(
			    e, 400, "invalid_field", f,
			    "%s is not a field of SendGrid's v3 "
			    "mail/send that swerve knows",
			    f);
		}
	}
	return 0;
}

int
compat_sendgrid_obj_keys(json_t *obj, const char *field,
                         const char *const *known, struct api_error *e)
{
	char prefix[96];

	if (!json_is_object(obj))
		return api_error_set(e, 400, "invalid_field", field,
		                     "Invalid type. Expected: object.");
	snprintf(prefix, sizeof(prefix), "%s.", field);
	return compat_sendgrid_keys_check(obj, known, prefix, e);
}

bool
compat_sendgrid_present(json_t *v)
{
	return v != NULL && !json_is_null(v);
}

/*
 * opts_obj - the object member key of obj at path field (absent or null:
 * NULL and 0), checked against known. 0, or -1 with *e.
 */
static int
opts_obj(json_t *obj, const char *key, const char *field,
         const char *const *known, json_t **out, struct api_error *e)
{
	char prefix[96];
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return api_error_set(e, 400, "invalid_field", field,
		                     "Invalid type. Expected: object.");
	snprintf(prefix, sizeof(prefix), "%s.", field);
	if (compat_sendgrid_keys_check(v, known, prefix, e) < 0)
		return -1;
	*out = v;
	return 0;
}

/*
 * opts_bool - the boolean member key of obj (absent or null: false) into
 * *out. field is obj's path. 0, or -1 with *e.
 */
static int
opts_bool(json_t *obj, const char *key, const char *field, bool *out,
          struct api_error *e)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;

	*out = false;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return api_error_set(e, 400, "invalid_field", field,
		                     "%s.%s: Invalid type. Expected: boolean.",
		                     field, key);
	*out = json_is_true(v);
	return 0;
}

/*
 * opts_str - the string member key of obj into *out (copied; NULL when
 * absent or null) after checking it has no NUL. 0, or -1 with *e.
 */
static int
opts_str(json_t *obj, const char *key, const char *field, char **out,
         struct api_error *e)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;

	if (out != NULL)
		*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) ||
	    memchr(json_string_value(v), '\0', json_string_length(v)))
		return api_error_set(e, 400, "invalid_field", field,
		                     "%s.%s: Invalid type. Expected: string.",
		                     field, key);
	if (out != NULL)
		*out = xstrdup(json_string_value(v));
	return 0;
}

/*
 * opts_send_at - a send_at value v at field: *out is 0 (at once: absent,
 * null, or not in the future, as SendGrid sends past times at once) or
 * the unix time to send at. 0, or -1 with *e.
 */
static int
opts_send_at(json_t *v, const char *field, int64_t now, int64_t *out,
             struct api_error *e)
{
	json_int_t t;

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return api_error_set(e, 400, "invalid_field", field,
		                     "The send_at parameter must be a unix "
		                     "timestamp (a non-negative integer).");
	t = json_integer_value(v);
	if (t > now + SG_SEND_AT_AHEAD_MAX)
		return api_error_set(e, 400, "invalid_field", field,
		                     "The send_at parameter cannot be more "
		                     "than 72 hours in the future.");
	*out = t > now ? (int64_t)t : 0;
	return 0;
}

/*
 * opts_custom_args - merge the custom_args object v at field into *into
 * (an object), replacing keys it has. 0, or -1 with *e.
 */
static int
opts_custom_args(json_t *v, const char *field, json_t *into,
                 struct api_error *e)
{
	const char *k;
	json_t *it;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return api_error_set(e, 400, "invalid_field", field,
		                     "custom_args must be an object of "
		                     "string values.");
	json_object_foreach(v, k, it)
	{
		if (!json_is_string(it) || k[0] == '\0')
			return api_error_set(
			    e, 400, "invalid_field", field,
			    "custom_args keys must be non-empty and their "
			    "values strings: \"%.60s\" is not.",
			    k);
		json_object_set(into, k, it);
	}
	return 0;
}

/* opts_args_size - octets of the keys and string values of obj. */
static size_t
opts_args_size(json_t *obj)
{
	const char *k;
	json_t *v;
	size_t n = 0;

	json_object_foreach(obj, k, v) n += strlen(k) + json_string_length(v);
	return n;
}

/*
 * opts_categories - categories v (absent or null: none) into m's tags as
 * labels: an array of at most SG_CATEGORIES_MAX distinct strings of at
 * most SG_CATEGORY_MAX characters. 0, or -1 with *e.
 */
static int
opts_categories(json_t *v, struct msg_meta *m, struct api_error *e)
{
	size_t i, j;
	json_t *it;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return api_error_set(e, 400, "invalid_field", "categories",
		                     "categories must be an array of strings.");
	if (json_array_size(v) > SG_CATEGORIES_MAX)
		return api_error_set(e, 400, "invalid_field", "categories",
		                     "You may not have more than 10 "
		                     "categories per request.");
	json_array_foreach(v, i, it)
	{
		const char *s = json_string_value(it);
		size_t chars = 0;

		if (s == NULL)
			return api_error_set(e, 400, "invalid_field",
			                     "categories",
			                     "categories must be an array of "
			                     "strings.");
		for (j = 0; s[j] != '\0'; j++)
			chars += ((unsigned char)s[j] & 0xc0) != 0x80;
		for (j = 0; j < i; j++)
			if (json_equal(json_array_get(v, j), it))
				return api_error_set(
				    e, 400, "invalid_field", "categories",
				    "Categories must be unique: \"%.60s\" "
				    "is given twice.",
				    s);
		if (chars > SG_CATEGORY_MAX ||
		    strlen(s) != json_string_length(it) ||
		    msg_meta_add_tag(m, s, NULL) < 0)
			return api_error_set(
			    e, 400, "invalid_field", "categories",
			    "A category must be 1..255 characters without "
			    "control characters.");
	}
	return 0;
}

/* opts_record - options[path] = v (a new reference is taken). */
static void
opts_record(json_t *options, const char *path, json_t *v)
{
	json_object_set(options, path, v);
}

/*
 * opts_not_applied - options["not applied"][path] = v: an analytics
 * option no egress provider is given, recorded as not applied.
 */
static void
opts_not_applied(json_t *options, const char *path, json_t *v)
{
	json_t *na = json_object_get(options, "not applied");

	if (na == NULL) {
		na = json_object();
		json_object_set_new(options, "not applied", na);
	}
	json_object_set(na, path, v);
}

/*
 * opts_mail_settings - mail_settings: sandbox_mode into m, footer into
 * o, bypass filters recorded in options. 0, or -1 with *e.
 */
static int
opts_mail_settings(json_t *j, struct compat_sendgrid_opts *o,
                   struct msg_meta *m, json_t *options, struct api_error *e)
{
	static const char *const known[] = {"bypass_list_management",
	                                    "bypass_spam_management",
	                                    "bypass_bounce_management",
	                                    "bypass_unsubscribe_management",
	                                    "footer",
	                                    "sandbox_mode",
	                                    NULL};
	static const char *const enable[] = {"enable", NULL};
	static const char *const footer[] = {"enable", "text", "html", NULL};
	json_t *ms, *s;
	bool on, list = false, other = false;
	size_t i;
	char f[96];

	if (opts_obj(j, "mail_settings", "mail_settings", known, &ms, e) < 0)
		return -1;
	if (ms == NULL)
		return 0;
	for (i = 0; i < 4; i++) {
		snprintf(f, sizeof(f), "mail_settings.%s", known[i]);
		if (opts_obj(ms, known[i], f, enable, &s, e) < 0 ||
		    opts_bool(s, "enable", f, &on, e) < 0)
			return -1;
		if (!on)
			continue;
		if (i == 0)
			list = true;
		else
			other = true;
		strncat(f, ".enable", sizeof(f) - strlen(f) - 1);
		opts_record(options, f, json_true());
	}
	if (list && other)
		return api_error_set(
		    e, 400, "invalid_field",
		    "mail_settings.bypass_list_management",
		    "The bypass_list_management filter cannot be combined "
		    "with any other bypass filter.");
	if (opts_obj(ms, "sandbox_mode", "mail_settings.sandbox_mode", enable,
	             &s, e) < 0 ||
	    opts_bool(s, "enable", "mail_settings.sandbox_mode", &m->sandbox,
	              e) < 0)
		return -1;
	if (opts_obj(ms, "footer", "mail_settings.footer", footer, &s, e) < 0 ||
	    opts_bool(s, "enable", "mail_settings.footer", &o->footer, e) < 0 ||
	    opts_str(s, "text", "mail_settings.footer", &o->footer_text, e) <
	        0 ||
	    opts_str(s, "html", "mail_settings.footer", &o->footer_html, e) < 0)
		return -1;
	return 0;
}

/* opts_track - the boolean enable of obj (if present) into *t. */
static int
opts_track(json_t *obj, const char *field, enum msg_track *t,
           struct api_error *e)
{
	bool on;

	if (obj == NULL || json_object_get(obj, "enable") == NULL ||
	    json_is_null(json_object_get(obj, "enable")))
		return 0;
	if (opts_bool(obj, "enable", field, &on, e) < 0)
		return -1;
	*t = on ? MSG_TRACK_ON : MSG_TRACK_OFF;
	return 0;
}

/*
 * opts_tracking - tracking_settings: open and click tracking into m, the
 * refinements recorded in options, the open tracking tag into o;
 * subscription_tracking (it would insert a link swerve cannot make) is
 * refused when enabled. 0, or -1 with *e.
 */
static int
opts_tracking(json_t *j, struct compat_sendgrid_opts *o, struct msg_meta *m,
              json_t *options, struct api_error *e)
{
	static const char *const known[] = {"click_tracking", "open_tracking",
	                                    "subscription_tracking",
	                                    "ganalytics", NULL};
	static const char *const click[] = {"enable", "enable_text", NULL};
	static const char *const open[] = {"enable", "substitution_tag", NULL};
	static const char *const sub[] = {"enable", "text", "html",
	                                  "substitution_tag", NULL};
	static const char *const ga[] = {
	    "enable",      "utm_source",   "utm_medium", "utm_term",
	    "utm_content", "utm_campaign", NULL};
	json_t *ts, *s;
	bool on;
	size_t i;

	if (opts_obj(j, "tracking_settings", "tracking_settings", known, &ts,
	             e) < 0)
		return -1;
	if (ts == NULL)
		return 0;
	if (opts_obj(ts, "click_tracking", "tracking_settings.click_tracking",
	             click, &s, e) < 0 ||
	    opts_track(s, "tracking_settings.click_tracking", &m->track_clicks,
	               e) < 0 ||
	    opts_bool(s, "enable_text", "tracking_settings.click_tracking", &on,
	              e) < 0)
		return -1;
	if (s != NULL && json_is_boolean(json_object_get(s, "enable_text")))
		opts_not_applied(options,
		                 "tracking_settings.click_tracking.enable_text",
		                 json_object_get(s, "enable_text"));
	if (opts_obj(ts, "open_tracking", "tracking_settings.open_tracking",
	             open, &s, e) < 0 ||
	    opts_track(s, "tracking_settings.open_tracking", &m->track_opens,
	               e) < 0 ||
	    opts_str(s, "substitution_tag", "tracking_settings.open_tracking",
	             &o->open_tag, e) < 0)
		return -1;
	if (o->open_tag != NULL && o->open_tag[0] == '\0') {
		free(o->open_tag);
		o->open_tag = NULL;
	}
	if (o->open_tag != NULL)
		opts_not_applied(
		    options, "tracking_settings.open_tracking.substitution_tag",
		    json_object_get(s, "substitution_tag"));
	if (opts_obj(ts, "subscription_tracking",
	             "tracking_settings.subscription_tracking", sub, &s,
	             e) < 0 ||
	    opts_bool(s, "enable", "tracking_settings.subscription_tracking",
	              &on, e) < 0)
		return -1;
	for (i = 1; sub[i] != NULL; i++)
		if (opts_str(s, sub[i],
		             "tracking_settings.subscription_tracking", NULL,
		             e) < 0)
			return -1;
	if (on)
		return api_error_set(
		    e, 400, "invalid_field",
		    "tracking_settings.subscription_tracking.enable",
		    "subscription tracking is not supported by this "
		    "endpoint: swerve does not insert unsubscribe links "
		    "(put your own link in the content)");
	if (opts_obj(ts, "ganalytics", "tracking_settings.ganalytics", ga, &s,
	             e) < 0 ||
	    opts_bool(s, "enable", "tracking_settings.ganalytics", &on, e) < 0)
		return -1;
	for (i = 1; ga[i] != NULL; i++)
		if (opts_str(s, ga[i], "tracking_settings.ganalytics", NULL,
		             e) < 0)
			return -1;
	if (on)
		opts_not_applied(options, "tracking_settings.ganalytics", s);
	return 0;
}

/* opts_ip_pool - ip_pool_name (2..64 printable characters) into m. */
static int
opts_ip_pool(json_t *j, struct msg_meta *m, struct api_error *e)
{
	char *p;
	size_t i, n;

	if (opts_str(j, "ip_pool_name", "ip_pool_name", &p, e) < 0)
		return -1;
	if (p == NULL)
		return 0;
	n = strlen(p);
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			break;
	if (n < 2 || n > 64 || i < n) {
		free(p);
		return api_error_set(e, 400, "invalid_field", "ip_pool_name",
		                     "The ip_pool_name must be 2..64 "
		                     "characters without control characters.");
	}
	m->ip_pool = p;
	return 0;
}

/* opts_put - set(m, obj as compact JSON): 0 or -1. */
static int
opts_put(json_t *obj, int (*set)(struct msg_meta *, const char *),
         struct msg_meta *m)
{
	char *s = json_dumps(obj, JSON_COMPACT);
	int rc = s != NULL ? set(m, s) : -1;

	free(s);
	return rc;
}

int
compat_sendgrid_opts_parse(json_t *j, int64_t now,
                           struct compat_sendgrid_opts *o, struct api_error *e)
{
	json_t *options = json_object(), *args = json_object();
	struct msg_meta m;
	int rc = -1;

	memset(o, 0, sizeof(*o));
	msg_meta_init(&m);
	if (opts_categories(json_object_get(j, "categories"), &m, e) < 0 ||
	    opts_custom_args(json_object_get(j, "custom_args"), "custom_args",
	                     args, e) < 0 ||
	    opts_send_at(json_object_get(j, "send_at"), "send_at", now,
	                 &m.send_at, e) < 0 ||
	    opts_ip_pool(j, &m, e) < 0 ||
	    opts_mail_settings(j, o, &m, options, e) < 0 ||
	    opts_tracking(j, o, &m, options, e) < 0)
		goto done;
	if (json_object_size(options) > 0 &&
	    opts_put(options, msg_meta_set_options, &m) < 0) {
		api_error_set(e, 400, "invalid_field", "tracking_settings",
		              "the settings to record exceed 10,240 bytes");
		goto done;
	}
	if (json_object_size(args) > 0 &&
	    (opts_args_size(args) > SG_CUSTOM_ARGS_MAX ||
	     opts_put(args, msg_meta_set_metadata, &m) < 0)) {
		api_error_set(e, 400, "invalid_field", "custom_args",
		              "Total custom_args size may not exceed 10,000 "
		              "bytes (nor 10,240 as JSON).");
		goto done;
	}
	o->meta = msg_meta_encode(&m);
	rc = 0;
done:
	msg_meta_fini(&m);
	json_decref(options);
	json_decref(args);
	if (rc < 0)
		compat_sendgrid_opts_fini(o);
	return rc;
}

void
compat_sendgrid_opts_fini(struct compat_sendgrid_opts *o)
{
	free(o->footer_text);
	free(o->footer_html);
	free(o->open_tag);
	free(o->meta);
	memset(o, 0, sizeof(*o));
}

int
compat_sendgrid_meta(const struct compat_sendgrid_opts *o, json_t *p,
                     const char *field, int64_t now, struct msg_meta *out,
                     struct api_error *e)
{
	json_t *args = NULL, *pa = json_object_get(p, "custom_args");
	json_t *sa = json_object_get(p, "send_at");
	char f[96];
	int rc = -1;

	msg_meta_init(out);
	if (o->meta != NULL &&
	    msg_meta_decode(o->meta, strlen(o->meta), out) < 0)
		return api_error_set(e, 500, "invalid_field", "",
		                     "internal error (meta)");
	if (sa != NULL && !json_is_null(sa)) {
		snprintf(f, sizeof(f), "%s.send_at", field);
		if (opts_send_at(sa, f, now, &out->send_at, e) < 0)
			goto done;
	}
	args =
	    out->metadata ? json_loads(out->metadata, 0, NULL) : json_object();
	snprintf(f, sizeof(f), "%s.custom_args", field);
	if (args == NULL || opts_custom_args(pa, f, args, e) < 0)
		goto done;
	if (opts_args_size(args) > SG_CUSTOM_ARGS_MAX) {
		api_error_set(e, 400, "invalid_field", f,
		              "Total custom_args size may not exceed 10,000 "
		              "bytes.");
		goto done;
	}
	if (json_object_size(args) > 0 &&
	    opts_put(args, msg_meta_set_metadata, out) < 0) {
		api_error_set(e, 400, "invalid_field", f,
		              "Total custom_args size may not exceed 10,000 "
		              "bytes (nor 10,240 as JSON).");
		goto done;
	}
	rc = 0;
done:
	json_decref(args);
	if (rc < 0)
		msg_meta_fini(out);
	return rc;
}
