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
