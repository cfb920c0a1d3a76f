/*
 * compat_ses_v2.c - the SES API v2 SendEmail decoder (JSON), pure.
 *
 * Every documented field of SendEmail (the union of botocore's model and
 * the current AWS SDK's) is honoured, carried in the message's msg_meta,
 * or refused naming the field and why; a member the models do not name
 * is refused too, so that nothing a caller sends is dropped unseen
 * (docs/drop-in.md has the matrix):
 *  - EmailTags and ConfigurationSetName go to msg->meta (SES's rules),
 *    ConfigurationOverrides.Tracking to its tracking switches;
 *  - a raw message's X-SES-* fields are read and taken out
 *    (compat_ses_field_raw);
 *  - FeedbackForwardingEmailAddress is where bounces go: the envelope
 *    sender (raw->env_from);
 *  - Charset must name UTF-8 or US-ASCII (the text is sent as UTF-8);
 *  - Content.Template names a stored template (TemplateName) and its
 *    data, rendered at submission (compat_ses_tmpl.h);
 *  - SendBulkEmail (compat_ses_v2_bulk_decode) is one message per entry,
 *    each a Template with the entry's data;
 *  - sending authorization (*IdentityArn), TemplateArn, inline
 *    TemplateContent, list management, tenants, multi-region endpoints,
 *    attachment descriptions and transfer encodings other than base64
 *    are refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xmalloc.h"
#include "ingress/compat_ses_int.h"
#include "ingress/compat_ses_tmpl.h"

/*
 * v2_keys - every member of obj is in allowed (NULL-terminated); else
 * the first other one is refused as unknown, at path.member.
 */
static int
v2_keys(json_t *obj, const char *const *allowed, const char *path,
        struct api_error *e)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(obj, k, v)
	{
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], k) == 0)
				break;
		if (allowed[i] == NULL)
			return api_error_set(
			    e, 400, "invalid_field", path,
			    "%s%s%.40s is not a field of SendEmail", path,
			    path[0] ? "." : "", k);
	}
	return 0;
}

/* v2_obj - obj's member key: absent/null NULL, an object, or -1. */
static int
v2_obj(json_t *obj, const char *key, const char *field, json_t **out,
       struct api_error *e)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return api_error_set(e, 400, "invalid_field", field,
		                     "%s must be an object", field);
	*out = v;
	return 0;
}

/* v2_content - a Content object ({Data, Charset}) of the simple message. */
static int
v2_content(json_t *parent, const char *key, const char *field, bool header,
           char **out, size_t *len, struct api_error *e)
{
	static const char *const keys[] = {"Data", "Charset", NULL};
	char cs_field[80], *cs = NULL;
	json_t *o, *d;
	int rc;

	*out = NULL;
	if (v2_obj(parent, key, field, &o, e) < 0)
		return -1;
	if (o == NULL)
		return 0;
	snprintf(cs_field, sizeof(cs_field), "%s.Charset", field);
	if (v2_keys(o, keys, field, e) < 0 ||
	    compat_json_str(o, "Charset", cs_field, true, &cs, e) < 0)
		return -1;
	rc = compat_ses_field_charset(cs, cs_field, e);
	free(cs);
	if (rc < 0)
		return -1;
	snprintf(cs_field, sizeof(cs_field), "%s.Data", field);
	d = json_object_get(o, "Data");
	if (!json_is_string(d))
		return api_error_set(e, 400, "missing_field", cs_field,
		                     "%s is required", cs_field);
	if (compat_json_str(o, "Data", cs_field, header, out, e) < 0)
		return -1;
	if (len != NULL)
		*len = json_string_length(d);
	return 0;
}

/* What to do with one {Name, Value} of v2_pairs: 0, or -1 with *e. */
typedef int v2_pair_fn(void *arg, const char *name, const char *value,
                       const char *field, struct api_error *e);

/*
 * v2_pairs - an array at path of {Name, Value} objects (both strings,
 * both required, nothing else) handed to add one by one.
 */
static int
v2_pairs(json_t *arr, const char *path, v2_pair_fn *add, void *arg,
         struct api_error *e)
{
	static const char *const keys[] = {"Name", "Value", NULL};
	json_t *it;
	size_t i;

	if (arr == NULL || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return api_error_set(e, 400, "invalid_field", path,
		                     "%s must be an array", path);
	json_array_foreach(arr, i, it)
	{
		char f[64], *n = NULL, *v = NULL;
		int rc;

		snprintf(f, sizeof(f), "%s[%zu]", path, i);
		if (!json_is_object(it))
			return api_error_set(e, 400, "invalid_field", f,
			                     "expected {Name, Value}");
		rc = v2_keys(it, keys, f, e);
		if (rc == 0)
			rc = compat_json_str(it, "Name", f, true, &n, e);
		if (rc == 0)
			rc = compat_json_str(it, "Value", f, true, &v, e);
		if (rc == 0 && (n == NULL || v == NULL))
			rc = api_error_set(e, 400, "missing_field", f,
			                   "%s needs Name and Value", f);
		if (rc == 0)
			rc = add(arg, n, v, f, e);
		free(n);
		free(v);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* v2_header_add - a v2_pair_fn: a custom header field into arg (msg). */
static int
v2_header_add(void *arg, const char *name, const char *value, const char *field,
              struct api_error *e)
{
	return compat_field_add(arg, name, value, field, e);
}

/* v2_tag_add - a v2_pair_fn: an EmailTags item into arg (msg_meta). */
static int
v2_tag_add(void *arg, const char *name, const char *value, const char *field,
           struct api_error *e)
{
	return compat_ses_field_tag(arg, name, value, field, e);
}

/* v2_attachment - one Content.Simple.Attachments item into m. */
static int
v2_attachment(json_t *it, const char *f, struct mime_build_msg *m,
              struct api_error *e)
{
	static const char *const keys[] = {"RawContent",
	                                   "ContentDisposition",
	                                   "FileName",
	                                   "ContentId",
	                                   "ContentTransferEncoding",
	                                   "ContentType",
	                                   "ContentDescription",
	                                   NULL};
	char *fn = NULL, *ct = NULL, *cid = NULL, *disp = NULL, *cte = NULL;
	json_t *raw = json_object_get(it, "RawContent");
	char sub[96];
	int rc = -1;

	if (!json_is_object(it))
		return api_error_set(e, 400, "invalid_field", f,
		                     "expected an object");
	if (v2_keys(it, keys, f, e) < 0)
		return -1;
	if (json_object_get(it, "ContentDescription") != NULL) {
		snprintf(sub, sizeof(sub), "%.60s.ContentDescription", f);
		return compat_ses_field_refuse(
		    sub, "parts carry no Content-Description", e);
	}
	if (!json_is_string(raw))
		return api_error_set(e, 400, "missing_field", f,
		                     "RawContent (base64) is required");
	if (compat_json_str(it, "FileName", f, true, &fn, e) < 0 ||
	    compat_json_str(it, "ContentType", f, true, &ct, e) < 0 ||
	    compat_json_str(it, "ContentId", f, true, &cid, e) < 0 ||
	    compat_json_str(it, "ContentDisposition", f, true, &disp, e) < 0 ||
	    compat_json_str(it, "ContentTransferEncoding", f, true, &cte, e) <
	        0)
		goto done;
	if (fn == NULL) {
		api_error_set(e, 400, "missing_field", f,
		              "FileName is required");
		goto done;
	}
	if (disp != NULL && strcmp(disp, "ATTACHMENT") != 0 &&
	    strcmp(disp, "INLINE") != 0) {
		snprintf(sub, sizeof(sub), "%.60s.ContentDisposition", f);
		api_error_set(
		    e, 400, "invalid_field", sub,
		    "ContentDisposition must be ATTACHMENT or INLINE");
		goto done;
	}
	/* Attachments are always base64 here; another encoding asked for
	 * cannot be given. */
	if (cte != NULL && strcmp(cte, "BASE64") != 0) {
		snprintf(sub, sizeof(sub), "%.60s.ContentTransferEncoding", f);
		compat_ses_field_refuse(
		    sub, "attachments are sent in base64 (BASE64)", e);
		goto done;
	}
	/* A Content-ID makes an inline part here (mime_build), so the two
	 * must agree. */
	if (cid != NULL && disp != NULL && strcmp(disp, "ATTACHMENT") == 0) {
		snprintf(sub, sizeof(sub), "%.60s.ContentId", f);
		compat_ses_field_refuse(sub,
		                        "a ContentId makes an inline part; "
		                        "leave out ContentDisposition "
		                        "ATTACHMENT or the ContentId",
		                        e);
		goto done;
	}
	if (cid == NULL && disp != NULL && strcmp(disp, "INLINE") == 0) {
		snprintf(sub, sizeof(sub), "%.60s.ContentDisposition", f);
		api_error_set(e, 400, "invalid_field", sub,
		              "%s: INLINE needs a ContentId", sub);
		goto done;
	}
	rc = compat_att_add_b64(m, fn, ct, cid, json_string_value(raw),
	                        json_string_length(raw), f, e);
done:
	free(fn);
	free(ct);
	free(cid);
	free(disp);
	free(cte);
	return rc;
}

/* v2_simple - Content.Simple into msg->mail. 0 or -1. */
static int
v2_simple(json_t *s, struct api_msg *msg, struct api_error *e)
{
	static const char *const keys[] = {"Subject", "Body", "Headers",
	                                   "Attachments", NULL};
	static const char *const bkeys[] = {"Text", "Html", NULL};
	struct mime_build_msg *m = &msg->mail;
	json_t *body, *as, *it;
	size_t i;

	if (!json_is_object(s))
		return api_error_set(e, 400, "invalid_field", "Content.Simple",
		                     "expected an object");
	if (v2_keys(s, keys, "Content.Simple", e) < 0 ||
	    v2_content(s, "Subject", "Content.Simple.Subject", true,
	               &m->subject, NULL, e) < 0 ||
	    v2_obj(s, "Body", "Content.Simple.Body", &body, e) < 0)
		return -1;
	if (m->subject == NULL)
		return api_error_set(e, 400, "missing_field",
		                     "Content.Simple.Subject",
		                     "Content.Simple.Subject is required");
	if (body == NULL)
		return api_error_set(e, 400, "missing_field",
		                     "Content.Simple.Body",
		                     "Content.Simple.Body is required");
	if (v2_keys(body, bkeys, "Content.Simple.Body", e) < 0 ||
	    v2_content(body, "Text", "Content.Simple.Body.Text", false,
	               &m->text, &m->text_len, e) < 0 ||
	    v2_content(body, "Html", "Content.Simple.Body.Html", false,
	               &m->html, &m->html_len, e) < 0 ||
	    v2_pairs(json_object_get(s, "Headers"), "Content.Simple.Headers",
	             v2_header_add, m, e) < 0)
		return -1;
	as = json_object_get(s, "Attachments");
	if (as != NULL && !json_is_null(as) && !json_is_array(as))
		return api_error_set(e, 400, "invalid_field",
		                     "Content.Simple.Attachments",
		                     "expected an array");
	json_array_foreach(as, i, it)
	{
		char f[64];

		snprintf(f, sizeof(f), "Content.Simple.Attachments[%zu]", i);
		if (v2_attachment(it, f, m, e) < 0)
			return -1;
	}
	return 0;
}

/*
 * v2_template - a Template object ({TemplateName, TemplateData,
 * Headers}) at path into msg: the name and the data to render with at
 * submission (http_templates_apply).
 */
static int
v2_template(json_t *t, const char *path, struct api_msg *msg,
            struct api_error *e)
{
	static const char *const keys[] = {"TemplateName",
	                                   "TemplateArn",
	                                   "TemplateData",
	                                   "Headers",
	                                   "TemplateContent",
	                                   "Attachments",
	                                   NULL};
	char f[64], *name = NULL, *data = NULL;
	json_t *v;
	int rc = -1;

	if (!json_is_object(t))
		return api_error_set(e, 400, "invalid_field", path,
		                     "expected an object");
	if (v2_keys(t, keys, path, e) < 0)
		return -1;
	snprintf(f, sizeof(f), "%s.TemplateArn", path);
	if ((v = json_object_get(t, "TemplateArn")) != NULL && !json_is_null(v))
		return compat_ses_field_refuse(
		    f, "name the template with TemplateName", e);
	snprintf(f, sizeof(f), "%s.TemplateContent", path);
	if ((v = json_object_get(t, "TemplateContent")) != NULL &&
	    !json_is_null(v))
		return compat_ses_field_refuse(
		    f, "store the template first (CreateEmailTemplate)", e);
	snprintf(f, sizeof(f), "%s.Attachments", path);
	if ((v = json_object_get(t, "Attachments")) != NULL && !json_is_null(v))
		return compat_ses_field_refuse(
		    f, "use Content.Simple or Content.Raw for attachments", e);
	snprintf(f, sizeof(f), "%s.TemplateName", path);
	if (compat_json_str(t, "TemplateName", f, true, &name, e) < 0)
		goto out;
	if (name == NULL || !tmpl_store_name_ok(name)) {
		api_error_set(e, 400, name ? "invalid_field" : "missing_field",
		              f, "%s: a template name is required", f);
		goto out;
	}
	snprintf(f, sizeof(f), "%s.TemplateData", path);
	if (compat_json_str(t, "TemplateData", f, false, &data, e) < 0 ||
	    compat_ses_tmpl_data(data, f, &msg->template_data, e) < 0)
		goto out;
	snprintf(f, sizeof(f), "%s.Headers", path);
	if (v2_pairs(json_object_get(t, "Headers"), f, v2_header_add,
	             &msg->mail, e) < 0)
		goto out;
	msg->template_name = name;
	name = NULL;
	rc = 0;
out:
	free(name);
	free(data);
	return rc;
}

/* v2_track - one ConfigurationOverrides.Tracking switch into *t. */
static int
v2_track(json_t *tr, const char *key, enum msg_track *t, struct api_error *e)
{
	json_t *v = json_object_get(tr, key);
	char f[80];

	if (v == NULL || json_is_null(v))
		return 0;
	snprintf(f, sizeof(f), "ConfigurationOverrides.Tracking.%s", key);
	/* SES's FeatureStatus; true and false read the same. */
	if (json_is_string(v) &&
	    (strcasecmp(json_string_value(v), "ENABLED") == 0 ||
	     strcasecmp(json_string_value(v), "true") == 0))
		*t = MSG_TRACK_ON;
	else if (json_is_string(v) &&
	         (strcasecmp(json_string_value(v), "DISABLED") == 0 ||
	          strcasecmp(json_string_value(v), "false") == 0))
		*t = MSG_TRACK_OFF;
	else
		return api_error_set(e, 400, "invalid_field", f,
		                     "%s must be ENABLED or DISABLED", f);
	return 0;
}

/* v2_overrides - ConfigurationOverrides {Tracking {...}} into mt. */
static int
v2_overrides(json_t *j, struct msg_meta *mt, struct api_error *e)
{
	static const char *const keys[] = {"Tracking", NULL};
	static const char *const tkeys[] = {"OpenTrackingEnabled",
	                                    "ClickTrackingEnabled", NULL};
	json_t *o, *tr;

	if (v2_obj(j, "ConfigurationOverrides", "ConfigurationOverrides", &o,
	           e) < 0)
		return -1;
	if (o == NULL)
		return 0;
	if (v2_keys(o, keys, "ConfigurationOverrides", e) < 0 ||
	    v2_obj(o, "Tracking", "ConfigurationOverrides.Tracking", &tr, e) <
	        0)
		return -1;
	if (tr == NULL)
		return 0;
	if (v2_keys(tr, tkeys, "ConfigurationOverrides.Tracking", e) < 0 ||
	    v2_track(tr, "OpenTrackingEnabled", &mt->track_opens, e) < 0 ||
	    v2_track(tr, "ClickTrackingEnabled", &mt->track_clicks, e) < 0)
		return -1;
	return 0;
}

/* v2_refused - the top-level fields swerve refuses, each with why. */
static int
v2_refused(json_t *j, struct api_error *e)
{
	static const struct {
		const char *key, *why;
	} no[] = {
	    {"FromEmailAddressIdentityArn", SES_WHY_ARN},
	    {"FeedbackForwardingEmailAddressIdentityArn", SES_WHY_ARN},
	    {"ListManagementOptions",
	     "swerve keeps no contact lists; give List-Unsubscribe in "
	     "Content.Simple.Headers"},
	    {"EndpointId",
	     "multi-region endpoints are SES's; swerve routes by its own "
	     "configuration"},
	    {"TenantName", "the credential's tenant applies"},
	};
	size_t i;

	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		json_t *v = json_object_get(j, no[i].key);
		if (v != NULL && !json_is_null(v))
			return compat_ses_field_refuse(no[i].key, no[i].why, e);
	}
	return 0;
}

/* v2_raw - Content.Raw into raw, its SES fields into mt. */
static int
v2_raw(json_t *v, struct compat_raw_req *raw, struct msg_meta *mt,
       struct api_error *e)
{
	static const char *const keys[] = {"Data", NULL};
	json_t *d = json_is_object(v) ? json_object_get(v, "Data") : NULL;

	if (json_is_object(v) && v2_keys(v, keys, "Content.Raw", e) < 0)
		return -1;
	if (!json_is_string(d))
		return api_error_set(e, 400, "missing_field",
		                     "Content.Raw.Data",
		                     "Raw.Data (base64) is required");
	if (compat_b64_decode(json_string_value(d), json_string_length(d),
	                      &raw->data, &raw->len) < 0)
		return api_error_set(e, 400, "invalid_field",
		                     "Content.Raw.Data",
		                     "Raw.Data is not base64");
	return compat_ses_field_raw(raw, mt, e);
}

int
compat_ses_v2_decode(const char *body, size_t len, struct api_msg *msg,
                     struct compat_raw_req *raw, struct api_error *e)
{
	static const char *const keys[] = {
	    "FromEmailAddress",
	    "FromEmailAddressIdentityArn",
	    "Destination",
	    "ReplyToAddresses",
	    "FeedbackForwardingEmailAddress",
	    "FeedbackForwardingEmailAddressIdentityArn",
	    "Content",
	    "EmailTags",
	    "ConfigurationSetName",
	    "EndpointId",
	    "TenantName",
	    "ListManagementOptions",
	    "ConfigurationOverrides",
	    NULL};
	static const char *const dkeys[] = {"ToAddresses", "CcAddresses",
	                                    "BccAddresses", NULL};
	static const char *const ckeys[] = {"Simple", "Raw", "Template", NULL};
	struct mime_build_msg *m = &msg->mail;
	struct mime_build_addr fb = {0};
	json_t *j, *dest, *content, *v;
	char *cset = NULL;
	int rc = -1;

	memset(msg, 0, sizeof(*msg));
	msg_meta_init(&msg->meta);
	memset(raw, 0, sizeof(*raw));
	if ((j = compat_json_load(body, len, e)) == NULL)
		return -1;
	if (!json_is_object(j)) {
		api_error_set(e, 400, "invalid_json", "", "expected an object");
		goto fail;
	}
	if (v2_keys(j, keys, "", e) < 0 || v2_refused(j, e) < 0)
		goto fail;
	if (compat_json_addr1(json_object_get(j, "FromEmailAddress"),
	                      "FromEmailAddress", &m->from, e) < 0 ||
	    compat_json_addr1(
	        json_object_get(j, "FeedbackForwardingEmailAddress"),
	        "FeedbackForwardingEmailAddress", &fb, e) < 0 ||
	    v2_obj(j, "Destination", "Destination", &dest, e) < 0)
		goto fail;
	if ((dest != NULL && v2_keys(dest, dkeys, "Destination", e) < 0) ||
	    compat_json_addrs(json_object_get(dest, "ToAddresses"),
	                      "Destination.ToAddresses", false, &m->to,
	                      &m->n_to, e) < 0 ||
	    compat_json_addrs(json_object_get(dest, "CcAddresses"),
	                      "Destination.CcAddresses", false, &m->cc,
	                      &m->n_cc, e) < 0 ||
	    compat_json_addrs(json_object_get(dest, "BccAddresses"),
	                      "Destination.BccAddresses", false, &msg->bcc,
	                      &msg->n_bcc, e) < 0 ||
	    compat_json_addrs(json_object_get(j, "ReplyToAddresses"),
	                      "ReplyToAddresses", false, &m->reply_to,
	                      &m->n_reply_to, e) < 0)
		goto fail;
	if (v2_pairs(json_object_get(j, "EmailTags"), "EmailTags", v2_tag_add,
	             &msg->meta, e) < 0 ||
	    compat_json_str(j, "ConfigurationSetName", "ConfigurationSetName",
	                    true, &cset, e) < 0 ||
	    (cset != NULL &&
	     compat_ses_field_cset(&msg->meta, cset, strlen(cset),
	                           "ConfigurationSetName", e) < 0) ||
	    v2_overrides(j, &msg->meta, e) < 0)
		goto fail;
	content = json_object_get(j, "Content");
	if (!json_is_object(content)) {
		api_error_set(e, 400, "missing_field", "Content",
		              "Content is required");
		goto fail;
	}
	if (v2_keys(content, ckeys, "Content", e) < 0)
		goto fail;
	if ((json_object_get(content, "Raw") != NULL) +
	        (json_object_get(content, "Simple") != NULL) +
	        (json_object_get(content, "Template") != NULL) >
	    1) {
		api_error_set(e, 400, "invalid_field", "Content",
		              "Content takes one of Simple, Raw or Template");
		goto fail;
	}
	if ((v = json_object_get(content, "Raw")) != NULL) {
		if (v2_raw(v, raw, &msg->meta, e) < 0)
			goto fail;
		if (m->from.addr != NULL)
			raw->env_from = xstrdup(m->from.addr);
		compat_ses_field_env_add(raw, m->to, m->n_to);
		compat_ses_field_env_add(raw, m->cc, m->n_cc);
		compat_ses_field_env_add(raw, msg->bcc, msg->n_bcc);
	} else if ((v = json_object_get(content, "Template")) != NULL) {
		if (v2_template(v, "Content.Template", msg, e) < 0)
			goto fail;
	} else if ((v = json_object_get(content, "Simple")) == NULL) {
		api_error_set(e, 400, "missing_field", "Content",
		              "Content needs Simple, Raw or Template");
		goto fail;
	} else if (v2_simple(v, msg, e) < 0)
		goto fail;
	/* Bounces go to the feedback address: it is the envelope sender. */
	if (fb.addr != NULL) {
		free(raw->env_from);
		raw->env_from = xstrdup(fb.addr);
	}
	rc = 0;
fail:
	free(cset);
	free(fb.name);
	free(fb.addr);
	json_decref(j);
	if (rc < 0) {
		api_msg_fini(msg);
		compat_raw_req_fini(raw);
	}
	return rc;
}

/* bulk_entry - one BulkEmailEntries item into msg (which has the
 * request's From, ReplyTo, tags and template already). */
static int
bulk_entry(json_t *it, const char *path, json_t *def_data, struct api_msg *msg,
           struct api_error *e)
{
	static const char *const keys[] = {"Destination", "ReplacementTags",
	                                   "ReplacementEmailContent",
	                                   "ReplacementHeaders", NULL};
	static const char *const dkeys[] = {"ToAddresses", "CcAddresses",
	                                    "BccAddresses", NULL};
	static const char *const ckeys[] = {"ReplacementTemplate", NULL};
	static const char *const tkeys[] = {"ReplacementTemplateData", NULL};
	struct mime_build_msg *m = &msg->mail;
	json_t *dest, *rc, *rt, *data = NULL;
	char f[160], *s = NULL;

	if (!json_is_object(it))
		return api_error_set(e, 400, "invalid_field", path,
		                     "expected an object");
	if (v2_keys(it, keys, path, e) < 0)
		return -1;
	snprintf(f, sizeof(f), "%s.Destination", path);
	if (v2_obj(it, "Destination", f, &dest, e) < 0 ||
	    (dest != NULL && v2_keys(dest, dkeys, f, e) < 0))
		return -1;
	snprintf(f, sizeof(f), "%s.Destination.ToAddresses", path);
	if (compat_json_addrs(json_object_get(dest, "ToAddresses"), f, false,
	                      &m->to, &m->n_to, e) < 0)
		return -1;
	snprintf(f, sizeof(f), "%s.Destination.CcAddresses", path);
	if (compat_json_addrs(json_object_get(dest, "CcAddresses"), f, false,
	                      &m->cc, &m->n_cc, e) < 0)
		return -1;
	snprintf(f, sizeof(f), "%s.Destination.BccAddresses", path);
	if (compat_json_addrs(json_object_get(dest, "BccAddresses"), f, false,
	                      &msg->bcc, &msg->n_bcc, e) < 0)
		return -1;
	snprintf(f, sizeof(f), "%s.ReplacementTags", path);
	if (v2_pairs(json_object_get(it, "ReplacementTags"), f, v2_tag_add,
	             &msg->meta, e) < 0)
		return -1;
	snprintf(f, sizeof(f), "%s.ReplacementHeaders", path);
	if (v2_pairs(json_object_get(it, "ReplacementHeaders"), f,
	             v2_header_add, m, e) < 0)
		return -1;
	snprintf(f, sizeof(f), "%s.ReplacementEmailContent", path);
	if (v2_obj(it, "ReplacementEmailContent", f, &rc, e) < 0 ||
	    (rc != NULL && v2_keys(rc, ckeys, f, e) < 0))
		return -1;
	snprintf(f, sizeof(f), "%s.ReplacementEmailContent.ReplacementTemplate",
	         path);
	if (v2_obj(rc, "ReplacementTemplate", f, &rt, e) < 0 ||
	    (rt != NULL && v2_keys(rt, tkeys, f, e) < 0))
		return -1;
	snprintf(f, sizeof(f),
	         "%s.ReplacementEmailContent.ReplacementTemplate."
	         "ReplacementTemplateData",
	         path);
	if (compat_json_str(rt, "ReplacementTemplateData", f, false, &s, e) <
	        0 ||
	    (s != NULL && compat_ses_tmpl_data(s, f, &data, e) < 0)) {
		free(s);
		return -1;
	}
	free(s);
	/* The entry's values over the defaults. */
	msg->template_data = json_deep_copy(def_data);
	if (data != NULL)
		json_object_update(msg->template_data, data);
	json_decref(data);
	return 0;
}

/* bulk_defaults - the request's own fields (From, ReplyTo, tags,
 * configuration set, the template) into m; the feedback address into fb
 * when fb is not NULL. */
static int
bulk_defaults(json_t *j, struct api_msg *m, struct mime_build_addr *fb,
              struct api_error *e)
{
	static const char *const ckeys[] = {"Template", NULL};
	json_t *content = json_object_get(j, "DefaultContent");
	char *cset = NULL;
	int rc = -1;

	memset(m, 0, sizeof(*m));
	msg_meta_init(&m->meta);
	if (compat_json_addr1(json_object_get(j, "FromEmailAddress"),
	                      "FromEmailAddress", &m->mail.from, e) < 0 ||
	    (fb != NULL &&
	     compat_json_addr1(
	         json_object_get(j, "FeedbackForwardingEmailAddress"),
	         "FeedbackForwardingEmailAddress", fb, e) < 0) ||
	    compat_json_addrs(json_object_get(j, "ReplyToAddresses"),
	                      "ReplyToAddresses", false, &m->mail.reply_to,
	                      &m->mail.n_reply_to, e) < 0 ||
	    v2_pairs(json_object_get(j, "DefaultEmailTags"), "DefaultEmailTags",
	             v2_tag_add, &m->meta, e) < 0 ||
	    compat_json_str(j, "ConfigurationSetName", "ConfigurationSetName",
	                    true, &cset, e) < 0 ||
	    (cset != NULL &&
	     compat_ses_field_cset(&m->meta, cset, strlen(cset),
	                           "ConfigurationSetName", e) < 0))
		goto out;
	if (!json_is_object(content) ||
	    json_object_get(content, "Template") == NULL) {
		api_error_set(e, 400, "missing_field", "DefaultContent",
		              "DefaultContent.Template is required");
		goto out;
	}
	if (v2_keys(content, ckeys, "DefaultContent", e) < 0 ||
	    v2_template(json_object_get(content, "Template"),
	                "DefaultContent.Template", m, e) < 0)
		goto out;
	rc = 0;
out:
	free(cset);
	return rc;
}

int
compat_ses_v2_bulk_decode(const char *body, size_t len, struct api_batch *out,
                          char **feedback, struct api_error *e)
{
	static const char *const keys[] = {
	    "FromEmailAddress",
	    "FromEmailAddressIdentityArn",
	    "ReplyToAddresses",
	    "FeedbackForwardingEmailAddress",
	    "FeedbackForwardingEmailAddressIdentityArn",
	    "DefaultEmailTags",
	    "DefaultContent",
	    "BulkEmailEntries",
	    "ConfigurationSetName",
	    "EndpointId",
	    "TenantName",
	    NULL};
	struct api_msg def;
	struct mime_build_addr fb = {0};
	json_t *j, *entries, *it, *data;
	char path[48];
	size_t i, n;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&def, 0, sizeof(def));
	*feedback = NULL;
	if ((j = compat_json_load(body, len, e)) == NULL)
		return -1;
	if (!json_is_object(j)) {
		api_error_set(e, 400, "invalid_json", "", "expected an object");
		goto fail;
	}
	if (v2_keys(j, keys, "", e) < 0 || v2_refused(j, e) < 0 ||
	    bulk_defaults(j, &def, &fb, e) < 0)
		goto fail;
	entries = json_object_get(j, "BulkEmailEntries");
	n = json_is_array(entries) ? json_array_size(entries) : 0;
	if (n == 0 || n > COMPAT_SES_BULK_MAX) {
		api_error_set(e, 400, "invalid_field", "BulkEmailEntries",
		              "BulkEmailEntries must have 1 to %d entries",
		              COMPAT_SES_BULK_MAX);
		goto fail;
	}
	out->msgs = xcalloc(n, sizeof(*out->msgs));
	out->errs = xcalloc(n, sizeof(*out->errs));
	out->n = n;
	json_array_foreach(entries, i, it)
	{
		struct api_msg *m = &out->msgs[i];

		snprintf(path, sizeof(path), "BulkEmailEntries[%zu]", i);
		if (bulk_defaults(j, m, NULL, e) < 0)
			goto fail;
		data = m->template_data;
		m->template_data = NULL;
		rc = bulk_entry(it, path, data, m, e);
		json_decref(data);
		if (rc < 0)
			goto fail;
		rc = -1;
	}
	if (fb.addr != NULL)
		*feedback = xstrdup(fb.addr);
	rc = 0;
fail:
	free(fb.name);
	free(fb.addr);
	api_msg_fini(&def);
	json_decref(j);
	if (rc < 0)
		api_batch_fini(out);
	return rc;
}
