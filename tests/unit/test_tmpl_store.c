/*
 * test_tmpl_store.c - the local template store (tmpl/tmpl_store_local.h):
 * versions, the active one in memory, activation, deletion, tenants kept
 * apart, restart, refusal of a part that does not parse, names, and the
 * spool's migrations 7 (a version 6 spool gains the templates table) and 9
 * (templates.meta, an ESP API's attributes kept beside the parts).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>
#include <sqlite3.h>

#include "core/xmalloc.h"
#include "spool/spool.h"
#include "spool_test.h"
#include "tmpl/tmpl_store.h"
#include "tmpl/tmpl_store_local.h"

struct fx {
	char dir[64];
	char db[96];
	struct event_base *base;
	struct spool *sp;
	struct tmpl_store *s;
	int done, status, version;
	size_t n;
	struct tmpl_version got[8];
};

static void
fx_open(struct fx *f)
{
	struct spool_opts o = {0};
	char err[256];

	o.dir = f->dir;
	f->sp = spool_open(&o, err, sizeof(err));
	if (f->sp == NULL)
		fail_msg("%s", err);
	assert_int_equal(spool_attach(f->sp, f->base), 0);
	f->s = tmpl_store_local_new(f->sp);
	if (tmpl_store_local_load(f->s, f->db, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

static void
got_fini(struct fx *f)
{
	size_t i;

	for (i = 0; i < 8; i++)
		tmpl_version_fini(&f->got[i]);
}

static void
fx_close(struct fx *f)
{
	spool_close(f->sp);
	tmpl_store_free(f->s);
	f->sp = NULL;
	f->s = NULL;
}

static int
fx_setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_tmpl_store.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/spool.db", f->dir);
	f->base = event_base_new();
	fx_open(f);
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	if (f->sp != NULL)
		fx_close(f);
	got_fini(f);
	event_base_free(f->base);
	spool_test_rmtree(f->dir);
	free(f);
	return 0;
}

static void
on_done(int status, int version, void *arg)
{
	struct fx *f = arg;

	f->done++;
	f->status = status;
	f->version = version;
}

static void
on_list(int status, const struct tmpl_version *v, size_t n, void *arg)
{
	struct fx *f = arg;
	size_t i;

	f->done++;
	f->status = status;
	f->n = n;
	got_fini(f);
	for (i = 0; i < n && i < 8; i++)
		tmpl_version_copy(&f->got[i], &v[i]);
}

/* put_version - store v; the status. */
static int
put_version(struct fx *f, const struct tmpl_version *v, enum tmpl_put_mode mode,
            int activate)
{
	struct tmpl_store_entry *e;
	struct tmpl_error err;
	enum tmpl_part bad;
	int want = f->done + 1;

	e = tmpl_store_entry_new(v, &bad, &err);
	assert_non_null(e);
	if (v->meta != NULL)
		assert_string_equal(e->v.meta, v->meta);
	assert_int_equal(
	    f->s->be->put(f->s->impl, e, mode, activate, on_done, f), 0);
	spool_test_pump(f->base, &f->done, want, 10);
	return f->status;
}

/* put - store a version of tenant/name; the status. */
static int
put(struct fx *f, const char *tenant, const char *name, const char *subject,
    const char *html, enum tmpl_put_mode mode, int activate)
{
	struct tmpl_version v;

	memset(&v, 0, sizeof(v));
	snprintf(v.tenant, sizeof(v.tenant), "%s", tenant);
	snprintf(v.name, sizeof(v.name), "%s", name);
	v.dialect = TMPL_MUSTACHE;
	v.part[TMPL_PART_SUBJECT] = (char *)subject;
	v.part[TMPL_PART_HTML] = (char *)html;
	return put_version(f, &v, mode, activate);
}

static int
activate(struct fx *f, const char *tenant, const char *name, int version)
{
	int want = f->done + 1;

	assert_int_equal(
	    f->s->be->activate(f->s->impl, tenant, name, version, on_done, f),
	    0);
	spool_test_pump(f->base, &f->done, want, 10);
	return f->status;
}

static int
removev(struct fx *f, const char *tenant, const char *name, int version)
{
	int want = f->done + 1;

	assert_int_equal(
	    f->s->be->remove(f->s->impl, tenant, name, version, on_done, f), 0);
	spool_test_pump(f->base, &f->done, want, 10);
	return f->status;
}

static int
list(struct fx *f, const char *tenant, const char *name, int version)
{
	struct tmpl_store_query q = {.tenant = tenant,
	                             .name = name,
	                             .version = version,
	                             .limit = 100,
	                             .bodies = 1};
	int want = f->done + 1;

	assert_int_equal(f->s->be->list(f->s->impl, &q, on_list, f), 0);
	spool_test_pump(f->base, &f->done, want, 10);
	return f->status;
}

/* rendered - the active version of tenant/name's subject with data. */
static char *
rendered(struct fx *f, const char *tenant, const char *name, const char *data)
{
	const struct tmpl_store_entry *e =
	    f->s->be->find(f->s->impl, tenant, name);
	struct tmpl_store_render_opts o = {
	    {TMPL_ESCAPE_NONE, TMPL_ESCAPE_HTML, TMPL_ESCAPE_NONE}, 0};
	struct tmpl_rendered r;
	struct tmpl_error err;
	enum tmpl_part bad;
	json_t *d = json_loads(data, 0, NULL);
	char *s;

	if (e == NULL) {
		json_decref(d);
		return NULL;
	}
	assert_int_equal(tmpl_store_render(e, d, &o, &r, &bad, &err), 0);
	json_decref(d);
	s = xstrdup(r.part[TMPL_PART_SUBJECT]);
	tmpl_rendered_fini(&r);
	return s;
}

static void
assert_renders(struct fx *f, const char *tenant, const char *name,
               const char *want)
{
	char *s = rendered(f, tenant, name, "{\"n\":\"Ann\"}");

	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static void
versions_activation_and_restart(void **state)
{
	struct fx *f = *state;

	assert_int_equal(put(f, "t1", "welcome", "Hi {{n}}", "<p>{{n}}</p>",
	                     TMPL_PUT_ANY, 0),
	                 SPOOL_OK);
	assert_int_equal(f->version, 1);
	/* The first version is active whatever the put said. */
	assert_renders(f, "t1", "welcome", "Hi Ann");
	assert_int_equal(
	    put(f, "t1", "welcome", "Hello {{n}}", NULL, TMPL_PUT_ANY, 0),
	    SPOOL_OK);
	assert_int_equal(f->version, 2);
	assert_renders(f, "t1", "welcome", "Hi Ann");
	assert_int_equal(activate(f, "t1", "welcome", 2), SPOOL_OK);
	assert_renders(f, "t1", "welcome", "Hello Ann");
	assert_int_equal(activate(f, "t1", "welcome", 9), SPOOL_ERR_NOTFOUND);
	assert_renders(f, "t1", "welcome", "Hello Ann");
	assert_int_equal(list(f, "t1", "welcome", 0), SPOOL_OK);
	assert_int_equal(f->n, 2);
	assert_int_equal(f->got[0].version, 1);
	assert_int_equal(f->got[0].active, 0);
	assert_string_equal(f->got[0].part[TMPL_PART_HTML], "<p>{{n}}</p>");
	assert_int_equal(f->got[1].active, 1);
	assert_null(f->got[1].part[TMPL_PART_HTML]);

	fx_close(f);
	fx_open(f);
	assert_int_equal(f->s->be->count(f->s->impl), 1);
	assert_renders(f, "t1", "welcome", "Hello Ann");
	assert_int_equal(
	    put(f, "t1", "welcome", "Hey {{n}}", NULL, TMPL_PUT_ANY, 1),
	    SPOOL_OK);
	assert_int_equal(f->version, 3);
	assert_renders(f, "t1", "welcome", "Hey Ann");
	assert_int_equal(list(f, "t1", "welcome", -1), SPOOL_OK);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->got[0].version, 3);
}

static void
deletion_keeps_the_active_version(void **state)
{
	struct fx *f = *state;

	assert_int_equal(put(f, "", "a", "one", NULL, TMPL_PUT_ANY, 1),
	                 SPOOL_OK);
	assert_int_equal(put(f, "", "a", "two", NULL, TMPL_PUT_ANY, 1),
	                 SPOOL_OK);
	assert_int_equal(removev(f, "", "a", 2), SPOOL_ERR_CONFLICT);
	assert_renders(f, "", "a", "two");
	assert_int_equal(removev(f, "", "a", 1), SPOOL_OK);
	assert_int_equal(removev(f, "", "a", 1), SPOOL_ERR_NOTFOUND);
	assert_int_equal(list(f, "", "a", 0), SPOOL_OK);
	assert_int_equal(f->n, 1);
	assert_int_equal(removev(f, "", "a", 0), SPOOL_OK);
	assert_null(f->s->be->find(f->s->impl, "", "a"));
	assert_int_equal(list(f, "", "a", 0), SPOOL_ERR_NOTFOUND);
	assert_int_equal(removev(f, "", "a", 0), SPOOL_ERR_NOTFOUND);
	fx_close(f);
	fx_open(f);
	assert_null(f->s->be->find(f->s->impl, "", "a"));
	assert_int_equal(f->s->be->count(f->s->impl), 0);
}

static void
tenants_apart_and_create_update_modes(void **state)
{
	struct fx *f = *state;

	assert_int_equal(
	    put(f, "t1", "x", "t1 {{n}}", NULL, TMPL_PUT_CREATE, 1), SPOOL_OK);
	assert_int_equal(
	    put(f, "t2", "x", "t2 {{n}}", NULL, TMPL_PUT_CREATE, 1), SPOOL_OK);
	assert_int_equal(put(f, "t1", "x", "again", NULL, TMPL_PUT_CREATE, 1),
	                 SPOOL_ERR_CONFLICT);
	assert_int_equal(put(f, "t1", "y", "new", NULL, TMPL_PUT_UPDATE, 1),
	                 SPOOL_ERR_NOTFOUND);
	assert_null(f->s->be->find(f->s->impl, "t1", "y"));
	assert_renders(f, "t1", "x", "t1 Ann");
	assert_renders(f, "t2", "x", "t2 Ann");
	assert_null(f->s->be->find(f->s->impl, "t3", "x"));
	assert_int_equal(
	    put(f, "t1", "x", "upd {{n}}", NULL, TMPL_PUT_UPDATE, 1), SPOOL_OK);
	assert_renders(f, "t1", "x", "upd Ann");
	assert_renders(f, "t2", "x", "t2 Ann");
	/* Every name's active version, by name, one tenant only. */
	assert_int_equal(put(f, "t1", "a", "a", NULL, TMPL_PUT_ANY, 1),
	                 SPOOL_OK);
	assert_int_equal(list(f, "t1", NULL, 0), SPOOL_OK);
	assert_int_equal(f->n, 2);
	assert_string_equal(f->got[0].name, "a");
	assert_string_equal(f->got[1].name, "x");
	assert_int_equal(f->got[1].version, 2);
	assert_string_equal(f->got[1].tenant, "t1");
}

static void
a_part_that_does_not_parse_is_refused_with_its_place(void **state)
{
	struct tmpl_version v;
	struct tmpl_error err;
	enum tmpl_part bad = TMPL_PART_SUBJECT;

	(void)state;
	memset(&v, 0, sizeof(v));
	snprintf(v.name, sizeof(v.name), "bad");
	v.dialect = TMPL_MUSTACHE;
	v.part[TMPL_PART_SUBJECT] = (char *)"fine {{x}}";
	v.part[TMPL_PART_TEXT] = (char *)"line one\n  {{oops";
	assert_null(tmpl_store_entry_new(&v, &bad, &err));
	assert_int_equal(bad, TMPL_PART_TEXT);
	assert_int_equal(err.line, 2);
	assert_true(err.col >= 3);
	assert_true(err.msg[0] != '\0');
}

static void
names(void **state)
{
	char longname[200];

	(void)state;
	assert_true(tmpl_store_name_ok("Receipt_v2.en-GB"));
	assert_true(tmpl_store_name_ok("d-0123456789abcdef"));
	assert_false(tmpl_store_name_ok(""));
	assert_false(tmpl_store_name_ok(".hidden"));
	assert_false(tmpl_store_name_ok("a/b"));
	assert_false(tmpl_store_name_ok("a b"));
	assert_false(tmpl_store_name_ok("caf\xc3\xa9"));
	memset(longname, 'a', 128);
	longname[128] = '\0';
	assert_true(tmpl_store_name_ok(longname));
	longname[128] = 'a';
	longname[129] = '\0';
	assert_false(tmpl_store_name_ok(longname));
	assert_int_equal(tmpl_store_dialect_parse("handlebars"),
	                 TMPL_HANDLEBARS);
	assert_int_equal(tmpl_store_dialect_parse("jinja"), -1);
	assert_string_equal(tmpl_dialect_name(TMPL_MUSTACHIO), "mustachio");
}

static int
user_version(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int v = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) ==
	        SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void
version_6_spool_gains_the_templates_table(void **state)
{
	struct fx *f = *state;
	sqlite3 *db = NULL;

	fx_close(f);
	assert_int_equal(user_version(f->db), 9);
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                              "DROP TABLE templates;"
	                              "PRAGMA user_version=6;",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	fx_open(f);
	assert_int_equal(user_version(f->db), 9);
	assert_int_equal(put(f, "t", "m", "migrated", NULL, TMPL_PUT_ANY, 1),
	                 SPOOL_OK);
	assert_renders(f, "t", "m", "migrated");
}

/* put_meta - put with meta; the status. */
static int
put_meta(struct fx *f, const char *name, const char *subject, const char *meta)
{
	struct tmpl_version v;
	struct tmpl_store_entry *e;
	struct tmpl_error err;
	enum tmpl_part bad;
	int want = f->done + 1;

	memset(&v, 0, sizeof(v));
	snprintf(v.name, sizeof(v.name), "%s", name);
	v.dialect = TMPL_HANDLEBARS;
	v.part[TMPL_PART_SUBJECT] = (char *)subject;
	v.meta = (char *)meta;
	e = tmpl_store_entry_new(&v, &bad, &err);
	assert_non_null(e);
	assert_string_equal(e->v.meta, meta);
	assert_int_equal(
	    f->s->be->put(f->s->impl, e, TMPL_PUT_ANY, 1, on_done, f), 0);
	spool_test_pump(f->base, &f->done, want, 10);
	return f->status;
}

static void
meta_is_kept_beside_the_parts(void **state)
{
	struct fx *f = *state;
	struct tmpl_store_query q = {
	    .tenant = "", .version = 0, .limit = 10, .bodies = 0};
	int want;

	assert_int_equal(put_meta(f, "d-1", "s", "{\"name\":\"One\"}"),
	                 SPOOL_OK);
	assert_int_equal(put(f, "", "d-1", "plain", NULL, TMPL_PUT_ANY, 0),
	                 SPOOL_OK);
	fx_close(f);
	fx_open(f);
	assert_string_equal(f->s->be->find(f->s->impl, "", "d-1")->v.meta,
	                    "{\"name\":\"One\"}");
	assert_int_equal(list(f, "", "d-1", 0), SPOOL_OK);
	assert_int_equal(f->n, 2);
	assert_string_equal(f->got[0].meta, "{\"name\":\"One\"}");
	assert_null(f->got[1].meta);
	/* Summaries (every name's active version) carry it too. */
	want = f->done + 1;
	assert_int_equal(f->s->be->list(f->s->impl, &q, on_list, f), 0);
	spool_test_pump(f->base, &f->done, want, 10);
	assert_int_equal(f->n, 1);
	assert_null(f->got[0].part[TMPL_PART_HTML]);
	assert_string_equal(f->got[0].meta, "{\"name\":\"One\"}");
}

static void
version_8_spool_gains_the_meta_column(void **state)
{
	struct fx *f = *state;
	sqlite3 *db = NULL;

	assert_int_equal(put(f, "t", "old", "kept", NULL, TMPL_PUT_ANY, 1),
	                 SPOOL_OK);
	fx_close(f);
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                              "ALTER TABLE templates DROP COLUMN meta;"
	                              "PRAGMA user_version=8;",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	fx_open(f);
	assert_int_equal(user_version(f->db), 9);
	assert_renders(f, "t", "old", "kept");
	assert_int_equal(put_meta(f, "new", "s", "{}"), SPOOL_OK);
	assert_string_equal(f->s->be->find(f->s->impl, "", "new")->v.meta,
	                    "{}");
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
	    T(versions_activation_and_restart),
	    T(deletion_keeps_the_active_version),
	    T(tenants_apart_and_create_update_modes),
	    T(version_6_spool_gains_the_templates_table),
	    T(meta_is_kept_beside_the_parts),
	    T(version_8_spool_gains_the_meta_column),
	    cmocka_unit_test(
	        a_part_that_does_not_parse_is_refused_with_its_place),
	    cmocka_unit_test(names),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
