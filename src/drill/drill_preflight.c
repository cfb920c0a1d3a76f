/*
 * drill_preflight.c - the readiness table. See drill_preflight.h.
 */
#include "drill/drill_preflight.h"

#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "deliver/deliver.h"
#include "drill/drill_traffic.h"
#include "route/ratelimit.h"

#define PF_PROVEN_MS 3600000LL

/* pf_allowed - may stream s use provider p? */
static bool
pf_allowed(const struct config_stream *s, const struct config_provider *p)
{
	size_t i;

	if (s->n_providers == 0)
		return true;
	for (i = 0; i < s->n_providers; i++)
		if (strcmp(s->providers[i], p->name) == 0)
			return true;
	return false;
}

/* pf_row - append a row. */
static bool
pf_row(json_t *rows, const char *stream, const char *provider,
       const char *check, bool ok, const char *reason)
{
	json_array_append_new(rows,
	                      json_pack("{s:s,s:s,s:s,s:b,s:s}", "stream",
	                                stream, "provider", provider, "check",
	                                check, "ok", ok, "reason", reason));
	return ok;
}

/* pf_usable - is provider i usable now (mode)? */
static bool
pf_usable(const struct deliver *d, size_t i, const struct config_provider *p,
          char *why, size_t n)
{
	struct deliver_provider_info info;

	deliver_provider_info(d, i, &info);
	if (!p->enabled || strcmp(info.mode, "disabled") == 0) {
		snprintf(why, n, "%s is disabled", p->name);
		return false;
	}
	if (strcmp(info.mode, "closed") != 0 &&
	    strcmp(info.mode, "half-open") != 0) {
		snprintf(why, n, "%s is %s", p->name, info.mode);
		return false;
	}
	return true;
}

/* pf_capacity - messages per minute provider i can take (-1: no
 * limit known), with the limiting factor in why. */
static double
pf_capacity(const struct deliver *d, size_t i, const struct config_provider *p,
            char *why, size_t n)
{
	struct deliver_provider_info info;
	struct rate r;
	double cap = -1, lat;

	deliver_provider_info(d, i, &info);
	why[0] = '\0';
	if (p->max_rate != NULL && rate_parse(p->max_rate, &r) == RATE_OK) {
		cap = r.per_sec * 60.0;
		snprintf(why, n, "max_rate %s", p->max_rate);
	}
	lat = info.latency_ewma_ms > 0 ? (double)info.latency_ewma_ms : 1000.0;
	if (p->max_connections > 0) {
		double c = (double)p->max_connections * 60000.0 / lat;
		if (cap < 0 || c < cap) {
			cap = c;
			snprintf(why, n,
			         "max_connections %u at %.0f ms a message",
			         p->max_connections, lat);
		}
	}
	if (info.quota_limit > 0 &&
	    (cap < 0 || (double)info.quota_left < cap)) {
		cap = (double)info.quota_left;
		snprintf(why, n, "%llu left of the daily quota",
		         (unsigned long long)info.quota_left);
	}
	return cap;
}

/* pf_primary - the stream's preferred usable provider, or -1. */
static int
pf_primary(const struct config *cfg, const struct config_stream *s)
{
	int best = -1;
	size_t i;

	for (i = 0; i < cfg->n_providers; i++) {
		const struct config_provider *p = &cfg->providers[i];
		if (!p->enabled || !pf_allowed(s, p))
			continue;
		if (best < 0 || p->priority < cfg->providers[best].priority)
			best = (int)i;
	}
	return best;
}

/* pf_stream - the checks of one stream losing provider pi. */
static bool
pf_stream(const struct config *cfg, const struct deliver *d,
          const struct drill_traffic *t, const struct config_stream *s,
          size_t pi, int64_t now_ms, json_t *rows)
{
	const struct config_provider *prim = &cfg->providers[pi];
	uint64_t need = drill_traffic_peak(t, prim->name, now_ms);
	double cap = 0;
	bool unlimited = false, ready = true;
	int64_t proven = 0;
	char why[700], names[256] = "", limit[300] = "";
	size_t i, n_backups = 0;

	for (i = 0; i < cfg->n_providers; i++) {
		const struct config_provider *p = &cfg->providers[i];
		char w[160];
		double c;
		if (i == pi || !pf_allowed(s, p))
			continue;
		if (!pf_usable(d, i, p, w, sizeof(w))) {
			snprintf(limit, sizeof(limit), "%.160s", w);
			continue;
		}
		n_backups++;
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
		         "%s%s", n_backups > 1 ? ", " : "", p->name);
		need += drill_traffic_peak(t, p->name, now_ms);
		c = pf_capacity(d, i, p, w, sizeof(w));
		if (c < 0)
			unlimited = true;
		else {
			cap += c;
			snprintf(limit, sizeof(limit), "%.64s: %.160s", p->name,
			         w);
		}
		if (drill_traffic_proven(t, p->name) > proven)
			proven = drill_traffic_proven(t, p->name);
	}
	if (n_backups == 0) {
		snprintf(why, sizeof(why),
		         "no other provider may carry stream %s%s%s", s->name,
		         limit[0] ? ": " : "", limit);
		pf_row(rows, s->name, prim->name, "backup", false, why);
		return false;
	}
	snprintf(why, sizeof(why), "backup: %s", names);
	pf_row(rows, s->name, prim->name, "backup", true, why);
	if (unlimited || cap >= (double)need) {
		if (unlimited)
			snprintf(why, sizeof(why),
			         "no limit known on the backups; last hour's "
			         "peak %llu/min",
			         (unsigned long long)need);
		else
			snprintf(why, sizeof(why),
			         "backups take %.0f/min, last hour's peak "
			         "%llu/min",
			         cap, (unsigned long long)need);
		pf_row(rows, s->name, prim->name, "capacity", true, why);
	} else {
		snprintf(why, sizeof(why),
		         "backups take %.0f/min (%s), last hour's peak needs "
		         "%llu/min",
		         cap, limit, (unsigned long long)need);
		ready &=
		    pf_row(rows, s->name, prim->name, "capacity", false, why);
	}
	if (proven > 0 && now_ms - proven <= PF_PROVEN_MS) {
		snprintf(why, sizeof(why), "a backup worked %lld s ago",
		         (long long)((now_ms - proven) / 1000));
		pf_row(rows, s->name, prim->name, "proven", true, why);
	} else {
		snprintf(why, sizeof(why),
		         "no backup has sent a message or answered a probe "
		         "in the last hour (set keep_warm, or let probes run)");
		ready &=
		    pf_row(rows, s->name, prim->name, "proven", false, why);
	}
	return ready;
}

json_t *
drill_preflight_run(const struct config *cfg, const struct deliver *d,
                    const struct drill_traffic *t, const char *provider,
                    const char *stream,
                    const struct drill_preflight_alerts *alerts, int64_t now_ms)
{
	json_t *out = json_object(), *rows = json_array();
	bool ready = true;
	int want = provider ? deliver_provider_index(d, provider) : -1;
	size_t s;
	char why[200];

	for (s = 0; s < cfg->n_streams; s++) {
		const struct config_stream *st = &cfg->streams[s];
		int pi = want;
		if (stream != NULL && strcmp(st->name, stream) != 0)
			continue;
		if (provider == NULL)
			pi = pf_primary(cfg, st);
		if (pi < 0 || !pf_allowed(st, &cfg->providers[pi]))
			continue;
		ready &= pf_stream(cfg, d, t, st, (size_t)pi, now_ms, rows);
	}
	if (alerts != NULL && alerts->tested) {
		bool ok = alerts->targets > 0 && alerts->ok == alerts->targets;
		if (alerts->targets == 0)
			snprintf(why, sizeof(why),
			         "no alert notifier is configured: nobody "
			         "would be told");
		else
			snprintf(why, sizeof(why),
			         "%zu of %zu notifiers accepted the test "
			         "notification%s",
			         alerts->ok, alerts->targets,
			         alerts->failed ? " (the others failed)"
			         : ok           ? ""
			                        : " (the others did not answer "
			                          "in time)");
		ready &= pf_row(rows, "-", "-", "alerts", ok, why);
	}
	json_object_set_new(out, "ready", json_boolean(ready));
	if (provider != NULL)
		json_object_set_new(out, "provider", json_string(provider));
	json_object_set_new(out, "rows", rows);
	return out;
}

void
drill_preflight_render(const json_t *pf, struct buf *out)
{
	json_t *row;
	size_t i;

	buf_printf(out, "%-16s %-14s %-9s %-5s %s\n", "stream", "provider",
	           "check", "ok", "reason");
	json_array_foreach(json_object_get(pf, "rows"), i, row)
	{
		buf_printf(out, "%-16s %-14s %-9s %-5s %s\n",
		           json_string_value(json_object_get(row, "stream")),
		           json_string_value(json_object_get(row, "provider")),
		           json_string_value(json_object_get(row, "check")),
		           json_is_true(json_object_get(row, "ok")) ? "yes"
		                                                    : "NO",
		           json_string_value(json_object_get(row, "reason")));
	}
	buf_printf(out, "%s\n",
	           json_is_true(json_object_get(pf, "ready")) ? "ready"
	                                                      : "NOT READY");
}

void
drill_preflight_reasons(const json_t *pf, char *out, size_t n)
{
	json_t *row;
	size_t i, len = 0;

	out[0] = '\0';
	json_array_foreach(json_object_get(pf, "rows"), i, row)
	{
		if (json_is_true(json_object_get(row, "ok")))
			continue;
		len = strlen(out);
		if (len + 3 >= n)
			return;
		snprintf(out + len, n - len, "%s%s (%s)", len ? "; " : "",
		         json_string_value(json_object_get(row, "reason")),
		         json_string_value(json_object_get(row, "check")));
	}
}
