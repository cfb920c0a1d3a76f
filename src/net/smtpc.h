/*
 * smtpc.h - SMTP client connection to one relay provider (contract).
 *
 * A struct smtpc is one connection slot on the event loop: it connects on
 * demand, says EHLO (HELO after a 5xx), does STARTTLS or implicit TLS as
 * configured (never falling back to plaintext), AUTH PLAIN or LOGIN (never
 * before TLS unless tls: none is configured), and sends one message at a
 * time: MAIL FROM (with SIZE= when offered, BODY=8BITMIME and SMTPUTF8 as
 * the message needs them), one RCPT TO per recipient, DATA, the
 * dot-stuffed body (or its 7-bit form for a server without 8BITMIME). With
 * PIPELINING, MAIL, the RCPTs and DATA go in one write. The connection is
 * reused for the next message (RSET first after a failed transaction) up to
 * max_msgs_per_conn, then closed with QUIT; the next smtpc_send() opens a new
 * one. A pool is simply several struct smtpc.
 *
 * The same slot can instead probe the provider (smtpc_probe): the session
 * is set up exactly as for a message, then closed with QUIT, and what
 * happened is reported. There is one implementation of connecting,
 * resolving, TLS and AUTH, for mail and probes alike.
 *
 * It reports facts, classified by send/policy_smtp.c into the classes of
 * send/result.h, per recipient and for the message, with the stage at
 * which the outcome was decided. It never retries and never touches the
 * spool. It knows nothing of the configuration file: its caller fills a
 * struct smtpc_params.
 *
 * Callbacks: the done callback runs on the loop, never from inside
 * smtpc_send() (outcomes known at once are deferred to the loop), once per
 * accepted smtpc_send(); the probe callback likewise once per accepted
 * smtpc_probe(). Nothing else calls back. Everything runs on the loop
 * thread of the event_base given to smtpc_new(). As everywhere in
 * swerved, the process must ignore SIGPIPE (a peer may hang up while we
 * write).
 */
#ifndef SWERVE_NET_SMTPC_H
#define SWERVE_NET_SMTPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "core/buf.h"
#include "send/result.h"

struct event_base;
struct evdns_base;
struct smtpc;

/* How the session is protected. */
enum smtpc_tls {
	SMTPC_TLS_NONE,     /* plaintext only; AUTH in the clear allowed */
	SMTPC_TLS_STARTTLS, /* STARTTLS required, never falls back */
	SMTPC_TLS_TLS,      /* TLS from the first byte (port 465) */
};

/*
 * Which provider and how to talk to it. smtpc_new copies the struct; the
 * strings it points to are borrowed and must outlive the smtpc.
 */
struct smtpc_params {
	const char *name; /* for log lines only */
	const char *host; /* name or IPv4/IPv6 literal */
	uint16_t port;
	enum smtpc_tls tls;
	bool tls_verify;       /* check the certificate against host */
	const char *username;  /* NULL: no AUTH */
	const char *password;  /* NULL taken as "" */
	const char *helo_name; /* our name in EHLO/HELO; NULL: "localhost" */
	/* Each bounds one wait: DNS, TCP connect and implicit TLS; the
	 * 220; each command's reply (AUTH, STARTTLS's handshake, QUIT
	 * too); body progress and the reply to the final dot. */
	uint64_t connect_timeout_ms;
	uint64_t greeting_timeout_ms;
	uint64_t command_timeout_ms;
	uint64_t data_timeout_ms;
	unsigned max_msgs_per_conn; /* QUIT after this many; 0: no cap */
};

struct smtpc_opts {
	struct event_base *base;
	/* The provider; copied (see struct smtpc_params). */
	const struct smtpc_params *params;
	/* Client TLS context, with its trust store loaded. smtpc takes a
	 * reference (SSL_CTX_up_ref). NULL: smtpc_new makes one with the
	 * system's default trust store when params->tls is not none. */
	SSL_CTX *ssl_ctx;
	/* Resolver for a provider host that is a name. Borrowed; must
	 * outlive the smtpc. NULL: smtpc_new makes its own when the host is
	 * not a numeric address (this reads /etc/resolv.conf once). */
	struct evdns_base *dns;
};

/*
 * smtpc_downgrade_fn - a 7-bit form of the message's body for a server
 * that does not offer 8BITMIME (RFC 6152 section 3). Returns 0 and sets
 * *body (borrowed until the done callback; CRLF line ends, not
 * dot-stuffed), or -1 with a short reason in why when the message cannot
 * be converted. Called on the loop from inside the client, at most once
 * per session that needs it (again after a reconnect).
 */
typedef int smtpc_downgrade_fn(void *arg, struct str *body, char *why,
                               size_t whylen);

/* One message. Everything it points to is borrowed until the callback. */
struct smtpc_msg {
	const char *sender;       /* envelope sender; "" for <> */
	const char *const *rcpts; /* envelope recipients, n_rcpts > 0 */
	size_t n_rcpts;
	struct str body; /* CRLF line ends, not dot-stuffed (as spooled) */
	/* Header lines sent before body, as they are: each ends in CRLF,
	 * none starts with '.'; empty (len 0) for none. */
	struct str head;
	/*
	 * What the message needs of the server, judged by the caller
	 * (mime/mime_8bit.h). smtputf8: MAIL carries SMTPUTF8; a server
	 * that does not offer it gets no command, and the message's outcome
	 * is the fact SEND_FACT_NO_EXTENSION at stage mail. eightbit: the
	 * message holds 8-bit octets; MAIL carries BODY=8BITMIME when the
	 * server offers it, else the body sent is downgrade()'s (no
	 * downgrade, or it fails: SEND_FACT_NO_EXTENSION likewise).
	 */
	bool smtputf8;
	bool eightbit;
	smtpc_downgrade_fn *downgrade; /* NULL: no 7-bit form */
	void *downgrade_arg;
};

/*
 * What became of a message. rcpts[i] is the outcome for msg->rcpts[i]:
 * a recipient refused at RCPT keeps that refusal; the others share the
 * message's outcome (accepted with its provider message id, or the failure
 * at MAIL, DATA, the dot or the connection). msg is the message's outcome:
 * if no recipient was accepted it is the recipient outcome that stands for
 * them (policy_smtp_rcpts_pick). Valid only during the callback.
 */
struct smtpc_result {
	struct send_result msg;
	const struct send_result *rcpts;
	size_t n_rcpts;
	size_t n_accepted; /* rcpts[] with class SEND_ACCEPTED */
	/* The server's EHLO answer in the session that carried (or refused)
	 * the message; ehlo_known false if no session came up. */
	bool ehlo_known;
	bool smtputf8;     /* it offered SMTPUTF8 */
	bool eightbitmime; /* it offered 8BITMIME */
};

typedef void smtpc_done_fn(struct smtpc *c, const struct smtpc_result *res,
                           void *arg);

/*
 * smtpc_new - a connection slot for opts->params; does not connect yet.
 * Returns NULL (with a log line) only if a TLS context or resolver could
 * not be made. Free with smtpc_free() or smtpc_quit().
 */
struct smtpc *smtpc_new(const struct smtpc_opts *opts);

/*
 * smtpc_send - send msg; cb(c, result, arg) runs on the loop when it is
 * done, never from inside this call. Returns 0, -EBUSY if a message is
 * already in progress (one at a time per smtpc), or -EINVAL if msg has no
 * recipients or an address holds a control character, '<' or '>'; on an
 * error nothing is started and cb will not run. msg and what it points to
 * (the body too) must stay valid until cb runs or smtpc_free().
 */
int smtpc_send(struct smtpc *c, const struct smtpc_msg *msg, smtpc_done_fn *cb,
               void *arg);

/*
 * What a probe found. res.class is the failure policy's verdict on the
 * provider (send/policy.h, policy_smtp_probe_result): SEND_ACCEPTED if the
 * session came up. Otherwise res.stage says where it stopped, and
 * res.smtp_code, res.enhanced and res.text give the reply that stopped it
 * (or code 0 and the local reason: "timeout during greeting", ...). On
 * success res.stage is SEND_STAGE_NONE and the reply is the last one to
 * EHLO, HELO or AUTH. Valid only during the callback.
 */
struct smtpc_probe_result {
	bool ok;             /* the session came up (QUIT's fate aside) */
	uint64_t latency_ms; /* smtpc_probe to session up, or to failure */
	struct send_result res;
};

typedef void smtpc_probe_fn(struct smtpc *c, const struct smtpc_probe_result *r,
                            void *arg);

/*
 * smtpc_probe - check the provider without sending mail: a connection of
 * its own, the greeting, EHLO, STARTTLS or implicit TLS and AUTH exactly
 * as for a message (so the same "never fall back to plaintext" and "no
 * credentials before TLS" rules), then QUIT, waiting for its answer at
 * most command_timeout_ms or 2 s, whichever is shorter. cb(c, result,
 * arg) runs once on the loop after the connection is closed, never from
 * inside this call; cb may free c. Returns 0, -EINVAL if cb is NULL, or
 * -EBUSY if c has a connection or a message or probe in progress (probe
 * with a slot of its own, so a pool's counters are not disturbed).
 * smtpc_free before cb cancels the probe: cb never runs.
 */
int smtpc_probe(struct smtpc *c, smtpc_probe_fn *cb, void *arg);

/* smtpc_idle - true if no message or probe is in progress (smtpc_send
 * may be called). */
bool smtpc_idle(const struct smtpc *c);

/* smtpc_connected - true while a connection exists: connecting, in a
 * session, or closing it with QUIT. */
bool smtpc_connected(const struct smtpc *c);

/*
 * smtpc_dot_sent - true while the final dot of the message in progress
 * has been sent and its reply not read: the server may have taken the
 * message. Before that, abandoning the connection delivers nothing.
 */
bool smtpc_dot_sent(const struct smtpc *c);

/* smtpc_msgs_sent - transactions finished on the current connection. */
unsigned smtpc_msgs_sent(const struct smtpc *c);

/*
 * smtpc_quit - close politely and free: if idle with a session up, send
 * QUIT and free c once the server answers, closes, or command_timeout_ms
 * passes (the loop must run until then); otherwise like smtpc_free.
 * c must not be used afterwards. NULL is a no-op.
 */
void smtpc_quit(struct smtpc *c);

/*
 * smtpc_free - close at once (no QUIT) and free c. Safe at any time,
 * including from inside the done callback and with I/O in flight: a
 * message in progress is abandoned and its callback never runs; the
 * borrowed message is not touched after this returns. NULL is a no-op.
 */
void smtpc_free(struct smtpc *c);

#endif
