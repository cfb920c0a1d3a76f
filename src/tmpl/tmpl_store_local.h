/*
 * tmpl_store_local.h - the local template store: the spool database for
 * durability, the active versions parsed in memory for sends (see
 * tmpl_store.h).
 *
 * Writes go through the spool's writer (spool_exec: one group commit,
 * one fsync) and the memory changes on the loop thread after the
 * commit, so find() sees exactly what is on disk. The table, made by
 * the spool's schema (version 7, spool_db.c):
 *
 *   templates(tenant, name, version, active, dialect, subject, html,
 *             text, created_ms), UNIQUE (tenant, name, version)
 */
#ifndef SWERVE_TMPL_TMPL_STORE_LOCAL_H
#define SWERVE_TMPL_TMPL_STORE_LOCAL_H

#include <stddef.h>

#include "tmpl/tmpl_store.h"

struct spool;

/* tmpl_store_local_new - a store kept in sp's database (sp borrowed,
 * must outlive it). Empty until tmpl_store_local_load. Free with
 * tmpl_store_free. */
struct tmpl_store *tmpl_store_local_new(struct spool *sp);

/*
 * tmpl_store_local_load - read every active version in the database at
 * db_path (a spool's, opened first: the table is the spool's) into s's
 * memory, parsing each, on a connection of its own. A
 * stored version that no longer parses is left out with a warning.
 * Blocks: call before the loop runs. 0, or -1 with err.
 */
int tmpl_store_local_load(struct tmpl_store *s, const char *db_path, char *err,
                          size_t errlen);

#endif
