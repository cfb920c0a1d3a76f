/*
 * readiness_metrics.c - the readiness matrix as Prometheus families (see
 * readiness.h: readiness_metrics_render).
 */
#include <stdio.h>
#include <strings.h>

#include "observe/metrics.h"
#include "readiness/readiness.h"

void
readiness_metrics_render(struct readiness *r, struct metrics_writer *w,
                         int64_t since_ms, size_t cap)
{
	static const char *dom[READINESS_SEEN_MAX];
	static const enum readiness_verdict all[] = {
	    READINESS_V_READY, READINESS_V_NOT_VERIFIED,
	    READINESS_V_DNS_INCOMPLETE, READINESS_V_UNKNOWN};
	size_t per[4] = {0, 0, 0, 0}, n, d, i, shown = 0, dropped = 0;

	if (r == NULL)
		return;
	n = readiness_seen_since(readiness_seen_of(r), since_ms, dom,
	                         READINESS_SEEN_MAX);
	metrics_family(w, "swerve_readiness", "gauge",
	               "1 for each sender domain seen in the last 7 days x "
	               "provider, labelled with its failover readiness verdict "
	               "(at most readiness.max_metrics series).");
	for (d = 0; d < n; d++)
		for (i = 0; i < readiness_count(r); i++) {
			const struct readiness_entry *e = readiness_at(r, i);
			struct metrics_label l[3];

			if (e == NULL || strcasecmp(e->domain, dom[d]) != 0)
				continue;
			per[e->verdict < 4 ? e->verdict : 0]++;
			if (shown >= cap) {
				dropped++;
				continue;
			}
			l[0] = (struct metrics_label){"provider", e->provider};
			l[1] = (struct metrics_label){"domain", e->domain};
			l[2] = (struct metrics_label){
			    "verdict", readiness_verdict_name(e->verdict)};
			metrics_sample(w, l, 3, 1);
			shown++;
		}
	metrics_family(w, "swerve_readiness_pairs", "gauge",
	               "Sender domains seen in the last 7 days x providers, "
	               "by failover readiness verdict.");
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		struct metrics_label l = {"verdict",
		                          readiness_verdict_name(all[i])};

		metrics_sample(w, &l, 1, (double)per[all[i]]);
	}
	metrics_family(w, "swerve_readiness_series_dropped", "gauge",
	               "swerve_readiness series left out by "
	               "readiness.max_metrics.");
	metrics_sample(w, NULL, 0, (double)dropped);
}
