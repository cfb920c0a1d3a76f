/*
 * meta_out.c - the pieces the egress adapters share when they carry a
 * message's msg_meta to their provider (see meta_out.h).
 */
#include "providers/meta_out.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/base64.h"
#include "core/xmalloc.h"
#include "providers/providers_http.h"

void
meta_out_skip(struct buf *na, const char *fmt, ...)
{
	char item[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(item, sizeof(item), fmt, ap);
	va_end(ap);
	buf_printf(na, "%s%s", na->len ? ", " : "", item);
}

bool
meta_out_has(const struct msg_meta *m)
{
	return m != NULL && !msg_meta_empty(m);
}

void
meta_out_unsupported(const struct msg_meta *m, unsigned carried, struct buf *na)
{
	static const struct {
		unsigned bit;
		const char *name;
	} fields[] = {
	    {META_OUT_TAGS, "tags"},
	    {META_OUT_METADATA, "metadata"},
	    {META_OUT_CONFIG_SET, "config_set"},
	    {META_OUT_MESSAGE_STREAM, "message_stream"},
	    {META_OUT_IP_POOL, "ip_pool"},
	    {META_OUT_TRACK_OPENS, "track_opens"},
	    {META_OUT_TRACK_CLICKS, "track_clicks"},
	};
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		bool set;

		if (carried & fields[i].bit)
			continue;
		switch (fields[i].bit) {
		case META_OUT_TAGS:
			set = m->n_tags > 0;
			break;
		case META_OUT_METADATA:
			set = m->metadata != NULL;
			break;
		case META_OUT_CONFIG_SET:
			set = m->config_set != NULL;
			break;
		case META_OUT_MESSAGE_STREAM:
			set = m->message_stream != NULL;
			break;
		case META_OUT_IP_POOL:
			set = m->ip_pool != NULL;
			break;
		case META_OUT_TRACK_OPENS:
			set = m->track_opens != MSG_TRACK_UNSET;
			break;
		default:
			set = m->track_clicks != MSG_TRACK_UNSET;
			break;
		}
		if (set)
			meta_out_skip(na, "%s", fields[i].name);
	}
}

bool
meta_out_token_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                 "0123456789_-") == n;
}

struct meta_out_pair *
meta_out_pairs(const struct msg_meta *m, bool labels_too, size_t *n)
{
	struct meta_out_pair *p;
	json_t *obj = NULL, *val;
	const char *key;
	size_t i, k = 0, cap;

	*n = 0;
	if (m == NULL)
		return NULL;
	if (m->metadata != NULL) {
		obj = json_loads(m->metadata, 0, NULL);
		if (!json_is_object(obj)) {
			json_decref(obj);
			obj = NULL;
		}
	}
	cap = m->n_tags + (obj ? json_object_size(obj) : 0);
	if (cap == 0) {
		json_decref(obj);
		return NULL;
	}
	p = xcalloc(cap, sizeof(*p));
	for (i = 0; i < m->n_tags; i++) {
		if (m->tags[i].value == NULL && !labels_too)
			continue;
		p[k].what = "tag";
		p[k].name = xstrdup(m->tags[i].name);
		p[k].value =
		    xstrdup(m->tags[i].value ? m->tags[i].value : "true");
		k++;
	}
	json_object_foreach(obj, key, val)
	{
		p[k].what = "metadata";
		p[k].name = xstrdup(key);
		if (json_is_string(val))
			p[k].value = xstrdup(json_string_value(val));
		else
			p[k].value =
			    json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY);
		if (p[k].value == NULL)
			p[k].value = xstrdup("");
		k++;
	}
	json_decref(obj);
	if (k == 0) {
		free(p);
		return NULL;
	}
	*n = k;
	return p;
}

void
meta_out_pairs_free(struct meta_out_pair *p, size_t n)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].value);
	}
	free(p);
}

json_t *
meta_out_token_tags(const struct msg_meta *m, const char *id, const char *kname,
                    const char *kvalue, struct buf *na)
{
	json_t *a = json_array(), *seen = json_object();
	struct meta_out_pair *p;
	size_t i, n;

	if (id && *id) {
		json_array_append_new(a,
		                      json_pack("{s:s,s:s}", kname,
		                                PROVIDERS_ID_TAG, kvalue, id));
		json_object_set_new(seen, PROVIDERS_ID_TAG, json_true());
	}
	p = meta_out_pairs(m, true, &n);
	for (i = 0; i < n; i++) {
		if (!meta_out_token_ok(p[i].name, META_OUT_TOKEN_MAX) ||
		    !meta_out_token_ok(p[i].value, META_OUT_TOKEN_MAX)) {
			meta_out_skip(na, "%s \"%.64s\" (characters)",
			              p[i].what, p[i].name);
			continue;
		}
		if (json_object_get(seen, p[i].name) != NULL) {
			meta_out_skip(na, "%s \"%.64s\" (repeated)", p[i].what,
			              p[i].name);
			continue;
		}
		json_object_set_new(seen, p[i].name, json_true());
		json_array_append_new(a,
		                      json_pack("{s:s,s:s}", kname, p[i].name,
		                                kvalue, p[i].value));
	}
	meta_out_pairs_free(p, n);
	json_decref(seen);
	if (json_array_size(a) == 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

void
meta_out_header(const char *name, const struct msg_meta *m, struct buf *out)
{
	char *json = m ? msg_meta_encode(m) : NULL;
	struct buf b64;
	size_t off = 0, room, n;

	if (json == NULL)
		return;
	buf_init(&b64);
	base64_encode(&b64, json, strlen(json));
	free(json);
	buf_printf(out, "%s:", name);
	/* The first line holds "name: " and as much as fits in 78. */
	room = strlen(name) + 2 < 78 ? 78 - strlen(name) - 2 : 1;
	while (off < b64.len) {
		n = b64.len - off < room ? b64.len - off : room;
		buf_addch(out, ' ');
		buf_add(out, b64.p + off, n);
		buf_addstr(out, "\r\n");
		off += n;
		room = 77; /* a folded line: one space, then 77 */
	}
	buf_fini(&b64);
}

json_t *
meta_out_kv_object(const struct msg_meta *m, const char *id,
                   meta_out_kv_check_fn *check, void *arg, struct buf *na)
{
	json_t *o = json_object(), *v;
	struct meta_out_pair *p;
	const char *why;
	size_t i, n;

	if (id && *id)
		json_object_set_new(o, PROVIDERS_ID_TAG, json_string(id));
	p = meta_out_pairs(m, false, &n);
	for (i = 0; i < n; i++) {
		why = json_object_get(o, p[i].name) != NULL
		          ? "repeated"
		          : check(o, &p[i], arg);
		if (why == NULL) {
			v = json_string(p[i].value);
			/* json_object_set_new takes v even when it fails. */
			if (v == NULL ||
			    json_object_set_new(o, p[i].name, v) != 0)
				why = "not UTF-8";
		}
		if (why != NULL)
			meta_out_skip(na, "%s \"%.64s\" (%s)", p[i].what,
			              p[i].name, why);
	}
	meta_out_pairs_free(p, n);
	if (json_object_size(o) == 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}
