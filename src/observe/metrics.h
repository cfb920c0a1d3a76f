/*
 * metrics.h - Prometheus exposition of swerve's counters (contract).
 *
 * A pure renderer: the caller takes a snapshot of what each module counts
 * (all of it kept in memory, so taking it never blocks) and this writes
 * it either as the text format 0.0.4 (GET /metrics) or as one JSON
 * object (GET /metrics.json, for scripts):
 *
 *   {"swerve_x_total": {"type": "counter", "help": "...",
 *     "samples": [{"labels": {"provider": "a"}, "value": 3}, ...]},
 *    "swerve_y_seconds": {"type": "histogram", ...
 *     "samples": [{"labels": {...}, "buckets": [[0.005, 1], ...,
 *                  ["+Inf", 9]], "sum": 1.5, "count": 9}]}}
 *
 * Names follow Prometheus conventions: a swerve_ prefix (process_ for the
 * standard process metrics), base units (_seconds, _bytes, _ratio),
 * _total for counters. Labels are bounded sets only: provider, stream,
 * tenant (from the config), state, class, reason, result, outcome,
 * level, code; never message ids or addresses. Histogram buckets are
 * cumulative with an "+Inf" bucket, _sum and _count, as the format says.
 *
 * The writer is also how other modules (observe/stats.c) add families:
 * metrics_family() once, then samples.
 */
#ifndef SWERVE_OBSERVE_METRICS_H
#define SWERVE_OBSERVE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct spool_counts;
struct smtpd_stats;
struct deliver_stats;
struct deliver_provider_info;
struct config;
struct stats;
struct webhook_out;
struct readiness;
struct json_t;

/* Responses of the HTTP listener by handler and status code. */
#define METRICS_HTTP_CODES 600
struct metrics_http {
	uint64_t send[METRICS_HTTP_CODES];  /* the send API (POST) */
	uint64_t admin[METRICS_HTTP_CODES]; /* everything else */
};

/* Everything is borrowed for the call; any pointer may be NULL (skipped). */
struct metrics_snapshot {
	const struct spool_counts *spool;
	const struct smtpd_stats *smtpd;
	const struct deliver_stats *deliver;
	const struct deliver_provider_info *provs;
	size_t n_provs;
	/* Streams and which providers each may use (usable-provider counts
	 * per stream); stream_inflight[i] for cfg->streams[i]. */
	const struct config *cfg;
	const size_t *stream_inflight;
	struct stats *stats;                /* families learnt from events */
	const struct webhook_out *webhooks; /* outbound webhooks, or NULL */
	const struct metrics_http *http;
	struct readiness *readiness; /* failover readiness, or NULL */
	size_t readiness_cap;        /* readiness.max_metrics */
	double uptime_seconds;
	uint64_t rss_bytes; /* 0: unknown, not exported */
	int open_fds;       /* < 0: unknown, not exported */
};

/* metrics_render - append the text exposition of s to out. */
void metrics_render(const struct metrics_snapshot *s, struct buf *out);

/* metrics_render_json - add every family of s to root (a JSON object,
 * borrowed), in the shape above. */
void metrics_render_json(const struct metrics_snapshot *s, struct json_t *root);

/* metrics_process_read - fill rss_bytes and open_fds from /proc/self. */
void metrics_process_read(struct metrics_snapshot *s);

/* ---- the writer, for modules that add families ------------------------ */

struct metrics_label {
	const char *key, *value;
};

/* Exactly one of text and json is set; name is the current family. */
struct metrics_writer {
	struct buf *text;
	struct json_t *json;
	struct json_t *samples; /* borrowed from json */
	char name[128];
};

/* metrics_writer_text - w writes the text format into out (borrowed). */
void metrics_writer_text(struct metrics_writer *w, struct buf *out);
/* metrics_writer_json - w adds families to root (borrowed). */
void metrics_writer_json(struct metrics_writer *w, struct json_t *root);

/* metrics_family - start family name ("counter", "gauge", "histogram"):
 * its HELP and TYPE. Later samples belong to it. */
void metrics_family(struct metrics_writer *w, const char *name,
                    const char *type, const char *help);

/* metrics_sample - one sample of the current family with nl labels. */
void metrics_sample(struct metrics_writer *w, const struct metrics_label *l,
                    size_t nl, double v);

/*
 * metrics_histogram - one histogram series of the current family:
 * bounds[0..nb-1] ascending upper bounds, counts[0..nb] non-cumulative
 * (counts[nb]: above the last bound), sum of the observations.
 */
void metrics_histogram(struct metrics_writer *w, const struct metrics_label *l,
                       size_t nl, const double *bounds, const uint64_t *counts,
                       size_t nb, double sum);

#endif
