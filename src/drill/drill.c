/*
 * drill.c - the drill controller: starts, hooks, watches, ends and
 * reports drills. See drill.h.
 */
#include "drill/drill.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "deliver/deliver.h"
#include "drill/drill_fault.h"
#include "drill/drill_label.h"
#include "drill/drill_obs.h"
#include "drill/drill_preflight.h"
#include "drill/drill_report.h"
#include "drill/drill_sched.h"
#include "drill/drill_store.h"
#include "drill/drill_traffic.h"
#include "incident/incident.h"
#include "observe/alert.h"
#include "observe/alerting.h"
#include "observe/events.h"
#include "spool/spool.h"

#define DRILL_TICK_MS 250
#define DRILL_DEFAULT_MS 300000ULL
#define DRILL_PF_WAIT_MS 5000

/* One drill: running, or ended and waiting to be final. */
struct drill_run {
	struct drill_meta m;
	struct drill_fault fault;
	struct config_drill_objectives obj;
	struct drill_obs obs;
	char type[32];       /* the provider's type */
	uint64_t timeout_ms; /* hang: the provider's connect timeout */
	uint64_t start_mono, end_mono;
	bool active;            /* the fault is on */
	bool stored;            /* the start is on disk */
	bool counting;          /* the lost count is being read */
	uint64_t answered;      /* attempts the hook answered (their events may
	                           come after the end: a hang) */
	struct drill_run *next; /* in c->tails */
};

struct drill_ctl {
	struct drill_ctl_opts o;
	const struct config *cfg;
	struct drill_run *run;   /* the running drill, or NULL */
	struct drill_run *tails; /* ended, not final yet (newest first) */
	json_t *last;            /* the last final report (this process) */
	struct event *tick, *abort_ev;
	char abort_why[300];
	struct drill_traffic traffic;
	int64_t *next; /* per cfg->drills: next fire (wall ms) */
	size_t n_next;
	unsigned pending; /* store callbacks that point at c */
	bool closing;
	/* a preflight waiting for its test notifications */
	struct {
		bool on;
		char provider[DRILL_OBS_NAME], stream[DRILL_OBS_NAME];
		struct drill_preflight_alerts alerts;
		uint64_t until_mono;
		drill_json_fn *cb;
		void *arg;
	} pf;
	drill_started_fn *start_cb;
	void *start_arg;
};

static void drill_end(struct drill_ctl *c, const char *state,
                      const char *reason);

/* ---- the hook ------------------------------------------------------ */

/* drill_pick - does the share of the drill take msg_id? */
static bool
drill_pick(const struct drill_run *r, const char *msg_id)
{
	uint64_t h = 1469598103934665603ULL;
	const char *s;

	if (r->m.share >= 1.0)
		return true;
	for (s = msg_id ? msg_id : ""; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (double)(h % 10000) < r->m.share * 10000.0;
}

/* drill_hook_attempt - deliver's fault hook for one attempt. */
static void
drill_hook_attempt(const char *provider, const char *type, const char *stream,
                   const char *msg_id, struct deliver_fault *out, void *arg)
{
	struct drill_ctl *c = arg;
	struct drill_run *r = c->run;
	uint64_t elapsed;

	(void)type;
	if (r == NULL || !r->active || strcmp(provider, r->m.provider) != 0 ||
	    (r->m.stream[0] != '\0' &&
	     (stream == NULL || strcmp(stream, r->m.stream) != 0)) ||
	    !drill_pick(r, msg_id))
		return;
	if (r->fault.kind == DRILL_FAULT_SLOW) {
		out->act = DELIVER_FAULT_DELAY;
		out->after_ms = r->fault.param_ms;
		return;
	}
	elapsed = clock_mono_ms() - r->start_mono;
	if (!drill_fault_failing(&r->fault, elapsed))
		return;
	out->act = DELIVER_FAULT_ANSWER;
	r->answered++;
	drill_fault_answer(&r->fault, r->type, r->m.id, r->timeout_ms,
	                   &out->result, &out->after_ms);
}

/* drill_hook_probe - a probe of the drilled provider fails as an
 * outage, hang, tempfail or account fault would make it fail. */
static void
drill_hook_probe(const char *provider, const char *type,
                 struct deliver_fault *out, void *arg)
{
	struct drill_ctl *c = arg;
	struct drill_run *r = c->run;
	uint64_t after;

	(void)type;
	if (r == NULL || !r->active || strcmp(provider, r->m.provider) != 0 ||
	    r->m.stream[0] != '\0' || r->m.share < 1.0 ||
	    r->fault.kind == DRILL_FAULT_SLOW ||
	    r->fault.kind == DRILL_FAULT_THROTTLE ||
	    !drill_fault_failing(&r->fault, clock_mono_ms() - r->start_mono))
		return;
	out->act = DELIVER_FAULT_ANSWER;
	drill_fault_answer(&r->fault, r->type, r->m.id, 0, &out->result,
	                   &after);
}

/* drill_hook_drilled - is provider the drilled one (running, or ended
 * and failing back)? */
static bool
drill_hook_drilled(const char *provider, void *arg)
{
	struct drill_ctl *c = arg;

	const struct drill_run *t;

	if (c->run != NULL && c->run->active &&
	    strcmp(provider, c->run->m.provider) == 0)
		return true;
	for (t = c->tails; t != NULL; t = t->next)
		if (strcmp(provider, t->m.provider) == 0 &&
		    t->obs.failback_ms == 0)
			return true;
	return false;
}

bool
drill_ctl_drilled(const char *provider, void *arg)
{
	return drill_hook_drilled(provider, arg);
}

/* ---- runs ---------------------------------------------------------- */

/* drill_run_free - forget r. */
static void
drill_run_free(struct drill_run *r)
{
	if (r == NULL)
		return;
	drill_obs_fini(&r->obs);
	free(r);
}

/* drill_report_now - r's report as it stands (lost may be NULL). */
static json_t *
drill_report_now(struct drill_ctl *c, struct drill_run *r,
                 const struct drill_lost *lost)
{
	r->m.notify = c->cfg->drill_notify;
	r->m.notifiers = c->o.alerting != NULL && c->cfg->n_alert_notify > 0;
	return drill_report_build(&r->m, &r->obs, &r->obj, lost);
}

/* drill_emit - EVENT_DRILL for r. */
static void
drill_emit(const struct drill_run *r, const char *state, const char *text)
{
	struct events_item e = {
	    .kind = EVENT_DRILL,
	    .reason = r->m.id,
	    .state = state,
	    .provider = r->m.provider,
	    .stream = r->m.stream[0] ? r->m.stream : NULL,
	    .text = text,
	    .drill = 1,
	};

	events_emit(&e);
}

/* drill_put_done - a store of a run's row finished (no run pointer is
 * kept: the run may be gone). */
static void
drill_put_done(int status, void *arg)
{
	struct drill_ctl *c = arg;

	c->pending--;
	if (c->closing) {
		if (c->pending == 0)
			free(c);
		return;
	}
	if (status != SPOOL_OK)
		log_error("drill: could not store a drill's record (%s)",
		          spool_status_name(status));
}

/* drill_store_now - write r's row and report as they stand. */
static void
drill_store_now(struct drill_ctl *c, struct drill_run *r,
                const struct drill_lost *lost)
{
	json_t *rep = drill_report_now(c, r, lost);

	if (drill_store_put(c->o.spool, &r->m, rep, drill_put_done, c) == 0)
		c->pending++;
	json_decref(rep);
}

/* What a final lost count waits with. */
struct drill_fin {
	struct drill_ctl *c;
	struct drill_run *r;
};

/* drill_tail_unlink - take r out of c's tails. */
static void
drill_tail_unlink(struct drill_ctl *c, struct drill_run *r)
{
	struct drill_run **pp;

	for (pp = &c->tails; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			return;
		}
}

/* drill_final_done - the lost count of r is in: its final report. */
static void
drill_final_done(int status, const struct drill_lost *lost, void *arg)
{
	struct drill_fin *fin = arg;
	struct drill_ctl *c = fin->c;
	struct drill_run *r = fin->r;
	json_t *rep;

	free(fin);
	c->pending--;
	if (c->closing) {
		if (c->pending == 0)
			free(c);
		return;
	}
	drill_tail_unlink(c, r);
	if (c->run == NULL && c->tails == NULL)
		drill_label_set(NULL, NULL, NULL, 0);
	if (status != SPOOL_OK)
		drill_obs_note(&r->obs, "the spool could not be read to count "
		                        "lost messages");
	if (r->obs.failback_ms == 0)
		drill_obs_note(&r->obs, "the provider did not fail back within "
		                        "drill.failback_wait");
	rep = drill_report_now(c, r, status == SPOOL_OK ? lost : NULL);
	if (drill_store_put(c->o.spool, &r->m, rep, drill_put_done, c) == 0)
		c->pending++;
	log_info("drill: %s report final: %s", r->m.id,
	         json_is_true(json_object_get(rep, "passed"))
	             ? "every objective met"
	             : "an objective was missed");
	if (!json_is_true(json_object_get(rep, "passed")) &&
	    c->o.alerting != NULL) {
		char summary[400];
		snprintf(summary, sizeof(summary),
		         "drill %s (%s %s) missed an objective: swervectl "
		         "drill report %s",
		         r->m.id, r->m.provider, r->m.fault, r->m.id);
		alerting_notice(c->o.alerting, "drill_objective_failed",
		                summary, 1);
	}
	json_decref(c->last);
	c->last = rep;
	drill_run_free(r);
}

/* drill_finalize - count r's lost messages, then report. */
static void
drill_finalize(struct drill_ctl *c, struct drill_run *r)
{
	struct drill_fin *fin;
	char(*ids)[ID_SIZE];
	size_t i, n = 0;

	if (r->counting)
		return;
	r->counting = true;
	ids = xcalloc(r->obs.n_ids + 1, sizeof(*ids));
	for (i = 0; i < r->obs.cap_ids; i++)
		if (r->obs.ids[i][0] != '\0')
			memcpy(ids[n++], r->obs.ids[i], ID_SIZE);
	fin = xcalloc(1, sizeof(*fin));
	fin->c = c;
	fin->r = r;
	if (drill_store_lost(c->o.spool, (const char(*)[ID_SIZE])ids, n,
	                     drill_final_done, fin) == 0)
		c->pending++;
	else
		free(fin);
	free(ids);
}

/* drill_end - the fault stops now: roll back, store, wait for the
 * provider to fail back. state "ended" or "aborted". */
static void
drill_end(struct drill_ctl *c, const char *state, const char *reason)
{
	struct drill_run *r = c->run;

	if (r == NULL)
		return;
	c->run = NULL;
	r->active = false;
	r->m.ended_ms = clock_wall_ms();
	r->end_mono = clock_mono_ms();
	snprintf(r->m.state, sizeof(r->m.state), "%s", state);
	snprintf(r->m.reason, sizeof(r->m.reason), "%s", reason);
	drill_obs_end(&r->obs, r->m.ended_ms);
	if (strcmp(state, "aborted") == 0)
		drill_obs_note(&r->obs, "aborted: %s", reason);
	log_warn("drill: %s %s: %s; provider %s fails back now", r->m.id, state,
	         reason, r->m.provider);
	drill_emit(r, state, reason);
	if (!r->stored) {
		drill_run_free(r);
		return;
	}
	r->next = c->tails;
	c->tails = r;
	drill_store_now(c, r, NULL);
}

/* ---- events -------------------------------------------------------- */

/* drill_abort_later - abort the running drill from the loop (not from
 * inside an event's delivery). */
static void
drill_abort_later(struct drill_ctl *c, const char *fmt, const char *a,
                  const char *b)
{
	if (c->abort_why[0] != '\0')
		return;
	snprintf(c->abort_why, sizeof(c->abort_why), fmt, a ? a : "?",
	         b ? b : "");
	event_active(c->abort_ev, EV_TIMEOUT, 1);
}

/* drill_on_abort - the deferred self-abort. */
static void
drill_on_abort(evutil_socket_t fd, short what, void *arg)
{
	struct drill_ctl *c = arg;
	char why[sizeof(c->abort_why)];

	(void)fd;
	(void)what;
	memcpy(why, c->abort_why, sizeof(why));
	c->abort_why[0] = '\0';
	if (c->run != NULL && c->run->active)
		drill_end(c, "aborted", why);
}

/* drill_on_event - observe for the running drill and its tail; abort
 * on a real failure. */
static void
drill_on_event(const struct events_item *e, void *arg)
{
	struct drill_ctl *c = arg;
	struct drill_run *r = c->run;

	drill_traffic_event(&c->traffic, e);
	if (c->pf.on && e->kind == EVENT_NOTIFIED && e->state != NULL) {
		if (strcmp(e->state, "ok") == 0)
			c->pf.alerts.ok++;
		else
			c->pf.alerts.failed++;
	}
	{
		struct drill_run *t;
		for (t = c->tails; t != NULL; t = t->next)
			drill_obs_event(&t->obs, e);
	}
	if (r == NULL || !r->active)
		return;
	drill_obs_event(&r->obs, e);
	if (e->drill)
		return;
	if (e->kind == EVENT_CIRCUIT && e->state != NULL &&
	    strcmp(e->state, "open") == 0 && e->provider != NULL &&
	    strcmp(e->provider, r->m.provider) != 0)
		drill_abort_later(c,
		                  "a real failure during the drill: provider "
		                  "%s's circuit opened (%s)",
		                  e->provider, e->reason);
	else if (e->kind == EVENT_ALERT && e->state != NULL &&
	         strcmp(e->state, "firing") == 0)
		drill_abort_later(c,
		                  "a real alert fired during the drill: %s%s",
		                  e->reason, "");
	else if (e->kind == EVENT_INCIDENT && e->state != NULL &&
	         strcmp(e->state, "investigating") == 0)
		drill_abort_later(c,
		                  "a real incident opened during the drill: "
		                  "%s%s",
		                  e->reason, "");
}

/* ---- the clock ----------------------------------------------------- */

/* drill_sched_arm - the next fire of every scheduled drill after now. */
static void
drill_sched_arm(struct drill_ctl *c, int64_t now)
{
	size_t i;

	free(c->next);
	c->n_next = c->cfg->n_drills;
	c->next = xcalloc(c->n_next + 1, sizeof(*c->next));
	for (i = 0; i < c->n_next; i++) {
		const struct config_drill *d = &c->cfg->drills[i];
		struct drill_sched s;
		char err[200];
		c->next[i] = INT64_MAX;
		if (drill_sched_parse(d->schedule, d->timezone, &s, err,
		                      sizeof(err)) == 0)
			c->next[i] = drill_sched_next(&s, now);
	}
}

/* drill_sched_started - a scheduled drill began or could not be stored. */
static void
drill_sched_started(int status, const json_t *j, void *arg)
{
	(void)j;
	(void)arg;
	if (status != 0)
		log_error("drill: a scheduled drill could not start");
}

/* drill_sched_fire - start scheduled drill i now. */
static void
drill_sched_fire(struct drill_ctl *c, size_t i)
{
	const struct config_drill *d = &c->cfg->drills[i];
	struct config_drill_objectives obj = c->cfg->drill_objectives;
	struct drill_start s = {
	    .provider = d->provider,
	    .fault = d->fault,
	    .stream = d->stream,
	    .share = d->share,
	    .duration_ms = d->duration_ms,
	    .name = d->name,
	    .by = "schedule",
	    .objectives = &obj,
	};
	char err[600];
	int http;

	if (d->objectives.detect_ms != CONFIG_DRILL_UNSET)
		obj.detect_ms = d->objectives.detect_ms;
	if (d->objectives.alert_ms != CONFIG_DRILL_UNSET)
		obj.alert_ms = d->objectives.alert_ms;
	if (d->objectives.failover_ms != CONFIG_DRILL_UNSET)
		obj.failover_ms = d->objectives.failover_ms;
	if (d->objectives.critical_p99_ms != CONFIG_DRILL_UNSET)
		obj.critical_p99_ms = d->objectives.critical_p99_ms;
	if (d->objectives.lost != CONFIG_DRILL_UNSET)
		obj.lost = d->objectives.lost;
	log_info("drill: scheduled drill %s (%s) is due", d->name, d->schedule);
	if (drill_ctl_start(c, &s, drill_sched_started, NULL, &http, err,
	                    sizeof(err)) != 0) {
		log_warn("drill: scheduled drill %s refused: %s", d->name, err);
		if (c->o.alerting != NULL) {
			char summary[800];
			snprintf(summary, sizeof(summary),
			         "scheduled drill %s did not run: %s", d->name,
			         err);
			alerting_notice(c->o.alerting, "drill_objective_failed",
			                summary, 1);
		}
	}
}

/* drill_pf_answer - the preflight that waited answers now. */
static void
drill_pf_answer(struct drill_ctl *c)
{
	json_t *pf;

	c->pf.on = false;
	pf = drill_preflight_run(c->cfg, c->o.deliver, &c->traffic,
	                         c->pf.provider[0] ? c->pf.provider : NULL,
	                         c->pf.stream[0] ? c->pf.stream : NULL,
	                         &c->pf.alerts, clock_wall_ms());
	c->pf.cb(200, pf, c->pf.arg);
}

/* drill_on_tick - deadlines, schedules, fail-back, preflight waits. */
static void
drill_on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct drill_ctl *c = arg;
	int64_t now = clock_wall_ms();
	uint64_t mono = clock_mono_ms();
	size_t i;

	(void)fd;
	(void)what;
	if (c->run != NULL && c->run->active &&
	    mono - c->run->start_mono >=
	        (uint64_t)(c->run->m.ends_ms - c->run->m.started_ms))
		drill_end(c, "ended",
		          "its duration passed: rolled back at the deadline");
	{
		struct drill_run *t, *nx;
		for (t = c->tails; t != NULL; t = nx) {
			nx = t->next;
			/* Final once the provider failed back and every
			 * answer the drill gave has come in. */
			if (!t->counting &&
			    ((t->obs.failback_ms != 0 &&
			      t->obs.simulated >= t->answered) ||
			     mono - t->end_mono >=
			         c->cfg->drill_failback_wait_ms))
				drill_finalize(c, t);
		}
	}
	if (c->pf.on &&
	    (c->pf.alerts.ok + c->pf.alerts.failed >= c->pf.alerts.targets ||
	     mono >= c->pf.until_mono))
		drill_pf_answer(c);
	for (i = 0; i < c->n_next && i < c->cfg->n_drills; i++) {
		if (now < c->next[i])
			continue;
		drill_sched_fire(c, i);
		{
			struct drill_sched s;
			char err[200];
			const struct config_drill *d = &c->cfg->drills[i];
			c->next[i] =
			    drill_sched_parse(d->schedule, d->timezone, &s, err,
			                      sizeof(err)) == 0
			        ? drill_sched_next(&s, now)
			        : INT64_MAX;
		}
	}
}

/* ---- start --------------------------------------------------------- */

/* drill_real_alert - a firing alert that is not a drill's: its rule
 * into out. */
static bool
drill_real_alert(struct drill_ctl *c, char *out, size_t n)
{
	const struct alert *a;
	struct alert_info info;
	size_t i;

	if (c->o.alerting == NULL)
		return false;
	a = alerting_engine(c->o.alerting);
	for (i = 0; i < alert_active_count(a); i++) {
		alert_active_get(a, i, &info);
		if (info.state != ALERT_FIRING ||
		    drill_label_match(info.provider, info.stream) != NULL)
			continue;
		snprintf(out, n, "%s (%s)", info.rule,
		         info.provider ? info.provider
		         : info.stream ? info.stream
		                       : "-");
		return true;
	}
	return false;
}

/*
 * drill_real_incident - an open incident that is not a drill's and has
 * an impact on delivery (an impact-none incident, such as a complaint
 * rate notice, does not stop a drill): its id and title into out.
 */
static bool
drill_real_incident(struct drill_ctl *c, char *out, size_t n)
{
	struct incident_info info;
	size_t i;

	if (c->o.incidents == NULL ||
	    incidents_open_count(c->o.incidents, 0) == 0)
		return false;
	for (i = 0; incidents_get(c->o.incidents, i, &info) == 0; i++) {
		if (info.drill || info.status == INCIDENT_RESOLVED ||
		    info.impact == IMPACT_NONE)
			continue;
		snprintf(out, n, "%s (%s, impact %s)", info.id, info.title,
		         incident_impact_name(info.impact));
		return true;
	}
	return false;
}

/* drill_on_stored - the start is on disk: switch the fault on. */
static void
drill_on_stored(int status, void *arg)
{
	struct drill_ctl *c = arg;
	struct drill_run *r = c->run;
	drill_started_fn *cb = c->start_cb;
	void *cb_arg = c->start_arg;
	json_t *j;

	c->pending--;
	if (c->closing) {
		if (c->pending == 0)
			free(c);
		return;
	}
	c->start_cb = NULL;
	if (r == NULL || r->active)
		return;
	if (status != SPOOL_OK) {
		c->run = NULL;
		log_error("drill: %s not started: the spool could not store "
		          "it (%s)",
		          r->m.id, spool_status_name(status));
		drill_run_free(r);
		if (cb != NULL) {
			j = json_pack("{s:s}", "error",
			              "the drill could not be stored in the "
			              "spool; not started");
			cb(-1, j, cb_arg);
			json_decref(j);
		}
		return;
	}
	r->stored = true;
	r->active = true;
	r->start_mono = clock_mono_ms();
	drill_label_set(r->m.id, r->m.provider,
	                r->m.stream[0] ? r->m.stream : NULL,
	                c->cfg->drill_notify);
	log_warn("drill: %s started: provider %s, fault %s%s%s, share "
	         "%.0f%%, for %llu s, by %s",
	         r->m.id, r->m.provider, r->m.fault,
	         r->m.stream[0] ? ", stream " : "", r->m.stream,
	         r->m.share * 100.0,
	         (unsigned long long)((r->m.ends_ms - r->m.started_ms) / 1000),
	         r->m.by);
	drill_emit(r, "started", r->m.fault);
	if (cb != NULL) {
		j = drill_report_now(c, r, NULL);
		cb(0, j, cb_arg);
		json_decref(j);
	}
}

/* drill_check - everything that may refuse s before it starts. */
static int
drill_check(struct drill_ctl *c, const struct drill_start *s,
            struct drill_fault *f, int *prov, int *http, char *err,
            size_t errlen)
{
	char why[500];
	size_t i;

	*http = 400;
	if (s->provider == NULL ||
	    (*prov = deliver_provider_index(c->o.deliver, s->provider)) < 0) {
		snprintf(err, errlen, "no provider named \"%.64s\"",
		         s->provider ? s->provider : "");
		return -1;
	}
	if (drill_fault_parse(s->fault, f, err, errlen) != 0)
		return -1;
	if (s->stream != NULL) {
		for (i = 0; i < c->cfg->n_streams; i++)
			if (strcmp(c->cfg->streams[i].name, s->stream) == 0)
				break;
		if (i == c->cfg->n_streams) {
			snprintf(err, errlen, "no stream named \"%.64s\"",
			         s->stream);
			return -1;
		}
	}
	if (s->share < 0 || s->share > 1) {
		snprintf(err, errlen, "share must be between 0%% and 100%%");
		return -1;
	}
	if (s->duration_ms > c->cfg->drill_max_duration_ms) {
		snprintf(
		    err, errlen, "duration over drill.max_duration (%llu s)",
		    (unsigned long long)(c->cfg->drill_max_duration_ms / 1000));
		return -1;
	}
	*http = 409;
	if (c->run != NULL) {
		snprintf(err, errlen, "another drill is running: %s (%s %s)",
		         c->run->m.id, c->run->m.provider, c->run->m.fault);
		return -1;
	}
	if (drill_real_incident(c, why, sizeof(why))) {
		snprintf(err, errlen,
		         "a real incident is open: %s; drills wait until it "
		         "is resolved",
		         why);
		return -1;
	}
	/* Without incident records, a firing alert stands for one. */
	if (c->o.incidents == NULL && drill_real_alert(c, why, sizeof(why))) {
		snprintf(err, errlen,
		         "a real alert is firing: %s; drills wait until it "
		         "resolves",
		         why);
		return -1;
	}
	if (!s->force) {
		json_t *pf = drill_preflight_run(
		    c->cfg, c->o.deliver, &c->traffic, s->provider, s->stream,
		    NULL, clock_wall_ms());
		json_t *row;
		bool bad = false;
		json_array_foreach(json_object_get(pf, "rows"), i, row)
		{
			if (!json_is_true(json_object_get(row, "ok")) &&
			    strcmp(json_string_value(
			               json_object_get(row, "check")),
			           "backup") == 0) {
				snprintf(err, errlen,
				         "%s: the drill would leave it with no "
				         "usable provider (--force to drill "
				         "anyway)",
				         json_string_value(
				             json_object_get(row, "reason")));
				bad = true;
				break;
			}
		}
		json_decref(pf);
		if (bad)
			return -1;
	}
	return 0;
}

/* drill_id - "dr-YYYYMMDD-HHMMSS-NNN" from the wall clock. */
static void
drill_id(char *out, size_t n, int64_t now)
{
	static unsigned seq;
	time_t t = (time_t)(now / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, n, "dr-%04d%02d%02d-%02d%02d%02d-%u", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         ++seq % 1000);
}

int
drill_ctl_start(struct drill_ctl *c, const struct drill_start *s,
                drill_started_fn *cb, void *arg, int *http, char *err,
                size_t errlen)
{
	struct drill_fault f;
	struct drill_run *r;
	const struct config_provider *p;
	int prov = -1;
	int64_t now = clock_wall_ms();
	uint64_t dur = s->duration_ms ? s->duration_ms : DRILL_DEFAULT_MS;

	if (drill_check(c, s, &f, &prov, http, err, errlen) != 0)
		return -1;
	p = &c->cfg->providers[prov];
	r = xcalloc(1, sizeof(*r));
	drill_id(r->m.id, sizeof(r->m.id), now);
	snprintf(r->m.name, sizeof(r->m.name), "%s", s->name ? s->name : "");
	snprintf(r->m.provider, sizeof(r->m.provider), "%s", p->name);
	drill_fault_text(&f, r->m.fault, sizeof(r->m.fault));
	snprintf(r->m.stream, sizeof(r->m.stream), "%s",
	         s->stream ? s->stream : "");
	r->m.share = s->share > 0 ? s->share : 1.0;
	r->m.started_ms = now;
	r->m.ends_ms = now + (int64_t)dur;
	snprintf(r->m.state, sizeof(r->m.state), "running");
	snprintf(r->m.by, sizeof(r->m.by), "%s", s->by ? s->by : "-");
	r->fault = f;
	r->obj = s->objectives ? *s->objectives : c->cfg->drill_objectives;
	snprintf(r->type, sizeof(r->type), "%s", p->type);
	r->timeout_ms = strcmp(p->type, "smtp") == 0 ? p->greeting_timeout_ms
	                                             : p->connect_timeout_ms;
	drill_obs_init(&r->obs, r->m.provider, s->stream, now, dur);
	if (s->force)
		drill_obs_note(&r->obs, "started with --force");
	c->run = r;
	c->start_cb = cb;
	c->start_arg = arg;
	{
		json_t *rep = drill_report_now(c, r, NULL);
		int rc =
		    drill_store_put(c->o.spool, &r->m, rep, drill_on_stored, c);
		json_decref(rep);
		if (rc != 0) {
			c->run = NULL;
			c->start_cb = NULL;
			drill_run_free(r);
			*http = 503;
			snprintf(err, errlen, "the spool is closed");
			return -1;
		}
	}
	c->pending++;
	return 0;
}

int
drill_ctl_abort(struct drill_ctl *c, const char *by, char *err, size_t errlen)
{
	char why[200];

	if (c->run == NULL || !c->run->active) {
		snprintf(err, errlen, "no drill is running");
		return -1;
	}
	snprintf(why, sizeof(why), "aborted by %s", by ? by : "an operator");
	drill_end(c, "aborted", why);
	return 0;
}

json_t *
drill_ctl_status(struct drill_ctl *c)
{
	json_t *o = json_object();

	json_object_set_new(o, "running",
	                    c->run != NULL && c->run->active
	                        ? drill_report_now(c, c->run, NULL)
	                        : json_null());
	if (c->tails != NULL)
		json_object_set_new(o, "last",
		                    drill_report_now(c, c->tails, NULL));
	else
		json_object_set_new(
		    o, "last", c->last ? json_incref(c->last) : json_null());
	return o;
}

/* What a report or history request waits with. */
struct drill_wait {
	drill_json_fn *cb;
	void *arg;
};

/* drill_on_json - a report or the history came from the spool. */
static void
drill_on_json(int status, json_t *j, void *arg)
{
	struct drill_wait *w = arg;

	if (status == SPOOL_ERR_NOTFOUND || (status == SPOOL_OK && j == NULL))
		w->cb(404, NULL, w->arg);
	else if (status != SPOOL_OK)
		w->cb(503, NULL, w->arg);
	else
		w->cb(200, j, w->arg);
	free(w);
}

int
drill_ctl_report(struct drill_ctl *c, const char *id, drill_json_fn *cb,
                 void *arg)
{
	struct drill_wait *w;
	struct drill_run *r = NULL, *t;

	if (c->run != NULL && strcmp(c->run->m.id, id) == 0)
		r = c->run;
	for (t = c->tails; r == NULL && t != NULL; t = t->next)
		if (strcmp(t->m.id, id) == 0)
			r = t;
	if (r != NULL) {
		cb(200, drill_report_now(c, r, NULL), arg);
		return 0;
	}
	w = xcalloc(1, sizeof(*w));
	w->cb = cb;
	w->arg = arg;
	if (drill_store_get(c->o.spool, id, drill_on_json, w) != 0) {
		free(w);
		return -1;
	}
	return 0;
}

int
drill_ctl_history(struct drill_ctl *c, size_t limit, drill_json_fn *cb,
                  void *arg)
{
	struct drill_wait *w = xcalloc(1, sizeof(*w));

	w->cb = cb;
	w->arg = arg;
	if (drill_store_list(c->o.spool, limit ? limit : 50, drill_on_json,
	                     w) != 0) {
		free(w);
		return -1;
	}
	return 0;
}

int
drill_ctl_preflight(struct drill_ctl *c, const char *provider,
                    const char *stream, bool test_alerts, drill_json_fn *cb,
                    void *arg, int *http, char *err, size_t errlen)
{
	if (provider != NULL &&
	    deliver_provider_index(c->o.deliver, provider) < 0) {
		*http = 400;
		snprintf(err, errlen, "no provider named \"%.64s\"", provider);
		return -1;
	}
	if (c->pf.on) {
		*http = 409;
		snprintf(err, errlen,
		         "a preflight is already testing the "
		         "alert routes; try again in 5 s");
		return -1;
	}
	memset(&c->pf, 0, sizeof(c->pf));
	snprintf(c->pf.provider, sizeof(c->pf.provider), "%s",
	         provider ? provider : "");
	snprintf(c->pf.stream, sizeof(c->pf.stream), "%s",
	         stream ? stream : "");
	c->pf.cb = cb;
	c->pf.arg = arg;
	c->pf.on = true;
	c->pf.alerts.tested = test_alerts;
	c->pf.alerts.targets =
	    c->o.alerting != NULL ? alerting_targets(c->o.alerting) : 0;
	c->pf.until_mono = clock_mono_ms() + DRILL_PF_WAIT_MS;
	if (test_alerts && c->pf.alerts.targets > 0)
		alerting_notice(c->o.alerting, "drill_preflight",
		                "swerve drill preflight: a test notification; "
		                "nothing is wrong",
		                0);
	else
		drill_pf_answer(c);
	return 0;
}

/* ---- life cycle ---------------------------------------------------- */

/* drill_on_interrupted - drills an earlier process left running. */
static void
drill_on_interrupted(int status, json_t *j, void *arg)
{
	struct drill_ctl *c = arg;
	json_t *r;
	size_t i;

	c->pending--;
	if (c->closing) {
		json_decref(j);
		if (c->pending == 0)
			free(c);
		return;
	}
	if (status != SPOOL_OK)
		log_error("drill: could not look for interrupted drills (%s)",
		          spool_status_name(status));
	json_array_foreach(j, i, r)
	{
		struct events_item e = {
		    .kind = EVENT_DRILL,
		    .reason = json_string_value(json_object_get(r, "id")),
		    .state = "aborted",
		    .provider =
		        json_string_value(json_object_get(r, "provider")),
		    .text = json_string_value(json_object_get(r, "end_reason")),
		    .drill = 1,
		};
		log_warn("drill: %s was running when swerved stopped; it "
		         "ended then (report: swervectl drill report %s)",
		         e.reason ? e.reason : "?", e.reason ? e.reason : "?");
		events_emit(&e);
	}
	json_decref(j);
}

struct drill_ctl *
drill_ctl_new(const struct drill_ctl_opts *o)
{
	struct drill_ctl *c = xcalloc(1, sizeof(*c));
	struct deliver_fault_hook h = {
	    .attempt = drill_hook_attempt,
	    .probe = drill_hook_probe,
	    .drilled = drill_hook_drilled,
	    .arg = c,
	};
	struct timeval tv = {0, DRILL_TICK_MS * 1000};

	c->o = *o;
	c->cfg = o->cfg;
	drill_traffic_init(&c->traffic, c->cfg);
	if (events_subscribe(drill_on_event, c) != 0) {
		log_error("drill: the event bus is full");
		drill_traffic_fini(&c->traffic);
		free(c);
		return NULL;
	}
	c->tick = event_new(o->base, -1, EV_PERSIST, drill_on_tick, c);
	c->abort_ev = event_new(o->base, -1, 0, drill_on_abort, c);
	evtimer_add(c->tick, &tv);
	deliver_fault_hook_set(o->deliver, &h);
	drill_sched_arm(c, clock_wall_ms());
	if (drill_store_interrupt(o->spool, clock_wall_ms(),
	                          "swerved stopped while the drill ran (a "
	                          "restart or a crash): the simulated fault "
	                          "ended with the process, and the figures "
	                          "gathered in memory were lost",
	                          drill_on_interrupted, c) == 0)
		c->pending++;
	return c;
}

void
drill_ctl_reload(struct drill_ctl *c, const struct config *cfg)
{
	c->cfg = cfg;
	drill_sched_arm(c, clock_wall_ms());
	if (c->run != NULL && c->run->active)
		log_info("drill: %s goes on across the reload", c->run->m.id);
}

void
drill_ctl_free(struct drill_ctl *c)
{
	if (c == NULL)
		return;
	deliver_fault_hook_set(c->o.deliver, NULL);
	events_unsubscribe(drill_on_event, c);
	if (c->pf.on)
		c->pf.cb(503, NULL, c->pf.arg);
	c->pf.on = false;
	if (c->run != NULL && c->run->stored) {
		struct drill_run *r = c->run;
		r->active = false;
		r->m.ended_ms = clock_wall_ms();
		snprintf(r->m.state, sizeof(r->m.state), "interrupted");
		snprintf(r->m.reason, sizeof(r->m.reason),
		         "swerved stopped during the drill: the simulated "
		         "fault ended with the process");
		drill_obs_end(&r->obs, r->m.ended_ms);
		drill_obs_note(&r->obs, "%s", r->m.reason);
		log_warn("drill: %s interrupted: swerved stops", r->m.id);
		drill_store_now(c, r, NULL);
	}
	while (c->tails != NULL) {
		struct drill_run *t = c->tails;
		c->tails = t->next;
		/* A count in flight answers into a closing ctl: it frees
		 * nothing but its own record, so the run stays ours. */
		if (!t->counting) {
			drill_obs_note(&t->obs, "swerved stopped before the "
			                        "provider failed back");
			drill_store_now(c, t, NULL);
		}
		drill_run_free(t);
	}
	drill_label_set(NULL, NULL, NULL, 0);
	drill_run_free(c->run);
	c->run = NULL;
	json_decref(c->last);
	event_free(c->tick);
	event_free(c->abort_ev);
	drill_traffic_fini(&c->traffic);
	free(c->next);
	c->closing = true;
	if (c->pending == 0)
		free(c);
}
