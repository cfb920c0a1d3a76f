/*
 * fuzz_smtp_data.c - libFuzzer target for the DATA reader.
 *
 * Input: byte 0 picks a split point, byte 1 a size limit, the rest is the
 * text after the DATA reply. The text is fed whole, in two pieces at the
 * split, and in small pieces of varying size; all three must agree on the
 * status, fault, bytes used and output, or the target aborts. For a clean
 * message, the output must be the input minus each line's leading dot
 * and the final ".\r\n".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "ingress/smtp_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_result {
	enum smtp_data_status status;
	enum smtp_data_fault fault;
	size_t used;
	struct buf out;
};

/* fuzz_check - abort unless ok (libFuzzer reports the crash). */
static void
fuzz_check(int ok)
{
	if (!ok)
		abort();
}

/*
 * fuzz_feed - feed p[0..len) in pieces: first the split, then pieces of
 * step bytes (0: the rest at once), stopping at DONE.
 */
static void
fuzz_feed(const char *p, size_t len, uint64_t max, size_t split, unsigned step,
          struct fuzz_result *r)
{
	struct smtp_data d;
	size_t off = 0, n, used;
	unsigned k = 0;

	buf_init(&r->out);
	smtp_data_init(&d, &r->out, max);
	r->status = SMTP_DATA_MORE;
	for (;;) {
		if (off == 0 && split > 0)
			n = split;
		else if (step == 0)
			n = len - off;
		else
			n = 1 + (step * ++k) % 7; /* 1..7, varying */
		if (n > len - off)
			n = len - off;
		r->status = smtp_data_feed(&d, p + off, n, &used);
		fuzz_check(used <= n);
		fuzz_check(r->status == SMTP_DATA_DONE || used == n);
		off += used;
		if (r->status == SMTP_DATA_DONE || off == len)
			break;
	}
	r->used = off;
	r->fault = smtp_data_fault(&d);
	fuzz_check(r->out.len <= max);
}

/* fuzz_same - two feeds agree on everything. */
static void
fuzz_same(const struct fuzz_result *a, const struct fuzz_result *b)
{
	fuzz_check(a->status == b->status);
	fuzz_check(a->fault == b->fault);
	fuzz_check(a->used == b->used);
	fuzz_check(a->out.len == b->out.len);
	fuzz_check(a->out.len == 0 ||
	           memcmp(a->out.p, b->out.p, a->out.len) == 0);
}

/* fuzz_restuff_matches - out is the input minus leading dots and ".\r\n". */
static void
fuzz_restuff_matches(const struct buf *out, const char *in, size_t used)
{
	size_t i, j = 0;
	int bol = 1;

	for (i = 0; i < out->len; i++) {
		char c = out->p[i];
		fuzz_check(c != '\0');
		/* Any leading dot on the wire is dropped, needed or not. */
		if (bol && j < used && in[j] == '.')
			j++;
		fuzz_check(j < used && in[j] == c);
		j++;
		/* Line ends in a clean message are CRLF only. */
		if (c == '\n')
			fuzz_check(i > 0 && out->p[i - 1] == '\r');
		if (c == '\r')
			fuzz_check(i + 1 < out->len && out->p[i + 1] == '\n');
		bol = c == '\n';
	}
	fuzz_check(out->len == 0 || bol);
	fuzz_check(used - j == 3 && memcmp(in + j, ".\r\n", 3) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t limits[] = {UINT64_MAX, 0, 1, 5, 64, 1000, 4096};
	struct fuzz_result whole, two, small;
	const char *p;
	size_t len, split;
	uint64_t max;

	if (size < 2)
		return 0;
	p = (const char *)data + 2;
	len = size - 2;
	split = len ? data[0] % (len + 1) : 0;
	max = limits[data[1] % (sizeof(limits) / sizeof(limits[0]))];

	fuzz_feed(p, len, max, 0, 0, &whole);
	fuzz_feed(p, len, max, split, 0, &two);
	fuzz_feed(p, len, max, split, 1u + data[0] % 13u, &small);
	fuzz_same(&whole, &two);
	fuzz_same(&whole, &small);

	if (whole.status == SMTP_DATA_DONE &&
	    whole.fault == SMTP_DATA_FAULT_NONE)
		fuzz_restuff_matches(&whole.out, p, whole.used);
	if (whole.status == SMTP_DATA_DONE)
		fuzz_check(whole.used >= 3 &&
		           memcmp(p + whole.used - 3, ".\r\n", 3) == 0 &&
		           (whole.used == 3 ||
		            (whole.used >= 5 &&
		             memcmp(p + whole.used - 5, "\r\n", 2) == 0)));
	else
		fuzz_check(whole.used == len);
	fuzz_check(smtp_data_fault_reply(whole.fault) != NULL);

	buf_fini(&whole.out);
	buf_fini(&two.out);
	buf_fini(&small.out);
	return 0;
}
