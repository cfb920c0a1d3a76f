/*
 * http_admin.c - /healthz and /v1/status over evhttp.
 *
 * Everything served here comes from memory (spool_counts_get keeps its
 * counts in memory), so a slow disk can never stall a status request or
 * the loop. JSON is built with jansson.
 */
#include "ingress/http_admin.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "spool/spool.h"

struct http_admin {
	struct evhttp *http;
	const struct config *cfg;
	struct spool *sp;
	time_t started;
};

/* http_admin_json_send - answer req with code and the JSON of obj. */
static void
http_admin_json_send(struct evhttp_request *req, int code, json_t *obj)
{
	struct evbuffer *out = evbuffer_new();
	char *text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evbuffer_add_printf(out, "%s\n", text ? text : "{}");
	evhttp_send_reply(req, code, code == 200 ? "OK" : "Error", out);
	evbuffer_free(out);
	free(text);
	json_decref(obj);
}

/* http_admin_error - a JSON error in the project's shape. */
static void
http_admin_error(struct evhttp_request *req, int code, const char *ecode,
    const char *msg)
{
	http_admin_json_send(req, code,
	    json_pack("{s:{s:s,s:s}}", "error", "code", ecode, "message", msg));
}

static void
http_admin_healthz(struct evhttp_request *req, void *arg)
{
	(void)arg;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		http_admin_error(req, 405, "method_not_allowed",
		    "use GET");
		return;
	}
	http_admin_json_send(req, 200, json_pack("{s:s}", "status", "ok"));
}

static void
http_admin_status(struct evhttp_request *req, void *arg)
{
	struct http_admin *h = arg;
	struct spool_counts c;
	json_t *queue, *root;
	int s;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		http_admin_error(req, 405, "method_not_allowed", "use GET");
		return;
	}
	spool_counts_get(h->sp, &c);
	queue = json_object();
	for (s = 0; s < SPOOL_STATE_COUNT; s++)
		json_object_set_new(queue, spool_state_name(s),
		    json_integer((json_int_t)c.state[s]));
	root = json_pack("{s:s,s:I,s:o,s:{s:I,s:I,s:b}}", "service",
	    "swerved", "uptime_seconds",
	    (json_int_t)(time(NULL) - h->started), "queue", queue, "spool",
	    "commits", (json_int_t)c.commits, "committed_messages",
	    (json_int_t)c.committed_msgs, "accepting",
	    spool_space_check(h->sp) == SPOOL_OK);
	http_admin_json_send(req, 200, root);
}

static void
http_admin_notfound(struct evhttp_request *req, void *arg)
{
	(void)arg;
	http_admin_error(req, 404, "not_found", "no such endpoint");
}

struct http_admin *
http_admin_new(struct event_base *base, const struct config *cfg,
    struct spool *sp, char *err, size_t errlen)
{
	struct http_admin *h = xcalloc(1, sizeof(*h));

	h->http = evhttp_new(base);
	if (h->http == NULL) {
		snprintf(err, errlen, "http: evhttp_new failed");
		free(h);
		return NULL;
	}
	h->cfg = cfg;
	h->sp = sp;
	h->started = time(NULL);
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD);
	evhttp_set_max_headers_size(h->http, 16384);
	evhttp_set_max_body_size(h->http, 1 << 20);
	evhttp_set_timeout(h->http, 30);
	evhttp_set_cb(h->http, "/healthz", http_admin_healthz, h);
	evhttp_set_cb(h->http, "/v1/status", http_admin_status, h);
	evhttp_set_gencb(h->http, http_admin_notfound, h);
	return h;
}

int
http_admin_listen(struct http_admin *h, const struct config_addr *addr,
    char *err, size_t errlen)
{
	if (evhttp_bind_socket_with_handle(h->http, addr->host, addr->port) ==
	    NULL) {
		snprintf(err, errlen, "http: cannot listen on %s:%u: %s",
		    addr->host, addr->port, strerror(errno));
		return -1;
	}
	log_info("swerved: listening http %s:%u", addr->host, addr->port);
	return 0;
}

struct evhttp *
http_admin_evhttp(struct http_admin *h)
{
	return h->http;
}

void
http_admin_free(struct http_admin *h)
{
	if (h == NULL)
		return;
	evhttp_free(h->http);
	free(h);
}
