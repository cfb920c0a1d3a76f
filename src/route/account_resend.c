/*
 * account_resend.c - the domains of a Resend team (route/account_parse.h).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "route/account_parse.h"

int
account_resend_domains_parse(const char *body, size_t len,
                             struct account_reading *out, char *err,
                             size_t errlen)
{
	json_t *root = json_loadb(body, len, 0, NULL), *data, *d;
	size_t i, verified = 0;
	int rc = -1;

	account_reading_init(out);
	data = json_object_get(root, "data");
	if (!json_is_array(data)) {
		snprintf(err, errlen, "no data array");
		goto done;
	}
	json_array_foreach(data, i, d)
	{
		const char *st =
		    json_string_value(json_object_get(d, "status"));
		if (st == NULL) {
			snprintf(err, errlen, "a domain without a status");
			goto done;
		}
		if (strcmp(st, "verified") == 0)
			verified++;
	}
	snprintf(out->state, sizeof(out->state), "%zu of %zu verified",
	         verified, json_array_size(data));
	if (verified > 0) {
		out->sending = 1;
	} else if (json_array_size(data) > 0) {
		out->sending = 0;
		snprintf(out->why, sizeof(out->why),
		         "no Resend domain is verified (%zu listed)",
		         json_array_size(data));
	}
	rc = 0;
done:
	if (rc != 0)
		account_reading_init(out);
	json_decref(root);
	return rc;
}
