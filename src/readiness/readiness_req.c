/*
 * readiness_req.c - the providers' verification requests and answers
 * (see readiness_req.h).
 */
#include "readiness/readiness_req.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/aws_sign.h"
#include "providers/providers_http.h"

#define BASE_SENDGRID "https://api.sendgrid.com"
#define BASE_POSTMARK "https://api.postmarkapp.com"
#define BASE_RESEND "https://api.resend.com"

bool
readiness_req_supported(const char *type)
{
	return strcmp(type, "ses") == 0 || strcmp(type, "sendgrid") == 0 ||
	       strcmp(type, "mailgun") == 0 || strcmp(type, "postmark") == 0 ||
	       strcmp(type, "resend") == 0;
}

/* url_set - out's URL = base (owned, freed here) + path. */
static int
url_set(struct http_out *out, char *base, const char *fmt, const char *a,
        const char *b)
{
	char path[512];

	snprintf(path, sizeof(path), fmt, a, b);
	free(out->url);
	if (asprintf(&out->url, "%s%s", base, path) < 0)
		out->url = NULL;
	free(base);
	return out->url != NULL ? 0 : -1;
}

int
readiness_req_build(const struct config_provider *cfg, const char *domain,
                    const char *id, time_t now, struct http_out *out, char *why,
                    size_t whylen)
{
	const char *t = cfg->type, *key = cfg->api_key ? cfg->api_key : "";
	char path[512];

	out->method = "GET";
	if (domain[0] == '\0' || strlen(domain) > 253 ||
	    strspn(domain, "abcdefghijklmnopqrstuvwxyz"
	                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") !=
	        strlen(domain)) {
		snprintf(why, whylen, "not a DNS name: %.100s", domain);
		return -1;
	}
	if (strcmp(t, "ses") == 0) {
		char dflt[128], *base;
		int rc;

		snprintf(path, sizeof(path), "/v2/email/identities/%s", domain);
		snprintf(dflt, sizeof(dflt), "https://email.%s.amazonaws.com",
		         aws_region(cfg));
		base = http_base_url(cfg, dflt);
		rc = aws_sign(cfg, out, base, "ses", path, NULL, NULL, now);
		free(base);
		if (rc != 0 || out->url == NULL) {
			snprintf(why, whylen,
			         "ses: cannot sign (credentials?)");
			return -1;
		}
		return 0;
	}
	if (strcmp(t, "sendgrid") == 0) {
		http_out_header_add(out, "Authorization", "Bearer %s", key);
		return url_set(out, http_base_url(cfg, BASE_SENDGRID),
		               "/v3/whitelabel/domains?domain=%s%s", domain,
		               "");
	}
	if (strcmp(t, "mailgun") == 0) {
		mailgun_auth(cfg, out);
		return url_set(out, mailgun_base(cfg), "/v3/domains/%s%s",
		               domain, "");
	}
	if (strcmp(t, "postmark") == 0) {
		http_out_header_add(out, "Accept", "application/json");
		http_out_header_add(out, "X-Postmark-Account-Token", "%s", key);
		return url_set(out, http_base_url(cfg, BASE_POSTMARK),
		               id ? "/domains/%s%s"
		                  : "/domains?count=500&offset=0%s%s",
		               id ? id : "", "");
	}
	if (strcmp(t, "resend") == 0) {
		http_out_header_add(out, "Authorization", "Bearer %s", key);
		return url_set(out, http_base_url(cfg, BASE_RESEND),
		               id ? "/domains/%s%s" : "/domains%s%s",
		               id ? id : "", "");
	}
	snprintf(why, whylen, "%s provider: no verification API", t);
	return -1;
}

/* body_snip - the first bytes of body as printable text into s. */
static void
body_snip(const char *body, size_t len, char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < len && k + 1 < n && i < 80; i++)
		s[k++] = body[i] >= 0x20 && body[i] < 0x7f ? body[i] : '?';
	s[k] = '\0';
}

int
readiness_req_read(const char *type, const char *domain, const char *id,
                   int status, const char *body, size_t len,
                   struct readiness_verified *out, char *next_id, size_t idlen,
                   char *why, size_t whylen)
{
	bool two = strcmp(type, "postmark") == 0 || strcmp(type, "resend") == 0;
	char err[READINESS_WORDS], snip[96];
	int rc;

	memset(out, 0, sizeof(*out));
	if (status == 404 &&
	    (strcmp(type, "ses") == 0 || strcmp(type, "mailgun") == 0)) {
		out->verified = READINESS_NO;
		snprintf(out->words, sizeof(out->words),
		         "no identity %.100s at %s (HTTP 404)", domain, type);
		return 0;
	}
	if (status < 200 || status >= 300) {
		body_snip(body, len, snip, sizeof(snip));
		snprintf(why, whylen, "%s: HTTP %d: %s", type, status, snip);
		return -1;
	}
	if (two && id == NULL) {
		rc = readiness_verify_list(body, len, type, domain, next_id,
		                           idlen, err, sizeof(err));
		if (rc < 0) {
			snprintf(why, whylen, "%s: %s", type, err);
			return -1;
		}
		if (rc == 1)
			return 1;
		out->verified = READINESS_NO;
		snprintf(out->words, sizeof(out->words),
		         "%.100s is not among %s's domains", domain, type);
		return 0;
	}
	if (strcmp(type, "ses") == 0)
		rc = readiness_verify_ses(body, len, domain, out, err,
		                          sizeof(err));
	else if (strcmp(type, "sendgrid") == 0)
		rc = readiness_verify_sendgrid(body, len, domain, out, err,
		                               sizeof(err));
	else if (strcmp(type, "mailgun") == 0)
		rc = readiness_verify_mailgun(body, len, domain, out, err,
		                              sizeof(err));
	else if (strcmp(type, "postmark") == 0)
		rc = readiness_verify_postmark(body, len, domain, out, err,
		                               sizeof(err));
	else
		rc = readiness_verify_resend(body, len, domain, out, err,
		                             sizeof(err));
	if (rc != 0) {
		snprintf(why, whylen, "%s: %s", type, err);
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}
