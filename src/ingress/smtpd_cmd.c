/*
 * smtpd_cmd.c - the SMTP server's command table and AUTH dialogue.
 *
 * One row per verb: a check (may it run in this state? if not, reply and
 * stop) and a proceed (act and reply), in the manner of OpenSMTPD. Who may
 * submit is asked of submit_policy (AUTH) and of the submission pipeline
 * (submit.c: the envelope sender at MAIL); the session's I/O, DATA reading and
 * TLS are smtpd_session.c's. Passwords are never logged and are wiped
 * from our buffers after use.
 */
#include "ingress/smtpd_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config/config.h"
#include "core/base64.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "ingress/auth_throttle.h"
#include "ingress/submit.h"
#include "ingress/submit_policy.h"
#include "ingress/submit_suppress.h"
#include "spool/spool.h"

/* A row of the command table: may the verb run now, and what it does. */
struct smtpd_cmd_row {
	enum smtp_verb verb;
	int (*check)(struct smtpd_session *, const struct smtp_cmd *);
	void (*proceed)(struct smtpd_session *, const struct smtp_cmd *);
};

/* smtpd_cmd_printable - a loggable copy of untrusted bytes ('?' for others). */
static void
smtpd_cmd_printable(char *out, size_t outlen, const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	if (outlen == 0)
		return;
	for (i = 0; i < n && i + 1 < outlen; i++)
		out[i] = c[i] >= 0x20 && c[i] < 0x7f ? (char)c[i] : '?';
	out[i] = '\0';
}

void
smtpd_cmd_auth_forget(struct smtpd_session *s)
{
	OPENSSL_cleanse(s->auth_user, sizeof(s->auth_user));
	s->auth_user_len = 0;
}

/* --- AUTH ------------------------------------------------------------- */

/* smtpd_cmd_auth_user_name - the configured user named user, or NULL. */
static const char *
smtpd_cmd_auth_user_name(const struct config *cfg, struct str user)
{
	size_t i;

	for (i = 0; i < cfg->n_users; i++)
		if (strlen(cfg->users[i].name) == user.len &&
		    memcmp(cfg->users[i].name, user.p, user.len) == 0)
			return cfg->users[i].name;
	return NULL;
}

/*
 * smtpd_cmd_auth_failed - count a failure (or a refused early attempt)
 * in the session: 535 (or the throttle's 454), or 421 and close at
 * limits.max_auth_failures.
 */
static void
smtpd_cmd_auth_failed(struct smtpd_session *s, const char *reply)
{
	s->auth_failures++;
	if (s->auth_failures >= s->smtpd->cfg->max_auth_failures) {
		smtpd_session_reply_lit(s, "421 4.7.0 Too many authentication "
		                           "failures");
		smtpd_session_close(s);
		return;
	}
	smtpd_session_reply(s, "%s", reply);
}

/*
 * smtpd_cmd_auth_finish - check user and pass, answer 235/535/454/421.
 * An address or user that failed too often recently must wait first
 * (auth_throttle): an attempt before then is refused unchecked.
 */
static void
smtpd_cmd_auth_finish(struct smtpd_session *s, struct str user, struct str pass)
{
	const struct config *cfg = s->smtpd->cfg;
	const struct config_user *u;
	const char *known = smtpd_cmd_auth_user_name(cfg, user);
	uint64_t now = clock_mono_ms();
	uint64_t wait =
	    auth_throttle_wait(s->smtpd->auth_throttle, s->ip, known, now);
	char reply[96];

	s->state = SMTPD_STATE_CMD;
	if (wait > 0) {
		s->smtpd->stats.rejected[SMTPD_REJECT_AUTH_THROTTLED]++;
		log_limited(LOG_LEVEL_INFO,
		            "smtpd: reject client=%s reason=auth_throttled "
		            "user=%s wait_ms=%llu",
		            s->client, log_quote_n(user.p, user.len).s,
		            (unsigned long long)wait);
		snprintf(
		    reply, sizeof(reply),
		    "454 4.7.0 Too many failed logins, try again in %llu s",
		    (unsigned long long)((wait + 999) / 1000));
		smtpd_cmd_auth_failed(s, reply);
		return;
	}
	u = submit_policy_user_check(cfg, user, pass);
	if (u != NULL) {
		s->user = u;
		auth_throttle_passed(s->smtpd->auth_throttle, s->ip, u->name);
		log_info("smtpd: auth ok user=%s client=%s",
		         log_quote(u->name).s, s->client);
		smtpd_session_reply_lit(s,
		                        "235 2.7.0 Authentication successful");
		return;
	}
	auth_throttle_failed(s->smtpd->auth_throttle, s->ip, known, now);
	s->smtpd->stats.rejected[SMTPD_REJECT_AUTH_FAILED]++;
	log_limited(LOG_LEVEL_INFO,
	            "smtpd: reject client=%s reason=auth_failed user=%s "
	            "failures=%u",
	            s->client, log_quote_n(user.p, user.len).s,
	            s->auth_failures + 1);
	smtpd_cmd_auth_failed(s,
	                      "535 5.7.8 Authentication credentials invalid");
}

/* smtpd_cmd_auth_plain - a PLAIN response (base64, "=" for empty). */
static void
smtpd_cmd_auth_plain(struct smtpd_session *s, struct str b64)
{
	unsigned char dec[SMTPD_AUTH_MAX];
	struct str user, pass;
	int n;

	if (b64.len == 1 && b64.p[0] == '=')
		b64.len = 0;
	n = base64_decode(b64, BASE64_CANONICAL, dec, sizeof(dec));
	if (n < 0) {
		s->state = SMTPD_STATE_CMD;
		smtpd_session_reject(s, SMTPD_REJECT_PROTOCOL, true,
		                     "501 5.5.2 Cannot decode response");
		return;
	}
	if (submit_policy_plain_split(dec, (size_t)n, &user, &pass) != 0) {
		user = STR_LIT("");
		pass = STR_LIT("");
	}
	smtpd_cmd_auth_finish(s, user, pass);
	OPENSSL_cleanse(dec, sizeof(dec));
}

void
smtpd_cmd_auth_step(struct smtpd_session *s, const char *line, size_t len)
{
	unsigned char dec[SMTPD_AUTH_MAX];
	struct str in = {line, len};
	int n;

	if (len == 1 && line[0] == '*') {
		s->state = SMTPD_STATE_CMD;
		smtpd_cmd_auth_forget(s);
		smtpd_session_reply_lit(s, "501 5.7.0 Authentication aborted");
		return;
	}
	if (s->state == SMTPD_STATE_AUTH_PLAIN) {
		smtpd_cmd_auth_plain(s, in);
		return;
	}
	n = base64_decode(in, BASE64_CANONICAL, dec, sizeof(dec));
	if (n < 0) {
		s->state = SMTPD_STATE_CMD;
		smtpd_cmd_auth_forget(s);
		smtpd_session_reject(s, SMTPD_REJECT_PROTOCOL, true,
		                     "501 5.5.2 Cannot decode response");
		return;
	}
	if (s->state == SMTPD_STATE_AUTH_USER) {
		memcpy(s->auth_user, dec, (size_t)n);
		s->auth_user_len = (size_t)n;
		s->state = SMTPD_STATE_AUTH_PASS;
		smtpd_session_reply_lit(s,
		                        "334 UGFzc3dvcmQ6"); /* "Password:" */
	} else {
		smtpd_cmd_auth_finish(
		    s,
		    (struct str){(const char *)s->auth_user, s->auth_user_len},
		    (struct str){(const char *)dec, (size_t)n});
		smtpd_cmd_auth_forget(s);
	}
	OPENSSL_cleanse(dec, sizeof(dec));
}

/* --- commands: checks -------------------------------------------------- */

/* smtpd_cmd_check_helo - HELO/EHLO must come first. */
static int
smtpd_cmd_check_helo(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	if (s->helo_seen)
		return 0;
	smtpd_session_reject(s, SMTPD_REJECT_PROTOCOL, true,
	                     "503 5.5.1 Error: send HELO/EHLO first");
	return -1;
}

/* smtpd_cmd_check_mail - after HELO, not inside a transaction. */
static int
smtpd_cmd_check_mail(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	if (smtpd_cmd_check_helo(s, cmd) != 0)
		return -1;
	if (!s->in_tx)
		return 0;
	smtpd_session_reject(s, SMTPD_REJECT_PROTOCOL, true,
	                     "503 5.5.1 Error: nested MAIL command");
	return -1;
}

/* smtpd_cmd_check_tx - RCPT and DATA need MAIL first. */
static int
smtpd_cmd_check_tx(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	if (s->in_tx)
		return 0;
	smtpd_session_reject(s, SMTPD_REJECT_PROTOCOL, true,
	                     "503 5.5.1 Error: need MAIL command");
	return -1;
}

/* smtpd_cmd_check_data - a transaction with at least one recipient. */
static int
smtpd_cmd_check_data(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	if (smtpd_cmd_check_tx(s, cmd) != 0)
		return -1;
	if (s->n_rcpts > 0)
		return 0;
	smtpd_session_reject(s, SMTPD_REJECT_PROTOCOL, true,
	                     "554 5.5.1 Error: no valid recipients");
	return -1;
}

/* smtpd_cmd_check_starttls - TLS configured, not active, no transaction. */
static int
smtpd_cmd_check_starttls(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	if (s->smtpd->tls == NULL) {
		smtpd_session_reject(
		    s, SMTPD_REJECT_PROTOCOL, true,
		    "502 5.5.1 Error: command not implemented");
		return -1;
	}
	if (s->tls) {
		smtpd_session_reject(s, SMTPD_REJECT_PROTOCOL, true,
		                     "503 5.5.1 Error: TLS already active");
		return -1;
	}
	if (s->in_tx) {
		smtpd_session_reject(
		    s, SMTPD_REJECT_PROTOCOL, true,
		    "503 5.5.1 Error: MAIL transaction in progress");
		return -1;
	}
	return 0;
}

/*
 * smtpd_cmd_auth_offered - AUTH only under TLS, or in clear text from
 * submitters.networks when smtp.auth_plaintext says so.
 */
static bool
smtpd_cmd_auth_offered(const struct smtpd_session *s)
{
	return s->tls || (s->trusted && s->smtpd->cfg->smtp_auth_plaintext);
}

/* smtpd_cmd_check_auth - after EHLO, once, outside a transaction, encrypted. */
static int
smtpd_cmd_check_auth(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	if (smtpd_cmd_check_helo(s, cmd) != 0)
		return -1;
	if (s->user != NULL) {
		smtpd_session_reject(s, SMTPD_REJECT_PROTOCOL, true,
		                     "503 5.5.1 Error: already authenticated");
		return -1;
	}
	if (s->in_tx) {
		smtpd_session_reject(
		    s, SMTPD_REJECT_PROTOCOL, true,
		    "503 5.5.1 Error: MAIL transaction in progress");
		return -1;
	}
	if (!smtpd_cmd_auth_offered(s)) {
		smtpd_session_reject(
		    s, SMTPD_REJECT_AUTH_REQUIRED, true,
		    "538 5.7.11 Encryption required for requested "
		    "authentication mechanism");
		return -1;
	}
	return 0;
}

/* --- commands: actions ------------------------------------------------- */

/* smtpd_cmd_helo - HELO and EHLO: reset, remember the name, greet. */
static void
smtpd_cmd_helo(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	const struct config *cfg = s->smtpd->cfg;
	smtpd_session_tx_reset(s);
	smtpd_cmd_printable(s->helo, sizeof(s->helo), cmd->arg.p, cmd->arg.len);
	s->helo_seen = true;
	s->esmtp = cmd->verb == SMTP_VERB_EHLO;
	if (!s->esmtp) {
		smtpd_session_reply(s, "250 %s", cfg->hostname);
		return;
	}
	smtpd_session_reply(s, "250-%s\r\n250-PIPELINING\r\n250-SIZE %llu",
	                    cfg->hostname,
	                    (unsigned long long)cfg->max_message_size);
	if (s->smtpd->tls != NULL && !s->tls)
		smtpd_session_reply_lit(s, "250-STARTTLS");
	if (smtpd_cmd_auth_offered(s))
		smtpd_session_reply_lit(s, "250-AUTH PLAIN LOGIN");
	smtpd_session_reply_lit(s, "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
	                           "250 SMTPUTF8");
}

/* smtpd_cmd_mail - MAIL FROM: who may send, size, storage. */
static void
smtpd_cmd_mail(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	const struct config *cfg = s->smtpd->cfg;
	struct submit_who w = {SUBMIT_INGRESS_SMTP, s->user, NULL, s->client};
	char sender[SMTP_PATH_MAX + 1], text[256];
	int rc;

	/* The bounce mailbox takes reports from anyone (RCPT decides). */
	if (s->user == NULL && !s->trusted && !s->bounce) {
		smtpd_session_reject(s, SMTPD_REJECT_AUTH_REQUIRED, true,
		                     "530 5.7.0 Authentication required");
		return;
	}
	if (cmd->has_size && cmd->size > cfg->max_message_size) {
		smtpd_session_reject(
		    s, SMTPD_REJECT_SIZE, false,
		    "552 5.3.4 Message size exceeds fixed limit of %llu bytes",
		    (unsigned long long)cfg->max_message_size);
		return;
	}
	memcpy(sender, cmd->path.p, cmd->path.len);
	sender[cmd->path.len] = '\0';
	if (s->user != NULL && !s->bounce &&
	    !submit_sender_allowed(&w, sender)) {
		smtpd_session_reject(
		    s, SMTPD_REJECT_SENDER, false,
		    "553 5.7.1 Sender address not allowed for %s",
		    s->user->name);
		return;
	}
	/* With SIZE= the space for that size is checked now, so a client
	 * does not send a large message only to hear 452 at the dot. */
	rc =
	    spool_space_check_size(s->smtpd->sp, cmd->has_size ? cmd->size : 0);
	if (rc == SPOOL_ERR_DAMAGED) {
		/* Not this message's fault, nor a full disk: a damaged
		 * store refuses everything until an operator acts. */
		submit_status_smtp(rc, s->smtpd->cfg->hostname, text,
		                   sizeof(text));
		smtpd_session_reject(s, SMTPD_REJECT_STORAGE, false, "%s",
		                     text);
		smtpd_session_close(s);
		return;
	}
	if (rc != SPOOL_OK) {
		smtpd_session_reject(s, SMTPD_REJECT_STORAGE, false,
		                     "452 4.3.1 Insufficient system storage");
		return;
	}
	memcpy(s->sender, sender, cmd->path.len + 1);
	s->in_tx = true;
	s->smtputf8 = cmd->smtputf8;
	s->size_hint = cmd->has_size ? cmd->size : 0;
	smtpd_session_reply_lit(s, "250 2.1.0 Ok");
}

/*
 * smtpd_cmd_rcpt_suppressed - a recipient on the tenant's suppression
 * list hears 550 5.1.1 here (suppression.on_submit refuse); true when
 * it was refused.
 */
static bool
smtpd_cmd_rcpt_suppressed(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	struct submit_who w = {SUBMIT_INGRESS_SMTP, s->user, NULL, s->client};
	char rcpt[SMTP_PATH_MAX + 1];
	enum suppress_reason why;

	if (cmd->path.len > SMTP_PATH_MAX)
		return false;
	memcpy(rcpt, cmd->path.p, cmd->path.len);
	rcpt[cmd->path.len] = '\0';
	if (!submit_suppress_rcpt(&w, rcpt, &why))
		return false;
	submit_suppress_emit(submit_suppress_tenant(&w), rcpt, why, true);
	smtpd_session_reject(s, SMTPD_REJECT_SUPPRESSED, false,
	                     "550 5.1.1 <%s>: Recipient address rejected: on "
	                     "the suppression list (%s)",
	                     rcpt, suppress_reason_name(why));
	return true;
}

/* smtpd_cmd_rcpt - RCPT TO: one more recipient, up to the limit. */
static void
smtpd_cmd_rcpt(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	size_t i;

	if (s->n_rcpts >= s->smtpd->cfg->max_recipients) {
		smtpd_session_reject(s, SMTPD_REJECT_RECIPIENTS, false,
		                     "452 4.5.3 Too many recipients");
		return;
	}
	if (!s->smtputf8)
		for (i = 0; i < cmd->path.len; i++)
			if ((unsigned char)cmd->path.p[i] >= 0x80) {
				smtpd_session_reject(
				    s, SMTPD_REJECT_PROTOCOL, true,
				    "553 5.6.7 Non-ASCII recipient needs "
				    "SMTPUTF8");
				return;
			}
	if (s->bounce) {
		smtpd_bounce_rcpt(s, cmd->path.p, cmd->path.len);
		return;
	}
	if (s->smtpd->cfg->suppress_on_submit == CONFIG_SUPPRESS_REFUSE &&
	    smtpd_cmd_rcpt_suppressed(s, cmd))
		return;
	if (s->n_rcpts == s->cap_rcpts) {
		s->cap_rcpts = s->cap_rcpts ? s->cap_rcpts * 2 : 8;
		s->rcpts =
		    xreallocarray(s->rcpts, s->cap_rcpts, sizeof(*s->rcpts));
	}
	s->rcpts[s->n_rcpts++] = str_dup(cmd->path);
	smtpd_session_reply_lit(s, "250 2.1.5 Ok");
}

/* smtpd_cmd_data - DATA: 354 and read the text (smtpd_session.c). */
static void
smtpd_cmd_data(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	smtpd_session_data_begin(s);
}

/* smtpd_cmd_starttls - STARTTLS: 220 and the handshake. */
static void
smtpd_cmd_starttls(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	smtpd_session_starttls(s);
}

static void
smtpd_cmd_rset(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	smtpd_session_tx_reset(s);
	smtpd_session_reply_lit(s, "250 2.0.0 Ok");
}

static void
smtpd_cmd_noop(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	smtpd_session_reply_lit(s, "250 2.0.0 Ok");
}

static void
smtpd_cmd_quit(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	smtpd_session_reply_lit(s, "221 2.0.0 Bye");
	smtpd_session_close(s);
}

static void
smtpd_cmd_vrfy(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	smtpd_session_reply_lit(s,
	                        "252 2.5.0 Cannot VRFY user, but will accept "
	                        "message and attempt delivery");
}

static void
smtpd_cmd_help(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	smtpd_session_reply_lit(
	    s, "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET "
	       "NOOP QUIT VRFY HELP STARTTLS AUTH");
}

/* smtpd_cmd_auth - AUTH PLAIN / LOGIN, with or without a response. */
static void
smtpd_cmd_auth(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	unsigned char dec[SMTPD_AUTH_MAX];
	struct str init = cmd->auth_initial;
	int n;

	if (str_eq_nocase(cmd->auth_mech, "PLAIN")) {
		if (init.len > 0) {
			smtpd_cmd_auth_plain(s, init);
			return;
		}
		s->state = SMTPD_STATE_AUTH_PLAIN;
		smtpd_session_reply_lit(s, "334 ");
		return;
	}
	if (!str_eq_nocase(cmd->auth_mech, "LOGIN")) {
		smtpd_session_reject(
		    s, SMTPD_REJECT_PROTOCOL, true,
		    "504 5.5.4 Unrecognized authentication type");
		return;
	}
	if (init.len == 0) {
		s->state = SMTPD_STATE_AUTH_USER;
		smtpd_session_reply_lit(s,
		                        "334 VXNlcm5hbWU6"); /* "Username:" */
		return;
	}
	/* LOGIN with the user name as initial response (widely sent). */
	if (init.len == 1 && init.p[0] == '=')
		init.len = 0;
	n = base64_decode(init, BASE64_CANONICAL, dec, sizeof(dec));
	if (n < 0) {
		smtpd_session_reject(s, SMTPD_REJECT_PROTOCOL, true,
		                     "501 5.5.2 Cannot decode response");
		return;
	}
	memcpy(s->auth_user, dec, (size_t)n);
	s->auth_user_len = (size_t)n;
	s->state = SMTPD_STATE_AUTH_PASS;
	smtpd_session_reply_lit(s, "334 UGFzc3dvcmQ6");
}

/* Indexed by enum smtp_verb. */
static const struct smtpd_cmd_row smtpd_cmds[SMTP_VERB_COUNT] = {
    [SMTP_VERB_HELO] = {SMTP_VERB_HELO, NULL, smtpd_cmd_helo},
    [SMTP_VERB_EHLO] = {SMTP_VERB_EHLO, NULL, smtpd_cmd_helo},
    [SMTP_VERB_MAIL] = {SMTP_VERB_MAIL, smtpd_cmd_check_mail, smtpd_cmd_mail},
    [SMTP_VERB_RCPT] = {SMTP_VERB_RCPT, smtpd_cmd_check_tx, smtpd_cmd_rcpt},
    [SMTP_VERB_DATA] = {SMTP_VERB_DATA, smtpd_cmd_check_data, smtpd_cmd_data},
    [SMTP_VERB_RSET] = {SMTP_VERB_RSET, NULL, smtpd_cmd_rset},
    [SMTP_VERB_NOOP] = {SMTP_VERB_NOOP, NULL, smtpd_cmd_noop},
    [SMTP_VERB_QUIT] = {SMTP_VERB_QUIT, NULL, smtpd_cmd_quit},
    [SMTP_VERB_VRFY] = {SMTP_VERB_VRFY, NULL, smtpd_cmd_vrfy},
    [SMTP_VERB_HELP] = {SMTP_VERB_HELP, NULL, smtpd_cmd_help},
    [SMTP_VERB_STARTTLS] = {SMTP_VERB_STARTTLS, smtpd_cmd_check_starttls,
                            smtpd_cmd_starttls},
    [SMTP_VERB_AUTH] = {SMTP_VERB_AUTH, smtpd_cmd_check_auth, smtpd_cmd_auth},
};

/* smtpd_cmd_forbidden - an HTTP or proxy request sent to the SMTP port. */
static bool
smtpd_cmd_forbidden(const char *line, size_t len)
{
	/* "PROXY ": a PROXY v1 header from an address that is not one of
	 * listen.load_balancers (theirs are read before the session). */
	static const char *const verbs[] = {"GET ",  "POST ", "CONNECT ",
	                                    "HEAD ", "PUT ",  "PROXY "};
	size_t i, n;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		n = strlen(verbs[i]);
		if (len >= n && memcmp(line, verbs[i], n) == 0)
			return true;
	}
	return false;
}

void
smtpd_cmd_dispatch(struct smtpd_session *s, const char *line, size_t len)
{
	const struct smtpd_cmd_row *row;
	struct smtp_cmd cmd;
	const char *why = "";
	int rc;

	rc = smtp_cmd_parse(line, len, &cmd, &why);
	switch (rc) {
	case SMTP_PARSE_OK:
		break;
	case SMTP_PARSE_UNKNOWN_VERB:
		if (smtpd_cmd_forbidden(line, len)) {
			smtpd_session_reject(
			    s, SMTPD_REJECT_PROTOCOL, true,
			    "421 4.7.0 %s Error: HTTP or proxy command on the "
			    "SMTP port",
			    s->smtpd->cfg->hostname);
			smtpd_session_close(s);
			return;
		}
		smtpd_session_reject(s, SMTPD_REJECT_PROTOCOL, true,
		                     "500 5.5.1 Error: command not recognized");
		return;
	case SMTP_PARSE_SYNTAX:
		smtpd_session_reject(s, SMTPD_REJECT_PROTOCOL, true,
		                     "501 %s Error: %s",
		                     strncmp(why, "invalid", 7) != 0 ? "5.5.4"
		                     : cmd.verb == SMTP_VERB_MAIL    ? "5.1.7"
		                                                     : "5.1.3",
		                     why);
		return;
	case SMTP_PARSE_BAD_PARAM:
		smtpd_session_reject(s, SMTPD_REJECT_PROTOCOL, true,
		                     "555 5.5.4 Error: %s", why);
		return;
	default:
		smtpd_session_reject(s, SMTPD_REJECT_PROTOCOL, true,
		                     "500 5.5.2 Error: %s", why);
		return;
	}
	if (s->smtpd->stopping && cmd.verb != SMTP_VERB_QUIT) {
		/* A graceful stop: nothing new starts here (smtpd.h). */
		smtpd_session_reply(s,
		                    "421 4.3.2 %s Service shutting down, "
		                    "try again later",
		                    s->smtpd->cfg->hostname);
		smtpd_session_close(s);
		return;
	}
	row = &smtpd_cmds[cmd.verb];
	if (row->check != NULL && row->check(s, &cmd) != 0)
		return;
	row->proceed(s, &cmd);
}
