/*
 * http_client.h - HTTP(S) requests on the libevent loop, via libcurl
 * (contract).
 *
 * One client per provider: it owns a libcurl multi handle driven by the
 * caller's event_base (curl_multi_socket_action from libevent events; the
 * loop never blocks), so connections to the provider are pooled and kept
 * alive between requests. At most max_in_flight requests run at once;
 * more are queued in submission order and started as others finish.
 *
 * Threading: a client and its calls belong to the thread running the
 * event_base; nothing here is thread-safe. The first http_client_new must
 * run before other threads start (it calls curl_global_init).
 *
 * Callbacks: the done callback runs exactly once per submitted call, from
 * the event loop, never from inside http_client_submit, unless the call is
 * cancelled (http_call_cancel) or the client freed first: then it never
 * runs. A callback may submit new calls, cancel others, or free the client.
 */
#ifndef SWERVE_NET_HTTP_CLIENT_H
#define SWERVE_NET_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "send/result.h"

struct event_base;
struct http_client;
struct http_call;

#define HTTP_CLIENT_MAX_BODY_DEFAULT (1024 * 1024) /* 1 MiB */
#define HTTP_CLIENT_ERROR_SIZE 256

/* Client settings; strings are copied by http_client_new. */
struct http_client_opts {
	const char *name;        /* for logs, e.g. "ses"; NULL: "http" */
	unsigned max_in_flight;  /* concurrent requests; 0: 8 */
	long connect_timeout_ms; /* TCP + TLS; 0: 10000 */
	long total_timeout_ms;   /* whole request; 0: 30000 */
	size_t max_body;         /* response body cap; 0: 1 MiB */
	bool tls_insecure;       /* skip certificate/host checks (tests) */
	const char *ca_file;     /* NULL: system CA store */
};

/* One request or response header. */
struct http_header {
	const char *name;
	const char *value;
};

/*
 * A request. Everything is borrowed: it must stay valid and unchanged
 * until the done callback runs, or the call is cancelled, or the client
 * freed. (The URL and headers are in fact copied at submit; the body and
 * want_headers are not.)
 */
struct http_request {
	const char *method; /* "GET", "POST", "PUT", ... */
	const char *url;    /* "https://host/path?q"; http and https only */
	const struct http_header *headers; /* sent as given */
	size_t n_headers;
	const void *body; /* NULL with body_len 0: no body */
	size_t body_len;
	const char *const *want_headers; /* extra response headers to keep */
	size_t n_want;
	long total_timeout_ms; /* 0: the client's */
};

enum http_client_error {
	HTTP_CLIENT_OK,            /* a complete response (any status) */
	HTTP_CLIENT_ERR_CONNECT,   /* DNS, refused, unreachable, connect timeout
	                            */
	HTTP_CLIENT_ERR_TLS,       /* handshake or certificate failure */
	HTTP_CLIENT_ERR_TIMEOUT,   /* total timeout */
	HTTP_CLIENT_ERR_TOO_LARGE, /* response body over max_body */
	HTTP_CLIENT_ERR_IO,        /* connection lost, protocol error, other */
};

/*
 * The outcome of a call, valid only during the done callback (copy what
 * you keep). stage says where it stopped: SEND_STAGE_CONNECT (nothing
 * sent), SEND_STAGE_REQUEST (the request was not completely sent: the
 * server cannot have acted on it) or SEND_STAGE_RESPONSE (the request was
 * fully sent; a failure now means the outcome is unknown).
 */
struct http_response {
	enum http_client_error error;
	enum send_stage stage;
	bool request_sent;        /* headers and whole body were written */
	int status;               /* HTTP status, 0 if none */
	const char *content_type; /* NULL if absent */
	const char *retry_after;
	const char *message_id;            /* X-Message-Id */
	const struct http_header *headers; /* the above + want_headers found */
	size_t n_headers;
	const char *body; /* NUL-terminated (not counted); "" if none */
	size_t body_len;
	const char *error_text; /* "" on HTTP_CLIENT_OK */
};

typedef void http_client_done_fn(const struct http_response *resp, void *arg);

/* http_client_error_name - "ok", "connect", "tls", "timeout", "too_large",
 * "io". */
const char *http_client_error_name(enum http_client_error e);

/*
 * http_client_new - a client on base with opts (NULL: defaults). Returns
 * NULL if libcurl cannot be set up.
 */
struct http_client *http_client_new(struct event_base *base,
                                    const struct http_client_opts *opts);

/*
 * http_client_free - cancel every queued and running call (their callbacks
 * never run), close the pooled connections and free c. NULL is a no-op.
 * Safe from inside a done callback.
 */
void http_client_free(struct http_client *c);

/*
 * http_client_submit - start req, or queue it if max_in_flight calls are
 * running. done(resp, arg) runs later, on the loop. Returns a handle valid
 * until done runs (or the call is cancelled), or NULL if req is unusable
 * (no method or URL); then done never runs.
 */
struct http_call *http_client_submit(struct http_client *c,
                                     const struct http_request *req,
                                     http_client_done_fn *done, void *arg);

/* http_call_cancel - drop a queued or running call; done never runs. */
void http_call_cancel(struct http_call *call);

/* http_client_in_flight - calls running now (not counting queued ones). */
unsigned http_client_in_flight(const struct http_client *c);

/* http_client_queued - calls waiting for a free slot. */
unsigned http_client_queued(const struct http_client *c);

#endif
