/*
 * logjson.h - one JSON log line per message and provider event (contract).
 *
 * An events listener (observe/events.h). While log.format is json, each
 * event becomes one JSON object on its own line, written through
 * core/log (same stream, same timestamp format, never interleaved).
 * With log.format text it writes nothing: the modules' own text lines
 * already tell those events.
 *
 * Fields, in this order, present only when the event has them:
 *   ts          "2026-11-27T22:01:58.123Z" (UTC)
 *   level       "debug" | "info" | "warn" | "error"
 *   event       accepted, attempt, sent, deferred, failed, failover,
 *               dsn, held (message events); circuit, probe, status_page,
 *               throttled (provider events)
 *   msg_id      the message id (every message event)
 *   tenant      the tenant, or null when unauthenticated (every message
 *               event)
 *   stream      the stream
 *   ingress     "smtp" | "http" (accepted)
 *   provider    the provider (attempt, sent, failover: the one left;
 *               provider events)
 *   to_provider failover: the provider tried next
 *   class       result class: accepted, rejected, deferred, throttled,
 *               config, unknown
 *   stage       where the outcome was decided: connect, ehlo, rcpt, ...
 *   state       circuit: open, half-open, closed; status_page: its level
 *   reason      circuit: why it changed
 *   duration_ms attempt and probe duration
 *   latency_ms  sent: accepted -> provider accepted
 *   size        accepted: bytes
 *   rcpts       recipients concerned
 *   text        the provider's answer or our own explanation
 *   msg         a one-line summary for people
 *
 * Never a password or key: events carry none, and in case a provider
 * echoes one back, every configured secret (providers' password,
 * api_key, secret_access_key, session_token; SMTP users' passwords) is
 * replaced with "[redacted]" in text and reason. No recipient address
 * is written (an event's rcpt field is not read).
 *
 * Loop thread only, like events.
 */
#ifndef SWERVE_OBSERVE_LOGJSON_H
#define SWERVE_OBSERVE_LOGJSON_H

#include "observe/events.h"

struct config;
struct logjson;

/* logjson_new - a writer that redacts cfg's secrets (copied; cfg may be
 * freed afterwards). */
struct logjson *logjson_new(const struct config *cfg);

/* logjson_free - free lj and wipe its copies of the secrets. NULL is a
 * no-op. */
void logjson_free(struct logjson *lj);

/* logjson_on_event - an events_fn: log e. arg is the struct logjson. */
void logjson_on_event(const struct events_item *e, void *arg);

/*
 * logjson_format - the line logjson_on_event would write for e at level
 * (without the trailing newline), as a malloc'd string the caller frees.
 * For tests and benchmarks.
 */
char *logjson_format(struct logjson *lj, const struct events_item *e);

#endif
