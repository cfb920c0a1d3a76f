/*
 * smtpc_session.c - the SMTP client's session setup: greeting, EHLO (HELO
 * after a 5xx), STARTTLS, AUTH PLAIN or LOGIN.
 *
 * STARTTLS is sent whenever tls: starttls is configured; if the server
 * does not offer it the attempt fails, it never goes on in plaintext.
 * Bytes that arrive after the 220 to STARTTLS but before the handshake are
 * an injection attempt and fail the session. AUTH is only ever sent on a
 * TLS session, unless tls: none is configured. Credentials are base64'd
 * into short-lived buffers that are wiped after use and never logged.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/crypto.h>

#include "core/base64.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "net/smtpc_int.h"

/* smtpc_secret_line - send "prefix base64(p) CRLF", wiping the copies. */
static void
smtpc_secret_line(struct smtpc *c, const char *prefix, const void *p, size_t n)
{
	char *b64 = base64_encode_str(p, n);

	smtpc_printf(c, "%s%s\r\n", prefix, b64);
	OPENSSL_cleanse(b64, strlen(b64));
	free(b64);
}

/* smtpc_auth_start - AUTH PLAIN if offered, else LOGIN. */
static void
smtpc_auth_start(struct smtpc *c)
{
	const char *user = c->p.username;
	const char *pass = c->p.password ? c->p.password : "";
	size_t ul = strlen(user), pl = strlen(pass);
	char *tok;

	c->state = SMTPC_STATE_AUTH;
	c->auth_step = 0;
	if (c->ext.auth_plain) {
		tok = xmalloc(ul + pl + 2);
		tok[0] = '\0';
		memcpy(tok + 1, user, ul);
		tok[ul + 1] = '\0';
		memcpy(tok + ul + 2, pass, pl);
		smtpc_secret_line(c, "AUTH PLAIN ", tok, ul + pl + 2);
		OPENSSL_cleanse(tok, ul + pl + 2);
		free(tok);
		c->auth_step = 2; /* the next reply is the last */
	} else if (c->ext.auth_login) {
		smtpc_printf(c, "AUTH LOGIN\r\n");
	} else {
		smtpc_fail(
		    c, SEND_FACT_NO_AUTH, NULL,
		    "credentials configured but the server offers no AUTH "
		    "PLAIN or LOGIN");
		return;
	}
	smtpc_timer_arm(c, c->p.command_timeout_ms);
}

/*
 * smtpc_session_ready - the session is up (r: the last reply to EHLO,
 * HELO or AUTH): start the waiting message, or end the probe.
 */
static void
smtpc_session_ready(struct smtpc *c, const struct smtp_reply *r)
{
	c->state = SMTPC_STATE_READY;
	evtimer_del(c->timer);
	log_debug("smtpc %s: session up (tls %s)", c->p.name,
	          c->tls_up ? "yes" : "no");
	if (c->probing)
		smtpc_probe_up(c, r);
	else
		smtpc_kick(c);
}

/* smtpc_session_next - after a 2xx to EHLO/HELO (r): STARTTLS, AUTH, or
 * ready. */
static void
smtpc_session_next(struct smtpc *c, const struct smtp_reply *r)
{
	if (c->p.tls == SMTPC_TLS_STARTTLS && !c->tls_up) {
		c->state = SMTPC_STATE_STARTTLS;
		if (!c->ext.starttls) {
			/* Never fall back to plaintext. */
			smtpc_fail(c, SEND_FACT_NO_STARTTLS, NULL,
			           "STARTTLS required but not offered");
			return;
		}
		smtpc_printf(c, "STARTTLS\r\n");
		smtpc_timer_arm(c, c->p.command_timeout_ms);
		return;
	}
	if (c->p.username != NULL) {
		smtpc_auth_start(c);
		return;
	}
	smtpc_session_ready(c, r);
}

/* smtpc_ehlo_send - EHLO, collecting the extensions line by line. */
void
smtpc_ehlo_send(struct smtpc *c)
{
	memset(&c->ext, 0, sizeof(c->ext));
	smtpc_printf(c, "EHLO %s\r\n", c->helo);
	c->state = SMTPC_STATE_EHLO;
	smtpc_timer_arm(c, c->p.command_timeout_ms);
}

/* smtpc_line_cb - every reply line; EHLO lines name the extensions. */
void
smtpc_line_cb(void *arg, unsigned index, const char *text, size_t len)
{
	struct smtpc *c = arg;

	if (c->state == SMTPC_STATE_EHLO && index > 0)
		smtp_reply_ehlo_line(&c->ext, text, len);
}

/* smtpc_tls_start - wrap the connection in TLS after "220" to STARTTLS. */
static void
smtpc_tls_start(struct smtpc *c)
{
	struct bufferevent *bev;
	SSL *ssl;

	/* Bytes already here came in plaintext: an injection attempt. */
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0) {
		smtpc_fail(c, SEND_FACT_PROTOCOL, NULL,
		           "plaintext data after the STARTTLS reply");
		return;
	}
	ssl = smtpc_ssl_new(c);
	if (ssl == NULL) {
		smtpc_fail(c, SEND_FACT_LOCAL, NULL, "TLS: SSL_new failed");
		return;
	}
	bev = bufferevent_openssl_filter_new(
	    c->base, c->bev, ssl, BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL) {
		SSL_free(ssl);
		smtpc_fail(c, SEND_FACT_LOCAL, NULL,
		           "TLS: cannot make a filter");
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	smtpc_bev_setup(c, bev);
	c->state = SMTPC_STATE_HANDSHAKE;
	smtpc_timer_arm(c, c->p.command_timeout_ms);
}

/* smtpc_auth_reply - one step of AUTH PLAIN or LOGIN. */
static void
smtpc_auth_reply(struct smtpc *c, const struct smtp_reply *r)
{
	const char *pass = c->p.password ? c->p.password : "";

	if (r->code == 235 && c->auth_step >= 2) {
		smtpc_session_ready(c, r);
		return;
	}
	if (r->code != 334 || c->auth_step >= 2) {
		smtpc_fail(c, SEND_FACT_REPLY, r, NULL);
		return;
	}
	/* AUTH LOGIN: 334 asks for the user name, then the password. */
	if (c->auth_step == 0)
		smtpc_secret_line(c, "", c->p.username, strlen(c->p.username));
	else
		smtpc_secret_line(c, "", pass, strlen(pass));
	c->auth_step++;
	smtpc_timer_arm(c, c->p.command_timeout_ms);
}

/* smtpc_session_reply - a reply while the session is being set up. */
void
smtpc_session_reply(struct smtpc *c, const struct smtp_reply *r)
{
	bool ok = r->code >= 200 && r->code < 300;

	switch (c->state) {
	case SMTPC_STATE_GREETING:
		if (!ok) {
			smtpc_fail(c, SEND_FACT_REPLY, r, NULL);
			return;
		}
		smtpc_ehlo_send(c);
		return;
	case SMTPC_STATE_EHLO:
		if (ok) {
			smtpc_session_next(c, r);
		} else if (r->code >= 500) {
			memset(&c->ext, 0, sizeof(c->ext));
			smtpc_printf(c, "HELO %s\r\n", c->helo);
			c->state = SMTPC_STATE_HELO;
			smtpc_timer_arm(c, c->p.command_timeout_ms);
		} else {
			smtpc_fail(c, SEND_FACT_REPLY, r, NULL);
		}
		return;
	case SMTPC_STATE_HELO:
		if (ok)
			smtpc_session_next(c, r);
		else
			smtpc_fail(c, SEND_FACT_REPLY, r, NULL);
		return;
	case SMTPC_STATE_STARTTLS:
		if (r->code == 220)
			smtpc_tls_start(c);
		else
			smtpc_fail(c, SEND_FACT_REPLY, r, NULL);
		return;
	case SMTPC_STATE_AUTH:
		smtpc_auth_reply(c, r);
		return;
	default:
		log_panic("smtpc: session reply in state %d", (int)c->state);
	}
}
