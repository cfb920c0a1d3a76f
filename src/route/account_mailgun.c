/*
 * account_mailgun.c - the state of a Mailgun sending domain
 * (route/account_parse.h).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "route/account_parse.h"

int
account_mailgun_domain_parse(const char *body, size_t len,
                             struct account_reading *out, char *err,
                             size_t errlen)
{
	json_t *root = json_loadb(body, len, 0, NULL), *dom, *dis;
	const char *state, *name;
	int rc = -1;

	account_reading_init(out);
	dom = json_object_get(root, "domain");
	if (!json_is_object(dom)) {
		snprintf(err, errlen, "no domain object");
		goto done;
	}
	state = json_string_value(json_object_get(dom, "state"));
	name = json_string_value(json_object_get(dom, "name"));
	dis = json_object_get(dom, "is_disabled");
	if (state == NULL) {
		snprintf(err, errlen, "domain.state is not a string");
		goto done;
	}
	if (dis != NULL && !json_is_boolean(dis)) {
		snprintf(err, errlen, "domain.is_disabled is not a boolean");
		goto done;
	}
	snprintf(out->state, sizeof(out->state), "%s", state);
	if (json_is_true(dis) || strcmp(state, "disabled") == 0 ||
	    strcmp(state, "unverified") == 0) {
		out->sending = 0;
		snprintf(out->why, sizeof(out->why),
		         "Mailgun domain %.100s is %s", name ? name : "",
		         json_is_true(dis) ? "disabled" : state);
	} else if (strcmp(state, "active") == 0) {
		out->sending = 1;
	}
	rc = 0;
done:
	json_decref(root);
	return rc;
}
