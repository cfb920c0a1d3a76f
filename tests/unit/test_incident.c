/*
 * test_incident.c - incident records (incident/incident.h): an alert
 * opens one incident, related alerts join it, its timeline follows the
 * provider's events in time order, the status moves investigating ->
 * identified -> monitoring -> resolved, a flapping alert reopens instead
 * of opening more, operators' changes are checked, every change is an
 * EVENT_INCIDENT, and the record survives a restart of the spool.
 */
#include "spool_test.h"

#include "core/clock.h"
#include "incident/incident.h"
#include "observe/events.h"

#define T0 1700000000000LL
#define MIN (60 * 1000LL)

static int n_incident_events;
static char last_state[32];
static int last_drill;

static void
on_event(const struct events_item *e, void *arg)
{
	(void)arg;
	if (e->kind != EVENT_INCIDENT)
		return;
	n_incident_events++;
	snprintf(last_state, sizeof(last_state), "%s", e->state);
	last_drill = e->drill;
	assert_non_null(e->reason);
	assert_memory_equal(e->reason, "inc_", 4);
}

static void
emit(struct incidents *in, struct events_item e)
{
	incidents_on_event(&e, in);
}

static void
alert(struct incidents *in, int64_t at, const char *state, const char *rule,
      const char *provider, int drill)
{
	emit(in, (struct events_item){.kind = EVENT_ALERT,
	                              .at_ms = at,
	                              .state = state,
	                              .reason = rule,
	                              .provider = provider,
	                              .text = "summary",
	                              .drill = drill});
}

static void
attempt(struct incidents *in, int64_t at, const char *provider,
        enum send_class cls)
{
	emit(in, (struct events_item){.kind = EVENT_ATTEMPT,
	                              .at_ms = at,
	                              .provider = provider,
	                              .cls = cls,
	                              .text = "421 try later",
	                              .stream = "transactional"});
}

/* find_kind - index of the first update of kind containing sub, or -1. */
static int
find_kind(const struct incident_info *ii, const char *kind, const char *sub)
{
	for (size_t i = 0; i < ii->n_updates; i++)
		if (strcmp(ii->updates[i].kind, kind) == 0 &&
		    (sub == NULL || strstr(ii->updates[i].text, sub) != NULL))
			return (int)i;
	return -1;
}

/* count_kind - updates of kind. */
static int
count_kind(const struct incident_info *ii, const char *kind)
{
	int n = 0;

	for (size_t i = 0; i < ii->n_updates; i++)
		n += strcmp(ii->updates[i].kind, kind) == 0;
	return n;
}

static void
names_round_trip(void **state)
{
	(void)state;
	for (int s = 0; s < INCIDENT_STATUS_COUNT; s++)
		assert_int_equal(incident_status_parse(incident_status_name(
		                     (enum incident_status)s)),
		                 s);
	for (int i = 0; i < IMPACT_COUNT; i++)
		assert_int_equal(incident_impact_parse(incident_impact_name(
		                     (enum incident_impact)i)),
		                 i);
	assert_string_equal(incident_status_name(INCIDENT_MONITORING),
	                    "monitoring");
	assert_string_equal(incident_impact_name(IMPACT_MAJOR), "major");
	assert_int_equal(incident_status_parse("fixed"), -1);
	assert_int_equal(incident_status_parse(NULL), -1);
	assert_int_equal(incident_impact_parse("huge"), -1);
	assert_string_equal(incident_status_name(INCIDENT_STATUS_COUNT),
	                    "unknown");
}

/* An outage of provider "primary": one incident, a timeline in order,
 * the statuses in turn, resolved after the quiet period. */
static void
outage_makes_one_incident(void **state)
{
	struct incidents_opts o = {.quiet_ms = 5 * MIN};
	struct incidents *in = incidents_new(NULL, NULL, &o, NULL, 0);
	struct incident_info ii;
	int i;

	(void)state;
	n_incident_events = 0;
	assert_int_equal(events_subscribe(on_event, NULL), 0);
	/* Before the alert: failures, the circuit, a failover. */
	attempt(in, T0, "primary", SEND_ACCEPTED);
	attempt(in, T0 + 1000, "primary", SEND_DEFERRED);
	attempt(in, T0 + 2000, "primary", SEND_DEFERRED);
	emit(in, (struct events_item){.kind = EVENT_CIRCUIT,
	                              .at_ms = T0 + 3000,
	                              .provider = "primary",
	                              .state = "open",
	                              .reason = "5 failures in a row"});
	emit(in, (struct events_item){.kind = EVENT_FAILOVER,
	                              .at_ms = T0 + 3100,
	                              .provider = "primary",
	                              .to_provider = "backup",
	                              .stream = "transactional"});
	emit(in, (struct events_item){.kind = EVENT_FAILOVER,
	                              .at_ms = T0 + 3200,
	                              .provider = "primary",
	                              .to_provider = "backup",
	                              .stream = "transactional"});
	assert_int_equal(incidents_count(in), 0);
	assert_int_equal(n_incident_events, 0);

	alert(in, T0 + 10000, "firing", "circuit_open", "primary", 0);
	assert_int_equal(incidents_count(in), 1);
	assert_int_equal(incidents_open_count(in, 0), 1);
	assert_int_equal(incidents_open_count(in, 1), 0);
	assert_int_equal(incidents_open_count(in, -1), 1);
	assert_true(n_incident_events >= 1);
	/* The circuit opened and mail failed over before the alert: the
	 * cause is known from the start. */
	assert_string_equal(last_state, "identified");
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	assert_true(find_kind(&ii, "status", "investigating") <
	            find_kind(&ii, "status", "identified"));
	assert_int_equal(ii.impact, IMPACT_MINOR);
	/* A related alert on the same provider joins it. */
	alert(in, T0 + 12000, "firing", "failover_rate", "primary", 0);
	assert_int_equal(incidents_count(in), 1);

	assert_int_equal(incidents_get(in, 0, &ii), 0);
	assert_int_equal(incidents_get(in, 1, &ii), -1);
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	assert_int_equal(ii.started_ms, T0 + 10000);
	assert_int_equal(ii.n_providers, 1);
	assert_string_equal(ii.providers[0], "primary");
	/* The stream of the mail that failed over before the alert. */
	assert_int_equal(ii.n_streams, 1);
	i = find_kind(&ii, "first_failure", "primary");
	assert_int_equal(i, 0);
	assert_int_equal(ii.updates[0].at_ms, T0 + 1000);
	assert_true(find_kind(&ii, "circuit", "open") > i);
	assert_true(find_kind(&ii, "failover", "backup") >
	            find_kind(&ii, "circuit", "open"));
	/* One failover entry however many messages moved. */
	assert_int_equal(count_kind(&ii, "failover"), 1);
	assert_true(find_kind(&ii, "alert", "circuit_open") >
	            find_kind(&ii, "failover", NULL));
	assert_true(find_kind(&ii, "alert", "failover_rate") >
	            find_kind(&ii, "alert", "circuit_open"));
	for (size_t k = 1; k < ii.n_updates; k++)
		assert_true(ii.updates[k - 1].at_ms <= ii.updates[k].at_ms);
	/* More of the same changes nothing of that. */
	emit(in, (struct events_item){.kind = EVENT_FAILOVER,
	                              .at_ms = T0 + 13000,
	                              .provider = "primary",
	                              .to_provider = "backup",
	                              .stream = "transactional"});
	emit(in, (struct events_item){.kind = EVENT_CIRCUIT,
	                              .at_ms = T0 + 14000,
	                              .provider = "primary",
	                              .state = "open",
	                              .reason = "re-opened"});
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	assert_int_equal(ii.status, INCIDENT_IDENTIFIED);
	assert_int_equal(ii.impact, IMPACT_MINOR);
	assert_int_equal(ii.n_streams, 1);
	assert_string_equal(ii.streams[0], "transactional");

	/* Traffic: 95% of the last accepted attempts elsewhere. */
	for (int k = 0; k < 9; k++)
		attempt(in, T0 + 15000 + k, "backup", SEND_ACCEPTED);
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	assert_int_equal(find_kind(&ii, "traffic", NULL), -1);
	attempt(in, T0 + 16000, "backup", SEND_ACCEPTED);
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	i = find_kind(&ii, "traffic", "backup");
	assert_true(i > 0);
	assert_int_equal(ii.updates[i].at_ms, T0 + 16000);

	/* Mail waiting with nowhere to go makes it major. */
	emit(in, (struct events_item){.kind = EVENT_DEFERRED,
	                              .at_ms = T0 + 17000,
	                              .stream = "bulk"});
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	assert_int_equal(ii.impact, IMPACT_MAJOR);
	assert_int_equal(ii.n_streams, 2);

	/* Heal: the circuit closes, the alerts resolve. */
	emit(in, (struct events_item){.kind = EVENT_CIRCUIT,
	                              .at_ms = T0 + 20 * MIN,
	                              .provider = "primary",
	                              .state = "closed",
	                              .reason = "probe ok"});
	alert(in, T0 + 20 * MIN + 1000, "resolved", "circuit_open", "primary",
	      0);
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	assert_int_equal(ii.status, INCIDENT_IDENTIFIED);
	alert(in, T0 + 20 * MIN + 2000, "resolved", "failover_rate", "primary",
	      0);
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	assert_int_equal(ii.status, INCIDENT_MONITORING);
	assert_string_equal(last_state, "monitoring");
	/* Not resolved before the quiet period and the fail-back ramp. */
	incidents_tick(in, T0 + 24 * MIN);
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	assert_int_equal(ii.status, INCIDENT_MONITORING);
	incidents_tick(in, T0 + 26 * MIN);
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	assert_int_equal(ii.status, INCIDENT_RESOLVED);
	assert_int_equal(ii.resolved_ms, T0 + 26 * MIN);
	i = find_kind(&ii, "failback", "primary");
	assert_true(i > 0);
	assert_int_equal(ii.updates[i].at_ms, T0 + 25 * MIN);
	assert_string_equal(last_state, "resolved");
	assert_int_equal(incidents_open_count(in, -1), 0);
	/* Public words never name a provider (the status page may not). */
	for (size_t k = 0; k < ii.n_updates; k++)
		if (ii.updates[k].public_)
			assert_null(strstr(ii.updates[k].text, "primary"));
	/* The stream learned before the alert named the incident. */
	assert_string_equal(ii.title, "Delays on transactional mail");
	/* Public updates: the opening line, the statuses. */
	assert_true(
	    ii.updates[find_kind(&ii, "status", "investigating")].public_);
	assert_false(ii.updates[find_kind(&ii, "circuit", NULL)].public_);

	events_unsubscribe(on_event, NULL);
	incidents_free(in);
}

/* A flapping provider: fire, resolve, fire ... makes one incident. */
static void
flapping_makes_no_storm(void **state)
{
	struct incidents_opts o = {.quiet_ms = 2 * MIN, .reopen_ms = 30 * MIN};
	struct incidents *in = incidents_new(NULL, NULL, &o, NULL, 0);
	struct incident_info ii;
	int64_t t = T0;

	(void)state;
	for (int k = 0; k < 10; k++) {
		alert(in, t, "firing", "circuit_open", "flappy", 0);
		alert(in, t + 30000, "resolved", "circuit_open", "flappy", 0);
		incidents_tick(in, t + 3 * MIN);
		t += 4 * MIN;
	}
	assert_int_equal(incidents_count(in), 1);
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	assert_int_equal(ii.status, INCIDENT_RESOLVED);
	assert_true(find_kind(&ii, "status", "returned") >= 0);
	/* A delivery-ratio alert: not called delays. */
	alert(in, t + 1000, "firing", "complaint_rate", "ratio", 0);
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	assert_string_equal(ii.title, "Elevated complaint rate");
	assert_int_equal(incidents_count(in), 2);
	/* Long after: a new incident. */
	alert(in, t + 60 * MIN, "firing", "circuit_open", "flappy", 0);
	assert_int_equal(incidents_count(in), 3);
	/* Another provider's alert: its own incident. */
	alert(in, t + 60 * MIN, "firing", "circuit_open", "other", 0);
	assert_int_equal(incidents_count(in), 4);
	/* A drill's alert on the same provider: its own, labelled drill. */
	alert(in, t + 61 * MIN, "firing", "circuit_open", "flappy", 1);
	assert_int_equal(incidents_count(in), 5);
	assert_int_equal(last_drill, 0); /* not subscribed here */
	assert_int_equal(incidents_open_count(in, 1), 1);
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	assert_int_equal(ii.drill, 1);
	incidents_free(in);
}

static void
operator_changes(void **state)
{
	struct incidents *in = incidents_new(NULL, NULL, NULL, NULL, 0);
	struct incident_info ii;
	char id[INCIDENT_ID_SIZE];
	size_t n;

	(void)state;
	alert(in, clock_wall_ms(), "firing", "queue_age", NULL, 0);
	emit(in, (struct events_item){.kind = EVENT_OPERATOR,
	                              .reason = "pause",
	                              .provider = NULL,
	                              .state = "ops-key",
	                              .text = "primary paused"});
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	assert_true(find_kind(&ii, "operator", "pause") >= 0);
	assert_string_equal(ii.updates[find_kind(&ii, "operator", NULL)].who,
	                    "ops-key");
	snprintf(id, sizeof(id), "%s", ii.id);
	n = ii.n_updates;
	/* Bad input changes nothing. */
	assert_int_equal(incidents_note(in, "inc_nope", "me", "x", 0), -1);
	assert_int_equal(incidents_note(in, id, "me", "", 0), -1);
	assert_int_equal(incidents_note(in, id, "me", NULL, 0), -1);
	assert_int_equal(
	    incidents_update(
	        in, id, &(struct incident_change){.status = 9, .impact = -1}),
	    -1);
	assert_int_equal(
	    incidents_update(
	        in, id, &(struct incident_change){.status = -1, .impact = 4}),
	    -1);
	assert_int_equal(
	    incidents_update(
	        in, id, &(struct incident_change){.status = -1, .impact = -1}),
	    -1);
	assert_int_equal(incidents_resolve(in, "inc_nope", "me", NULL), -1);
	assert_int_equal(incidents_find(in, id, &ii), 0);
	assert_int_equal(ii.n_updates, n);

	assert_int_equal(
	    incidents_note(in, id, "alice", "<script>alert(1)</script>", 0), 0);
	assert_int_equal(incidents_update(in, id,
	                                  &(struct incident_change){
	                                      .status = INCIDENT_IDENTIFIED,
	                                      .impact = IMPACT_CRITICAL,
	                                      .text = "Provider X is down",
	                                      .who = "alice"}),
	                 0);
	assert_int_equal(incidents_find(in, id, &ii), 0);
	assert_int_equal(ii.status, INCIDENT_IDENTIFIED);
	assert_int_equal(ii.impact, IMPACT_CRITICAL);
	assert_int_equal(ii.impact_override, 1);
	assert_true(find_kind(&ii, "note", "<script>") >= 0);
	assert_true(ii.updates[find_kind(&ii, "status", "Provider X")].public_);
	/* An override stays whatever mail does. */
	emit(in, (struct events_item){.kind = EVENT_FAILED, .stream = "bulk"});
	assert_int_equal(incidents_find(in, id, &ii), 0);
	assert_int_equal(ii.impact, IMPACT_CRITICAL);
	assert_int_equal(incidents_resolve(in, id, "alice", NULL), 0);
	assert_int_equal(incidents_find(in, id, &ii), 0);
	assert_int_equal(ii.status, INCIDENT_RESOLVED);
	assert_true(ii.resolved_ms > 0);
	n = ii.n_updates;
	assert_int_equal(incidents_resolve(in, id, "alice", NULL), 0);
	assert_int_equal(incidents_find(in, id, &ii), 0);
	assert_int_equal(ii.n_updates, n);
	assert_int_equal(incidents_report_path_set(in, id, "/x/report.md"), 0);
	assert_int_equal(incidents_find(in, id, &ii), 0);
	assert_string_equal(ii.report_path, "/x/report.md");
	incidents_free(in);
}

/* Written through the spool's writer; read back after a restart. */
static void
survives_a_restart(void **state)
{
	struct spool_test_fx *f = spool_test_fx_new("test_incident");
	char db[128], err[256], id[INCIDENT_ID_SIZE];
	struct incidents *in;
	struct incident_info ii, jj;
	size_t n;

	(void)state;
	snprintf(db, sizeof(db), "%s/spool.db", f->dir);
	in = incidents_new(f->sp, db, NULL, err, sizeof(err));
	assert_non_null(in);
	assert_int_equal(incidents_count(in), 0);
	attempt(in, clock_wall_ms() - 5000, "primary", SEND_DEFERRED);
	alert(in, clock_wall_ms(), "firing", "circuit_open", "primary", 0);
	assert_int_equal(
	    incidents_note(in, incidents_get(in, 0, &ii) == 0 ? ii.id : "",
	                   "bob", "looking", 1),
	    0);
	assert_int_equal(incidents_report_path_set(in, ii.id, "/r.md"), 0);
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	snprintf(id, sizeof(id), "%s", ii.id);
	n = ii.n_updates;
	assert_true(n >= 4);
	/* spool_close runs the last commits (and their callbacks). */
	spool_test_fx_close(f);
	incidents_free(in);

	spool_test_fx_open(f);
	in = incidents_new(f->sp, db, NULL, err, sizeof(err));
	assert_non_null(in);
	assert_int_equal(incidents_count(in), 1);
	assert_int_equal(incidents_find(in, id, &jj), 0);
	assert_string_equal(jj.title, "Delays sending mail");
	assert_int_equal(jj.status, INCIDENT_INVESTIGATING);
	assert_int_equal(jj.n_updates, n);
	assert_int_equal(jj.n_providers, 1);
	assert_string_equal(jj.providers[0], "primary");
	assert_string_equal(jj.report_path, "/r.md");
	assert_int_equal(find_kind(&jj, "first_failure", NULL), 0);
	assert_string_equal(jj.updates[find_kind(&jj, "note", NULL)].who,
	                    "bob");
	assert_true(jj.updates[find_kind(&jj, "note", NULL)].public_);
	/* Changes after the restart append to the same timeline. */
	assert_int_equal(incidents_resolve(in, id, "bob", NULL), 0);
	spool_test_fx_close(f);
	incidents_free(in);
	spool_test_fx_open(f);
	in = incidents_new(f->sp, db, NULL, err, sizeof(err));
	assert_non_null(in);
	assert_int_equal(incidents_find(in, id, &jj), 0);
	assert_int_equal(jj.status, INCIDENT_RESOLVED);
	assert_int_equal(jj.n_updates, n + 1);
	spool_test_fx_close(f);
	incidents_free(in);
	/* An unreadable database is an error, not an empty record. */
	assert_null(incidents_new(NULL, "/nonexistent/dir/spool.db", NULL, err,
	                          sizeof(err)));
	assert_non_null(strstr(err, "incidents:"));
	spool_test_fx_free(f);
}

/* The traffic moved before the alert fired: the incident starts with it,
 * at the time it happened. */
static void
traffic_moved_before_the_alert(void **state)
{
	struct incidents *in = incidents_new(NULL, NULL, NULL, NULL, 0);
	struct incident_info ii;
	int i;

	(void)state;
	attempt(in, T0, "primary", SEND_DEFERRED);
	emit(in, (struct events_item){.kind = EVENT_FAILOVER,
	                              .at_ms = T0 + 10,
	                              .provider = "primary",
	                              .to_provider = "backup",
	                              .stream = "bulk"});
	for (int k = 0; k < 12; k++)
		attempt(in, T0 + 100 + k, "backup", SEND_ACCEPTED);
	alert(in, T0 + 5000, "firing", "circuit_open", "primary", 0);
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	i = find_kind(&ii, "traffic", "other providers than primary");
	assert_true(i > 0);
	assert_int_equal(ii.updates[i].at_ms, T0 + 109);
	assert_int_equal(count_kind(&ii, "traffic"), 1);
	assert_string_equal(ii.streams[0], "bulk");
	/* More accepted attempts add no second entry. */
	for (int k = 0; k < 25; k++)
		attempt(in, T0 + 6000 + k, "backup", SEND_ACCEPTED);
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	assert_int_equal(count_kind(&ii, "traffic"), 1);
	incidents_free(in);
}

/* Attached, it hears the bus; freed, it no longer does. */
static void
attach_listens(void **state)
{
	struct event_base *base = event_base_new();
	struct incidents *in = incidents_new(NULL, NULL, NULL, NULL, 0);
	struct events_item e = {.kind = EVENT_ALERT,
	                        .state = "firing",
	                        .reason = "queue_age",
	                        .stream = "bulk"};
	struct incident_info ii;

	(void)state;
	assert_int_equal(incidents_attach(in, base), 0);
	events_emit(&e);
	assert_int_equal(incidents_count(in), 1);
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	assert_string_equal(ii.title, "Delays on bulk mail");
	assert_string_equal(ii.streams[0], "bulk");
	incidents_free(in);
	e.at_ms = 0;
	events_emit(&e); /* nobody listens: no use after free */
	event_base_free(base);
}

/* The fleet's side, answered by the test. */
static char claim_key[128], claim_id[INCIDENT_ID_SIZE];
static incidents_claim_done *claim_done;
static int n_claims;

static void
fleet_claim(void *arg, struct incidents *in, const char *key, const char *id,
            incidents_claim_done *done)
{
	(void)arg;
	(void)in;
	n_claims++;
	snprintf(claim_key, sizeof(claim_key), "%s", key);
	snprintf(claim_id, sizeof(claim_id), "%s", id);
	claim_done = done;
}

static void
fleet_takes_the_fleets_id(void **state)
{
	struct incidents *in = incidents_new(NULL, NULL, NULL, NULL, 0);
	struct incidents_fleet f = {.claim = fleet_claim};
	struct incident_info ii;

	(void)state;
	n_incident_events = 0;
	n_claims = 0;
	assert_int_equal(events_subscribe(on_event, NULL), 0);
	incidents_fleet_set(in, &f);
	alert(in, T0, "firing", "circuit_open", "ses", 0);
	/* Asked, not announced until the fleet answers. */
	assert_int_equal(n_claims, 1);
	assert_string_equal(claim_key, "p:ses");
	assert_int_equal(n_incident_events, 0);
	/* A related alert joins without asking again. */
	alert(in, T0 + 1000, "firing", "error_rate", "ses", 0);
	assert_int_equal(n_claims, 1);
	claim_done(in, claim_id, "inc_0000000000000000fleet1", "n1");
	assert_int_equal(n_incident_events, 1);
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	assert_string_equal(ii.id, "inc_0000000000000000fleet1");
	assert_string_equal(ii.opened_by, "n1");
	assert_int_equal(incidents_find(in, "inc_0000000000000000fleet1", &ii),
	                 0);
	/* A late or repeated answer changes nothing. */
	claim_done(in, claim_id, "inc_0000000000000000fleet2", "n2");
	assert_int_equal(incidents_find(in, "inc_0000000000000000fleet1", &ii),
	                 0);
	/* Another subject: won here (its own id), and a drill's key. */
	alert(in, T0 + 2000, "firing", "queue_age", NULL, 1);
	assert_int_equal(n_claims, 2);
	assert_string_equal(claim_key, "d:r:queue_age");
	claim_done(in, claim_id, claim_id, NULL);
	assert_int_equal(incidents_find(in, claim_id, &ii), 0);
	assert_null(ii.opened_by);
	/* A bad id from the fleet is not taken. */
	alert(in, T0 + 3000, "firing", "circuit_open", "mailgun", 0);
	claim_done(in, claim_id, "inc_../../x", "n3");
	assert_int_equal(incidents_find(in, claim_id, &ii), 0);
	events_unsubscribe(on_event, NULL);
	incidents_free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(names_round_trip),
	    cmocka_unit_test(outage_makes_one_incident),
	    cmocka_unit_test(flapping_makes_no_storm),
	    cmocka_unit_test(operator_changes),
	    cmocka_unit_test(survives_a_restart),
	    cmocka_unit_test(attach_listens),
	    cmocka_unit_test(traffic_moved_before_the_alert),
	    cmocka_unit_test(fleet_takes_the_fleets_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
