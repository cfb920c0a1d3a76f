/*
 * smtpd.c - the SMTP submission server: listeners, admission, counters.
 *
 * Binds the listen.smtp addresses (and listen.smtps, where the session
 * starts with a TLS handshake: RFC 8314 implicit TLS), accepts
 * connections and turns away
 * those over limits.max_sessions with a 421, and keeps the counters for
 * metrics. What a session does once accepted lives in smtpd_session.c
 * (I/O, DATA, STARTTLS, the spool hand-off) and smtpd_cmd.c (the command
 * table and AUTH). One client address may hold limits.max_sessions_per_ip
 * sessions (a quarter of the total unless configured), so a single noisy
 * client cannot lock the others out. An accept error such as EMFILE
 * pauses accepting for 100 ms instead of spinning.
 */
#include "ingress/smtpd.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "config/config.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "ingress/accept_pause.h"
#include "ingress/auth_throttle.h"
#include "ingress/peer_cap.h"
#include "ingress/smtpd_session.h"
#include "net/proxy_proto_read.h"

#define SMTPD_BACKLOG 511

void
smtpd_turn_away(struct smtpd *d, evutil_socket_t fd, enum smtpd_reject r,
                const char *ip, bool implicit)
{
	static const char busy[] = "421 4.3.2 Too many connections, try later"
	                           "\r\n";

	/* A fresh socket's send buffer is empty: this cannot block. On an
	 * implicit-TLS port nothing goes in clear text: just close. */
	if (!implicit)
		(void)send(fd, busy, sizeof(busy) - 1,
		           MSG_NOSIGNAL | MSG_DONTWAIT);
	evutil_closesocket(fd);
	d->stats.rejected[r]++;
	log_limited(LOG_LEVEL_INFO,
	            "smtpd: reject reason=%s client=%s: %u sessions open",
	            smtpd_reject_name(r), ip, (unsigned)d->stats.sessions_open);
}

size_t
smtpd_per_ip_limit(const struct smtpd *d)
{
	return peer_cap_share(d->cfg->max_sessions,
	                      d->cfg->max_sessions_per_ip);
}

/* smtpd_stop_refuse - a connection during a graceful stop: 421, close. */
static void
smtpd_stop_refuse(struct smtpd *d, evutil_socket_t fd)
{
	char line[320];
	int n;

	n = snprintf(line, sizeof(line),
	             "421 4.3.2 %s Service shutting down, try again later\r\n",
	             d->cfg->hostname);
	/* A fresh socket's send buffer is empty: this cannot block. */
	if (n > 0 && (size_t)n < sizeof(line))
		(void)send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	evutil_closesocket(fd);
}

/* smtpd_admit - a new connection: greet it (implicit: after the TLS
 * handshake) or turn it away. sa is the client's address. */
static void
smtpd_admit(struct smtpd *d, evutil_socket_t fd, const struct sockaddr *sa,
            int salen, bool implicit, bool bounce)
{
	struct smtpd_session *s;

	if (d->stopping) {
		/* On an implicit-TLS port nothing goes in clear text: the
		 * client sees the connection close, as for a refused one. */
		if (implicit)
			evutil_closesocket(fd);
		else
			smtpd_stop_refuse(d, fd);
		return;
	}
	if (d->stats.sessions_open >= d->cfg->max_sessions) {
		smtpd_turn_away(d, fd, SMTPD_REJECT_SESSIONS, "-", implicit);
		return;
	}
	s = smtpd_session_new(d, fd, sa, (socklen_t)salen, implicit);
	if (s != NULL)
		s->bounce = bounce;
}

#define SMTPD_TAG_IMPLICIT 1 /* proxy_read tags: how to admit after */
#define SMTPD_TAG_BOUNCE 2

/* smtpd_on_proxy - a load balancer's PROXY header was read (client set)
 * or not: admit the real client, or close without a word. */
static void
smtpd_on_proxy(evutil_socket_t fd, const struct sockaddr *client,
               socklen_t client_len, const char *err, void *arg, int tag)
{
	struct smtpd *d = arg;

	if (client == NULL) {
		log_limited(LOG_LEVEL_WARN,
		            "smtpd: reject reason=proxy_header: %s", err);
		d->stats.rejected[SMTPD_REJECT_PROTOCOL]++;
		evutil_closesocket(fd);
		return;
	}
	smtpd_admit(d, fd, client, (int)client_len,
	            (tag & SMTPD_TAG_IMPLICIT) != 0,
	            (tag & SMTPD_TAG_BOUNCE) != 0);
}

/* smtpd_accept - a connection: from one of listen.load_balancers, its
 * PROXY header is read first (within limits.command_timeout), and the
 * address it names is the client's; else it is admitted as it came. */
static void
smtpd_accept(struct smtpd *d, evutil_socket_t fd, struct sockaddr *sa,
             int salen, int tag)
{
	size_t i;

	for (i = 0; i < d->cfg->n_load_balancers; i++) {
		if (config_net_contains(&d->cfg->load_balancers[i], sa)) {
			proxy_read_start(d->proxies, fd, sa, (socklen_t)salen,
			                 d->cfg->command_timeout_ms,
			                 smtpd_on_proxy, d, tag);
			return;
		}
	}
	smtpd_admit(d, fd, sa, salen, (tag & SMTPD_TAG_IMPLICIT) != 0,
	            (tag & SMTPD_TAG_BOUNCE) != 0);
}

/* smtpd_on_accept - a connection to a listen.smtp address. */
static void
smtpd_on_accept(struct evconnlistener *l, evutil_socket_t fd,
                struct sockaddr *sa, int salen, void *arg)
{
	smtpd_accept(arg, fd, sa, salen, 0);
}

/* smtpd_on_accept_tls - a connection to a listen.smtps address. */
static void
smtpd_on_accept_tls(struct evconnlistener *l, evutil_socket_t fd,
                    struct sockaddr *sa, int salen, void *arg)
{
	smtpd_accept(arg, fd, sa, salen, SMTPD_TAG_IMPLICIT);
}

/* smtpd_on_accept_bounce - a connection to a listen.bounce address. */
static void
smtpd_on_accept_bounce(struct evconnlistener *l, evutil_socket_t fd,
                       struct sockaddr *sa, int salen, void *arg)
{
	smtpd_accept(arg, fd, sa, salen, SMTPD_TAG_BOUNCE);
}

/* smtpd_on_accept_error - accept(2) failed (EMFILE, ENFILE, ENOBUFS). */
static void
smtpd_on_accept_error(struct evconnlistener *l, void *arg)
{
	struct smtpd *d = arg;

	accept_pause_trip(&d->accept_pause);
}

struct smtpd *
smtpd_new(struct event_base *base, const struct config *cfg, struct spool *sp,
          SSL_CTX *tls)
{
	struct smtpd *d = xcalloc(1, sizeof(*d));
	struct timeval idle = smtpd_ms_tv(cfg->idle_timeout_ms);

	d->base = base;
	d->cfg = cfg;
	d->sp = sp;
	d->tls = tls;
	TAILQ_INIT(&d->sessions);
	d->idle_tv = event_base_init_common_timeout(base, &idle);
	if (d->idle_tv == NULL)
		log_panic("smtpd: cannot make a common timeout");
	d->cmd_tv = smtpd_ms_tv(cfg->command_timeout_ms);
	accept_pause_init(&d->accept_pause, base, "smtpd");
	d->per_ip = peer_cap_new();
	d->proxies = proxy_read_set_new(base);
	d->auth_throttle = auth_throttle_new();
	return d;
}

/* smtpd_bind - bind and listen on addr; implicit: TLS from the start;
 * bounce: the bounce mailbox. */
static int
smtpd_bind(struct smtpd *d, const struct config_addr *addr, bool implicit,
           bool bounce, char *err, size_t errlen)
{
	evconnlistener_cb cb = bounce     ? smtpd_on_accept_bounce
	                       : implicit ? smtpd_on_accept_tls
	                                  : smtpd_on_accept;

	struct addrinfo hints, *res = NULL, *ai;
	struct evconnlistener *l = NULL;
	const char *host = addr->host;
	char port[8];
	int rc, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (host != NULL && (host[0] == '\0' || strcmp(host, "*") == 0))
		host = NULL;
	snprintf(port, sizeof(port), "%u", (unsigned)addr->port);
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "smtpd: listen %s:%u: %s",
		         host ? host : "*", (unsigned)addr->port,
		         gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && l == NULL; ai = ai->ai_next) {
		l = evconnlistener_new_bind(
		    d->base, cb, d,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
		        LEV_OPT_CLOSE_ON_EXEC,
		    SMTPD_BACKLOG, ai->ai_addr, (int)ai->ai_addrlen);
		if (l == NULL)
			saved = errno;
	}
	freeaddrinfo(res);
	if (l == NULL) {
		snprintf(err, errlen, "smtpd: listen %s:%u: %s",
		         host ? host : "*", (unsigned)addr->port,
		         strerror(saved ? saved : EADDRNOTAVAIL));
		return -1;
	}
	evconnlistener_set_error_cb(l, smtpd_on_accept_error);
	accept_pause_add(&d->accept_pause, l);
	d->listeners = xreallocarray(d->listeners, d->n_listeners + 1,
	                             sizeof(*d->listeners));
	d->listeners[d->n_listeners++] = l;
	log_info("smtpd: listening %s %s:%u",
	         bounce     ? "bounce"
	         : implicit ? "smtps"
	                    : "smtp",
	         host ? host : "*",
	         (unsigned)smtpd_port(d, d->n_listeners - 1));
	return 0;
}

int
smtpd_listen(struct smtpd *d, const struct config_addr *addr, char *err,
             size_t errlen)
{
	return smtpd_bind(d, addr, false, false, err, errlen);
}

int
smtpd_listen_bounce(struct smtpd *d, const struct config_addr *addr, char *err,
                    size_t errlen)
{
	return smtpd_bind(d, addr, false, true, err, errlen);
}

void
smtpd_bounce_key_set(struct smtpd *d, const unsigned char *key, size_t len)
{
	d->verp_key = key;
	d->verp_key_len = len;
}

int
smtpd_listen_tls(struct smtpd *d, const struct config_addr *addr, char *err,
                 size_t errlen)
{
	if (d->tls == NULL) {
		snprintf(err, errlen,
		         "smtpd: listen.smtps needs tls.cert and tls.key");
		return -1;
	}
	return smtpd_bind(d, addr, true, false, err, errlen);
}

uint16_t
smtpd_port(const struct smtpd *d, size_t i)
{
	struct sockaddr_storage ss = {0};
	socklen_t len = sizeof(ss);

	if (i >= d->n_listeners ||
	    getsockname(evconnlistener_get_fd(d->listeners[i]),
	                (struct sockaddr *)&ss, &len) != 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

void
smtpd_stats_get(const struct smtpd *d, struct smtpd_stats *out)
{
	*out = d->stats;
}

const char *
smtpd_reject_name(enum smtpd_reject r)
{
	static const char *const names[SMTPD_REJECT_COUNT] = {
	    [SMTPD_REJECT_SESSIONS] = "sessions",
	    [SMTPD_REJECT_SESSIONS_IP] = "sessions_per_ip",
	    [SMTPD_REJECT_AUTH_REQUIRED] = "auth_required",
	    [SMTPD_REJECT_AUTH_FAILED] = "auth_failed",
	    [SMTPD_REJECT_AUTH_THROTTLED] = "auth_throttled",
	    [SMTPD_REJECT_SENDER] = "sender",
	    [SMTPD_REJECT_SIZE] = "size",
	    [SMTPD_REJECT_RECIPIENTS] = "recipients",
	    [SMTPD_REJECT_CONTENT] = "content",
	    [SMTPD_REJECT_STORAGE] = "storage",
	    [SMTPD_REJECT_TIMEOUT] = "timeout",
	    [SMTPD_REJECT_PROTOCOL] = "protocol",
	    [SMTPD_REJECT_SUPPRESSED] = "suppressed",
	};

	return (unsigned)r < SMTPD_REJECT_COUNT ? names[r] : "unknown";
}

void
smtpd_reload(struct smtpd *d, const struct config *cfg)
{
	d->cfg = cfg;
}

void
smtpd_tls_set(struct smtpd *d, SSL_CTX *tls)
{
	if ((d->tls == NULL) != (tls == NULL))
		log_panic("smtpd: STARTTLS cannot be switched on or off at run "
		          "time");
	d->tls = tls;
}

void
smtpd_stop_accepting(struct smtpd *d)
{
	d->stopping = true;
}

void
smtpd_free(struct smtpd *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n_listeners; i++)
		evconnlistener_free(d->listeners[i]);
	free(d->listeners);
	proxy_read_set_free(d->proxies, 1);
	while (!TAILQ_EMPTY(&d->sessions))
		smtpd_session_free(TAILQ_FIRST(&d->sessions));
	accept_pause_fini(&d->accept_pause);
	peer_cap_free(d->per_ip);
	auth_throttle_free(d->auth_throttle);
	free(d);
}
