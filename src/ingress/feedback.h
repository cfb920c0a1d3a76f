/*
 * feedback.h - provider delivery events in: the route and the table of
 * sources (contract).
 *
 * Each provider with an events: section (config.h, struct config_events)
 * gets one path on listen.http, under /feedback (the access table's row
 * for it has who "provider": the source checks the request itself). A POST
 * there goes through, in this order:
 *
 *   1. size    a body over events.max_body is 413, never verified or
 *              parsed (evhttp 2.1 has read it by then, up to the
 *              listener's own cap: see feedback.c's XXX);
 *   2. verify  the source's verifier gets the raw request (method, path,
 *              headers, raw body, peer, now) and the provider's keys; it
 *              never parses the body beyond what the scheme signs or
 *              names (SNS: the envelope fields it signs);
 *   3. parse   only then the source's pure parser turns the body into an
 *              array of struct feedback_event (spool/feedback.h);
 *   4. store   the events go to the spool in one commit, de-duplicated
 *              on (provider, event_id), matched to message and
 *              recipient; a replay stores nothing new and is still 2xx;
 *   5. answer  2xx only after that commit is durable; then each newly
 *              stored event is published on the event bus
 *              (EVENT_FEEDBACK, observe/events.h).
 *
 * Refusals record nothing and are counted by reason
 * (swerve_feedback_refused_total{provider,reason}): 401 (missing or
 * wrong credentials or signature, stale timestamp), 403 (source network,
 * topic, certificate host not allowed; a replayed token), 400 (the body
 * does not parse), 413 (too large), 501 (no verifier for this provider
 * type yet), 503 (the spool cannot take it now, or the verifier could not
 * reach what it needs: the provider retries).
 *
 * A source is one row of the table in feedback.c: a struct
 * feedback_source_ops, defined beside its pure verifier and parser in
 * ingress/feedback_<type>.c and declared in its own header. Verifiers
 * and parsers are pure functions (time passed in, no I/O, no logging)
 * except an asynchronous verifier (SNS: it fetches the signing
 * certificate over HTTPS on the loop).
 *
 * Everything here runs on the loop thread.
 */
#ifndef SWERVE_INGRESS_FEEDBACK_H
#define SWERVE_INGRESS_FEEDBACK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "spool/feedback.h"

struct config;
struct config_provider;
struct event_base;
struct http_admin;
struct spool;

/* One request header, as received (names in any case). */
struct feedback_header {
	const char *name;
	const char *value;
};

/*
 * What a verifier sees of one request. Everything is borrowed and valid
 * until the verifier returns, or, for an asynchronous one, until its done
 * callback has run or it was cancelled. body has a NUL after it (not
 * counted in body_len) but may contain NULs itself.
 */
struct feedback_request {
	const char *method; /* "POST" */
	const char *path;   /* without the query */
	const char *query;  /* after '?', or NULL */
	const struct feedback_header *headers;
	size_t n_headers;
	const char *body;
	size_t body_len;
	const struct sockaddr *peer; /* the client's address (no proxy
	                                header is believed) */
	socklen_t peer_len;
	int64_t now_ms; /* wall clock, ms since the epoch */
};

/* feedback_request_header - the value of the first header named name
 * (ASCII case-insensitive), or NULL. */
const char *feedback_request_header(const struct feedback_request *r,
                                    const char *name);

/* A verifier's verdict; each maps to one answer and one refusal reason. */
enum feedback_check {
	FEEDBACK_CHECK_OK,          /* verified: parse and store the body */
	FEEDBACK_CHECK_DONE,        /* verified and handled, nothing to store
	                               (an SNS SubscriptionConfirmation): 200 */
	FEEDBACK_CHECK_AUTH,        /* 401 "signature": credentials or
	                               signature missing, malformed or wrong */
	FEEDBACK_CHECK_STALE,       /* 401 "stale": timestamp outside max_age */
	FEEDBACK_CHECK_REPLAY,      /* 403 "replay": a token seen before */
	FEEDBACK_CHECK_FORBIDDEN,   /* 403 "forbidden": source network, topic,
	                               certificate host not allowed */
	FEEDBACK_CHECK_MALFORMED,   /* 400 "malformed": what the scheme needs
	                               to verify does not parse */
	FEEDBACK_CHECK_UNAVAILABLE, /* 503 "unavailable": cannot verify now
	                               (certificate fetch failed) */
	FEEDBACK_CHECK_COUNT,
};

/* feedback_check_status - the HTTP status answered for c. */
int feedback_check_status(enum feedback_check c);

/* feedback_check_reason - the refusal reason (a metric label) for c:
 * "signature", "stale", "replay", "forbidden", "malformed",
 * "unavailable"; "" for OK and DONE. */
const char *feedback_check_reason(enum feedback_check c);

/*
 * One configured source: what a verifier gets besides the request.
 * Owned by the route; state is the source's own (ops->init/fini).
 */
struct feedback_source {
	const struct feedback_source_ops *ops;
	const struct config_provider *provider; /* name, type, events.* keys;
	                                           borrowed from the config */
	struct event_base *base; /* the loop (asynchronous verifiers) */
	void *state;             /* the source's own, or NULL */
};

/* Told once when an asynchronous verification ends. err: a short
 * reason for the log (no secret), may be NULL; borrowed for the call. */
typedef void feedback_verify_done_fn(enum feedback_check c, const char *err,
                                     void *arg);

/* An asynchronous verification in flight (the source's own type). */
struct feedback_verify;

/*
 * The operations of one source type. Only type and parse are required;
 * a row without verify and verify_start answers 501 (no verifier yet).
 */
struct feedback_source_ops {
	const char *type; /* the provider type it serves: "ses", "postmark" */

	/*
	 * init - prepare src->state from src->provider->events (decode a
	 * key, make an HTTPS client on src->base). 0, or -1 with err (the
	 * daemon does not start). Optional.
	 */
	int (*init)(struct feedback_source *src, char *err, size_t errlen);
	/* fini - release src->state. Optional. */
	void (*fini)(struct feedback_source *src);

	/*
	 * verify - check req synchronously. err receives a short reason
	 * for the log when the verdict is not OK (never a secret).
	 */
	enum feedback_check (*verify)(struct feedback_source *src,
	                              const struct feedback_request *req,
	                              char *err, size_t errlen);

	/*
	 * verify_start - check req asynchronously (used when verify is
	 * NULL). done(verdict, err, arg) runs exactly once on the loop,
	 * possibly before verify_start returns (then it returns NULL);
	 * otherwise the handle returned is valid until done runs or
	 * verify_cancel is called, after which done never runs. req and
	 * what it points to stay valid until then.
	 */
	struct feedback_verify *(*verify_start)(
	    struct feedback_source *src, const struct feedback_request *req,
	    feedback_verify_done_fn *done, void *arg);
	/* verify_cancel - stop v; its done never runs. */
	void (*verify_cancel)(struct feedback_verify *v);

	/*
	 * parse - the body of a verified request into *out[0..*n) (one
	 * malloc'd array, the caller frees it; may be NULL when *n is 0),
	 * each event's provider set to provider. 0, or -1 with err (400:
	 * nothing is stored). Pure. Same shape as every
	 * feedback_<type>_parse().
	 */
	int (*parse)(const char *body, size_t len, const char *provider,
	             struct feedback_event **out, size_t *n, char *err,
	             size_t errlen);

	/*
	 * stored - the events of req are durably stored (or were already):
	 * a source that keeps a replay cache remembers req's token now, not
	 * at verify time, so that a request whose store failed can be
	 * retried by the provider. Optional.
	 */
	void (*stored)(struct feedback_source *src,
	               const struct feedback_request *req);
};

/* feedback_source_ops_find - the row for provider type, or NULL when no
 * source serves the type (smtp). */
const struct feedback_source_ops *feedback_source_ops_find(const char *type);

struct spool_fb_match;

/*
 * feedback_publish - publish each event of ev[0..n) that the spool newly
 * stored (m[i].is_new; m from spool_feedback_record's callback) as
 * EVENT_FEEDBACK from provider, with its message's tenant, stream and
 * sender domain when matched; *fresh and *unmatched count them. Used by
 * this route and by the bounce listener (smtpd_bounce.c).
 */
void feedback_publish(const char *provider, const struct feedback_event *ev,
                      const struct spool_fb_match *m, size_t n, size_t *fresh,
                      size_t *unmatched);

struct feedback;

/*
 * feedback_new - serve every provider of cfg with events configured on
 * http's feedback rows, storing into sp. cfg, sp and base are borrowed
 * and must outlive the route. NULL with err when a source's init
 * failed.
 */
struct feedback *feedback_new(struct event_base *base, struct http_admin *http,
                              const struct config *cfg, struct spool *sp,
                              char *err, size_t errlen);

/*
 * ---- replays refused fleet-wide (src/cluster) -----------------------
 *
 * With a fleet set, a request whose signature holds (and that this
 * node's own replay check let through) is claimed in the fleet by its
 * identity (feedback_replay.h) before its events are parsed and stored:
 * done(token, verdict, node) exactly once, maybe inside the call. NEW:
 * stored here, then stored() keeps the claim for the freshness window
 * (providers[].events.max_age; 24 h without one); a refusal or a spool
 * error drops the claim (failed()) so the provider's retry may land
 * anywhere. SEEN: another node stored it: 403 "replay". BUSY: another
 * node is storing it now: 503, retry later.
 */
enum feedback_fleet_verdict {
	FEEDBACK_FLEET_NEW,
	FEEDBACK_FLEET_SEEN,
	FEEDBACK_FLEET_BUSY,
};
typedef void feedback_fleet_done(void *token, enum feedback_fleet_verdict v,
                                 const char *node);
struct feedback_fleet {
	void (*claim)(void *arg, const char *provider, const char *key,
	              uint64_t ttl_ms, feedback_fleet_done *done, void *token);
	void (*stored)(void *arg, const char *provider, const char *key,
	               uint64_t ttl_ms);
	void (*failed)(void *arg, const char *provider, const char *key);
	void *arg;
};

/* feedback_fleet_set - ask ff (copied; NULL: none) from now on; its
 * pending answers must come before feedback_free. */
void feedback_fleet_set(struct feedback *f, const struct feedback_fleet *ff);

/*
 * feedback_free - cancel verifications in flight (their clients get no
 * answer) and release f; requests waiting for the spool finish first
 * (spool_close runs their callbacks). NULL is a no-op.
 */
void feedback_free(struct feedback *f);

#endif
