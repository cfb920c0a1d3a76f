/*
 * spool_export_db.c - `swervectl spool export` and `spool import`: read
 * a stopped node's spool into an export file, add an export file's
 * messages to another spool (see spool_export.h).
 *
 * Both open the spool's SQLite file directly, as spool_tool.c does:
 * export read-only (it works on the spool of a node that died, WAL and
 * all), import only on a spool whose node is stopped (its integrity
 * record says closed cleanly), in one transaction, leaving the file
 * checkpointed with no WAL so the record still holds.
 */
#include "spool/spool_export.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/xmalloc.h"
#include "spool/spool_mark.h"

#define EXP_MSG_COLS                                                           \
	"id, state, sender, tenant, client, stream, size, created_at,"         \
	" next_attempt_at, attempts, last_error, idempotency_key,"             \
	" idempotency_hash, meta"

/* The states exported, in the order of the summary. */
static const char *const exp_states[4] = {"ready", "inflight", "deferred",
                                          "scheduled"};

/* exp_col - column i of st as a copy, NULL for NULL. */
static char *
exp_col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? xstrdup((const char *)t) : NULL;
}

/* exp_read_parts - m's body, recipients and attempts. SQLITE_OK or an
 * error code. */
static int
exp_read_parts(sqlite3 *db, struct spool_export_msg *m)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc;

	rc = sqlite3_prepare_v2(db, "SELECT body FROM bodies WHERE id = ?1", -1,
	                        &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int n = sqlite3_column_bytes(st, 0);
		const void *p = sqlite3_column_blob(st, 0);

		m->body_len = (size_t)n;
		m->body = xmalloc((size_t)n + 1);
		if (n > 0)
			memcpy(m->body, p, (size_t)n);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_CORRUPT; /* a message without its body */
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_prepare_v2(
	    db,
	    "SELECT idx, address, state, last_reply, provider,"
	    " provider_msg_id, outcome, bounce, outcome_text, outcome_at"
	    " FROM recipients WHERE msg_id = ?1 ORDER BY idx",
	    -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct spool_export_rcpt *r;

		if (m->n_rcpts == cap) {
			cap = cap ? 2 * cap : 4;
			m->rcpts = xreallocarray(m->rcpts, cap, sizeof(*r));
		}
		r = &m->rcpts[m->n_rcpts++];
		memset(r, 0, sizeof(*r));
		r->idx = sqlite3_column_int64(st, 0);
		r->address = exp_col(st, 1);
		r->state = exp_col(st, 2);
		r->last_reply = exp_col(st, 3);
		r->provider = exp_col(st, 4);
		r->provider_msg_id = exp_col(st, 5);
		r->outcome = exp_col(st, 6);
		r->bounce = exp_col(st, 7);
		r->outcome_text = exp_col(st, 8);
		r->outcome_at = sqlite3_column_int64(st, 9);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rc;
	cap = 0;
	rc = sqlite3_prepare_v2(db,
	                        "SELECT at, provider, result, reply,"
	                        " duration_ms, trace FROM attempts"
	                        " WHERE msg_id = ?1 ORDER BY id",
	                        -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct spool_export_att *a;

		if (m->n_atts == cap) {
			cap = cap ? 2 * cap : 4;
			m->atts = xreallocarray(m->atts, cap, sizeof(*a));
		}
		a = &m->atts[m->n_atts++];
		memset(a, 0, sizeof(*a));
		a->at = sqlite3_column_int64(st, 0);
		a->provider = exp_col(st, 1);
		a->result = exp_col(st, 2);
		a->reply = exp_col(st, 3);
		a->duration_ms = sqlite3_column_int64(st, 4);
		a->trace = exp_col(st, 5);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* exp_fsync_dir - fsync the directory holding path. */
static int
exp_fsync_dir(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	free(copy);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* exp_emit - write s (n bytes) to f and the digest. 0 or -1. */
static int
exp_emit(FILE *f, EVP_MD_CTX *md, const char *s, size_t n)
{
	if (fwrite(s, 1, n, f) != n)
		return -1;
	return EVP_DigestUpdate(md, s, n) == 1 ? 0 : -1;
}

int
spool_export_write(const char *dir, const char *path, FILE *out)
{
	struct buf dbp, tmp;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dg[32];
	unsigned dlen = 0;
	char trailer[128], *line;
	size_t n = 0, per[4] = {0};
	FILE *f = NULL;
	int rc = 1, src, fd;
	const char *why = NULL;

	buf_init(&dbp);
	buf_init(&tmp);
	buf_printf(&dbp, "%s/spool.db", dir);
	buf_printf(&tmp, "%s.tmp", path);
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		fprintf(out, "export: no SHA-256\n");
		goto done;
	}
	if (access(buf_cstr(&dbp), R_OK) != 0) {
		fprintf(out, "%s: %s\n", buf_cstr(&dbp), strerror(errno));
		goto done;
	}
	if (access(path, F_OK) == 0) {
		fprintf(out, "%s: exists; export writes a new file\n", path);
		goto done;
	}
	fd =
	    open(buf_cstr(&tmp), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		fprintf(out, "%s: %s\n", buf_cstr(&tmp), strerror(errno));
		if (fd >= 0)
			close(fd);
		goto done;
	}
	if (sqlite3_open_v2(buf_cstr(&dbp), &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		fprintf(out, "%s: %s\n", buf_cstr(&dbp),
		        db ? sqlite3_errmsg(db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(db, 5000);
	/* One read transaction: one snapshot of the whole queue. */
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "SELECT " EXP_MSG_COLS " FROM messages WHERE"
	                       " state IN ('ready', 'inflight', 'deferred',"
	                       " 'scheduled') ORDER BY id",
	                       -1, &st, NULL) != SQLITE_OK) {
		fprintf(out, "%s: %s\n", buf_cstr(&dbp), sqlite3_errmsg(db));
		goto fail;
	}
	if (exp_emit(f, md, SPOOL_EXPORT_MAGIC, strlen(SPOOL_EXPORT_MAGIC)) <
	    0) {
		why = strerror(errno);
		goto write_fail;
	}
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		struct spool_export_msg m;
		const char *id = (const char *)sqlite3_column_text(st, 0);
		size_t k;

		memset(&m, 0, sizeof(m));
		snprintf(m.id, sizeof(m.id), "%s", id ? id : "");
		m.state = exp_col(st, 1);
		m.sender = exp_col(st, 2);
		m.tenant = exp_col(st, 3);
		m.client = exp_col(st, 4);
		m.stream = exp_col(st, 5);
		m.size = sqlite3_column_int64(st, 6);
		m.created_at = sqlite3_column_int64(st, 7);
		m.next_attempt_at = sqlite3_column_int64(st, 8);
		m.attempts = sqlite3_column_int64(st, 9);
		m.last_error = exp_col(st, 10);
		m.idempotency_key = exp_col(st, 11);
		m.idempotency_hash = exp_col(st, 12);
		m.meta = exp_col(st, 13);
		if ((src = exp_read_parts(db, &m)) != SQLITE_OK) {
			fprintf(out, "%s: message %s: %s\n", buf_cstr(&dbp),
			        m.id, sqlite3_errstr(src));
			spool_export_msg_fini(&m);
			goto fail;
		}
		line = spool_export_line(&m);
		for (k = 0; k < 4; k++)
			if (m.state != NULL &&
			    strcmp(m.state, exp_states[k]) == 0)
				per[k]++;
		spool_export_msg_fini(&m);
		if (line == NULL) {
			fprintf(out,
			        "message %s: a text is not UTF-8; nothing "
			        "was exported\n",
			        id ? id : "?");
			goto fail;
		}
		if (exp_emit(f, md, line, strlen(line)) < 0) {
			why = strerror(errno);
			free(line);
			goto write_fail;
		}
		free(line);
		n++;
	}
	if (src != SQLITE_DONE) {
		fprintf(out, "%s: %s\n", buf_cstr(&dbp), sqlite3_errstr(src));
		goto fail;
	}
	if (EVP_DigestFinal_ex(md, dg, &dlen) != 1 || dlen != 32) {
		fprintf(out, "export: SHA-256 failed\n");
		goto fail;
	}
	spool_export_trailer(trailer, sizeof(trailer), n, dg);
	if (fputs(trailer, f) == EOF || fflush(f) != 0 ||
	    fsync(fileno(f)) != 0) {
		why = strerror(errno);
		goto write_fail;
	}
	if (fclose(f) != 0) {
		f = NULL;
		why = strerror(errno);
		goto write_fail;
	}
	f = NULL;
	if (rename(buf_cstr(&tmp), path) != 0 || exp_fsync_dir(path) != 0) {
		why = strerror(errno);
		goto write_fail;
	}
	fprintf(out,
	        "%s: %zu messages exported from %s (ready %zu, in flight %zu, "
	        "deferred %zu, scheduled %zu)\n"
	        "Import it into another node (swervectl spool import), and "
	        "never start swerved on %s again: it would send them too.\n",
	        path, n, dir, per[0], per[1], per[2], per[3], dir);
	rc = 0;
	goto done;
write_fail:
	fprintf(out, "%s: %s\n", buf_cstr(&tmp), why ? why : "write failed");
fail:
	if (f != NULL)
		fclose(f);
	f = NULL;
	(void)unlink(buf_cstr(&tmp));
done:
	if (f != NULL)
		fclose(f);
	sqlite3_finalize(st);
	sqlite3_close(db);
	EVP_MD_CTX_free(md);
	buf_fini(&dbp);
	buf_fini(&tmp);
	return rc;
}

/* ---- import ---------------------------------------------------------- */

/* imp_read - the whole file at path, malloc'd, into *buf / *len. */
static int
imp_read(const char *path, char **buf, size_t *len, FILE *out)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[65536];
	size_t k;

	if (f == NULL) {
		fprintf(out, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	buf_init(&b);
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, k);
	if (ferror(f)) {
		fprintf(out, "%s: %s\n", path, strerror(errno));
		fclose(f);
		buf_fini(&b);
		return -1;
	}
	fclose(f);
	*buf = buf_steal(&b, len);
	return 0;
}

/* imp_text - bind s (NULL: NULL) to st's parameter i. */
static void
imp_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* imp_one - insert m (absent from the spool). SQLITE_DONE or an error. */
static int
imp_one(sqlite3 *db, sqlite3_stmt *const sts[4],
        const struct spool_export_msg *m)
{
	sqlite3_stmt *st;
	size_t i;
	int rc;

	st = sts[0];
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
	/* In flight when the node died: it may be tried again. */
	imp_text(st, 2, strcmp(m->state, "inflight") == 0 ? "ready" : m->state);
	imp_text(st, 3, m->sender);
	imp_text(st, 4, m->tenant);
	imp_text(st, 5, m->client);
	imp_text(st, 6, m->stream);
	sqlite3_bind_int64(st, 7, m->size);
	sqlite3_bind_int64(st, 8, m->created_at);
	sqlite3_bind_int64(st, 9, m->next_attempt_at);
	sqlite3_bind_int64(st, 10, m->attempts);
	imp_text(st, 11, m->last_error);
	imp_text(st, 12, m->idempotency_key);
	imp_text(st, 13, m->idempotency_hash);
	imp_text(st, 14, m->meta);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		return rc;
	st = sts[1];
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, m->body_len ? (const void *)m->body : "",
	                  (int)m->body_len, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		return rc;
	for (i = 0; i < m->n_rcpts; i++) {
		const struct spool_export_rcpt *r = &m->rcpts[i];

		st = sts[2];
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, r->idx);
		imp_text(st, 3, r->address);
		imp_text(st, 4, r->state);
		imp_text(st, 5, r->last_reply);
		imp_text(st, 6, r->provider);
		imp_text(st, 7, r->provider_msg_id);
		imp_text(st, 8, r->outcome);
		imp_text(st, 9, r->bounce);
		imp_text(st, 10, r->outcome_text);
		if (r->outcome != NULL)
			sqlite3_bind_int64(st, 11, r->outcome_at);
		else
			sqlite3_bind_null(st, 11);
		if ((rc = sqlite3_step(st)) != SQLITE_DONE)
			return rc;
	}
	for (i = 0; i < m->n_atts; i++) {
		const struct spool_export_att *a = &m->atts[i];

		st = sts[3];
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, a->at);
		imp_text(st, 3, a->provider);
		imp_text(st, 4, a->result);
		imp_text(st, 5, a->reply);
		sqlite3_bind_int64(st, 6, a->duration_ms);
		imp_text(st, 7, a->trace);
		if ((rc = sqlite3_step(st)) != SQLITE_DONE)
			return rc;
	}
	return SQLITE_DONE;
}

static const char *const imp_sql[5] = {
    "INSERT INTO messages (" EXP_MSG_COLS ") VALUES (?1, ?2, ?3, ?4, ?5,"
    " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    "INSERT INTO bodies (id, body) VALUES (?1, ?2)",
    "INSERT INTO recipients (msg_id, idx, address, state, last_reply,"
    " provider, provider_msg_id, outcome, bounce, outcome_text, outcome_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    "INSERT INTO attempts (msg_id, at, provider, result, reply,"
    " duration_ms, trace) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    "SELECT 1 FROM messages WHERE id = ?1",
};

/* imp_stopped - is the spool at db_path closed (its node stopped)? */
static int
imp_stopped(const char *db_path, FILE *out)
{
	struct buf p;
	struct spool_mark mk;
	struct stat sb;
	int r, ok = 1;

	buf_init(&p);
	buf_printf(&p, "%s.mark", db_path);
	r = spool_mark_read(buf_cstr(&p), &mk);
	buf_fini(&p);
	buf_init(&p);
	buf_printf(&p, "%s-wal", db_path);
	if (r != 0 || !mk.clean || stat(buf_cstr(&p), &sb) == 0) {
		fprintf(out,
		        "%s: in use, or not closed cleanly: stop swerved on "
		        "this spool (it must have stopped cleanly, so that "
		        "its integrity record says so) and import again; "
		        "nothing was imported\n",
		        db_path);
		ok = 0;
	}
	buf_fini(&p);
	return ok;
}

int
spool_export_import(const char *dir, const char *path, FILE *out)
{
	struct spool_export_msg *ms = NULL;
	sqlite3_stmt *sts[5] = {NULL};
	sqlite3 *db = NULL;
	struct buf dbp, wal;
	char *buf = NULL, err[512];
	size_t len = 0, n = 0, i, added = 0, had = 0;
	struct stat sb;
	int rc = 1, src = SQLITE_OK, k;
	mode_t old;

	buf_init(&dbp);
	buf_init(&wal);
	buf_printf(&dbp, "%s/spool.db", dir);
	buf_printf(&wal, "%s/spool.db-wal", dir);
	if (imp_read(path, &buf, &len, out) < 0)
		goto done;
	if (spool_export_parse(buf, len, &ms, &n, err, sizeof(err)) < 0) {
		fprintf(out, "%s: %s; nothing was imported\n", path, err);
		goto done;
	}
	if (access(buf_cstr(&dbp), R_OK | W_OK) != 0) {
		fprintf(out,
		        "%s: %s (start swerved once on %s to make its spool)\n",
		        buf_cstr(&dbp), strerror(errno), dir);
		goto done;
	}
	if (!imp_stopped(buf_cstr(&dbp), out))
		goto done;
	old = umask(077); /* the WAL SQLite makes holds message bodies */
	k = sqlite3_open_v2(buf_cstr(&dbp), &db, SQLITE_OPEN_READWRITE, NULL);
	umask(old);
	if (k != SQLITE_OK) {
		fprintf(out, "%s: %s\n", buf_cstr(&dbp),
		        db ? sqlite3_errmsg(db) : "out of memory");
		goto done;
	}
	for (k = 0; k < 5; k++)
		if ((src = sqlite3_prepare_v2(db, imp_sql[k], -1, &sts[k],
		                              NULL)) != SQLITE_OK)
			break;
	if (src != SQLITE_OK || (src = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL,
	                                            NULL, NULL)) != SQLITE_OK) {
		fprintf(out, "%s: %s; nothing was imported\n", buf_cstr(&dbp),
		        sqlite3_errmsg(db));
		goto done;
	}
	for (i = 0; i < n; i++) {
		sqlite3_reset(sts[4]);
		sqlite3_bind_text(sts[4], 1, ms[i].id, -1, SQLITE_STATIC);
		src = sqlite3_step(sts[4]);
		if (src == SQLITE_ROW) {
			had++;
			continue;
		}
		if (src != SQLITE_DONE ||
		    (src = imp_one(db, sts, &ms[i])) != SQLITE_DONE)
			break;
		added++;
	}
	if ((src != SQLITE_DONE && src != SQLITE_ROW) ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(out, "%s: message %s: %s; nothing was imported\n",
		        buf_cstr(&dbp), i < n ? ms[i].id : "-",
		        sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		goto done;
	}
	/* Everything into the database file and no WAL left, as the
	 * integrity record ("closed cleanly") says. */
	sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	for (k = 0; k < 5; k++) {
		sqlite3_finalize(sts[k]);
		sts[k] = NULL;
	}
	if (sqlite3_close(db) != SQLITE_OK)
		fprintf(out, "%s: not closed: %s\n", buf_cstr(&dbp),
		        sqlite3_errmsg(db));
	db = NULL;
	if (stat(buf_cstr(&wal), &sb) == 0)
		fprintf(out,
		        "%s: still there after the import; run `swervectl "
		        "spool check` before starting swerved\n",
		        buf_cstr(&wal));
	fprintf(out,
	        "%s: %zu messages imported into %s, %zu already there; "
	        "start swerved on it to deliver them\n",
	        path, added, dir, had);
	rc = 0;
done:
	for (k = 0; k < 5; k++)
		sqlite3_finalize(sts[k]);
	sqlite3_close(db);
	spool_export_free(ms, n);
	free(buf);
	buf_fini(&dbp);
	buf_fini(&wal);
	return rc;
}
