/*
 * http_tls.c - HTTPS for an evhttp server.
 *
 * evhttp asks for a bufferevent for each accepted connection (the bevcb);
 * we answer with an OpenSSL one in the accepting state, so the handshake
 * runs before evhttp reads a byte. If that callback returned NULL, evhttp
 * would fall back to a plain socket: so it never does (an SSL object that
 * cannot be made means the process is out of memory, which is fatal).
 */
#include "ingress/http_tls.h"

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <stdlib.h>

#include "core/log.h"
#include "core/xmalloc.h"

struct http_tls {
	SSL_CTX *ctx; /* owned; one reference */
};

struct http_tls *
http_tls_new(SSL_CTX *ctx)
{
	struct http_tls *t = xcalloc(1, sizeof(*t));

	t->ctx = ctx;
	return t;
}

struct bufferevent *
http_tls_bufferevent_new(struct http_tls *t, struct event_base *base)
{
	struct bufferevent *bev;
	SSL *ssl;

	ssl = SSL_new(t->ctx);
	if (ssl == NULL)
		log_fatal("http: SSL_new failed (out of memory)");
	/* On success the bufferevent owns ssl and frees it with itself. */
	bev = bufferevent_openssl_socket_new(
	    base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		log_fatal("http: cannot make a TLS bufferevent");
	return bev;
}

/* http_tls_bev - evhttp's bevcb: a TLS server bufferevent, fd set later. */
static struct bufferevent *
http_tls_bev(struct event_base *base, void *arg)
{
	return http_tls_bufferevent_new(arg, base);
}

void
http_tls_attach(struct http_tls *t, struct evhttp *http)
{
	evhttp_set_bevcb(http, http_tls_bev, t);
}

void
http_tls_ctx_set(struct http_tls *t, SSL_CTX *ctx)
{
	SSL_CTX_free(t->ctx);
	t->ctx = ctx;
}

void
http_tls_free(struct http_tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	free(t);
}
