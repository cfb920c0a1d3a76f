/*
 * mock_mode.h - swerve-mock's fault modes and their text form (contract).
 *
 * A mode says how the fake provider misbehaves: accept (normal), tempfail,
 * permfail, refuse, hang, drop, slow MS, throttle, authfail and
 * rcptfail SUBSTRING. This module only names and parses modes; what each
 * mode does on the wire is the SMTP side's business (mock_smtp.c). Pure: no
 * I/O, no allocation.
 *
 * Text form (command line --mode, and plain-text PUT /mode bodies):
 *   "accept" | "slow 200" | "slow=200" | "slow:200" | "rcptfail bad@"
 * Names are case-insensitive; surrounding white space is ignored.
 */
#ifndef SWERVE_MOCK_MOCK_MODE_H
#define SWERVE_MOCK_MOCK_MODE_H

#include <stddef.h>

#include "core/buf.h"

enum mock_mode {
	MOCK_MODE_ACCEPT,
	MOCK_MODE_TEMPFAIL, /* 451 4.3.0 at the final dot */
	MOCK_MODE_PERMFAIL, /* 550 5.1.1 at every RCPT */
	MOCK_MODE_REFUSE,   /* listening socket closed: connection refused */
	MOCK_MODE_HANG,     /* accept TCP, never answer */
	MOCK_MODE_DROP,     /* close after the DATA body, no reply */
	MOCK_MODE_SLOW,     /* every reply delayed by slow_ms */
	MOCK_MODE_THROTTLE, /* 454 4.7.0 at MAIL */
	MOCK_MODE_AUTHFAIL, /* 535 5.7.8 at AUTH, 530 5.7.0 at MAIL */
	MOCK_MODE_RCPTFAIL, /* 550 5.1.1 for recipients containing match */
	MOCK_MODE_COUNT,
};

#define MOCK_SLOW_MS_MAX 600000 /* ten minutes */
#define MOCK_MATCH_MAX 255      /* bytes of a rcptfail substring */

/* One complete mode setting. slow_ms is 0 unless mode is MOCK_MODE_SLOW;
 * match is "" unless mode is MOCK_MODE_RCPTFAIL. */
struct mock_mode_set {
	enum mock_mode mode;
	unsigned slow_ms;
	char match[MOCK_MATCH_MAX + 1];
};

/* mock_mode_name - "accept", "tempfail", ... (static string). */
const char *mock_mode_name(enum mock_mode m);

/* mock_mode_lookup - the mode called name (len bytes, any case).
 * Returns 0 and sets *out, or -1 for an unknown name. */
int mock_mode_lookup(const char *name, size_t len, enum mock_mode *out);

/*
 * mock_mode_build - a complete setting from a mode name and its argument
 * (arg may be NULL or "" when the mode takes none). slow needs a number of
 * milliseconds in 1..MOCK_SLOW_MS_MAX; rcptfail needs a non-empty
 * substring of at most MOCK_MATCH_MAX printable bytes; other modes take no
 * argument. Returns 0, or -1 with *why set to a static reason.
 */
int mock_mode_build(const char *name, size_t name_len, const char *arg,
                    size_t arg_len, struct mock_mode_set *out,
                    const char **why);

/*
 * mock_mode_text_split - split a text form of len bytes into a name and
 * its argument: surrounding white space is ignored, the name ends at
 * white space, '=' or ':', and the argument starts after any run of
 * those ("slow = 200" reads as "slow 200"). arg is {NULL, 0} when there
 * is none. Views into text. Returns 0, or -1 when the name is empty.
 * The API modes (mock_api_mode_parse) share this form.
 */
int mock_mode_text_split(const char *text, size_t len, struct str *name,
                         struct str *arg);

/*
 * mock_mode_number - the decimal p[0..len) (1 to 7 digits, nothing else)
 * in lo..hi into *out. Returns 0, or -1.
 */
int mock_mode_number(const char *p, size_t len, unsigned lo, unsigned hi,
                     unsigned *out);

/* mock_mode_parse - parse the text form (len bytes) into out.
 * Returns 0, or -1 with *why set to a static reason. */
int mock_mode_parse(const char *text, size_t len, struct mock_mode_set *out,
                    const char **why);

#endif
