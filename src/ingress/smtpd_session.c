/*
 * smtpd_session.c - one SMTP server session: I/O, DATA, TLS, hand-off.
 *
 * Frames command lines out of the bufferevent input, feeds the DATA reader,
 * runs STARTTLS, enforces the timeouts and the minimum data rate, and hands
 * each message to the spool. What a command means is smtpd_cmd.c's job.
 *
 * Invariants:
 *  - "250 ... queued as" is written only from the spool's commit callback
 *    with SPOOL_OK. While a commit is pending no further input is parsed;
 *    pipelined commands wait in the input buffer, which a read high
 *    watermark bounds, so a client cannot make us buffer without limit.
 *  - A command line is at most SMTP_CMD_LINE_MAX octets; a longer one is
 *    answered once and then discarded up to its LF without buffering it.
 *  - After STARTTLS every byte the client sent in plaintext after the
 *    command is thrown away, and the session forgets HELO, MAIL and AUTH.
 *  - A session is freed only from a top-level callback (read, write,
 *    event, timer, commit), never from a helper they call, so no helper
 *    touches a freed session. A pending commit holds a small token, not
 *    the session; freeing the session detaches the token.
 */
#include "ingress/smtpd_session.h"

#include <netdb.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "config/config.h"
#include "core/clock.h"
#include "core/id.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "ingress/peer_cap.h"
#include "ingress/submit.h"
#include "ingress/submit_policy.h"
#include "mime/header.h"
#include "observe/events.h"
#include "spool/spool.h"

static void smtpd_session_kick(struct smtpd_session *s);
static void smtpd_session_tls_start(struct smtpd_session *s, SSL *ssl);
static void smtpd_session_greet(struct smtpd_session *s);
static void smtpd_on_read(struct bufferevent *bev, void *arg);
static void smtpd_on_write(struct bufferevent *bev, void *arg);
static void smtpd_on_event(struct bufferevent *bev, short what, void *arg);

void
smtpd_session_reply(struct smtpd_session *s, const char *fmt, ...)
{
	va_list ap;
	char text[1024];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	buf_add(&s->out, text,
	        (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1);
	buf_add(&s->out, "\r\n", 2);
}

/*
 * smtpd_session_flush - hand the queued replies to the socket. On a plain
 * connection with nothing pending, write(2) them at once: the usual case,
 * and it spares the two epoll_ctl calls a bufferevent write costs. What
 * the kernel does not take goes through the bufferevent, in order.
 */
static void
smtpd_session_flush(struct smtpd_session *s)
{
	struct evbuffer *out = bufferevent_get_output(s->bev);
	size_t off = 0;
	ssize_t n;

	if (s->out.len == 0)
		return;
	if (bufferevent_get_underlying(s->bev) == NULL &&
	    evbuffer_get_length(out) == 0) {
		n = send(bufferevent_getfd(s->bev), s->out.p, s->out.len,
		         MSG_NOSIGNAL | MSG_DONTWAIT);
		/* On an error the bufferevent's own write will report it. */
		if (n > 0)
			off = (size_t)n;
	}
	if (off < s->out.len)
		evbuffer_add(out, s->out.p + off, s->out.len - off);
	s->out.len = 0;
}

void
smtpd_session_reject(struct smtpd_session *s, enum smtpd_reject r,
                     bool protocol, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	s->smtpd->stats.rejected[r]++;
	if (protocol)
		s->errors++;
	log_info("smtpd: reject client=%s reason=%s user=%s: %s", s->client,
	         smtpd_reject_name(r),
	         log_quote(s->user ? s->user->name : NULL).s, text);
	smtpd_session_reply(s, "%s", text);
}

void
smtpd_session_close(struct smtpd_session *s)
{
	struct timeval tv = smtpd_ms_tv(SMTPD_CLOSE_MS);

	if (s->state == SMTPD_STATE_CLOSE)
		return;
	s->state = SMTPD_STATE_CLOSE;
	bufferevent_disable(s->bev, EV_READ);
	bufferevent_enable(s->bev, EV_WRITE);
	evtimer_add(s->timer, &tv);
}

/* smtpd_idle_arm - (re)start the wait for the next command. */
static void
smtpd_idle_arm(struct smtpd_session *s)
{
	evtimer_add(s->timer, s->smtpd->idle_tv);
}

void
smtpd_session_tx_reset(struct smtpd_session *s)
{
	size_t i;

	for (i = 0; i < s->n_rcpts; i++)
		free(s->rcpts[i]);
	s->n_rcpts = 0;
	s->sender[0] = '\0';
	s->verp_id[0] = '\0';
	s->verp_provider = NULL;
	s->in_tx = false;
	s->smtputf8 = false;
	s->body.len = 0;
	s->body_off = 0;
}

/* smtpd_with - the protocol name for Received (RFC 3848). */
static const char *
smtpd_with(const struct smtpd_session *s)
{
	if (!s->esmtp)
		return "SMTP";
	if (s->tls)
		return s->user ? "ESMTPSA" : "ESMTPS";
	return s->user ? "ESMTPA" : "ESMTP";
}

void
smtpd_session_data_begin(struct smtpd_session *s)
{
	struct smtpd *d = s->smtpd;
	struct mime_received r;
	struct timeval tv = smtpd_ms_tv(SMTPD_RATE_GRACE_MS);
	uint64_t hint;

	s->data_start_ms = clock_mono_ms();
	s->data_bytes = 0;
	s->body.len = 0;
	/*
	 * The body moves to the spool with every message, so start it at a
	 * size that avoids regrowing it line by line; trust SIZE= only so far
	 * (a client could claim the maximum on every session).
	 */
	hint = s->size_hint + 1024;
	buf_reserve(&s->body, hint < 8192                ? 8192
	                      : hint > SMTPD_RESERVE_MAX ? SMTPD_RESERVE_MAX
	                                                 : hint);
	r.helo = s->helo;
	r.ip = s->ip;
	r.by = d->cfg->hostname;
	r.with = smtpd_with(s);
	r.id = NULL; /* the spool names the message only at commit */
	r.t = clock_wall_time();
	mime_header_received_add(&s->body, &r);
	s->body_off = s->body.len;
	smtp_data_init(&s->data, &s->body, d->cfg->max_message_size);
	s->state = SMTPD_STATE_DATA;
	/* A commit may wait a little for this body (spool.commit_gather_us).
	 */
	spool_data_hint(d->sp, 1);
	s->data_hint = true;
	evtimer_add(s->timer, &tv);
	smtpd_session_reply_lit(s, "354 End data with <CR><LF>.<CR><LF>");
}

void
smtpd_session_starttls(struct smtpd_session *s)
{
	struct smtpd *d = s->smtpd;
	struct bufferevent *under = s->bev;
	SSL *ssl;

	ssl = SSL_new(d->tls);
	if (ssl == NULL) {
		smtpd_session_reply_lit(
		    s, "454 4.7.0 TLS not available due to local "
		       "problem");
		return;
	}
	smtpd_session_reply_lit(s, "220 2.0.0 Ready to start TLS");
	smtpd_session_flush(s); /* in plaintext, before any TLS byte */
	/*
	 * Anything the client sent after STARTTLS in plaintext could be
	 * taken for commands sent under TLS (CVE-2011-0411): drop it.
	 */
	evbuffer_drain(bufferevent_get_input(under),
	               evbuffer_get_length(bufferevent_get_input(under)));
	smtpd_session_tls_start(s, ssl);
}

/*
 * smtpd_session_tls_start - put the TLS filter with ssl (owned from here)
 * over the session's socket and wait for the handshake: after STARTTLS,
 * or at once on an implicit-TLS listener. The handshake is bounded by
 * limits.command_timeout (the bufferevent's and the session's timers).
 */
static void
smtpd_session_tls_start(struct smtpd_session *s, SSL *ssl)
{
	struct smtpd *d = s->smtpd;
	struct bufferevent *under = s->bev, *bev;
	struct timeval tv = d->cmd_tv;

	bufferevent_set_timeouts(under, NULL, NULL);
	bev = bufferevent_openssl_filter_new(d->base, under, ssl,
	                                     BUFFEREVENT_SSL_ACCEPTING,
	                                     BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		log_warn("smtpd: client=%s: cannot start TLS", s->client);
		smtpd_session_close(s);
		return;
	}
	s->bev = bev;
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	bufferevent_setcb(bev, smtpd_on_read, smtpd_on_write, smtpd_on_event,
	                  s);
	bufferevent_setwatermark(bev, EV_READ, 0, SMTPD_READ_HIGH);
	bufferevent_set_max_single_read(under, SMTPD_READ_CHUNK);
	bufferevent_set_max_single_read(bev, SMTPD_READ_CHUNK);
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	s->state = SMTPD_STATE_TLS;
	evtimer_add(s->timer, &tv);
}

/* --- input ------------------------------------------------------------- */

/*
 * smtpd_line_read - take one line from the input and act on it. Returns 1
 * if something was consumed, 0 if a whole line has not arrived yet.
 */
static int
smtpd_line_read(struct smtpd_session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	const char *lf;
	ev_ssize_t n;
	size_t len;
	bool secret;

	/* Copy at most one line plus one byte: enough to see "too long". */
	n = evbuffer_copyout(in, s->line, sizeof(s->line));
	if (n <= 0)
		return 0;
	lf = memchr(s->line, '\n', (size_t)n);
	if (lf == NULL && (size_t)n < sizeof(s->line))
		return 0;
	len = lf ? (size_t)(lf - s->line) : (size_t)n;
	if (lf == NULL || len + 1 > SMTP_CMD_LINE_MAX) {
		/* Without its LF yet, skip the rest of the line as it comes. */
		evbuffer_drain(in, lf ? len + 1 : len);
		if (s->state != SMTPD_STATE_CMD)
			smtpd_cmd_auth_forget(s); /* an AUTH dialogue ends */
		s->state = lf ? SMTPD_STATE_CMD : SMTPD_STATE_DISCARD;
		smtpd_session_reject(s, SMTPD_REJECT_PROTOCOL, true,
		                     "500 5.5.2 Error: line too long");
		return 1;
	}
	evbuffer_drain(in, len + 1);
	if (len > 0 && s->line[len - 1] == '\r')
		len--;
	secret = s->state != SMTPD_STATE_CMD ||
	         (len >= 5 && strncasecmp(s->line, "AUTH ", 5) == 0);
	if (s->state == SMTPD_STATE_CMD)
		smtpd_cmd_dispatch(s, s->line, len);
	else
		smtpd_cmd_auth_step(s, s->line, len);
	/* Credentials do not linger in our line buffer. */
	if (secret)
		OPENSSL_cleanse(s->line, sizeof(s->line));
	return 1;
}

/* smtpd_discard - drop input up to and including the next LF. */
static int
smtpd_discard(struct smtpd_session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	struct evbuffer_ptr p;
	size_t len = evbuffer_get_length(in);

	if (len == 0)
		return 0;
	p = evbuffer_search(in, "\n", 1, NULL);
	if (p.pos < 0) {
		evbuffer_drain(in, len);
		return 0;
	}
	evbuffer_drain(in, (size_t)p.pos + 1);
	s->state = SMTPD_STATE_CMD;
	return 1;
}

/* smtpd_spool_refused - answer a spool status other than SPOOL_OK. */
static void
smtpd_spool_refused(struct smtpd_session *s, int status)
{
	char text[256];
	bool close;

	close = submit_status_smtp(status, s->smtpd->cfg->hostname, text,
	                           sizeof(text));
	smtpd_session_reject(s, SMTPD_REJECT_STORAGE, false, "%s", text);
	if (close)
		smtpd_session_close(s);
}

/* smtpd_commit_done - the spool's answer for a message (loop thread). */
static void
smtpd_commit_done(int status, const char *id, void *arg)
{
	struct smtpd_commit *c = arg;
	struct smtpd_session *s = c->sess;
	struct smtpd *d;

	free(c);
	if (s == NULL)
		return; /* the session went away; the spool kept the message */
	d = s->smtpd;
	s->commit = NULL;
	switch (status) {
	case SPOOL_OK:
		d->stats.accepted++;
		d->stats.accepted_bytes += s->done_size;
		/* JSON logs carry this as an event line (observe/logjson). */
		if (log_format_get() != LOG_FORMAT_JSON &&
		    log_level_enabled(LOG_LEVEL_INFO))
			log_info("smtpd: accepted id=%s from=%s rcpts=%zu "
			         "size=%zu "
			         "client=%s tenant=%s tls=%s",
			         id, log_quote(s->sender).s, s->done_nrcpt,
			         s->done_size, s->client,
			         log_quote(s->user ? s->user->name : NULL).s,
			         s->tls ? "yes" : "no");
		{
			struct events_item e = {
			    .kind = EVENT_ACCEPTED,
			    .msg_id = id,
			    .tenant = s->user ? s->user->name : NULL,
			    .ingress = "smtp",
			    .size = s->done_size,
			    .rcpts = (unsigned)s->done_nrcpt,
			};
			events_emit(&e);
		}
		smtpd_session_reply(s, "250 2.0.0 Ok: queued as %s", id);
		break;
	default:
		smtpd_spool_refused(s, status);
		break;
	}
	smtpd_session_resume(s);
}

void
smtpd_session_resume(struct smtpd_session *s)
{
	smtpd_session_tx_reset(s);
	if (s->state == SMTPD_STATE_COMMIT) {
		s->state = SMTPD_STATE_CMD;
		smtpd_idle_arm(s);
	}
	smtpd_session_kick(s);
}

/* smtpd_data_unhint - this session no longer receives a body. */
static void
smtpd_data_unhint(struct smtpd_session *s)
{
	if (s->data_hint)
		spool_data_hint(s->smtpd->sp, -1);
	s->data_hint = false;
}

/* smtpd_data_end - the final dot: refuse a faulty message or spool it. */
static void
smtpd_data_end(struct smtpd_session *s)
{
	struct smtpd *d = s->smtpd;
	enum smtp_data_fault f = smtp_data_fault(&s->data);
	struct submit_who w = {SUBMIT_INGRESS_SMTP, s->user, NULL, s->client};
	struct spool_msg_new m;
	struct submit_opts o;
	struct smtpd_commit *c;
	struct api_error e;
	char local[ID_SIZE], text[512];
	int rc;

	s->state = SMTPD_STATE_CMD;
	smtpd_idle_arm(s);
	if (f != SMTP_DATA_FAULT_NONE) {
		smtpd_session_reject(s,
		                     f == SMTP_DATA_FAULT_TOO_BIG
		                         ? SMTPD_REJECT_SIZE
		                         : SMTPD_REJECT_CONTENT,
		                     false, "%s", smtp_data_fault_reply(f));
		smtpd_session_tx_reset(s);
		return;
	}
	if (s->bounce) {
		smtpd_bounce_data_end(s);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.sender = xstrdup(s->sender);
	/* Recipients and body move to the spool; keep counts for the log. */
	m.rcpts = s->rcpts;
	m.n_rcpts = s->n_rcpts;
	s->rcpts = NULL;
	s->n_rcpts = s->cap_rcpts = 0;
	m.body = s->body;
	buf_init(&s->body);
	id_new(local);
	memset(&o, 0, sizeof(o));
	o.body_off = s->body_off;
	o.msgid_domain = d->cfg->hostname;
	o.msgid_local = local;
	o.date = clock_wall_time();
	if (submit_prepare(d->cfg, &w, &o, &m, &e) < 0) {
		submit_reply_smtp(&e, text, sizeof(text));
		smtpd_session_reject(s,
		                     e.http_status == 403
		                         ? SMTPD_REJECT_SENDER
		                         : SMTPD_REJECT_CONTENT,
		                     false, "%s", text);
		smtpd_session_tx_reset(s);
		return;
	}
	s->done_nrcpt = m.n_rcpts;
	s->done_size = m.body.len;

	c = xmalloc(sizeof(*c));
	c->sess = s;
	s->commit = c;
	s->state = SMTPD_STATE_COMMIT;
	m.announce = 1; /* a client's mail: "accepted" is told */
	rc = spool_msg_submit(d->sp, &m, smtpd_commit_done, c);
	if (rc == 0)
		return;
	/* Refused at once: the spool freed m's contents, no callback. */
	free(c);
	s->commit = NULL;
	s->state = SMTPD_STATE_CMD;
	smtpd_spool_refused(s, rc);
	smtpd_session_tx_reset(s);
}

/* smtpd_data_read - feed buffered input to the DATA reader. */
static int
smtpd_data_read(struct smtpd_session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	struct evbuffer_iovec v[16];
	enum smtp_data_status st = SMTP_DATA_MORE;
	size_t total = 0, used;
	int n, i;

	if (evbuffer_get_length(in) == 0)
		return 0;
	/* Chains may be empty (the TLS filter leaves some): skip them. */
	n = evbuffer_peek(in, -1, NULL, v, 16);
	if (n <= 0)
		return 0;
	for (i = 0; i < n && i < 16 && st == SMTP_DATA_MORE; i++) {
		st = smtp_data_feed(&s->data, v[i].iov_base, v[i].iov_len,
		                    &used);
		total += used;
	}
	evbuffer_drain(in, total);
	s->data_bytes += total;
	if (st == SMTP_DATA_DONE) {
		smtpd_data_end(s); /* submits first: the hint goes after */
		smtpd_data_unhint(s);
		return 1;
	}
	return total > 0;
}

/* --- the session loop and its callbacks --------------------------------- */

/* smtpd_session_run - act on buffered input until it runs out or waits. */
static void
smtpd_session_run(struct smtpd_session *s)
{
	const unsigned max_errors = SMTPD_MAX_ERRORS;
	int more = 1;

	while (more) {
		if (s->out.len > SMTPD_OUT_HIGH / 4)
			smtpd_session_flush(s);
		if (evbuffer_get_length(bufferevent_get_output(s->bev)) >
		    SMTPD_OUT_HIGH) {
			/* The client does not read its replies: wait. */
			s->paused = true;
			return;
		}
		switch (s->state) {
		case SMTPD_STATE_CMD:
		case SMTPD_STATE_AUTH_PLAIN:
		case SMTPD_STATE_AUTH_USER:
		case SMTPD_STATE_AUTH_PASS:
			more = smtpd_line_read(s);
			if (more && s->state != SMTPD_STATE_DATA &&
			    s->state != SMTPD_STATE_CLOSE)
				smtpd_idle_arm(s);
			break;
		case SMTPD_STATE_DISCARD:
			more = smtpd_discard(s);
			break;
		case SMTPD_STATE_DATA:
			more = smtpd_data_read(s);
			break;
		case SMTPD_STATE_COMMIT:
		case SMTPD_STATE_TLS:
		case SMTPD_STATE_CLOSE:
			return;
		}
		if (s->errors >= max_errors && s->state != SMTPD_STATE_CLOSE) {
			smtpd_session_reply(
			    s, "421 4.7.0 %s Error: too many errors",
			    s->smtpd->cfg->hostname);
			log_info("smtpd: client=%s: too many errors, closing",
			         s->client);
			smtpd_session_close(s);
			return;
		}
	}
}

/* smtpd_session_flushed - every reply byte has left for the socket. */
static bool
smtpd_session_flushed(struct smtpd_session *s)
{
	struct bufferevent *under = bufferevent_get_underlying(s->bev);

	if (evbuffer_get_length(bufferevent_get_output(s->bev)) > 0)
		return false;
	return under == NULL ||
	       evbuffer_get_length(bufferevent_get_output(under)) == 0;
}

/* smtpd_under_drained - the TLS layer's output shrank while closing. */
static void
smtpd_under_drained(struct evbuffer *buf, const struct evbuffer_cb_info *info,
                    void *arg)
{
	struct smtpd_session *s = arg;

	/* Free from the timer, not from inside libevent's write path. */
	if (s->state == SMTPD_STATE_CLOSE && evbuffer_get_length(buf) == 0)
		event_active(s->timer, EV_TIMEOUT, 1);
}

/*
 * smtpd_session_kick - run the session, then free it if it is closing and
 * its last reply is out. Only top-level callbacks call this.
 */
static void
smtpd_session_kick(struct smtpd_session *s)
{
	struct bufferevent *under;

	if (s->running)
		return;
	s->running = true;
	smtpd_session_run(s);
	s->running = false;
	smtpd_session_flush(s);
	if (s->state != SMTPD_STATE_CLOSE)
		return;
	if (smtpd_session_flushed(s)) {
		smtpd_session_free(s);
		return;
	}
	under = bufferevent_get_underlying(s->bev);
	if (under != NULL && !s->under_cb) {
		s->under_cb = true;
		evbuffer_add_cb(bufferevent_get_output(under),
		                smtpd_under_drained, s);
	}
}

/* smtpd_on_read - bytes arrived. */
static void
smtpd_on_read(struct bufferevent *bev, void *arg)
{
	smtpd_session_kick(arg);
}

/* smtpd_on_write - the output drained (to the low watermark, 0). */
static void
smtpd_on_write(struct bufferevent *bev, void *arg)
{
	struct smtpd_session *s = arg;

	if (s->paused || s->state == SMTPD_STATE_CLOSE) {
		s->paused = false;
		smtpd_session_kick(s);
	}
}

/* smtpd_tls_up - the TLS handshake finished: start over, encrypted. */
static void
smtpd_tls_up(struct smtpd_session *s)
{
	SSL *ssl = bufferevent_openssl_get_ssl(s->bev);

	s->tls = true;
	s->helo_seen = false;
	s->esmtp = false;
	s->user = NULL;
	smtpd_session_tx_reset(s);
	s->state = SMTPD_STATE_CMD;
	log_debug("smtpd: client=%s: %s %s", s->client,
	          ssl ? SSL_get_version(ssl) : "TLS",
	          ssl ? SSL_get_cipher_name(ssl) : "");
	bufferevent_setcb(s->bev, smtpd_on_read, smtpd_on_write, smtpd_on_event,
	                  s);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	smtpd_idle_arm(s);
	/* Implicit TLS: the greeting is the first thing said, encrypted. */
	if (s->implicit && !s->greeted)
		smtpd_session_greet(s);
}

/* smtpd_on_event - connected (TLS), end of file, error or I/O timeout. */
static void
smtpd_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct smtpd_session *s = arg;

	if (what & BEV_EVENT_CONNECTED) {
		if (s->state == SMTPD_STATE_TLS) {
			smtpd_tls_up(s);
			smtpd_session_kick(s);
		}
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) &&
	    s->state == SMTPD_STATE_COMMIT) {
		/* A client waiting for our 250 is not idle. */
		bufferevent_enable(bev, EV_READ);
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) &&
	    s->state != SMTPD_STATE_CLOSE && s->state != SMTPD_STATE_TLS) {
		smtpd_session_reject(s, SMTPD_REJECT_TIMEOUT, false,
		                     "421 4.4.2 %s Error: timeout exceeded",
		                     s->smtpd->cfg->hostname);
		smtpd_session_close(s);
		smtpd_session_kick(s);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		s->smtpd->stats.rejected[SMTPD_REJECT_TIMEOUT]++;
	if (s->state == SMTPD_STATE_DATA)
		log_info("smtpd: client=%s: lost connection in DATA after %llu "
		         "bytes",
		         s->client, (unsigned long long)s->data_bytes);
	else if (what & BEV_EVENT_ERROR)
		log_debug("smtpd: client=%s: %s", s->client,
		          s->state == SMTPD_STATE_TLS ? "TLS handshake failed"
		                                      : "connection error");
	smtpd_session_free(s);
}

/* smtpd_on_timer - idle timeout, data rate check, or close deadline. */
static void
smtpd_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct smtpd_session *s = arg;
	struct smtpd *d = s->smtpd;
	struct timeval tv = {1, 0};
	double elapsed;

	switch (s->state) {
	case SMTPD_STATE_DATA:
		elapsed = (double)(clock_mono_ms() - s->data_start_ms) / 1e3;
		if ((double)s->data_bytes >=
		    (double)d->cfg->min_data_rate * elapsed) {
			evtimer_add(s->timer, &tv);
			return;
		}
		smtpd_session_reject(
		    s, SMTPD_REJECT_TIMEOUT, false,
		    "421 4.4.2 %s Error: data rate too low (%llu bytes in "
		    "%.0f s)",
		    d->cfg->hostname, (unsigned long long)s->data_bytes,
		    elapsed);
		smtpd_session_close(s);
		smtpd_session_kick(s);
		return;
	case SMTPD_STATE_COMMIT:
		smtpd_idle_arm(s);
		return;
	case SMTPD_STATE_TLS:
	case SMTPD_STATE_CLOSE:
		smtpd_session_free(s);
		return;
	default:
		smtpd_session_reject(s, SMTPD_REJECT_TIMEOUT, false,
		                     "421 4.4.2 %s Error: timeout exceeded",
		                     d->cfg->hostname);
		smtpd_session_close(s);
		smtpd_session_kick(s);
		return;
	}
}

void
smtpd_session_free(struct smtpd_session *s)
{
	struct bufferevent *under = bufferevent_get_underlying(s->bev);

	if (s->commit != NULL)
		s->commit->sess = NULL;
	if (s->under_cb && under != NULL)
		evbuffer_remove_cb(bufferevent_get_output(under),
		                   smtpd_under_drained, s);
	log_debug("smtpd: disconnect from %s", s->client);
	smtpd_data_unhint(s);
	smtpd_session_tx_reset(s);
	smtpd_cmd_auth_forget(s);
	free(s->rcpts);
	buf_fini(&s->body);
	buf_fini(&s->out);
	event_free(s->timer);
	bufferevent_free(s->bev);
	peer_cap_release(s->smtpd->per_ip, s->ip);
	TAILQ_REMOVE(&s->smtpd->sessions, s, entry);
	s->smtpd->stats.sessions_open--;
	free(s);
}

/* smtpd_peer_format - numeric ip and "ip:port" of a peer address. */
static void
smtpd_peer_format(struct smtpd_session *s, const struct sockaddr *sa,
                  socklen_t salen)
{
	char port[8] = "0";
	const char *ip = s->ip;

	if (getnameinfo(sa, salen, s->ip, sizeof(s->ip), port, sizeof(port),
	                NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(s->ip, sizeof(s->ip), "unknown");
	if (strncmp(ip, "::ffff:", 7) == 0 && strchr(ip + 7, '.') != NULL)
		memmove(s->ip, ip + 7, strlen(ip + 7) + 1);
	if (strchr(s->ip, ':') != NULL)
		snprintf(s->client, sizeof(s->client), "[%s]:%s", s->ip, port);
	else
		snprintf(s->client, sizeof(s->client), "%s:%s", s->ip, port);
}

struct smtpd_session *
smtpd_session_new(struct smtpd *d, evutil_socket_t fd,
                  const struct sockaddr *sa, socklen_t salen, bool implicit)
{
	struct smtpd_session *s;
	struct timeval tv = d->cmd_tv;
	int one = 1;

	/* Pipelined replies must not wait for the peer's delayed ACK. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s = xcalloc(1, sizeof(*s));
	s->smtpd = d;
	smtpd_peer_format(s, sa, salen);
	if (peer_cap_take(d->per_ip, s->ip, smtpd_per_ip_limit(d)) != 0) {
		smtpd_turn_away(d, fd, SMTPD_REJECT_SESSIONS_IP, s->ip,
		                implicit);
		free(s);
		return NULL;
	}
	s->trusted = submit_policy_net_trusted(d->cfg, sa);
	buf_init(&s->body);
	buf_init(&s->out);
	s->bev = bufferevent_socket_new(d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (s->bev == NULL) {
		log_warn("smtpd: client=%s: cannot create a bufferevent",
		         s->client);
		evutil_closesocket(fd);
		peer_cap_release(d->per_ip, s->ip);
		free(s);
		return NULL;
	}
	s->timer = evtimer_new(d->base, smtpd_on_timer, s);
	TAILQ_INSERT_TAIL(&d->sessions, s, entry);
	d->stats.sessions_open++;
	d->stats.sessions_total++;
	bufferevent_setcb(s->bev, smtpd_on_read, smtpd_on_write, smtpd_on_event,
	                  s);
	bufferevent_setwatermark(s->bev, EV_READ, 0, SMTPD_READ_HIGH);
	/* libevent reads 4 KiB at a time by default: one syscall per 4 KiB. */
	bufferevent_set_max_single_read(s->bev, SMTPD_READ_CHUNK);
	bufferevent_set_timeouts(s->bev, &tv, &tv);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	log_debug("smtpd: connect from %s%s%s", s->client,
	          s->trusted ? " (trusted network)" : "",
	          implicit ? " (implicit TLS)" : "");
	s->implicit = implicit;
	if (implicit) {
		SSL *ssl = SSL_new(d->tls);

		if (ssl == NULL) {
			log_warn("smtpd: client=%s: cannot start TLS",
			         s->client);
			smtpd_session_free(s);
			return NULL;
		}
		smtpd_session_tls_start(s, ssl);
		return s;
	}
	smtpd_session_greet(s);
	return s;
}

/*
 * smtpd_session_greet - the 220 greeting, or a 421 and close when the
 * store is damaged (say so at once rather than take a whole transaction
 * to refuse it at the dot).
 */
static void
smtpd_session_greet(struct smtpd_session *s)
{
	struct smtpd *d = s->smtpd;

	s->greeted = true;
	if (spool_health(d->sp, NULL, 0) != SPOOL_OK) {
		smtpd_session_reply(s,
		                    "421 4.3.0 %s Message store unavailable, "
		                    "try again later",
		                    d->cfg->hostname);
		smtpd_session_flush(s);
		smtpd_session_close(s);
		return;
	}
	smtpd_session_reply(s, "220 %s ESMTP swerve", d->cfg->hostname);
	smtpd_session_flush(s);
	smtpd_idle_arm(s);
}
