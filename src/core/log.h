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
/*
 * log_limited - a line a peer can make repeat (a refused connection, an
 * accept error, a failed AUTH): written at most once a second per call
 * site (per fmt), the next one that passes carrying the count of lines
 * held back. fmt must be a string literal (its address names the site).
 */
void log_limited(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* log_fatal - log and exit(1). For bad config or environment. */
void log_fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
/* log_panic - log and abort(). For broken invariants (our bugs). */
void log_panic(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Untrusted values in a log line (an AUTH name, a MAIL FROM, a HELO name,
 * a header value, an API key name): log_quote() shows one as a quoted,
 * escaped field, so it can neither end its field and forge another
 * ("user=x reason=ok") nor carry control bytes or terminal escapes. The
 * result is returned by value; use its .s among the arguments of the log
 * call (it lives until the end of that full expression):
 *
 *     log_info("smtpd: auth failed user=%s", log_quote_n(u.p, u.len).s);
 */
#define LOG_QUOTE_MAX 256 /* bytes of a value shown; more end in "..." */

struct log_quoted {
	char s[LOG_QUOTE_MAX * 4 + 8];
};

/*
 * log_quote_n - the len bytes at v as "..." with \" and \\ escaped and
 * \xNN for every control byte, DEL and non-ASCII byte (so UTF-8 shows as
 * its bytes); at most LOG_QUOTE_MAX bytes of v, then ... after the
 * closing quote. v NULL: - (no quotes). Nothing is allocated.
 */
struct log_quoted log_quote_n(const void *v, size_t len);

/* log_quote - log_quote_n over the C string v (NULL: -). */
struct log_quoted log_quote(const char *v);

#endif
