/*
 * test_probe.c - the active SMTP probe (net/smtpc.h in probe mode, and
 * the SMTP adapter's probe op over it) against swerve-mock's SMTP server
 * (the real mock code, in process, on 127.0.0.1, its modes switched as
 * its HTTP /mode control would), against a bare listening socket that
 * never greets, and against a scripted fake for what the mock cannot do:
 * odd greetings, 421, garbage, EHLO refused, implicit TLS, STARTTLS
 * injection.
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
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "config/config.h"
#include "mock/mock.h"
#include "mock/mock_smtp.h"
#include "net/http_client.h"
#include "net/smtpc.h"
#include "providers/adapter.h"
#include "send/result.h"

/* ------------------------------------------------------------------ */
/* A self-signed certificate for 127.0.0.1, made in memory.            */

struct cert {
	EVP_PKEY *key;
	X509 *x509;
	char dir[64];
	char cert_path[96];
	char key_path[96];
};

/* cert_make - the key, the certificate, and both as PEM files. */
static void
cert_make(struct cert *c)
{
	X509_NAME *name;
	X509_EXTENSION *ext;
	X509V3_CTX v3;
	FILE *f;

	c->key = EVP_EC_gen("P-256");
	assert_non_null(c->key);
	c->x509 = X509_new();
	X509_set_version(c->x509, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c->x509), 1);
	X509_gmtime_adj(X509_getm_notBefore(c->x509), -60);
	X509_gmtime_adj(X509_getm_notAfter(c->x509), 3600);
	X509_set_pubkey(c->x509, c->key);
	name = X509_get_subject_name(c->x509);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                           (const unsigned char *)"swerve probe test",
	                           -1, -1, 0);
	X509_set_issuer_name(c->x509, name);
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, c->x509, c->x509, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
	                          "IP:127.0.0.1");
	X509_add_ext(c->x509, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(c->x509, c->key, EVP_sha256()) > 0);
	snprintf(c->dir, sizeof(c->dir), "/tmp/test_probe.XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	snprintf(c->cert_path, sizeof(c->cert_path), "%s/cert.pem", c->dir);
	snprintf(c->key_path, sizeof(c->key_path), "%s/key.pem", c->dir);
	f = fopen(c->cert_path, "w");
	assert_non_null(f);
	PEM_write_X509(f, c->x509);
	fclose(f);
	f = fopen(c->key_path, "w");
	assert_non_null(f);
	PEM_write_PrivateKey(f, c->key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
}

/* cert_free - the files, the directory, the objects. */
static void
cert_free(struct cert *c)
{
	unlink(c->cert_path);
	unlink(c->key_path);
	rmdir(c->dir);
	EVP_PKEY_free(c->key);
	X509_free(c->x509);
}

/* cert_client_ctx - a client context that trusts c (or nothing). */
static SSL_CTX *
cert_client_ctx(const struct cert *c)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (c != NULL)
		X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), c->x509);
	return ctx;
}

/* ------------------------------------------------------------------ */
/* The loop, the mock, the provider.                                   */

struct fx {
	struct event_base *base;
	struct mock *mock;
	struct mock_smtp *smtp;
	struct smtpc_params prov;
	struct cert cert;
	bool have_cert;
	SSL_CTX *cctx;
	/* results */
	int calls;
	struct smtpc_probe_result res;
	struct smtpc **chain;  /* start another probe from the callback */
	pid_t child;           /* a real swerve-mock, stopped in teardown */
	const char *auth_user; /* mock_start: require these credentials */
	const char *auth_pass;
	struct http_client *hc;
};

static struct fx F;

static struct smtpc *probe_start(SSL_CTX *ctx, const char *helo);

/* on_done - record the result, free the slot; maybe start one more. */
static void
on_done(struct smtpc *c, const struct smtpc_probe_result *r, void *arg)
{
	struct fx *f = arg;

	f->calls++;
	f->res = *r;
	smtpc_free(c);
	if (f->chain != NULL) {
		struct smtpc **slot = f->chain;
		f->chain = NULL;
		*slot = probe_start(f->cctx, "probe.test");
	}
}

/* probe_start - a fresh client slot for F.prov, probing. */
static struct smtpc *
probe_start(SSL_CTX *ctx, const char *helo)
{
	struct smtpc_params p = F.prov;
	struct smtpc_opts o = {F.base, &p, ctx, NULL};
	struct smtpc *c;

	p.helo_name = helo;
	c = smtpc_new(&o);
	assert_non_null(c);
	assert_int_equal(smtpc_probe(c, on_done, &F), 0);
	return c;
}

/* stop - loop timeout. */
static void
stop(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(F.base);
}

/* poll_done - stop once want callbacks ran. */
static void
poll_done(evutil_socket_t fd, short what, void *arg)
{
	if (F.calls >= *(int *)arg)
		event_base_loopbreak(F.base);
}

/* run_until - run the loop until want callbacks ran or ms passed. */
static void
run_until(int want, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	struct timeval tick = {0, 2000};
	struct event *to = evtimer_new(F.base, stop, NULL);
	struct event *p = event_new(F.base, -1, EV_PERSIST, poll_done, &want);

	evtimer_add(to, &tv);
	event_add(p, &tick);
	event_base_dispatch(F.base);
	event_free(to);
	event_free(p);
}

/* mode - switch the mock, as PUT /mode would. */
static void
mode(const char *text)
{
	struct mock_mode_set set;
	const char *why;

	assert_int_equal(mock_mode_parse(text, strlen(text), &set, &why), 0);
	mock_mode_change(F.mock, &set);
}

/* mock_start - the mock SMTP server, with STARTTLS if tls. */
static void
mock_start(bool tls)
{
	struct mock_smtp_opts o;

	memset(&o, 0, sizeof(o));
	o.listen = "127.0.0.1:0";
	o.auth_user = F.auth_user;
	o.auth_pass = F.auth_pass;
	if (tls) {
		cert_make(&F.cert);
		F.have_cert = true;
		o.tls_cert = F.cert.cert_path;
		o.tls_key = F.cert.key_path;
	}
	F.smtp = mock_smtp_new(F.mock, &o);
	assert_non_null(F.smtp);
	F.prov.port = (uint16_t)mock_smtp_port(F.smtp);
}

/* setup - loop, mock state, a plaintext provider with short timeouts. */
static int
setup(void **state)
{
	memset(&F, 0, sizeof(F));
	signal(SIGPIPE, SIG_IGN);
	F.base = event_base_new();
	F.mock = mock_new(F.base, "mock", 100);
	F.prov.name = "mockp";
	F.prov.host = "127.0.0.1";
	F.prov.tls = SMTPC_TLS_NONE;
	F.prov.tls_verify = true;
	F.prov.connect_timeout_ms = 1000;
	F.prov.greeting_timeout_ms = 1000;
	F.prov.command_timeout_ms = 1000;
	F.prov.data_timeout_ms = 1000;
	return 0;
}

/* teardown - everything setup and the test made. */
static int
teardown(void **state)
{
	if (F.child > 0) {
		/* By PID, also when an assertion cut the test short. */
		kill(F.child, SIGTERM);
		waitpid(F.child, NULL, 0);
	}
	http_client_free(F.hc);
	mock_smtp_free(F.smtp);
	mock_free(F.mock);
	/* Let closed sessions' deferred callbacks finish. */
	event_base_loop(F.base, EVLOOP_NONBLOCK);
	event_base_free(F.base);
	SSL_CTX_free(F.cctx);
	if (F.have_cert)
		cert_free(&F.cert);
	return 0;
}

/* probe_once - one probe of F.prov; waits for its result. */
static void
probe_once(int timeout_ms)
{
	int before = F.calls;

	probe_start(F.cctx, "probe.test");
	/* Never from inside smtpc_probe. */
	assert_int_equal(F.calls, before);
	run_until(before + 1, timeout_ms);
	assert_int_equal(F.calls, before + 1);
}

/* assert_clean_text - printable ASCII, terminated. */
static void
assert_clean_text(const struct smtpc_probe_result *r)
{
	size_t i, n = strnlen(r->res.text, sizeof(r->res.text));

	assert_true(n < sizeof(r->res.text));
	for (i = 0; i < n; i++)
		assert_true(r->res.text[i] >= 0x20 && r->res.text[i] <= 0x7e);
}

/* assert_stopped_without_starttls - the probe stopped where STARTTLS was
 * required and not offered: a transient failure, never plaintext. */
static void
assert_stopped_without_starttls(void)
{
	assert_false(F.res.ok);
	assert_int_equal(F.res.res.class, SEND_DEFERRED);
	assert_int_equal(F.res.res.stage, SEND_STAGE_STARTTLS);
	assert_string_equal(F.res.res.text,
	                    "STARTTLS required but not offered");
}

/* ------------------------------------------------------------------ */
/* Against swerve-mock                                                 */

static void
healthy_mock_probe_is_ok(void **state)
{
	mock_start(false);
	probe_once(3000);
	assert_true(F.res.ok);
	assert_int_equal(F.res.res.class, SEND_ACCEPTED);
	assert_int_equal(F.res.res.stage, SEND_STAGE_NONE);
	assert_int_equal(F.res.res.smtp_code, 250);
	assert_true(F.res.latency_ms < 1000);
	assert_int_equal(mock_stat_total(F.mock, MOCK_STAT_CONNECTIONS), 1);
	assert_int_equal(mock_stat_total(F.mock, MOCK_STAT_MESSAGES_ACCEPTED),
	                 0);
	assert_clean_text(&F.res);
}

static void
mail_faults_do_not_fail_a_probe(void **state)
{
	static const char *modes[] = {"tempfail", "permfail", "throttle",
	                              "authfail", "drop",     "rcptfail x"};
	size_t i;

	mock_start(false);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		mode(modes[i]);
		probe_once(3000);
		assert_true(F.res.ok);
	}
}

static void
refused_connection_stops_at_connect(void **state)
{
	mock_start(false);
	mode("refuse");
	probe_once(3000);
	assert_false(F.res.ok);
	assert_int_equal(F.res.res.stage, SEND_STAGE_CONNECT);
	assert_int_equal(F.res.res.smtp_code, 0);
	assert_non_null(strstr(F.res.res.text, "refused"));
	/* The provider heals: the next probe is ok. */
	mode("accept");
	probe_once(3000);
	assert_true(F.res.ok);
}

static void
hung_server_times_out_at_greeting(void **state)
{
	mock_start(false);
	mode("hang");
	F.prov.greeting_timeout_ms = 200;
	probe_once(3000);
	assert_false(F.res.ok);
	assert_int_equal(F.res.res.stage, SEND_STAGE_GREETING);
	assert_string_equal(F.res.res.text, "timeout during greeting");
	assert_true(F.res.latency_ms >= 190 && F.res.latency_ms < 1500);
}

static void
slow_server_honours_each_timeout(void **state)
{
	mock_start(false);
	mode("slow 300");
	F.prov.greeting_timeout_ms = 100;
	probe_once(3000);
	assert_false(F.res.ok);
	assert_int_equal(F.res.res.stage, SEND_STAGE_GREETING);
	/* Greeting waits long enough, EHLO does not. */
	F.prov.greeting_timeout_ms = 2000;
	F.prov.command_timeout_ms = 100;
	probe_once(3000);
	assert_false(F.res.ok);
	assert_int_equal(F.res.res.stage, SEND_STAGE_EHLO);
	assert_string_equal(F.res.res.text, "timeout during ehlo");
	/* Both wait: ok, and the latency shows the delay. */
	F.prov.command_timeout_ms = 2000;
	probe_once(5000);
	assert_true(F.res.ok);
	assert_true(F.res.latency_ms >= 590);
}

static void
bare_socket_that_never_greets_times_out(void **state)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 8), 0); /* never accept()ed */
	getsockname(fd, (struct sockaddr *)&sin, &len);
	F.prov.port = ntohs(sin.sin_port);
	F.prov.greeting_timeout_ms = 150;
	probe_once(3000);
	assert_false(F.res.ok);
	assert_int_equal(F.res.res.stage, SEND_STAGE_GREETING);
	assert_true(F.res.latency_ms >= 140);
	close(fd);
}

static void
starttls_with_trusted_certificate_is_ok(void **state)
{
	mock_start(true);
	F.cctx = cert_client_ctx(&F.cert);
	F.prov.tls = SMTPC_TLS_STARTTLS;
	probe_once(3000);
	assert_true(F.res.ok);
	assert_int_equal(F.res.res.stage, SEND_STAGE_NONE);
}

static void
starttls_with_untrusted_certificate_fails(void **state)
{
	mock_start(true);
	F.cctx = cert_client_ctx(NULL);
	F.prov.tls = SMTPC_TLS_STARTTLS;
	probe_once(3000);
	assert_false(F.res.ok);
	assert_int_equal(F.res.res.stage, SEND_STAGE_STARTTLS);
	assert_non_null(strstr(F.res.res.text, "certificate verify failed"));
	/* tls_verify: false takes it anyway. */
	F.prov.tls_verify = false;
	probe_once(3000);
	assert_true(F.res.ok);
}

static void
starttls_not_offered_never_falls_back(void **state)
{
	mock_start(false);
	F.cctx = cert_client_ctx(NULL);
	F.prov.tls = SMTPC_TLS_STARTTLS;
	probe_once(3000);
	assert_stopped_without_starttls();
}

static void
auth_with_good_credentials_is_ok(void **state)
{
	F.auth_user = "probe";
	F.auth_pass = "s3cret";
	mock_start(false);
	F.prov.username = "probe";
	F.prov.password = "s3cret";
	probe_once(3000);
	assert_true(F.res.ok);
	assert_int_equal(F.res.res.smtp_code, 235);
	assert_int_equal(mock_stat_total(F.mock, MOCK_STAT_AUTH_ACCEPTED), 1);
}

static void
auth_refused_stops_at_auth(void **state)
{
	F.auth_user = "probe";
	F.auth_pass = "s3cret";
	mock_start(false);
	F.prov.username = "probe";
	F.prov.password = "wrong";
	probe_once(3000);
	assert_false(F.res.ok);
	assert_int_equal(F.res.res.stage, SEND_STAGE_AUTH);
	assert_int_equal(F.res.res.smtp_code, 535);
	assert_int_equal(F.res.res.class, SEND_CONFIG);
	assert_null(strstr(F.res.res.text, "wrong"));
	/* authfail: even good credentials are refused. */
	F.prov.password = "s3cret";
	mode("authfail");
	probe_once(3000);
	assert_false(F.res.ok);
	assert_int_equal(F.res.res.stage, SEND_STAGE_AUTH);
	assert_int_equal(F.res.res.smtp_code, 535);
}

static void
auth_goes_after_starttls(void **state)
{
	F.auth_user = "probe";
	F.auth_pass = "s3cret";
	mock_start(true);
	F.cctx = cert_client_ctx(&F.cert);
	F.prov.tls = SMTPC_TLS_STARTTLS;
	F.prov.username = "probe";
	F.prov.password = "s3cret";
	probe_once(3000);
	assert_true(F.res.ok);
	assert_int_equal(F.res.res.smtp_code, 235);
}

static void
cancel_before_result_never_calls_back(void **state)
{
	struct smtpc *pr;

	mock_start(false);
	mode("hang");
	pr = probe_start(NULL, NULL);
	run_until(1, 100);
	smtpc_free(pr);
	/* Cancel before the loop ever ran, too. */
	pr = probe_start(NULL, NULL);
	smtpc_free(pr);
	run_until(1, 200);
	assert_int_equal(F.calls, 0);
	smtpc_free(NULL);
}

static void
callback_may_start_the_next_probe(void **state)
{
	struct smtpc *next = NULL;

	mock_start(false);
	F.chain = &next;
	probe_start(NULL, NULL);
	run_until(2, 3000);
	assert_int_equal(F.calls, 2);
	assert_non_null(next);
	assert_true(F.res.ok);
}

static void
host_name_is_resolved(void **state)
{
	mock_start(false);
	F.prov.host = "localhost"; /* /etc/hosts, through evdns */
	probe_once(5000);
	/* localhost may give ::1 first: refused there, then 127.0.0.1. */
	assert_true(F.res.ok);
	F.prov.host = "no-such-host.invalid";
	probe_once(8000);
	assert_false(F.res.ok);
	assert_int_equal(F.res.res.stage, SEND_STAGE_CONNECT);
}

/* ------------------------------------------------------------------ */
/* Against the real bin/swerve-mock, driven over its HTTP /mode API     */

/* free_port - a loopback TCP port nobody listens on right now. */
static uint16_t
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(fd, (struct sockaddr *)&sin, &len);
	close(fd);
	return ntohs(sin.sin_port);
}

/* port_open - true if something accepts TCP on the loopback port. */
static bool
port_open(uint16_t port)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	close(fd);
	return ok;
}

/* mock_binary - $SWERVE_MOCK, else ../bin/swerve-mock beside this test
 * (the build tree's asan/bin), or NULL. */
static const char *
mock_binary(char *buf, size_t size)
{
	const char *env = getenv("SWERVE_MOCK");
	ssize_t n;
	char *slash;

	if (env != NULL && access(env, X_OK) == 0)
		return env;
	n = readlink("/proc/self/exe", buf, size - 32);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (slash == NULL)
		return NULL;
	strcpy(slash, "/../bin/swerve-mock");
	return access(buf, X_OK) == 0 ? buf : NULL;
}

struct put {
	int calls;
	int status;
};

/* on_put - the answer to PUT /mode. */
static void
on_put(const struct http_response *r, void *arg)
{
	struct put *p = arg;

	p->status = r->status;
	p->calls++;
	F.calls++; /* wakes run_until */
}

/* mode_http - PUT /mode text to the real mock, as an operator would. */
static void
mode_http(struct http_client *hc, uint16_t http_port, const char *text)
{
	struct put p = {0, 0};
	struct http_request req;
	char u[64];
	int before = F.calls;

	snprintf(u, sizeof(u), "http://127.0.0.1:%u/mode", http_port);
	memset(&req, 0, sizeof(req));
	req.method = "PUT";
	req.url = u;
	req.body = text;
	req.body_len = strlen(text);
	assert_non_null(http_client_submit(hc, &req, on_put, &p));
	run_until(before + 1, 5000);
	assert_int_equal(p.calls, 1);
	assert_int_equal(p.status, 200);
	F.calls = before;
}

static void
real_swerve_mock_modes_over_http(void **state)
{
	char path[4096], smtp_arg[32], http_arg[32];
	const char *mock = mock_binary(path, sizeof(path));
	uint16_t sp = free_port(), hp = free_port();
	struct http_client *hc;
	struct timespec nap = {0, 20 * 1000 * 1000};
	int i, status;
	pid_t pid;

	if (mock == NULL) {
		print_message("swerve-mock not built; set SWERVE_MOCK\n");
		skip();
	}
	snprintf(smtp_arg, sizeof(smtp_arg), "127.0.0.1:%u", sp);
	snprintf(http_arg, sizeof(http_arg), "127.0.0.1:%u", hp);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 1);
		dup2(devnull, 2);
		execl(mock, mock, "--smtp", smtp_arg, "--http", http_arg,
		      "--name", "probe-mock", "-q", (char *)NULL);
		_exit(127);
	}
	F.child = pid;
	for (i = 0; i < 500 && !(port_open(hp) && port_open(sp)); i++)
		nanosleep(&nap, NULL);
	hc = F.hc = http_client_new(F.base, NULL);
	assert_non_null(hc);
	F.prov.port = sp;
	F.prov.greeting_timeout_ms = 300;

	probe_once(5000);
	assert_true(F.res.ok);
	mode_http(hc, hp, "hang");
	probe_once(5000);
	assert_false(F.res.ok);
	assert_int_equal(F.res.res.stage, SEND_STAGE_GREETING);
	mode_http(hc, hp, "refuse");
	probe_once(5000);
	assert_false(F.res.ok);
	assert_int_equal(F.res.res.stage, SEND_STAGE_CONNECT);
	mode_http(hc, hp, "slow 500");
	probe_once(5000);
	assert_false(F.res.ok);
	assert_int_equal(F.res.res.stage, SEND_STAGE_GREETING);
	mode_http(hc, hp, "tempfail");
	probe_once(5000);
	assert_true(F.res.ok);

	http_client_free(hc);
	F.hc = NULL;
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	F.child = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ------------------------------------------------------------------ */
/* Against a scripted fake                                             */

enum fake_script {
	FAKE_GOOD,       /* 220, EHLO 250, QUIT 221 */
	FAKE_GREET_554,  /* 554 greeting */
	FAKE_EHLO_421,   /* 421 to EHLO */
	FAKE_GARBAGE,    /* a malformed reply to EHLO */
	FAKE_EHLO_502,   /* 502 to EHLO, 250 to HELO */
	FAKE_INJECT,     /* STARTTLS reply with a pipelined extra reply */
	FAKE_CLOSE,      /* close (for writing) right after the greeting */
	FAKE_QUIT_HANG,  /* never answers QUIT */
	FAKE_AUTH_LOGIN, /* offers only AUTH LOGIN; wants probe / s3cret */
};

struct fake {
	struct evconnlistener *lis;
	SSL_CTX *tls; /* implicit TLS on accept */
	enum fake_script script;
	struct bufferevent *conns[16];
	size_t n_conns;
	int fds[16]; /* FAKE_CLOSE sockets */
	size_t n_fds;
	int auth_step; /* FAKE_AUTH_LOGIN: lines after AUTH LOGIN */
	uint16_t port;
	char wire[2048]; /* every command line received, "\n"-separated */
};

static struct fake K;

/* fake_say - send one raw reply. */
static void
fake_say(struct bufferevent *bev, const char *s)
{
	evbuffer_add(bufferevent_get_output(bev), s, strlen(s));
}

/* fake_read - answer each command line by the script. */
static void
fake_read(struct bufferevent *bev, void *arg)
{
	char *line;
	size_t n;

	while ((line = evbuffer_readln(bufferevent_get_input(bev), &n,
	                               EVBUFFER_EOL_CRLF)) != NULL) {
		size_t used = strlen(K.wire);
		snprintf(K.wire + used, sizeof(K.wire) - used, "%s\n", line);
		if (K.auth_step > 0) {
			/* base64("probe"), then base64("s3cret") */
			const char *want =
			    K.auth_step == 1 ? "cHJvYmU=" : "czNjcmV0";
			bool good = strcmp(line, want) == 0;
			free(line);
			if (!good) {
				K.auth_step = 0;
				fake_say(bev, "535 5.7.8 bad\r\n");
			} else if (K.auth_step++ == 1) {
				fake_say(bev, "334 UGFzc3dvcmQ6\r\n");
			} else {
				K.auth_step = 0;
				fake_say(bev, "235 2.7.0 welcome\r\n");
			}
			continue;
		}
		if (strcmp(line, "AUTH LOGIN") == 0) {
			free(line);
			K.auth_step = 1;
			fake_say(bev, "334 VXNlcm5hbWU6\r\n");
			continue;
		}
		bool ehlo = strncmp(line, "EHLO", 4) == 0;
		bool helo = strncmp(line, "HELO", 4) == 0;
		bool quit = strncmp(line, "QUIT", 4) == 0;
		bool stls = strncmp(line, "STARTTLS", 8) == 0;

		free(line);
		if (ehlo && K.script == FAKE_EHLO_421)
			fake_say(bev, "421 4.3.2 shutting down\r\n");
		else if (ehlo && K.script == FAKE_GARBAGE)
			fake_say(bev, "hello there\r\n");
		else if (ehlo && K.script == FAKE_EHLO_502)
			fake_say(bev, "502 5.5.1 no EHLO here\r\n");
		else if (ehlo && K.script == FAKE_AUTH_LOGIN)
			fake_say(bev, "250-fake\r\n250 AUTH LOGIN\r\n");
		else if (ehlo && K.script == FAKE_INJECT)
			fake_say(bev, "250-fake\r\n250 STARTTLS\r\n");
		else if (ehlo)
			fake_say(bev, "250-fake\r\n250 PIPELINING\r\n");
		else if (helo)
			fake_say(bev, "250 fake\r\n");
		else if (stls)
			fake_say(bev, "220 go ahead\r\n250 injected\r\n");
		else if (quit && K.script != FAKE_QUIT_HANG)
			fake_say(bev, "221 bye\r\n");
	}
}

/* fake_accept - greet (through TLS if configured). */
static void
fake_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
            int salen, void *arg)
{
	struct event_base *base = evconnlistener_get_base(lis);
	struct bufferevent *bev;

	if (K.script == FAKE_CLOSE) {
		/* Greet, then close our side; kept open for reading. */
		assert_int_equal(send(fd, "220 fake\r\n", 10, 0), 10);
		shutdown(fd, SHUT_WR);
		assert_true(K.n_fds < 16);
		K.fds[K.n_fds++] = fd;
		return;
	}
	if (K.tls != NULL)
		bev = bufferevent_openssl_socket_new(base, fd, SSL_new(K.tls),
		                                     BUFFEREVENT_SSL_ACCEPTING,
		                                     BEV_OPT_CLOSE_ON_FREE);
	else
		bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	assert_non_null(bev);
	assert_true(K.n_conns < 16);
	K.conns[K.n_conns++] = bev;
	bufferevent_setcb(bev, fake_read, NULL, NULL, NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	if (K.script == FAKE_GREET_554)
		fake_say(bev, "554 5.7.1 \x01no service\xff here\r\n");
	else
		fake_say(bev, "220 fake ESMTP\r\n");
}

/* fake_start - listen on a free loopback port with script s. */
static void
fake_start(enum fake_script s)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(&K, 0, sizeof(K));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	K.script = s;
	K.lis =
	    evconnlistener_new_bind(F.base, fake_accept, NULL,
	                            LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
	                            16, (struct sockaddr *)&sin, sizeof(sin));
	assert_non_null(K.lis);
	getsockname(evconnlistener_get_fd(K.lis), (struct sockaddr *)&sin,
	            &len);
	K.port = ntohs(sin.sin_port);
	F.prov.port = K.port;
}

/* fake_teardown - close the fake, then the fixture. */
static int
fake_teardown(void **state)
{
	size_t i;

	for (i = 0; i < K.n_conns; i++)
		bufferevent_free(K.conns[i]);
	for (i = 0; i < K.n_fds; i++)
		close(K.fds[i]);
	if (K.lis != NULL)
		evconnlistener_free(K.lis);
	SSL_CTX_free(K.tls);
	memset(&K, 0, sizeof(K));
	return teardown(state);
}

static void
refusing_greeting_stops_at_greeting(void **state)
{
	fake_start(FAKE_GREET_554);
	probe_once(3000);
	assert_false(F.res.ok);
	assert_int_equal(F.res.res.stage, SEND_STAGE_GREETING);
	assert_int_equal(F.res.res.smtp_code, 554);
	assert_string_equal(F.res.res.enhanced, "5.7.1");
	assert_string_equal(F.res.res.text, "?no service? here");
	assert_clean_text(&F.res);
}

static void
reply_421_to_ehlo_stops_at_ehlo(void **state)
{
	fake_start(FAKE_EHLO_421);
	probe_once(3000);
	assert_false(F.res.ok);
	assert_int_equal(F.res.res.stage, SEND_STAGE_EHLO);
	assert_int_equal(F.res.res.smtp_code, 421);
	assert_int_equal(F.res.res.class, SEND_DEFERRED);
}

static void
malformed_reply_fails_the_probe(void **state)
{
	fake_start(FAKE_GARBAGE);
	probe_once(3000);
	assert_false(F.res.ok);
	assert_int_equal(F.res.res.stage, SEND_STAGE_EHLO);
	assert_non_null(strstr(F.res.res.text, "bad reply"));
}

static void
ehlo_refused_falls_back_to_helo(void **state)
{
	fake_start(FAKE_EHLO_502);
	probe_once(3000);
	assert_true(F.res.ok);
	assert_string_equal(F.res.res.text, "fake");
	/*
	 * STARTTLS required: HELO cannot offer it, so the probe stops there,
	 * as delivery does, and goes no further in plaintext.
	 */
	F.prov.tls = SMTPC_TLS_STARTTLS;
	F.cctx = cert_client_ctx(NULL);
	K.wire[0] = '\0';
	probe_once(3000);
	assert_stopped_without_starttls();
	assert_string_equal(K.wire, "EHLO probe.test\nHELO probe.test\n");
}

static void
plaintext_after_starttls_reply_is_refused(void **state)
{
	fake_start(FAKE_INJECT);
	F.prov.tls = SMTPC_TLS_STARTTLS;
	F.cctx = cert_client_ctx(NULL);
	probe_once(3000);
	assert_false(F.res.ok);
	assert_int_equal(F.res.res.stage, SEND_STAGE_STARTTLS);
	assert_non_null(strstr(F.res.res.text, "plaintext data"));
}

static void
close_after_greeting_is_reported(void **state)
{
	fake_start(FAKE_CLOSE);
	probe_once(3000);
	assert_false(F.res.ok);
	assert_int_equal(F.res.res.stage, SEND_STAGE_EHLO);
	assert_non_null(strstr(F.res.res.text, "closed"));
}

static void
unanswered_quit_does_not_spoil_the_result(void **state)
{
	fake_start(FAKE_QUIT_HANG);
	F.prov.command_timeout_ms = 300;
	probe_once(3000);
	assert_true(F.res.ok);
	assert_true(F.res.latency_ms < 250);
}

static void
auth_login_when_plain_is_not_offered(void **state)
{
	fake_start(FAKE_AUTH_LOGIN);
	F.prov.username = "probe";
	F.prov.password = "s3cret";
	probe_once(3000);
	assert_true(F.res.ok);
	assert_int_equal(F.res.res.class, SEND_ACCEPTED);
	assert_int_equal(F.res.res.smtp_code, 235);
	assert_string_equal(F.res.res.text, "welcome");
	/* Left politely, no mail. */
	assert_string_equal(K.wire, "EHLO probe.test\nAUTH LOGIN\ncHJvYmU=\n"
	                            "czNjcmV0\nQUIT\n");
	F.prov.password = "nope";
	probe_once(3000);
	assert_false(F.res.ok);
	assert_int_equal(F.res.res.class, SEND_CONFIG);
	assert_int_equal(F.res.res.stage, SEND_STAGE_AUTH);
	assert_int_equal(F.res.res.smtp_code, 535);
	assert_string_equal(F.res.res.enhanced, "5.7.8");
}

static void
credentials_without_auth_offered_fail_at_auth(void **state)
{
	fake_start(FAKE_GOOD);
	F.prov.username = "probe";
	F.prov.password = "s3cret";
	probe_once(3000);
	assert_false(F.res.ok);
	assert_int_equal(F.res.res.stage, SEND_STAGE_AUTH);
	assert_non_null(strstr(F.res.res.text, "offers no AUTH"));
	/* No reply refused us: transient for a probe, as it always was. */
	assert_int_equal(F.res.res.class, SEND_DEFERRED);
	assert_null(strstr(K.wire, "AUTH"));
}

static void
helo_fallback_with_credentials_fails_at_auth(void **state)
{
	fake_start(FAKE_EHLO_502);
	F.prov.username = "probe";
	F.prov.password = "s3cret";
	probe_once(3000);
	assert_false(F.res.ok);
	assert_int_equal(F.res.res.stage, SEND_STAGE_AUTH);
}

static void
implicit_tls_probe_is_ok(void **state)
{
	SSL_CTX *sctx;

	cert_make(&F.cert);
	F.have_cert = true;
	fake_start(FAKE_GOOD);
	sctx = SSL_CTX_new(TLS_server_method());
	assert_int_equal(SSL_CTX_use_certificate(sctx, F.cert.x509), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(sctx, F.cert.key), 1);
	K.tls = sctx;
	F.prov.tls = SMTPC_TLS_TLS;
	F.cctx = cert_client_ctx(&F.cert);
	probe_once(3000);
	assert_true(F.res.ok);
	/* Untrusted: stops at connect, where the handshake belongs. */
	SSL_CTX_free(F.cctx);
	F.cctx = cert_client_ctx(NULL);
	probe_once(3000);
	assert_false(F.res.ok);
	assert_int_equal(F.res.res.stage, SEND_STAGE_CONNECT);
	assert_non_null(strstr(F.res.res.text, "certificate verify failed"));
}

/* The failure policy's verdicts, against the scripted fake. */

static void
probe_starttls_not_offered_never_goes_on_in_plaintext(void **state)
{
	fake_start(FAKE_GOOD); /* offers PIPELINING, not STARTTLS */
	F.prov.tls = SMTPC_TLS_STARTTLS;
	F.prov.username = "probe";
	F.prov.password = "s3cret";
	F.cctx = cert_client_ctx(NULL);
	probe_once(3000);
	assert_stopped_without_starttls();
	/* Nothing after EHLO: no AUTH, no HELO, no mail, in plaintext. */
	assert_string_equal(K.wire, "EHLO probe.test\n");
}

/* ------------------------------------------------------------------ */
/* Through the SMTP adapter: configuration in, adapter result out      */

struct aprobe {
	int calls;
	struct adapter_probe_result res;
};

/* on_adapter_probe - record the adapter's probe result. */
static void
on_adapter_probe(const struct adapter_probe_result *r, void *arg)
{
	struct aprobe *ap = arg;

	ap->calls++;
	ap->res = *r;
	F.calls++; /* wakes run_until */
}

/* adapter_probe_once - one probe of cfg through adapter_smtp_ops. */
static void
adapter_probe_once(const struct config_provider *cfg, struct aprobe *ap)
{
	struct adapter_env env = {F.base, F.cctx, NULL, "probe.test"};
	struct adapter *a = adapter_new(cfg, &env);
	int before = F.calls;

	assert_non_null(a);
	ap->calls = 0;
	assert_non_null(a->ops->probe(a, on_adapter_probe, ap));
	assert_int_equal(ap->calls, 0);
	run_until(before + 1, 3000);
	assert_int_equal(ap->calls, 1);
	adapter_free(a);
}

static void
adapter_probe_reports_the_policy_verdict(void **state)
{
	struct config_provider cfg;
	struct aprobe ap;

	fake_start(FAKE_AUTH_LOGIN);
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = "fakep";
	cfg.type = "smtp";
	cfg.host = "127.0.0.1";
	cfg.port = K.port;
	cfg.tls = CONFIG_TLS_NONE;
	cfg.username = "probe";
	cfg.password = "s3cret";
	cfg.connect_timeout_ms = 1000;
	cfg.greeting_timeout_ms = 1000;
	cfg.command_timeout_ms = 1000;
	cfg.data_timeout_ms = 1000;
	adapter_probe_once(&cfg, &ap);
	assert_true(ap.res.ok);
	assert_int_equal(ap.res.class, SEND_ACCEPTED);
	assert_int_equal(ap.res.stage, SEND_STAGE_NONE);
	assert_true(ap.res.sending_enabled);
	/* A wrong password: an account fault, the reply as the server
	 * gave it. */
	cfg.password = "nope";
	adapter_probe_once(&cfg, &ap);
	assert_false(ap.res.ok);
	assert_int_equal(ap.res.class, SEND_CONFIG);
	assert_int_equal(ap.res.stage, SEND_STAGE_AUTH);
	assert_string_equal(ap.res.text, "535 5.7.8 bad");
	/* STARTTLS required, not offered: stops, never in plaintext. */
	cfg.tls = CONFIG_TLS_STARTTLS;
	cfg.password = "s3cret";
	F.cctx = cert_client_ctx(NULL);
	K.wire[0] = '\0';
	adapter_probe_once(&cfg, &ap);
	assert_false(ap.res.ok);
	assert_int_equal(ap.res.class, SEND_DEFERRED);
	assert_int_equal(ap.res.stage, SEND_STAGE_STARTTLS);
	assert_string_equal(ap.res.text, "STARTTLS required but not offered");
	assert_string_equal(K.wire, "EHLO probe.test\n");
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
#define TK(name) cmocka_unit_test_setup_teardown(name, setup, fake_teardown)
	const struct CMUnitTest tests[] = {
	    T(healthy_mock_probe_is_ok),
	    T(mail_faults_do_not_fail_a_probe),
	    T(refused_connection_stops_at_connect),
	    T(hung_server_times_out_at_greeting),
	    T(slow_server_honours_each_timeout),
	    T(bare_socket_that_never_greets_times_out),
	    T(starttls_with_trusted_certificate_is_ok),
	    T(starttls_with_untrusted_certificate_fails),
	    T(starttls_not_offered_never_falls_back),
	    T(auth_with_good_credentials_is_ok),
	    T(auth_refused_stops_at_auth),
	    T(auth_goes_after_starttls),
	    T(cancel_before_result_never_calls_back),
	    T(callback_may_start_the_next_probe),
	    T(host_name_is_resolved),
	    T(real_swerve_mock_modes_over_http),
	    TK(refusing_greeting_stops_at_greeting),
	    TK(reply_421_to_ehlo_stops_at_ehlo),
	    TK(malformed_reply_fails_the_probe),
	    TK(ehlo_refused_falls_back_to_helo),
	    TK(plaintext_after_starttls_reply_is_refused),
	    TK(close_after_greeting_is_reported),
	    TK(unanswered_quit_does_not_spoil_the_result),
	    TK(auth_login_when_plain_is_not_offered),
	    TK(credentials_without_auth_offered_fail_at_auth),
	    TK(helo_fallback_with_credentials_fails_at_auth),
	    TK(implicit_tls_probe_is_ok),
	    TK(probe_starttls_not_offered_never_goes_on_in_plaintext),
	    TK(adapter_probe_reports_the_policy_verdict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
