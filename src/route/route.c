/*
 * route.c - which provider takes a message's next attempt.
 *
 * route_pick runs three steps over the providers (see route.h): filter
 * (each refusal noted with its reason for the trace), keep-warm shares,
 * then the stream's objective. Balanced sharing is smooth weighted
 * round-robin on effective weights (weight x health x ramp): every
 * candidate gains its effective weight in credit, the richest wins and
 * pays the total, so shares converge to the weights without bursts.
 *
 * route_result turns one attempt's result class into health samples, a
 * breaker outcome, AIMD steps and quota bookkeeping. Decides nothing about
 * the message itself; that is deliver's job.
 */
#include "route/route.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"

#define ROUTE_RETRY_AFTER_MAX_MS (10 * 60 * 1000)

/* The limit beyond this node (route_gate_set); allow is NULL: none. */
static struct route_gate route_gate;

void
route_gate_set(const struct route_gate *g)
{
	if (g == NULL)
		memset(&route_gate, 0, sizeof(route_gate));
	else
		route_gate = *g;
}

/* route_breaker_opts - the config's circuit section as breaker options. */
static void
route_breaker_opts(const struct config_provider *cfg, struct breaker_opts *o)
{
	const struct config_circuit *c = &cfg->circuit;

	memset(o, 0, sizeof(*o));
	o->consecutive_failures = c->failures ? c->failures : 3;
	o->window_ms = c->window_ms ? c->window_ms : 30000;
	o->min_volume = c->min_volume ? c->min_volume : 20;
	o->failure_pct = c->failure_ratio > 0
	                     ? (unsigned)lround(c->failure_ratio * 100)
	                     : 50;
	if (o->failure_pct == 0)
		o->failure_pct = 1;
	o->cooldown_min_ms = c->cooldown_ms ? c->cooldown_ms : 5000;
	o->cooldown_max_ms = c->max_cooldown_ms ? c->max_cooldown_ms : 300000;
	if (o->cooldown_max_ms < o->cooldown_min_ms)
		o->cooldown_max_ms = o->cooldown_min_ms;
	o->config_cooldown_ms =
	    c->config_cooldown_ms ? c->config_cooldown_ms : 600000;
	o->half_open_trials = c->trials ? c->trials : 3;
	o->close_after = o->half_open_trials;
}

void
route_prov_init(struct route_prov *rp, const struct config_provider *cfg,
                uint64_t now_ms, int64_t wall_ms)
{
	struct breaker_opts bo;
	struct rate r;

	memset(rp, 0, sizeof(*rp));
	rp->cfg = cfg;
	route_breaker_opts(cfg, &bo);
	breaker_init(&rp->br, &bo);
	health_init(&rp->h, NULL);
	if (cfg->max_rate != NULL && rate_parse(cfg->max_rate, &r) == RATE_OK) {
		rp->limited = true;
		tbucket_init(&rp->tb, r.per_sec, 0, now_ms);
		aimd_init(&rp->aimd, r.per_sec, 0);
	}
	quota_init(&rp->quota, cfg->quota_daily,
	           wall_ms < 0 ? 0 : (uint64_t)wall_ms);
}

/* route_admin_now - the operator state, expiring a timed pause. */
enum route_admin
route_admin_now(const struct route_prov *rp, uint64_t now_ms)
{
	if (rp->admin != ROUTE_ADMIN_ACTIVE && rp->admin_until_ms != 0 &&
	    now_ms >= rp->admin_until_ms)
		return ROUTE_ADMIN_ACTIVE;
	return rp->admin;
}

bool
route_usable(const struct route_prov *rp, uint64_t now_ms)
{
	return rp->cfg->enabled &&
	       route_admin_now(rp, now_ms) == ROUTE_ADMIN_ACTIVE &&
	       breaker_usable(&rp->br, now_ms);
}

bool
route_any_usable(struct route_prov *const *provs, size_t n, uint64_t now_ms)
{
	size_t i;

	for (i = 0; i < n && i < ROUTE_MAX_PROVIDERS; i++)
		if (route_usable(provs[i], now_ms))
			return true;
	return false;
}

double
route_share_factor(const struct route_prov *rp, uint64_t now_ms)
{
	return health_score(&rp->h, now_ms) *
	       health_ramp_factor(&rp->h, now_ms);
}

const char *
route_state_name(const struct route_prov *rp, uint64_t now_ms)
{
	if (!rp->cfg->enabled)
		return "disabled";
	switch (route_admin_now(rp, now_ms)) {
	case ROUTE_ADMIN_PAUSED:
		return "paused";
	case ROUTE_ADMIN_DRAINING:
		return "draining";
	case ROUTE_ADMIN_ACTIVE:
		break;
	}
	if (rp->br.state == BREAKER_OPEN && now_ms >= rp->br.until_ms)
		return "half-open";
	return breaker_state_name(rp->br.state);
}

/* route_stream_allows - is provider cfg allowed for stream st? */
static bool
route_stream_allows(const struct config_stream *st,
                    const struct config_provider *cfg)
{
	size_t i;

	if (st == NULL || st->n_providers == 0)
		return true;
	for (i = 0; i < st->n_providers; i++)
		if (strcmp(st->providers[i], cfg->name) == 0)
			return true;
	return false;
}

/* ---- trace ------------------------------------------------------------ */

struct route_note {
	double eff;        /* candidate: effective weight */
	double rep;        /* reputation share for the sender domain */
	bool ok;           /* a candidate */
	bool demoted;      /* deliverability set it aside for rep */
	char why[96];      /* filtered: why; chosen: the gate's note */
	char rep_why[160]; /* rep < 1: which ratio crossed */
};

/* route_filter - is provs[i] a candidate? Fills note; may set wait. */
static bool
route_filter(struct route_prov *p, size_t i, struct route_ctx *ctx,
             struct route_note *note)
{
	uint64_t now = ctx->now_ms, left, wait;

	note->ok = false;
	note->demoted = false;
	if (!p->cfg->enabled) {
		snprintf(note->why, sizeof(note->why), "disabled");
		return false;
	}
	if (ctx->tried & (1ULL << i)) {
		snprintf(note->why, sizeof(note->why), "already tried");
		return false;
	}
	switch (route_admin_now(p, now)) {
	case ROUTE_ADMIN_PAUSED:
		snprintf(note->why, sizeof(note->why), "paused by operator");
		/* A timed pause: worth waiting for if nothing else can. */
		if (p->admin_until_ms > now &&
		    (ctx->wait_ms == 0 ||
		     p->admin_until_ms - now < ctx->wait_ms))
			ctx->wait_ms = p->admin_until_ms - now;
		return false;
	case ROUTE_ADMIN_DRAINING:
		snprintf(note->why, sizeof(note->why), "draining");
		return false;
	case ROUTE_ADMIN_ACTIVE:
		break;
	}
	if (ctx->stream != NULL && !route_stream_allows(ctx->stream, p->cfg)) {
		snprintf(note->why, sizeof(note->why),
		         "not allowed for stream %s", ctx->stream->name);
		return false;
	}
	if (!breaker_usable(&p->br, now)) {
		if (p->br.state == BREAKER_HALF_OPEN) {
			snprintf(note->why, sizeof(note->why),
			         "circuit half-open, trial slots busy");
			if (ctx->wait_ms == 0 || ctx->wait_ms > 100)
				ctx->wait_ms = 100;
		} else {
			left = breaker_cooldown_left(&p->br, now);
			snprintf(note->why, sizeof(note->why),
			         "circuit open, %llu.%llu s left",
			         (unsigned long long)(left / 1000),
			         (unsigned long long)(left % 1000 / 100));
		}
		return false;
	}
	if (ctx->represents != NULL &&
	    !ctx->represents(i, note->why, sizeof(note->why), ctx->arg))
		return false;
	if (p->quota.limit > 0 &&
	    quota_left(&p->quota,
	               ctx->wall_ms < 0 ? 0 : (uint64_t)ctx->wall_ms) == 0) {
		snprintf(note->why, sizeof(note->why), "daily quota used up");
		return false;
	}
	if (p->limited && (wait = tbucket_wait_ms(&p->tb, now)) > 0) {
		snprintf(note->why, sizeof(note->why),
		         "rate limit %.3g/s, next slot in %llu ms", p->tb.rate,
		         (unsigned long long)wait);
		if (ctx->wait_ms == 0 || wait < ctx->wait_ms)
			ctx->wait_ms = wait;
		return false;
	}
	note->why[0] = '\0';
	if (route_gate.allow != NULL) {
		wait = 0;
		if (!route_gate.allow(route_gate.arg, p, now, ctx->wall_ms,
		                      &wait, note->why, sizeof(note->why))) {
			if (wait > 0 &&
			    (ctx->wait_ms == 0 || wait < ctx->wait_ms))
				ctx->wait_ms = wait;
			return false;
		}
	}
	note->ok = true;
	note->rep = 1.0;
	note->rep_why[0] = '\0';
	if (ctx->reputation != NULL)
		note->rep = ctx->reputation(i, note->rep_why,
		                            sizeof(note->rep_why), ctx->arg);
	if (!(note->rep > 0 && note->rep <= 1))
		note->rep = 1.0;
	note->eff =
	    (double)p->cfg->weight * route_share_factor(p, now) * note->rep;
	return true;
}

/* route_trace_write - the decision in plain words. */
static void
route_trace_write(struct route_prov *const *provs, size_t n,
                  const struct route_ctx *ctx, const struct route_note *notes,
                  int chosen, const char *how)
{
	struct buf *t = ctx->trace;
	const struct config_stream *st = ctx->stream;
	static const char *const objectives[] = {"balanced", "latency", "cost",
	                                         "deliverability"};
	size_t i, k;

	if (t == NULL)
		return;
	buf_printf(t, "stream %s (%s): ", st ? st->name : "transactional",
	           st && (unsigned)st->objective < 4 ? objectives[st->objective]
	                                             : "balanced");
	if (chosen >= 0) {
		const struct route_prov *p = provs[chosen];
		buf_printf(
		    t,
		    "chose %s by %s (priority %d, weight %d x health %.2f x "
		    "ramp %.2f, cost %.2f/1k, latency %llu ms)",
		    p->cfg->name, how, p->cfg->priority, p->cfg->weight,
		    health_score(&p->h, ctx->now_ms),
		    health_ramp_factor(&p->h, ctx->now_ms), p->cfg->cost_per_1k,
		    (unsigned long long)health_latency_ewma(&p->h));
		if (notes[chosen].rep < 1)
			buf_printf(t, " x reputation %.2f: %s",
			           notes[chosen].rep, notes[chosen].rep_why);
		if (notes[chosen].why[0] != '\0')
			buf_printf(t, " (%s)", notes[chosen].why);
	} else {
		buf_printf(t, "no provider can take it now");
	}
	for (i = 0, k = 0; i < n; i++) {
		if ((int)i == chosen || !notes[i].ok)
			continue;
		buf_printf(
		    t, "%s%s (priority %d, score %.2f",
		    k++ ? ", " : "; other candidates: ", provs[i]->cfg->name,
		    provs[i]->cfg->priority, notes[i].eff);
		if (notes[i].rep < 1)
			buf_printf(t, "; reputation x%.2f: %s", notes[i].rep,
			           notes[i].rep_why);
		buf_printf(t, ")");
	}
	for (i = 0, k = 0; i < n; i++) {
		if ((int)i == chosen || notes[i].ok)
			continue;
		buf_printf(t, "%s%s (%s%s%s)",
		           k++ ? ", " : "; filtered: ", provs[i]->cfg->name,
		           notes[i].why, notes[i].demoted ? ": " : "",
		           notes[i].demoted ? notes[i].rep_why : "");
	}
}

/* ---- choosing --------------------------------------------------------- */

/*
 * route_balanced - smooth weighted round-robin among the candidates of the
 * best priority; weight-0 standbys only when no weighted one is left.
 */
static int
route_balanced(struct route_prov *const *provs, size_t n,
               const struct route_note *notes, bool within_cost, double cost)
{
	int best = -1, prio = 0;
	bool any = false, weighted = false;
	double total = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct route_prov *p = provs[i];
		if (!notes[i].ok ||
		    (within_cost && p->cfg->cost_per_1k != cost))
			continue;
		if (!any || p->cfg->priority < prio) {
			prio = p->cfg->priority;
			weighted = false;
		}
		any = true;
		if (p->cfg->priority == prio && p->cfg->weight > 0)
			weighted = true;
	}
	if (!any)
		return -1;
	for (i = 0; i < n; i++) {
		struct route_prov *p = provs[i];
		double w;
		if (!notes[i].ok || p->cfg->priority != prio ||
		    (within_cost && p->cfg->cost_per_1k != cost))
			continue;
		if (weighted && p->cfg->weight == 0)
			continue;
		w = weighted ? notes[i].eff : 1.0;
		p->credit += w;
		total += w;
		if (best < 0 || p->credit > provs[best]->credit)
			best = (int)i;
	}
	provs[best]->credit -= total;
	return best;
}

/*
 * route_ramped - balanced choice with the fail-back ramp across priority
 * groups: while the best group is ramping back after an outage (its
 * members' ramp factors below 1), the share it does not take yet goes to
 * the next priority group with a candidate, by deterministic credit. So a
 * recovered primary gets 5% of the traffic at first and all of it only at
 * the end of failback_ramp, even when it is alone in its priority.
 */
static int
route_ramped(struct route_prov *const *provs, size_t n,
             struct route_note *notes, uint64_t now_ms, bool *spilled)
{
	int best = route_balanced(provs, n, notes, false, 0), alt, lead = -1;
	double full = 0, ramped = 0;
	bool saved[ROUTE_MAX_PROVIDERS];
	size_t i;

	*spilled = false;
	if (best < 0)
		return best;
	for (i = 0; i < n; i++) {
		const struct route_prov *p = provs[i];
		double w;
		if (!notes[i].ok ||
		    p->cfg->priority != provs[best]->cfg->priority)
			continue;
		if (lead < 0)
			lead = (int)i;
		w = (double)(p->cfg->weight ? p->cfg->weight : 1) *
		    health_score(&p->h, now_ms);
		full += w;
		ramped += w * health_ramp_factor(&p->h, now_ms);
	}
	if (full <= 0 || ramped >= full * 0.999)
		return best;
	provs[lead]->spill_credit += 1.0 - ramped / full;
	if (provs[lead]->spill_credit < 1.0)
		return best;
	/* Owed a pick: the next group, if there is one. */
	for (i = 0; i < n; i++) {
		saved[i] = notes[i].ok;
		if (notes[i].ok &&
		    provs[i]->cfg->priority == provs[best]->cfg->priority)
			notes[i].ok = false;
	}
	alt = route_balanced(provs, n, notes, false, 0);
	for (i = 0; i < n; i++)
		notes[i].ok = saved[i];
	if (alt < 0)
		return best;
	/* Paid: one pick of the ramp's missing share went elsewhere. */
	provs[lead]->spill_credit -= 1.0;
	*spilled = true;
	return alt;
}

/* route_latency - the candidate with the lowest latency per success. */
static int
route_latency(struct route_prov *const *provs, size_t n,
              const struct route_note *notes, uint64_t now_ms)
{
	double best_v = 0;
	int best = -1;
	size_t i;

	for (i = 0; i < n; i++) {
		double v;
		if (!notes[i].ok)
			continue;
		v = ((double)health_latency_ewma(&provs[i]->h) + 1.0) /
		    health_success_ratio(&provs[i]->h, now_ms);
		if (best < 0 || v < best_v ||
		    (v == best_v &&
		     provs[i]->cfg->priority < provs[best]->cfg->priority)) {
			best = (int)i;
			best_v = v;
		}
	}
	return best;
}

/* route_cheapest - the lowest cost among candidates (or -1 if none). */
static int
route_cheapest(struct route_prov *const *provs, size_t n,
               const struct route_note *notes, double *cost)
{
	int best = -1;
	size_t i;

	for (i = 0; i < n; i++)
		if (notes[i].ok &&
		    (best < 0 || provs[i]->cfg->cost_per_1k <
		                     provs[best]->cfg->cost_per_1k))
			best = (int)i;
	if (best >= 0)
		*cost = provs[best]->cfg->cost_per_1k;
	return best;
}

/*
 * route_keep_warm - a candidate outside the winner's priority group with
 * keep_warm > 0 whose credit has reached a whole pick, or -1.
 */
static int
route_keep_warm(struct route_prov *const *provs, size_t n,
                const struct route_note *notes, int winner)
{
	int warm = -1;
	size_t i;

	for (i = 0; i < n; i++) {
		struct route_prov *p = provs[i];
		if (!notes[i].ok || (int)i == winner ||
		    p->cfg->keep_warm <= 0 ||
		    p->cfg->priority == provs[winner]->cfg->priority)
			continue;
		p->warm_credit += p->cfg->keep_warm;
		if (warm < 0 && p->warm_credit >= 1.0)
			warm = (int)i;
	}
	if (warm >= 0)
		provs[warm]->warm_credit -= 1.0;
	return warm;
}

/*
 * route_demote - deliverability: when some candidate's reputation for
 * the sender domain is clean, the others are set aside (noted with
 * their reason). Returns true when every candidate is over a warning
 * level (nothing demoted: the least bad share the mail).
 */
static bool
route_demote(size_t n, struct route_note *notes)
{
	bool clean = false, any = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!notes[i].ok)
			continue;
		any = true;
		if (notes[i].rep >= 1)
			clean = true;
	}
	if (!clean)
		return any;
	for (i = 0; i < n; i++) {
		if (!notes[i].ok || notes[i].rep >= 1)
			continue;
		notes[i].ok = false;
		notes[i].demoted = true;
		snprintf(notes[i].why, sizeof(notes[i].why),
		         "demoted for deliverability");
	}
	return false;
}

/* route_take - take the chosen one's trial slot, token and quota. */
static bool
route_take(struct route_prov *p, struct route_ctx *ctx)
{
	uint64_t wall = ctx->wall_ms < 0 ? 0 : (uint64_t)ctx->wall_ms;

	ctx->trial = p->br.state != BREAKER_CLOSED;
	if (!breaker_allow(&p->br, ctx->now_ms)) {
		ctx->trial = false;
		return false;
	}
	ctx->trial = p->br.state == BREAKER_HALF_OPEN;
	if (p->limited)
		(void)tbucket_take(&p->tb, ctx->now_ms);
	if (p->quota.limit > 0)
		(void)quota_take(&p->quota, wall);
	if (route_gate.take != NULL)
		route_gate.take(route_gate.arg, p, ctx->now_ms, ctx->wall_ms);
	return true;
}

int
route_pick(struct route_prov *const *provs, size_t n, struct route_ctx *ctx)
{
	struct route_note notes[ROUTE_MAX_PROVIDERS];
	int objective =
	    ctx->stream ? ctx->stream->objective : CONFIG_OBJECTIVE_BALANCED;
	const char *how = "priority and weight";
	double cost = 0;
	int pick, warm;
	size_t i;

	if (n > ROUTE_MAX_PROVIDERS)
		n = ROUTE_MAX_PROVIDERS;
	ctx->wait_ms = 0;
	ctx->trial = false;
	ctx->warm = false;
	for (i = 0; i < n; i++)
		(void)route_filter(provs[i], i, ctx, &notes[i]);
	if (objective == CONFIG_OBJECTIVE_DELIVERABILITY &&
	    route_demote(n, notes))
		how = "deliverability (every candidate over a warning level)";
	else if (objective == CONFIG_OBJECTIVE_DELIVERABILITY)
		how = "deliverability";
	for (;;) {
		switch (objective) {
		case CONFIG_OBJECTIVE_LATENCY:
			pick = route_latency(provs, n, notes, ctx->now_ms);
			how = "lowest latency";
			break;
		case CONFIG_OBJECTIVE_COST:
			pick = route_cheapest(provs, n, notes, &cost);
			if (pick >= 0)
				pick =
				    route_balanced(provs, n, notes, true, cost);
			how = "lowest cost";
			break;
		default: { /* balanced, deliverability (after demoting) */
			bool spilled;
			pick = route_ramped(provs, n, notes, ctx->now_ms,
			                    &spilled);
			if (spilled)
				how = "fail-back ramp share";
			break;
		}
		}
		if (pick < 0)
			break;
		warm = route_keep_warm(provs, n, notes, pick);
		if (warm >= 0) {
			pick = warm;
			how = "keep-warm share";
			ctx->warm = true;
		}
		if (route_take(provs[pick], ctx))
			break;
		/* Its last trial slot went meanwhile: next one. */
		notes[pick].ok = false;
		snprintf(notes[pick].why, sizeof(notes[pick].why),
		         "circuit half-open, trial slots busy");
		ctx->warm = false;
	}
	if (pick >= 0) {
		provs[pick]->picks++;
		provs[pick]->warm_picks += ctx->warm;
		ctx->wait_ms = 0;
	}
	route_trace_write(provs, n, ctx, notes, pick, how);
	return pick;
}

/* ---- results ---------------------------------------------------------- */

/* route_after - ramp up on a fresh close; remember that it was open. */
static enum breaker_event
route_after(struct route_prov *rp, enum breaker_event ev, uint64_t now_ms)
{
	if (ev == BREAKER_EV_CLOSED && rp->was_open) {
		health_ramp_start(&rp->h, now_ms, rp->cfg->failback_ramp_ms);
		rp->was_open = false;
	}
	if (ev == BREAKER_EV_CLOSED)
		rp->forced = false;
	if (ev == BREAKER_EV_OPENED || ev == BREAKER_EV_REOPENED)
		rp->was_open = true;
	return ev;
}

enum breaker_event
route_result(struct route_prov *rp, const struct send_result *r,
             uint64_t latency_ms, bool trial, uint64_t now_ms, int64_t wall_ms)
{
	uint64_t wall = wall_ms < 0 ? 0 : (uint64_t)wall_ms;
	enum breaker_outcome out;
	enum breaker_event ev;

	health_record(&rp->h, now_ms, r->class, latency_ms);
	if (!health_class_is_success(r->class))
		rp->fail_stage = r->stage;
	if (r->class != SEND_ACCEPTED && rp->quota.limit > 0)
		quota_refund(&rp->quota, wall);
	if (r->class != SEND_ACCEPTED && route_gate.refund != NULL)
		route_gate.refund(route_gate.arg, rp, wall_ms);
	if (r->class == SEND_THROTTLED && r->quota_exhausted)
		quota_exhaust(&rp->quota, wall);
	if (rp->limited) {
		if (r->class == SEND_THROTTLED)
			(void)aimd_throttled(&rp->aimd, &rp->tb, now_ms);
		else if (r->class == SEND_ACCEPTED)
			(void)aimd_success(&rp->aimd, &rp->tb, now_ms);
	}
	if (r->class == SEND_CONFIG)
		out = BREAKER_CONFIG;
	else if (health_class_is_success(r->class))
		out = BREAKER_SUCCESS;
	else if (r->class == SEND_THROTTLED && rp->limited &&
	         rp->br.state == BREAKER_CLOSED)
		return BREAKER_EV_NONE; /* AIMD slowed it; not a health fault */
	else
		out = BREAKER_FAILURE;
	/* A result that used no trial slot while half-open is a late one
	 * from before; the breaker ignores it unless a trial is out, so a
	 * late success must not close it: record trials only. */
	if (rp->br.state == BREAKER_HALF_OPEN && !trial &&
	    out != BREAKER_CONFIG)
		return BREAKER_EV_NONE;
	ev = route_after(rp, breaker_record(&rp->br, now_ms, out), now_ms);
	if (ev == BREAKER_EV_NONE && r->class == SEND_THROTTLED &&
	    r->retry_after_ms > 0 && rp->br.state == BREAKER_CLOSED) {
		char why[96];
		uint64_t ms = (uint64_t)r->retry_after_ms;
		if (ms > ROUTE_RETRY_AFTER_MAX_MS)
			ms = ROUTE_RETRY_AFTER_MAX_MS;
		snprintf(why, sizeof(why),
		         "provider asked to retry after %llu s",
		         (unsigned long long)((ms + 999) / 1000));
		ev = route_after(
		    rp, breaker_force_open(&rp->br, now_ms, ms, why), now_ms);
		rp->forced = true;
	}
	return ev;
}

void
route_unpick(struct route_prov *rp, bool trial, int64_t wall_ms)
{
	if (trial)
		breaker_trial_cancel(&rp->br);
	if (rp->quota.limit > 0)
		quota_refund(&rp->quota, wall_ms < 0 ? 0 : (uint64_t)wall_ms);
	if (route_gate.refund != NULL)
		route_gate.refund(route_gate.arg, rp, wall_ms);
}

enum breaker_event
route_probe_result(struct route_prov *rp, bool ok, enum send_class cls,
                   uint64_t latency_ms, uint64_t now_ms)
{
	if (ok) {
		health_record(&rp->h, now_ms, SEND_ACCEPTED, latency_ms);
		/* Not after an account fault: a probe cannot see a paused
		 * account (it sends no MAIL), only trials can. */
		if (rp->br.state == BREAKER_OPEN && !rp->forced &&
		    !rp->status_major && rp->br.until_ms > now_ms &&
		    strncmp(rp->br.reason, "config", 6) != 0 &&
		    rp->fail_stage >= SEND_STAGE_CONNECT &&
		    rp->fail_stage <= SEND_STAGE_AUTH)
			rp->br.until_ms = now_ms; /* trials may go now */
		return BREAKER_EV_NONE;
	}
	health_record(&rp->h, now_ms,
	              cls == SEND_ACCEPTED ? SEND_DEFERRED : cls, latency_ms);
	if (rp->br.state != BREAKER_CLOSED)
		return BREAKER_EV_NONE;
	return route_after(rp,
	                   breaker_record(&rp->br, now_ms,
	                                  cls == SEND_CONFIG ? BREAKER_CONFIG
	                                                     : BREAKER_FAILURE),
	                   now_ms);
}
