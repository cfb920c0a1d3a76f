/*
 * account_postmark.c - the delivery type of a Postmark server
 * (route/account_parse.h).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "route/account_parse.h"

int
account_postmark_server_parse(const char *body, size_t len,
                              struct account_reading *out, char *err,
                              size_t errlen)
{
	json_t *root = json_loadb(body, len, 0, NULL), *dt;
	const char *type;
	int rc = -1;

	account_reading_init(out);
	if (!json_is_object(root)) {
		snprintf(err, errlen, "not a JSON object");
		goto done;
	}
	dt = json_object_get(root, "DeliveryType");
	if (dt == NULL) {
		rc = 0; /* an older answer: nothing told */
		goto done;
	}
	type = json_string_value(dt);
	if (type == NULL) {
		snprintf(err, errlen, "DeliveryType is not a string");
		goto done;
	}
	snprintf(out->state, sizeof(out->state), "%s", type);
	if (strcmp(type, "Live") == 0) {
		out->sending = 1;
	} else if (strcmp(type, "Sandbox") == 0) {
		out->sending = 0;
		snprintf(out->why, sizeof(out->why),
		         "Postmark server in sandbox mode: it accepts mail and "
		         "delivers none");
	}
	rc = 0;
done:
	json_decref(root);
	return rc;
}
