/*
 * compat_ses_field.c - the rules the SES decoders share: message tags
 * and configuration sets by SES's rules, charsets, the refusal wording,
 * and the X-SES-* fields of a raw message (see compat_ses_int.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xmalloc.h"
#include "ingress/compat_ses_int.h"
#include "mime/header.h"
#include "mime/header_edit.h"

#define SES_TAG_MAX 256 /* octets of a tag name or value */
#define SES_CSET_MAX 64 /* octets of a configuration set name */
#define SES_HDR_TAGS_MAX 50

void
compat_raw_req_fini(struct compat_raw_req *r)
{
	size_t i;

	if (r == NULL)
		return;
	free(r->data);
	free(r->env_from);
	for (i = 0; i < r->n_env_to; i++)
		free(r->env_to[i]);
	free(r->env_to);
	memset(r, 0, sizeof(*r));
}

/* compat_ses_field_env_add - append the addresses of list to r's envelope. */
void
compat_ses_field_env_add(struct compat_raw_req *r, struct mime_build_addr *list,
                         size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		r->env_to = xreallocarray(r->env_to, r->n_env_to + 1,
		                          sizeof(*r->env_to));
		r->env_to[r->n_env_to++] = xstrdup(list[i].addr);
	}
}

/* ---- rules shared by v1 and v2 --------------------------------------- */

/*
 * compat_ses_field_tag - a message tag into mt, by SES's rules: name and value
 * only ASCII letters, digits, '_' and '-', at most 256 each, a name at
 * most once. 0, or -1 with *e naming field.
 */
int
compat_ses_field_tag(struct msg_meta *mt, const char *name, const char *value,
                     const char *field, struct api_error *e)
{
	size_t i;

	if (name == NULL ||
	    !msg_meta_tag_word(name, strlen(name), SES_TAG_MAX, 0))
		return api_error_set(
		    e, 400, "invalid_field", field,
		    "Invalid tag name <%.64s>: only ASCII letters, digits, "
		    "'_' and '-' are allowed, 1 to 256 of them",
		    name ? name : "");
	if (value == NULL ||
	    !msg_meta_tag_word(value, strlen(value), SES_TAG_MAX, true))
		return api_error_set(
		    e, 400, "invalid_field", field,
		    "Invalid tag value <%.64s>: only ASCII letters, digits, "
		    "'_' and '-' are allowed, at most 256 of them",
		    value ? value : "");
	for (i = 0; i < mt->n_tags; i++)
		if (strcmp(mt->tags[i].name, name) == 0)
			return api_error_set(e, 400, "invalid_field", field,
			                     "Duplicate tag name <%.64s>",
			                     name);
	if (msg_meta_add_tag(mt, name, value) < 0)
		return api_error_set(e, 400, "invalid_field", field,
		                     "more than %d tags", MSG_META_TAGS_MAX);
	return 0;
}

/*
 * compat_ses_field_cset - the configuration set name into mt (letters, digits,
 * '_', '-', at most 64). A second, different name (the parameter and
 * the raw message's X-SES-CONFIGURATION-SET) is refused: the request
 * would say two things. 0, or -1 with *e.
 */
int
compat_ses_field_cset(struct msg_meta *mt, const char *name, size_t n,
                      const char *field, struct api_error *e)
{
	if (!msg_meta_tag_word(name, n, SES_CSET_MAX, false))
		return api_error_set(
		    e, 400, "invalid_field", field,
		    "Invalid configuration set name: only ASCII letters, "
		    "digits, '_' and '-' are allowed, 1 to 64 of them");
	if (mt->config_set != NULL &&
	    (strlen(mt->config_set) != n || memcmp(mt->config_set, name, n)))
		return api_error_set(e, 400, "invalid_field", field,
		                     "differs from the configuration set "
		                     "the request names elsewhere");
	if (mt->config_set == NULL)
		mt->config_set = xmemdup(name, n);
	return 0;
}

/* ses_charset_ok - a Charset swerve honours: the text goes as UTF-8. */
int
compat_ses_field_charset(const char *cs, const char *field, struct api_error *e)
{
	if (cs == NULL || strcasecmp(cs, "UTF-8") == 0 ||
	    strcasecmp(cs, "UTF8") == 0 || strcasecmp(cs, "US-ASCII") == 0 ||
	    strcasecmp(cs, "ASCII") == 0)
		return 0;
	return api_error_set(e, 400, "invalid_field", field,
	                     "%s: only UTF-8 (or US-ASCII) is supported by "
	                     "this endpoint; the text is sent as UTF-8",
	                     field);
}

/* compat_ses_field_refuse - the answer to a field swerve does not do. -1. */
int
compat_ses_field_refuse(const char *field, const char *why, struct api_error *e)
{
	return api_error_set(e, 400, "invalid_field", field,
	                     "%s is not supported by this endpoint: %s", field,
	                     why);
}

/* ses_hdr_tags - "name=value, name2=value2" of X-SES-MESSAGE-TAGS. */
static int
ses_hdr_tags(const char *v, struct msg_meta *mt, struct api_error *e)
{
	const char *f = "X-SES-MESSAGE-TAGS";
	char *copy = xstrdup(v), *save = NULL, *it;
	int rc = 0, n = 0;

	for (it = strtok_r(copy, ",", &save); it != NULL && rc == 0;
	     it = strtok_r(NULL, ",", &save)) {
		char *eq, *end;

		while (*it == ' ' || *it == '\t')
			it++;
		end = it + strlen(it);
		while (end > it && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*it == '\0')
			continue;
		if ((eq = strchr(it, '=')) == NULL || ++n > SES_HDR_TAGS_MAX) {
			rc = api_error_set(e, 400, "invalid_field", f,
			                   "X-SES-MESSAGE-TAGS must be "
			                   "name=value pairs separated by "
			                   "commas");
			break;
		}
		/* Blanks around '=' are the field's folding, not the tag's. */
		for (end = eq; end > it && (end[-1] == ' ' || end[-1] == '\t');)
			*--end = '\0';
		*eq++ = '\0';
		while (*eq == ' ' || *eq == '\t')
			eq++;
		rc = compat_ses_field_tag(mt, it, eq, f, e);
	}
	free(copy);
	return rc;
}

/*
 * compat_ses_field_raw - SES's control fields out of the raw message in r:
 * X-SES-CONFIGURATION-SET and X-SES-MESSAGE-TAGS into mt, the ARN fields
 * dropped (they carry an account id; swerve does no sending
 * authorization). Every such field is taken out. 0, or -1 with *e.
 */
int
compat_ses_field_raw(struct compat_raw_req *r, struct msg_meta *mt,
                     struct api_error *e)
{
	static const char *const arns[] = {"X-SES-SOURCE-ARN", "X-SES-FROM-ARN",
	                                   "X-SES-RETURN-PATH-ARN"};
	size_t hlen = mime_header_len((const char *)r->data, r->len), off = 0;
	char *cs = NULL, *tags;
	struct str name, value;
	struct buf b;
	size_t i;
	int rc = 0;

	if (hlen == 0)
		return 0;
	/* Every tags field counts, not only the first. */
	while (rc == 0 && mime_header_field_next((const char *)r->data, hlen,
	                                         &off, &name, &value)) {
		if (!str_eq_nocase(name, "X-SES-MESSAGE-TAGS"))
			continue;
		/* Unfolded: a line end is a blank, as RFC 5322 says. */
		tags = str_dup(value);
		for (i = 0; tags[i] != '\0'; i++)
			if (tags[i] == '\r' || tags[i] == '\n')
				tags[i] = ' ';
		rc = ses_hdr_tags(tags, mt, e);
		free(tags);
	}
	if (rc < 0)
		return -1;
	buf_init(&b);
	buf_add(&b, r->data, r->len);
	mime_header_take(&b, 0, "X-SES-MESSAGE-TAGS", NULL);
	for (i = 0; i < sizeof(arns) / sizeof(arns[0]); i++)
		mime_header_take(&b, 0, arns[i], NULL);
	if (mime_header_take(&b, 0, "X-SES-CONFIGURATION-SET", &cs) > 0)
		rc =
		    compat_ses_field_cset(mt, cs ? cs : "", cs ? strlen(cs) : 0,
		                          "X-SES-CONFIGURATION-SET", e);
	free(cs);
	free(r->data);
	r->data = (unsigned char *)b.p;
	r->len = b.len;
	return rc;
}
