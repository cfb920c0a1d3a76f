/*
 * http_adapter.h - what every HTTPS provider adapter shares (contract).
 *
 * The five HTTP provider files (ses.c, sendgrid.c, mailgun.c, postmark.c,
 * resend.c) each describe their provider as a struct http_provider: how to
 * build the send request and the probe request from a message and the
 * provider's configuration, and how to read an answer: the provider
 * file parses the facts (error code, message, message id) and the
 * failure policy (send/policy.h) decides what they mean. Those pieces
 * are pure (no loop, no clock of their own) and are declared in
 * providers/providers_http.h for the unit tests.
 *
 * This module turns such a description into struct adapter_ops
 * (providers/adapter.h): one http_client per configured provider (its
 * connection pool, keep-alive, TLS settings, timeouts, and a cap of
 * max_connections concurrent requests), channels that carry one request at
 * a time, probes, and the struct adapter_result built from a classified
 * answer (every recipient gets the message's outcome).
 *
 * It also gathers the facts all five share (stage, status, Retry-After,
 * transport failures); what they mean, including the default meaning of
 * an HTTP status and of Retry-After, is send/policy_http.c's.
 *
 * Does not: retry, fail over, log secrets (headers and bodies are never
 * logged), or look at the spool.
 */
#ifndef SWERVE_PROVIDERS_HTTP_ADAPTER_H
#define SWERVE_PROVIDERS_HTTP_ADAPTER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config/config.h"
#include "core/buf.h"
#include "net/http_client.h"
#include "providers/adapter.h"
#include "send/fact.h"
#include "send/result.h"

#define HTTP_OUT_HEADERS_MAX 12

/* A request as a provider builds it; owns its URL, values and body. */
struct http_out {
	const char *method; /* static: "POST", "GET" */
	char *url;
	struct http_header hdrs[HTTP_OUT_HEADERS_MAX]; /* names static */
	size_t n_hdrs;
	struct buf body;
	/* What of the message's msg_meta the request does not carry
	 * (providers/meta_out.h); empty when everything went in. */
	struct buf not_applied;
};

/* http_out_init - an empty request. */
void http_out_init(struct http_out *o);

/* http_out_fini - free what o owns; o may be initialised again. */
void http_out_fini(struct http_out *o);

/*
 * http_out_header_add - add header name (a static string) with a printf
 * value. Panics past HTTP_OUT_HEADERS_MAX (a bug in a provider file).
 */
void http_out_header_add(struct http_out *o, const char *name, const char *fmt,
                         ...) __attribute__((format(printf, 3, 4)));

/* http_out_header_get - the value of header name (any case), or NULL. */
const char *http_out_header_get(const struct http_out *o, const char *name);

/* One HTTP provider type, as the provider files describe it. */
struct http_provider {
	const char *type; /* "ses", "sendgrid", ... */
	/*
	 * build - the send request for msg. 0, or -1 when the message
	 * cannot go to this provider faithfully (why says why; nothing is
	 * sent and the adapter reports SEND_DEFERRED so deliver picks
	 * another provider).
	 */
	int (*build)(const struct config_provider *cfg,
	             const struct adapter_msg *msg, time_t now,
	             struct http_out *out, char *why, size_t whylen);
	/* classify - the answer to a send, into r (HTTP_CLIENT_OK only):
	 * parse the facts, let send/policy.h decide. */
	void (*classify)(const struct http_response *resp, time_t now,
	                 struct send_result *r);
	/* probe_build - the probe request (always succeeds). */
	void (*probe_build)(const struct config_provider *cfg, time_t now,
	                    struct http_out *out);
	/* probe_read - the answer to a probe (HTTP_CLIENT_OK only). */
	void (*probe_read)(const struct http_response *resp, time_t now,
	                   struct adapter_probe_result *pr);
	/* represents - NULL: raw MIME, any message; else as adapter_ops. */
	bool (*represents)(const struct adapter_msg *msg, char *why,
	                   size_t whylen);
	const char *const *want_headers; /* response headers to keep */
	size_t n_want;
};

/*
 * http_fact_init - start the facts of an answer for send/policy.h: the
 * provider, stage, whether the request was fully written, the status,
 * Retry-After and now; for a transport failure also the client's name
 * for it (code) and its words (text). The provider file adds what it
 * parses from the body: error code, message, text, message id. f borrows
 * from resp.
 */
void http_fact_init(struct send_fact *f, enum send_provider provider,
                    const struct http_response *resp, time_t now);

/*
 * http_fact_message - the provider's error message m (NULL if it gave
 * none) as f's message and text; without one, the text is the first 200
 * bytes of the body (a plain-text or unexpected answer).
 */
void http_fact_message(struct send_fact *f, const struct http_response *resp,
                       const char *m);

/*
 * http_transport_classify - false for HTTP_CLIENT_OK (the provider file
 * gathers the answer's facts); else r as send/policy.h decides for a
 * transport failure, the same for every provider.
 */
bool http_transport_classify(const struct http_response *resp,
                             struct send_result *r);

/* http_header_find - the value of response header name (any case), or NULL. */
const char *http_header_find(const struct http_response *resp,
                             const char *name);

/* http_base_url - cfg->endpoint without a trailing '/', else dflt; owned. */
char *http_base_url(const struct config_provider *cfg, const char *dflt);

/*
 * The adapter_ops pieces every HTTP provider uses; the provider files
 * fill their struct adapter_ops with these and an init that calls
 * http_adapter_init with their description.
 */
int http_adapter_init(struct adapter *a, const struct http_provider *prov);
void http_adapter_fini(struct adapter *a);
void *http_adapter_chan_new(struct adapter *a);
int http_adapter_send(void *chan, const struct adapter_msg *msg,
                      adapter_done_fn *cb, void *arg);
bool http_adapter_idle(const void *chan);
void http_adapter_quit(void *chan);
void http_adapter_chan_free(void *chan);
void *http_adapter_probe(struct adapter *a, adapter_probe_fn *cb, void *arg);
void http_adapter_probe_cancel(void *handle);
bool http_adapter_represents(struct adapter *a, const struct adapter_msg *msg,
                             char *why, size_t whylen);

/* HTTP_ADAPTER_OPS - the adapter_ops of an HTTP provider type. */
#define HTTP_ADAPTER_OPS(type_, init_)                                         \
	{                                                                      \
		.type = (type_), .init = (init_), .fini = http_adapter_fini,   \
		.chan_new = http_adapter_chan_new, .send = http_adapter_send,  \
		.idle = http_adapter_idle, .quit = http_adapter_quit,          \
		.chan_free = http_adapter_chan_free,                           \
		.probe = http_adapter_probe,                                   \
		.probe_cancel = http_adapter_probe_cancel,                     \
		.represents = http_adapter_represents,                         \
	}

#endif
