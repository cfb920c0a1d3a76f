/*
 * mock_http.c - swerve-mock's HTTP server and its route table.
 *
 * Listens through an evconnlistener of our own (so port 0 works and the
 * real port is known), hands it to evhttp, and dispatches every request
 * from evhttp's generic callback through a small table, longest route
 * first. Bodies up to 64 MiB are allowed so fake provider APIs can take
 * messages with attachments.
 */
#include "mock/mock_http.h"
#include "mock/mock.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "core/log.h"
#include "core/xmalloc.h"

#define MOCK_HTTP_ROUTES_MAX 64
#define MOCK_HTTP_BODY_MAX (64 * 1024 * 1024)

struct mock_http_route {
	const char *path;
	size_t len;
	bool prefix;
	mock_http_fn *fn;
	void *arg;
};

struct mock_http {
	struct evhttp *http;
	SSL_CTX *tls; /* HTTPS when set */
	unsigned port;
	struct mock_http_route routes[MOCK_HTTP_ROUTES_MAX];
	size_t nroutes;
};

/* mock_http_json_send - reply with JSON. */
void
mock_http_json_send(struct evhttp_request *req, int code, json_t *obj)
{
	struct evbuffer *out = evbuffer_new();
	char *text = json_dumps(obj, JSON_COMPACT);

	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type", "application/json");
	evbuffer_add_printf(out, "%s\n", text ? text : "{}");
	evhttp_send_reply(req, code, NULL, out);
	evbuffer_free(out);
	free(text);
	json_decref(obj);
}

/* mock_http_error - reply with a JSON error in the project's shape. */
void
mock_http_error(struct evhttp_request *req, int code, const char *ecode,
                const char *message)
{
	mock_http_json_send(req, code,
	                    json_pack("{s:{s:s,s:s}}", "error", "code", ecode,
	                              "message", message));
}

/* mock_http_body - copy the request body. */
void
mock_http_body(struct evhttp_request *req, struct buf *out)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);

	buf_reserve(out, n);
	evbuffer_copyout(in, out->p + out->len, n);
	out->len += n;
}

/* mock_http_query - one query parameter. */
char *
mock_http_query(struct evhttp_request *req, const char *key)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *q = uri ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq kv;
	const char *v;
	char *out = NULL;

	if (q == NULL)
		return NULL;
	TAILQ_INIT(&kv);
	if (evhttp_parse_query_str(q, &kv) == 0) {
		v = evhttp_find_header(&kv, key);
		if (v != NULL)
			out = xstrdup(v);
	}
	evhttp_clear_headers(&kv);
	return out;
}

/* mock_http_dispatch - find the longest route for the request's path. */
static void
mock_http_dispatch(struct evhttp_request *req, void *arg)
{
	struct mock_http *h = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const struct mock_http_route *best = NULL;
	size_t i, plen;

	if (path == NULL || *path == '\0')
		path = "/";
	plen = strlen(path);
	for (i = 0; i < h->nroutes; i++) {
		const struct mock_http_route *r = &h->routes[i];

		if (best != NULL && r->len <= best->len)
			continue;
		if (r->prefix
		        ? (plen >= r->len && memcmp(path, r->path, r->len) == 0)
		        : strcmp(path, r->path) == 0)
			best = r;
	}
	if (best == NULL) {
		mock_http_error(req, 404, "not_found", "no such endpoint");
		return;
	}
	best->fn(req, best->prefix ? path + best->len : "", best->arg);
}

/* mock_http_bev - a TLS server bufferevent for one HTTPS connection. */
static struct bufferevent *
mock_http_bev(struct event_base *base, void *arg)
{
	struct mock_http *h = arg;
	SSL *ssl = SSL_new(h->tls);

	if (ssl == NULL)
		return NULL;
	return bufferevent_openssl_socket_new(
	    base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
}

/* mock_http_tls_ctx - a server context with cert and key, or NULL. */
static SSL_CTX *
mock_http_tls_ctx(const char *cert, const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* mock_http_start - listen (with TLS when cert is set) and serve. */
static struct mock_http *
mock_http_start(struct event_base *base, const char *listen, const char *name,
                const char *kind, const char *cert, const char *key)
{
	struct mock_http *h = xcalloc(1, sizeof(*h));
	struct sockaddr_storage ss;
	int sl = (int)sizeof(ss);
	socklen_t gl = sizeof(ss);
	struct evconnlistener *lev;

	if (mock_sockaddr_parse(listen, (struct sockaddr *)&ss, &sl) < 0) {
		log_error("mock: http: bad listen address \"%s\" "
		          "(want HOST:PORT)",
		          listen);
		goto fail;
	}
	if (cert != NULL && (h->tls = mock_http_tls_ctx(cert, key)) == NULL) {
		log_error("mock: %s: cannot use the certificate %s and key %s",
		          kind, cert, key);
		goto fail;
	}
	h->http = evhttp_new(base);
	if (h->http == NULL)
		goto fail;
	if (h->tls != NULL)
		evhttp_set_bevcb(h->http, mock_http_bev, h);
	lev = evconnlistener_new_bind(base, NULL, NULL,
	                              LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
	                              128, (struct sockaddr *)&ss, sl);
	if (lev == NULL) {
		log_error("mock: http: cannot listen on %s: %s", listen,
		          evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		goto fail;
	}
	if (evhttp_bind_listener(h->http, lev) == NULL) {
		evconnlistener_free(lev);
		goto fail;
	}
	if (getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&ss,
	                &gl) == 0)
		h->port = ntohs(ss.ss_family == AF_INET
		                    ? ((struct sockaddr_in *)&ss)->sin_port
		                    : ((struct sockaddr_in6 *)&ss)->sin6_port);
	evhttp_set_allowed_methods(h->http,
	                           EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	                               EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	                               EVHTTP_REQ_HEAD | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(h->http, 65536);
	evhttp_set_max_body_size(h->http, MOCK_HTTP_BODY_MAX);
	evhttp_set_timeout(h->http, 60);
	evhttp_set_gencb(h->http, mock_http_dispatch, h);
	log_info("mock[%s]: %s listening on %s (port %u)", name, kind, listen,
	         h->port);
	return h;
fail:
	mock_http_free(h);
	return NULL;
}

struct mock_http *
mock_http_new(struct event_base *base, const char *listen, const char *name)
{
	return mock_http_start(base, listen, name, "http", NULL, NULL);
}

struct mock_http *
mock_http_new_tls(struct event_base *base, const char *listen, const char *name,
                  const char *kind, const char *cert, const char *key)
{
	return mock_http_start(base, listen, name, kind, cert, key);
}

/* mock_http_port - the port listened on. */
unsigned
mock_http_port(const struct mock_http *h)
{
	return h->port;
}

/* mock_http_route_add - register a route. */
void
mock_http_route_add(struct mock_http *h, const char *path, bool prefix,
                    mock_http_fn *fn, void *arg)
{
	struct mock_http_route *r;

	if (h->nroutes == MOCK_HTTP_ROUTES_MAX)
		log_panic("mock: http: too many routes");
	if (path[0] != '/' || (prefix && path[strlen(path) - 1] != '/'))
		log_panic("mock: http: bad route \"%s\"", path);
	r = &h->routes[h->nroutes++];
	r->path = path;
	r->len = strlen(path);
	r->prefix = prefix;
	r->fn = fn;
	r->arg = arg;
}

/* mock_http_free - stop serving. */
void
mock_http_free(struct mock_http *h)
{
	if (h == NULL)
		return;
	if (h->http != NULL)
		evhttp_free(h->http);
	SSL_CTX_free(h->tls);
	free(h);
}
