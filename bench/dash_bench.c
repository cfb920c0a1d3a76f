/*
 * dash_bench.c - what the dashboard's charts cost when the ring is full:
 * an hour of 10 s samples (DASH_RING_SLOTS) for PROVIDERS providers and
 * 3 streams, drawn as the page draws them (accepted and failed per
 * provider, queue and latency per stream: four SVG charts), plus the
 * providers' table. This is the part of a /dashboard or /dashboard/live
 * answer that grows with time and providers; it runs on the loop thread.
 * bench/dashboard/page.py measures whole requests through swerved, but
 * cannot wait an hour for a full ring. Build and run with
 * bench/dash_bench.sh (release flags).
 *
 *   dash_bench [providers] [seconds]     (default 8 providers, 2 s)
 *
 * Measured 2026-12-08 on the 2-core development VM (shared with other
 * builds, nice): 8 providers 1,360 us per render, 105,402 bytes; 2
 * providers 325 us, 47,487 bytes. Before the polylines' coordinates were
 * written without printf: 12,400 us and 7,000 us for the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "dash/dash_chart.h"
#include "dash/dash_page.h"
#include "dash/dash_ring.h"

#define STREAMS 3

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* bench_chart - one chart of ns series, value k of sample i by pick. */
static void
bench_chart(struct buf *out, const struct dash_ring *r, size_t ns, int which,
            const char *const *names)
{
	size_t n = dash_ring_len(r), i, k;
	struct dash_series s[8];
	double *v = calloc(ns * n + 1, sizeof(*v));
	struct dash_sample sm;

	if (ns > 8)
		ns = 8;
	for (i = 0; i < n; i++) {
		dash_ring_at(r, i, &sm);
		for (k = 0; k < ns; k++)
			v[k * n + i] =
			    which == 0   ? (double)sm.ok[k]
			    : which == 1 ? (double)sm.failed[k]
			    : which == 2
			        ? (double)sm.queued[k]
			        : (double)sm.lat_ms[k] /
			              (double)(sm.sent[k] ? sm.sent[k] : 1);
	}
	for (k = 0; k < ns; k++) {
		s[k].name = names[k];
		s[k].v = v + k * n;
	}
	dash_chart_svg(out, "c", "Chart", "per 10 s", s, ns, n, DASH_RING_SLOTS,
	               "60 min");
	free(v);
}

int
main(int argc, char **argv)
{
	size_t np = argc > 1 ? (size_t)atoi(argv[1]) : 8, i, k, iters = 0;
	double secs = argc > 2 ? atof(argv[2]) : 2.0, t0, t;
	static const char *const pn[] = {"ses",      "sendgrid", "mailgun",
	                                 "postmark", "resend",   "relay1",
	                                 "relay2",   "relay3"};
	static const char *const sn[] = {"critical", "transactional", "bulk"};
	struct dash_view_provider vp[8];
	struct dash_ring *r;
	size_t bytes = 0;

	if (np < 1 || np > 8)
		np = 8;
	r = dash_ring_new(np, STREAMS);
	srand(1);
	for (i = 0; i < DASH_RING_SLOTS; i++) {
		uint64_t q[STREAMS];
		for (k = 0; k < np; k++) {
			int n = rand() % 200, f = rand() % 5;
			while (n-- > 0)
				dash_ring_attempt(r, k, 1, 80);
			while (f-- > 0)
				dash_ring_attempt(r, k, 0, 3000);
		}
		for (k = 0; k < STREAMS; k++) {
			dash_ring_sent(r, k, (uint64_t)(rand() % 5000));
			q[k] = (uint64_t)(rand() % 1000);
		}
		dash_ring_tick(r, (int64_t)i * 10000, q);
	}
	memset(vp, 0, sizeof(vp));
	for (k = 0; k < np; k++) {
		vp[k].name = pn[k];
		vp[k].type = "smtp";
		vp[k].mode = "closed";
		vp[k].reason = "";
		vp[k].share = 1.0 / (double)np;
		vp[k].success = 0.99;
	}
	t0 = bench_now();
	do {
		struct buf out;
		buf_init(&out);
		dash_page_providers(&out, vp, np, "0123456789abcdef");
		for (k = 0; k < 4; k++)
			bench_chart(&out, r, k < 2 ? np : STREAMS, (int)k,
			            k < 2 ? pn : sn);
		bytes = out.len;
		buf_fini(&out);
		iters++;
		t = bench_now() - t0;
	} while (t < secs);
	printf("dashboard charts + providers table, full ring (%d samples), "
	       "%zu providers, %d streams: %.0f us per render, %zu bytes, "
	       "%zu renders in %.1f s\n",
	       DASH_RING_SLOTS, np, STREAMS, 1e6 * t / (double)iters, bytes,
	       iters, t);
	dash_ring_free(r);
	return 0;
}
