/*
 * cluster_msg.c - the JSON form of the nodes' messages (cluster_msg.h).
 */
#include "cluster/cluster_msg.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xmalloc.h"

static const char *const cluster_msg_kinds[] = {
    [CLUSTER_MSG_OTHER] = "other",       [CLUSTER_MSG_HEARTBEAT] = "heartbeat",
    [CLUSTER_MSG_CIRCUIT] = "circuit",   [CLUSTER_MSG_OPERATOR] = "operator",
    [CLUSTER_MSG_SUPPRESS] = "suppress", [CLUSTER_MSG_TEMPLATE] = "template",
    [CLUSTER_MSG_INCIDENT] = "incident",
};

const char *
cluster_msg_kind_name(enum cluster_msg_kind k)
{
	return (unsigned)k <
	               sizeof(cluster_msg_kinds) / sizeof(*cluster_msg_kinds)
	           ? cluster_msg_kinds[k]
	           : "other";
}

/* cluster_msg_put - o[key] = s when s is not NULL. */
static void
cluster_msg_put(json_t *o, const char *key, const char *s)
{
	if (s != NULL)
		json_object_set_new(o, key, json_string(s));
}

char *
cluster_msg_encode(const struct cluster_msg *m)
{
	json_t *o = json_object();
	char *out;

	json_object_set_new(o, "v", json_integer(1));
	json_object_set_new(o, "kind",
	                    json_string(cluster_msg_kind_name(m->kind)));
	cluster_msg_put(o, "node", m->node);
	json_object_set_new(o, "at", json_integer(m->at_ms));
	switch (m->kind) {
	case CLUSTER_MSG_HEARTBEAT:
		cluster_msg_put(o, "version", m->version);
		json_object_set_new(o, "queue",
		                    json_integer((json_int_t)m->queue));
		json_object_set_new(o, "inflight",
		                    json_integer((json_int_t)m->inflight));
		if (m->number > 0)
			json_object_set_new(
			    o, "number", json_integer((json_int_t)m->number));
		if (m->adopt > 0)
			json_object_set_new(o, "adopt",
			                    json_integer((json_int_t)m->adopt));
		cluster_msg_put(o, "http", m->http);
		cluster_msg_put(o, "health", m->health);
		break;
	case CLUSTER_MSG_CIRCUIT:
	case CLUSTER_MSG_OPERATOR:
		cluster_msg_put(o, "provider", m->provider);
		cluster_msg_put(o, "state", m->state);
		cluster_msg_put(o, "reason", m->reason);
		cluster_msg_put(o, "action", m->action);
		cluster_msg_put(o, "who", m->who);
		json_object_set_new(o, "for_ms",
		                    json_integer((json_int_t)m->for_ms));
		break;
	case CLUSTER_MSG_SUPPRESS:
		cluster_msg_put(o, "action", m->action);
		cluster_msg_put(o, "tenant", m->tenant);
		cluster_msg_put(o, "address", m->address);
		cluster_msg_put(o, "reason", m->reason);
		cluster_msg_put(o, "provider", m->provider);
		cluster_msg_put(o, "diagnostic", m->diagnostic);
		json_object_set_new(o, "created",
		                    json_integer((json_int_t)m->created_ms));
		json_object_set_new(o, "expires",
		                    json_integer((json_int_t)m->expires_ms));
		break;
	case CLUSTER_MSG_TEMPLATE:
		cluster_msg_put(o, "tenant", m->tenant);
		cluster_msg_put(o, "name", m->name);
		break;
	case CLUSTER_MSG_INCIDENT:
		cluster_msg_put(o, "name", m->name);
		break;
	case CLUSTER_MSG_OTHER:
		break;
	}
	out = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (out == NULL)
		log_panic("cluster: cannot encode a message");
	return out;
}

/* cluster_msg_str - o[key] as a copy into *out (absent: NULL). 0, or -1
 * when present but not a string of at most CLUSTER_MSG_TEXT_MAX. */
static int
cluster_msg_str(json_t *o, const char *key, char **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) ||
	    json_string_length(v) > CLUSTER_MSG_TEXT_MAX ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	*out = xstrdup(json_string_value(v));
	return 0;
}

/* cluster_msg_uint - o[key] as a non-negative integer (absent: 0). */
static int
cluster_msg_uint(json_t *o, const char *key, uint64_t *out)
{
	json_t *v = json_object_get(o, key);

	*out = 0;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

int
cluster_msg_decode(const char *buf, size_t len, struct cluster_msg *out,
                   char *err, size_t errlen)
{
	json_error_t je;
	json_t *o, *v;
	const char *kind, *bad = NULL;
	uint64_t at = 0;

	memset(out, 0, sizeof(*out));
	o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL) {
		snprintf(err, errlen, "cluster message: not JSON: %s", je.text);
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
	v = json_object_get(o, "kind");
	kind = json_is_string(v) ? json_string_value(v) : NULL;
	if (kind == NULL) {
		bad = "no kind";
		goto fail;
	}
	out->kind = strcmp(kind, "heartbeat") == 0  ? CLUSTER_MSG_HEARTBEAT
	            : strcmp(kind, "circuit") == 0  ? CLUSTER_MSG_CIRCUIT
	            : strcmp(kind, "operator") == 0 ? CLUSTER_MSG_OPERATOR
	            : strcmp(kind, "suppress") == 0 ? CLUSTER_MSG_SUPPRESS
	            : strcmp(kind, "template") == 0 ? CLUSTER_MSG_TEMPLATE
	            : strcmp(kind, "incident") == 0 ? CLUSTER_MSG_INCIDENT
	                                            : CLUSTER_MSG_OTHER;
	if (cluster_msg_str(o, "node", &out->node) < 0 || out->node == NULL ||
	    out->node[0] == '\0') {
		bad = "no node";
		goto fail;
	}
	if (cluster_msg_uint(o, "at", &at) < 0 || at > INT64_MAX) {
		bad = "at is not a time";
		goto fail;
	}
	out->at_ms = (int64_t)at;
	if (cluster_msg_str(o, "version", &out->version) < 0 ||
	    cluster_msg_str(o, "provider", &out->provider) < 0 ||
	    cluster_msg_str(o, "state", &out->state) < 0 ||
	    cluster_msg_str(o, "reason", &out->reason) < 0 ||
	    cluster_msg_str(o, "action", &out->action) < 0 ||
	    cluster_msg_str(o, "who", &out->who) < 0 ||
	    cluster_msg_str(o, "tenant", &out->tenant) < 0 ||
	    cluster_msg_str(o, "address", &out->address) < 0 ||
	    cluster_msg_str(o, "diagnostic", &out->diagnostic) < 0 ||
	    cluster_msg_str(o, "name", &out->name) < 0 ||
	    cluster_msg_str(o, "http", &out->http) < 0 ||
	    cluster_msg_str(o, "health", &out->health) < 0) {
		bad = "a text field is not a string (or too long)";
		goto fail;
	}
	if (cluster_msg_uint(o, "queue", &out->queue) < 0 ||
	    cluster_msg_uint(o, "inflight", &out->inflight) < 0 ||
	    cluster_msg_uint(o, "for_ms", &out->for_ms) < 0 ||
	    cluster_msg_uint(o, "created", &out->created_ms) < 0 ||
	    cluster_msg_uint(o, "expires", &out->expires_ms) < 0 ||
	    cluster_msg_uint(o, "number", &out->number) < 0 ||
	    cluster_msg_uint(o, "adopt", &out->adopt) < 0) {
		bad = "a count is not a non-negative integer";
		goto fail;
	}
	if (out->number > 31 || out->adopt > 31) {
		bad = "number is not a node number (0-31)";
		goto fail;
	}
	if ((out->kind == CLUSTER_MSG_CIRCUIT ||
	     out->kind == CLUSTER_MSG_OPERATOR) &&
	    (out->provider == NULL ||
	     (out->kind == CLUSTER_MSG_OPERATOR && out->action == NULL) ||
	     (out->kind == CLUSTER_MSG_CIRCUIT && out->state == NULL))) {
		bad = "provider and state (or action) are needed";
		goto fail;
	}
	if (out->kind == CLUSTER_MSG_SUPPRESS &&
	    (out->action == NULL || out->tenant == NULL ||
	     out->address == NULL ||
	     (strcmp(out->action, "add") != 0 &&
	      strcmp(out->action, "remove") != 0) ||
	     (strcmp(out->action, "add") == 0 && out->reason == NULL))) {
		bad = "suppress needs action add or remove, tenant, address "
		      "(and reason to add)";
		goto fail;
	}
	if (out->kind == CLUSTER_MSG_TEMPLATE &&
	    (out->tenant == NULL || out->name == NULL)) {
		bad = "template needs tenant and name";
		goto fail;
	}
	if (out->kind == CLUSTER_MSG_INCIDENT && out->name == NULL) {
		bad = "incident needs name";
		goto fail;
	}
	json_decref(o);
	return 0;
fail:
	json_decref(o);
	cluster_msg_fini(out);
	snprintf(err, errlen, "cluster message: %s", bad);
	return -1;
}

void
cluster_msg_fini(struct cluster_msg *m)
{
	free(m->node);
	free(m->version);
	free(m->provider);
	free(m->state);
	free(m->reason);
	free(m->action);
	free(m->who);
	free(m->tenant);
	free(m->address);
	free(m->diagnostic);
	free(m->name);
	free(m->http);
	free(m->health);
	memset(m, 0, sizeof(*m));
}
