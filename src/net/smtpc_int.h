/*
 * smtpc_int.h - the SMTP client's insides, shared by its four files.
 *
 * Not a contract: only smtpc.c (the object, the connection and its
 * callbacks), smtpc_session.c (greeting, EHLO, STARTTLS, AUTH),
 * smtpc_txn.c (MAIL, RCPT, DATA, the body, the outcome) and
 * smtpc_probe.c (a session without mail) include it.
 * Everyone else uses net/smtpc.h.
 */
#ifndef SWERVE_NET_SMTPC_INT_H
#define SWERVE_NET_SMTPC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <openssl/ssl.h>

#include "net/smtp_dot.h"
#include "net/smtp_mailparam.h"
#include "net/smtp_reply.h"
#include "net/smtpc.h"
#include "send/policy.h"
#include "send/result.h"

#define SMTPC_BODY_CHUNK 8192       /* body bytes encoded per step */
#define SMTPC_BODY_HIGH (64 * 1024) /* stop filling output above this */
#define SMTPC_BODY_LOW (16 * 1024)  /* refill when output drains below */

enum smtpc_state {
	SMTPC_STATE_CLOSED,     /* no connection */
	SMTPC_STATE_RESOLVING,  /* evdns lookup of the host */
	SMTPC_STATE_CONNECTING, /* TCP connect (and implicit TLS) */
	SMTPC_STATE_GREETING,   /* waiting for 220 */
	SMTPC_STATE_EHLO,
	SMTPC_STATE_HELO,
	SMTPC_STATE_STARTTLS,  /* waiting for 220 to STARTTLS */
	SMTPC_STATE_HANDSHAKE, /* TLS handshake after STARTTLS */
	SMTPC_STATE_AUTH,
	SMTPC_STATE_READY, /* session up, no command outstanding */
	SMTPC_STATE_TXN,   /* RSET/MAIL/RCPT/DATA replies outstanding */
	SMTPC_STATE_BODY,  /* streaming the message */
	SMTPC_STATE_DOT,   /* final dot sent, waiting for the reply */
	SMTPC_STATE_QUIT,  /* QUIT sent, waiting for 221 or close */
};

enum smtpc_step {
	SMTPC_STEP_RSET,
	SMTPC_STEP_MAIL,
	SMTPC_STEP_RCPT,
	SMTPC_STEP_DATA,
};

struct smtpc {
	struct event_base *base;
	struct smtpc_params p; /* the strings are borrowed */
	SSL_CTX *ssl_ctx;
	struct evdns_base *dns;
	bool own_dns;
	char *helo;

	/* The connection. */
	enum smtpc_state state;
	struct bufferevent *bev;
	struct evdns_getaddrinfo_request *dns_req;
	struct evutil_addrinfo *ai_list; /* the host's addresses */
	struct evutil_addrinfo *ai_next; /* to try if this one is refused */
	struct event *timer;
	struct smtp_reply_parser parser;
	struct smtp_ehlo ext;
	bool tls_up;
	bool need_rset;    /* the last transaction failed half-way */
	bool free_on_quit; /* smtpc_quit: free once QUIT is done */
	unsigned n_msgs;   /* transactions on this connection */
	int auth_step;     /* 334s answered; 2: the next reply is final */
	bool wrote;        /* a command or body bytes were queued since the
	                      last reply was read (see smtpc_read_cb) */

	/* The message in progress, from smtpc_send to the callback. */
	bool busy;
	bool decided; /* outcome known, done_ev is active */
	struct event *done_ev;
	struct smtpc_msg msg;
	smtpc_done_fn *cb;
	void *cb_arg;
	struct send_result *rres; /* per recipient; stage NONE: no reply */
	struct send_result res;   /* the message's outcome */
	bool txn_failed;          /* res holds the outcome; drain replies */
	size_t n_steps, rset_steps, steps_sent, steps_acked;
	size_t n_accepted;
	bool discard_dot; /* "." sent only to close a pointless DATA */
	struct smtp_dot dot;
	struct str body; /* what is sent: msg.body or its 7-bit form */
	size_t body_off;
	char mail_params[SMTP_MAILPARAM_SIZE]; /* after MAIL FROM:<...> */
	bool ehlo_known;       /* a session came up for this message */
	struct smtp_ehlo ehlo; /* its EHLO answer, for the result */

	/* A probe in progress (busy is set too), from smtpc_probe to its
	 * callback. res holds its outcome once decided. */
	bool probing;
	bool probe_ok;
	smtpc_probe_fn *probe_cb;
	uint64_t probe_start_ms;
	uint64_t probe_latency_ms;
};

/* smtpc.c: the connection. */
void smtpc_timer_arm(struct smtpc *c, uint64_t ms);
void smtpc_printf(struct smtpc *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void smtpc_fail(struct smtpc *c, enum send_fact_kind kind,
                const struct smtp_reply *r, const char *detail);
void smtpc_quit_start(struct smtpc *c, uint64_t wait_ms);
SSL *smtpc_ssl_new(struct smtpc *c);
void smtpc_bev_setup(struct smtpc *c, struct bufferevent *bev);
void smtpc_kick(struct smtpc *c);

/* smtpc_session.c: setting the session up. */
void smtpc_ehlo_send(struct smtpc *c);
void smtpc_line_cb(void *arg, unsigned index, const char *text, size_t len);
void smtpc_session_reply(struct smtpc *c, const struct smtp_reply *r);

/* smtpc_probe.c: a session without mail. */
void smtpc_probe_up(struct smtpc *c, const struct smtp_reply *r);
void smtpc_probe_end(struct smtpc *c, const struct send_result *outcome);
void smtpc_probe_report(struct smtpc *c);

/* smtpc_txn.c: one message. */
enum smtpc_step smtpc_step_kind(const struct smtpc *c, size_t i, size_t *rcpt);
void smtpc_msg_end(struct smtpc *c, const struct send_result *outcome);
void smtpc_txn_start(struct smtpc *c);
void smtpc_txn_reply(struct smtpc *c, const struct smtp_reply *r);
void smtpc_dot_reply(struct smtpc *c, const struct smtp_reply *r);
void smtpc_body_pump(struct smtpc *c);

#endif
