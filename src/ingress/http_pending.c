/*
 * http_pending.c - an HTTP send request waiting for the spool.
 *
 * A request is a struct http_pending: a watch on the evhttp request (NULL
 * once the client is gone), one result per message and a count of
 * callbacks still due. evhttp's close callback is the only sign that the
 * client left; it also fires when listen.http's timeout closes an idle
 * connection, so a request that waits too long is forgotten the same way. The
 * request holds one extra count while its messages are handed over, so that a
 * spool that answers at once cannot finish it half-way.
 */
#include "ingress/http_pending.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "cluster/cluster_idem.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "ingress/http_conn.h"
#include "ingress/submit.h"
#include "observe/events.h"
#include "spool/msg_meta.h"

#define HTTP_PENDING_MAX 20000        /* requests of one set waiting */
#define HTTP_PENDING_SLACK (1u << 20) /* request bytes around the message */

struct http_pending_set {
	struct spool *sp;
	const char *name;
	size_t body_max;
	size_t pending; /* requests alive */
	bool freed;     /* free when pending drops to 0 */
};

/* A request waiting for its spool callbacks. */
struct http_pending {
	struct http_pending_set *set;
	struct http_pending_watch watch; /* the client */
	char *key_name;
	http_pending_done_fn *done;
	void *arg;
	void (*arg_free)(void *);
	struct http_pending_result *res;
	size_t n, left;
};

/* One message's callback argument. */
struct http_pending_item {
	struct http_pending *p;
	size_t index;
	char *tenant; /* the message's tenant (for its event), or NULL */
	/* A key shared by the fleet (cluster/cluster_idem.h): the message
	 * waiting for its claim, and what names the key once stored. */
	struct spool_msg_new *m;
	struct cluster *cluster;
	char *idem_key, *idem_hash;
};

struct http_pending_set *
http_pending_set_new(struct spool *sp, uint64_t max_message_size,
                     const char *name)
{
	struct http_pending_set *s = xcalloc(1, sizeof(*s));

	s->sp = sp;
	s->name = name;
	s->body_max =
	    (size_t)(max_message_size / 3 * 4 + 4 + HTTP_PENDING_SLACK);
	return s;
}

size_t
http_pending_body_max(const struct http_pending_set *s)
{
	return s->body_max;
}

void
http_pending_set_free(struct http_pending_set *s)
{
	if (s == NULL)
		return;
	if (s->pending == 0)
		free(s);
	else
		s->freed = true;
}

const char *
http_pending_body(const struct http_pending_set *s, struct evhttp_request *req,
                  size_t *len, int *status)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);

	*len = evbuffer_get_length(in);
	if (*len > s->body_max) {
		*status = 413;
		return NULL;
	}
	if (spool_space_check(s->sp) != SPOOL_OK ||
	    s->pending >= HTTP_PENDING_MAX) {
		*status = 503;
		return NULL;
	}
	evbuffer_add(in, "", 1);
	return (const char *)evbuffer_pullup(in, -1);
}

/* http_pending_closed - evhttp closes the connection: forget the request. */
static void
http_pending_closed(struct evhttp_connection *conn, void *arg)
{
	struct http_pending_watch *w = arg;

	(void)conn;
	w->req = NULL; /* and conn is being freed */
}

void
http_pending_watch_start(struct http_pending_watch *w,
                         struct evhttp_request *req)
{
	w->req = req;
	w->conn = evhttp_request_get_connection(req);
	if (w->conn != NULL)
		http_conn_watch_close(w->conn, http_pending_closed, w);
}

struct evhttp_request *
http_pending_watch_end(struct http_pending_watch *w)
{
	/* Unhooked before the answer: sending it may free the connection. */
	if (w->req != NULL && w->conn != NULL)
		http_conn_watch_close(w->conn, NULL, NULL);
	return w->req;
}

/* http_pending_finish - answer (if the client is there) and free p. */
/* http_pending_suppressed - m's meta.suppressed (malloc'd), or NULL. */
static char *
http_pending_suppressed(const struct spool_msg_new *m)
{
	struct msg_meta mm;
	char *s;

	/* Only a message with suppressed recipients pays for a decode. */
	if (m->meta == NULL || strstr(m->meta, "\"suppressed\"") == NULL ||
	    msg_meta_decode(m->meta, strlen(m->meta), &mm) != 0)
		return NULL;
	s = mm.suppressed;
	mm.suppressed = NULL;
	msg_meta_fini(&mm);
	return s;
}

static void
http_pending_finish(struct http_pending *p)
{
	struct http_pending_set *s = p->set;
	struct evhttp_request *req = http_pending_watch_end(&p->watch);

	if (req != NULL)
		p->done(req, p->res, p->n, p->arg);
	for (size_t i = 0; i < p->n; i++)
		free(p->res[i].suppressed);
	free(p->res);
	free(p->key_name);
	if (p->arg_free != NULL)
		p->arg_free(p->arg);
	else
		free(p->arg);
	free(p);
	if (--s->pending == 0 && s->freed)
		free(s);
}

/* http_pending_on_commit - one message's spool callback (loop thread). */
static void
http_pending_on_commit(int status, const char *id, int dup, void *arg)
{
	struct http_pending_item *it = arg;
	struct http_pending *p = it->p;
	struct http_pending_result *r = &p->res[it->index];
	const char *key = p->key_name; /* NULL: logged as - */

	r->status = status;
	r->dup = dup;
	if (id != NULL)
		snprintf(r->id, sizeof(r->id), "%s", id);
	if (status == SPOOL_OK) {
		if (log_level_enabled(LOG_LEVEL_INFO))
			log_info("%s: %s id=%s key=%s", p->set->name,
			         dup ? "replayed" : "accepted", id,
			         log_quote(key).s);
		if (!dup) {
			struct events_item ev = {
			    .kind = EVENT_ACCEPTED,
			    .msg_id = id,
			    .tenant = it->tenant,
			    .ingress = "http",
			};
			events_emit(&ev);
		}
	} else
		log_info("%s: refused key=%s: %s", p->set->name,
		         log_quote(key).s, spool_status_name(status));
	if (status == SPOOL_OK && !dup && it->cluster != NULL)
		cluster_idem_stored(it->cluster, it->tenant, it->idem_key,
		                    it->idem_hash, id);
	free(it->idem_key);
	free(it->idem_hash);
	free(it->tenant);
	free(it);
	if (--p->left == 0)
		http_pending_finish(p);
}

/* http_pending_on_claim - the fleet's answer for a message's key: store
 * it here, or answer as the spool answers a replay or a conflict. */
static void
http_pending_on_claim(enum cluster_idem_verdict v, const char *id, void *arg)
{
	struct http_pending_item *it = arg;
	struct spool_msg_new *m = it->m;
	int rc;

	it->m = NULL;
	if (v == CLUSTER_IDEM_PROCEED) {
		rc = spool_msg_submit_idem(it->p->set->sp, m,
		                           http_pending_on_commit, it);
		if (rc != 0)
			http_pending_on_commit(rc, NULL, 0, it);
	} else {
		spool_msg_new_fini(m);
		it->cluster = NULL; /* nothing stored here */
		http_pending_on_commit(
		    v == CLUSTER_IDEM_DUP ? SPOOL_OK : SPOOL_ERR_CONFLICT,
		    id[0] != '\0' ? id : NULL, 1, it);
	}
	free(m);
}

void
http_pending_submit(struct http_pending_set *s, struct evhttp_request *req,
                    const char *key_name, struct spool_msg_new *ms,
                    const struct http_pending_result *res_pre, size_t n,
                    http_pending_done_fn *done, void *arg,
                    void (*arg_free)(void *))
{
	struct http_pending *p = xcalloc(1, sizeof(*p));
	size_t i;

	p->set = s;
	http_pending_watch_start(&p->watch, req);
	p->key_name = key_name ? xstrdup(key_name) : NULL;
	p->done = done;
	p->arg = arg;
	p->arg_free = arg_free;
	p->n = n;
	p->res = xcalloc(n ? n : 1, sizeof(*p->res));
	p->left = 1; /* held until every message is handed over */
	s->pending++;
	for (i = 0; i < n; i++) {
		struct http_pending_item *it;
		int rc;

		if (res_pre != NULL && res_pre[i].err.http_status != 0) {
			p->res[i] = res_pre[i];
			spool_msg_new_fini(&ms[i]);
			continue;
		}
		ms[i].announce = 1; /* a client's mail: "accepted" is told */
		(void)submit_msgid(&ms[i], p->res[i].message_id);
		p->res[i].suppressed = http_pending_suppressed(&ms[i]);
		it = xcalloc(1, sizeof(*it));
		it->p = p;
		it->index = i;
		it->tenant = ms[i].tenant ? xstrdup(ms[i].tenant) : NULL;
		p->left++;
		if (ms[i].idempotency_key != NULL &&
		    (it->cluster = cluster_idem_active()) != NULL) {
			/* The same key on two nodes stores one message. */
			it->idem_key = xstrdup(ms[i].idempotency_key);
			it->idem_hash = ms[i].idempotency_hash
			                    ? xstrdup(ms[i].idempotency_hash)
			                    : NULL;
			it->m = xmemdup(&ms[i], sizeof(ms[i]));
			memset(&ms[i], 0, sizeof(ms[i]));
			cluster_idem_claim(it->cluster, it->tenant,
			                   it->idem_key, it->idem_hash,
			                   http_pending_on_claim, it);
			continue;
		}
		rc = spool_msg_submit_idem(s->sp, &ms[i],
		                           http_pending_on_commit, it);
		if (rc != 0)
			http_pending_on_commit(rc, NULL, 0, it);
	}
	if (--p->left == 0)
		http_pending_finish(p);
}

void
http_pending_client(struct evhttp_request *req, char *out, size_t n)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	char host[64] = "?";
	uint16_t port = 0;

	/* The real client, also behind a load balancer (PROXY header). */
	if (conn != NULL)
		http_conn_client(conn, host, sizeof(host), &port);
	snprintf(out, n, "%s:%u", host, port);
}
