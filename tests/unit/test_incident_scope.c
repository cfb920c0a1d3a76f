/*
 * test_incident_scope.c - an incident's scope read from a real spool:
 * which messages it affected (a failed attempt in its window, or
 * waiting deferred), rerouted, waiting, their streams, tenants,
 * recipient domains and delays, and where traffic goes now.
 */
#include "spool_test.h"

#include "core/clock.h"
#include "incident/incident.h"
#include "observe/events.h"

struct submitted {
	int done, status;
	char id[ID_SIZE];
};

static void
on_commit(int status, const char *id, void *arg)
{
	struct submitted *s = arg;

	s->status = status;
	if (id != NULL)
		snprintf(s->id, sizeof(s->id), "%s", id);
	s->done++;
}

static void
on_done(int status, void *arg)
{
	(*(int *)arg)++;
	assert_int_equal(status, SPOOL_OK);
}

/* submit - one message to rcpt on stream (tenant may be NULL). */
static void
submit(struct spool_test_fx *f, const char *stream, const char *tenant,
       const char *rcpt, struct submitted *s)
{
	struct spool_msg_new m = spool_test_msg();

	m.stream = xstrdup(stream);
	m.tenant = tenant ? xstrdup(tenant) : NULL;
	free(m.rcpts[0]);
	m.rcpts[0] = xstrdup(rcpt);
	memset(s, 0, sizeof(*s));
	assert_int_equal(spool_msg_submit(f->sp, &m, on_commit, s), 0);
	spool_test_pump(f->base, &s->done, 1, 10);
	assert_int_equal(s->status, SPOOL_OK);
}

/* outcome - one attempt on provider with result, then next state. */
static void
outcome(struct spool_test_fx *f, const char *id, const char *provider,
        const char *result, int64_t at, enum spool_state next)
{
	struct spool_rcpt_result r = {
	    .index = 0,
	    .state =
	        next == SPOOL_STATE_SENT ? SPOOL_RCPT_SENT : SPOOL_RCPT_PENDING,
	};
	struct spool_outcome o = {
	    .id = id,
	    .provider = provider,
	    .result = result,
	    .at_ms = at,
	    .rcpts = &r,
	    .n_rcpts = next == SPOOL_STATE_SENT,
	    .next_state = next,
	    .next_attempt_at = at + 60000,
	};
	int done = 0;

	assert_int_equal(spool_msg_outcome(f->sp, &o, on_done, &done), 0);
	spool_test_pump(f->base, &done, 1, 10);
}

struct got {
	int done, status;
	struct incident_figures total, bulk, tx;
	size_t n_streams;
	char tenant[32], domain[64], traffic[2][32];
	uint64_t tenant_n, domain_n, traffic_n[2];
	size_t n_traffic;
};

static void
on_scope(int status, const struct incident_scope *s, void *arg)
{
	struct got *g = arg;

	g->done++;
	g->status = status;
	if (s == NULL)
		return;
	g->total = s->total;
	g->n_streams = s->n_streams;
	assert_int_equal(s->n_streams, 2);
	/* By name: bulk, then transactional. */
	g->bulk = s->streams[0];
	g->tx = s->streams[1];
	assert_string_equal(g->bulk.stream, "bulk");
	assert_string_equal(g->tx.stream, "transactional");
	assert_int_equal(s->n_tenants, 1);
	snprintf(g->tenant, sizeof(g->tenant), "%s", s->tenants[0].name);
	g->tenant_n = s->tenants[0].n;
	assert_true(s->n_domains >= 1);
	snprintf(g->domain, sizeof(g->domain), "%s", s->domains[0].name);
	g->domain_n = s->domains[0].n;
	g->n_traffic = s->n_traffic;
	for (size_t i = 0; i < s->n_traffic && i < 2; i++) {
		snprintf(g->traffic[i], sizeof(g->traffic[i]), "%s",
		         s->traffic[i].name);
		g->traffic_n[i] = s->traffic[i].n;
	}
}

/* A wall clock 20 s ahead. */
static uint64_t
mono_real(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int64_t
wall_later(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 + 20000000;
}

static const struct clock_source later = {mono_real, wall_later, NULL};

/* wait_report - pump until the incident's report path is set. */
static void
wait_report(struct spool_test_fx *f, struct incidents *in, const char *id)
{
	struct incident_info ii;

	for (int i = 0; i < 5000; i++) {
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		if (incidents_find(in, id, &ii) == 0 && ii.report_path != NULL)
			return;
		usleep(1000);
	}
	fail_msg("no report for %s", id);
}

/* file_has - 1 if the file at path contains s. */
static int
file_has(const char *path, const char *s)
{
	char buf[65536];
	FILE *fp = fopen(path, "r");
	size_t n;

	if (fp == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return strstr(buf, s) != NULL;
}

static void
scope_counts_what_the_spool_holds(void **state)
{
	struct spool_test_fx *f = spool_test_fx_new("test_incident_scope");
	struct submitted m1, m2, m3, m4;
	struct incidents *in;
	struct incident_info ii;
	struct got g = {0};
	char db[128], err[256], path[256];
	int64_t t;

	(void)state;
	snprintf(db, sizeof(db), "%s/spool.db", f->dir);
	in = incidents_new(f->sp, db, NULL, err, sizeof(err));
	assert_non_null(in);
	submit(f, "transactional", "acme", "u1@b.example", &m1);
	submit(f, "transactional", NULL, "u2@c.example", &m2);
	submit(f, "bulk", "acme", "u3@b.example", &m3);
	submit(f, "bulk", NULL, "u4@d.example", &m4);
	/* The incident opens now. */
	t = clock_wall_ms();
	incidents_on_event(&(struct events_item){.kind = EVENT_ALERT,
	                                         .at_ms = t,
	                                         .state = "firing",
	                                         .reason = "circuit_open",
	                                         .provider = "primary"},
	                   in);
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	/* m1: failed on primary, rerouted to backup. */
	outcome(f, m1.id, "primary", "deferred", t + 1000, SPOOL_STATE_READY);
	outcome(f, m1.id, "backup", "accepted", t + 3000, SPOOL_STATE_SENT);
	/* m2: went through primary before trouble: not affected. */
	outcome(f, m2.id, "primary", "accepted", t + 500, SPOOL_STATE_SENT);
	/* m3: failed, waits deferred. */
	outcome(f, m3.id, "primary", "deferred", t + 2000,
	        SPOOL_STATE_DEFERRED);
	/* m4: an unknown outcome on primary, then accepted by backup. */
	outcome(f, m4.id, "primary", "unknown", t + 2500, SPOOL_STATE_READY);
	outcome(f, m4.id, "backup", "accepted", t + 4000, SPOOL_STATE_SENT);

	assert_int_equal(incidents_scope(in, ii.id, t + 10000, on_scope, &g),
	                 0);
	assert_int_equal(g.done, 0); /* never inside the call */
	spool_test_pump(f->base, &g.done, 1, 10);
	assert_int_equal(g.status, SPOOL_OK);
	assert_int_equal(g.total.affected, 3);
	assert_int_equal(g.total.delayed, 3);
	assert_int_equal(g.total.rerouted, 2);
	assert_int_equal(g.total.waiting, 1);
	assert_int_equal(g.total.failed, 0);
	assert_int_equal(g.total.dup_possible, 1);
	assert_int_equal(g.total.lost, 0);
	assert_int_equal(g.tx.affected, 1);
	assert_int_equal(g.tx.rerouted, 1);
	assert_int_equal(g.bulk.affected, 2);
	assert_int_equal(g.bulk.waiting, 1);
	/* Delays: m3 still waits (now - stored) is the longest. */
	assert_true(g.total.max_ms >= 10000);
	assert_true(g.total.p50_ms >= 3000);
	assert_true(g.total.p50_ms <= g.total.p99_ms);
	assert_true(g.tx.max_ms >= 3000 && g.tx.max_ms < 10000);
	assert_string_equal(g.tenant, "acme");
	assert_int_equal(g.tenant_n, 2);
	assert_string_equal(g.domain, "b.example");
	assert_int_equal(g.domain_n, 2);
	/* Where traffic goes: accepted attempts of the last 5 minutes. */
	assert_int_equal(g.n_traffic, 2);
	assert_string_equal(g.traffic[0], "backup");
	assert_int_equal(g.traffic_n[0], 2);
	assert_string_equal(g.traffic[1], "primary");

	/* Resolving (20 s later) writes the report: three files beside
	 * the spool. */
	clock_source_set(&later);
	assert_int_equal(incidents_resolve(in, ii.id, "ops", NULL), 0);
	wait_report(f, in, ii.id);
	clock_source_set(NULL);
	assert_int_equal(incidents_find(in, ii.id, &ii), 0);
	snprintf(path, sizeof(path), "%s/incidents/%s.md", f->dir, ii.id);
	assert_string_equal(ii.report_path, path);
	assert_int_equal(file_has(path, "| bulk | 2 | 1 | 1 |"), 1);
	snprintf(path, sizeof(path), "%s/incidents/%s.html", f->dir, ii.id);
	assert_int_equal(file_has(path, "<h2>Impact</h2>"), 1);
	snprintf(path, sizeof(path), "%s/incidents/%s.json", f->dir, ii.id);
	assert_int_equal(file_has(path, "\"affected\": 3"), 1);
	assert_int_equal(incidents_report_write(in, "inc_nope"), -1);

	/* Bad input: no such incident, nothing queued. */
	assert_int_equal(incidents_scope(in, "inc_nope", t, on_scope, &g), -1);
	spool_test_fx_close(f);
	incidents_free(in);
	spool_test_fx_free(f);
}

/* Without a spool there is no scope (and no crash). */
static void
no_spool_no_scope(void **state)
{
	struct incidents *in = incidents_new(NULL, NULL, NULL, NULL, 0);
	struct incident_info ii;
	struct got g = {0};

	(void)state;
	incidents_on_event(&(struct events_item){.kind = EVENT_ALERT,
	                                         .state = "firing",
	                                         .reason = "r",
	                                         .stream = "bulk"},
	                   in);
	assert_int_equal(incidents_get(in, 0, &ii), 0);
	assert_int_equal(
	    incidents_scope(in, ii.id, clock_wall_ms(), on_scope, &g), -1);
	incidents_free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(scope_counts_what_the_spool_holds),
	    cmocka_unit_test(no_spool_no_scope),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
