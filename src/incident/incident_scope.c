/*
 * incident_scope.c - an incident's scope from the spool (incidents_scope
 * in incident.h).
 *
 * The SQL runs on the spool's writer thread (spool_exec) over a job that
 * holds copies of what it needs; the loop gets the figures in the
 * callback. Delays are collected per stream and sorted for the
 * percentiles (nearest rank).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/id.h"
#include "core/xmalloc.h"
#include "incident/incident_int.h"
#include "spool/spool.h"

#define SCOPE_LOOKBACK_MS (6LL * 3600 * 1000)
#define SCOPE_TRAFFIC_MS (5LL * 60 * 1000)
#define SCOPE_TOP 10
/* Attempts are stamped when they start: the window opens this early. */
#define SCOPE_MARGIN_MS (60LL * 1000)
#define SCOPE_NAMES_MAX 4096 /* distinct names counted per list */

/* A growing list of (name, count). */
struct scope_counts {
	struct incident_count *v;
	size_t n;
};

/* One stream's figures and its delays. */
struct scope_stream {
	struct incident_figures f;
	int64_t *delays;
	size_t n_delays;
};

struct scope_job {
	struct incidents *in;
	char id[INCIDENT_ID_SIZE];
	int64_t from_ms, to_ms, now_ms;
	incident_scope_fn *cb;
	void *arg;
	/* Results (writer thread fills, loop reads after). */
	struct scope_stream total;
	struct scope_stream *streams;
	size_t n_streams;
	struct scope_counts tenants, domains, traffic;
};

/* counts_add - add k to name's count. */
static void
counts_add(struct scope_counts *c, const char *name, uint64_t k)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].name, name) == 0) {
			c->v[i].n += k;
			return;
		}
	if (c->n == SCOPE_NAMES_MAX)
		return;
	c->v = xreallocarray(c->v, c->n + 1, sizeof(*c->v));
	c->v[c->n++] = (struct incident_count){.name = xstrdup(name), .n = k};
}

/* counts_cmp - most first, then by name. */
static int
counts_cmp(const void *a, const void *b)
{
	const struct incident_count *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* counts_top - sort, keep the first max. */
static void
counts_top(struct scope_counts *c, size_t max)
{
	if (c->n > 1)
		qsort(c->v, c->n, sizeof(*c->v), counts_cmp);
	while (c->n > max)
		free((char *)c->v[--c->n].name);
}

/* counts_free - free c's names and array. */
static void
counts_free(struct scope_counts *c)
{
	for (size_t i = 0; i < c->n; i++)
		free((char *)c->v[i].name);
	free(c->v);
}

/* scope_stream_get - the figures of stream (made when new). */
static struct scope_stream *
scope_stream_get(struct scope_job *j, const char *stream)
{
	size_t i;

	for (i = 0; i < j->n_streams; i++)
		if (strcmp(j->streams[i].f.stream, stream) == 0)
			return &j->streams[i];
	j->streams =
	    xreallocarray(j->streams, j->n_streams + 1, sizeof(*j->streams));
	memset(&j->streams[j->n_streams], 0, sizeof(*j->streams));
	j->streams[j->n_streams].f.stream = xstrdup(stream);
	return &j->streams[j->n_streams++];
}

/* i64_cmp - ascending. */
static int
i64_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* scope_pct - the delays' percentiles (nearest rank) into s->f. */
static void
scope_pct(struct scope_stream *s)
{
	size_t n = s->n_delays;

	if (n == 0)
		return;
	qsort(s->delays, n, sizeof(*s->delays), i64_cmp);
	s->f.p50_ms = s->delays[(n * 50 + 99) / 100 - 1];
	s->f.p99_ms = s->delays[(n * 99 + 99) / 100 - 1];
	s->f.max_ms = s->delays[n - 1];
}

/* scope_account - one affected message into s. */
static void
scope_account(struct scope_stream *s, const char *state, int64_t delay,
              int rerouted, int unknown, int lost)
{
	int failed = strcmp(state, "failed") == 0;
	int waiting = strcmp(state, "ready") == 0 ||
	              strcmp(state, "inflight") == 0 ||
	              strcmp(state, "deferred") == 0;

	s->f.affected++;
	s->f.delayed += !failed;
	s->f.waiting += waiting;
	s->f.failed += failed;
	s->f.rerouted += rerouted;
	s->f.dup_possible += unknown;
	s->f.lost += lost;
	s->delays = xreallocarray(s->delays, s->n_delays + 1, sizeof(int64_t));
	s->delays[s->n_delays++] = delay < 0 ? 0 : delay;
}

/* scope_domains - count the recipients' domains of message id. */
static int
scope_domains(sqlite3_stmt *st, struct scope_job *j, const char *id)
{
	int rc;

	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *a = (const char *)sqlite3_column_text(st, 0);
		const char *at = a != NULL ? strrchr(a, '@') : NULL;

		if (at != NULL && at[1] != '\0')
			counts_add(&j->domains, at + 1, 1);
	}
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * The messages to look at: created in [lookback, to], or waiting now. For
 * each: its state, stream, tenant, when stored; when first accepted;
 * failed attempts in the window; how many providers it tried; its last
 * attempt; attempts with an unknown outcome; recipients never settled.
 */
static const char scope_sql[] =
    "SELECT m.id, m.state, m.stream, COALESCE(m.tenant, ''), m.created_at,"
    " (SELECT MIN(a.at) FROM attempts a WHERE a.msg_id = m.id"
    "  AND a.result = 'accepted'),"
    " (SELECT COUNT(*) FROM attempts a WHERE a.msg_id = m.id"
    "  AND a.result NOT IN ('accepted', 'rejected')"
    "  AND a.at BETWEEN ?3 AND ?4),"
    " (SELECT COUNT(DISTINCT a.provider) FROM attempts a"
    "  WHERE a.msg_id = m.id),"
    " (SELECT MAX(a.at) FROM attempts a WHERE a.msg_id = m.id),"
    " (SELECT COUNT(*) FROM attempts a WHERE a.msg_id = m.id"
    "  AND a.result = 'unknown' AND a.at BETWEEN ?3 AND ?4),"
    " (SELECT COUNT(*) FROM recipients r WHERE r.msg_id = m.id"
    "  AND r.state = 'pending')"
    " FROM messages m WHERE m.id >= ?1 AND m.id <= ?2"
    " UNION ALL "
    "SELECT m.id, m.state, m.stream, COALESCE(m.tenant, ''), m.created_at,"
    " NULL, (SELECT COUNT(*) FROM attempts a WHERE a.msg_id = m.id"
    "  AND a.result NOT IN ('accepted', 'rejected')"
    "  AND a.at BETWEEN ?3 AND ?4),"
    " (SELECT COUNT(DISTINCT a.provider) FROM attempts a"
    "  WHERE a.msg_id = m.id), NULL, 0, 0"
    " FROM messages m WHERE m.state IN ('ready', 'inflight', 'deferred')"
    " AND m.id < ?1";

/* scope_exec - the reads (writer thread). */
static int
scope_exec(sqlite3 *db, void *arg)
{
	struct scope_job *j = arg;
	sqlite3_stmt *st = NULL, *rc_st = NULL, *tr = NULL;
	char lo[ID_SIZE], hi[ID_SIZE];
	int rc;

	id_make(lo, (uint64_t)(j->from_ms - SCOPE_LOOKBACK_MS), 0);
	id_make(hi, (uint64_t)j->to_ms + 1, 0);
	if (sqlite3_prepare_v2(db, scope_sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(
	        db, "SELECT address FROM recipients WHERE msg_id = ?", -1,
	        &rc_st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "SELECT provider, COUNT(*) FROM attempts"
	                       " WHERE result = 'accepted' AND at > ?"
	                       " AND at <= ? GROUP BY provider",
	                       -1, &tr, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, lo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, j->from_ms);
	sqlite3_bind_int64(st, 4, j->to_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *state = (const char *)sqlite3_column_text(st, 1);
		const char *stream = (const char *)sqlite3_column_text(st, 2);
		const char *tenant = (const char *)sqlite3_column_text(st, 3);
		int64_t created = sqlite3_column_int64(st, 4);
		int accepted = sqlite3_column_type(st, 5) != SQLITE_NULL;
		int64_t acc_at = sqlite3_column_int64(st, 5);
		int64_t bad = sqlite3_column_int64(st, 6);
		int64_t nprov = sqlite3_column_int64(st, 7);
		int64_t last = sqlite3_column_int64(st, 8);
		int64_t unknown = sqlite3_column_int64(st, 9);
		int64_t pending = sqlite3_column_int64(st, 10);
		int failed_in = 0, waiting, deferred, lost;
		int64_t end;

		if (id == NULL || state == NULL || stream == NULL)
			continue;
		deferred = strcmp(state, "deferred") == 0;
		waiting = deferred || strcmp(state, "ready") == 0 ||
		          strcmp(state, "inflight") == 0;
		if (strcmp(state, "failed") == 0)
			failed_in = last >= j->from_ms && last <= j->to_ms;
		if (bad == 0 && !deferred && !failed_in)
			continue;
		end = accepted ? acc_at : waiting ? j->now_ms : last;
		lost = strcmp(state, "sent") == 0 && pending > 0;
		scope_account(&j->total, state, end - created,
		              accepted && nprov > 1, unknown > 0, lost);
		scope_account(scope_stream_get(j, stream), state, end - created,
		              accepted && nprov > 1, unknown > 0, lost);
		if (tenant != NULL && *tenant != '\0')
			counts_add(&j->tenants, tenant, 1);
		if (scope_domains(rc_st, j, id) != 0)
			goto fail;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_bind_int64(tr, 1, j->to_ms - SCOPE_TRAFFIC_MS);
	sqlite3_bind_int64(tr, 2, j->to_ms);
	while ((rc = sqlite3_step(tr)) == SQLITE_ROW)
		counts_add(&j->traffic,
		           (const char *)sqlite3_column_text(tr, 0),
		           (uint64_t)sqlite3_column_int64(tr, 1));
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	sqlite3_finalize(rc_st);
	sqlite3_finalize(tr);
	return SPOOL_OK;
fail:
	sqlite3_finalize(st);
	sqlite3_finalize(rc_st);
	sqlite3_finalize(tr);
	/* A failed read must not roll back the mail's batch. */
	return SPOOL_ERR_NOTFOUND;
}

/* scope_stream_cmp - by stream name. */
static int
scope_stream_cmp(const void *a, const void *b)
{
	return strcmp(((const struct scope_stream *)a)->f.stream,
	              ((const struct scope_stream *)b)->f.stream);
}

/* inc_streams_learn - the streams the spool says were affected become
 * the incident's (a change when one is new). */
static void
inc_streams_learn(struct incidents *in, const char *id,
                  const struct incident_figures *fv, size_t n)
{
	int added = 0;

	for (size_t k = 0; k < in->n; k++) {
		struct inc *c = in->v[k];

		if (strcmp(c->id, id) != 0)
			continue;
		for (size_t i = 0; i < n; i++)
			added |= inc_set_add(&c->streams, &c->n_streams,
			                     fv[i].stream);
		if (added) {
			c->dirty = 1;
			inc_changed(in, c);
		}
		return;
	}
}

/* scope_done - the figures to the caller (loop thread), then free. */
static void
scope_done(int status, void *arg)
{
	struct scope_job *j = arg;
	struct incident_figures *fv = NULL;
	struct incident_scope s = {.from_ms = j->from_ms, .to_ms = j->to_ms};
	size_t i;

	if (status == SPOOL_OK) {
		scope_pct(&j->total);
		if (j->n_streams > 1)
			qsort(j->streams, j->n_streams, sizeof(*j->streams),
			      scope_stream_cmp);
		fv = xcalloc(j->n_streams + 1, sizeof(*fv));
		for (i = 0; i < j->n_streams; i++) {
			scope_pct(&j->streams[i]);
			fv[i] = j->streams[i].f;
		}
		counts_top(&j->tenants, SCOPE_TOP);
		counts_top(&j->domains, SCOPE_TOP);
		counts_top(&j->traffic, SCOPE_NAMES_MAX);
		s.total = j->total.f;
		s.streams = fv;
		s.n_streams = j->n_streams;
		s.tenants = j->tenants.v;
		s.n_tenants = j->tenants.n;
		s.domains = j->domains.v;
		s.n_domains = j->domains.n;
		s.traffic = j->traffic.v;
		s.n_traffic = j->traffic.n;
		inc_streams_learn(j->in, j->id, fv, j->n_streams);
		j->cb(SPOOL_OK, &s, j->arg);
	} else {
		j->cb(status == SPOOL_ERR_NOTFOUND ? SPOOL_ERR_IO : status,
		      NULL, j->arg);
	}
	free(fv);
	for (i = 0; i < j->n_streams; i++) {
		free((char *)j->streams[i].f.stream);
		free(j->streams[i].delays);
	}
	free(j->streams);
	free(j->total.delays);
	counts_free(&j->tenants);
	counts_free(&j->domains);
	counts_free(&j->traffic);
	free(j);
}

int
incidents_scope(struct incidents *in, const char *id, int64_t now_ms,
                incident_scope_fn *cb, void *arg)
{
	struct incident_info ii;
	struct scope_job *j;

	if (in->sp == NULL || incidents_find(in, id, &ii) != 0)
		return -1;
	j = xcalloc(1, sizeof(*j));
	j->in = in;
	snprintf(j->id, sizeof(j->id), "%s", ii.id);
	j->from_ms = ii.started_ms;
	if (ii.n_updates > 0 && ii.updates[0].at_ms < j->from_ms)
		j->from_ms = ii.updates[0].at_ms;
	j->from_ms -= SCOPE_MARGIN_MS;
	j->to_ms = ii.resolved_ms > 0 ? ii.resolved_ms : now_ms;
	j->now_ms = now_ms;
	j->cb = cb;
	j->arg = arg;
	if (spool_exec(in->sp, scope_exec, scope_done, j) != 0) {
		free(j);
		return -1;
	}
	return 0;
}
