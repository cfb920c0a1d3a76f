/*
 * test_http_client.c - the libcurl/libevent HTTP client against a tiny
 * evhttp server on 127.0.0.1 in the same event_base.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "net/http_client.h"

#define BIG_BODY (1024 * 1024 + 1)

struct srv {
	struct event_base *base;
	struct evhttp *http;
	int port;
	unsigned conns;      /* connections accepted */
	unsigned active;     /* /slow requests being served */
	unsigned max_active; /* most /slow requests at once */
	unsigned held;       /* /never requests held */
};

struct got {
	int calls;
	enum http_client_error error;
	enum send_stage stage;
	bool request_sent;
	int status;
	char body[256];
	size_t body_len;
	char content_type[64];
	char message_id[64];
	char retry_after[64];
	char extra[64];
	struct http_client **free_me; /* free this client in the callback */
};

static struct srv S;
static int g_done; /* callbacks run, across all calls of a test */

/* srv_bev - count each new server connection. */
static struct bufferevent *
srv_bev(struct event_base *base, void *arg)
{
	struct srv *s = arg;

	s->conns++;
	return bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
}

/* srv_slow_reply - answer a /slow request after its delay. */
static void
srv_slow_reply(evutil_socket_t fd, short what, void *arg)
{
	struct evhttp_request *req = arg;
	struct evbuffer *b = evbuffer_new();

	S.active--;
	evbuffer_add_printf(b, "slow");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

/* srv_handle - /echo, /slow, /never, /big, /status503. */
static void
srv_handle(struct evhttp_request *req, void *arg)
{
	struct srv *s = arg;
	const char *uri = evhttp_request_get_uri(req);
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct evbuffer *b = evbuffer_new();
	struct timeval tv = {0, 50 * 1000};
	const char *m;
	char *big;

	if (strncmp(uri, "/echo", 5) == 0) {
		switch (evhttp_request_get_command(req)) {
		case EVHTTP_REQ_GET:
			m = "GET";
			break;
		case EVHTTP_REQ_POST:
			m = "POST";
			break;
		case EVHTTP_REQ_PUT:
			m = "PUT";
			break;
		default:
			m = "OTHER";
			break;
		}
		evbuffer_add_printf(b, "%s:", m);
		evbuffer_add_buffer(b, in);
		evhttp_add_header(out, "Content-Type", "text/plain");
		evhttp_add_header(out, "X-Message-Id", "m-42");
		evhttp_add_header(out, "Retry-After", "7");
		evhttp_add_header(out, "X-Extra", "yes");
		evhttp_add_header(out, "X-Ignored", "no");
		evhttp_send_reply(req, 200, "OK", b);
	} else if (strcmp(uri, "/slow") == 0) {
		s->active++;
		if (s->active > s->max_active)
			s->max_active = s->active;
		event_base_once(s->base, -1, EV_TIMEOUT, srv_slow_reply, req,
		                &tv);
	} else if (strcmp(uri, "/never") == 0) {
		s->held++;
	} else if (strcmp(uri, "/big") == 0) {
		big = calloc(1, BIG_BODY);
		evbuffer_add(b, big, BIG_BODY);
		free(big);
		evhttp_send_reply(req, 200, "OK", b);
	} else {
		evhttp_send_reply(req, 503, "Unavailable", NULL);
	}
	evbuffer_free(b);
}

/* setup - event base and server on an ephemeral port. */
static int
setup(void **state)
{
	struct evhttp_bound_socket *bs;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(&S, 0, sizeof(S));
	g_done = 0;
	S.base = event_base_new();
	S.http = evhttp_new(S.base);
	evhttp_set_allowed_methods(S.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	                                       EVHTTP_REQ_PUT);
	evhttp_set_gencb(S.http, srv_handle, &S);
	evhttp_set_bevcb(S.http, srv_bev, &S);
	bs = evhttp_bind_socket_with_handle(S.http, "127.0.0.1", 0);
	if (bs == NULL)
		return -1;
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin,
	            &len);
	S.port = ntohs(sin.sin_port);
	return 0;
}

/* teardown - free the server and the base. */
static int
teardown(void **state)
{
	evhttp_free(S.http);
	event_base_free(S.base);
	return 0;
}

/* url - "http://127.0.0.1:port/path" in one of 4 rotating buffers. */
static const char *
url(const char *path)
{
	static char u[4][128];
	static unsigned next;
	char *p = u[next++ % 4];

	snprintf(p, sizeof(u[0]), "http://127.0.0.1:%d%s", S.port, path);
	return p;
}

/* copy - NUL-terminated copy of s (or "") into out. */
static void
copy(char *out, size_t size, const char *s)
{
	snprintf(out, size, "%s", s != NULL ? s : "");
}

/* on_done - record the response into the struct got at arg. */
static void
on_done(const struct http_response *r, void *arg)
{
	struct got *g = arg;
	size_t i;

	g->calls++;
	g_done++;
	g->error = r->error;
	g->stage = r->stage;
	g->request_sent = r->request_sent;
	g->status = r->status;
	g->body_len = r->body_len;
	copy(g->body, sizeof(g->body), r->body);
	copy(g->content_type, sizeof(g->content_type), r->content_type);
	copy(g->message_id, sizeof(g->message_id), r->message_id);
	copy(g->retry_after, sizeof(g->retry_after), r->retry_after);
	for (i = 0; i < r->n_headers; i++)
		if (strcmp(r->headers[i].name, "X-Extra") == 0)
			copy(g->extra, sizeof(g->extra), r->headers[i].value);
	if (g->free_me != NULL) {
		http_client_free(*g->free_me);
		*g->free_me = NULL;
	}
}

/* on_timeout - stop the loop: the test waited long enough. */
static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(S.base);
}

/* on_tick - stop the loop once enough callbacks ran. */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	if (g_done >= *(int *)arg)
		event_base_loopbreak(S.base);
}

/* run_until - run the loop until target callbacks ran or ms passed. */
static void
run_until(int target, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	struct timeval tick = {0, 5000};
	struct event *t = evtimer_new(S.base, on_timeout, NULL);
	struct event *k = event_new(S.base, -1, EV_PERSIST, on_tick, &target);

	evtimer_add(t, &tv);
	event_add(k, &tick);
	event_base_dispatch(S.base);
	event_free(t);
	event_free(k);
}

static const char *const want_extra[] = {"x-extra"};

static void
get_and_post_round_trip_with_headers(void **state)
{
	struct http_client_opts o = {.name = "test"};
	struct http_client *c = http_client_new(S.base, &o);
	struct http_header h[] = {{"Content-Type", "text/plain"}};
	struct http_request get = {"GET", url("/echo"), NULL, 0, NULL,
	                           0,     want_extra,   1,    0};
	struct http_request post = {"POST", url("/echo"), h, 1, "hello",
	                            5,      NULL,         0, 0};
	struct got g1 = {0}, g2 = {0};

	assert_non_null(c);
	assert_non_null(http_client_submit(c, &get, on_done, &g1));
	assert_non_null(http_client_submit(c, &post, on_done, &g2));
	assert_int_equal(g_done, 0); /* never from inside submit */
	run_until(2, 5000);
	assert_int_equal(g1.calls, 1);
	assert_int_equal(g1.error, HTTP_CLIENT_OK);
	assert_int_equal(g1.status, 200);
	assert_string_equal(g1.body, "GET:");
	assert_string_equal(g1.content_type, "text/plain");
	assert_string_equal(g1.message_id, "m-42");
	assert_string_equal(g1.retry_after, "7");
	assert_string_equal(g1.extra, "yes");
	assert_int_equal(g2.calls, 1);
	assert_int_equal(g2.error, HTTP_CLIENT_OK);
	assert_int_equal(g2.stage, SEND_STAGE_RESPONSE);
	assert_true(g2.request_sent);
	assert_string_equal(g2.body, "POST:hello");
	assert_string_equal(g2.extra, ""); /* not asked for */
	http_client_free(c);
}

static void
put_sends_its_body_with_the_method(void **state)
{
	struct http_client *c = http_client_new(S.base, NULL);
	struct http_request put = {"PUT", url("/echo"), NULL, 0, "x",
	                           1,     NULL,         0,    0};
	struct got g = {0};

	assert_non_null(http_client_submit(c, &put, on_done, &g));
	run_until(1, 5000);
	assert_int_equal(g.error, HTTP_CLIENT_OK);
	assert_string_equal(g.body, "PUT:x");
	http_client_free(c);
}

static void
error_status_is_a_complete_response(void **state)
{
	struct http_client *c = http_client_new(S.base, NULL);
	struct http_request get = {"GET", url("/nope"), NULL, 0, NULL,
	                           0,     NULL,         0,    0};
	struct got g = {0};

	assert_non_null(http_client_submit(c, &get, on_done, &g));
	run_until(1, 5000);
	assert_int_equal(g.error, HTTP_CLIENT_OK);
	assert_int_equal(g.status, 503);
	http_client_free(c);
}

static void
keep_alive_reuses_one_connection(void **state)
{
	struct http_client_opts o = {.max_in_flight = 1};
	struct http_client *c = http_client_new(S.base, &o);
	struct http_request post = {"POST", url("/echo"), NULL, 0, "abc",
	                            3,      NULL,         0,    0};
	struct got g[5];
	int i;

	memset(g, 0, sizeof(g));
	for (i = 0; i < 5; i++)
		assert_non_null(http_client_submit(c, &post, on_done, &g[i]));
	run_until(5, 5000);
	for (i = 0; i < 5; i++) {
		assert_int_equal(g[i].error, HTTP_CLIENT_OK);
		assert_string_equal(g[i].body, "POST:abc");
	}
	assert_int_equal(S.conns, 1);
	http_client_free(c);
}

static void
concurrency_cap_queues_the_rest(void **state)
{
	struct http_client_opts o = {.max_in_flight = 2};
	struct http_client *c = http_client_new(S.base, &o);
	struct http_request get = {"GET", url("/slow"), NULL, 0, NULL,
	                           0,     NULL,         0,    0};
	struct got g[6];
	int i;

	memset(g, 0, sizeof(g));
	for (i = 0; i < 6; i++)
		assert_non_null(http_client_submit(c, &get, on_done, &g[i]));
	assert_int_equal(http_client_in_flight(c), 2);
	assert_int_equal(http_client_queued(c), 4);
	run_until(6, 5000);
	for (i = 0; i < 6; i++) {
		assert_int_equal(g[i].error, HTTP_CLIENT_OK);
		assert_string_equal(g[i].body, "slow");
	}
	assert_int_equal(S.max_active, 2);
	assert_true(S.conns <= 2);
	assert_int_equal(http_client_in_flight(c), 0);
	assert_int_equal(http_client_queued(c), 0);
	http_client_free(c);
}

static void
connect_refused_is_stage_connect(void **state)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct http_client *c = http_client_new(S.base, NULL);
	struct http_request post = {"POST", NULL, NULL, 0, "abc",
	                            3,      NULL, 0,    0};
	struct got g = {0};
	char u[64];
	int fd;

	/* a port that was just free: bind, read it, close */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(fd, (struct sockaddr *)&sin, &len);
	close(fd);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/", ntohs(sin.sin_port));
	post.url = u;
	assert_non_null(http_client_submit(c, &post, on_done, &g));
	run_until(1, 5000);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.error, HTTP_CLIENT_ERR_CONNECT);
	assert_int_equal(g.stage, SEND_STAGE_CONNECT);
	assert_false(g.request_sent);
	assert_int_equal(g.status, 0);
	http_client_free(c);
}

static void
tls_is_verified_and_fails_before_sending(void **state)
{
	struct http_client *c = http_client_new(S.base, NULL);
	struct http_request post = {"POST", NULL, NULL, 0, "abc",
	                            3,      NULL, 0,    0};
	struct got g = {0};
	char u[64];

	/* https to the plaintext server: the handshake cannot succeed */
	snprintf(u, sizeof(u), "https://127.0.0.1:%d/echo", S.port);
	post.url = u;
	assert_non_null(http_client_submit(c, &post, on_done, &g));
	run_until(1, 5000);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.error, HTTP_CLIENT_ERR_TLS);
	assert_int_equal(g.stage, SEND_STAGE_CONNECT);
	assert_false(g.request_sent);
	http_client_free(c);
}

static void
total_timeout_after_sending_is_stage_response(void **state)
{
	struct http_client_opts o = {.total_timeout_ms = 300};
	struct http_client *c = http_client_new(S.base, &o);
	struct http_request post = {"POST", url("/never"), NULL, 0, "payload",
	                            7,      NULL,          0,    0};
	struct got g = {0};

	assert_non_null(http_client_submit(c, &post, on_done, &g));
	run_until(1, 5000);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.error, HTTP_CLIENT_ERR_TIMEOUT);
	assert_int_equal(g.stage, SEND_STAGE_RESPONSE);
	assert_true(g.request_sent);
	assert_int_equal(S.held, 1);
	http_client_free(c);
}

static void
timeout_while_writing_the_body_is_stage_request(void **state)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct http_client_opts o = {.total_timeout_ms = 500};
	struct http_client *c = http_client_new(S.base, &o);
	struct http_request post = {"POST", NULL, NULL, 0, NULL, 0, NULL, 0, 0};
	size_t body_len = 64u << 20; /* more than any socket buffers hold */
	char *body = calloc(1, body_len);
	struct got g = {0};
	char u[64];
	int fd;

	/* a listener that never accepts nor reads: the kernel completes
	 * the handshake, then the send buffers fill */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 4), 0);
	getsockname(fd, (struct sockaddr *)&sin, &len);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/", ntohs(sin.sin_port));
	post.url = u;
	post.body = body;
	post.body_len = body_len;
	assert_non_null(http_client_submit(c, &post, on_done, &g));
	run_until(1, 5000);
	close(fd);
	free(body);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.error, HTTP_CLIENT_ERR_TIMEOUT);
	assert_int_equal(g.stage, SEND_STAGE_REQUEST);
	assert_false(g.request_sent);
	http_client_free(c);
}

static void
response_over_the_cap_is_an_error(void **state)
{
	struct http_client *c = http_client_new(S.base, NULL);
	struct http_client_opts o = {.max_body = BIG_BODY};
	struct http_client *c2 = http_client_new(S.base, &o);
	struct http_request get = {"GET", url("/big"), NULL, 0, NULL,
	                           0,     NULL,        0,    0};
	struct got g = {0}, g2 = {0};

	assert_non_null(http_client_submit(c, &get, on_done, &g));
	assert_non_null(http_client_submit(c2, &get, on_done, &g2));
	run_until(2, 5000);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.error, HTTP_CLIENT_ERR_TOO_LARGE);
	assert_int_equal(g.stage, SEND_STAGE_RESPONSE);
	assert_int_equal(g2.error,
	                 HTTP_CLIENT_OK); /* exactly at the cap is fine */
	assert_int_equal(g2.body_len, BIG_BODY);
	http_client_free(c);
	http_client_free(c2);
}

static void
free_with_calls_in_flight_cancels_them(void **state)
{
	struct http_client_opts o = {.max_in_flight = 2};
	struct http_client *c = http_client_new(S.base, &o);
	struct http_request post = {"POST", url("/never"), NULL, 0, "x",
	                            1,      NULL,          0,    0};
	struct got g[4];
	int i;

	memset(g, 0, sizeof(g));
	for (i = 0; i < 4; i++)
		assert_non_null(http_client_submit(c, &post, on_done, &g[i]));
	run_until(99, 200);
	assert_int_equal(S.held, 2);
	http_client_free(c);
	run_until(99, 200);
	assert_int_equal(g_done, 0);
}

static void
cancel_drops_one_call_without_callback(void **state)
{
	struct http_client_opts o = {.max_in_flight = 1};
	struct http_client *c = http_client_new(S.base, &o);
	struct http_request get = {"GET", url("/slow"), NULL, 0, NULL,
	                           0,     NULL,         0,    0};
	struct got g[3];
	struct http_call *k[3];
	int i;

	memset(g, 0, sizeof(g));
	for (i = 0; i < 3; i++)
		k[i] = http_client_submit(c, &get, on_done, &g[i]);
	http_call_cancel(k[0]); /* running */
	http_call_cancel(k[2]); /* queued */
	run_until(1, 5000);
	run_until(99, 100);
	assert_int_equal(g[0].calls, 0);
	assert_int_equal(g[1].calls, 1);
	assert_int_equal(g[1].error, HTTP_CLIENT_OK);
	assert_int_equal(g[2].calls, 0);
	http_client_free(c);
}

static void
free_from_inside_a_callback_is_safe(void **state)
{
	struct http_client *c = http_client_new(S.base, NULL);
	struct http_request fast = {"GET", url("/echo"), NULL, 0, NULL,
	                            0,     NULL,         0,    0};
	struct http_request hang = {"GET", url("/never"), NULL, 0, NULL,
	                            0,     NULL,          0,    0};
	struct got g1 = {0}, g2 = {0};

	g1.free_me = &c;
	assert_non_null(http_client_submit(c, &hang, on_done, &g2));
	assert_non_null(http_client_submit(c, &fast, on_done, &g1));
	run_until(1, 5000);
	run_until(99, 100);
	assert_int_equal(g1.calls, 1);
	assert_int_equal(g1.error, HTTP_CLIENT_OK);
	assert_null(c);
	assert_int_equal(g2.calls, 0);
}

struct chain {
	struct http_client *c;
	struct http_request req;
	struct got g;
	int left; /* further calls to submit from the callback */
	int calls;
};

/* on_chain - submit the next call from inside the callback. */
static void
on_chain(const struct http_response *r, void *arg)
{
	struct chain *ch = arg;

	ch->calls++;
	g_done++;
	ch->g.error = r->error;
	if (ch->left-- > 0)
		assert_non_null(
		    http_client_submit(ch->c, &ch->req, on_chain, ch));
}

static void
submit_from_inside_a_callback_runs_later(void **state)
{
	struct http_client_opts o = {.max_in_flight = 1};
	struct chain ch;

	memset(&ch, 0, sizeof(ch));
	ch.c = http_client_new(S.base, &o);
	ch.req.method = "GET";
	ch.req.url = url("/echo");
	ch.left = 3;
	assert_non_null(http_client_submit(ch.c, &ch.req, on_chain, &ch));
	run_until(4, 5000);
	assert_int_equal(ch.calls, 4);
	assert_int_equal(ch.g.error, HTTP_CLIENT_OK);
	assert_int_equal(S.conns, 1);
	http_client_free(ch.c);
}

static void
unusable_request_is_refused_without_callback(void **state)
{
	struct http_client *c = http_client_new(S.base, NULL);
	struct http_request bad = {NULL, url("/echo"), NULL, 0, NULL,
	                           0,    NULL,         0,    0};
	struct got g = {0};

	assert_null(http_client_submit(c, &bad, on_done, &g));
	bad.method = "GET";
	bad.url = NULL;
	assert_null(http_client_submit(c, &bad, on_done, &g));
	run_until(99, 50);
	assert_int_equal(g.calls, 0);
	http_client_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        get_and_post_round_trip_with_headers, setup, teardown),
	    cmocka_unit_test_setup_teardown(put_sends_its_body_with_the_method,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(error_status_is_a_complete_response,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(keep_alive_reuses_one_connection,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(concurrency_cap_queues_the_rest,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(connect_refused_is_stage_connect,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        tls_is_verified_and_fails_before_sending, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        total_timeout_after_sending_is_stage_response, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        timeout_while_writing_the_body_is_stage_request, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(response_over_the_cap_is_an_error,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        free_with_calls_in_flight_cancels_them, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        cancel_drops_one_call_without_callback, setup, teardown),
	    cmocka_unit_test_setup_teardown(free_from_inside_a_callback_is_safe,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        submit_from_inside_a_callback_runs_later, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        unusable_request_is_refused_without_callback, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
