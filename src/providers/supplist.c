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

/* supplist_get - GET url with one header (or basic auth "api" and p's
 * key when header is NULL) into out; the HTTP status, or -1 with err. */
static long
supplist_get(const struct config_provider *p, const char *url,
             const char *header, struct buf *out, char *err, size_t errlen)
{
	char cerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();
	long code = -1;

	if (c == NULL) {
		snprintf(err, errlen, "curl_easy_init failed");
		return -1;
	}
	if (header != NULL) {
		h = curl_slist_append(h, header);
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
			got = supplist_get(p, url, auth, &body, err, errlen) ==
			              200
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

/* supplist_postmark - the stream's dump (one answer, not paged). */
static int
supplist_postmark(const struct config_provider *p, struct supplist *l,
                  char *err, size_t errlen)
{
	char base[1024], url[1400], auth[1024];
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
	rc = supplist_get(p, url, auth, &body, err, errlen) == 200
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
	if (strcmp(t, "resend") == 0)
		snprintf(err, errlen,
		         "%s: Resend has no suppression list API; nothing to "
		         "import",
		         p->name);
	else if (strcmp(t, "ses") == 0)
		snprintf(err, errlen,
		         "%s: importing from %s is not implemented yet (export "
		         "its list as CSV and import the file)",
		         p->name, t);
	else
		snprintf(err, errlen,
		         "%s: provider type %s has no suppression "
		         "list API",
		         p->name, t);
	return -2;
}
