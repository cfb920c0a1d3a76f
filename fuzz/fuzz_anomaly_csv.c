/*
 * fuzz_anomaly_csv.c - anomaly_csv_parse on arbitrary bytes: it either
 * fails with a reason and nothing returned, or returns samples in file
 * order with finite values; each sample replayed through a model never
 * crashes and leaves its state consistent.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "anomaly/anomaly_csv.h"
#include "anomaly/anomaly_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct anomaly_sample *v = NULL;
	struct anomaly_params p;
	struct anomaly_verdict verdict;
	static struct anomaly_model m;
	char err[128];
	size_t n = 0, i;

	err[0] = '\0';
	if (anomaly_csv_parse((const char *)data, size, &v, &n, err,
	                      sizeof(err)) != 0) {
		if (v != NULL || n != 0 || err[0] == '\0')
			abort();
		return 0;
	}
	anomaly_params_default(&p);
	anomaly_model_init(&m);
	for (i = 0; i < n; i++) {
		if (!isfinite(v[i].value))
			abort();
		anomaly_model_observe(&m, &p, v[i].t_ms, v[i].value, &verdict);
		if (verdict.firing != m.firing || verdict.weekday < 0 ||
		    verdict.weekday > 6 || verdict.hour < 0 ||
		    verdict.hour > 23)
			abort();
	}
	free(v);
	return 0;
}
