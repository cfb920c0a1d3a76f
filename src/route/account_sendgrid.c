/*
 * account_sendgrid.c - SendGrid's credit balance and account
 * (route/account_parse.h).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "route/account_parse.h"

/* sg_count - member k of o as a count >= 0 into *v (null: -1); 0, or -1
 * with err. */
static int
sg_count(json_t *o, const char *k, double *v, char *err, size_t errlen)
{
	json_t *j = json_object_get(o, k);

	*v = -1;
	if (j == NULL || json_is_null(j))
		return 0;
	if (!json_is_number(j) || !isfinite(json_number_value(j)) ||
	    json_number_value(j) < 0) {
		snprintf(err, errlen, "%s is not a count", k);
		return -1;
	}
	*v = json_number_value(j);
	return 0;
}

int
account_sendgrid_credits_parse(const char *body, size_t len,
                               struct account_reading *out, char *err,
                               size_t errlen)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	const char *freq;
	double total, remain;
	int rc = -1;

	account_reading_init(out);
	if (!json_is_object(root)) {
		snprintf(err, errlen, "not a JSON object");
		goto done;
	}
	if (sg_count(root, "total", &total, err, errlen) != 0 ||
	    sg_count(root, "remain", &remain, err, errlen) != 0)
		goto done;
	freq = json_string_value(json_object_get(root, "reset_frequency"));
	if (json_object_get(root, "reset_frequency") != NULL &&
	    !json_is_null(json_object_get(root, "reset_frequency")) &&
	    freq == NULL) {
		snprintf(err, errlen, "reset_frequency is not a string");
		goto done;
	}
	rc = 0;
	if (total <= 0 || remain < 0)
		goto done; /* unlimited, or not told */
	out->quota_max = total;
	out->quota_left = remain < total ? remain : total;
	snprintf(out->period, sizeof(out->period), "%s",
	         freq == NULL                   ? "period"
	         : strcmp(freq, "monthly") == 0 ? "month"
	         : strcmp(freq, "weekly") == 0  ? "week"
	         : strcmp(freq, "daily") == 0   ? "day"
	                                        : "period");
done:
	json_decref(root);
	return rc;
}

int
account_sendgrid_account_parse(const char *body, size_t len,
                               struct account_reading *out, char *err,
                               size_t errlen)
{
	json_t *root = json_loadb(body, len, 0, NULL), *rep, *type;
	int rc = -1;

	account_reading_init(out);
	if (!json_is_object(root)) {
		snprintf(err, errlen, "not a JSON object");
		goto done;
	}
	type = json_object_get(root, "type");
	rep = json_object_get(root, "reputation");
	if (type != NULL && !json_is_string(type)) {
		snprintf(err, errlen, "type is not a string");
		goto done;
	}
	if (rep != NULL &&
	    (!json_is_number(rep) || !isfinite(json_number_value(rep)) ||
	     json_number_value(rep) < 0 || json_number_value(rep) > 100)) {
		snprintf(err, errlen, "reputation is not a number in 0..100");
		goto done;
	}
	if (type != NULL)
		snprintf(out->state, sizeof(out->state), "%s",
		         json_string_value(type));
	if (rep != NULL)
		out->score = json_number_value(rep);
	rc = 0;
done:
	json_decref(root);
	return rc;
}
