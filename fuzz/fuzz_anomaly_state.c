/*
 * fuzz_anomaly_state.c - anomaly_state_decode on arbitrary bytes: it
 * gives records with NUL-terminated keys of 1..ANOMALY_KEY_MAX bytes and
 * sane numbers, then succeeds or fails with a reason; a model it gives
 * can be observed without harm.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly/anomaly_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_one(const char *key, const struct anomaly_model *m, void *arg)
{
	struct anomaly_model copy = *m;
	struct anomaly_params p;
	struct anomaly_verdict v;
	size_t n = strlen(key);

	(void)arg;
	if (n == 0 || n > ANOMALY_KEY_MAX || !isfinite(m->all.m))
		abort();
	anomaly_params_default(&p);
	anomaly_model_observe(&copy, &p, 1796601600000LL, 1.0, &v);
	if (v.weekday != 0 || v.hour != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[160];

	err[0] = '\0';
	if (anomaly_state_decode((const char *)data, size, fuzz_one, NULL, err,
	                         sizeof(err)) != 0 &&
	    err[0] == '\0')
		abort();
	return 0;
}
