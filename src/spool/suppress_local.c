/*
 * suppress_local.c - the local suppression backend (suppress_local.h).
 *
 * SQL runs on the spool's writer thread (spool_exec); the hash set
 * (suppress_index.c) is changed on the loop thread in the commit's
 * callback. A job below is owned by the writer between spool_exec and
 * its callback, and by nobody after.
 */
#include "spool/suppress_local.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/xmalloc.h"
#include "spool/spool.h"
#include "spool/suppress_index.h"

const char suppress_local_schema[] =
    "CREATE TABLE IF NOT EXISTS suppressions ("
    " tenant TEXT NOT NULL, akey TEXT NOT NULL, address TEXT NOT NULL,"
    " reason TEXT NOT NULL, provider TEXT NOT NULL DEFAULT '',"
    " created_ms INTEGER NOT NULL, expires_ms INTEGER,"
    " diagnostic TEXT NOT NULL DEFAULT '',"
    " PRIMARY KEY (tenant, akey)) WITHOUT ROWID";

struct suppress_local {
	struct spool *sp;
	bool sensitive;
	struct suppress_index *ix;
};

enum local_op { LOCAL_ADD, LOCAL_REMOVE, LOCAL_LIST, LOCAL_PURGE };

/* One queued operation. */
struct local_job {
	struct suppress_local *sl;
	enum local_op op;
	struct suppress_entry *e; /* ADD: the entries; LIST: the results */
	char (*keys)[SUPPRESS_TENANT_MAX + SUPPRESS_ADDR_MAX + 1];
	size_t n;
	struct suppress_query q; /* LIST; strings below */
	char tenant[SUPPRESS_TENANT_MAX];
	char akey[SUPPRESS_ADDR_MAX]; /* REMOVE, LIST (exact) */
	char after[SUPPRESS_ADDR_MAX];
	suppress_done_fn *done;
	suppress_entries_fn *entries;
	void *arg;
};

/* local_akey - the comparison key without the tenant; its length or -1. */
static int
local_akey(const struct suppress_local *sl, const char *addr, char *out,
           size_t n)
{
	char k[SUPPRESS_ADDR_MAX + 2];
	int len = suppress_addr_key("", addr, sl->sensitive, k, sizeof(k));

	if (len < 1 || (size_t)len > n)
		return -1;
	memcpy(out, k + 1, (size_t)len);
	return len - 1;
}

/* local_key - tenant '\n' akey into out; its length or -1. */
static int
local_key(const struct suppress_local *sl, const char *tenant, const char *addr,
          char *out, size_t n)
{
	return suppress_addr_key(tenant != NULL ? tenant : "", addr,
	                         sl->sensitive, out, n);
}

/* local_check - the set's answer. */
static bool
local_check(void *impl, const char *tenant, const char *addr, int64_t now_ms,
            enum suppress_reason *why)
{
	struct suppress_local *sl = impl;
	char k[SUPPRESS_TENANT_MAX + SUPPRESS_ADDR_MAX + 1];
	int len = local_key(sl, tenant, addr, k, sizeof(k)), r = 0;

	if (len < 0 || !suppress_index_get(sl->ix, k, (size_t)len, now_ms, &r))
		return false;
	if (why != NULL)
		*why = (enum suppress_reason)r;
	return true;
}

/* local_text - column i as text into out[0..n). */
static void
local_text(sqlite3_stmt *st, int i, char *out, size_t n)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(out, n, "%s", t != NULL ? (const char *)t : "");
}

/* local_row - one row (tenant, address, reason, provider, created,
 * expires, diagnostic) into e. */
static void
local_row(sqlite3_stmt *st, struct suppress_entry *e)
{
	char reason[32];
	int r;

	memset(e, 0, sizeof(*e));
	local_text(st, 0, e->tenant, sizeof(e->tenant));
	local_text(st, 1, e->address, sizeof(e->address));
	local_text(st, 2, reason, sizeof(reason));
	r = suppress_reason_parse(reason);
	e->reason = r < 0 ? SUPPRESS_MANUAL : (enum suppress_reason)r;
	local_text(st, 3, e->provider, sizeof(e->provider));
	e->created_ms = sqlite3_column_int64(st, 4);
	e->expires_ms = sqlite3_column_type(st, 5) == SQLITE_NULL
	                    ? 0
	                    : sqlite3_column_int64(st, 5);
	local_text(st, 6, e->diagnostic, sizeof(e->diagnostic));
}

/* local_exec_add - INSERT OR REPLACE every entry (writer thread). */
static int
local_exec_add(sqlite3 *db, struct local_job *j)
{
	sqlite3_stmt *st = NULL;
	const struct suppress_entry *e;
	size_t i;
	int rc = SPOOL_OK;
	const char *akey;

	if (sqlite3_prepare_v2(
	        db,
	        "INSERT OR REPLACE INTO suppressions (tenant, akey, address,"
	        " reason, provider, created_ms, expires_ms, diagnostic)"
	        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	        -1, &st, NULL) != SQLITE_OK)
		return SPOOL_ERR_IO;
	for (i = 0; i < j->n && rc == SPOOL_OK; i++) {
		e = &j->e[i];
		akey = strchr(j->keys[i], '\n') + 1;
		sqlite3_bind_text(st, 1, e->tenant, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, akey, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, e->address, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, suppress_reason_name(e->reason), -1,
		                  SQLITE_STATIC);
		sqlite3_bind_text(st, 5, e->provider, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, e->created_ms);
		if (e->expires_ms != 0)
			sqlite3_bind_int64(st, 7, e->expires_ms);
		else
			sqlite3_bind_null(st, 7);
		sqlite3_bind_text(st, 8, e->diagnostic, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = SPOOL_ERR_IO;
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	sqlite3_finalize(st);
	return rc;
}

/* local_exec_remove - DELETE one row (writer thread). */
static int
local_exec_remove(sqlite3 *db, struct local_job *j)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db,
	                       "DELETE FROM suppressions WHERE tenant = ? AND"
	                       " akey = ?",
	                       -1, &st, NULL) != SQLITE_OK)
		return SPOOL_ERR_IO;
	sqlite3_bind_text(st, 1, j->tenant, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, j->akey, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? SPOOL_OK : SPOOL_ERR_IO;
	if (rc == SPOOL_OK && sqlite3_changes(db) == 0)
		rc = SPOOL_ERR_NOTFOUND;
	j->n = rc == SPOOL_OK ? 1 : 0;
	sqlite3_finalize(st);
	return rc;
}

/* local_exec_list - SELECT a page (writer thread). */
static int
local_exec_list(sqlite3 *db, struct local_job *j)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc = SPOOL_OK, s;

	if (sqlite3_prepare_v2(
	        db,
	        "SELECT tenant, address, reason, provider, created_ms,"
	        " expires_ms, diagnostic FROM suppressions WHERE tenant = ?1"
	        " AND (?2 IS NULL OR reason = ?2) AND (?3 IS NULL OR akey = ?3)"
	        " AND akey > ?4 AND (expires_ms IS NULL OR expires_ms > ?5)"
	        " ORDER BY akey LIMIT ?6",
	        -1, &st, NULL) != SQLITE_OK)
		return SPOOL_ERR_IO;
	sqlite3_bind_text(st, 1, j->tenant, -1, SQLITE_STATIC);
	if (j->q.reason >= 0)
		sqlite3_bind_text(
		    st, 2,
		    suppress_reason_name((enum suppress_reason)j->q.reason), -1,
		    SQLITE_STATIC);
	if (j->q.address != NULL)
		sqlite3_bind_text(st, 3, j->akey, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, j->after, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, j->q.now_ms);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)j->q.limit);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (j->n == cap) {
			cap = cap != 0 ? cap * 2 : 16;
			j->e = xreallocarray(j->e, cap, sizeof(*j->e));
		}
		local_row(st, &j->e[j->n++]);
	}
	if (s != SQLITE_DONE)
		rc = SPOOL_ERR_IO;
	sqlite3_finalize(st);
	return rc;
}

/* local_exec_purge - delete up to q.limit rows expired at q.now_ms; their
 * keys go to j->keys for the set. */
static int
local_exec_purge(sqlite3 *db, struct local_job *j)
{
	sqlite3_stmt *sel = NULL, *del = NULL;
	size_t cap = 0, i;
	int s, rc = SPOOL_OK;

	if (sqlite3_prepare_v2(db,
	                       "SELECT tenant, akey FROM suppressions"
	                       " WHERE expires_ms IS NOT NULL"
	                       " AND expires_ms <= ?1 LIMIT ?2",
	                       -1, &sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "DELETE FROM suppressions"
	                       " WHERE tenant = ?1 AND akey = ?2",
	                       -1, &del, NULL) != SQLITE_OK) {
		sqlite3_finalize(sel);
		return SPOOL_ERR_IO;
	}
	sqlite3_bind_int64(sel, 1, j->q.now_ms);
	sqlite3_bind_int64(sel, 2, (sqlite3_int64)j->q.limit);
	while ((s = sqlite3_step(sel)) == SQLITE_ROW) {
		if (j->n == cap) {
			cap = cap != 0 ? cap * 2 : 64;
			j->keys = xreallocarray(j->keys, cap, sizeof(*j->keys));
		}
		snprintf(j->keys[j->n++], sizeof(j->keys[0]), "%s\n%s",
		         (const char *)sqlite3_column_text(sel, 0),
		         (const char *)sqlite3_column_text(sel, 1));
	}
	if (s != SQLITE_DONE)
		rc = SPOOL_ERR_IO;
	for (i = 0; rc == SPOOL_OK && i < j->n; i++) {
		const char *nl = strchr(j->keys[i], '\n');
		sqlite3_bind_text(del, 1, j->keys[i], (int)(nl - j->keys[i]),
		                  SQLITE_STATIC);
		sqlite3_bind_text(del, 2, nl + 1, -1, SQLITE_STATIC);
		if (sqlite3_step(del) != SQLITE_DONE)
			rc = SPOOL_ERR_IO;
		sqlite3_reset(del);
	}
	sqlite3_finalize(sel);
	sqlite3_finalize(del);
	return rc;
}

/* local_exec - run job arg inside the writer's transaction. */
static int
local_exec(sqlite3 *db, void *arg)
{
	struct local_job *j = arg;

	/* Cheap when it exists; makes a fresh spool usable without load. */
	if (sqlite3_exec(db, suppress_local_schema, NULL, NULL, NULL) !=
	    SQLITE_OK)
		return SPOOL_ERR_IO;
	switch (j->op) {
	case LOCAL_ADD:
		return local_exec_add(db, j);
	case LOCAL_REMOVE:
		return local_exec_remove(db, j);
	case LOCAL_LIST:
		return local_exec_list(db, j);
	case LOCAL_PURGE:
		return local_exec_purge(db, j);
	}
	return SPOOL_ERR_IO;
}

/* local_done - the commit is on disk: change the set, tell the caller. */
static void
local_done(int status, void *arg)
{
	struct local_job *j = arg;
	struct suppress_local *sl = j->sl;
	size_t i;
	char k[SUPPRESS_TENANT_MAX + SUPPRESS_ADDR_MAX + 1];

	switch (j->op) {
	case LOCAL_ADD:
		for (i = 0; status == SPOOL_OK && i < j->n; i++)
			suppress_index_put(
			    sl->ix, j->keys[i], strlen(j->keys[i]),
			    j->e[i].expires_ms, (int)j->e[i].reason);
		if (j->done != NULL)
			j->done(status, status == SPOOL_OK ? j->n : 0, j->arg);
		break;
	case LOCAL_REMOVE:
		if (status == SPOOL_OK) {
			snprintf(k, sizeof(k), "%s\n%s", j->tenant, j->akey);
			(void)suppress_index_del(sl->ix, k, strlen(k));
		}
		if (j->done != NULL)
			j->done(status, j->n, j->arg);
		break;
	case LOCAL_LIST:
		if (j->entries != NULL)
			j->entries(status, j->e, status == SPOOL_OK ? j->n : 0,
			           j->arg);
		break;
	case LOCAL_PURGE:
		/* Jobs commit and finish in order: an entry added again after
		 * this purge in the same batch is put back by its own done. */
		for (i = 0; status == SPOOL_OK && i < j->n; i++)
			(void)suppress_index_del(sl->ix, j->keys[i],
			                         strlen(j->keys[i]));
		if (j->done != NULL)
			j->done(status, status == SPOOL_OK ? j->n : 0, j->arg);
		break;
	}
	free(j->e);
	free(j->keys);
	free(j);
}

/* local_queue - hand j to the writer; -1 (j freed) when it is closed. */
static int
local_queue(struct local_job *j)
{
	if (spool_exec(j->sl->sp, local_exec, local_done, j) != 0) {
		free(j->e);
		free(j->keys);
		free(j);
		return -1;
	}
	return 0;
}

/* local_add - store e[0..n), each address in its stored form. */
static int
local_add(void *impl, const struct suppress_entry *e, size_t n,
          suppress_done_fn *cb, void *arg)
{
	struct suppress_local *sl = impl;
	struct local_job *j = xcalloc(1, sizeof(*j));
	size_t i;

	j->sl = sl;
	j->op = LOCAL_ADD;
	j->e = xcalloc(n != 0 ? n : 1, sizeof(*j->e));
	j->keys = xcalloc(n != 0 ? n : 1, sizeof(*j->keys));
	for (i = 0; i < n; i++) {
		j->e[i] = e[i];
		if (suppress_addr_store(e[i].address, j->e[i].address,
		                        sizeof(j->e[i].address)) < 0 ||
		    local_key(sl, e[i].tenant, e[i].address, j->keys[i],
		              sizeof(j->keys[i])) < 0) {
			free(j->e);
			free(j->keys);
			free(j);
			return -1;
		}
	}
	j->n = n;
	j->done = cb;
	j->arg = arg;
	return local_queue(j);
}

/* local_remove - delete tenant's entry for addr. */
static int
local_remove(void *impl, const char *tenant, const char *addr,
             suppress_done_fn *cb, void *arg)
{
	struct suppress_local *sl = impl;
	struct local_job *j = xcalloc(1, sizeof(*j));

	j->sl = sl;
	j->op = LOCAL_REMOVE;
	snprintf(j->tenant, sizeof(j->tenant), "%s", tenant ? tenant : "");
	if (local_akey(sl, addr, j->akey, sizeof(j->akey)) < 0) {
		free(j);
		return -1;
	}
	j->done = cb;
	j->arg = arg;
	return local_queue(j);
}

/* local_list - read a page of entries. */
static int
local_list(void *impl, const struct suppress_query *q, suppress_entries_fn *cb,
           void *arg)
{
	struct suppress_local *sl = impl;
	struct local_job *j = xcalloc(1, sizeof(*j));

	j->sl = sl;
	j->op = LOCAL_LIST;
	j->q = *q;
	snprintf(j->tenant, sizeof(j->tenant), "%s",
	         q->tenant != NULL ? q->tenant : "");
	if ((q->address != NULL &&
	     local_akey(sl, q->address, j->akey, sizeof(j->akey)) < 0) ||
	    (q->after != NULL && q->after[0] != '\0' &&
	     local_akey(sl, q->after, j->after, sizeof(j->after)) < 0)) {
		free(j);
		return -1;
	}
	j->q.tenant = j->q.after = NULL;
	j->q.address = q->address != NULL ? j->akey : NULL;
	if (j->q.limit == 0)
		j->q.limit = 1;
	j->entries = cb;
	j->arg = arg;
	return local_queue(j);
}

/* local_purge - delete up to max entries expired at now_ms. */
static int
local_purge(void *impl, int64_t now_ms, size_t max, suppress_done_fn *cb,
            void *arg)
{
	struct suppress_local *sl = impl;
	struct local_job *j = xcalloc(1, sizeof(*j));

	j->sl = sl;
	j->op = LOCAL_PURGE;
	j->q.now_ms = now_ms;
	j->q.limit = max != 0 ? max : 1;
	j->done = cb;
	j->arg = arg;
	return local_queue(j);
}

static size_t
local_count(void *impl)
{
	const struct suppress_local *sl = impl;

	return suppress_index_count(sl->ix);
}

static void
local_free(void *impl)
{
	struct suppress_local *sl = impl;

	suppress_index_free(sl->ix);
	free(sl);
}

static const struct suppress_backend suppress_local_backend = {
    .name = "local",
    .check = local_check,
    .add = local_add,
    .remove = local_remove,
    .list = local_list,
    .purge = local_purge,
    .count = local_count,
    .free = local_free,
};

struct suppress *
suppress_local_new(struct spool *sp, bool sensitive)
{
	struct suppress *s = xcalloc(1, sizeof(*s));
	struct suppress_local *sl = xcalloc(1, sizeof(*sl));

	sl->sp = sp;
	sl->sensitive = sensitive;
	sl->ix = suppress_index_new();
	s->be = &suppress_local_backend;
	s->impl = sl;
	return s;
}

int
suppress_local_load(struct suppress *s, const char *db_path, char *err,
                    size_t errlen)
{
	struct suppress_local *sl = s->impl;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct suppress_entry e;
	char k[SUPPRESS_TENANT_MAX + SUPPRESS_ADDR_MAX + 1];
	int rc, len;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_exec(db, suppress_local_schema, NULL, NULL, NULL) !=
	        SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "SELECT tenant, address, reason, provider,"
	                       " created_ms, expires_ms, '' FROM suppressions",
	                       -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		local_row(st, &e);
		len = local_key(sl, e.tenant, e.address, k, sizeof(k));
		if (len > 0)
			suppress_index_put(sl->ix, k, (size_t)len, e.expires_ms,
			                   (int)e.reason);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return 0;
fail:
	snprintf(err, errlen, "suppression: %s: %s", db_path,
	         db != NULL ? sqlite3_errmsg(db) : "cannot open");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return -1;
}

void
suppress_free(struct suppress *s)
{
	if (s == NULL)
		return;
	s->be->free(s->impl);
	free(s);
}
