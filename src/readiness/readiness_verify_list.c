/*
 * readiness_verify_list.c - the domain lists of Postmark (GET /domains)
 * and Resend (GET /domains): which id the sender domain has there, the
 * first step before its details (see readiness_verify.h).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "readiness/readiness_verify.h"

int
readiness_verify_list(const char *body, size_t len, const char *type,
                      const char *domain, char *id, size_t idlen, char *err,
                      size_t errlen)
{
	bool pm = strcmp(type, "postmark") == 0;
	const char *arr_key = pm ? "Domains" : "data";
	json_t *j, *arr, *e;
	size_t i;
	int rc = 0;

	if (id != NULL && idlen > 0)
		id[0] = '\0';
	j = readiness_verify_load(body, len, err, errlen);
	if (j == NULL)
		return -1;
	arr = json_object_get(j, arr_key);
	if (!json_is_array(arr)) {
		snprintf(err, errlen, "domains: no \"%s\" array", arr_key);
		json_decref(j);
		return -1;
	}
	json_array_foreach(arr, i, e)
	{
		const char *name =
		    json_string_value(json_object_get(e, pm ? "Name" : "name"));
		json_t *v = json_object_get(e, pm ? "ID" : "id");

		if (name == NULL || strcasecmp(name, domain) != 0)
			continue;
		if (json_is_integer(v) && json_integer_value(v) >= 0) {
			snprintf(id, idlen, "%lld",
			         (long long)json_integer_value(v));
		} else if (json_is_string(v) && json_string_length(v) > 0 &&
		           json_string_length(v) < 64 &&
		           strspn(json_string_value(v),
		                  "abcdefghijklmnopqrstuvwxyz"
		                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") ==
		               json_string_length(v)) {
			snprintf(id, idlen, "%s", json_string_value(v));
		} else {
			snprintf(
			    err, errlen,
			    "domains: the entry for %.100s has no usable id",
			    domain);
			rc = -1;
			break;
		}
		rc = 1;
		break;
	}
	json_decref(j);
	return rc;
}
