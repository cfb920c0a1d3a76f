/*
 * supplist.c - fetch a provider's own suppression list (supplist.h).
 */
#include "providers/supplist.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/xmalloc.h"
#include "providers/sigv4.h"

#define SUPPLIST_PAGE 500

/* supplist_add - append addr (skipped when not an address). */
static void
supplist_add(struct supplist *l, const char *addr, enum suppress_reason r,
             const char *provider, int64_t created_ms, const char *diag)
{
	struct suppress_entry *e;

	if (addr == NULL)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->e = xrealloc(l->e, l->cap * sizeof(*l->e));
	}
	e = &l->e[l->n];
	memset(e, 0, sizeof(*e));
	if (suppress_addr_store(addr, e->address, sizeof(e->address)) != 0)
		return;
	e->reason = r;
	snprintf(e->provider, sizeof(e->provider), "%s", provider);
	e->created_ms = created_ms;
	snprintf(e->diagnostic, sizeof(e->diagnostic), "%s", diag ? diag : "");
	l->n++;
}

int
supplist_parse_sendgrid(const char *body, size_t len, enum suppress_reason r,
                        const char *provider, struct supplist *l, char *err,
                        size_t errlen)
{
	json_t *j = json_loadb(body, len, 0, NULL), *x;
	size_t i;
	int n;

	if (!json_is_array(j)) {
		snprintf(err, errlen, "sendgrid: not a JSON array");
		json_decref(j);
		return -1;
	}
	for (i = 0; i < json_array_size(j); i++) {
		x = json_array_get(j, i);
		supplist_add(
		    l, json_string_value(json_object_get(x, "email")), r,
		    provider,
		    (int64_t)json_integer_value(json_object_get(x, "created")) *
		        1000,
		    json_string_value(json_object_get(x, "reason")));
	}
	n = (int)json_array_size(j);
	json_decref(j);
	return n;
}

int
supplist_parse_postmark(const char *body, size_t len, const char *provider,
                        int64_t now_ms, struct supplist *l, char *err,
                        size_t errlen)
{
	json_t *j = json_loadb(body, len, 0, NULL), *a, *x;
	const char *why;
	enum suppress_reason r;
	size_t i;
	int n;

	a = json_object_get(j, "Suppressions");
	if (!json_is_array(a)) {
		snprintf(err, errlen, "postmark: no Suppressions array");
		json_decref(j);
		return -1;
	}
	for (i = 0; i < json_array_size(a); i++) {
		x = json_array_get(a, i);
		why =
		    json_string_value(json_object_get(x, "SuppressionReason"));
		if (why && strcmp(why, "HardBounce") == 0)
			r = SUPPRESS_HARD_BOUNCE;
		else if (why && strcmp(why, "SpamComplaint") == 0)
			r = SUPPRESS_COMPLAINT;
		else
			r = SUPPRESS_UNSUBSCRIBE; /* ManualSuppression */
		supplist_add(
		    l, json_string_value(json_object_get(x, "EmailAddress")), r,
		    provider, now_ms, why);
	}
	n = (int)json_array_size(a);
	json_decref(j);
	return n;
}

/* supplist_write - libcurl's write callback into a struct buf. */
static size_t
supplist_write(char *p, size_t size, size_t n, void *arg)
{
	buf_add(arg, p, size * n);
	return size * n;
}

long
supplist_get(const struct config_provider *p, const char *url,
             const char *const *headers, struct buf *out, char *err,
             size_t errlen)
{
	char cerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();
	long code = -1;

	if (c == NULL) {
		snprintf(err, errlen, "curl_easy_init failed");
		return -1;
	}
	if (headers != NULL) {
		for (; *headers != NULL; headers++)
			h = curl_slist_append(h, *headers);
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, "api");
		curl_easy_setopt(c, CURLOPT_PASSWORD,
		                 p->api_key ? p->api_key : "");
	}
	h = curl_slist_append(h, "Accept: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, supplist_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(
	    c, CURLOPT_TIMEOUT_MS,
	    (long)(p->request_timeout_ms ? p->request_timeout_ms : 30000));
	if (p->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, p->ca_file);
	if (!p->tls_verify) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	else
		snprintf(err, errlen, "%s: %s", url, cerr);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (code >= 0 && code != 200)
		snprintf(err, errlen, "%s: HTTP %ld: %.*s", url, code,
		         (int)(out->len > 300 ? 300 : out->len),
		         out->p ? out->p : "");
	return code;
}

/* supplist_base - p's endpoint without a trailing '/', else dflt. */
static void
supplist_base(const struct config_provider *p, const char *dflt, char *out,
              size_t n)
{
	size_t k;

	snprintf(out, n, "%s",
	         p->endpoint && *p->endpoint ? p->endpoint : dflt);
	k = strlen(out);
	while (k > 0 && out[k - 1] == '/')
		out[--k] = '\0';
}

/* supplist_sendgrid - the three lists, page by page. */
static int
supplist_sendgrid(const struct config_provider *p, struct supplist *l,
                  char *err, size_t errlen)
{
	static const struct {
		const char *name;
		enum suppress_reason r;
	} lists[] = {{"bounces", SUPPRESS_HARD_BOUNCE},
	             {"spam_reports", SUPPRESS_COMPLAINT},
	             {"unsubscribes", SUPPRESS_UNSUBSCRIBE}};
	char base[1024], url[1400], auth[1024];
	const char *hs[] = {auth, NULL};
	struct buf body;
	size_t k, offset;
	int got;

	supplist_base(p, "https://api.sendgrid.com", base, sizeof(base));
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
	         p->api_key ? p->api_key : "");
	for (k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
		for (offset = 0;; offset += (size_t)got) {
			snprintf(url, sizeof(url),
			         "%s/v3/suppression/%s?limit=%d&offset=%zu",
			         base, lists[k].name, SUPPLIST_PAGE, offset);
			buf_init(&body);
			got =
			    supplist_get(p, url, hs, &body, err, errlen) == 200
			        ? supplist_parse_sendgrid(
			              body.p ? body.p : "", body.len,
			              lists[k].r, p->name, l, err, errlen)
			        : -1;
			buf_fini(&body);
			if (got < 0) {
				explicit_bzero(auth, sizeof(auth));
				return -1;
			}
			if (got < SUPPLIST_PAGE)
				break;
		}
	}
	explicit_bzero(auth, sizeof(auth));
	return 0;
}

int
supplist_parse_mailgun(const char *body, size_t len, enum suppress_reason r,
                       const char *provider, int64_t now_ms, struct supplist *l,
                       char **next, char *err, size_t errlen)
{
	json_t *j = json_loadb(body, len, 0, NULL), *a, *x;
	const char *nx;
	size_t i;
	int n;

	*next = NULL;
	a = json_object_get(j, "items");
	if (!json_is_array(a)) {
		snprintf(err, errlen, "mailgun: no items array");
		json_decref(j);
		return -1;
	}
	for (i = 0; i < json_array_size(a); i++) {
		x = json_array_get(a, i);
		supplist_add(l,
		             json_string_value(json_object_get(x, "address")),
		             r, provider, now_ms,
		             json_string_value(json_object_get(x, "error")));
	}
	nx = json_string_value(
	    json_object_get(json_object_get(j, "paging"), "next"));
	if (nx != NULL)
		*next = xstrdup(nx);
	n = (int)json_array_size(a);
	json_decref(j);
	return n;
}

/* supplist_mailgun - the three lists, following paging.next (its path
 * and query only, on the configured base: the key goes nowhere else)
 * until a page has no items. */
static int
supplist_mailgun(const struct config_provider *p, struct supplist *l, char *err,
                 size_t errlen)
{
	static const struct {
		const char *name;
		enum suppress_reason r;
	} lists[] = {{"bounces", SUPPRESS_HARD_BOUNCE},
	             {"complaints", SUPPRESS_COMPLAINT},
	             {"unsubscribes", SUPPRESS_UNSUBSCRIBE}};
	char base[1024], url[2400];
	const char *path;
	char *next;
	struct buf body;
	size_t k, pages;
	int got;

	if (p->domain == NULL || p->domain[0] == '\0') {
		snprintf(err, errlen, "%s: no domain configured", p->name);
		return -1;
	}
	supplist_base(p,
	              p->region && strcmp(p->region, "eu") == 0
	                  ? "https://api.eu.mailgun.net"
	                  : "https://api.mailgun.net",
	              base, sizeof(base));
	for (k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
		snprintf(url, sizeof(url), "%s/v3/%s/%s?limit=1000", base,
		         p->domain, lists[k].name);
		for (pages = 0; pages < 100000; pages++) {
			buf_init(&body);
			next = NULL;
			got = supplist_get(p, url, NULL, &body, err, errlen) ==
			              200
			          ? supplist_parse_mailgun(
			                body.p ? body.p : "", body.len,
			                lists[k].r, p->name, clock_wall_ms(), l,
			                &next, err, errlen)
			          : -1;
			buf_fini(&body);
			if (got < 0) {
				free(next);
				return -1;
			}
			path = next ? strstr(next, "/v3/") : NULL;
			if (got == 0 || path == NULL) {
				free(next);
				break;
			}
			snprintf(url, sizeof(url), "%s%s", base, path);
			free(next);
		}
	}
	return 0;
}

int
supplist_parse_ses(const char *body, size_t len, const char *provider,
                   int64_t now_ms, struct supplist *l, char **next, char *err,
                   size_t errlen)
{
	json_t *j = json_loadb(body, len, 0, NULL), *a, *x;
	const char *why, *nx;
	size_t i;
	int n;

	*next = NULL;
	a = json_object_get(j, "SuppressedDestinationSummaries");
	if (!json_is_array(a)) {
		snprintf(err, errlen,
		         "ses: no SuppressedDestinationSummaries array");
		json_decref(j);
		return -1;
	}
	for (i = 0; i < json_array_size(a); i++) {
		x = json_array_get(a, i);
		why = json_string_value(json_object_get(x, "Reason"));
		supplist_add(
		    l, json_string_value(json_object_get(x, "EmailAddress")),
		    why && strcmp(why, "COMPLAINT") == 0 ? SUPPRESS_COMPLAINT
		                                         : SUPPRESS_HARD_BOUNCE,
		    provider, now_ms, why);
	}
	nx = json_string_value(json_object_get(j, "NextToken"));
	if (nx != NULL && *nx)
		*next = xstrdup(nx);
	n = (int)json_array_size(a);
	json_decref(j);
	return n;
}

/* supplist_ses_get - one signed ListSuppressedDestinations page. */
static long
supplist_ses_get(const struct config_provider *p, const char *base,
                 const char *query, struct buf *out, char *err, size_t errlen)
{
	return supplist_ses_request(p, base, "/v2/email/suppression/addresses",
	                            query, out, err, errlen);
}

long
supplist_ses_request(const struct config_provider *p, const char *base,
                     const char *path, const char *query, struct buf *out,
                     char *err, size_t errlen)
{
	char amz[SIGV4_AMZDATE_LEN + 1], host[1024], full[1200], url[3400];
	char ha[2400], hh[1100], hd[64], ht[2048];
	const char *hs[5] = {ha, hh, hd, NULL, NULL};
	const char *hstart = strstr(base, "://"), *prefix;
	struct sigv4_header sh[3];
	struct sigv4_cred cred = {
	    .akid = p->access_key_id,
	    .secret = p->secret_access_key,
	    .session_token =
	        p->session_token && *p->session_token ? p->session_token : NULL,
	    .region = p->region && *p->region ? p->region : "us-east-1",
	    .service = "ses",
	};
	struct sigv4_request sr;
	struct buf auth;
	size_t n = 0;
	long code = -1;

	hstart = hstart ? hstart + 3 : base;
	snprintf(host, sizeof(host), "%s", hstart);
	host[strcspn(host, "/")] = '\0';
	prefix = strchr(hstart, '/');
	snprintf(full, sizeof(full), "%s%s", prefix ? prefix : "", path);
	sigv4_amzdate_format(amz, time(NULL));
	sh[n++] = (struct sigv4_header){"host", host};
	sh[n++] = (struct sigv4_header){"x-amz-date", amz};
	if (cred.session_token) {
		sh[n++] = (struct sigv4_header){"x-amz-security-token",
		                                cred.session_token};
		snprintf(ht, sizeof(ht), "X-Amz-Security-Token: %s",
		         cred.session_token);
		hs[3] = ht;
	}
	sr = (struct sigv4_request){.method = "GET",
	                            .path = full,
	                            .query = query,
	                            .headers = sh,
	                            .n_headers = n};
	buf_init(&auth);
	if (sigv4_sign(&auth, NULL, &sr, &cred, amz) != 0) {
		snprintf(err, errlen, "%s: cannot sign the request", p->name);
	} else {
		snprintf(ha, sizeof(ha), "Authorization: %s", buf_cstr(&auth));
		snprintf(hh, sizeof(hh), "Host: %s", host);
		snprintf(hd, sizeof(hd), "X-Amz-Date: %s", amz);
		snprintf(url, sizeof(url), "%s%s?%s", base, path, query);
		code = supplist_get(p, url, hs, out, err, errlen);
	}
	buf_fini(&auth);
	explicit_bzero(ht, sizeof(ht));
	return code;
}

/* supplist_ses - ListSuppressedDestinations, following NextToken. */
static int
supplist_ses(const struct config_provider *p, struct supplist *l, char *err,
             size_t errlen)
{
	char base[1024], dflt[128], query[2200];
	char *next = NULL, *enc;
	struct buf body;
	size_t pages;
	int got;

	if (p->access_key_id == NULL || p->secret_access_key == NULL) {
		snprintf(err, errlen, "%s: no AWS credentials", p->name);
		return -1;
	}
	snprintf(dflt, sizeof(dflt), "https://email.%s.amazonaws.com",
	         p->region && *p->region ? p->region : "us-east-1");
	supplist_base(p, dflt, base, sizeof(base));
	snprintf(query, sizeof(query), "PageSize=1000");
	for (pages = 0; pages < 100000; pages++) {
		buf_init(&body);
		got =
		    supplist_ses_get(p, base, query, &body, err, errlen) == 200
		        ? supplist_parse_ses(body.p ? body.p : "", body.len,
		                             p->name, clock_wall_ms(), l, &next,
		                             err, errlen)
		        : -1;
		buf_fini(&body);
		if (got < 0 || next == NULL)
			break;
		enc = curl_easy_escape(NULL, next, 0);
		snprintf(query, sizeof(query), "NextToken=%s&PageSize=1000",
		         enc ? enc : "");
		curl_free(enc);
		free(next);
		next = NULL;
	}
	free(next);
	return got < 0 ? -1 : 0;
}

/* supplist_postmark - the stream's dump (one answer, not paged). */
static int
supplist_postmark(const struct config_provider *p, struct supplist *l,
                  char *err, size_t errlen)
{
	char base[1024], url[1400], auth[1024];
	const char *hs[] = {auth, NULL};
	char *stream;
	struct buf body;
	int rc;

	supplist_base(p, "https://api.postmarkapp.com", base, sizeof(base));
	stream = curl_easy_escape(
	    NULL, p->message_stream ? p->message_stream : "outbound", 0);
	snprintf(url, sizeof(url), "%s/message-streams/%s/suppressions/dump",
	         base, stream ? stream : "outbound");
	curl_free(stream);
	snprintf(auth, sizeof(auth), "X-Postmark-Server-Token: %s",
	         p->api_key ? p->api_key : "");
	buf_init(&body);
	rc = supplist_get(p, url, hs, &body, err, errlen) == 200
	         ? supplist_parse_postmark(body.p ? body.p : "", body.len,
	                                   p->name, clock_wall_ms(), l, err,
	                                   errlen)
	         : -1;
	buf_fini(&body);
	explicit_bzero(auth, sizeof(auth));
	return rc < 0 ? -1 : 0;
}

int
supplist_fetch(const struct config_provider *p, struct supplist *l, char *err,
               size_t errlen)
{
	const char *t = p->type ? p->type : "";

	if (strcmp(t, "sendgrid") == 0)
		return supplist_sendgrid(p, l, err, errlen);
	if (strcmp(t, "postmark") == 0)
		return supplist_postmark(p, l, err, errlen);
	if (strcmp(t, "mailgun") == 0)
		return supplist_mailgun(p, l, err, errlen);
	if (strcmp(t, "ses") == 0)
		return supplist_ses(p, l, err, errlen);
	if (strcmp(t, "resend") == 0)
		snprintf(err, errlen,
		         "%s: Resend has no suppression list API; nothing to "
		         "import",
		         p->name);
	else
		snprintf(err, errlen,
		         "%s: provider type %s has no suppression "
		         "list API",
		         p->name, t);
	return -2;
}
