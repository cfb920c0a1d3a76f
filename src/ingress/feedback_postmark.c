/*
 * feedback_postmark.c - Postmark's webhooks: basic credentials and an
 * optional source-network allow-list, then the JSON events (see
 * feedback_postmark.h for the mapping).
 *
 * Credentials are compared as SHA-256 digests of "user:pass" with
 * CRYPTO_memcmp, so neither the length nor the first differing byte of
 * the secret shows in the time taken. The body is read only after that.
 */
#include "ingress/feedback_postmark.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/rfc3339.h"
#include "core/xmalloc.h"

/* The longest Authorization value considered (user:pass in base64). */
#define PM_AUTH_MAX 1024

enum feedback_check
feedback_postmark_verify(const char *authorization, const struct sockaddr *peer,
                         const char *username, const char *password,
                         const struct config_net *nets, size_t n_nets,
                         char *err, size_t errlen)
{
	unsigned char want[SHA256_DIGEST_LENGTH], got[SHA256_DIGEST_LENGTH];
	unsigned char dec[PM_AUTH_MAX];
	const char *h = authorization;
	struct buf pair;
	ssize_t n;
	size_t i;
	bool ok;

	if (n_nets > 0) {
		for (i = 0; peer != NULL && i < n_nets; i++)
			if (config_net_contains(&nets[i], peer))
				break;
		if (peer == NULL || i == n_nets) {
			snprintf(err, errlen,
			         "the client is not in events.networks");
			return FEEDBACK_CHECK_FORBIDDEN;
		}
	}
	if (h == NULL || strncasecmp(h, "Basic ", 6) != 0) {
		snprintf(err, errlen, "no basic credentials");
		return FEEDBACK_CHECK_AUTH;
	}
	h += 6;
	while (*h == ' ')
		h++;
	n = strlen(h) < PM_AUTH_MAX
	        ? base64_decode((struct str){h, strlen(h)}, 0, dec, sizeof(dec))
	        : -1;
	if (n < 0) {
		snprintf(err, errlen, "malformed basic credentials");
		return FEEDBACK_CHECK_AUTH;
	}
	buf_init(&pair);
	buf_printf(&pair, "%s:%s", username, password);
	SHA256((const unsigned char *)pair.p, pair.len, want);
	OPENSSL_cleanse(pair.p, pair.len);
	buf_fini(&pair);
	SHA256((const unsigned char *)dec, (size_t)n, got);
	ok = CRYPTO_memcmp(want, got, sizeof(want)) == 0;
	OPENSSL_cleanse(dec, sizeof(dec));
	OPENSSL_cleanse(want, sizeof(want));
	if (!ok) {
		snprintf(err, errlen, "wrong username or password");
		return FEEDBACK_CHECK_AUTH;
	}
	return FEEDBACK_CHECK_OK;
}

/* pm_get - the member of o named key in any case, or NULL. */
static json_t *
pm_get(json_t *o, const char *key)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
	{
		if (strcasecmp(k, key) == 0)
			return v;
	}
	return NULL;
}

/* pm_str - the string member key, or "" (numbers are not strings). */
static const char *
pm_str(json_t *o, const char *key)
{
	const char *s = json_string_value(pm_get(o, key));

	return s ? s : "";
}

/* pm_recipient - copy addr with its domain lower-cased into e. */
static void
pm_recipient(struct feedback_event *e, const char *addr)
{
	char *at;

	feedback_set(e->recipient, sizeof(e->recipient), addr);
	for (at = strrchr(e->recipient, '@'); at != NULL && *at != '\0'; at++)
		if (*at >= 'A' && *at <= 'Z')
			*at = (char)(*at - 'A' + 'a');
}

/* pm_codes - the first SMTP code (2xx-5xx) and enhanced status code
 * (d.d.d) in text, into e. */
static void
pm_codes(struct feedback_event *e, const char *t)
{
	size_t i, j, k;

	for (i = 0; t[i] != '\0' && e->smtp_code == 0; i++)
		if (t[i] >= '2' && t[i] <= '5' && t[i + 1] >= '0' &&
		    t[i + 1] <= '9' && t[i + 2] >= '0' && t[i + 2] <= '9' &&
		    (i == 0 || t[i - 1] < '0' || t[i - 1] > '9') &&
		    (t[i + 3] < '0' || t[i + 3] > '9') && t[i + 3] != '.')
			e->smtp_code = (t[i] - '0') * 100 +
			               (t[i + 1] - '0') * 10 + (t[i + 2] - '0');
	for (i = 0; t[i] != '\0' && e->enhanced[0] == '\0'; i++) {
		if (t[i] < '2' || t[i] > '5' || t[i + 1] != '.' ||
		    (i > 0 && t[i - 1] >= '0' && t[i - 1] <= '9'))
			continue;
		for (j = i + 2; t[j] >= '0' && t[j] <= '9' && j < i + 5; j++)
			;
		if (j == i + 2 || t[j] != '.')
			continue;
		for (k = j + 1; t[k] >= '0' && t[k] <= '9' && k < j + 4; k++)
			;
		if (k == j + 1 || (t[k] >= '0' && t[k] <= '9'))
			continue;
		feedback_set_n(e->enhanced, sizeof(e->enhanced), t + i, k - i);
	}
}

/* What a bounce's TypeCode means (providers.md, Postmark). */
static const struct {
	long code;
	enum feedback_type type;
} pm_bounce_codes[] = {
    {1, FEEDBACK_HARD_BOUNCE},      {100000, FEEDBACK_HARD_BOUNCE},
    {2, FEEDBACK_SOFT_BOUNCE},      {256, FEEDBACK_SOFT_BOUNCE},
    {4096, FEEDBACK_SOFT_BOUNCE},   {512, FEEDBACK_SOFT_BOUNCE},
    {100006, FEEDBACK_SOFT_BOUNCE}, {16384, FEEDBACK_SOFT_BOUNCE},
    {2048, FEEDBACK_SOFT_BOUNCE},   {64, FEEDBACK_OTHER},
    {128, FEEDBACK_OTHER},          {32, FEEDBACK_OTHER},
    {1024, FEEDBACK_OTHER},         {100008, FEEDBACK_OTHER},
    {100001, FEEDBACK_COMPLAINT},   {16, FEEDBACK_REJECTED},
    {100002, FEEDBACK_REJECTED},    {100003, FEEDBACK_REJECTED},
    {8192, FEEDBACK_REJECTED},      {100007, FEEDBACK_REJECTED},
    {100009, FEEDBACK_REJECTED},    {100010, FEEDBACK_REJECTED},
};

/* pm_bounce_type - a Bounce record's type: by TypeCode, soft when the
 * code is not known; a soft one that made the address inactive is
 * hard. */
static enum feedback_type
pm_bounce_type(json_t *o)
{
	json_t *code = pm_get(o, "TypeCode");
	enum feedback_type t = FEEDBACK_SOFT_BOUNCE;
	size_t i;

	for (i = 0; json_is_integer(code) &&
	            i < sizeof(pm_bounce_codes) / sizeof(pm_bounce_codes[0]);
	     i++)
		if (pm_bounce_codes[i].code == json_integer_value(code)) {
			t = pm_bounce_codes[i].type;
			break;
		}
	if (t == FEEDBACK_SOFT_BOUNCE && json_is_true(pm_get(o, "Inactive")))
		t = FEEDBACK_HARD_BOUNCE;
	return t;
}

/* pm_time - the first of the RFC 3339 members keys present, in ms. */
static int64_t
pm_time(json_t *o, const char *const *keys)
{
	const char *s;
	int64_t t;

	for (; *keys != NULL; keys++) {
		s = pm_str(o, *keys);
		if (s[0] != '\0' && rfc3339_parse(s, strlen(s), &t) == 0)
			return t * 1000;
	}
	return 0;
}

/* pm_event - one record o into e. 0, or -1 with err. */
static int
pm_event(json_t *o, const char *provider, struct feedback_event *e, char *err,
         size_t errlen)
{
	static const char *const times[] = {"DeliveredAt", "BouncedAt",
	                                    "ChangedAt",   "ReceivedAt",
	                                    "FirstOpen",   NULL};
	const char *rt = pm_str(o, "RecordType"),
	           *msgid = pm_str(o, "MessageID");
	const char *rcpt = pm_str(o, "Recipient"), *when = "";
	json_t *id = pm_get(o, "ID"), *meta = pm_get(o, "Metadata");
	struct buf diag;
	size_t i;

	memset(e, 0, sizeof(*e));
	if (!json_is_object(o)) {
		snprintf(err, errlen, "an event is not a JSON object");
		return -1;
	}
	if (rcpt[0] == '\0')
		rcpt = pm_str(o, "Email");
	feedback_set(e->provider, sizeof(e->provider), provider);
	feedback_set(e->provider_msg_id, sizeof(e->provider_msg_id), msgid);
	feedback_set(e->provider_type, sizeof(e->provider_type), rt);
	feedback_set(e->provider_subtype, sizeof(e->provider_subtype),
	             pm_str(o, "Type"));
	if (json_is_object(meta))
		feedback_set(e->swerve_id, sizeof(e->swerve_id),
		             pm_str(meta, "swerve_id"));
	pm_recipient(e, rcpt);
	e->occurred_ms = pm_time(o, times);
	if (strcasecmp(rt, "Delivery") == 0) {
		e->type = FEEDBACK_DELIVERED;
	} else if (strcasecmp(rt, "Bounce") == 0) {
		e->type = pm_bounce_type(o);
	} else if (strcasecmp(rt, "SpamComplaint") == 0) {
		e->type = FEEDBACK_COMPLAINT;
	} else if (strcasecmp(rt, "SubscriptionChange") == 0) {
		e->type = json_is_true(pm_get(o, "SuppressSending"))
		              ? FEEDBACK_UNSUBSCRIBE
		              : FEEDBACK_OTHER;
		feedback_set(e->provider_subtype, sizeof(e->provider_subtype),
		             pm_str(o, "SuppressionReason"));
	} else {
		e->type = FEEDBACK_OTHER;
	}
	/* Bounces and complaints have Postmark's own id; the others are
	 * named by what they are about, which a retry repeats. */
	if (json_is_integer(id) &&
	    (e->type != FEEDBACK_DELIVERED &&
	     strcasecmp(rt, "SubscriptionChange") != 0)) {
		snprintf(e->event_id, sizeof(e->event_id), "%s:%lld",
		         e->type == FEEDBACK_COMPLAINT ? "complaint" : "bounce",
		         (long long)json_integer_value(id));
	} else if (msgid[0] != '\0') {
		for (i = 0; times[i] != NULL && when[0] == '\0'; i++)
			when = pm_str(o, times[i]);
		snprintf(e->event_id, sizeof(e->event_id), "%s:%.64s:%.40s:%s",
		         rt[0] ? rt : "?", msgid, e->recipient, when);
	} else {
		snprintf(err, errlen, "an event without MessageID or ID");
		return -1;
	}
	buf_init(&diag);
	buf_addstr(&diag, pm_str(o, "Description"));
	if (pm_str(o, "Details")[0] != '\0') {
		if (diag.len > 0)
			buf_addstr(&diag, " ");
		buf_addstr(&diag, pm_str(o, "Details"));
	}
	feedback_set(e->diagnostic, sizeof(e->diagnostic), buf_cstr(&diag));
	pm_codes(e, pm_str(o, "Details"));
	buf_fini(&diag);
	return 0;
}

int
feedback_postmark_parse(const char *body, size_t len, const char *provider,
                        struct feedback_event **out, size_t *n, char *err,
                        size_t errlen)
{
	json_error_t je;
	json_t *root, *o;
	size_t i, count;

	*out = NULL;
	*n = 0;
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		snprintf(err, errlen, "not JSON: %s", je.text);
		return -1;
	}
	if (!json_is_object(root) && !json_is_array(root)) {
		snprintf(err, errlen, "expected a JSON object");
		json_decref(root);
		return -1;
	}
	count = json_is_array(root) ? json_array_size(root) : 1;
	*out = xcalloc(count ? count : 1, sizeof(**out));
	for (i = 0; i < count; i++) {
		o = json_is_array(root) ? json_array_get(root, i) : root;
		if (pm_event(o, provider, &(*out)[i], err, errlen) != 0) {
			free(*out);
			*out = NULL;
			json_decref(root);
			return -1;
		}
	}
	*n = count;
	json_decref(root);
	return 0;
}

/* pm_verify - the route's call: the request against events.*. */
static enum feedback_check
pm_verify(struct feedback_source *src, const struct feedback_request *req,
          char *err, size_t errlen)
{
	const struct config_events *ev = &src->provider->events;

	return feedback_postmark_verify(
	    feedback_request_header(req, "Authorization"), req->peer,
	    ev->username, ev->password, ev->networks, ev->n_networks, err,
	    errlen);
}

const struct feedback_source_ops feedback_postmark_ops = {
    .type = "postmark",
    .verify = pm_verify,
    .parse = feedback_postmark_parse,
};
