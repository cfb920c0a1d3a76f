/*
 * smtpc.c - SMTP client connection to one relay provider: the object,
 * the connection and its callbacks.
 *
 * One state machine per connection slot, driven by bufferevent callbacks
 * (plain sockets, or bufferevent_openssl for implicit TLS and after
 * STARTTLS) and one timer that bounds every wait: connect, greeting, each
 * command's reply, body progress, the reply to the final dot, QUIT.
 * Replies are read with the strict, bounded parser of smtp_reply.c, so a
 * hostile server costs a few KB and one ERROR. The body is streamed
 * through smtp_dot.c in chunks while the output buffer drains.
 *
 * What an outcome means is not decided here: every outcome goes through
 * policy_smtp_result(). The user's callback runs only from done_ev, an
 * event activated once the outcome is known, as the last thing that
 * callback does with the smtpc; so smtpc_send() never calls back, and the
 * user may free or reuse the smtpc from inside the callback.
 *
 * A host name's addresses are tried in turn while connecting is refused.
 *
 * The session setup is in smtpc_session.c, the mail transaction in
 * smtpc_txn.c, the probe (a session without mail) in smtpc_probe.c; they
 * share struct smtpc through smtpc_int.h.
 *
 * Does not: retry a message, judge what a message needs (its caller
 * says: struct smtpc_msg), convert a message, resume TLS sessions.
 */
#include "net/smtpc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "net/smtp_dot.h"
#include "net/smtp_reply.h"
#include "net/smtpc_int.h"
#include "send/policy.h"

static void smtpc_read_cb(struct bufferevent *bev, void *arg);
static void smtpc_write_cb(struct bufferevent *bev, void *arg);
static void smtpc_event_cb(struct bufferevent *bev, short what, void *arg);

/* smtpc_host_numeric - true if host is an IPv4 or IPv6 literal. */
static bool
smtpc_host_numeric(const char *host, struct sockaddr_storage *ss,
                   socklen_t *len, uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return true;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return true;
	}
	return false;
}

/* smtpc_timer_arm - (re)start the one timer: ms from now. */
void
smtpc_timer_arm(struct smtpc *c, uint64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	evtimer_add(c->timer, &tv);
}

/* smtpc_printf - queue one command line on the connection. */
void
smtpc_printf(struct smtpc *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(bufferevent_get_output(c->bev), fmt, ap);
	va_end(ap);
	c->wrote = true;
}

/* smtpc_close - drop the connection at once; the message is untouched. */
static void
smtpc_close(struct smtpc *c)
{
	if (c->dns_req != NULL) {
		struct evdns_getaddrinfo_request *req = c->dns_req;
		c->dns_req = NULL;
		evdns_getaddrinfo_cancel(req);
	}
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	if (c->ai_list != NULL) {
		evutil_freeaddrinfo(c->ai_list);
		c->ai_list = NULL;
		c->ai_next = NULL;
	}
	evtimer_del(c->timer);
	c->state = SMTPC_STATE_CLOSED;
	c->tls_up = false;
	c->need_rset = false;
	c->n_msgs = 0;
	memset(&c->ext, 0, sizeof(c->ext));
	smtp_reply_parser_reset(&c->parser);
}

/* smtpc_stage - the stage an outcome now would be decided in. */
static enum send_stage
smtpc_stage(const struct smtpc *c)
{
	switch (c->state) {
	case SMTPC_STATE_RESOLVING:
	case SMTPC_STATE_CONNECTING:
		return SEND_STAGE_CONNECT;
	case SMTPC_STATE_GREETING:
		return SEND_STAGE_GREETING;
	case SMTPC_STATE_EHLO:
	case SMTPC_STATE_HELO:
		return SEND_STAGE_EHLO;
	case SMTPC_STATE_STARTTLS:
	case SMTPC_STATE_HANDSHAKE:
		return SEND_STAGE_STARTTLS;
	case SMTPC_STATE_AUTH:
		return SEND_STAGE_AUTH;
	case SMTPC_STATE_TXN:
		switch (smtpc_step_kind(c, c->steps_acked, NULL)) {
		case SMTPC_STEP_RSET:
		case SMTPC_STEP_MAIL:
			return SEND_STAGE_MAIL;
		case SMTPC_STEP_RCPT:
			return SEND_STAGE_RCPT;
		default:
			return SEND_STAGE_DATA;
		}
	case SMTPC_STATE_BODY:
		return SEND_STAGE_DATA;
	case SMTPC_STATE_DOT:
		return SEND_STAGE_DOT;
	default:
		return SEND_STAGE_NONE;
	}
}

/*
 * smtpc_fail_at - the connection failed (kind, detail) or the server gave
 * a reply that ends it (r) in stage: decide the message, if one is in
 * progress, and drop the connection.
 */
static void
smtpc_fail_at(struct smtpc *c, enum send_stage stage, enum send_fact_kind kind,
              const struct smtp_reply *r, const char *detail)
{
	struct send_result res;
	bool quitting = c->state == SMTPC_STATE_QUIT;
	/*
	 * A reused connection that the server dropped (or 421'd) while it
	 * sat idle fails on the first command of the next transaction. No
	 * reply came yet, so nothing was delivered: open a fresh connection
	 * instead of failing the message. The fresh one has n_msgs 0, so
	 * this happens at most once per message.
	 */
	bool stale = c->state == SMTPC_STATE_TXN && c->steps_acked == 0 &&
	             c->n_msgs > 0 &&
	             (kind == SEND_FACT_LOST || (r != NULL && r->code == 421));

	if (stale && c->busy && !c->decided) {
		log_debug(
		    "smtpc %s: reused connection was closed; reconnecting",
		    c->p.name);
		smtpc_close(c);
		smtpc_kick(c);
		return;
	}
	/* During QUIT a waiting message has not started: it is unharmed. */
	if (!quitting && c->busy && !c->decided) {
		enum send_fact_kind k = r != NULL ? SEND_FACT_REPLY : kind;
		int code = r != NULL ? r->code : 0;
		const char *enh = r != NULL ? r->enhanced : NULL;
		const char *text = r != NULL ? r->text : NULL;

		/* The facts; the failure policy gives them their meaning. */
		if (c->txn_failed)
			res = c->res;
		else if (c->probing)
			policy_smtp_probe_result(&res, stage, k, code, enh,
			                         text, detail);
		else
			policy_smtp_result(&res, stage, k, code, enh, text,
			                   detail);
		log_debug("smtpc %s: %s%s at %s: %s", c->p.name,
		          c->probing ? "probe " : "",
		          send_class_name(res.class),
		          send_stage_name(res.stage), res.text);
		if (c->probing)
			smtpc_probe_end(c, &res);
		else
			smtpc_msg_end(c, &res);
	}
	smtpc_close(c);
	/* A probe reports, and smtpc_quit frees, once QUIT is over. */
	if (quitting && (c->free_on_quit || c->probing))
		event_active(c->done_ev, EV_TIMEOUT, 1);
	else if (quitting)
		smtpc_kick(c);
}

/*
 * smtpc_fail - the connection failed (kind, detail) or the server gave a
 * reply that ends it (r): decide the message, if one is in progress, and
 * drop the connection.
 */
void
smtpc_fail(struct smtpc *c, enum send_fact_kind kind,
           const struct smtp_reply *r, const char *detail)
{
	smtpc_fail_at(c, smtpc_stage(c), kind, r, detail);
}

/* smtpc_quit_start - end the session politely, waiting at most wait_ms
 * for the answer; see smtpc_reply. */
void
smtpc_quit_start(struct smtpc *c, uint64_t wait_ms)
{
	smtpc_printf(c, "QUIT\r\n");
	c->state = SMTPC_STATE_QUIT;
	smtpc_timer_arm(c, wait_ms);
}

/* smtpc_ssl_new - an SSL for this provider, verifying as configured. */
SSL *
smtpc_ssl_new(struct smtpc *c)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const char *host = c->p.host;
	bool numeric = smtpc_host_numeric(host, &ss, &len, 0);
	SSL *ssl = SSL_new(c->ssl_ctx);

	if (ssl == NULL)
		return NULL;
	if (!numeric)
		SSL_set_tlsext_host_name(ssl, host);
	if (!c->p.tls_verify) {
		SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
		return ssl;
	}
	SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
	if ((numeric &&
	     X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) != 1) ||
	    (!numeric && SSL_set1_host(ssl, host) != 1)) {
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

/* smtpc_bev_setup - callbacks and modes for a new bufferevent. */
void
smtpc_bev_setup(struct smtpc *c, struct bufferevent *bev)
{
	c->bev = bev;
	bufferevent_setcb(bev, smtpc_read_cb, smtpc_write_cb, smtpc_event_cb,
	                  c);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* smtpc_connect_addr - start the TCP connect (and implicit TLS). */
static void
smtpc_connect_addr(struct smtpc *c, const struct sockaddr *sa, socklen_t len)
{
	struct bufferevent *bev;
	SSL *ssl;

	c->state = SMTPC_STATE_CONNECTING;
	if (c->p.tls == SMTPC_TLS_TLS) {
		ssl = smtpc_ssl_new(c);
		if (ssl == NULL) {
			smtpc_fail(c, SEND_FACT_LOCAL, NULL,
			           "TLS: SSL_new failed");
			return;
		}
		bev = bufferevent_openssl_socket_new(
		    c->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
		    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
		if (bev != NULL)
			bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	} else {
		bev = bufferevent_socket_new(c->base, -1,
		                             BEV_OPT_CLOSE_ON_FREE |
		                                 BEV_OPT_DEFER_CALLBACKS);
	}
	if (bev == NULL) {
		smtpc_fail(c, SEND_FACT_LOCAL, NULL,
		           "cannot make a bufferevent");
		return;
	}
	smtpc_bev_setup(c, bev);
	smtpc_timer_arm(c, c->p.connect_timeout_ms);
	if (bufferevent_socket_connect(bev, sa, (int)len) != 0) {
		char detail[128];
		snprintf(detail, sizeof(detail), "connect %s:%u: %s", c->p.host,
		         c->p.port, strerror(errno));
		smtpc_fail(c, SEND_FACT_REFUSED, NULL, detail);
	}
}

/* smtpc_connect_next - try the host's next address, if it has one. */
static bool
smtpc_connect_next(struct smtpc *c)
{
	struct evutil_addrinfo *ai = c->ai_next;

	if (ai == NULL)
		return false;
	c->ai_next = ai->ai_next;
	bufferevent_free(c->bev);
	c->bev = NULL;
	smtpc_connect_addr(c, ai->ai_addr, (socklen_t)ai->ai_addrlen);
	return true;
}

/* smtpc_dns_cb - the host's addresses; connect to the first. */
static void
smtpc_dns_cb(int result, struct evutil_addrinfo *ai, void *arg)
{
	struct smtpc *c = arg;
	char detail[160];

	/* Cancelled from smtpc_close/smtpc_free: c may be gone. */
	if (result == EVUTIL_EAI_CANCEL) {
		if (ai != NULL)
			evutil_freeaddrinfo(ai);
		return;
	}
	c->dns_req = NULL;
	if (result != 0 || ai == NULL) {
		snprintf(detail, sizeof(detail), "resolve %s: %s", c->p.host,
		         evutil_gai_strerror(result));
		if (ai != NULL)
			evutil_freeaddrinfo(ai);
		smtpc_fail(c, SEND_FACT_REFUSED, NULL, detail);
		return;
	}
	c->ai_list = ai;
	c->ai_next = ai->ai_next;
	smtpc_connect_addr(c, ai->ai_addr, (socklen_t)ai->ai_addrlen);
}

/* smtpc_connect_start - resolve if needed, then connect. */
static void
smtpc_connect_start(struct smtpc *c)
{
	struct sockaddr_storage ss;
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *req;
	socklen_t len;
	char port[8];

	if (smtpc_host_numeric(c->p.host, &ss, &len, c->p.port)) {
		smtpc_connect_addr(c, (struct sockaddr *)&ss, len);
		return;
	}
	c->state = SMTPC_STATE_RESOLVING;
	smtpc_timer_arm(c, c->p.connect_timeout_ms);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	snprintf(port, sizeof(port), "%u", c->p.port);
	/* The callback may run before this returns (hosts file, cache). */
	req =
	    evdns_getaddrinfo(c->dns, c->p.host, port, &hints, smtpc_dns_cb, c);
	if (req != NULL && c->state == SMTPC_STATE_RESOLVING)
		c->dns_req = req;
}

/* smtpc_kick - move a waiting message forward if the connection allows. */
void
smtpc_kick(struct smtpc *c)
{
	if (!c->busy || c->decided)
		return;
	if (c->state == SMTPC_STATE_CLOSED)
		smtpc_connect_start(c);
	else if (c->state == SMTPC_STATE_READY)
		smtpc_txn_start(c);
	/* Otherwise the session is being set up or QUIT; it kicks later. */
}

/* smtpc_reply - one complete reply, in the light of the state. */
static void
smtpc_reply(struct smtpc *c, const struct smtp_reply *r)
{
	/* 421: the server is closing the connection, whatever we asked. */
	if (r->code == 421 && c->state != SMTPC_STATE_QUIT) {
		smtpc_fail(c, SEND_FACT_REPLY, r, NULL);
		return;
	}
	switch (c->state) {
	case SMTPC_STATE_GREETING:
	case SMTPC_STATE_EHLO:
	case SMTPC_STATE_HELO:
	case SMTPC_STATE_STARTTLS:
	case SMTPC_STATE_AUTH:
		smtpc_session_reply(c, r);
		return;
	case SMTPC_STATE_TXN:
		smtpc_txn_reply(c, r);
		return;
	case SMTPC_STATE_BODY:
		/* An answer before the dot: the server gave up on us. */
		smtpc_fail(c, SEND_FACT_REPLY, r, NULL);
		return;
	case SMTPC_STATE_DOT:
		smtpc_dot_reply(c, r);
		return;
	case SMTPC_STATE_QUIT:
		/* 221 or anything else: the session is over either way. */
		smtpc_fail(c, SEND_FACT_REPLY, r, NULL);
		return;
	default:
		/* Out of turn (e.g. while idle): do not trust the session. */
		log_debug("smtpc %s: unexpected reply %d while idle", c->p.name,
		          r->code);
		smtpc_fail(c, SEND_FACT_PROTOCOL, NULL, "reply out of turn");
		return;
	}
}

/* smtpc_read_cb - parse every complete reply that has arrived. */
static void
smtpc_read_cb(struct bufferevent *bev, void *arg)
{
	struct smtpc *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec v;
	struct smtp_reply r;
	enum smtp_reply_status st;
	enum send_stage stage;
	size_t used;

	while (c->bev == bev && evbuffer_get_length(in) > 0) {
		/* After STARTTLS's 220 the rest must wait for TLS. */
		if (c->state == SMTPC_STATE_HANDSHAKE)
			return;
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			return;
		st = smtp_reply_parse(&c->parser, v.iov_base, v.iov_len, &used);
		evbuffer_drain(in, used);
		if (st == SMTP_REPLY_NEED_MORE)
			continue;
		if (st == SMTP_REPLY_ERROR) {
			char detail[96];
			snprintf(detail, sizeof(detail), "bad reply: %s",
			         c->parser.error);
			smtpc_fail(c, SEND_FACT_PROTOCOL, NULL, detail);
			return;
		}
		r = c->parser.reply;
		smtp_reply_parser_reset(&c->parser);
		stage = smtpc_stage(c);
		c->wrote = false;
		smtpc_reply(c, &r);
		/*
		 * Bytes still here were received before the command this
		 * reply made us send, so they cannot answer it: a server
		 * that replies ahead of the client (to a dot it has not
		 * seen, say) is not trusted with the message. Replies to
		 * pipelined commands arrive after those commands left.
		 */
		if (c->bev == bev && c->wrote && evbuffer_get_length(in) > 0) {
			log_debug("smtpc %s: reply before its command was "
			          "sent",
			          c->p.name);
			smtpc_fail_at(c, stage, SEND_FACT_PROTOCOL, NULL,
			              "reply before its command was sent");
			return;
		}
	}
}

/* smtpc_write_cb - output drained: feed more of the body. */
static void
smtpc_write_cb(struct bufferevent *bev, void *arg)
{
	struct smtpc *c = arg;

	if (c->bev == bev && c->state == SMTPC_STATE_BODY)
		smtpc_body_pump(c);
}

/* smtpc_tls_detail - why a TLS handshake failed, for the result text. */
static void
smtpc_tls_detail(struct bufferevent *bev, char *out, size_t outlen)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	long vr = ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;
	unsigned long e = bufferevent_get_openssl_error(bev);
	char err[160];

	if (vr != X509_V_OK) {
		snprintf(out, outlen, "TLS: certificate verify failed: %s",
		         X509_verify_cert_error_string(vr));
	} else if (e != 0) {
		ERR_error_string_n(e, err, sizeof(err));
		snprintf(out, outlen, "TLS: %s", err);
	} else {
		snprintf(out, outlen, "TLS: handshake failed: %s",
		         EVUTIL_SOCKET_ERROR() ? strerror(EVUTIL_SOCKET_ERROR())
		                               : "connection closed");
	}
	while (bufferevent_get_openssl_error(bev) != 0)
		; /* leave no stale errors for the next connection */
}

/* smtpc_event_cb - connected, handshake done, closed, or failed. */
static void
smtpc_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct smtpc *c = arg;
	int err = EVUTIL_SOCKET_ERROR();
	char detail[256];

	if (c->bev != bev)
		return;
	if (what & BEV_EVENT_CONNECTED) {
		if (c->state == SMTPC_STATE_CONNECTING) {
			c->tls_up = c->p.tls == SMTPC_TLS_TLS;
			c->state = SMTPC_STATE_GREETING;
			smtpc_timer_arm(c, c->p.greeting_timeout_ms);
		} else if (c->state == SMTPC_STATE_HANDSHAKE) {
			c->tls_up = true;
			smtpc_ehlo_send(c);
		}
		return;
	}
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if (c->state == SMTPC_STATE_HANDSHAKE ||
	    (c->state == SMTPC_STATE_CONNECTING && c->p.tls == SMTPC_TLS_TLS &&
	     (what & BEV_EVENT_EOF || bufferevent_get_openssl_error(bev)))) {
		smtpc_tls_detail(bev, detail, sizeof(detail));
		smtpc_fail(c, SEND_FACT_TLS, NULL, detail);
	} else if (c->state == SMTPC_STATE_CONNECTING) {
		if (smtpc_connect_next(c))
			return;
		snprintf(detail, sizeof(detail), "connect %s:%u: %s", c->p.host,
		         c->p.port, err ? strerror(err) : "connection refused");
		smtpc_fail(c, SEND_FACT_REFUSED, NULL, detail);
	} else {
		snprintf(detail, sizeof(detail), "connection %s during %s",
		         what & BEV_EVENT_EOF ? "closed" : "lost",
		         send_stage_name(smtpc_stage(c)));
		smtpc_fail(c, SEND_FACT_LOST, NULL, detail);
	}
}

/* smtpc_timer_cb - a wait ran out. */
static void
smtpc_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smtpc *c = arg;
	char detail[96];

	snprintf(detail, sizeof(detail), "timeout during %s",
	         c->state == SMTPC_STATE_QUIT
	             ? "quit"
	             : send_stage_name(smtpc_stage(c)));
	smtpc_fail(c, SEND_FACT_TIMEOUT, NULL, detail);
}

/* smtpc_done_cb - hand the outcome to the user; the last use of c. */
static void
smtpc_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smtpc *c = arg;
	struct smtpc_result res;
	struct send_result *rres = c->rres;
	smtpc_done_fn *cb = c->cb;
	void *cb_arg = c->cb_arg;
	size_t i;

	/* smtpc_quit is done: the slot goes, nobody is waiting. */
	if (c->free_on_quit && !c->busy) {
		smtpc_free(c);
		return;
	}
	if (c->probing) {
		smtpc_probe_report(c);
		return;
	}
	res.msg = c->res;
	res.rcpts = rres;
	res.n_rcpts = c->msg.n_rcpts;
	res.n_accepted = 0;
	res.ehlo_known = c->ehlo_known;
	res.smtputf8 = c->ehlo_known && c->ehlo.smtputf8;
	res.eightbitmime = c->ehlo_known && c->ehlo.eightbitmime;
	for (i = 0; i < res.n_rcpts; i++)
		if (rres[i].class == SEND_ACCEPTED)
			res.n_accepted++;
	/* The slot is free before the callback, which may reuse it. */
	c->rres = NULL;
	c->busy = false;
	c->decided = false;
	c->cb = NULL;
	c->cb_arg = NULL;
	memset(&c->msg, 0, sizeof(c->msg));
	cb(c, &res, cb_arg);
	free(rres);
}

/* smtpc_new - a connection slot; no I/O yet. */
struct smtpc *
smtpc_new(const struct smtpc_opts *opts)
{
	struct smtpc *c = xcalloc(1, sizeof(*c));
	struct sockaddr_storage ss;
	socklen_t len;

	c->base = opts->base;
	c->p = *opts->params;
	if (c->p.name == NULL)
		c->p.name = c->p.host;
	c->helo = xstrdup(c->p.helo_name ? c->p.helo_name : "localhost");
	c->p.helo_name = c->helo;
	c->state = SMTPC_STATE_CLOSED;
	smtp_reply_parser_init(&c->parser, smtpc_line_cb, c);
	c->timer = evtimer_new(c->base, smtpc_timer_cb, c);
	c->done_ev = event_new(c->base, -1, 0, smtpc_done_cb, c);
	if (c->timer == NULL || c->done_ev == NULL) {
		log_error("smtpc %s: cannot make events", c->p.name);
		goto fail;
	}
	if (opts->ssl_ctx != NULL) {
		SSL_CTX_up_ref(opts->ssl_ctx);
		c->ssl_ctx = opts->ssl_ctx;
	} else if (c->p.tls != SMTPC_TLS_NONE) {
		c->ssl_ctx = SSL_CTX_new(TLS_client_method());
		if (c->ssl_ctx == NULL ||
		    SSL_CTX_set_min_proto_version(c->ssl_ctx, TLS1_2_VERSION) !=
		        1 ||
		    SSL_CTX_set_default_verify_paths(c->ssl_ctx) != 1) {
			log_error("smtpc %s: cannot make a TLS context",
			          c->p.name);
			goto fail;
		}
	}
	c->dns = opts->dns;
	if (c->dns == NULL && !smtpc_host_numeric(c->p.host, &ss, &len, 0)) {
		c->dns =
		    evdns_base_new(c->base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
		if (c->dns == NULL) {
			log_error("smtpc %s: cannot make a resolver",
			          c->p.name);
			goto fail;
		}
		c->own_dns = true;
	}
	return c;
fail:
	smtpc_free(c);
	return NULL;
}

/* smtpc_addr_ok - no control characters or angle brackets. */
static bool
smtpc_addr_ok(const char *a)
{
	const unsigned char *s;

	if (a == NULL)
		return false;
	for (s = (const unsigned char *)a; *s != '\0'; s++)
		if (*s < 0x20 || *s == 0x7f || *s == '<' || *s == '>')
			return false;
	return true;
}

/* smtpc_send - start one message; the outcome comes to cb later. */
int
smtpc_send(struct smtpc *c, const struct smtpc_msg *msg, smtpc_done_fn *cb,
           void *arg)
{
	size_t i;

	if (c->busy)
		return -EBUSY;
	if (msg->n_rcpts == 0 || !smtpc_addr_ok(msg->sender) ||
	    (msg->body.len > 0 && msg->body.p == NULL) || cb == NULL)
		return -EINVAL;
	for (i = 0; i < msg->n_rcpts; i++)
		if (!smtpc_addr_ok(msg->rcpts[i]) || msg->rcpts[i][0] == '\0')
			return -EINVAL;
	c->busy = true;
	c->decided = false;
	c->msg = *msg;
	c->cb = cb;
	c->cb_arg = arg;
	c->ehlo_known = false;
	c->rres = xcalloc(msg->n_rcpts, sizeof(*c->rres));
	smtpc_kick(c);
	return 0;
}

/* smtpc_idle - no message in progress. */
bool
smtpc_dot_sent(const struct smtpc *c)
{
	return c->busy && c->state == SMTPC_STATE_DOT;
}

bool
smtpc_idle(const struct smtpc *c)
{
	return !c->busy;
}

/* smtpc_connected - a connection exists beyond the resolving stage. */
bool
smtpc_connected(const struct smtpc *c)
{
	return c->bev != NULL;
}

/* smtpc_msgs_sent - transactions on the current connection. */
unsigned
smtpc_msgs_sent(const struct smtpc *c)
{
	return c->n_msgs;
}

/* smtpc_quit - QUIT if idle on a live session, then free. */
void
smtpc_quit(struct smtpc *c)
{
	if (c == NULL)
		return;
	if (c->state == SMTPC_STATE_QUIT && !c->busy) {
		c->free_on_quit = true;
		return;
	}
	if (c->state != SMTPC_STATE_READY || c->busy) {
		smtpc_free(c);
		return;
	}
	c->free_on_quit = true;
	smtpc_quit_start(c, c->p.command_timeout_ms);
}

/* smtpc_free - drop everything now; no callback runs afterwards. */
void
smtpc_free(struct smtpc *c)
{
	if (c == NULL)
		return;
	if (c->timer != NULL)
		smtpc_close(c);
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->done_ev != NULL)
		event_free(c->done_ev);
	if (c->own_dns)
		evdns_base_free(c->dns, 0);
	if (c->ssl_ctx != NULL)
		SSL_CTX_free(c->ssl_ctx);
	free(c->rres);
	free(c->helo);
	free(c);
}
