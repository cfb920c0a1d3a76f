/*
 * suppress_local.h - the local suppression backend: the spool database
 * for durability, a hash set in memory for lookups (see suppress.h).
 *
 * Writes go through the spool's writer (spool_exec: one group commit, one
 * fsync) and the set changes on the loop thread after the commit, so a
 * lookup sees exactly what is on disk. The table, in the spool database:
 *
 *   suppressions(tenant, akey, address, reason, provider, created_ms,
 *                expires_ms NULL = never, diagnostic),
 *   PRIMARY KEY (tenant, akey)
 *
 * where akey is the comparison form of the address (suppress_addr_key
 * without the tenant). Expired rows suppress nothing and are not listed;
 * they stay until replaced, removed or purged (suppress_purge, which
 * spool/spool_purge.c runs every spool.purge_interval).
 */
#ifndef SWERVE_SPOOL_SUPPRESS_LOCAL_H
#define SWERVE_SPOOL_SUPPRESS_LOCAL_H

#include <stdbool.h>
#include <stddef.h>

#include "spool/suppress.h"

struct spool;

/* suppress_local_new - a list kept in sp's database (sp borrowed, must
 * outlive it); sensitive: compare local parts as given. Empty until
 * suppress_local_load. Free with suppress_free. */
struct suppress *suppress_local_new(struct spool *sp, bool sensitive);

/*
 * suppress_local_load - create the table when missing and read every row
 * of the database at db_path into s's set, on a connection of its own.
 * Blocks: call before the loop runs. 0, or -1 with err.
 */
int suppress_local_load(struct suppress *s, const char *db_path, char *err,
                        size_t errlen);

/* suppress_free - release s and its backend's state. NULL is a no-op. */
void suppress_free(struct suppress *s);

/* suppress_local_schema - the CREATE TABLE statement (for tests). */
extern const char suppress_local_schema[];

#endif
