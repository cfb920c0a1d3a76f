/*
 * probe.h - active health probe of an SMTP provider (contract).
 *
 * One probe is one short session, with no mail in it: connect (resolving
 * the host first if it is a name, trying its addresses in turn while
 * connecting is refused), read the 220 greeting, EHLO (HELO after a 5xx
 * to EHLO, unless STARTTLS is required), then as the provider's tls mode
 * says: STARTTLS, the handshake and EHLO again (starttls; never goes on
 * in plaintext), or TLS from the first byte (tls), then, when the
 * provider has a username, AUTH PLAIN (or LOGIN if PLAIN is not offered;
 * never before TLS unless tls is none), and finally QUIT. A wrong
 * password or a suspended account thus shows at stage SEND_STAGE_AUTH
 * with the server's 5xx, before any mail is tried.
 *
 * Timeouts are the provider's: connect_timeout_ms bounds DNS, the TCP
 * connect and an implicit TLS handshake; greeting_timeout_ms the 220;
 * command_timeout_ms each reply (AUTH's too) and the STARTTLS handshake.
 * Replies are read with net/smtp_reply.h (bounded, strict); a 421 at any point
 * ends the probe.
 *
 * The result is a fact, not a verdict: ok says the session came up;
 * otherwise stage says where it stopped and text why. What that means
 * for the provider's health is the caller's decision.
 *
 * Callbacks: cb runs exactly once per probe_smtp_start, on the loop,
 * never from inside probe_smtp_start, unless probe_cancel was called
 * first (then never). The probe frees itself after cb returns: the handle
 * is invalid from the moment cb is called. cb may start new probes.
 * Loop thread only. The process must ignore SIGPIPE.
 */
#ifndef SWERVE_ROUTE_PROBE_H
#define SWERVE_ROUTE_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "config/config.h"
#include "send/result.h"

struct event_base;
struct evdns_base;
struct probe;

#define PROBE_TEXT_SIZE 256

/* What one probe found. Self-contained; text is printable ASCII. */
struct probe_result {
	bool ok;               /* the session came up (QUIT's fate aside) */
	enum send_stage stage; /* where it stopped; SEND_STAGE_NONE if ok */
	int smtp_code;         /* the reply that stopped it, 0 if none */
	uint64_t latency_ms;   /* start to session up (ok), or to failure */
	char text[PROBE_TEXT_SIZE]; /* the reply that stopped it, or the
	                               local reason; on success the text of
	                               the last EHLO, HELO or AUTH reply */
};

typedef void probe_done_fn(const struct probe_result *r, void *arg);

/*
 * probe_smtp_start - probe provider p. ctx: client TLS context with its
 * trust store (the probe takes a reference); NULL makes one with the
 * system's default store when p->tls is not none. dns: resolver for a
 * host name (borrowed, must outlive the probe); NULL makes one if needed
 * (reads /etc/resolv.conf). helo: our EHLO name (copied; NULL:
 * "localhost"). p is borrowed until cb runs or the probe is cancelled.
 * Never returns NULL: every failure, even a local one, reaches cb.
 */
struct probe *probe_smtp_start(struct event_base *base,
                               const struct config_provider *p, SSL_CTX *ctx,
                               struct evdns_base *dns, const char *helo,
                               probe_done_fn *cb, void *arg);

/*
 * probe_cancel - stop a probe whose callback has not run yet: the
 * connection is closed at once (no QUIT), cb never runs, pr is freed.
 * NULL is a no-op.
 */
void probe_cancel(struct probe *pr);

#endif
