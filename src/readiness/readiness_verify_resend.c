/*
 * readiness_verify_resend.c - Resend's GET /domains/{id} answer (see
 * readiness_verify.h).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "readiness/readiness_verify.h"

int
readiness_verify_resend(const char *body, size_t len, const char *domain,
                        struct readiness_verified *out, char *err,
                        size_t errlen)
{
	json_t *j, *recs, *rec;
	const char *name, *status;
	size_t i;

	memset(out, 0, sizeof(*out));
	j = readiness_verify_load(body, len, err, errlen);
	if (j == NULL)
		return -1;
	name = json_string_value(json_object_get(j, "name"));
	status = json_string_value(json_object_get(j, "status"));
	if (status == NULL ||
	    readiness_verify_about(name, domain, err, errlen) != 0) {
		if (status == NULL)
			snprintf(err, errlen, "domains: no status");
		json_decref(j);
		return -1;
	}
	out->verified =
	    strcmp(status, "verified") == 0 ? READINESS_YES : READINESS_NO;
	snprintf(out->words, sizeof(out->words), "status %s", status);
	recs = json_object_get(j, "records");
	json_array_foreach(recs, i, rec)
	{
		const char *rn =
		    json_string_value(json_object_get(rec, "name"));
		const char *kind =
		    json_string_value(json_object_get(rec, "record"));

		if (rn == NULL || kind == NULL)
			continue;
		if (strcmp(kind, "DKIM") == 0)
			readiness_verify_selector(out, rn);
		else if (strcmp(kind, "SPF") == 0 &&
		         out->return_path[0] == '\0')
			/* Resend names the record relative to the domain. */
			snprintf(out->return_path, sizeof(out->return_path),
			         "%s.%s", rn, domain);
	}
	json_decref(j);
	return 0;
}
