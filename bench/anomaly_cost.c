/*
 * anomaly_cost.c - what the anomaly detector costs the daemon: CPU per
 * event, per interval's tick, and memory, for a large deployment.
 *
 * The shape of issue 18's benchmark: 20 providers, 10 streams, 50
 * recipient domains per provider, every signal (5 per provider, 2 per
 * provider and domain, 1 per stream: 2,110 signals). One simulated day
 * of traffic at RATE messages a second (default 200: 17 million a day),
 * each message an accepted event and an attempt (1 in 50 deferred), with
 * a tick every 5 simulated minutes. The CPU time of it all (the
 * process's, the simulation loop's own work is a few instructions an
 * event) is divided by the simulated day: the share of one core the
 * detector would take at that rate. Memory is the detector's RSS growth.
 * Build and run with bench/anomaly_cost.sh (release flags).
 *
 *   anomaly_cost [RATE]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "anomaly/anomaly.h"
#include "config/config.h"
#include "observe/events.h"

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

int
main(int argc, char **argv)
{
	long rate = argc > 1 ? strtol(argv[1], NULL, 10) : 200;
	struct config *cfg = config_defaults();
	char prov[20][16], stream[10][16], dom[50][24], path[64];
	const int64_t day_s = 86400, step_s = 300;
	int64_t t0 = 1796601600000LL, s;
	uint64_t events = 0, ticks = 0;
	double c0, c_events = 0, c_ticks = 0, c;
	long rss0, rss1;
	struct anomaly *an;
	json_t *j;
	unsigned seed = 1;
	int i;

	if (rate < 1)
		rate = 1;
	for (i = 0; i < 20; i++)
		snprintf(prov[i], sizeof(prov[i]), "provider%02d", i);
	for (i = 0; i < 10; i++)
		snprintf(stream[i], sizeof(stream[i]), "stream%02d", i);
	for (i = 0; i < 50; i++)
		snprintf(dom[i], sizeof(dom[i]), "domain%02d.example", i);
	snprintf(path, sizeof(path), "/tmp/anomaly-cost.%d", (int)getpid());
	rss0 = rss_kb();
	an = anomaly_new(NULL, cfg, path);
	for (s = 0; s < day_s; s += step_s) {
		long k, n = rate * step_s;

		c0 = cpu_s();
		for (k = 0; k < n; k++) {
			struct events_item a = {.kind = EVENT_ACCEPTED};
			struct events_item e = {.kind = EVENT_ATTEMPT};
			int p, d;

			seed = seed * 1103515245u + 12345u;
			p = (int)((seed >> 8) % 20);
			d = (int)((seed >> 16) % 50);
			a.at_ms = e.at_ms = t0 + s * 1000;
			a.stream = e.stream = stream[(seed >> 4) % 10];
			e.provider = prov[p];
			e.rcpt_domain = dom[d];
			e.cls = (seed >> 24) % 50 == 0 ? SEND_DEFERRED
			                               : SEND_ACCEPTED;
			e.text = e.cls == SEND_DEFERRED ? "421 4.7.0 try later"
			                                : "250 ok";
			e.duration_ms = 40 + (seed >> 20) % 40;
			e.rcpts = 1;
			events_emit(&a);
			events_emit(&e);
			events += 2;
		}
		c = cpu_s();
		c_events += c - c0;
		anomaly_tick(an, t0 + (s + step_s) * 1000);
		c_ticks += cpu_s() - c;
		ticks++;
	}
	rss1 = rss_kb();
	j = anomaly_json(an);
	printf("rate %ld msg/s, one simulated day: %llu events, %llu ticks, "
	       "%lld signals\n",
	       rate, (unsigned long long)events, (unsigned long long)ticks,
	       (long long)json_integer_value(json_object_get(j, "signals")));
	printf("per event: %.0f ns; per tick (all signals): %.2f ms\n",
	       c_events / (double)events * 1e9, c_ticks / (double)ticks * 1e3);
	printf("share of one core at %ld msg/s: %.3f%% (events %.3f%%, "
	       "ticks %.4f%%)\n",
	       rate, (c_events + c_ticks) / (double)day_s * 100,
	       c_events / (double)day_s * 100, c_ticks / (double)day_s * 100);
	printf("memory: RSS +%.1f MiB\n", (double)(rss1 - rss0) / 1024.0);
	json_decref(j);
	anomaly_free(an);
	unlink(path);
	config_free(cfg);
	return 0;
}
