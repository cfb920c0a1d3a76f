/*
 * readiness_verify_mailgun.c - Mailgun's GET /v3/domains/{domain} answer
 * (see readiness_verify.h).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "readiness/readiness_verify.h"

int
readiness_verify_mailgun(const char *body, size_t len, const char *domain,
                         struct readiness_verified *out, char *err,
                         size_t errlen)
{
	json_t *j, *d, *recs, *rec;
	const char *state;
	size_t i;

	memset(out, 0, sizeof(*out));
	j = readiness_verify_load(body, len, err, errlen);
	if (j == NULL)
		return -1;
	d = json_object_get(j, "domain");
	state = json_string_value(json_object_get(d, "state"));
	if (state == NULL) {
		snprintf(err, errlen, "domains/%s: no domain.state", domain);
		json_decref(j);
		return -1;
	}
	out->verified =
	    strcmp(state, "active") == 0 ? READINESS_YES : READINESS_NO;
	snprintf(out->words, sizeof(out->words), "domain state %s", state);
	recs = json_object_get(j, "sending_dns_records");
	json_array_foreach(recs, i, rec)
	{
		const char *name =
		    json_string_value(json_object_get(rec, "name"));
		const char *type =
		    json_string_value(json_object_get(rec, "record_type"));

		if (name == NULL || type == NULL)
			continue;
		if (strcmp(type, "TXT") == 0 &&
		    strstr(name, "._domainkey") != NULL)
			readiness_verify_selector(out, name);
	}
	/* Mailgun's envelope sender is the sending domain itself. */
	snprintf(out->return_path, sizeof(out->return_path), "%s", domain);
	json_decref(j);
	return 0;
}
