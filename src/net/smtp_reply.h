/*
 * smtp_reply.h - strict, incremental parser for SMTP server replies
 * (contract).
 *
 * A pure function over bytes: no sockets, no allocation, bounded memory
 * whatever the peer sends. Feed it the bytes as they arrive, in chunks of
 * any size; it says NEED_MORE, DONE (a whole reply was read; the bytes
 * after it belong to the next reply) or ERROR (the peer is broken or
 * hostile; the connection should be dropped).
 *
 * Accepted (RFC 5321 4.2): lines of three digits (first 2-5, second 0-5),
 * then '-' (more lines follow) or ' ' (last line) and text, or a bare code
 * as the last line ("250\r\n"). Every line of a multi-line reply must carry
 * the same code. Lines end in CRLF; a bare LF is accepted as a line end,
 * a CR not followed by LF is kept as (sanitised) text. Errors: a non-digit
 * or out-of-range code, a missing separator, a code that changes between
 * lines, a line over SMTP_REPLY_LINE_MAX octets, more than
 * SMTP_REPLY_LINES_MAX lines.
 *
 * The enhanced status code (RFC 3463, "5.1.1") at the start of the first
 * line is parsed when its class digit matches the reply code; it is then
 * removed from the text of every line that repeats it. The text kept is
 * sanitised (anything but printable ASCII becomes '?'), its lines joined
 * by one space, and capped at SMTP_REPLY_TEXT_SIZE - 1 octets.
 *
 * EHLO keywords are read by a per-line callback (see smtp_reply_ehlo_line)
 * so that a long EHLO answer loses nothing to the text cap.
 */
#ifndef SWERVE_NET_SMTP_REPLY_H
#define SWERVE_NET_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMTP_REPLY_LINE_MAX 2048 /* octets of one line, without CRLF */
#define SMTP_REPLY_LINES_MAX 100 /* lines of one reply */
#define SMTP_REPLY_TEXT_SIZE 512 /* sanitised text kept, with its NUL */
#define SMTP_REPLY_ENHANCED_SIZE 16

enum smtp_reply_status {
	SMTP_REPLY_NEED_MORE,
	SMTP_REPLY_DONE,
	SMTP_REPLY_ERROR,
};

/* One complete reply. */
struct smtp_reply {
	int code;                                /* 200..559 */
	char enhanced[SMTP_REPLY_ENHANCED_SIZE]; /* "2.0.0" or "" */
	char text[SMTP_REPLY_TEXT_SIZE];         /* sanitised, NUL-ended */
	size_t text_len;
	unsigned n_lines;
	bool truncated; /* text was cut to fit */
};

/*
 * Called once per complete line, in order: index from 0, text after the
 * "NNN-" or "NNN " prefix without the line end, NOT sanitised (it may hold
 * any byte but LF), len <= SMTP_REPLY_LINE_MAX. The view is valid only
 * during the call.
 */
typedef void smtp_reply_line_fn(void *arg, unsigned index, const char *text,
                                size_t len);

struct smtp_reply_parser {
	struct smtp_reply reply; /* complete after SMTP_REPLY_DONE */
	const char *error;       /* static message after SMTP_REPLY_ERROR */

	/* Private state. */
	smtp_reply_line_fn *line_fn;
	void *line_arg;
	int state;
	int line_code;
	bool line_last;
	size_t line_len; /* octets of the current line so far */
	size_t text_len; /* octets in line[] */
	char line[SMTP_REPLY_LINE_MAX];
};

/*
 * smtp_reply_parser_init - prepare p for a first reply. line_fn may be
 * NULL; arg is passed to it.
 */
void smtp_reply_parser_init(struct smtp_reply_parser *p,
                            smtp_reply_line_fn *line_fn, void *arg);

/* smtp_reply_parser_reset - prepare p for the next reply; keeps line_fn. */
void smtp_reply_parser_reset(struct smtp_reply_parser *p);

/*
 * smtp_reply_parse - feed len bytes. *used is set to the number of bytes
 * consumed: all of them on NEED_MORE, those up to and including the reply's
 * last LF on DONE, those up to the offending byte on ERROR. After DONE or
 * ERROR the parser must be reset before it is fed again (until then it
 * keeps returning the same status and consumes nothing). line_fn is called
 * from inside this function.
 */
enum smtp_reply_status smtp_reply_parse(struct smtp_reply_parser *p,
                                        const char *data, size_t len,
                                        size_t *used);

/* What an EHLO reply offers. */
struct smtp_ehlo {
	bool pipelining;
	bool starttls;
	bool size;         /* SIZE offered */
	uint64_t size_max; /* SIZE's argument; 0 if none or unlimited */
	bool auth_plain;
	bool auth_login;
	bool eightbitmime;
	bool smtputf8;
};

/*
 * smtp_reply_ehlo_line - read one EHLO reply line (as given to a line_fn;
 * line 0 is the server's name and is ignored by the caller) into e.
 * Keywords are case-insensitive; "AUTH=PLAIN LOGIN" (the pre-RFC form) is
 * understood too. Unknown keywords are ignored.
 */
void smtp_reply_ehlo_line(struct smtp_ehlo *e, const char *text, size_t len);

#endif
