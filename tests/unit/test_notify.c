/*
 * test_notify.c - the notifiers' pure parts: webhook JSON and its
 * HMAC-SHA256 signature (against a value computed independently with
 * Python's hmac), Slack's text/blocks and escaping, Alertmanager's
 * labels and endsAt, the e-mail message, time text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>
#include <jansson.h>

#include "config/config.h"
#include "observe/notify.h"

#define T0 1700000000000LL /* 2023-11-14T22:13:20Z */

static struct alert_info
sample(void)
{
	struct alert_info a;

	memset(&a, 0, sizeof(a));
	a.rule = "queue_too_old";
	a.kind = "queue_age";
	a.severity = "critical";
	a.severity_level = CONFIG_SEVERITY_CRITICAL;
	a.stream = "transactional";
	a.state = ALERT_FIRING;
	a.since_ms = T0 - 60000;
	a.fired_ms = T0;
	a.value = 372;
	a.threshold = 300;
	a.summary = "stream transactional: oldest queued message is 6m12s "
	            "old (alert over 5m) <&>";
	return a;
}

static void
webhook_signature_matches_an_independent_hmac(void **state)
{
	char sig[NOTIFY_SIG_SIZE];

	notify_webhook_sign("s3cr3t", 1700000000, "{\"a\":1}", 7, sig);
	assert_string_equal(
	    sig,
	    "t=1700000000,v1=8dbbbbf4523b10bbb793e74d854144c45acccc2d233667b"
	    "1c06b805b6ded8a84");
	/* Another body, another timestamp: another signature. */
	notify_webhook_sign("s3cr3t", 1700000001, "{\"a\":1}", 7, sig);
	assert_null(strstr(sig, "8dbbbbf4"));
}

static void
webhook_body_carries_the_alert(void **state)
{
	struct alert_info a = sample();
	char *s = notify_webhook_body(&a, ALERT_CHANGE_FIRING, "mx1", T0);
	json_error_t e;
	json_t *o = json_loads(s, 0, &e), *al;

	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "version")), 1);
	assert_string_equal(json_string_value(json_object_get(o, "status")),
	                    "firing");
	assert_string_equal(json_string_value(json_object_get(o, "host")),
	                    "mx1");
	al = json_object_get(o, "alert");
	assert_string_equal(json_string_value(json_object_get(al, "id")),
	                    "queue_too_old/transactional");
	assert_string_equal(json_string_value(json_object_get(al, "severity")),
	                    "critical");
	assert_true(json_is_null(json_object_get(al, "provider")));
	assert_true(json_is_null(json_object_get(al, "resolved_at")));
	assert_string_equal(
	    json_string_value(json_object_get(al, "started_at")),
	    "2023-11-14T22:13:20.000Z");
	assert_true(json_real_value(json_object_get(al, "value")) == 372);
	json_decref(o);
	free(s);

	a.state = ALERT_RESOLVED;
	a.resolved_ms = T0 + 5000;
	s = notify_webhook_body(&a, ALERT_CHANGE_RESOLVED, "mx1", T0 + 5000);
	o = json_loads(s, 0, &e);
	assert_string_equal(json_string_value(json_object_get(o, "status")),
	                    "resolved");
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(o, "alert"), "resolved_at")),
	                    "2023-11-14T22:13:25.000Z");
	json_decref(o);
	free(s);
}

static void
slack_body_has_text_and_blocks_with_escaping(void **state)
{
	struct alert_info a = sample();
	char *s = notify_slack_body(&a, ALERT_CHANGE_FIRING, "mx1");
	json_error_t e;
	json_t *o = json_loads(s, 0, &e), *blocks;
	const char *text;

	assert_non_null(o);
	text = json_string_value(json_object_get(o, "text"));
	assert_non_null(text);
	assert_non_null(strstr(text, "[CRITICAL] FIRING queue_too_old"));
	assert_non_null(strstr(text, "&lt;&amp;&gt;"));
	blocks = json_object_get(o, "blocks");
	assert_int_equal(json_array_size(blocks), 2);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(blocks, 0), "type")),
	                    "section");
	assert_non_null(strstr(
	    json_string_value(json_object_get(
	        json_object_get(json_array_get(blocks, 0), "text"), "text")),
	    "`queue_too_old`"));
	json_decref(o);
	free(s);

	s = notify_slack_body(&a, ALERT_CHANGE_RESOLVED, "mx1");
	assert_non_null(strstr(s, "[CRITICAL] RESOLVED"));
	free(s);
}

static void
alertmanager_body_labels_and_ends_at(void **state)
{
	struct alert_info a = sample();
	char *s = notify_alertmanager_body(&a, ALERT_CHANGE_FIRING, "mx1", T0);
	json_error_t e;
	json_t *arr = json_loads(s, 0, &e), *al, *labels;
	char *url;

	assert_true(json_is_array(arr));
	assert_int_equal(json_array_size(arr), 1);
	al = json_array_get(arr, 0);
	labels = json_object_get(al, "labels");
	assert_string_equal(
	    json_string_value(json_object_get(labels, "alertname")),
	    "queue_too_old");
	assert_string_equal(
	    json_string_value(json_object_get(labels, "stream")),
	    "transactional");
	assert_null(json_object_get(labels, "provider"));
	assert_string_equal(json_string_value(json_object_get(al, "startsAt")),
	                    "2023-11-14T22:13:20.000Z");
	/* Firing: ends in the future, so it lives until refreshed. */
	assert_string_equal(json_string_value(json_object_get(al, "endsAt")),
	                    "2023-11-14T22:17:20.000Z");
	assert_non_null(
	    json_object_get(json_object_get(al, "annotations"), "summary"));
	json_decref(arr);
	free(s);

	s = notify_alertmanager_body(&a, ALERT_CHANGE_RESOLVED, "mx1",
	                             T0 + 7000);
	arr = json_loads(s, 0, &e);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(arr, 0), "endsAt")),
	                    "2023-11-14T22:13:27.000Z");
	json_decref(arr);
	free(s);

	url = notify_alertmanager_url("http://127.0.0.1:9093//");
	assert_string_equal(url, "http://127.0.0.1:9093/api/v2/alerts");
	free(url);
}

static void
email_message_has_headers_and_summary(void **state)
{
	struct alert_info a = sample();
	char *to[] = {"oncall@example.com", "ops@example.com"};
	struct config_notify t;
	struct buf b;
	const char *m;

	memset(&t, 0, sizeof(t));
	t.type = CONFIG_NOTIFY_EMAIL;
	t.to = to;
	t.n_to = 2;
	t.from = "swerve@example.com";
	buf_init(&b);
	notify_email_build(&t, &a, ALERT_CHANGE_FIRING, "mx1", T0, &b);
	m = buf_cstr(&b);
	assert_non_null(strstr(m, "From: swerve@example.com\r\n"));
	assert_non_null(
	    strstr(m, "To: oncall@example.com, ops@example.com\r\n"));
	assert_non_null(strstr(m, "Subject: [swerve CRITICAL] FIRING "
	                          "queue_too_old (stream transactional)\r\n"));
	assert_non_null(strstr(m, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"));
	assert_non_null(strstr(m, "Auto-Submitted: auto-generated\r\n"));
	assert_non_null(strstr(m, "\r\n\r\nstream transactional: oldest"));
	/* No bare LF anywhere. */
	{
		size_t i;
		for (i = 0; i < b.len; i++)
			if (m[i] == '\n')
				assert_true(i > 0 && m[i - 1] == '\r');
	}
	buf_fini(&b);
}

static void
stop_loop(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(arg);
}

static void
full_queue_drops_oldest_and_free_cancels(void **state)
{
	const char *yaml =
	    "alerts:\n  notify:\n"
	    "    - {type: webhook, url: \"http://127.0.0.1:1/h\"}\n";
	char err[CONFIG_ERR_SIZE];
	struct config *c =
	    config_load_buf(yaml, strlen(yaml), "t.yaml", err, sizeof(err));
	struct event_base *base = event_base_new();
	struct notify_opts o;
	struct notify_stats st;
	struct alert_info a = sample();
	struct notify *n;
	struct timeval tv = {1, 0};
	int i;

	assert_non_null(c);
	memset(&o, 0, sizeof(o));
	o.base = base;
	o.cfg = c;
	o.hostname = "mx1";
	o.backoff_min_ms = 3600 * 1000; /* no retry inside the test */
	n = notify_new(&o);
	assert_non_null(n);
	for (i = 0; i < NOTIFY_QUEUE_MAX + 50; i++)
		notify_alert(n, &a, ALERT_CHANGE_REPEAT);
	notify_stats_get(n, &st);
	assert_true(st.queued <= NOTIFY_QUEUE_MAX);
	assert_true(st.dropped >= 50);
	/* Let the refused connections fail: they are retried, not lost. */
	event_base_once(base, -1, EV_TIMEOUT, stop_loop, base, &tv);
	event_base_dispatch(base);
	notify_stats_get(n, &st);
	assert_int_equal(st.sent, 0);
	assert_true(st.retries >= 1);
	assert_int_equal(st.failed, 0);
	notify_free(n);
	event_base_free(base);
	config_free(c);
}

/* A fleet whose answer the test gives: the last claim's key and done. */
static char fleet_key[160], fleet_released[160];
static notify_claim_done *fleet_done;
static void *fleet_token;

static void
fleet_claim(void *arg, const char *key, notify_claim_done *done, void *token)
{
	snprintf(fleet_key, sizeof(fleet_key), "%s", key);
	fleet_done = done;
	fleet_token = token;
}

static void
fleet_release(void *arg, const char *key)
{
	snprintf(fleet_released, sizeof(fleet_released), "%s", key);
}

static void
fleet_gate_holds_then_sends_or_drops(void **state)
{
	const char *yaml =
	    "alerts:\n  notify:\n"
	    "    - {type: webhook, url: \"http://127.0.0.1:1/h\"}\n";
	char err[CONFIG_ERR_SIZE];
	struct config *c =
	    config_load_buf(yaml, strlen(yaml), "t.yaml", err, sizeof(err));
	struct event_base *base = event_base_new();
	struct notify_fleet f = {.claim = fleet_claim,
	                         .release = fleet_release};
	struct notify_opts o;
	struct notify_stats st;
	struct alert_info a = sample();
	struct notify *n;

	assert_non_null(c);
	memset(&o, 0, sizeof(o));
	o.base = base;
	o.cfg = c;
	o.backoff_min_ms = 3600 * 1000;
	n = notify_new(&o);
	assert_non_null(n);
	notify_fleet_set(n, &f);
	/* Lost: the firing is held, then dropped; its resolve is not ours. */
	notify_alert(n, &a, ALERT_CHANGE_FIRING);
	assert_string_equal(fleet_key, "queue_too_old transactional");
	notify_stats_get(n, &st);
	assert_int_equal(st.queued, 1);
	fleet_done(false, fleet_token);
	notify_stats_get(n, &st);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.deduped, 1);
	notify_alert(n, &a, ALERT_CHANGE_RESOLVED);
	notify_stats_get(n, &st);
	assert_int_equal(st.queued, 0);
	assert_string_equal(fleet_released, "");
	/* Won: the firing goes, repeats go unasked, the resolve goes and
	 * lets the claim lapse. */
	fleet_key[0] = '\0';
	notify_alert(n, &a, ALERT_CHANGE_FIRING);
	fleet_done(true, fleet_token);
	notify_stats_get(n, &st);
	assert_int_equal(st.queued, 1);
	fleet_key[0] = '\0';
	notify_alert(n, &a, ALERT_CHANGE_REPEAT);
	assert_string_equal(fleet_key, "");
	notify_alert(n, &a, ALERT_CHANGE_RESOLVED);
	notify_stats_get(n, &st);
	assert_int_equal(st.queued, 3);
	assert_string_equal(fleet_released, "queue_too_old transactional");
	/* An answer after free frees its gate and touches nothing. */
	notify_alert(n, &a, ALERT_CHANGE_FIRING);
	notify_free(n);
	fleet_done(true, fleet_token);
	event_base_free(base);
	config_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(webhook_signature_matches_an_independent_hmac),
	    cmocka_unit_test(webhook_body_carries_the_alert),
	    cmocka_unit_test(slack_body_has_text_and_blocks_with_escaping),
	    cmocka_unit_test(alertmanager_body_labels_and_ends_at),
	    cmocka_unit_test(email_message_has_headers_and_summary),
	    cmocka_unit_test(full_queue_drops_oldest_and_free_cancels),
	    cmocka_unit_test(fleet_gate_holds_then_sends_or_drops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
