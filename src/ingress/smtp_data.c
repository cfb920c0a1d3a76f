/*
 * smtp_data.c - the DATA reader: SMTP message text to message bytes.
 *
 * A byte-at-a-time state machine (with a fast path over plain text) that
 * removes dot-stuffing and stops at the one true end, CR LF "." CR LF.
 * It does no I/O and knows nothing about the session; it only appends to
 * the caller's buffer.
 *
 * Invariants:
 * - A line starts only after CR LF. A bare LF or bare CR is noted as a
 *   fault and the reader stays inside the line, so "\n.\n", "\r.\r\n" and
 *   friends can never end the data (SMTP smuggling).
 * - Only the first fault is kept. After it nothing more is appended, but
 *   the state machine runs on to the real end, so the whole message is
 *   refused as one.
 * - The result (output, fault, bytes used) does not depend on how the
 *   input was split across calls.
 */
#include "ingress/smtp_data.h"

#include "ingress/smtp_parse.h"

/* Wire octets a text line may hold before its CR LF. */
#define SMTP_DATA_LINE_OCTETS (SMTP_TEXT_LINE_MAX - 2)

enum smtp_data_state {
	SMTP_DATA_STATE_BOL,   /* at line start, after CR LF (or DATA reply) */
	SMTP_DATA_STATE_TEXT,  /* inside a line */
	SMTP_DATA_STATE_CR,    /* inside a line, after CR */
	SMTP_DATA_STATE_DOT,   /* after CR LF "." */
	SMTP_DATA_STATE_DOTCR, /* after CR LF "." CR */
	SMTP_DATA_STATE_END,   /* CR LF "." CR LF seen */
};

/* smtp_data_init - start at line start, as right after the 354 reply. */
void
smtp_data_init(struct smtp_data *d, struct buf *out, uint64_t max_size)
{
	d->state = SMTP_DATA_STATE_BOL;
	d->line_len = 0;
	d->max_size = max_size;
	d->total = 0;
	d->fault = SMTP_DATA_FAULT_NONE;
	d->out = out;
}

/* smtp_data_note - remember f unless an earlier fault is already kept. */
static void
smtp_data_note(struct smtp_data *d, enum smtp_data_fault f)
{
	if (d->fault == SMTP_DATA_FAULT_NONE)
		d->fault = f;
}

/*
 * smtp_data_emit - count n message octets and append them while the
 * message is still clean. Crossing max_size appends the part that fits,
 * so the output is the same however the input was split.
 */
static void
smtp_data_emit(struct smtp_data *d, const char *p, size_t n)
{
	uint64_t before = d->total;

	d->total = n > UINT64_MAX - before ? UINT64_MAX : before + n;
	if (d->fault != SMTP_DATA_FAULT_NONE)
		return;
	if (d->total > d->max_size) {
		/* Clean so far means before <= max_size. */
		buf_add(d->out, p, (size_t)(d->max_size - before));
		d->fault = SMTP_DATA_FAULT_TOO_BIG;
		return;
	}
	buf_add(d->out, p, n);
}

/* smtp_data_text - n plain octets (no CR, LF or NUL) inside a line. */
static void
smtp_data_text(struct smtp_data *d, const char *p, size_t n)
{
	size_t room = d->line_len < SMTP_DATA_LINE_OCTETS
	                  ? SMTP_DATA_LINE_OCTETS - d->line_len
	                  : 0;

	if (n > room) {
		smtp_data_emit(d, p, room);
		smtp_data_note(d, SMTP_DATA_FAULT_LINE_LONG);
		smtp_data_emit(d, p + room, n - room);
	} else {
		smtp_data_emit(d, p, n);
	}
	/* Saturate: past the limit only "too long" matters. */
	d->line_len = n > room ? SMTP_TEXT_LINE_MAX : d->line_len + n;
}

/* smtp_data_step - one octet; returns true when it completed the end. */
static bool
smtp_data_step(struct smtp_data *d, unsigned char c)
{
	switch (d->state) {
	case SMTP_DATA_STATE_BOL:
		if (c == '.') {
			/* Either dot-stuffing or the terminator: wait and see.
			 */
			d->line_len = 1;
			d->state = SMTP_DATA_STATE_DOT;
			return false;
		}
		break;
	case SMTP_DATA_STATE_DOT:
		if (c == '\r') {
			d->state = SMTP_DATA_STATE_DOTCR;
			return false;
		}
		break; /* the dot was stuffing and is dropped */
	case SMTP_DATA_STATE_DOTCR:
		if (c == '\n') {
			d->state = SMTP_DATA_STATE_END;
			return true;
		}
		smtp_data_note(d, SMTP_DATA_FAULT_BARE_CR);
		break;
	case SMTP_DATA_STATE_CR:
		if (c == '\n') {
			smtp_data_emit(d, "\r\n", 2);
			d->line_len = 0;
			d->state = SMTP_DATA_STATE_BOL;
			return false;
		}
		smtp_data_note(d, SMTP_DATA_FAULT_BARE_CR);
		break;
	default:
		break;
	}

	/* c is an octet inside a line. */
	d->state = SMTP_DATA_STATE_TEXT;
	switch (c) {
	case '\r':
		d->state = SMTP_DATA_STATE_CR;
		break;
	case '\n':
		/* Not a line end: the next "." is not at line start. */
		smtp_data_note(d, SMTP_DATA_FAULT_BARE_LF);
		break;
	case '\0':
		smtp_data_note(d, SMTP_DATA_FAULT_NUL);
		break;
	default:
		smtp_data_text(d, (const char *)&c, 1);
		break;
	}
	return false;
}

/* smtp_data_run - length of the plain prefix of p (no CR, LF or NUL). */
static size_t
smtp_data_run(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0')
			break;
	return i;
}

/* smtp_data_feed - run the bytes through the state machine until the end. */
enum smtp_data_status
smtp_data_feed(struct smtp_data *d, const char *p, size_t len, size_t *used)
{
	size_t i = 0, n;

	if (d->state == SMTP_DATA_STATE_END) {
		*used = 0;
		return SMTP_DATA_DONE;
	}
	while (i < len) {
		if (d->state == SMTP_DATA_STATE_TEXT) {
			n = smtp_data_run(p + i, len - i);
			if (n > 0) {
				smtp_data_text(d, p + i, n);
				i += n;
				continue;
			}
		}
		if (smtp_data_step(d, (unsigned char)p[i++])) {
			*used = i;
			return SMTP_DATA_DONE;
		}
	}
	*used = len;
	return SMTP_DATA_MORE;
}

/* smtp_data_fault - the first fault seen. */
enum smtp_data_fault
smtp_data_fault(const struct smtp_data *d)
{
	return d->fault;
}

/* smtp_data_fault_reply - the reply line refusing a message for f. */
const char *
smtp_data_fault_reply(enum smtp_data_fault f)
{
	switch (f) {
	case SMTP_DATA_FAULT_NONE:
		return "250 2.0.0 OK";
	case SMTP_DATA_FAULT_BARE_LF:
		return "550 5.6.0 Bare LF in message; lines must end with CRLF";
	case SMTP_DATA_FAULT_BARE_CR:
		return "550 5.6.0 Bare CR in message; lines must end with CRLF";
	case SMTP_DATA_FAULT_NUL:
		return "550 5.6.0 NUL byte in message";
	case SMTP_DATA_FAULT_LINE_LONG:
		return "500 5.5.2 Line too long; the limit is 1000 octets "
		       "including CRLF";
	case SMTP_DATA_FAULT_TOO_BIG:
		return "552 5.3.4 Message too big for system";
	}
	return "554 5.6.0 Message refused";
}
