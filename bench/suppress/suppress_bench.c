/*
 * suppress_bench.c - what the suppression list costs the submission path
 * with 1,000,000 entries (issue 14: < 5% submission throughput
 * difference, lookup p99 < 50 us).
 *
 * 1. A spool-format database with N entries (default 1,000,000, over
 *    1,000 tenants) is written, then loaded the way swerved loads it at
 *    start (suppress_local_load): the load time and the set's size.
 * 2. Lookup latency: 1,000,000 suppress_check() calls through the
 *    backend interface, half on listed addresses (one local part's case
 *    changed), half on others, each timed with CLOCK_MONOTONIC: p50,
 *    p99, p99.9, max.
 * 3. Submission throughput: the native API's pipeline
 *    (api_json_msg_decode + submit_msg_prepare + spool_msg_new_fini, one
 *    recipient, each message another address not on the list) in
 *    short rounds alternating no list and the 1,000,000-entry list,
 *    ROUNDS of each; the medians, the best rounds and the difference. The
 *    spool's commit (an fsync per batch) is left out, which makes the
 *    difference look as large as it can be.
 *
 *   suppress_bench [entries] [seconds per throughput round]
 *
 * Build and run: bench/suppress/run.sh (release flags).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "config/config.h"
#include "ingress/api_json.h"
#include "ingress/submit.h"
#include "spool/spool.h"
#include "spool/suppress.h"
#include "spool/suppress_local.h"

#define ROUNDS 15

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/* db_fill - a database at path with n entries over 1000 tenants. */
static void
db_fill(const char *path, size_t n)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char tenant[32], akey[64], addr[64];
	size_t i;

	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, suppress_local_schema, NULL, NULL, NULL) !=
	        SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL; BEGIN", NULL, NULL,
	                 NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "INSERT INTO suppressions VALUES (?, ?, ?,"
	                       " 'hard_bounce', 'ses', 1765000000000, NULL,"
	                       " '550 5.1.1 user unknown')",
	                       -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "db: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	for (i = 0; i < n; i++) {
		snprintf(tenant, sizeof(tenant), "tenant%zu", i % 1000);
		snprintf(addr, sizeof(addr), "User%zu@example%zu.com", i,
		         i % 5000);
		snprintf(akey, sizeof(akey), "user%zu@example%zu.com", i,
		         i % 5000);
		sqlite3_bind_text(st, 1, tenant, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, akey, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, addr, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE) {
			fprintf(stderr, "db: %s\n", sqlite3_errmsg(db));
			exit(1);
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);
}

/* rss_mb - the process's resident set, MiB (Linux). */
static double
rss_mb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, rss = 0;

	if (f != NULL) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return (double)rss * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* bench_lookups - n timed checks, half hits; prints the percentiles. */
static double lookup_ns[2]; /* untimed loop: misses, hits */

/* addr_make - the i-th probe: a listed address (case changed) when hit,
 * else one that is not listed; its tenant into tenant. */
static void
addr_make(size_t k, bool hit, char *tenant, size_t tn, char *addr, size_t an)
{
	snprintf(tenant, tn, "tenant%zu", k % 1000);
	snprintf(addr, an, "%s%zu@Example%zu.com", hit ? "USER" : "other", k,
	         k % 5000);
}

/* bench_lookups - n timed checks, half hits; prints the percentiles,
 * then the same checks untimed, misses and hits apart. */
static void
bench_lookups(struct suppress *s, size_t entries, size_t n)
{
	uint64_t *lat = calloc(n, sizeof(*lat)), t0;
	char(*tenants)[16] = calloc(n, 16), (*addrs)[48] = calloc(n, 48);
	size_t i, hits = 0, h;
	unsigned seed = 42;

	for (i = 0; i < n; i++)
		addr_make((size_t)rand_r(&seed) % entries, i % 2 == 0,
		          tenants[i], 16, addrs[i], 48);
	for (i = 0; i < n; i++) {
		t0 = now_ns();
		hits += suppress_check(s, tenants[i], addrs[i], 1, NULL);
		lat[i] = now_ns() - t0;
	}
	qsort(lat, n, sizeof(*lat), cmp_u64);
	for (h = 0; h < 2; h++) {
		t0 = now_ns();
		for (i = h == 0 ? 1 : 0; i < n; i += 2)
			(void)suppress_check(s, tenants[i], addrs[i], 1, NULL);
		lookup_ns[h] = (double)(now_ns() - t0) / (double)(n / 2);
	}
	printf("lookups untimed, one after another over random entries: "
	       "miss %.0f ns, hit %.0f ns\n",
	       lookup_ns[0], lookup_ns[1]);
	printf("lookups: %zu (%zu hits), p50 %.2f us, p99 %.2f us, "
	       "p99.9 %.2f us, max %.2f us\n",
	       n, hits, (double)lat[n / 2] / 1e3,
	       (double)lat[n * 99 / 100] / 1e3,
	       (double)lat[n * 999 / 1000] / 1e3, (double)lat[n - 1] / 1e3);
	free(lat);
	free(tenants);
	free(addrs);
}

/* bench_submit - messages per second through the pipeline for secs,
 * each to another address that is not listed (a cold lookup, as for
 * real traffic). */
static double
bench_submit(const struct config *cfg, const struct submit_who *w, double secs)
{
	static unsigned long seq;
	struct api_msg msg;
	struct spool_msg_new m;
	struct api_error e;
	double t0 = now_s(), t;
	uint64_t n = 0;
	char req[256];
	int len;

	do {
		for (int i = 0; i < 200; i++) {
			len =
			    snprintf(req, sizeof(req),
			             "{\"from\":\"s@example.com\",\"to\":"
			             "\"other%lu@example%lu.com\",\"subject\":"
			             "\"hello\",\"text\":\"hi there\\n\"}",
			             seq % 1000000, seq % 5000);
			seq++;
			if (api_json_msg_decode(req, (size_t)len, &msg, &e) !=
			        0 ||
			    submit_msg_prepare(cfg, w, &msg, &m, &e) != 0) {
				fprintf(stderr, "submit: %s\n", e.message);
				exit(1);
			}
			spool_msg_new_fini(&m);
			api_msg_fini(&msg);
			n++;
		}
		t = now_s();
	} while (t - t0 < secs);
	return (double)n / (t - t0);
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	size_t entries = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	double secs = argc > 2 ? atof(argv[2]) : 0.5;
	char path[] = "/tmp/suppress_bench.XXXXXX", db[64], err[256];
	struct config *cfg = config_defaults();
	char *doms[] = {"*"};
	struct config_api_key key = {.name = "bench",
	                             .tenant = "tenant7",
	                             .from_domains = doms,
	                             .n_from_domains = 1};
	struct submit_who w = {SUBMIT_INGRESS_HTTP, NULL, &key, "127.0.0.1:1"};
	struct suppress *s;
	double t0, off[ROUNDS], on[ROUNDS];
	int i;

	if (mkdtemp(path) == NULL)
		return 1;
	snprintf(db, sizeof(db), "%s/spool.db", path);
	t0 = now_s();
	db_fill(db, entries);
	printf("entries: %zu written in %.2f s\n", entries, now_s() - t0);
	s = suppress_local_new(NULL, false);
	double rss0 = rss_mb();
	t0 = now_s();
	if (suppress_local_load(s, db, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("load at start: %zu entries in %.2f s, %.0f MiB resident\n",
	       s->be->count(s->impl), now_s() - t0, rss_mb() - rss0);
	bench_lookups(s, entries, 1000000);
	/* Short rounds, alternated, so that load from other processes
	 * falls on both sides alike; the medians and the best rounds. */
	for (i = 0; i < ROUNDS; i++) {
		suppress_install(NULL);
		off[i] = bench_submit(cfg, &w, secs);
		suppress_install(s);
		on[i] = bench_submit(cfg, &w, secs);
	}
	qsort(off, ROUNDS, sizeof(double), cmp_dbl);
	qsort(on, ROUNDS, sizeof(double), cmp_dbl);
	printf("submit (%d rounds of %.1f s each way): no list median %.0f "
	       "best %.0f msg/s; %zu entries median %.0f best %.0f msg/s; "
	       "difference median %+.2f%%, best %+.2f%%\n",
	       ROUNDS, secs, off[ROUNDS / 2], off[ROUNDS - 1], entries,
	       on[ROUNDS / 2], on[ROUNDS - 1],
	       (on[ROUNDS / 2] - off[ROUNDS / 2]) / off[ROUNDS / 2] * 100.0,
	       (on[ROUNDS - 1] - off[ROUNDS - 1]) / off[ROUNDS - 1] * 100.0);
	printf("one missed lookup is %.2f%% of the pipeline's %.2f us per "
	       "message (best round without a list)\n",
	       lookup_ns[0] / 1e3 * 100.0 * off[ROUNDS - 1] / 1e6,
	       1e6 / off[ROUNDS - 1]);
	suppress_install(NULL);
	suppress_free(s);
	config_free(cfg);
	unlink(db);
	snprintf(err, sizeof(err), "%s-wal", db);
	unlink(err);
	snprintf(err, sizeof(err), "%s-shm", db);
	unlink(err);
	rmdir(path);
	return 0;
}
