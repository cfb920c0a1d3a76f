/*
 * verp_key.c - load or create the spool's VERP key (see verp_key.h).
 *
 * Created with O_EXCL, so two daemons started on one spool at once agree
 * on one key (the loser reads the winner's), and written in full and
 * fsynced before it is used: a VERP address never leaves with a key that
 * a crash could lose.
 */
#include "deliver/verp_key.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

/* verp_key_read - the key from fd; 0 or -1 with err. */
static int
verp_key_read(int fd, const char *path, unsigned char *key, char *err,
              size_t errlen)
{
	unsigned char extra;
	size_t got = 0;
	ssize_t n;

	while (got < VERP_KEY_LEN) {
		n = read(fd, key + got, VERP_KEY_LEN - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got != VERP_KEY_LEN || read(fd, &extra, 1) != 0) {
		snprintf(err, errlen, "%s: not a %d-octet key", path,
		         VERP_KEY_LEN);
		OPENSSL_cleanse(key, VERP_KEY_LEN);
		return -1;
	}
	return 0;
}

/* verp_key_create - a new key into path (O_EXCL); 0, 1 when it exists
 * already, or -1 with err. */
static int
verp_key_create(const char *dir, const char *path, unsigned char *key,
                char *err, size_t errlen)
{
	size_t off = 0;
	ssize_t n;
	int fd, dfd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST)
		return 1;
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (RAND_bytes(key, VERP_KEY_LEN) != 1) {
		snprintf(err, errlen, "%s: no random octets", path);
		goto fail;
	}
	while (off < VERP_KEY_LEN) {
		n = write(fd, key + off, VERP_KEY_LEN - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s: write: %s", path,
			         strerror(errno));
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0) {
		snprintf(err, errlen, "%s: fsync: %s", path, strerror(errno));
		goto fail;
	}
	close(fd);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	close(fd);
	(void)unlink(path);
	OPENSSL_cleanse(key, VERP_KEY_LEN);
	return -1;
}

int
verp_key_load(const char *dir, unsigned char key[VERP_KEY_LEN], char *err,
              size_t errlen)
{
	char path[4096];
	int fd, rc;

	if (snprintf(path, sizeof(path), "%s/%s", dir, VERP_KEY_FILE) >=
	    (int)sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	rc = verp_key_create(dir, path, key, err, errlen);
	if (rc <= 0)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = verp_key_read(fd, path, key, err, errlen);
	close(fd);
	return rc;
}
