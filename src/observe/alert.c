/*
 * alert.c - the alert rule engine: conditions, for/clear_for, hysteresis,
 * repeats. See alert.h for the rules' meaning.
 *
 * State: a list of alert instances (rule x subject) that are pending or
 * firing; per provider what events told us (last failover, config fault);
 * per stream (and one row for all streams) the delivery-rate history for
 * rate_drop. Nothing here does I/O or reads a clock: the caller passes the
 * time, so tests drive it with a fake clock.
 */
#include "observe/alert.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/xmalloc.h"
#include "observe/events.h"

#define ALERT_NAME_SIZE 65
#define ALERT_SUMMARY_SIZE 320
#define ALERT_REASON_SIZE 200
#define RATE_RING 60             /* minutes of history for the window */
#define RATE_ALPHA 0.3           /* weight of the newest day */
#define RATE_MIN_DAYS 3          /* history before rate_drop may fire */
#define RATE_MIN_USUAL 1.0       /* per minute; quieter hours are ignored */
#define RATE_MIN_HOUR_MINUTES 30 /* minutes seen for an hour to count */

/* One rule x subject, pending or firing. */
struct alert_inst {
	size_t rule;
	char provider[ALERT_NAME_SIZE], stream[ALERT_NAME_SIZE];
	enum alert_state state;
	int64_t since_ms, fired_ms, clear_since_ms, notified_ms;
	double value, threshold;
	char summary[ALERT_SUMMARY_SIZE];
	bool seen; /* evaluated in this round */
};

/* What events told us about one provider. */
struct alert_prov {
	char name[ALERT_NAME_SIZE];
	int64_t failover_ms;
	uint64_t failovers;
	char failover_to[ALERT_NAME_SIZE];
	char failover_why[ALERT_REASON_SIZE];
	bool config_fault;
	char config_why[ALERT_REASON_SIZE];
};

/* Delivery-rate history of one stream ("" = all streams). */
struct alert_rate {
	char name[ALERT_NAME_SIZE];
	bool started;
	uint64_t last_total;
	int64_t minute;           /* the minute being counted */
	uint64_t ring[RATE_RING]; /* sends per finished minute */
	unsigned filled;          /* finished minutes seen (capped) */
	int64_t hour;             /* hour being accumulated */
	uint64_t hour_sum;
	unsigned hour_minutes;
	double usual[24];  /* EWMA of sends per minute */
	unsigned days[24]; /* hours folded into usual[h] */
};

struct alert {
	const struct config *cfg;
	alert_notify_fn *fn;
	void *arg;
	struct alert_inst *insts;
	size_t n_insts, cap_insts;
	struct alert_prov *provs;
	size_t n_provs;
	struct alert_rate *rates;
	size_t n_rates;
	struct alert_anom *anoms;
	size_t n_anoms;
};

/* The anomaly detector's signals firing for one subject: a provider, or
 * a stream (EVENT_ANOMALY). */
struct alert_anom {
	char provider[ALERT_NAME_SIZE], stream[ALERT_NAME_SIZE];
	unsigned firing; /* signals firing now */
	char why[ALERT_SUMMARY_SIZE];
};

/* The condition of one rule for one subject, this round. */
struct alert_cond {
	bool fire;  /* crosses the threshold: may start firing */
	bool still; /* not yet clear (hysteresis): keeps firing */
	double value, threshold;
	char summary[ALERT_SUMMARY_SIZE];
};

static const char *const alert_kinds[CONFIG_ALERT_KIND_COUNT] = {
    [CONFIG_ALERT_CIRCUIT_OPEN] = "circuit_open",
    [CONFIG_ALERT_STREAM_UNUSABLE] = "stream_unusable",
    [CONFIG_ALERT_FAILOVER] = "failover",
    [CONFIG_ALERT_QUEUE_AGE] = "queue_age",
    [CONFIG_ALERT_DEFERRED] = "deferred",
    [CONFIG_ALERT_RATE_DROP] = "rate_drop",
    [CONFIG_ALERT_PROVIDER_CONFIG] = "provider_config",
    [CONFIG_ALERT_DISK_LOW] = "disk_low",
    [CONFIG_ALERT_SPOOL_DAMAGED] = "spool_damaged",
    [CONFIG_ALERT_BOUNCE_RATE] = "bounce_rate",
    [CONFIG_ALERT_COMPLAINT_RATE] = "complaint_rate",
    [CONFIG_ALERT_CLUSTER_LOST] = "cluster_lost",
    [CONFIG_ALERT_ANOMALY] = "anomaly",
    [CONFIG_ALERT_ACCOUNT] = "account",
    [CONFIG_ALERT_READINESS] = "readiness",
};

const char *
alert_kind_name(int kind)
{
	if (kind < 0 || kind >= CONFIG_ALERT_KIND_COUNT)
		return "unknown";
	return alert_kinds[kind];
}

const char *
alert_severity_name(int severity)
{
	switch (severity) {
	case CONFIG_SEVERITY_INFO:
		return "info";
	case CONFIG_SEVERITY_CRITICAL:
		return "critical";
	default:
		return "warning";
	}
}

const char *
alert_change_name(enum alert_change ch)
{
	switch (ch) {
	case ALERT_CHANGE_FIRING:
		return "firing";
	case ALERT_CHANGE_REPEAT:
		return "repeat";
	default:
		return "resolved";
	}
}

/* alert_copy - bounded copy of s (NULL: "") into out. */
static void
alert_copy(char *out, size_t n, const char *s)
{
	snprintf(out, n, "%s", s ? s : "");
}

/* alert_say - set c's summary (printf; truncated to fit). */
static void __attribute__((format(printf, 2, 3)))
alert_say(struct alert_cond *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->summary, sizeof(c->summary), fmt, ap);
	va_end(ap);
}

/* alert_dur_text - ms as "6m12s", "45s", "2h3m". */
static void
alert_dur_text(int64_t ms, char *out, size_t n)
{
	int64_t s = ms / 1000;

	if (s >= 3600)
		snprintf(out, n, "%lldh%lldm", (long long)(s / 3600),
		         (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(out, n, "%lldm%llds", (long long)(s / 60),
		         (long long)(s % 60));
	else
		snprintf(out, n, "%llds", (long long)s);
}

struct alert *
alert_new(const struct config *cfg, alert_notify_fn *fn, void *arg)
{
	struct alert *a = xcalloc(1, sizeof(*a));

	a->cfg = cfg;
	a->fn = fn;
	a->arg = arg;
	return a;
}

void
alert_free(struct alert *a)
{
	if (a == NULL)
		return;
	free(a->insts);
	free(a->provs);
	free(a->rates);
	free(a->anoms);
	free(a);
}

/* alert_anomaly - EVENT_ANOMALY: count the subject's firing signals. */
static void
alert_anomaly(struct alert *a, const struct events_item *e)
{
	const char *prov = e->provider ? e->provider : "";
	const char *stream = e->provider ? "" : e->stream ? e->stream : "";
	bool firing = e->state != NULL && strcmp(e->state, "firing") == 0;
	struct alert_anom *an = NULL;
	size_t i;

	for (i = 0; i < a->n_anoms; i++)
		if (strcmp(a->anoms[i].provider, prov) == 0 &&
		    strcmp(a->anoms[i].stream, stream) == 0)
			an = &a->anoms[i];
	if (an == NULL) {
		if (!firing)
			return;
		a->anoms =
		    xreallocarray(a->anoms, a->n_anoms + 1, sizeof(*a->anoms));
		an = &a->anoms[a->n_anoms++];
		memset(an, 0, sizeof(*an));
		alert_copy(an->provider, ALERT_NAME_SIZE, prov);
		alert_copy(an->stream, ALERT_NAME_SIZE, stream);
	}
	if (firing) {
		an->firing++;
		alert_copy(an->why, ALERT_SUMMARY_SIZE, e->text);
	} else if (an->firing > 0) {
		an->firing--;
	}
}

/* alert_prov_get - the event record of provider name (made if new). */
static struct alert_prov *
alert_prov_get(struct alert *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->n_provs; i++)
		if (strcmp(a->provs[i].name, name) == 0)
			return &a->provs[i];
	a->provs = xreallocarray(a->provs, a->n_provs + 1, sizeof(*a->provs));
	memset(&a->provs[a->n_provs], 0, sizeof(*a->provs));
	alert_copy(a->provs[a->n_provs].name, ALERT_NAME_SIZE, name);
	return &a->provs[a->n_provs++];
}

/* alert_prov_find - the event record of provider name, or NULL. */
static const struct alert_prov *
alert_prov_find(const struct alert *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->n_provs; i++)
		if (strcmp(a->provs[i].name, name) == 0)
			return &a->provs[i];
	return NULL;
}

void
alert_event(struct alert *a, const struct events_item *e)
{
	struct alert_prov *p;

	if (e->kind == EVENT_ANOMALY) {
		alert_anomaly(a, e);
		return;
	}
	if (e->provider == NULL)
		return;
	switch (e->kind) {
	case EVENT_FAILOVER:
		p = alert_prov_get(a, e->provider);
		p->failover_ms = e->at_ms;
		p->failovers++;
		alert_copy(p->failover_to, ALERT_NAME_SIZE, e->to_provider);
		alert_copy(p->failover_why, ALERT_REASON_SIZE, e->text);
		break;
	case EVENT_CIRCUIT:
		p = alert_prov_get(a, e->provider);
		if (e->state != NULL && strcmp(e->state, "closed") == 0) {
			p->config_fault = false;
		} else if (e->state != NULL && strcmp(e->state, "open") == 0 &&
		           e->cls == SEND_CONFIG) {
			p->config_fault = true;
			alert_copy(p->config_why, ALERT_REASON_SIZE,
			           e->reason ? e->reason : e->text);
		}
		break;
	case EVENT_ATTEMPT:
	case EVENT_PROBE:
		if (e->cls == SEND_ACCEPTED) {
			p = (struct alert_prov *)alert_prov_find(a,
			                                         e->provider);
			if (p != NULL)
				p->config_fault = false;
		} else if (e->cls == SEND_CONFIG) {
			p = alert_prov_get(a, e->provider);
			p->config_fault = true;
			alert_copy(p->config_why, ALERT_REASON_SIZE, e->text);
		}
		break;
	default:
		break;
	}
}

/* --- rate history ------------------------------------------------------- */

/* alert_rate_get - the rate history named name (made if new). */
static struct alert_rate *
alert_rate_get(struct alert *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->n_rates; i++)
		if (strcmp(a->rates[i].name, name) == 0)
			return &a->rates[i];
	a->rates = xreallocarray(a->rates, a->n_rates + 1, sizeof(*a->rates));
	memset(&a->rates[a->n_rates], 0, sizeof(*a->rates));
	alert_copy(a->rates[a->n_rates].name, ALERT_NAME_SIZE, name);
	return &a->rates[a->n_rates++];
}

/* alert_rate_minute_end - one finished minute with n sends. */
static void
alert_rate_minute_end(struct alert_rate *r, int64_t minute, uint64_t n)
{
	int64_t hour = minute / 60;
	int h;

	if (hour != r->hour) {
		/* The hour ended: fold its mean into that hour's usual rate. */
		if (r->hour_minutes >= RATE_MIN_HOUR_MINUTES) {
			double mean = (double)r->hour_sum / r->hour_minutes;
			h = (int)(r->hour % 24);
			r->usual[h] = r->days[h] == 0
			                  ? mean
			                  : RATE_ALPHA * mean +
			                        (1 - RATE_ALPHA) * r->usual[h];
			r->days[h]++;
		}
		r->hour = hour;
		r->hour_sum = 0;
		r->hour_minutes = 0;
	}
	r->ring[minute % RATE_RING] = n;
	if (r->filled < RATE_RING)
		r->filled++;
	r->hour_sum += n;
	r->hour_minutes++;
}

/* alert_rate_update - count total (a counter) at now into r. */
static void
alert_rate_update(struct alert_rate *r, uint64_t total, int64_t now_ms)
{
	int64_t minute = now_ms / 60000, m;
	uint64_t n;

	if (!r->started) {
		r->started = true;
		r->last_total = total;
		r->minute = minute;
		r->hour = minute / 60;
		return;
	}
	if (minute <= r->minute)
		return;
	n = total >= r->last_total ? total - r->last_total : 0;
	r->last_total = total;
	/* Sends since the last look belong to the minute that ended; any
	 * minutes skipped in between (a stalled loop) saw none we know of. */
	alert_rate_minute_end(r, r->minute, n);
	for (m = r->minute + 1; m < minute && m - r->minute <= 24 * 60; m++)
		alert_rate_minute_end(r, m, 0);
	r->minute = minute;
}

/* alert_rate_window - mean sends per minute over the last w minutes;
 * -1 when fewer than w minutes were seen. */
static double
alert_rate_window(const struct alert_rate *r, unsigned w)
{
	uint64_t sum = 0;
	unsigned i;

	if (w == 0)
		w = 1;
	if (w > RATE_RING)
		w = RATE_RING;
	if (r->filled < w)
		return -1;
	for (i = 1; i <= w; i++)
		sum += r->ring[(uint64_t)(r->minute - i) % RATE_RING];
	return (double)sum / w;
}

/* --- conditions ---------------------------------------------------------- */

/* alert_prov_usable - can a provider in this mode take mail? */
static bool
alert_prov_usable(const char *mode)
{
	return mode != NULL &&
	       (strcmp(mode, "closed") == 0 || strcmp(mode, "half-open") == 0);
}

/* alert_stream_allows - is provider name allowed in stream s? */
static bool
alert_stream_allows(const struct alert_stream_view *s, const char *name)
{
	size_t i;

	if (s->n_providers == 0)
		return true;
	for (i = 0; i < s->n_providers; i++)
		if (strcmp(s->providers[i], name) == 0)
			return true;
	return false;
}

/* alert_cond_ratio - bounce_rate and complaint_rate for provider p:
 * nothing (clear) below rates.min_volume sends in 24 hours. */
static void
alert_cond_ratio(const struct alert *a, const struct config_alert_rule *r,
                 const struct alert_provider_view *p, struct alert_cond *c)
{
	const struct config *cfg = a->cfg;
	bool bounce = r->kind == CONFIG_ALERT_BOUNCE_RATE;
	bool crit = r->severity == CONFIG_SEVERITY_CRITICAL;
	uint64_t n = bounce ? p->hard_bounces_24h : p->complaints_24h;

	if (p->sends_24h == 0 || p->sends_24h < cfg->rates_min_volume)
		return;
	c->value = (double)n / (double)p->sends_24h;
	c->threshold = r->ratio_over > 0 ? r->ratio_over
	               : bounce          ? (crit ? cfg->rates_bounce_critical
	                                         : cfg->rates_bounce_warning)
	               : crit            ? cfg->rates_complaint_critical
	                                 : cfg->rates_complaint_warning;
	c->fire = c->value >= c->threshold;
	c->still = c->value >= c->threshold * (1 - r->hysteresis);
	alert_say(c,
	          "provider %s: %s rate %.2f%% over the last 24h (%llu of "
	          "%llu sends; alert at %.2g%%)",
	          p->name, bounce ? "bounce" : "complaint", 100 * c->value,
	          (unsigned long long)n, (unsigned long long)p->sends_24h,
	          100 * c->threshold);
}

/* alert_cond_provider - the condition of rule r for provider p. */
static void
alert_cond_provider(const struct alert *a, const struct config_alert_rule *r,
                    const struct alert_provider_view *p, int64_t now,
                    struct alert_cond *c)
{
	const struct alert_prov *ev = alert_prov_find(a, p->name);
	char ago[32];

	switch (r->kind) {
	case CONFIG_ALERT_CIRCUIT_OPEN:
		c->fire = strcmp(p->mode, "open") == 0;
		c->still = c->fire || strcmp(p->mode, "half-open") == 0;
		alert_say(c, "provider %s: circuit %s%s%s", p->name, p->mode,
		          p->reason && *p->reason ? ": " : "",
		          p->reason ? p->reason : "");
		break;
	case CONFIG_ALERT_FAILOVER:
		if (ev == NULL || ev->failovers == 0)
			return;
		c->fire = c->still =
		    now - ev->failover_ms < (int64_t)r->window_ms;
		c->value = (double)ev->failovers;
		alert_dur_text(now - ev->failover_ms, ago, sizeof(ago));
		alert_say(c,
		          "mail failed over from provider %s to %s (%llu times "
		          "since start, last %s ago)%s%s",
		          p->name,
		          ev->failover_to[0] ? ev->failover_to : "another",
		          (unsigned long long)ev->failovers, ago,
		          ev->failover_why[0] ? ": " : "", ev->failover_why);
		break;
	case CONFIG_ALERT_BOUNCE_RATE:
	case CONFIG_ALERT_COMPLAINT_RATE:
		alert_cond_ratio(a, r, p, c);
		break;
	case CONFIG_ALERT_ACCOUNT:
		c->fire = c->still = p->account_warn;
		alert_say(c, "provider %s: %s", p->name, p->account_note);
		break;
	case CONFIG_ALERT_READINESS:
		c->fire = c->still = p->not_ready > 0;
		c->value = (double)p->not_ready;
		alert_say(c,
		          "provider %s is not ready for %zu sender domain%s "
		          "sent in the last day: %s",
		          p->name, p->not_ready, p->not_ready == 1 ? "" : "s",
		          p->not_ready_note);
		break;
	case CONFIG_ALERT_PROVIDER_CONFIG:
		if (ev == NULL)
			return;
		c->fire = c->still = ev->config_fault;
		alert_say(c,
		          "provider %s: configuration error (credentials or "
		          "account)%s%s",
		          p->name, ev->config_why[0] ? ": " : "",
		          ev->config_why);
		break;
	default:
		break;
	}
}

/* alert_cond_stream - the condition of rule r for stream s. */
static void
alert_cond_stream(struct alert *a, const struct config_alert_rule *r,
                  const struct alert_snapshot *snap,
                  const struct alert_stream_view *s, int64_t now,
                  struct alert_cond *c)
{
	char v[32], t[32], down[160];
	size_t i, n = 0, len = 0;
	double rate, usual, h = r->hysteresis;
	struct alert_rate *rt;
	int hour;

	switch (r->kind) {
	case CONFIG_ALERT_STREAM_UNUSABLE:
		down[0] = '\0';
		for (i = 0; i < snap->n_provs; i++) {
			const struct alert_provider_view *p = &snap->provs[i];
			if (!alert_stream_allows(s, p->name))
				continue;
			if (alert_prov_usable(p->mode))
				return; /* one can send: no alert */
			n++;
			if (len < sizeof(down))
				len += (size_t)snprintf(
				    down + len, sizeof(down) - len, "%s%s %s",
				    len ? ", " : "", p->name, p->mode);
		}
		c->fire = c->still = true;
		alert_say(c, "stream %s: no provider can take mail (%s)",
		          s->name, n ? down : "no provider allowed");
		break;
	case CONFIG_ALERT_QUEUE_AGE:
		if (s->oldest_ms <= 0 || s->oldest_ms > now)
			return;
		c->value = (double)(now - s->oldest_ms) / 1000;
		c->threshold = (double)r->oldest_age_over_ms / 1000;
		c->fire = c->value > c->threshold;
		c->still = c->value > c->threshold * (1 - h);
		alert_dur_text(now - s->oldest_ms, v, sizeof(v));
		alert_dur_text((int64_t)r->oldest_age_over_ms, t, sizeof(t));
		alert_say(
		    c,
		    "stream %s: oldest queued message is %s old (alert over "
		    "%s)",
		    s->name, v, t);
		break;
	case CONFIG_ALERT_DEFERRED:
		c->value = (double)s->deferred;
		c->threshold = (double)r->deferred_over;
		c->fire = c->value > c->threshold;
		c->still = c->value > c->threshold * (1 - h);
		alert_say(c,
		          "stream %s: %llu messages deferred (alert over %llu)",
		          s->name, (unsigned long long)s->deferred,
		          (unsigned long long)r->deferred_over);
		break;
	case CONFIG_ALERT_RATE_DROP:
		rt = alert_rate_get(a, s->name);
		rate = alert_rate_window(rt, (unsigned)(r->window_ms / 60000));
		hour = (int)((now / 3600000) % 24);
		usual = rt->usual[hour];
		if (rate < 0 || rt->days[hour] < RATE_MIN_DAYS ||
		    usual < RATE_MIN_USUAL)
			return;
		c->value = rate;
		c->threshold = usual * r->rate_below;
		c->fire = rate < c->threshold;
		c->still = rate < c->threshold * (1 + h);
		alert_say(
		    c,
		    "stream %s: %.1f deliveries/min over the last %llum, the "
		    "usual for %02d:00 UTC is %.1f/min (alert below %.0f%%)",
		    s->name, rate, (unsigned long long)(r->window_ms / 60000),
		    hour, usual, r->rate_below * 100);
		break;
	default:
		break;
	}
}

/* --- instances ----------------------------------------------------------- */

/* alert_inst_find - the instance of rule for the subject, or NULL. */
static struct alert_inst *
alert_inst_find(struct alert *a, size_t rule, const char *prov,
                const char *stream)
{
	size_t i;

	for (i = 0; i < a->n_insts; i++) {
		struct alert_inst *in = &a->insts[i];
		if (in->rule == rule && strcmp(in->provider, prov) == 0 &&
		    strcmp(in->stream, stream) == 0)
			return in;
	}
	return NULL;
}

/* alert_info_fill - the public view of an instance. */
static void
alert_info_fill(const struct alert *a, const struct alert_inst *in,
                struct alert_info *out)
{
	const struct config_alert_rule *r = &a->cfg->alert_rules[in->rule];

	memset(out, 0, sizeof(*out));
	out->rule = r->name;
	out->kind = alert_kind_name(r->kind);
	out->severity = alert_severity_name(r->severity);
	out->severity_level = r->severity;
	out->provider = in->provider[0] ? in->provider : NULL;
	out->stream = in->stream[0] ? in->stream : NULL;
	out->state = in->state;
	out->since_ms = in->since_ms;
	out->fired_ms = in->fired_ms;
	out->value = in->value;
	out->threshold = in->threshold;
	out->summary = in->summary;
}

/* alert_notify - tell the callback about in. */
static void
alert_notify(struct alert *a, struct alert_inst *in, enum alert_change ch,
             int64_t now)
{
	struct alert_info info;

	alert_info_fill(a, in, &info);
	if (ch == ALERT_CHANGE_RESOLVED) {
		info.state = ALERT_RESOLVED;
		info.resolved_ms = now;
	}
	in->notified_ms = now;
	if (a->fn != NULL)
		a->fn(&info, ch, a->arg);
}

/* alert_step - advance rule x subject by one evaluation of c. */
static void
alert_step(struct alert *a, size_t rule, const char *prov, const char *stream,
           const struct alert_cond *c, int64_t now)
{
	const struct config_alert_rule *r = &a->cfg->alert_rules[rule];
	struct alert_inst *in = alert_inst_find(a, rule, prov, stream);
	uint64_t repeat =
	    r->repeat_ms ? r->repeat_ms : a->cfg->alerts_repeat_ms;

	if (in == NULL) {
		if (!c->fire)
			return;
		if (a->n_insts == a->cap_insts) {
			a->cap_insts = a->cap_insts ? 2 * a->cap_insts : 8;
			a->insts = xreallocarray(a->insts, a->cap_insts,
			                         sizeof(*a->insts));
		}
		in = &a->insts[a->n_insts++];
		memset(in, 0, sizeof(*in));
		in->rule = rule;
		alert_copy(in->provider, ALERT_NAME_SIZE, prov);
		alert_copy(in->stream, ALERT_NAME_SIZE, stream);
		in->state = ALERT_PENDING;
		in->since_ms = now;
	}
	in->seen = true;
	if (c->summary[0] != '\0') {
		in->value = c->value;
		in->threshold = c->threshold;
		memcpy(in->summary, c->summary, sizeof(in->summary));
	}
	if (in->state == ALERT_PENDING) {
		if (!c->fire) {
			/* Not held for `for`: forget it, nobody was told. */
			*in = a->insts[--a->n_insts];
			return;
		}
		if (now - in->since_ms >= (int64_t)r->for_ms) {
			in->state = ALERT_FIRING;
			in->fired_ms = now;
			alert_notify(a, in, ALERT_CHANGE_FIRING, now);
		}
		return;
	}
	if (c->still) {
		in->clear_since_ms = 0;
		if (repeat > 0 && now - in->notified_ms >= (int64_t)repeat)
			alert_notify(a, in, ALERT_CHANGE_REPEAT, now);
		return;
	}
	if (in->clear_since_ms == 0)
		in->clear_since_ms = now;
	if (now - in->clear_since_ms >= (int64_t)r->clear_for_ms) {
		alert_notify(a, in, ALERT_CHANGE_RESOLVED, now);
		in = alert_inst_find(a, rule, prov, stream);
		*in = a->insts[--a->n_insts];
	}
}

/* alert_eval_rule - evaluate rule i over its subjects. */
static void
alert_eval_rule(struct alert *a, size_t i, const struct alert_snapshot *s,
                int64_t now)
{
	const struct config_alert_rule *r = &a->cfg->alert_rules[i];
	struct alert_cond c;
	size_t j;

	switch (r->kind) {
	case CONFIG_ALERT_CIRCUIT_OPEN:
	case CONFIG_ALERT_FAILOVER:
	case CONFIG_ALERT_ACCOUNT:
	case CONFIG_ALERT_READINESS:
	case CONFIG_ALERT_PROVIDER_CONFIG:
	case CONFIG_ALERT_BOUNCE_RATE:
	case CONFIG_ALERT_COMPLAINT_RATE:
		for (j = 0; j < s->n_provs; j++) {
			if (r->provider != NULL &&
			    strcmp(r->provider, s->provs[j].name) != 0)
				continue;
			memset(&c, 0, sizeof(c));
			alert_cond_provider(a, r, &s->provs[j], now, &c);
			alert_step(a, i, s->provs[j].name, "", &c, now);
		}
		break;
	case CONFIG_ALERT_ANOMALY:
		for (j = 0; j < a->n_anoms; j++) {
			const struct alert_anom *an = &a->anoms[j];

			if (r->provider != NULL &&
			    strcmp(r->provider, an->provider) != 0)
				continue;
			if (r->stream != NULL &&
			    strcmp(r->stream, an->stream) != 0)
				continue;
			memset(&c, 0, sizeof(c));
			c.fire = c.still = an->firing > 0;
			c.value = an->firing;
			alert_say(&c, "%s", an->why);
			alert_step(a, i, an->provider, an->stream, &c, now);
		}
		break;
	case CONFIG_ALERT_DISK_LOW:
		memset(&c, 0, sizeof(c));
		c.fire = c.still = s->disk_low;
		alert_say(
		    &c, "spool: free disk space below spool.min_free; new mail "
		        "is refused");
		alert_step(a, i, "", "", &c, now);
		break;
	case CONFIG_ALERT_CLUSTER_LOST:
		memset(&c, 0, sizeof(c));
		c.fire = c.still = s->cluster_lost;
		alert_say(&c, "cluster: Redis is not reachable; this node "
		              "works alone on local state (circuits, limits, "
		              "idempotency) until it returns");
		alert_step(a, i, "", "", &c, now);
		break;
	case CONFIG_ALERT_SPOOL_DAMAGED:
		memset(&c, 0, sizeof(c));
		c.fire = c.still = s->spool_damaged;
		alert_say(&c, "spool: the message store is damaged; new mail "
		              "is refused until it is checked and swerved "
		              "restarted");
		alert_step(a, i, "", "", &c, now);
		break;
	default:
		for (j = 0; j < s->n_streams; j++) {
			if (r->stream != NULL &&
			    strcmp(r->stream, s->streams[j].name) != 0)
				continue;
			memset(&c, 0, sizeof(c));
			alert_cond_stream(a, r, s, &s->streams[j], now, &c);
			alert_step(a, i, "", s->streams[j].name, &c, now);
		}
		break;
	}
}

void
alert_eval(struct alert *a, const struct alert_snapshot *s, int64_t now_ms)
{
	struct alert_cond none;
	size_t i, j;

	for (i = 0; i < s->n_streams; i++)
		alert_rate_update(alert_rate_get(a, s->streams[i].name),
		                  s->streams[i].sent_total, now_ms);
	for (i = 0; i < a->n_insts; i++)
		a->insts[i].seen = false;
	for (i = 0; i < a->cfg->n_alert_rules; i++)
		alert_eval_rule(a, i, s, now_ms);
	/* A subject that vanished (a stream or provider no longer in the
	 * snapshot) counts as clear. */
	memset(&none, 0, sizeof(none));
	for (i = 0; i < a->n_insts;) {
		struct alert_inst *in = &a->insts[i];
		if (in->seen) {
			i++;
			continue;
		}
		j = a->n_insts;
		alert_step(a, in->rule, in->provider, in->stream, &none,
		           now_ms);
		if (a->n_insts == j)
			i++;
	}
}

size_t
alert_active_count(const struct alert *a)
{
	return a->n_insts;
}

void
alert_active_get(const struct alert *a, size_t i, struct alert_info *out)
{
	alert_info_fill(a, &a->insts[i], out);
}
