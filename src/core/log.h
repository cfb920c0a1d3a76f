/*
 * log.h - the daemon's log, and its error ladder.
 *
 * log_info/log_warn: expected events, go on. log_fatal: bad configuration
 * or environment at start: one clear line, exit(1). log_panic: our own bug:
 * one line, abort() for a core. Messages carry their module as a prefix
 * ("spool: fsync: Input/output error"). Lines go to stderr; with
 * LOG_FORMAT_JSON each line is one JSON object.
 *
 * Thread-safe: each line is written with a single write(2).
 */
#ifndef SWERVE_CORE_LOG_H
#define SWERVE_CORE_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR,
};

enum log_format {
	LOG_FORMAT_TEXT,
	LOG_FORMAT_JSON,
};

/* log_setup - choose the minimum level and the line format. */
void log_setup(enum log_level level, enum log_format format);

/*
 * For writers that format whole lines themselves (observe/logjson.c
 * writes one JSON object per event): the current format, whether a level
 * is written, the timestamp every line carries, and a raw write of one
 * complete line (its '\n' included) with a single write(2).
 */
enum log_format log_format_get(void);
int log_level_enabled(enum log_level level);
/* log_level_name - "debug", "info", "warn", "error". */
const char *log_level_name(enum log_level level);
/* log_timestamp - "2026-11-27T22:01:58.123Z" (UTC, now) into dst. */
void log_timestamp(char *dst, size_t cap);
void log_line_write(const char *line, size_t len);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_fatal - log and exit(1). For bad config or environment. */
void log_fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
/* log_panic - log and abort(). For broken invariants (our bugs). */
void log_panic(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
