/*
 * smtpd.h - the SMTP submission server on the event loop (contract).
 *
 * One struct smtpd owns its listeners and every session accepted on them.
 * A session speaks ESMTP (RFC 5321) with PIPELINING, SIZE, 8BITMIME,
 * ENHANCEDSTATUSCODES, SMTPUTF8, STARTTLS and AUTH PLAIN/LOGIN, decides who
 * may submit through submit_policy, and hands each message to the spool.
 * It says "250 ... queued as <id>" only from the spool's commit callback.
 *
 * Everything runs on the loop thread of the event_base given to
 * smtpd_new(); no function here may be called from another thread.
 */
#ifndef SWERVE_INGRESS_SMTPD_H
#define SWERVE_INGRESS_SMTPD_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct event_base;
struct config;
struct config_addr;
struct spool;
struct smtpd;

/* Why a session, command or message was refused (for metrics). */
enum smtpd_reject {
	SMTPD_REJECT_SESSIONS,       /* limits.max_sessions reached [421] */
	SMTPD_REJECT_SESSIONS_IP,    /* limits.max_sessions_per_ip [421] */
	SMTPD_REJECT_AUTH_REQUIRED,  /* MAIL without AUTH or trust [530] */
	SMTPD_REJECT_AUTH_FAILED,    /* bad credentials [535] */
	SMTPD_REJECT_AUTH_THROTTLED, /* AUTH too soon after failures [454] */
	SMTPD_REJECT_SENDER,         /* sender not in from_domains [553] */
	SMTPD_REJECT_SIZE,           /* SIZE= or body over the limit [552] */
	SMTPD_REJECT_RECIPIENTS,     /* over limits.max_recipients [452] */
	SMTPD_REJECT_CONTENT,        /* bare LF/CR, NUL, long line in DATA */
	SMTPD_REJECT_STORAGE,        /* spool full or I/O error [452/451] */
	SMTPD_REJECT_TIMEOUT,        /* idle, stalled or too slow [421] */
	SMTPD_REJECT_PROTOCOL,       /* syntax, sequence, too many errors */
	SMTPD_REJECT_SUPPRESSED, /* recipient on the suppression list [550] */
	SMTPD_REJECT_COUNT,
};

/* Counters since smtpd_new(); read with smtpd_stats_get(). */
struct smtpd_stats {
	uint64_t sessions_open;  /* sessions now open */
	uint64_t sessions_total; /* sessions accepted since start */
	uint64_t accepted;       /* messages the spool stored */
	uint64_t accepted_bytes; /* their sizes as stored */
	uint64_t rejected[SMTPD_REJECT_COUNT];
};

/*
 * smtpd_new - a server with no listener yet.
 * cfg, sp and tls are borrowed and must outlive the server (tls may be
 * NULL: then STARTTLS is not offered). Never returns NULL.
 */
/*
 * smtpd_reload - use cfg (borrowed, must outlive the server) for new
 * commands: submitters (networks, users, their streams), streams, size
 * and recipient limits, hostname. Listeners and timeouts stay as they
 * were. Sessions already authenticated keep their user record, so the
 * previous config must stay alive too (swerved keeps every one).
 */
void smtpd_reload(struct smtpd *d, const struct config *cfg);

struct smtpd *smtpd_new(struct event_base *base, const struct config *cfg,
                        struct spool *sp, SSL_CTX *tls);

/*
 * smtpd_tls_set - use tls (borrowed, must outlive the server or the next
 * call) for STARTTLS from now on; handshakes already begun keep their own
 * reference to the previous context, so the caller may free that one on
 * return. Only swaps a context: tls is NULL exactly when it was before.
 */
void smtpd_tls_set(struct smtpd *d, SSL_CTX *tls);

/*
 * smtpd_listen - bind and listen on addr (may be called once per
 * listen.smtp entry). Returns 0, or -1 with a one-line message in err.
 */
int smtpd_listen(struct smtpd *s, const struct config_addr *addr, char *err,
                 size_t errlen);

/*
 * smtpd_listen_tls - bind and listen on addr for implicit-TLS submission
 * (RFC 8314, a listen.smtps entry): each connection starts with the TLS
 * handshake under the server's context (smtpd_new's tls, which must not
 * be NULL), then runs the same session as a listen.smtp one after
 * STARTTLS: the greeting, EHLO without STARTTLS, AUTH allowed. A client
 * that fails the handshake (plain text, a bad ClientHello, a timeout of
 * limits.command_timeout) is closed without a reply, and so is one
 * turned away (session limits, a graceful stop): nothing is said in
 * clear text on this port. Returns 0, or -1
 * with a one-line message in err.
 */
int smtpd_listen_tls(struct smtpd *s, const struct config_addr *addr, char *err,
                     size_t errlen);

/*
 * smtpd_listen_bounce - bind and listen on addr for the bounce mailbox
 * (a listen.bounce entry, ingress/smtpd_bounce.c): anyone may connect
 * and MAIL without AUTH, RCPT is taken only for a VERP address whose mac
 * verifies under the key of smtpd_bounce_key_set() at a provider's
 * bounce_domain (others 550), and a message is parsed as a DSN or an
 * abuse report and its events stored before the 250; nothing is ever
 * relayed or spooled for delivery. Returns 0, or -1 with a one-line
 * message in err.
 */
int smtpd_listen_bounce(struct smtpd *s, const struct config_addr *addr,
                        char *err, size_t errlen);

/* smtpd_bounce_key_set - the VERP key (deliver/verp_key.h) the bounce
 * listeners check addresses with; borrowed, must outlive the server. */
void smtpd_bounce_key_set(struct smtpd *s, const unsigned char *key,
                          size_t len);

/*
 * smtpd_port - the local port of the i-th listener (in the order of the
 * smtpd_listen, smtpd_listen_tls and smtpd_listen_bounce calls),
 * useful after listening on port 0; 0 if there is no such listener.
 */
uint16_t smtpd_port(const struct smtpd *s, size_t i);

/* smtpd_stats_get - copy the counters into out. */
void smtpd_stats_get(const struct smtpd *s, struct smtpd_stats *out);

/* smtpd_reject_name - "sessions", "auth_required", ... (metric labels). */
const char *smtpd_reject_name(enum smtpd_reject r);

/*
 * smtpd_stop_accepting - a graceful stop began: new connections get
 * "421 4.3.2 ... shutting down" and are closed, and so is every session
 * at its next command (except QUIT, which gets its 221). A message
 * already in DATA or with the spool is finished and answered first.
 */
void smtpd_stop_accepting(struct smtpd *s);

/*
 * smtpd_free - close the listeners and every session (without a reply).
 * A session whose message is still being committed is detached from its
 * commit: the spool's callback may still run later (or in spool_close())
 * and then only releases its small token. NULL is a no-op.
 */
void smtpd_free(struct smtpd *s);

#endif
