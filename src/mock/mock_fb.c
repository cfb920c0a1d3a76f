/*
 * mock_fb.c - swerve-mock emits delivery feedback: rules, the queue, the
 * sender thread and the /feedback control routes (see mock_fb.h).
 *
 * The loop thread builds each event's payload and queues a job; the
 * sender thread owns a job once queued. The configuration is read by the
 * loop thread only; a job carries a copy of its target (the SendGrid key
 * by reference count).
 */
#include "mock/mock_fb.h"

#include <ctype.h>
#include <curl/curl.h>
#include <event2/http.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"

enum { FB_SG, FB_MG, FB_PM, FB_RS, FB_SES, FB_SMTP, FB_NAPI };
static const char *const fb_apis[FB_NAPI] = {"sendgrid", "mailgun", "postmark",
                                             "resend",   "ses",     "smtp"};

#define FB_SMTP_TIMEOUT_MS 10000

struct fb_job {
	struct fb_job *next;
	int api;
	struct mock_fb_target t;
	json_t *payload; /* owned */
	unsigned attempts;
	uint64_t due_ms; /* monotonic */
};

struct mock_fb {
	struct mock *m;
	struct mock_fb_rules rules;
	struct mock_fb_target t[FB_NAPI];
	unsigned retry_ms, max_attempts;
	unsigned after_ms; /* before the first attempt */
	unsigned seq;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	struct fb_job *queue; /* unsorted */
	/* Counters (under mu). */
	uint64_t queued, posted, retried, failed, in_flight;
	/* The SNS stand-in (SES target): the signing certificate file it
	 * serves, its name, the host in the URLs, the subscription. */
	struct {
		char *cert_pem;
		char hex[33];
		char host[256];         /* configured cert_host, or "" */
		char default_host[256]; /* the listener's */
		char token[65];
		bool confirmed; /* under mu: the sender thread reads it */
	} sns;
};

static void fb_sns_configure(struct mock_fb *fb, const json_t *cfg,
                             char *cert_pem, bool subscribe);
static void fb_enqueue_at(struct mock_fb *fb, int api, json_t *payload,
                          unsigned after_ms);

int
mock_fb_rate_parse(const char *s, unsigned *ppm)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	if (*end == '%') {
		v /= 100.0;
		end++;
	}
	if (*end != '\0' || v > 1.0)
		return -1;
	*ppm = (unsigned)(v * 1e6 + 0.5);
	return 0;
}

static const struct {
	const char *prefix;
	enum mock_fb_outcome o;
} fb_prefixes[] = {
    {"bounce-", MOCK_FB_HARD},
    {"soft-", MOCK_FB_SOFT},
    {"complaint-", MOCK_FB_COMPLAINT},
    {"delay-", MOCK_FB_DELAY},
};

enum mock_fb_outcome
mock_fb_outcome_of(const struct mock_fb_rules *r, const char *rcpt)
{
	uint64_t h = 1469598103934665603ULL;
	unsigned band, edge;
	const char *p;
	size_t i;

	for (i = 0; i < sizeof(fb_prefixes) / sizeof(fb_prefixes[0]); i++)
		if (strncasecmp(rcpt, fb_prefixes[i].prefix,
		                strlen(fb_prefixes[i].prefix)) == 0)
			return fb_prefixes[i].o;
	for (p = rcpt; *p; p++)
		h = (h ^ (unsigned char)tolower((unsigned char)*p)) *
		    1099511628211ULL;
	band = (unsigned)((h ^ (h >> 29)) % 1000000u);
	edge = r->hard_ppm;
	if (band < edge)
		return MOCK_FB_HARD;
	if (band < (edge += r->soft_ppm))
		return MOCK_FB_SOFT;
	if (band < (edge += r->complaint_ppm))
		return MOCK_FB_COMPLAINT;
	if (band < edge + r->delay_ppm)
		return MOCK_FB_DELAY;
	return MOCK_FB_DELIVERED;
}

int
mock_fb_outcome_lookup(const char *name, enum mock_fb_outcome *out)
{
	static const struct {
		const char *name;
		enum mock_fb_outcome o;
	} names[] = {
	    {"delivered", MOCK_FB_DELIVERED}, {"bounce", MOCK_FB_HARD},
	    {"hard_bounce", MOCK_FB_HARD},    {"soft_bounce", MOCK_FB_SOFT},
	    {"complaint", MOCK_FB_COMPLAINT}, {"delay", MOCK_FB_DELAY},
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i].name, name) == 0) {
			*out = names[i].o;
			return 0;
		}
	return -1;
}

/* fb_target_clear - release a target's key and zero it. */
static void
fb_target_clear(struct mock_fb_target *t)
{
	EVP_PKEY_free(t->key);
	memset(t, 0, sizeof(*t));
}

/* fb_job_free - release a job. */
static void
fb_job_free(struct fb_job *j)
{
	json_decref(j->payload);
	fb_target_clear(&j->t);
	free(j);
}

/* fb_held - is j an SNS notification while the subscription waits for
 * its confirmation? (SNS delivers nothing to it until then.) Under mu. */
static bool
fb_held(const struct mock_fb *fb, const struct fb_job *j)
{
	const char *type;

	if (j->api != FB_SES || fb->sns.confirmed)
		return false;
	type = json_string_value(json_object_get(j->payload, "Type"));
	return type != NULL && strcmp(type, "Notification") == 0;
}

/* fb_take - the due job (removed), or NULL; *wait_ms: until the next. */
static struct fb_job *
fb_take(struct mock_fb *fb, uint64_t now, uint64_t *wait_ms)
{
	struct fb_job **pp, **best = NULL;

	*wait_ms = 1000;
	for (pp = &fb->queue; *pp != NULL; pp = &(*pp)->next)
		if (!fb_held(fb, *pp) &&
		    (best == NULL || (*pp)->due_ms < (*best)->due_ms))
			best = pp;
	if (best == NULL)
		return NULL;
	if ((*best)->due_ms > now) {
		*wait_ms = (*best)->due_ms - now;
		return NULL;
	}
	{
		struct fb_job *j = *best;
		*best = j->next;
		j->next = NULL;
		return j;
	}
}

/* fb_post_smtp - mail one report: as an HTTP status (200 taken, 503 a
 * 4xx or no connection, to retry; 400 a 5xx, dropped). */
static long
fb_post_smtp(struct fb_job *j)
{
	const char *rcpt =
	    json_string_value(json_object_get(j->payload, "rcpt"));
	const char *data =
	    json_string_value(json_object_get(j->payload, "data"));
	char why[256];
	int code;

	if (rcpt == NULL || data == NULL)
		return -1;
	code =
	    mock_fb_smtp_send(j->t.a, (unsigned)strtoul(j->t.b, NULL, 10), rcpt,
	                      data, FB_SMTP_TIMEOUT_MS, why, sizeof(why));
	if (code / 100 == 2)
		return 200;
	log_info("mock: feedback: report to <%s> at %s: %s", rcpt, j->t.url,
	         why);
	return code / 100 == 5 ? 400 : 503;
}

/* fb_post - one attempt: the HTTP status, or 0 when it did not connect. */
static long
fb_post(CURL *c, struct fb_job *j)
{
	struct mock_fb_headers hdr;
	struct curl_slist *list = NULL;
	char line[600], *body = NULL;
	long code = 0;
	size_t i;

	if (j->api == FB_SMTP)
		return fb_post_smtp(j);
	if (mock_fb_fmt_request(fb_apis[j->api], &j->t, j->payload,
	                        clock_wall_ms() / 1000, &body, &hdr) < 0)
		return -1;
	for (i = 0; i < hdr.n; i++) {
		snprintf(line, sizeof(line), "%s: %s", hdr.h[i][0],
		         hdr.h[i][1]);
		list = curl_slist_append(list, line);
	}
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, j->t.url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (j->api == FB_PM) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, j->t.a);
		curl_easy_setopt(c, CURLOPT_PASSWORD, j->t.b);
	}
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(list);
	free(body);
	return code;
}

/* fb_thread - the sender: post due jobs, requeue the retryable. */
static void *
fb_thread(void *arg)
{
	struct mock_fb *fb = arg;
	CURL *c = curl_easy_init();
	struct fb_job *j;
	uint64_t wait_ms;
	struct timespec ts;
	long code;

	pthread_mutex_lock(&fb->mu);
	while (!fb->stop) {
		j = fb_take(fb, clock_mono_ms(), &wait_ms);
		if (j == NULL) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += (time_t)(wait_ms / 1000);
			ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&fb->cv, &fb->mu, &ts);
			continue;
		}
		fb->in_flight++;
		pthread_mutex_unlock(&fb->mu);
		code = c != NULL ? fb_post(c, j) : -1;
		j->attempts++;
		pthread_mutex_lock(&fb->mu);
		fb->in_flight--;
		if (code >= 200 && code < 300) {
			fb->posted++;
			fb_job_free(j);
		} else if ((code == 0 || code == 429 || code >= 500) &&
		           j->attempts < fb->max_attempts) {
			fb->retried++;
			j->due_ms =
			    clock_mono_ms() +
			    ((uint64_t)fb->retry_ms
			     << (j->attempts - 1 < 10 ? j->attempts - 1 : 10));
			j->next = fb->queue;
			fb->queue = j;
		} else {
			fb->failed++;
			log_warn("mock: feedback: %s event to %s failed (%ld)",
			         fb_apis[j->api], j->t.url, code);
			fb_job_free(j);
		}
	}
	pthread_mutex_unlock(&fb->mu);
	curl_easy_cleanup(c);
	return NULL;
}

struct mock_fb *
mock_fb_new(struct mock *m)
{
	struct mock_fb *fb = xcalloc(1, sizeof(*fb));

	fb->m = m;
	fb->retry_ms = 1000;
	fb->max_attempts = 8;
	fb->after_ms = 1000;
	pthread_mutex_init(&fb->mu, NULL);
	pthread_cond_init(&fb->cv, NULL);
	if (pthread_create(&fb->thread, NULL, fb_thread, fb) != 0)
		log_panic("mock: feedback: cannot start the sender thread");
	return fb;
}

void
mock_fb_free(struct mock_fb *fb)
{
	struct fb_job *j;
	int i;

	if (fb == NULL)
		return;
	pthread_mutex_lock(&fb->mu);
	fb->stop = true;
	pthread_cond_signal(&fb->cv);
	pthread_mutex_unlock(&fb->mu);
	pthread_join(fb->thread, NULL);
	while ((j = fb->queue) != NULL) {
		fb->queue = j->next;
		fb_job_free(j);
	}
	for (i = 0; i < FB_NAPI; i++)
		fb_target_clear(&fb->t[i]);
	free(fb->sns.cert_pem);
	pthread_cond_destroy(&fb->cv);
	pthread_mutex_destroy(&fb->mu);
	free(fb);
}

/* fb_str - o's member key as a string into out; -1 if too long. */
static int
fb_str(const json_t *o, const char *key, char *out, size_t n)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL)
		s = "";
	if (strlen(s) >= n)
		return -1;
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/* fb_pem_key - the private key in the PEM file named by o's key, or
 * NULL. */
static EVP_PKEY *
fb_pem_key(const json_t *o, const char *key)
{
	char file[512];
	EVP_PKEY *k;
	FILE *f;

	if (fb_str(o, key, file, sizeof(file)) < 0 ||
	    (f = fopen(file, "r")) == NULL)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

/* fb_target_smtp - the "smtp" target: host and port of the bounce
 * listener. */
static int
fb_target_smtp(const json_t *o, struct mock_fb_target *t, char *why,
               size_t whylen)
{
	json_int_t port = json_integer_value(json_object_get(o, "port"));
	char url[sizeof(t->url)];

	if (fb_str(o, "host", t->a, sizeof(t->a)) < 0 || t->a[0] == '\0' ||
	    port < 1 || port > 65535) {
		snprintf(why, whylen,
		         "smtp: needs host and port (1..65535) of swerved's "
		         "listen.bounce");
		return -1;
	}
	snprintf(t->b, sizeof(t->b), "%d", (int)port);
	/* Through a copy: gcc -O2 takes t->a and t->url for one object. */
	snprintf(url, sizeof(url), "smtp://%.255s:%d", t->a, (int)port);
	memcpy(t->url, url, sizeof(url));
	return 0;
}

/* fb_target_ses - the "ses" target: url, topic_arn, the RSA signing
 * key, the signature version; the certificate file goes to *cert_pem
 * (heap). */
static int
fb_target_ses(const json_t *o, struct mock_fb_target *t, char **cert_pem,
              char *why, size_t whylen)
{
	const json_t *v = json_object_get(o, "signature_version");
	char file[512];
	struct buf pem;
	FILE *f;
	size_t n;

	*cert_pem = NULL;
	t->version = v == NULL ? 2 : (int)json_integer_value(v);
	if (fb_str(o, "url", t->url, sizeof(t->url)) < 0 || t->url[0] == '\0' ||
	    fb_str(o, "topic_arn", t->a, sizeof(t->a)) < 0 ||
	    strncmp(t->a, "arn:aws:sns:", 12) != 0 ||
	    (t->version != 1 && t->version != 2) ||
	    (t->key = fb_pem_key(o, "signing_key_file")) == NULL ||
	    EVP_PKEY_get_base_id(t->key) != EVP_PKEY_RSA ||
	    fb_str(o, "signing_cert_file", file, sizeof(file)) < 0 ||
	    (f = fopen(file, "r")) == NULL) {
		snprintf(why, whylen,
		         "ses: needs url, topic_arn (arn:aws:sns:...), "
		         "signing_key_file (an RSA key, PEM), "
		         "signing_cert_file (PEM) and signature_version 1 "
		         "or 2");
		return -1;
	}
	buf_init(&pem);
	buf_reserve(&pem, 4096);
	while ((n = fread(pem.p + pem.len, 1, 4096, f)) > 0 &&
	       pem.len + n < 256 * 1024) {
		pem.len += n;
		buf_reserve(&pem, 4096);
	}
	fclose(f);
	if (strstr(buf_cstr(&pem), "-----BEGIN CERTIFICATE-----") == NULL) {
		buf_fini(&pem);
		snprintf(why, whylen,
		         "ses: signing_cert_file holds no PEM certificate");
		return -1;
	}
	*cert_pem = buf_steal(&pem, NULL);
	return 0;
}

/* fb_target_parse - one API's target object into t (*cert_pem: the SES
 * signing certificate file). */
static int
fb_target_parse(int api, const json_t *o, struct mock_fb_target *t,
                char **cert_pem, char *why, size_t whylen)
{
	char file[512];
	FILE *f;

	memset(t, 0, sizeof(*t));
	if (api == FB_SMTP)
		return fb_target_smtp(o, t, why, whylen);
	if (api == FB_SES) {
		if (fb_target_ses(o, t, cert_pem, why, whylen) == 0)
			return 0;
		fb_target_clear(t);
		return -1;
	}
	if (fb_str(o, "url", t->url, sizeof(t->url)) < 0 || t->url[0] == '\0')
		goto bad;
	if (api == FB_MG && fb_str(o, "signing_key", t->a, sizeof(t->a)) < 0)
		goto bad;
	if (api == FB_RS && fb_str(o, "secret", t->a, sizeof(t->a)) < 0)
		goto bad;
	if (api == FB_PM && (fb_str(o, "username", t->a, sizeof(t->a)) < 0 ||
	                     fb_str(o, "password", t->b, sizeof(t->b)) < 0))
		goto bad;
	if (api == FB_SG) {
		if (fb_str(o, "private_key_file", file, sizeof(file)) < 0 ||
		    (f = fopen(file, "r")) == NULL)
			goto bad;
		t->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
		if (t->key == NULL)
			goto bad;
	}
	return 0;
bad:
	snprintf(why, whylen, "%s: needs url and its secret (%s)", fb_apis[api],
	         api == FB_SG   ? "private_key_file, a readable PEM key"
	         : api == FB_MG ? "signing_key"
	         : api == FB_PM ? "username, password"
	                        : "secret");
	return -1;
}

int
mock_fb_configure(struct mock_fb *fb, const json_t *cfg, char *why,
                  size_t whylen)
{
	static const char *const rate_keys[] = {"bounce", "soft_bounce",
	                                        "complaint", "delay"};
	struct mock_fb_target t[FB_NAPI];
	struct mock_fb_rules rules = {0};
	char *cert_pem = NULL;
	bool subscribe;
	unsigned *ppm[] = {&rules.hard_ppm, &rules.soft_ppm,
	                   &rules.complaint_ppm, &rules.delay_ppm};
	const json_t *rules_o = json_object_get(cfg, "rules"), *v;
	json_int_t retry = 1000, attempts = 8, after = 1000;
	int i, n = 0;

	if (!json_is_object(cfg)) {
		snprintf(why, whylen, "expected a JSON object");
		return -1;
	}
	for (i = 0; i < 4; i++) {
		v = json_object_get(rules_o, rate_keys[i]);
		if (v != NULL &&
		    (!json_is_string(v) ||
		     mock_fb_rate_parse(json_string_value(v), ppm[i]) < 0)) {
			snprintf(
			    why, whylen,
			    "rules.%s: a rate like \"2%%\" or 0.02 as a string",
			    rate_keys[i]);
			return -1;
		}
	}
	if (rules.hard_ppm + rules.soft_ppm + rules.complaint_ppm +
	        rules.delay_ppm >
	    1000000u) {
		snprintf(why, whylen,
		         "rules: the rates add up to more than 100%%");
		return -1;
	}
	if ((v = json_object_get(cfg, "retry_ms")) != NULL)
		retry = json_integer_value(v);
	if ((v = json_object_get(cfg, "max_attempts")) != NULL)
		attempts = json_integer_value(v);
	if ((v = json_object_get(cfg, "after_ms")) != NULL)
		after = json_integer_value(v);
	if (retry < 1 || retry > 3600000 || attempts < 1 || attempts > 100 ||
	    after < 0 || after > 3600000) {
		snprintf(why, whylen,
		         "retry_ms must be 1..3600000, max_attempts 1..100, "
		         "after_ms 0..3600000");
		return -1;
	}
	for (i = 0; i < FB_NAPI; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		v = json_object_get(cfg, fb_apis[i]);
		if (v == NULL)
			continue;
		if (fb_target_parse(i, v, &t[i], &cert_pem, why, whylen) < 0) {
			while (--i >= 0)
				fb_target_clear(&t[i]);
			free(cert_pem);
			return -1;
		}
		n++;
	}
	v = json_object_get(json_object_get(cfg, "ses"), "subscribe");
	subscribe = v == NULL || json_is_true(v);
	for (i = 0; i < FB_NAPI; i++) {
		fb_target_clear(&fb->t[i]);
		fb->t[i] = t[i];
	}
	fb->rules = rules;
	pthread_mutex_lock(&fb->mu);
	fb->retry_ms = (unsigned)retry;
	fb->max_attempts = (unsigned)attempts;
	fb->after_ms = (unsigned)after;
	pthread_mutex_unlock(&fb->mu);
	fb_sns_configure(fb, cfg, cert_pem, subscribe);
	log_info("mock[%s]: feedback to %d API(s); bounce %u soft %u complaint "
	         "%u delay %u ppm",
	         fb->m->name, n, rules.hard_ppm, rules.soft_ppm,
	         rules.complaint_ppm, rules.delay_ppm);
	return 0;
}

/* fb_sns_url_host - the host of the SNS stand-in's URLs. */
static const char *
fb_sns_url_host(const struct mock_fb *fb)
{
	return fb->sns.host[0] != '\0' ? fb->sns.host : fb->sns.default_host;
}

/* fb_sns_configure - the SNS side of a new configuration: the
 * certificate (taken) and its name, and a new subscription, confirmed
 * at once when subscribe is false, else by the SubscriptionConfirmation
 * queued here (sent now, SNS's first message to a new endpoint). */
static void
fb_sns_configure(struct mock_fb *fb, const json_t *cfg, char *cert_pem,
                 bool subscribe)
{
	unsigned char md[32], rnd[32];
	json_t *env;
	size_t i;

	free(fb->sns.cert_pem);
	fb->sns.cert_pem = cert_pem;
	fb->sns.hex[0] = fb->sns.token[0] = '\0';
	if (fb_str(json_object_get(cfg, "ses"), "cert_host", fb->sns.host,
	           sizeof(fb->sns.host)) < 0)
		fb->sns.host[0] = '\0';
	pthread_mutex_lock(&fb->mu);
	fb->sns.confirmed = !subscribe;
	pthread_mutex_unlock(&fb->mu);
	if (cert_pem == NULL)
		return;
	/* SNS names its certificate by a hex string; here a hash of it, so
	 * a new certificate gets a new URL. */
	SHA256((const unsigned char *)cert_pem, strlen(cert_pem), md);
	for (i = 0; i < 16; i++)
		snprintf(fb->sns.hex + 2 * i, 3, "%02x", md[i]);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		log_panic("mock: feedback: RAND_bytes failed");
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(fb->sns.token + 2 * i, 3, "%02x", rnd[i]);
	if (!subscribe)
		return;
	env = mock_fb_sns_envelope("SubscriptionConfirmation", fb->t[FB_SES].a,
	                           NULL, fb->sns.token, fb_sns_url_host(fb),
	                           fb->sns.hex, fb->t[FB_SES].version,
	                           clock_wall_ms());
	if (env == NULL)
		log_panic("mock: feedback: cannot build an SNS message");
	fb_enqueue_at(fb, FB_SES, env, 0);
}

const char *
mock_fb_sns_cert(const struct mock_fb *fb, const char *path)
{
	static const char pre[] = "/SimpleNotificationService-";
	size_t n = sizeof(pre) - 1, h = strlen(fb->sns.hex);

	if (fb->sns.cert_pem == NULL || strncmp(path, pre, n) != 0 ||
	    strncmp(path + n, fb->sns.hex, h) != 0 ||
	    strcmp(path + n + h, ".pem") != 0)
		return NULL;
	return fb->sns.cert_pem;
}

int
mock_fb_sns_confirm(struct mock_fb *fb, const char *topic, const char *token)
{
	if (fb->sns.token[0] == '\0' || fb->t[FB_SES].a[0] == '\0' ||
	    strcmp(topic, fb->t[FB_SES].a) != 0 ||
	    strcmp(token, fb->sns.token) != 0)
		return -1;
	pthread_mutex_lock(&fb->mu);
	fb->sns.confirmed = true;
	pthread_cond_signal(&fb->cv);
	pthread_mutex_unlock(&fb->mu);
	log_info("mock[%s]: feedback: SNS subscription to %s confirmed",
	         fb->m->name, topic);
	return 0;
}

int
mock_fb_sns_unsubscribe(struct mock_fb *fb, const char *topic)
{
	if (fb->t[FB_SES].a[0] == '\0' || strcmp(topic, fb->t[FB_SES].a) != 0)
		return -1;
	pthread_mutex_lock(&fb->mu);
	fb->sns.confirmed = false;
	pthread_mutex_unlock(&fb->mu);
	log_info("mock[%s]: feedback: SNS subscription to %s removed",
	         fb->m->name, topic);
	return 0;
}

void
mock_fb_sns_host(struct mock_fb *fb, const char *host)
{
	snprintf(fb->sns.default_host, sizeof(fb->sns.default_host), "%s",
	         host);
}

/* fb_sns_confirmed - is the SNS subscription confirmed? */
static bool
fb_sns_confirmed(struct mock_fb *fb)
{
	bool c;

	pthread_mutex_lock(&fb->mu);
	c = fb->sns.confirmed;
	pthread_mutex_unlock(&fb->mu);
	return c;
}

/* fb_api_of - the index of a store's via, or -1. */
static int
fb_api_of(const char *via)
{
	int i;

	for (i = 0; i < FB_NAPI; i++)
		if (strcmp(via, fb_apis[i]) == 0)
			return i;
	return -1;
}

/* fb_enqueue_at - queue payload (taken) for api, due after_ms from now
 * (UINT_MAX: the configured after_ms). */
static void
fb_enqueue_at(struct mock_fb *fb, int api, json_t *payload, unsigned after_ms)
{
	struct fb_job *j = xcalloc(1, sizeof(*j));

	j->api = api;
	j->t = fb->t[api];
	if (j->t.key != NULL)
		EVP_PKEY_up_ref(j->t.key);
	j->payload = payload;
	pthread_mutex_lock(&fb->mu);
	j->due_ms =
	    clock_mono_ms() + (after_ms == UINT_MAX ? fb->after_ms : after_ms);
	j->next = fb->queue;
	fb->queue = j;
	fb->queued++;
	pthread_cond_signal(&fb->cv);
	pthread_mutex_unlock(&fb->mu);
}

/* fb_sns_wrap - the SES event ses (taken) in an unsigned SNS
 * Notification for the configured topic. */
static json_t *
fb_sns_wrap(struct mock_fb *fb, json_t *ses)
{
	char *text = json_dumps(ses, JSON_COMPACT);
	json_t *env = NULL;

	json_decref(ses);
	if (text != NULL)
		env = mock_fb_sns_envelope("Notification", fb->t[FB_SES].a,
		                           text, NULL, fb_sns_url_host(fb),
		                           fb->sns.hex, fb->t[FB_SES].version,
		                           clock_wall_ms());
	free(text);
	return env;
}

/* fb_mail_job - the SMTP job for ev about msg: the report and where it
 * goes (msg's envelope sender), or NULL when ev has no report. */
static json_t *
fb_mail_job(const struct mock_fb_event *ev, const struct mock_msg *msg)
{
	char *text =
	    mock_fb_mail_report(ev, msg->mail_from, msg->data, msg->len);
	json_t *job;

	if (text == NULL)
		return NULL;
	job = json_pack("{s:s,s:s}", "rcpt", msg->mail_from, "data", text);
	free(text);
	return job;
}

/* fb_emit - queue what outcome o means for recipient i of msg (or every
 * recipient when i is (size_t)-1 and o < 0: by the rules). Returns the
 * number of events. */
static size_t
fb_emit(struct mock_fb *fb, const struct mock_msg *msg, const char *rcpt,
        int forced)
{
	static const int kinds[MOCK_FB_COUNT][2] = {
	    [MOCK_FB_DELIVERED] = {0, -1}, [MOCK_FB_HARD] = {1, -1},
	    [MOCK_FB_SOFT] = {2, -1},      [MOCK_FB_COMPLAINT] = {0, 3},
	    [MOCK_FB_DELAY] = {4, 0},
	};
	int api = fb_api_of(msg->via);
	struct mock_fb_event ev;
	json_t *api_rec, *batch = NULL, *one;
	size_t i, k, n = 0;
	int o;

	if (api < 0 || fb->t[api].url[0] == '\0')
		return 0;
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.api, sizeof(ev.api), "%s", fb_apis[api]);
	snprintf(ev.msg_id, sizeof(ev.msg_id), "%s", msg->id);
	snprintf(ev.from, sizeof(ev.from), "%s", msg->mail_from);
	api_rec = msg->api != NULL ? json_loads(msg->api, 0, NULL) : NULL;
	snprintf(
	    ev.provider_id, sizeof(ev.provider_id), "%s",
	    json_string_value(json_object_get(api_rec, "provider_message_id"))
	        ? json_string_value(
	              json_object_get(api_rec, "provider_message_id"))
	        : msg->id);
	if (api == FB_SES) {
		const json_t *req = json_object_get(api_rec, "request");
		ev.tags = json_object_get(req, "tags");
		ev.config_set = json_string_value(
		    json_object_get(req, "configuration_set"));
	}
	if (api == FB_SMTP && msg->mail_from[0] == '\0') {
		json_decref(api_rec); /* the null sender: nowhere to report */
		return 0;
	}
	if (api == FB_SG)
		batch = json_array();
	for (i = 0; i < msg->nrcpt; i++) {
		if (rcpt != NULL && strcasecmp(rcpt, msg->rcpt[i]) != 0)
			continue;
		o = forced >= 0
		        ? forced
		        : (int)mock_fb_outcome_of(&fb->rules, msg->rcpt[i]);
		snprintf(ev.rcpt, sizeof(ev.rcpt), "%s", msg->rcpt[i]);
		for (k = 0; k < 2 && kinds[o][k] >= 0; k++) {
			ev.kind = kinds[o][k];
			/* The second event of a pair happens a second later
			 * (the providers' timestamps have whole seconds). */
			ev.at_ms = clock_wall_ms() - 1000 + (int64_t)k * 1000;
			ev.seq = ++fb->seq;
			one = api == FB_SMTP ? fb_mail_job(&ev, msg)
			                     : mock_fb_fmt_payload(&ev);
			if (one != NULL && api == FB_SES)
				one = fb_sns_wrap(fb, one);
			if (one == NULL)
				continue;
			n++;
			if (batch != NULL)
				json_array_append_new(batch, one);
			else
				fb_enqueue_at(fb, api, one, UINT_MAX);
		}
	}
	json_decref(api_rec);
	if (batch != NULL && json_array_size(batch) > 0)
		fb_enqueue_at(fb, api, batch, UINT_MAX);
	else
		json_decref(batch);
	return n;
}

void
mock_fb_accepted(struct mock_fb *fb, const struct mock_msg *msg)
{
	if (fb != NULL)
		fb_emit(fb, msg, NULL, -1);
}

/* fb_ctl - GET/PUT /feedback. */
static void
fb_ctl(struct evhttp_request *req, const char *rest, void *arg)
{
	struct mock_fb *fb = arg;
	char why[256];
	struct buf body;
	json_t *cfg, *out, *targets;
	int i;

	(void)rest;
	if (evhttp_request_get_command(req) == EVHTTP_REQ_PUT ||
	    evhttp_request_get_command(req) == EVHTTP_REQ_POST) {
		buf_init(&body);
		mock_http_body(req, &body);
		cfg =
		    json_loadb(body.p != NULL ? body.p : "", body.len, 0, NULL);
		buf_fini(&body);
		if (mock_fb_configure(fb, cfg, why, sizeof(why)) < 0) {
			json_decref(cfg);
			mock_http_error(req, 400, "bad_feedback", why);
			return;
		}
		json_decref(cfg);
	} else if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		mock_http_error(req, 405, "method", "use GET or PUT");
		return;
	}
	targets = json_object();
	for (i = 0; i < FB_NAPI; i++)
		if (fb->t[i].url[0] != '\0')
			json_object_set_new(targets, fb_apis[i],
			                    json_string(fb->t[i].url));
	pthread_mutex_lock(&fb->mu);
	out = json_pack(
	    "{s:o,s:{s:I,s:I,s:I,s:I},s:{s:I,s:I,s:I,s:I,s:I}}", "targets",
	    targets, "rules_ppm", "bounce", (json_int_t)fb->rules.hard_ppm,
	    "soft_bounce", (json_int_t)fb->rules.soft_ppm, "complaint",
	    (json_int_t)fb->rules.complaint_ppm, "delay",
	    (json_int_t)fb->rules.delay_ppm, "stats", "queued",
	    (json_int_t)fb->queued, "posted", (json_int_t)fb->posted, "retried",
	    (json_int_t)fb->retried, "failed", (json_int_t)fb->failed,
	    "pending", (json_int_t)(fb->queued - fb->posted - fb->failed));
	pthread_mutex_unlock(&fb->mu);
	if (fb->sns.cert_pem != NULL) {
		char url[400];
		snprintf(url, sizeof(url),
		         "https://%s/SimpleNotificationService-%s.pem",
		         fb_sns_url_host(fb), fb->sns.hex);
		json_object_set_new(
		    out, "sns",
		    json_pack("{s:s,s:s,s:s}", "subscription",
		              fb_sns_confirmed(fb) ? "confirmed" : "pending",
		              "cert_url", url, "topic_arn", fb->t[FB_SES].a));
	}
	mock_http_json_send(req, 200, out);
}

/* fb_ctl_msg - POST /feedback/ID: emit an event for a stored message. */
static void
fb_ctl_msg(struct evhttp_request *req, const char *rest, void *arg)
{
	struct mock_fb *fb = arg;
	const struct mock_msg *msg;
	enum mock_fb_outcome o;
	struct buf body;
	json_t *in;
	const char *ev, *rcpt;
	size_t n;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		mock_http_error(req, 405, "method", "use POST");
		return;
	}
	msg = mock_store_find(fb->m->store, rest);
	if (msg == NULL) {
		mock_http_error(req, 404, "not_found", "no such message");
		return;
	}
	buf_init(&body);
	mock_http_body(req, &body);
	in = json_loadb(body.p != NULL ? body.p : "", body.len, 0, NULL);
	buf_fini(&body);
	ev = json_string_value(json_object_get(in, "event"));
	rcpt = json_string_value(json_object_get(in, "rcpt"));
	if (ev == NULL || mock_fb_outcome_lookup(ev, &o) < 0) {
		json_decref(in);
		mock_http_error(req, 400, "bad_event",
		                "event: delivered, bounce, soft_bounce, "
		                "complaint or delay");
		return;
	}
	n = fb_emit(fb, msg, rcpt, (int)o);
	json_decref(in);
	if (n == 0) {
		mock_http_error(req, 409, "no_target",
		                "no feedback target for this message's API or "
		                "recipient");
		return;
	}
	mock_http_json_send(req, 200,
	                    json_pack("{s:I}", "events", (json_int_t)n));
}

void
mock_fb_register(struct mock_fb *fb, struct mock_http *h)
{
	mock_http_route_add(h, "/feedback", false, fb_ctl, fb);
	mock_http_route_add(h, "/feedback/", true, fb_ctl_msg, fb);
}
