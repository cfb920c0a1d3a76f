/*
 * readiness_verify_postmark.c - Postmark's GET /domains/{id} answer (see
 * readiness_verify.h).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "readiness/readiness_verify.h"

int
readiness_verify_postmark(const char *body, size_t len, const char *domain,
                          struct readiness_verified *out, char *err,
                          size_t errlen)
{
	json_t *j, *dkim, *rp;
	const char *name, *host;

	memset(out, 0, sizeof(*out));
	j = readiness_verify_load(body, len, err, errlen);
	if (j == NULL)
		return -1;
	name = json_string_value(json_object_get(j, "Name"));
	dkim = json_object_get(j, "DKIMVerified");
	rp = json_object_get(j, "ReturnPathDomainVerified");
	if (!json_is_boolean(dkim) ||
	    readiness_verify_about(name, domain, err, errlen) != 0) {
		if (!json_is_boolean(dkim))
			snprintf(err, errlen,
			         "domains: no boolean DKIMVerified");
		json_decref(j);
		return -1;
	}
	/* Postmark sends for a domain once its DKIM is verified. */
	out->verified = json_is_true(dkim) ? READINESS_YES : READINESS_NO;
	snprintf(out->words, sizeof(out->words),
	         "DKIMVerified %s, ReturnPathDomainVerified %s",
	         json_is_true(dkim) ? "true" : "false",
	         json_is_true(rp) ? "true" : "false");
	host = json_string_value(json_object_get(j, "DKIMHost"));
	if (host == NULL || host[0] == '\0')
		host = json_string_value(json_object_get(j, "DKIMPendingHost"));
	readiness_verify_selector(out, host);
	snprintf(out->return_path, sizeof(out->return_path), "%s",
	         json_string_value(json_object_get(j, "ReturnPathDomain"))
	             ? json_string_value(json_object_get(j, "ReturnPathDomain"))
	             : "");
	json_decref(j);
	return 0;
}
