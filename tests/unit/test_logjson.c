/*
 * test_logjson.c - one JSON object per event: documented fields, levels,
 * secrets redacted, nothing written in text mode.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "config/config.h"
#include "core/log.h"
#include "observe/events.h"
#include "observe/logjson.h"

static struct logjson *
lj_make(void)
{
	static struct config_provider provs[2];
	static struct config cfg;

	memset(&cfg, 0, sizeof(cfg));
	memset(provs, 0, sizeof(provs));
	provs[0].name = "primary";
	provs[0].password = "hunter2-smtp-pass";
	provs[1].name = "backup";
	provs[1].api_key = "SG.secret-key";
	provs[1].password = "abc"; /* too short to redact words with */
	cfg.providers = provs;
	cfg.n_providers = 2;
	return logjson_new(&cfg);
}

/* line_of - the event's line parsed back. */
static json_t *
line_of(struct logjson *lj, const struct events_item *e)
{
	char *s = logjson_format(lj, e);
	json_t *o;

	assert_non_null(s);
	assert_null(strchr(s, '\n'));
	o = json_loads(s, 0, NULL);
	assert_non_null(o);
	free(s);
	return o;
}

static const char *
str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void
failover_line_has_the_documented_fields(void **state)
{
	struct logjson *lj = lj_make();
	struct events_item e = {.kind = EVENT_FAILOVER,
	                        .msg_id = "01ABC",
	                        .tenant = "app1",
	                        .stream = "transactional",
	                        .provider = "primary",
	                        .to_provider = "backup",
	                        .cls = SEND_DEFERRED,
	                        .text = "451 try later",
	                        .rcpts = 2};
	json_t *o = line_of(lj, &e);

	assert_string_equal(str(o, "event"), "failover");
	assert_string_equal(str(o, "level"), "warn");
	assert_string_equal(str(o, "msg_id"), "01ABC");
	assert_string_equal(str(o, "tenant"), "app1");
	assert_string_equal(str(o, "stream"), "transactional");
	assert_string_equal(str(o, "provider"), "primary");
	assert_string_equal(str(o, "to_provider"), "backup");
	assert_string_equal(str(o, "class"), "deferred");
	assert_string_equal(str(o, "text"), "451 try later");
	assert_int_equal(json_integer_value(json_object_get(o, "rcpts")), 2);
	assert_string_equal(str(o, "msg"),
	                    "failover primary -> backup (deferred)");
	assert_true(strlen(str(o, "ts")) == 24 && str(o, "ts")[23] == 'Z');
	/* The first keys come in the documented order. */
	assert_string_equal(json_object_iter_key(json_object_iter(o)), "ts");
	json_decref(o);
	logjson_free(lj);
}

static void
message_events_always_carry_id_and_tenant(void **state)
{
	struct logjson *lj = lj_make();
	struct events_item e = {.kind = EVENT_ACCEPTED,
	                        .msg_id = "01XYZ",
	                        .ingress = "smtp",
	                        .size = 1234};
	json_t *o = line_of(lj, &e);

	assert_string_equal(str(o, "msg_id"), "01XYZ");
	assert_true(json_is_null(json_object_get(o, "tenant")));
	assert_string_equal(str(o, "ingress"), "smtp");
	assert_int_equal(json_integer_value(json_object_get(o, "size")), 1234);
	assert_null(json_object_get(o, "class"));
	json_decref(o);
	logjson_free(lj);
}

static void
provider_events_have_no_message_fields(void **state)
{
	struct logjson *lj = lj_make();
	struct events_item e = {.kind = EVENT_CIRCUIT,
	                        .provider = "backup",
	                        .state = "open",
	                        .reason = "config: 535 auth failed",
	                        .cls = SEND_CONFIG};
	json_t *o = line_of(lj, &e);

	assert_string_equal(str(o, "event"), "circuit");
	assert_string_equal(str(o, "level"), "error"); /* config opened it */
	assert_string_equal(str(o, "state"), "open");
	assert_string_equal(str(o, "reason"), "config: 535 auth failed");
	assert_null(json_object_get(o, "msg_id"));
	assert_null(json_object_get(o, "tenant"));
	json_decref(o);
	e.state = "closed";
	o = line_of(lj, &e);
	assert_string_equal(str(o, "level"), "info");
	json_decref(o);
	logjson_free(lj);
}

static void
configured_secrets_are_redacted_from_free_text(void **state)
{
	struct logjson *lj = lj_make();
	struct events_item e = {
	    .kind = EVENT_ATTEMPT,
	    .msg_id = "01A",
	    .provider = "primary",
	    .cls = SEND_CONFIG,
	    .stage = SEND_STAGE_AUTH,
	    .duration_ms = 12,
	    .text = "535 bad password hunter2-smtp-pass for key "
	            "SG.secret-keySG.secret-key, abc stays"};
	char *s = logjson_format(lj, &e);
	json_t *o;

	assert_null(strstr(s, "hunter2"));
	assert_null(strstr(s, "SG.secret"));
	o = json_loads(s, 0, NULL);
	assert_string_equal(
	    str(o, "text"),
	    "535 bad password [redacted] for key [redacted][redacted], abc "
	    "stays");
	assert_string_equal(str(o, "stage"), "auth");
	assert_int_equal(json_integer_value(json_object_get(o, "duration_ms")),
	                 12);
	json_decref(o);
	free(s);
	logjson_free(lj);
}

static void
control_bytes_cannot_forge_a_line(void **state)
{
	struct logjson *lj = lj_make();
	struct events_item e = {.kind = EVENT_DEFERRED,
	                        .msg_id = "01A",
	                        .text = "x\n{\"level\":\"error\"}\r\"quoted\""};
	char *s = logjson_format(lj, &e);
	json_t *o;

	assert_null(strchr(s, '\n'));
	assert_null(strchr(s, '\r'));
	o = json_loads(s, 0, NULL);
	assert_string_equal(str(o, "text"), e.text);
	assert_string_equal(str(o, "level"), "warn");
	json_decref(o);
	free(s);
	logjson_free(lj);
}

static void
the_line_is_what_jansson_would_write(void **state)
{
	struct logjson *lj = lj_make();
	struct events_item e = {.kind = EVENT_ATTEMPT,
	                        .msg_id = "01A",
	                        .stream = "bulk",
	                        .provider = "primary",
	                        .cls = SEND_DEFERRED,
	                        .stage = SEND_STAGE_RCPT,
	                        .duration_ms = 1234567890123ULL,
	                        .rcpts = 3,
	                        .text = "451 \"caf\xc3\xa9\"\t\x01 \\ busy"};
	char *s = logjson_format(lj, &e), *again;
	json_t *o = json_loads(s, 0, NULL);

	/* Loaded and dumped again by jansson: the very same bytes. */
	assert_non_null(o);
	again = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(again, s);
	assert_string_equal(str(o, "text"), e.text);
	assert_string_equal(str(o, "msg_id"), "01A");
	assert_true(json_is_null(json_object_get(o, "tenant")));
	assert_int_equal(json_integer_value(json_object_get(o, "duration_ms")),
	                 1234567890123LL);
	/* The documented order. */
	assert_true(strstr(s, "{\"ts\":\"") == s);
	assert_true(strstr(s, "\"level\"") < strstr(s, "\"event\""));
	assert_true(strstr(s, "\"tenant\":null,\"stream\"") != NULL);
	assert_true(strstr(s, "\"rcpts\":3,\"text\"") != NULL);
	assert_true(strstr(s, "\"msg\":\"attempt via primary: deferred\"}") !=
	            NULL);
	free(again);
	json_decref(o);
	free(s);
	logjson_free(lj);
}

static void
text_that_is_not_utf8_is_replaced_not_dropped(void **state)
{
	struct logjson *lj = lj_make();
	struct events_item e = {
	    .kind = EVENT_DEFERRED, .msg_id = "01A", .text = "bad \xff\xfe"};
	char *s = logjson_format(lj, &e);
	json_t *o = json_loads(s, 0, NULL);

	assert_non_null(o);
	assert_string_equal(str(o, "text"), "[not utf-8]");
	assert_string_equal(str(o, "msg_id"), "01A");
	json_decref(o);
	free(s);
	logjson_free(lj);
}

/* capture - run logjson_on_event with stderr pointed at a pipe. */
static size_t
capture(struct logjson *lj, const struct events_item *e, char *out, size_t cap)
{
	int fds[2], saved;
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	saved = dup(STDERR_FILENO);
	dup2(fds[1], STDERR_FILENO);
	logjson_on_event(e, lj);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fds[1]);
	n = read(fds[0], out, cap - 1);
	close(fds[0]);
	out[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

static void
writes_one_line_only_in_json_format_and_respects_the_level(void **state)
{
	struct logjson *lj = lj_make();
	struct events_item ok = {
	    .kind = EVENT_PROBE, .provider = "primary", .cls = SEND_ACCEPTED};
	struct events_item sent = {
	    .kind = EVENT_SENT, .msg_id = "01A", .latency_ms = 250};
	char buf[4096];

	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	assert_int_equal(capture(lj, &sent, buf, sizeof(buf)), 0);
	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_JSON);
	assert_true(capture(lj, &sent, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"latency_ms\":250"));
	/* Exactly one line: its only newline is the last byte. */
	assert_ptr_equal(strchr(buf, '\n'), buf + strlen(buf) - 1);
	/* A successful probe is debug: not written at info. */
	assert_int_equal(capture(lj, &ok, buf, sizeof(buf)), 0);
	log_setup(LOG_LEVEL_DEBUG, LOG_FORMAT_JSON);
	assert_true(capture(lj, &ok, buf, sizeof(buf)) > 0);
	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	logjson_free(lj);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(failover_line_has_the_documented_fields),
	    cmocka_unit_test(message_events_always_carry_id_and_tenant),
	    cmocka_unit_test(provider_events_have_no_message_fields),
	    cmocka_unit_test(configured_secrets_are_redacted_from_free_text),
	    cmocka_unit_test(control_bytes_cannot_forge_a_line),
	    cmocka_unit_test(the_line_is_what_jansson_would_write),
	    cmocka_unit_test(text_that_is_not_utf8_is_replaced_not_dropped),
	    cmocka_unit_test(
	        writes_one_line_only_in_json_format_and_respects_the_level),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
