/*
 * smtp_data.h - the DATA reader (contract).
 *
 * A pure state machine over bytes: feed it what the socket delivered and it
 * appends the un-dot-stuffed message to an output buffer until it sees the
 * one true end of data, CRLF "." CRLF. It never allocates beyond
 * max_size + one line, whatever the client sends.
 *
 * SMTP smuggling defence: only CR LF . CR LF ends the data. A bare LF or a
 * bare CR anywhere (including "\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r\n",
 * "\r\n.\r") does not end it; the reader notes the error and reads on to the
 * real end, and the message is then refused as a whole. So bytes that
 * follow a fake ending are part of the refused message, never a second one.
 *
 * Other faults noted the same way (read to the end, then refuse): NUL
 * bytes, a line over SMTP_TEXT_LINE_MAX octets, a body over max_size (the
 * output stops growing; the rest is drained).
 */
#ifndef SWERVE_INGRESS_SMTP_DATA_H
#define SWERVE_INGRESS_SMTP_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum smtp_data_fault {
	SMTP_DATA_FAULT_NONE = 0,
	SMTP_DATA_FAULT_BARE_LF,   /* 550 5.6.0 bare LF */
	SMTP_DATA_FAULT_BARE_CR,   /* 550 5.6.0 bare CR */
	SMTP_DATA_FAULT_NUL,       /* 550 5.6.0 NUL byte */
	SMTP_DATA_FAULT_LINE_LONG, /* 500 5.5.2 line too long */
	SMTP_DATA_FAULT_TOO_BIG,   /* 552 5.3.4 message too big */
};

enum smtp_data_status {
	SMTP_DATA_MORE = 0, /* all input consumed, end not seen yet */
	SMTP_DATA_DONE = 1, /* end seen; bytes after it were not consumed */
};

struct smtp_data {
	/* Private: the reader's state. */
	int state;
	size_t line_len;
	uint64_t max_size;
	uint64_t total;             /* message octets seen, stored or not */
	enum smtp_data_fault fault; /* first fault seen */
	struct buf *out;
};

/*
 * smtp_data_init - start reading a message into out (not owned).
 * max_size is the limit on the un-stuffed message octets (UINT64_MAX: no
 * limit); out never grows by more than max_size.
 */
void smtp_data_init(struct smtp_data *d, struct buf *out, uint64_t max_size);

/*
 * smtp_data_feed - consume up to len bytes of p.
 * Sets *used to the bytes consumed (all of them unless DONE). Returns
 * SMTP_DATA_DONE once the terminating CRLF.CRLF has been consumed; then
 * smtp_data_fault() tells whether the message must be refused. Once DONE,
 * further calls consume nothing and return DONE again. The result (status,
 * output, fault, bytes used in total) does not depend on how the input is
 * split across calls.
 */
enum smtp_data_status smtp_data_feed(struct smtp_data *d, const char *p,
                                     size_t len, size_t *used);

/* smtp_data_fault - the first fault seen, or SMTP_DATA_FAULT_NONE. */
enum smtp_data_fault smtp_data_fault(const struct smtp_data *d);

/* smtp_data_fault_reply - the full SMTP reply for a fault, e.g.
 * "550 5.6.0 Bare LF in message; lines must end with CRLF". A static string
 * without the CRLF; FAULT_NONE gives "250 2.0.0 OK". */
const char *smtp_data_fault_reply(enum smtp_data_fault f);

#endif
