/*
 * logjson.c - one JSON log line per message and provider event.
 *
 * Each line is written field by field into one buffer (keys in a fixed
 * order, compact JSON, the text jansson would write: logjson_str.c) and
 * handed whole to log_line_write(), so it is never interleaved with
 * other lines. No allocation per field and none per line once the
 * buffer has grown: a line used to be a jansson tree built and dumped
 * (3.1-4.0 us each). Free text (a provider's answer, a circuit's reason)
 * is scrubbed of every configured secret before it is encoded; control
 * characters are escaped, so a hostile reply cannot forge a line, and
 * text that is not UTF-8 is written as "[not utf-8]".
 */
#include "observe/logjson.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "observe/logjson_str.h"
#include "send/result.h"
#include "spool/feedback.h"

#define LOGJSON_SECRET_MIN 4 /* shorter "secrets" would redact words */

struct logjson {
	char **secrets;
	size_t n_secrets;
	struct buf line; /* logjson_on_event's, reused */
	int64_t ts_sec;  /* the second ts holds */
	size_t ts_len;   /* '"' and "YYYY-mm-ddTHH:MM:SS.", or 0 */
	char ts[48];
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
	buf_fini(&lj->line);
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

/* logjson_text - append s as a JSON string, or "[not utf-8]". */
static void
logjson_text(struct buf *b, const char *s, size_t n)
{
	if (logjson_str_put(b, s, n) < 0)
		buf_addstr(b, "\"[not utf-8]\"");
}

/* logjson_scrub - append s as a JSON string, every secret replaced. */
static void
logjson_scrub(const struct logjson *lj, struct buf *out, const char *s)
{
	const char *hit;
	struct buf b;
	size_t k = 0;

	hit = logjson_first(lj, s, &k);
	if (hit == NULL) {
		logjson_text(out, s, strlen(s));
		return;
	}
	buf_init(&b);
	while (hit != NULL) {
		buf_add(&b, s, (size_t)(hit - s));
		buf_addstr(&b, "[redacted]");
		s = hit + strlen(lj->secrets[k]);
		hit = logjson_first(lj, s, &k);
	}
	buf_addstr(&b, s);
	logjson_text(out, b.p, b.len);
	buf_fini(&b);
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

/* logjson_cat - append the n strings of parts to b (NULL ones: none). */
static void
logjson_cat(struct buf *b, const char *const *parts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (parts[i] != NULL)
			buf_addstr(b, parts[i]);
}

/* LOGJSON_CAT - logjson_cat over the strings given. */
#define LOGJSON_CAT(b, ...)                                                    \
	logjson_cat((b), (const char *const[]){__VA_ARGS__},                   \
	            sizeof((const char *const[]){__VA_ARGS__}) /               \
	                sizeof(const char *))

/* logjson_summary - the "msg" field: the event in a few words. */
static void
logjson_summary(const struct events_item *e, struct buf *b)
{
	const char *p = e->provider ? e->provider : "-";
	const char *st = e->state ? e->state : "-";

	switch (e->kind) {
	case EVENT_FAILOVER:
		LOGJSON_CAT(b, "failover ", p, " -> ",
		            e->to_provider ? e->to_provider : "-", " (",
		            send_class_name(e->cls), ")");
		break;
	case EVENT_ATTEMPT:
		LOGJSON_CAT(b, "attempt via ", p, ": ",
		            send_class_name(e->cls));
		break;
	case EVENT_CIRCUIT:
		LOGJSON_CAT(b, "provider ", p, " circuit ", st);
		break;
	case EVENT_PROBE:
		LOGJSON_CAT(b, "provider ", p, " probe ",
		            e->cls == SEND_ACCEPTED ? "ok" : "failed");
		break;
	case EVENT_STATUS_PAGE:
		LOGJSON_CAT(b, "provider ", p, " status page ", st);
		break;
	case EVENT_THROTTLED:
		LOGJSON_CAT(b, "provider ", p, " throttled us");
		break;
	case EVENT_FEEDBACK:
		LOGJSON_CAT(b, "provider ", p, " reported ",
		            e->feedback ? feedback_type_name(e->feedback->type)
		                        : "-",
		            e->msg_id ? "" : " (no such message)");
		break;
	case EVENT_FEEDBACK_REFUSED:
		LOGJSON_CAT(b, "provider ", p, " events refused (",
		            e->reason ? e->reason : "-", ")");
		break;
	default:
		LOGJSON_CAT(b, "message ", events_kind_name(e->kind));
		break;
	}
}

/* LOGJSON_KEY - append ,"k": for the literal name k. */
#define LOGJSON_KEY(b, k) buf_add((b), ",\"" k "\":", sizeof(k) + 3)

/* logjson_name - append ,"key":"s" when s is set (names and ids). */
#define logjson_name(b, k, s)                                                  \
	do {                                                                   \
		const char *v_ = (s);                                          \
		if (v_ != NULL) {                                              \
			LOGJSON_KEY(b, k);                                     \
			logjson_text(b, v_, strlen(v_));                       \
		}                                                              \
	} while (0)

/* logjson_int - append ,"key":v. */
#define logjson_int(b, k, v)                                                   \
	do {                                                                   \
		LOGJSON_KEY(b, k);                                             \
		logjson_num(b, (int64_t)(v));                                  \
	} while (0)

/* logjson_num - append v in decimal. */
static void
logjson_num(struct buf *b, int64_t v)
{
	char d[24];
	size_t i = sizeof(d);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do {
		d[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		d[--i] = '-';
	buf_add(b, d + i, sizeof(d) - i);
}

/*
 * logjson_ts - append "now" as "2026-11-27T22:01:58.123Z", quoted. The
 * text up to the second is made once a second (loop thread only).
 */
static void
logjson_ts(struct logjson *lj, struct buf *b)
{
	int64_t ms = clock_wall_ms(), sec = ms / 1000;
	int m = (int)(ms % 1000);
	char tail[6] = {(char)('0' + m / 100),
	                (char)('0' + m / 10 % 10),
	                (char)('0' + m % 10),
	                'Z',
	                '"',
	                ','};

	if (lj->ts_len == 0 || sec != lj->ts_sec) {
		lj->ts[0] = '"';
		clock_wall_text(sec * 1000, lj->ts + 1, sizeof(lj->ts) - 1);
		/* Keep "YYYY-mm-ddTHH:MM:SS." of "....SS.000Z". */
		lj->ts_len = strlen(lj->ts) - 4;
		lj->ts_sec = sec;
	}
	buf_add(b, lj->ts, lj->ts_len);
	buf_add(b, tail, sizeof(tail));
}

/* logjson_line - append the JSON object of e at level to b (no newline). */
static void
logjson_line(struct logjson *lj, const struct events_item *e,
             enum log_level level, struct buf *b)
{
	bool msg_event = e->kind <= EVENT_HELD || e->kind == EVENT_FEEDBACK;
	struct buf sum;

	buf_add(b, "{\"ts\":", 6);
	logjson_ts(lj, b);
	buf_add(b, "\"level\":\"", 9);
	buf_addstr(b, log_level_name(level));
	buf_addch(b, '"');
	logjson_name(b, "event", events_kind_name(e->kind));
	if (msg_event) {
		logjson_name(b, "msg_id", e->msg_id);
		if (e->tenant != NULL)
			logjson_name(b, "tenant", e->tenant);
		else
			buf_addstr(b, ",\"tenant\":null");
	}
	logjson_name(b, "stream", e->stream);
	logjson_name(b, "ingress", e->ingress);
	logjson_name(b, "provider", e->provider);
	logjson_name(b, "to_provider", e->to_provider);
	if (e->kind == EVENT_ATTEMPT || e->kind == EVENT_FAILOVER ||
	    e->kind == EVENT_PROBE || e->kind == EVENT_CIRCUIT ||
	    e->kind == EVENT_FAILED || e->kind == EVENT_SENT)
		logjson_name(b, "class", send_class_name(e->cls));
	if ((e->kind == EVENT_ATTEMPT || e->kind == EVENT_PROBE) &&
	    e->stage != SEND_STAGE_NONE)
		logjson_name(b, "stage", send_stage_name(e->stage));
	logjson_name(b, "state", e->state);
	if (e->reason != NULL) {
		LOGJSON_KEY(b, "reason");
		logjson_scrub(lj, b, e->reason);
	}
	if (e->kind == EVENT_ATTEMPT || e->kind == EVENT_PROBE)
		logjson_int(b, "duration_ms", e->duration_ms);
	if (e->kind == EVENT_SENT)
		logjson_int(b, "latency_ms", e->latency_ms);
	if (e->kind == EVENT_ACCEPTED)
		logjson_int(b, "size", e->size);
	if (e->rcpts > 0)
		logjson_int(b, "rcpts", e->rcpts);
	if (e->text != NULL) {
		LOGJSON_KEY(b, "text");
		logjson_scrub(lj, b, e->text);
	}
	buf_init(&sum);
	logjson_summary(e, &sum);
	LOGJSON_KEY(b, "msg");
	logjson_scrub(lj, b, buf_cstr(&sum));
	buf_fini(&sum);
	buf_addch(b, '}');
}

char *
logjson_format(struct logjson *lj, const struct events_item *e)
{
	struct buf b;

	buf_init(&b);
	logjson_line(lj, e, logjson_level(e), &b);
	return buf_steal(&b, NULL);
}

void
logjson_on_event(const struct events_item *e, void *arg)
{
	struct logjson *lj = arg;
	enum log_level level;

	if (log_format_get() != LOG_FORMAT_JSON ||
	    (unsigned)e->kind >= EVENT_KIND_COUNT || e->kind == EVENT_ALERT ||
	    e->kind == EVENT_NOTIFIED)
		return; /* alerting and notify write their own lines */
	level = logjson_level(e);
	if (!log_level_enabled(level))
		return;
	/* One buffer, kept: after the first lines no allocation at all. */
	lj->line.len = 0;
	logjson_line(lj, e, level, &lj->line);
	/* One write for the object and its newline. */
	buf_addch(&lj->line, '\n');
	log_line_write(lj->line.p, lj->line.len);
}
