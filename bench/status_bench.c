/*
 * status_bench.c - what one status page request costs on the loop
 * thread: the model (COMPONENTS components with 90-day history,
 * INCIDENTS incidents spread over 90 days with UPDATES public updates
 * each, the newest open) built and finished, then each file of the page
 * (status/status_site.h) rendered. swerved builds the model afresh for
 * every request, so a request costs one build plus one render. Build and
 * run with bench/cbuild.sh (release flags):
 *
 *   bench/cbuild.sh status_bench [incidents] [seconds]  (50, 1 s each)
 *
 * Measured 2026-12-08 on the shared 2-core development VM (nice, other
 * builds running), 8 components, 10 updates per incident:
 *   50 incidents: model 366 us; index.html 655 us (202 KB),
 *     summary.json 87 us (7 KB), status.json 3 us, incidents.json
 *     2,530 us (218 KB: 50 incidents with components and updates),
 *     history.rss 415 us (129 KB), history.atom 456 us (133 KB);
 *   5 incidents: model 33 us, index.html 260 us (69 KB: the history
 *     bars), summary.json 83 us.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "status/status_model.h"
#include "status/status_site.h"

#define COMPONENTS 8
#define UPDATES 10
#define NOW 1893553445000LL
#define HOUR (3600LL * 1000)

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* bench_model - the synthetic page. */
static void
bench_model(struct status_model *m, int incidents)
{
	char id[64], text[256];
	int i, u;

	status_model_init(m, "Example Mail", "https://status.example.com/",
	                  NOW);
	for (i = 0; i < COMPONENTS; i++) {
		snprintf(id, sizeof(id), "stream-%d", i);
		snprintf(text, sizeof(text), "Component %d <mail>", i);
		status_model_component_add(m, id, text, "A description",
		                           STATUS_COMP_OPERATIONAL, NOW - 1000,
		                           0);
	}
	for (i = 0; i < incidents; i++) {
		int64_t at = NOW - (int64_t)i * (89 * 24 * HOUR) / incidents;
		struct status_incident *inc;
		snprintf(id, sizeof(id), "inc_%04d", i);
		snprintf(text, sizeof(text), "Delays on component %d & more",
		         i % COMPONENTS);
		inc = status_model_incident_add(
		    m, id, text,
		    i == 0 ? STATUS_PHASE_IDENTIFIED : STATUS_PHASE_RESOLVED,
		    (enum status_impact)(1 + i % 3), at);
		if (i > 0)
			inc->resolved_ms = at + 2 * HOUR;
		status_model_incident_comp(inc, (size_t)(i % COMPONENTS));
		for (u = 0; u < UPDATES; u++) {
			snprintf(id, sizeof(id), "inc_%04d-%d", i, u);
			snprintf(text, sizeof(text),
			         "Update %d: mail to <some> providers is "
			         "delayed; we \"moved\" it elsewhere.",
			         u);
			status_model_update_add(inc, id, at + u * 60000,
			                        STATUS_PHASE_INVESTIGATING,
			                        text);
		}
	}
	status_model_finish(m);
}

int
main(int argc, char **argv)
{
	int incidents = argc > 1 ? atoi(argv[1]) : 50;
	double secs = argc > 2 ? atof(argv[2]) : 1.0;
	const struct status_site_file *fs;
	struct status_model m;
	size_t n, i, len = 0;
	double t0, t;
	long k;

	t0 = bench_now();
	for (k = 0; (t = bench_now()) - t0 < secs; k++) {
		bench_model(&m, incidents);
		status_model_fini(&m);
	}
	printf("status_bench: %d components, %d incidents x %d updates\n",
	       COMPONENTS, incidents, UPDATES);
	printf("  %-44s %8.1f us\n", "model build + finish",
	       1e6 * (t - t0) / (double)k);
	bench_model(&m, incidents);
	fs = status_site_files(&n);
	for (i = 0; i < n; i++) {
		t0 = bench_now();
		for (k = 0; (t = bench_now()) - t0 < secs; k++)
			free(status_site_render(&m, &fs[i], &len));
		printf("  %-44s %8.1f us %9zu bytes\n", fs[i].path,
		       1e6 * (t - t0) / (double)k, len);
	}
	status_model_fini(&m);
	return 0;
}
