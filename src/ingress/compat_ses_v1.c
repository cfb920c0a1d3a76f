/*
 * compat_ses_v1.c - the SES API v1 Query decoder (SendEmail,
 * SendRawEmail, SendTemplatedEmail, SendBulkTemplatedEmail and the
 * template operations; form-encoded), pure.
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
#include "ingress/compat_ses_tmpl.h"
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

/* v1_tags - PREFIX.member.N.Name / .Value (PREFIX: Tags, DefaultTags,
 * Destinations.member.N.ReplacementTags) into mt, in body order. */
static int
v1_tags(const struct form *fm, const char *prefix, struct msg_meta *mt,
        struct api_error *e)
{
	struct str idx;
	size_t i;

	for (i = 0; i < fm->n; i++) {
		const struct form_field *f = &fm->f[i], *v;
		char vname[160], *name, *value;
		int rc;

		if (v1_index(f->name, prefix, ".Value", &idx) && idx.len < 20) {
			snprintf(vname, sizeof(vname), "%s.member.%.*s.Name",
			         prefix, (int)idx.len, idx.p);
			if (form_field_get(fm, vname) == NULL)
				return api_error_set(
				    e, 400, "missing_field", vname,
				    "a tag needs a Name and a Value");
			continue;
		}
		if (!v1_index(f->name, prefix, ".Name", &idx) || idx.len >= 20)
			continue;
		snprintf(vname, sizeof(vname), "%s.member.%.*s.Value", prefix,
		         (int)idx.len, idx.p);
		if ((v = form_field_get(fm, vname)) == NULL)
			return api_error_set(e, 400, "missing_field", vname,
			                     "a tag needs a Name and a Value");
		if (memchr(f->value.p, '\0', f->value.len) ||
		    memchr(v->value.p, '\0', v->value.len))
			return api_error_set(e, 400, "invalid_field", prefix,
			                     "NUL in a tag");
		name = str_dup(f->value);
		value = str_dup(v->value);
		snprintf(vname, sizeof(vname), "%s.member.%.*s", prefix,
		         (int)idx.len, idx.p);
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
	if (v1_tags(fm, "Tags", mt, e) < 0)
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

/*
 * v1_envelope - what SendEmail and SendTemplatedEmail share: only the
 * fields in pats, the ARNs and tags, Source, ReturnPath, the
 * destinations and ReplyToAddresses, into msg and raw. 0 or -1 with e.
 */
static int
v1_envelope(const struct form *fm, const char *const *pats, struct api_msg *msg,
            struct compat_raw_req *raw, struct api_error *e)
{
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
	if (v1_addr(fm, "ReturnPath", &raw->env_from, e) < 0 ||
	    v1_members(fm, "Destination.ToAddresses", &m->to, &m->n_to, e) ||
	    v1_members(fm, "Destination.CcAddresses", &m->cc, &m->n_cc, e) ||
	    v1_members(fm, "Destination.BccAddresses", &msg->bcc, &msg->n_bcc,
	               e) ||
	    v1_members(fm, "ReplyToAddresses", &m->reply_to, &m->n_reply_to, e))
		return -1;
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
	struct mime_build_msg *m = &msg->mail;

	if (v1_envelope(fm, pats, msg, raw, e) < 0)
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

/* v1_template - Template (required), TemplateArn (refused), and the
 * data parameter dname (a JSON object as a string; required when
 * need_data) into msg. */
static int
v1_template(const struct form *fm, const char *dname, bool need_data,
            struct api_msg *msg, struct api_error *e)
{
	char *name = NULL, *data = NULL;
	int rc = -1;

	if (form_field_get(fm, "TemplateArn") != NULL)
		return compat_ses_field_refuse(
		    "TemplateArn", "name the template with Template", e);
	if (v1_str(fm, "Template", true, &name, NULL, e) < 0 ||
	    v1_str(fm, dname, false, &data, NULL, e) < 0)
		goto out;
	if (name == NULL || !tmpl_store_name_ok(name)) {
		api_error_set(e, 400, name ? "invalid_field" : "missing_field",
		              "Template",
		              "Template: a template name is required");
		goto out;
	}
	if (data == NULL && need_data) {
		api_error_set(e, 400, "missing_field", dname,
		              "1 validation error detected: Value null at "
		              "'%s' failed to satisfy constraint: Member must "
		              "not be null",
		              dname);
		goto out;
	}
	if (compat_ses_tmpl_data(data, dname, &msg->template_data, e) < 0)
		goto out;
	msg->template_name = name;
	name = NULL;
	rc = 0;
out:
	free(name);
	free(data);
	return rc;
}

/* v1_send_templated - the fields of a SendTemplatedEmail into msg. */
static int
v1_send_templated(const struct form *fm, struct api_msg *msg,
                  struct compat_raw_req *raw, struct api_error *e)
{
	static const char *const pats[] = {"Action",
	                                   "Version",
	                                   "Source",
	                                   "Destination.ToAddresses.member.#",
	                                   "Destination.CcAddresses.member.#",
	                                   "Destination.BccAddresses.member.#",
	                                   "ReplyToAddresses.member.#",
	                                   "ReturnPath",
	                                   "SourceArn",
	                                   "ReturnPathArn",
	                                   "Tags.member.#.Name",
	                                   "Tags.member.#.Value",
	                                   "ConfigurationSetName",
	                                   "Template",
	                                   "TemplateArn",
	                                   "TemplateData",
	                                   NULL};

	if (v1_envelope(fm, pats, msg, raw, e) < 0)
		return -1;
	return v1_template(fm, "TemplateData", true, msg, e);
}

/* v1_tmpl_action - the template action named by s, or -1. */
static int
v1_tmpl_action(struct str s)
{
	static const struct {
		const char *name;
		enum compat_ses_action a;
	} acts[] = {
	    {"SendBulkTemplatedEmail", COMPAT_SES_SEND_BULK_TEMPLATED_EMAIL},
	    {"CreateTemplate", COMPAT_SES_CREATE_TEMPLATE},
	    {"UpdateTemplate", COMPAT_SES_UPDATE_TEMPLATE},
	    {"GetTemplate", COMPAT_SES_GET_TEMPLATE},
	    {"DeleteTemplate", COMPAT_SES_DELETE_TEMPLATE},
	    {"ListTemplates", COMPAT_SES_LIST_TEMPLATES},
	    {"TestRenderTemplate", COMPAT_SES_TEST_RENDER_TEMPLATE},
	};
	size_t i;

	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		if (form_str_eq(s, acts[i].name))
			return (int)acts[i].a;
	return -1;
}

int
compat_ses_v1_tmpl_decode(char *body, size_t len, enum compat_ses_action action,
                          struct compat_ses_v1_tmpl *out, struct api_error *e)
{
	static const char *const put[] = {"Action",
	                                  "Version",
	                                  "Template.TemplateName",
	                                  "Template.SubjectPart",
	                                  "Template.TextPart",
	                                  "Template.HtmlPart",
	                                  NULL};
	static const char *const one[] = {"Action", "Version", "TemplateName",
	                                  NULL};
	static const char *const list[] = {"Action", "Version", "MaxItems",
	                                   "NextToken", NULL};
	static const char *const render[] = {
	    "Action", "Version", "TemplateName", "TemplateData", NULL};
	static const char *const parts[] = {
	    "Template.SubjectPart", "Template.HtmlPart", "Template.TextPart"};
	const char *nf = "TemplateName", *why;
	char *s = NULL, *end;
	struct form fm;
	int rc = -1, i;
	long n;

	memset(out, 0, sizeof(*out));
	form_init(&fm);
	if (form_urlencoded_parse(body, len, &fm, &why) < 0) {
		api_error_set(e, 400, "invalid_field", "", "%s", why);
		goto done;
	}
	switch (action) {
	case COMPAT_SES_CREATE_TEMPLATE:
	case COMPAT_SES_UPDATE_TEMPLATE:
		nf = "Template.TemplateName";
		if (v1_known(&fm, put, e) < 0)
			goto done;
		for (i = 0; i < TMPL_PARTS; i++)
			if (v1_str(&fm, parts[i], i == TMPL_PART_SUBJECT,
			           &out->part[i], NULL, e) < 0)
				goto done;
		if (out->part[TMPL_PART_HTML] == NULL &&
		    out->part[TMPL_PART_TEXT] == NULL) {
			api_error_set(e, 400, "missing_field",
			              "Template.HtmlPart",
			              "The template must have an HtmlPart or a "
			              "TextPart.");
			goto done;
		}
		break;
	case COMPAT_SES_LIST_TEMPLATES:
		if (v1_known(&fm, list, e) < 0 ||
		    v1_str(&fm, "MaxItems", true, &s, NULL, e) < 0)
			goto done;
		out->max_items = 10;
		if (s != NULL) {
			n = strtol(s, &end, 10);
			if (*end != '\0' || n < 1 || n > 100) {
				api_error_set(e, 400, "invalid_field",
				              "MaxItems",
				              "MaxItems must be 1..100");
				goto done;
			}
			out->max_items = (size_t)n;
		}
		free(s);
		s = NULL;
		if (v1_str(&fm, "NextToken", true, &s, NULL, e) < 0)
			goto done;
		snprintf(out->next, sizeof(out->next), "%s", s ? s : "");
		rc = 0;
		goto done;
	case COMPAT_SES_TEST_RENDER_TEMPLATE:
		if (v1_known(&fm, render, e) < 0 ||
		    v1_str(&fm, "TemplateData", false, &s, NULL, e) < 0)
			goto done;
		if (s == NULL) {
			api_error_set(e, 400, "missing_field", "TemplateData",
			              "TemplateData is required");
			goto done;
		}
		if (compat_ses_tmpl_data(s, "TemplateData", &out->data, e) < 0)
			goto done;
		free(s);
		s = NULL;
		break;
	default:
		if (v1_known(&fm, one, e) < 0)
			goto done;
	}
	if (v1_str(&fm, nf, true, &s, NULL, e) < 0)
		goto done;
	if (s == NULL || !tmpl_store_name_ok(s)) {
		api_error_set(e, 400, s ? "invalid_field" : "missing_field", nf,
		              "%s: letters, digits, '_', '-' or '.', 1..128 "
		              "characters",
		              nf);
		goto done;
	}
	snprintf(out->name, sizeof(out->name), "%s", s);
	rc = 0;
done:
	free(s);
	form_fini(&fm);
	if (rc < 0)
		compat_ses_v1_tmpl_fini(out);
	return rc;
}

void
compat_ses_v1_tmpl_fini(struct compat_ses_v1_tmpl *t)
{
	int i;

	for (i = 0; i < TMPL_PARTS; i++)
		free(t->part[i]);
	json_decref(t->data);
	memset(t, 0, sizeof(*t));
}

/* v1_bulk_defaults - a SendBulkTemplatedEmail's own fields into m. */
static int
v1_bulk_defaults(const struct form *fm, struct api_msg *m, struct api_error *e)
{
	static const char *const arns[] = {"SourceArn", "ReturnPathArn", NULL};
	const struct form_field *f;
	char *src = NULL;
	size_t i;
	int rc;

	memset(m, 0, sizeof(*m));
	msg_meta_init(&m->meta);
	for (i = 0; arns[i] != NULL; i++)
		if (form_field_get(fm, arns[i]) != NULL)
			return compat_ses_field_refuse(arns[i], SES_WHY_ARN, e);
	if (v1_tags(fm, "DefaultTags", &m->meta, e) < 0 ||
	    ((f = form_field_get(fm, "ConfigurationSetName")) != NULL &&
	     compat_ses_field_cset(&m->meta, f->value.p, f->value.len,
	                           "ConfigurationSetName", e) < 0) ||
	    v1_str(fm, "Source", true, &src, NULL, e) < 0)
		return -1;
	if (src == NULL)
		return api_error_set(e, 400, "missing_field", "Source",
		                     "Source is required");
	rc = api_json_addr_parse(src, &m->mail.from);
	free(src);
	if (rc < 0)
		return api_error_set(
		    e, 400, "invalid_field", "Source",
		    "Missing final '@domain' or not a valid address");
	if (v1_members(fm, "ReplyToAddresses", &m->mail.reply_to,
	               &m->mail.n_reply_to, e) < 0)
		return -1;
	return v1_template(fm, "DefaultTemplateData", false, m, e);
}

/* v1_bulk_index - the N of Destinations.member.N.*, or -1. */
static long
v1_bulk_index(struct str name)
{
	static const char pre[] = "Destinations.member.";
	size_t pl = sizeof(pre) - 1, j;
	long n = 0;

	if (name.len <= pl || memcmp(name.p, pre, pl) != 0)
		return -1;
	for (j = pl; j < name.len && name.p[j] >= '0' && name.p[j] <= '9'; j++)
		if ((n = n * 10 + (name.p[j] - '0')) > 100000)
			return -1;
	return j > pl && j < name.len && name.p[j] == '.' ? n : -1;
}

int
compat_ses_v1_bulk_decode(char *body, size_t len, struct api_batch *out,
                          char **return_path, struct api_error *e)
{
	static const char *const pats[] = {
	    "Action",
	    "Version",
	    "Source",
	    "SourceArn",
	    "ReplyToAddresses.member.#",
	    "ReturnPath",
	    "ReturnPathArn",
	    "ConfigurationSetName",
	    "DefaultTags.member.#.Name",
	    "DefaultTags.member.#.Value",
	    "Template",
	    "TemplateArn",
	    "DefaultTemplateData",
	    "Destinations.member.#.Destination.ToAddresses.member.#",
	    "Destinations.member.#.Destination.CcAddresses.member.#",
	    "Destinations.member.#.Destination.BccAddresses.member.#",
	    "Destinations.member.#.ReplacementTags.member.#.Name",
	    "Destinations.member.#.ReplacementTags.member.#.Value",
	    "Destinations.member.#.ReplacementTemplateData",
	    NULL};
	long idx[COMPAT_SES_BULK_MAX], x;
	char pre[96], f[160], *data = NULL;
	const char *why;
	struct form fm;
	json_t *d = NULL;
	size_t i, k, n = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	*return_path = NULL;
	form_init(&fm);
	if (form_urlencoded_parse(body, len, &fm, &why) < 0) {
		api_error_set(e, 400, "invalid_field", "", "%s", why);
		goto done;
	}
	if (v1_known(&fm, pats, e) < 0)
		goto done;
	/* The entries, by their N, in the order first seen. */
	for (i = 0; i < fm.n; i++) {
		if ((x = v1_bulk_index(fm.f[i].name)) < 0)
			continue;
		for (k = 0; k < n && idx[k] != x; k++)
			;
		if (k < n)
			continue;
		if (n == COMPAT_SES_BULK_MAX) {
			api_error_set(e, 400, "invalid_field", "Destinations",
			              "Destinations must have 1 to %d members",
			              COMPAT_SES_BULK_MAX);
			goto done;
		}
		idx[n++] = x;
	}
	if (n == 0) {
		api_error_set(e, 400, "missing_field", "Destinations",
		              "Destinations must have 1 to %d members",
		              COMPAT_SES_BULK_MAX);
		goto done;
	}
	out->msgs = xcalloc(n, sizeof(*out->msgs));
	out->errs = xcalloc(n, sizeof(*out->errs));
	out->n = n;
	for (i = 0; i < n; i++) {
		struct api_msg *m = &out->msgs[i];

		snprintf(pre, sizeof(pre), "Destinations.member.%ld", idx[i]);
		if (v1_bulk_defaults(&fm, m, e) < 0)
			goto done;
		snprintf(f, sizeof(f), "%s.Destination.ToAddresses", pre);
		if (v1_members(&fm, f, &m->mail.to, &m->mail.n_to, e) < 0)
			goto done;
		snprintf(f, sizeof(f), "%s.Destination.CcAddresses", pre);
		if (v1_members(&fm, f, &m->mail.cc, &m->mail.n_cc, e) < 0)
			goto done;
		snprintf(f, sizeof(f), "%s.Destination.BccAddresses", pre);
		if (v1_members(&fm, f, &m->bcc, &m->n_bcc, e) < 0)
			goto done;
		snprintf(f, sizeof(f), "%s.ReplacementTags", pre);
		if (v1_tags(&fm, f, &m->meta, e) < 0)
			goto done;
		snprintf(f, sizeof(f), "%s.ReplacementTemplateData", pre);
		if (v1_str(&fm, f, false, &data, NULL, e) < 0 ||
		    (data != NULL && compat_ses_tmpl_data(data, f, &d, e) < 0))
			goto done;
		if (d != NULL)
			json_object_update(m->template_data, d);
		json_decref(d);
		d = NULL;
		free(data);
		data = NULL;
	}
	if (v1_addr(&fm, "ReturnPath", return_path, e) < 0)
		goto done;
	rc = 0;
done:
	free(data);
	form_fini(&fm);
	if (rc < 0) {
		api_batch_fini(out);
		free(*return_path);
		*return_path = NULL;
	}
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
	int rc = -1, act;

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
	} else if (form_str_eq(a->value, "SendTemplatedEmail")) {
		*action = COMPAT_SES_SEND_TEMPLATED_EMAIL;
		rc = v1_send_templated(&fm, msg, raw, e);
	} else if ((act = v1_tmpl_action(a->value)) >= 0) {
		/* Decoded by compat_ses_v1_tmpl_decode / _bulk_decode. */
		*action = (enum compat_ses_action)act;
		rc = 0;
	} else
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
