/*
 * cluster_suppress.c - the suppression list shared by the fleet (see
 * cluster_suppress.h).
 */
#include "cluster/cluster_suppress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "cluster/cluster_int.h"
#include "cluster/cluster_link.h"
#include "cluster/cluster_msg.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "spool/spool.h"
#include "spool/suppress.h"

/* How long a remove is kept in the hash for nodes cut off (30 days). */
#define SUPP_TOMBSTONE_MS (30LL * 24 * 3600 * 1000)

struct cluster_supp {
	struct cluster *c;
	struct suppress *s;                /* the list, wrapped in place */
	const struct suppress_backend *be; /* its own backend */
	void *impl;
	char *hash;     /* <prefix>:supp */
	size_t pending; /* our adds and removes waiting for the disk */
	bool unwrapped; /* the cluster is gone: the last op frees this */
};

/* One add or remove of ours waiting for the local disk. */
struct supp_op {
	struct cluster_supp *cs;
	suppress_done_fn *cb;
	void *arg;
	struct suppress_entry *e; /* add: the entries; remove: one, address */
	size_t n;
	bool remove;
};

/* supp_entry_msg - e as a suppress message (strings borrowed). */
static void
supp_entry_msg(const struct suppress_entry *e, bool remove,
               struct cluster_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->kind = CLUSTER_MSG_SUPPRESS;
	m->action = remove ? "remove" : "add";
	m->tenant = (char *)e->tenant;
	m->address = (char *)e->address;
	if (!remove) {
		m->reason = (char *)suppress_reason_name(e->reason);
		m->provider = (char *)e->provider;
		m->diagnostic = (char *)e->diagnostic;
		m->created_ms = e->created_ms > 0 ? (uint64_t)e->created_ms : 0;
		m->expires_ms = e->expires_ms > 0 ? (uint64_t)e->expires_ms : 0;
	}
}

/* supp_share - tell the fleet, and keep it in the hash for those who
 * join later. */
static void
supp_share(struct cluster_supp *cs, const struct suppress_entry *e, bool remove)
{
	struct cluster_msg m;
	char *json;

	if (!cluster_link_up(cs->c->link))
		return;
	supp_entry_msg(e, remove, &m);
	cluster_publish(cs->c, &m);
	/* A remove stays in the hash as a tombstone (the message itself,
	 * with its node and time): a node cut off now learns it on
	 * re-joining. An add of the address later replaces it. */
	json = cluster_msg_encode(&m);
	cluster_link_command(cs->c->link, "HSET %s %s\n%s %s", cs->hash,
	                     e->tenant, e->address, json);
	free(json);
}

/* supp_on_done - our add or remove is on this node's disk: share it,
 * then tell the caller. */
static void
supp_on_done(int status, size_t n, void *arg)
{
	struct supp_op *op = arg;
	struct cluster_supp *cs = op->cs;
	size_t i;

	if (status == SPOOL_OK && !cs->unwrapped)
		for (i = 0; i < op->n; i++)
			supp_share(cs, &op->e[i], op->remove);
	if (op->cb != NULL)
		op->cb(status, n, op->arg);
	free(op->e);
	free(op);
	if (--cs->pending == 0 && cs->unwrapped) {
		free(cs->hash);
		free(cs);
	}
}

static bool
supp_check(void *impl, const char *tenant, const char *addr, int64_t now_ms,
           enum suppress_reason *why)
{
	struct cluster_supp *cs = impl;

	return cs->be->check(cs->impl, tenant, addr, now_ms, why);
}

/* supp_op_new - an op of ours, counted as pending from now. */
static struct supp_op *
supp_op_new(struct cluster_supp *cs, suppress_done_fn *cb, void *arg,
            bool remove)
{
	struct supp_op *op = xcalloc(1, sizeof(*op));

	op->cs = cs;
	op->cb = cb;
	op->arg = arg;
	op->remove = remove;
	cs->pending++;
	return op;
}

/* supp_op_started - rc is the local backend's answer to op's call: on a
 * refusal nothing will call back, so op goes now. */
static int
supp_op_started(struct supp_op *op, int rc)
{
	if (rc == 0)
		return 0;
	op->cs->pending--;
	free(op->e);
	free(op);
	return -1;
}

static int
supp_add(void *impl, const struct suppress_entry *e, size_t n,
         suppress_done_fn *cb, void *arg)
{
	struct cluster_supp *cs = impl;
	struct supp_op *op;

	if (cs->c->applying)
		return cs->be->add(cs->impl, e, n, cb, arg);
	op = supp_op_new(cs, cb, arg, false);
	op->n = n;
	op->e = xmemdup(e, (n ? n : 1) * sizeof(*e));
	return supp_op_started(op,
	                       cs->be->add(cs->impl, e, n, supp_on_done, op));
}

static int
supp_remove(void *impl, const char *tenant, const char *addr,
            suppress_done_fn *cb, void *arg)
{
	struct cluster_supp *cs = impl;
	struct supp_op *op;

	if (cs->c->applying)
		return cs->be->remove(cs->impl, tenant, addr, cb, arg);
	op = supp_op_new(cs, cb, arg, true);
	op->n = 1;
	op->e = xcalloc(1, sizeof(*op->e));
	snprintf(op->e->tenant, sizeof(op->e->tenant), "%s", tenant);
	snprintf(op->e->address, sizeof(op->e->address), "%s", addr);
	return supp_op_started(
	    op, cs->be->remove(cs->impl, tenant, addr, supp_on_done, op));
}

static int
supp_list(void *impl, const struct suppress_query *q, suppress_entries_fn *cb,
          void *arg)
{
	struct cluster_supp *cs = impl;

	return cs->be->list(cs->impl, q, cb, arg);
}

static size_t
supp_count(void *impl)
{
	struct cluster_supp *cs = impl;

	return cs->be->count(cs->impl);
}

/* supp_free - never called while wrapped: cluster_free unwraps first. */
static void
supp_free(void *impl)
{
	log_panic("cluster: the shared suppression list freed while wrapped");
}

static const struct suppress_backend cluster_supp_backend = {
    .name = "cluster",
    .check = supp_check,
    .add = supp_add,
    .remove = supp_remove,
    .list = supp_list,
    .count = supp_count,
    .free = supp_free,
};

void
cluster_suppress_wrap(struct cluster *c, struct suppress *s)
{
	struct cluster_supp *cs = xcalloc(1, sizeof(*cs));
	size_t len = strlen(c->cfg->cluster_key_prefix) + 6;

	cs->c = c;
	cs->s = s;
	cs->be = s->be;
	cs->impl = s->impl;
	cs->hash = xmalloc(len);
	snprintf(cs->hash, len, "%s:supp", c->cfg->cluster_key_prefix);
	s->be = &cluster_supp_backend;
	s->impl = cs;
	c->supp = cs;
}

void
cluster_suppress_unwrap(struct cluster *c)
{
	struct cluster_supp *cs = c->supp;

	if (cs == NULL)
		return;
	cs->s->be = cs->be;
	cs->s->impl = cs->impl;
	c->supp = NULL;
	cs->unwrapped = true;
	if (cs->pending == 0) {
		free(cs->hash);
		free(cs);
	}
}

/* supp_msg_entry - m (an add) as an entry; -1 when it does not fit. */
static int
supp_msg_entry(const struct cluster_msg *m, struct suppress_entry *e)
{
	int reason = suppress_reason_parse(m->reason);

	memset(e, 0, sizeof(*e));
	if (reason < 0 || strlen(m->tenant) >= sizeof(e->tenant) ||
	    strlen(m->address) >= sizeof(e->address))
		return -1;
	snprintf(e->tenant, sizeof(e->tenant), "%s", m->tenant);
	snprintf(e->address, sizeof(e->address), "%s", m->address);
	e->reason = (enum suppress_reason)reason;
	snprintf(e->provider, sizeof(e->provider), "%s",
	         m->provider ? m->provider : "");
	snprintf(e->diagnostic, sizeof(e->diagnostic), "%s",
	         m->diagnostic ? m->diagnostic : "");
	e->created_ms = (int64_t)m->created_ms;
	e->expires_ms = (int64_t)m->expires_ms;
	return 0;
}

/* supp_on_applied - a fleet change is on this node's disk (or not). */
static void
supp_on_applied(int status, size_t n, void *arg)
{
	if (status != SPOOL_OK && status != SPOOL_ERR_NOTFOUND)
		log_limited(LOG_LEVEL_WARN,
		            "cluster: a suppression from the fleet was not "
		            "stored: status %d",
		            status);
}

void
cluster_suppress_apply(struct cluster *c, const struct cluster_msg *m)
{
	struct cluster_supp *cs = c->supp;
	struct suppress_entry e;

	if (cs == NULL)
		return;
	c->applying = true;
	if (strcmp(m->action, "remove") == 0) {
		cs->be->remove(cs->impl, m->tenant, m->address, supp_on_applied,
		               NULL);
	} else if (supp_msg_entry(m, &e) == 0) {
		cs->be->add(cs->impl, &e, 1, supp_on_applied, NULL);
	}
	c->applying = false;
}

/* supp_resync_remove - a tombstone in the fleet's hash (field f, the
 * remove m): take the address off here if this node still has it; a
 * tombstone older than SUPP_TOMBSTONE_MS is dropped from the hash. */
static void
supp_resync_remove(struct cluster *c, const redisReply *f,
                   const struct cluster_msg *m, size_t *removed)
{
	struct cluster_supp *cs = c->supp;
	enum suppress_reason why;

	if (m->at_ms > 0 && clock_wall_ms() - m->at_ms > SUPP_TOMBSTONE_MS &&
	    f->type == REDIS_REPLY_STRING) {
		cluster_link_command(c->link, "HDEL %s %b", cs->hash, f->str,
		                     f->len);
		return;
	}
	if (!cs->be->check(cs->impl, m->tenant, m->address, 0, &why))
		return;
	c->applying = true;
	if (cs->be->remove(cs->impl, m->tenant, m->address, supp_on_applied,
	                   NULL) == 0)
		(*removed)++;
	c->applying = false;
}

/* supp_on_hgetall - the fleet's list: add what this node lacks, remove
 * what was removed while it was away. */
static void
supp_on_hgetall(const struct redisReply *r, void *arg)
{
	struct cluster *c = arg;
	struct cluster_supp *cs = c->supp;
	struct suppress_entry *add = NULL;
	struct cluster_msg m;
	enum suppress_reason why;
	char err[160];
	size_t i, n = 0, removed = 0;

	if (r == NULL || cs == NULL || r->type != REDIS_REPLY_ARRAY)
		return;
	for (i = 1; i < r->elements; i += 2) {
		const redisReply *v = r->element[i];

		if (v->type != REDIS_REPLY_STRING ||
		    cluster_msg_decode(v->str, v->len, &m, err, sizeof(err)) <
		        0)
			continue;
		if (m.kind == CLUSTER_MSG_SUPPRESS &&
		    strcmp(m.action, "remove") == 0) {
			supp_resync_remove(c, r->element[i - 1], &m, &removed);
		} else if (m.kind == CLUSTER_MSG_SUPPRESS &&
		           strcmp(m.action, "add") == 0 &&
		           !cs->be->check(cs->impl, m.tenant, m.address, 0,
		                          &why)) {
			add = xreallocarray(add, n + 1, sizeof(*add));
			if (supp_msg_entry(&m, &add[n]) == 0)
				n++;
		}
		cluster_msg_fini(&m);
	}
	if (removed > 0)
		log_info("cluster: %zu suppressions removed in the fleet "
		         "while this node was away removed here",
		         removed);
	if (n > 0) {
		log_info("cluster: %zu suppressions from the fleet added here",
		         n);
		cs->be->add(cs->impl, add, n, supp_on_applied, NULL);
	}
	free(add);
}

void
cluster_suppress_resync(struct cluster *c)
{
	if (c->supp != NULL)
		cluster_link_command_cb(c->link, supp_on_hgetall, c,
		                        "HGETALL %s", c->supp->hash);
}
