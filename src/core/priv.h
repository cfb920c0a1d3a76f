/*
 * priv.h - giving up root after start (contract).
 *
 * swerved may be started as root so that it can bind ports below 1024.
 * Once every listener is bound, priv_drop() switches the whole process
 * (every thread: glibc applies set*id to all of them) to the configured
 * user and group for good, and proves it cannot switch back. Nothing here
 * binds, reads configuration or touches the network.
 */
#ifndef SWERVE_CORE_PRIV_H
#define SWERVE_CORE_PRIV_H

#include <stddef.h>
#include <sys/types.h>

/* Who to become: resolved from the user: and group: keys. */
struct priv_ids {
	uid_t uid;
	gid_t gid;
	char name[64]; /* the user's name, for initgroups and logs */
};

/*
 * priv_resolve - look up user (a name or a numeric uid) and group (a name,
 * a numeric gid, or NULL: the user's primary group) into *out.
 * Returns 0, or -1 with the reason in err.
 */
int priv_resolve(const char *user, const char *group, struct priv_ids *out,
                 char *err, size_t errlen);

/*
 * priv_drop - become ids for good: hand dir (the spool directory) and the
 * files directly in it to them while still root, then supplementary groups,
 * gid, uid (real, effective and saved), then check that setuid(0) and
 * setgid(0) fail and that dir is usable. Call after the listeners are
 * bound. When the process is not root, it only checks that it already runs
 * as ids. Returns 0, or -1 with the reason in err (the caller exits: a
 * half-dropped process must not serve).
 */
int priv_drop(const struct priv_ids *ids, const char *dir, char *err,
              size_t errlen);

/* priv_is_root - whether the process runs with effective uid 0. */
int priv_is_root(void);

#endif
