/*
 * smtp_dot.c - the SMTP DATA body encoder: dot-stuffing and line ends.
 *
 * Two bits of state carry across chunks: whether the next byte starts a
 * line, and whether the last byte was a CR whose fate (CRLF, or a bare CR
 * to be made one) is still open. Each input byte writes at most two bytes,
 * plus two for a pending CR, hence SMTP_DOT_OUT_MAX.
 */
#include "net/smtp_dot.h"

#include <string.h>

/* smtp_dot_init - the body starts at the start of a line. */
void
smtp_dot_init(struct smtp_dot *d)
{
	d->at_bol = true;
	d->pending_cr = false;
}

/* smtp_dot_encode - stuff dots and repair line ends. */
size_t
smtp_dot_encode(struct smtp_dot *d, const char *in, size_t len, char *out)
{
	size_t i = 0, o = 0;

	while (i < len) {
		char ch;

		/*
		 * Inside a line with no CR pending, every byte up to the next
		 * CR or LF is copied as it is: find that run with memchr and
		 * copy it whole (the byte loop below was the hot spot for
		 * large bodies).
		 */
		if (!d->pending_cr && !d->at_bol) {
			const char *p = in + i, *lf, *cr;
			size_t lim, run;

			lf = memchr(p, '\n', len - i);
			lim = lf ? (size_t)(lf - p) : len - i;
			cr = memchr(p, '\r', lim);
			run = cr ? (size_t)(cr - p) : lim;
			memcpy(out + o, p, run);
			o += run;
			i += run;
			if (i == len)
				break;
		}
		ch = in[i++];
		if (ch == '\n') {
			/* CRLF, or a bare LF: both become CRLF. */
			out[o++] = '\r';
			out[o++] = '\n';
			d->pending_cr = false;
			d->at_bol = true;
			continue;
		}
		if (d->pending_cr) {
			/* A CR not followed by LF: a bare CR, made a CRLF. */
			out[o++] = '\r';
			out[o++] = '\n';
			d->pending_cr = false;
			d->at_bol = true;
		}
		if (ch == '\r') {
			d->pending_cr = true;
			continue;
		}
		if (d->at_bol && ch == '.')
			out[o++] = '.';
		out[o++] = ch;
		d->at_bol = false;
	}
	return o;
}

/* smtp_dot_finish - end the last line if needed, then the lone dot. */
size_t
smtp_dot_finish(struct smtp_dot *d, char *out)
{
	size_t o = 0;

	if (d->pending_cr || !d->at_bol) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	out[o++] = '.';
	out[o++] = '\r';
	out[o++] = '\n';
	d->pending_cr = false;
	d->at_bol = true;
	return o;
}
