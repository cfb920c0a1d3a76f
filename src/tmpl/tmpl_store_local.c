/*
 * tmpl_store_local.c - the local template store (tmpl_store_local.h).
 *
 * SQL runs on the spool's writer thread (spool_exec); the map of active
 * versions is changed on the loop thread in the commit's callback. A job
 * below is owned by the writer between spool_exec and its callback, and
 * by nobody after.
 */
#include "tmpl/tmpl_store_local.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "spool/spool.h"

#define LOCAL_BUCKETS 1024

/* The active versions, by tenant and name (a chained hash). */
struct local_slot {
	struct local_slot *next;
	struct tmpl_store_entry *e;
};

struct tmpl_store_local {
	struct spool *sp;
	struct local_slot *b[LOCAL_BUCKETS];
	size_t n;
};

enum local_op { LOCAL_PUT, LOCAL_ACTIVATE, LOCAL_REMOVE, LOCAL_LIST };

/* One queued operation. */
struct local_job {
	struct tmpl_store_local *sl;
	enum local_op op;
	struct tmpl_store_entry *e; /* PUT: the new version */
	enum tmpl_put_mode mode;
	int activate;
	char tenant[TMPL_STORE_TENANT_MAX];
	char name[TMPL_STORE_NAME_MAX];
	char after[TMPL_STORE_NAME_MAX];
	int version;    /* ACTIVATE, REMOVE, LIST; PUT: the result */
	int was_active; /* PUT, ACTIVATE: the new version is active */
	int has_name;   /* LIST */
	int bodies;     /* LIST */
	size_t limit;   /* LIST */
	struct tmpl_version *rows; /* LIST, ACTIVATE: read */
	size_t n;
	tmpl_store_done_fn *done;
	tmpl_store_list_fn *listed;
	void *arg;
};

static unsigned
local_hash(const char *tenant, const char *name)
{
	unsigned h = 2166136261u;
	const char *p;

	for (p = tenant; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ '\n') * 16777619u;
	for (p = name; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h % LOCAL_BUCKETS;
}

/* local_slot_find - the slot pointing at tenant/name's entry. */
static struct local_slot **
local_slot_find(struct tmpl_store_local *sl, const char *tenant,
                const char *name)
{
	struct local_slot **s = &sl->b[local_hash(tenant, name)];

	for (; *s != NULL; s = &(*s)->next)
		if (strcmp((*s)->e->v.tenant, tenant) == 0 &&
		    strcmp((*s)->e->v.name, name) == 0)
			break;
	return s;
}

/* local_set - make e (taken) the active version of its name. */
static void
local_set(struct tmpl_store_local *sl, struct tmpl_store_entry *e)
{
	struct local_slot **s = local_slot_find(sl, e->v.tenant, e->v.name);

	e->v.active = 1;
	if (*s != NULL) {
		tmpl_store_entry_free((*s)->e);
		(*s)->e = e;
		return;
	}
	*s = xcalloc(1, sizeof(**s));
	(*s)->e = e;
	sl->n++;
}

/* local_drop - forget tenant/name. */
static void
local_drop(struct tmpl_store_local *sl, const char *tenant, const char *name)
{
	struct local_slot **s = local_slot_find(sl, tenant, name), *d;

	if (*s == NULL)
		return;
	d = *s;
	*s = d->next;
	tmpl_store_entry_free(d->e);
	free(d);
	sl->n--;
}

static const struct tmpl_store_entry *
local_find(void *impl, const char *tenant, const char *name)
{
	struct tmpl_store_local *sl = impl;
	struct local_slot **s =
	    local_slot_find(sl, tenant != NULL ? tenant : "", name);

	return *s != NULL ? (*s)->e : NULL;
}

/* local_text - column i as a new string, or NULL. */
static char *
local_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? xstrdup((const char *)t) : NULL;
}

#define LOCAL_COLS                                                             \
	"tenant, name, version, active, dialect, subject, html, text,"         \
	" created_ms, meta"

/* local_row - one row of LOCAL_COLS into v (parts only when bodies;
 * the subject always). */
static void
local_row(sqlite3_stmt *st, int bodies, struct tmpl_version *v)
{
	const unsigned char *t;
	int d, i;

	memset(v, 0, sizeof(*v));
	t = sqlite3_column_text(st, 0);
	snprintf(v->tenant, sizeof(v->tenant), "%s", t ? (const char *)t : "");
	t = sqlite3_column_text(st, 1);
	snprintf(v->name, sizeof(v->name), "%s", t ? (const char *)t : "");
	v->version = sqlite3_column_int(st, 2);
	v->active = sqlite3_column_int(st, 3);
	d = tmpl_store_dialect_parse((const char *)sqlite3_column_text(st, 4));
	v->dialect = d < 0 ? TMPL_MUSTACHE : (enum tmpl_dialect)d;
	for (i = 0; i < TMPL_PARTS; i++)
		if (bodies || i == TMPL_PART_SUBJECT)
			v->part[i] = local_text(st, 5 + i);
	v->created_ms = sqlite3_column_int64(st, 8);
	v->meta = local_text(st, 9);
}

/* local_step1 - prepare sql, bind tenant (1) and name (2), step once:
 * SQLITE_ROW / SQLITE_DONE, or an error; *st left for the caller. */
static int
local_prep(sqlite3 *db, const char *sql, const char *tenant, const char *name,
           sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
		return SQLITE_ERROR;
	sqlite3_bind_text(*st, 1, tenant, -1, SQLITE_STATIC);
	sqlite3_bind_text(*st, 2, name, -1, SQLITE_STATIC);
	return SQLITE_OK;
}

/* local_run - prepare, bind tenant, name and ?3 = i3, step to the end. */
static int
local_run(sqlite3 *db, const char *sql, const char *tenant, const char *name,
          int i3)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (local_prep(db, sql, tenant, name, &st) != SQLITE_OK) {
		sqlite3_finalize(st);
		return SPOOL_ERR_IO;
	}
	if (sqlite3_bind_parameter_count(st) >= 3)
		sqlite3_bind_int(st, 3, i3);
	rc = sqlite3_step(st) == SQLITE_DONE ? SPOOL_OK : SPOOL_ERR_IO;
	sqlite3_finalize(st);
	return rc;
}

/* local_max - the highest version of tenant/name (0: none), or -1. */
static int
local_max(sqlite3 *db, const char *tenant, const char *name)
{
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (local_prep(db,
	               "SELECT coalesce(max(version), 0) FROM templates"
	               " WHERE tenant = ?1 AND name = ?2",
	               tenant, name, &st) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* local_exec_put - INSERT the next version, activate it (writer). */
static int
local_exec_put(sqlite3 *db, struct local_job *j)
{
	const struct tmpl_version *v = &j->e->v;
	sqlite3_stmt *st = NULL;
	int max = local_max(db, v->tenant, v->name), i, rc;

	if (max < 0)
		return SPOOL_ERR_IO;
	if (j->mode == TMPL_PUT_CREATE && max > 0)
		return SPOOL_ERR_CONFLICT;
	if (j->mode == TMPL_PUT_UPDATE && max == 0)
		return SPOOL_ERR_NOTFOUND;
	j->version = max + 1;
	j->was_active = j->activate || max == 0;
	if (j->was_active &&
	    local_run(db,
	              "UPDATE templates SET active = 0 WHERE tenant = ?1"
	              " AND name = ?2 AND active = 1",
	              v->tenant, v->name, 0) != SPOOL_OK)
		return SPOOL_ERR_IO;
	if (local_prep(db,
	               "INSERT INTO templates (" LOCAL_COLS ") VALUES"
	               " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	               v->tenant, v->name, &st) != SQLITE_OK) {
		sqlite3_finalize(st);
		return SPOOL_ERR_IO;
	}
	sqlite3_bind_int(st, 3, j->version);
	sqlite3_bind_int(st, 4, j->was_active);
	sqlite3_bind_text(st, 5, tmpl_dialect_name(v->dialect), -1,
	                  SQLITE_STATIC);
	for (i = 0; i < TMPL_PARTS; i++)
		if (v->part[i] != NULL)
			sqlite3_bind_text(st, 6 + i, v->part[i], -1,
			                  SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, v->created_ms);
	if (v->meta != NULL)
		sqlite3_bind_text(st, 10, v->meta, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? SPOOL_OK : SPOOL_ERR_IO;
	sqlite3_finalize(st);
	return rc;
}

/* local_exec_activate - flip the active flag, read the version back. */
static int
local_exec_activate(sqlite3 *db, struct local_job *j)
{
	sqlite3_stmt *st = NULL;
	int s;

	if (local_prep(db,
	               "SELECT " LOCAL_COLS " FROM templates WHERE tenant = ?1"
	               " AND name = ?2 AND version = ?3",
	               j->tenant, j->name, &st) != SQLITE_OK) {
		sqlite3_finalize(st);
		return SPOOL_ERR_IO;
	}
	sqlite3_bind_int(st, 3, j->version);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		j->rows = xcalloc(1, sizeof(*j->rows));
		local_row(st, 1, j->rows);
		j->n = 1;
	}
	sqlite3_finalize(st);
	if (s == SQLITE_DONE)
		return SPOOL_ERR_NOTFOUND;
	if (s != SQLITE_ROW)
		return SPOOL_ERR_IO;
	return local_run(db,
	                 "UPDATE templates SET active = (version = ?3)"
	                 " WHERE tenant = ?1 AND name = ?2",
	                 j->tenant, j->name, j->version);
}

/* local_exec_remove - DELETE one version or all (writer). */
static int
local_exec_remove(sqlite3 *db, struct local_job *j)
{
	sqlite3_stmt *st = NULL;
	int s, active;

	if (j->version == 0) {
		if (local_run(db,
		              "DELETE FROM templates WHERE tenant = ?1 AND"
		              " name = ?2",
		              j->tenant, j->name, 0) != SPOOL_OK)
			return SPOOL_ERR_IO;
		return sqlite3_changes(db) > 0 ? SPOOL_OK : SPOOL_ERR_NOTFOUND;
	}
	if (local_prep(db,
	               "SELECT active FROM templates WHERE tenant = ?1 AND"
	               " name = ?2 AND version = ?3",
	               j->tenant, j->name, &st) != SQLITE_OK) {
		sqlite3_finalize(st);
		return SPOOL_ERR_IO;
	}
	sqlite3_bind_int(st, 3, j->version);
	s = sqlite3_step(st);
	active = s == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (s == SQLITE_DONE)
		return SPOOL_ERR_NOTFOUND;
	if (s != SQLITE_ROW)
		return SPOOL_ERR_IO;
	if (active)
		return SPOOL_ERR_CONFLICT;
	return local_run(db,
	                 "DELETE FROM templates WHERE tenant = ?1 AND"
	                 " name = ?2 AND version = ?3",
	                 j->tenant, j->name, j->version);
}

/* local_exec_list - SELECT a page (writer). */
static int
local_exec_list(sqlite3 *db, struct local_job *j)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int s, rc = SPOOL_OK;
	const char *sql =
	    j->has_name
	        ? "SELECT " LOCAL_COLS " FROM templates WHERE tenant = ?1"
	          " AND name = ?2 AND (?3 = 0 OR (?3 = -1 AND active = 1)"
	          " OR version = ?3) ORDER BY version LIMIT ?4"
	        : "SELECT " LOCAL_COLS " FROM templates WHERE tenant = ?1"
	          " AND active = 1 AND name > ?2 ORDER BY name LIMIT ?4";

	if (local_prep(db, sql, j->tenant, j->has_name ? j->name : j->after,
	               &st) != SQLITE_OK) {
		sqlite3_finalize(st);
		return SPOOL_ERR_IO;
	}
	if (j->has_name)
		sqlite3_bind_int(st, 3, j->version);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)j->limit);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (j->n == cap) {
			cap = cap != 0 ? cap * 2 : 16;
			j->rows = xreallocarray(j->rows, cap, sizeof(*j->rows));
		}
		local_row(st, j->bodies, &j->rows[j->n++]);
	}
	if (s != SQLITE_DONE)
		rc = SPOOL_ERR_IO;
	sqlite3_finalize(st);
	if (rc == SPOOL_OK && j->has_name && j->n == 0)
		rc = SPOOL_ERR_NOTFOUND;
	return rc;
}

/* local_exec - run job arg inside the writer's transaction. */
static int
local_exec(sqlite3 *db, void *arg)
{
	struct local_job *j = arg;

	switch (j->op) {
	case LOCAL_PUT:
		return local_exec_put(db, j);
	case LOCAL_ACTIVATE:
		return local_exec_activate(db, j);
	case LOCAL_REMOVE:
		return local_exec_remove(db, j);
	case LOCAL_LIST:
		return local_exec_list(db, j);
	}
	return SPOOL_ERR_IO;
}

static void
local_job_free(struct local_job *j)
{
	size_t i;

	tmpl_store_entry_free(j->e);
	for (i = 0; i < j->n; i++)
		tmpl_version_fini(&j->rows[i]);
	free(j->rows);
	free(j);
}

/* local_activated - the version read back by an activate, parsed, as
 * the active one. */
static void
local_activated(struct tmpl_store_local *sl, const struct tmpl_version *v)
{
	struct tmpl_store_entry *e;
	struct tmpl_error err;
	enum tmpl_part bad;

	e = tmpl_store_entry_new(v, &bad, &err);
	if (e == NULL) {
		/* Parsed at upload; only an engine change gets here. */
		log_warn("templates: %s/%s v%d: %s %u:%u: %s", v->tenant,
		         v->name, v->version, tmpl_part_name(bad), err.line,
		         err.col, err.msg);
		local_drop(sl, v->tenant, v->name);
		return;
	}
	local_set(sl, e);
}

/* local_done - the commit is on disk: change the map, tell the caller. */
static void
local_done(int status, void *arg)
{
	struct local_job *j = arg;
	struct tmpl_store_local *sl = j->sl;

	switch (j->op) {
	case LOCAL_PUT:
		if (status == SPOOL_OK && j->was_active) {
			j->e->v.version = j->version;
			local_set(sl, j->e);
			j->e = NULL;
		}
		if (j->done != NULL)
			j->done(status, status == SPOOL_OK ? j->version : 0,
			        j->arg);
		break;
	case LOCAL_ACTIVATE:
		if (status == SPOOL_OK && j->n == 1)
			local_activated(sl, &j->rows[0]);
		if (j->done != NULL)
			j->done(status, 0, j->arg);
		break;
	case LOCAL_REMOVE:
		if (status == SPOOL_OK && j->version == 0)
			local_drop(sl, j->tenant, j->name);
		if (j->done != NULL)
			j->done(status, 0, j->arg);
		break;
	case LOCAL_LIST:
		if (j->listed != NULL)
			j->listed(status, j->rows,
			          status == SPOOL_OK ? j->n : 0, j->arg);
		break;
	}
	local_job_free(j);
}

/* local_queue - hand j to the writer; -1 (j freed) when it is closed. */
static int
local_queue(struct local_job *j)
{
	if (spool_exec(j->sl->sp, local_exec, local_done, j) != 0) {
		local_job_free(j);
		return -1;
	}
	return 0;
}

/* local_job_new - a job of op on tenant/name. */
static struct local_job *
local_job_new(struct tmpl_store_local *sl, enum local_op op, const char *tenant,
              const char *name)
{
	struct local_job *j = xcalloc(1, sizeof(*j));

	j->sl = sl;
	j->op = op;
	snprintf(j->tenant, sizeof(j->tenant), "%s",
	         tenant != NULL ? tenant : "");
	snprintf(j->name, sizeof(j->name), "%s", name != NULL ? name : "");
	return j;
}

static int
local_put(void *impl, struct tmpl_store_entry *e, enum tmpl_put_mode mode,
          int activate, tmpl_store_done_fn *cb, void *arg)
{
	struct local_job *j =
	    local_job_new(impl, LOCAL_PUT, e->v.tenant, e->v.name);

	j->e = e;
	if (e->v.created_ms == 0)
		e->v.created_ms = clock_wall_ms();
	j->mode = mode;
	j->activate = activate;
	j->done = cb;
	j->arg = arg;
	return local_queue(j);
}

static int
local_activate(void *impl, const char *tenant, const char *name, int version,
               tmpl_store_done_fn *cb, void *arg)
{
	struct local_job *j = local_job_new(impl, LOCAL_ACTIVATE, tenant, name);

	j->version = version;
	j->done = cb;
	j->arg = arg;
	return local_queue(j);
}

static int
local_remove(void *impl, const char *tenant, const char *name, int version,
             tmpl_store_done_fn *cb, void *arg)
{
	struct local_job *j = local_job_new(impl, LOCAL_REMOVE, tenant, name);

	j->version = version;
	j->done = cb;
	j->arg = arg;
	return local_queue(j);
}

static int
local_list(void *impl, const struct tmpl_store_query *q, tmpl_store_list_fn *cb,
           void *arg)
{
	struct local_job *j =
	    local_job_new(impl, LOCAL_LIST, q->tenant, q->name);

	j->has_name = q->name != NULL;
	j->version = q->version;
	snprintf(j->after, sizeof(j->after), "%s",
	         q->after != NULL ? q->after : "");
	j->limit = q->limit < 1                     ? 1
	           : q->limit > TMPL_STORE_LIST_MAX ? TMPL_STORE_LIST_MAX
	                                            : q->limit;
	j->bodies = q->bodies;
	j->listed = cb;
	j->arg = arg;
	return local_queue(j);
}

static size_t
local_count(void *impl)
{
	const struct tmpl_store_local *sl = impl;

	return sl->n;
}

static void
local_free(void *impl)
{
	struct tmpl_store_local *sl = impl;
	struct local_slot *s, *next;
	size_t i;

	for (i = 0; i < LOCAL_BUCKETS; i++)
		for (s = sl->b[i]; s != NULL; s = next) {
			next = s->next;
			tmpl_store_entry_free(s->e);
			free(s);
		}
	free(sl);
}

static const struct tmpl_store_backend tmpl_store_local_backend = {
    .name = "local",
    .find = local_find,
    .put = local_put,
    .activate = local_activate,
    .remove = local_remove,
    .list = local_list,
    .count = local_count,
    .free = local_free,
};

struct tmpl_store *
tmpl_store_local_new(struct spool *sp)
{
	struct tmpl_store *s = xcalloc(1, sizeof(*s));
	struct tmpl_store_local *sl = xcalloc(1, sizeof(*sl));

	sl->sp = sp;
	s->be = &tmpl_store_local_backend;
	s->impl = sl;
	return s;
}

int
tmpl_store_local_load(struct tmpl_store *s, const char *db_path, char *err,
                      size_t errlen)
{
	struct tmpl_store_local *sl = s->impl;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct tmpl_version v;
	int rc;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_prepare_v2(db,
	                       "SELECT " LOCAL_COLS " FROM templates"
	                       " WHERE active = 1",
	                       -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		local_row(st, 1, &v);
		local_activated(sl, &v);
		tmpl_version_fini(&v);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return 0;
fail:
	snprintf(err, errlen, "templates: %s: %s", db_path,
	         db != NULL ? sqlite3_errmsg(db) : "cannot open");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return -1;
}
