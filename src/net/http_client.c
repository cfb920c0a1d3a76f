/*
 * http_client.c - HTTP(S) requests on the libevent loop, via libcurl.
 *
 * Each client owns one curl multi handle (so its connections are pooled
 * and reused) and drives it the event-driven way: curl tells us which
 * sockets to watch (socket callback) and when to wake it (timer callback);
 * libevent events call curl_multi_socket_action; finished transfers are
 * collected with curl_multi_info_read and reported from the loop. Calls
 * beyond max_in_flight wait in a FIFO queue.
 *
 * The request body is fed through a read callback (with a seek callback
 * so curl can resend it on a fresh connection); whether the request was
 * completely written when a failure happened comes from curl's upload
 * counter and request size, and decides SEND_STAGE_REQUEST versus
 * SEND_STAGE_RESPONSE.
 *
 * Does not: follow redirects, decompress, retry, classify statuses (the
 * provider adapters do), or speak anything but http and https.
 */
#include "net/http_client.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/xmalloc.h"

#define HTTP_CLIENT_HEADERS_MAX 64 /* response headers kept per call */

struct http_sock {
	struct http_client *c;
	struct event *ev;
	curl_socket_t fd;
	struct http_sock *prev, *next;
};

struct http_call {
	struct http_client *c;
	struct http_call *prev, *next; /* in c->queue or c->running */
	bool running;
	CURL *easy;
	struct curl_slist *hdrs;
	char *method;
	char *url;
	const char *body; /* borrowed */
	size_t body_len;
	size_t body_pos;         /* read callback position */
	const char *const *want; /* borrowed */
	size_t n_want;
	long timeout_ms;
	struct buf resp;
	bool too_large;
	struct http_header rh[HTTP_CLIENT_HEADERS_MAX]; /* owned strings */
	size_t n_rh;
	char err[CURL_ERROR_SIZE];
	http_client_done_fn *done;
	void *arg;
};

struct http_call_list {
	struct http_call *head, *tail;
	unsigned n;
};

struct http_client {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	char *name;
	char *ca_file;
	unsigned max_in_flight;
	long connect_timeout_ms;
	long total_timeout_ms;
	size_t max_body;
	bool tls_insecure;
	struct http_call_list queue;
	struct http_call_list running;
	struct http_sock *socks;
	int depth; /* nesting of http_client_drain */
	bool dead; /* freed while draining; destroyed when depth hits 0 */
};

static bool http_client_curl_ready;

/* http_client_error_name - short names for logs. */
const char *
http_client_error_name(enum http_client_error e)
{
	switch (e) {
	case HTTP_CLIENT_OK:
		return "ok";
	case HTTP_CLIENT_ERR_CONNECT:
		return "connect";
	case HTTP_CLIENT_ERR_TLS:
		return "tls";
	case HTTP_CLIENT_ERR_TIMEOUT:
		return "timeout";
	case HTTP_CLIENT_ERR_TOO_LARGE:
		return "too_large";
	case HTTP_CLIENT_ERR_IO:
		return "io";
	}
	return "?";
}

/* http_call_list_push - append call to l. */
static void
http_call_list_push(struct http_call_list *l, struct http_call *call)
{
	call->prev = l->tail;
	call->next = NULL;
	if (l->tail != NULL)
		l->tail->next = call;
	else
		l->head = call;
	l->tail = call;
	l->n++;
}

/* http_call_list_unlink - take call out of l. */
static void
http_call_list_unlink(struct http_call_list *l, struct http_call *call)
{
	if (call->prev != NULL)
		call->prev->next = call->next;
	else
		l->head = call->next;
	if (call->next != NULL)
		call->next->prev = call->prev;
	else
		l->tail = call->prev;
	call->prev = call->next = NULL;
	l->n--;
}

/* http_call_free - release everything a call owns (not linked anywhere). */
static void
http_call_free(struct http_call *call)
{
	size_t i;

	if (call->easy != NULL)
		curl_easy_cleanup(call->easy);
	curl_slist_free_all(call->hdrs);
	for (i = 0; i < call->n_rh; i++) {
		free((char *)call->rh[i].name);
		free((char *)call->rh[i].value);
	}
	buf_fini(&call->resp);
	free(call->method);
	free(call->url);
	free(call);
}

/* http_call_detach - unlink call from its list and its multi handle. */
static void
http_call_detach(struct http_call *call)
{
	struct http_client *c = call->c;

	if (call->running) {
		curl_multi_remove_handle(c->multi, call->easy);
		http_call_list_unlink(&c->running, call);
		call->running = false;
	} else {
		http_call_list_unlink(&c->queue, call);
	}
}

/* http_call_read - curl's read callback: the next slice of the body. */
static size_t
http_call_read(char *out, size_t size, size_t nitems, void *arg)
{
	struct http_call *call = arg;
	size_t n = size * nitems, left = call->body_len - call->body_pos;

	if (n > left)
		n = left;
	if (n > 0)
		memcpy(out, call->body + call->body_pos, n);
	call->body_pos += n;
	return n;
}

/* http_call_seek - curl's seek callback: rewind the body for a resend. */
static int
http_call_seek(void *arg, curl_off_t offset, int origin)
{
	struct http_call *call = arg;

	if (origin != SEEK_SET || offset < 0 || (size_t)offset > call->body_len)
		return CURL_SEEKFUNC_CANTSEEK;
	call->body_pos = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

/* http_call_write - curl's write callback: collect the body, capped. */
static size_t
http_call_write(char *p, size_t size, size_t nitems, void *arg)
{
	struct http_call *call = arg;
	size_t n = size * nitems;

	if (call->resp.len + n > call->c->max_body) {
		call->too_large = true;
		return 0; /* curl aborts with CURLE_WRITE_ERROR */
	}
	buf_add(&call->resp, p, n);
	return n;
}

/* http_call_wanted - whether a response header name is kept. */
static bool
http_call_wanted(const struct http_call *call, const char *name, size_t len)
{
	static const char *const always[] = {"content-type", "retry-after",
	                                     "x-message-id"};
	size_t i;

	for (i = 0; i < 3; i++)
		if (strlen(always[i]) == len &&
		    strncasecmp(always[i], name, len) == 0)
			return true;
	for (i = 0; i < call->n_want; i++)
		if (call->want[i] != NULL && strlen(call->want[i]) == len &&
		    strncasecmp(call->want[i], name, len) == 0)
			return true;
	return false;
}

/* http_call_header - curl's header callback: keep the wanted headers. */
static size_t
http_call_header(char *p, size_t size, size_t nitems, void *arg)
{
	struct http_call *call = arg;
	size_t n = size * nitems, len = n, nlen, i;
	const char *colon, *v;

	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		/* a new response (after 1xx): forget the previous headers */
		for (i = 0; i < call->n_rh; i++) {
			free((char *)call->rh[i].name);
			free((char *)call->rh[i].value);
		}
		call->n_rh = 0;
		return n;
	}
	while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		len--;
	colon = memchr(p, ':', len);
	if (colon == NULL || colon == p ||
	    call->n_rh == HTTP_CLIENT_HEADERS_MAX)
		return n;
	nlen = (size_t)(colon - p);
	if (!http_call_wanted(call, p, nlen))
		return n;
	v = colon + 1;
	while (v < p + len && (*v == ' ' || *v == '\t'))
		v++;
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	call->rh[call->n_rh].name = xstrndup(p, nlen);
	call->rh[call->n_rh].value =
	    xstrndup(v, v < p + len ? (size_t)(p + len - v) : 0);
	call->n_rh++;
	return n;
}

/* http_call_find - the first kept header named name, or NULL. */
static const char *
http_call_find(const struct http_call *call, const char *name)
{
	size_t i;

	for (i = 0; i < call->n_rh; i++)
		if (strcasecmp(call->rh[i].name, name) == 0)
			return call->rh[i].value;
	return NULL;
}

/* http_call_error - map a curl result to our error and stage. */
static void
http_call_error(struct http_call *call, CURLcode rc, struct http_response *r)
{
	curl_off_t up = 0;
	long reqsize = 0;

	curl_easy_getinfo(call->easy, CURLINFO_SIZE_UPLOAD_T, &up);
	curl_easy_getinfo(call->easy, CURLINFO_REQUEST_SIZE, &reqsize);
	r->request_sent = reqsize > 0 && up >= 0 &&
	                  (size_t)up >= call->body_len &&
	                  call->body_pos >= call->body_len;
	if (r->request_sent || r->status > 0)
		r->stage = SEND_STAGE_RESPONSE;
	else if (reqsize > 0)
		r->stage = SEND_STAGE_REQUEST;
	else
		r->stage = SEND_STAGE_CONNECT;
	if (rc == CURLE_OK) {
		r->error = HTTP_CLIENT_OK;
		r->stage = SEND_STAGE_RESPONSE;
		r->request_sent = true;
		return;
	}
	switch (rc) {
	case CURLE_WRITE_ERROR:
		r->error = call->too_large ? HTTP_CLIENT_ERR_TOO_LARGE
		                           : HTTP_CLIENT_ERR_IO;
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		r->error = HTTP_CLIENT_ERR_CONNECT;
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		r->error = HTTP_CLIENT_ERR_TLS;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		r->error = r->stage == SEND_STAGE_CONNECT
		               ? HTTP_CLIENT_ERR_CONNECT
		               : HTTP_CLIENT_ERR_TIMEOUT;
		break;
	default:
		r->error = HTTP_CLIENT_ERR_IO;
		break;
	}
	if (r->error == HTTP_CLIENT_ERR_TOO_LARGE)
		snprintf(call->err, sizeof(call->err),
		         "response body over %zu bytes", call->c->max_body);
	else if (call->err[0] == '\0')
		snprintf(call->err, sizeof(call->err), "%s",
		         curl_easy_strerror(rc));
}

/* http_call_finish - report a finished running call and free it. */
static void
http_call_finish(struct http_call *call, CURLcode rc)
{
	struct http_response r;
	long status = 0;

	http_call_detach(call);
	memset(&r, 0, sizeof(r));
	curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &status);
	r.status = (int)status;
	if (rc == CURLE_OK)
		call->err[0] = '\0';
	http_call_error(call, rc, &r);
	r.content_type = http_call_find(call, "content-type");
	r.retry_after = http_call_find(call, "retry-after");
	r.message_id = http_call_find(call, "x-message-id");
	r.headers = call->rh;
	r.n_headers = call->n_rh;
	r.body = buf_cstr(&call->resp);
	r.body_len = call->resp.len;
	r.error_text = call->err;
	if (r.error != HTTP_CLIENT_OK)
		log_debug("http: %s %s %s: %s (%s)", call->c->name,
		          call->method, call->url, call->err,
		          send_stage_name(r.stage));
	call->done(&r, call->arg);
	http_call_free(call);
}

/* http_client_pump - start queued calls while there is room. */
static void
http_client_pump(struct http_client *c)
{
	struct http_call *call;
	CURLMcode mc;

	while (!c->dead && c->running.n < c->max_in_flight &&
	       c->queue.head != NULL) {
		call = c->queue.head;
		http_call_list_unlink(&c->queue, call);
		http_call_list_push(&c->running, call);
		call->running = true;
		mc = curl_multi_add_handle(c->multi, call->easy);
		if (mc != CURLM_OK)
			log_panic("http: curl_multi_add_handle: %s",
			          curl_multi_strerror(mc));
	}
}

/* http_client_destroy - free c itself (no calls left). */
static void
http_client_destroy(struct http_client *c)
{
	struct http_sock *s;

	curl_multi_cleanup(c->multi);
	while ((s = c->socks) != NULL) {
		c->socks = s->next;
		event_free(s->ev);
		free(s);
	}
	event_free(c->timer);
	free(c->name);
	free(c->ca_file);
	free(c);
}

/* http_client_drain - report finished transfers, then start queued ones. */
static void
http_client_drain(struct http_client *c)
{
	CURLMsg *msg;
	char *priv;
	CURLcode rc;
	int left;

	c->depth++;
	while (!c->dead && (msg = curl_multi_info_read(c->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		rc = msg->data.result;
		priv = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		http_call_finish((struct http_call *)(void *)priv, rc);
	}
	http_client_pump(c);
	c->depth--;
	if (c->dead && c->depth == 0)
		http_client_destroy(c);
}

/* http_client_sock_event - a watched socket is ready: tell curl. */
static void
http_client_sock_event(evutil_socket_t fd, short what, void *arg)
{
	struct http_sock *s = arg;
	struct http_client *c = s->c; /* s may be freed by socket_action */
	int flags = 0, running;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(c->multi, fd, flags, &running);
	http_client_drain(c);
}

/* http_client_timer_event - curl's timeout expired: tell curl. */
static void
http_client_timer_event(evutil_socket_t fd, short what, void *arg)
{
	struct http_client *c = arg;
	int running;

	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	http_client_drain(c);
}

/* http_client_sock_cb - curl's socket callback: (re)arm or drop an event. */
static int
http_client_sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
                    void *sockp)
{
	struct http_client *c = userp;
	struct http_sock *s = sockp;
	short ev = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (s == NULL)
			return 0;
		if (s->prev != NULL)
			s->prev->next = s->next;
		else
			c->socks = s->next;
		if (s->next != NULL)
			s->next->prev = s->prev;
		event_free(s->ev);
		free(s);
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= EV_READ;
	if (what & CURL_POLL_OUT)
		ev |= EV_WRITE;
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->c = c;
		s->fd = fd;
		s->next = c->socks;
		if (c->socks != NULL)
			c->socks->prev = s;
		c->socks = s;
		curl_multi_assign(c->multi, fd, s);
	} else {
		event_free(s->ev);
	}
	s->ev = event_new(c->base, fd, ev, http_client_sock_event, s);
	if (s->ev == NULL || event_add(s->ev, NULL) < 0)
		log_panic("http: cannot watch socket %d", (int)fd);
	return 0;
}

/* http_client_timer_cb - curl's timer callback: arm or disarm our timer. */
static int
http_client_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct http_client *c = userp;
	struct timeval tv;

	if (timeout_ms < 0) {
		evtimer_del(c->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
	return 0;
}

/* http_client_new - a client with its own multi handle on base. */
struct http_client *
http_client_new(struct event_base *base, const struct http_client_opts *opts)
{
	struct http_client_opts def;
	struct http_client *c;

	if (!http_client_curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			log_error("http: curl_global_init failed");
			return NULL;
		}
		http_client_curl_ready = true;
	}
	if (opts == NULL) {
		memset(&def, 0, sizeof(def));
		opts = &def;
	}
	c = xcalloc(1, sizeof(*c));
	c->base = base;
	c->name = xstrdup(opts->name != NULL ? opts->name : "http");
	c->ca_file = opts->ca_file != NULL ? xstrdup(opts->ca_file) : NULL;
	c->max_in_flight = opts->max_in_flight > 0 ? opts->max_in_flight : 8;
	c->connect_timeout_ms =
	    opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 10000;
	c->total_timeout_ms =
	    opts->total_timeout_ms > 0 ? opts->total_timeout_ms : 30000;
	c->max_body =
	    opts->max_body > 0 ? opts->max_body : HTTP_CLIENT_MAX_BODY_DEFAULT;
	c->tls_insecure = opts->tls_insecure;
	c->multi = curl_multi_init();
	c->timer = evtimer_new(base, http_client_timer_event, c);
	if (c->multi == NULL || c->timer == NULL)
		goto fail;
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION,
	                  http_client_sock_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION,
	                  http_client_timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS,
	                  (long)c->max_in_flight);
	return c;
fail:
	log_error("http: %s: cannot set up libcurl", c->name);
	if (c->multi != NULL)
		curl_multi_cleanup(c->multi);
	if (c->timer != NULL)
		event_free(c->timer);
	free(c->name);
	free(c->ca_file);
	free(c);
	return NULL;
}

/* http_client_free - cancel every call, then free (now or after drain). */
void
http_client_free(struct http_client *c)
{
	if (c == NULL || c->dead)
		return;
	c->dead = true; /* before cancelling: nothing queued may start */
	while (c->running.head != NULL)
		http_call_cancel(c->running.head);
	while (c->queue.head != NULL)
		http_call_cancel(c->queue.head);
	if (c->depth == 0)
		http_client_destroy(c);
}

/* http_call_setup - the easy handle for a call. Returns 0 or -1. */
static int
http_call_setup(struct http_call *call, const struct http_request *req)
{
	struct http_client *c = call->c;
	CURL *e;
	struct buf line;
	size_t i;

	e = call->easy = curl_easy_init();
	if (e == NULL)
		return -1;
	buf_init(&line);
	for (i = 0; i < req->n_headers; i++) {
		line.len = 0;
		buf_printf(&line, "%s: %s", req->headers[i].name,
		           req->headers[i].value);
		call->hdrs = curl_slist_append(call->hdrs, buf_cstr(&line));
	}
	buf_fini(&line);
	call->hdrs = curl_slist_append(call->hdrs, "Expect:");
	if (call->hdrs == NULL)
		return -1;
	curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)call);
	curl_easy_setopt(e, CURLOPT_URL, call->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, call->hdrs);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, call->err);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, call->timeout_ms);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_call_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, call);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_call_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, call);
	curl_easy_setopt(e, CURLOPT_READFUNCTION, http_call_read);
	curl_easy_setopt(e, CURLOPT_READDATA, call);
	curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, http_call_seek);
	curl_easy_setopt(e, CURLOPT_SEEKDATA, call);
	if (c->tls_insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
	if (strcmp(call->method, "GET") == 0 && call->body_len == 0) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(call->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		                 (curl_off_t)call->body_len);
		if (strcmp(call->method, "POST") != 0)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST,
			                 call->method);
	}
	return 0;
}

/* http_client_submit - queue a call and start it if there is room. */
struct http_call *
http_client_submit(struct http_client *c, const struct http_request *req,
                   http_client_done_fn *done, void *arg)
{
	struct http_call *call;

	if (c == NULL || c->dead || req == NULL || req->method == NULL ||
	    req->method[0] == '\0' || req->url == NULL || done == NULL ||
	    (req->body == NULL && req->body_len > 0))
		return NULL;
	call = xcalloc(1, sizeof(*call));
	call->c = c;
	call->method = xstrdup(req->method);
	call->url = xstrdup(req->url);
	call->body = req->body;
	call->body_len = req->body_len;
	call->want = req->want_headers;
	call->n_want = req->n_want;
	call->timeout_ms = req->total_timeout_ms > 0 ? req->total_timeout_ms
	                                             : c->total_timeout_ms;
	call->done = done;
	call->arg = arg;
	buf_init(&call->resp);
	if (http_call_setup(call, req) < 0) {
		log_error("http: %s: cannot set up a request", c->name);
		http_call_free(call);
		return NULL;
	}
	http_call_list_push(&c->queue, call);
	if (c->depth == 0)
		http_client_pump(c);
	/* inside a callback, drain pumps the queue when it returns */
	return call;
}

/* http_call_cancel - drop a call; its callback never runs. */
void
http_call_cancel(struct http_call *call)
{
	struct http_client *c;

	if (call == NULL)
		return;
	c = call->c;
	http_call_detach(call);
	http_call_free(call);
	if (!c->dead && c->depth == 0)
		http_client_pump(c);
}

/* http_client_in_flight - calls running now. */
unsigned
http_client_in_flight(const struct http_client *c)
{
	return c->running.n;
}

/* http_client_queued - calls waiting for a slot. */
unsigned
http_client_queued(const struct http_client *c)
{
	return c->queue.n;
}
