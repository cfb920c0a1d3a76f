/*
 * scrape_bench.c - the cost of /metrics with 20 providers, 10 streams and
 * 1 M messages processed, and the cost per event of the listeners.
 *
 * Drives observe/stats.c directly: 1 M messages, each an accepted, an
 * attempt and a sent event (one in ten also a failed attempt and a
 * failover first, one in a hundred a deferral), spread over 10 streams
 * and 20 providers, with the queue estimate holding its maximum (65,536
 * unsent messages) at the end. Then renders the whole exposition (the
 * providers' live state, spool and SMTP counters included, as
 * http_admin does) N times and prints the median and worst render time
 * and the size. Also times logjson_format per event (the JSON log line
 * without the write).
 *
 *   scrape_bench [-m MESSAGES] [-r RENDERS]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/id.h"
#include "deliver/deliver.h"
#include "ingress/smtpd.h"
#include "observe/events.h"
#include "observe/logjson.h"
#include "observe/metrics.h"
#include "observe/stats.h"
#include "spool/spool.h"

#define NPROV 20
#define NSTREAM 10

/*
 * now_s - this thread's CPU time: on a shared machine wall time mostly
 * measures the other jobs (the render does no I/O but /proc reads, and
 * never sleeps), so CPU time is the figure that means something. Wall
 * time is printed beside it.
 */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	static struct config_provider provs[NPROV];
	static struct config_stream streams[NSTREAM];
	static char pnames[NPROV][16], snames[NSTREAM][16];
	static struct deliver_provider_info pi[NPROV];
	struct config cfg;
	struct stats *st;
	struct logjson *lj;
	struct spool_counts sc;
	struct smtpd_stats ss;
	struct deliver_stats ds;
	struct metrics_snapshot ms;
	size_t inflight[NSTREAM] = {0};
	long nmsg = 1000000, renders = 200, i, nev = 0;
	double t0, t_events, *times, *walls, size = 0;
	char id[ID_SIZE];
	int ch;

	while ((ch = getopt(argc, argv, "m:r:")) != -1) {
		if (ch == 'm')
			nmsg = atol(optarg);
		else if (ch == 'r')
			renders = atol(optarg);
		else {
			fprintf(stderr, "usage: scrape_bench [-m N] [-r N]\n");
			return 2;
		}
	}
	memset(&cfg, 0, sizeof(cfg));
	for (i = 0; i < NPROV; i++) {
		snprintf(pnames[i], sizeof(pnames[i]), "provider%02ld", i);
		provs[i].name = pnames[i];
		pi[i] = (struct deliver_provider_info){
		    .name = pnames[i],
		    .type = "smtp",
		    .mode = i == 3 ? "open" : "closed",
		    .reason = "",
		    .sent = 50000,
		    .failed = 10,
		    .success_ratio = 0.99,
		    .latency_ewma_ms = 120,
		    .health = 0.9,
		    .ramp = 1,
		    .limited = i % 2,
		    .rate = 14,
		    .tokens = 3,
		    .quota_limit = i % 3 ? 50000 : 0,
		    .quota_left = 1000,
		    .status_page = i % 4 ? "ok" : NULL};
	}
	for (i = 0; i < NSTREAM; i++) {
		snprintf(snames[i], sizeof(snames[i]), "stream%ld", i);
		streams[i].name = snames[i];
	}
	cfg.providers = provs;
	cfg.n_providers = NPROV;
	cfg.streams = streams;
	cfg.n_streams = NSTREAM;
	st = stats_new(&cfg, NULL);
	lj = logjson_new(&cfg);

	t0 = now_s();
	for (i = 0; i < nmsg; i++) {
		const char *s = snames[i % NSTREAM];
		const char *p = pnames[i % NPROV], *q = pnames[(i + 1) % NPROV];
		struct events_item e = {.kind = EVENT_ACCEPTED,
		                        .msg_id = id,
		                        .tenant = NULL,
		                        .stream = s,
		                        .ingress = "smtp",
		                        .size = 1024,
		                        .rcpts = 1,
		                        .at_ms = 1};

		id_new(id);
		stats_on_event(&e, st);
		nev++;
		if (i % 10 == 0) {
			e.kind = EVENT_ATTEMPT;
			e.provider = q;
			e.cls = SEND_DEFERRED;
			e.duration_ms = 30;
			stats_on_event(&e, st);
			e.kind = EVENT_FAILOVER;
			e.to_provider = p;
			stats_on_event(&e, st);
			nev += 2;
		}
		if (i % 100 == 0) {
			e.kind = EVENT_DEFERRED;
			stats_on_event(&e, st);
			nev++;
		}
		e.kind = EVENT_ATTEMPT;
		e.provider = p;
		e.cls = SEND_ACCEPTED;
		e.duration_ms = 80 + (uint64_t)(i % 300);
		stats_on_event(&e, st);
		/* The last 65,536 stay queued: the estimate at its fullest. */
		if (i < nmsg - STATS_TRACK_MAX) {
			e.kind = EVENT_SENT;
			e.latency_ms = 100 + (uint64_t)(i % 5000);
			stats_on_event(&e, st);
			nev++;
		}
		nev++;
	}
	t_events = now_s() - t0;

	memset(&sc, 0, sizeof(sc));
	memset(&ss, 0, sizeof(ss));
	memset(&ds, 0, sizeof(ds));
	memset(&ms, 0, sizeof(ms));
	ms.spool = &sc;
	ms.smtpd = &ss;
	ms.deliver = &ds;
	ms.provs = pi;
	ms.n_provs = NPROV;
	ms.cfg = &cfg;
	ms.stream_inflight = inflight;
	ms.stats = st;
	ms.uptime_seconds = 3600;
	times = calloc((size_t)renders, sizeof(*times));
	walls = calloc((size_t)renders, sizeof(*walls));
	for (i = 0; i < renders; i++) {
		struct buf out;
		double w0 = wall_s();
		buf_init(&out);
		t0 = now_s();
		metrics_process_read(&ms);
		metrics_render(&ms, &out);
		times[i] = now_s() - t0;
		walls[i] = wall_s() - w0;
		size = (double)out.len;
		buf_fini(&out);
	}
	qsort(times, (size_t)renders, sizeof(*times), cmp_double);
	qsort(walls, (size_t)renders, sizeof(*walls), cmp_double);
	printf("messages %ld, events %ld: %.1f ns/event in stats, CPU time "
	       "(%.2f s)\n",
	       nmsg, nev, t_events / (double)nev * 1e9, t_events);
	printf("/metrics render (%d providers, %d streams), CPU time: median "
	       "%.3f ms, p90 %.3f ms, max %.3f ms; wall: median %.3f ms; "
	       "%.0f bytes, %ld renders\n",
	       NPROV, NSTREAM, times[renders / 2] * 1e3,
	       times[renders * 9 / 10] * 1e3, times[renders - 1] * 1e3,
	       walls[renders / 2] * 1e3, size, renders);
	{
		struct events_item e = {.kind = EVENT_ATTEMPT,
		                        .msg_id = id,
		                        .tenant = "app",
		                        .stream = "stream1",
		                        .provider = "provider01",
		                        .cls = SEND_ACCEPTED,
		                        .stage = SEND_STAGE_DOT,
		                        .duration_ms = 80,
		                        .rcpts = 1,
		                        .text =
		                            "250 2.0.0 Ok: queued as 4Fh2x"};
		long n = 200000;
		t0 = now_s();
		for (i = 0; i < n; i++)
			free(logjson_format(lj, &e));
		printf(
		    "logjson line (attempt event): %.0f ns/event, CPU time\n",
		    (now_s() - t0) / (double)n * 1e9);
	}
	free(times);
	free(walls);
	logjson_free(lj);
	stats_free(st);
	return 0;
}
