/*
 * compat_ses_v1.c - the SES API v1 Query decoder (SendEmail,
 * SendRawEmail; form-encoded), pure.
 *
 * Every parameter the models document for the two actions is honoured,
 * carried in msg_meta or refused naming it; any other parameter is
 * refused (docs/drop-in.md has the matrix): Tags.member.N and
 * ConfigurationSetName go to msg->meta, a raw message's X-SES-* fields
 * are read and taken out, ReturnPath is the envelope sender (where
 * bounces go), *.Charset must name UTF-8 or US-ASCII, and the sending
 * authorization ARNs are refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "ingress/compat_ses_int.h"
#include "mime/form.h"

/* v1_str - the value of field name as a new string, or NULL. */
static int
v1_str(const struct form *fm, const char *name, bool header, char **out,
       size_t *len, struct api_error *e)
{
	const struct form_field *f = form_field_get(fm, name);

	*out = NULL;
	if (f == NULL)
		return 0;
	if (header ? compat_str_check(f->value.p, f->value.len, name, e) < 0
	           : memchr(f->value.p, '\0', f->value.len) != NULL)
		return api_error_set(e, 400, "invalid_field", name,
		                     "%s holds CR, LF or NUL", name);
	*out = str_dup(f->value);
	if (len != NULL)
		*len = f->value.len;
	return 0;
}

/*
 * v1_index - when name is prefix + ".member." + digits + suffix, the
 * view of the digits in *idx. suffix may be "".
 */
static bool
v1_index(struct str name, const char *prefix, const char *suffix,
         struct str *idx)
{
	size_t pl = strlen(prefix), sl = strlen(suffix), j;

	if (name.len <= pl + 8 + sl || memcmp(name.p, prefix, pl) != 0 ||
	    memcmp(name.p + pl, ".member.", 8) != 0 ||
	    memcmp(name.p + name.len - sl, suffix, sl) != 0)
		return false;
	for (j = pl + 8; j < name.len - sl; j++)
		if (name.p[j] < '0' || name.p[j] > '9')
			return false;
	idx->p = name.p + pl + 8;
	idx->len = name.len - sl - pl - 8;
	return true;
}

/* v1_members - every "prefix.member.N" value, in body order, as addrs. */
static int
v1_members(const struct form *fm, const char *prefix,
           struct mime_build_addr **list, size_t *n, struct api_error *e)
{
	struct str idx;
	size_t i;

	for (i = 0; i < fm->n; i++) {
		const struct form_field *f = &fm->f[i];
		struct mime_build_addr a = {0};
		char *s;
		int rc;

		if (!v1_index(f->name, prefix, "", &idx))
			continue;
		if (*n >= API_JSON_RCPTS_MAX)
			return api_error_set(e, 400, "invalid_field", prefix,
			                     "too many addresses");
		if (memchr(f->value.p, '\0', f->value.len) != NULL)
			return api_error_set(e, 400, "invalid_field", prefix,
			                     "NUL in an address");
		s = str_dup(f->value);
		rc = api_json_addr_parse(s, &a);
		free(s);
		if (rc < 0)
			return api_error_set(
			    e, 400, "invalid_field", prefix,
			    "Missing final '@domain' or not a valid address");
		*list = xreallocarray(*list, *n + 1, sizeof(**list));
		(*list)[(*n)++] = a;
	}
	return 0;
}

/* v1_tags - Tags.member.N.Name / .Value into mt, in body order. */
static int
v1_tags(const struct form *fm, struct msg_meta *mt, struct api_error *e)
{
	struct str idx;
	size_t i;

	for (i = 0; i < fm->n; i++) {
		const struct form_field *f = &fm->f[i], *v;
		char vname[64], *name, *value;
		int rc;

		if (v1_index(f->name, "Tags", ".Value", &idx) && idx.len < 20) {
			snprintf(vname, sizeof(vname), "Tags.member.%.*s.Name",
			         (int)idx.len, idx.p);
			if (form_field_get(fm, vname) == NULL)
				return api_error_set(
				    e, 400, "missing_field", vname,
				    "a tag needs a Name and a Value");
			continue;
		}
		if (!v1_index(f->name, "Tags", ".Name", &idx) || idx.len >= 20)
			continue;
		snprintf(vname, sizeof(vname), "Tags.member.%.*s.Value",
		         (int)idx.len, idx.p);
		if ((v = form_field_get(fm, vname)) == NULL)
			return api_error_set(e, 400, "missing_field", vname,
			                     "a tag needs a Name and a Value");
		if (memchr(f->value.p, '\0', f->value.len) ||
		    memchr(v->value.p, '\0', v->value.len))
			return api_error_set(e, 400, "invalid_field", "Tags",
			                     "NUL in a tag");
		name = str_dup(f->value);
		value = str_dup(v->value);
		snprintf(vname, sizeof(vname), "Tags.member.%.*s", (int)idx.len,
		         idx.p);
		rc = compat_ses_field_tag(mt, name, value, vname, e);
		free(name);
		free(value);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/*
 * v1_known - is every parameter of the form one the action documents?
 * Patterns: '#' stands for the digits of a list index. The first other
 * parameter is refused.
 */
static int
v1_known(const struct form *fm, const char *const *pats, struct api_error *e)
{
	size_t i, k;

	for (i = 0; i < fm->n; i++) {
		struct str n = fm->f[i].name;

		for (k = 0; pats[k] != NULL; k++) {
			const char *p = pats[k];
			size_t j = 0;

			while (*p != '\0' && j <= n.len) {
				if (*p == '#') {
					size_t d = j;
					while (j < n.len && n.p[j] >= '0' &&
					       n.p[j] <= '9')
						j++;
					if (j == d)
						break;
					p++;
				} else if (j < n.len && n.p[j] == *p) {
					j++;
					p++;
				} else
					break;
			}
			if (*p == '\0' && j == n.len)
				break;
		}
		if (pats[k] == NULL)
			return api_error_set(e, 400, "invalid_field", "",
			                     "%.*s is not a parameter of this "
			                     "action",
			                     (int)(n.len > 64 ? 64 : n.len),
			                     n.p);
	}
	return 0;
}

/* v1_common - what both actions take: refused ARNs, tags, set. */
static int
v1_common(const struct form *fm, const char *const *arns, struct msg_meta *mt,
          struct api_error *e)
{
	const struct form_field *f;
	size_t i;

	for (i = 0; arns[i] != NULL; i++)
		if (form_field_get(fm, arns[i]) != NULL)
			return compat_ses_field_refuse(arns[i], SES_WHY_ARN, e);
	if (v1_tags(fm, mt, e) < 0)
		return -1;
	if ((f = form_field_get(fm, "ConfigurationSetName")) != NULL &&
	    compat_ses_field_cset(mt, f->value.p, f->value.len,
	                          "ConfigurationSetName", e) < 0)
		return -1;
	return 0;
}

/* v1_addr - one address parameter (Source, ReturnPath) into *out. */
static int
v1_addr(const struct form *fm, const char *name, char **out,
        struct api_error *e)
{
	struct mime_build_addr a = {0};
	char *s;
	int rc;

	*out = NULL;
	if (v1_str(fm, name, true, &s, NULL, e) < 0)
		return -1;
	if (s == NULL)
		return 0;
	rc = api_json_addr_parse(s, &a);
	free(s);
	if (rc < 0)
		return api_error_set(
		    e, 400, "invalid_field", name,
		    "Missing final '@domain' or not a valid address");
	free(a.name);
	*out = a.addr;
	return 0;
}

/* v1_charsets - the *.Charset parameters of a SendEmail. */
static int
v1_charsets(const struct form *fm, struct api_error *e)
{
	static const char *const cs[] = {"Message.Subject.Charset",
	                                 "Message.Body.Text.Charset",
	                                 "Message.Body.Html.Charset"};
	size_t i;

	for (i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		char *v;
		int rc;

		if (v1_str(fm, cs[i], true, &v, NULL, e) < 0)
			return -1;
		rc = compat_ses_field_charset(v, cs[i], e);
		free(v);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* v1_send_email - the fields of a SendEmail into msg. 0 or -1. */
static int
v1_send_email(const struct form *fm, struct api_msg *msg,
              struct compat_raw_req *raw, struct api_error *e)
{
	static const char *const pats[] = {"Action",
	                                   "Version",
	                                   "Source",
	                                   "Destination.ToAddresses.member.#",
	                                   "Destination.CcAddresses.member.#",
	                                   "Destination.BccAddresses.member.#",
	                                   "Message.Subject.Data",
	                                   "Message.Subject.Charset",
	                                   "Message.Body.Text.Data",
	                                   "Message.Body.Text.Charset",
	                                   "Message.Body.Html.Data",
	                                   "Message.Body.Html.Charset",
	                                   "ReplyToAddresses.member.#",
	                                   "ReturnPath",
	                                   "SourceArn",
	                                   "ReturnPathArn",
	                                   "Tags.member.#.Name",
	                                   "Tags.member.#.Value",
	                                   "ConfigurationSetName",
	                                   NULL};
	static const char *const arns[] = {"SourceArn", "ReturnPathArn", NULL};
	struct mime_build_msg *m = &msg->mail;
	char *src;
	int rc;

	if (v1_known(fm, pats, e) < 0 || v1_common(fm, arns, &msg->meta, e) < 0)
		return -1;
	if (v1_str(fm, "Source", true, &src, NULL, e) < 0)
		return -1;
	if (src == NULL)
		return api_error_set(
		    e, 400, "missing_field", "Source",
		    "1 validation error detected: Value null at 'source' "
		    "failed to satisfy constraint: Member must not be null");
	rc = api_json_addr_parse(src, &m->from);
	free(src);
	if (rc < 0)
		return api_error_set(
		    e, 400, "invalid_field", "Source",
		    "Missing final '@domain' or not a valid address");
	if (v1_addr(fm, "ReturnPath", &raw->env_from, e) < 0)
		return -1;
	if (v1_members(fm, "Destination.ToAddresses", &m->to, &m->n_to, e) ||
	    v1_members(fm, "Destination.CcAddresses", &m->cc, &m->n_cc, e) ||
	    v1_members(fm, "Destination.BccAddresses", &msg->bcc, &msg->n_bcc,
	               e) ||
	    v1_members(fm, "ReplyToAddresses", &m->reply_to, &m->n_reply_to, e))
		return -1;
	if (v1_charsets(fm, e) < 0 ||
	    v1_str(fm, "Message.Subject.Data", true, &m->subject, NULL, e) ||
	    v1_str(fm, "Message.Body.Text.Data", false, &m->text, &m->text_len,
	           e) ||
	    v1_str(fm, "Message.Body.Html.Data", false, &m->html, &m->html_len,
	           e))
		return -1;
	if (m->subject == NULL)
		return api_error_set(
		    e, 400, "missing_field", "Message.Subject.Data",
		    "1 validation error detected: "
		    "Value null at 'message.subject' failed to satisfy "
		    "constraint: Member must not be null");
	return 0;
}

/* v1_send_raw - the fields of a SendRawEmail into raw. 0 or -1. */
static int
v1_send_raw(const struct form *fm, struct compat_raw_req *raw,
            struct msg_meta *mt, struct api_error *e)
{
	static const char *const pats[] = {"Action",
	                                   "Version",
	                                   "Source",
	                                   "Destinations.member.#",
	                                   "RawMessage.Data",
	                                   "FromArn",
	                                   "SourceArn",
	                                   "ReturnPathArn",
	                                   "Tags.member.#.Name",
	                                   "Tags.member.#.Value",
	                                   "ConfigurationSetName",
	                                   NULL};
	static const char *const arns[] = {"FromArn", "SourceArn",
	                                   "ReturnPathArn", NULL};
	const struct form_field *d = form_field_get(fm, "RawMessage.Data");
	struct mime_build_addr *list = NULL;
	size_t n = 0;
	int rc;

	if (v1_known(fm, pats, e) < 0 || v1_common(fm, arns, mt, e) < 0)
		return -1;
	if (d == NULL)
		return api_error_set(
		    e, 400, "missing_field", "RawMessage.Data",
		    "1 validation error detected: Value null at "
		    "'rawMessage' failed to satisfy constraint: Member must "
		    "not be null");
	if (compat_b64_decode(d->value.p, d->value.len, &raw->data, &raw->len) <
	    0)
		return api_error_set(e, 400, "invalid_field", "RawMessage.Data",
		                     "RawMessage.Data is not base64");
	if (compat_ses_field_raw(raw, mt, e) < 0 ||
	    v1_addr(fm, "Source", &raw->env_from, e) < 0)
		return -1;
	rc = v1_members(fm, "Destinations", &list, &n, e);
	if (rc == 0)
		compat_ses_field_env_add(raw, list, n);
	compat_addrs_free(list, n);
	return rc;
}

int
compat_ses_v1_decode(char *body, size_t len, enum compat_ses_action *action,
                     char action_name[64], struct api_msg *msg,
                     struct compat_raw_req *raw, struct api_error *e)
{
	const struct form_field *a;
	const char *why;
	struct form fm;
	int rc = -1;

	memset(msg, 0, sizeof(*msg));
	msg_meta_init(&msg->meta);
	memset(raw, 0, sizeof(*raw));
	action_name[0] = '\0';
	form_init(&fm);
	if (form_urlencoded_parse(body, len, &fm, &why) < 0) {
		api_error_set(e, 400, "invalid_field", "", "%s", why);
		goto done;
	}
	if ((a = form_field_get(&fm, "Action")) == NULL) {
		api_error_set(e, 400, "missing_action", "Action",
		              "Missing Action");
		goto done;
	}
	snprintf(action_name, 64, "%.*s",
	         (int)(a->value.len > 63 ? 63 : a->value.len), a->value.p);
	if (memchr(action_name, '\0', a->value.len > 63 ? 63 : a->value.len))
		action_name[0] = '\0';
	if (form_str_eq(a->value, "SendEmail")) {
		*action = COMPAT_SES_SEND_EMAIL;
		rc = v1_send_email(&fm, msg, raw, e);
	} else if (form_str_eq(a->value, "SendRawEmail")) {
		*action = COMPAT_SES_SEND_RAW_EMAIL;
		rc = v1_send_raw(&fm, raw, &msg->meta, e);
	} else if (form_str_eq(a->value, "SendTemplatedEmail") ||
	           form_str_eq(a->value, "SendBulkTemplatedEmail"))
		api_error_set(
		    e, 400, "invalid_action", "Action",
		    "%s is not supported by this endpoint: swerve has "
		    "no templates; use SendEmail or SendRawEmail",
		    action_name);
	else
		api_error_set(
		    e, 400, "invalid_action", "Action",
		    "Could not find operation %s for version 2010-12-01",
		    action_name);
done:
	form_fini(&fm);
	if (rc < 0) {
		api_msg_fini(msg);
		compat_raw_req_fini(raw);
	}
	return rc;
}
