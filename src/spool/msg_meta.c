/*
 * msg_meta.c - a message's tags, metadata and sending options, and
 * their JSON form (see msg_meta.h).
 */
#include "spool/msg_meta.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/xmalloc.h"

void
msg_meta_init(struct msg_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->track_opens = MSG_TRACK_UNSET;
	m->track_clicks = MSG_TRACK_UNSET;
}

void
msg_meta_fini(struct msg_meta *m)
{
	for (size_t i = 0; i < m->n_tags; i++) {
		free(m->tags[i].name);
		free(m->tags[i].value);
	}
	free(m->tags);
	free(m->metadata);
	free(m->config_set);
	free(m->message_stream);
	free(m->ip_pool);
	free(m->options);
	free(m->suppressed);
	msg_meta_init(m);
}

bool
msg_meta_empty(const struct msg_meta *m)
{
	return m->n_tags == 0 && !m->metadata && !m->config_set &&
	       !m->message_stream && !m->ip_pool && m->send_at == 0 &&
	       !m->sandbox && m->track_opens == MSG_TRACK_UNSET &&
	       m->track_clicks == MSG_TRACK_UNSET && !m->options &&
	       !m->suppressed;
}

/* A tag name or value: 1..MSG_META_TAG_MAX octets, no control octet. */
static bool
msg_meta_tag_text_ok(const char *s, bool may_be_empty)
{
	size_t n = strlen(s);

	if ((n == 0 && !may_be_empty) || n > MSG_META_TAG_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

bool
msg_meta_tag_word(const char *s, size_t n, size_t max, bool empty_ok)
{
	if ((n == 0 && !empty_ok) || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return false;
	return true;
}

int
msg_meta_add_tag(struct msg_meta *m, const char *name, const char *value)
{
	if (m->n_tags >= MSG_META_TAGS_MAX ||
	    !msg_meta_tag_text_ok(name, false) ||
	    (value && !msg_meta_tag_text_ok(value, true)))
		return -1;
	m->tags = xreallocarray(m->tags, m->n_tags + 1, sizeof(*m->tags));
	m->tags[m->n_tags].name = xstrdup(name);
	m->tags[m->n_tags].value = value ? xstrdup(value) : NULL;
	m->n_tags++;
	return 0;
}

/* Replace *dst by obj's compact form, if it fits. Steals obj. */
static int
msg_meta_put_json(char **dst, json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT | JSON_ENCODE_ANY);

	json_decref(obj);
	if (!s || strlen(s) > MSG_META_METADATA_MAX) {
		free(s);
		return -1;
	}
	free(*dst);
	*dst = s;
	return 0;
}

/* Replace m->metadata by obj's compact form, if it fits. Steals obj. */
static int
msg_meta_put_metadata(struct msg_meta *m, json_t *obj)
{
	return msg_meta_put_json(&m->metadata, obj);
}

int
msg_meta_set_var(struct msg_meta *m, const char *key, const char *value)
{
	json_t *obj;

	if (!key[0])
		return -1;
	obj = m->metadata ? json_loads(m->metadata, 0, NULL) : json_object();
	if (!json_is_object(obj) ||
	    json_object_set_new(obj, key, json_string(value)) != 0) {
		json_decref(obj);
		return -1;
	}
	return msg_meta_put_metadata(m, obj);
}

int
msg_meta_set_metadata(struct msg_meta *m, const char *json)
{
	json_t *obj = json_loads(json, JSON_REJECT_DUPLICATES, NULL);

	if (!json_is_object(obj)) {
		json_decref(obj);
		return -1;
	}
	return msg_meta_put_metadata(m, obj);
}

int
msg_meta_set_options(struct msg_meta *m, const char *json)
{
	json_t *obj = json_loads(json, JSON_REJECT_DUPLICATES, NULL);

	if (!json_is_object(obj)) {
		json_decref(obj);
		return -1;
	}
	return msg_meta_put_json(&m->options, obj);
}

static void
msg_meta_set_str(json_t *root, const char *key, const char *v)
{
	if (v)
		json_object_set_new(root, key, json_string(v));
}

static void
msg_meta_set_track(json_t *root, const char *key, enum msg_track t)
{
	if (t != MSG_TRACK_UNSET)
		json_object_set_new(root, key, json_boolean(t == MSG_TRACK_ON));
}

char *
msg_meta_encode(const struct msg_meta *m)
{
	json_t *root;
	char *s;

	if (msg_meta_empty(m))
		return NULL;
	root = json_object();
	if (m->n_tags) {
		json_t *tags = json_array();

		for (size_t i = 0; i < m->n_tags; i++) {
			json_t *t = json_object();

			json_object_set_new(t, "name",
			                    json_string(m->tags[i].name));
			msg_meta_set_str(t, "value", m->tags[i].value);
			json_array_append_new(tags, t);
		}
		json_object_set_new(root, "tags", tags);
	}
	if (m->metadata) {
		json_t *md = json_loads(m->metadata, 0, NULL);

		if (md)
			json_object_set_new(root, "metadata", md);
	}
	msg_meta_set_str(root, "config_set", m->config_set);
	msg_meta_set_str(root, "message_stream", m->message_stream);
	msg_meta_set_str(root, "ip_pool", m->ip_pool);
	if (m->send_at)
		json_object_set_new(root, "send_at", json_integer(m->send_at));
	if (m->sandbox)
		json_object_set_new(root, "sandbox", json_true());
	msg_meta_set_track(root, "track_opens", m->track_opens);
	msg_meta_set_track(root, "track_clicks", m->track_clicks);
	if (m->options) {
		json_t *op = json_loads(m->options, 0, NULL);

		if (op)
			json_object_set_new(root, "options", op);
	}
	if (m->suppressed) {
		json_t *su = json_loads(m->suppressed, 0, NULL);

		if (su)
			json_object_set_new(root, "suppressed", su);
	}
	s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return s;
}

/* A member that must be a short string, or absent. */
static int
msg_meta_get_name(json_t *root, const char *key, char **out)
{
	json_t *v = json_object_get(root, key);

	if (!v)
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > MSG_META_NAME_MAX ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	*out = xstrdup(json_string_value(v));
	return 0;
}

static int
msg_meta_get_track(json_t *root, const char *key, enum msg_track *out)
{
	json_t *v = json_object_get(root, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return -1;
	*out = json_is_true(v) ? MSG_TRACK_ON : MSG_TRACK_OFF;
	return 0;
}

static int
msg_meta_get_tags(json_t *root, struct msg_meta *out)
{
	json_t *tags = json_object_get(root, "tags"), *t;
	size_t i;

	if (!tags)
		return 0;
	if (!json_is_array(tags))
		return -1;
	json_array_foreach(tags, i, t)
	{
		json_t *name = json_object_get(t, "name");
		json_t *value = json_object_get(t, "value");

		if (!json_is_string(name) ||
		    (value && !json_is_string(value)) ||
		    strlen(json_string_value(name)) !=
		        json_string_length(name) ||
		    (value && strlen(json_string_value(value)) !=
		                  json_string_length(value)) ||
		    msg_meta_add_tag(out, json_string_value(name),
		                     value ? json_string_value(value) : NULL) !=
		        0)
			return -1;
	}
	return 0;
}

int
msg_meta_decode(const char *json, size_t len, struct msg_meta *out)
{
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *v;
	int rc = -1;

	msg_meta_init(out);
	if (!json_is_object(root))
		goto out;
	if (msg_meta_get_tags(root, out) != 0)
		goto out;
	v = json_object_get(root, "metadata");
	if (v && (!json_is_object(v) ||
	          msg_meta_put_metadata(out, json_incref(v)) != 0))
		goto out;
	if (msg_meta_get_name(root, "config_set", &out->config_set) != 0 ||
	    msg_meta_get_name(root, "message_stream", &out->message_stream) !=
	        0 ||
	    msg_meta_get_name(root, "ip_pool", &out->ip_pool) != 0)
		goto out;
	v = json_object_get(root, "send_at");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 0))
		goto out;
	out->send_at = v ? (int64_t)json_integer_value(v) : 0;
	v = json_object_get(root, "sandbox");
	if (v && !json_is_boolean(v))
		goto out;
	out->sandbox = v && json_is_true(v);
	if (msg_meta_get_track(root, "track_opens", &out->track_opens) != 0 ||
	    msg_meta_get_track(root, "track_clicks", &out->track_clicks) != 0)
		goto out;
	v = json_object_get(root, "options");
	if (v && (!json_is_object(v) ||
	          msg_meta_put_json(&out->options, json_incref(v)) != 0))
		goto out;
	v = json_object_get(root, "suppressed");
	/* Not size-capped: the pipeline writes it, one entry a recipient. */
	if (v && (!json_is_array(v) ||
	          (out->suppressed = json_dumps(v, JSON_COMPACT)) == NULL))
		goto out;
	rc = 0;
out:
	json_decref(root);
	if (rc != 0)
		msg_meta_fini(out);
	return rc;
}
