/*
 * http_adapter.h - what every HTTPS provider adapter shares (contract).
 *
 * The five HTTP provider files (ses.c, sendgrid.c, mailgun.c, postmark.c,
 * resend.c) each describe their provider as a struct http_provider: how to
 * build the send request and the probe request from a message and the
 * provider's configuration, and how to classify an answer. Those pieces
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
 * It also holds the rules all five share: what a transport failure means
 * (nothing sent: deferred; request fully written and then lost: unknown),
 * the default meaning of an HTTP status, and Retry-After.
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
#include "send/result.h"

#define HTTP_OUT_HEADERS_MAX 12

/* A request as a provider builds it; owns its URL, values and body. */
struct http_out {
	const char *method; /* static: "POST", "GET" */
	char *url;
	struct http_header hdrs[HTTP_OUT_HEADERS_MAX]; /* names static */
	size_t n_hdrs;
	struct buf body;
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
	/* classify - the answer to a send, into r (HTTP_CLIENT_OK only). */
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
 * http_transport_classify - the meaning of a transport failure, shared by
 * every provider: returns false for HTTP_CLIENT_OK (the provider decides),
 * else fills r: nothing (or not all of the request) written -> deferred
 * at stage connect/request; request fully written, then timeout, lost
 * connection or an oversized answer -> unknown at stage response.
 */
bool http_transport_classify(const struct http_response *resp,
                             struct send_result *r);

/*
 * http_status_classify - the default meaning of an HTTP status, for codes
 * a provider's table does not name: 2xx accepted, 429 throttled, 401/403
 * and 3xx (redirects are not followed: the endpoint is misconfigured)
 * config, 408 and 5xx deferred, other 4xx rejected (more often our bug
 * than the recipient's; the text says so). Sets r's class, stage
 * (response) and http_status only.
 */
void http_status_classify(int status, struct send_result *r);

/*
 * http_retry_after_ms - milliseconds from a Retry-After value (delta
 * seconds, or an HTTP date relative to now); fallback_ms when absent or
 * unreadable.
 */
int64_t http_retry_after_ms(const char *value, time_t now, int64_t fallback_ms);

/*
 * http_code_set - store s as r->provider_code, sanitised like
 * send_result_text_set (printable ASCII only, truncated): codes come from
 * the provider's headers and bodies.
 */
void http_code_set(struct send_result *r, const char *s);

/* http_msgid_set - store n bytes of s as r->provider_msg_id, sanitised. */
void http_msgid_set(struct send_result *r, const char *s, size_t n);

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
