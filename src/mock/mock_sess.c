/*
 * mock_sess.c - one swerve-mock SMTP session's dialogue.
 *
 * Decides every answer: the command table, AUTH PLAIN/LOGIN, and what the
 * current mode does at greeting, MAIL, RCPT, AUTH and the final dot (see
 * mock_smtp.h for the table). Replies are queued in s->pending; sockets,
 * delays and closing belong to mock_smtp.c. Handlers never free the
 * session: they set close_after or close_now and return.
 */
#include "mock/mock_sess.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "mock/mock_fb.h"

#define MOCK_SESS_RCPT_MAX 1000

/* mock_sess_reply - queue one reply line (CRLF added). */
void
mock_sess_reply(struct mock_sess *s, const char *fmt, ...)
{
	va_list ap;
	char line[1024];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_debug("mock[%s]: smtp#%lu > %s", s->cfg->m->name, s->id, line);
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

/* mock_sess_hang - go silent for good (hang mode). */
static void
mock_sess_hang(struct mock_sess *s)
{
	log_debug("mock[%s]: smtp#%lu hangs", s->cfg->m->name, s->id);
	s->state = MOCK_SESS_HUNG;
	s->pending.len = 0;
	s->close_after = false;
	s->tls_after = false;
}

/* mock_sess_authcheck - decide an AUTH attempt for user/pass. */
static void
mock_sess_authcheck(struct mock_sess *s, struct str user, struct str pass)
{
	const struct mock_sess_cfg *cfg = s->cfg;
	bool ok = true;

	s->state = MOCK_SESS_CMD;
	if (cfg->m->mode.mode == MOCK_MODE_AUTHFAIL)
		ok = false;
	else if (cfg->auth_user != NULL)
		ok = user.len == strlen(cfg->auth_user) &&
		     memcmp(user.p, cfg->auth_user, user.len) == 0 &&
		     pass.len == strlen(cfg->auth_pass) &&
		     memcmp(pass.p, cfg->auth_pass, pass.len) == 0;
	if (!ok) {
		mock_stat_add(cfg->m, MOCK_STAT_AUTH_REJECTED);
		mock_sess_reply(s, "535 5.7.8 Authentication credentials "
		                   "invalid");
		return;
	}
	mock_stat_add(cfg->m, MOCK_STAT_AUTH_ACCEPTED);
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
	if (base64_decode_buf((struct str){line, len}, 0, &dec) < 0) {
		s->state = MOCK_SESS_CMD;
		mock_sess_reply(s, "501 5.5.2 Cannot decode response");
		goto done;
	}
	switch (s->state) {
	case MOCK_SESS_AUTH_PLAIN:
		if (mock_auth_plain_split(
		        (struct str){dec.p ? dec.p : "", dec.len}, &user,
		        &pass) < 0) {
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
		log_panic("mock: sess: auth response in state %d", s->state);
	}
done:
	buf_fini(&dec);
}

/* mock_sess_ehlo - HELO and EHLO. */
static void
mock_sess_ehlo(struct mock_sess *s, const struct mock_cmd *cmd)
{
	const struct mock_sess_cfg *cfg = s->cfg;

	mock_sess_txn_reset(s);
	s->greeted = true;
	if (cmd->verb == MOCK_VERB_HELO) {
		mock_sess_reply(s, "250 %s", cfg->m->name);
		return;
	}
	mock_sess_reply(s, "250-%s Hello %.*s", cfg->m->name, (int)cmd->arg.len,
	                cmd->arg.p);
	mock_sess_reply(s, "250-PIPELINING");
	mock_sess_reply(s, "250-SIZE %llu", (unsigned long long)cfg->max_size);
	mock_sess_reply(s, "250-8BITMIME");
	if (cfg->tls_available && !s->tls)
		mock_sess_reply(s, "250-STARTTLS");
	mock_sess_reply(s, "250-AUTH PLAIN LOGIN");
	mock_sess_reply(s, "250 ENHANCEDSTATUSCODES");
}

/* mock_sess_mail - MAIL FROM, where throttle and auth faults happen. */
static void
mock_sess_mail(struct mock_sess *s, const struct mock_cmd *cmd)
{
	struct mock *m = s->cfg->m;

	if (!s->greeted) {
		mock_sess_reply(s, "503 5.5.1 Send EHLO/HELO first");
		return;
	}
	if (s->has_mail) {
		mock_sess_reply(s, "503 5.5.1 Sender already specified");
		return;
	}
	if (!s->authed &&
	    (s->cfg->auth_user != NULL || m->mode.mode == MOCK_MODE_AUTHFAIL)) {
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
	if (cmd->has_size && cmd->size > s->cfg->max_size) {
		mock_stat_add(m, MOCK_STAT_MESSAGES_REJECTED);
		mock_sess_reply(s, "552 5.3.4 Message size exceeds fixed "
		                   "limit");
		return;
	}
	s->mail_from = str_dup(cmd->path);
	s->has_mail = true;
	mock_sess_reply(s, "250 2.1.0 Ok");
}

/* mock_sess_rcpt - RCPT TO, where permfail and rcptfail happen. */
static void
mock_sess_rcpt(struct mock_sess *s, const struct mock_cmd *cmd)
{
	struct mock *m = s->cfg->m;
	char *addr;

	if (!s->has_mail) {
		mock_sess_reply(s, "503 5.5.1 Need MAIL before RCPT");
		return;
	}
	if (s->nrcpt >= MOCK_SESS_RCPT_MAX) {
		mock_sess_reply(s, "452 4.5.3 Too many recipients");
		return;
	}
	addr = str_dup(cmd->path);
	if (m->mode.mode == MOCK_MODE_PERMFAIL ||
	    (m->mode.mode == MOCK_MODE_RCPTFAIL &&
	     strcasestr(addr, m->mode.match) != NULL)) {
		mock_stat_add(m, MOCK_STAT_RCPTS_REJECTED);
		mock_sess_reply(s,
		                "550 5.1.1 <%s>: Recipient address "
		                "rejected: User unknown",
		                addr);
		free(addr);
		return;
	}
	mock_stat_add(m, MOCK_STAT_RCPTS_ACCEPTED);
	s->rcpt = xreallocarray(s->rcpt, s->nrcpt + 1, sizeof(*s->rcpt));
	s->rcpt[s->nrcpt++] = addr;
	mock_sess_reply(s, "250 2.1.5 Ok");
}

/* mock_sess_data - DATA: switch to reading the body. */
static void
mock_sess_data(struct mock_sess *s, const struct mock_cmd *cmd)
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
	mock_data_init(&s->reader, &s->body, s->cfg->max_size);
	s->state = MOCK_SESS_DATA;
	mock_sess_reply(s, "354 End data with <CR><LF>.<CR><LF>");
}

/* mock_sess_rset - RSET. */
static void
mock_sess_rset(struct mock_sess *s, const struct mock_cmd *cmd)
{
	mock_sess_txn_reset(s);
	mock_sess_reply(s, "250 2.0.0 Ok");
}

/* mock_sess_noop - NOOP, HELP and VRFY: harmless answers. */
static void
mock_sess_noop(struct mock_sess *s, const struct mock_cmd *cmd)
{
	if (cmd->verb == MOCK_VERB_HELP)
		mock_sess_reply(s, "214 2.0.0 swerve-mock: a fake provider");
	else if (cmd->verb == MOCK_VERB_VRFY)
		mock_sess_reply(s, "252 2.5.0 Cannot VRFY user, but will "
		                   "accept message");
	else
		mock_sess_reply(s, "250 2.0.0 Ok");
}

/* mock_sess_quit - QUIT. */
static void
mock_sess_quit(struct mock_sess *s, const struct mock_cmd *cmd)
{
	mock_sess_reply(s, "221 2.0.0 Bye");
	s->close_after = true;
}

/* mock_sess_starttls - STARTTLS: reply, then switch once it is written. */
static void
mock_sess_starttls(struct mock_sess *s, const struct mock_cmd *cmd)
{
	if (!s->cfg->tls_available) {
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

/* mock_sess_auth - AUTH PLAIN / AUTH LOGIN. */
static void
mock_sess_auth(struct mock_sess *s, const struct mock_cmd *cmd)
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
} mock_sess_cmds[] = {
    {MOCK_VERB_HELO, mock_sess_ehlo},         {MOCK_VERB_EHLO, mock_sess_ehlo},
    {MOCK_VERB_MAIL, mock_sess_mail},         {MOCK_VERB_RCPT, mock_sess_rcpt},
    {MOCK_VERB_DATA, mock_sess_data},         {MOCK_VERB_RSET, mock_sess_rset},
    {MOCK_VERB_NOOP, mock_sess_noop},         {MOCK_VERB_HELP, mock_sess_noop},
    {MOCK_VERB_VRFY, mock_sess_noop},         {MOCK_VERB_QUIT, mock_sess_quit},
    {MOCK_VERB_STARTTLS, mock_sess_starttls}, {MOCK_VERB_AUTH, mock_sess_auth},
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
		log_debug("mock[%s]: smtp#%lu < AUTH %.*s ...", s->cfg->m->name,
		          s->id, (int)cmd.arg.len, cmd.arg.p);
	else
		log_debug("mock[%s]: smtp#%lu < %.*s", s->cfg->m->name, s->id,
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
	for (i = 0; i < sizeof(mock_sess_cmds) / sizeof(mock_sess_cmds[0]); i++)
		if (mock_sess_cmds[i].verb == cmd.verb)
			break;
	if (i == sizeof(mock_sess_cmds) / sizeof(mock_sess_cmds[0]))
		log_panic("mock: sess: verb %d has no handler", cmd.verb);
	mock_sess_cmds[i].proceed(s, &cmd);
}

/* mock_sess_data_end - the final dot: accept, refuse or drop the body. */
void
mock_sess_data_end(struct mock_sess *s)
{
	struct mock *m = s->cfg->m;
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
		         "octets without a reply",
		         m->name, s->id, s->body.len);
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
		                     (char *const *)s->rcpt, s->nrcpt, &s->body,
		                     "smtp");
		mock_stat_add(m, MOCK_STAT_MESSAGES_ACCEPTED);
		mock_fb_accepted(m->fb, msg);
		log_info("mock[%s]: smtp#%lu: accepted %s from=<%s> rcpts=%zu "
		         "size=%zu",
		         m->name, s->id, msg->id, msg->mail_from, msg->nrcpt,
		         msg->len);
		mock_sess_reply(s, "250 2.0.0 Ok: queued as %s", msg->id);
		break;
	}
	mock_sess_txn_reset(s);
}

/* mock_sess_line - one line in the command or AUTH states. */
void
mock_sess_line(struct mock_sess *s, const char *line, size_t len)
{
	if (s->cfg->m->mode.mode == MOCK_MODE_HANG)
		mock_sess_hang(s);
	else if (s->state == MOCK_SESS_CMD)
		mock_sess_command(s, line, len);
	else
		mock_sess_auth_response(s, line, len);
}

/* mock_sess_init - a fresh dialogue. */
void
mock_sess_init(struct mock_sess *s, const struct mock_sess_cfg *cfg,
               unsigned long id)
{
	s->cfg = cfg;
	s->id = id;
	s->state = MOCK_SESS_CMD;
	buf_init(&s->pending);
	buf_init(&s->body);
}

/* mock_sess_fini - release the dialogue's memory. */
void
mock_sess_fini(struct mock_sess *s)
{
	mock_sess_txn_reset(s);
	free(s->login_user);
	s->login_user = NULL;
	buf_fini(&s->pending);
}

/* mock_sess_greet - 220, or silence in hang mode. */
void
mock_sess_greet(struct mock_sess *s)
{
	if (s->cfg->m->mode.mode == MOCK_MODE_HANG) {
		mock_sess_hang(s);
		return;
	}
	mock_sess_reply(s, "220 %s ESMTP swerve-mock", s->cfg->m->name);
}

/* mock_sess_tls_started - the client starts over under TLS. */
void
mock_sess_tls_started(struct mock_sess *s)
{
	s->tls = true;
	s->greeted = false;
	s->authed = false;
	mock_sess_txn_reset(s);
}
