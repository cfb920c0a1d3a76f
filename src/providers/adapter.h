/*
 * adapter.h - one interface for every provider type (contract).
 *
 * Deliver talks to every provider through this table of operations, so
 * the scheduler neither knows nor cares whether a message leaves over SMTP
 * (adapter_smtp.c, around net/smtpc.h) or through an HTTPS API (SES,
 * SendGrid, Mailgun, Postmark, Resend). An adapter translates a message
 * into the provider's protocol and reports the provider's answer as facts
 * (send/fact.h); what they mean, the struct send_result (send/result.h),
 * is decided by the failure policy (send/policy.h), never by the adapter.
 * It never touches the spool, never retries and never decides to fail
 * over.
 *
 * Two levels:
 *   struct adapter       one per configured provider: shared state such as
 *                        an HTTP client (connection pool), parsed
 *                        credentials. Made by adapter_new.
 *   a channel (void *)   one sending slot: an SMTP connection, or one
 *                        HTTP request at a time. Deliver keeps
 *                        max_connections of them per provider and sends
 *                        one message at a time on each.
 *
 * Callbacks run on the loop thread, never from inside the call that
 * started the work, exactly once per accepted send (unless the channel is
 * freed first: then never). Loop thread only.
 */
#ifndef SWERVE_PROVIDERS_ADAPTER_H
#define SWERVE_PROVIDERS_ADAPTER_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "config/config.h"
#include "core/buf.h"
#include "send/result.h"

struct event_base;
struct evdns_base;
struct adapter;
struct msg_meta; /* spool/msg_meta.h: read by adapters, never written */

/* What every adapter may use; all borrowed, must outlive the adapter. */
struct adapter_env {
	struct event_base *base;
	SSL_CTX *ssl_ctx;       /* client TLS context (system trust store) */
	struct evdns_base *dns; /* resolver; NULL: numeric hosts only */
	const char *helo_name;  /* our host name (EHLO, Message-ID) */
};

/*
 * Whether a provider that rebuilds messages as JSON can carry one message
 * faithfully: judged once (parsing the MIME) by the first adapter that
 * asks, then reused by the router for every other JSON candidate and by
 * the request builder. It holds for the n_rcpts recipients it was judged
 * with; recipients only ever leave a message's pending set, so another
 * count means another set, and the verdict is judged again.
 */
struct adapter_json_verdict {
	bool known;
	bool ok;
	size_t n_rcpts;
	char why[160]; /* when !ok */
};

/*
 * What a message's octets ask of an SMTP server (mime/mime_8bit.h): the
 * SMTPUTF8 extension (non-ASCII envelope or header), 8BITMIME (8-bit
 * octets in the body). Judged once by the first SMTP adapter that asks
 * and reused across providers and attempts, for the n_rcpts recipients
 * it was judged with (as struct adapter_json_verdict).
 */
struct adapter_octets {
	bool known;
	bool smtputf8;
	bool eightbit;
	size_t n_rcpts;
};

/* One message. Everything is borrowed until the done callback runs. */
struct adapter_msg {
	const char *id;           /* swerve's message id (tags, idempotency) */
	const char *sender;       /* envelope sender; "" for <> */
	const char *const *rcpts; /* envelope recipients, n_rcpts > 0 */
	size_t n_rcpts;
	struct str body;    /* RFC 5322, CRLF line ends, not dot-stuffed */
	const char *stream; /* "transactional", "critical", ... */
	const char *tenant; /* may be NULL */
	const struct msg_meta *meta; /* may be NULL */
	/* The JSON verdict, kept by the message's owner across adapters and
	 * attempts; written by the adapters. NULL: judged on every call. */
	struct adapter_json_verdict *json;
	/* What its octets need of an SMTP server, kept like json; written by
	 * the SMTP adapter. NULL: judged on every call. */
	struct adapter_octets *octets;
};

/*
 * What became of a message: msg for the message, rcpts[i] for
 * msg->rcpts[i] (HTTP adapters give every recipient the message's
 * outcome unless the provider says more). Valid during the callback only.
 */
struct adapter_result {
	struct send_result msg;
	const struct send_result *rcpts;
	size_t n_rcpts;
	size_t n_accepted; /* rcpts[] with class SEND_ACCEPTED */
	/*
	 * What of msg->meta this provider has no equivalent for, as a list
	 * ("track_opens, ip_pool, tag \"x\" (...)"; providers/meta_out.h),
	 * or NULL when everything was carried. Deliver records it on the
	 * attempt as "not applied by <provider>: <list>".
	 */
	const char *not_applied;
};

typedef void adapter_done_fn(const struct adapter_result *res, void *arg);

/* What an active probe found (SES GetAccount, an SMTP EHLO, ...). */
struct adapter_probe_result {
	bool ok;
	enum send_class class; /* when !ok: what the failure means */
	enum send_stage stage; /* where it stopped */
	uint64_t latency_ms;
	char text[256]; /* sanitised, for logs and status */
	/* Filled where the provider tells (SES GetAccount); else -1 / true. */
	double max_send_rate; /* messages per second */
	double quota_left;    /* messages left in the provider's 24 h */
	double quota_max;     /* the provider's 24 h quota */
	bool sending_enabled;
	/* The account's standing where the provider tells (SES
	 * EnforcementStatus: "HEALTHY", "PROBATION", "SHUTDOWN"); "" when
	 * it does not. */
	char enforcement[16];
};

typedef void adapter_probe_fn(const struct adapter_probe_result *res,
                              void *arg);

struct adapter_ops {
	const char *type; /* the providers[].type word */
	/* init - set up a->priv for a->cfg. 0, or -1 with a logged reason. */
	int (*init)(struct adapter *a);
	/* fini - free a->priv; every channel is already freed. */
	void (*fini)(struct adapter *a);
	/* chan_new - one sending slot (does not connect yet); NULL = cannot. */
	void *(*chan_new)(struct adapter *a);
	/*
	 * send - start msg on chan. 0: cb runs later, once. -EBUSY: chan is
	 * busy: nothing started, cb never runs, and deliver hands the
	 * message to another slot or attempt. -EINVAL: the message cannot
	 * go to this provider at all (an address with control characters):
	 * nothing started, cb never runs, and every recipient fails
	 * (POLICY_LOCAL_BAD_ADDRESS). Only -EINVAL fails the message.
	 */
	int (*send)(void *chan, const struct adapter_msg *msg,
	            adapter_done_fn *cb, void *arg);
	/* idle - may send() be called now? */
	bool (*idle)(const void *chan);
	/* quit - close politely and free chan (an idle SMTP connection
	 * says QUIT first). */
	void (*quit)(void *chan);
	/* chan_free - close at once and free; a send in progress is
	 * abandoned and its callback never runs. NULL is a no-op. */
	void (*chan_free)(void *chan);
	/* probe - optional (NULL: none): a cheap authenticated check.
	 * Returns a handle for probe_cancel, or NULL if it could not start
	 * (then cb never runs). */
	void *(*probe)(struct adapter *a, adapter_probe_fn *cb, void *arg);
	void (*probe_cancel)(void *handle);
	/*
	 * represents - optional (NULL: takes any message byte for byte):
	 * can this provider carry msg faithfully? Providers that rebuild the
	 * message from JSON return false for what they would mangle, with a
	 * short reason in why; the router then picks a raw-MIME provider.
	 */
	bool (*represents)(struct adapter *a, const struct adapter_msg *msg,
	                   char *why, size_t whylen);
	/*
	 * may_have_delivered - optional (NULL: assume yes): if the send in
	 * progress on chan were abandoned now, could the provider already
	 * have the message? SMTP: only once the final dot is out. Decides
	 * whether giving up on a slow provider is "unknown" (a resend may
	 * duplicate) or "deferred".
	 */
	bool (*may_have_delivered)(const void *chan);
};

struct adapter {
	const struct adapter_ops *ops;
	const struct config_provider *cfg; /* borrowed */
	const struct adapter_env *env;     /* borrowed */
	void *priv;                        /* the adapter's own state */
};

/*
 * adapter_ops_find - the operations for providers[].type, or NULL when no
 * adapter of that type is built in.
 */
const struct adapter_ops *adapter_ops_find(const char *type);

/*
 * adapter_ops_test_set - test seam: from now on, providers of type
 * ops->type get ops instead of the built-in type (a fake adapter that
 * answers as a test says). NULL restores the built-in types. ops is
 * borrowed and must outlive every adapter made with it. Not for
 * production code.
 */
void adapter_ops_test_set(const struct adapter_ops *ops);

/*
 * adapter_new - an adapter for provider cfg (both borrowed; they must
 * outlive it). NULL if the type is unknown or init failed (logged).
 */
struct adapter *adapter_new(const struct config_provider *cfg,
                            const struct adapter_env *env);

/* adapter_free - fini and free; every channel must be freed first. NULL ok. */
void adapter_free(struct adapter *a);

/* The built-in types; adapter.c lists them. */
extern const struct adapter_ops adapter_smtp_ops;

#endif
