/*
 * fuzz_providers.c - the HTTP provider adapters' pure parts under arbitrary
 * input.
 *
 * First byte even: an answer. Byte 1 picks the provider, bytes 2-3 the
 * HTTP status; the rest is "Name: value" header lines, an empty line, and
 * the body. Every provider's classify and probe_read must give a class in
 * range and sanitised, NUL-terminated text.
 *
 * First byte odd: a message. Byte 1 picks the provider; the rest is the
 * message. What a builder produces must be right or refused: SES carries
 * the exact bytes (base64 in valid JSON), Mailgun carries them verbatim
 * in its form, the JSON providers produce valid JSON whose text/HTML
 * bodies are the MIME reader's, and nothing is built for a message that
 * `represents` rejects.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/base64.h"
#include "mime/mime.h"
#include "providers/providers_http.h"

static const struct http_provider *const provs[] = {
    &ses_http, &sendgrid_http, &mailgun_http, &postmark_http, &resend_http,
};
#define NPROVS (sizeof(provs) / sizeof(provs[0]))

static void
check_text(const char *t, size_t size)
{
	size_t i;

	for (i = 0; i < size && t[i] != '\0'; i++)
		if ((unsigned char)t[i] < 0x20 || (unsigned char)t[i] > 0x7e)
			abort();
	if (i == size)
		abort();
}

static void
fuzz_answer(const struct http_provider *p, const uint8_t *d, size_t n)
{
	struct http_header h[8];
	char *copy, *line, *body, *sep, *next;
	struct http_response resp;
	struct send_result r;
	struct adapter_probe_result pr;
	size_t nh = 0;

	if (n < 2)
		return;
	memset(&resp, 0, sizeof(resp));
	resp.status = (d[0] << 8 | d[1]) % 600;
	resp.request_sent = true;
	resp.stage = SEND_STAGE_RESPONSE;
	copy = malloc(n - 2 + 1);
	memcpy(copy, d + 2, n - 2);
	copy[n - 2] = '\0';
	body = strstr(copy, "\n\n");
	if (body != NULL) {
		*body = '\0';
		body += 2;
		for (line = copy; line && *line && nh < 8; line = next) {
			next = strchr(line, '\n');
			if (next)
				*next++ = '\0';
			sep = strchr(line, ':');
			if (sep == NULL)
				continue;
			*sep = '\0';
			h[nh].name = line;
			h[nh].value = sep + 1;
			if (strcasecmp(line, "Retry-After") == 0)
				resp.retry_after = sep + 1;
			if (strcasecmp(line, "X-Message-Id") == 0)
				resp.message_id = sep + 1;
			nh++;
		}
	} else {
		body = copy;
	}
	resp.headers = h;
	resp.n_headers = nh;
	resp.body = body;
	resp.body_len = strlen(body);
	p->classify(&resp, 1440938160, &r);
	if (r.class >= SEND_CLASS_COUNT || r.retry_after_ms < 0)
		abort();
	check_text(r.text, sizeof(r.text));
	check_text(r.provider_code, sizeof(r.provider_code));
	check_text(r.provider_msg_id, sizeof(r.provider_msg_id));
	memset(&pr, 0, sizeof(pr));
	pr.quota_left = -1;
	pr.max_send_rate = -1;
	p->probe_read(&resp, 1440938160, &pr);
	if (pr.class >= SEND_CLASS_COUNT ||
	    memchr(pr.text, 0, sizeof(pr.text)) == NULL)
		abort();
	free(copy);
}

/* same - JSON string v holds exactly p[0..n) (NULs included). */
static bool
same(json_t *v, const char *p, size_t n)
{
	return json_string_length(v) == n &&
	       memcmp(json_string_value(v), p, n) == 0;
}

/* check_json_bodies - the JSON's text/HTML equal the MIME reader's. */
static void
check_json_bodies(const struct http_provider *p, const struct str *m, json_t *j)
{
	struct mime_msg *mm = mime_parse(m->p, m->len);
	json_t *text = NULL, *html = NULL, *c, *e;
	size_t i;

	if (p == &postmark_http) {
		text = json_object_get(j, "TextBody");
		html = json_object_get(j, "HtmlBody");
	} else if (p == &resend_http) {
		text = json_object_get(j, "text");
		html = json_object_get(j, "html");
	} else {
		c = json_object_get(j, "content");
		json_array_foreach(c, i, e)
		{
			const char *t =
			    json_string_value(json_object_get(e, "type"));
			if (t && strcmp(t, "text/plain") == 0)
				text = json_object_get(e, "value");
			if (t && strcmp(t, "text/html") == 0)
				html = json_object_get(e, "value");
		}
	}
	if ((text == NULL) != (mm->text == NULL) ||
	    (html == NULL) != (mm->html == NULL))
		abort();
	if (text && !same(text, mm->text, mm->text_len))
		abort();
	if (html && !same(html, mm->html, mm->html_len))
		abort();
	mime_free(mm);
}

static void
fuzz_build(const struct http_provider *p, const uint8_t *d, size_t n)
{
	static const char *const rcpts[] = {"b@example.net", "c@example.org"};
	struct config_provider cfg = {
	    .name = "f",
	    .access_key_id = "AKIDEXAMPLE",
	    .secret_access_key = "secret",
	    .api_key = "key",
	    .domain = "mg.example.com",
	};
	struct adapter_msg msg = {
	    .id = "01HXTESTID0000000000",
	    .sender = "a@example.com",
	    .rcpts = rcpts,
	    .n_rcpts = 2,
	    .body = {(const char *)d, n},
	};
	struct http_out out;
	char why[200];
	json_error_t jerr;
	json_t *j;
	bool repr =
	    p->represents ? p->represents(&msg, why, sizeof(why)) : true;
	int rc;

	http_out_init(&out);
	rc = p->build(&cfg, &msg, 1440938160, &out, why, sizeof(why));
	if (!repr && rc == 0)
		abort(); /* built what it said it cannot carry */
	if (rc != 0)
		goto done;
	if (p == &mailgun_http) {
		if (memmem(out.body.p, out.body.len, d, n) == NULL && n > 0)
			abort();
		goto done;
	}
	j = json_loadb(out.body.p, out.body.len, JSON_ALLOW_NUL, &jerr);
	if (j == NULL) {
		fprintf(stderr, "invalid JSON (%s): %.*s\n", jerr.text,
		        (int)out.body.len, out.body.p);
		abort();
	}
	if (p == &ses_http) {
		const char *b64 = json_string_value(json_object_get(
		    json_object_get(json_object_get(j, "Content"), "Raw"),
		    "Data"));
		size_t bl = b64 ? strlen(b64) : 0;
		unsigned char *raw = malloc(bl + 1);
		ssize_t got =
		    b64 ? base64_decode((struct str){b64, bl}, 0, raw, bl + 1)
		        : -1;

		if (got != (ssize_t)n || memcmp(raw, d, n) != 0)
			abort();
		free(raw);
	} else {
		check_json_bodies(p, &msg.body, j);
	}
	json_decref(j);
done:
	http_out_fini(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct http_provider *p;

	if (size < 2)
		return 0;
	p = provs[data[1] % NPROVS];
	if (data[0] & 1)
		fuzz_build(p, data + 2, size - 2);
	else
		fuzz_answer(p, data + 2, size - 2);
	return 0;
}
