/*
 * providers_test.h - what the HTTP provider unit tests share: classification
 * rows run as one named cmocka test each, a provider configuration, a test
 * message with text, HTML, an attachment, an inline image and a non-ASCII
 * subject, and small decoders. Included by tests/unit/test_<provider>.c.
 */
#ifndef SWERVE_TESTS_PROVIDERS_TEST_H
#define SWERVE_TESTS_PROVIDERS_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/base64.h"
#include "providers/providers_http.h"
#include "spool/msg_meta.h"

#define PT_NOW 1440938160 /* 2015-08-30T12:36:00Z */

/* One answer and the class it must get. */
struct pt_row {
	const char *name; /* the behaviour, as the test's name */
	int status;
	const char *hname, *hval; /* one extra response header, or NULL */
	const char *body;
	enum send_class want;
	bool quota; /* want quota_exhausted */
	enum http_client_error err;
	bool sent;             /* request fully written (transport rows) */
	const char *want_code; /* provider_code, or NULL: not checked */
	void (*classify)(const struct http_response *, time_t,
	                 struct send_result *);
};

/* pt_classify - what the adapter does with an answer (transport first). */
static inline void
pt_classify(const struct pt_row *row, struct send_result *r)
{
	struct http_header h[1];
	struct http_response resp = {
	    .error = row->err,
	    .stage = row->err == HTTP_CLIENT_ERR_CONNECT ? SEND_STAGE_CONNECT
	             : row->sent                         ? SEND_STAGE_RESPONSE
	                                                 : SEND_STAGE_REQUEST,
	    .request_sent = row->sent || row->err == HTTP_CLIENT_OK,
	    .status = row->status,
	    .body = row->body ? row->body : "",
	    .body_len = row->body ? strlen(row->body) : 0,
	    .error_text = row->err ? "simulated" : "",
	};
	if (row->hname != NULL) {
		h[0] = (struct http_header){row->hname, row->hval};
		resp.headers = h;
		resp.n_headers = 1;
		if (strcasecmp(row->hname, "Retry-After") == 0)
			resp.retry_after = row->hval;
		if (strcasecmp(row->hname, "X-Message-Id") == 0)
			resp.message_id = row->hval;
	}
	if (!http_transport_classify(&resp, r))
		row->classify(&resp, PT_NOW, r);
}

/* pt_row_test - one classification row. */
static inline void
pt_row_test(void **state)
{
	const struct pt_row *row = *state;
	struct send_result r;

	pt_classify(row, &r);
	if (r.class != row->want)
		fail_msg("%s: got %s (%s: %s), want %s", row->name,
		         send_class_name(r.class), r.provider_code, r.text,
		         send_class_name(row->want));
	assert_int_equal(r.quota_exhausted, row->quota);
	if (row->want == SEND_THROTTLED)
		assert_true(r.retry_after_ms > 0);
	if (row->want_code != NULL)
		assert_string_equal(r.provider_code, row->want_code);
	if (row->err != HTTP_CLIENT_OK)
		assert_int_equal(r.stage, row->sent ? SEND_STAGE_RESPONSE
		                          : row->err == HTTP_CLIENT_ERR_CONNECT
		                              ? SEND_STAGE_CONNECT
		                              : SEND_STAGE_REQUEST);
}

/*
 * pt_run - run the fixed tests and then every row as a test named after
 * it, in one group (so the runner's pass count covers them all).
 */
static inline int
pt_run(const char *group, const struct CMUnitTest *fixed, size_t nfixed,
       struct pt_row *rows, size_t n,
       void (*classify)(const struct http_response *, time_t,
                        struct send_result *))
{
	struct CMUnitTest *t = calloc(nfixed + n, sizeof(*t));
	size_t i;
	int rc;

	for (i = 0; i < nfixed; i++)
		t[i] = fixed[i];
	for (i = 0; i < n; i++) {
		rows[i].classify = classify;
		t[nfixed + i] = (struct CMUnitTest){rows[i].name, pt_row_test,
		                                    NULL, NULL, &rows[i]};
	}
	rc = _cmocka_run_group_tests(group, t, nfixed + n, NULL, NULL);
	free(t);
	return rc;
}

/* The transport rows every provider shares (docs/design.md classes). */
#define PT_TRANSPORT_ROWS                                                      \
	{"connect refused is deferred",                                        \
	 0,                                                                    \
	 NULL,                                                                 \
	 NULL,                                                                 \
	 NULL,                                                                 \
	 SEND_DEFERRED,                                                        \
	 false,                                                                \
	 HTTP_CLIENT_ERR_CONNECT,                                              \
	 false,                                                                \
	 NULL,                                                                 \
	 NULL},                                                                \
	    {"tls failure is deferred",                                        \
	     0,                                                                \
	     NULL,                                                             \
	     NULL,                                                             \
	     NULL,                                                             \
	     SEND_DEFERRED,                                                    \
	     false,                                                            \
	     HTTP_CLIENT_ERR_TLS,                                              \
	     false,                                                            \
	     NULL,                                                             \
	     NULL},                                                            \
	    {"timeout before the body was sent is deferred",                   \
	     0,                                                                \
	     NULL,                                                             \
	     NULL,                                                             \
	     NULL,                                                             \
	     SEND_DEFERRED,                                                    \
	     false,                                                            \
	     HTTP_CLIENT_ERR_TIMEOUT,                                          \
	     false,                                                            \
	     NULL,                                                             \
	     NULL},                                                            \
	    {"timeout after the body was sent is unknown",                     \
	     0,                                                                \
	     NULL,                                                             \
	     NULL,                                                             \
	     NULL,                                                             \
	     SEND_UNKNOWN,                                                     \
	     false,                                                            \
	     HTTP_CLIENT_ERR_TIMEOUT,                                          \
	     true,                                                             \
	     NULL,                                                             \
	     NULL},                                                            \
	{                                                                      \
		"connection lost after the body was sent is unknown", 0, NULL, \
		    NULL, NULL, SEND_UNKNOWN, false, HTTP_CLIENT_ERR_IO, true, \
		    NULL, NULL                                                 \
	}

/* pt_cfg - a provider of type with every HTTP field filled. */
static inline struct config_provider
pt_cfg(const char *type)
{
	return (struct config_provider){
	    .name = "p1",
	    .type = (char *)type,
	    .tls_verify = true,
	    .max_connections = 4,
	    .endpoint = NULL,
	    .region = NULL,
	    .access_key_id = "AKIDEXAMPLE",
	    .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	    .api_key = "key-secret-123",
	    .domain = "mg.example.com",
	};
}

/* A message with text, HTML, an attachment, an inline image, a
 * non-ASCII subject and a custom header. */
static const char pt_rich[] =
    "From: =?utf-8?q?J=C3=BCrgen?= <jurgen@example.com>\r\n"
    "To: Bob <bob@example.net>, carol@example.net\r\n"
    "Cc: Dave <dave@example.org>\r\n"
    "Reply-To: replies@example.com\r\n"
    "Subject: =?utf-8?b?R3LDvMOfZSDwn5GL?=\r\n"
    "Message-ID: <m1@example.com>\r\n"
    "X-Campaign: spring\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"MIX\"\r\n"
    "\r\n"
    "--MIX\r\n"
    "Content-Type: multipart/alternative; boundary=\"ALT\"\r\n"
    "\r\n"
    "--ALT\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Hall=C3=B6chen\r\n"
    "--ALT\r\n"
    "Content-Type: multipart/related; boundary=\"REL\"\r\n"
    "\r\n"
    "--REL\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    "<p>Hi <img src=\"cid:logo@x\"></p>\r\n"
    "--REL\r\n"
    "Content-Type: image/png\r\n"
    "Content-ID: <logo@x>\r\n"
    "Content-Disposition: inline; filename=\"logo.png\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "iVBORw0KGgo=\r\n"
    "--REL--\r\n"
    "--ALT--\r\n"
    "--MIX\r\n"
    "Content-Type: application/pdf; name=\"r.pdf\"\r\n"
    "Content-Disposition: attachment; filename=\"r.pdf\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "JVBERi0xLjQ=\r\n"
    "--MIX--\r\n";

/* Envelope: Bob and Carol (To), Dave (Cc), Eve (Bcc only). */
static const char *const pt_rcpts[] = {"bob@example.net", "carol@example.net",
                                       "dave@example.org", "eve@example.com"};

/* pt_msg - an adapter_msg over body. */
static inline struct adapter_msg
pt_msg(const char *body, const char *const *rcpts, size_t n)
{
	return (struct adapter_msg){
	    .id = "01HXTESTID0000000000",
	    .sender = "bounce@example.com",
	    .rcpts = rcpts,
	    .n_rcpts = n,
	    .body = {body, strlen(body)},
	    .stream = "transactional",
	};
}

/*
 * pt_meta - a msg_meta with something for every field: labels "welcome"
 * and "Spring Sale" (a space: not a token), the tag campaign=spring,
 * metadata {"order":"42","url":"https://x.test/a","n":7}, config_set
 * "cs-msg", message_stream "broadcasts", ip_pool "pool-a", opens on,
 * clicks off. Free with msg_meta_fini.
 */
static inline void
pt_meta(struct msg_meta *m)
{
	msg_meta_init(m);
	assert_int_equal(msg_meta_add_tag(m, "welcome", NULL), 0);
	assert_int_equal(msg_meta_add_tag(m, "Spring Sale", NULL), 0);
	assert_int_equal(msg_meta_add_tag(m, "campaign", "spring"), 0);
	assert_int_equal(
	    msg_meta_set_metadata(
	        m, "{\"order\":\"42\",\"url\":\"https://x.test/a\",\"n\":7}"),
	    0);
	m->config_set = strdup("cs-msg");
	m->message_stream = strdup("broadcasts");
	m->ip_pool = strdup("pool-a");
	m->track_opens = MSG_TRACK_ON;
	m->track_clicks = MSG_TRACK_OFF;
}

/* pt_na - what out lists as not applied ("" for nothing). */
static inline const char *
pt_na(const struct http_out *out)
{
	return out->not_applied.len ? out->not_applied.p : "";
}

/* pt_b64 - decode base64 s (no line breaks) into a malloc'd buffer. */
static inline unsigned char *
pt_b64(const char *s, size_t *len)
{
	size_t n = strlen(s);
	unsigned char *out = malloc(n + 1);
	ssize_t got = base64_decode(str_from(s), 0, out, n + 1);

	assert_true(got >= 0);
	*len = (size_t)got;
	return out;
}

/* pt_json - the body of out as JSON (asserts it parses). */
static inline json_t *
pt_json(const struct http_out *out)
{
	json_error_t e;
	json_t *j = json_loadb(out->body.p, out->body.len, 0, &e);

	if (j == NULL)
		fail_msg("body is not JSON: %s", e.text);
	return j;
}

/* pt_str - the string at a JSON path of object keys, or NULL. */
static inline const char *
pt_str(json_t *j, const char *k1, const char *k2)
{
	json_t *v = json_object_get(j, k1);

	if (k2 != NULL)
		v = json_object_get(v, k2);
	return json_string_value(v);
}

#endif
