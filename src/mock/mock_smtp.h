/*
 * mock_smtp.h - swerve-mock's SMTP server with fault injection (contract).
 *
 * A strict ESMTP server on the caller's libevent loop: EHLO with
 * PIPELINING, SIZE, 8BITMIME, ENHANCEDSTATUSCODES, STARTTLS (when a
 * certificate is given) and AUTH PLAIN LOGIN. Accepted messages go to the
 * shared store (struct mock); the shared mode decides every answer:
 *
 *   accept    250 2.0.0 Ok: queued as <id> at the final dot
 *   tempfail  451 4.3.0 at the final dot
 *   permfail  550 5.1.1 at every RCPT (then 554 5.5.1 at DATA)
 *   rcptfail  550 5.1.1 at RCPT for addresses containing the substring
 *             (ASCII case-insensitive)
 *   throttle  454 4.7.0 at MAIL
 *   authfail  535 5.7.8 at AUTH; 530 5.7.0 at MAIL if the session has not
 *             authenticated (sessions that did before keep going)
 *   slow MS   every reply (greeting included) is sent MS ms late, by a timer
 *   hang      new connections are never greeted; on an existing session
 *             the next command (or final dot) gets no reply, and the
 *             session stays silent even if the mode changes back
 *   drop      the connection is closed without a reply after the body
 *   refuse    the listening socket is closed (connect() is refused) and
 *             every open session is closed at once; the socket is opened
 *             again, on the same address, when the mode changes away
 *
 * A mode change applies to the next command of every open session.
 *
 * AUTH: without credentials configured, AUTH is offered, optional, and any
 * user/password is accepted. With credentials, MAIL before a successful
 * AUTH gets 530 5.7.0 and wrong ones get 535 5.7.8. AUTH is offered with
 * and without TLS (a test tool, not a server to expose).
 */
#ifndef SWERVE_MOCK_MOCK_SMTP_H
#define SWERVE_MOCK_MOCK_SMTP_H

#include <stdint.h>

#include "mock/mock.h"

struct mock_smtp_opts {
	const char *listen;    /* "127.0.0.1:2525", "[::1]:2525"; port 0 ok */
	const char *tls_cert;  /* PEM chain file, or NULL: no STARTTLS */
	const char *tls_key;   /* PEM key file, with tls_cert */
	const char *auth_user; /* NULL: AUTH optional, anything accepted */
	const char *auth_pass;
	uint64_t max_size;       /* SIZE limit in octets; 0: 50 MiB */
	unsigned idle_timeout_s; /* close idle sessions; 0: 300 s */
};

struct mock_smtp;

/*
 * mock_smtp_new - listen on o->listen (unless the mode is refuse) and
 * serve sessions on m->base. Strings in o are copied. Returns NULL after
 * logging why (bad address, port in use, bad certificate).
 */
struct mock_smtp *mock_smtp_new(struct mock *m, const struct mock_smtp_opts *o);

/* mock_smtp_port - the TCP port listened on (the real one if 0 was asked). */
unsigned mock_smtp_port(const struct mock_smtp *srv);

/* mock_smtp_free - close the listener and every session; NULL is a no-op.
 * Must not be called while the mock's mode watchers may still run. */
void mock_smtp_free(struct mock_smtp *srv);

#endif
