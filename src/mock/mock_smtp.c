/*
 * mock_smtp.c - swerve-mock's SMTP server with fault injection.
 *
 * One struct mock_sess per connection, driven by its bufferevent. Input is
 * handled one command at a time; every reply is collected in the session's
 * pending buffer and written by mock_sess_flush(), which in slow mode
 * holds it back on a timer and pauses input handling until the timer
 * fires, so pipelined commands are answered one delay apart. Nothing here
 * blocks or sleeps.
 *
 * Sessions are freed only from mock_sess_process() (and the event and
 * timer callbacks that lead to it), never from inside a command handler:
 * handlers set close_now and return.
 */
#include "mock/mock_smtp.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "mock/mock_parse.h"

#define MOCK_SMTP_MAX_SIZE_DEFAULT (50u * 1024 * 1024)
#define MOCK_SMTP_IDLE_DEFAULT 300
#define MOCK_SMTP_RCPT_MAX 1000
#define MOCK_SMTP_READ_HIGH (256 * 1024) /* stop reading above this */
#define MOCK_SMTP_LINE_JUNK 4096 /* a "command" this long without LF */

enum mock_sess_state {
	MOCK_SESS_CMD,
	MOCK_SESS_DATA,
	MOCK_SESS_AUTH_PLAIN, /* waiting for the PLAIN response */
	MOCK_SESS_AUTH_USER,  /* LOGIN: waiting for the user name */
	MOCK_SESS_AUTH_PASS,  /* LOGIN: waiting for the password */
	MOCK_SESS_HUNG,	      /* hang mode: read and ignore everything */
	MOCK_SESS_CLOSING,    /* last reply queued; close once written */
};

struct mock_smtp {
	struct mock *m;
	struct sockaddr_storage addr;
	int addrlen;
	unsigned port;
	struct evconnlistener *lev; /* NULL while refusing */
	struct event *rebind;	    /* retries a failed re-listen */
	SSL_CTX *tls;		    /* NULL: no STARTTLS */
	char *auth_user, *auth_pass;
	uint64_t max_size;
	unsigned idle_s;
	struct mock_sess *sessions;
	unsigned long next_id;
};

struct mock_sess {
	struct mock_smtp *srv;
	struct mock_sess *prev, *next;
	unsigned long id;
	struct bufferevent *bev;
	struct event *timer;  /* slow replies; closing TLS sessions */
	struct buf pending;   /* replies not yet written */
	enum mock_sess_state state;
	bool paused;	      /* a delayed reply is pending */
	bool close_after;     /* close once the pending reply is written */
	bool close_now;	      /* close without writing anything more */
	bool tls_after;	      /* start TLS once the pending reply is written */
	bool tls, greeted, authed, has_mail;
	char *mail_from;
	char **rcpt;
	size_t nrcpt;
	char *login_user;
	struct buf body;
	struct mock_data reader;
};

static void mock_sess_process(struct mock_sess *s);
static void mock_sess_event_cb(struct bufferevent *bev, short what, void *arg);
static void mock_sess_read_cb(struct bufferevent *bev, void *arg);
static void mock_sess_write_cb(struct bufferevent *bev, void *arg);

/* mock_sess_reply - queue one reply line (CRLF added). */
static void __attribute__((format(printf, 2, 3)))
mock_sess_reply(struct mock_sess *s, const char *fmt, ...)
{
	va_list ap;
	char line[1024];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_debug("mock[%s]: smtp#%lu > %s", s->srv->m->name, s->id, line);
	buf_addstr(&s->pending, line);
	buf_add(&s->pending, "\r\n", 2);
}

/* mock_sess_txn_reset - forget the mail transaction (RSET semantics). */
static void
mock_sess_txn_reset(struct mock_sess *s)
{
	size_t i;

	for (i = 0; i < s->nrcpt; i++)
		free(s->rcpt[i]);
	free(s->rcpt);
	s->rcpt = NULL;
	s->nrcpt = 0;
	free(s->mail_from);
	s->mail_from = NULL;
	s->has_mail = false;
	buf_fini(&s->body);
}

/* mock_sess_free - close the connection and release the session. */
static void
mock_sess_free(struct mock_sess *s)
{
	struct mock_smtp *srv = s->srv;

	log_debug("mock[%s]: smtp#%lu closed", srv->m->name, s->id);
	if (s->prev)
		s->prev->next = s->next;
	else
		srv->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	mock_sess_txn_reset(s);
	free(s->login_user);
	buf_fini(&s->pending);
	event_free(s->timer);
	bufferevent_free(s->bev);
	free(s);
}

/* mock_sess_drained - the output is empty, TLS records included. */
static bool
mock_sess_drained(struct mock_sess *s)
{
	struct bufferevent *under = bufferevent_get_underlying(s->bev);

	if (evbuffer_get_length(bufferevent_get_output(s->bev)) != 0)
		return false;
	return under == NULL ||
	    evbuffer_get_length(bufferevent_get_output(under)) == 0;
}

/* mock_sess_tls_start - wrap the connection in TLS after "220 Ready". */
static void
mock_sess_tls_start(struct mock_sess *s)
{
	struct mock_smtp *srv = s->srv;
	struct bufferevent *f;
	SSL *ssl;

	s->tls_after = false;
	/* RFC 3207 5: whatever was pipelined after STARTTLS is discarded,
	 * so plaintext cannot be injected into the TLS session. */
	evbuffer_drain(bufferevent_get_input(s->bev),
	    evbuffer_get_length(bufferevent_get_input(s->bev)));
	ssl = SSL_new(srv->tls);
	if (ssl == NULL) {
		log_warn("mock[%s]: smtp#%lu: SSL_new failed", srv->m->name,
		    s->id);
		s->close_now = true;
		return;
	}
	f = bufferevent_openssl_filter_new(srv->m->base, s->bev, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (f == NULL) {
		SSL_free(ssl);
		s->close_now = true;
		return;
	}
	s->bev = f;
	bufferevent_setcb(f, mock_sess_read_cb, mock_sess_write_cb,
	    mock_sess_event_cb, s);
	bufferevent_setwatermark(f, EV_READ, 0, MOCK_SMTP_READ_HIGH);
	{
		struct timeval tv = {(time_t)srv->idle_s, 0};

		bufferevent_set_timeouts(f, &tv, &tv);
	}
	bufferevent_enable(f, EV_READ | EV_WRITE);
	/* The client starts over (RFC 3207 4.2). */
	s->tls = true;
	s->greeted = false;
	s->authed = false;
	mock_sess_txn_reset(s);
}

/* mock_sess_write - hand the pending replies to the connection. */
static void
mock_sess_write(struct mock_sess *s)
{
	if (s->pending.len > 0)
		bufferevent_write(s->bev, s->pending.p, s->pending.len);
	s->pending.len = 0;
	if (s->tls_after)
		mock_sess_tls_start(s);
	if (s->close_after) {
		s->state = MOCK_SESS_CLOSING;
		bufferevent_disable(s->bev, EV_READ);
	}
}

/* mock_sess_flush - write the pending replies now, or later in slow mode. */
static void
mock_sess_flush(struct mock_sess *s)
{
	const struct mock_mode_set *mode = &s->srv->m->mode;

	if (s->pending.len == 0 || s->close_now)
		return;
	if (mode->mode == MOCK_MODE_SLOW && mode->slow_ms > 0) {
		struct timeval tv = {(time_t)(mode->slow_ms / 1000),
		    (suseconds_t)(mode->slow_ms % 1000) * 1000};

		s->paused = true;
		evtimer_add(s->timer, &tv);
		return;
	}
	mock_sess_write(s);
}

/* mock_sess_hang - go silent for good (hang mode). */
static void
mock_sess_hang(struct mock_sess *s)
{
	log_debug("mock[%s]: smtp#%lu hangs", s->srv->m->name, s->id);
	s->state = MOCK_SESS_HUNG;
	s->pending.len = 0;
	s->close_after = false;
	s->tls_after = false;
}

/* mock_sess_authcheck - decide an AUTH attempt for user/pass. */
static void
mock_sess_authcheck(struct mock_sess *s, struct str user, struct str pass)
{
	struct mock_smtp *srv = s->srv;
	bool ok = true;

	s->state = MOCK_SESS_CMD;
	if (srv->m->mode.mode == MOCK_MODE_AUTHFAIL)
		ok = false;
	else if (srv->auth_user != NULL)
		ok = user.len == strlen(srv->auth_user) &&
		    memcmp(user.p, srv->auth_user, user.len) == 0 &&
		    pass.len == strlen(srv->auth_pass) &&
		    memcmp(pass.p, srv->auth_pass, pass.len) == 0;
	if (!ok) {
		mock_stat_add(srv->m, MOCK_STAT_AUTH_REJECTED);
		mock_sess_reply(s, "535 5.7.8 Authentication credentials "
				   "invalid");
		return;
	}
	mock_stat_add(srv->m, MOCK_STAT_AUTH_ACCEPTED);
	s->authed = true;
	mock_sess_reply(s, "235 2.7.0 Authentication successful");
}

/* mock_sess_auth_response - one base64 line during an AUTH exchange. */
static void
mock_sess_auth_response(struct mock_sess *s, const char *line, size_t len)
{
	struct buf dec;
	struct str user, pass;

	if (len == 1 && line[0] == '*') {
		s->state = MOCK_SESS_CMD;
		mock_sess_reply(s, "501 5.0.0 Authentication cancelled");
		return;
	}
	buf_init(&dec);
	if (mock_b64_decode((struct str){line, len}, &dec) < 0) {
		s->state = MOCK_SESS_CMD;
		mock_sess_reply(s, "501 5.5.2 Cannot decode response");
		goto done;
	}
	switch (s->state) {
	case MOCK_SESS_AUTH_PLAIN:
		if (mock_auth_plain_split((struct str){dec.p ? dec.p : "",
		    dec.len}, &user, &pass) < 0) {
			s->state = MOCK_SESS_CMD;
			mock_sess_reply(s, "501 5.5.2 Bad PLAIN response");
			goto done;
		}
		mock_sess_authcheck(s, user, pass);
		break;
	case MOCK_SESS_AUTH_USER:
		free(s->login_user);
		s->login_user = xmemdup(dec.p ? dec.p : "", dec.len);
		s->state = MOCK_SESS_AUTH_PASS;
		mock_sess_reply(s, "334 UGFzc3dvcmQ6");
		break;
	case MOCK_SESS_AUTH_PASS:
		mock_sess_authcheck(s, str_from(s->login_user),
		    (struct str){dec.p ? dec.p : "", dec.len});
		break;
	default:
		log_panic("mock: smtp: auth response in state %d", s->state);
	}
done:
	buf_fini(&dec);
}

/* mock_smtp_ehlo - HELO and EHLO. */
static void
mock_smtp_ehlo(struct mock_sess *s, const struct mock_cmd *cmd)
{
	struct mock_smtp *srv = s->srv;

	mock_sess_txn_reset(s);
	s->greeted = true;
	if (cmd->verb == MOCK_VERB_HELO) {
		mock_sess_reply(s, "250 %s", srv->m->name);
		return;
	}
	mock_sess_reply(s, "250-%s Hello %.*s", srv->m->name,
	    (int)cmd->arg.len, cmd->arg.p);
	mock_sess_reply(s, "250-PIPELINING");
	mock_sess_reply(s, "250-SIZE %llu", (unsigned long long)srv->max_size);
	mock_sess_reply(s, "250-8BITMIME");
	if (srv->tls != NULL && !s->tls)
		mock_sess_reply(s, "250-STARTTLS");
	mock_sess_reply(s, "250-AUTH PLAIN LOGIN");
	mock_sess_reply(s, "250 ENHANCEDSTATUSCODES");
}

/* mock_smtp_mail - MAIL FROM, where throttle and auth faults happen. */
static void
mock_smtp_mail(struct mock_sess *s, const struct mock_cmd *cmd)
{
	struct mock *m = s->srv->m;

	if (!s->greeted) {
		mock_sess_reply(s, "503 5.5.1 Send EHLO/HELO first");
		return;
	}
	if (s->has_mail) {
		mock_sess_reply(s, "503 5.5.1 Sender already specified");
		return;
	}
	if (!s->authed && (s->srv->auth_user != NULL ||
	    m->mode.mode == MOCK_MODE_AUTHFAIL)) {
		mock_stat_add(m, MOCK_STAT_MESSAGES_REJECTED);
		mock_sess_reply(s, "530 5.7.0 Authentication required");
		return;
	}
	if (m->mode.mode == MOCK_MODE_THROTTLE) {
		mock_stat_add(m, MOCK_STAT_MESSAGES_REJECTED);
		mock_sess_reply(s, "454 4.7.0 Throttling failure: Maximum "
				   "sending rate exceeded");
		return;
	}
	if (cmd->has_size && cmd->size > s->srv->max_size) {
		mock_stat_add(m, MOCK_STAT_MESSAGES_REJECTED);
		mock_sess_reply(s, "552 5.3.4 Message size exceeds fixed "
				   "limit");
		return;
	}
	s->mail_from = str_dup(cmd->path);
	s->has_mail = true;
	mock_sess_reply(s, "250 2.1.0 Ok");
}

/* mock_smtp_rcpt - RCPT TO, where permfail and rcptfail happen. */
static void
mock_smtp_rcpt(struct mock_sess *s, const struct mock_cmd *cmd)
{
	struct mock *m = s->srv->m;
	char *addr;

	if (!s->has_mail) {
		mock_sess_reply(s, "503 5.5.1 Need MAIL before RCPT");
		return;
	}
	if (s->nrcpt >= MOCK_SMTP_RCPT_MAX) {
		mock_sess_reply(s, "452 4.5.3 Too many recipients");
		return;
	}
	addr = str_dup(cmd->path);
	if (m->mode.mode == MOCK_MODE_PERMFAIL ||
	    (m->mode.mode == MOCK_MODE_RCPTFAIL &&
	    strcasestr(addr, m->mode.match) != NULL)) {
		mock_stat_add(m, MOCK_STAT_RCPTS_REJECTED);
		mock_sess_reply(s, "550 5.1.1 <%s>: Recipient address "
				   "rejected: User unknown", addr);
		free(addr);
		return;
	}
	mock_stat_add(m, MOCK_STAT_RCPTS_ACCEPTED);
	s->rcpt = xreallocarray(s->rcpt, s->nrcpt + 1, sizeof(*s->rcpt));
	s->rcpt[s->nrcpt++] = addr;
	mock_sess_reply(s, "250 2.1.5 Ok");
}

/* mock_smtp_data - DATA: switch to reading the body. */
static void
mock_smtp_data(struct mock_sess *s, const struct mock_cmd *cmd)
{
	if (!s->has_mail) {
		mock_sess_reply(s, "503 5.5.1 Need MAIL command");
		return;
	}
	if (s->nrcpt == 0) {
		mock_sess_reply(s, "554 5.5.1 No valid recipients");
		return;
	}
	buf_fini(&s->body);
	mock_data_init(&s->reader, &s->body, s->srv->max_size);
	s->state = MOCK_SESS_DATA;
	mock_sess_reply(s, "354 End data with <CR><LF>.<CR><LF>");
}

/* mock_smtp_rset - RSET. */
static void
mock_smtp_rset(struct mock_sess *s, const struct mock_cmd *cmd)
{
	mock_sess_txn_reset(s);
	mock_sess_reply(s, "250 2.0.0 Ok");
}

/* mock_smtp_noop - NOOP, HELP and VRFY: harmless answers. */
static void
mock_smtp_noop(struct mock_sess *s, const struct mock_cmd *cmd)
{
	if (cmd->verb == MOCK_VERB_HELP)
		mock_sess_reply(s, "214 2.0.0 swerve-mock: a fake provider");
	else if (cmd->verb == MOCK_VERB_VRFY)
		mock_sess_reply(s, "252 2.5.0 Cannot VRFY user, but will "
				   "accept message");
	else
		mock_sess_reply(s, "250 2.0.0 Ok");
}

/* mock_smtp_quit - QUIT. */
static void
mock_smtp_quit(struct mock_sess *s, const struct mock_cmd *cmd)
{
	mock_sess_reply(s, "221 2.0.0 Bye");
	s->close_after = true;
}

/* mock_smtp_starttls - STARTTLS: reply, then switch once it is written. */
static void
mock_smtp_starttls(struct mock_sess *s, const struct mock_cmd *cmd)
{
	if (s->srv->tls == NULL) {
		mock_sess_reply(s, "454 4.7.0 TLS not available");
		return;
	}
	if (s->tls) {
		mock_sess_reply(s, "503 5.5.1 TLS already active");
		return;
	}
	mock_sess_reply(s, "220 2.0.0 Ready to start TLS");
	s->tls_after = true;
}

/* mock_smtp_auth - AUTH PLAIN / AUTH LOGIN. */
static void
mock_smtp_auth(struct mock_sess *s, const struct mock_cmd *cmd)
{
	bool plain = str_eq_nocase(cmd->arg, "PLAIN");

	if (!s->greeted) {
		mock_sess_reply(s, "503 5.5.1 Send EHLO first");
		return;
	}
	if (s->authed) {
		mock_sess_reply(s, "503 5.5.1 Already authenticated");
		return;
	}
	if (s->has_mail) {
		mock_sess_reply(s, "503 5.5.1 AUTH not permitted during a "
				   "mail transaction");
		return;
	}
	if (!plain && !str_eq_nocase(cmd->arg, "LOGIN")) {
		mock_sess_reply(s, "504 5.5.4 Unrecognized authentication "
				   "type");
		return;
	}
	if (cmd->auth_initial.len == 0) {
		s->state = plain ? MOCK_SESS_AUTH_PLAIN : MOCK_SESS_AUTH_USER;
		mock_sess_reply(s, plain ? "334 " : "334 VXNlcm5hbWU6");
		return;
	}
	/* An initial response of "=" stands for an empty one (RFC 4954). */
	s->state = plain ? MOCK_SESS_AUTH_PLAIN : MOCK_SESS_AUTH_USER;
	if (cmd->auth_initial.len == 1 && cmd->auth_initial.p[0] == '=')
		mock_sess_auth_response(s, "", 0);
	else
		mock_sess_auth_response(s, cmd->auth_initial.p,
		    cmd->auth_initial.len);
}

/* The command table: one row per verb. */
static const struct {
	enum mock_verb verb;
	void (*proceed)(struct mock_sess *, const struct mock_cmd *);
} mock_smtp_cmds[] = {
	{MOCK_VERB_HELO, mock_smtp_ehlo},
	{MOCK_VERB_EHLO, mock_smtp_ehlo},
	{MOCK_VERB_MAIL, mock_smtp_mail},
	{MOCK_VERB_RCPT, mock_smtp_rcpt},
	{MOCK_VERB_DATA, mock_smtp_data},
	{MOCK_VERB_RSET, mock_smtp_rset},
	{MOCK_VERB_NOOP, mock_smtp_noop},
	{MOCK_VERB_HELP, mock_smtp_noop},
	{MOCK_VERB_VRFY, mock_smtp_noop},
	{MOCK_VERB_QUIT, mock_smtp_quit},
	{MOCK_VERB_STARTTLS, mock_smtp_starttls},
	{MOCK_VERB_AUTH, mock_smtp_auth},
};

/* mock_sess_command - parse and run one command line. */
static void
mock_sess_command(struct mock_sess *s, const char *line, size_t len)
{
	struct mock_cmd cmd;
	const char *why = "";
	size_t i;
	int rc;

	rc = mock_cmd_parse(line, len, &cmd, &why);
	if (rc == MOCK_PARSE_OK && cmd.verb == MOCK_VERB_AUTH)
		log_debug("mock[%s]: smtp#%lu < AUTH %.*s ...",
		    s->srv->m->name, s->id, (int)cmd.arg.len, cmd.arg.p);
	else
		log_debug("mock[%s]: smtp#%lu < %.*s", s->srv->m->name, s->id,
		    (int)(len > 200 ? 200 : len), line);
	switch (rc) {
	case MOCK_PARSE_OK:
		break;
	case MOCK_PARSE_UNKNOWN:
		mock_sess_reply(s, "500 5.5.1 %s", why);
		return;
	case MOCK_PARSE_PARAM:
		mock_sess_reply(s, "555 5.5.4 %s", why);
		return;
	case MOCK_PARSE_BYTE:
		mock_sess_reply(s, "500 5.5.2 %s", why);
		return;
	default:
		mock_sess_reply(s, "501 5.5.4 %s", why);
		return;
	}
	for (i = 0; i < sizeof(mock_smtp_cmds) / sizeof(mock_smtp_cmds[0]); i++)
		if (mock_smtp_cmds[i].verb == cmd.verb)
			break;
	if (i == sizeof(mock_smtp_cmds) / sizeof(mock_smtp_cmds[0]))
		log_panic("mock: smtp: verb %d has no handler", cmd.verb);
	mock_smtp_cmds[i].proceed(s, &cmd);
}

/* mock_sess_data_end - the final dot: accept, refuse or drop the body. */
static void
mock_sess_data_end(struct mock_sess *s)
{
	struct mock *m = s->srv->m;
	enum mock_data_fault fault = s->reader.fault;
	const struct mock_msg *msg;

	s->state = MOCK_SESS_CMD;
	switch (m->mode.mode) {
	case MOCK_MODE_HANG:
		mock_sess_hang(s);
		return;
	case MOCK_MODE_DROP:
		mock_stat_add(m, MOCK_STAT_MESSAGES_DROPPED);
		log_info("mock[%s]: smtp#%lu: drop mode: closing after %zu "
			 "octets without a reply", m->name, s->id, s->body.len);
		s->close_now = true;
		return;
	case MOCK_MODE_TEMPFAIL:
		mock_stat_add(m, MOCK_STAT_MESSAGES_REJECTED);
		mock_sess_reply(s, "451 4.3.0 Temporary failure, please try "
				   "again later");
		break;
	default:
		if (fault != MOCK_DATA_FAULT_NONE) {
			mock_stat_add(m, MOCK_STAT_MESSAGES_REJECTED);
			mock_sess_reply(s, "%s", mock_data_fault_reply(fault));
			break;
		}
		msg = mock_store_add(m->store, s->mail_from,
		    (char *const *)s->rcpt, s->nrcpt, &s->body, "smtp");
		mock_stat_add(m, MOCK_STAT_MESSAGES_ACCEPTED);
		log_info("mock[%s]: smtp#%lu: accepted %s from=<%s> rcpts=%zu "
			 "size=%zu", m->name, s->id, msg->id, msg->mail_from,
		    msg->nrcpt, msg->len);
		mock_sess_reply(s, "250 2.0.0 Ok: queued as %s", msg->id);
		break;
	}
	mock_sess_txn_reset(s);
}

/* mock_sess_line - take one CRLF-terminated line off the input, if any.
 * Returns 1 and calls fn with it, 0 if no full line is there yet. */
static int
mock_sess_line(struct mock_sess *s, struct evbuffer *in)
{
	struct evbuffer_ptr eol;
	size_t eol_len = 0, n;
	char *line;

	eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
	if (eol.pos < 0) {
		if (evbuffer_get_length(in) > MOCK_SMTP_LINE_JUNK) {
			mock_sess_reply(s, "500 5.5.2 Line too long");
			s->close_after = true;
		}
		return 0;
	}
	n = (size_t)eol.pos;
	if (n + 1 > MOCK_SMTP_LINE_JUNK) {
		evbuffer_drain(in, n + 1);
		mock_sess_reply(s, "500 5.5.2 Line too long");
		return 1;
	}
	line = xmalloc(n + 1);
	evbuffer_remove(in, line, n + 1);
	line[n] = '\0';
	if (n == 0 || line[n - 1] != '\r') {
		mock_sess_reply(s, "500 5.5.2 Lines must end with CRLF");
	} else if (n + 1 > MOCK_CMD_LINE_MAX &&
	    s->state == MOCK_SESS_CMD) {
		mock_sess_reply(s, "500 5.5.2 Line too long");
	} else if (s->srv->m->mode.mode == MOCK_MODE_HANG) {
		mock_sess_hang(s);
	} else if (s->state == MOCK_SESS_CMD) {
		mock_sess_command(s, line, n - 1);
	} else {
		mock_sess_auth_response(s, line, n - 1);
	}
	free(line);
	return 1;
}

/* mock_sess_process - handle buffered input until paused or out of it. */
static void
mock_sess_process(struct mock_sess *s)
{
	struct evbuffer *in;

	while (!s->paused && !s->close_now) {
		in = bufferevent_get_input(s->bev);
		if (s->state == MOCK_SESS_CLOSING)
			break;
		if (s->state == MOCK_SESS_HUNG) {
			evbuffer_drain(in, evbuffer_get_length(in));
			break;
		}
		if (evbuffer_get_length(in) == 0)
			break;
		if (s->state == MOCK_SESS_DATA) {
			struct evbuffer_iovec v;
			size_t used = 0;

			if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
				break;
			if (mock_data_feed(&s->reader, v.iov_base, v.iov_len,
			    &used)) {
				evbuffer_drain(in, used);
				mock_sess_data_end(s);
				mock_sess_flush(s);
			} else {
				evbuffer_drain(in, used);
			}
			continue;
		}
		if (mock_sess_line(s, in) == 0) {
			mock_sess_flush(s);
			break;
		}
		mock_sess_flush(s);
	}
	if (s->close_now)
		mock_sess_free(s);
}

/* mock_sess_timer_cb - a delayed reply is due, or a closing TLS session
 * may have flushed its last records. */
static void
mock_sess_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mock_sess *s = arg;

	if (s->state == MOCK_SESS_CLOSING) {
		if (mock_sess_drained(s)) {
			mock_sess_free(s);
		} else {
			struct timeval tv = {0, 20000};

			evtimer_add(s->timer, &tv);
		}
		return;
	}
	s->paused = false;
	mock_sess_write(s);
	mock_sess_process(s);
}

/* mock_sess_read_cb - more input arrived. */
static void
mock_sess_read_cb(struct bufferevent *bev, void *arg)
{
	mock_sess_process(arg);
}

/* mock_sess_write_cb - the output drained; finish a closing session. */
static void
mock_sess_write_cb(struct bufferevent *bev, void *arg)
{
	struct mock_sess *s = arg;

	if (s->state != MOCK_SESS_CLOSING)
		return;
	if (mock_sess_drained(s)) {
		mock_sess_free(s);
	} else if (!evtimer_pending(s->timer, NULL)) {
		/* TLS: the records still sit in the underlying buffer. */
		struct timeval tv = {0, 20000};

		evtimer_add(s->timer, &tv);
	}
}

/* mock_sess_event_cb - EOF, error or idle timeout: close. */
static void
mock_sess_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct mock_sess *s = arg;

	if (what & BEV_EVENT_CONNECTED) {
		log_debug("mock[%s]: smtp#%lu TLS established",
		    s->srv->m->name, s->id);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		unsigned long e = bufferevent_get_openssl_error(bev);

		if (e != 0)
			log_debug("mock[%s]: smtp#%lu TLS: %s",
			    s->srv->m->name, s->id,
			    ERR_reason_error_string(e));
	}
	if (what & BEV_EVENT_TIMEOUT)
		log_debug("mock[%s]: smtp#%lu idle timeout", s->srv->m->name,
		    s->id);
	mock_sess_free(s);
}

/* mock_smtp_accept_cb - a new connection: greet it (or not). */
static void
mock_smtp_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct mock_smtp *srv = arg;
	struct mock *m = srv->m;
	struct mock_sess *s;
	struct timeval tv = {(time_t)srv->idle_s, 0};

	s = xcalloc(1, sizeof(*s));
	s->srv = srv;
	s->id = ++srv->next_id;
	s->bev = bufferevent_socket_new(m->base, fd, BEV_OPT_CLOSE_ON_FREE);
	s->timer = evtimer_new(m->base, mock_sess_timer_cb, s);
	if (s->bev == NULL || s->timer == NULL)
		log_panic("mock: smtp: cannot set up a session");
	buf_init(&s->pending);
	buf_init(&s->body);
	s->next = srv->sessions;
	if (s->next)
		s->next->prev = s;
	srv->sessions = s;
	bufferevent_setcb(s->bev, mock_sess_read_cb, mock_sess_write_cb,
	    mock_sess_event_cb, s);
	bufferevent_setwatermark(s->bev, EV_READ, 0, MOCK_SMTP_READ_HIGH);
	bufferevent_set_timeouts(s->bev, &tv, &tv);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	mock_stat_add(m, MOCK_STAT_CONNECTIONS);
	log_debug("mock[%s]: smtp#%lu connected", m->name, s->id);
	if (m->mode.mode == MOCK_MODE_HANG) {
		mock_sess_hang(s);
		return;
	}
	mock_sess_reply(s, "220 %s ESMTP swerve-mock", m->name);
	mock_sess_flush(s);
}

/* mock_smtp_listen - open the listening socket on the remembered address. */
static int
mock_smtp_listen(struct mock_smtp *srv)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	srv->lev = evconnlistener_new_bind(srv->m->base, mock_smtp_accept_cb,
	    srv, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 128,
	    (struct sockaddr *)&srv->addr, srv->addrlen);
	if (srv->lev == NULL)
		return -1;
	/* Remember a kernel-chosen port so refuse/accept reuses it. */
	if (getsockname(evconnlistener_get_fd(srv->lev),
	    (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			srv->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else
			srv->port =
			    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		memcpy(&srv->addr, &ss, sl);
		srv->addrlen = (int)sl;
	}
	return 0;
}

/* mock_smtp_rebind_cb - retry opening the listener after refuse mode. */
static void
mock_smtp_rebind_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mock_smtp *srv = arg;
	struct timeval tv = {1, 0};

	if (srv->lev != NULL || srv->m->mode.mode == MOCK_MODE_REFUSE)
		return;
	if (mock_smtp_listen(srv) < 0) {
		evtimer_add(srv->rebind, &tv);
		return;
	}
	log_info("mock[%s]: smtp listening again on port %u", srv->m->name,
	    srv->port);
}

/* mock_smtp_mode_cb - refuse mode closes the listener and all sessions;
 * leaving it opens the listener again. */
static void
mock_smtp_mode_cb(struct mock *m, const struct mock_mode_set *old, void *arg)
{
	struct mock_smtp *srv = arg;

	if (m->mode.mode == MOCK_MODE_REFUSE) {
		if (srv->lev != NULL) {
			evconnlistener_free(srv->lev);
			srv->lev = NULL;
		}
		while (srv->sessions != NULL)
			mock_sess_free(srv->sessions);
		log_info("mock[%s]: smtp refusing connections on port %u",
		    m->name, srv->port);
		return;
	}
	if (srv->lev == NULL)
		mock_smtp_rebind_cb(-1, 0, srv);
}

/* mock_smtp_tls_new - a server TLS context from PEM files, or NULL. */
static SSL_CTX *
mock_smtp_tls_new(const char *cert, const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL)
		goto fail;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		log_error("mock: smtp: cannot load certificate %s: %s", cert,
		    ERR_reason_error_string(ERR_get_error()));
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		log_error("mock: smtp: cannot load key %s: %s", key,
		    ERR_reason_error_string(ERR_get_error()));
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* mock_smtp_new - set up the SMTP side. */
struct mock_smtp *
mock_smtp_new(struct mock *m, const struct mock_smtp_opts *o)
{
	struct mock_smtp *srv = xcalloc(1, sizeof(*srv));

	srv->m = m;
	srv->max_size = o->max_size ? o->max_size : MOCK_SMTP_MAX_SIZE_DEFAULT;
	srv->idle_s = o->idle_timeout_s ? o->idle_timeout_s
					: MOCK_SMTP_IDLE_DEFAULT;
	srv->addrlen = (int)sizeof(srv->addr);
	if (evutil_parse_sockaddr_port(o->listen,
	    (struct sockaddr *)&srv->addr, &srv->addrlen) < 0) {
		log_error("mock: smtp: bad listen address \"%s\" "
			  "(want HOST:PORT)", o->listen);
		goto fail;
	}
	if (srv->addr.ss_family == AF_INET)
		srv->port = ntohs(((struct sockaddr_in *)&srv->addr)->sin_port);
	else
		srv->port = ntohs(((struct sockaddr_in6 *)&srv->addr)->sin6_port);
	if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
		log_error("mock: smtp: --tls-cert and --tls-key go together");
		goto fail;
	}
	if (o->tls_cert != NULL) {
		srv->tls = mock_smtp_tls_new(o->tls_cert, o->tls_key);
		if (srv->tls == NULL)
			goto fail;
	}
	if (o->auth_user != NULL) {
		srv->auth_user = xstrdup(o->auth_user);
		srv->auth_pass = xstrdup(o->auth_pass ? o->auth_pass : "");
	}
	srv->rebind = evtimer_new(m->base, mock_smtp_rebind_cb, srv);
	if (srv->rebind == NULL)
		goto fail;
	if (m->mode.mode != MOCK_MODE_REFUSE && mock_smtp_listen(srv) < 0) {
		log_error("mock: smtp: cannot listen on %s: %s", o->listen,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		goto fail;
	}
	mock_mode_watch(m, mock_smtp_mode_cb, srv);
	log_info("mock[%s]: smtp listening on %s (port %u)%s%s", m->name,
	    o->listen, srv->port, srv->tls ? ", STARTTLS" : "",
	    srv->auth_user ? ", AUTH required" : "");
	return srv;
fail:
	mock_smtp_free(srv);
	return NULL;
}

/* mock_smtp_port - the port listened on. */
unsigned
mock_smtp_port(const struct mock_smtp *srv)
{
	return srv->port;
}

/* mock_smtp_free - close everything. */
void
mock_smtp_free(struct mock_smtp *srv)
{
	if (srv == NULL)
		return;
	while (srv->sessions != NULL)
		mock_sess_free(srv->sessions);
	if (srv->lev != NULL)
		evconnlistener_free(srv->lev);
	if (srv->rebind != NULL)
		event_free(srv->rebind);
	SSL_CTX_free(srv->tls);
	free(srv->auth_user);
	free(srv->auth_pass);
	free(srv);
}
