/*
 * test_statuspoll.c - the status page poller against a tiny evhttp server
 * on 127.0.0.1 in the same event_base: first report, level changes,
 * failures that keep the level and are logged once per error, format
 * detection, freeing at awkward moments, and a loop that keeps running
 * while a page hangs.
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
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "route/statuspoll.h"

/* The fake status page: what it answers, and what it saw. */
struct srv {
	struct event_base *base;
	struct evhttp *http;
	int port;
	int status;        /* HTTP status to answer */
	const char *ctype; /* Content-Type, or NULL */
	const char *body;  /* answer body */
	bool hold;         /* never answer (evhttp_free drops them) */
	unsigned requests; /* requests seen */
	char accept[160];  /* Accept header of the last request */
};

/* What the poller told us. */
struct seen {
	int calls;
	struct status_report now, before;
	struct statuspoll **free_me; /* free this poller in on_change */
};

static struct srv S;

/* srv_handle - answer as configured. */
static void
srv_handle(struct evhttp_request *req, void *arg)
{
	const char *a;
	struct evbuffer *b;

	S.requests++;
	a = evhttp_find_header(evhttp_request_get_input_headers(req), "Accept");
	snprintf(S.accept, sizeof(S.accept), "%s", a ? a : "");
	if (S.hold)
		return;
	b = evbuffer_new();
	evbuffer_add(b, S.body, strlen(S.body));
	if (S.ctype != NULL)
		evhttp_add_header(evhttp_request_get_output_headers(req),
		                  "Content-Type", S.ctype);
	evhttp_send_reply(req, S.status, "X", b);
	evbuffer_free(b);
}

/* setup - a base and the server on a free port, answering "all good". */
static int
setup(void **state)
{
	struct evhttp_bound_socket *bs;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(&S, 0, sizeof(S));
	S.base = event_base_new();
	S.http = evhttp_new(S.base);
	evhttp_set_gencb(S.http, srv_handle, &S);
	bs = evhttp_bind_socket_with_handle(S.http, "127.0.0.1", 0);
	if (bs == NULL)
		return -1;
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin,
	            &len);
	S.port = ntohs(sin.sin_port);
	S.status = 200;
	S.ctype = "application/json";
	S.body = "{\"status\":{\"indicator\":\"none\","
	         "\"description\":\"All Systems Operational\"}}";
	return 0;
}

/* teardown - free the server (and any held request) and the base. */
static int
teardown(void **state)
{
	if (S.http != NULL)
		evhttp_free(S.http);
	event_base_free(S.base);
	return 0;
}

/* url - this server's URL for path. */
static const char *
url(const char *path)
{
	static char u[128];

	snprintf(u, sizeof(u), "http://127.0.0.1:%d%s", S.port, path);
	return u;
}

/* on_change - record the call; free the poller if asked. */
static void
on_change(const struct status_report *now, const struct status_report *before,
          void *arg)
{
	struct seen *s = arg;

	s->calls++;
	s->now = *now;
	s->before = *before;
	if (s->free_me != NULL) {
		statuspoll_free(*s->free_me);
		*s->free_me = NULL;
	}
}

/* Loop driving: run until a predicate holds or ms pass. */
typedef bool until_fn(void *arg);

struct until {
	until_fn *fn;
	void *arg;
	unsigned ticks;
};

/* until_tick - every 5 ms: stop once the predicate holds. */
static void
until_tick(evutil_socket_t fd, short what, void *arg)
{
	struct until *u = arg;

	u->ticks++;
	if (u->fn != NULL && u->fn(u->arg))
		event_base_loopbreak(S.base);
}

/* until_timeout - give up. */
static void
until_timeout(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(S.base);
}

/* run_until - run the loop until fn(arg) or ms pass; the ticks seen. */
static unsigned
run_until(until_fn *fn, void *arg, int ms)
{
	struct until u = {fn, arg, 0};
	struct timeval tick = {0, 5000};
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	struct event *t = event_new(S.base, -1, EV_PERSIST, until_tick, &u);
	struct event *to = evtimer_new(S.base, until_timeout, NULL);

	event_add(t, &tick);
	evtimer_add(to, &tv);
	event_base_dispatch(S.base);
	event_free(t);
	event_free(to);
	return u.ticks;
}

struct want_stats {
	struct statuspoll *sp;
	uint64_t polls, failures;
};

/* polls_reached - at least w->polls polls and w->failures failures. */
static bool
polls_reached(void *arg)
{
	struct want_stats *w = arg;
	struct statuspoll_stats st;

	statuspoll_stats(w->sp, &st);
	return st.polls >= w->polls && st.failures >= w->failures;
}

/* wait_polls - run until sp finished polls (with failures) or 5 s. */
static void
wait_polls(struct statuspoll *sp, uint64_t polls, uint64_t failures)
{
	struct statuspoll_stats st;
	struct want_stats w = {sp, 0, 0};

	statuspoll_stats(sp, &st);
	w.polls = st.polls + polls;
	w.failures = st.failures + failures;
	run_until(polls_reached, &w, 5000);
	assert_true(polls_reached(&w));
}

/* poller - a poller on path with a short interval, reporting to seen. */
static struct statuspoll *
poller(const char *path, struct seen *seen, const char *const *names, size_t n)
{
	struct statuspoll_opts o;
	struct statuspoll *sp;

	memset(&o, 0, sizeof(o));
	o.name = "test";
	o.url = url(path);
	o.components = names;
	o.n_components = n;
	o.interval_ms = 20;
	o.timeout_ms = 2000;
	o.on_change = on_change;
	o.arg = seen;
	sp = statuspoll_new(S.base, &o);
	assert_non_null(sp);
	return sp;
}

static void
first_good_poll_reports_once(void **state)
{
	struct seen seen = {0};
	struct statuspoll *sp = poller("/api/v2/status.json", &seen, NULL, 0);
	struct statuspoll_stats st;

	/* Nothing happens inside statuspoll_new. */
	assert_int_equal(seen.calls, 0);
	assert_int_equal(statuspoll_report(sp)->level, STATUS_UNKNOWN);
	wait_polls(sp, 4, 0);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.now.level, STATUS_OK);
	assert_string_equal(seen.now.description, "All Systems Operational");
	assert_int_equal(seen.before.level, STATUS_UNKNOWN);
	assert_string_equal(seen.before.description, "");
	statuspoll_stats(sp, &st);
	assert_true(st.have_report);
	assert_int_equal(st.failures, 0);
	assert_int_equal(st.changes, 1);
	assert_string_equal(st.last_error, "");
	assert_non_null(strstr(S.accept, "application/json"));
	statuspoll_free(sp);
}

static void
level_change_calls_back_with_before(void **state)
{
	struct seen seen = {0};
	struct statuspoll *sp = poller("/", &seen, NULL, 0);

	wait_polls(sp, 1, 0);
	assert_int_equal(seen.calls, 1);
	S.body = "{\"status\":{\"indicator\":\"major\","
	         "\"description\":\"Partial System Outage\"}}";
	wait_polls(sp, 3, 0);
	assert_int_equal(seen.calls, 2);
	assert_int_equal(seen.before.level, STATUS_OK);
	assert_int_equal(seen.now.level, STATUS_MAJOR);
	assert_string_equal(seen.now.description, "Partial System Outage");
	/* Same level, new words: stored, no call. */
	S.body = "{\"status\":{\"indicator\":\"major\","
	         "\"description\":\"Still bad\"}}";
	wait_polls(sp, 3, 0);
	assert_int_equal(seen.calls, 2);
	assert_string_equal(statuspoll_report(sp)->description, "Still bad");
	statuspoll_free(sp);
}

static void
failed_polls_keep_level_and_log_once_per_error(void **state)
{
	struct seen seen = {0};
	struct statuspoll *sp = poller("/", &seen, NULL, 0);
	struct statuspoll_stats st;

	wait_polls(sp, 1, 0);
	S.status = 503;
	wait_polls(sp, 3, 3);
	statuspoll_stats(sp, &st);
	assert_int_equal(statuspoll_report(sp)->level, STATUS_OK);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(st.errors_logged, 1);
	assert_non_null(strstr(st.last_error, "HTTP 503"));
	/* A different error is logged once more. */
	S.status = 200;
	S.body = "{\"status\":{\"indicator\":";
	wait_polls(sp, 3, 3);
	statuspoll_stats(sp, &st);
	assert_int_equal(st.errors_logged, 2);
	assert_non_null(strstr(st.last_error, "JSON"));
	assert_int_equal(statuspoll_report(sp)->level, STATUS_OK);
	/* Good again: the error clears; the same 503 later logs again. */
	S.body = "{\"status\":{\"indicator\":\"none\"}}";
	wait_polls(sp, 2, 0);
	statuspoll_stats(sp, &st);
	assert_string_equal(st.last_error, "");
	S.status = 500;
	S.body = "<html>oops</html>";
	wait_polls(sp, 2, 2);
	statuspoll_stats(sp, &st);
	assert_int_equal(st.errors_logged, 3);
	assert_int_equal(seen.calls, 1);
	statuspoll_free(sp);
}

static void
connect_error_counts_and_reports_nothing(void **state)
{
	struct seen seen = {0};
	struct statuspoll_opts o;
	struct statuspoll *sp;
	struct statuspoll_stats st;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char u[64];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* A port nobody listens on: bind one, note it, close it. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(fd, (struct sockaddr *)&sin, &len);
	close(fd);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/", ntohs(sin.sin_port));
	memset(&o, 0, sizeof(o));
	o.url = u;
	o.interval_ms = 10;
	o.on_change = on_change;
	o.arg = &seen;
	sp = statuspoll_new(S.base, &o);
	assert_non_null(sp);
	wait_polls(sp, 3, 3);
	statuspoll_stats(sp, &st);
	assert_false(st.have_report);
	assert_int_equal(st.errors_logged, 1);
	assert_non_null(strstr(st.last_error, "connect"));
	assert_int_equal(seen.calls, 0);
	statuspoll_free(sp);
}

static void
rss_found_by_content_type_or_body(void **state)
{
	struct seen seen = {0};
	struct statuspoll *sp;

	S.ctype = "application/rss+xml";
	S.body = "<?xml version=\"1.0\"?><rss><channel><item><title>Service "
	         "disruption: errors</title><pubDate>Tue, 14 Nov 2023 "
	         "10:00:00 PST</pubDate></item></channel></rss>";
	sp = poller("/rss/ses-us-east-1.rss", &seen, NULL, 0);
	wait_polls(sp, 1, 0);
	assert_int_equal(seen.now.level, STATUS_MAJOR);
	/* text/plain: sniffed from the first byte. */
	S.ctype = "text/plain";
	S.body = "\n  <rss><channel></channel></rss>";
	wait_polls(sp, 2, 0);
	assert_int_equal(seen.calls, 2);
	assert_int_equal(seen.now.level, STATUS_OK);
	S.ctype = NULL;
	S.body = "{\"status\":{\"indicator\":\"critical\"}}";
	wait_polls(sp, 2, 0);
	assert_int_equal(seen.now.level, STATUS_CRITICAL);
	statuspoll_free(sp);
}

static void
named_components_are_watched(void **state)
{
	const char *names[] = {"SMTP"};
	struct seen seen = {0};
	struct statuspoll *sp;

	S.body = "{\"status\":{\"indicator\":\"major\"},\"components\":["
	         "{\"name\":\"API\",\"status\":\"major_outage\"},"
	         "{\"name\":\"SMTP\",\"status\":\"degraded_performance\"}]}";
	sp = poller("/api/v2/summary.json", &seen, names, 1);
	wait_polls(sp, 1, 0);
	assert_int_equal(seen.now.level, STATUS_MINOR);
	assert_string_equal(seen.now.description, "SMTP: degraded_performance");
	statuspoll_free(sp);
}

static void
free_inside_callback_stops_polling(void **state)
{
	struct seen seen = {0};
	struct statuspoll *sp = poller("/", &seen, NULL, 0);
	unsigned before;

	seen.free_me = &sp;
	run_until(NULL, NULL, 300);
	assert_int_equal(seen.calls, 1);
	assert_null(sp);
	before = S.requests;
	run_until(NULL, NULL, 100);
	assert_int_equal(S.requests, before);
}

static void
free_with_poll_in_flight_never_calls_back(void **state)
{
	struct seen seen = {0};
	struct statuspoll *sp;

	S.hold = true;
	sp = poller("/", &seen, NULL, 0);
	run_until(NULL, NULL, 100);
	assert_int_equal(S.requests, 1);
	statuspoll_free(sp);
	S.hold = false;
	run_until(NULL, NULL, 100);
	assert_int_equal(seen.calls, 0);
}

static void
hanging_page_times_out_without_blocking_the_loop(void **state)
{
	struct seen seen = {0};
	struct statuspoll_opts o;
	struct statuspoll *sp;
	struct statuspoll_stats st;
	struct want_stats w;
	unsigned ticks;

	S.hold = true;
	memset(&o, 0, sizeof(o));
	o.url = url("/");
	o.timeout_ms = 300;
	o.interval_ms = 10000;
	o.on_change = on_change;
	o.arg = &seen;
	sp = statuspoll_new(S.base, &o);
	w.sp = sp;
	w.polls = 1;
	w.failures = 1;
	ticks = run_until(polls_reached, &w, 3000);
	statuspoll_stats(sp, &st);
	assert_int_equal(st.failures, 1);
	assert_non_null(strstr(st.last_error, "timeout"));
	/* 5 ms ticks kept coming while the request hung (~60 in 300 ms). */
	assert_true(ticks >= 30);
	assert_int_equal(seen.calls, 0);
	statuspoll_free(sp);
}

/* A self-signed certificate for 127.0.0.1, its PEM file, and a TLS
 * server context; for the https case. */
struct tls_srv {
	EVP_PKEY *key;
	X509 *x509;
	SSL_CTX *ctx;
	char path[64];
};

/* tls_make - the key, certificate, PEM file and server context. */
static void
tls_make(struct tls_srv *t)
{
	X509_NAME *name;
	X509_EXTENSION *ext;
	X509V3_CTX v3;
	int fd;
	FILE *f;

	t->key = EVP_EC_gen("P-256");
	t->x509 = X509_new();
	X509_set_version(t->x509, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(t->x509), 1);
	X509_gmtime_adj(X509_getm_notBefore(t->x509), -60);
	X509_gmtime_adj(X509_getm_notAfter(t->x509), 3600);
	X509_set_pubkey(t->x509, t->key);
	name = X509_get_subject_name(t->x509);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                           (const unsigned char *)"statuspoll test", -1,
	                           -1, 0);
	X509_set_issuer_name(t->x509, name);
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, t->x509, t->x509, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
	                          "IP:127.0.0.1");
	X509_add_ext(t->x509, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(t->x509, t->key, EVP_sha256()) > 0);
	snprintf(t->path, sizeof(t->path), "/tmp/test_statuspoll.XXXXXX");
	fd = mkstemp(t->path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	PEM_write_X509(f, t->x509);
	fclose(f);
	t->ctx = SSL_CTX_new(TLS_server_method());
	assert_int_equal(SSL_CTX_use_certificate(t->ctx, t->x509), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(t->ctx, t->key), 1);
}

/* tls_free - everything tls_make made. */
static void
tls_free(struct tls_srv *t)
{
	unlink(t->path);
	SSL_CTX_free(t->ctx);
	EVP_PKEY_free(t->key);
	X509_free(t->x509);
}

/* tls_bev - evhttp's connections, wrapped in TLS. */
static struct bufferevent *
tls_bev(struct event_base *base, void *arg)
{
	struct tls_srv *t = arg;

	return bufferevent_openssl_socket_new(base, -1, SSL_new(t->ctx),
	                                      BUFFEREVENT_SSL_ACCEPTING,
	                                      BEV_OPT_CLOSE_ON_FREE);
}

/* tls_poller - an https poller with the given trust settings. */
static struct statuspoll *
tls_poller(struct seen *seen, const char *ca_file, bool insecure)
{
	struct statuspoll_opts o;
	char u[96];
	struct statuspoll *sp;

	snprintf(u, sizeof(u), "https://127.0.0.1:%d/api/v2/status.json",
	         S.port);
	memset(&o, 0, sizeof(o));
	o.url = u;
	o.interval_ms = 20;
	o.timeout_ms = 2000;
	o.ca_file = ca_file;
	o.tls_insecure = insecure;
	o.on_change = on_change;
	o.arg = seen;
	sp = statuspoll_new(S.base, &o);
	assert_non_null(sp);
	return sp;
}

static void
https_page_is_verified_against_ca_file(void **state)
{
	struct tls_srv t;
	struct seen seen = {0};
	struct statuspoll *sp;
	struct statuspoll_stats st;

	tls_make(&t);
	evhttp_set_bevcb(S.http, tls_bev, &t);
	/* Trusted through ca_file. */
	sp = tls_poller(&seen, t.path, false);
	wait_polls(sp, 1, 0);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.now.level, STATUS_OK);
	statuspoll_free(sp);
	/* The system store does not know this certificate. */
	memset(&seen, 0, sizeof(seen));
	sp = tls_poller(&seen, NULL, false);
	wait_polls(sp, 2, 2);
	statuspoll_stats(sp, &st);
	assert_false(st.have_report);
	assert_non_null(strstr(st.last_error, "tls"));
	assert_int_equal(seen.calls, 0);
	statuspoll_free(sp);
	/* tls_insecure takes it anyway. */
	sp = tls_poller(&seen, NULL, true);
	wait_polls(sp, 1, 0);
	assert_int_equal(seen.calls, 1);
	statuspoll_free(sp);
	evhttp_free(S.http); /* before the context its connections use */
	S.http = NULL;
	tls_free(&t);
}

static void
bad_urls_are_refused(void **state)
{
	struct statuspoll_opts o;

	memset(&o, 0, sizeof(o));
	assert_null(statuspoll_new(S.base, &o));
	o.url = "ftp://example.com/status.json";
	assert_null(statuspoll_new(S.base, &o));
	o.url = "status.example.com/api/v2/status.json";
	assert_null(statuspoll_new(S.base, &o));
	statuspoll_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(first_good_poll_reports_once, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(level_change_calls_back_with_before,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        failed_polls_keep_level_and_log_once_per_error, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        connect_error_counts_and_reports_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(rss_found_by_content_type_or_body,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(named_components_are_watched, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(free_inside_callback_stops_polling,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        free_with_poll_in_flight_never_calls_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        hanging_page_times_out_without_blocking_the_loop, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        https_page_is_verified_against_ca_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(bad_urls_are_refused, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
