/*
 * cluster_fwd.c - requests and events for another node's messages go
 * there (see cluster_fwd.h).
 */
#include "cluster/cluster_fwd.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "cluster/cluster_fwd_event.h"
#include "cluster/cluster_int.h"
#include "cluster/cluster_link.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/id.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "ingress/feedback.h"
#include "ingress/http_pending.h"
#include "ingress/http_reply.h"
#include "spool/spool.h"

#define FWD_TIMEOUT_S 10 /* longest wait for the owner's answer */
#define FWD_PULL_MAX 100 /* events taken from this node's list at once */

/* An event waiting for Redis (a queue of encoded events). */
struct fwd_pending {
	struct fwd_pending *next;
	unsigned number; /* the owner's node number */
	char *json;
};

struct cluster_fwd {
	struct cluster *c;
	bool turn; /* the next pull: the adopted number's list */
	struct fwd_pending *head, **tail;
	size_t n_pending;
	bool pulling;    /* a pull is between LRANGE and LTRIM */
	bool publishing; /* pulled events are published: not forwarded */
	bool freed;      /* uninstalled while a pull was in flight */
};

/* The cluster of this process (one per swerved), or NULL. */
static struct cluster *fwd_cluster;

/* fwd_mine - does node number n name this node (its own number, or the
 * dead node's it adopted)? */
static bool
fwd_mine(const struct config *cfg, int n)
{
	return n > 0 && ((uint64_t)n == cfg->cluster_node_number ||
	                 (uint64_t)n == cfg->cluster_adopt_number);
}

/* ---- HTTP ------------------------------------------------------------ */

/* One request forwarded, between the caller and the owner. */
struct fwd_http {
	struct http_pending_watch w; /* the caller's request */
	struct event_base *base;
	struct evhttp_connection *conn; /* to the owner; freed after */
	char owner[CLUSTER_MSG_TEXT_MAX + 1];
};

/* fwd_owner - the member whose number is n, or NULL. */
static const struct cluster_node *
fwd_owner(const struct cluster *c, int n)
{
	const struct cluster_node *best = NULL;
	size_t i;

	/* The most recently heard, should a number have changed hands; a
	 * node that adopted a dead node's number answers for it. */
	for (i = 0; i < c->n_nodes; i++)
		if (((int)c->nodes[i].number == n ||
		     (int)c->nodes[i].adopt == n) &&
		    strcmp(c->nodes[i].id, c->cfg->cluster_node_id) != 0 &&
		    (best == NULL || c->nodes[i].seen_ms > best->seen_ms))
			best = &c->nodes[i];
	return best;
}

/* fwd_unavailable - answer req 503: message id's node n is away. */
static void
fwd_unavailable(struct evhttp_request *req, const char *id, int n,
                const char *owner, const char *why)
{
	char msg[1000];

	snprintf(msg, sizeof(msg),
	         "message %s is held by node %s (node number %d), which %s; "
	         "ask again when it is back, or move its spool to another "
	         "node (docs/cluster.md, replacing a dead node)",
	         id, owner != NULL ? owner : "?", n, why);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After",
	                  "10");
	http_reply_error(req, 503, "owner_unavailable", msg);
}

/* fwd_conn_free - free a connection to an owner, outside its own
 * callbacks (libevent does not allow it within them). */
static void
fwd_conn_free(evutil_socket_t fd, short what, void *arg)
{
	evhttp_connection_free(arg);
}

/* fwd_done - f is answered: its connection goes on the next turn. */
static void
fwd_done(struct fwd_http *f)
{
	struct timeval now = {0, 0};

	if (event_base_once(f->base, -1, EV_TIMEOUT, fwd_conn_free, f->conn,
	                    &now) != 0)
		log_warn("cluster: a connection to node %s is not freed",
		         f->owner);
	free(f);
}

/* fwd_on_answer - the owner's answer (resp NULL or code 0: none). */
static void
fwd_on_answer(struct evhttp_request *resp, void *arg)
{
	struct fwd_http *f = arg;
	struct evhttp_request *req = http_pending_watch_end(&f->w);
	struct evkeyvalq *out;
	const char *ct;
	int code = resp != NULL ? evhttp_request_get_response_code(resp) : 0;

	if (req == NULL) {
		fwd_done(f);
		return;
	}
	if (code == 0) {
		char msg[700];

		snprintf(msg, sizeof(msg),
		         "node %s holds this message and did not answer; ask "
		         "again when it is back",
		         f->owner);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		                  "Retry-After", "10");
		http_reply_error(req, 503, "owner_unavailable", msg);
		fwd_done(f);
		return;
	}
	out = evhttp_request_get_output_headers(req);
	ct = evhttp_find_header(evhttp_request_get_input_headers(resp),
	                        "Content-Type");
	if (ct != NULL)
		evhttp_add_header(out, "Content-Type", ct);
	evhttp_add_header(out, "X-Swerve-Node", f->owner);
	evhttp_send_reply(req, code,
	                  evhttp_request_get_response_code_line(resp),
	                  evhttp_request_get_input_buffer(resp));
	fwd_done(f);
}

/* fwd_split - "IP:PORT" or "[IPv6]:PORT" into host and port. */
static int
fwd_split(const char *addr, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon = strrchr(addr, ':');
	const char *h = addr;
	size_t n;
	long p;
	char *end;

	if (colon == NULL)
		return -1;
	n = (size_t)(colon - addr);
	if (addr[0] == '[' && n >= 2 && addr[n - 1] == ']') {
		h = addr + 1;
		n -= 2;
	}
	if (n == 0 || n >= hostlen)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	p = strtol(colon + 1, &end, 10);
	if (*end != '\0' || p < 1 || p > 65535)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

bool
cluster_fwd_http(struct evhttp_request *req, const char *id)
{
	struct cluster *c = fwd_cluster;
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const struct cluster_node *o;
	struct evhttp_connection *conn;
	struct evhttp_request *fr;
	struct evkeyvalq *fh;
	struct fwd_http *f;
	const char *auth, *ct;
	char host[64];
	uint16_t port;
	int n = id_node(id);

	if (c == NULL || n <= 0 || fwd_mine(c->cfg, n) ||
	    evhttp_find_header(in, CLUSTER_FWD_HOP_HEADER) != NULL)
		return false;
	o = fwd_owner(c, n);
	if (o == NULL ||
	    clock_mono_ms() - o->seen_ms > c->cfg->cluster_node_timeout_ms) {
		fwd_unavailable(req, id, n, o != NULL ? o->id : NULL,
		                o != NULL ? "is gone from the fleet"
		                          : "this node has not heard of");
		return true;
	}
	if (fwd_split(o->http, host, sizeof(host), &port) < 0) {
		fwd_unavailable(req, id, n, o->id,
		                "advertises no HTTP address "
		                "(cluster.advertise_http)");
		return true;
	}
	conn = evhttp_connection_base_new(c->base, NULL, host, port);
	if (conn == NULL) {
		fwd_unavailable(req, id, n, o->id, "cannot be connected to");
		return true;
	}
	evhttp_connection_set_timeout(conn, FWD_TIMEOUT_S);
	evhttp_connection_set_retries(conn, 0);
	f = xcalloc(1, sizeof(*f));
	f->base = c->base;
	f->conn = conn;
	snprintf(f->owner, sizeof(f->owner), "%s", o->id);
	fr = evhttp_request_new(fwd_on_answer, f);
	fh = evhttp_request_get_output_headers(fr);
	evhttp_add_header(fh, "Host", o->http);
	evhttp_add_header(fh, CLUSTER_FWD_HOP_HEADER, c->cfg->cluster_node_id);
	evhttp_add_header(fh, "Connection", "close");
	if ((auth = evhttp_find_header(in, "Authorization")) != NULL)
		evhttp_add_header(fh, "Authorization", auth);
	if ((ct = evhttp_find_header(in, "Content-Type")) != NULL)
		evhttp_add_header(fh, "Content-Type", ct);
	evbuffer_add_buffer(evhttp_request_get_output_buffer(fr),
	                    evhttp_request_get_input_buffer(req));
	http_pending_watch_start(&f->w, req);
	if (evhttp_make_request(conn, fr, evhttp_request_get_command(req),
	                        evhttp_request_get_uri(req)) != 0) {
		/* libevent freed fr; the caller's request is answered here. */
		(void)http_pending_watch_end(&f->w);
		free(f);
		evhttp_connection_free(conn);
		fwd_unavailable(req, id, n, o->id, "cannot be asked");
		return true;
	}
	log_info("cluster: %s %s forwarded to node %s (%s)",
	         evhttp_request_get_command(req) == EVHTTP_REQ_GET
	             ? "GET"
	             : "a request",
	         evhttp_request_get_uri(req), o->id, o->http);
	return true;
}

/* ---- events ---------------------------------------------------------- */

/* fwd_push_done - RPUSH's answer: an event not taken waits again. */
static void
fwd_push_done(const struct redisReply *r, void *arg)
{
	struct fwd_pending *p = arg;
	struct cluster *c = fwd_cluster;

	if (r != NULL && r->type == REDIS_REPLY_INTEGER) {
		free(p->json);
		free(p);
		return;
	}
	if (c == NULL || c->fwd == NULL) {
		log_warn("cluster: a forwarded event was not taken by Redis "
		         "and this node is stopping; it stays stored here, "
		         "unmatched");
		free(p->json);
		free(p);
		return;
	}
	p->next = NULL;
	*c->fwd->tail = p;
	c->fwd->tail = &p->next;
	c->fwd->n_pending++;
}

/* fwd_push - send p to its owner's list, or keep it for later. */
static void
fwd_push(struct cluster_fwd *fw, struct fwd_pending *p)
{
	struct cluster *c = fw->c;

	if (cluster_link_up(c->link) &&
	    cluster_link_command_cb(
	        c->link, fwd_push_done, p, "RPUSH %s:fwd:%u %s",
	        c->cfg->cluster_key_prefix, p->number, p->json) == 0)
		return;
	if (fw->n_pending >= CLUSTER_FWD_PENDING_MAX) {
		log_limited(
		    LOG_LEVEL_WARN,
		    "cluster: %zu events wait for Redis; this one stays "
		    "stored here, unmatched, and is not forwarded",
		    fw->n_pending);
		free(p->json);
		free(p);
		return;
	}
	p->next = NULL;
	*fw->tail = p;
	fw->tail = &p->next;
	fw->n_pending++;
}

void
cluster_fwd_events(const struct feedback_event *ev,
                   const struct spool_fb_match *m, size_t n)
{
	struct cluster *c = fwd_cluster;
	struct fwd_pending *p;
	size_t i;
	int num;
	char *json;

	if (c == NULL || c->fwd == NULL || c->fwd->publishing)
		return;
	for (i = 0; i < n; i++) {
		if (!m[i].is_new || m[i].msg_id[0] != '\0')
			continue;
		num = id_node(ev[i].swerve_id);
		if (num <= 0 || fwd_mine(c->cfg, num))
			continue;
		json =
		    cluster_fwd_event_encode(&ev[i], c->cfg->cluster_node_id);
		if (json == NULL)
			continue;
		log_info("cluster: %s event %s for message %s goes to node "
		         "number %d",
		         ev[i].provider, ev[i].event_id, ev[i].swerve_id, num);
		p = xcalloc(1, sizeof(*p));
		p->number = (unsigned)num;
		p->json = json;
		fwd_push(c->fwd, p);
	}
}

/* A pull between LRANGE and LTRIM. */
struct fwd_pull {
	struct cluster_fwd *fw;
	char list[160]; /* <prefix>:fwd:<number> */
	size_t taken;   /* list entries read (valid or not) */
};

/* fwd_pull_end - the pull is over: frees pl, and fw if it was
 * uninstalled. */
static void
fwd_pull_end(struct fwd_pull *pl)
{
	struct cluster_fwd *fw = pl->fw;

	free(pl);
	fw->pulling = false;
	if (fw->freed)
		free(fw);
}

/* fwd_trim - drop the first pl->taken entries of pl's list. */
static void
fwd_trim(const struct fwd_pull *pl)
{
	if (!pl->fw->freed && pl->taken > 0)
		cluster_link_command(pl->fw->c->link, "LTRIM %s %llu -1",
		                     pl->list, (unsigned long long)pl->taken);
}

/* fwd_on_stored - the pulled events are on disk: publish, trim. */
static void
fwd_on_stored(int status, const struct feedback_event *ev,
              const struct spool_fb_match *m, size_t n, void *arg)
{
	struct fwd_pull *pl = arg;
	struct cluster_fwd *fw = pl->fw;
	size_t i, fresh, unmatched, matched = 0;

	if (status == SPOOL_OK && !fw->freed) {
		fw->publishing = true;
		for (i = 0; i < n; i++) {
			feedback_publish(ev[i].provider, &ev[i], &m[i], 1,
			                 &fresh, &unmatched);
			matched += m[i].msg_id[0] != '\0';
		}
		fw->publishing = false;
		log_info("cluster: %zu forwarded events stored, %zu on "
		         "messages of this node",
		         n, matched);
		fwd_trim(pl);
	} else if (status != SPOOL_OK) {
		log_warn("cluster: forwarded events could not be stored (%s); "
		         "they stay in Redis",
		         spool_status_name(status));
	}
	fwd_pull_end(pl);
}

/* fwd_on_range - LRANGE's answer: store what parses. */
static void
fwd_on_range(const struct redisReply *r, void *arg)
{
	struct fwd_pull *pl = arg;
	struct cluster_fwd *fw = pl->fw;
	struct feedback_event *ev;
	char err[200], from[CLUSTER_MSG_TEXT_MAX + 1];
	size_t i, k = 0;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements == 0 ||
	    fw->freed) {
		fwd_pull_end(pl);
		return;
	}
	ev = xcalloc(r->elements, sizeof(*ev));
	for (i = 0; i < r->elements; i++) {
		const struct redisReply *v = r->element[i];

		if (v->type != REDIS_REPLY_STRING ||
		    cluster_fwd_event_decode(v->str, v->len, &ev[k], from,
		                             sizeof(from), err,
		                             sizeof(err)) < 0) {
			log_limited(
			    LOG_LEVEL_WARN,
			    "cluster: %s: an entry is dropped: %s", pl->list,
			    v->type == REDIS_REPLY_STRING ? err
			                                  : "not a string");
			continue;
		}
		k++;
	}
	pl->taken = r->elements;
	if (k == 0) {
		free(ev);
		fwd_trim(pl);
		fwd_pull_end(pl);
	} else if (spool_feedback_record(fw->c->sp, ev, k, clock_wall_ms(),
	                                 fwd_on_stored, pl) != 0) {
		/* Refused at once (the spool freed ev): kept in Redis. */
		fwd_pull_end(pl);
	}
}

void
cluster_fwd_tick(struct cluster *c)
{
	struct cluster_fwd *fw = c->fwd;
	struct fwd_pending *p;
	struct fwd_pull *pl;
	uint64_t num;
	size_t n;

	if (fw == NULL || !cluster_link_up(c->link))
		return;
	/* What waited for Redis, in order (a failed push comes back at the
	 * tail). */
	for (n = fw->n_pending; n > 0 && fw->head != NULL; n--) {
		p = fw->head;
		fw->head = p->next;
		if (fw->head == NULL)
			fw->tail = &fw->head;
		fw->n_pending--;
		fwd_push(fw, p);
	}
	/* This node's list, and in turn the adopted number's. */
	num = c->cfg->cluster_node_number;
	if (fw->turn && c->cfg->cluster_adopt_number > 0)
		num = c->cfg->cluster_adopt_number;
	fw->turn = !fw->turn;
	if (num == 0 || fw->pulling)
		return;
	pl = xcalloc(1, sizeof(*pl));
	pl->fw = fw;
	snprintf(pl->list, sizeof(pl->list), "%s:fwd:%llu",
	         c->cfg->cluster_key_prefix, (unsigned long long)num);
	fw->pulling = true;
	if (cluster_link_command_cb(c->link, fwd_on_range, pl, "LRANGE %s 0 %d",
	                            pl->list, FWD_PULL_MAX - 1) != 0) {
		fw->pulling = false;
		free(pl);
	}
}

/* fwd_advertised - this node's address for others: advertise_http, else
 * listen.http's first when it names one host. */
static void
fwd_advertised(struct cluster *c)
{
	const struct config *cfg = c->cfg;
	const struct config_addr *a = NULL;
	unsigned char buf[16];

	if (cfg->n_cluster_advertise_http > 0)
		a = &cfg->cluster_advertise_http[0];
	else if (cfg->n_listen_http > 0 &&
	         strcmp(cfg->listen_http[0].host, "0.0.0.0") != 0 &&
	         strcmp(cfg->listen_http[0].host, "::") != 0 &&
	         (inet_pton(AF_INET, cfg->listen_http[0].host, buf) == 1 ||
	          inet_pton(AF_INET6, cfg->listen_http[0].host, buf) == 1))
		a = &cfg->listen_http[0];
	c->http[0] = '\0';
	if (a != NULL)
		snprintf(c->http, sizeof(c->http),
		         strchr(a->host, ':') != NULL ? "[%s]:%u" : "%s:%u",
		         a->host, (unsigned)a->port);
}

void
cluster_fwd_install(struct cluster *c)
{
	struct cluster_fwd *fw = xcalloc(1, sizeof(*fw));

	fw->c = c;
	fw->tail = &fw->head;
	c->fwd = fw;
	fwd_advertised(c);
	id_set_node((unsigned)c->cfg->cluster_node_number);
	fwd_cluster = c;
	if (c->cfg->cluster_node_number == 0)
		log_info("cluster: node %s has no cluster.node_number: its "
		         "messages cannot be found from other nodes",
		         c->cfg->cluster_node_id);
	else
		log_info("cluster: node %s is number %u in ids, forwarded to "
		         "at %s",
		         c->cfg->cluster_node_id,
		         (unsigned)c->cfg->cluster_node_number,
		         c->http[0] != '\0' ? c->http : "(no address)");
}

void
cluster_fwd_uninstall(struct cluster *c)
{
	struct cluster_fwd *fw = c->fwd;
	struct fwd_pending *p;

	if (fwd_cluster == c)
		fwd_cluster = NULL;
	if (fw == NULL)
		return;
	c->fwd = NULL;
	if (fw->n_pending > 0)
		log_warn("cluster: %zu events were still to forward; they "
		         "stay stored here, unmatched",
		         fw->n_pending);
	while ((p = fw->head) != NULL) {
		fw->head = p->next;
		free(p->json);
		free(p);
	}
	if (fw->pulling)
		fw->freed = true;
	else
		free(fw);
}
