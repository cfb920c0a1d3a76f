/*
 * verp_key.h - the secret that authenticates VERP addresses (contract).
 *
 * One key per spool, kept beside it as <spool.dir>/bounce.key (32 random
 * octets, mode 0600), made at the first start that needs it. It lives
 * and dies with the spool whose message ids it signs: a VERP address
 * names a message in that spool and nowhere else, so there is nothing to
 * configure, and a spool copied to another host keeps answering its
 * bounces. Deleting the file invalidates every VERP address sent so far
 * (bounces to them are then refused with 550).
 */
#ifndef SWERVE_DELIVER_VERP_KEY_H
#define SWERVE_DELIVER_VERP_KEY_H

#include <stddef.h>

#define VERP_KEY_LEN 32
#define VERP_KEY_FILE "bounce.key"

/*
 * verp_key_load - read dir/bounce.key into key, or create it (random,
 * 0600, fsynced with its directory) when it does not exist. Blocking
 * file I/O: call at start, before the loop runs. Returns 0, or -1 with
 * a one-line message in err (a file of another size, unreadable, ...).
 */
int verp_key_load(const char *dir, unsigned char key[VERP_KEY_LEN], char *err,
                  size_t errlen);

#endif
