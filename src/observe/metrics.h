/*
 * metrics.h - Prometheus text exposition of swerve's counters (contract).
 *
 * A pure renderer: the caller takes a snapshot of what each module counts
 * (all of it kept in memory, so taking it never blocks) and this writes
 * the text format 0.0.4 into a buffer. Names follow Prometheus
 * conventions: a swerve_ prefix, base units, _total for counters. Labels
 * are bounded sets only: provider (from the config), state, reason,
 * result; never message ids or addresses.
 *
 * This is the first slice of the observability issue: no histograms yet.
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

/* Everything is borrowed for the call; any pointer may be NULL (skipped). */
struct metrics_snapshot {
	const struct spool_counts *spool;
	const struct smtpd_stats *smtpd;
	const struct deliver_stats *deliver;
	const struct deliver_provider_info *provs;
	size_t n_provs;
	double uptime_seconds;
	uint64_t rss_bytes; /* 0: unknown, not exported */
	int open_fds;	    /* < 0: unknown, not exported */
};

/* metrics_render - append the exposition of s to out. */
void metrics_render(const struct metrics_snapshot *s, struct buf *out);

/* metrics_process_read - fill rss_bytes and open_fds from /proc/self. */
void metrics_process_read(struct metrics_snapshot *s);

#endif
