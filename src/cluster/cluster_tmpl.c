/*
 * cluster_tmpl.c - the template store shared by the fleet (see
 * cluster_tmpl.h).
 */
#include "cluster/cluster_tmpl.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "cluster/cluster_int.h"
#include "cluster/cluster_link.h"
#include "cluster/cluster_msg.h"
#include "config/config.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "spool/spool.h"
#include "tmpl/tmpl_store.h"

struct cluster_tmpl {
	struct cluster *c;
	struct tmpl_store *s;
	const struct tmpl_store_backend *be; /* the local store's own */
	void *impl;
	char *hash;     /* <prefix>:tmpl */
	size_t pending; /* changes of ours (or fleet reads) in flight */
	bool unwrapped; /* the cluster is gone: the last one frees this */
};

/* One change of ours waiting for the local disk, or a fleet read. */
struct tmpl_op {
	struct cluster_tmpl *ct;
	tmpl_store_done_fn *cb;
	void *arg;
	char tenant[TMPL_STORE_TENANT_MAX];
	char name[TMPL_STORE_NAME_MAX];
};

static const char *const part_keys[TMPL_PARTS] = {"subject", "html", "text"};

char *
cluster_tmpl_encode(const struct tmpl_store_entry *e)
{
	json_t *o = json_object();
	char *s;
	int i;

	if (e == NULL) {
		json_object_set_new(o, "removed", json_true());
	} else {
		json_object_set_new(
		    o, "dialect", json_string(tmpl_dialect_name(e->v.dialect)));
		for (i = 0; i < TMPL_PARTS; i++)
			if (e->v.part[i] != NULL)
				json_object_set_new(o, part_keys[i],
				                    json_string(e->v.part[i]));
		json_object_set_new(o, "version", json_integer(e->v.version));
		/* An ESP API's attributes (tmpl_store.h): SendGrid's
		 * records and Postmark's aliases have no part, only this. */
		if (e->v.meta != NULL)
			json_object_set_new(o, "meta", json_string(e->v.meta));
	}
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (s == NULL)
		log_panic("cluster: cannot encode a template");
	return s;
}

int
cluster_tmpl_decode(const char *buf, size_t len, const char *tenant,
                    const char *name, struct tmpl_version *out, int *removed,
                    char *err, size_t errlen)
{
	json_error_t je;
	json_t *o, *v;
	size_t total = 0;
	int i, n = 0, d;

	memset(out, 0, sizeof(*out));
	*removed = 0;
	if (strlen(tenant) >= sizeof(out->tenant) ||
	    strlen(name) >= sizeof(out->name)) {
		snprintf(err, errlen, "tenant or name too long");
		return -1;
	}
	o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(o)) {
		json_decref(o);
		snprintf(err, errlen, "not a JSON object");
		return -1;
	}
	if (json_is_true(json_object_get(o, "removed"))) {
		json_decref(o);
		*removed = 1;
		return 0;
	}
	v = json_object_get(o, "dialect");
	d = json_is_string(v) ? tmpl_store_dialect_parse(json_string_value(v))
	                      : -1;
	if (d < 0) {
		json_decref(o);
		snprintf(err, errlen, "no known dialect");
		return -1;
	}
	snprintf(out->tenant, sizeof(out->tenant), "%s", tenant);
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->dialect = (enum tmpl_dialect)d;
	for (i = 0; i < TMPL_PARTS; i++) {
		v = json_object_get(o, part_keys[i]);
		if (v == NULL)
			continue;
		if (!json_is_string(v) ||
		    strlen(json_string_value(v)) != json_string_length(v) ||
		    (total += json_string_length(v)) > TMPL_STORE_SOURCE_MAX) {
			json_decref(o);
			tmpl_version_fini(out);
			snprintf(err, errlen,
			         "part %s is not text or the parts are too "
			         "long",
			         part_keys[i]);
			return -1;
		}
		out->part[i] = xstrdup(json_string_value(v));
		n++;
	}
	v = json_object_get(o, "meta");
	if (json_is_string(v) &&
	    strlen(json_string_value(v)) == json_string_length(v)) {
		out->meta = xstrdup(json_string_value(v));
		n++;
	}
	json_decref(o);
	if (n == 0) {
		tmpl_version_fini(out);
		snprintf(err, errlen, "no part");
		return -1;
	}
	return 0;
}

/* tmpl_field - "<tenant>\n<name>" (malloc'd). */
static char *
tmpl_field(const char *tenant, const char *name)
{
	return cluster_fmt("%s\n%s", tenant, name);
}

/* tmpl_release - one pending op less; free if the cluster is gone. */
static void
tmpl_release(struct cluster_tmpl *ct)
{
	if (--ct->pending == 0 && ct->unwrapped) {
		free(ct->hash);
		free(ct);
	}
}

/* tmpl_share - tell the fleet name's active version here now. */
static void
tmpl_share(struct cluster_tmpl *ct, const char *tenant, const char *name)
{
	struct cluster_msg m = {.kind = CLUSTER_MSG_TEMPLATE};
	char *json, *field;

	if (!cluster_link_up(ct->c->link))
		return;
	json = cluster_tmpl_encode(ct->be->find(ct->impl, tenant, name));
	field = tmpl_field(tenant, name);
	cluster_link_command(ct->c->link, "HSET %s %s %s", ct->hash, field,
	                     json);
	free(field);
	free(json);
	m.tenant = (char *)tenant;
	m.name = (char *)name;
	cluster_publish(ct->c, &m);
}

/* tmpl_on_done - our change is durable here: share it, tell the caller. */
static void
tmpl_on_done(int status, int version, void *arg)
{
	struct tmpl_op *op = arg;
	struct cluster_tmpl *ct = op->ct;

	if (status == SPOOL_OK && !ct->unwrapped)
		tmpl_share(ct, op->tenant, op->name);
	if (op->cb != NULL)
		op->cb(status, version, op->arg);
	free(op);
	tmpl_release(ct);
}

/* tmpl_op_new - an op of ours on tenant's name, pending from now. */
static struct tmpl_op *
tmpl_op_new(struct cluster_tmpl *ct, const char *tenant, const char *name,
            tmpl_store_done_fn *cb, void *arg)
{
	struct tmpl_op *op = xcalloc(1, sizeof(*op));

	op->ct = ct;
	op->cb = cb;
	op->arg = arg;
	snprintf(op->tenant, sizeof(op->tenant), "%s", tenant ? tenant : "");
	snprintf(op->name, sizeof(op->name), "%s", name ? name : "");
	ct->pending++;
	return op;
}

/* tmpl_queued - rc of a local call for op: on -1 the op is undone. */
static int
tmpl_queued(struct tmpl_op *op, int rc)
{
	if (rc != 0) {
		struct cluster_tmpl *ct = op->ct;

		free(op);
		tmpl_release(ct);
	}
	return rc;
}

static const struct tmpl_store_entry *
ct_find(void *impl, const char *tenant, const char *name)
{
	struct cluster_tmpl *ct = impl;

	return ct->be->find(ct->impl, tenant, name);
}

static int
ct_put(void *impl, struct tmpl_store_entry *e, enum tmpl_put_mode mode,
       int activate, tmpl_store_done_fn *cb, void *arg)
{
	struct cluster_tmpl *ct = impl;
	struct tmpl_op *op = tmpl_op_new(ct, e->v.tenant, e->v.name, cb, arg);

	return tmpl_queued(
	    op, ct->be->put(ct->impl, e, mode, activate, tmpl_on_done, op));
}

static int
ct_activate(void *impl, const char *tenant, const char *name, int version,
            tmpl_store_done_fn *cb, void *arg)
{
	struct cluster_tmpl *ct = impl;
	struct tmpl_op *op = tmpl_op_new(ct, tenant, name, cb, arg);

	return tmpl_queued(op, ct->be->activate(ct->impl, tenant, name, version,
	                                        tmpl_on_done, op));
}

static int
ct_remove(void *impl, const char *tenant, const char *name, int version,
          tmpl_store_done_fn *cb, void *arg)
{
	struct cluster_tmpl *ct = impl;
	struct tmpl_op *op = tmpl_op_new(ct, tenant, name, cb, arg);

	return tmpl_queued(op, ct->be->remove(ct->impl, tenant, name, version,
	                                      tmpl_on_done, op));
}

static int
ct_list(void *impl, const struct tmpl_store_query *q, tmpl_store_list_fn *cb,
        void *arg)
{
	struct cluster_tmpl *ct = impl;

	return ct->be->list(ct->impl, q, cb, arg);
}

static size_t
ct_count(void *impl)
{
	struct cluster_tmpl *ct = impl;

	return ct->be->count(ct->impl);
}

/* ct_free - the store is freed while still wrapped: free the local one
 * (the cluster is gone by then, see cluster_free). */
static void
ct_free(void *impl)
{
	struct cluster_tmpl *ct = impl;

	ct->be->free(ct->impl);
}

static const struct tmpl_store_backend cluster_tmpl_backend = {
    .name = "cluster",
    .find = ct_find,
    .put = ct_put,
    .activate = ct_activate,
    .remove = ct_remove,
    .list = ct_list,
    .count = ct_count,
    .free = ct_free,
};

void
cluster_tmpl_wrap(struct cluster *c, struct tmpl_store *s)
{
	struct cluster_tmpl *ct = xcalloc(1, sizeof(*ct));

	ct->c = c;
	ct->s = s;
	ct->be = s->be;
	ct->impl = s->impl;
	ct->hash = cluster_fmt("%s:tmpl", c->cfg->cluster_key_prefix);
	s->be = &cluster_tmpl_backend;
	s->impl = ct;
	c->tmpl = ct;
}

void
cluster_tmpl_unwrap(struct cluster *c)
{
	struct cluster_tmpl *ct = c->tmpl;

	if (ct == NULL)
		return;
	c->tmpl = NULL;
	ct->s->be = ct->be;
	ct->s->impl = ct->impl;
	ct->unwrapped = true;
	if (ct->pending == 0) {
		free(ct->hash);
		free(ct);
	}
}

/* tmpl_on_applied - a fleet change is durable here (or not). */
static void
tmpl_on_applied(int status, int version, void *arg)
{
	struct tmpl_op *op = arg;

	if (status != SPOOL_OK && status != SPOOL_ERR_NOTFOUND)
		log_limited(LOG_LEVEL_WARN,
		            "cluster: template %s from the fleet not stored: "
		            "status %d",
		            op->name, status);
	tmpl_release(op->ct);
	free(op);
}

/* tmpl_same - is the local active version v's dialect, parts and meta? */
static bool
tmpl_same(const struct tmpl_store_entry *e, const struct tmpl_version *v)
{
	int i;

	if (e == NULL || e->v.dialect != v->dialect ||
	    (e->v.meta == NULL) != (v->meta == NULL) ||
	    (v->meta != NULL && strcmp(e->v.meta, v->meta) != 0))
		return false;
	for (i = 0; i < TMPL_PARTS; i++)
		if ((e->v.part[i] == NULL) != (v->part[i] == NULL) ||
		    (v->part[i] != NULL &&
		     strcmp(e->v.part[i], v->part[i]) != 0))
			return false;
	return true;
}

/* tmpl_op_undo - op was never queued; its caller still holds ct (a
 * pending read), so ct is not freed here. */
static void
tmpl_op_undo(struct tmpl_op *op)
{
	op->ct->pending--;
	free(op);
}

/* tmpl_apply_value - make tenant's name here what the fleet's value
 * says (local store only: not shared again). */
static void
tmpl_apply_value(struct cluster_tmpl *ct, const char *tenant, const char *name,
                 const char *buf, size_t len)
{
	const struct tmpl_store_entry *here =
	    ct->be->find(ct->impl, tenant, name);
	struct tmpl_store_entry *e;
	struct tmpl_version v;
	struct tmpl_error te;
	enum tmpl_part bad;
	struct tmpl_op *op;
	char err[160];
	int removed;

	if (cluster_tmpl_decode(buf, len, tenant, name, &v, &removed, err,
	                        sizeof(err)) < 0) {
		log_limited(LOG_LEVEL_WARN, "cluster: template %s: %s", name,
		            err);
		return;
	}
	if (removed) {
		if (here == NULL)
			return;
		op = tmpl_op_new(ct, tenant, name, NULL, NULL);
		if (ct->be->remove(ct->impl, tenant, name, 0, tmpl_on_applied,
		                   op) != 0) {
			tmpl_op_undo(op); /* the caller holds ct */
		}
		return;
	}
	if (tmpl_same(here, &v)) {
		tmpl_version_fini(&v);
		return;
	}
	memset(&te, 0, sizeof(te));
	e = tmpl_store_entry_new(&v, &bad, &te);
	tmpl_version_fini(&v);
	if (e == NULL) {
		log_limited(LOG_LEVEL_WARN,
		            "cluster: template %s from the fleet does not "
		            "parse here (%s)",
		            name, tmpl_part_name(bad));
		return;
	}
	op = tmpl_op_new(ct, tenant, name, NULL, NULL);
	log_info("cluster: template %s of tenant \"%s\" changed in the fleet: "
	         "stored here",
	         name, tenant);
	if (ct->be->put(ct->impl, e, TMPL_PUT_ANY, 1, tmpl_on_applied, op) !=
	    0) {
		tmpl_op_undo(op); /* the caller holds ct */
	}
}

/* tmpl_on_hget - the value of one announced name. */
static void
tmpl_on_hget(const struct redisReply *r, void *arg)
{
	struct tmpl_op *op = arg;
	struct cluster_tmpl *ct = op->ct;

	if (r != NULL && r->type == REDIS_REPLY_STRING && !ct->unwrapped)
		tmpl_apply_value(ct, op->tenant, op->name, r->str, r->len);
	free(op);
	tmpl_release(ct);
}

void
cluster_tmpl_apply(struct cluster *c, const struct cluster_msg *m)
{
	struct cluster_tmpl *ct = c->tmpl;
	struct tmpl_op *op;
	char *field;

	if (ct == NULL || strlen(m->tenant) >= TMPL_STORE_TENANT_MAX ||
	    !tmpl_store_name_ok(m->name))
		return;
	op = tmpl_op_new(ct, m->tenant, m->name, NULL, NULL);
	field = tmpl_field(m->tenant, m->name);
	if (cluster_link_command_cb(c->link, tmpl_on_hget, op, "HGET %s %s",
	                            ct->hash, field) != 0) {
		free(op);
		tmpl_release(ct);
	}
	free(field);
}

/* tmpl_on_hgetall - the whole hash: apply every name. */
static void
tmpl_on_hgetall(const struct redisReply *r, void *arg)
{
	struct cluster_tmpl *ct = arg;
	size_t i;

	if (r != NULL && r->type == REDIS_REPLY_ARRAY && !ct->unwrapped)
		for (i = 0; i + 1 < r->elements; i += 2) {
			const redisReply *f = r->element[i];
			const redisReply *v = r->element[i + 1];
			char tenant[TMPL_STORE_TENANT_MAX];
			const char *nl;

			if (f->type != REDIS_REPLY_STRING ||
			    v->type != REDIS_REPLY_STRING ||
			    strlen(f->str) != f->len ||
			    (nl = strchr(f->str, '\n')) == NULL ||
			    (size_t)(nl - f->str) >= sizeof(tenant) ||
			    !tmpl_store_name_ok(nl + 1))
				continue;
			memcpy(tenant, f->str, (size_t)(nl - f->str));
			tenant[nl - f->str] = '\0';
			/* ct->pending counts this read: ct outlives the loop.
			 */
			tmpl_apply_value( // NOLINT(clang-analyzer-unix.Malloc)
			    ct, tenant, nl + 1, v->str, v->len);
		}
	tmpl_release(ct);
}

void
cluster_tmpl_resync(struct cluster *c)
{
	struct cluster_tmpl *ct = c->tmpl;

	if (ct == NULL)
		return;
	ct->pending++;
	if (cluster_link_command_cb(c->link, tmpl_on_hgetall, ct, "HGETALL %s",
	                            ct->hash) != 0)
		tmpl_release(ct);
}
