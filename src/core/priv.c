/*
 * priv.c - giving up root after start.
 *
 * The order matters: the spool directory is handed over while we still may
 * chown; supplementary groups go before the gid (setgroups needs root),
 * the gid before the uid (after setuid we could not change it); last,
 * setuid(0) and setgid(0) must fail, or the drop did not happen and the
 * process must not serve. Only the spool directory and the files directly
 * in it are chowned: swerve creates nothing deeper, and the parents are
 * the operator's (a parent the user cannot search is reported, not fixed).
 */
#include "core/priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* priv_id_parse - s as a decimal id; -1 if it is not one. */
static long long
priv_id_parse(const char *s)
{
	char *end;
	long long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v >= (long long)UINT_MAX)
		return -1;
	return v;
}

int
priv_resolve(const char *user, const char *group, struct priv_ids *out,
             char *err, size_t errlen)
{
	const struct passwd *pw;
	const struct group *gr;
	long long id;

	memset(out, 0, sizeof(*out));
	id = priv_id_parse(user);
	pw = id >= 0 ? getpwuid((uid_t)id) : getpwnam(user);
	if (pw == NULL && id < 0) {
		snprintf(err, errlen, "user: no such user \"%s\"", user);
		return -1;
	}
	if (pw != NULL) {
		out->uid = pw->pw_uid;
		out->gid = pw->pw_gid;
		snprintf(out->name, sizeof(out->name), "%s", pw->pw_name);
	} else if (group == NULL) {
		/* A bare uid with no passwd entry: there is no primary group
		 * to take, so it must be named. */
		snprintf(err, errlen,
		         "user: uid %lld has no passwd entry; set group: too",
		         id);
		return -1;
	} else {
		out->uid = (uid_t)id;
		snprintf(out->name, sizeof(out->name), "%lld", id);
	}
	if (out->uid == 0) {
		snprintf(err, errlen,
		         "user: \"%s\" is root; name an "
		         "unprivileged account",
		         user);
		return -1;
	}
	if (group == NULL)
		return 0;
	id = priv_id_parse(group);
	gr = id >= 0 ? NULL : getgrnam(group);
	if (id < 0 && gr == NULL) {
		snprintf(err, errlen, "group: no such group \"%s\"", group);
		return -1;
	}
	out->gid = gr != NULL ? gr->gr_gid : (gid_t)id;
	if (out->gid == 0) {
		snprintf(err, errlen,
		         "group: \"%s\" is root's group; name "
		         "another",
		         group);
		return -1;
	}
	return 0;
}

int
priv_is_root(void)
{
	return geteuid() == 0;
}

/* priv_dir_give - chown dir and the entries directly in it to ids. */
static int
priv_dir_give(const struct priv_ids *ids, const char *dir, char *err,
              size_t errlen)
{
	const struct dirent *de;
	DIR *d;
	int fd;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fchown(fd, ids->uid, ids->gid) != 0) {
		snprintf(err, errlen, "chown %s: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	d = fdopendir(fd);
	if (d == NULL) {
		snprintf(err, errlen, "opendir %s: %s", dir, strerror(errno));
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		/* Never follow a link: it could point anywhere. */
		if (fchownat(fd, de->d_name, ids->uid, ids->gid,
		             AT_SYMLINK_NOFOLLOW) != 0) {
			snprintf(err, errlen, "chown %s/%s: %s", dir,
			         de->d_name, strerror(errno));
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

/* priv_ids_set - groups, gid, uid: all three ids of each, for good. */
static int
priv_ids_set(const struct priv_ids *ids, char *err, size_t errlen)
{
	/* With a passwd entry, the user's own supplementary groups;
	 * without one, none at all (root's must not stay). */
	if (getpwuid(ids->uid) != NULL ? initgroups(ids->name, ids->gid) != 0
	                               : setgroups(0, NULL) != 0) {
		snprintf(err, errlen, "setgroups: %s", strerror(errno));
		return -1;
	}
	if (setresgid(ids->gid, ids->gid, ids->gid) != 0) {
		snprintf(err, errlen, "setresgid %u: %s", (unsigned)ids->gid,
		         strerror(errno));
		return -1;
	}
	if (setresuid(ids->uid, ids->uid, ids->uid) != 0) {
		snprintf(err, errlen, "setresuid %u: %s", (unsigned)ids->uid,
		         strerror(errno));
		return -1;
	}
	return 0;
}

/* priv_ids_verify - the process is ids and cannot become root again. */
static int
priv_ids_verify(const struct priv_ids *ids, char *err, size_t errlen)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (setuid(0) != -1 || setgid(0) != -1 || seteuid(0) != -1) {
		snprintf(err, errlen, "root could be regained after the drop");
		return -1;
	}
	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 ||
	    ru != ids->uid || eu != ids->uid || su != ids->uid ||
	    rg != ids->gid || eg != ids->gid || sg != ids->gid) {
		snprintf(err, errlen, "ids are not %u:%u after the drop",
		         (unsigned)ids->uid, (unsigned)ids->gid);
		return -1;
	}
	return 0;
}

int
priv_drop(const struct priv_ids *ids, const char *dir, char *err, size_t errlen)
{
	if (!priv_is_root()) {
		if (geteuid() != ids->uid || getegid() != ids->gid) {
			snprintf(err, errlen,
			         "user: running as uid %u gid %u, not root: "
			         "cannot switch to %s (%u:%u)",
			         (unsigned)geteuid(), (unsigned)getegid(),
			         ids->name, (unsigned)ids->uid,
			         (unsigned)ids->gid);
			return -1;
		}
		return 0;
	}
	if (priv_dir_give(ids, dir, err, errlen) != 0)
		return -1;
	if (priv_ids_set(ids, err, errlen) != 0)
		return -1;
	if (priv_ids_verify(ids, err, errlen) != 0)
		return -1;
	if (access(dir, R_OK | W_OK | X_OK) != 0) {
		snprintf(err, errlen,
		         "spool %s is not usable by %s: %s (can it search "
		         "every parent directory?)",
		         dir, ids->name, strerror(errno));
		return -1;
	}
	return 0;
}
