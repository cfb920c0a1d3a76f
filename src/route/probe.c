/*
 * probe.c - active health probe of an SMTP provider: connect, greeting,
 * EHLO, STARTTLS (or implicit TLS), QUIT; no mail.
 *
 * One state machine per probe, driven by bufferevent callbacks and one
 * timer that bounds each wait with the provider's own timeouts. Replies go
 * through the strict, bounded parser of net/smtp_reply.c, so a hostile
 * server costs a few KB. The result is handed over from done_ev, an event
 * activated once the outcome is known, so the callback never runs inside
 * probe_smtp_start and the probe can free itself right after it.
 *
 * Written beside net/smtpc.c rather than inside it: smtpc is a delivery
 * slot whose session exists to carry mail, and a probe must not disturb
 * its pool or its counters. The connection steps are the same, and so are
 * their rules: never fall back to plaintext when STARTTLS is required,
 * refuse bytes that arrive between the 220 to STARTTLS and the handshake.
 *
 * Credentials are base64'd into short-lived buffers that are wiped after
 * use and never logged.
 *
 * Does not: send mail, retry, or judge the provider.
 */
#include "route/probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "core/base64.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "net/smtp_reply.h"

#define PROBE_QUIT_WAIT_MS 2000 /* most we wait for the 221 to QUIT */

enum probe_state {
	PROBE_STATE_RESOLVING,
	PROBE_STATE_CONNECTING, /* TCP (and implicit TLS) */
	PROBE_STATE_GREETING,
	PROBE_STATE_EHLO,
	PROBE_STATE_HELO,
	PROBE_STATE_STARTTLS,  /* waiting for 220 to STARTTLS */
	PROBE_STATE_HANDSHAKE, /* TLS handshake after STARTTLS */
	PROBE_STATE_AUTH,      /* AUTH PLAIN or LOGIN in progress */
	PROBE_STATE_QUIT,      /* outcome known; QUIT sent */
	PROBE_STATE_DONE,      /* outcome known; connection closed */
};

struct probe {
	struct event_base *base;
	const struct config_provider *prov;
	SSL_CTX *ssl_ctx;
	struct evdns_base *dns;
	bool own_dns;
	char *helo;
	probe_done_fn *cb;
	void *arg;

	enum probe_state state;
	struct bufferevent *bev;
	struct evdns_getaddrinfo_request *dns_req;
	struct evutil_addrinfo *ai_list, *ai_next;
	struct event *timer;
	struct event *done_ev;
	struct smtp_reply_parser parser;
	struct smtp_ehlo ext;
	bool tls_up;
	int auth_step; /* 334s answered; 2: the next reply is final */
	uint64_t start_ms;
	struct probe_result res;
};

static void probe_read_cb(struct bufferevent *bev, void *arg);
static void probe_event_cb(struct bufferevent *bev, short what, void *arg);

/* probe_now_ms - the monotonic clock in milliseconds. */
static uint64_t
probe_now_ms(void)
{
	return clock_mono_ms();
}

/* probe_timer_arm - (re)start the one timer: ms from now. */
static void
probe_timer_arm(struct probe *pr, uint64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	evtimer_add(pr->timer, &tv);
}

/* probe_stage - the stage a failure now would be reported at. */
static enum send_stage
probe_stage(const struct probe *pr)
{
	switch (pr->state) {
	case PROBE_STATE_RESOLVING:
	case PROBE_STATE_CONNECTING:
		return SEND_STAGE_CONNECT;
	case PROBE_STATE_GREETING:
		return SEND_STAGE_GREETING;
	case PROBE_STATE_EHLO:
	case PROBE_STATE_HELO:
		return SEND_STAGE_EHLO;
	case PROBE_STATE_STARTTLS:
	case PROBE_STATE_HANDSHAKE:
		return SEND_STAGE_STARTTLS;
	case PROBE_STATE_AUTH:
		return SEND_STAGE_AUTH;
	default:
		return SEND_STAGE_NONE;
	}
}

/* probe_state_wait - what we are waiting for, for timeout messages. */
static const char *
probe_state_wait(enum probe_state s)
{
	switch (s) {
	case PROBE_STATE_RESOLVING:
		return "DNS answer";
	case PROBE_STATE_CONNECTING:
		return "connection";
	case PROBE_STATE_GREETING:
		return "greeting";
	case PROBE_STATE_EHLO:
		return "reply to EHLO";
	case PROBE_STATE_HELO:
		return "reply to HELO";
	case PROBE_STATE_STARTTLS:
		return "reply to STARTTLS";
	case PROBE_STATE_HANDSHAKE:
		return "TLS handshake";
	case PROBE_STATE_AUTH:
		return "reply to AUTH";
	default:
		return "reply to QUIT";
	}
}

/* probe_close - drop the connection and any DNS lookup at once. */
static void
probe_close(struct probe *pr)
{
	if (pr->dns_req != NULL) {
		struct evdns_getaddrinfo_request *req = pr->dns_req;
		pr->dns_req = NULL;
		evdns_getaddrinfo_cancel(req);
	}
	if (pr->bev != NULL) {
		bufferevent_free(pr->bev);
		pr->bev = NULL;
	}
	if (pr->ai_list != NULL) {
		evutil_freeaddrinfo(pr->ai_list);
		pr->ai_list = pr->ai_next = NULL;
	}
	evtimer_del(pr->timer);
}

/* probe_destroy - release everything; cb does not run. */
static void
probe_destroy(struct probe *pr)
{
	probe_close(pr);
	event_free(pr->timer);
	event_free(pr->done_ev);
	if (pr->own_dns && pr->dns != NULL)
		evdns_base_free(pr->dns, 0);
	SSL_CTX_free(pr->ssl_ctx);
	free(pr->helo);
	free(pr);
}

/* probe_text_set - the result text, sanitised to printable ASCII. */
static void
probe_text_set(struct probe *pr, const char *text)
{
	size_t i, n = strlen(text);

	if (n >= sizeof(pr->res.text))
		n = sizeof(pr->res.text) - 1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		pr->res.text[i] = c >= 0x20 && c <= 0x7e ? (char)c : '?';
	}
	pr->res.text[n] = '\0';
}

/* probe_end - the connection is over: hand the result to the loop. */
static void
probe_end(struct probe *pr)
{
	probe_close(pr);
	pr->state = PROBE_STATE_DONE;
	event_active(pr->done_ev, EV_TIMEOUT, 1);
}

/*
 * probe_fail - the probe stopped here: r is the reply that ended it, or
 * NULL with a local reason in detail.
 */
static void
probe_fail(struct probe *pr, const struct smtp_reply *r, const char *detail)
{
	char text[PROBE_TEXT_SIZE];

	pr->res.ok = false;
	pr->res.stage = probe_stage(pr);
	pr->res.latency_ms = probe_now_ms() - pr->start_ms;
	if (r != NULL) {
		pr->res.smtp_code = r->code;
		snprintf(text, sizeof(text), "%d %s%s%.*s", r->code,
		         r->enhanced, r->enhanced[0] ? " " : "",
		         (int)(sizeof(text) - 32), r->text);
		probe_text_set(pr, text);
	} else {
		probe_text_set(pr, detail != NULL ? detail : "failed");
	}
	log_debug("probe %s: failed at %s: %s", pr->prov->name,
	          send_stage_name(pr->res.stage), pr->res.text);
	probe_end(pr);
}

/* probe_ok - the session is up: note it, then leave with QUIT. */
static void
probe_ok(struct probe *pr, const struct smtp_reply *r)
{
	pr->res.ok = true;
	pr->res.stage = SEND_STAGE_NONE;
	pr->res.smtp_code = r->code;
	pr->res.latency_ms = probe_now_ms() - pr->start_ms;
	probe_text_set(pr, r->text);
	evbuffer_add_printf(bufferevent_get_output(pr->bev), "QUIT\r\n");
	pr->state = PROBE_STATE_QUIT;
	probe_timer_arm(pr, pr->prov->command_timeout_ms < PROBE_QUIT_WAIT_MS
	                        ? pr->prov->command_timeout_ms
	                        : PROBE_QUIT_WAIT_MS);
}

/* probe_done_cb - done_ev: run the user's callback, then free. */
static void
probe_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct probe *pr = arg;

	pr->cb(&pr->res, pr->arg);
	probe_destroy(pr);
}

/* probe_ehlo_send - EHLO (or HELO), collecting extensions. */
static void
probe_ehlo_send(struct probe *pr, bool helo)
{
	memset(&pr->ext, 0, sizeof(pr->ext));
	evbuffer_add_printf(bufferevent_get_output(pr->bev), "%s %s\r\n",
	                    helo ? "HELO" : "EHLO", pr->helo);
	pr->state = helo ? PROBE_STATE_HELO : PROBE_STATE_EHLO;
	probe_timer_arm(pr, pr->prov->command_timeout_ms);
}

/* probe_line_cb - every reply line; EHLO lines name the extensions. */
static void
probe_line_cb(void *arg, unsigned index, const char *text, size_t len)
{
	struct probe *pr = arg;

	if (pr->state == PROBE_STATE_EHLO && index > 0)
		smtp_reply_ehlo_line(&pr->ext, text, len);
}

/* probe_host_numeric - true (and sa filled) if host is an IP literal. */
static bool
probe_host_numeric(const char *host, struct sockaddr_storage *ss,
                   socklen_t *len, uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return true;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return true;
	}
	return false;
}

/* probe_ssl_new - an SSL for the provider, verifying as configured. */
static SSL *
probe_ssl_new(struct probe *pr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const char *host = pr->prov->host;
	bool numeric = probe_host_numeric(host, &ss, &len, 0);
	SSL *ssl = SSL_new(pr->ssl_ctx);

	if (ssl == NULL)
		return NULL;
	if (!numeric)
		SSL_set_tlsext_host_name(ssl, host);
	if (!pr->prov->tls_verify) {
		SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
		return ssl;
	}
	SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
	if ((numeric &&
	     X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) != 1) ||
	    (!numeric && SSL_set1_host(ssl, host) != 1)) {
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

/* probe_bev_setup - callbacks and modes for a new bufferevent. */
static void
probe_bev_setup(struct probe *pr, struct bufferevent *bev)
{
	pr->bev = bev;
	bufferevent_setcb(bev, probe_read_cb, NULL, probe_event_cb, pr);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* probe_tls_start - wrap the connection in TLS after 220 to STARTTLS. */
static void
probe_tls_start(struct probe *pr)
{
	struct bufferevent *bev;
	SSL *ssl;

	/* Bytes already here came in plaintext: an injection attempt. */
	if (evbuffer_get_length(bufferevent_get_input(pr->bev)) > 0) {
		probe_fail(pr, NULL, "plaintext data after the STARTTLS reply");
		return;
	}
	ssl = probe_ssl_new(pr);
	if (ssl == NULL) {
		probe_fail(pr, NULL, "TLS: SSL_new failed");
		return;
	}
	bev = bufferevent_openssl_filter_new(
	    pr->base, pr->bev, ssl, BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL) {
		SSL_free(ssl);
		probe_fail(pr, NULL, "TLS: cannot make a filter");
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	probe_bev_setup(pr, bev);
	pr->state = PROBE_STATE_HANDSHAKE;
	probe_timer_arm(pr, pr->prov->command_timeout_ms);
}

/* probe_secret_line - send "prefix base64(p) CRLF", wiping copies. */
static void
probe_secret_line(struct probe *pr, const char *prefix, const void *p, size_t n)
{
	char *b64 = base64_encode_str(p, n);
	size_t blen = strlen(b64);

	evbuffer_add_printf(bufferevent_get_output(pr->bev), "%s%s\r\n", prefix,
	                    b64);
	OPENSSL_cleanse(b64, blen);
	free(b64);
}

/* probe_auth_start - AUTH PLAIN if offered, else LOGIN, else fail. */
static void
probe_auth_start(struct probe *pr)
{
	const char *user = pr->prov->username;
	const char *pass = pr->prov->password ? pr->prov->password : "";
	size_t ul = strlen(user), pl = strlen(pass);
	char *tok;

	pr->state = PROBE_STATE_AUTH;
	pr->auth_step = 0;
	if (pr->ext.auth_plain) {
		tok = xmalloc(ul + pl + 2);
		tok[0] = '\0';
		memcpy(tok + 1, user, ul);
		tok[ul + 1] = '\0';
		memcpy(tok + ul + 2, pass, pl);
		probe_secret_line(pr, "AUTH PLAIN ", tok, ul + pl + 2);
		OPENSSL_cleanse(tok, ul + pl + 2);
		free(tok);
		pr->auth_step = 2; /* the next reply is the last */
	} else if (pr->ext.auth_login) {
		evbuffer_add_printf(bufferevent_get_output(pr->bev),
		                    "AUTH LOGIN\r\n");
	} else {
		probe_fail(pr, NULL,
		           "credentials configured but the server offers no "
		           "AUTH PLAIN or LOGIN");
		return;
	}
	probe_timer_arm(pr, pr->prov->command_timeout_ms);
}

/* probe_auth_reply - one step of AUTH PLAIN or LOGIN. */
static void
probe_auth_reply(struct probe *pr, const struct smtp_reply *r)
{
	const char *pass = pr->prov->password ? pr->prov->password : "";

	if (r->code == 235 && pr->auth_step >= 2) {
		probe_ok(pr, r);
		return;
	}
	if (r->code != 334 || pr->auth_step >= 2) {
		probe_fail(pr, r, NULL);
		return;
	}
	/* AUTH LOGIN: 334 asks for the user name, then the password. */
	if (pr->auth_step == 0)
		probe_secret_line(pr, "", pr->prov->username,
		                  strlen(pr->prov->username));
	else
		probe_secret_line(pr, "", pass, strlen(pass));
	pr->auth_step++;
	probe_timer_arm(pr, pr->prov->command_timeout_ms);
}

/* probe_after_ehlo - a 2xx to EHLO/HELO: STARTTLS, AUTH, or done. */
static void
probe_after_ehlo(struct probe *pr, const struct smtp_reply *r)
{
	if (pr->prov->tls != CONFIG_TLS_STARTTLS || pr->tls_up) {
		/* Credentials go only over TLS, unless tls: none says so. */
		if (pr->prov->username != NULL)
			probe_auth_start(pr);
		else
			probe_ok(pr, r);
		return;
	}
	pr->state = PROBE_STATE_STARTTLS;
	if (!pr->ext.starttls) {
		/* Never go on in plaintext. */
		probe_fail(pr, NULL, "STARTTLS required but not offered");
		return;
	}
	evbuffer_add_printf(bufferevent_get_output(pr->bev), "STARTTLS\r\n");
	probe_timer_arm(pr, pr->prov->command_timeout_ms);
}

/* probe_reply - one complete reply, in the light of the state. */
static void
probe_reply(struct probe *pr, const struct smtp_reply *r)
{
	bool ok = r->code >= 200 && r->code < 300;

	if (pr->state == PROBE_STATE_QUIT) {
		probe_end(pr); /* 221 or not, we are leaving */
		return;
	}
	if (r->code == 421) {
		probe_fail(pr, r, NULL);
		return;
	}
	switch (pr->state) {
	case PROBE_STATE_GREETING:
		if (r->code != 220) {
			probe_fail(pr, r, NULL);
			return;
		}
		probe_ehlo_send(pr, false);
		break;
	case PROBE_STATE_EHLO:
		if (ok)
			probe_after_ehlo(pr, r);
		else if (r->code >= 500 && !pr->tls_up &&
		         pr->prov->tls != CONFIG_TLS_STARTTLS)
			probe_ehlo_send(pr, true);
		else
			probe_fail(pr, r, NULL);
		break;
	case PROBE_STATE_HELO:
		if (ok)
			probe_after_ehlo(pr, r); /* no extensions: no AUTH */
		else
			probe_fail(pr, r, NULL);
		break;
	case PROBE_STATE_AUTH:
		probe_auth_reply(pr, r);
		break;
	case PROBE_STATE_STARTTLS:
		if (r->code != 220) {
			probe_fail(pr, r, NULL);
			return;
		}
		probe_tls_start(pr);
		break;
	default:
		/* A reply nobody asked for (during the handshake). */
		probe_fail(pr, r, NULL);
		break;
	}
}

/* probe_read_cb - feed the parser; act on each complete reply. */
static void
probe_read_cb(struct bufferevent *bev, void *arg)
{
	struct probe *pr = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	enum smtp_reply_status st;
	size_t len, used;
	char *data;

	while (pr->bev == bev && pr->state != PROBE_STATE_DONE &&
	       pr->state != PROBE_STATE_HANDSHAKE &&
	       (len = evbuffer_get_length(in)) > 0) {
		if (len > 4096)
			len = 4096;
		data = (char *)evbuffer_pullup(in, (ev_ssize_t)len);
		st = smtp_reply_parse(&pr->parser, data, len, &used);
		evbuffer_drain(in, used);
		if (st == SMTP_REPLY_NEED_MORE)
			continue;
		if (st == SMTP_REPLY_ERROR) {
			char detail[160];
			snprintf(detail, sizeof(detail), "malformed reply: %s",
			         pr->parser.error);
			probe_fail(pr, NULL, detail);
			return;
		}
		probe_reply(pr, &pr->parser.reply);
		smtp_reply_parser_reset(&pr->parser);
	}
}

/* probe_tls_detail - why a TLS handshake failed. */
static void
probe_tls_detail(struct bufferevent *bev, char *out, size_t outlen)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	long vr = ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;
	unsigned long e = bufferevent_get_openssl_error(bev);
	char err[160];

	if (vr != X509_V_OK) {
		snprintf(out, outlen, "TLS: certificate verify failed: %s",
		         X509_verify_cert_error_string(vr));
	} else if (e != 0) {
		ERR_error_string_n(e, err, sizeof(err));
		snprintf(out, outlen, "TLS: %s", err);
	} else {
		snprintf(out, outlen, "TLS: handshake failed: %s",
		         EVUTIL_SOCKET_ERROR() ? strerror(EVUTIL_SOCKET_ERROR())
		                               : "connection closed");
	}
	while (bufferevent_get_openssl_error(bev) != 0)
		; /* leave no stale errors behind */
}

static void probe_connect_addr(struct probe *pr, const struct sockaddr *sa,
                               socklen_t len);

/* probe_event_cb - connected, handshake done, closed, or failed. */
static void
probe_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct probe *pr = arg;
	int err = EVUTIL_SOCKET_ERROR();
	char detail[PROBE_TEXT_SIZE];
	bool tls_connect;

	if (pr->bev != bev)
		return;
	if (what & BEV_EVENT_CONNECTED) {
		if (pr->state == PROBE_STATE_CONNECTING) {
			pr->tls_up = pr->prov->tls == CONFIG_TLS_TLS;
			pr->state = PROBE_STATE_GREETING;
			probe_timer_arm(pr, pr->prov->greeting_timeout_ms);
		} else if (pr->state == PROBE_STATE_HANDSHAKE) {
			pr->tls_up = true;
			probe_ehlo_send(pr, false);
		}
		return;
	}
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if (pr->state == PROBE_STATE_QUIT) {
		probe_end(pr);
		return;
	}
	tls_connect =
	    pr->state == PROBE_STATE_CONNECTING &&
	    pr->prov->tls == CONFIG_TLS_TLS &&
	    (what & BEV_EVENT_EOF || bufferevent_get_openssl_error(bev));
	if (pr->state == PROBE_STATE_HANDSHAKE || tls_connect) {
		probe_tls_detail(bev, detail, sizeof(detail));
		probe_fail(pr, NULL, detail);
	} else if (pr->state == PROBE_STATE_CONNECTING) {
		struct evutil_addrinfo *ai = pr->ai_next;
		if (ai != NULL) {
			/* Refused here: try the host's next address. */
			pr->ai_next = ai->ai_next;
			bufferevent_free(pr->bev);
			pr->bev = NULL;
			probe_connect_addr(pr, ai->ai_addr,
			                   (socklen_t)ai->ai_addrlen);
			return;
		}
		snprintf(detail, sizeof(detail), "connect %.128s:%u: %s",
		         pr->prov->host, pr->prov->port,
		         err ? strerror(err) : "connection refused");
		probe_fail(pr, NULL, detail);
	} else {
		snprintf(detail, sizeof(detail),
		         "connection %s while waiting "
		         "for the %s",
		         what & BEV_EVENT_EOF ? "closed" : "lost",
		         probe_state_wait(pr->state));
		probe_fail(pr, NULL, detail);
	}
}

/* probe_timer_cb - a wait ran out. */
static void
probe_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct probe *pr = arg;
	char detail[96];

	if (pr->state == PROBE_STATE_QUIT) {
		probe_end(pr);
		return;
	}
	snprintf(detail, sizeof(detail), "timeout waiting for the %s",
	         probe_state_wait(pr->state));
	probe_fail(pr, NULL, detail);
}

/* probe_connect_addr - start the TCP connect (and implicit TLS). */
static void
probe_connect_addr(struct probe *pr, const struct sockaddr *sa, socklen_t len)
{
	struct bufferevent *bev = NULL;
	char detail[PROBE_TEXT_SIZE];
	SSL *ssl;

	pr->state = PROBE_STATE_CONNECTING;
	if (pr->prov->tls == CONFIG_TLS_TLS) {
		ssl = probe_ssl_new(pr);
		if (ssl == NULL) {
			probe_fail(pr, NULL, "TLS: SSL_new failed");
			return;
		}
		bev = bufferevent_openssl_socket_new(
		    pr->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
		    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
		if (bev != NULL)
			bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	} else {
		bev = bufferevent_socket_new(pr->base, -1,
		                             BEV_OPT_CLOSE_ON_FREE |
		                                 BEV_OPT_DEFER_CALLBACKS);
	}
	if (bev == NULL) {
		probe_fail(pr, NULL, "cannot make a bufferevent");
		return;
	}
	probe_bev_setup(pr, bev);
	probe_timer_arm(pr, pr->prov->connect_timeout_ms);
	if (bufferevent_socket_connect(bev, sa, (int)len) != 0) {
		snprintf(detail, sizeof(detail), "connect %.128s:%u: %s",
		         pr->prov->host, pr->prov->port, strerror(errno));
		probe_fail(pr, NULL, detail);
	}
}

/* probe_dns_cb - the host's addresses; connect to the first. */
static void
probe_dns_cb(int result, struct evutil_addrinfo *ai, void *arg)
{
	struct probe *pr = arg;
	char detail[PROBE_TEXT_SIZE];

	/* Cancelled from probe_close: pr may be gone. */
	if (result == EVUTIL_EAI_CANCEL) {
		if (ai != NULL)
			evutil_freeaddrinfo(ai);
		return;
	}
	pr->dns_req = NULL;
	if (result != 0 || ai == NULL) {
		snprintf(detail, sizeof(detail), "resolve %.128s: %s",
		         pr->prov->host, evutil_gai_strerror(result));
		if (ai != NULL)
			evutil_freeaddrinfo(ai);
		probe_fail(pr, NULL, detail);
		return;
	}
	pr->ai_list = ai;
	pr->ai_next = ai->ai_next;
	probe_connect_addr(pr, ai->ai_addr, (socklen_t)ai->ai_addrlen);
}

/* probe_connect_start - resolve if needed, then connect. */
static void
probe_connect_start(struct probe *pr)
{
	struct sockaddr_storage ss;
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *req;
	socklen_t len;
	char port[8];

	if (probe_host_numeric(pr->prov->host, &ss, &len, pr->prov->port)) {
		probe_connect_addr(pr, (struct sockaddr *)&ss, len);
		return;
	}
	if (pr->dns == NULL) {
		pr->dns =
		    evdns_base_new(pr->base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
		pr->own_dns = true;
		if (pr->dns == NULL) {
			probe_fail(pr, NULL, "cannot set up a resolver");
			return;
		}
	}
	pr->state = PROBE_STATE_RESOLVING;
	probe_timer_arm(pr, pr->prov->connect_timeout_ms);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	snprintf(port, sizeof(port), "%u", pr->prov->port);
	/* The callback may run before this returns (hosts file, cache). */
	req = evdns_getaddrinfo(pr->dns, pr->prov->host, port, &hints,
	                        probe_dns_cb, pr);
	if (req != NULL && pr->state == PROBE_STATE_RESOLVING)
		pr->dns_req = req;
}

/* probe_smtp_start - see the contract. */
struct probe *
probe_smtp_start(struct event_base *base, const struct config_provider *p,
                 SSL_CTX *ctx, struct evdns_base *dns, const char *helo,
                 probe_done_fn *cb, void *arg)
{
	struct probe *pr = xcalloc(1, sizeof(*pr));

	pr->base = base;
	pr->prov = p;
	pr->dns = dns;
	pr->helo = xstrdup(helo != NULL ? helo : "localhost");
	pr->cb = cb;
	pr->arg = arg;
	pr->start_ms = probe_now_ms();
	pr->timer = evtimer_new(base, probe_timer_cb, pr);
	pr->done_ev = event_new(base, -1, 0, probe_done_cb, pr);
	if (pr->timer == NULL || pr->done_ev == NULL)
		log_panic("probe: cannot make events");
	smtp_reply_parser_init(&pr->parser, probe_line_cb, pr);
	if (ctx != NULL) {
		SSL_CTX_up_ref(ctx);
		pr->ssl_ctx = ctx;
	} else if (p->tls != CONFIG_TLS_NONE) {
		pr->ssl_ctx = SSL_CTX_new(TLS_client_method());
		if (pr->ssl_ctx == NULL ||
		    SSL_CTX_set_min_proto_version(pr->ssl_ctx,
		                                  TLS1_2_VERSION) != 1 ||
		    SSL_CTX_set_default_verify_paths(pr->ssl_ctx) != 1) {
			pr->state = PROBE_STATE_CONNECTING;
			probe_fail(pr, NULL,
			           "TLS: cannot make a client context");
			return pr;
		}
	}
	probe_connect_start(pr);
	return pr;
}

/* probe_cancel - see the contract. */
void
probe_cancel(struct probe *pr)
{
	if (pr == NULL)
		return;
	probe_destroy(pr);
}
