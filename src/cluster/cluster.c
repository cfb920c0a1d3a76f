/*
 * cluster.c - this node in the fleet: heartbeats and members, circuits
 * and operator actions shared (see cluster.h).
 */
#include "cluster/cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cluster/cluster_fwd.h"
#include "cluster/cluster_idem.h"
#include "cluster/cluster_incident.h"
#include "cluster/cluster_int.h"
#include "cluster/cluster_link.h"
#include "cluster/cluster_msg.h"
#include "cluster/cluster_probe.h"
#include "cluster/cluster_rate.h"
#include "cluster/cluster_replay.h"
#include "cluster/cluster_status.h"
#include "cluster/cluster_suppress.h"
#include "cluster/cluster_tmpl.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "deliver/deliver.h"
#include "observe/events.h"
#include "spool/spool.h"

/* cluster_node_find - the member id, added if new (NULL: table full). */
static struct cluster_node *
cluster_node_find(struct cluster *c, const char *id)
{
	size_t i;

	for (i = 0; i < c->n_nodes; i++)
		if (strcmp(c->nodes[i].id, id) == 0)
			return &c->nodes[i];
	if (c->n_nodes == CLUSTER_MAX_NODES)
		return NULL;
	snprintf(c->nodes[c->n_nodes].id, sizeof(c->nodes[0].id), "%s", id);
	return &c->nodes[c->n_nodes++];
}

void
cluster_publish(struct cluster *c, struct cluster_msg *m)
{
	char *json;

	if (!cluster_link_up(c->link))
		return;
	m->node = c->cfg->cluster_node_id;
	m->at_ms = clock_wall_ms();
	json = cluster_msg_encode(m);
	cluster_link_command(c->link, "PUBLISH %s %s", c->channel, json);
	free(json);
}

/* cluster_queue - messages this node still has to deliver. */
static uint64_t
cluster_queue(const struct cluster *c)
{
	struct spool_counts sc;

	spool_counts_get(c->sp, &sc);
	return sc.state[SPOOL_STATE_READY] + sc.state[SPOOL_STATE_INFLIGHT] +
	       sc.state[SPOOL_STATE_DEFERRED];
}

/* cluster_heartbeat - say this node is alive (and write, so that a
 * demoted master answers READONLY and the link asks Sentinel again). */
static void
cluster_heartbeat(struct cluster *c)
{
	struct deliver_stats ds;
	struct cluster_msg m = {.kind = CLUSTER_MSG_HEARTBEAT};
	char health[CLUSTER_MSG_TEXT_MAX + 1];
	char *json;

	if (!cluster_link_up(c->link))
		return;
	deliver_stats_get(c->d, &ds);
	m.version = c->version;
	m.queue = cluster_queue(c);
	m.inflight = ds.inflight;
	m.number = c->cfg->cluster_node_number;
	m.adopt = c->cfg->cluster_adopt_number;
	m.http = c->http[0] != '\0' ? c->http : NULL;
	cluster_health_text(c->d, health, sizeof(health));
	m.health = health[0] != '\0' ? health : NULL;
	m.node = c->cfg->cluster_node_id;
	m.at_ms = clock_wall_ms();
	json = cluster_msg_encode(&m);
	cluster_link_command(
	    c->link, "SET %s:node:%s %s PX %llu", c->cfg->cluster_key_prefix,
	    c->cfg->cluster_node_id, json,
	    (unsigned long long)c->cfg->cluster_node_timeout_ms);
	cluster_link_command(c->link, "PUBLISH %s %s", c->channel, json);
	free(json);
	cluster_status_flush(c);
}

/* cluster_on_beat - the heartbeat timer. */
static void
cluster_on_beat(evutil_socket_t fd, short what, void *arg)
{
	cluster_heartbeat(arg);
	cluster_fwd_tick(arg);
}

/* cluster_share_open_circuits - tell the fleet of every circuit open
 * here now (after re-joining: others may not know). */
static void
cluster_share_open_circuits(struct cluster *c)
{
	struct deliver_provider_info pi;
	size_t i, n = deliver_provider_count(c->d);

	for (i = 0; i < n; i++) {
		struct cluster_msg m = {.kind = CLUSTER_MSG_CIRCUIT};

		memset(&pi, 0, sizeof(pi));
		deliver_provider_info(c->d, i, &pi);
		if (strcmp(pi.mode, "open") != 0 || pi.reason == NULL ||
		    strncmp(pi.reason, "fleet: ", 7) == 0)
			continue;
		m.provider = (char *)pi.name;
		m.state = "open";
		m.reason = (char *)pi.reason;
		m.for_ms = pi.cooldown_left_ms;
		cluster_publish(c, &m);
	}
}

/* cluster_on_up - the link is up: (re-)join. */
static void
cluster_on_up(void *arg, const char *master)
{
	struct cluster *c = arg;

	if (c->ever_up)
		log_warn("cluster: node %s re-joined the fleet at %s after "
		         "%llu ms alone",
		         c->cfg->cluster_node_id, master,
		         (unsigned long long)(clock_mono_ms() - c->lost_ms));
	else
		log_info("cluster: node %s joined the fleet at %s",
		         c->cfg->cluster_node_id, master);
	c->ever_up = true;
	c->lost_ms = 0;
	c->up_ms = clock_mono_ms();
	cluster_heartbeat(c);
	cluster_share_open_circuits(c);
	cluster_suppress_resync(c);
	cluster_tmpl_resync(c);
	cluster_rate_up(c->rate);
}

/* cluster_on_down - the link is lost: go on alone. */
static void
cluster_on_down(void *arg, const char *why)
{
	struct cluster *c = arg;

	c->lost_ms = clock_mono_ms();
	if (c->lost_ms == 0)
		c->lost_ms = 1;
	log_warn("cluster: node %s works alone on local state (circuits, "
	         "limits, idempotency) until Redis returns: %s",
	         c->cfg->cluster_node_id, why);
	cluster_rate_lost(c->rate);
}

/* cluster_apply_circuit - another node's circuit opened. */
static void
cluster_apply_circuit(struct cluster *c, const struct cluster_msg *m)
{
	char reason[200];
	uint64_t for_ms = m->for_ms;

	if (m->state != NULL && strcmp(m->state, "closed") == 0) {
		snprintf(reason, sizeof(reason), "fleet: %s: %s", m->node,
		         m->reason != NULL ? m->reason : "circuit closed");
		c->applying = true;
		(void)deliver_provider_fleet_close(c->d, m->provider, reason);
		c->applying = false;
		return;
	}
	if (m->state == NULL || strcmp(m->state, "open") != 0)
		return;
	if (for_ms < 1000)
		for_ms = 1000;
	snprintf(reason, sizeof(reason), "fleet: %s: %s", m->node,
	         m->reason != NULL ? m->reason : "circuit open");
	c->applying = true;
	if (deliver_provider_fleet_open(c->d, m->provider, for_ms, reason) < 0)
		log_limited(LOG_LEVEL_WARN,
		            "cluster: node %s opened provider %s, which this "
		            "node does not have",
		            m->node, m->provider);
	c->applying = false;
}

/* cluster_apply_operator - another node's operator acted. */
static void
cluster_apply_operator(struct cluster *c, const struct cluster_msg *m)
{
	enum deliver_admin_action act;
	char err[160];

	if (strcmp(m->action, "pause") == 0)
		act = DELIVER_ADMIN_PAUSE;
	else if (strcmp(m->action, "drain") == 0)
		act = DELIVER_ADMIN_DRAIN;
	else if (strcmp(m->action, "resume") == 0)
		act = DELIVER_ADMIN_RESUME;
	else
		return;
	log_warn("cluster: operator's %s of provider %s on node %s applies "
	         "here too",
	         m->action, m->provider, m->node);
	c->applying = true;
	if (deliver_provider_admin(c->d, m->provider, act, m->for_ms, err,
	                           sizeof(err)) < 0)
		log_limited(LOG_LEVEL_WARN, "cluster: %s", err);
	c->applying = false;
}

/* cluster_on_message - a message on the fleet channel. */
static void
cluster_on_message(void *arg, const char *payload, size_t len)
{
	struct cluster *c = arg;
	struct cluster_msg m;
	struct cluster_node *n;
	char err[160];

	if (cluster_msg_decode(payload, len, &m, err, sizeof(err)) < 0) {
		log_limited(LOG_LEVEL_WARN, "cluster: %s", err);
		return;
	}
	if (m.kind == CLUSTER_MSG_HEARTBEAT) {
		n = cluster_node_find(c, m.node);
		if (n != NULL) {
			snprintf(n->version, sizeof(n->version), "%s",
			         m.version != NULL ? m.version : "?");
			n->queue = m.queue;
			n->inflight = m.inflight;
			n->seen_ms = clock_mono_ms();
			n->number = (unsigned)m.number;
			n->adopt = (unsigned)m.adopt;
			snprintf(n->http, sizeof(n->http), "%s",
			         m.http != NULL &&
			                 strlen(m.http) < sizeof(n->http)
			             ? m.http
			             : "");
			int k = m.health != NULL
			            ? cluster_health_parse(m.health, n->health,
			                                   CLUSTER_HEALTH_MAX)
			            : 0;
			n->n_health = k > 0 ? (size_t)k : 0;
		}
	} else if (strcmp(m.node, c->cfg->cluster_node_id) != 0) {
		if (m.kind == CLUSTER_MSG_CIRCUIT)
			cluster_apply_circuit(c, &m);
		else if (m.kind == CLUSTER_MSG_OPERATOR)
			cluster_apply_operator(c, &m);
		else if (m.kind == CLUSTER_MSG_SUPPRESS)
			cluster_suppress_apply(c, &m);
		else if (m.kind == CLUSTER_MSG_TEMPLATE)
			cluster_tmpl_apply(c, &m);
		else if (m.kind == CLUSTER_MSG_INCIDENT)
			cluster_status_apply(c, &m);
	}
	cluster_msg_fini(&m);
}

/* cluster_on_event - the bus: this node's circuits and operator actions
 * go to the fleet. */
static void
cluster_on_event(const struct events_item *e, void *arg)
{
	struct cluster *c = arg;
	struct cluster_msg m = {0};
	struct deliver_provider_info pi;
	size_t i, n;

	if (c->applying || e->provider == NULL)
		return;
	if (e->kind == EVENT_CIRCUIT && e->state != NULL &&
	    strcmp(e->state, "open") == 0 &&
	    (e->reason == NULL || strncmp(e->reason, "fleet: ", 7) != 0)) {
		m.kind = CLUSTER_MSG_CIRCUIT;
		m.provider = (char *)e->provider;
		m.state = "open";
		m.reason = (char *)e->reason;
		n = deliver_provider_count(c->d);
		for (i = 0; i < n; i++) {
			memset(&pi, 0, sizeof(pi));
			deliver_provider_info(c->d, i, &pi);
			if (strcmp(pi.name, e->provider) == 0)
				m.for_ms = pi.cooldown_left_ms;
		}
		cluster_publish(c, &m);
	} else if (e->kind == EVENT_CIRCUIT && e->state != NULL &&
	           strcmp(e->state, "closed") == 0 && e->reason != NULL &&
	           strncmp(e->reason, "fleet: ", 7) != 0 &&
	           strcmp(e->reason, "cleared by operator") != 0) {
		/* Healed here (trials, a probe): healed for everyone. */
		m.kind = CLUSTER_MSG_CIRCUIT;
		m.provider = (char *)e->provider;
		m.state = "closed";
		m.reason = (char *)e->reason;
		cluster_publish(c, &m);
	} else if (e->kind == EVENT_OPERATOR && e->reason != NULL &&
	           (strcmp(e->reason, "pause") == 0 ||
	            strcmp(e->reason, "drain") == 0 ||
	            strcmp(e->reason, "resume") == 0)) {
		m.kind = CLUSTER_MSG_OPERATOR;
		m.provider = (char *)e->provider;
		m.action = (char *)e->reason;
		m.who = (char *)e->state;
		m.for_ms = e->duration_ms;
		cluster_publish(c, &m);
	}
}

struct cluster *
cluster_new(const struct cluster_opts *o)
{
	struct cluster *c = xcalloc(1, sizeof(*c));
	struct cluster_link_cbs cbs = {
	    .up = cluster_on_up,
	    .down = cluster_on_down,
	    .message = cluster_on_message,
	    .arg = c,
	};
	struct timeval tv = {
	    (time_t)(o->cfg->cluster_heartbeat_ms / 1000),
	    (suseconds_t)(o->cfg->cluster_heartbeat_ms % 1000) * 1000};
	size_t len = strlen(o->cfg->cluster_key_prefix) + 7;

	c->base = o->base;
	c->cfg = o->cfg;
	c->d = o->d;
	c->sp = o->sp;
	c->version = xstrdup(o->version);
	c->channel = xmalloc(len);
	snprintf(c->channel, len, "%s:fleet", o->cfg->cluster_key_prefix);
	c->lost_ms = clock_mono_ms();
	c->beat = event_new(o->base, -1, EV_PERSIST, cluster_on_beat, c);
	if (c->beat == NULL)
		log_panic("cluster: cannot make an event");
	event_add(c->beat, &tv);
	if (events_subscribe(cluster_on_event, c) < 0)
		log_panic("cluster: no room on the event bus");
	log_info("cluster: node %s joining through %s", o->cfg->cluster_node_id,
	         o->cfg->cluster_redis != NULL ? o->cfg->cluster_redis
	                                       : "Sentinel");
	c->rate = cluster_rate_new(c);
	c->link = cluster_link_new(o->base, o->cfg, c->channel, &cbs);
	cluster_idem_install(c);
	cluster_probe_attach(c);
	cluster_fwd_install(c);
	return c;
}

bool
cluster_lost(const struct cluster *c)
{
	return !cluster_link_up(c->link);
}

size_t
cluster_nodes_alive(const struct cluster *c)
{
	uint64_t now = clock_mono_ms();
	size_t i, n = 0;
	bool self = false;

	for (i = 0; i < c->n_nodes; i++) {
		if (now - c->nodes[i].seen_ms > c->cfg->cluster_node_timeout_ms)
			continue;
		n++;
		if (strcmp(c->nodes[i].id, c->cfg->cluster_node_id) == 0)
			self = true;
	}
	return n + (self ? 0 : 1);
}

uint64_t
cluster_redis_commands(const struct cluster *c)
{
	return cluster_link_commands_sent(c->link);
}

json_t *
cluster_fleet_json(const struct cluster *c)
{
	json_t *o = json_object(), *arr = json_array(), *n;
	uint64_t now = clock_mono_ms();
	size_t i;

	json_object_set_new(o, "node", json_string(c->cfg->cluster_node_id));
	json_object_set_new(o, "redis",
	                    json_string(cluster_lost(c) ? "lost" : "up"));
	json_object_set_new(o, "master",
	                    json_string(cluster_link_master(c->link)));
	json_object_set_new(o, "nodes_alive",
	                    json_integer((json_int_t)cluster_nodes_alive(c)));
	for (i = 0; i < c->n_nodes; i++) {
		const struct cluster_node *cn = &c->nodes[i];
		uint64_t ago = now - cn->seen_ms;

		n = json_object();
		json_object_set_new(n, "node", json_string(cn->id));
		json_object_set_new(n, "version", json_string(cn->version));
		json_object_set_new(n, "queue",
		                    json_integer((json_int_t)cn->queue));
		json_object_set_new(n, "inflight",
		                    json_integer((json_int_t)cn->inflight));
		json_object_set_new(n, "last_heartbeat_ms",
		                    json_integer((json_int_t)ago));
		json_object_set_new(n, "number", json_integer(cn->number));
		json_object_set_new(n, "http",
		                    cn->http[0] != '\0' ? json_string(cn->http)
		                                        : json_null());
		json_object_set_new(
		    n, "alive",
		    json_boolean(ago <= c->cfg->cluster_node_timeout_ms));
		json_object_set_new(
		    n, "self",
		    json_boolean(strcmp(cn->id, c->cfg->cluster_node_id) == 0));
		json_array_append_new(arr, n);
	}
	json_object_set_new(o, "nodes", arr);
	json_object_set_new(o, "limits", cluster_rate_json(c->rate));
	json_object_set_new(o, "providers", cluster_health_json(c));
	return o;
}

void
cluster_free(struct cluster *c)
{
	if (c == NULL)
		return;
	events_unsubscribe(cluster_on_event, c);
	/* Nobody asks the fleet from now; what waits is answered below. */
	cluster_incident_detach(c);
	cluster_replay_detach(c);
	cluster_status_detach(c);
	cluster_idem_cancel_all(c);
	cluster_link_free(c->link); /* claims waiting are answered: won */
	cluster_probe_detach(c);
	cluster_rate_free(c->rate); /* after the link: its asks end there */
	cluster_fwd_uninstall(c);
	cluster_suppress_unwrap(c);
	cluster_tmpl_unwrap(c);
	event_free(c->beat);
	free(c->channel);
	free(c->version);
	free(c);
}
