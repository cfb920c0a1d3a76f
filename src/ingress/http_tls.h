/*
 * http_tls.h - HTTPS for an evhttp server (contract).
 *
 * Makes every connection an evhttp accepts a TLS server connection
 * (bufferevent_openssl) under a context this module holds. The context can
 * be swapped at run time (certificate renewal on SIGHUP): connections
 * accepted later use the new one, connections already open keep theirs
 * (OpenSSL counts the references). Once attached, a connection is never
 * served in clear text. The evhttp and its listeners stay the caller's;
 * this module neither binds nor closes sockets.
 */
#ifndef SWERVE_INGRESS_HTTP_TLS_H
#define SWERVE_INGRESS_HTTP_TLS_H

#include <openssl/ssl.h>

struct evhttp;
struct http_tls;

/* http_tls_new - a holder for ctx; takes ownership of ctx. Never NULL. */
struct http_tls *http_tls_new(SSL_CTX *ctx);

/*
 * http_tls_attach - serve every connection http accepts from now on over
 * TLS with t's current context. t must outlive http (free http first).
 * This takes evhttp's one bevcb; code that needs its own bevcb on the
 * same evhttp calls http_tls_bufferevent_new from it instead.
 */
void http_tls_attach(struct http_tls *t, struct evhttp *http);

struct bufferevent;
struct event_base;
/*
 * http_tls_bufferevent_new - a TLS server bufferevent on base, in the
 * accepting state, with no socket yet (evhttp sets it), owning a new SSL
 * from t's current context; the shape an evhttp bevcb returns. Never NULL
 * (out of memory is fatal: a NULL would make evhttp serve clear text).
 */
struct bufferevent *http_tls_bufferevent_new(struct http_tls *t,
                                             struct event_base *base);

/* http_tls_ctx_set - use ctx for new connections; takes ownership of ctx
 * and releases the previous one (open connections keep a reference). */
void http_tls_ctx_set(struct http_tls *t, SSL_CTX *ctx);

/* http_tls_free - release the context and t. NULL is a no-op. */
void http_tls_free(struct http_tls *t);

#endif
