/*
 * mock_http.h - swerve-mock's HTTP server and its route table (contract).
 *
 * One evhttp server for everything HTTP the mock speaks: the control API
 * (mock_ctl.h) and, later, the fake provider APIs (SES, SendGrid, Mailgun,
 * Postmark, Resend) at their real paths. Each part registers its routes;
 * a request goes to the longest matching route, so "/v3/" (a provider)
 * and "/messages" (control) live side by side. Unmatched paths get a JSON
 * 404. Loop thread only.
 */
#ifndef SWERVE_MOCK_MOCK_HTTP_H
#define SWERVE_MOCK_MOCK_HTTP_H

#include <stdbool.h>

#include <jansson.h>

#include "core/buf.h"

struct event_base;
struct evhttp_request;
struct mock_http;

/* mock_http_fn - serve req. rest is the part of the path after the route
 * (always "" for an exact route), without the query string. The handler
 * must send exactly one reply. */
typedef void mock_http_fn(struct evhttp_request *req, const char *rest,
                          void *arg);

/* mock_http_new - listen on "HOST:PORT" (port 0: kernel's choice).
 * Returns NULL after logging why. */
struct mock_http *mock_http_new(struct event_base *base, const char *listen,
                                const char *name);

/*
 * mock_http_new_tls - mock_http_new over TLS (HTTPS) with the PEM
 * certificate chain cert and private key key; kind names it in the log
 * line "mock[NAME]: KIND listening on ... (port N)". NULL after logging.
 */
struct mock_http *mock_http_new_tls(struct event_base *base, const char *listen,
                                    const char *name, const char *kind,
                                    const char *cert, const char *key);

/* mock_http_port - the TCP port listened on. */
unsigned mock_http_port(const struct mock_http *h);

/*
 * mock_http_route_add - send requests for path to fn. With prefix, path
 * must end in '/' and matches every path that starts with it; otherwise
 * only the exact path matches. path is not copied (use literals).
 */
void mock_http_route_add(struct mock_http *h, const char *path, bool prefix,
                         mock_http_fn *fn, void *arg);

/* mock_http_free - stop serving; NULL is a no-op. */
void mock_http_free(struct mock_http *h);

/* mock_http_json_send - reply code with obj as JSON (takes obj). */
void mock_http_json_send(struct evhttp_request *req, int code, json_t *obj);

/* mock_http_error - reply code with {"error":{"code":..,"message":..}}. */
void mock_http_error(struct evhttp_request *req, int code, const char *ecode,
                     const char *message);

/* mock_http_body - append the request body to out. */
void mock_http_body(struct evhttp_request *req, struct buf *out);

/* mock_http_query - the value of query parameter key (caller frees), or
 * NULL when absent. */
char *mock_http_query(struct evhttp_request *req, const char *key);

#endif
