/*
 * logjson.c - one JSON log line per message and provider event.
 *
 * Each line is built with jansson (keys in a fixed order, compact) and
 * handed whole to log_line_write(), so it is never interleaved with
 * other lines. Free text (a provider's answer, a circuit's reason) is
 * scrubbed of every configured secret before it is encoded; jansson
 * escapes control characters, so a hostile reply cannot forge a line.
 */
#include "observe/logjson.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "send/result.h"
#include "spool/feedback.h"

#define LOGJSON_SECRET_MIN 4 /* shorter "secrets" would redact words */

struct logjson {
	char **secrets;
	size_t n_secrets;
};

/* logjson_secret_add - remember s (a copy) if it is worth redacting. */
static void
logjson_secret_add(struct logjson *lj, const char *s)
{
	if (s == NULL || strlen(s) < LOGJSON_SECRET_MIN)
		return;
	lj->secrets =
	    xreallocarray(lj->secrets, lj->n_secrets + 1, sizeof(*lj->secrets));
	lj->secrets[lj->n_secrets++] = xstrdup(s);
}

struct logjson *
logjson_new(const struct config *cfg)
{
	struct logjson *lj = xcalloc(1, sizeof(*lj));
	size_t i;

	for (i = 0; i < cfg->n_providers; i++) {
		const struct config_provider *p = &cfg->providers[i];
		logjson_secret_add(lj, p->password);
		logjson_secret_add(lj, p->api_key);
		logjson_secret_add(lj, p->secret_access_key);
		logjson_secret_add(lj, p->session_token);
	}
	for (i = 0; i < cfg->n_users; i++)
		logjson_secret_add(lj, cfg->users[i].password);
	for (i = 0; i < cfg->n_api_keys; i++)
		logjson_secret_add(lj, cfg->api_keys[i].key);
	return lj;
}

void
logjson_free(struct logjson *lj)
{
	size_t i;

	if (lj == NULL)
		return;
	for (i = 0; i < lj->n_secrets; i++) {
		explicit_bzero(lj->secrets[i], strlen(lj->secrets[i]));
		free(lj->secrets[i]);
	}
	free(lj->secrets);
	free(lj);
}

/* logjson_first - the earliest secret in s (its index in *k), or NULL. */
static const char *
logjson_first(const struct logjson *lj, const char *s, size_t *k)
{
	const char *first = NULL, *hit;
	size_t i;

	for (i = 0; i < lj->n_secrets; i++) {
		hit = strstr(s, lj->secrets[i]);
		if (hit != NULL && (first == NULL || hit < first)) {
			first = hit;
			*k = i;
		}
	}
	return first;
}

/* logjson_scrub - s as a JSON string, every secret replaced. */
static json_t *
logjson_scrub(const struct logjson *lj, const char *s)
{
	const char *hit;
	struct buf b;
	json_t *out;
	size_t k = 0;

	hit = logjson_first(lj, s, &k);
	if (hit == NULL) {
		out = json_string(s);
		return out ? out : json_string("[not utf-8]");
	}
	buf_init(&b);
	while (hit != NULL) {
		buf_add(&b, s, (size_t)(hit - s));
		buf_addstr(&b, "[redacted]");
		s = hit + strlen(lj->secrets[k]);
		hit = logjson_first(lj, s, &k);
	}
	buf_addstr(&b, s);
	out = json_stringn(b.p, b.len);
	buf_fini(&b);
	return out ? out : json_string("[not utf-8]");
}

/* logjson_level - how loud an event is. */
static enum log_level
logjson_level(const struct events_item *e)
{
	switch (e->kind) {
	case EVENT_ATTEMPT:
		return e->cls == SEND_ACCEPTED ? LOG_LEVEL_INFO
		                               : LOG_LEVEL_WARN;
	case EVENT_DEFERRED:
	case EVENT_FAILED:
	case EVENT_FAILOVER:
	case EVENT_HELD:
	case EVENT_THROTTLED:
	case EVENT_FEEDBACK_REFUSED:
		return LOG_LEVEL_WARN;
	case EVENT_CIRCUIT:
		if (e->state == NULL || strcmp(e->state, "open") != 0)
			return LOG_LEVEL_INFO;
		return e->cls == SEND_CONFIG ? LOG_LEVEL_ERROR : LOG_LEVEL_WARN;
	case EVENT_PROBE:
		return e->cls == SEND_ACCEPTED ? LOG_LEVEL_DEBUG
		                               : LOG_LEVEL_WARN;
	case EVENT_STATUS_PAGE:
		return e->state != NULL && strcmp(e->state, "ok") == 0
		           ? LOG_LEVEL_INFO
		           : LOG_LEVEL_WARN;
	default:
		return LOG_LEVEL_INFO;
	}
}

/*
 * logjson_set_str - o[key] = s when s is set. For names and ids only
 * (configuration names, message ids, fixed vocabularies: ASCII by
 * construction), so jansson's UTF-8 check is skipped; free text goes
 * through logjson_scrub, which keeps it.
 */
static void
logjson_set_str(json_t *o, const char *key, const char *s)
{
	json_t *v;

	if (s == NULL || (v = json_string_nocheck(s)) == NULL)
		return;
	json_object_set_new_nocheck(o, key, v);
}

/* logjson_summary - the "msg" field: the event in a few words. */
static void
logjson_summary(const struct events_item *e, struct buf *b)
{
	const char *p = e->provider ? e->provider : "-";

	switch (e->kind) {
	case EVENT_FAILOVER:
		buf_printf(b, "failover %s -> %s (%s)", p,
		           e->to_provider ? e->to_provider : "-",
		           send_class_name(e->cls));
		break;
	case EVENT_ATTEMPT:
		buf_printf(b, "attempt via %s: %s", p, send_class_name(e->cls));
		break;
	case EVENT_CIRCUIT:
		buf_printf(b, "provider %s circuit %s", p,
		           e->state ? e->state : "-");
		break;
	case EVENT_PROBE:
		buf_printf(b, "provider %s probe %s", p,
		           e->cls == SEND_ACCEPTED ? "ok" : "failed");
		break;
	case EVENT_STATUS_PAGE:
		buf_printf(b, "provider %s status page %s", p,
		           e->state ? e->state : "-");
		break;
	case EVENT_THROTTLED:
		buf_printf(b, "provider %s throttled us", p);
		break;
	case EVENT_FEEDBACK:
		buf_printf(b, "provider %s reported %s%s", p,
		           e->feedback ? feedback_type_name(e->feedback->type)
		                       : "-",
		           e->msg_id ? "" : " (no such message)");
		break;
	case EVENT_FEEDBACK_REFUSED:
		buf_printf(b, "provider %s events refused (%s)", p,
		           e->reason ? e->reason : "-");
		break;
	default:
		buf_printf(b, "message %s", events_kind_name(e->kind));
		break;
	}
}

/* logjson_object - the JSON object of e at level. */
static json_t *
logjson_object(const struct logjson *lj, const struct events_item *e,
               enum log_level level)
{
	json_t *o = json_object();
	bool msg_event = e->kind <= EVENT_HELD || e->kind == EVENT_FEEDBACK;
	char ts[40];
	struct buf sum;

	log_timestamp(ts, sizeof(ts));
	json_object_set_new_nocheck(o, "ts", json_string_nocheck(ts));
	json_object_set_new_nocheck(o, "level",
	                            json_string_nocheck(log_level_name(level)));
	json_object_set_new_nocheck(
	    o, "event", json_string_nocheck(events_kind_name(e->kind)));
	if (msg_event) {
		logjson_set_str(o, "msg_id", e->msg_id);
		json_object_set_new_nocheck(
		    o, "tenant",
		    e->tenant ? json_string_nocheck(e->tenant) : json_null());
	}
	logjson_set_str(o, "stream", e->stream);
	logjson_set_str(o, "ingress", e->ingress);
	logjson_set_str(o, "provider", e->provider);
	logjson_set_str(o, "to_provider", e->to_provider);
	if (e->kind == EVENT_ATTEMPT || e->kind == EVENT_FAILOVER ||
	    e->kind == EVENT_PROBE || e->kind == EVENT_CIRCUIT ||
	    e->kind == EVENT_FAILED || e->kind == EVENT_SENT)
		json_object_set_new_nocheck(
		    o, "class", json_string_nocheck(send_class_name(e->cls)));
	if ((e->kind == EVENT_ATTEMPT || e->kind == EVENT_PROBE) &&
	    e->stage != SEND_STAGE_NONE)
		json_object_set_new_nocheck(
		    o, "stage", json_string_nocheck(send_stage_name(e->stage)));
	logjson_set_str(o, "state", e->state);
	if (e->reason != NULL)
		json_object_set_new_nocheck(o, "reason",
		                            logjson_scrub(lj, e->reason));
	if (e->kind == EVENT_ATTEMPT || e->kind == EVENT_PROBE)
		json_object_set_new_nocheck(
		    o, "duration_ms", json_integer((json_int_t)e->duration_ms));
	if (e->kind == EVENT_SENT)
		json_object_set_new_nocheck(
		    o, "latency_ms", json_integer((json_int_t)e->latency_ms));
	if (e->kind == EVENT_ACCEPTED)
		json_object_set_new_nocheck(o, "size",
		                            json_integer((json_int_t)e->size));
	if (e->rcpts > 0)
		json_object_set_new_nocheck(o, "rcpts", json_integer(e->rcpts));
	if (e->text != NULL)
		json_object_set_new_nocheck(o, "text",
		                            logjson_scrub(lj, e->text));
	buf_init(&sum);
	logjson_summary(e, &sum);
	json_object_set_new_nocheck(o, "msg",
	                            logjson_scrub(lj, buf_cstr(&sum)));
	buf_fini(&sum);
	return o;
}

char *
logjson_format(struct logjson *lj, const struct events_item *e)
{
	json_t *o = logjson_object(lj, e, logjson_level(e));
	char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(o);
	return line;
}

void
logjson_on_event(const struct events_item *e, void *arg)
{
	struct logjson *lj = arg;
	enum log_level level;
	char line[8192], *big;
	json_t *o;
	size_t n;

	if (log_format_get() != LOG_FORMAT_JSON ||
	    (unsigned)e->kind >= EVENT_KIND_COUNT || e->kind == EVENT_ALERT ||
	    e->kind == EVENT_NOTIFIED)
		return; /* alerting and notify write their own lines */
	level = logjson_level(e);
	if (!log_level_enabled(level))
		return;
	o = logjson_object(lj, e, level);
	n = json_dumpb(o, line, sizeof(line) - 1,
	               JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (n > 0 && n < sizeof(line) - 1) {
		/* One write for the object and its newline. */
		line[n] = '\n';
		log_line_write(line, n + 1);
	} else if ((big = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)) !=
	           NULL) {
		n = strlen(big);
		big[n] = '\n'; /* replaces the NUL; the length is kept */
		log_line_write(big, n + 1);
		free(big);
	}
	json_decref(o);
}
