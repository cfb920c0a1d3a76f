/*
 * feedback_bench.c - how many provider webhook requests per second the
 * SendGrid, Mailgun and Resend verifiers and parsers take, on one core.
 *
 * Each case builds one realistic signed request (a fresh P-256 key for
 * SendGrid, a signing key for Mailgun, a whsec_ secret for Resend) and
 * runs verify + parse + free on it for a fixed time; the cost of the
 * HTTP listener and of the spool's commit is not in these figures (see
 * bench/api for requests through swerved). Build and run with
 * bench/feedback_bench.sh (release flags).
 *
 *   feedback_bench [seconds per case]
 *
 * Measured 2026-12-07 on the 2-core development VM (load average about
 * 4 from parallel builds; two runs, bench/results/feedback-*.txt):
 *
 *   sendgrid, 1 event per request:     9,800-13,700 requests/s (73-102 us,
 *                                      the ECDSA verification)
 *   sendgrid, 100 events per request:  1,300-1,550 requests/s,
 *                                      128,000-156,000 events/s
 *   sendgrid, 1000 events per request: 100-157 requests/s,
 *                                      102,000-157,000 events/s
 *   mailgun, 1 event, 65,535 tokens
 *   in the replay cache:               49,000-68,000 requests/s
 *   resend, 1 recipient:               90,000 requests/s
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/x509.h>

#include "core/base64.h"
#include "core/buf.h"
#include "ingress/feedback_mailgun.h"
#include "ingress/feedback_resend.h"
#include "ingress/feedback_sendgrid.h"

#define NOW_S 1765000000LL
#define NOW_MS (NOW_S * 1000)
#define AGE_MS 300000LL

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One case: a function run until the time is up. */
typedef int bench_fn(void *arg);

static void
bench_run(const char *name, bench_fn *fn, void *arg, size_t events,
          size_t bytes, double secs)
{
	double t0 = bench_now(), t;
	long n = 0;

	do {
		if (fn(arg) != 0) {
			fprintf(stderr, "%s: refused\n", name);
			exit(1);
		}
		n++;
		t = bench_now();
	} while (t - t0 < secs);
	printf("%-34s %9.0f requests/s %10.0f events/s  %6.1f us/request  "
	       "(%zu B)\n",
	       name, n / (t - t0), n * (double)events / (t - t0),
	       (t - t0) / n * 1e6, bytes);
}

/* sg_batch - a SendGrid batch of n delivered/bounce events. */
static void
sg_batch(struct buf *b, size_t n)
{
	size_t i;

	buf_addstr(b, "[");
	for (i = 0; i < n; i++)
		buf_printf(
		    b,
		    "%s{\"email\":\"user%zu@example.com\",\"timestamp\":%lld,"
		    "\"smtp-id\":\"<14c5d75ce93.dfd.64b469@ismtpd-555>\","
		    "\"event\":\"%s\",\"category\":[\"cat facts\"],"
		    "\"sg_event_id\":\"sg_event_id_%zu_xxxxxxxxxxxx\","
		    "\"sg_message_id\":\"14c5d75ce93.dfd.64b469.filter0001."
		    "16648.5515E0B88.0\",\"response\":\"250 OK\",\"swerve_id\":"
		    "\"01JEXAMPLEEXAMPLEEXAMPLE\"}",
		    i ? "," : "", i, NOW_S, i % 10 ? "delivered" : "bounce", i);
	buf_addstr(b, "]");
}

struct sg_case {
	EVP_PKEY *pub;
	char *sig;
	struct buf body;
};

static int
sg_once(void *arg)
{
	struct sg_case *c = arg;
	struct feedback_event *ev;
	char err[256];
	size_t n;

	if (feedback_sendgrid_verify(c->pub, c->sig, "1765000000", c->body.p,
	                             c->body.len, NOW_MS, AGE_MS, err,
	                             sizeof(err)) != FEEDBACK_CHECK_OK ||
	    feedback_sendgrid_parse(c->body.p, c->body.len, "sg", &ev, &n, err,
	                            sizeof(err)) != 0)
		return -1;
	free(ev);
	return 0;
}

static void
sg_bench(EVP_PKEY *priv, size_t events, double secs)
{
	struct sg_case c;
	unsigned char sig[128], *der = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t siglen = sizeof(sig);
	char err[256], name[64], *pub;
	int derlen;

	buf_init(&c.body);
	sg_batch(&c.body, events);
	EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, priv);
	EVP_DigestSignUpdate(md, "1765000000", 10);
	EVP_DigestSignUpdate(md, c.body.p, c.body.len);
	EVP_DigestSignFinal(md, sig, &siglen);
	EVP_MD_CTX_free(md);
	c.sig = base64_encode_str(sig, siglen);
	derlen = i2d_PUBKEY(priv, &der);
	pub = base64_encode_str(der, (size_t)derlen);
	OPENSSL_free(der);
	c.pub = feedback_sendgrid_key(pub, err, sizeof(err));
	snprintf(name, sizeof(name), "sendgrid, %zu event%s per batch", events,
	         events == 1 ? "" : "s");
	bench_run(name, sg_once, &c, events, c.body.len, secs);
	EVP_PKEY_free(c.pub);
	free(pub);
	free(c.sig);
	buf_fini(&c.body);
}

struct mg_case {
	struct buf body;
	struct feedback_mailgun_cache cache;
};

static int
mg_once(void *arg)
{
	struct mg_case *c = arg;
	struct feedback_event *ev;
	char err[256];
	size_t n;

	if (feedback_mailgun_verify("key-bench", 9, c->body.p, c->body.len,
	                            NOW_MS, AGE_MS, &c->cache, err,
	                            sizeof(err)) != FEEDBACK_CHECK_OK ||
	    feedback_mailgun_parse(c->body.p, c->body.len, "mg", &ev, &n, err,
	                           sizeof(err)) != 0)
		return -1;
	free(ev);
	return 0;
}

static void
mg_bench(double secs)
{
	const char *token =
	    "fff0ebc59c0516f4ce0823212a2f45e5c67814420b99fe558b";
	unsigned char mac[32];
	unsigned int maclen = sizeof(mac);
	char msg[128], hex[65];
	struct mg_case c;
	size_t i;
	char tok[64];

	snprintf(msg, sizeof(msg), "%lld%s", NOW_S, token);
	HMAC(EVP_sha256(), "key-bench", 9, (const unsigned char *)msg,
	     strlen(msg), mac, &maclen);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	buf_init(&c.body);
	buf_printf(
	    &c.body,
	    "{\"signature\":{\"timestamp\":\"%lld\",\"token\":\"%s\","
	    "\"signature\":\"%s\"},\"event-data\":{\"severity\":\"permanent\","
	    "\"tags\":[\"my_tag_1\"],\"timestamp\":1765000000.375624,\"id\":"
	    "\"G9Bn5sl1TC6nu79C8C0bwg\",\"reason\":\"bounce\",\"user-"
	    "variables\""
	    ":{\"swerve_id\":\"01JEXAMPLEEXAMPLEEXAMPLE\"},\"envelope\":{"
	    "\"sender\":\"bob@mg.example.com\",\"transport\":\"smtp\","
	    "\"targets\":"
	    "\"alice@example.com\"},\"message\":{\"headers\":{\"to\":\"Alice "
	    "<alice@example.com>\",\"message-id\":\"<20130503192659.13651."
	    "20287@"
	    "mg.example.com>\",\"from\":\"Bob "
	    "<bob@mg.example.com>\",\"subject\":"
	    "\"Hello\"},\"attachments\":[],\"size\":111},\"recipient\":"
	    "\"alice@example.com\",\"event\":\"failed\",\"delivery-status\":{"
	    "\"attempt-no\":1,\"message\":\"5.1.1 no such user\",\"code\":550,"
	    "\"enhanced-code\":\"5.1.1\",\"description\":\"\"}}}",
	    NOW_S, token, hex);
	/* A cache holding as many other live tokens as it takes, minus one:
	 * the lookup cost of a full day's traffic. */
	feedback_mailgun_cache_init(&c.cache, FEEDBACK_MAILGUN_CACHE_CAP);
	for (i = 0; i + 1 < FEEDBACK_MAILGUN_CACHE_CAP; i++) {
		snprintf(tok, sizeof(tok), "token-%zu", i);
		feedback_mailgun_cache_add(&c.cache, tok, NOW_MS + AGE_MS);
	}
	bench_run("mailgun, 1 event (cache 65,535)", mg_once, &c, 1, c.body.len,
	          secs);
	feedback_mailgun_cache_fini(&c.cache);
	buf_fini(&c.body);
}

struct rs_case {
	unsigned char key[FEEDBACK_RESEND_KEY_MAX];
	size_t keylen;
	char sig[128];
	struct buf body;
};

static int
rs_once(void *arg)
{
	struct rs_case *c = arg;
	struct feedback_event *ev;
	char err[256];
	size_t n;

	if (feedback_resend_verify(
	        c->key, c->keylen, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1765000000",
	        c->sig, c->body.p, c->body.len, NOW_MS, AGE_MS, err,
	        sizeof(err)) != FEEDBACK_CHECK_OK ||
	    feedback_resend_parse(c->body.p, c->body.len, "rs", &ev, &n, err,
	                          sizeof(err)) != 0)
		return -1;
	free(ev);
	return 0;
}

static void
rs_bench(double secs)
{
	struct rs_case c;
	unsigned char mac[32];
	unsigned int maclen = sizeof(mac);
	char err[256], *b64;
	struct buf signed_;

	feedback_resend_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", c.key,
	                       &c.keylen, err, sizeof(err));
	buf_init(&c.body);
	buf_addstr(
	    &c.body,
	    "{\"type\":\"email.bounced\",\"created_at\":\"2025-12-06T05:46:40."
	    "126Z\",\"data\":{\"created_at\":\"2025-12-06T05:46:39.894719+00:00"
	    "\",\"email_id\":\"56761188-7520-42d8-8898-ff6fc54ce618\",\"from\":"
	    "\"Acme "
	    "<onboarding@example.com>\",\"to\":[\"delivered@example.com\""
	    "],\"subject\":\"Sending this example\",\"bounce\":{\"message\":"
	    "\"The recipient's email address is on the suppression list\","
	    "\"subType\":\"General\",\"type\":\"Permanent\"},\"tags\":{"
	    "\"swerve_id\":\"01JEXAMPLEEXAMPLEEXAMPLE\"}}}");
	buf_init(&signed_);
	buf_printf(&signed_, "msg_p5jXN8AQM9LWM0D4loKWxJek.1765000000.");
	buf_add(&signed_, c.body.p, c.body.len);
	HMAC(EVP_sha256(), c.key, (int)c.keylen,
	     (const unsigned char *)signed_.p, signed_.len, mac, &maclen);
	b64 = base64_encode_str(mac, maclen);
	snprintf(c.sig, sizeof(c.sig), "v1,%s", b64);
	free(b64);
	buf_fini(&signed_);
	bench_run("resend, 1 recipient", rs_once, &c, 1, c.body.len, secs);
	buf_fini(&c.body);
}

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	EVP_PKEY *priv = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	sg_bench(priv, 1, secs);
	sg_bench(priv, 100, secs);
	sg_bench(priv, 1000, secs);
	mg_bench(secs);
	rs_bench(secs);
	EVP_PKEY_free(priv);
	return 0;
}
