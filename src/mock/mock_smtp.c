/*
 * mock_smtp.c - swerve-mock's SMTP server: sockets, TLS, pacing, closing.
 *
 * What to answer is mock_sess.c's business; this file moves bytes. One
 * struct mock_sess per connection, driven by its bufferevent. Input is
 * handled one command at a time; every reply is collected in the session's
 * pending buffer and written by mock_smtp_flush(), which in slow mode
 * holds it back on a timer and pauses input handling until the timer
 * fires, so pipelined commands are answered one delay apart. Nothing here
 * blocks or sleeps.
 *
 * Sessions are freed only from mock_smtp_process() (and the event and
 * timer callbacks that lead to it), never from inside the dialogue: it
 * sets close_now or close_after and returns. Refuse mode (a mode watcher)
 * closes the listener and frees every session from outside any session
 * callback.
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
#include "mock/mock_sess.h"

#define MOCK_SMTP_MAX_SIZE_DEFAULT (50u * 1024 * 1024)
#define MOCK_SMTP_IDLE_DEFAULT 300
#define MOCK_SMTP_READ_HIGH (256 * 1024) /* stop reading above this */
#define MOCK_SMTP_LINE_JUNK 4096         /* a "command" this long without LF */

struct mock_smtp {
	struct mock *m;
	struct sockaddr_storage addr;
	int addrlen;
	unsigned port;
	struct evconnlistener *lev; /* NULL while refusing */
	struct event *rebind;       /* retries a failed re-listen */
	SSL_CTX *tls;               /* NULL: no STARTTLS */
	char *auth_user, *auth_pass;
	struct mock_sess_cfg cfg; /* what sessions see; points at the above */
	unsigned idle_s;
	struct mock_sess *sessions;
	unsigned long next_id;
};

static void mock_smtp_process(struct mock_sess *s);
static void mock_smtp_event_cb(struct bufferevent *bev, short what, void *arg);
static void mock_smtp_read_cb(struct bufferevent *bev, void *arg);
static void mock_smtp_write_cb(struct bufferevent *bev, void *arg);

/* mock_smtp_sess_free - close the connection and release the session. */
static void
mock_smtp_sess_free(struct mock_sess *s)
{
	struct mock_smtp *srv = s->srv;

	log_debug("mock[%s]: smtp#%lu closed", srv->m->name, s->id);
	if (s->prev)
		s->prev->next = s->next;
	else
		srv->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	mock_sess_fini(s);
	event_free(s->timer);
	bufferevent_free(s->bev);
	free(s);
}

/* mock_smtp_sess_free_all - close every session of srv. */
static void
mock_smtp_sess_free_all(struct mock_smtp *srv)
{
	struct mock_sess *s;

	while ((s = srv->sessions) != NULL) {
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): s->srv is srv */
		mock_smtp_sess_free(s);
	}
}

/* mock_smtp_drained - the output is empty, TLS records included. */
static bool
mock_smtp_drained(struct mock_sess *s)
{
	struct bufferevent *under = bufferevent_get_underlying(s->bev);

	if (evbuffer_get_length(bufferevent_get_output(s->bev)) != 0)
		return false;
	return under == NULL ||
	       evbuffer_get_length(bufferevent_get_output(under)) == 0;
}

/* mock_smtp_tls_start - wrap the connection in TLS after "220 Ready". */
static void
mock_smtp_tls_start(struct mock_sess *s)
{
	struct mock_smtp *srv = s->srv;
	struct timeval tv = {(time_t)srv->idle_s, 0};
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
	                                   BUFFEREVENT_SSL_ACCEPTING,
	                                   BEV_OPT_CLOSE_ON_FREE);
	if (f == NULL) {
		SSL_free(ssl);
		s->close_now = true;
		return;
	}
	s->bev = f;
	bufferevent_setcb(f, mock_smtp_read_cb, mock_smtp_write_cb,
	                  mock_smtp_event_cb, s);
	bufferevent_setwatermark(f, EV_READ, 0, MOCK_SMTP_READ_HIGH);
	bufferevent_set_timeouts(f, &tv, &tv);
	bufferevent_enable(f, EV_READ | EV_WRITE);
	mock_sess_tls_started(s);
}

/* mock_smtp_write - hand the pending replies to the connection. */
static void
mock_smtp_write(struct mock_sess *s)
{
	if (s->pending.len > 0)
		bufferevent_write(s->bev, s->pending.p, s->pending.len);
	s->pending.len = 0;
	if (s->tls_after)
		mock_smtp_tls_start(s);
	if (s->close_after) {
		s->state = MOCK_SESS_CLOSING;
		bufferevent_disable(s->bev, EV_READ);
	}
}

/* mock_smtp_flush - write the pending replies now, or later in slow mode. */
static void
mock_smtp_flush(struct mock_sess *s)
{
	const struct mock_mode_set *mode = &s->srv->m->mode;

	if (s->pending.len == 0 || s->close_now)
		return;
	if (mode->mode == MOCK_MODE_SLOW && mode->slow_ms > 0) {
		struct timeval tv = {(time_t)(mode->slow_ms / 1000),
		                     (suseconds_t)(mode->slow_ms % 1000) *
		                         1000};

		s->paused = true;
		evtimer_add(s->timer, &tv);
		return;
	}
	mock_smtp_write(s);
}

/* mock_smtp_line - take one CRLF-terminated line off the input, if any,
 * and hand it to the dialogue. Returns 1, or 0 if no full line is there. */
static int
mock_smtp_line(struct mock_sess *s, struct evbuffer *in)
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
	if (n == 0 || line[n - 1] != '\r')
		mock_sess_reply(s, "500 5.5.2 Lines must end with CRLF");
	else if (n + 1 > MOCK_CMD_LINE_MAX && s->state == MOCK_SESS_CMD)
		mock_sess_reply(s, "500 5.5.2 Line too long");
	else
		mock_sess_line(s, line, n - 1);
	free(line);
	return 1;
}

/* mock_smtp_process - handle buffered input until paused or out of it. */
static void
mock_smtp_process(struct mock_sess *s)
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
				mock_smtp_flush(s);
			} else {
				evbuffer_drain(in, used);
			}
			continue;
		}
		if (mock_smtp_line(s, in) == 0) {
			mock_smtp_flush(s);
			break;
		}
		mock_smtp_flush(s);
	}
	if (s->close_now)
		mock_smtp_sess_free(s);
}

/* mock_smtp_timer_cb - a delayed reply is due, or a closing TLS session
 * may have flushed its last records. */
static void
mock_smtp_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mock_sess *s = arg;

	if (s->state == MOCK_SESS_CLOSING) {
		if (mock_smtp_drained(s)) {
			mock_smtp_sess_free(s);
		} else {
			struct timeval tv = {0, 20000};

			evtimer_add(s->timer, &tv);
		}
		return;
	}
	s->paused = false;
	mock_smtp_write(s);
	mock_smtp_process(s);
}

/* mock_smtp_read_cb - more input arrived. */
static void
mock_smtp_read_cb(struct bufferevent *bev, void *arg)
{
	mock_smtp_process(arg);
}

/* mock_smtp_write_cb - the output drained; finish a closing session. */
static void
mock_smtp_write_cb(struct bufferevent *bev, void *arg)
{
	struct mock_sess *s = arg;

	if (s->state != MOCK_SESS_CLOSING)
		return;
	if (mock_smtp_drained(s)) {
		mock_smtp_sess_free(s);
	} else if (!evtimer_pending(s->timer, NULL)) {
		/* TLS: the records still sit in the underlying buffer. */
		struct timeval tv = {0, 20000};

		evtimer_add(s->timer, &tv);
	}
}

/* mock_smtp_event_cb - EOF, error or idle timeout: close. */
static void
mock_smtp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct mock_sess *s = arg;

	if (what & BEV_EVENT_CONNECTED) {
		log_debug("mock[%s]: smtp#%lu TLS established", s->srv->m->name,
		          s->id);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		unsigned long e = bufferevent_get_openssl_error(bev);

		if (e != 0)
			log_debug("mock[%s]: smtp#%lu TLS: %s", s->srv->m->name,
			          s->id, ERR_reason_error_string(e));
	}
	if (what & BEV_EVENT_TIMEOUT)
		log_debug("mock[%s]: smtp#%lu idle timeout", s->srv->m->name,
		          s->id);
	mock_smtp_sess_free(s);
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
	mock_sess_init(s, &srv->cfg, ++srv->next_id);
	s->srv = srv;
	s->bev = bufferevent_socket_new(m->base, fd, BEV_OPT_CLOSE_ON_FREE);
	s->timer = evtimer_new(m->base, mock_smtp_timer_cb, s);
	if (s->bev == NULL || s->timer == NULL)
		log_panic("mock: smtp: cannot set up a session");
	s->next = srv->sessions;
	if (s->next)
		s->next->prev = s;
	srv->sessions = s;
	bufferevent_setcb(s->bev, mock_smtp_read_cb, mock_smtp_write_cb,
	                  mock_smtp_event_cb, s);
	bufferevent_setwatermark(s->bev, EV_READ, 0, MOCK_SMTP_READ_HIGH);
	bufferevent_set_timeouts(s->bev, &tv, &tv);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	mock_stat_add(m, MOCK_STAT_CONNECTIONS);
	log_debug("mock[%s]: smtp#%lu connected", m->name, s->id);
	mock_sess_greet(s);
	mock_smtp_flush(s);
}

/* mock_smtp_listen - open the listening socket on the remembered address. */
static int
mock_smtp_listen(struct mock_smtp *srv)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	srv->lev = evconnlistener_new_bind(
	    srv->m->base, mock_smtp_accept_cb, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 128,
	    (struct sockaddr *)&srv->addr, srv->addrlen);
	if (srv->lev == NULL)
		return -1;
	memset(&ss, 0, sizeof(ss));
	/* Remember a kernel-chosen port so refuse/accept reuses it. */
	if (getsockname(evconnlistener_get_fd(srv->lev), (struct sockaddr *)&ss,
	                &sl) == 0) {
		if (ss.ss_family == AF_INET)
			srv->port =
			    ntohs(((struct sockaddr_in *)&ss)->sin_port);
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
		mock_smtp_sess_free_all(srv);
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
	srv->cfg.m = m;
	srv->cfg.max_size =
	    o->max_size ? o->max_size : MOCK_SMTP_MAX_SIZE_DEFAULT;
	srv->idle_s =
	    o->idle_timeout_s ? o->idle_timeout_s : MOCK_SMTP_IDLE_DEFAULT;
	srv->addrlen = (int)sizeof(srv->addr);
	if (mock_sockaddr_parse(o->listen, (struct sockaddr *)&srv->addr,
	                        &srv->addrlen) < 0) {
		log_error("mock: smtp: bad listen address \"%s\" "
		          "(want HOST:PORT)",
		          o->listen);
		goto fail;
	}
	if (srv->addr.ss_family == AF_INET)
		srv->port = ntohs(((struct sockaddr_in *)&srv->addr)->sin_port);
	else
		srv->port =
		    ntohs(((struct sockaddr_in6 *)&srv->addr)->sin6_port);
	if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
		log_error("mock: smtp: --tls-cert and --tls-key go together");
		goto fail;
	}
	if (o->tls_cert != NULL) {
		srv->tls = mock_smtp_tls_new(o->tls_cert, o->tls_key);
		if (srv->tls == NULL)
			goto fail;
	}
	srv->cfg.tls_available = srv->tls != NULL;
	if (o->auth_user != NULL) {
		srv->auth_user = xstrdup(o->auth_user);
		srv->auth_pass = xstrdup(o->auth_pass ? o->auth_pass : "");
		srv->cfg.auth_user = srv->auth_user;
		srv->cfg.auth_pass = srv->auth_pass;
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
	mock_smtp_sess_free_all(srv);
	if (srv->lev != NULL)
		evconnlistener_free(srv->lev);
	if (srv->rebind != NULL)
		event_free(srv->rebind);
	SSL_CTX_free(srv->tls);
	free(srv->auth_user);
	free(srv->auth_pass);
	free(srv);
}
