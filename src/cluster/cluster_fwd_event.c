/*
 * cluster_fwd_event.c - the JSON form of a forwarded provider event
 * (cluster_fwd_event.h).
 */
#include "cluster/cluster_fwd_event.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/id.h"

/* fwd_put - o[key] = s; -1 when s is not UTF-8. */
static int
fwd_put(json_t *o, const char *key, const char *s)
{
	json_t *v = json_string(s);

	if (v == NULL)
		return -1;
	json_object_set_new(o, key, v);
	return 0;
}

char *
cluster_fwd_event_encode(const struct feedback_event *e, const char *from)
{
	json_t *o = json_object();
	char *out = NULL;

	json_object_set_new(o, "v", json_integer(1));
	json_object_set_new(o, "occurred_ms",
	                    json_integer((json_int_t)e->occurred_ms));
	json_object_set_new(o, "smtp_code", json_integer(e->smtp_code));
	if (fwd_put(o, "from", from) == 0 &&
	    fwd_put(o, "type", feedback_type_name(e->type)) == 0 &&
	    fwd_put(o, "provider", e->provider) == 0 &&
	    fwd_put(o, "event_id", e->event_id) == 0 &&
	    fwd_put(o, "swerve_id", e->swerve_id) == 0 &&
	    fwd_put(o, "provider_msg_id", e->provider_msg_id) == 0 &&
	    fwd_put(o, "recipient", e->recipient) == 0 &&
	    fwd_put(o, "enhanced", e->enhanced) == 0 &&
	    fwd_put(o, "provider_type", e->provider_type) == 0 &&
	    fwd_put(o, "provider_subtype", e->provider_subtype) == 0 &&
	    fwd_put(o, "diagnostic", e->diagnostic) == 0)
		out = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return out;
}

/* fwd_text - o[key] into dst[0..cap): absent is "", else a string of
 * fewer than cap bytes without NUL. 0 or -1. */
static int
fwd_text(json_t *o, const char *key, char *dst, size_t cap)
{
	json_t *v = json_object_get(o, key);
	size_t n;

	dst[0] = '\0';
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return -1;
	n = json_string_length(v);
	if (n >= cap || strlen(json_string_value(v)) != n)
		return -1;
	feedback_set(dst, cap, json_string_value(v));
	return 0;
}

int
cluster_fwd_event_decode(const char *buf, size_t len, struct feedback_event *e,
                         char *from, size_t fromlen, char *err, size_t errlen)
{
	json_error_t je;
	json_t *o, *v;
	const char *bad = NULL;
	int t;

	memset(e, 0, sizeof(*e));
	if (fromlen > 0)
		from[0] = '\0';
	o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL) {
		snprintf(err, errlen, "forwarded event: not JSON: %s", je.text);
		return -1;
	}
	if (!json_is_object(o)) {
		bad = "not an object";
		goto fail;
	}
	v = json_object_get(o, "v");
	if (!json_is_integer(v) || json_integer_value(v) != 1) {
		bad = "version is not 1";
		goto fail;
	}
	v = json_object_get(o, "type");
	t = json_is_string(v) ? feedback_type_parse(json_string_value(v)) : -1;
	if (t < 0) {
		bad = "type is not an event type";
		goto fail;
	}
	e->type = (enum feedback_type)t;
	if (fwd_text(o, "from", from, fromlen) < 0 ||
	    fwd_text(o, "provider", e->provider, sizeof(e->provider)) < 0 ||
	    fwd_text(o, "event_id", e->event_id, sizeof(e->event_id)) < 0 ||
	    fwd_text(o, "swerve_id", e->swerve_id, sizeof(e->swerve_id)) < 0 ||
	    fwd_text(o, "provider_msg_id", e->provider_msg_id,
	             sizeof(e->provider_msg_id)) < 0 ||
	    fwd_text(o, "recipient", e->recipient, sizeof(e->recipient)) < 0 ||
	    fwd_text(o, "enhanced", e->enhanced, sizeof(e->enhanced)) < 0 ||
	    fwd_text(o, "provider_type", e->provider_type,
	             sizeof(e->provider_type)) < 0 ||
	    fwd_text(o, "provider_subtype", e->provider_subtype,
	             sizeof(e->provider_subtype)) < 0 ||
	    fwd_text(o, "diagnostic", e->diagnostic, sizeof(e->diagnostic)) <
	        0) {
		bad = "a text field is not a string, or too long";
		goto fail;
	}
	if (e->provider[0] == '\0' || e->event_id[0] == '\0') {
		bad = "provider and event_id are needed";
		goto fail;
	}
	if (!id_valid(e->swerve_id)) {
		bad = "swerve_id is not a message id";
		goto fail;
	}
	v = json_object_get(o, "occurred_ms");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 0)) {
		bad = "occurred_ms is not a time";
		goto fail;
	}
	e->occurred_ms = v != NULL ? (int64_t)json_integer_value(v) : 0;
	v = json_object_get(o, "smtp_code");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 0 ||
	                  json_integer_value(v) > 999)) {
		bad = "smtp_code is not 0-999";
		goto fail;
	}
	e->smtp_code = v != NULL ? (int)json_integer_value(v) : 0;
	json_decref(o);
	return 0;
fail:
	json_decref(o);
	memset(e, 0, sizeof(*e));
	if (fromlen > 0)
		from[0] = '\0';
	snprintf(err, errlen, "forwarded event: %s", bad);
	return -1;
}
