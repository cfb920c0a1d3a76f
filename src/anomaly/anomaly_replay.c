/*
 * anomaly_replay.c - a recorded series through the detector, offline.
 */
#include "anomaly/anomaly_replay.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly/anomaly_csv.h"
#include "anomaly/anomaly_model.h"
#include "core/buf.h"
#include "core/clock.h"

/* replay_num - argv value as a finite double in [lo, hi]; 0 or -1. */
static int
replay_num(const char *s, double lo, double hi, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return end != s && *end == '\0' && errno == 0 && isfinite(*out) &&
	               *out >= lo && *out <= hi
	           ? 0
	           : -1;
}

/* replay_read - the whole file into b; 0 or -1 (errno). */
static int
replay_read(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (f == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(b, chunk, n);
	n = (size_t)ferror(f);
	fclose(f);
	return n ? -1 : 0;
}

/* replay_print - one change of state. */
static void
replay_print(FILE *out, bool json, const struct anomaly_sample *s,
             const struct anomaly_verdict *v)
{
	char t[40];

	clock_wall_text(s->t_ms, t, sizeof(t));
	if (json) {
		fprintf(out,
		        "{\"t\":\"%s\",\"event\":\"%s\",\"value\":%.17g,"
		        "\"expected\":%.17g,\"scale\":%.17g,\"z\":%.4f,"
		        "\"basis\":\"%s\"}\n",
		        t, v->firing ? "firing" : "resolved", v->value,
		        v->expected, v->scale, v->z,
		        anomaly_basis_name(v->basis));
		return;
	}
	fprintf(out,
	        "%s  %-8s  value %g, usual for %s %02d:00 %g +- %g (z %.1f)\n",
	        t, v->firing ? "FIRING" : "resolved", v->value,
	        anomaly_weekday_name(v->weekday), v->hour, v->expected,
	        v->scale, v->z);
}

int
anomaly_replay_main(int argc, char **argv, FILE *out, FILE *err)
{
	static struct anomaly_model m;
	struct anomaly_params p;
	struct anomaly_sample *v = NULL;
	struct anomaly_verdict verdict;
	const char *path = NULL, *warm = "15%";
	struct buf file;
	char why[160];
	bool json = false;
	size_t n = 0, i, fired = 0;
	double d;
	int a;

	anomaly_params_default(&p);
	for (a = 1; a < argc; a++) {
		const char *o = argv[a],
		           *val = a + 1 < argc ? argv[a + 1] : NULL;

		if (strcmp(o, "--json") == 0) {
			json = true;
			continue;
		}
		if (o[0] != '-' && path == NULL) {
			path = o;
			continue;
		}
		if (val == NULL)
			goto usage;
		a++;
		if (strcmp(o, "--dir") == 0) {
			if (strcmp(val, "up") == 0)
				p.dir = ANOMALY_UP;
			else if (strcmp(val, "down") == 0)
				p.dir = ANOMALY_DOWN;
			else if (strcmp(val, "both") == 0)
				p.dir = ANOMALY_BOTH;
			else
				goto usage;
		} else if (strcmp(o, "--threshold") == 0 &&
		           replay_num(val, 0.1, 1000, &p.threshold) == 0) {
		} else if (strcmp(o, "--alpha") == 0 &&
		           replay_num(val, 1e-6, 1, &p.alpha) == 0) {
		} else if (strcmp(o, "--floor") == 0 &&
		           replay_num(val, 0, 1e300, &p.abs_floor) == 0) {
		} else if (strcmp(o, "--all-floor") == 0 &&
		           replay_num(val, 0, 100, &p.all_floor) == 0) {
		} else if (strcmp(o, "--rel-floor") == 0 &&
		           replay_num(val, 0, 100, &p.rel_floor) == 0) {
		} else if (strcmp(o, "--need") == 0 &&
		           replay_num(val, 1, 32, &d) == 0) {
			p.need = (unsigned)d;
		} else if (strcmp(o, "--clear") == 0 &&
		           replay_num(val, 1, 100000, &d) == 0) {
			p.clear = (unsigned)d;
		} else if (strcmp(o, "--of") == 0 &&
		           replay_num(val, 1, 32, &d) == 0) {
			p.of = (unsigned)d;
		} else if (strcmp(o, "--warmup") == 0) {
			warm = val;
		} else {
			goto usage;
		}
	}
	if (path == NULL || p.need > p.of)
		goto usage;
	buf_init(&file);
	if (replay_read(path, &file) != 0) {
		fprintf(err, "swervectl: %s: %s\n", path, strerror(errno));
		buf_fini(&file);
		return 2;
	}
	if (anomaly_csv_parse(file.p ? file.p : "", file.len, &v, &n, why,
	                      sizeof(why)) != 0) {
		fprintf(err, "swervectl: %s: %s\n", path, why);
		buf_fini(&file);
		return 2;
	}
	buf_fini(&file);
	{
		size_t wl = strlen(warm);
		bool pct = wl > 0 && warm[wl - 1] == '%';
		char num[32];

		if (wl == 0 || wl >= sizeof(num))
			goto usage_free;
		memcpy(num, warm, wl - (pct ? 1 : 0));
		num[wl - (pct ? 1 : 0)] = '\0';
		if (replay_num(num, 0, pct ? 100 : 4e9, &d) != 0)
			goto usage_free;
		p.warmup = (uint32_t)(pct ? d / 100 * (double)n : d);
	}
	anomaly_model_init(&m);
	for (i = 0; i < n; i++) {
		anomaly_model_observe(&m, &p, v[i].t_ms, v[i].value, &verdict);
		if (!verdict.changed)
			continue;
		if (verdict.firing)
			fired++;
		replay_print(out, json, &v[i], &verdict);
	}
	if (json)
		fprintf(out, "{\"samples\":%zu,\"anomalies\":%zu}\n", n, fired);
	else
		fprintf(out, "%zu samples, %zu anomalies\n", n, fired);
	free(v);
	return 0;
usage_free:
	free(v);
usage:
	fprintf(err, "usage: swervectl anomaly replay FILE.csv [--dir "
	             "up|down|both] [--threshold Z]\n"
	             "       [--warmup N|P%%] [--need N --of M] [--alpha A] "
	             "[--floor ABS] [--rel-floor R] [--json]\n");
	return 2;
}
