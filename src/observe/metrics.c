/*
 * metrics.c - Prometheus text exposition of swerve's counters.
 *
 * One helper writes a family's HELP and TYPE lines, others write samples;
 * every family is written once, so the output is valid for any scraper.
 * Label values come from the configuration (provider names) or from
 * fixed tables, but are escaped anyway.
 */
#include "observe/metrics.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "deliver/deliver.h"
#include "ingress/smtpd.h"
#include "spool/spool.h"

/* metrics_family - the HELP and TYPE lines of one metric family. */
static void
metrics_family(struct buf *out, const char *name, const char *type,
    const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* metrics_label - append ,key="value" (or {key="value" when first). */
static void
metrics_label(struct buf *out, bool first, const char *key, const char *v)
{
	buf_printf(out, "%s%s=\"", first ? "{" : ",", key);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_addch(out, '\\');
		if (*v == '\n') {
			buf_addstr(out, "\\n");
			continue;
		}
		buf_addch(out, *v);
	}
	buf_addch(out, '"');
}

/* metrics_one - a sample without labels. */
static void
metrics_one(struct buf *out, const char *name, const char *type,
    const char *help, double v)
{
	metrics_family(out, name, type, help);
	buf_printf(out, "%s %.17g\n", name, v);
}

/* metrics_labelled - name{key="label"} value. */
static void
metrics_labelled(struct buf *out, const char *name, const char *key,
    const char *label, double v)
{
	buf_addstr(out, name);
	metrics_label(out, true, key, label);
	buf_printf(out, "} %.17g\n", v);
}

static void
metrics_spool(struct buf *out, const struct spool_counts *c)
{
	int st;

	metrics_family(out, "swerve_queue_messages", "gauge",
	    "Messages in the spool by state.");
	for (st = 0; st < SPOOL_STATE_COUNT; st++)
		metrics_labelled(out, "swerve_queue_messages", "state",
		    spool_state_name(st), (double)c->state[st]);
	metrics_one(out, "swerve_spool_commits_total", "counter",
	    "Group commits (one transaction and one fsync each).",
	    (double)c->commits);
	metrics_one(out, "swerve_spool_committed_messages_total", "counter",
	    "Messages stored durably.", (double)c->committed_msgs);
	metrics_one(out, "swerve_spool_failed_commits_total", "counter",
	    "Group commits rolled back after a write or fsync error.",
	    (double)c->failed_commits);
	metrics_one(out, "swerve_spool_commit_seconds_total", "counter",
	    "Time spent inside group commits.", (double)c->commit_usec / 1e6);
	metrics_one(out, "swerve_spool_disk_low", "gauge",
	    "1 while free space is below spool.min_free.",
	    (double)c->disk_low);
}

static void
metrics_smtpd(struct buf *out, const struct smtpd_stats *s)
{
	int r;

	metrics_one(out, "swerve_smtp_sessions_open", "gauge",
	    "SMTP sessions open now.", (double)s->sessions_open);
	metrics_one(out, "swerve_smtp_sessions_total", "counter",
	    "SMTP sessions accepted.", (double)s->sessions_total);
	metrics_family(out, "swerve_messages_accepted_total", "counter",
	    "Messages accepted (stored durably) by ingress.");
	metrics_labelled(out, "swerve_messages_accepted_total", "ingress",
	    "smtp", (double)s->accepted);
	metrics_family(out, "swerve_messages_accepted_bytes_total", "counter",
	    "Bytes of the messages accepted by ingress.");
	metrics_labelled(out, "swerve_messages_accepted_bytes_total",
	    "ingress", "smtp", (double)s->accepted_bytes);
	metrics_family(out, "swerve_smtp_rejections_total", "counter",
	    "SMTP commands or messages refused, by reason.");
	for (r = 0; r < SMTPD_REJECT_COUNT; r++)
		metrics_labelled(out, "swerve_smtp_rejections_total", "reason",
		    smtpd_reject_name(r), (double)s->rejected[r]);
}

static void
metrics_deliver(struct buf *out, const struct deliver_stats *d)
{
	metrics_one(out, "swerve_delivery_inflight_messages", "gauge",
	    "Messages claimed for delivery and held in memory.",
	    (double)d->inflight);
	metrics_one(out, "swerve_delivery_attempts_total", "counter",
	    "Delivery attempts made to providers.", (double)d->attempts);
	metrics_one(out, "swerve_messages_delivered_total", "counter",
	    "Messages whose recipients are all done, at least one sent.",
	    (double)d->delivered);
	metrics_one(out, "swerve_failovers_total", "counter",
	    "Attempts moved to the next provider at once.",
	    (double)d->failovers);
	metrics_one(out, "swerve_messages_deferred_total", "counter",
	    "Times a message was deferred because no provider took it.",
	    (double)d->deferred);
	metrics_one(out, "swerve_messages_failed_total", "counter",
	    "Messages that failed for good (rejected or expired).",
	    (double)d->failed);
	metrics_one(out, "swerve_dsns_total", "counter",
	    "Delivery status notifications queued.", (double)d->dsns);
	metrics_one(out, "swerve_possible_duplicates_total", "counter",
	    "Attempts whose outcome was unknown, then resent elsewhere.",
	    (double)d->possible_duplicates);
}

static void
metrics_providers(struct buf *out, const struct deliver_provider_info *p,
    size_t n)
{
	static const char *const states[] = {"closed", "open", "half-open",
	    "paused", "draining", "disabled"};
	size_t i, k;

	metrics_family(out, "swerve_provider_state", "gauge",
	    "1 for the circuit state each provider is in (closed, open, "
	    "half-open, paused, draining, disabled).");
	for (i = 0; i < n; i++)
		for (k = 0; k < sizeof(states) / sizeof(states[0]); k++) {
			buf_addstr(out, "swerve_provider_state");
			metrics_label(out, true, "provider", p[i].name);
			metrics_label(out, false, "state", states[k]);
			buf_printf(out, "} %d\n",
			    strcmp(p[i].mode, states[k]) == 0);
		}
	metrics_family(out, "swerve_provider_consecutive_failures", "gauge",
	    "Failures in a row since the provider last took mail.");
	for (i = 0; i < n; i++)
		metrics_labelled(out, "swerve_provider_consecutive_failures",
		    "provider", p[i].name, (double)p[i].consecutive_failures);
	metrics_family(out, "swerve_provider_attempts_total", "counter",
	    "Attempts by provider and result (ok: accepted or refused for "
	    "good; failed: anything that made us fail over).");
	for (i = 0; i < n; i++) {
		buf_addstr(out, "swerve_provider_attempts_total");
		metrics_label(out, true, "provider", p[i].name);
		metrics_label(out, false, "result", "ok");
		buf_printf(out, "} %llu\n", (unsigned long long)p[i].sent);
		buf_addstr(out, "swerve_provider_attempts_total");
		metrics_label(out, true, "provider", p[i].name);
		metrics_label(out, false, "result", "failed");
		buf_printf(out, "} %llu\n", (unsigned long long)p[i].failed);
	}
	metrics_family(out, "swerve_provider_connections", "gauge",
	    "Open connections to the provider.");
	for (i = 0; i < n; i++)
		metrics_labelled(out, "swerve_provider_connections", "provider",
		    p[i].name, (double)p[i].connections);
}

void
metrics_render(const struct metrics_snapshot *s, struct buf *out)
{
	if (s->smtpd)
		metrics_smtpd(out, s->smtpd);
	if (s->spool)
		metrics_spool(out, s->spool);
	if (s->deliver)
		metrics_deliver(out, s->deliver);
	if (s->provs && s->n_provs > 0)
		metrics_providers(out, s->provs, s->n_provs);
	metrics_one(out, "swerve_process_uptime_seconds", "gauge",
	    "Seconds since swerved started.", s->uptime_seconds);
	if (s->rss_bytes > 0)
		metrics_one(out, "process_resident_memory_bytes", "gauge",
		    "Resident memory size in bytes.", (double)s->rss_bytes);
	if (s->open_fds >= 0)
		metrics_one(out, "process_open_fds", "gauge",
		    "Number of open file descriptors.", (double)s->open_fds);
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
