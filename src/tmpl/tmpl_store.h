/*
 * tmpl_store.h - a tenant's stored templates, versioned (contract).
 *
 * A template is named per tenant (tmpl_store_name_ok) and has versions
 * 1, 2, ...: each version is a dialect (tmpl.h) and up to three parts,
 * subject, html and text, each a template source. Exactly one version of
 * a name is active: the first one stored, then whichever was activated
 * last (a put may activate its new version). Earlier versions are kept
 * until the name is deleted; the active version cannot be deleted alone.
 *
 * Every part of every version was parse-checked before it was stored
 * (tmpl_store_entry_new: a part that does not parse is refused with its
 * line and column), so sends render what was accepted.
 *
 * The store is a backend behind struct tmpl_store_backend, so that
 * cluster mode can keep it elsewhere (Redis) with the same callers:
 *  - find() answers at once, on the loop thread, from memory: the active
 *    version of a name, parsed. Ingress renders with it before the
 *    message is stored (no I/O on the send path).
 *  - put(), activate(), remove() and list() answer later through a
 *    callback on the loop thread, after the change is durable (the local
 *    backend, tmpl_store_local.c: the spool's writer thread does the SQL
 *    inside its group commit, as for the suppression list) and after
 *    find() sees it.
 * Status values are the spool's: SPOOL_OK, SPOOL_ERR_NOTFOUND (no such
 * name or version), SPOOL_ERR_CONFLICT (the name exists for a create,
 * or the version is the active one for a delete), SPOOL_ERR_IO,
 * SPOOL_ERR_CLOSED.
 *
 * Loop thread only. Strings passed in are copied.
 */
#ifndef SWERVE_TMPL_TMPL_STORE_H
#define SWERVE_TMPL_TMPL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "tmpl/tmpl.h"

#define TMPL_STORE_TENANT_MAX 128          /* octets with the NUL */
#define TMPL_STORE_NAME_MAX 129            /* 1..128 octets and the NUL */
#define TMPL_STORE_SOURCE_MAX (512 * 1024) /* all parts of a version */
#define TMPL_STORE_LIST_MAX 1000           /* rows in one list answer */

/* The parts of a version, in this order everywhere. */
enum tmpl_part { TMPL_PART_SUBJECT, TMPL_PART_HTML, TMPL_PART_TEXT };
#define TMPL_PARTS 3

/* One version of a template. Strings are owned (tmpl_version_fini). */
struct tmpl_version {
	char tenant[TMPL_STORE_TENANT_MAX];
	char name[TMPL_STORE_NAME_MAX];
	int version; /* 1, 2, ...; 0 before it is stored */
	int active;  /* 1: the version sends use */
	enum tmpl_dialect dialect;
	char *part[TMPL_PARTS]; /* NULL: the part is absent */
	int64_t created_ms;
	/* What an ESP's template API keeps beside the parts (its names,
	 * ids, flags: a JSON object as text), or NULL. Stored and read
	 * back as given; the store never looks inside. */
	char *meta;
};

/* One version parsed: what find() answers and renders with. */
struct tmpl_store_entry {
	struct tmpl_version v;
	struct tmpl *t[TMPL_PARTS]; /* NULL where v.part[i] is NULL */
};

/* How put() treats an existing name. */
enum tmpl_put_mode {
	TMPL_PUT_ANY,    /* a new version, or the first */
	TMPL_PUT_CREATE, /* SPOOL_ERR_CONFLICT when the name exists */
	TMPL_PUT_UPDATE, /* SPOOL_ERR_NOTFOUND when it does not */
};

/* What list() reads. */
struct tmpl_store_query {
	const char *tenant; /* NULL: "" */
	const char *name;   /* NULL: every name's active version */
	int version;        /* with name: 0 every version, -1 the active
	                       one, N that one */
	const char *after;  /* NULL: from the start (names, ascending) */
	size_t limit;       /* 1..TMPL_STORE_LIST_MAX */
	int bodies;         /* 0: parts left NULL (summaries) */
};

/* tmpl_store_done_fn - a change is durable: status, and for a put the
 * version it made (0 otherwise). */
typedef void tmpl_store_done_fn(int status, int version, void *arg);

/* tmpl_store_list_fn - a list's rows (borrowed for the call: copy what
 * is kept), n of them, or status != SPOOL_OK and n 0. */
typedef void tmpl_store_list_fn(int status, const struct tmpl_version *v,
                                size_t n, void *arg);

struct tmpl_store_backend {
	const char *name;
	/* The active version of tenant's name, or NULL. Valid until the
	 * loop runs again (a change may replace it). */
	const struct tmpl_store_entry *(*find)(void *impl, const char *tenant,
	                                       const char *name);
	/* Store e (taken, freed by the store whatever happens) as a new
	 * version of e->v.tenant/e->v.name; the first version of a name is
	 * active whatever activate says. cb gets the version number. 0, or
	 * -1 (cb not called, e freed) when the store is closed. */
	int (*put)(void *impl, struct tmpl_store_entry *e,
	           enum tmpl_put_mode mode, int activate,
	           tmpl_store_done_fn *cb, void *arg);
	/* Make version the active one. */
	int (*activate)(void *impl, const char *tenant, const char *name,
	                int version, tmpl_store_done_fn *cb, void *arg);
	/* Delete one version (not the active one), or every version when
	 * version is 0. */
	int (*remove)(void *impl, const char *tenant, const char *name,
	              int version, tmpl_store_done_fn *cb, void *arg);
	int (*list)(void *impl, const struct tmpl_store_query *q,
	            tmpl_store_list_fn *cb, void *arg);
	size_t (*count)(void *impl); /* names with an active version */
	void (*free)(void *impl);
};

struct tmpl_store {
	const struct tmpl_store_backend *be;
	void *impl;
};

/* tmpl_store_name_ok - is s a template name: [A-Za-z0-9_.-], 1..128
 * octets, not starting with '.'? */
int tmpl_store_name_ok(const char *s);

/* tmpl_store_dialect_parse - "mustache", "handlebars" or "mustachio"
 * (tmpl_dialect_parse_name) as an enum tmpl_dialect, or -1 (also for
 * NULL). */
int tmpl_store_dialect_parse(const char *s);

/* tmpl_part_name - "subject", "html", "text". */
const char *tmpl_part_name(enum tmpl_part p);

/*
 * tmpl_store_entry_new - parse every part of v (copied) into a new
 * entry. NULL when a part does not parse or the parts are over
 * TMPL_STORE_SOURCE_MAX in all: *bad is the part and *err says where
 * (line, column) and why. Free with tmpl_store_entry_free.
 */
struct tmpl_store_entry *tmpl_store_entry_new(const struct tmpl_version *v,
                                              enum tmpl_part *bad,
                                              struct tmpl_error *err);
void tmpl_store_entry_free(struct tmpl_store_entry *e);

/* tmpl_version_copy - a deep copy of src (parts and meta) into dst. */
void tmpl_version_copy(struct tmpl_version *dst,
                       const struct tmpl_version *src);
/* tmpl_version_fini - free v's parts and meta and zero them. */
void tmpl_version_fini(struct tmpl_version *v);

/* How each part is rendered (tmpl_store_render). */
struct tmpl_store_render_opts {
	enum tmpl_escape escape[TMPL_PARTS];
	int missing_is_error; /* strict: a missing variable is an error */
};

/* A rendered version: NUL-terminated, owned (tmpl_rendered_fini); NULL
 * where the version has no such part. */
struct tmpl_rendered {
	char *part[TMPL_PARTS];
	size_t len[TMPL_PARTS];
};

/*
 * tmpl_store_render - render every part of e with data (a JSON object;
 * NULL: {}). 0, or -1 with *bad the part and *err why (out is then
 * empty). Bounded by the engine's default limits.
 */
int tmpl_store_render(const struct tmpl_store_entry *e, const json_t *data,
                      const struct tmpl_store_render_opts *o,
                      struct tmpl_rendered *out, enum tmpl_part *bad,
                      struct tmpl_error *err);
void tmpl_rendered_fini(struct tmpl_rendered *r);

/*
 * tmpl_store_render_layout - tmpl_store_render with a layout (NULL:
 * none): each of e's html and text parts is shown inside layout's part
 * of the same kind, where it says {{{@content}}} (tmpl_render_layout);
 * a part the layout lacks, and the subject, render alone.
 */
int tmpl_store_render_layout(const struct tmpl_store_entry *e,
                             const struct tmpl_store_entry *layout,
                             const json_t *data,
                             const struct tmpl_store_render_opts *o,
                             struct tmpl_rendered *out, enum tmpl_part *bad,
                             struct tmpl_error *err);

/* tmpl_store_active - the daemon's store, or NULL before one is
 * installed; tmpl_store_install - make s the daemon's store (borrowed;
 * NULL: none). */
struct tmpl_store *tmpl_store_active(void);
void tmpl_store_install(struct tmpl_store *s);

/* tmpl_store_free - release s and its backend. NULL is a no-op. */
void tmpl_store_free(struct tmpl_store *s);

#endif
