/*
 * fuzz_smtp_reply.c - the SMTP reply parser against arbitrary server bytes.
 *
 * Parses the input as a stream of replies twice, once whole and once in
 * chunks whose sizes come from the data, and checks that both agree and
 * that every reply respects the caps: bounded text, printable ASCII only,
 * a code in 200..559, at most SMTP_REPLY_LINES_MAX lines. Each reply is
 * also classified at every stage, as the client would, and the result
 * must hold only sanitised, terminated text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/smtp_reply.h"
#include "send/policy.h"
#include "send/result.h"

struct fuzz_seen {
	struct smtp_ehlo ehlo;
	unsigned lines;
};

/* fuzz_line - EHLO keywords from every line, as the client reads them. */
static void
fuzz_line(void *arg, unsigned index, const char *text, size_t len)
{
	struct fuzz_seen *s = arg;

	if (len > SMTP_REPLY_LINE_MAX || index != s->lines)
		abort();
	s->lines++;
	smtp_reply_ehlo_line(&s->ehlo, text, len);
}

/* fuzz_classify - policy_smtp.c over the reply, at every SMTP stage. */
static void
fuzz_classify(const struct smtp_reply *r)
{
	struct send_result res;
	int stage;
	size_t i;

	for (stage = SEND_STAGE_CONNECT; stage <= SEND_STAGE_DOT; stage++) {
		policy_smtp_result(&res, (enum send_stage)stage,
		                   SEND_FACT_REPLY, r->code, r->enhanced,
		                   r->text, NULL);
		if ((unsigned)res.class >= SEND_CLASS_COUNT ||
		    res.smtp_code != r->code)
			abort();
		if (memchr(res.text, '\0', sizeof(res.text)) == NULL ||
		    memchr(res.provider_msg_id, '\0',
		           sizeof(res.provider_msg_id)) == NULL)
			abort();
		for (i = 0; res.text[i] != '\0'; i++)
			if (res.text[i] < 0x20 || res.text[i] > 0x7e)
				abort();
		if (res.class == SEND_ACCEPTED) {
			if (r->code / 100 != 2)
				abort();
		} else if (r->code / 100 == 2) {
			abort();
		}
	}
}

/* fuzz_check - the invariants every complete reply keeps. */
static void
fuzz_check(const struct smtp_reply *r)
{
	size_t i;

	if (r->code < 200 || r->code > 559 || r->n_lines == 0 ||
	    r->n_lines > SMTP_REPLY_LINES_MAX)
		abort();
	if (r->text_len >= sizeof(r->text) || strlen(r->text) != r->text_len)
		abort();
	for (i = 0; i < r->text_len; i++)
		if (r->text[i] < 0x20 || r->text[i] > 0x7e)
			abort();
	if (r->enhanced[0] != '\0' && r->enhanced[0] - '0' != r->code / 100)
		abort();
	fuzz_classify(r);
}

/* fuzz_run - parse all of data; chunk 0 means whole. Returns a digest. */
static uint64_t
fuzz_run(const uint8_t *data, size_t size, size_t chunk)
{
	struct smtp_reply_parser p;
	struct fuzz_seen seen;
	uint64_t digest = 0;
	size_t off = 0, used, n;
	enum smtp_reply_status st;

	memset(&seen, 0, sizeof(seen));
	smtp_reply_parser_init(&p, fuzz_line, &seen);
	while (off < size) {
		n = chunk == 0 || size - off < chunk ? size - off : chunk;
		st = smtp_reply_parse(&p, (const char *)data + off, n, &used);
		if (used > n)
			abort();
		off += used;
		if (st == SMTP_REPLY_ERROR) {
			if (p.error == NULL)
				abort();
			return digest * 31 + 7;
		}
		if (st == SMTP_REPLY_DONE) {
			fuzz_check(&p.reply);
			digest = digest * 31 + (uint64_t)p.reply.code;
			digest = digest * 31 + p.reply.text_len;
			digest = digest * 31 + p.reply.n_lines;
			seen.lines = 0;
			smtp_reply_parser_reset(&p);
		}
	}
	return digest;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t chunk = size > 0 ? (size_t)(data[0] % 7) + 1 : 1;

	if (fuzz_run(data, size, 0) != fuzz_run(data, size, chunk))
		abort();
	return 0;
}
