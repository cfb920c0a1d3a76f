/*
 * mock_sess.h - one swerve-mock SMTP session's dialogue (contract).
 *
 * The SMTP side of the mock is two files: mock_smtp.c owns sockets, TLS,
 * pacing (slow mode) and closing; mock_sess.c decides what to answer to
 * each command under the current mode (the table in mock_smtp.h). The
 * dialogue never touches a socket: it appends reply lines to s->pending
 * and sets flags (close_after, close_now, tls_after) that mock_smtp.c acts
 * on once it writes the replies. Internal to src/mock.
 */
#ifndef SWERVE_MOCK_MOCK_SESS_H
#define SWERVE_MOCK_MOCK_SESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "mock/mock.h"
#include "mock/mock_parse.h"

enum mock_sess_state {
	MOCK_SESS_CMD,
	MOCK_SESS_DATA,
	MOCK_SESS_AUTH_PLAIN, /* waiting for the PLAIN response */
	MOCK_SESS_AUTH_USER,  /* LOGIN: waiting for the user name */
	MOCK_SESS_AUTH_PASS,  /* LOGIN: waiting for the password */
	MOCK_SESS_HUNG,       /* hang mode: read and ignore everything */
	MOCK_SESS_CLOSING,    /* last reply queued; close once written */
};

/* What the server tells every session; owned by the server. */
struct mock_sess_cfg {
	struct mock *m;
	bool tls_available;    /* STARTTLS can be offered */
	const char *auth_user; /* NULL: AUTH optional, anything accepted */
	const char *auth_pass;
	uint64_t max_size;
};

struct mock_sess {
	/* Set by mock_smtp.c. */
	const struct mock_sess_cfg *cfg;
	unsigned long id;              /* for logs */
	struct mock_smtp *srv;         /* private to mock_smtp.c */
	struct mock_sess *prev, *next; /* private to mock_smtp.c */
	struct bufferevent *bev;       /* private to mock_smtp.c */
	struct event *timer;           /* private to mock_smtp.c */
	bool paused;                   /* private to mock_smtp.c */
	bool tls;                      /* TLS is active */

	/* Output of the dialogue, consumed by mock_smtp.c. */
	struct buf pending; /* reply lines not yet written */
	bool close_after;   /* close once the pending replies are written */
	bool close_now;     /* close at once, writing nothing more */
	bool tls_after;     /* start TLS once the pending reply is written */

	/* Dialogue state. */
	enum mock_sess_state state;
	bool greeted, authed, has_mail;
	char *mail_from;
	char **rcpt;
	size_t nrcpt;
	char *login_user;
	struct buf body;
	struct mock_data reader; /* fed by mock_smtp.c in MOCK_SESS_DATA */
};

/* mock_sess_init - a fresh dialogue for a new connection. */
void mock_sess_init(struct mock_sess *s, const struct mock_sess_cfg *cfg,
                    unsigned long id);

/* mock_sess_fini - release the dialogue's memory (not the connection). */
void mock_sess_fini(struct mock_sess *s);

/* mock_sess_greet - the connection is up: queue the 220 greeting, or go
 * silent in hang mode. */
void mock_sess_greet(struct mock_sess *s);

/* mock_sess_reply - queue one reply line (CRLF added). */
void mock_sess_reply(struct mock_sess *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* mock_sess_line - one input line (CRLF removed) in the command or AUTH
 * states. */
void mock_sess_line(struct mock_sess *s, const char *line, size_t len);

/* mock_sess_data_end - the reader saw the final dot: accept the message,
 * refuse it, drop the connection or hang, by mode. */
void mock_sess_data_end(struct mock_sess *s);

/* mock_sess_tls_started - TLS is up: forget what the client said before
 * (RFC 3207 4.2). */
void mock_sess_tls_started(struct mock_sess *s);

#endif
