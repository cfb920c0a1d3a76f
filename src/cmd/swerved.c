/*
 * swerved.c - the swerve daemon: parse arguments, build the parts, run.
 *
 * Only wiring lives here. Start-up failures (bad config, unwritable spool,
 * a port in use) are fatal with one clear line and exit status 1.
 * SIGTERM and SIGINT begin a graceful stop: SMTP answers 421 and HTTP
 * 503 to anything new, attempts on the wire run to their end (at most
 * shutdown_timeout) and are recorded; then the loop stops, the SMTP
 * sessions are closed, the spool finishes the commits it holds, and the
 * process exits 0. A second signal stops the loop at once.
 */
#include <event2/event.h>
#include <event2/thread.h>
#include <getopt.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly/anomaly.h"
#include "cluster/cluster.h"
#include "cluster/cluster_incident.h"
#include "cluster/cluster_replay.h"
#include "cluster/cluster_status.h"
#include "cluster/cluster_suppress.h"
#include "cluster/cluster_tmpl.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/clock_env.h"
#include "core/fdlimit.h"
#include "core/log.h"
#include "core/priv.h"
#include "core/sdnotify.h"
#include "core/tls.h"
#include "core/xmalloc.h"
#include "dash/dash.h"
#include "deliver/deliver.h"
#include "deliver/verp_key.h"
#include "drill/drill.h"
#include "incident/incident.h"
#include "incident/incident_notice.h"
#include "ingress/compat.h"
#include "ingress/feedback.h"
#include "ingress/http_admin.h"
#include "ingress/http_alerts.h"
#include "ingress/http_anomalies.h"
#include "ingress/http_api.h"
#include "ingress/http_conn.h"
#include "ingress/http_drill.h"
#include "ingress/http_events.h"
#include "ingress/http_fleet.h"
#include "ingress/http_incidents.h"
#include "ingress/http_ops.h"
#include "ingress/http_readiness.h"
#include "ingress/http_tls.h"
#include "ingress/smtpd.h"
#include "observe/alerting.h"
#include "observe/event_tail.h"
#include "observe/events.h"
#include "observe/logjson.h"
#include "observe/rates.h"
#include "observe/stats.h"
#include "observe/suppress_feed.h"
#include "observe/webhook_out.h"
#include "readiness/readiness.h"
#include "readiness/readiness_poll.h"
#include "route/reputation.h"
#include "spool/spool.h"
#include "spool/spool_purge.h"
#include "spool/suppress_local.h"
#include "status/status_http.h"
#include "tmpl/tmpl_store_local.h"

#define SWERVED_VERSION "0.1.0"

static void
swerved_usage(FILE *f)
{
	fprintf(f, "usage: swerved [-c FILE] [--check] [--version] "
	           "[--accept-spool-damage]\n"
	           "  -c, --config FILE  configuration (default: embedded "
	           "defaults)\n"
	           "      --check        validate the configuration and exit "
	           "0/1\n"
	           "      --accept-spool-damage  start even if the spool is "
	           "damaged,\n"
	           "                     keeping what is readable and logging "
	           "what is lost\n");
}

/*
 * swerved_tls_ctx - a server context for cert and key under cfg's TLS
 * policy (tls.min_version, tls.ciphers, tls.ciphersuites). NULL with err
 * set when a file cannot be used.
 */
static SSL_CTX *
swerved_tls_ctx(const struct config *cfg, const char *cert, const char *key,
                char *err, size_t errlen)
{
	struct tls_policy pol;

	pol.min_version = cfg->tls_min_version;
	pol.ciphers = cfg->tls_ciphers;
	pol.ciphersuites = cfg->tls_ciphersuites;
	return tls_server_ctx_new(cert, key, &pol, err, errlen);
}

/* The server TLS contexts made from one configuration; NULL = none. */
struct swerved_tls {
	SSL_CTX *smtp;  /* tls.cert, tls.key: STARTTLS */
	SSL_CTX *https; /* https.cert, https.key: listen.http */
};

/*
 * swerved_tls_load - the contexts cfg asks for, read from their files now.
 * 0, or -1 with err set and nothing left allocated.
 */
/* swerved_wants_verp - does cfg send VERP senders or take bounces? */
static bool
swerved_wants_verp(const struct config *cfg)
{
	size_t i;

	if (cfg->n_listen_bounce > 0)
		return true;
	for (i = 0; i < cfg->n_providers; i++)
		if (cfg->providers[i].bounce_domain != NULL)
			return true;
	return false;
}

static int
swerved_tls_load(const struct config *cfg, struct swerved_tls *out, char *err,
                 size_t errlen)
{
	out->smtp = out->https = NULL;
	if (cfg->tls_cert != NULL) {
		out->smtp = swerved_tls_ctx(cfg, cfg->tls_cert, cfg->tls_key,
		                            err, errlen);
		if (out->smtp == NULL)
			return -1;
	}
	if (cfg->https_cert != NULL) {
		out->https = swerved_tls_ctx(cfg, cfg->https_cert,
		                             cfg->https_key, err, errlen);
		if (out->https == NULL) {
			SSL_CTX_free(out->smtp);
			out->smtp = NULL;
			return -1;
		}
	}
	return 0;
}

/* What a graceful stop needs (SIGTERM, SIGINT). */
struct swerved_stop {
	struct event_base *base;
	struct smtpd *smtpd;
	struct http_admin *http;
	struct deliver *deliver;
	struct sdnotify *notify;
	struct event *timer; /* shutdown_timeout */
	uint64_t timeout_ms;
	unsigned signals;
};

/* What SIGHUP needs to swap the configuration. */
struct swerved_reload {
	const char *path;
	const struct config *cur; /* the configuration in force */
	struct config **cfgs;     /* every config loaded; [n-1] is current */
	size_t n;
	struct deliver *deliver;
	struct smtpd *smtpd;
	SSL_CTX *smtp_tls;      /* owned; smtpd borrows it */
	struct http_tls *https; /* owned; NULL = listen.http is plain */
	struct http_conn *gate;
	struct swerved_stop *stop;    /* takes the new shutdown_timeout */
	struct http_conn *gate_admin; /* listen.admin's; NULL: none */
	struct drill_ctl *drills;     /* a running drill goes on */
	/* events.webhooks: replaced when its configuration changed */
	struct event_base *base;
	struct spool *sp;
	struct http_admin *admin;
	struct webhook_out **webhooks;
};

/* swerved_failback_ms - providers[].failback_ramp of the configuration in
 * force, for the incidents' timeline (arg: the struct swerved_reload). */
static int64_t
swerved_failback_ms(const char *provider, void *arg)
{
	const struct swerved_reload *r = arg;

	for (size_t i = 0; r->cur != NULL && i < r->cur->n_providers; i++)
		if (strcmp(r->cur->providers[i].name, provider) == 0)
			return (int64_t)r->cur->providers[i].failback_ramp_ms;
	return 5 * 60 * 1000;
}

/* swerved_stream_or - name when cfg has that stream, else other. */
static const char *
swerved_stream_or(const struct config *cfg, const char *name, const char *other)
{
	for (size_t i = 0; i < cfg->n_streams; i++)
		if (strcmp(cfg->streams[i].name, name) == 0)
			return name;
	return other;
}

/* Descriptors kept for the spool, listeners and upstream connections. */
#define SWERVED_FD_RESERVE 256

/* The open-file limit swerved_limits_setup() obtained. */
static uint64_t swerved_nofile = 1024;

/*
 * swerved_limits_fit - shrink cfg's connection caps to fit under the
 * open-file limit (so running out of descriptors is a 421 or 503 for the
 * newest client, not a stalled listener).
 */
static void
swerved_limits_fit(struct config *cfg)
{
	unsigned smtp = cfg->max_sessions, http = cfg->max_http_connections;

	if (fdlimit_fit(swerved_nofile,
	                SWERVED_FD_RESERVE + cfg->delivery_max_inflight, &smtp,
	                &http) == 0)
		return;
	log_warn("swerved: %llu open files allowed: limits.max_sessions "
	         "%u -> %u, limits.max_http_connections %u -> %u",
	         (unsigned long long)swerved_nofile, cfg->max_sessions, smtp,
	         cfg->max_http_connections, http);
	cfg->max_sessions = smtp;
	cfg->max_http_connections = http;
}

/* swerved_on_libevent_log - libevent's own messages, rate-limited: under
 * descriptor exhaustion it repeats one line millions of times. */
static void
swerved_on_libevent_log(int severity, const char *msg)
{
	enum log_level level = severity >= EVENT_LOG_ERR    ? LOG_LEVEL_ERROR
	                       : severity >= EVENT_LOG_WARN ? LOG_LEVEL_WARN
	                                                    : LOG_LEVEL_DEBUG;

	log_limited(level, "libevent: %s", msg);
}

/*
 * swerved_limits_setup - at start: raise RLIMIT_NOFILE to its hard limit,
 * fit the caps beneath it, and send libevent's own warnings through the
 * rate-limited log.
 */
static void
swerved_limits_setup(struct config *cfg)
{
	swerved_nofile = fdlimit_raise();
	swerved_limits_fit(cfg);
	event_set_log_callback(swerved_on_libevent_log);
}

/* swerved_https_bev - the gate's bufferevent maker when listen.http is
 * HTTPS: the gate holds evhttp's bevcb, so TLS is made through it. */
static struct bufferevent *
swerved_https_bev(struct event_base *base, void *arg)
{
	return http_tls_bufferevent_new(arg, base);
}

/*
 * swerved_http_gate - cap the HTTP listener's connections (after its
 * sockets are bound, and after swerved_https_setup: the gate takes over
 * evhttp's bevcb and makes TLS connections through https, if not NULL).
 * The caller frees the gate after the evhttp.
 */
static struct http_conn *
swerved_http_gate(struct event_base *base, struct evhttp *http,
                  struct http_tls *https, const struct config *cfg)
{
	struct http_conn *gate = http_conn_new(
	    base, http, cfg, https ? swerved_https_bev : NULL, https);

	http_conn_watch_listeners(gate);
	return gate;
}

/*
 * swerved_tls_reload - read cfg's certificates and keys again, so that a
 * renewed certificate is served without a restart. Switching TLS on or off
 * is refused (a listener would change its protocol under its clients).
 * 0, or -1 with err set and the running contexts untouched; on success
 * *next holds the new contexts for swerved_tls_swap.
 */
static int
swerved_tls_reload(const struct swerved_reload *r, const struct config *cfg,
                   struct swerved_tls *next, char *err, size_t errlen)
{
	if ((cfg->tls_cert == NULL) != (r->cur->tls_cert == NULL) ||
	    (cfg->https_cert == NULL) != (r->cur->https_cert == NULL) ||
	    cfg->https_admin != r->cur->https_admin) {
		snprintf(
		    err, errlen,
		    "adding or removing tls.cert or https.cert, or changing "
		    "https.admin, needs a restart");
		return -1;
	}
	return swerved_tls_load(cfg, next, err, errlen);
}

/* swerved_tls_swap - put next in force; takes ownership of its contexts. */
static void
swerved_tls_swap(struct swerved_reload *r, struct swerved_tls *next)
{
	if (next->smtp != NULL) {
		smtpd_tls_set(r->smtpd, next->smtp);
		SSL_CTX_free(r->smtp_tls);
		r->smtp_tls = next->smtp;
	}
	if (next->https != NULL)
		http_tls_ctx_set(r->https, next->https);
}

/*
 * swerved_webhooks_reload - a new sender for events.webhooks when their
 * configuration changed (checked before: its secrets decode). The new
 * one takes the spool's outbox before the old one goes; the old one's
 * requests on the wire are cancelled and sent again, under the same
 * ids, when their lease runs out.
 */
static void
swerved_webhooks_reload(struct swerved_reload *r, const struct config *cfg)
{
	struct webhook_out *old, *nw;
	char err[256];

	if (r->webhooks == NULL || webhook_out_config_same(r->cur, cfg))
		return;
	old = *r->webhooks;
	nw = webhook_out_new(r->base, cfg, r->sp, err, sizeof(err));
	if (nw == NULL && cfg->n_webhooks > 0) {
		log_error("swerved: reload: events.webhooks kept as they were: "
		          "%s",
		          err);
		return;
	}
	*r->webhooks = nw;
	http_admin_set_webhooks(r->admin, nw);
	webhook_out_free(old);
	log_info("swerved: events.webhooks: %zu webhooks now", cfg->n_webhooks);
}

/*
 * swerved_reload - reload the configuration file. An invalid file, or
 * one that changes what needs a restart (listeners, the set of providers
 * or streams, a provider's connection settings), is refused with the
 * reason in err and the running configuration stays. Old configurations
 * are kept until exit: connections and sessions still borrow from them.
 * For SIGHUP and POST /v1/reload (http_ops_reload_fn). 0 or -1.
 */
static int
swerved_reload(void *arg, char *err, size_t errlen)
{
	struct swerved_reload *r = arg;
	struct swerved_tls next;
	struct config *cfg;

	if (r->path == NULL) {
		snprintf(err, errlen,
		         "running on the embedded defaults; nothing to reload");
		log_warn("swerved: reload: %s", err);
		return -1;
	}
	cfg = config_load_file(r->path, err, errlen);
	if (cfg == NULL)
		goto refused;
	if (webhook_out_check(cfg, err, errlen) != 0)
		goto refused;
	if (swerved_tls_reload(r, cfg, &next, err, errlen) != 0)
		goto refused;
	if (deliver_reload(r->deliver, cfg, err, errlen) != 0) {
		SSL_CTX_free(next.smtp);
		SSL_CTX_free(next.https);
		goto refused;
	}
	swerved_tls_swap(r, &next);
	swerved_limits_fit(cfg);
	smtpd_reload(r->smtpd, cfg);
	drill_ctl_reload(r->drills, cfg);
	swerved_webhooks_reload(r, cfg);
	http_conn_reload(r->gate, cfg);
	if (r->gate_admin != NULL)
		http_conn_reload(r->gate_admin, cfg);
	r->cur = cfg;
	r->stop->timeout_ms = cfg->shutdown_timeout_ms;
	log_setup(cfg->log_level, cfg->log_format);
	r->cfgs = xreallocarray(r->cfgs, r->n + 1, sizeof(*r->cfgs));
	r->cfgs[r->n++] = cfg;
	log_info("swerved: configuration reloaded from %s", r->path);
	{
		struct events_item e = {.kind = EVENT_OPERATOR,
		                        .reason = "reload",
		                        .text = r->path};
		events_emit(&e);
	}
	return 0;
refused:
	log_error("swerved: reload refused, keeping the running "
	          "configuration: %s",
	          err);
	config_free(cfg);
	return -1;
}

/* swerved_on_hup - SIGHUP: reload (the outcome is logged). */
static void
swerved_on_hup(evutil_socket_t sig, short what, void *arg)
{
	char err[CONFIG_ERR_SIZE];

	(void)sig;
	(void)what;
	swerved_reload(arg, err, sizeof(err));
}

/*
 * swerved_https_setup - make every listen.http connection HTTPS with ctx
 * (taken over; NULL: plain HTTP, returns NULL), and every listen.admin one
 * too with https.admin. Call before the listeners accept. The result is
 * freed after http.
 */
static struct http_tls *
swerved_https_setup(struct http_admin *http, SSL_CTX *ctx,
                    const struct config *cfg)
{
	struct http_tls *t;

	if (ctx == NULL)
		return NULL;
	t = http_tls_new(ctx);
	http_tls_attach(t, http_admin_evhttp(http));
	log_info("swerved: listen.http serves HTTPS (certificate %s)",
	         cfg->https_cert);
	if (cfg->https_admin && http_admin_admin_evhttp(http) != NULL) {
		http_tls_attach(t, http_admin_admin_evhttp(http));
		log_info("swerved: listen.admin serves HTTPS (certificate %s)",
		         cfg->https_cert);
	}
	return t;
}

#define SWERVED_ROOT_WARNING                                                   \
	"running as root with no user: in the configuration; every "           \
	"connection is served with full privileges. Set user: (and group:) "   \
	"to an unprivileged account, or start swerved as one"

/*
 * swerved_check_privileges - for --check: the user: and group: named exist
 * (and are not root), and the loud warning if this would run as root
 * without them. Returns 0, or -1 after printing the reason to stderr.
 */
static int
swerved_check_privileges(const struct config *cfg)
{
	struct priv_ids ids;
	char err[256];

	if (cfg->user == NULL) {
		if (cfg->group != NULL) {
			fprintf(stderr, "%s: group: needs user:\n", cfg->path);
			return -1;
		}
		if (priv_is_root())
			fprintf(stderr, "WARNING: swerved: %s\n",
			        SWERVED_ROOT_WARNING);
		return 0;
	}
	if (priv_resolve(cfg->user, cfg->group, &ids, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", cfg->path, err);
		return -1;
	}
	return 0;
}

/*
 * swerved_privileges_drop - once every listener is bound, become user: and
 * group: for good (fatal if that fails or root could be regained), or warn
 * loudly that we stay root. The spool directory is handed to the user.
 */
static void
swerved_privileges_drop(const struct config *cfg)
{
	struct priv_ids ids;
	char err[512];

	if (cfg->user == NULL) {
		if (cfg->group != NULL)
			log_fatal("swerved: group: needs user:");
		if (priv_is_root())
			log_warn("swerved: WARNING: %s", SWERVED_ROOT_WARNING);
		return;
	}
	if (priv_resolve(cfg->user, cfg->group, &ids, err, sizeof(err)) != 0 ||
	    priv_drop(&ids, cfg->spool_dir, err, sizeof(err)) != 0)
		log_fatal("swerved: privileges: %s", err);
	log_info("swerved: running as user %s (uid %u, gid %u)", ids.name,
	         (unsigned)ids.uid, (unsigned)ids.gid);
}

/* swerved_on_drained - the last attempt on the wire ended. */
static void
swerved_on_drained(void *arg)
{
	struct swerved_stop *st = arg;

	log_info("swerved: every delivery in flight ended; stopping");
	event_base_loopbreak(st->base);
}

/* swerved_on_stop_timeout - shutdown_timeout passed with attempts left. */
static void
swerved_on_stop_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct swerved_stop *st = arg;

	(void)fd;
	(void)what;
	log_warn("swerved: shutdown_timeout passed with %zu deliveries in "
	         "flight; they stay in the spool and are retried after restart",
	         deliver_busy(st->deliver));
	event_base_loopbreak(st->base);
}

/*
 * swerved_on_signal - the first SIGTERM/SIGINT begins a graceful stop:
 * refuse new mail, let the attempts on the wire finish within
 * shutdown_timeout. A second one stops the loop at once; attempts still
 * on the wire stay "inflight" in the spool and are retried after restart
 * (a possible duplicate, never a loss).
 */
static void
swerved_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct swerved_stop *st = arg;
	struct timeval tv;
	char status[128];

	(void)what;
	if (st->signals++ > 0) {
		log_warn("swerved: signal %d again: stopping now; %zu "
		         "deliveries in flight are retried after restart",
		         (int)sig, deliver_busy(st->deliver));
		event_base_loopbreak(st->base);
		return;
	}
	snprintf(status, sizeof(status),
	         "stopping: waiting for %zu deliveries in flight",
	         deliver_busy(st->deliver));
	sdnotify_stopping(st->notify, status);
	log_info("swerved: signal %d, shutting down: refusing new mail; "
	         "waiting up to %llu ms for %zu deliveries in flight",
	         (int)sig, (unsigned long long)st->timeout_ms,
	         deliver_busy(st->deliver));
	smtpd_stop_accepting(st->smtpd);
	http_admin_stop_accepting(st->http);
	tv.tv_sec = (time_t)(st->timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(st->timeout_ms % 1000) * 1000;
	evtimer_add(st->timer, &tv);
	deliver_stop(st->deliver, swerved_on_drained, st);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"check", no_argument, NULL, 'C'},
	    {"version", no_argument, NULL, 'V'},
	    {"accept-spool-damage", no_argument, NULL, 'A'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = NULL;
	int check = 0, accept_damage = 0, ch;
	char err[CONFIG_ERR_SIZE];
	struct config *cfg;
	struct spool_opts sopts;
	struct spool *sp;
	struct event_base *base;
	struct event *ev_term, *ev_int, *ev_hup;
	sigset_t held;
	struct swerved_reload reload;
	struct swerved_stop stop;
	struct sdnotify *notify;
	struct http_ops *ops;
	struct alerting *alerting;
	struct cluster *cluster = NULL;
	struct anomaly *anomaly;
	struct readiness *readiness;
	struct readiness_poll *rpoll;
	struct http_readiness *hready;
	struct drill_ctl *drills;
	struct smtpd *smtpd;
	struct http_admin *http;
	struct http_api *api;
	struct http_conn *gate;
	struct compat *compat;
	struct feedback *feedback;
	struct webhook_out *webhooks;
	struct event_tail *tail;
	struct http_events *hevents;
	struct deliver *deliver;
	struct deliver_opts dopts;
	struct swerved_tls tls;
	/* Borrowed by delivery and the bounce listeners until exit. */
	static unsigned char verp_key[VERP_KEY_LEN];
	bool dopts_verp = false;
	size_t i;

	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'C':
			check = 1;
			break;
		case 'A':
			accept_damage = 1;
			break;
		case 'V':
			printf("swerved %s\n", SWERVED_VERSION);
			return 0;
		case 'h':
			swerved_usage(stdout);
			return 0;
		default:
			swerved_usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		swerved_usage(stderr);
		return 1;
	}

	cfg =
	    path ? config_load_file(path, err, sizeof(err)) : config_defaults();
	if (cfg == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (check) {
		if (swerved_check_privileges(cfg) != 0) {
			config_free(cfg);
			return 1;
		}
		printf("%s: ok\n", path ? path : "<defaults>");
		config_free(cfg);
		return 0;
	}
	log_setup(cfg->log_level, cfg->log_format);
	/* Test only (core/clock_env.h): a shifted wall clock. */
	switch (clock_env_install(err, sizeof(err))) {
	case -1:
		log_fatal("swerved: %s", err);
		break;
	case 1:
		log_warn("swerved: %s is set: the wall clock is shifted "
		         "(tests only)",
		         CLOCK_ENV_VAR);
		break;
	default:
		break;
	}
	swerved_limits_setup(cfg);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Until the loop's handlers are in place, SIGTERM, SIGINT and SIGHUP
	 * wait pending (and stay blocked in every thread started meanwhile,
	 * so only this one takes them): a stop asked for during start-up is
	 * then graceful instead of the default action's sudden death.
	 */
	sigemptyset(&held);
	sigaddset(&held, SIGTERM);
	sigaddset(&held, SIGINT);
	sigaddset(&held, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &held, NULL);
	if (evthread_use_pthreads() != 0)
		log_fatal("swerved: libevent has no pthreads support");

	if (swerved_tls_load(cfg, &tls, err, sizeof(err)) != 0)
		log_fatal("swerved: %s", err);
	memset(&reload, 0, sizeof(reload));

	memset(&sopts, 0, sizeof(sopts));
	sopts.dir = cfg->spool_dir;
	sopts.min_free = cfg->spool_min_free;
	sopts.max_messages = cfg->spool_max_messages;
	sopts.batch_max = (size_t)cfg->spool_batch_max;
	sopts.handoff_max = cfg->spool_handoff_cache;
	sopts.outcome_delay_ms = (unsigned)cfg->spool_outcome_delay_ms;
	sopts.commit_gather_us = (unsigned)cfg->spool_commit_gather_us;
	sopts.accept_damage = accept_damage;
	sp = spool_open(&sopts, err, sizeof(err));
	if (sp == NULL)
		log_fatal("swerved: spool %s: %s", cfg->spool_dir, err);

	base = event_base_new();
	if (base == NULL)
		log_fatal("swerved: event_base_new failed");
	if (spool_attach(sp, base) != 0)
		log_fatal("swerved: cannot attach the spool to the loop");
	/* The suppression list, whole in memory before any listener. */
	struct suppress *supp =
	    suppress_local_new(sp, cfg->suppress_local_sensitive != 0);
	char supp_db[4096];
	snprintf(supp_db, sizeof(supp_db), "%s/spool.db", cfg->spool_dir);
	if (suppress_local_load(supp, supp_db, err, sizeof(err)) != 0)
		log_fatal("swerved: %s", err);
	log_info("swerved: suppression list: %zu entries",
	         supp->be->count(supp->impl));
	suppress_install(supp);
	struct suppress_feed *supp_feed = suppress_feed_new(cfg, supp);
	suppress_feed_recall(supp_feed, sp, clock_wall_ms());
	/* Expired suppressions and old unmatched events, deleted now and
	 * then (spool.purge_interval, events.unmatched_retention). */
	struct spool_purge *purge =
	    spool_purge_new(base, sp, supp, cfg->spool_purge_interval_ms,
	                    cfg->events_unmatched_retention_ms);
	if (purge == NULL)
		log_fatal("swerved: cannot set up the purge timer");
	/* Incidents (issue 15): read back, then kept from the event bus. */
	struct incidents_opts inc_opts = {
	    .window_ms = (int64_t)cfg->incidents_window_ms,
	    .quiet_ms = (int64_t)cfg->incidents_quiet_ms,
	    .reopen_ms = (int64_t)cfg->incidents_reopen_ms,
	    .retention_ms = (int64_t)cfg->incidents_retention_ms,
	    .failback_ms = swerved_failback_ms,
	    .arg = &reload};
	struct incidents *incidents =
	    incidents_new(sp, supp_db, &inc_opts, err, sizeof(err));
	if (incidents == NULL)
		log_fatal("swerved: %s", err);
	if (incidents_attach(incidents, base) != 0)
		log_fatal("swerved: event bus full");
	/* The templates' active versions, parsed, before any listener. */
	struct tmpl_store *tmpls = tmpl_store_local_new(sp);
	if (tmpl_store_local_load(tmpls, supp_db, err, sizeof(err)) != 0)
		log_fatal("swerved: %s", err);
	log_info("swerved: templates: %zu active",
	         tmpls->be->count(tmpls->impl));
	tmpl_store_install(tmpls);

	/* The VERP key lives beside the spool whose ids it signs. */
	if (swerved_wants_verp(cfg)) {
		if (verp_key_load(cfg->spool_dir, verp_key, err, sizeof(err)) !=
		    0)
			log_fatal("swerved: bounce key: %s", err);
		dopts_verp = true;
	}
	smtpd = smtpd_new(base, cfg, sp, tls.smtp);
	if (dopts_verp)
		smtpd_bounce_key_set(smtpd, verp_key, sizeof(verp_key));
	reload.smtp_tls = tls.smtp;
	for (i = 0; i < cfg->n_listen_smtp; i++)
		if (smtpd_listen(smtpd, &cfg->listen_smtp[i], err,
		                 sizeof(err)) != 0)
			log_fatal("swerved: %s", err);
	for (i = 0; i < cfg->n_listen_smtps; i++)
		if (smtpd_listen_tls(smtpd, &cfg->listen_smtps[i], err,
		                     sizeof(err)) != 0)
			log_fatal("swerved: %s", err);
	for (i = 0; i < cfg->n_listen_bounce; i++)
		if (smtpd_listen_bounce(smtpd, &cfg->listen_bounce[i], err,
		                        sizeof(err)) != 0)
			log_fatal("swerved: %s", err);

	/* Delivery ratios: fed by events, read by routing and alerts. */
	struct reputation *rep = reputation_new((size_t)cfg->rates_max_keys);
	struct rates *rates = rates_new(cfg, rep, NULL);

	memset(&dopts, 0, sizeof(dopts));
	dopts.base = base;
	dopts.spool = sp;
	dopts.cfg = cfg;
	dopts.max_inflight = cfg->delivery_max_inflight;
	dopts.poll_ms = cfg->delivery_poll_ms;
	if (dopts_verp) {
		dopts.verp_key = verp_key;
		dopts.verp_key_len = sizeof(verp_key);
	}
	dopts.reputation = rep;
	/* The anomaly detector: fed by events, read by routing (shift). */
	{
		char apath[4096];
		snprintf(apath, sizeof(apath), "%s/anomaly.state",
		         cfg->spool_dir);
		anomaly = anomaly_new(base, cfg, apath);
	}
	dopts.anomaly = anomaly;
	readiness = readiness_new();
	if (readiness == NULL)
		log_fatal("swerved: out of memory");
	dopts.readiness = readiness;
	{
		const char *names[READINESS_MAX_PROVIDERS];
		size_t k;

		for (k = 0; k < cfg->n_providers && k < READINESS_MAX_PROVIDERS;
		     k++)
			names[k] = cfg->providers[k].name;
		readiness_providers_set(readiness, names, k);
		if (readiness_seen_listen(readiness_seen_of(readiness)) != 0)
			log_warn("swerved: readiness: no room on the event "
			         "bus; sender domains are not tracked");
	}
	/* What feeds it: the providers' verification APIs and DNS. */
	rpoll = readiness_poll_new(base, cfg, readiness, err, sizeof(err));
	if (rpoll == NULL)
		log_fatal("swerved: %s", err);
	deliver = deliver_new(&dopts);
	if (deliver == NULL)
		log_fatal("swerved: cannot start delivery");

	http = http_admin_new(base, cfg, sp, err, sizeof(err));
	if (http == NULL)
		log_fatal("swerved: %s", err);
	http_admin_set_deliver(http, deliver);
	http_admin_set_smtpd(http, smtpd);
	/* Observers: metrics from events, and JSON event lines. */
	struct stats *stats = stats_new(cfg, NULL);
	struct logjson *logjson = logjson_new(cfg);
	events_subscribe(stats_on_event, stats);
	events_subscribe(logjson_on_event, logjson);
	http_admin_set_stats(http, stats);
	stats_rates_set(stats, rates);
	stats_seed(stats, sp); /* mail left from an earlier run */
	api = http_api_new(http_admin_evhttp(http), cfg, sp);
	http_admin_route_set(http, HTTP_ROUTE_SEND, http_api_handle, api);
	ops = http_ops_new(http, deliver, sp);
	http_ops_set_reload(ops, swerved_reload, &reload);
	/* The operator dashboard on the admin plane (dashboard.enabled). */
	struct dash *dash = dash_new(base, http, cfg, deliver, stats);
	dash_set_incidents(dash, incidents);
	/* The providers' SDK endpoints (SES, SendGrid, Postmark, ...). */
	compat = compat_new(http, cfg, sp);
	/* Providers' delivery events (providers[].events). */
	feedback = feedback_new(base, http, cfg, sp, err, sizeof(err));
	if (feedback == NULL)
		log_fatal("swerved: %s", err);
	/* Events out to applications (events.webhooks; read at start). */
	webhooks = webhook_out_new(base, cfg, sp, err, sizeof(err));
	if (webhooks == NULL && cfg->n_webhooks > 0)
		log_fatal("swerved: %s", err);
	http_admin_set_webhooks(http, webhooks);
	tail = event_tail_new();
	if (tail == NULL)
		log_fatal("swerved: event bus full");
	hevents = http_events_new(http, tail, sp);
	alerting = alerting_new(base, cfg, deliver, sp);
	if (alerting == NULL)
		log_fatal("swerved: cannot start alerting");
	http_alerts_register(http, alerting);
	http_anomalies_register(http, anomaly);
	hready = http_readiness_register(http, readiness, rpoll);
	http_admin_set_readiness(http, readiness);
	alerting_set_readiness(alerting, readiness);
	/* The public status page (listen.status, /status/ on listen.http). */
	struct status_http *status_page =
	    status_http_new(http, cfg, deliver, incidents);
	/* cluster: several nodes sharing state through Redis (read at
	 * start). */
	if (cfg->cluster) {
		struct cluster_opts copts = {
		    .base = base,
		    .cfg = cfg,
		    .d = deliver,
		    .sp = sp,
		    .version = SWERVED_VERSION,
		};
		cluster = cluster_new(&copts);
		alerting_set_cluster(alerting, cluster);
		cluster_suppress_wrap(cluster, supp);
		/* One incident and one notification per event, fleet-wide:
		 * an incident's claim lasts its window and reopen window. */
		cluster_incident_attach(
		    cluster, incidents,
		    (int64_t)(cfg->incidents_window_ms
		                  ? cfg->incidents_window_ms
		                  : 15 * 60 * 1000) +
		        (int64_t)(cfg->incidents_reopen_ms
		                      ? cfg->incidents_reopen_ms
		                      : 30 * 60 * 1000),
		    alerting);
		/* A webhook replayed to another node is refused there too. */
		cluster_replay_attach(cluster, feedback);
		/* A template put on one node renders on all. */
		cluster_tmpl_wrap(cluster, tmpls);
		/* Any node serves the same status page. */
		cluster_status_attach(cluster, status_page);
	}
	http_fleet_register(http, cluster);
	/* Notices go to incidents.notices, on its stream (default critical
	 * when there is one), routed like any mail: around a provider that
	 * is down. */
	struct incident_audience inc_aud = {
	    .from = cfg->incidents_notice_from,
	    .to = (const char *const *)cfg->incidents_notice_to,
	    .n_to = cfg->n_incidents_notice_to,
	    .stream = cfg->incidents_notice_stream != NULL
	                  ? cfg->incidents_notice_stream
	                  : swerved_stream_or(cfg, "critical", "transactional"),
	    .slack = (const char *const *)cfg->incidents_notice_slack,
	    .n_slack = cfg->n_incidents_notice_slack,
	    .webhooks = (const char *const *)cfg->incidents_notice_webhooks,
	    .n_webhooks = cfg->n_incidents_notice_webhooks,
	};
	http_incidents_register(
	    http, incidents,
	    inc_aud.n_to + inc_aud.n_slack + inc_aud.n_webhooks > 0 ? &inc_aud
	                                                            : NULL);
	/* Outage drills: the fault hook, the schedule, the reports. */
	{
		struct drill_ctl_opts dro = {
		    .base = base,
		    .cfg = cfg,
		    .deliver = deliver,
		    .spool = sp,
		    .alerting = alerting,
		    .incidents = incidents,
		};
		drills = drill_ctl_new(&dro);
		if (drills == NULL)
			log_fatal("swerved: cannot start drills");
		http_drill_register(http, drills);
		/* A drill never shows on the public status page. */
		status_http_drilled_set(status_page, drill_ctl_drilled, drills);
		reload.drills = drills;
	}
	reload.https = swerved_https_setup(http, tls.https, cfg);
	for (i = 0; i < cfg->n_listen_http; i++)
		if (http_admin_listen(http, &cfg->listen_http[i], 0, err,
		                      sizeof(err)) != 0)
			log_fatal("swerved: %s", err);
	/* listen.admin is HTTPS with https.admin (swerved_https_setup). */
	for (i = 0; i < cfg->n_listen_admin; i++)
		if (http_admin_listen(http, &cfg->listen_admin[i], 1, err,
		                      sizeof(err)) != 0)
			log_fatal("swerved: %s", err);
	for (i = 0; i < cfg->n_listen_status; i++)
		if (http_admin_listen(http, &cfg->listen_status[i], 2, err,
		                      sizeof(err)) != 0)
			log_fatal("swerved: %s", err);
	gate =
	    swerved_http_gate(base, http_admin_evhttp(http), reload.https, cfg);
	/* The admin listener has the same caps, and its own count. */
	if (http_admin_admin_evhttp(http) != NULL)
		reload.gate_admin = swerved_http_gate(
		    base, http_admin_admin_evhttp(http),
		    cfg->https_admin ? reload.https : NULL, cfg);
	swerved_privileges_drop(cfg);

	notify = sdnotify_new(base);
	stop = (struct swerved_stop){
	    .base = base,
	    .smtpd = smtpd,
	    .http = http,
	    .deliver = deliver,
	    .notify = notify,
	    .timer = evtimer_new(base, swerved_on_stop_timeout, &stop),
	    .timeout_ms = cfg->shutdown_timeout_ms,
	};
	ev_term = evsignal_new(base, SIGTERM, swerved_on_signal, &stop);
	ev_int = evsignal_new(base, SIGINT, swerved_on_signal, &stop);
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_int, NULL);
	reload.path = path;
	reload.cur = cfg;
	reload.deliver = deliver;
	reload.smtpd = smtpd;
	reload.base = base;
	reload.sp = sp;
	reload.admin = http;
	reload.webhooks = &webhooks;
	reload.gate = gate;
	reload.stop = &stop;
	ev_hup = evsignal_new(base, SIGHUP, swerved_on_hup, &reload);
	evsignal_add(ev_hup, NULL);
	pthread_sigmask(SIG_UNBLOCK, &held, NULL);

	log_info("swerved: %s started (config %s, spool %s)", SWERVED_VERSION,
	         path ? path : "<defaults>", cfg->spool_dir);
	sdnotify_ready(notify);
	event_base_dispatch(base);

	/* Orderly stop: no new sessions, then let the spool finish. */
	cluster_free(cluster);
	drill_ctl_free(drills);
	alerting_free(alerting);
	smtpd_free(smtpd);
	deliver_free(deliver);
	anomaly_free(anomaly);
	http_api_free(api);
	http_admin_free(http);
	http_readiness_free(hready);
	readiness_poll_free(rpoll);
	readiness_free(readiness);
	status_http_free(status_page);
	http_tls_free(reload.https);
	http_conn_free(gate);
	http_conn_free(reload.gate_admin);
	http_ops_free(ops);
	dash_free(dash);
	compat_free(compat);
	feedback_free(feedback);
	webhook_out_free(webhooks);
	spool_close(sp);
	spool_purge_free(purge);
	incidents_free(incidents);
	suppress_feed_free(supp_feed);
	suppress_install(NULL);
	suppress_free(supp);
	tmpl_store_install(NULL);
	tmpl_store_free(tmpls);
	http_events_free(hevents);
	event_tail_free(tail);
	events_unsubscribe(stats_on_event, stats);
	events_unsubscribe(logjson_on_event, logjson);
	stats_free(stats);
	rates_free(rates);
	reputation_free(rep);
	logjson_free(logjson);
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_hup);
	event_free(stop.timer);
	sdnotify_free(notify);
	/* Deferred callbacks still queued hold references to bufferevents
	 * that were freed above; one last pass lets them run and release. */
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_base_free(base);
	SSL_CTX_free(reload.smtp_tls);
	config_free(cfg);
	for (i = 0; i < reload.n; i++)
		config_free(reload.cfgs[i]);
	free(reload.cfgs);
	log_info("swerved: stopped");
	return 0;
}
