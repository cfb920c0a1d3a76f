/*
 * smtp_dot.h - the SMTP DATA body encoder (contract).
 *
 * Turns a stored message (CRLF line ends, not dot-stuffed) into what goes
 * on the wire after "354": every line that starts with '.' gets another
 * '.', every bare CR and every bare LF becomes CRLF (so no bare CR or LF
 * ever leaves swerve, whatever the spool holds), and the end is
 * "CRLF.CRLF" (a CRLF is added first if the body does not end with one).
 * Pure and incremental: feed the body in chunks of any size. No
 * allocation; the caller provides the output space.
 */
#ifndef SWERVE_NET_SMTP_DOT_H
#define SWERVE_NET_SMTP_DOT_H

#include <stdbool.h>
#include <stddef.h>

struct smtp_dot {
	bool at_bol;     /* the next byte starts a line */
	bool pending_cr; /* a CR was read; its CRLF is not written yet */
};

/* Output space smtp_dot_encode may need for len input bytes. */
#define SMTP_DOT_OUT_MAX(len) (2 * (len) + 2)
/* Output space smtp_dot_finish may need. */
#define SMTP_DOT_FINISH_MAX 5

/* smtp_dot_init - start a new body. */
void smtp_dot_init(struct smtp_dot *d);

/*
 * smtp_dot_encode - encode len bytes of body into out, which must hold
 * SMTP_DOT_OUT_MAX(len) bytes. Returns the number of bytes written.
 */
size_t smtp_dot_encode(struct smtp_dot *d, const char *in, size_t len,
                       char *out);

/*
 * smtp_dot_finish - write the end of the body ("[CRLF].CRLF") into out,
 * which must hold SMTP_DOT_FINISH_MAX bytes. Returns the bytes written.
 */
size_t smtp_dot_finish(struct smtp_dot *d, char *out);

#endif
