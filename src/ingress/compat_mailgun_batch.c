/*
 * compat_mailgun_batch.c - Mailgun's batch sending: a /messages request
 * with recipient-variables becomes one message per To recipient.
 *
 * Mailgun's rule: with recipient-variables (a JSON object from each
 * recipient's address to an object of variables), every address in To
 * gets a message of its own, whose To shows that address only, and
 * %recipient.NAME% in the subject, the text and the HTML becomes that
 * recipient's variable NAME (a placeholder without a variable stays as
 * written). Everything else is the request's, decoded by
 * compat_mailgun_decode() once per recipient. cc and bcc are refused
 * with recipient-variables: a copy of every one of the messages would go
 * to them.
 *
 * Pure: no I/O, no logging.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/xmalloc.h"
#include "ingress/compat.h"
#include "mime/form.h"

#define MG_RV "recipient-variables"
#define MG_RV_TAG "%recipient."
/* Text and attachments times recipients: what one request may make
 * swerve build and store (each recipient's message copies them). */
#define MG_EXPANDED_MAX (64u << 20)

/* mg_size - the octets of m's bodies and attachments. */
static size_t
mg_size(const struct mime_build_msg *m)
{
	size_t n = m->text_len + m->html_len, i;

	for (i = 0; i < m->n_atts; i++)
		n += m->atts[i].len;
	return n;
}

/*
 * mg_idem - a key names one message: recipient i's message gets the
 * request's X-Swerve-Idempotency-Key with "/r<i+1>" appended, so that a
 * retry of the whole request replays each message.
 */
static void
mg_idem(struct mime_build_msg *m, size_t i)
{
	size_t k, n;
	char *v;

	for (k = 0; k < m->n_fields; k++) {
		if (strcasecmp(m->fields[k].name, "X-Swerve-Idempotency-Key") !=
		    0)
			continue;
		n = strlen(m->fields[k].value) + 24;
		v = xmalloc(n);
		snprintf(v, n, "%s/r%zu", m->fields[k].value, i + 1);
		free(m->fields[k].value);
		m->fields[k].value = v;
	}
}

/* mg_var_text - a variable's value as text (a string as it is, a number
 * or a truth value as JSON writes it), or NULL. Caller frees. */
static char *
mg_var_text(json_t *v)
{
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_number(v) || json_is_boolean(v))
		return json_dumps(v, JSON_ENCODE_ANY);
	return NULL;
}

/*
 * mg_subst - *s[0..*len) with each %recipient.NAME% that vars has
 * replaced by its value; *s and *len are replaced. header: the result
 * goes into a header (a value with CR or LF is refused). 0 or -1 + *e.
 */
static int
mg_subst(char **s, size_t *len, json_t *vars, bool header, const char *field,
         struct api_error *e)
{
	const size_t tl = strlen(MG_RV_TAG);
	const char *p, *end, *t, *q;
	struct buf out;

	if (*s == NULL || vars == NULL)
		return 0;
	p = *s;
	end = *s + *len;
	buf_init(&out);
	while ((t = memmem(p, (size_t)(end - p), MG_RV_TAG, tl)) != NULL) {
		char name[128], *val;
		size_t n;

		q = memchr(t + tl, '%', (size_t)(end - t - tl));
		n = q ? (size_t)(q - t - tl) : 0;
		if (q == NULL || n == 0 || n >= sizeof(name)) {
			buf_add(&out, p, (size_t)(t + tl - p));
			p = t + tl;
			continue;
		}
		memcpy(name, t + tl, n);
		name[n] = '\0';
		val = mg_var_text(json_object_get(vars, name));
		buf_add(&out, p, (size_t)(t - p));
		if (val == NULL)
			buf_add(&out, t, (size_t)(q + 1 - t));
		else if (header && strpbrk(val, "\r\n") != NULL) {
			free(val);
			buf_fini(&out);
			return api_error_set(
			    e, 400, "invalid_field", MG_RV,
			    "'%s': the variable %.60s holds CR "
			    "or LF and goes into the %s",
			    MG_RV, name, field);
		} else
			buf_addstr(&out, val);
		free(val);
		p = q + 1;
	}
	buf_add(&out, p, (size_t)(end - p));
	free(*s);
	*s = buf_steal(&out, len);
	return 0;
}

/* mg_vars_of - the variables of addr in rv (addresses compared without
 * case), or NULL. */
static json_t *
mg_vars_of(json_t *rv, const char *addr)
{
	const char *k;
	json_t *v;

	json_object_foreach(rv, k, v)
	{
		if (strcasecmp(k, addr) == 0)
			return json_is_object(v) ? v : NULL;
	}
	return NULL;
}

/* mg_narrow - keep To recipient i of m only, with its variables. */
static int
mg_narrow(struct api_msg *m, size_t i, json_t *rv, struct api_error *e)
{
	struct mime_build_msg *b = &m->mail;
	struct mime_build_addr keep = b->to[i];
	json_t *vars;
	size_t k, slen;

	for (k = 0; k < b->n_to; k++)
		if (k != i) {
			free(b->to[k].name);
			free(b->to[k].addr);
		}
	b->to[0] = keep;
	b->n_to = 1;
	vars = mg_vars_of(rv, keep.addr);
	slen = b->subject ? strlen(b->subject) : 0;
	if (mg_subst(&b->subject, &slen, vars, true, "subject", e) < 0 ||
	    mg_subst(&b->text, &b->text_len, vars, false, "text", e) < 0 ||
	    mg_subst(&b->html, &b->html_len, vars, false, "html", e) < 0)
		return -1;
	return 0;
}

int
compat_mailgun_batch_decode(const struct form *fm, time_t now,
                            struct api_msg **msgs, size_t *n,
                            struct api_error *e)
{
	const struct form_field *rvf = form_field_get(fm, MG_RV);
	struct form rest;
	struct api_msg first;
	json_t *rv = NULL;
	size_t i, k = 0;
	int rc = -1;

	*msgs = NULL;
	*n = 0;
	form_init(&rest);
	if (rvf == NULL) {
		*msgs = xcalloc(1, sizeof(**msgs));
		if (compat_mailgun_decode(fm, now, &(*msgs)[0], e) < 0) {
			free(*msgs);
			*msgs = NULL;
			return -1;
		}
		*n = 1;
		return 0;
	}
	if (rvf->value.len > 0)
		rv = json_loadb(rvf->value.p, rvf->value.len,
		                JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(rv)) {
		api_error_set(e, 400, "invalid_field", MG_RV,
		              "'%s' parameter is not a valid JSON object",
		              MG_RV);
		goto done;
	}
	/* The request without recipient-variables: once for its checks,
	 * then once per recipient. */
	for (i = 0; i < fm->n; i++) {
		if (form_str_eq(fm->f[i].name, MG_RV))
			continue;
		rest.f = xreallocarray(rest.f, rest.n + 1, sizeof(*rest.f));
		rest.f[rest.n++] = fm->f[i];
	}
	rest.cap = rest.n;
	if (compat_mailgun_decode(&rest, now, &first, e) < 0)
		goto done;
	k = first.mail.n_to;
	if (first.mail.n_cc > 0 || first.n_bcc > 0) {
		api_error_set(e, 400, "invalid_field", MG_RV,
		              "'%s' cannot go with cc or bcc: each To "
		              "recipient gets a message of its own",
		              MG_RV);
		api_msg_fini(&first);
		goto done;
	}
	if (mg_size(&first.mail) > MG_EXPANDED_MAX / k) {
		api_error_set(e, 413, "too_large", MG_RV,
		              "'%s': the message times %zu recipients is over "
		              "%u octets",
		              MG_RV, k, MG_EXPANDED_MAX);
		api_msg_fini(&first);
		goto done;
	}
	api_msg_fini(&first);
	*msgs = xcalloc(k, sizeof(**msgs));
	for (i = 0; i < k; i++) {
		if (compat_mailgun_decode(&rest, now, &(*msgs)[i], e) < 0)
			goto fail;
		*n = i + 1;
		if (mg_narrow(&(*msgs)[i], i, rv, e) < 0)
			goto fail;
		mg_idem(&(*msgs)[i].mail, i);
	}
	rc = 0;
	goto done;
fail:
	compat_msgs_free(*msgs, *n);
	*msgs = NULL;
	*n = 0;
done:
	form_fini(&rest);
	json_decref(rv);
	return rc;
}
