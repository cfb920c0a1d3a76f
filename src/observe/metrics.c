/*
 * metrics.c - Prometheus exposition of swerve's counters.
 *
 * One writer serves both encodings: metrics_family() opens a family
 * (HELP and TYPE lines, or a JSON member), the sample functions add to
 * it. Every family is written once, so the output is valid for any
 * scraper. Label values come from the configuration (provider names) or
 * from fixed tables, but are escaped anyway. Numbers that are whole are
 * printed as integers: a scrape is mostly counters, and %.17g on each
 * would be most of its cost.
 *
 * This file renders the modules' own counters (spool, SMTP server,
 * delivery, providers' live state, process); observe/stats.c adds what
 * it learnt from events through the same writer.
 */
#include "observe/metrics.h"

#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "core/clock.h"
#include "deliver/deliver.h"
#include "ingress/smtpd.h"
#include "observe/stats.h"
#include "observe/webhook_out.h"
#include "readiness/readiness.h"
#include "send/result.h"
#include "spool/spool.h"

void
metrics_writer_text(struct metrics_writer *w, struct buf *out)
{
	memset(w, 0, sizeof(*w));
	w->text = out;
}

void
metrics_writer_json(struct metrics_writer *w, json_t *root)
{
	memset(w, 0, sizeof(*w));
	w->json = root;
}

void
metrics_family(struct metrics_writer *w, const char *name, const char *type,
               const char *help)
{
	snprintf(w->name, sizeof(w->name), "%s", name);
	if (w->text) {
		buf_printf(w->text, "# HELP %s %s\n# TYPE %s %s\n", name, help,
		           name, type);
		return;
	}
	w->samples = json_array();
	json_object_set_new(w->json, name,
	                    json_pack("{s:s,s:s,s:o}", "type", type, "help",
	                              help, "samples", w->samples));
}

/* metrics_value - append v as the text format wants it. */
static void
metrics_value(struct buf *out, double v)
{
	char tmp[40];
	int n;

	if (isnan(v)) {
		buf_addstr(out, "NaN");
		return;
	}
	if (isinf(v)) {
		buf_addstr(out, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == (double)(long long)v && fabs(v) < 9007199254740992.0)
		n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
	else
		n = snprintf(tmp, sizeof(tmp), "%.17g", v);
	buf_add(out, tmp, (size_t)n);
}

/* metrics_label_value - a label value, escaped as the format says. */
static void
metrics_label_value(struct buf *out, const char *v)
{
	const char *run = v;

	for (; *v; v++) {
		if (*v != '\\' && *v != '"' && *v != '\n')
			continue;
		buf_add(out, run, (size_t)(v - run));
		buf_addstr(out, *v == '\n'  ? "\\n"
		                : *v == '"' ? "\\\""
		                            : "\\\\");
		run = v + 1;
	}
	buf_add(out, run, (size_t)(v - run));
}

/* metrics_text_head - name{labels[,le="x"]} for one text sample. */
static void
metrics_text_head(struct metrics_writer *w, const char *suffix,
                  const struct metrics_label *l, size_t nl, const char *le)
{
	struct buf *out = w->text;
	size_t i;

	buf_addstr(out, w->name);
	buf_addstr(out, suffix);
	if (nl > 0 || le != NULL) {
		buf_addch(out, '{');
		for (i = 0; i < nl; i++) {
			if (i > 0)
				buf_addch(out, ',');
			buf_addstr(out, l[i].key);
			buf_add(out, "=\"", 2);
			metrics_label_value(out, l[i].value ? l[i].value : "");
			buf_addch(out, '"');
		}
		if (le != NULL)
			buf_printf(out, "%sle=\"%s\"", nl > 0 ? "," : "", le);
		buf_addch(out, '}');
	}
	buf_addch(out, ' ');
}

/* metrics_json_labels - the labels as a JSON object. */
static json_t *
metrics_json_labels(const struct metrics_label *l, size_t nl)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < nl; i++)
		json_object_set_new(o, l[i].key,
		                    json_string(l[i].value ? l[i].value : ""));
	return o;
}

void
metrics_sample(struct metrics_writer *w, const struct metrics_label *l,
               size_t nl, double v)
{
	if (w->text) {
		metrics_text_head(w, "", l, nl, NULL);
		metrics_value(w->text, v);
		buf_addch(w->text, '\n');
		return;
	}
	json_array_append_new(w->samples,
	                      json_pack("{s:o,s:f}", "labels",
	                                metrics_json_labels(l, nl), "value",
	                                isfinite(v) ? v : 0.0));
}

void
metrics_histogram(struct metrics_writer *w, const struct metrics_label *l,
                  size_t nl, const double *bounds, const uint64_t *counts,
                  size_t nb, double sum)
{
	uint64_t cum = 0;
	char le[32];
	json_t *bs = NULL;
	size_t i;

	if (w->json)
		bs = json_array();
	for (i = 0; i <= nb; i++) {
		cum += counts[i];
		if (i < nb)
			snprintf(le, sizeof(le), "%g", bounds[i]);
		if (w->text) {
			metrics_text_head(w, "_bucket", l, nl,
			                  i < nb ? le : "+Inf");
			metrics_value(w->text, (double)cum);
			buf_addch(w->text, '\n');
		} else {
			json_array_append_new(
			    bs, json_pack("[o,I]",
			                  i < nb ? json_real(bounds[i])
			                         : json_string("+Inf"),
			                  (json_int_t)cum));
		}
	}
	if (w->json) {
		json_array_append_new(w->samples,
		                      json_pack("{s:o,s:o,s:f,s:I}", "labels",
		                                metrics_json_labels(l, nl),
		                                "buckets", bs, "sum", sum,
		                                "count", (json_int_t)cum));
		return;
	}
	metrics_text_head(w, "_sum", l, nl, NULL);
	metrics_value(w->text, sum);
	buf_addch(w->text, '\n');
	metrics_text_head(w, "_count", l, nl, NULL);
	metrics_value(w->text, (double)cum);
	buf_addch(w->text, '\n');
}

/* metrics_one - a family with one sample and no labels. */
static void
metrics_one(struct metrics_writer *w, const char *name, const char *type,
            const char *help, double v)
{
	metrics_family(w, name, type, help);
	metrics_sample(w, NULL, 0, v);
}

/* metrics_by - name{key="label"} value, in the current family. */
static void
metrics_by(struct metrics_writer *w, const char *key, const char *label,
           double v)
{
	struct metrics_label l = {key, label};

	metrics_sample(w, &l, 1, v);
}

static void
metrics_spool(struct metrics_writer *w, const struct spool_counts *c)
{
	double bounds[SPOOL_COMMIT_BUCKETS > SPOOL_BATCH_BUCKETS
	                  ? SPOOL_COMMIT_BUCKETS
	                  : SPOOL_BATCH_BUCKETS];
	int st, i;

	metrics_family(w, "swerve_queue_messages", "gauge",
	               "Messages in the spool by state.");
	for (st = 0; st < SPOOL_STATE_COUNT; st++)
		metrics_by(w, "state", spool_state_name(st),
		           (double)c->state[st]);
	metrics_one(w, "swerve_spool_commits_total", "counter",
	            "Group commits (one transaction and one fsync each).",
	            (double)c->commits);
	metrics_one(w, "swerve_spool_committed_messages_total", "counter",
	            "Messages stored durably.", (double)c->committed_msgs);
	metrics_one(w, "swerve_spool_failed_commits_total", "counter",
	            "Group commits rolled back after a write or fsync error.",
	            (double)c->failed_commits);
	metrics_one(w, "swerve_spool_commit_seconds_total", "counter",
	            "Time spent inside group commits.",
	            (double)c->commit_usec / 1e6);
	metrics_one(w, "swerve_spool_deduplicated_total", "counter",
	            "Submits answered from an idempotency key.",
	            (double)c->deduplicated);
	metrics_one(w, "swerve_spool_handoff_hits_total", "counter",
	            "Claimed messages whose body came from memory.",
	            (double)c->handoff_hits);
	metrics_one(w, "swerve_spool_handoff_misses_total", "counter",
	            "Claimed messages whose body was read from the database.",
	            (double)c->handoff_misses);
	metrics_one(w, "swerve_spool_handoff_bytes", "gauge",
	            "Bytes of fresh bodies held for their claim.",
	            (double)c->handoff_bytes);
	metrics_one(w, "swerve_spool_queued_jobs", "gauge",
	            "Jobs waiting for the spool's writer thread.",
	            (double)c->queued);
	metrics_one(w, "swerve_spool_disk_low", "gauge",
	            "1 while free space is below spool.min_free.",
	            (double)c->disk_low);
	metrics_one(w, "swerve_spool_damaged", "gauge",
	            "1 once the spool met a damaged database (until restart).",
	            (double)c->damaged);
	for (i = 0; i < SPOOL_BATCH_BUCKETS; i++)
		bounds[i] = (double)(1u << i);
	metrics_family(
	    w, "swerve_spool_commit_batch_size", "histogram",
	    "Jobs (messages and state changes) per writing group commit.");
	metrics_histogram(w, NULL, 0, bounds, c->batch_hist,
	                  SPOOL_BATCH_BUCKETS, (double)c->batch_jobs);
	for (i = 0; i < SPOOL_COMMIT_BUCKETS; i++)
		bounds[i] = (double)spool_commit_bounds_us[i] / 1e6;
	metrics_family(
	    w, "swerve_spool_commit_duration_seconds", "histogram",
	    "Time of each writing group commit, BEGIN to COMMIT, its fsync "
	    "included.");
	metrics_histogram(w, NULL, 0, bounds, c->commit_hist,
	                  SPOOL_COMMIT_BUCKETS, (double)c->commit_usec / 1e6);
}

static void
metrics_smtpd(struct metrics_writer *w, const struct smtpd_stats *s)
{
	int r;

	metrics_one(w, "swerve_smtp_sessions_open", "gauge",
	            "SMTP sessions open now.", (double)s->sessions_open);
	metrics_one(w, "swerve_smtp_sessions_total", "counter",
	            "SMTP sessions accepted.", (double)s->sessions_total);
	metrics_family(w, "swerve_messages_accepted_total", "counter",
	               "Messages accepted (stored durably) by ingress.");
	metrics_by(w, "ingress", "smtp", (double)s->accepted);
	metrics_family(w, "swerve_messages_accepted_bytes_total", "counter",
	               "Bytes of the messages accepted by ingress.");
	metrics_by(w, "ingress", "smtp", (double)s->accepted_bytes);
	metrics_family(w, "swerve_smtp_rejections_total", "counter",
	               "SMTP commands or messages refused, by reason.");
	for (r = 0; r < SMTPD_REJECT_COUNT; r++)
		metrics_by(w, "reason", smtpd_reject_name(r),
		           (double)s->rejected[r]);
}

/* metrics_http - responses by handler and status code. The common codes
 * are always present; others once they occurred. */
static void
metrics_http(struct metrics_writer *w, const struct metrics_http *h)
{
	static const int common[] = {200, 202, 400, 401, 403,
	                             404, 409, 413, 503};
	struct metrics_label l[2] = {{"handler", NULL}, {"code", NULL}};
	char code[16];
	size_t k;
	int c, hd;
	bool always;

	metrics_family(
	    w, "swerve_http_responses_total", "counter",
	    "HTTP responses by handler (send: the send API; admin: the "
	    "rest) and status code; 4xx/5xx codes are the rejection "
	    "reasons.");
	for (hd = 0; hd < 2; hd++) {
		const uint64_t *n = hd == 0 ? h->send : h->admin;
		l[0].value = hd == 0 ? "send" : "admin";
		for (c = 100; c < METRICS_HTTP_CODES; c++) {
			always = false;
			for (k = 0; k < sizeof(common) / sizeof(common[0]); k++)
				always |= common[k] == c;
			if (n[c] == 0 && !always)
				continue;
			snprintf(code, sizeof(code), "%d", c);
			l[1].value = code;
			metrics_sample(w, l, 2, (double)n[c]);
		}
	}
}

static void
metrics_deliver(struct metrics_writer *w, const struct deliver_stats *d)
{
	metrics_one(w, "swerve_delivery_inflight_messages", "gauge",
	            "Messages claimed for delivery and held in memory.",
	            (double)d->inflight);
	metrics_one(w, "swerve_delivery_parked_messages", "gauge",
	            "Messages in memory waiting for a provider's rate budget.",
	            (double)d->parked);
	metrics_one(w, "swerve_delivery_attempts_total", "counter",
	            "Delivery attempts made to providers.",
	            (double)d->attempts);
	metrics_one(
	    w, "swerve_messages_delivered_total", "counter",
	    "Messages whose recipients are all done, at least one sent.",
	    (double)d->delivered);
	metrics_one(w, "swerve_failovers_total", "counter",
	            "Attempts moved to the next provider at once.",
	            (double)d->failovers);
	metrics_one(w, "swerve_messages_deferred_total", "counter",
	            "Times a message was deferred because no provider took it.",
	            (double)d->deferred);
	metrics_one(w, "swerve_messages_failed_total", "counter",
	            "Messages that failed for good (rejected or expired).",
	            (double)d->failed);
	metrics_one(w, "swerve_messages_held_total", "counter",
	            "Messages held for an operator after an unknown outcome.",
	            (double)d->held);
	metrics_one(w, "swerve_dsns_total", "counter",
	            "Delivery status notifications queued.", (double)d->dsns);
	metrics_one(
	    w, "swerve_possible_duplicates_total", "counter",
	    "Attempts whose outcome was unknown, then resent elsewhere.",
	    (double)d->possible_duplicates);
}

/* metrics_prov_gauge - one gauge family with a sample per provider. */
static void
metrics_prov_gauge(struct metrics_writer *w, const char *name, const char *help,
                   const struct deliver_provider_info *p, size_t n, size_t off,
                   int kind)
{
	size_t i;
	double v;

	metrics_family(w, name, "gauge", help);
	for (i = 0; i < n; i++) {
		const char *f = (const char *)&p[i] + off;
		if (kind == 'd')
			v = *(const double *)(const void *)f;
		else if (kind == 'u')
			v = (double)*(const uint64_t *)(const void *)f;
		else
			v = (double)*(const unsigned *)(const void *)f;
		metrics_by(w, "provider", p[i].name, v);
	}
}

/* metrics_account - what the providers' APIs say about the accounts
 * (route/account.h); only what a provider told (a value >= 0). */
static void
metrics_account(struct metrics_writer *w, const struct deliver_provider_info *p,
                size_t n)
{
	static const struct {
		const char *name, *help;
		size_t off; /* a double of struct deliver_provider_info */
	} fams[] = {
	    {"swerve_provider_account_quota_limit",
	     "The provider's own quota for its period (SES 24 h, SendGrid "
	     "credits).",
	     offsetof(struct deliver_provider_info, account_quota_max)},
	    {"swerve_provider_account_quota_remaining",
	     "Estimated left of the provider's quota: its last poll less what "
	     "was accepted or is in flight since.",
	     offsetof(struct deliver_provider_info, account_quota_left)},
	    {"swerve_provider_account_bounce_rate",
	     "The provider's reputation bounce rate (SES "
	     "Reputation.BounceRate), 0..1.",
	     offsetof(struct deliver_provider_info, account_bounce_rate)},
	    {"swerve_provider_account_complaint_rate",
	     "The provider's reputation complaint rate (SES "
	     "Reputation.ComplaintRate), 0..1.",
	     offsetof(struct deliver_provider_info, account_complaint_rate)},
	    {"swerve_provider_account_reputation",
	     "The provider's reputation score, 0..100 (SendGrid).",
	     offsetof(struct deliver_provider_info, account_score)},
	};
	size_t f, i;

	for (f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		metrics_family(w, fams[f].name, "gauge", fams[f].help);
		for (i = 0; i < n; i++) {
			double v;
			memcpy(&v, (const char *)&p[i] + fams[f].off,
			       sizeof(v));
			if (p[i].account_known && v >= 0)
				metrics_by(w, "provider", p[i].name, v);
		}
	}
	metrics_family(w, "swerve_provider_account_paused", "gauge",
	               "1 while the provider says the account or its domain "
	               "will not send.");
	for (i = 0; i < n; i++)
		if (p[i].account_known)
			metrics_by(w, "provider", p[i].name,
			           p[i].account_paused ? 1 : 0);
}

/* metrics_prov_pair - family{provider=,key=a} va and {.., key=b} vb. */
static void
metrics_prov_pair(struct metrics_writer *w, const char *provider,
                  const char *key, const char *a, double va, const char *b,
                  double vb)
{
	struct metrics_label l[2] = {{"provider", provider}, {key, a}};

	metrics_sample(w, l, 2, va);
	l[1].value = b;
	metrics_sample(w, l, 2, vb);
}

static void
metrics_providers(struct metrics_writer *w,
                  const struct deliver_provider_info *p, size_t n)
{
	static const char *const states[] = {"closed", "open",     "half-open",
	                                     "paused", "draining", "disabled"};
	static const char *const levels[] = {
	    "ok", "minor", "major", "critical", "maintenance", "unknown"};
	struct metrics_label l[2];
	size_t i, k;

	metrics_family(
	    w, "swerve_provider_state", "gauge",
	    "1 for the circuit state each provider is in (closed, open, "
	    "half-open, paused, draining, disabled).");
	for (i = 0; i < n; i++) {
		bool known = false;
		l[0] = (struct metrics_label){"provider", p[i].name};
		l[1].key = "state";
		for (k = 0; k < sizeof(states) / sizeof(states[0]); k++) {
			l[1].value = states[k];
			known |= strcmp(p[i].mode, states[k]) == 0;
			metrics_sample(w, l, 2,
			               strcmp(p[i].mode, states[k]) == 0);
		}
		if (!known) {
			l[1].value = p[i].mode;
			metrics_sample(w, l, 2, 1);
		}
	}
#define PROV_FIELD(f) offsetof(struct deliver_provider_info, f)
	metrics_prov_gauge(
	    w, "swerve_provider_consecutive_failures",
	    "Failures in a row since the provider last took mail.", p, n,
	    PROV_FIELD(consecutive_failures), 'x');
	metrics_prov_gauge(
	    w, "swerve_provider_health_score",
	    "Routing health score in (0, 1]: success, latency and standing.", p,
	    n, PROV_FIELD(health), 'd');
	metrics_prov_gauge(
	    w, "swerve_provider_success_ratio",
	    "Share of attempts that succeeded over the last 5 minutes (1 "
	    "with no data).",
	    p, n, PROV_FIELD(success_ratio), 'd');
	metrics_prov_gauge(
	    w, "swerve_provider_failback_ramp_ratio",
	    "Fail-back ramp factor in (0, 1] after the circuit closed.", p, n,
	    PROV_FIELD(ramp), 'd');
	metrics_family(w, "swerve_provider_latency_ewma_seconds", "gauge",
	               "Moving average of the provider's attempt latency.");
	for (i = 0; i < n; i++)
		metrics_by(w, "provider", p[i].name,
		           (double)p[i].latency_ewma_ms / 1000.0);
	metrics_family(
	    w, "swerve_provider_cooldown_seconds", "gauge",
	    "Time left before an open circuit lets trial sends through.");
	for (i = 0; i < n; i++)
		metrics_by(w, "provider", p[i].name,
		           (double)p[i].cooldown_left_ms / 1000.0);
	metrics_family(
	    w, "swerve_provider_attempts_total", "counter",
	    "Attempts by provider and result (ok: accepted or refused for "
	    "good; failed: anything that made us fail over).");
	for (i = 0; i < n; i++)
		metrics_prov_pair(w, p[i].name, "result", "ok",
		                  (double)p[i].sent, "failed",
		                  (double)p[i].failed);
	metrics_family(w, "swerve_provider_results_total", "counter",
	               "Attempt results by provider and result class.");
	for (i = 0; i < n; i++) {
		l[0] = (struct metrics_label){"provider", p[i].name};
		l[1].key = "class";
		for (k = 0; k < SEND_CLASS_COUNT; k++) {
			l[1].value = send_class_name((enum send_class)k);
			metrics_sample(w, l, 2, (double)p[i].class_counts[k]);
		}
	}
	metrics_family(
	    w, "swerve_provider_config_errors_total", "counter",
	    "Results that said the provider's configuration is wrong "
	    "(credentials, account paused, identity not verified).");
	for (i = 0; i < n; i++)
		metrics_by(w, "provider", p[i].name,
		           (double)p[i].class_counts[SEND_CONFIG]);
	metrics_family(w, "swerve_provider_circuit_opens_total", "counter",
	               "Times the provider's circuit opened.");
	for (i = 0; i < n; i++)
		metrics_by(w, "provider", p[i].name, (double)p[i].opens);
	metrics_family(
	    w, "swerve_provider_picks_total", "counter",
	    "Times routing chose the provider (keep-warm picks included).");
	for (i = 0; i < n; i++)
		metrics_by(w, "provider", p[i].name, (double)p[i].picks);
	metrics_family(w, "swerve_provider_probes_total", "counter",
	               "Active probes by result.");
	for (i = 0; i < n; i++)
		metrics_prov_pair(w, p[i].name, "result", "ok",
		                  (double)p[i].probes_ok, "failed",
		                  (double)p[i].probes_failed);
	metrics_family(
	    w, "swerve_provider_status_page", "gauge",
	    "1 for the level the provider's status page reports (providers "
	    "without a status page have no sample).");
	for (i = 0; i < n; i++) {
		if (p[i].status_page == NULL)
			continue;
		l[0] = (struct metrics_label){"provider", p[i].name};
		l[1].key = "level";
		for (k = 0; k < sizeof(levels) / sizeof(levels[0]); k++) {
			l[1].value = levels[k];
			metrics_sample(
			    w, l, 2, strcmp(p[i].status_page, levels[k]) == 0);
		}
	}
	metrics_family(
	    w, "swerve_provider_rate_limit_per_second", "gauge",
	    "Current send rate allowed (max_rate, lowered by throttling); "
	    "only rate-limited providers.");
	for (i = 0; i < n; i++)
		if (p[i].limited)
			metrics_by(w, "provider", p[i].name, p[i].rate);
	metrics_family(
	    w, "swerve_provider_rate_limit_tokens", "gauge",
	    "Sends the rate limit allows right now; only rate-limited "
	    "providers.");
	for (i = 0; i < n; i++)
		if (p[i].limited)
			metrics_by(w, "provider", p[i].name, p[i].tokens);
	metrics_family(
	    w, "swerve_provider_quota_limit", "gauge",
	    "Daily quota (quota.daily); only providers with a quota.");
	for (i = 0; i < n; i++)
		if (p[i].quota_limit > 0)
			metrics_by(w, "provider", p[i].name,
			           (double)p[i].quota_limit);
	metrics_family(
	    w, "swerve_provider_quota_remaining", "gauge",
	    "Sends left in today's quota; only providers with a quota.");
	for (i = 0; i < n; i++)
		if (p[i].quota_limit > 0)
			metrics_by(w, "provider", p[i].name,
			           (double)p[i].quota_left);
	metrics_account(w, p, n);
	metrics_family(w, "swerve_provider_connections", "gauge",
	               "Open connections to the provider.");
	for (i = 0; i < n; i++)
		metrics_by(w, "provider", p[i].name, (double)p[i].connections);
	metrics_family(w, "swerve_provider_connection_window", "gauge",
	               "Connections that may be busy at the provider now "
	               "(adaptive_connections).");
	for (i = 0; i < n; i++)
		metrics_by(w, "provider", p[i].name, (double)p[i].conc_window);
	metrics_family(w, "swerve_provider_connection_window_cuts_total",
	               "counter",
	               "Times deferrals, throttles or timeouts halved the "
	               "connection window.");
	for (i = 0; i < n; i++)
		metrics_by(w, "provider", p[i].name, (double)p[i].conc_cuts);
	metrics_family(w, "swerve_provider_waiting_messages", "gauge",
	               "Messages waiting for a connection to the provider.");
	for (i = 0; i < n; i++)
		metrics_by(w, "provider", p[i].name, (double)p[i].waiting);
#undef PROV_FIELD
}

/* metrics_prov_usable - the provider can take mail now. */
static bool
metrics_prov_usable(const struct deliver_provider_info *p)
{
	return strcmp(p->mode, "closed") == 0 ||
	       strcmp(p->mode, "half-open") == 0;
}

/* metrics_streams - per stream: usable providers, messages in memory. */
static void
metrics_streams(struct metrics_writer *w, const struct metrics_snapshot *s)
{
	const struct config *cfg = s->cfg;
	size_t i, j, k, usable;

	metrics_family(
	    w, "swerve_stream_usable_providers", "gauge",
	    "Providers the stream may use whose circuit lets mail through "
	    "now (0: the stream's mail waits).");
	for (i = 0; i < cfg->n_streams; i++) {
		const struct config_stream *st = &cfg->streams[i];
		usable = 0;
		for (j = 0; j < s->n_provs; j++) {
			bool allowed = st->n_providers == 0;
			for (k = 0; k < st->n_providers; k++)
				allowed |= strcmp(st->providers[k],
				                  s->provs[j].name) == 0;
			if (allowed && metrics_prov_usable(&s->provs[j]))
				usable++;
		}
		metrics_by(w, "stream", st->name, (double)usable);
	}
	if (s->stream_inflight == NULL)
		return;
	metrics_family(
	    w, "swerve_stream_inflight_messages", "gauge",
	    "Messages of the stream claimed for delivery, in memory.");
	for (i = 0; i < cfg->n_streams; i++)
		metrics_by(w, "stream", cfg->streams[i].name,
		           (double)s->stream_inflight[i]);
}

/* metrics_all - every family of s, through w. */
static void
metrics_all(const struct metrics_snapshot *s, struct metrics_writer *w)
{
	if (s->smtpd)
		metrics_smtpd(w, s->smtpd);
	if (s->http)
		metrics_http(w, s->http);
	if (s->spool)
		metrics_spool(w, s->spool);
	if (s->deliver)
		metrics_deliver(w, s->deliver);
	if (s->provs && s->n_provs > 0)
		metrics_providers(w, s->provs, s->n_provs);
	if (s->cfg && s->provs)
		metrics_streams(w, s);
	if (s->stats)
		stats_render(s->stats, w);
	webhook_out_render(s->webhooks, w);
	readiness_metrics_render(
	    s->readiness, w,
	    clock_wall_ms() - (int64_t)READINESS_SEEN_DAYS * 86400 * 1000,
	    s->readiness_cap);
	metrics_one(w, "swerve_process_uptime_seconds", "gauge",
	            "Seconds since swerved started.", s->uptime_seconds);
	if (s->rss_bytes > 0)
		metrics_one(w, "process_resident_memory_bytes", "gauge",
		            "Resident memory size in bytes.",
		            (double)s->rss_bytes);
	if (s->open_fds >= 0)
		metrics_one(w, "process_open_fds", "gauge",
		            "Number of open file descriptors.",
		            (double)s->open_fds);
}

void
metrics_render(const struct metrics_snapshot *s, struct buf *out)
{
	struct metrics_writer w;

	metrics_writer_text(&w, out);
	metrics_all(s, &w);
}

void
metrics_render_json(const struct metrics_snapshot *s, json_t *root)
{
	struct metrics_writer w;

	metrics_writer_json(&w, root);
	metrics_all(s, &w);
}

void
metrics_process_read(struct metrics_snapshot *s)
{
	unsigned long size = 0, resident = 0;
	struct dirent *de;
	FILE *f;
	DIR *d;

	/* procfs reads are served from memory: no disk I/O on the loop. */
	s->rss_bytes = 0;
	f = fopen("/proc/self/statm", "r");
	if (f != NULL) {
		if (fscanf(f, "%lu %lu", &size, &resident) == 2)
			s->rss_bytes = (uint64_t)resident *
			               (uint64_t)sysconf(_SC_PAGESIZE);
		fclose(f);
	}
	s->open_fds = -1;
	d = opendir("/proc/self/fd");
	if (d != NULL) {
		s->open_fds = 0;
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				s->open_fds++;
		s->open_fds--; /* the directory stream itself */
		closedir(d);
	}
}
