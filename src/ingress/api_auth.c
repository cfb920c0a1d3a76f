/*
 * api_auth.c - API and admin keys: bearer parsing, constant-time lookup,
 * From rules.
 *
 * A key is hashed once per request (SHA-256, OpenSSL) and the digest is
 * compared with CRYPTO_memcmp against every configured digest without
 * stopping at a match, so the time taken does not depend on which key
 * (if any) matched or where it sits in the list.
 */
#include "ingress/api_auth.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "config/config.h"

int
api_auth_bearer_parse(const char *hdr, struct str *key)
{
	const char *p;
	size_t i;

	if (hdr == NULL || strncasecmp(hdr, "Bearer", 6) != 0 ||
	    (hdr[6] != ' ' && hdr[6] != '\t'))
		return -1;
	p = hdr + 6;
	while (*p == ' ' || *p == '\t')
		p++;
	for (i = 0; p[i] != '\0'; i++)
		if ((unsigned char)p[i] < 0x21 || (unsigned char)p[i] > 0x7e)
			break;
	/* Trailing blanks are tolerated; anything after them is not. */
	key->p = p;
	key->len = i;
	while (p[i] == ' ' || p[i] == '\t')
		i++;
	if (key->len == 0 || p[i] != '\0')
		return -1;
	return 0;
}

/*
 * api_auth_digest_find - the index of the element whose digest (at
 * digest_off in n elements of size stride) is SHA-256(key), or -1. Every
 * digest is compared, matched or not.
 */
static ssize_t
api_auth_digest_find(const void *array, size_t n, size_t stride,
                     size_t digest_off, struct str key)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	const unsigned char *base = array;
	ssize_t found = -1;
	size_t i;

	SHA256((const unsigned char *)key.p, key.len, md);
	for (i = 0; i < n; i++) {
		int diff = CRYPTO_memcmp(md, base + i * stride + digest_off,
		                         sizeof(md));
		/* Keep going after a match: same work for every key. */
		if (diff == 0 && found < 0)
			found = (ssize_t)i;
	}
	OPENSSL_cleanse(md, sizeof(md));
	return found;
}

const struct config_api_key *
api_auth_key_find(const struct config *cfg, struct str key)
{
	ssize_t i = api_auth_digest_find(
	    cfg->api_keys, cfg->n_api_keys, sizeof(*cfg->api_keys),
	    offsetof(struct config_api_key, digest), key);

	return i < 0 ? NULL : &cfg->api_keys[i];
}

const struct config_admin_key *
api_auth_admin_find(const struct config *cfg, struct str key)
{
	ssize_t i = api_auth_digest_find(
	    cfg->admin_keys, cfg->n_admin_keys, sizeof(*cfg->admin_keys),
	    offsetof(struct config_admin_key, digest), key);

	return i < 0 ? NULL : &cfg->admin_keys[i];
}

bool
api_auth_from_allowed(const struct config_api_key *k, const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	size_t i;

	if (k == NULL || at == NULL || at[1] == '\0')
		return false;
	for (i = 0; i < k->n_from_domains; i++)
		if (strcmp(k->from_domains[i], "*") == 0 ||
		    strcasecmp(k->from_domains[i], at + 1) == 0)
			return true;
	return false;
}
