/*
 * test_smtpc.c - the SMTP client against a scripted fake server.
 *
 * The fake server lives in the test's own event_base (a listener on
 * 127.0.0.1:0) and answers from a script: each step names the start of
 * the client line it expects and the reply to send. It records every line
 * and every body byte it receives, so tests can check the wire.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/buf.h"
#include "net/smtpc.h"
#include "send/result.h"

/* ------------------------------------------------------------------ */
/* The fake server.                                                     */

#define F_CLOSE 1u /* close the connection after the reply */
#define F_BODY 2u  /* after the reply, read the body up to the dot */
#define F_TLS 4u   /* after the reply, start TLS as the server */
#define F_HOLD 8u  /* keep the reply until a step without F_HOLD */
#define F_HANG 16u /* send nothing, keep the connection open */

struct fake_step {
	const char *expect; /* "<connect>", "<dot>", or a line prefix */
	const char *reply;  /* NULL: no reply */
	unsigned flags;
};

struct fake {
	struct event_base *base;
	struct evconnlistener *lis;
	uint16_t port;
	const struct fake_step *script;
	size_t n_steps, step;
	struct bufferevent *bev;
	unsigned n_conns;
	bool in_body;
	struct buf wire; /* lines received, one per line, "<tls>" markers */
	struct buf body; /* raw DATA bytes of the last message, dot included */
	struct buf held;
	char error[256];
	SSL_CTX *tls;
};

static void fake_read_cb(struct bufferevent *bev, void *arg);

/* fake_event_cb - the client went away. */
static void
fake_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct fake *f = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		if (f->bev == bev)
			f->bev = NULL;
		bufferevent_free(bev);
	}
}

/* fake_drained_cb - the last reply is out: close. */
static void
fake_drained_cb(struct bufferevent *bev, void *arg)
{
	bufferevent_free(bev);
}

/* fake_send - reply (or hold) per the step's flags. */
static void
fake_send(struct fake *f, const struct fake_step *s)
{
	if (s->flags & F_HANG)
		return;
	if (s->reply != NULL)
		buf_addstr(&f->held, s->reply);
	if (s->flags & F_HOLD)
		return;
	if (f->held.len > 0 && f->bev != NULL)
		bufferevent_write(f->bev, f->held.p, f->held.len);
	f->held.len = 0;
	if ((s->flags & F_CLOSE) && f->bev != NULL) {
		/* Let the reply out, then close. */
		struct bufferevent *bev = f->bev;
		f->bev = NULL;
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
			bufferevent_free(bev);
		} else {
			bufferevent_disable(bev, EV_READ);
			bufferevent_setcb(bev, NULL, fake_drained_cb,
			                  fake_event_cb, f);
		}
	}
	if ((s->flags & F_BODY))
		f->in_body = true;
	if ((s->flags & F_TLS) && f->bev != NULL) {
		SSL *ssl = SSL_new(f->tls);
		struct bufferevent *tb = bufferevent_openssl_filter_new(
		    f->base, f->bev, ssl, BUFFEREVENT_SSL_ACCEPTING,
		    BEV_OPT_CLOSE_ON_FREE);
		bufferevent_openssl_set_allow_dirty_shutdown(tb, 1);
		f->bev = tb;
		bufferevent_setcb(tb, fake_read_cb, NULL, fake_event_cb, f);
		bufferevent_enable(tb, EV_READ | EV_WRITE);
		buf_addstr(&f->wire, "<tls>\n");
	}
}

/* fake_next - the step for what just happened, or NULL on a mismatch. */
static const struct fake_step *
fake_next(struct fake *f, const char *what, size_t len)
{
	const struct fake_step *s;

	if (f->step >= f->n_steps) {
		if (f->error[0] == '\0')
			snprintf(f->error, sizeof(f->error),
			         "script over, got \"%.*s\"", (int)len, what);
		return NULL;
	}
	s = &f->script[f->step];
	if (len < strlen(s->expect) ||
	    strncmp(what, s->expect, strlen(s->expect)) != 0) {
		if (f->error[0] == '\0')
			snprintf(f->error, sizeof(f->error),
			         "step %zu: want \"%s\", got \"%.*s\"", f->step,
			         s->expect, (int)len, what);
		return NULL;
	}
	f->step++;
	return s;
}

/* fake_body_end - offset just past the end-of-data in body, or 0;
 * from is where the new bytes start. */
static size_t
fake_body_end(const struct buf *b, size_t from)
{
	size_t i;

	if (b->len >= 3 && memcmp(b->p, ".\r\n", 3) == 0)
		return 3;
	for (i = from > 4 ? from - 4 : 0; i + 5 <= b->len; i++)
		if (memcmp(b->p + i, "\r\n.\r\n", 5) == 0)
			return i + 5;
	return 0;
}

/* fake_read_cb - lines, or body bytes, from the client. */
static void
fake_read_cb(struct bufferevent *bev, void *arg)
{
	struct fake *f = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	const struct fake_step *s;
	char *line;
	size_t len, end;

	while (f->bev == bev && evbuffer_get_length(in) > 0) {
		if (f->in_body) {
			len = evbuffer_get_length(in);
			end = f->body.len;
			buf_reserve(&f->body, len);
			evbuffer_remove(in, f->body.p + f->body.len, len);
			f->body.len += len;
			end = fake_body_end(&f->body, end);
			if (end == 0)
				return;
			/* Whatever followed the dot goes back as commands. */
			evbuffer_prepend(in, f->body.p + end,
			                 f->body.len - end);
			f->body.len = end;
			f->in_body = false;
			s = fake_next(f, "<dot>", 5);
		} else {
			line =
			    evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF_STRICT);
			if (line == NULL)
				return;
			buf_add(&f->wire, line, len);
			buf_addch(&f->wire, '\n');
			s = fake_next(f, line, len);
			if (s != NULL && strncmp(line, "DATA", 4) == 0 &&
			    (s->flags & F_BODY))
				f->body.len = 0;
			free(line);
		}
		if (s == NULL) {
			bufferevent_write(bev, "500 script mismatch\r\n", 21);
			return;
		}
		fake_send(f, s);
	}
}

/* fake_accept_cb - a new connection: greet per the "<connect>" step. */
static void
fake_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
               struct sockaddr *sa, int salen, void *arg)
{
	struct fake *f = arg;
	const struct fake_step *s;
	SSL *ssl;

	f->n_conns++;
	if (f->bev != NULL)
		bufferevent_free(f->bev);
	f->in_body = false;
	s = f->step < f->n_steps ? &f->script[f->step] : NULL;
	if (s != NULL && strcmp(s->expect, "<connect>") == 0 &&
	    (s->flags & F_TLS)) {
		/* Implicit TLS: the greeting waits for the handshake. */
		ssl = SSL_new(f->tls);
		f->bev = bufferevent_openssl_socket_new(
		    f->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
		    BEV_OPT_CLOSE_ON_FREE);
		bufferevent_openssl_set_allow_dirty_shutdown(f->bev, 1);
	} else {
		f->bev =
		    bufferevent_socket_new(f->base, fd, BEV_OPT_CLOSE_ON_FREE);
	}
	bufferevent_setcb(f->bev, fake_read_cb, NULL, fake_event_cb, f);
	bufferevent_enable(f->bev, EV_READ | EV_WRITE);
	s = fake_next(f, "<connect>", 9);
	if (s == NULL)
		return;
	if (s->flags & F_TLS) {
		struct fake_step plain = *s;
		plain.flags &= ~F_TLS;
		fake_send(f, &plain);
	} else {
		fake_send(f, s);
	}
}

/* fake_start - listen on 127.0.0.1:0 with a script. */
static void
fake_start(struct fake *f, struct event_base *base,
           const struct fake_step *script, size_t n)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(f, 0, sizeof(*f));
	f->base = base;
	f->script = script;
	f->n_steps = n;
	buf_init(&f->wire);
	buf_init(&f->body);
	buf_init(&f->held);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->lis = evconnlistener_new_bind(
	    base, fake_accept_cb, f, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
	    16, (struct sockaddr *)&sin, sizeof(sin));
	assert_non_null(f->lis);
	assert_int_equal(getsockname(evconnlistener_get_fd(f->lis),
	                             (struct sockaddr *)&sin, &len),
	                 0);
	f->port = ntohs(sin.sin_port);
}

/* fake_stop - close everything the fake owns. */
static void
fake_stop(struct fake *f)
{
	if (f->bev != NULL)
		bufferevent_free(f->bev);
	evconnlistener_free(f->lis);
	buf_fini(&f->wire);
	buf_fini(&f->body);
	buf_fini(&f->held);
	if (f->tls != NULL)
		SSL_CTX_free(f->tls);
}

/* ------------------------------------------------------------------ */
/* A self-signed certificate for 127.0.0.1, made in memory.            */

struct cert {
	EVP_PKEY *key;
	X509 *x509;
};

static void
cert_make(struct cert *c)
{
	X509_NAME *name;
	X509_EXTENSION *ext;
	X509V3_CTX v3;

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
	                           (const unsigned char *)"swerve test", -1, -1,
	                           0);
	X509_set_issuer_name(c->x509, name);
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, c->x509, c->x509, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
	                          "IP:127.0.0.1");
	X509_add_ext(c->x509, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(c->x509, c->key, EVP_sha256()) > 0);
}

static void
cert_free(struct cert *c)
{
	EVP_PKEY_free(c->key);
	X509_free(c->x509);
}

static SSL_CTX *
cert_server_ctx(const struct cert *c)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	assert_int_equal(SSL_CTX_use_certificate(ctx, c->x509), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(ctx, c->key), 1);
	return ctx;
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
/* The client side: send messages, collect outcomes.                   */

#define MAX_MSGS 4
#define MAX_RCPTS 4

struct run {
	struct event_base *base;
	struct smtpc *c;
	const struct smtpc_msg *msgs;
	size_t n_msgs, next;
	size_t n_done;
	bool in_send;
	bool cb_in_send; /* a callback ran from inside smtpc_send */
	bool free_in_cb; /* smtpc_free from the last callback */
	struct send_result msg[MAX_MSGS];
	struct send_result rcpt[MAX_MSGS][MAX_RCPTS];
	size_t n_accepted[MAX_MSGS];
	unsigned conn_msgs[MAX_MSGS]; /* smtpc_msgs_sent in the callback */
};

static void run_done(struct smtpc *c, const struct smtpc_result *res,
                     void *arg);

/* run_send_next - smtpc_send the next message, noting re-entry. */
static int
run_send_next(struct run *r)
{
	int rc;

	r->in_send = true;
	rc = smtpc_send(r->c, &r->msgs[r->next], run_done, r);
	r->in_send = false;
	if (rc == 0)
		r->next++;
	return rc;
}

static void
run_done(struct smtpc *c, const struct smtpc_result *res, void *arg)
{
	struct run *r = arg;
	size_t i, k = r->n_done;

	if (r->in_send)
		r->cb_in_send = true;
	if (k < MAX_MSGS) {
		r->msg[k] = res->msg;
		r->n_accepted[k] = res->n_accepted;
		r->conn_msgs[k] = smtpc_msgs_sent(c);
		for (i = 0; i < res->n_rcpts && i < MAX_RCPTS; i++)
			r->rcpt[k][i] = res->rcpts[i];
	}
	r->n_done++;
	if (r->next < r->n_msgs) {
		run_send_next(r);
		return;
	}
	if (r->free_in_cb) {
		smtpc_free(c);
		r->c = NULL;
	}
	event_base_loopbreak(r->base);
}

static void
run_deadline(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(arg);
}

/* run_loop - dispatch until every message is done or ms pass. */
static void
run_loop(struct event_base *base, unsigned ms)
{
	struct event *deadline = evtimer_new(base, run_deadline, base);
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	evtimer_add(deadline, &tv);
	event_base_dispatch(base);
	event_free(deadline);
}

/* prov_init - a provider at 127.0.0.1:port with short timeouts. */
static void
prov_init(struct smtpc_params *p, uint16_t port)
{
	memset(p, 0, sizeof(*p));
	p->name = "test";
	p->host = "127.0.0.1";
	p->port = port;
	p->tls = SMTPC_TLS_NONE;
	p->tls_verify = true;
	p->connect_timeout_ms = 2000;
	p->greeting_timeout_ms = 2000;
	p->command_timeout_ms = 2000;
	p->data_timeout_ms = 2000;
	p->max_msgs_per_conn = 100;
}

/*
 * run_msgs - one smtpc for prov, send msgs in turn (the next from the
 * previous one's callback), run the loop until done. Returns messages
 * done; r holds the outcomes.
 */
static size_t
run_msgs(struct run *r, struct event_base *base,
         const struct smtpc_params *prov, SSL_CTX *ctx,
         const struct smtpc_msg *msgs, size_t n)
{
	struct smtpc_params p = *prov;
	struct smtpc_opts o = {base, &p, ctx, NULL};

	p.helo_name = "client.test";
	r->base = base;
	r->c = smtpc_new(&o);
	assert_non_null(r->c);
	r->msgs = msgs;
	r->n_msgs = n;
	assert_int_equal(run_send_next(r), 0);
	assert_false(smtpc_idle(r->c));
	run_loop(base, 10000);
	assert_false(r->cb_in_send);
	return r->n_done;
}

/* A message: the fields a test sets, the rest zero (7-bit, ASCII). */
#define MSG(s, r, n, b)                                                        \
	{                                                                      \
		.sender = (s), .rcpts = (r), .n_rcpts = (n), .body = b         \
	}
static const char *const rcpts2[] = {"a@example.org", "b@example.org"};
static const char *const rcpts1[] = {"a@example.org"};
/* The body, and no head lines: the last two members of smtpc_msg. */
#define BODY(s)                                                                \
	{(s), sizeof(s) - 1},                                                  \
	{                                                                      \
		NULL, 0                                                        \
	}
static const struct smtpc_msg msg2 =
    MSG("sender@example.com", rcpts2, 2, BODY("Subject: hi\r\n\r\nhello\r\n"));
static const struct smtpc_msg msg1 =
    MSG("sender@example.com", rcpts1, 1, BODY("Subject: hi\r\n\r\nhello\r\n"));

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define GREET                                                                  \
	{                                                                      \
		"<connect>", "220 fake ESMTP\r\n", 0                           \
	}
#define EHLO_PIPE                                                              \
	{                                                                      \
		"EHLO client.test",                                            \
		    "250-fake\r\n250-PIPELINING\r\n250-SIZE 1000000\r\n250 "   \
		    "8BITMIME\r\n",                                            \
		    0                                                          \
	}
#define EHLO_PLAIN                                                             \
	{                                                                      \
		"EHLO client.test", "250-fake\r\n250 8BITMIME\r\n", 0          \
	}

/* A whole pipelined transaction: replies held until DATA, so a client
 * that waited for each reply would time out. */
#define TXN_PIPE(id)                                                           \
	{"MAIL FROM:<sender@example.com> SIZE=", "250 2.1.0 Ok\r\n", F_HOLD},  \
	    {"RCPT TO:<a@example.org>", "250 2.1.5 Ok\r\n", F_HOLD},           \
	    {"RCPT TO:<b@example.org>", "250 2.1.5 Ok\r\n", F_HOLD},           \
	    {"DATA", "354 go\r\n", F_BODY},                                    \
	{                                                                      \
		"<dot>", "250 2.0.0 Ok: queued as " id "\r\n", 0               \
	}

/* ------------------------------------------------------------------ */
/* Tests.                                                               */

static void
pipelining_reuses_one_connection_for_three_messages(void **state)
{
	static const struct fake_step script[] = {
	    GREET,          EHLO_PIPE,      TXN_PIPE("Q1"),
	    TXN_PIPE("Q2"), TXN_PIPE("Q3"), {"QUIT", "221 bye\r\n", F_CLOSE}};
	const struct smtpc_msg msgs[3] = {msg2, msg2, msg2};
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct fake f;
	struct run r = {0};
	int i;

	fake_start(&f, base, script, N(script));
	prov_init(&prov, f.port);
	assert_int_equal(run_msgs(&r, base, &prov, NULL, msgs, 3), 3);
	for (i = 0; i < 3; i++) {
		char id[4] = {'Q', (char)('1' + i), '\0'};
		assert_string_equal(send_class_name(r.msg[i].class),
		                    "accepted");
		assert_int_equal(r.msg[i].stage, SEND_STAGE_DOT);
		assert_int_equal(r.msg[i].smtp_code, 250);
		assert_string_equal(r.msg[i].provider_msg_id, id);
		assert_int_equal(r.n_accepted[i], 2);
		assert_int_equal(r.rcpt[i][1].class, SEND_ACCEPTED);
		assert_string_equal(r.rcpt[i][1].provider_msg_id, id);
		assert_int_equal(r.conn_msgs[i], i + 1);
	}
	assert_int_equal(f.n_conns, 1);
	assert_true(smtpc_idle(r.c));
	/* A polite close: QUIT goes out, then the slot frees itself. */
	smtpc_quit(r.c);
	for (i = 0; i < 300 && f.step < N(script); i++)
		run_loop(base, 10);
	run_loop(base, 50);
	assert_string_equal(f.error, "");
	assert_int_equal(f.step, N(script));
	fake_stop(&f);
	event_base_free(base);
}

static void
rcpt_550_fails_only_that_recipient(void **state)
{
	static const struct fake_step script[] = {
	    GREET,
	    EHLO_PLAIN,
	    {"MAIL FROM:<sender@example.com>", "250 ok\r\n", 0},
	    {"RCPT TO:<a@example.org>",
	     "550 5.1.1 <a@example.org>: Recipient address rejected\r\n", 0},
	    {"RCPT TO:<b@example.org>", "250 ok\r\n", 0},
	    {"DATA", "354 go\r\n", F_BODY},
	    {"<dot>", "250 Ok 0100018c-abc-000000\r\n", 0}};
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct fake f;
	struct run r = {0};

	fake_start(&f, base, script, N(script));
	prov_init(&prov, f.port);
	assert_int_equal(run_msgs(&r, base, &prov, NULL, &msg2, 1), 1);
	assert_int_equal(r.msg[0].class, SEND_ACCEPTED);
	assert_string_equal(r.msg[0].provider_msg_id, "0100018c-abc-000000");
	assert_int_equal(r.n_accepted[0], 1);
	assert_int_equal(r.rcpt[0][0].class, SEND_REJECTED);
	assert_int_equal(r.rcpt[0][0].stage, SEND_STAGE_RCPT);
	assert_int_equal(r.rcpt[0][0].smtp_code, 550);
	assert_string_equal(r.rcpt[0][0].enhanced, "5.1.1");
	assert_string_equal(r.rcpt[0][0].text,
	                    "<a@example.org>: Recipient address rejected");
	assert_int_equal(r.rcpt[0][1].class, SEND_ACCEPTED);
	assert_string_equal(f.error, "");
	smtpc_free(r.c);
	fake_stop(&f);
	event_base_free(base);
}

static void
code_451_at_dot_is_deferred_and_connection_reused(void **state)
{
	static const struct fake_step script[] = {
	    GREET,
	    EHLO_PLAIN,
	    {"MAIL FROM:<sender@example.com>", "250 ok\r\n", 0},
	    {"RCPT TO:<a@example.org>", "250 ok\r\n", 0},
	    {"DATA", "354 go\r\n", F_BODY},
	    {"<dot>", "451 4.3.0 Temporary failure\r\n", 0},
	    /* The dot ended the transaction: no RSET needed. */
	    {"MAIL FROM:<sender@example.com>", "250 ok\r\n", 0},
	    {"RCPT TO:<a@example.org>", "250 ok\r\n", 0},
	    {"DATA", "354 go\r\n", F_BODY},
	    {"<dot>", "250 ok\r\n", 0}};
	const struct smtpc_msg msgs[2] = {msg1, msg1};
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct fake f;
	struct run r = {0};

	fake_start(&f, base, script, N(script));
	prov_init(&prov, f.port);
	assert_int_equal(run_msgs(&r, base, &prov, NULL, msgs, 2), 2);
	assert_int_equal(r.msg[0].class, SEND_DEFERRED);
	assert_int_equal(r.msg[0].stage, SEND_STAGE_DOT);
	assert_int_equal(r.msg[0].smtp_code, 451);
	assert_int_equal(r.rcpt[0][0].class, SEND_DEFERRED);
	assert_int_equal(r.n_accepted[0], 0);
	assert_int_equal(r.msg[1].class, SEND_ACCEPTED);
	assert_string_equal(r.msg[1].provider_msg_id, "");
	assert_int_equal(f.n_conns, 1);
	assert_string_equal(f.error, "");
	smtpc_free(r.c);
	fake_stop(&f);
	event_base_free(base);
}

static void
greeting_421_is_deferred(void **state)
{
	static const struct fake_step script[] = {
	    {"<connect>", "421 4.3.2 busy, try later\r\n", F_CLOSE}};
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct fake f;
	struct run r = {0};

	fake_start(&f, base, script, N(script));
	prov_init(&prov, f.port);
	assert_int_equal(run_msgs(&r, base, &prov, NULL, &msg2, 1), 1);
	assert_int_equal(r.msg[0].class, SEND_DEFERRED);
	assert_int_equal(r.msg[0].stage, SEND_STAGE_GREETING);
	assert_int_equal(r.msg[0].smtp_code, 421);
	assert_string_equal(r.msg[0].text, "busy, try later");
	assert_int_equal(r.rcpt[0][0].class, SEND_DEFERRED);
	assert_int_equal(r.rcpt[0][1].stage, SEND_STAGE_GREETING);
	assert_false(smtpc_connected(r.c));
	smtpc_free(r.c);
	fake_stop(&f);
	event_base_free(base);
}

static void
connection_refused_is_deferred(void **state)
{
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct run r = {0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* A port that was just free: bind, learn it, close. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	prov_init(&prov, ntohs(sin.sin_port));
	assert_int_equal(run_msgs(&r, base, &prov, NULL, &msg1, 1), 1);
	assert_int_equal(r.msg[0].class, SEND_DEFERRED);
	assert_int_equal(r.msg[0].stage, SEND_STAGE_CONNECT);
	assert_int_equal(r.msg[0].smtp_code, 0);
	assert_non_null(strstr(r.msg[0].text, "refused"));
	smtpc_free(r.c);
	event_base_free(base);
}

static void
greeting_timeout_is_deferred(void **state)
{
	static const struct fake_step script[] = {{"<connect>", NULL, F_HANG}};
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct fake f;
	struct run r = {0};
	struct timeval t0, t1;
	long ms;

	fake_start(&f, base, script, N(script));
	prov_init(&prov, f.port);
	prov.greeting_timeout_ms = 200;
	gettimeofday(&t0, NULL);
	assert_int_equal(run_msgs(&r, base, &prov, NULL, &msg1, 1), 1);
	gettimeofday(&t1, NULL);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_usec - t0.tv_usec) / 1000;
	assert_true(ms >= 180 && ms < 1500);
	assert_int_equal(r.msg[0].class, SEND_DEFERRED);
	assert_int_equal(r.msg[0].stage, SEND_STAGE_GREETING);
	assert_string_equal(r.msg[0].text, "timeout during greeting");
	smtpc_free(r.c);
	fake_stop(&f);
	event_base_free(base);
}

static void
drop_after_the_dot_is_unknown(void **state)
{
	static const struct fake_step script[] = {
	    GREET,
	    EHLO_PLAIN,
	    {"MAIL FROM:<sender@example.com>", "250 ok\r\n", 0},
	    {"RCPT TO:<a@example.org>", "250 ok\r\n", 0},
	    {"DATA", "354 go\r\n", F_BODY},
	    {"<dot>", NULL, F_CLOSE}};
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct fake f;
	struct run r = {0};

	fake_start(&f, base, script, N(script));
	prov_init(&prov, f.port);
	assert_int_equal(run_msgs(&r, base, &prov, NULL, &msg1, 1), 1);
	assert_int_equal(r.msg[0].class, SEND_UNKNOWN);
	assert_int_equal(r.msg[0].stage, SEND_STAGE_DOT);
	assert_int_equal(r.rcpt[0][0].class, SEND_UNKNOWN);
	smtpc_free(r.c);
	fake_stop(&f);
	event_base_free(base);
}

static void
timeout_after_the_dot_is_unknown(void **state)
{
	static const struct fake_step script[] = {
	    GREET,
	    EHLO_PLAIN,
	    {"MAIL FROM:<sender@example.com>", "250 ok\r\n", 0},
	    {"RCPT TO:<a@example.org>", "250 ok\r\n", 0},
	    {"DATA", "354 go\r\n", F_BODY},
	    {"<dot>", NULL, F_HANG}};
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct fake f;
	struct run r = {0};

	fake_start(&f, base, script, N(script));
	prov_init(&prov, f.port);
	prov.data_timeout_ms = 200;
	assert_int_equal(run_msgs(&r, base, &prov, NULL, &msg1, 1), 1);
	assert_int_equal(r.msg[0].class, SEND_UNKNOWN);
	assert_string_equal(r.msg[0].text, "timeout during dot");
	smtpc_free(r.c);
	fake_stop(&f);
	event_base_free(base);
}

/* hostile_reply_fails_cleanly - a reply built by fill, sent to EHLO. */
static void
hostile_reply_fails_cleanly(struct buf *reply, const char *want_text)
{
	struct fake_step script[] = {GREET, {"EHLO", NULL, 0}};
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct fake f;
	struct run r = {0};

	script[1].reply = buf_cstr(reply);
	fake_start(&f, base, script, N(script));
	prov_init(&prov, f.port);
	assert_int_equal(run_msgs(&r, base, &prov, NULL, &msg1, 1), 1);
	assert_int_equal(r.msg[0].class, SEND_DEFERRED);
	assert_int_equal(r.msg[0].stage, SEND_STAGE_EHLO);
	assert_string_equal(r.msg[0].text, want_text);
	assert_false(smtpc_connected(r.c));
	smtpc_free(r.c);
	fake_stop(&f);
	event_base_free(base);
}

static void
ten_thousand_line_reply_fails_cleanly(void **state)
{
	struct buf b;
	int i;

	buf_init(&b);
	for (i = 0; i < 10000; i++)
		buf_addstr(&b, "250-PIPELINING\r\n");
	buf_addstr(&b, "250 OK\r\n");
	hostile_reply_fails_cleanly(&b, "bad reply: reply has too many lines");
	buf_fini(&b);
}

static void
hundred_kb_reply_line_fails_cleanly(void **state)
{
	struct buf b;
	int i;

	buf_init(&b);
	buf_addstr(&b, "250 ");
	for (i = 0; i < 100 * 1024; i++)
		buf_addch(&b, 'A');
	buf_addstr(&b, "\r\n");
	hostile_reply_fails_cleanly(&b, "bad reply: reply line too long");
	buf_fini(&b);
}

static void
body_is_dot_stuffed_with_crlf_on_the_wire(void **state)
{
	static const struct fake_step script[] = {
	    GREET,
	    EHLO_PLAIN,
	    {"MAIL FROM:<>", "250 ok\r\n", 0},
	    {"RCPT TO:<a@example.org>", "250 ok\r\n", 0},
	    {"DATA", "354 go\r\n", F_BODY},
	    {"<dot>", "250 ok\r\n", 0}};
	static const char body[] = ".starts with a dot\r\n"
	                           "bare\nlf\rcr\r\n"
	                           "..two dots\r\n"
	                           ".\r\n"
	                           "no final newline";
	static const char wire[] = "..starts with a dot\r\n"
	                           "bare\r\nlf\r\ncr\r\n"
	                           "...two dots\r\n"
	                           "..\r\n"
	                           "no final newline\r\n.\r\n";
	const struct smtpc_msg m = MSG("", rcpts1, 1, BODY(body));
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct fake f;
	struct run r = {0};

	fake_start(&f, base, script, N(script));
	prov_init(&prov, f.port);
	assert_int_equal(run_msgs(&r, base, &prov, NULL, &m, 1), 1);
	assert_int_equal(r.msg[0].class, SEND_ACCEPTED);
	assert_int_equal(f.body.len, sizeof(wire) - 1);
	assert_memory_equal(f.body.p, wire, sizeof(wire) - 1);
	smtpc_free(r.c);
	fake_stop(&f);
	event_base_free(base);
}

/* Header lines given apart (a relay's meta header) go before the body
 * as they are, counted in SIZE; the body is not touched. */
static void
head_lines_go_before_the_body_unchanged(void **state)
{
	static const struct fake_step script[] = {
	    GREET,
	    EHLO_PIPE,
	    {"MAIL FROM:<sender@example.com> SIZE=38", "250 ok\r\n", 0},
	    {"RCPT TO:<a@example.org>", "250 ok\r\n", 0},
	    {"DATA", "354 go\r\n", F_BODY},
	    {"<dot>", "250 ok\r\n", 0}};
	static const char head[] = "X-Meta: abc\r\n def\r\n";
	static const char body[] = "Subject: x\r\n\r\n.hi\r\n";
	static const char wire[] = "X-Meta: abc\r\n def\r\n"
	                           "Subject: x\r\n\r\n..hi\r\n.\r\n";
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct fake f;
	struct run r = {0};
	struct smtpc_msg m = msg1;

	(void)state;
	m.body = (struct str){body, sizeof(body) - 1};
	m.head = (struct str){head, sizeof(head) - 1};
	fake_start(&f, base, script, N(script));
	prov_init(&prov, f.port);
	assert_int_equal(run_msgs(&r, base, &prov, NULL, &m, 1), 1);
	assert_int_equal(r.msg[0].class, SEND_ACCEPTED);
	assert_int_equal(f.body.len, sizeof(wire) - 1);
	assert_memory_equal(f.body.p, wire, sizeof(wire) - 1);
	smtpc_free(r.c);
	fake_stop(&f);
	event_base_free(base);
}

static const char *const rcpts_utf8[] = {"用户@example.net"};

/* The rest of a plain transaction for rcpts1, every reply 2xx/354. */
#define RCPT_DATA_DOT_OK                                                       \
	{"RCPT TO:<a@example.org>", "250 ok\r\n", 0},                          \
	    {"DATA", "354 go\r\n", F_BODY},                                    \
	{                                                                      \
		"<dot>", "250 ok\r\n", 0                                       \
	}

/* One scripted session: the loop, the fake server and the outcomes. */
struct scripted {
	struct event_base *base;
	struct fake f;
	struct run r;
};

/* scripted_run - send msgs[0..n) to a fake server playing script;
 * returns the messages done. End with scripted_end. */
static size_t
scripted_run(struct scripted *sc, const struct fake_step *script,
             size_t n_steps, const struct smtpc_msg *msgs, size_t n)
{
	struct smtpc_params prov;

	memset(sc, 0, sizeof(*sc));
	sc->base = event_base_new();
	fake_start(&sc->f, sc->base, script, n_steps);
	prov_init(&prov, sc->f.port);
	return run_msgs(&sc->r, sc->base, &prov, NULL, msgs, n);
}

static void
scripted_end(struct scripted *sc)
{
	smtpc_free(sc->r.c);
	fake_stop(&sc->f);
	event_base_free(sc->base);
}

static void
utf8_recipient_goes_with_smtputf8_and_8bitmime_when_offered(void **state)
{
	static const struct fake_step script[] = {
	    GREET,
	    {"EHLO client.test",
	     "250-fake\r\n250-SIZE 1000\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
	     0},
	    {"MAIL FROM:<sender@example.com> SIZE=23 BODY=8BITMIME SMTPUTF8",
	     "250 ok\r\n", 0},
	    {"RCPT TO:<用户@example.net>", "250 ok\r\n", 0},
	    {"DATA", "354 go\r\n", F_BODY},
	    {"<dot>", "250 ok\r\n", 0}};
	struct smtpc_msg m =
	    MSG("sender@example.com", rcpts_utf8, 1,
	        BODY("Subject: hi\r\n\r\nGr\xc3\xbc\xc3\x9f\r\n"));
	struct scripted sc;

	m.smtputf8 = true;
	m.eightbit = true;
	assert_int_equal(scripted_run(&sc, script, N(script), &m, 1), 1);
	assert_string_equal(sc.f.error, "");
	assert_int_equal(sc.r.msg[0].class, SEND_ACCEPTED);
	assert_non_null(
	    strstr(buf_cstr(&sc.f.wire), "BODY=8BITMIME SMTPUTF8\n"));
	scripted_end(&sc);
}

/* The message needing SMTPUTF8 gets no command at all; the session stays
 * up and the next (ASCII) message goes out on it. */
static void
smtputf8_not_offered_is_deferred_before_mail(void **state)
{
	static const struct fake_step script[] = {
	    GREET,
	    {"EHLO client.test", "250-fake\r\n250 8BITMIME\r\n", 0},
	    {"MAIL FROM:<sender@example.com>", "250 ok\r\n", 0},
	    RCPT_DATA_DOT_OK};
	struct smtpc_msg m[2] = {MSG("sender@example.com", rcpts_utf8, 1,
	                             BODY("Subject: hi\r\n\r\nhello\r\n")),
	                         msg1};
	struct scripted sc;

	m[0].smtputf8 = true;
	assert_int_equal(scripted_run(&sc, script, N(script), m, 2), 2);
	assert_string_equal(sc.f.error, "");
	assert_int_equal(sc.r.msg[0].class, SEND_DEFERRED);
	assert_int_equal(sc.r.msg[0].stage, SEND_STAGE_MAIL);
	assert_int_equal(sc.r.msg[0].smtp_code, 0);
	assert_string_equal(sc.r.msg[0].text,
	                    "upstream does not offer SMTPUTF8");
	assert_int_equal(sc.r.rcpt[0][0].class, SEND_DEFERRED);
	assert_int_equal(sc.r.msg[1].class, SEND_ACCEPTED);
	assert_int_equal(sc.f.n_conns, 1);
	assert_null(strstr(buf_cstr(&sc.f.wire), "用户"));
	assert_non_null(
	    strstr(buf_cstr(&sc.f.wire), "MAIL FROM:<sender@example.com>\n"));
	scripted_end(&sc);
}

struct dg_arg {
	const char *body;
	int calls;
};

/* dg_fixed - a downgrade that hands out a fixed 7-bit body, or fails. */
static int
dg_fixed(void *arg, struct str *body, char *why, size_t whylen)
{
	struct dg_arg *a = arg;

	a->calls++;
	if (a->body == NULL) {
		snprintf(why, whylen, "no way");
		return -1;
	}
	body->p = a->body;
	body->len = strlen(a->body);
	return 0;
}

static void
eightbit_without_8bitmime_sends_the_7bit_form(void **state)
{
	static const struct fake_step script[] = {
	    GREET,
	    {"EHLO client.test", "250-fake\r\n250 SIZE 1000\r\n", 0},
	    {"MAIL FROM:<sender@example.com> SIZE=", "250 ok\r\n", 0},
	    RCPT_DATA_DOT_OK};
	static const char seven[] =
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n=FC\r\n";
	struct dg_arg dg = {seven, 0};
	char mail[64];
	struct smtpc_msg m = MSG("sender@example.com", rcpts1, 1,
	                         BODY("Subject: x\r\n\r\n\xfc\r\n"));
	struct scripted sc;

	m.eightbit = true;
	m.downgrade = dg_fixed;
	m.downgrade_arg = &dg;
	assert_int_equal(scripted_run(&sc, script, N(script), &m, 1), 1);
	assert_string_equal(sc.f.error, "");
	assert_int_equal(sc.r.msg[0].class, SEND_ACCEPTED);
	assert_int_equal(dg.calls, 1);
	assert_int_equal(sc.f.body.len, sizeof(seven) - 1 + 3);
	assert_memory_equal(sc.f.body.p, seven, sizeof(seven) - 1);
	/* SIZE is the 7-bit form's, and no BODY=8BITMIME. */
	snprintf(mail, sizeof(mail),
	         "MAIL FROM:<sender@example.com> SIZE=%zu\n",
	         sizeof(seven) - 1);
	assert_non_null(strstr(buf_cstr(&sc.f.wire), mail));
	scripted_end(&sc);
}

static void
eightbit_without_8bitmime_and_no_7bit_form_is_deferred(void **state)
{
	static const struct fake_step script[] = {
	    GREET, {"EHLO client.test", "250 fake\r\n", 0}};
	struct dg_arg dg = {NULL, 0};
	struct smtpc_msg m = MSG("sender@example.com", rcpts1, 1,
	                         BODY("Subject: x\r\n\r\n\xfc\r\n"));
	struct scripted sc;

	m.eightbit = true;
	m.downgrade = dg_fixed;
	m.downgrade_arg = &dg;
	assert_int_equal(scripted_run(&sc, script, N(script), &m, 1), 1);
	assert_int_equal(sc.r.msg[0].class, SEND_DEFERRED);
	assert_int_equal(sc.r.msg[0].stage, SEND_STAGE_MAIL);
	assert_string_equal(sc.r.msg[0].text,
	                    "upstream does not offer 8BITMIME and the message "
	                    "cannot be made 7-bit: no way");
	assert_null(strstr(buf_cstr(&sc.f.wire), "MAIL"));
	scripted_end(&sc);
}

static void
large_body_streams_intact(void **state)
{
	static const struct fake_step script[] = {
	    GREET,
	    EHLO_PIPE,
	    {"MAIL FROM:<sender@example.com> SIZE=3000000", "250 ok\r\n", 0},
	    RCPT_DATA_DOT_OK};
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct fake f;
	struct run r = {0};
	struct smtpc_msg m = msg1;
	char *body = malloc(3000000);
	size_t i;

	for (i = 0; i < 3000000; i++)
		body[i] = (i % 100 == 98) ? '\r' : (i % 100 == 99) ? '\n' : 'x';
	m.body.p = body;
	m.body.len = 3000000;
	fake_start(&f, base, script, N(script));
	prov_init(&prov, f.port);
	assert_int_equal(run_msgs(&r, base, &prov, NULL, &m, 1), 1);
	assert_int_equal(r.msg[0].class, SEND_ACCEPTED);
	assert_int_equal(f.body.len, 3000000 + 3);
	assert_memory_equal(f.body.p, body, 3000000);
	free(body);
	smtpc_free(r.c);
	fake_stop(&f);
	event_base_free(base);
}

static void
starttls_required_but_not_offered_sends_no_mail(void **state)
{
	static const struct fake_step script[] = {GREET, EHLO_PIPE};
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct fake f;
	struct run r = {0};

	fake_start(&f, base, script, N(script));
	prov_init(&prov, f.port);
	prov.tls = SMTPC_TLS_STARTTLS;
	prov.username = "user";
	prov.password = "secret";
	assert_int_equal(run_msgs(&r, base, &prov, NULL, &msg1, 1), 1);
	assert_int_equal(r.msg[0].class, SEND_DEFERRED);
	assert_int_equal(r.msg[0].stage, SEND_STAGE_STARTTLS);
	assert_string_equal(r.msg[0].text, "STARTTLS required but not offered");
	assert_null(strstr(buf_cstr(&f.wire), "MAIL"));
	assert_null(strstr(buf_cstr(&f.wire), "AUTH"));
	smtpc_free(r.c);
	fake_stop(&f);
	event_base_free(base);
}

static void
starttls_then_auth_plain_with_verified_certificate(void **state)
{
	static const struct fake_step script[] = {
	    GREET,
	    {"EHLO client.test",
	     "250-fake\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n", 0},
	    {"STARTTLS", "220 go ahead\r\n", F_TLS},
	    {"EHLO client.test",
	     "250-fake\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN\r\n", 0},
	    /* base64("\0user\0secret") */
	    {"AUTH PLAIN AHVzZXIAc2VjcmV0", "235 2.7.0 ok\r\n", 0},
	    {"MAIL FROM:<sender@example.com>", "250 ok\r\n", 0},
	    RCPT_DATA_DOT_OK};
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct fake f;
	struct run r = {0};
	struct cert cert;
	SSL_CTX *cctx;
	const char *wire, *tls;

	cert_make(&cert);
	fake_start(&f, base, script, N(script));
	f.tls = cert_server_ctx(&cert);
	cctx = cert_client_ctx(&cert);
	prov_init(&prov, f.port);
	prov.tls = SMTPC_TLS_STARTTLS;
	prov.username = "user";
	prov.password = "secret";
	assert_int_equal(run_msgs(&r, base, &prov, cctx, &msg1, 1), 1);
	assert_string_equal(f.error, "");
	assert_int_equal(r.msg[0].class, SEND_ACCEPTED);
	wire = buf_cstr(&f.wire);
	tls = strstr(wire, "<tls>");
	assert_non_null(tls);
	assert_true(strstr(wire, "AUTH") > tls);
	smtpc_free(r.c);
	SSL_CTX_free(cctx);
	fake_stop(&f);
	cert_free(&cert);
	event_base_free(base);
}

static void
untrusted_certificate_is_deferred(void **state)
{
	static const struct fake_step script[] = {
	    GREET,
	    {"EHLO client.test", "250-fake\r\n250 STARTTLS\r\n", 0},
	    {"STARTTLS", "220 go ahead\r\n", F_TLS}};
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct fake f;
	struct run r = {0};
	struct cert cert;
	SSL_CTX *cctx;

	cert_make(&cert);
	fake_start(&f, base, script, N(script));
	f.tls = cert_server_ctx(&cert);
	cctx = cert_client_ctx(NULL);
	prov_init(&prov, f.port);
	prov.tls = SMTPC_TLS_STARTTLS;
	assert_int_equal(run_msgs(&r, base, &prov, cctx, &msg1, 1), 1);
	assert_int_equal(r.msg[0].class, SEND_DEFERRED);
	assert_int_equal(r.msg[0].stage, SEND_STAGE_STARTTLS);
	assert_non_null(strstr(r.msg[0].text, "certificate verify failed"));
	assert_null(strstr(buf_cstr(&f.wire), "MAIL"));
	smtpc_free(r.c);
	SSL_CTX_free(cctx);
	fake_stop(&f);
	cert_free(&cert);
	event_base_free(base);
}

static void
tls_verify_false_accepts_untrusted_certificate(void **state)
{
	static const struct fake_step script[] = {
	    {"<connect>", "220 fake ESMTP\r\n", F_TLS},
	    EHLO_PLAIN,
	    {"MAIL FROM:<sender@example.com>", "250 ok\r\n", 0},
	    RCPT_DATA_DOT_OK};
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct fake f;
	struct run r = {0};
	struct cert cert;
	SSL_CTX *cctx;

	/* Implicit TLS (port 465 style), no trust, verification off. */
	cert_make(&cert);
	fake_start(&f, base, script, N(script));
	f.tls = cert_server_ctx(&cert);
	cctx = cert_client_ctx(NULL);
	prov_init(&prov, f.port);
	prov.tls = SMTPC_TLS_TLS;
	prov.tls_verify = false;
	assert_int_equal(run_msgs(&r, base, &prov, cctx, &msg1, 1), 1);
	assert_string_equal(f.error, "");
	assert_int_equal(r.msg[0].class, SEND_ACCEPTED);
	smtpc_free(r.c);
	SSL_CTX_free(cctx);
	fake_stop(&f);
	cert_free(&cert);
	event_base_free(base);
}

static void
auth_login_535_is_config(void **state)
{
	static const struct fake_step script[] = {
	    GREET,
	    {"EHLO client.test", "250-fake\r\n250 AUTH LOGIN\r\n", 0},
	    {"AUTH LOGIN", "334 VXNlcm5hbWU6\r\n", 0},
	    {"dXNlcg==", "334 UGFzc3dvcmQ6\r\n", 0},
	    {"c2VjcmV0", "535 5.7.8 Authentication credentials invalid\r\n",
	     0}};
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct fake f;
	struct run r = {0};

	fake_start(&f, base, script, N(script));
	prov_init(&prov, f.port);
	prov.username = "user";
	prov.password = "secret";
	assert_int_equal(run_msgs(&r, base, &prov, NULL, &msg1, 1), 1);
	assert_string_equal(f.error, "");
	assert_int_equal(r.msg[0].class, SEND_CONFIG);
	assert_int_equal(r.msg[0].stage, SEND_STAGE_AUTH);
	assert_int_equal(r.msg[0].smtp_code, 535);
	smtpc_free(r.c);
	fake_stop(&f);
	event_base_free(base);
}

static void
ehlo_5xx_falls_back_to_helo(void **state)
{
	static const struct fake_step script2[] = {
	    GREET,
	    {"EHLO client.test", "502 5.5.2 what?\r\n", 0},
	    {"HELO client.test", "250 fake\r\n", 0},
	    {"MAIL FROM:<sender@example.com>", "250 ok\r\n", 0},
	    RCPT_DATA_DOT_OK};
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct fake f;
	struct run r = {0};

	fake_start(&f, base, script2, N(script2));
	prov_init(&prov, f.port);
	assert_int_equal(run_msgs(&r, base, &prov, NULL, &msg1, 1), 1);
	assert_string_equal(f.error, "");
	assert_int_equal(r.msg[0].class, SEND_ACCEPTED);
	/* No SIZE offered, so none sent. */
	assert_null(strstr(buf_cstr(&f.wire), "SIZE="));
	smtpc_free(r.c);
	fake_stop(&f);
	event_base_free(base);
}

static void
mail_5_7_x_is_config_and_next_message_resets(void **state)
{
	static const struct fake_step script[] = {
	    GREET,
	    EHLO_PLAIN,
	    {"MAIL FROM:<sender@example.com>",
	     "550 5.7.1 Sender not allowed\r\n", 0},
	    {"RSET", "250 ok\r\n", 0},
	    {"MAIL FROM:<sender@example.com>", "250 ok\r\n", 0},
	    RCPT_DATA_DOT_OK};
	const struct smtpc_msg msgs[2] = {msg1, msg1};
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct fake f;
	struct run r = {0};

	fake_start(&f, base, script, N(script));
	prov_init(&prov, f.port);
	assert_int_equal(run_msgs(&r, base, &prov, NULL, msgs, 2), 2);
	assert_string_equal(f.error, "");
	assert_int_equal(r.msg[0].class, SEND_CONFIG);
	assert_int_equal(r.msg[0].stage, SEND_STAGE_MAIL);
	assert_int_equal(r.rcpt[0][0].class, SEND_CONFIG);
	assert_int_equal(r.msg[1].class, SEND_ACCEPTED);
	smtpc_free(r.c);
	fake_stop(&f);
	event_base_free(base);
}

static void
pipelined_all_rcpts_rejected_then_reset(void **state)
{
	static const struct fake_step script[] = {
	    GREET,
	    EHLO_PIPE,
	    {"MAIL FROM:", "250 ok\r\n", F_HOLD},
	    {"RCPT TO:<a@example.org>", "550 5.1.1 no a\r\n", F_HOLD},
	    {"RCPT TO:<b@example.org>", "452 4.2.2 mailbox full\r\n", F_HOLD},
	    {"DATA", "554 5.5.1 no valid recipients\r\n", 0},
	    {"RSET", "250 ok\r\n", F_HOLD},
	    {"MAIL FROM:", "250 ok\r\n", F_HOLD},
	    {"RCPT TO:<a@example.org>", "250 ok\r\n", F_HOLD},
	    {"DATA", "354 go\r\n", F_BODY},
	    {"<dot>", "250 ok\r\n", 0}};
	const struct smtpc_msg msgs[2] = {msg2, msg1};
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct fake f;
	struct run r = {0};

	fake_start(&f, base, script, N(script));
	prov_init(&prov, f.port);
	assert_int_equal(run_msgs(&r, base, &prov, NULL, msgs, 2), 2);
	assert_string_equal(f.error, "");
	/* The message is as good as its most hopeful recipient. */
	assert_int_equal(r.msg[0].class, SEND_DEFERRED);
	assert_int_equal(r.msg[0].smtp_code, 452);
	assert_int_equal(r.rcpt[0][0].class, SEND_REJECTED);
	assert_int_equal(r.rcpt[0][1].class, SEND_DEFERRED);
	assert_int_equal(r.n_accepted[0], 0);
	assert_int_equal(r.msg[1].class, SEND_ACCEPTED);
	smtpc_free(r.c);
	fake_stop(&f);
	event_base_free(base);
}

/*
 * A reply that arrives before the command it would answer was sent is a
 * protocol error: the attempt is deferred at the stage whose reply came
 * with the extra bytes, and never accepted. Each script would deliver the
 * message to a client that took the early bytes as the answer.
 */
static void
reply_before_its_command_is_deferred(void **state)
{
	static const struct fake_step at_dot[] = {
	    GREET,
	    EHLO_PLAIN,
	    {"MAIL FROM:<sender@example.com>", "250 ok\r\n", 0},
	    {"RCPT TO:<a@example.org>", "250 ok\r\n", 0},
	    {"DATA", "354 go\r\n250 2.0.0 queued early\r\n", F_BODY},
	    {"<dot>", NULL, 0}};
	static const struct fake_step at_ehlo[] = {
	    {"<connect>", "220 fake\r\n250 fake\r\n", 0},
	    {"EHLO client.test", NULL, 0},
	    {"MAIL FROM:<sender@example.com>", "250 ok\r\n", 0},
	    {"RCPT TO:<a@example.org>", "250 ok\r\n", 0},
	    {"DATA", "354 go\r\n", F_BODY},
	    {"<dot>", "250 2.0.0 queued\r\n", 0}};
	static const struct fake_step at_rcpt[] = {
	    GREET,
	    EHLO_PLAIN,
	    {"MAIL FROM:<sender@example.com>", "250 ok\r\n250 ok\r\n", 0},
	    {"RCPT TO:<a@example.org>", NULL, 0},
	    {"DATA", "354 go\r\n", F_BODY},
	    {"<dot>", "250 2.0.0 queued\r\n", 0}};
	static const struct {
		const struct fake_step *script;
		size_t n;
		enum send_stage stage;
	} cases[] = {
	    {at_dot, N(at_dot), SEND_STAGE_DATA},
	    {at_ehlo, N(at_ehlo), SEND_STAGE_GREETING},
	    {at_rcpt, N(at_rcpt), SEND_STAGE_MAIL},
	};
	size_t i;

	for (i = 0; i < N(cases); i++) {
		struct event_base *base = event_base_new();
		struct smtpc_params prov;
		struct fake f;
		struct run r = {0};

		fake_start(&f, base, cases[i].script, cases[i].n);
		prov_init(&prov, f.port);
		assert_int_equal(run_msgs(&r, base, &prov, NULL, &msg1, 1), 1);
		if (r.msg[0].class != SEND_DEFERRED)
			fail_msg("case %zu: class %s", i,
			         send_class_name(r.msg[0].class));
		assert_int_equal(r.msg[0].stage, cases[i].stage);
		assert_string_equal(r.msg[0].text,
		                    "reply before its command was sent");
		assert_int_equal(r.n_accepted[0], 0);
		assert_int_equal(r.rcpt[0][0].class, SEND_DEFERRED);
		smtpc_free(r.c);
		fake_stop(&f);
		event_base_free(base);
	}
}

static void
max_msgs_per_conn_quits_and_reconnects(void **state)
{
	static const struct fake_step script[] = {
	    GREET,
	    EHLO_PIPE,
	    TXN_PIPE("A"),
	    TXN_PIPE("B"),
	    {"QUIT", "221 bye\r\n", F_CLOSE},
	    GREET,
	    EHLO_PIPE,
	    TXN_PIPE("C")};
	const struct smtpc_msg msgs[3] = {msg2, msg2, msg2};
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct fake f;
	struct run r = {0};

	fake_start(&f, base, script, N(script));
	prov_init(&prov, f.port);
	prov.max_msgs_per_conn = 2;
	assert_int_equal(run_msgs(&r, base, &prov, NULL, msgs, 3), 3);
	assert_string_equal(f.error, "");
	assert_int_equal(f.n_conns, 2);
	assert_string_equal(r.msg[2].provider_msg_id, "C");
	assert_int_equal(r.msg[2].class, SEND_ACCEPTED);
	smtpc_free(r.c);
	fake_stop(&f);
	event_base_free(base);
}

static void
reused_connection_closed_by_server_reconnects(void **state)
{
	static const struct fake_step script[] = {
	    GREET,
	    EHLO_PLAIN,
	    {"MAIL FROM:<sender@example.com>", "250 ok\r\n", 0},
	    {"RCPT TO:<a@example.org>", "250 ok\r\n", 0},
	    {"DATA", "354 go\r\n", F_BODY},
	    {"<dot>", "250 ok\r\n", 0},
	    /* The server timed the idle session out just as we spoke. */
	    {"MAIL FROM:<sender@example.com>", NULL, F_CLOSE},
	    GREET,
	    EHLO_PLAIN,
	    {"MAIL FROM:<sender@example.com>", "250 ok\r\n", 0},
	    {"RCPT TO:<a@example.org>", "250 ok\r\n", 0},
	    {"DATA", "354 go\r\n", F_BODY},
	    {"<dot>", "250 ok id=X2\r\n", 0},
	    /* A 421 to MAIL on a reused session: the same. */
	    {"MAIL FROM:<sender@example.com>", "421 4.4.2 idle timeout\r\n",
	     F_CLOSE},
	    GREET,
	    EHLO_PLAIN,
	    {"MAIL FROM:<sender@example.com>", "421 4.3.2 shutting down\r\n",
	     F_CLOSE}};
	const struct smtpc_msg msgs[3] = {msg1, msg1, msg1};
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct fake f;
	struct run r = {0};

	fake_start(&f, base, script, N(script));
	prov_init(&prov, f.port);
	assert_int_equal(run_msgs(&r, base, &prov, NULL, msgs, 3), 3);
	assert_string_equal(f.error, "");
	assert_int_equal(r.msg[0].class, SEND_ACCEPTED);
	assert_int_equal(r.msg[1].class, SEND_ACCEPTED);
	assert_string_equal(r.msg[1].provider_msg_id, "X2");
	/* On a fresh connection a 421 is an answer: deferred, no loop. */
	assert_int_equal(r.msg[2].class, SEND_DEFERRED);
	assert_int_equal(r.msg[2].stage, SEND_STAGE_MAIL);
	assert_int_equal(r.msg[2].smtp_code, 421);
	assert_int_equal(f.n_conns, 3);
	smtpc_free(r.c);
	fake_stop(&f);
	event_base_free(base);
}

static void
send_refuses_bad_input_and_second_message(void **state)
{
	static const char *const bad_rcpt[] = {"a@b>\r\nRSET"};
	const struct smtpc_msg bad1 = MSG("s@x", bad_rcpt, 1, BODY("x"));
	const struct smtpc_msg bad2 = MSG("s@x\n", rcpts1, 1, BODY("x"));
	const struct smtpc_msg none = MSG("s@x", rcpts1, 0, BODY("x"));
	static const struct fake_step script[] = {{"<connect>", NULL, F_HANG}};
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct smtpc_opts o = {base, &prov, NULL, NULL};
	struct fake f;
	struct smtpc *c;
	struct run r = {0};

	fake_start(&f, base, script, N(script));
	prov_init(&prov, f.port);
	c = smtpc_new(&o);
	assert_int_equal(smtpc_send(c, &bad1, run_done, &r), -EINVAL);
	assert_int_equal(smtpc_send(c, &bad2, run_done, &r), -EINVAL);
	assert_int_equal(smtpc_send(c, &none, run_done, &r), -EINVAL);
	assert_true(smtpc_idle(c));
	assert_int_equal(smtpc_send(c, &msg1, run_done, &r), 0);
	assert_int_equal(smtpc_send(c, &msg1, run_done, &r), -EBUSY);
	/* Freed with a connect in flight: no callback, nothing leaks. */
	run_loop(base, 100);
	smtpc_free(c);
	run_loop(base, 50);
	assert_int_equal(r.n_done, 0);
	fake_stop(&f);
	event_base_free(base);
}

static void
free_from_inside_the_callback_is_safe(void **state)
{
	static const struct fake_step script[] = {
	    {"<connect>", "554 go away\r\n", 0}};
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct fake f;
	struct run r = {0};

	fake_start(&f, base, script, N(script));
	prov_init(&prov, f.port);
	r.free_in_cb = true;
	assert_int_equal(run_msgs(&r, base, &prov, NULL, &msg1, 1), 1);
	assert_null(r.c);
	assert_int_equal(r.msg[0].class, SEND_DEFERRED);
	assert_int_equal(r.msg[0].stage, SEND_STAGE_GREETING);
	run_loop(base, 50);
	fake_stop(&f);
	event_base_free(base);
}

static void
refused_connect_never_calls_back_from_send(void **state)
{
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct run r = {0};

	/* Port 1 on loopback: refused at once; the callback must wait. */
	prov_init(&prov, 1);
	assert_int_equal(run_msgs(&r, base, &prov, NULL, &msg1, 1), 1);
	assert_false(r.cb_in_send);
	assert_int_equal(r.msg[0].class, SEND_DEFERRED);
	smtpc_free(r.c);
	event_base_free(base);
}

static void
host_name_is_resolved_without_blocking(void **state)
{
	static const struct fake_step script[] = {
	    GREET,
	    EHLO_PLAIN,
	    {"MAIL FROM:<sender@example.com>", "250 ok\r\n", 0},
	    RCPT_DATA_DOT_OK};
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct fake f;
	struct run r = {0};

	fake_start(&f, base, script, N(script));
	prov_init(&prov, f.port);
	prov.host = "localhost"; /* from /etc/hosts via evdns */
	assert_int_equal(run_msgs(&r, base, &prov, NULL, &msg1, 1), 1);
	/* localhost may give ::1 first: refused there, then 127.0.0.1. */
	assert_string_equal(r.msg[0].text, "ok");
	assert_int_equal(r.msg[0].class, SEND_ACCEPTED);
	smtpc_free(r.c);
	fake_stop(&f);
	event_base_free(base);
}

static void
unknown_host_is_deferred(void **state)
{
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct run r = {0};

	/* NXDOMAIN, or no answer within the connect timeout. */
	prov_init(&prov, 25);
	prov.host = "swerve-test.invalid";
	prov.connect_timeout_ms = 500;
	assert_int_equal(run_msgs(&r, base, &prov, NULL, &msg1, 1), 1);
	assert_int_equal(r.msg[0].class, SEND_DEFERRED);
	assert_int_equal(r.msg[0].stage, SEND_STAGE_CONNECT);
	print_message("%s\n", r.msg[0].text);
	smtpc_free(r.c);
	event_base_free(base);
}

static void
free_while_resolving_is_safe(void **state)
{
	struct event_base *base = event_base_new();
	struct smtpc_params prov;
	struct smtpc_opts o = {base, &prov, NULL, NULL};
	struct smtpc *c;
	struct run r = {0};

	/* Whatever the resolver does with this name, nobody hears of it. */
	prov_init(&prov, 25);
	prov.host = "swerve-test.invalid";
	c = smtpc_new(&o);
	assert_non_null(c);
	assert_int_equal(smtpc_send(c, &msg1, run_done, &r), 0);
	/* The query is out (or failed at once; then the outcome waits). */
	smtpc_free(c);
	run_loop(base, 50);
	assert_int_equal(r.n_done, 0);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        pipelining_reuses_one_connection_for_three_messages),
	    cmocka_unit_test(rcpt_550_fails_only_that_recipient),
	    cmocka_unit_test(code_451_at_dot_is_deferred_and_connection_reused),
	    cmocka_unit_test(greeting_421_is_deferred),
	    cmocka_unit_test(head_lines_go_before_the_body_unchanged),
	    cmocka_unit_test(connection_refused_is_deferred),
	    cmocka_unit_test(greeting_timeout_is_deferred),
	    cmocka_unit_test(drop_after_the_dot_is_unknown),
	    cmocka_unit_test(timeout_after_the_dot_is_unknown),
	    cmocka_unit_test(ten_thousand_line_reply_fails_cleanly),
	    cmocka_unit_test(hundred_kb_reply_line_fails_cleanly),
	    cmocka_unit_test(body_is_dot_stuffed_with_crlf_on_the_wire),
	    cmocka_unit_test(large_body_streams_intact),
	    cmocka_unit_test(
	        utf8_recipient_goes_with_smtputf8_and_8bitmime_when_offered),
	    cmocka_unit_test(smtputf8_not_offered_is_deferred_before_mail),
	    cmocka_unit_test(eightbit_without_8bitmime_sends_the_7bit_form),
	    cmocka_unit_test(
	        eightbit_without_8bitmime_and_no_7bit_form_is_deferred),
	    cmocka_unit_test(starttls_required_but_not_offered_sends_no_mail),
	    cmocka_unit_test(
	        starttls_then_auth_plain_with_verified_certificate),
	    cmocka_unit_test(untrusted_certificate_is_deferred),
	    cmocka_unit_test(tls_verify_false_accepts_untrusted_certificate),
	    cmocka_unit_test(auth_login_535_is_config),
	    cmocka_unit_test(ehlo_5xx_falls_back_to_helo),
	    cmocka_unit_test(mail_5_7_x_is_config_and_next_message_resets),
	    cmocka_unit_test(pipelined_all_rcpts_rejected_then_reset),
	    cmocka_unit_test(reply_before_its_command_is_deferred),
	    cmocka_unit_test(max_msgs_per_conn_quits_and_reconnects),
	    cmocka_unit_test(reused_connection_closed_by_server_reconnects),
	    cmocka_unit_test(send_refuses_bad_input_and_second_message),
	    cmocka_unit_test(free_from_inside_the_callback_is_safe),
	    cmocka_unit_test(refused_connect_never_calls_back_from_send),
	    cmocka_unit_test(host_name_is_resolved_without_blocking),
	    cmocka_unit_test(unknown_host_is_deferred),
	    cmocka_unit_test(free_while_resolving_is_safe),
	};

	/* As in swerved: a peer that hangs up must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
