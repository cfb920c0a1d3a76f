/*
 * config_api_keys.c - the api_keys: and admin_keys: lists (the keys of
 * the HTTP send API and of the admin plane).
 *
 * An API key is { name, key_sha256 | key_file, tenant, from_domains }; an
 * admin key is { name, key_sha256 | key_file, role }. A key is never
 * kept: key_sha256 is stored as given (hex, lower-cased) and key_file's
 * one line is hashed at load time and wiped at once, so the loaded config
 * holds only digests. The walk (config_walk.c) applies the rows; the
 * checks here enforce the rules that span them: exactly one of key_sha256
 * and key_file, a 64-digit hex digest, at least one from domain (API
 * keys), unique names and unique digests (two names for one key would
 * make the tenant ambiguous), and no key that is both an API key and an
 * admin key (a leaked application key must not open the admin plane).
 * tenant defaults to the name.
 */
#include "config/config_keys.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "core/xmalloc.h"

#define K struct config_api_key
static const struct config_key keys_api_key[] = {
    {ROW("name", KEY_STR, KEYF_REQUIRED | KEYF_NAME), FIELD(K, name)},
    {ROW("key_sha256", KEY_STR, 0), FIELD(K, key_sha256)},
    {ROW("key_file", KEY_SECRET_FILE, 0), FIELD(K, key)},
    {ROW("tenant", KEY_STR, KEYF_NAME), FIELD(K, tenant)},
    {ROW("from_domains", KEY_DOMAINS, KEYF_REQUIRED), FIELD(K, from_domains),
     COUNT(K, n_from_domains)},
    {ROW("allow_null_sender", KEY_BOOL, 0), FIELD(K, allow_null_sender)},
    {.name = NULL},
};
#undef K

/* api_key_init - an element starts empty. */
static void
api_key_init(void *elem)
{
	memset(elem, 0, sizeof(struct config_api_key));
}

/* api_key_fini - release one element. */
static void
api_key_fini(void *elem)
{
	config_api_key_fini(elem);
}

/* api_key_hex - 64 hex digits into digest and lower-case hex in s. */
static int
api_key_hex(char *s, unsigned char digest[32])
{
	size_t i;

	if (strlen(s) != 64)
		return -1;
	for (i = 0; i < 64; i++) {
		char c = s[i];
		int v;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F') {
			v = c - 'A' + 10;
			s[i] = (char)(c - 'A' + 'a');
		} else
			return -1;
		if (i % 2 == 0)
			digest[i / 2] = (unsigned char)(v << 4);
		else
			digest[i / 2] |= (unsigned char)v;
	}
	return 0;
}

/*
 * key_digest_load - the digest of one element from key_sha256 or key_file
 * (*key is wiped and freed; *key_sha256 becomes its hex). 0, or -1 with
 * the error set.
 */
static int
key_digest_load(struct config_ctx *x, const struct config_node *map,
                const char *path, char **key, char **key_sha256,
                unsigned char digest[32])
{
	const struct config_pair *hs = config_tree_get(map, "key_sha256");
	const struct config_pair *kf = config_tree_get(map, "key_file");
	char kpath[CONFIG_PATH_SIZE];
	size_t j;

	if ((hs == NULL) == (kf == NULL)) {
		config_path_key(kpath, sizeof(kpath), path,
		                hs ? "key_file" : "key_sha256");
		return config_error(x, hs ? kf->line : map->line, kpath,
		                    "expected exactly one of key_sha256 and "
		                    "key_file");
	}
	if (*key != NULL) {
		SHA256((const unsigned char *)*key, strlen(*key), digest);
		explicit_bzero(*key, strlen(*key));
		free(*key);
		*key = NULL;
		*key_sha256 = xmalloc(65);
		for (j = 0; j < 32; j++)
			snprintf(*key_sha256 + 2 * j, 3, "%02x", digest[j]);
	} else if (*key_sha256 == NULL ||
	           api_key_hex(*key_sha256, digest) < 0) {
		config_path_key(kpath, sizeof(kpath), path, "key_sha256");
		return config_error(x, hs ? hs->line : map->line, kpath,
		                    "expected 64 hex digits (sha256 of the "
		                    "key, e.g. from sha256sum)");
	}
	return 0;
}

/*
 * key_unique - element i's name and digest (at name_off and digest_off in
 * elements of size stride) differ from those of elements 0..i-1; list is
 * the list's name for the message. 0, or -1 with the error set.
 */
static int
key_unique(struct config_ctx *x, const struct config_node *map,
           const char *path, const char *list, const void *array, size_t stride,
           size_t name_off, size_t digest_off, size_t i)
{
	const char *base = array, *me = base + i * stride;
	char kpath[CONFIG_PATH_SIZE];
	size_t j;

	for (j = 0; j < i; j++) {
		const char *o = base + j * stride;
		if (strcmp(*(char *const *)(const void *)(o + name_off),
		           *(char *const *)(const void *)(me + name_off)) ==
		    0) {
			config_path_key(kpath, sizeof(kpath), path, "name");
			return config_error(x, map->line, kpath,
			                    "expected a unique name");
		}
		if (memcmp(o + digest_off, me + digest_off, 32) == 0) {
			config_path_key(kpath, sizeof(kpath), path,
			                config_tree_get(map, "key_sha256")
			                    ? "key_sha256"
			                    : "key_file");
			return config_error(x, map->line, kpath,
			                    "the same key as %s[%zu]", list, j);
		}
	}
	return 0;
}

/* api_key_check - one key source, a digest, domains, unique name/key. */
static int
api_key_check(struct config_ctx *x, const struct config_node *map,
              const char *path, void *array, size_t i)
{
	struct config_api_key *keys = array, *k = &keys[i];
	char kpath[CONFIG_PATH_SIZE];

	if (key_digest_load(x, map, path, &k->key, &k->key_sha256, k->digest) <
	    0)
		return -1;
	if (k->n_from_domains == 0) {
		config_path_key(kpath, sizeof(kpath), path, "from_domains");
		return config_error(x, map->line, kpath,
		                    "expected at least one domain (\"*\" "
		                    "allows any); got an empty list");
	}
	if (k->tenant == NULL)
		k->tenant = xstrdup(k->name);
	return key_unique(x, map, path, "api_keys", keys, sizeof(*k),
	                  offsetof(struct config_api_key, name),
	                  offsetof(struct config_api_key, digest), i);
}

const struct key_list config_list_api_keys = {
    .elem_size = sizeof(struct config_api_key),
    .keys = keys_api_key,
    .init = api_key_init,
    .fini = api_key_fini,
    .check = api_key_check,
};

void
config_api_key_fini(struct config_api_key *k)
{
	size_t i;

	free(k->name);
	free(k->key_sha256);
	if (k->key != NULL) {
		explicit_bzero(k->key, strlen(k->key));
		free(k->key);
	}
	free(k->tenant);
	for (i = 0; i < k->n_from_domains; i++)
		free(k->from_domains[i]);
	free(k->from_domains);
	memset(k, 0, sizeof(*k));
}

static const struct key_choice choices_admin_role[] = {
    {"admin", CONFIG_ADMIN_ROLE_ADMIN},
    {"metrics", CONFIG_ADMIN_ROLE_METRICS},
    {NULL, 0},
};

#define A struct config_admin_key
static const struct config_key keys_admin_key[] = {
    {ROW("name", KEY_STR, KEYF_REQUIRED | KEYF_NAME), FIELD(A, name)},
    {ROW("key_sha256", KEY_STR, 0), FIELD(A, key_sha256)},
    {ROW("key_file", KEY_SECRET_FILE, 0), FIELD(A, key)},
    {ROW("role", KEY_ENUM, 0), FIELD(A, role), .choices = choices_admin_role},
    {.name = NULL},
};
#undef A

/* admin_key_init - an element starts empty (role admin). */
static void
admin_key_init(void *elem)
{
	memset(elem, 0, sizeof(struct config_admin_key));
}

/* admin_key_fini - release one element. */
static void
admin_key_fini(void *elem)
{
	config_admin_key_fini(elem);
}

/* admin_key_check - one key source, a digest, unique name and key. */
static int
admin_key_check(struct config_ctx *x, const struct config_node *map,
                const char *path, void *array, size_t i)
{
	struct config_admin_key *keys = array, *k = &keys[i];

	if (key_digest_load(x, map, path, &k->key, &k->key_sha256, k->digest) <
	    0)
		return -1;
	return key_unique(x, map, path, "admin_keys", keys, sizeof(*k),
	                  offsetof(struct config_admin_key, name),
	                  offsetof(struct config_admin_key, digest), i);
}

const struct key_list config_list_admin_keys = {
    .elem_size = sizeof(struct config_admin_key),
    .keys = keys_admin_key,
    .init = admin_key_init,
    .fini = admin_key_fini,
    .check = admin_key_check,
};

int
config_admin_keys_check(struct config_ctx *x, const struct config_node *root,
                        const struct config *c)
{
	const struct config_pair *p = config_tree_get(root, "admin_keys");
	char kpath[CONFIG_PATH_SIZE];
	size_t i, j;

	for (i = 0; i < c->n_admin_keys; i++)
		for (j = 0; j < c->n_api_keys; j++) {
			if (memcmp(c->admin_keys[i].digest,
			           c->api_keys[j].digest, 32) != 0)
				continue;
			config_path_index(kpath, sizeof(kpath), "admin_keys",
			                  i);
			return config_error(
			    x, p ? p->line : root->line, kpath,
			    "the same key as api_keys[%zu]: an admin key must "
			    "not be an application's key",
			    j);
		}
	return 0;
}

void
config_admin_key_fini(struct config_admin_key *k)
{
	free(k->name);
	free(k->key_sha256);
	if (k->key != NULL) {
		explicit_bzero(k->key, strlen(k->key));
		free(k->key);
	}
	memset(k, 0, sizeof(*k));
}
