/*
 * cluster_tmpl.h - the template store shared by the fleet (contract; a
 * backend of tmpl/tmpl_store.h wrapped around the node's local one).
 *
 * Every node keeps its own durable store (the spool database) and the
 * active versions parsed in memory, so a send never waits for Redis and
 * a node cut off from Redis still renders what it had. What this adds:
 *   - a put, activate or delete made on this node is, once durable
 *     here, shared: the name's active version (dialect and parts; or
 *     "removed" when the name is gone) is written to the hash
 *     <prefix>:tmpl (field "<tenant>\n<name>") and announced on the
 *     fleet channel (kind "template");
 *   - another node's announcement makes this node read that field and,
 *     when its own active version differs, store it here as a new
 *     active version (or delete the name), through its local store:
 *     durable here before find() sees it;
 *   - on joining and every re-join, the whole hash is applied so.
 * The fleet agrees on each name's active content; version numbers and
 * older versions stay each node's own (a node that stored a change
 * from the fleet numbers it after its own).
 *
 * Loop thread only.
 */
#ifndef SWERVE_CLUSTER_CLUSTER_TMPL_H
#define SWERVE_CLUSTER_CLUSTER_TMPL_H

#include <stddef.h>

struct cluster;
struct cluster_msg;
struct tmpl_store;
struct tmpl_store_entry;
struct tmpl_version;

/* cluster_tmpl_wrap - share s (the daemon's store; borrowed, must
 * outlive c) through c: its backend is replaced in place by one that
 * forwards to the old one. Undone by cluster_tmpl_unwrap (cluster_free
 * calls it). */
void cluster_tmpl_wrap(struct cluster *c, struct tmpl_store *s);

/* cluster_tmpl_unwrap - give s its own backend back. */
void cluster_tmpl_unwrap(struct cluster *c);

/* cluster_tmpl_apply - another node's announcement (kind template). */
void cluster_tmpl_apply(struct cluster *c, const struct cluster_msg *m);

/* cluster_tmpl_resync - apply the whole hash (after joining). */
void cluster_tmpl_resync(struct cluster *c);

/* ---- the hash's values (pure) -------------------------------------- */

/* cluster_tmpl_encode - e's version as the hash's JSON value
 * {"dialect","subject","html","text","version"} (absent parts left
 * out), or {"removed":true} when e is NULL. malloc'd; the caller frees. */
char *cluster_tmpl_encode(const struct tmpl_store_entry *e);

/*
 * cluster_tmpl_decode - buf[0..len) into out (zeroed first; tenant and
 * name copied in; parts malloc'd: tmpl_version_fini), or *removed = 1.
 * 0, or -1 with err (not JSON, not an object, an unknown dialect, a
 * part that is not a string, no part at all, over TMPL_STORE_SOURCE_MAX,
 * a tenant or name too long); out then holds nothing to free.
 */
int cluster_tmpl_decode(const char *buf, size_t len, const char *tenant,
                        const char *name, struct tmpl_version *out,
                        int *removed, char *err, size_t errlen);

#endif
