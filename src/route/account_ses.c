/*
 * account_ses.c - SES reputation from CloudWatch GetMetricData
 * (route/account_parse.h). JSON protocol: the request is POSTed to the
 * monitoring endpoint with X-Amz-Target GraniteServiceVersion20100801.
 * GetMetricData; times are epoch seconds both ways.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "route/account_parse.h"

#define ACCOUNT_SES_WINDOW_S 86400
#define ACCOUNT_SES_PERIOD_S 3600

/* ses_query - one MetricDataQuery for metric, under id. */
static json_t *
ses_query(const char *id, const char *metric)
{
	return json_pack("{s:s,s:{s:{s:s,s:s},s:i,s:s},s:b}", "Id", id,
	                 "MetricStat", "Metric", "Namespace", "AWS/SES",
	                 "MetricName", metric, "Period", ACCOUNT_SES_PERIOD_S,
	                 "Stat", "Average", "ReturnData", 1);
}

void
account_ses_metrics_body(struct buf *out, time_t now)
{
	json_t *q = json_array(), *root;
	char *text;

	json_array_append_new(
	    q, ses_query(ACCOUNT_SES_ID_BOUNCE, "Reputation.BounceRate"));
	json_array_append_new(
	    q, ses_query(ACCOUNT_SES_ID_COMPLAINT, "Reputation.ComplaintRate"));
	root =
	    json_pack("{s:o,s:I,s:I,s:s}", "MetricDataQueries", q, "StartTime",
	              (json_int_t)(now - ACCOUNT_SES_WINDOW_S), "EndTime",
	              (json_int_t)now, "ScanBy", "TimestampDescending");
	text = json_dumps(root, JSON_COMPACT);
	buf_add(out, text, strlen(text));
	free(text);
	json_decref(root);
}

/* ses_newest - the value of result r with the newest timestamp into
 * *val; 0 (none: *val < 0), or -1 with err. */
static int
ses_newest(json_t *r, double *val, char *err, size_t errlen)
{
	json_t *vals = json_object_get(r, "Values");
	json_t *ts = json_object_get(r, "Timestamps");
	double best_t = -INFINITY;
	size_t i, n;

	*val = -1;
	if (vals == NULL)
		return 0;
	if (!json_is_array(vals) || (ts != NULL && !json_is_array(ts))) {
		snprintf(err, errlen, "Values or Timestamps is not an array");
		return -1;
	}
	n = json_array_size(vals);
	if (ts != NULL && json_array_size(ts) != n) {
		snprintf(err, errlen, "Values and Timestamps differ in length");
		return -1;
	}
	for (i = 0; i < n; i++) {
		json_t *v = json_array_get(vals, i);
		double x, t = -(double)i; /* no timestamps: first is newest */

		if (!json_is_number(v)) {
			snprintf(err, errlen, "a value is not a number");
			return -1;
		}
		x = json_number_value(v);
		if (!isfinite(x) || x < 0 || x > 1) {
			snprintf(err, errlen, "a rate outside 0..1: %g", x);
			return -1;
		}
		if (ts != NULL) {
			json_t *tv = json_array_get(ts, i);
			if (!json_is_number(tv)) {
				snprintf(err, errlen,
				         "a timestamp is not a number");
				return -1;
			}
			t = json_number_value(tv);
		}
		if (t > best_t) {
			best_t = t;
			*val = x;
		}
	}
	return 0;
}

int
account_ses_metrics_parse(const char *body, size_t len,
                          struct account_reading *out, char *err, size_t errlen)
{
	json_t *root = json_loadb(body, len, 0, NULL), *res, *r;
	size_t i;
	int rc = -1;

	account_reading_init(out);
	if (!json_is_object(root)) {
		snprintf(err, errlen, "not a JSON object");
		goto done;
	}
	res = json_object_get(root, "MetricDataResults");
	if (!json_is_array(res)) {
		snprintf(err, errlen, "no MetricDataResults array");
		goto done;
	}
	json_array_foreach(res, i, r)
	{
		const char *id = json_string_value(json_object_get(r, "Id"));
		double v;

		if (!json_is_object(r) || id == NULL) {
			snprintf(err, errlen, "a result without an Id");
			goto fail;
		}
		if (ses_newest(r, &v, err, errlen) != 0)
			goto fail;
		if (strcmp(id, ACCOUNT_SES_ID_BOUNCE) == 0)
			out->bounce_rate = v;
		else if (strcmp(id, ACCOUNT_SES_ID_COMPLAINT) == 0)
			out->complaint_rate = v;
	}
	rc = 0;
	goto done;
fail:
	account_reading_init(out);
done:
	json_decref(root);
	return rc;
}
