/*
 * feedback_sns_fetch.c - the asynchronous half of SNS verification: the
 * signing certificate fetched over HTTPS on the loop and cached, and
 * SubscriptionConfirmation followed (see feedback_sns_fetch.h).
 *
 * A request is checked in this order, and the first refusal answers:
 * the envelope parses (400), x-amz-sns-message-type agrees with Type
 * (400), TopicArn is allowed (403), SigningCertURL and SubscribeURL pass
 * the pin (403); then the certificate comes from the cache or is fetched
 * (failure: 503, SNS retries), must chain to a trust anchor (401), and
 * the signature must verify with it (401). Nothing is fetched for a
 * message that fails the first checks, so a forged post costs no
 * request to anyone.
 *
 * The cache holds at most FEEDBACK_SNS_CACHE certificates by URL (the
 * least recently used ready one makes room), each until it expires or
 * for a day, whichever is first; posts that name a certificate being
 * fetched wait for that one fetch. Runs on the loop thread.
 */
#include "ingress/feedback_sns_fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "ingress/feedback_sns.h"
#include "net/http_client.h"

#define SNS_CERT_TTL_MS (24 * 3600 * 1000LL) /* re-fetch once a day */

/* One certificate: ready (key set) or being fetched (call set). */
struct sns_cert {
	char *url; /* NULL: a free slot */
	EVP_PKEY *key;
	int64_t expires_ms;
	uint64_t used; /* last use, for eviction */
	struct http_call *call;
	struct feedback_verify *waiters; /* verifications waiting for it */
	struct sns_state *st;
};

struct sns_state {
	struct feedback_source *src;
	struct http_client *http;
	X509_STORE *store;
	struct sns_cert certs[FEEDBACK_SNS_CACHE];
	uint64_t clock; /* use counter */
};

struct feedback_verify {
	struct sns_state *st;
	struct feedback_sns_msg msg;
	struct sns_cert *wait; /* the certificate waited for, or NULL */
	struct feedback_verify *next;
	struct http_call *confirm; /* the SubscribeURL request */
	feedback_verify_done_fn *done;
	void *arg;
};

int
feedback_sns_init(struct feedback_source *src, char *err, size_t errlen)
{
	const struct config_events *e = &src->provider->events;
	struct http_client_opts o = {
	    .name = "sns",
	    .max_in_flight = 4,
	    .connect_timeout_ms = 5000,
	    .total_timeout_ms = 10000,
	    .max_body = FEEDBACK_SNS_CERT_MAX,
	    .ca_file = e->sns_trust_anchor,
	};
	struct sns_state *st = xcalloc(1, sizeof(*st));

	st->src = src;
	st->store = feedback_sns_store_new(e->sns_trust_anchor, err, errlen);
	if (st->store == NULL)
		goto fail;
	if (src->base != NULL &&
	    (st->http = http_client_new(src->base, &o)) == NULL) {
		snprintf(err, errlen, "cannot set up an HTTPS client");
		goto fail;
	}
	src->state = st;
	return 0;
fail:
	X509_STORE_free(st->store);
	free(st);
	return -1;
}

/* sns_cert_clear - make c a free slot. */
static void
sns_cert_clear(struct sns_cert *c)
{
	if (c->call != NULL)
		http_call_cancel(c->call);
	EVP_PKEY_free(c->key);
	free(c->url);
	memset(c, 0, sizeof(*c));
}

void
feedback_sns_fini(struct feedback_source *src)
{
	struct sns_state *st = src->state;
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < FEEDBACK_SNS_CACHE; i++)
		sns_cert_clear(&st->certs[i]);
	http_client_free(st->http);
	X509_STORE_free(st->store);
	free(st);
	src->state = NULL;
}

/* sns_verify_free - release v (no longer waiting for anything). */
static void
sns_verify_free(struct feedback_verify *v)
{
	feedback_sns_msg_fini(&v->msg);
	free(v);
}

/* sns_finish - tell v's caller c and free v. */
static void
sns_finish(struct feedback_verify *v, enum feedback_check c, const char *why)
{
	feedback_verify_done_fn *done = v->done;
	void *arg = v->arg;

	sns_verify_free(v);
	done(c, why, arg);
}

/* sns_confirm_done - the answer to GET SubscribeURL. */
static void
sns_confirm_done(const struct http_response *resp, void *arg)
{
	struct feedback_verify *v = arg;
	const char *name = v->st->src->provider->name;

	v->confirm = NULL;
	if (resp->error == HTTP_CLIENT_OK && resp->status == 200) {
		log_info("feedback: %s: SNS subscription to %.*s confirmed",
		         name, (int)v->msg.topic_arn.len, v->msg.topic_arn.p);
		sns_finish(v, FEEDBACK_CHECK_DONE, NULL);
		return;
	}
	log_warn("feedback: %s: confirming the SNS subscription failed (%s, "
	         "HTTP %d); SNS will retry, or: swervectl events confirm %s "
	         "'%.*s'",
	         name, http_client_error_name(resp->error), resp->status, name,
	         (int)v->msg.subscribe_url.len, v->msg.subscribe_url.p);
	sns_finish(v, FEEDBACK_CHECK_UNAVAILABLE, "subscription not confirmed");
}

/* sns_verified - v's signature holds: what its type asks for. */
static void
sns_verified(struct feedback_verify *v)
{
	const struct config_events *e = &v->st->src->provider->events;
	const char *name = v->st->src->provider->name;
	struct http_request req = {.method = "GET"};

	if (v->msg.type == FEEDBACK_SNS_NOTIFICATION) {
		sns_finish(v, FEEDBACK_CHECK_OK, NULL);
		return;
	}
	if (v->msg.type == FEEDBACK_SNS_UNSUBSCRIBE) {
		log_warn("feedback: %s: SNS says the subscription to %.*s was "
		         "removed",
		         name, (int)v->msg.topic_arn.len, v->msg.topic_arn.p);
		sns_finish(v, FEEDBACK_CHECK_DONE, NULL);
		return;
	}
	if (!e->auto_confirm || v->st->http == NULL) {
		log_warn("feedback: %s: SNS subscription to %.*s waits for an "
		         "operator: swervectl events confirm %s '%.*s'",
		         name, (int)v->msg.topic_arn.len, v->msg.topic_arn.p,
		         name, (int)v->msg.subscribe_url.len,
		         v->msg.subscribe_url.p);
		sns_finish(v, FEEDBACK_CHECK_DONE, NULL);
		return;
	}
	req.url = v->msg.subscribe_url.p;
	v->confirm = http_client_submit(v->st->http, &req, sns_confirm_done, v);
	if (v->confirm == NULL)
		sns_finish(v, FEEDBACK_CHECK_UNAVAILABLE,
		           "cannot request SubscribeURL");
}

/* sns_check_with - check v's signature with key and go on. */
static void
sns_check_with(struct feedback_verify *v, EVP_PKEY *key)
{
	char why[128];

	if (feedback_sns_signature_check(&v->msg, key, why, sizeof(why)) < 0)
		sns_finish(v, FEEDBACK_CHECK_AUTH, why);
	else
		sns_verified(v);
}

/* sns_cert_fetched - the answer to GET SigningCertURL: wake every
 * verification waiting for it. */
static void
sns_cert_fetched(const struct http_response *resp, void *arg)
{
	struct sns_cert *c = arg;
	struct sns_state *st = c->st;
	struct feedback_verify *v;
	enum feedback_check fail = FEEDBACK_CHECK_UNAVAILABLE;
	char why[160];
	int64_t now = clock_wall_ms(), not_after = 0;

	c->call = NULL;
	if (resp->error != HTTP_CLIENT_OK || resp->status != 200)
		snprintf(why, sizeof(why),
		         "fetching the signing certificate: %s, HTTP %d",
		         http_client_error_name(resp->error), resp->status);
	else if (feedback_sns_cert_check(resp->body, resp->body_len, st->store,
	                                 now, &c->key, &not_after, why,
	                                 sizeof(why)) < 0)
		fail = FEEDBACK_CHECK_AUTH;
	if (c->key == NULL)
		log_warn("feedback: %s: %s: %s", st->src->provider->name,
		         c->url, why);
	else
		c->expires_ms =
		    not_after > 0 && not_after < now + SNS_CERT_TTL_MS
		        ? not_after
		        : now + SNS_CERT_TTL_MS;
	while ((v = c->waiters) != NULL) {
		c->waiters = v->next;
		v->wait = NULL;
		if (c->key != NULL)
			sns_check_with(v, c->key);
		else
			sns_finish(v, fail, why);
	}
	if (c->key == NULL)
		sns_cert_clear(c);
}

/* sns_cert_slot - the entry for url: found (ready and fresh, or being
 * fetched), or a new one taking a free or the least recently used ready
 * slot (*fresh set); NULL when every slot is being fetched. */
static struct sns_cert *
sns_cert_slot(struct sns_state *st, const char *url, int64_t now, bool *fresh)
{
	struct sns_cert *c, *pick = NULL;
	size_t i;

	*fresh = false;
	for (i = 0; i < FEEDBACK_SNS_CACHE; i++) {
		c = &st->certs[i];
		if (c->url != NULL && strcmp(c->url, url) == 0 &&
		    (c->call != NULL || c->expires_ms > now)) {
			c->used = ++st->clock;
			return c;
		}
	}
	for (i = 0; i < FEEDBACK_SNS_CACHE; i++) {
		c = &st->certs[i];
		if (c->call != NULL)
			continue;
		if (c->url == NULL || c->expires_ms <= now) {
			pick = c;
			break;
		}
		if (pick == NULL || c->used < pick->used)
			pick = c;
	}
	if (pick == NULL)
		return NULL;
	sns_cert_clear(pick);
	pick->url = xstrdup(url);
	pick->st = st;
	pick->used = ++st->clock;
	*fresh = true;
	return pick;
}

/* sns_precheck - what can be refused before any certificate: the
 * envelope, the type header, the topic, the URLs. */
static enum feedback_check
sns_precheck(struct sns_state *st, const struct feedback_request *req,
             struct feedback_sns_msg *m, char *why, size_t whylen)
{
	const struct config_events *e = &st->src->provider->events;
	const char *hdr =
	    feedback_request_header(req, "x-amz-sns-message-type");
	size_t i;

	if (feedback_sns_msg_parse(req->body, req->body_len, m, why, whylen) <
	    0)
		return FEEDBACK_CHECK_MALFORMED;
	if (hdr != NULL && strcmp(hdr, m->type_name.p) != 0) {
		snprintf(why, whylen, "x-amz-sns-message-type is not Type");
		return FEEDBACK_CHECK_MALFORMED;
	}
	for (i = 0; i < e->n_topic_arns; i++)
		if (strlen(e->topic_arns[i]) == m->topic_arn.len &&
		    memcmp(e->topic_arns[i], m->topic_arn.p,
		           m->topic_arn.len) == 0)
			break;
	if (i == e->n_topic_arns) {
		struct log_quoted q =
		    log_quote_n(m->topic_arn.p, m->topic_arn.len);
		snprintf(why, whylen, "TopicArn %.120s not allowed", q.s);
		return FEEDBACK_CHECK_FORBIDDEN;
	}
	if (!feedback_sns_url_check(m->signing_cert_url.p,
	                            m->signing_cert_url.len, e->sns_cert_host,
	                            FEEDBACK_SNS_URL_CERT, why, whylen))
		return FEEDBACK_CHECK_FORBIDDEN;
	if (m->type == FEEDBACK_SNS_SUBSCRIBE &&
	    !feedback_sns_url_check(m->subscribe_url.p, m->subscribe_url.len,
	                            e->sns_cert_host,
	                            FEEDBACK_SNS_URL_SUBSCRIBE, why, whylen))
		return FEEDBACK_CHECK_FORBIDDEN;
	return FEEDBACK_CHECK_OK;
}

struct feedback_verify *
feedback_sns_verify_start(struct feedback_source *src,
                          const struct feedback_request *req,
                          feedback_verify_done_fn *done, void *arg)
{
	struct sns_state *st = src->state;
	struct feedback_verify *v = xcalloc(1, sizeof(*v));
	struct http_request get = {.method = "GET"};
	enum feedback_check c;
	struct sns_cert *cert;
	char why[200];
	bool fresh;

	v->st = st;
	v->done = done;
	v->arg = arg;
	c = sns_precheck(st, req, &v->msg, why, sizeof(why));
	if (c != FEEDBACK_CHECK_OK) {
		sns_finish(v, c, why);
		return NULL;
	}
	cert =
	    sns_cert_slot(st, v->msg.signing_cert_url.p, req->now_ms, &fresh);
	if (cert == NULL || (fresh && st->http == NULL)) {
		if (cert != NULL)
			sns_cert_clear(cert);
		sns_finish(v, FEEDBACK_CHECK_UNAVAILABLE,
		           "too many signing certificates being fetched");
		return NULL;
	}
	if (cert->key != NULL) {
		sns_check_with(v, cert->key);
		return NULL;
	}
	if (fresh) {
		get.url = cert->url;
		cert->call =
		    http_client_submit(st->http, &get, sns_cert_fetched, cert);
		if (cert->call == NULL) {
			sns_cert_clear(cert);
			sns_finish(v, FEEDBACK_CHECK_UNAVAILABLE,
			           "cannot request SigningCertURL");
			return NULL;
		}
	}
	v->wait = cert;
	v->next = cert->waiters;
	cert->waiters = v;
	return v;
}

void
feedback_sns_verify_cancel(struct feedback_verify *v)
{
	struct feedback_verify **pp;

	if (v == NULL)
		return;
	if (v->wait != NULL)
		for (pp = &v->wait->waiters; *pp != NULL; pp = &(*pp)->next)
			if (*pp == v) {
				*pp = v->next;
				break;
			}
	if (v->confirm != NULL)
		http_call_cancel(v->confirm);
	sns_verify_free(v);
}

int
feedback_sns_cert_put(struct feedback_source *src, const char *url,
                      EVP_PKEY *key, int64_t expires_ms)
{
	struct sns_state *st = src->state;
	struct sns_cert *c;
	bool fresh;

	c = sns_cert_slot(st, url, expires_ms - 1, &fresh);
	if (c == NULL || c->call != NULL)
		return -1;
	EVP_PKEY_free(c->key);
	EVP_PKEY_up_ref(key);
	c->key = key;
	c->expires_ms = expires_ms;
	return 0;
}

size_t
feedback_sns_cert_count(const struct feedback_source *src)
{
	const struct sns_state *st = src->state;
	size_t i, n = 0;

	for (i = 0; i < FEEDBACK_SNS_CACHE; i++)
		n += st->certs[i].key != NULL;
	return n;
}
