/*
 * readiness_verify.c - SES and SendGrid verification answers (see
 * readiness_verify.h).
 */
#include "readiness/readiness_verify.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

json_t *
readiness_verify_load(const char *body, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);

	if (j == NULL)
		snprintf(err, errlen, "not JSON: %s at offset %d", je.text,
		         je.position);
	return j;
}

int
readiness_verify_about(const char *name, const char *domain, char *err,
                       size_t errlen)
{
	if (name == NULL) {
		snprintf(err, errlen, "domains: no domain name in the answer");
		return -1;
	}
	if (strcasecmp(name, domain) != 0) {
		snprintf(err, errlen, "domains: the answer is for %.100s",
		         name);
		return -1;
	}
	return 0;
}

void
readiness_verify_selector(struct readiness_verified *out, const char *host)
{
	const char *dk;
	size_t n;

	if (host == NULL || host[0] == '\0' ||
	    out->n_selectors >= READINESS_MAX_SELECTORS)
		return;
	dk = strstr(host, "._domainkey");
	n = dk != NULL ? (size_t)(dk - host) : strlen(host);
	if (n == 0 || n >= sizeof(out->selectors[0]))
		return;
	memcpy(out->selectors[out->n_selectors], host, n);
	out->selectors[out->n_selectors][n] = '\0';
	out->n_selectors++;
}

/* str_of - the string member key of o, or def. */
static const char *
str_of(const json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : def;
}

int
readiness_verify_ses(const char *body, size_t len, const char *domain,
                     struct readiness_verified *out, char *err, size_t errlen)
{
	json_t *j, *vfs, *dkim, *tok, *mf;
	size_t i;

	(void)domain;
	memset(out, 0, sizeof(*out));
	j = readiness_verify_load(body, len, err, errlen);
	if (j == NULL)
		return -1;
	if (!json_is_object(j)) {
		snprintf(err, errlen, "GetEmailIdentity: not an object");
		json_decref(j);
		return -1;
	}
	vfs = json_object_get(j, "VerifiedForSendingStatus");
	if (!json_is_boolean(vfs)) {
		snprintf(err, errlen,
		         "GetEmailIdentity: "
		         "VerifiedForSendingStatus missing or "
		         "not a boolean");
		json_decref(j);
		return -1;
	}
	dkim = json_object_get(j, "DkimAttributes");
	out->verified = json_is_true(vfs) ? READINESS_YES : READINESS_NO;
	snprintf(out->words, sizeof(out->words),
	         "VerifiedForSendingStatus %s, VerificationStatus %s, DKIM %s",
	         json_is_true(vfs) ? "true" : "false",
	         str_of(j, "VerificationStatus", "(none)"),
	         str_of(dkim, "Status", "(none)"));
	tok = json_object_get(dkim, "Tokens");
	for (i = 0; json_is_array(tok) && i < json_array_size(tok); i++)
		readiness_verify_selector(
		    out, json_string_value(json_array_get(tok, i)));
	mf = json_object_get(j, "MailFromAttributes");
	snprintf(out->return_path, sizeof(out->return_path), "%s",
	         str_of(mf, "MailFromDomain", ""));
	json_decref(j);
	return 0;
}

/* sg_invalid - append to words the names of the dns records of entry e
 * whose "valid" is false. */
static void
sg_invalid(const json_t *e, char *words, size_t cap)
{
	const json_t *dns = json_object_get(e, "dns");
	const char *key;
	json_t *rec;
	int n = 0;

	json_object_foreach((json_t *)dns, key, rec)
	{
		size_t used = strlen(words);

		if (!json_is_false(json_object_get(rec, "valid")))
			continue;
		snprintf(words + used, cap - used, "%s%s %s", n ? ", " : " (",
		         key, str_of(rec, "host", ""));
		n++;
	}
	if (n > 0) {
		size_t used = strlen(words);

		snprintf(words + used, cap - used, " invalid)");
	}
}

int
readiness_verify_sendgrid(const char *body, size_t len, const char *domain,
                          struct readiness_verified *out, char *err,
                          size_t errlen)
{
	json_t *j, *e = NULL, *valid, *dns;
	size_t i;

	memset(out, 0, sizeof(*out));
	j = readiness_verify_load(body, len, err, errlen);
	if (j == NULL)
		return -1;
	if (!json_is_array(j)) {
		snprintf(err, errlen, "whitelabel/domains: not an array");
		json_decref(j);
		return -1;
	}
	for (i = 0; i < json_array_size(j); i++) {
		const char *d = str_of(json_array_get(j, i), "domain", NULL);

		if (d != NULL && strcasecmp(d, domain) == 0) {
			e = json_array_get(j, i);
			break;
		}
	}
	if (e == NULL) {
		out->verified = READINESS_NO;
		snprintf(out->words, sizeof(out->words),
		         "%s is not among SendGrid's authenticated domains",
		         domain);
		json_decref(j);
		return 0;
	}
	valid = json_object_get(e, "valid");
	if (!json_is_boolean(valid)) {
		snprintf(err, errlen,
		         "whitelabel/domains: entry for %s has "
		         "no boolean \"valid\"",
		         domain);
		json_decref(j);
		return -1;
	}
	out->verified = json_is_true(valid) ? READINESS_YES : READINESS_NO;
	snprintf(out->words, sizeof(out->words), "authenticated domain %s",
	         json_is_true(valid) ? "valid" : "not valid");
	sg_invalid(e, out->words, sizeof(out->words));
	dns = json_object_get(e, "dns");
	readiness_verify_selector(
	    out, str_of(json_object_get(dns, "dkim1"), "host", NULL));
	readiness_verify_selector(
	    out, str_of(json_object_get(dns, "dkim2"), "host", NULL));
	snprintf(out->return_path, sizeof(out->return_path), "%s",
	         str_of(json_object_get(dns, "mail_cname"), "host", ""));
	json_decref(j);
	return 0;
}
