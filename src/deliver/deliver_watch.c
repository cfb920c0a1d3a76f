/*
 * deliver_watch.c - the active and external health signals of each
 * provider: periodic probes through the adapter (SMTP: connect, greet,
 * EHLO, STARTTLS; HTTP: a cheap authenticated call) and the provider's
 * status page (route/statuspoll.h).
 *
 * A probe runs every probe_interval while the provider has had no real
 * result in that time (an idle standby), so a dead backup is known before
 * it is needed and busy providers are not probed for nothing; while its
 * circuit is open, every WATCH_OPEN_PROBE_MS, so recovery is seen within
 * seconds whatever the cool-down has grown to. A failed probe counts
 * against a closed circuit; a good one ends an open circuit's cool-down
 * early (route_probe_result).
 *
 * A status page at major outage or worse: with on_major: open the circuit
 * opens and stays open until the page clears (traffic then ramps back);
 * with on_major: warn it is only logged. Loop thread only.
 */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "deliver/deliver_int.h"
#include "route/statuspage.h"
#include "route/statuspoll.h"
#include "send/policy.h"

#define WATCH_STATUS_OPEN_MS (24ULL * 3600 * 1000) /* until it clears */
#define WATCH_OPEN_PROBE_MS 2000 /* probe period while the circuit is open */

static void watch_probe_tick(evutil_socket_t fd, short what, void *arg);
static void watch_probe_run(struct dprov *p);
static void watch_on_probe_result(struct dprov *p,
                                  const struct adapter_probe_result *r,
                                  bool sim);

/* watch_account_resumed - after an answer: the provider said it would
 * not send (was_paused) and now says it will. What kept the circuit
 * open (a configuration failure's long cool-down, which a probe cannot
 * end) is over; trials may go now. */
static void
watch_account_resumed(struct dprov *p, bool was_paused)
{
	if (!was_paused || p->account.paused ||
	    p->rp.br.state != BREAKER_OPEN || p->rp.forced ||
	    p->rp.status_major)
		return;
	p->rp.br.until_ms = clock_mono_ms();
	deliver_unpark(-1, 0, p->d);
}

/* watch_account - what the provider's API said about the account (the
 * SES probe, GetAccount): SHUTDOWN or sending disabled is paused. */
static void
watch_account(struct dprov *p, const struct adapter_probe_result *r)
{
	char why[160];
	bool was_paused = p->account.known && p->account.paused;
	bool changed = account_update(&p->account, r->enforcement, r->quota_max,
	                              r->quota_left, clock_wall_ms(),
	                              p->cfg->quota_reserve);

	p->account.paused =
	    strcmp(r->enforcement, "SHUTDOWN") == 0 || !r->sending_enabled;
	snprintf(p->account.paused_why, sizeof(p->account.paused_why), "%s",
	         !p->account.paused ? ""
	         : r->sending_enabled
	             ? "the account is shut down (enforcement status SHUTDOWN)"
	             : "sending is disabled for the account");
	watch_account_resumed(p, was_paused);
	if (!changed)
		return;
	if (account_spill(&p->account, p->cfg->quota_reserve, why, sizeof(why)))
		log_warn("deliver: provider %s: %s; new mail goes elsewhere",
		         p->cfg->name, why);
	else if (strcmp(p->account.enforcement, "PROBATION") == 0)
		log_warn("deliver: provider %s: account on probation; it keeps "
		         "%.0f%% of its share",
		         p->cfg->name, p->cfg->probation_share * 100);
	else
		log_info("deliver: provider %s: account %s, %.0f of %.0f left "
		         "in 24 h",
		         p->cfg->name,
		         p->account.enforcement[0] ? p->account.enforcement
		                                   : "standing unknown",
		         account_quota_left(&p->account), p->account.quota_max);
}

/* watch_account_due - is an account poll due (busy or idle)? */
static bool
watch_account_due(const struct dprov *p, uint64_t now)
{
	return p->cfg->account_interval_ms > 0 && p->ad != NULL &&
	       (strcmp(p->ad->ops->type, "ses") == 0 || p->acct_poll != NULL) &&
	       (p->last_account_ms == 0 ||
	        now - p->last_account_ms >= p->cfg->account_interval_ms);
}

/* watch_on_account_poll - the account calls' merged answer. */
static void
watch_on_account_poll(const struct account_reading *r, bool told,
                      const char *err, void *arg)
{
	struct dprov *p = arg;
	char why[160];
	bool was_paused = p->account.known && p->account.paused;

	if (told && account_apply(&p->account, r, clock_wall_ms(),
	                          p->cfg->quota_reserve)) {
		if (account_paused(&p->account, why, sizeof(why)))
			log_warn("deliver: provider %s: %s; treated as a "
			         "configuration failure",
			         p->cfg->name, why);
		else if (account_spill(&p->account, p->cfg->quota_reserve, why,
		                       sizeof(why)))
			log_warn("deliver: provider %s: %s; new mail goes "
			         "elsewhere",
			         p->cfg->name, why);
		else if (account_reputation(&p->account, why, sizeof(why)))
			log_warn("deliver: provider %s: account %s",
			         p->cfg->name, why);
		else
			log_info("deliver: provider %s: account %s%s",
			         p->cfg->name,
			         p->account.state[0] ? p->account.state : "ok",
			         was_paused ? " (sending again)" : "");
	}
	if (err[0] != '\0') {
		if (strcmp(err, p->account.error) != 0)
			log_warn("deliver: provider %s: account poll: %s",
			         p->cfg->name, err);
		account_failed(&p->account, err);
	}
	if (told)
		watch_account_resumed(p, was_paused);
	if (told && p->account.paused && !was_paused) {
		/* The account will not send: a configuration failure now,
		 * not at the next probe. */
		struct adapter_probe_result bad;
		memset(&bad, 0, sizeof(bad));
		bad.ok = false;
		bad.class = policy_probe_class(POLICY_PROBE_SENDING_DISABLED);
		bad.stage = SEND_STAGE_RESPONSE;
		snprintf(bad.text, sizeof(bad.text), "%s",
		         p->account.paused_why);
		watch_on_probe_result(p, &bad, false);
	}
}

/* watch_account_poll - start the account calls (and for SES the probe,
 * which is GetAccount); how many answers to expect. */
static int
watch_account_poll(struct dprov *p)
{
	int n = account_poll_run(p->acct_poll) ? 1 : 0;

	if (strcmp(p->ad->ops->type, "ses") == 0 && p->probe == NULL &&
	    p->ad->ops->probe != NULL) {
		/* Every SES probe is a GetAccount: it polls the account. */
		p->last_probe_ms = clock_mono_ms();
		watch_probe_run(p);
		n += p->probe != NULL;
	}
	p->last_account_ms = clock_mono_ms();
	return n;
}

int
watch_account_refresh(struct dprov *p)
{
	if (!p->cfg->enabled || p->ad == NULL)
		return 0;
	if (p->acct_poll == NULL && strcmp(p->ad->ops->type, "ses") != 0)
		return 0;
	return watch_account_poll(p);
}

/* watch_on_probe - one probe's verdict into the health model. */
static void
watch_on_probe(const struct adapter_probe_result *r, void *arg)
{
	struct dprov *p = arg;

	p->probe = NULL;
	if (r->enforcement[0] != '\0' || r->quota_max >= 0)
		watch_account(p, r);
	if (r->ok &&
	    (!r->sending_enabled || account_paused(&p->account, NULL, 0))) {
		/* It answers, but will not send (SES: account paused; the
		 * account poll: a disabled domain, a sandbox server): an
		 * account fault, as good as a refused login. */
		struct adapter_probe_result bad = *r;
		bad.ok = false;
		bad.class = policy_probe_class(POLICY_PROBE_SENDING_DISABLED);
		if (!r->sending_enabled)
			snprintf(bad.text, sizeof(bad.text),
			         "the provider says sending is disabled for "
			         "the account");
		else
			snprintf(bad.text, sizeof(bad.text), "%s",
			         p->account.paused_why);
		watch_on_probe_result(p, &bad, false);
		return;
	}
	watch_on_probe_result(p, r, false);
}

/* watch_on_probe_result - count, log, emit and feed the health model.
 * sim: a drill's simulated failure (the event carries drill = 1). */
static void
watch_on_probe_result(struct dprov *p, const struct adapter_probe_result *r,
                      bool sim)
{
	if (r->ok) {
		p->probes_ok++;
		log_debug("deliver: provider %s probe ok in %llu ms",
		          p->cfg->name, (unsigned long long)r->latency_ms);
	} else {
		p->probes_failed++;
		log_warn("deliver: provider %s probe failed at %s (%s): %s",
		         p->cfg->name, send_stage_name(r->stage),
		         send_class_name(r->class), log_quote(r->text).s);
	}
	{
		struct events_item e = {
		    .kind = EVENT_PROBE,
		    .provider = p->cfg->name,
		    .cls = r->ok ? SEND_ACCEPTED : r->class,
		    .stage = r->stage,
		    .text = r->text,
		    .duration_ms = r->latency_ms,
		    .drill = sim,
		};
		events_emit(&e);
	}
	prov_breaker_event(p,
	                   route_probe_result(&p->rp, r->ok, r->class,
	                                      r->latency_ms, clock_mono_ms()),
	                   r->ok ? NULL : r->text);
}

/* watch_idle - no real result within the probe interval? */
static bool
watch_idle(const struct dprov *p, uint64_t now)
{
	uint64_t n = 0;
	int c;

	for (c = 0; c < SEND_CLASS_COUNT; c++)
		n += health_window_count(&p->rp.h, now, (enum send_class)c);
	return n == 0;
}

/* watch_due - is a probe due now? */
static bool
watch_due(const struct dprov *p, uint64_t now)
{
	uint64_t since = now - p->last_probe_ms;

	if (p->cfg->probe_interval_ms == 0)
		return false; /* probes off (the timer may run for accounts) */
	if (p->rp.br.state == BREAKER_OPEN)
		return since >= WATCH_OPEN_PROBE_MS;
	return since >= p->cfg->probe_interval_ms && watch_idle(p, now);
}

/* watch_probe_fault - a drill simulates a failure at p: the probe fails
 * as it says, without reaching the provider. True when it did. */
static bool
watch_probe_fault(struct dprov *p)
{
	struct deliver *d = p->d;
	struct deliver_fault f;
	struct adapter_probe_result r;

	if (d->fault.probe == NULL)
		return false;
	memset(&f, 0, sizeof(f));
	d->fault.probe(p->cfg->name, p->cfg->type, &f, d->fault.arg);
	if (f.act != DELIVER_FAULT_ANSWER)
		return false;
	memset(&r, 0, sizeof(r));
	r.ok = false;
	r.class =
	    f.result.class == SEND_THROTTLED || f.result.class == SEND_CONFIG
	        ? f.result.class
	        : SEND_DEFERRED;
	r.stage = f.result.stage;
	r.max_send_rate = -1;
	r.quota_left = -1;
	r.sending_enabled = true;
	snprintf(r.text, sizeof(r.text), "%.*s", (int)sizeof(r.text) - 1,
	         f.result.text);
	watch_on_probe_result(p, &r, true);
	return true;
}

/* watch_probe_run - start the probe of p (it is due). */
static void
watch_probe_run(struct dprov *p)
{
	if (watch_probe_fault(p))
		return;
	p->probe = p->ad->ops->probe(p->ad, watch_on_probe, p);
}

/* watch_on_gate - the fleet's word on a dark provider's probe. */
static void
watch_on_gate(void *token, bool run)
{
	struct dprov *p = token;

	p->probe_gated = false;
	if (run && p->probe == NULL)
		watch_probe_run(p);
}

static void
watch_probe_tick(evutil_socket_t fd, short what, void *arg)
{
	struct dprov *p = arg;
	struct deliver *d = p->d;
	uint64_t now = clock_mono_ms();
	bool acct, probe;

	(void)fd;
	(void)what;
	if (p->probe != NULL || p->probe_gated || !p->cfg->enabled ||
	    p->ad == NULL || p->ad->ops->probe == NULL)
		return;
	acct = watch_account_due(p, now);
	probe = watch_due(p, now);
	if (acct) {
		/* For SES the account poll starts the probe (GetAccount). */
		watch_account_poll(p);
		if (!probe || strcmp(p->ad->ops->type, "ses") == 0)
			return;
	} else if (!probe) {
		return;
	}
	p->last_probe_ms = now;
	if (d->probe_gate.go != NULL && p->rp.br.state == BREAKER_OPEN) {
		/* One node of the fleet probes a dark provider a period. */
		p->probe_gated = true;
		d->probe_gate.go(d->probe_gate.arg, p->cfg->name,
		                 WATCH_OPEN_PROBE_MS, watch_on_gate, p);
		return;
	}
	watch_probe_run(p);
}

/* watch_on_status - the status page's level changed. */
static void
watch_on_status(const struct status_report *now,
                const struct status_report *before, void *arg)
{
	struct dprov *p = arg;
	struct deliver *d = p->d;
	bool outage = statuspage_level_outage(now->level);
	char why[BREAKER_REASON_SIZE];

	p->status_level = (int)now->level;
	{
		struct events_item e = {
		    .kind = EVENT_STATUS_PAGE,
		    .provider = p->cfg->name,
		    .state = statuspage_level_name(now->level),
		    .text = now->description,
		};
		events_emit(&e);
	}
	log_warn("deliver: provider %s status page: %s -> %s %s", p->cfg->name,
	         statuspage_level_name(before->level),
	         statuspage_level_name(now->level),
	         log_quote(now->description).s);
	if (p->cfg->status_page.on_major != CONFIG_ON_MAJOR_OPEN)
		return;
	if (outage && !p->rp.status_major) {
		p->rp.status_major = true;
		snprintf(why, sizeof(why), "status page reports %s: %.80s",
		         statuspage_level_name(now->level),
		         log_quote(now->description).s);
		prov_breaker_event(
		    p,
		    breaker_force_open(&p->rp.br, clock_mono_ms(),
		                       WATCH_STATUS_OPEN_MS, why),
		    NULL);
		p->rp.was_open = true;
	} else if (!outage && p->rp.status_major) {
		p->rp.status_major = false;
		enum breaker_event ev =
		    breaker_force_clear(&p->rp.br, clock_mono_ms());
		snprintf(p->rp.br.reason, sizeof(p->rp.br.reason),
		         "status page back to %s",
		         statuspage_level_name(now->level));
		prov_breaker_event(p, ev, NULL);
		health_ramp_start(&p->rp.h, clock_mono_ms(),
		                  p->cfg->failback_ramp_ms);
		p->rp.was_open = false;
		deliver_unpark(-1, 0, d);
	}
}

void
watch_start(struct dprov *p)
{
	struct deliver *d = p->d;
	const struct config_status_page *sp = &p->cfg->status_page;

	/* Made even with account_interval 0 (no periodic poll): an
	 * operator's refresh still asks. */
	if (p->ad != NULL && account_poll_applies(p->cfg))
		p->acct_poll = account_poll_new(d->o.base, p->cfg,
		                                watch_on_account_poll, p);
	if ((p->cfg->probe_interval_ms > 0 ||
	     p->cfg->account_interval_ms > 0) &&
	    p->ad != NULL && p->ad->ops->probe != NULL) {
		uint64_t tick = WATCH_OPEN_PROBE_MS;
		if (p->cfg->probe_interval_ms > 0 &&
		    p->cfg->probe_interval_ms < tick)
			tick = p->cfg->probe_interval_ms;
		if (p->cfg->account_interval_ms > 0 &&
		    p->cfg->account_interval_ms < tick)
			tick = p->cfg->account_interval_ms;
		struct timeval tv = {
		    .tv_sec = (time_t)(tick / 1000),
		    .tv_usec = (suseconds_t)(tick % 1000) * 1000,
		};
		p->last_probe_ms = clock_mono_ms();
		p->probe_timer =
		    event_new(d->o.base, -1, EV_PERSIST, watch_probe_tick, p);
		event_add(p->probe_timer, &tv);
	}
	if (sp->url != NULL) {
		struct statuspoll_opts o = {
		    .name = p->cfg->name,
		    .url = sp->url,
		    .components = (const char *const *)sp->components,
		    .n_components = sp->n_components,
		    .interval_ms = sp->interval_ms,
		    .on_change = watch_on_status,
		    .arg = p,
		};
		p->status = statuspoll_new(d->o.base, &o);
	}
}

void
watch_stop(struct dprov *p)
{
	if (p->probe_timer != NULL) {
		event_free(p->probe_timer);
		p->probe_timer = NULL;
	}
	if (p->probe != NULL) {
		p->ad->ops->probe_cancel(p->probe);
		p->probe = NULL;
	}
	statuspoll_free(p->status);
	p->status = NULL;
	account_poll_free(p->acct_poll);
	p->acct_poll = NULL;
}
