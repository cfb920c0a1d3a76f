/*
 * test_anomaly_model.c - the seasonal detector on generated series, and
 * the CSV reader of recorded ones.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "anomaly/anomaly_csv.h"
#include "anomaly/anomaly_model.h"

#define STEP_MS (5 * 60 * 1000LL)
#define DAY_STEPS 288
/* 2026-12-07T00:00:00Z, a Monday. */
#define T0 1796601600000LL

/* A small deterministic generator: uniform in [0, 1). */
static double
rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*s >> 11) / 9007199254740992.0;
}

/* Gaussian noise (Box-Muller). */
static double
gauss(uint64_t *s)
{
	double u = rnd(s) + 1e-12, v = rnd(s);

	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/*
 * A delivery-like signal at step i: a daily cycle (peak at 14:00 UTC),
 * weekdays twice as busy as weekends, with noise.
 */
static double
seasonal(long i, uint64_t *s)
{
	long day = i / DAY_STEPS;
	double hour = (double)(i % DAY_STEPS) / 12.0;
	double base = 100 + 60 * sin((hour - 8) / 24 * 2 * M_PI);
	int weekend = day % 7 >= 5;

	return base * (weekend ? 0.5 : 1.0) + gauss(s) * 4;
}

static void
params(struct anomaly_params *p)
{
	anomaly_params_default(p);
	p->warmup = 8 * DAY_STEPS; /* a week and a day */
	p->rel_floor = 0.02;
}

/* Run the series for `days`; count rising edges after warm-up. */
static int
run(struct anomaly_model *m, const struct anomaly_params *p, long from, long to,
    uint64_t *s, double (*inject)(long i, double x), long *first)
{
	struct anomaly_verdict v;
	int edges = 0;
	long i;

	for (i = from; i < to; i++) {
		double x = seasonal(i, s);

		if (inject != NULL)
			x = inject(i, x);
		anomaly_model_observe(m, p, T0 + i * STEP_MS, x, &v);
		if (v.changed && v.firing) {
			if (edges == 0 && first != NULL)
				*first = i;
			edges++;
		}
	}
	return edges;
}

static void
pure_seasonality_stays_quiet(void **state)
{
	static struct anomaly_model m;
	struct anomaly_params p;
	uint64_t s = 1;
	(void)state;

	params(&p);
	anomaly_model_init(&m);
	/* Five weeks: weekday peaks and weekend troughs are normal. */
	assert_int_equal(run(&m, &p, 0, 35 * DAY_STEPS, &s, NULL, NULL), 0);
}

static long spike_at;
static double
spike(long i, double x)
{
	return i >= spike_at && i < spike_at + 6 ? x + 120 : x;
}

static double
shift(long i, double x)
{
	return i >= spike_at ? x * 0.3 : x; /* volume drops to 30% */
}

static double
drift(long i, double x)
{
	/* +2% of the level an hour, from spike_at on */
	return i >= spike_at ? x * (1 + 0.02 * (double)(i - spike_at) / 12) : x;
}

static void
spike_fires_within_two_samples_and_clears(void **state)
{
	static struct anomaly_model m;
	struct anomaly_params p;
	struct anomaly_verdict v;
	uint64_t s = 2;
	long first = -1;
	(void)state;

	params(&p);
	anomaly_model_init(&m);
	/* Tuesday of the third week, 10:00 UTC. */
	spike_at = 15 * DAY_STEPS + 10 * 12;
	assert_int_equal(run(&m, &p, 0, spike_at + 30, &s, spike, &first), 1);
	assert_true(first >= spike_at && first <= spike_at + 1);
	assert_false(m.firing);
	/* The explanation's numbers: the usual for Tuesday 10:00. */
	anomaly_model_observe(&m, &p, T0 + spike_at * STEP_MS, 500, &v);
	assert_int_equal(v.basis, ANOMALY_BASIS_WEEK);
	assert_int_equal(v.weekday, 1);
	assert_int_equal(v.hour, 10);
	assert_true(fabs(v.expected - seasonal(spike_at, &s)) < 25);
	assert_true(v.over);
}

static void
level_shift_down_fires_at_once(void **state)
{
	static struct anomaly_model m;
	struct anomaly_params p;
	uint64_t s = 3;
	long first = -1;
	(void)state;

	params(&p);
	anomaly_model_init(&m);
	spike_at = 20 * DAY_STEPS + 14 * 12;
	assert_true(run(&m, &p, 0, spike_at + 24, &s, shift, &first) >= 1);
	assert_true(first >= spike_at && first <= spike_at + 2);
}

static void
direction_up_ignores_a_drop(void **state)
{
	static struct anomaly_model m;
	struct anomaly_params p;
	uint64_t s = 3;
	(void)state;

	params(&p);
	p.dir = ANOMALY_UP;
	anomaly_model_init(&m);
	spike_at = 20 * DAY_STEPS + 14 * 12;
	assert_int_equal(run(&m, &p, 0, spike_at + 24, &s, shift, NULL), 0);
}

static void
slow_drift_fires_within_a_day(void **state)
{
	static struct anomaly_model m;
	struct anomaly_params p;
	uint64_t s = 4;
	long first = -1;
	(void)state;

	params(&p);
	anomaly_model_init(&m);
	spike_at = 16 * DAY_STEPS;
	assert_true(
	    run(&m, &p, 0, spike_at + 2 * DAY_STEPS, &s, drift, &first) >= 1);
	assert_true(first > spike_at && first < spike_at + DAY_STEPS);
}

static void
nothing_fires_during_warmup(void **state)
{
	static struct anomaly_model m;
	struct anomaly_params p;
	uint64_t s = 5;
	(void)state;

	params(&p);
	anomaly_model_init(&m);
	spike_at = 3 * DAY_STEPS;
	assert_int_equal(run(&m, &p, 0, 4 * DAY_STEPS, &s, spike, NULL), 0);
}

static void
a_saved_model_goes_on_as_the_original(void **state)
{
	static struct anomaly_model m, copy;
	struct anomaly_params p;
	struct anomaly_verdict a, b;
	unsigned char bytes[sizeof(m)];
	uint64_t s = 6, s2;
	long i;
	(void)state;

	params(&p);
	anomaly_model_init(&m);
	run(&m, &p, 0, 10 * DAY_STEPS, &s, NULL, NULL);
	/* What anomaly.c writes to disk and reads back at start. */
	memcpy(bytes, &m, sizeof(m));
	memcpy(&copy, bytes, sizeof(copy));
	s2 = s;
	for (i = 10 * DAY_STEPS; i < 11 * DAY_STEPS; i++) {
		double x = seasonal(i, &s), y = seasonal(i, &s2);

		anomaly_model_observe(&m, &p, T0 + i * STEP_MS, x, &a);
		anomaly_model_observe(&copy, &p, T0 + i * STEP_MS, y, &b);
		assert_memory_equal(&a, &b, sizeof(a));
	}
	/* and it needs no new warm-up: a spike right away fires */
	spike_at = 11 * DAY_STEPS + 2;
	assert_int_equal(run(&copy, &p, 11 * DAY_STEPS, 11 * DAY_STEPS + 20, &s,
	                     spike, NULL),
	                 1);
}

static void
non_finite_samples_are_ignored(void **state)
{
	struct anomaly_model m;
	struct anomaly_params p;
	struct anomaly_verdict v;
	(void)state;

	anomaly_params_default(&p);
	anomaly_model_init(&m);
	anomaly_model_observe(&m, &p, T0, NAN, &v);
	anomaly_model_observe(&m, &p, T0, INFINITY, &v);
	assert_int_equal(m.n, 0);
	assert_int_equal(v.basis, ANOMALY_BASIS_NONE);
	anomaly_model_observe(&m, &p, T0, 1, &v);
	assert_int_equal(m.n, 1);
}

static void
weekday_and_hour_are_utc(void **state)
{
	struct anomaly_model m;
	struct anomaly_params p;
	struct anomaly_verdict v;
	(void)state;

	anomaly_params_default(&p);
	anomaly_model_init(&m);
	/* 2026-12-13T23:59:59Z is a Sunday, 23h. */
	anomaly_model_observe(&m, &p, T0 + 6 * 86400000LL + 86399000LL, 1, &v);
	assert_int_equal(v.weekday, 6);
	assert_int_equal(v.hour, 23);
	/* before the epoch: 1969-12-31T23:00Z was a Wednesday */
	anomaly_model_observe(&m, &p, -3600000LL, 1, &v);
	assert_int_equal(v.weekday, 2);
	assert_int_equal(v.hour, 23);
	assert_string_equal(anomaly_weekday_name(0), "Monday");
	assert_string_equal(anomaly_weekday_name(7), "?");
}

static void
csv_reads_nab_epoch_and_crlf(void **state)
{
	const char nab[] = "timestamp,value\n"
	                   "2014-02-14 14:30:00,0.132\n"
	                   "\n"
	                   "2014-02-14 14:35:00,  -2.5e1 \n";
	const char ep[] = "1700000000,1\r\n1700000060123,2\r\n";
	struct anomaly_sample *v;
	char err[128];
	size_t n;
	(void)state;

	assert_int_equal(
	    anomaly_csv_parse(nab, strlen(nab), &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].t_ms, 1392388200000LL);
	assert_true(v[1].value == -25.0);
	free(v);
	assert_int_equal(
	    anomaly_csv_parse(ep, strlen(ep), &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].t_ms, 1700000000000LL);
	assert_int_equal(v[1].t_ms, 1700000060123LL);
	free(v);
}

static void
csv_refuses_malformed_lines(void **state)
{
	static const char *const bad[] = {
	    "",
	    "timestamp,value\n",
	    "1700000000,1\nnot a line\n",
	    "1700000000,1\n1700000000,x\n",
	    "1700000000,1\n1700000000,nan\n",
	    "1700000000,1\n1700000000,1e999\n",
	    "1700000000,1\n2014-02-30 00:00:00,1\n",
	    "1700000000,1\n1234567890123456,1\n",
	};
	struct anomaly_sample *v;
	char err[128];
	size_t n, i;
	(void)state;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		v = (struct anomaly_sample *)1;
		n = 7;
		assert_int_equal(anomaly_csv_parse(bad[i], strlen(bad[i]), &v,
		                                   &n, err, sizeof(err)),
		                 -1);
		assert_null(v);
		assert_int_equal(n, 0);
		assert_true(err[0] != '\0');
	}
	assert_int_equal(
	    anomaly_csv_parse(bad[2], strlen(bad[2]), &v, &n, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "line 2"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(pure_seasonality_stays_quiet),
	    cmocka_unit_test(spike_fires_within_two_samples_and_clears),
	    cmocka_unit_test(level_shift_down_fires_at_once),
	    cmocka_unit_test(direction_up_ignores_a_drop),
	    cmocka_unit_test(slow_drift_fires_within_a_day),
	    cmocka_unit_test(nothing_fires_during_warmup),
	    cmocka_unit_test(a_saved_model_goes_on_as_the_original),
	    cmocka_unit_test(non_finite_samples_are_ignored),
	    cmocka_unit_test(weekday_and_hour_are_utc),
	    cmocka_unit_test(csv_reads_nab_epoch_and_crlf),
	    cmocka_unit_test(csv_refuses_malformed_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
