/*
 * compat_sendgrid_subst.c - SendGrid personalizations[].substitutions:
 * plain key replacement in a personalization's subject, content,
 * headers and reply-to (see compat_sendgrid_int.h).
 *
 * SendGrid v3 has no tag syntax of its own: a key such as "-name-" or
 * "%name%" is the literal text to replace. The text is read once, left
 * to right; at each place the longest key that matches is replaced and
 * reading goes on after it, so a value is never substituted again. Keys
 * are grouped by their first octet (longest first), so a place whose
 * octet starts no key costs one lookup. A request's comparisons are
 * counted against SG_SUBST_WORK_MAX: content of a few megabytes with
 * many keys sharing a prefix is refused instead of taking minutes.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xmalloc.h"
#include "ingress/compat_sendgrid_int.h"

/* subst_cmp - by first octet, then longer keys first. */
static int
subst_cmp(const void *a, const void *b)
{
	const struct compat_sendgrid_sub *x = a, *y = b;
	unsigned char cx = (unsigned char)x->key[0];
	unsigned char cy = (unsigned char)y->key[0];

	if (cx != cy)
		return cx < cy ? -1 : 1;
	if (x->key_len != y->key_len)
		return x->key_len > y->key_len ? -1 : 1;
	return 0;
}

int
compat_sendgrid_subst_parse(json_t *v, const char *field, size_t *work,
                            struct compat_sendgrid_subst *s,
                            struct api_error *e)
{
	const char *k;
	json_t *it;
	size_t total = 0, i, c;

	memset(s, 0, sizeof(*s));
	s->work = work;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return api_error_set(e, 400, "invalid_field", field,
		                     "Invalid type. Expected: object.");
	s->subs = xcalloc(json_object_size(v) + 1, sizeof(*s->subs));
	json_object_foreach(v, k, it)
	{
		struct compat_sendgrid_sub *sb = &s->subs[s->n];

		if (!json_is_string(it)) {
			compat_sendgrid_subst_fini(s);
			return api_error_set(
			    e, 400, "invalid_field", field,
			    "Substitutions must be strings: the value of "
			    "\"%.60s\" is not.",
			    k);
		}
		sb->key = k;
		sb->key_len = strlen(k);
		sb->value = json_string_value(it);
		sb->value_len = json_string_length(it);
		total += sb->key_len + sb->value_len;
		if (sb->key_len == 0 || total > SG_SUBST_BYTES_MAX ||
		    memchr(sb->value, '\0', sb->value_len) != NULL) {
			compat_sendgrid_subst_fini(s);
			return api_error_set(
			    e, 400, "invalid_field", field,
			    total > SG_SUBST_BYTES_MAX
			        ? "The total size of substitutions may not "
			          "exceed 10,000 bytes per personalization."
			        : "A substitution key must be a non-empty "
			          "string and its value may not hold NUL.");
		}
		s->n++;
	}
	qsort(s->subs, s->n, sizeof(*s->subs), subst_cmp);
	for (c = 0, i = 0; c < 256; c++) {
		s->first[c] = i;
		while (i < s->n && (unsigned char)s->subs[i].key[0] == c)
			i++;
	}
	s->first[256] = s->n;
	return 0;
}

void
compat_sendgrid_subst_fini(struct compat_sendgrid_subst *s)
{
	free(s->subs);
	memset(s, 0, sizeof(*s));
}

char *
compat_sendgrid_subst_apply(struct compat_sendgrid_subst *s, const char *in,
                            size_t n, size_t *outlen, const char *field,
                            struct api_error *e)
{
	struct buf b;
	size_t i = 0, done = 0;

	buf_init(&b);
	while (s->n > 0 && i < n) {
		unsigned char c = (unsigned char)in[i];
		const struct compat_sendgrid_sub *hit = NULL;
		size_t k;

		for (k = s->first[c]; k < s->first[c + 1]; k++) {
			const struct compat_sendgrid_sub *sb = &s->subs[k];

			if (*s->work == 0) {
				buf_fini(&b);
				api_error_set(e, 400, "invalid_field", field,
				              "substitutions: too many keys "
				              "over too much content");
				return NULL;
			}
			(*s->work)--;
			if (sb->key_len <= n - i &&
			    memcmp(in + i, sb->key, sb->key_len) == 0) {
				hit = sb;
				break;
			}
		}
		if (hit == NULL) {
			i++;
			continue;
		}
		buf_add(&b, in + done, i - done);
		buf_add(&b, hit->value, hit->value_len);
		i += hit->key_len;
		done = i;
	}
	buf_add(&b, in + done, n - done);
	return buf_steal(&b, outlen);
}

json_t *
compat_sendgrid_subst_json(struct compat_sendgrid_subst *s, json_t *v,
                           const char *field, struct api_error *e)
{
	json_t *out, *it;
	const char *k;
	size_t i;

	if (v == NULL)
		return NULL;
	if (json_is_string(v)) {
		size_t len;
		char *t = compat_sendgrid_subst_apply(s, json_string_value(v),
		                                      json_string_length(v),
		                                      &len, field, e);

		if (t == NULL)
			return NULL;
		out = json_stringn_nocheck(t, len);
		free(t);
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, it)
		{
			json_t *c = compat_sendgrid_subst_json(s, it, field, e);

			if (c == NULL) {
				json_decref(out);
				return NULL;
			}
			json_array_append_new(out, c);
		}
		return out;
	}
	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach(v, k, it)
		{
			json_t *c = compat_sendgrid_subst_json(s, it, field, e);

			if (c == NULL) {
				json_decref(out);
				return NULL;
			}
			json_object_set_new(out, k, c);
		}
		return out;
	}
	return json_deep_copy(v);
}
