/*
 * test_alert.c - the alert rule engine with a fake clock: for durations,
 * hysteresis, resolve, repeat suppression, and each rule kind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "observe/alert.h"
#include "observe/events.h"

#define SEC 1000LL
#define MIN (60 * SEC)
#define T0 (1700000000000LL) /* a Tuesday, 22:13:20 UTC */

/* What the engine told us. */
struct told {
	int firing, repeat, resolved;
	char last_rule[64], last_subject[64], last_summary[320];
	enum alert_change last;
	double last_value;
};

/* The world the rules look at. */
struct world {
	struct config *cfg;
	struct alert *a;
	struct told told;
	struct alert_provider_view provs[3];
	struct alert_stream_view streams[2];
	const char *tx_provs[2];
	struct alert_snapshot snap;
	int64_t now;
};

static void
on_alert(const struct alert_info *a, enum alert_change ch, void *arg)
{
	struct told *t = arg;

	if (ch == ALERT_CHANGE_FIRING)
		t->firing++;
	else if (ch == ALERT_CHANGE_REPEAT)
		t->repeat++;
	else
		t->resolved++;
	t->last = ch;
	snprintf(t->last_rule, sizeof(t->last_rule), "%s", a->rule);
	snprintf(t->last_subject, sizeof(t->last_subject), "%s",
	         a->provider ? a->provider
	         : a->stream ? a->stream
	                     : "-");
	snprintf(t->last_summary, sizeof(t->last_summary), "%s", a->summary);
	t->last_value = a->value;
	assert_true(ch != ALERT_CHANGE_RESOLVED || a->state == ALERT_RESOLVED);
	assert_true(ch != ALERT_CHANGE_RESOLVED || a->resolved_ms > 0);
}

/* world_new - a config from yaml (its rules), providers a, b, c all
 * closed, streams transactional (a, b) and bulk (any). */
static struct world *
world_new(const char *yaml)
{
	struct world *w = calloc(1, sizeof(*w));
	char err[CONFIG_ERR_SIZE];

	w->cfg =
	    config_load_buf(yaml, strlen(yaml), "t.yaml", err, sizeof(err));
	if (w->cfg == NULL)
		fail_msg("config: %s", err);
	w->a = alert_new(w->cfg, on_alert, &w->told);
	w->provs[0] =
	    (struct alert_provider_view){.name = "a", .mode = "closed"};
	w->provs[1] =
	    (struct alert_provider_view){.name = "b", .mode = "closed"};
	w->provs[2] =
	    (struct alert_provider_view){.name = "c", .mode = "closed"};
	w->tx_provs[0] = "a";
	w->tx_provs[1] = "b";
	w->streams[0].name = "transactional";
	w->streams[0].providers = w->tx_provs;
	w->streams[0].n_providers = 2;
	w->streams[1].name = "bulk";
	w->snap.provs = w->provs;
	w->snap.n_provs = 3;
	w->snap.streams = w->streams;
	w->snap.n_streams = 2;
	w->now = T0;
	return w;
}

static void
world_free(struct world *w)
{
	alert_free(w->a);
	config_free(w->cfg);
	free(w);
}

/* world_run - evaluate every `step` ms for `span` ms. */
static void
world_run(struct world *w, int64_t span, int64_t step)
{
	int64_t end = w->now + span;

	while (w->now < end) {
		w->now += step;
		alert_eval(w->a, &w->snap, w->now);
	}
}

static void
world_event(struct world *w, enum event_kind kind, const char *prov,
            const char *state, enum send_class cls, const char *text)
{
	struct events_item e;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.at_ms = w->now;
	e.provider = prov;
	e.to_provider = "b";
	e.state = state;
	e.cls = cls;
	e.text = text;
	e.reason = text;
	alert_event(w->a, &e);
}

#define RULES(body) "alerts:\n  rules:\n" body
#define PROVIDERS                                                              \
	"providers:\n"                                                         \
	"  - {name: a, type: smtp, host: 127.0.0.1}\n"                         \
	"  - {name: b, type: smtp, host: 127.0.0.1}\n"                         \
	"  - {name: c, type: smtp, host: 127.0.0.1}\n"                         \
	"streams:\n"                                                           \
	"  transactional: {providers: [a, b]}\n"                               \
	"  bulk: {}\n"

static void
circuit_open_fires_at_once_and_resolves_after_clear_for(void **state)
{
	struct world *w = world_new(PROVIDERS RULES(
	    "    - {name: circuit_open, for: 0s, clear_for: 30s}\n"));

	world_run(w, 5 * SEC, SEC);
	assert_int_equal(w->told.firing, 0);
	w->provs[0].mode = "open";
	w->provs[0].reason = "3 failures in a row";
	world_run(w, SEC, SEC);
	assert_int_equal(w->told.firing, 1);
	assert_string_equal(w->told.last_subject, "a");
	assert_non_null(strstr(w->told.last_summary, "3 failures in a row"));
	assert_int_equal(alert_active_count(w->a), 1);
	/* Half-open is not yet clear (hysteresis). */
	w->provs[0].mode = "half-open";
	world_run(w, 60 * SEC, SEC);
	assert_int_equal(w->told.resolved, 0);
	w->provs[0].mode = "closed";
	world_run(w, 29 * SEC, SEC);
	assert_int_equal(w->told.resolved, 0);
	world_run(w, 2 * SEC, SEC);
	assert_int_equal(w->told.resolved, 1);
	assert_int_equal(w->told.firing, 1);
	assert_int_equal(alert_active_count(w->a), 0);
	world_free(w);
}

static void
condition_shorter_than_for_never_fires(void **state)
{
	struct world *w =
	    world_new(PROVIDERS RULES("    - {name: circuit_open, for: 1m}\n"));
	struct alert_info info;

	w->provs[1].mode = "open";
	world_run(w, 59 * SEC, SEC);
	assert_int_equal(w->told.firing, 0);
	assert_int_equal(alert_active_count(w->a), 1);
	alert_active_get(w->a, 0, &info);
	assert_int_equal(info.state, ALERT_PENDING);
	assert_int_equal(info.fired_ms, 0);
	w->provs[1].mode = "closed";
	world_run(w, SEC, SEC);
	assert_int_equal(alert_active_count(w->a), 0);
	/* Open again: `for` counts from the new start. */
	w->provs[1].mode = "open";
	world_run(w, 30 * SEC, SEC);
	assert_int_equal(w->told.firing, 0);
	world_run(w, 31 * SEC, SEC);
	assert_int_equal(w->told.firing, 1);
	alert_active_get(w->a, 0, &info);
	assert_int_equal(info.state, ALERT_FIRING);
	assert_true(info.fired_ms - info.since_ms >= MIN);
	assert_string_equal(info.severity, "warning");
	world_free(w);
}

static void
flapping_inside_clear_for_neither_resolves_nor_refires(void **state)
{
	struct world *w = world_new(
	    PROVIDERS RULES("    - {name: circuit_open, clear_for: 1m}\n"));
	int i;

	for (i = 0; i < 10; i++) {
		w->provs[2].mode = "open";
		world_run(w, 10 * SEC, SEC);
		w->provs[2].mode = "closed";
		world_run(w, 50 * SEC, SEC);
	}
	assert_int_equal(w->told.firing, 1);
	assert_int_equal(w->told.resolved, 0);
	world_run(w, 15 * SEC, SEC);
	assert_int_equal(w->told.resolved, 1);
	world_free(w);
}

static void
repeats_are_suppressed_until_the_repeat_interval(void **state)
{
	struct world *w = world_new(PROVIDERS RULES(
	    "    - {name: circuit_open, repeat_interval: 10m}\n"));

	w->provs[0].mode = "open";
	world_run(w, 9 * MIN, SEC);
	assert_int_equal(w->told.firing, 1);
	assert_int_equal(w->told.repeat, 0);
	world_run(w, 2 * MIN, SEC);
	assert_int_equal(w->told.repeat, 1);
	assert_int_equal(w->told.last, ALERT_CHANGE_REPEAT);
	world_run(w, 10 * MIN, SEC);
	assert_int_equal(w->told.repeat, 2);
	world_free(w);
}

static void
global_repeat_interval_applies_and_zero_means_never(void **state)
{
	struct world *w = world_new(PROVIDERS "alerts:\n"
	                                      "  repeat_interval: 0s\n"
	                                      "  rules:\n"
	                                      "    - {name: circuit_open}\n");

	w->provs[0].mode = "open";
	world_run(w, 3 * 3600 * SEC, 10 * SEC);
	assert_int_equal(w->told.firing, 1);
	assert_int_equal(w->told.repeat, 0);
	world_free(w);
}

static void
provider_filter_limits_the_rule_to_one_provider(void **state)
{
	struct world *w = world_new(
	    PROVIDERS RULES("    - {name: circuit_open, provider: b}\n"));

	w->provs[0].mode = "open";
	world_run(w, 5 * SEC, SEC);
	assert_int_equal(w->told.firing, 0);
	w->provs[1].mode = "open";
	world_run(w, 5 * SEC, SEC);
	assert_int_equal(w->told.firing, 1);
	assert_string_equal(w->told.last_subject, "b");
	world_free(w);
}

static void
stream_unusable_when_all_its_providers_are_down(void **state)
{
	struct world *w = world_new(PROVIDERS RULES(
	    "    - {name: stream_unusable, for: 10s, severity: critical}\n"));

	w->provs[0].mode = "open";
	world_run(w, 20 * SEC, SEC);
	assert_int_equal(w->told.firing, 0);
	w->provs[1].mode = "paused";
	world_run(w, 9 * SEC, SEC);
	assert_int_equal(w->told.firing, 0);
	world_run(w, 2 * SEC, SEC);
	assert_int_equal(w->told.firing, 1);
	assert_string_equal(w->told.last_subject, "transactional");
	assert_non_null(strstr(w->told.last_summary, "a open, b paused"));
	/* bulk may use any provider: c was its last one. */
	w->provs[2].mode = "open";
	world_run(w, 11 * SEC, SEC);
	assert_int_equal(w->told.firing, 2);
	assert_string_equal(w->told.last_subject, "bulk");
	w->provs[1].mode = "half-open";
	world_run(w, 31 * SEC, SEC);
	assert_int_equal(w->told.resolved, 2);
	world_free(w);
}

static void
failover_is_an_info_alert_that_resolves_when_quiet(void **state)
{
	struct world *w = world_new(PROVIDERS RULES(
	    "    - {name: failover, severity: info, window: 2m, "
	    "clear_for: 0s}\n"));
	struct alert_info info;

	world_event(w, EVENT_FAILOVER, "a", NULL, SEND_DEFERRED,
	            "421 try later");
	world_run(w, SEC, SEC);
	assert_int_equal(w->told.firing, 1);
	assert_string_equal(w->told.last_subject, "a");
	assert_non_null(strstr(w->told.last_summary, "from provider a to b"));
	assert_non_null(strstr(w->told.last_summary, "421 try later"));
	alert_active_get(w->a, 0, &info);
	assert_string_equal(info.severity, "info");
	assert_string_equal(info.kind, "failover");
	/* More failovers keep it open; no second notification. */
	world_run(w, MIN, SEC);
	world_event(w, EVENT_FAILOVER, "a", NULL, SEND_DEFERRED, "again");
	world_run(w, 110 * SEC, SEC);
	assert_int_equal(w->told.resolved, 0);
	world_run(w, 11 * SEC, SEC);
	assert_int_equal(w->told.resolved, 1);
	assert_int_equal(w->told.firing, 1);
	assert_true(w->told.last_value >= 2);
	world_free(w);
}

static void
queue_age_fires_over_threshold_and_clears_with_hysteresis(void **state)
{
	struct world *w = world_new(PROVIDERS RULES(
	    "    - {name: queue_too_old, stream: transactional, "
	    "oldest_age_over: 5m, for: 1m, clear_for: 0s, hysteresis: 20%, "
	    "severity: critical}\n"));

	w->streams[0].oldest_ms = T0;
	w->streams[1].oldest_ms = T0 - 3600 * SEC; /* not this rule's */
	world_run(w, 5 * MIN, SEC);
	assert_int_equal(w->told.firing, 0);
	world_run(w, 61 * SEC, SEC);
	assert_int_equal(w->told.firing, 1);
	assert_string_equal(w->told.last_subject, "transactional");
	assert_non_null(strstr(w->told.last_summary, "6m"));
	/* Dips just under the threshold: 4m30s is above 4m (5m - 20%). */
	w->streams[0].oldest_ms = w->now - (4 * MIN + 30 * SEC);
	world_run(w, SEC, SEC);
	assert_int_equal(w->told.resolved, 0);
	w->streams[0].oldest_ms = w->now - 3 * MIN;
	world_run(w, SEC, SEC);
	assert_int_equal(w->told.resolved, 1);
	/* An empty queue is not old. */
	w->streams[0].oldest_ms = 0;
	world_run(w, 10 * MIN, SEC);
	assert_int_equal(w->told.firing, 1);
	world_free(w);
}

static void
deferred_over_fires_per_stream(void **state)
{
	struct world *w = world_new(PROVIDERS RULES(
	    "    - {name: deferred_high, deferred_over: 100, for: 0s, "
	    "clear_for: 10s}\n"));

	w->streams[1].deferred = 100;
	world_run(w, 5 * SEC, SEC);
	assert_int_equal(w->told.firing, 0);
	w->streams[1].deferred = 101;
	world_run(w, SEC, SEC);
	assert_int_equal(w->told.firing, 1);
	assert_string_equal(w->told.last_subject, "bulk");
	assert_true(w->told.last_value == 101);
	w->streams[1].deferred = 90;
	world_run(w, 60 * SEC, SEC);
	assert_int_equal(w->told.resolved, 0);
	w->streams[1].deferred = 70;
	world_run(w, 11 * SEC, SEC);
	assert_int_equal(w->told.resolved, 1);
	world_free(w);
}

/* learn - days of minutes with per_min sends/minute on every stream. */
static void
learn(struct world *w, int days, uint64_t per_min)
{
	int64_t end = w->now + days * 24 * 60 * MIN;

	while (w->now < end) {
		w->now += MIN;
		w->streams[0].sent_total += per_min;
		w->streams[1].sent_total += per_min;
		alert_eval(w->a, &w->snap, w->now);
	}
}

static void
rate_drop_fires_below_the_same_hours_usual_rate(void **state)
{
	struct world *w = world_new(PROVIDERS RULES(
	    "    - {name: rate_drop, stream: transactional, rate_below: 25%, "
	    "window: 10m, for: 5m, clear_for: 0s}\n"));

	/* Two days of history are not enough to judge. */
	learn(w, 2, 100);
	w->now += 0;
	{
		int i;
		for (i = 0; i < 30; i++) {
			w->now += MIN;
			alert_eval(w->a, &w->snap, w->now);
		}
	}
	assert_int_equal(w->told.firing, 0);
	learn(w, 2, 100);
	/* A drop to 10/min, judged over 10 minutes, held for 5. */
	{
		int i;
		for (i = 0; i < 20; i++) {
			w->now += MIN;
			w->streams[0].sent_total += 10;
			w->streams[1].sent_total += 100;
			alert_eval(w->a, &w->snap, w->now);
		}
	}
	assert_int_equal(w->told.firing, 1);
	assert_string_equal(w->told.last_subject, "transactional");
	assert_non_null(strstr(w->told.last_summary, "usual"));
	/* Back to normal: resolves once the window's mean recovers. */
	learn(w, 0, 0);
	{
		int i;
		for (i = 0; i < 15; i++) {
			w->now += MIN;
			w->streams[0].sent_total += 100;
			w->streams[1].sent_total += 100;
			alert_eval(w->a, &w->snap, w->now);
		}
	}
	assert_int_equal(w->told.resolved, 1);
	world_free(w);
}

static void
rate_drop_silent_in_quiet_hours(void **state)
{
	struct world *w = world_new(PROVIDERS RULES(
	    "    - {name: rate_drop, rate_below: 50%, window: 5m, for: 0s}\n"));
	int i;

	learn(w, 4, 0);
	for (i = 0; i < 60; i++) {
		w->now += MIN;
		alert_eval(w->a, &w->snap, w->now);
	}
	assert_int_equal(w->told.firing, 0);
	world_free(w);
}

static void
provider_config_error_from_circuit_event_until_closed(void **state)
{
	struct world *w = world_new(
	    PROVIDERS RULES("    - {name: provider_config, clear_for: 0s, "
	                    "severity: critical}\n"));

	/* An ordinary open is not a config fault. */
	world_event(w, EVENT_CIRCUIT, "a", "open", SEND_DEFERRED, "timeouts");
	world_run(w, 2 * SEC, SEC);
	assert_int_equal(w->told.firing, 0);
	world_event(w, EVENT_CIRCUIT, "a", "open", SEND_CONFIG,
	            "535 authentication failed");
	world_run(w, SEC, SEC);
	assert_int_equal(w->told.firing, 1);
	assert_non_null(strstr(w->told.last_summary, "535 authentication"));
	world_event(w, EVENT_CIRCUIT, "a", "half-open", SEND_ACCEPTED, NULL);
	world_run(w, 5 * SEC, SEC);
	assert_int_equal(w->told.resolved, 0);
	world_event(w, EVENT_CIRCUIT, "a", "closed", SEND_ACCEPTED, NULL);
	world_run(w, SEC, SEC);
	assert_int_equal(w->told.resolved, 1);
	/* A probe that finds the account paused; an accepted one clears. */
	world_event(w, EVENT_PROBE, "c", NULL, SEND_CONFIG, "account paused");
	world_run(w, SEC, SEC);
	assert_int_equal(w->told.firing, 2);
	assert_string_equal(w->told.last_subject, "c");
	world_event(w, EVENT_PROBE, "c", NULL, SEND_ACCEPTED, NULL);
	world_run(w, SEC, SEC);
	assert_int_equal(w->told.resolved, 2);
	world_free(w);
}

static void
disk_low_fires_and_resolves(void **state)
{
	struct world *w = world_new(
	    PROVIDERS RULES("    - {name: disk_low, clear_for: 5s}\n"));
	struct alert_info info;

	w->snap.disk_low = true;
	world_run(w, SEC, SEC);
	assert_int_equal(w->told.firing, 1);
	alert_active_get(w->a, 0, &info);
	assert_null(info.provider);
	assert_null(info.stream);
	assert_string_equal(info.kind, "disk_low");
	w->snap.disk_low = false;
	world_run(w, 6 * SEC, SEC);
	assert_int_equal(w->told.resolved, 1);
	world_free(w);
}

static void
spool_damaged_fires_while_the_spool_says_so(void **state)
{
	struct world *w = world_new(
	    PROVIDERS RULES("    - {name: spool_damaged, clear_for: 5s}\n"));
	struct alert_info info;

	world_run(w, SEC, SEC);
	assert_int_equal(w->told.firing, 0);
	w->snap.spool_damaged = true;
	world_run(w, SEC, SEC);
	assert_int_equal(w->told.firing, 1);
	alert_active_get(w->a, 0, &info);
	assert_string_equal(info.kind, "spool_damaged");
	world_free(w);
}

static void
vanished_subject_resolves(void **state)
{
	struct world *w = world_new(
	    PROVIDERS RULES("    - {name: circuit_open, clear_for: 3s}\n"));

	w->provs[2].mode = "open";
	world_run(w, SEC, SEC);
	assert_int_equal(w->told.firing, 1);
	w->snap.n_provs = 2; /* c is gone from the snapshot */
	world_run(w, 4 * SEC, SEC);
	assert_int_equal(w->told.resolved, 1);
	assert_int_equal(alert_active_count(w->a), 0);
	world_free(w);
}

static void
bounce_rate_fires_at_the_level_only_with_min_volume(void **state)
{
	struct world *w = world_new(PROVIDERS "rates: {min_volume: 50}\n" RULES(
	    "    - {name: bounce_rate, for: 0s, clear_for: 0s}\n"
	    "    - {name: bounce_rate_critical, kind: bounce_rate, "
	    "severity: critical, for: 0s, clear_for: 0s}\n"
	    "    - {name: complaints, kind: complaint_rate, for: 0s, "
	    "clear_for: 0s}\n"
	    "    - {name: strict, kind: bounce_rate, ratio_over: 2%, "
	    "provider: b, for: 0s, clear_for: 0s}\n"));

	/* 49 sends, 10 bounces: too few to judge. */
	w->provs[0].sends_24h = 49;
	w->provs[0].hard_bounces_24h = 10;
	world_run(w, 2 * SEC, SEC);
	assert_int_equal(w->told.firing, 0);
	/* 100 sends, 4.9%: below the 5% warning. */
	w->provs[0].sends_24h = 1000;
	w->provs[0].hard_bounces_24h = 49;
	world_run(w, 2 * SEC, SEC);
	assert_int_equal(w->told.firing, 0);
	/* Exactly 5%: the warning rule fires, not the critical one. */
	w->provs[0].hard_bounces_24h = 50;
	world_run(w, 2 * SEC, SEC);
	assert_int_equal(w->told.firing, 1);
	assert_string_equal(w->told.last_rule, "bounce_rate");
	assert_string_equal(w->told.last_subject, "a");
	assert_true(w->told.last_value == 0.05);
	assert_non_null(strstr(w->told.last_summary,
	                       "bounce rate 5.00% over the last 24h (50 of "
	                       "1000 sends; alert at 5%)"));
	/* 10%: critical too. */
	w->provs[0].hard_bounces_24h = 100;
	world_run(w, 2 * SEC, SEC);
	assert_int_equal(w->told.firing, 2);
	assert_string_equal(w->told.last_rule, "bounce_rate_critical");
	/* A provider rule with its own level. */
	w->provs[1].sends_24h = 100;
	w->provs[1].hard_bounces_24h = 2;
	world_run(w, 2 * SEC, SEC);
	assert_int_equal(w->told.firing, 3);
	assert_string_equal(w->told.last_rule, "strict");
	/* Complaints: 1 in 1000 is 0.1%. */
	w->provs[2].sends_24h = 1000;
	w->provs[2].complaints_24h = 1;
	world_run(w, 2 * SEC, SEC);
	assert_int_equal(w->told.firing, 4);
	assert_string_equal(w->told.last_rule, "complaints");
	/* Diluted below the hysteresis (4%): the warning resolves, the
	 * critical one too. */
	w->provs[0].sends_24h = 2600;
	world_run(w, 2 * SEC, SEC);
	assert_int_equal(w->told.resolved, 2);
	assert_int_equal(alert_active_count(w->a), 2);
	world_free(w);
}

static void
default_rules_cover_every_kind(void **state)
{
	struct config *c = config_defaults();
	bool seen[CONFIG_ALERT_KIND_COUNT] = {0};
	size_t i;

	/* The ratio kinds ship a warning and a critical rule each. */
	assert_int_equal(c->n_alert_rules, CONFIG_ALERT_KIND_COUNT + 2);
	for (i = 0; i < c->n_alert_rules; i++)
		seen[c->alert_rules[i].kind] = true;
	for (i = 0; i < CONFIG_ALERT_KIND_COUNT; i++)
		assert_true(seen[i]);
	assert_int_equal(c->alert_rules[2].severity, CONFIG_SEVERITY_INFO);
	assert_string_equal(c->alert_rules[10].name, "bounce_rate_critical");
	assert_int_equal(c->alert_rules[10].severity, CONFIG_SEVERITY_CRITICAL);
	/* SES's published levels. */
	assert_true(c->rates_bounce_warning == 0.05);
	assert_true(c->rates_bounce_critical == 0.10);
	assert_true(c->rates_complaint_warning == 0.001);
	assert_true(c->rates_complaint_critical == 0.005);
	assert_int_equal(c->rates_min_volume, 100);
	config_free(c);
}

static void
config_infers_kind_and_refuses_bad_rules(void **state)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c;
	const char *y1 = "alerts:\n  rules:\n"
	                 "    - {name: q, oldest_age_over: 5m}\n"
	                 "    - {name: d, deferred_over: 10}\n"
	                 "    - {name: disk_low}\n";
	const char *bad[] = {
	    "alerts:\n  rules:\n    - {name: mystery}\n",
	    "alerts:\n  rules:\n    - {name: q, kind: queue_age}\n",
	    "alerts:\n  rules:\n    - {name: x, kind: disk_low}\n"
	    "    - {name: x, kind: disk_low}\n",
	    "alerts:\n  rules:\n    - {name: q, oldest_age_over: 5m, "
	    "stream: nope}\n",
	    "alerts:\n  rules:\n    - {name: c, kind: circuit_open, "
	    "provider: nope}\n",
	    "alerts:\n  notify:\n    - {type: webhook}\n",
	    "alerts:\n  notify:\n    - {type: slack, url: \"ftp://x\"}\n",
	    "alerts:\n  notify:\n    - {type: email, to: [a@b.c]}\n",
	    "alerts:\n  notify:\n    - {type: pager, url: \"http://x\"}\n",
	};
	size_t i;

	c = config_load_buf(y1, strlen(y1), "t.yaml", err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(c->n_alert_rules, 3);
	assert_int_equal(c->alert_rules[0].kind, CONFIG_ALERT_QUEUE_AGE);
	assert_int_equal(c->alert_rules[1].kind, CONFIG_ALERT_DEFERRED);
	assert_int_equal(c->alert_rules[2].kind, CONFIG_ALERT_DISK_LOW);
	config_free(c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = config_load_buf(bad[i], strlen(bad[i]), "t.yaml", err,
		                    sizeof(err));
		if (c != NULL)
			fail_msg("accepted bad config %zu", i);
		assert_non_null(strstr(err, "alerts."));
	}
}

static void
config_notify_secret_is_read_and_never_in_messages(void **state)
{
	char err[CONFIG_ERR_SIZE], path[] = "/tmp/test_alert_secretXXXXXX";
	char yaml[512];
	struct config *c;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s3cr3t-hook\n", 12), 12);
	close(fd);
	snprintf(yaml, sizeof(yaml),
	         "alerts:\n  notify:\n"
	         "    - {type: webhook, url: \"http://127.0.0.1:9/h\", "
	         "secret_file: \"%s\"}\n"
	         "    - {type: email, to: [ops@example.com], from: "
	         "swerve@example.com, min_severity: warning}\n",
	         path);
	c = config_load_buf(yaml, strlen(yaml), "t.yaml", err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(c->n_alert_notify, 2);
	assert_string_equal(c->alert_notify[0].secret, "s3cr3t-hook");
	assert_int_equal(c->alert_notify[1].type, CONFIG_NOTIFY_EMAIL);
	assert_int_equal(c->alert_notify[1].min_severity,
	                 CONFIG_SEVERITY_WARNING);
	config_free(c);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        circuit_open_fires_at_once_and_resolves_after_clear_for),
	    cmocka_unit_test(condition_shorter_than_for_never_fires),
	    cmocka_unit_test(
	        flapping_inside_clear_for_neither_resolves_nor_refires),
	    cmocka_unit_test(repeats_are_suppressed_until_the_repeat_interval),
	    cmocka_unit_test(
	        global_repeat_interval_applies_and_zero_means_never),
	    cmocka_unit_test(provider_filter_limits_the_rule_to_one_provider),
	    cmocka_unit_test(stream_unusable_when_all_its_providers_are_down),
	    cmocka_unit_test(
	        failover_is_an_info_alert_that_resolves_when_quiet),
	    cmocka_unit_test(
	        queue_age_fires_over_threshold_and_clears_with_hysteresis),
	    cmocka_unit_test(deferred_over_fires_per_stream),
	    cmocka_unit_test(rate_drop_fires_below_the_same_hours_usual_rate),
	    cmocka_unit_test(rate_drop_silent_in_quiet_hours),
	    cmocka_unit_test(
	        provider_config_error_from_circuit_event_until_closed),
	    cmocka_unit_test(disk_low_fires_and_resolves),
	    cmocka_unit_test(spool_damaged_fires_while_the_spool_says_so),
	    cmocka_unit_test(vanished_subject_resolves),
	    cmocka_unit_test(default_rules_cover_every_kind),
	    cmocka_unit_test(
	        bounce_rate_fires_at_the_level_only_with_min_volume),
	    cmocka_unit_test(config_infers_kind_and_refuses_bad_rules),
	    cmocka_unit_test(
	        config_notify_secret_is_read_and_never_in_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
