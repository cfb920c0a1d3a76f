/*
 * stats.c - counters and histograms learnt from events.
 *
 * Names from events are mapped to indices of the configuration's
 * providers, streams and tenants by a linear search (there are tens of
 * them); an unknown name maps to one extra "other" slot, rendered only
 * when it counted something. Counters are flat arrays indexed by those
 * slots, so an event costs a few string compares and increments.
 *
 * The queue estimate is an open-addressing table keyed by message id
 * (linear probing, backward-shift deletion, never more than half full).
 * Counts per stream and state are kept as entries move; the oldest age
 * is found by scanning the table at render time, which is bounded by
 * the table's fixed size (a few hundred microseconds at worst).
 */
#include "observe/stats.h"
#include "observe/rates.h"
#include "observe/stats_fb.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "core/clock.h"
#include "core/id.h"
#include "core/xmalloc.h"
#include "observe/metrics.h"
#include "send/result.h"
#include "spool/spool.h"

const double stats_latency_bounds[STATS_LAT_BUCKETS] = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,    2.5,
    5,     10,   30,    60,   120, 300,  600, 1800, 3600};

enum stats_outcome {
	STATS_OUT_SENT,
	STATS_OUT_FAILED,
	STATS_OUT_DEFERRED,
	STATS_OUT_HELD,
	STATS_OUT_FAILOVER,
	STATS_OUT_DSN,
	STATS_OUT_COUNT,
};
static const char *const stats_outcome_names[STATS_OUT_COUNT] = {
    "sent", "failed", "deferred", "held", "failover", "dsn"};

/* States of a tracked message (the queue estimate). */
enum stats_tstate {
	STATS_T_READY,
	STATS_T_INFLIGHT,
	STATS_T_DEFERRED,
	STATS_T_HELD,
	STATS_T_COUNT,
};
static const char *const stats_tstate_names[STATS_T_COUNT] = {
    "ready", "inflight", "deferred", "held"};

static const char *const stats_circuit_names[] = {"open", "half-open", "closed",
                                                  "other"};
#define STATS_CIRCUIT_COUNT 4

static const char *const stats_ingress_names[] = {"smtp", "http", "other"};
#define STATS_INGRESS_COUNT 3

#define STATS_WIN_SLOTS 30      /* the 5-minute window ... */
#define STATS_WIN_SLOT_MS 10000 /* ... in 10-second slots */
#define STATS_TABLE (2 * STATS_TRACK_MAX)

struct stats_hist {
	uint64_t c[STATS_LAT_BUCKETS + 1];
	double sum;
};

struct stats_track {
	char id[ID_SIZE]; /* "" = free slot */
	uint8_t state;
	uint16_t stream;
	int64_t created_ms;
};

/* A list of configured names; index n is "other". */
struct stats_names {
	char **v;
	size_t n;
};

struct stats {
	int64_t (*now_ms)(void);
	struct stats_names prov, stream, tenant;
	size_t dflt_stream;   /* where accepted mail without a stream goes */
	uint64_t *deliveries; /* [prov+1][stream+1][class] */
	uint64_t *failovers;  /* [prov+1][prov+1] */
	uint64_t *outcomes;   /* [stream+1][outcome] */
	uint64_t *accepted;   /* [ingress][tenant+2]: +n "none", +n+1 other */
	uint64_t *circuit;    /* [prov+1][circuit state] */
	uint64_t *throttled;  /* [prov+1] */
	struct stats_hist *latency; /* [stream+1] */
	struct stats_hist *attempt; /* [prov+1] */
	uint64_t events[EVENT_KIND_COUNT];
	uint64_t *win; /* [prov+1][slot] accepted deliveries */
	int64_t win_epoch[STATS_WIN_SLOTS];
	struct stats_track *track; /* [STATS_TABLE] */
	size_t n_track;
	uint64_t *tcount; /* [stream+1][tstate] */
	uint64_t untracked;
	struct stats_fb *fb;   /* delivery feedback counters */
	struct rates *rates;   /* delivery ratios; borrowed, may be NULL */
	struct spool *seed_sp; /* stats_seed in progress */
	int seed_state;        /* the spool state being paged */
};

/* stats_names_add - append a copy of s unless already there. */
static void
stats_names_add(struct stats_names *nl, const char *s, size_t max)
{
	size_t i;

	if (s == NULL || nl->n == max)
		return;
	for (i = 0; i < nl->n; i++)
		if (strcmp(nl->v[i], s) == 0)
			return;
	nl->v = xreallocarray(nl->v, nl->n + 1, sizeof(*nl->v));
	nl->v[nl->n++] = xstrdup(s);
}

/* stats_names_find - index of s, or n ("other") when unknown or NULL. */
static size_t
stats_names_find(const struct stats_names *nl, const char *s)
{
	size_t i;

	if (s == NULL)
		return nl->n;
	for (i = 0; i < nl->n; i++)
		if (strcmp(nl->v[i], s) == 0)
			return i;
	return nl->n;
}

/* stats_names_label - the label value of index i. */
static const char *
stats_names_label(const struct stats_names *nl, size_t i)
{
	return i < nl->n ? nl->v[i] : "other";
}

struct stats *
stats_new(const struct config *cfg, int64_t (*now_ms)(void))
{
	struct stats *st = xcalloc(1, sizeof(*st));
	size_t i, np, ns;

	st->now_ms = now_ms ? now_ms : clock_wall_ms;
	for (i = 0; i < cfg->n_providers; i++)
		stats_names_add(&st->prov, cfg->providers[i].name, SIZE_MAX);
	for (i = 0; i < cfg->n_streams; i++)
		stats_names_add(&st->stream, cfg->streams[i].name, SIZE_MAX);
	for (i = 0; i < cfg->n_users; i++)
		stats_names_add(&st->tenant, cfg->users[i].name,
		                STATS_MAX_TENANTS);
	for (i = 0; i < cfg->n_api_keys; i++)
		stats_names_add(&st->tenant, cfg->api_keys[i].tenant,
		                STATS_MAX_TENANTS);
	st->dflt_stream = stats_names_find(&st->stream, "transactional");
	if (st->dflt_stream == st->stream.n && st->stream.n > 0)
		st->dflt_stream = 0;
	np = st->prov.n + 1;
	ns = st->stream.n + 1;
	st->deliveries = xcalloc(np * ns, SEND_CLASS_COUNT * sizeof(uint64_t));
	st->failovers = xcalloc(np * np, sizeof(uint64_t));
	st->outcomes = xcalloc(ns, STATS_OUT_COUNT * sizeof(uint64_t));
	st->accepted =
	    xcalloc(STATS_INGRESS_COUNT * (st->tenant.n + 2), sizeof(uint64_t));
	st->circuit = xcalloc(np, STATS_CIRCUIT_COUNT * sizeof(uint64_t));
	st->throttled = xcalloc(np, sizeof(uint64_t));
	st->latency = xcalloc(ns, sizeof(*st->latency));
	st->attempt = xcalloc(np, sizeof(*st->attempt));
	st->win = xcalloc(np, STATS_WIN_SLOTS * sizeof(uint64_t));
	st->track = xcalloc(STATS_TABLE, sizeof(*st->track));
	st->tcount = xcalloc(ns, STATS_T_COUNT * sizeof(uint64_t));
	st->fb = stats_fb_new(cfg);
	return st;
}

/* stats_names_fini - free the copies. */
static void
stats_names_fini(struct stats_names *nl)
{
	size_t i;

	for (i = 0; i < nl->n; i++)
		free(nl->v[i]);
	free(nl->v);
}

void
stats_rates_set(struct stats *st, struct rates *r)
{
	st->rates = r;
}

void
stats_free(struct stats *st)
{
	if (st == NULL)
		return;
	stats_names_fini(&st->prov);
	stats_names_fini(&st->stream);
	stats_names_fini(&st->tenant);
	free(st->deliveries);
	free(st->failovers);
	free(st->outcomes);
	free(st->accepted);
	free(st->circuit);
	free(st->throttled);
	free(st->latency);
	free(st->attempt);
	free(st->win);
	free(st->track);
	free(st->tcount);
	stats_fb_free(st->fb);
	free(st);
}

/* stats_hist_add - one observation of ms milliseconds. */
static void
stats_hist_add(struct stats_hist *h, uint64_t ms)
{
	double s = (double)ms / 1000.0;
	size_t i = 0;

	while (i < STATS_LAT_BUCKETS && s > stats_latency_bounds[i])
		i++;
	h->c[i]++;
	h->sum += s;
}

/* ---- the 5-minute window ------------------------------------------------ */

/* stats_win_add - count one accepted delivery by provider p now. */
static void
stats_win_add(struct stats *st, size_t p, int64_t now)
{
	int64_t epoch = now / STATS_WIN_SLOT_MS;
	size_t slot = (size_t)(epoch % STATS_WIN_SLOTS), i;

	if (st->win_epoch[slot] != epoch) {
		for (i = 0; i <= st->prov.n; i++)
			st->win[i * STATS_WIN_SLOTS + slot] = 0;
		st->win_epoch[slot] = epoch;
	}
	st->win[p * STATS_WIN_SLOTS + slot]++;
}

/* stats_win_sum - provider p's accepted deliveries in the window. */
static uint64_t
stats_win_sum(const struct stats *st, size_t p, int64_t now)
{
	int64_t epoch = now / STATS_WIN_SLOT_MS;
	uint64_t n = 0;
	size_t s;

	for (s = 0; s < STATS_WIN_SLOTS; s++)
		if (st->win_epoch[s] > epoch - STATS_WIN_SLOTS &&
		    st->win_epoch[s] <= epoch)
			n += st->win[p * STATS_WIN_SLOTS + s];
	return n;
}

/* ---- the queue estimate ---------------------------------------------------
 */

/* stats_id_ms - the creation time an id carries (0 if it is not an id). */
static int64_t
stats_id_ms(const char *id)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	const char *p;
	int64_t ms = 0;
	int i;

	for (i = 0; i < 10; i++) {
		if (id[i] == '\0' || (p = strchr(alphabet, id[i])) == NULL)
			return 0;
		ms = ms * 32 + (p - alphabet);
	}
	return ms;
}

/* stats_slot_home - where id's probe sequence starts. */
static size_t
stats_slot_home(const char *id)
{
	return (size_t)(id_hash(id) % STATS_TABLE);
}

/* stats_track_find - the entry of id, or NULL. */
static struct stats_track *
stats_track_find(struct stats *st, const char *id)
{
	size_t i = stats_slot_home(id);

	while (st->track[i].id[0] != '\0') {
		if (strcmp(st->track[i].id, id) == 0)
			return &st->track[i];
		i = (i + 1) % STATS_TABLE;
	}
	return NULL;
}

/* stats_track_put - an entry for id in stream/state (new or moved). */
static void
stats_track_put(struct stats *st, const char *id, size_t stream,
                enum stats_tstate state)
{
	struct stats_track *t;
	size_t i;

	if (id == NULL || strlen(id) != ID_LEN)
		return;
	t = stats_track_find(st, id);
	if (t != NULL) {
		st->tcount[t->stream * STATS_T_COUNT + t->state]--;
	} else {
		if (st->n_track == STATS_TRACK_MAX) {
			st->untracked++;
			return;
		}
		for (i = stats_slot_home(id); st->track[i].id[0] != '\0';
		     i = (i + 1) % STATS_TABLE)
			;
		t = &st->track[i];
		memcpy(t->id, id, ID_SIZE);
		t->created_ms = stats_id_ms(id);
		st->n_track++;
	}
	t->stream = (uint16_t)stream;
	t->state = (uint8_t)state;
	st->tcount[t->stream * STATS_T_COUNT + t->state]++;
}

/* stats_track_drop - forget id (sent or failed): backward-shift delete. */
static void
stats_track_drop(struct stats *st, const char *id)
{
	struct stats_track *t;
	size_t hole, j, home;

	if (id == NULL || (t = stats_track_find(st, id)) == NULL)
		return;
	st->tcount[t->stream * STATS_T_COUNT + t->state]--;
	st->n_track--;
	hole = (size_t)(t - st->track);
	j = hole;
	for (;;) {
		j = (j + 1) % STATS_TABLE;
		if (st->track[j].id[0] == '\0')
			break;
		home = stats_slot_home(st->track[j].id);
		/* Move j into the hole unless its home lies cyclically in
		 * (hole, j]: then the hole is not on its probe path. */
		if (!(hole <= j ? hole < home && home <= j
		                : hole < home || home <= j)) {
			st->track[hole] = st->track[j];
			hole = j;
		}
	}
	st->track[hole].id[0] = '\0';
}

/* ---- seeding from the spool ------------------------------------------------
 */

#define STATS_SEED_PAGE 1000

static void stats_seed_page(int status, struct spool_msg **msgs, size_t n,
                            void *arg);

/* stats_seed_next - ask for the page after `after` (NULL: the first). */
static void
stats_seed_next(struct stats *st, const char *after)
{
	if (st->n_track >= STATS_TRACK_MAX ||
	    spool_msg_list(st->seed_sp, st->seed_state, after, STATS_SEED_PAGE,
	                   stats_seed_page, st) != 0)
		st->seed_sp = NULL;
}

/* stats_seed_page - track one page of unsent messages, then the next. */
static void
stats_seed_page(int status, struct spool_msg **msgs, size_t n, void *arg)
{
	struct stats *st = arg;
	char last[ID_SIZE] = "";
	size_t i;

	for (i = 0; i < n; i++) {
		if (status == SPOOL_OK)
			stats_track_put(
			    st, msgs[i]->id,
			    stats_names_find(&st->stream, msgs[i]->stream),
			    msgs[i]->state == SPOOL_STATE_DEFERRED
			        ? STATS_T_DEFERRED
			        : STATS_T_READY);
		memcpy(last, msgs[i]->id, ID_SIZE);
		spool_msg_free(msgs[i]);
	}
	if (status != SPOOL_OK || st->seed_sp == NULL) {
		st->seed_sp = NULL;
		return;
	}
	if (n == STATS_SEED_PAGE) {
		stats_seed_next(st, last);
	} else if (st->seed_state == SPOOL_STATE_READY) {
		st->seed_state = SPOOL_STATE_DEFERRED;
		stats_seed_next(st, NULL);
	} else {
		st->seed_sp = NULL;
	}
}

int
stats_seed(struct stats *st, struct spool *sp)
{
	st->seed_sp = sp;
	st->seed_state = SPOOL_STATE_READY;
	stats_seed_next(st, NULL);
	return st->seed_sp != NULL ? 0 : -1;
}

/* ---- events
 * ------------------------------------------------------------------ */

/* stats_ingress - index of the ingress name. */
static size_t
stats_ingress(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < STATS_INGRESS_COUNT - 1; i++)
		if (strcmp(s, stats_ingress_names[i]) == 0)
			return i;
	return STATS_INGRESS_COUNT - 1;
}

/* stats_message_event - a message event of stream s (an index). */
static void
stats_message_event(struct stats *st, const struct events_item *e, size_t s)
{
	size_t p = stats_names_find(&st->prov, e->provider);
	size_t ns = st->stream.n + 1, np = st->prov.n + 1;

	switch (e->kind) {
	case EVENT_ACCEPTED: {
		size_t t = e->tenant ? stats_names_find(&st->tenant, e->tenant)
		                     : st->tenant.n;
		if (e->tenant != NULL && t == st->tenant.n)
			t = st->tenant.n + 1;
		st->accepted[stats_ingress(e->ingress) * (st->tenant.n + 2) +
		             t]++;
		stats_track_put(st, e->msg_id, e->stream ? s : st->dflt_stream,
		                STATS_T_READY);
		return;
	}
	case EVENT_ATTEMPT:
		if ((unsigned)e->cls < SEND_CLASS_COUNT)
			st->deliveries[(p * ns + s) * SEND_CLASS_COUNT +
			               e->cls]++;
		stats_hist_add(&st->attempt[p], e->duration_ms);
		if (e->cls == SEND_ACCEPTED)
			stats_win_add(st, p, st->now_ms());
		stats_track_put(st, e->msg_id, s, STATS_T_INFLIGHT);
		return;
	case EVENT_SENT:
		st->outcomes[s * STATS_OUT_COUNT + STATS_OUT_SENT]++;
		stats_hist_add(&st->latency[s], e->latency_ms);
		stats_track_drop(st, e->msg_id);
		return;
	case EVENT_FAILED:
		st->outcomes[s * STATS_OUT_COUNT + STATS_OUT_FAILED]++;
		stats_track_drop(st, e->msg_id);
		return;
	case EVENT_DEFERRED:
		st->outcomes[s * STATS_OUT_COUNT + STATS_OUT_DEFERRED]++;
		stats_track_put(st, e->msg_id, s, STATS_T_DEFERRED);
		return;
	case EVENT_HELD:
		st->outcomes[s * STATS_OUT_COUNT + STATS_OUT_HELD]++;
		stats_track_put(st, e->msg_id, s, STATS_T_HELD);
		return;
	case EVENT_FAILOVER:
		st->outcomes[s * STATS_OUT_COUNT + STATS_OUT_FAILOVER]++;
		st->failovers[p * np +
		              stats_names_find(&st->prov, e->to_provider)]++;
		stats_track_put(st, e->msg_id, s, STATS_T_INFLIGHT);
		return;
	case EVENT_DSN:
		st->outcomes[s * STATS_OUT_COUNT + STATS_OUT_DSN]++;
		return;
	default:
		return;
	}
}

void
stats_on_event(const struct events_item *e, void *arg)
{
	struct stats *st = arg;
	size_t p, k;

	if ((unsigned)e->kind >= EVENT_KIND_COUNT)
		return;
	st->events[e->kind]++;
	p = stats_names_find(&st->prov, e->provider);
	switch (e->kind) {
	case EVENT_CIRCUIT:
		for (k = 0; k < STATS_CIRCUIT_COUNT - 1; k++)
			if (e->state &&
			    strcmp(e->state, stats_circuit_names[k]) == 0)
				break;
		st->circuit[p * STATS_CIRCUIT_COUNT + k]++;
		return;
	case EVENT_THROTTLED:
		st->throttled[p]++;
		return;
	case EVENT_PROBE:
	case EVENT_STATUS_PAGE:
		return; /* counted by deliver (provider info) */
	case EVENT_FEEDBACK:
	case EVENT_FEEDBACK_REFUSED:
		stats_fb_on_event(st->fb, e); /* not a delivery of ours */
		return;
	default:
		stats_message_event(st, e,
		                    stats_names_find(&st->stream, e->stream));
		return;
	}
}

/* ---- rendering
 * ---------------------------------------------------------------- */

/* stats_row_zero - true if n counters from v are all zero. */
static bool
stats_row_zero(const uint64_t *v, size_t n)
{
	while (n-- > 0)
		if (*v++ != 0)
			return false;
	return true;
}

/* stats_hist_zero - true if h saw nothing. */
static bool
stats_hist_zero(const struct stats_hist *h)
{
	return stats_row_zero(h->c, STATS_LAT_BUCKETS + 1);
}

/* stats_render_deliveries - deliveries and outcomes by stream. */
static void
stats_render_deliveries(struct stats *st, struct metrics_writer *w)
{
	size_t np = st->prov.n + 1, ns = st->stream.n + 1, p, s, c;
	struct metrics_label l[3] = {
	    {"provider", NULL}, {"stream", NULL}, {"class", NULL}};

	metrics_family(
	    w, "swerve_deliveries_total", "counter",
	    "Delivery attempts by provider, stream and result class.");
	for (p = 0; p < np; p++)
		for (s = 0; s < ns; s++) {
			const uint64_t *v =
			    &st->deliveries[(p * ns + s) * SEND_CLASS_COUNT];
			if ((p == np - 1 || s == ns - 1) &&
			    stats_row_zero(v, SEND_CLASS_COUNT))
				continue;
			l[0].value = stats_names_label(&st->prov, p);
			l[1].value = stats_names_label(&st->stream, s);
			for (c = 0; c < SEND_CLASS_COUNT; c++) {
				l[2].value =
				    send_class_name((enum send_class)c);
				metrics_sample(w, l, 3, (double)v[c]);
			}
		}
	metrics_family(
	    w, "swerve_stream_messages_total", "counter",
	    "Message outcomes by stream (sent, failed, deferred, held, "
	    "failover, dsn).");
	l[0].key = "stream";
	l[1].key = "outcome";
	for (s = 0; s < ns; s++) {
		const uint64_t *v = &st->outcomes[s * STATS_OUT_COUNT];
		if (s == ns - 1 && stats_row_zero(v, STATS_OUT_COUNT))
			continue;
		l[0].value = stats_names_label(&st->stream, s);
		for (c = 0; c < STATS_OUT_COUNT; c++) {
			l[1].value = stats_outcome_names[c];
			metrics_sample(w, l, 2, (double)v[c]);
		}
	}
}

/* stats_render_providers - failovers, circuit changes, throttling, share. */
static void
stats_render_providers(struct stats *st, struct metrics_writer *w)
{
	size_t np = st->prov.n + 1, p, q, k;
	struct metrics_label l[2] = {{"from", NULL}, {"to", NULL}};
	uint64_t *win = xcalloc(np, sizeof(*win)), total = 0;
	int64_t now = st->now_ms();

	metrics_family(w, "swerve_provider_failovers_total", "counter",
	               "Messages moved at once from one provider to the next.");
	for (p = 0; p < np; p++)
		for (q = 0; q < np; q++) {
			uint64_t v = st->failovers[p * np + q];
			if (p == q || ((p == np - 1 || q == np - 1) && v == 0))
				continue;
			l[0].value = stats_names_label(&st->prov, p);
			l[1].value = stats_names_label(&st->prov, q);
			metrics_sample(w, l, 2, (double)v);
		}
	metrics_family(w, "swerve_provider_circuit_changes_total", "counter",
	               "Circuit breaker transitions by the state entered.");
	l[0].key = "provider";
	l[1].key = "state";
	for (p = 0; p < np; p++) {
		const uint64_t *v = &st->circuit[p * STATS_CIRCUIT_COUNT];
		if (p == np - 1 && stats_row_zero(v, STATS_CIRCUIT_COUNT))
			continue;
		l[0].value = stats_names_label(&st->prov, p);
		for (k = 0; k < STATS_CIRCUIT_COUNT - 1; k++) {
			l[1].value = stats_circuit_names[k];
			metrics_sample(w, l, 2, (double)v[k]);
		}
	}
	metrics_family(
	    w, "swerve_provider_throttled_total", "counter",
	    "Times the provider slowed us down (429, throttling answers).");
	for (p = 0; p < np; p++) {
		if (p == np - 1 && st->throttled[p] == 0)
			continue;
		l[0].value = stats_names_label(&st->prov, p);
		metrics_sample(w, l, 1, (double)st->throttled[p]);
	}
	for (p = 0; p < np; p++) {
		win[p] = stats_win_sum(st, p, now);
		total += win[p];
	}
	metrics_family(
	    w, "swerve_provider_traffic_share_ratio", "gauge",
	    "Share of the accepted deliveries each provider made over the "
	    "last 5 minutes (0 when there were none).");
	for (p = 0; p < st->prov.n; p++) {
		l[0].value = st->prov.v[p];
		metrics_sample(w, l, 1,
		               total ? (double)win[p] / (double)total : 0.0);
	}
	free(win);
}

/* stats_render_hists - latency per stream, attempt duration per provider. */
static void
stats_render_hists(struct stats *st, struct metrics_writer *w)
{
	struct metrics_label l = {"stream", NULL};
	size_t i;

	metrics_family(
	    w, "swerve_delivery_latency_seconds", "histogram",
	    "Time from acceptance to the provider accepting the message, by "
	    "stream.");
	for (i = 0; i <= st->stream.n; i++) {
		if (i == st->stream.n && stats_hist_zero(&st->latency[i]))
			continue;
		l.value = stats_names_label(&st->stream, i);
		metrics_histogram(w, &l, 1, stats_latency_bounds,
		                  st->latency[i].c, STATS_LAT_BUCKETS,
		                  st->latency[i].sum);
	}
	metrics_family(w, "swerve_delivery_attempt_duration_seconds",
	               "histogram",
	               "Duration of each delivery attempt, by provider.");
	l.key = "provider";
	for (i = 0; i <= st->prov.n; i++) {
		if (i == st->prov.n && stats_hist_zero(&st->attempt[i]))
			continue;
		l.value = stats_names_label(&st->prov, i);
		metrics_histogram(w, &l, 1, stats_latency_bounds,
		                  st->attempt[i].c, STATS_LAT_BUCKETS,
		                  st->attempt[i].sum);
	}
}

/* stats_render_queue - the queue estimate and accepted by tenant. */
static void
stats_render_queue(struct stats *st, struct metrics_writer *w)
{
	size_t ns = st->stream.n + 1, s, k, nt = st->tenant.n + 2;
	struct metrics_label l[2] = {{"stream", NULL}, {"state", NULL}};
	int64_t *oldest = xcalloc(ns, sizeof(*oldest)), now = st->now_ms();

	metrics_family(
	    w, "swerve_stream_queued_messages", "gauge",
	    "Messages not yet sent or failed, by stream and state "
	    "(estimated in memory from events; see swerve_queue_messages "
	    "for the spool's exact counts by state).");
	for (s = 0; s < ns; s++) {
		const uint64_t *v = &st->tcount[s * STATS_T_COUNT];
		if (s == ns - 1 && stats_row_zero(v, STATS_T_COUNT))
			continue;
		l[0].value = stats_names_label(&st->stream, s);
		for (k = 0; k < STATS_T_COUNT; k++) {
			l[1].value = stats_tstate_names[k];
			metrics_sample(w, l, 2, (double)v[k]);
		}
	}
	for (k = 0; k < STATS_TABLE && st->n_track > 0; k++) {
		const struct stats_track *t = &st->track[k];
		if (t->id[0] != '\0' && (oldest[t->stream] == 0 ||
		                         t->created_ms < oldest[t->stream]))
			oldest[t->stream] = t->created_ms;
	}
	metrics_family(
	    w, "swerve_stream_oldest_message_age_seconds", "gauge",
	    "Age of the oldest message not yet sent or failed, by stream (0 "
	    "when none; estimated in memory from events).");
	for (s = 0; s < ns; s++) {
		if (s == ns - 1 && oldest[s] == 0)
			continue;
		l[0].value = stats_names_label(&st->stream, s);
		metrics_sample(w, l, 1,
		               oldest[s] > 0 && now > oldest[s]
		                   ? (double)(now - oldest[s]) / 1000.0
		                   : 0.0);
	}
	free(oldest);
	metrics_family(
	    w, "swerve_stream_queue_untracked_total", "counter",
	    "Messages the queue estimate could not track (table full).");
	metrics_sample(w, NULL, 0, (double)st->untracked);
	metrics_family(
	    w, "swerve_tenant_messages_accepted_total", "counter",
	    "Messages accepted by ingress and tenant (none: unauthenticated "
	    "SMTP relay; other: a tenant not in the configuration).");
	l[0].key = "ingress";
	l[1].key = "tenant";
	for (s = 0; s < STATS_INGRESS_COUNT; s++)
		for (k = 0; k < nt; k++) {
			uint64_t v = st->accepted[s * nt + k];
			if (v == 0 && (s == STATS_INGRESS_COUNT - 1 ||
			               k == nt - 1 || (k == nt - 2 && s != 0)))
				continue;
			l[0].value = stats_ingress_names[s];
			l[1].value = k < st->tenant.n ? st->tenant.v[k]
			             : k == nt - 2    ? "none"
			                              : "other";
			metrics_sample(w, l, 2, (double)v);
		}
}

void
stats_render(struct stats *st, struct metrics_writer *w)
{
	struct metrics_label l = {"event", NULL};
	size_t k;

	stats_render_deliveries(st, w);
	stats_render_providers(st, w);
	stats_render_hists(st, w);
	stats_render_queue(st, w);
	stats_fb_render(st->fb, w);
	if (st->rates != NULL)
		rates_render(st->rates, w);
	metrics_family(w, "swerve_events_total", "counter",
	               "Message and provider events by kind.");
	for (k = 0; k < EVENT_KIND_COUNT; k++) {
		l.value = events_kind_name((enum event_kind)k);
		metrics_sample(w, &l, 1, (double)st->events[k]);
	}
}

int
stats_provider_view(struct stats *st, size_t i, struct stats_provider_view *out)
{
	int64_t now = st->now_ms();
	uint64_t total = 0;
	size_t p;

	if (i >= st->prov.n)
		return -1;
	for (p = 0; p <= st->prov.n; p++)
		total += stats_win_sum(st, p, now);
	out->accepted_5m = stats_win_sum(st, i, now);
	out->share_5m = total ? (double)out->accepted_5m / (double)total : 0;
	return 0;
}

int
stats_stream_queue(struct stats *st, size_t i, uint64_t *queued,
                   uint64_t *oldest_age_ms)
{
	int64_t oldest = 0, now = st->now_ms();
	size_t k;

	if (i >= st->stream.n)
		return -1;
	*queued = 0;
	for (k = 0; k < STATS_T_COUNT; k++)
		*queued += st->tcount[i * STATS_T_COUNT + k];
	for (k = 0; k<STATS_TABLE && * queued> 0; k++) {
		const struct stats_track *t = &st->track[k];
		if (t->id[0] != '\0' && t->stream == i &&
		    (oldest == 0 || t->created_ms < oldest))
			oldest = t->created_ms;
	}
	*oldest_age_ms =
	    oldest > 0 && now > oldest ? (uint64_t)(now - oldest) : 0;
	return 0;
}
