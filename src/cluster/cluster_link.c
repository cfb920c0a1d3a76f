/*
 * cluster_link.c - the link to the cluster's Redis (see cluster_link.h).
 *
 * Context life: hiredis frees a context itself after its connect
 * callback reports a failure and after its disconnect callback; we free
 * one only from the reaper event (never inside a hiredis callback), after
 * taking it off every list. Each callback first asks which of ours the
 * context is; one we let go of is ignored. So a reply that arrives for a
 * connection given up is never acted on.
 */
#include "cluster/cluster_link.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"

#define LINK_BACKOFF_MIN_MS 100
#define LINK_BACKOFF_MAX_MS 5000
#define LINK_DEAD_MAX 8

enum link_state {
	LINK_IDLE,       /* waiting for the retry timer */
	LINK_ASKING,     /* asking Sentinel for the master */
	LINK_CONNECTING, /* connecting and verifying both connections */
	LINK_UP,
};

struct cluster_link {
	struct event_base *base;
	const struct config *cfg;
	char *channel;
	struct cluster_link_cbs cbs;
	enum link_state state;
	redisAsyncContext *sac; /* the Sentinel being asked */
	redisAsyncContext *cmd, *sub;
	bool cmd_ok, sub_ok;
	size_t sentinel_i, sentinels_tried;
	char host[64];
	int port;
	char master[80];
	uint64_t backoff_ms;
	uint64_t pending;       /* commands without a reply yet */
	uint64_t last_reply_ms; /* monotonic */
	uint64_t sent;
	struct event *retry, *deadline, *reap, *watchdog;
	redisAsyncContext *dead[LINK_DEAD_MAX];
	size_t n_dead;
	bool freeing;
};

static void link_start(struct cluster_link *l);

/* link_ms_tv - ms as a timeval. */
static struct timeval
link_ms_tv(uint64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000),
	                     (suseconds_t)(ms % 1000) * 1000};

	return tv;
}

/* link_forget - take ac off every list of ours (hiredis frees it). */
static void
link_forget(struct cluster_link *l, const redisAsyncContext *ac)
{
	size_t i;

	if (l->sac == ac)
		l->sac = NULL;
	if (l->cmd == ac)
		l->cmd = NULL;
	if (l->sub == ac)
		l->sub = NULL;
	for (i = 0; i < l->n_dead; i++) {
		if (l->dead[i] == ac) {
			l->dead[i] = l->dead[--l->n_dead];
			return;
		}
	}
}

/* link_bury - ac (not NULL) is given up: the reaper frees it. */
static void
link_bury(struct cluster_link *l, redisAsyncContext *ac)
{
	if (ac == NULL)
		return;
	link_forget(l, ac);
	if (l->n_dead == LINK_DEAD_MAX)
		log_panic("cluster: too many Redis connections to close");
	l->dead[l->n_dead++] = ac;
	event_active(l->reap, EV_TIMEOUT, 0);
}

/* link_on_reap - free the connections given up (outside hiredis). */
static void
link_on_reap(evutil_socket_t fd, short what, void *arg)
{
	struct cluster_link *l = arg;
	redisAsyncContext *ac;

	while (l->n_dead > 0) {
		ac = l->dead[--l->n_dead];
		redisAsyncFree(ac);
	}
}

void
cluster_link_fail(struct cluster_link *l, const char *why)
{
	bool was_up = l->state == LINK_UP;
	struct timeval tv;

	if (l->freeing || l->state == LINK_IDLE)
		return;
	link_bury(l, l->sac);
	link_bury(l, l->cmd);
	link_bury(l, l->sub);
	l->cmd_ok = l->sub_ok = false;
	l->pending = 0;
	l->state = LINK_IDLE;
	l->master[0] = '\0';
	evtimer_del(l->deadline);
	if (was_up) {
		log_warn("cluster: Redis lost: %s", why);
		if (l->cbs.down != NULL)
			l->cbs.down(l->cbs.arg, why);
	} else {
		log_limited(LOG_LEVEL_INFO, "cluster: Redis not reached: %s",
		            why);
	}
	tv = link_ms_tv(l->backoff_ms);
	evtimer_add(l->retry, &tv);
	l->backoff_ms *= 2;
	if (l->backoff_ms > LINK_BACKOFF_MAX_MS)
		l->backoff_ms = LINK_BACKOFF_MAX_MS;
}

/* link_check_up - both connections ready: the link is up. */
static void
link_check_up(struct cluster_link *l)
{
	if (!l->cmd_ok || !l->sub_ok || l->state == LINK_UP)
		return;
	l->state = LINK_UP;
	l->backoff_ms = LINK_BACKOFF_MIN_MS;
	l->last_reply_ms = clock_mono_ms();
	evtimer_del(l->deadline);
	log_info("cluster: Redis up at %s", l->master);
	if (l->cbs.up != NULL)
		l->cbs.up(l->cbs.arg, l->master);
}

/* link_is_ours - is ac our current command or subscriber connection? */
static bool
link_is_ours(const struct cluster_link *l, const redisAsyncContext *ac)
{
	return !l->freeing && ac != NULL && (ac == l->cmd || ac == l->sub);
}

/* link_on_connect - a connection's connect finished. */
static void
link_on_connect(const redisAsyncContext *ac, int status)
{
	struct cluster_link *l = ac->data;
	char why[160];

	if (status == REDIS_OK || l->freeing)
		return;
	snprintf(why, sizeof(why), "connect to %s: %s",
	         ac == l->sac ? "Sentinel" : l->master, ac->errstr);
	if (ac == l->sac) {
		link_forget(l, ac);
		log_limited(LOG_LEVEL_INFO, "cluster: %s", why);
		l->sentinel_i =
		    (l->sentinel_i + 1) % l->cfg->n_cluster_sentinels;
		if (++l->sentinels_tried >= l->cfg->n_cluster_sentinels)
			cluster_link_fail(l, "no Sentinel answered");
		else
			link_start(l);
		return;
	}
	if (link_is_ours(l, ac)) {
		link_forget(l, ac);
		cluster_link_fail(l, why);
	} else {
		link_forget(l, ac);
	}
}

/* link_on_disconnect - a connection closed (hiredis frees it next). */
static void
link_on_disconnect(const redisAsyncContext *ac, int status)
{
	struct cluster_link *l = ac->data;
	bool ours = link_is_ours(l, ac) || (!l->freeing && ac == l->sac);

	link_forget(l, ac);
	if (ours)
		cluster_link_fail(l, status == REDIS_OK ? "connection closed"
		                                        : "connection lost");
}

/* link_connect - a new context to ip:port on the loop, or NULL. */
static redisAsyncContext *
link_connect(struct cluster_link *l, const char *ip, int port)
{
	redisAsyncContext *ac = redisAsyncConnect(ip, port);

	if (ac == NULL)
		return NULL;
	if (ac->err != 0) {
		log_limited(LOG_LEVEL_INFO, "cluster: connect %s:%d: %s", ip,
		            port, ac->errstr);
		redisAsyncFree(ac);
		return NULL;
	}
	ac->data = l;
	redisLibeventAttach(ac, l->base);
	redisAsyncSetConnectCallback(ac, link_on_connect);
	redisAsyncSetDisconnectCallback(ac, link_on_disconnect);
	return ac;
}

/* link_on_role - ROLE on the command connection: must be a master. */
static void
link_on_role(redisAsyncContext *ac, void *r, void *priv)
{
	struct cluster_link *l = ac->data;
	redisReply *rep = r;

	if (!link_is_ours(l, ac) || rep == NULL)
		return;
	l->pending--;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 1 ||
	    rep->element[0]->type != REDIS_REPLY_STRING ||
	    strcmp(rep->element[0]->str, "master") != 0) {
		cluster_link_fail(l, "the address is not a master (ROLE)");
		return;
	}
	l->cmd_ok = true;
	link_check_up(l);
}

/* link_on_sub - the subscriber connection: the SUBSCRIBE confirmation,
 * then every message on the channel. */
static void
link_on_sub(redisAsyncContext *ac, void *r, void *priv)
{
	struct cluster_link *l = ac->data;
	redisReply *rep = r;

	if (!link_is_ours(l, ac) || rep == NULL)
		return;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 3 ||
	    rep->element[0]->type != REDIS_REPLY_STRING) {
		if (rep->type == REDIS_REPLY_ERROR)
			cluster_link_fail(l, "SUBSCRIBE refused");
		return;
	}
	if (strcmp(rep->element[0]->str, "subscribe") == 0) {
		l->sub_ok = true;
		link_check_up(l);
	} else if (strcmp(rep->element[0]->str, "message") == 0 &&
	           rep->element[2]->type == REDIS_REPLY_STRING &&
	           l->cbs.message != NULL) {
		l->cbs.message(l->cbs.arg, rep->element[2]->str,
		               rep->element[2]->len);
	}
}

/* link_connect_master - both connections to l->host:l->port. */
static void
link_connect_master(struct cluster_link *l)
{
	snprintf(l->master, sizeof(l->master),
	         strchr(l->host, ':') ? "[%s]:%d" : "%s:%d", l->host, l->port);
	l->state = LINK_CONNECTING;
	l->cmd = link_connect(l, l->host, l->port);
	l->sub = link_connect(l, l->host, l->port);
	if (l->cmd == NULL || l->sub == NULL) {
		cluster_link_fail(l, "cannot make a connection");
		return;
	}
	l->pending++;
	l->sent += 2;
	redisAsyncCommand(l->cmd, link_on_role, NULL, "ROLE");
	redisAsyncCommand(l->sub, link_on_sub, NULL, "SUBSCRIBE %s",
	                  l->channel);
}

/* link_on_sentinel - Sentinel's answer: [ip, port] of the master. */
static void
link_on_sentinel(redisAsyncContext *ac, void *r, void *priv)
{
	struct cluster_link *l = ac->data;
	redisReply *rep = r;

	if (l->freeing || ac != l->sac || rep == NULL)
		return;
	link_bury(l, ac);
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
	    rep->element[0]->type == REDIS_REPLY_STRING &&
	    rep->element[1]->type == REDIS_REPLY_STRING &&
	    rep->element[0]->len < sizeof(l->host)) {
		snprintf(l->host, sizeof(l->host), "%s", rep->element[0]->str);
		l->port = atoi(rep->element[1]->str);
		link_connect_master(l);
		return;
	}
	log_limited(LOG_LEVEL_INFO,
	            "cluster: Sentinel %s:%u does not know master %s",
	            l->cfg->cluster_sentinels[l->sentinel_i].host,
	            (unsigned)l->cfg->cluster_sentinels[l->sentinel_i].port,
	            l->cfg->cluster_sentinel_master);
	l->sentinel_i = (l->sentinel_i + 1) % l->cfg->n_cluster_sentinels;
	if (++l->sentinels_tried >= l->cfg->n_cluster_sentinels)
		cluster_link_fail(l, "no Sentinel named the master");
	else
		link_start(l);
}

/* link_start - one attempt: ask Sentinel, or connect directly. */
static void
link_start(struct cluster_link *l)
{
	const struct config_addr *s;
	struct timeval tv;

	if (l->state == LINK_IDLE) {
		l->sentinels_tried = 0;
		tv = link_ms_tv(l->cfg->cluster_connect_timeout_ms);
		evtimer_add(l->deadline, &tv);
	}
	if (l->cfg->cluster_redis_host != NULL) {
		snprintf(l->host, sizeof(l->host), "%s",
		         l->cfg->cluster_redis_host);
		l->port = l->cfg->cluster_redis_port;
		link_connect_master(l);
		return;
	}
	l->state = LINK_ASKING;
	s = &l->cfg->cluster_sentinels[l->sentinel_i];
	l->sac = link_connect(l, s->host, s->port);
	if (l->sac == NULL) {
		cluster_link_fail(l, "cannot connect to Sentinel");
		return;
	}
	l->sent++;
	redisAsyncCommand(l->sac, link_on_sentinel, NULL,
	                  "SENTINEL get-master-addr-by-name %s",
	                  l->cfg->cluster_sentinel_master);
}

/* link_on_retry - the back-off ended: try again. */
static void
link_on_retry(evutil_socket_t fd, short what, void *arg)
{
	link_start(arg);
}

/* link_on_deadline - an attempt took over cluster.connect_timeout. */
static void
link_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	cluster_link_fail(arg, "timed out connecting");
}

/* link_on_watchdog - up, but commands wait for answers too long. */
static void
link_on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	struct cluster_link *l = arg;

	if (l->state == LINK_UP && l->pending > 0 &&
	    clock_mono_ms() - l->last_reply_ms >
	        l->cfg->cluster_connect_timeout_ms)
		cluster_link_fail(l, "Redis does not answer");
}

/* A reply the caller wants: its callback. */
struct link_wait {
	cluster_link_reply_fn *fn;
	void *arg;
};

/* link_on_reply - a command's reply: READONLY means a demoted master;
 * priv, when set, is a struct link_wait to hand the reply to. */
static void
link_on_reply(redisAsyncContext *ac, void *r, void *priv)
{
	struct cluster_link *l = ac->data;
	redisReply *rep = r;
	struct link_wait *w = priv;

	if (w != NULL) {
		w->fn(link_is_ours(l, ac) ? rep : NULL, w->arg);
		free(w);
	}
	if (!link_is_ours(l, ac) || rep == NULL)
		return;
	if (l->pending > 0)
		l->pending--;
	l->last_reply_ms = clock_mono_ms();
	if (rep->type == REDIS_REPLY_ERROR) {
		if (strncmp(rep->str, "READONLY", 8) == 0)
			cluster_link_fail(l, "the master became a replica");
		else
			log_limited(LOG_LEVEL_WARN, "cluster: Redis: %s",
			            rep->str);
	}
}

struct cluster_link *
cluster_link_new(struct event_base *base, const struct config *cfg,
                 const char *channel, const struct cluster_link_cbs *cbs)
{
	struct cluster_link *l = xcalloc(1, sizeof(*l));
	struct timeval tv = link_ms_tv(cfg->cluster_heartbeat_ms);

	l->base = base;
	l->cfg = cfg;
	l->channel = xstrdup(channel);
	l->cbs = *cbs;
	l->state = LINK_IDLE;
	l->backoff_ms = LINK_BACKOFF_MIN_MS;
	l->retry = evtimer_new(base, link_on_retry, l);
	l->deadline = evtimer_new(base, link_on_deadline, l);
	l->reap = event_new(base, -1, 0, link_on_reap, l);
	l->watchdog = event_new(base, -1, EV_PERSIST, link_on_watchdog, l);
	if (l->retry == NULL || l->deadline == NULL || l->reap == NULL ||
	    l->watchdog == NULL)
		log_panic("cluster: cannot make an event");
	event_add(l->watchdog, &tv);
	link_start(l);
	return l;
}

bool
cluster_link_up(const struct cluster_link *l)
{
	return l->state == LINK_UP;
}

const char *
cluster_link_master(const struct cluster_link *l)
{
	return l->state == LINK_UP ? l->master : "";
}

int
cluster_link_command(struct cluster_link *l, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (l->state != LINK_UP)
		return -1;
	va_start(ap, fmt);
	rc = redisvAsyncCommand(l->cmd, link_on_reply, NULL, fmt, ap);
	va_end(ap);
	if (rc != REDIS_OK)
		return -1;
	if (l->pending++ == 0)
		l->last_reply_ms = clock_mono_ms();
	l->sent++;
	return 0;
}

int
cluster_link_command_cb(struct cluster_link *l, cluster_link_reply_fn *fn,
                        void *arg, const char *fmt, ...)
{
	struct link_wait *w;
	va_list ap;
	int rc;

	if (l->state != LINK_UP)
		return -1;
	w = xcalloc(1, sizeof(*w));
	w->fn = fn;
	w->arg = arg;
	va_start(ap, fmt);
	rc = redisvAsyncCommand(l->cmd, link_on_reply, w, fmt, ap);
	va_end(ap);
	if (rc != REDIS_OK) {
		free(w);
		return -1;
	}
	if (l->pending++ == 0)
		l->last_reply_ms = clock_mono_ms();
	l->sent++;
	return 0;
}

uint64_t
cluster_link_commands_sent(const struct cluster_link *l)
{
	return l->sent;
}

void
cluster_link_free(struct cluster_link *l)
{
	redisAsyncContext *ac[3];
	size_t i;

	if (l == NULL)
		return;
	l->freeing = true;
	ac[0] = l->sac;
	ac[1] = l->cmd;
	ac[2] = l->sub;
	l->sac = l->cmd = l->sub = NULL;
	for (i = 0; i < 3; i++)
		if (ac[i] != NULL)
			redisAsyncFree(ac[i]);
	while (l->n_dead > 0)
		redisAsyncFree(l->dead[--l->n_dead]);
	event_free(l->retry);
	event_free(l->deadline);
	event_free(l->reap);
	event_free(l->watchdog);
	free(l->channel);
	free(l);
}
