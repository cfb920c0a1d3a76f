/*
 * test_api_json.c - the send API's JSON decoder: what it accepts, and the
 * precise 400 for everything else (malformed JSON, duplicate keys, deep
 * nesting, huge arrays, CR/LF/NUL in every header-bound field, bad
 * addresses, unknown and protected fields), the payload hash and batches.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "ingress/api_json.h"

/* decode - api_json_msg_decode over a C string. */
static int
decode(const char *s, struct api_msg *m, struct api_error *e)
{
	memset(e, 0, sizeof(*e));
	return api_json_msg_decode(s, strlen(s), m, e);
}

/* refused - s must be refused with status 400, code and field. */
static void
refused(const char *s, const char *code, const char *field)
{
	struct api_msg m;
	struct api_error e;

	if (decode(s, &m, &e) != -1) {
		fprintf(stderr, "accepted: %s\n", s);
		fail();
	}
	if (strcmp(e.code, code) != 0 || strcmp(e.field, field) != 0)
		fprintf(stderr, "for %s: got %s/%s (%s)\n", s, e.code, e.field,
		        e.message);
	assert_int_equal(e.http_status, 400);
	assert_string_equal(e.code, code);
	assert_string_equal(e.field, field);
	assert_true(e.message[0] != '\0');
	assert_null(m.mail.from.addr);
}

static void
minimal_message_decodes(void **state)
{
	struct api_msg m;
	struct api_error e;

	assert_int_equal(decode("{\"from\":\"a@example.com\","
	                        "\"to\":\"b@example.org\",\"text\":\"hi\"}",
	                        &m, &e),
	                 0);
	assert_string_equal(m.mail.from.addr, "a@example.com");
	assert_null(m.mail.from.name);
	assert_int_equal(m.mail.n_to, 1);
	assert_string_equal(m.mail.to[0].addr, "b@example.org");
	assert_string_equal(m.mail.text, "hi");
	assert_int_equal(m.mail.text_len, 2);
	assert_null(m.mail.html);
	assert_null(m.stream);
	assert_null(m.idempotency_key);
	/* The digest is made only when asked (a request with a key). */
	assert_int_equal(strlen(m.payload_sha256), 0);
	api_msg_digest(&m);
	assert_int_equal(strlen(m.payload_sha256), 64);
	assert_null(m.payload);
	api_msg_fini(&m);
}

static void
full_message_decodes(void **state)
{
	static const char req[] =
	    "{\"from\":{\"email\":\"a@example.com\",\"name\":\"Zoë\"},"
	    "\"to\":[\"\\\"Smith, J\\\" <j@example.org>\",\"k@example.org\"],"
	    "\"cc\":\"Carl <c@example.net>\",\"bcc\":[\"h@example.net\"],"
	    "\"reply_to\":\"r@example.com\",\"subject\":\"Grüße\","
	    "\"text\":\"t\",\"html\":\"<p>h</p>\","
	    "\"headers\":{\"X-Campaign\":\"spring\"},"
	    "\"attachments\":[{\"filename\":\"a.txt\","
	    "\"content_type\":\"Text/Plain\",\"content\":\"aGVsbG8=\"},"
	    "{\"content_id\":\"logo@x\",\"content_type\":\"image/png\","
	    "\"content\":\"iVBO\\nRw==\"}],"
	    "\"stream\":\"bulk\",\"tags\":{\"kind\":\"welcome\"},"
	    "\"metadata\":{\"user\":42,\"deep\":{\"x\":[1,2]}},"
	    "\"idempotency_key\":\"order-1234\"}";
	struct api_msg m;
	struct api_error e;

	assert_int_equal(decode(req, &m, &e), 0);
	assert_string_equal(m.mail.from.name, "Zoë");
	assert_int_equal(m.mail.n_to, 2);
	assert_string_equal(m.mail.to[0].name, "Smith, J");
	assert_string_equal(m.mail.to[0].addr, "j@example.org");
	assert_string_equal(m.mail.cc[0].name, "Carl");
	assert_int_equal(m.n_bcc, 1);
	assert_string_equal(m.mail.reply_to[0].addr, "r@example.com");
	assert_string_equal(m.mail.subject, "Grüße");
	assert_string_equal(m.mail.html, "<p>h</p>");
	assert_int_equal(m.mail.n_fields, 1);
	assert_string_equal(m.mail.fields[0].name, "X-Campaign");
	assert_int_equal(m.mail.n_atts, 2);
	assert_string_equal(m.mail.atts[0].content_type, "text/plain");
	assert_int_equal(m.mail.atts[0].len, 5);
	assert_memory_equal(m.mail.atts[0].data, "hello", 5);
	assert_string_equal(m.mail.atts[1].content_id, "logo@x");
	assert_int_equal(m.mail.atts[1].len, 4);
	assert_string_equal(m.stream, "bulk");
	assert_int_equal(m.meta.n_tags, 1);
	assert_string_equal(m.meta.tags[0].name, "kind");
	assert_string_equal(m.meta.tags[0].value, "welcome");
	assert_string_equal(m.meta.metadata,
	                    "{\"deep\":{\"x\":[1,2]},\"user\":42}");
	assert_string_equal(m.idempotency_key, "order-1234");
	api_msg_fini(&m);
}

static void
malformed_json_is_refused(void **state)
{
	refused("", "invalid_json", "");
	refused("{", "invalid_json", "");
	refused("{\"from\":}", "invalid_json", "");
	refused("[1,2]", "invalid_json", "");
	refused("\"just a string\"", "invalid_json", "");
	refused("{\"from\":\"a@b.c\"} trailing", "invalid_json", "");
	refused("{\"text\":\"\xff\xfe\"}", "invalid_json", "");
}

static void
duplicate_keys_are_refused(void **state)
{
	refused("{\"from\":\"a@b.com\",\"from\":\"c@d.com\",\"to\":\"e@f.com\","
	        "\"text\":\"x\"}",
	        "invalid_json", "");
	refused("{\"from\":\"a@b.com\",\"to\":\"e@f.com\",\"text\":\"x\","
	        "\"metadata\":{\"k\":1,\"k\":2}}",
	        "invalid_json", "");
	/* Header names differ only in case: still one header twice. */
	refused("{\"from\":\"a@b.com\",\"to\":\"e@f.com\",\"text\":\"x\","
	        "\"headers\":{\"X-A\":\"1\",\"x-a\":\"2\"}}",
	        "invalid_field", "headers.x-a");
}

static void
deep_nesting_is_refused_before_parsing(void **state)
{
	struct buf b;
	struct api_msg m;
	struct api_error e;
	int i;

	buf_init(&b);
	buf_addstr(&b,
	           "{\"from\":\"a@b.com\",\"to\":\"e@f.com\",\"text\":\"x\","
	           "\"metadata\":{\"a\":");
	for (i = 0; i < 100000; i++)
		buf_addch(&b, '[');
	assert_int_equal(api_json_msg_decode(b.p, b.len, &m, &e), -1);
	assert_string_equal(e.code, "invalid_json");
	assert_non_null(strstr(e.message, "deeper"));
	buf_fini(&b);
	/* Brackets inside strings are text, not nesting. */
	buf_init(&b);
	buf_addstr(&b, "{\"from\":\"a@b.com\",\"to\":\"e@f.com\",\"text\":\"");
	for (i = 0; i < 1000; i++)
		buf_addstr(&b, "[{\\\"");
	buf_addstr(&b, "\"}");
	assert_int_equal(api_json_msg_decode(b.p, b.len, &m, &e), 0);
	api_msg_fini(&m);
	buf_fini(&b);
}

static void
huge_arrays_are_refused(void **state)
{
	struct buf b;
	struct api_msg m;
	struct api_error e;
	int i;

	buf_init(&b);
	buf_addstr(&b, "{\"from\":\"a@b.com\",\"text\":\"x\",\"to\":[");
	for (i = 0; i < 1001; i++)
		buf_printf(&b, "%s\"r%d@example.com\"", i ? "," : "", i);
	buf_addstr(&b, "]}");
	assert_int_equal(api_json_msg_decode(b.p, b.len, &m, &e), -1);
	assert_int_equal(e.http_status, 400);
	assert_non_null(strstr(e.message, "1000"));
	buf_fini(&b);
}

/* One field that ends up in a header, and how to put bad bytes in it. */
static const struct {
	const char *fmt; /* %s is replaced by the poisoned string */
	const char *field;
} hdr_fields[] = {
    {"\"from\":\"%s\",\"to\":\"b@c.com\"", "from"},
    {"\"from\":{\"email\":\"a@b.com\",\"name\":\"%s\"},\"to\":\"b@c.com\"",
     "from.name"},
    {"\"from\":\"a@b.com\",\"to\":[\"b@c.com\",\"%s\"]", "to[1]"},
    {"\"from\":\"a@b.com\",\"to\":\"b@c.com\",\"cc\":\"%s\"", "cc"},
    {"\"from\":\"a@b.com\",\"to\":\"b@c.com\",\"bcc\":[\"%s\"]", "bcc[0]"},
    {"\"from\":\"a@b.com\",\"to\":\"b@c.com\",\"reply_to\":\"%s\"", "reply_to"},
    {"\"from\":\"a@b.com\",\"to\":\"b@c.com\",\"subject\":\"%s\"", "subject"},
    {"\"from\":\"a@b.com\",\"to\":\"b@c.com\",\"headers\":{\"X-A\":\"%s\"}",
     "headers.X-A"},
    {"\"from\":\"a@b.com\",\"to\":\"b@c.com\",\"attachments\":[{\"filename\":"
     "\"%s\",\"content\":\"\"}]",
     "attachments[0].filename"},
    {"\"from\":\"a@b.com\",\"to\":\"b@c.com\",\"attachments\":[{\"filename\":"
     "\"f\",\"content_type\":\"%s\",\"content\":\"\"}]",
     "attachments[0].content_type"},
    {"\"from\":\"a@b.com\",\"to\":\"b@c.com\",\"attachments\":[{"
     "\"content_id\":\"%s\",\"content\":\"\"}]",
     "attachments[0].content_id"},
    {"\"from\":\"a@b.com\",\"to\":\"b@c.com\",\"stream\":\"%s\"", "stream"},
    {"\"from\":\"a@b.com\",\"to\":\"b@c.com\",\"tags\":{\"k\":\"%s\"}",
     "tags.k"},
    {"\"from\":\"a@b.com\",\"to\":\"b@c.com\",\"idempotency_key\":\"%s\"",
     "idempotency_key"},
};

static void
cr_lf_nul_refused_in_every_header_field(void **state)
{
	static const char *const poison[] = {"x\\r\\nBcc: evil@example.com",
	                                     "x\\nX-Evil: 1", "x\\rY",
	                                     "x\\u0000y"};
	char req[1024], body[512];
	size_t i, j;

	for (i = 0; i < sizeof(hdr_fields) / sizeof(hdr_fields[0]); i++)
		for (j = 0; j < 4; j++) {
			snprintf(body, sizeof(body), hdr_fields[i].fmt,
			         poison[j]);
			snprintf(req, sizeof(req), "{%s,\"text\":\"x\"}", body);
			{
				struct api_msg m;
				struct api_error e;
				assert_int_equal(decode(req, &m, &e), -1);
				if (strcmp(e.field, hdr_fields[i].field) != 0)
					fprintf(stderr, "%s -> %s (%s)\n", req,
					        e.field, e.message);
				assert_string_equal(e.field,
				                    hdr_fields[i].field);
				assert_int_equal(e.http_status, 400);
			}
		}
	/* NUL in the body text is refused too; CR/LF there is text. */
	refused(
	    "{\"from\":\"a@b.com\",\"to\":\"b@c.com\",\"text\":\"a\\u0000\"}",
	    "invalid_field", "text");
	refused(
	    "{\"from\":\"a@b.com\",\"to\":\"b@c.com\",\"html\":\"\\u0000\"}",
	    "invalid_field", "html");
}

static void
bad_addresses_are_refused(void **state)
{
	static const char *const bad[] = {
	    "not-an-address", "a@",         "@b.com",
	    "a b@c.com",      "Name <bad>", "jö@example.com",
	    "a@b..com",       "<>",         "a@-b.com",
	    "Postmaster",     "a@b.com>",   "Name <a@b.com> trailing",
	};
	char req[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(req, sizeof(req),
		         "{\"from\":\"a@b.com\",\"to\":[\"ok@b.com\",\"%s\"],"
		         "\"text\":\"x\"}",
		         bad[i]);
		refused(req, "invalid_address", "to[1]");
	}
	refused("{\"from\":{\"email\":\"Name <a@b.com>\"},\"to\":\"b@c.com\","
	        "\"text\":\"x\"}",
	        "invalid_address", "from.email");
	refused("{\"from\":[\"a@b.com\"],\"to\":\"b@c.com\",\"text\":\"x\"}",
	        "invalid_field", "from");
}

static void
unknown_missing_and_protected_fields_are_refused(void **state)
{
	refused("{\"from\":\"a@b.com\",\"to\":\"b@c.com\",\"text\":\"x\","
	        "\"bodyy\":\"typo\"}",
	        "unknown_field", "bodyy");
	refused("{\"to\":\"b@c.com\",\"text\":\"x\"}", "missing_field", "from");
	refused("{\"from\":\"a@b.com\",\"text\":\"x\"}", "missing_field", "to");
	refused("{\"from\":\"a@b.com\",\"to\":\"b@c.com\"}", "missing_field",
	        "text");
	refused("{\"from\":\"a@b.com\",\"to\":\"b@c.com\",\"text\":\"x\","
	        "\"headers\":{\"Date\":\"now\"}}",
	        "invalid_field", "headers.Date");
	refused("{\"from\":\"a@b.com\",\"to\":\"b@c.com\",\"text\":\"x\","
	        "\"headers\":{\"Message-ID\":\"x@y\"}}",
	        "invalid_field", "headers.Message-ID");
	refused("{\"from\":\"a@b.com\",\"to\":\"b@c.com\",\"text\":\"x\","
	        "\"headers\":{\"Bad Name\":\"v\"}}",
	        "invalid_field", "headers.Bad Name");
	refused("{\"from\":\"a@b.com\",\"to\":\"b@c.com\",\"text\":\"x\","
	        "\"attachments\":[{\"filename\":\"f\",\"content\":\"!!!\"}]}",
	        "invalid_field", "attachments[0].content");
	refused("{\"from\":\"a@b.com\",\"to\":\"b@c.com\",\"text\":\"x\","
	        "\"attachments\":[{\"filename\":\"f\"}]}",
	        "missing_field", "attachments[0].content");
	refused("{\"from\":\"a@b.com\",\"to\":\"b@c.com\",\"text\":\"x\","
	        "\"attachments\":[{\"filename\":\"f\",\"content\":\"\","
	        "\"content_type\":\"text/plain; charset=x\"}]}",
	        "invalid_field", "attachments[0].content_type");
	refused("{\"from\":\"a@b.com\",\"to\":\"b@c.com\",\"text\":\"x\","
	        "\"stream\":\"Not OK\"}",
	        "invalid_field", "stream");
	refused("{\"from\":\"a@b.com\",\"to\":\"b@c.com\",\"text\":1}",
	        "invalid_field", "text");
}

static void
payload_hash_ignores_spacing_and_key_order(void **state)
{
	struct api_msg a, b, c;
	struct api_error e;

	assert_int_equal(decode("{\"from\":\"a@b.com\",\"to\":\"b@c.com\","
	                        "\"text\":\"x\"}",
	                        &a, &e),
	                 0);
	assert_int_equal(decode("{ \"text\" : \"x\",\n \"to\":\"b@c.com\", "
	                        "\"from\" : \"a@b.com\" }",
	                        &b, &e),
	                 0);
	assert_int_equal(decode("{\"from\":\"a@b.com\",\"to\":\"b@c.com\","
	                        "\"text\":\"y\"}",
	                        &c, &e),
	                 0);
	api_msg_digest(&a);
	api_msg_digest(&b);
	api_msg_digest(&c);
	assert_string_equal(a.payload_sha256, b.payload_sha256);
	assert_string_not_equal(a.payload_sha256, c.payload_sha256);
	api_msg_fini(&a);
	api_msg_fini(&b);
	api_msg_fini(&c);
	/* The key is not payload: with or without it, the same hash. */
	assert_int_equal(decode("{\"from\":\"a@b.com\",\"to\":\"b@c.com\","
	                        "\"text\":\"x\",\"idempotency_key\":\"k\"}",
	                        &b, &e),
	                 0);
	assert_int_equal(decode("{\"from\":\"a@b.com\",\"to\":\"b@c.com\","
	                        "\"text\":\"x\"}",
	                        &a, &e),
	                 0);
	api_msg_digest(&a);
	api_msg_digest(&b);
	api_msg_digest(&c);
	assert_string_equal(a.payload_sha256, b.payload_sha256);
	api_msg_fini(&a);
	api_msg_fini(&b);
}

static void
batch_reports_errors_per_item(void **state)
{
	static const char req[] =
	    "{\"messages\":[{\"from\":\"a@b.com\",\"to\":\"b@c.com\","
	    "\"text\":\"1\"},{\"from\":\"a@b.com\",\"to\":\"b@c.com\","
	    "\"subject\":\"x\\r\\ny\",\"text\":\"2\"},"
	    "{\"from\":\"a@b.com\",\"to\":\"b@c.com\",\"text\":\"3\"}]}";
	struct api_batch b;
	struct api_error e;

	assert_int_equal(api_json_batch_decode(req, strlen(req), &b, &e), 0);
	assert_int_equal(b.n, 3);
	assert_int_equal(b.n_bad, 1);
	assert_int_equal(b.errs[0].http_status, 0);
	assert_int_equal(b.errs[1].http_status, 400);
	assert_string_equal(b.errs[1].field, "subject");
	assert_string_equal(b.msgs[2].mail.text, "3");
	api_batch_fini(&b);

	assert_int_equal(api_json_batch_decode("[{\"from\":\"a@b.com\",\"to\":"
	                                       "\"b@c.com\",\"text\":\"1\"}]",
	                                       46, &b, &e),
	                 0);
	assert_int_equal(b.n, 1);
	api_batch_fini(&b);
	assert_int_equal(api_json_batch_decode("[]", 2, &b, &e), -1);
	assert_int_equal(
	    api_json_batch_decode("{\"messages\":[],\"x\":1}", 21, &b, &e), -1);
}

static void
batch_over_500_is_refused(void **state)
{
	struct api_batch b;
	struct api_error e;
	struct buf s;
	int i;

	buf_init(&s);
	buf_addch(&s, '[');
	for (i = 0; i < 501; i++)
		buf_addstr(&s, i ? ",{}" : "{}");
	buf_addch(&s, ']');
	assert_int_equal(api_json_batch_decode(s.p, s.len, &b, &e), -1);
	assert_non_null(strstr(e.message, "500"));
	buf_fini(&s);
}

static void
error_renders_as_json(void **state)
{
	struct api_error e;
	char *s;

	api_error_set(&e, 400, "invalid_field", "subject", "contains CR or LF");
	s = api_error_json(&e);
	assert_string_equal(s, "{\"error\":{\"code\":\"invalid_field\","
	                       "\"field\":\"subject\",\"message\":"
	                       "\"contains CR or LF\"}}");
	free(s);
	api_error_set(&e, 400, "invalid_json", "", "bad");
	s = api_error_json(&e);
	assert_null(strstr(s, "field"));
	free(s);
}

/* send_at (unix seconds or RFC 3339) and sandbox go into the meta. */
static void
send_at_and_sandbox_decode_into_the_meta(void **state)
{
#define REQ                                                                    \
	"{\"from\":\"a@example.com\",\"to\":\"b@example.org\","                \
	"\"text\":\"hi\","
	struct api_msg m;
	struct api_error e;

	(void)state;
	assert_int_equal(decode(REQ "\"send_at\":1893553445}", &m, &e), 0);
	assert_int_equal(m.meta.send_at, 1893553445);
	assert_false(m.meta.sandbox);
	api_msg_fini(&m);
	assert_int_equal(decode(REQ "\"send_at\":\"2030-01-02T05:04:05+02:00\","
	                            "\"sandbox\":true}",
	                        &m, &e),
	                 0);
	assert_int_equal(m.meta.send_at, 1893553445);
	assert_true(m.meta.sandbox);
	api_msg_fini(&m);
	refused(REQ "\"send_at\":\"tomorrow\"}", "invalid_field", "send_at");
	refused(REQ "\"send_at\":\"2030-02-30T00:00:00Z\"}", "invalid_field",
	        "send_at");
	refused(REQ "\"send_at\":-1}", "invalid_field", "send_at");
	refused(REQ "\"send_at\":1.5}", "invalid_field", "send_at");
	refused(REQ "\"send_at\":99999999999999}", "invalid_field", "send_at");
	refused(REQ "\"sandbox\":\"yes\"}", "invalid_field", "sandbox");
#undef REQ
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(minimal_message_decodes),
	    cmocka_unit_test(full_message_decodes),
	    cmocka_unit_test(malformed_json_is_refused),
	    cmocka_unit_test(duplicate_keys_are_refused),
	    cmocka_unit_test(deep_nesting_is_refused_before_parsing),
	    cmocka_unit_test(huge_arrays_are_refused),
	    cmocka_unit_test(cr_lf_nul_refused_in_every_header_field),
	    cmocka_unit_test(bad_addresses_are_refused),
	    cmocka_unit_test(unknown_missing_and_protected_fields_are_refused),
	    cmocka_unit_test(payload_hash_ignores_spacing_and_key_order),
	    cmocka_unit_test(batch_reports_errors_per_item),
	    cmocka_unit_test(batch_over_500_is_refused),
	    cmocka_unit_test(error_renders_as_json),
	    cmocka_unit_test(send_at_and_sandbox_decode_into_the_meta),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
