/*
 * smtpd_session.h - one SMTP server session (private to src/ingress/smtpd*.c).
 *
 * Not a public contract: the server (smtpd.c), the session I/O
 * (smtpd_session.c) and the command table (smtpd_cmd.c) share these
 * definitions. Everything runs on the loop thread.
 *
 * Ownership: struct smtpd owns its sessions; a session owns its bufferevent
 * (and through it the socket and, after STARTTLS, the SSL), its timer and
 * its transaction (sender, recipients, body). While the spool commits a
 * message, the spool holds a struct smtpd_commit token; the session points
 * at it and detaches it (token->sess = NULL) when freed.
 */
#ifndef SWERVE_INGRESS_SMTPD_SESSION_H
#define SWERVE_INGRESS_SMTPD_SESSION_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <openssl/ssl.h>

#include "core/buf.h"
#include "core/id.h"
#include "ingress/accept_pause.h"
#include "ingress/smtp_data.h"
#include "ingress/smtp_parse.h"
#include "ingress/smtpd.h"

struct config_user;
struct auth_throttle;
struct peer_cap;
struct proxy_read_set;
struct evconnlistener;

#define SMTPD_MAX_ERRORS 20          /* protocol errors before 421 */
#define SMTPD_READ_HIGH (256 * 1024) /* input buffered before reads stop */
#define SMTPD_READ_CHUNK (64 * 1024) /* most octets one read(2) takes */
#define SMTPD_OUT_HIGH (64 * 1024)   /* replies queued before parsing stops */
#define SMTPD_RATE_GRACE_MS 5000     /* DATA time before min_data_rate */
#define SMTPD_CLOSE_MS 10000         /* longest wait to flush a last reply */
#define SMTPD_RESERVE_MAX (1024 * 1024) /* largest body preallocation */
#define SMTPD_AUTH_MAX 512              /* decoded SASL response octets */

/* Where a session is; one switch in smtpd_session_run() drives it. */
enum smtpd_state {
	SMTPD_STATE_CMD,        /* reading command lines */
	SMTPD_STATE_DISCARD,    /* skipping the rest of an overlong line */
	SMTPD_STATE_AUTH_PLAIN, /* waiting for the PLAIN response */
	SMTPD_STATE_AUTH_USER,  /* waiting for the LOGIN user name */
	SMTPD_STATE_AUTH_PASS,  /* waiting for the LOGIN password */
	SMTPD_STATE_DATA,       /* reading the message text */
	SMTPD_STATE_COMMIT,     /* message with the spool; input waits */
	SMTPD_STATE_TLS,        /* TLS handshake after STARTTLS */
	SMTPD_STATE_CLOSE,      /* flushing the last reply, then free */
};

struct smtpd_session;

/* What the spool holds for a pending commit; outlives a freed session. */
struct smtpd_commit {
	struct smtpd_session *sess; /* NULL once the session is gone */
};

struct smtpd_session {
	TAILQ_ENTRY(smtpd_session) entry;
	struct smtpd *smtpd;
	struct bufferevent *bev; /* the TLS filter once STARTTLS is done */
	struct event *timer;     /* idle, data rate, close deadline */
	enum smtpd_state state;
	bool data_hint; /* counted in spool_data_hint() while in DATA */
	bool trusted;   /* peer in submitters.networks */
	bool tls;       /* TLS is up */
	bool helo_seen; /* HELO or EHLO since connect or STARTTLS */
	bool esmtp;     /* it was EHLO */
	bool in_tx;     /* MAIL accepted, transaction open */
	bool smtputf8;  /* MAIL had SMTPUTF8 */
	bool running;   /* inside smtpd_session_kick() */
	bool paused;    /* too many replies queued; wait for the write cb */
	bool under_cb;  /* watching the TLS layer's output to drain */
	bool implicit;  /* accepted on listen.smtps: TLS from the start */
	bool greeted;   /* the 220 (or 421) greeting was queued */
	bool bounce;    /* accepted on listen.bounce (smtpd_bounce.c) */
	const struct config_user *user; /* after AUTH; borrowed from cfg */
	unsigned errors;
	unsigned auth_failures;
	char ip[INET6_ADDRSTRLEN];
	char client[INET6_ADDRSTRLEN + 16]; /* "ip:port" or "[ip]:port" */
	char helo[256];

	/* The transaction. */
	char sender[SMTP_PATH_MAX + 1];
	char **rcpts;
	size_t n_rcpts, cap_rcpts;
	uint64_t size_hint; /* MAIL SIZE=, 0 if not given */
	struct buf body;    /* Received + message text */
	size_t body_off;    /* where the client's text starts in body */
	struct smtp_data data;
	uint64_t data_start_ms; /* monotonic: DATA began */
	uint64_t data_bytes;    /* wire octets read in DATA */
	struct smtpd_commit *commit;
	/* listen.bounce: the message and recipient the VERP RCPT named, and
	 * the provider whose bounce_domain it is at (borrowed from cfg). */
	char verp_id[ID_SIZE];
	int verp_idx;
	const char *verp_provider;
	size_t done_nrcpt, done_size; /* of the message being committed */

	struct buf out; /* replies not yet handed to the bufferevent */
	char line[SMTP_CMD_LINE_MAX + 1];
	unsigned char auth_user[SMTPD_AUTH_MAX]; /* LOGIN user, between steps */
	size_t auth_user_len;
};

TAILQ_HEAD(smtpd_sessions, smtpd_session);

struct smtpd {
	struct event_base *base;
	const struct config *cfg;
	struct spool *sp;
	SSL_CTX *tls;
	struct evconnlistener **listeners;
	size_t n_listeners;
	struct accept_pause accept_pause; /* stops accepting after EMFILE */
	struct peer_cap *per_ip;          /* sessions per client address */
	struct proxy_read_set *proxies;   /* load balancers' headers awaited */
	struct auth_throttle *auth_throttle; /* AUTH failures, all sessions */
	struct smtpd_sessions sessions;
	const struct timeval *idle_tv; /* common timeouts (O(1) re-arming) */
	struct timeval cmd_tv;
	struct smtpd_stats stats;
	bool stopping; /* smtpd_stop_accepting: 421 to what comes next */
	const unsigned char *verp_key; /* listen.bounce; borrowed */
	size_t verp_key_len;
};

/*
 * smtpd_session_reply_lit - queue one constant reply line (CRLF added).
 * Replies collect in s->out and leave in one write per batch of input.
 */
#define smtpd_session_reply_lit(s, lit)                                        \
	buf_add(&(s)->out, lit "\r\n", sizeof(lit "\r\n") - 1)

/* smtpd_ms_tv - milliseconds as a timeval. */
static inline struct timeval
smtpd_ms_tv(uint64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	return tv;
}

/* --- smtpd.c ----------------------------------------------------------- */

/*
 * smtpd_turn_away - answer 421 on the fresh socket fd and close it (on an
 * implicit-TLS listener only close it: nothing goes in clear text); count
 * and log reason r for client ip. Takes ownership of fd.
 */
void smtpd_turn_away(struct smtpd *d, evutil_socket_t fd, enum smtpd_reject r,
                     const char *ip, bool implicit);

/* smtpd_per_ip_limit - sessions one client address may hold now. */
size_t smtpd_per_ip_limit(const struct smtpd *d);

/* --- smtpd_session.c ----------------------------------------------------- */

/*
 * smtpd_session_new - a session on the accepted socket fd: greets it, or,
 * implicit (listen.smtps), starts the TLS handshake and greets once it is
 * done. Takes ownership of fd (closed on failure). Returns the session or
 * NULL.
 */
struct smtpd_session *smtpd_session_new(struct smtpd *d, evutil_socket_t fd,
                                        const struct sockaddr *sa,
                                        socklen_t salen, bool implicit);

/*
 * smtpd_session_resume - a message's commit answered (its reply queued):
 * forget the transaction, read commands again and run what waits. Only
 * from a top-level callback (the spool's).
 */
void smtpd_session_resume(struct smtpd_session *s);

/* smtpd_session_free - close and release s now; detaches a pending commit. */
void smtpd_session_free(struct smtpd_session *s);

/* smtpd_session_reply - queue one formatted reply line (CRLF added). */
void smtpd_session_reply(struct smtpd_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * smtpd_session_reject - refuse something for reason r: count it, log it
 * at info with the reply, and queue the reply. protocol says whether it
 * counts toward the session's error limit.
 */
void smtpd_session_reject(struct smtpd_session *s, enum smtpd_reject r,
                          bool protocol, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* smtpd_session_close - accept no more input; flush replies, then free. */
void smtpd_session_close(struct smtpd_session *s);

/* smtpd_session_tx_reset - forget the transaction (RSET, HELO, DATA end). */
void smtpd_session_tx_reset(struct smtpd_session *s);

/* smtpd_session_data_begin - DATA accepted: answer 354 and read text. */
void smtpd_session_data_begin(struct smtpd_session *s);

/* smtpd_session_starttls - STARTTLS accepted: answer 220, start TLS. */
void smtpd_session_starttls(struct smtpd_session *s);

/* --- smtpd_bounce.c ----------------------------------------------------- */

/* smtpd_bounce_rcpt - RCPT on listen.bounce: a verified VERP address at
 * a provider's bounce_domain, one per transaction; else refused. */
void smtpd_bounce_rcpt(struct smtpd_session *s, const char *path, size_t len);

/*
 * smtpd_bounce_data_end - the final dot on listen.bounce: parse s->body
 * as a DSN or an abuse report and store its events (the session waits in
 * SMTPD_STATE_COMMIT; 250 from the spool's callback), or refuse it.
 */
void smtpd_bounce_data_end(struct smtpd_session *s);

/* --- smtpd_cmd.c --------------------------------------------------------- */

/* smtpd_cmd_dispatch - parse one command line (no CRLF) and act on it. */
void smtpd_cmd_dispatch(struct smtpd_session *s, const char *line, size_t len);

/* smtpd_cmd_auth_step - one client line inside an AUTH dialogue. */
void smtpd_cmd_auth_step(struct smtpd_session *s, const char *line, size_t len);

/* smtpd_cmd_auth_forget - wipe AUTH state kept between dialogue steps. */
void smtpd_cmd_auth_forget(struct smtpd_session *s);

#endif
