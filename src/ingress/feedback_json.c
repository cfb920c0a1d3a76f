/*
 * feedback_json.c - loading and reading the JSON bodies of provider
 * webhooks once they are verified, and the events array the parsers
 * return (see feedback_json.h).
 */
#include "ingress/feedback_json.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/xmalloc.h"

json_t *
feedback_json_load(const char *body, size_t len, json_type want, char *err,
                   size_t errlen)
{
	json_error_t je;
	json_t *root;

	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		snprintf(err, errlen, "body is not JSON: %s (offset %d)",
		         je.text, je.position);
		return NULL;
	}
	if (json_typeof(root) != want) {
		snprintf(err, errlen, "body is not a JSON %s",
		         want == JSON_ARRAY ? "array" : "object");
		json_decref(root);
		return NULL;
	}
	return root;
}

const char *
feedback_json_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

json_t *
feedback_json_obj(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_object(v) ? v : NULL;
}

struct feedback_event *
feedback_json_event_add(struct feedback_json_out *o, const char *provider,
                        char *err, size_t errlen)
{
	struct feedback_event *e;

	if (o->n >= o->max) {
		snprintf(err, errlen, "more than %zu events in one request",
		         o->max);
		return NULL;
	}
	if (o->n == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 4;
		o->ev = xreallocarray(o->ev, o->cap, sizeof(*o->ev));
	}
	e = &o->ev[o->n++];
	*e = (struct feedback_event){0};
	feedback_set(e->provider, sizeof(e->provider), provider);
	return e;
}

int
feedback_json_done(struct feedback_json_out *o, int rc,
                   struct feedback_event **out, size_t *n)
{
	if (rc != 0 || o->n == 0) {
		free(o->ev);
		*out = NULL;
		*n = 0;
	} else {
		*out = o->ev;
		*n = o->n;
	}
	o->ev = NULL;
	o->n = o->cap = 0;
	return rc;
}
