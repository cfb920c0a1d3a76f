/*
 * test_anomaly_state.c - the detector's learning file: what is written
 * reads back the same; anything else is refused with a reason.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "anomaly/anomaly_state.h"
#include "core/buf.h"

struct got {
	int n;
	char keys[4][ANOMALY_KEY_MAX + 1];
	struct anomaly_model m[4];
};

static void
collect(const char *key, const struct anomaly_model *m, void *arg)
{
	struct got *g = arg;

	if (g->n < 4) {
		snprintf(g->keys[g->n], sizeof(g->keys[g->n]), "%s", key);
		g->m[g->n] = *m;
	}
	g->n++;
}

static void
fill(struct anomaly_model *m, double x)
{
	struct anomaly_params p;
	struct anomaly_verdict v;
	int i;

	anomaly_params_default(&p);
	anomaly_model_init(m);
	for (i = 0; i < 500; i++)
		anomaly_model_observe(m, &p, 1796601600000LL + i * 300000LL,
		                      x + i % 5, &v);
}

static void
records_read_back_the_same(void **state)
{
	static struct anomaly_model a, b;
	static struct got g;
	struct buf out;
	char err[160];
	(void)state;

	fill(&a, 10);
	fill(&b, 99);
	buf_init(&out);
	anomaly_state_header(&out);
	anomaly_state_record(&out, "latency|ses||", &a);
	anomaly_state_record(&out, "deferral_ratio|sg||gmail.com", &b);
	anomaly_state_record(&out, "", &b); /* refused: not written */
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    anomaly_state_decode(out.p, out.len, collect, &g, err, sizeof(err)),
	    0);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.keys[0], "latency|ses||");
	assert_string_equal(g.keys[1], "deferral_ratio|sg||gmail.com");
	assert_memory_equal(&g.m[0], &a, sizeof(a));
	assert_memory_equal(&g.m[1], &b, sizeof(b));
	buf_fini(&out);
}

static void
malformed_files_are_refused_with_a_reason(void **state)
{
	static struct anomaly_model a;
	static struct got g;
	struct buf out;
	char err[160];
	size_t full;
	(void)state;

	fill(&a, 10);
	buf_init(&out);
	anomaly_state_header(&out);
	anomaly_state_record(&out, "latency|ses||", &a);
	full = out.len;
	/* another version or model size */
	memset(&g, 0, sizeof(g));
	assert_int_equal(anomaly_state_decode("swerve-anomaly 2 4664\n", 22,
	                                      collect, &g, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "not this version"));
	assert_int_equal(
	    anomaly_state_decode("", 0, collect, &g, err, sizeof(err)), -1);
	/* a record cut anywhere */
	for (size_t cut = full - 1; cut > full - 40; cut--) {
		err[0] = '\0';
		memset(&g, 0, sizeof(g));
		assert_int_equal(anomaly_state_decode(out.p, cut, collect, &g,
		                                      err, sizeof(err)),
		                 -1);
		assert_int_equal(g.n, 0);
		assert_true(err[0] != '\0');
	}
	/* a NaN in a model */
	{
		size_t at =
		    full - sizeof(a) + offsetof(struct anomaly_model, all);
		double nan = NAN;
		memcpy(out.p + at, &nan, sizeof(nan));
		memset(&g, 0, sizeof(g));
		assert_int_equal(anomaly_state_decode(out.p, full, collect, &g,
		                                      err, sizeof(err)),
		                 -1);
		assert_int_equal(g.n, 0);
	}
	buf_fini(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(records_read_back_the_same),
	    cmocka_unit_test(malformed_files_are_refused_with_a_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
