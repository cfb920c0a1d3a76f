/*
 * log.c - the daemon's log.
 *
 * Each line is formatted into a stack buffer and written with one write(2)
 * so lines from the spool writer thread and the loop thread never
 * interleave. Control characters in messages are escaped so a hostile
 * peer cannot forge log lines; log_quote() also quotes an untrusted value,
 * so that it cannot forge a field of its line either. log_limited()
 * lines, those a peer can make repeat at will, pass at most once a second
 * per call site; the next line that passes says how many were held back.
 */
#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"

static enum log_level log_min = LOG_LEVEL_INFO;
static enum log_format log_fmt = LOG_FORMAT_TEXT;

static const char *const log_names[] = {"debug", "info", "warn", "error"};

void
log_setup(enum log_level level, enum log_format format)
{
	log_min = level;
	log_fmt = format;
}

enum log_format
log_format_get(void)
{
	return log_fmt;
}

int
log_level_enabled(enum log_level level)
{
	return level >= log_min;
}

const char *
log_level_name(enum log_level level)
{
	return (unsigned)level <= LOG_LEVEL_ERROR ? log_names[level] : "error";
}

/*
 * log_stamp - the wall clock as "YYYY-mm-ddTHH:MM:SS.mmm" (UTC): the
 * RFC 3339 text of clock_wall_text() without its "Z". The text up to the
 * second is made once a second per thread (gmtime and strftime cost
 * more than the rest of a line).
 */
static void
log_stamp(char *dst, size_t cap)
{
	static _Thread_local int64_t sec = -1;
	static _Thread_local char day[40];
	int64_t ms = clock_wall_ms();
	int m = (int)(ms % 1000);

	if (ms / 1000 != sec) {
		sec = ms / 1000;
		clock_wall_text(sec * 1000, day, sizeof(day));
	}
	if (cap < 24) {
		if (cap > 0)
			dst[0] = '\0';
		return;
	}
	memcpy(dst, day, 20); /* "YYYY-mm-ddTHH:MM:SS." */
	dst[20] = (char)('0' + m / 100);
	dst[21] = (char)('0' + m / 10 % 10);
	dst[22] = (char)('0' + m % 10);
	dst[23] = '\0';
}

void
log_timestamp(char *dst, size_t cap)
{
	clock_wall_text(clock_wall_ms(), dst, cap);
}

void
log_line_write(const char *line, size_t len)
{
	/* A failed log write has nowhere to be reported. */
	if (write(STDERR_FILENO, line, len) < 0)
		return;
}

/* log_escape - copy src into dst escaping control bytes (and " \ for JSON). */
static size_t
log_escape(char *dst, size_t cap, const char *src, int json)
{
	size_t o = 0;
	const unsigned char *s;

	for (s = (const unsigned char *)src; *s && o + 7 < cap; s++) {
		if (*s < 0x20 || *s == 0x7f) {
			o += (size_t)snprintf(dst + o, cap - o,
			                      json ? "\\u%04x" : "\\x%02x", *s);
		} else if (json && (*s == '"' || *s == '\\')) {
			dst[o++] = '\\';
			dst[o++] = (char)*s;
		} else {
			dst[o++] = (char)*s;
		}
	}
	dst[o] = '\0';
	return o;
}

static void log_emit(enum log_level level, const char *fmt, va_list ap);

/* log_line - log_emit with arguments. */
static void __attribute__((format(printf, 2, 3)))
log_line(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(level, fmt, ap);
	va_end(ap);
}

static void
log_emit(enum log_level level, const char *fmt, va_list ap)
{
	char msg[2048], esc[4096], line[4400];
	char ts[40];
	int n;

	if (level < log_min)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_stamp(ts, sizeof(ts));
	log_escape(esc, sizeof(esc), msg, log_fmt == LOG_FORMAT_JSON);
	if (log_fmt == LOG_FORMAT_JSON)
		n = snprintf(
		    line, sizeof(line),
		    "{\"ts\":\"%sZ\",\"level\":\"%s\",\"msg\":\"%s\"}\n", ts,
		    log_names[level], esc);
	else
		n = snprintf(line, sizeof(line), "%sZ %s %s\n", ts,
		             log_names[level], esc);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	/* A failed log write has nowhere to be reported. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

#define LOG_LIMIT_SLOTS 64 /* call sites tracked (power of two) */
#define LOG_LIMIT_PERIOD_MS 1000

/* One rate-limited call site, known by its format string. */
struct log_limit_slot {
	const char *fmt;
	uint64_t last_ms; /* monotonic: when its last line was written */
	uint64_t held;    /* lines not written since */
};

static struct log_limit_slot log_limit_slots[LOG_LIMIT_SLOTS];
static pthread_mutex_t log_limit_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * log_limit_pass - whether a line of fmt may be written now; if so, *held
 * is how many were held back before it. Sites past the table's size
 * share slots (by hash) and so share a budget: still bounded.
 */
static int
log_limit_pass(const char *fmt, uint64_t *held)
{
	uintptr_t h = (uintptr_t)fmt;
	struct log_limit_slot *sl;
	uint64_t now = clock_mono_ms();
	int pass = 0;

	h ^= h >> 7;
	sl = &log_limit_slots[(h >> 3) & (LOG_LIMIT_SLOTS - 1)];
	pthread_mutex_lock(&log_limit_lock);
	if (sl->fmt != fmt || sl->last_ms == 0 ||
	    now - sl->last_ms >= LOG_LIMIT_PERIOD_MS) {
		*held = sl->fmt == fmt ? sl->held : 0;
		sl->fmt = fmt;
		sl->last_ms = now ? now : 1;
		sl->held = 0;
		pass = 1;
	} else {
		sl->held++;
	}
	pthread_mutex_unlock(&log_limit_lock);
	return pass;
}

void
log_limited(enum log_level level, const char *fmt, ...)
{
	char msg[2048];
	uint64_t held = 0;
	va_list ap;

	if (level < log_min || !log_limit_pass(fmt, &held))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (held > 0)
		log_line(level, "%s (%llu similar lines suppressed)", msg,
		         (unsigned long long)held);
	else
		log_line(level, "%s", msg);
}

#define LOG_FN(name, level)                                                    \
	void name(const char *fmt, ...)                                        \
	{                                                                      \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_emit(level, fmt, ap);                                      \
		va_end(ap);                                                    \
	}

LOG_FN(log_debug, LOG_LEVEL_DEBUG)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_warn, LOG_LEVEL_WARN)
LOG_FN(log_error, LOG_LEVEL_ERROR)

void
log_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}

void
log_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	abort();
}

struct log_quoted
log_quote_n(const void *v, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	struct log_quoted q;
	const unsigned char *p = v;
	size_t i, n = len < LOG_QUOTE_MAX ? len : LOG_QUOTE_MAX, o = 0;

	if (v == NULL) {
		memcpy(q.s, "-", 2);
		return q;
	}
	q.s[o++] = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (c == '"' || c == '\\') {
			q.s[o++] = '\\';
			q.s[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			q.s[o++] = '\\';
			q.s[o++] = 'x';
			q.s[o++] = hex[c >> 4];
			q.s[o++] = hex[c & 15];
		} else {
			q.s[o++] = (char)c;
		}
	}
	q.s[o++] = '"';
	if (n < len) {
		memcpy(q.s + o, "...", 3);
		o += 3;
	}
	q.s[o] = '\0';
	return q;
}

struct log_quoted
log_quote(const char *v)
{
	return log_quote_n(v, v != NULL ? strlen(v) : 0);
}
