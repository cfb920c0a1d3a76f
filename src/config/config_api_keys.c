/*
 * config_api_keys.c - the api_keys: list (keys of the HTTP send API).
 *
 * Each element is { name, key_sha256 | key_file, tenant, from_domains }.
 * A key is never kept: key_sha256 is stored as given (hex, lower-cased)
 * and key_file's one line is hashed at load time and wiped at once, so
 * the loaded config holds only digests. The walk (config_walk.c) applies
 * the rows; the check here enforces the rules that span them: exactly
 * one of key_sha256 and key_file, a 64-digit hex digest, at least one
 * from domain, unique names and unique digests (two names for one key
 * would make the tenant ambiguous). tenant defaults to the name.
 */
#include "config/config_keys.h"

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

/* api_key_check - one key source, a digest, domains, unique name/key. */
static int
api_key_check(struct config_ctx *x, const struct config_node *map,
              const char *path, void *array, size_t i)
{
	struct config_api_key *keys = array, *k = &keys[i];
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
	if (k->key != NULL) {
		SHA256((const unsigned char *)k->key, strlen(k->key),
		       k->digest);
		explicit_bzero(k->key, strlen(k->key));
		free(k->key);
		k->key = NULL;
		k->key_sha256 = xmalloc(65);
		for (j = 0; j < 32; j++)
			snprintf(k->key_sha256 + 2 * j, 3, "%02x",
			         k->digest[j]);
	} else if (k->key_sha256 == NULL ||
	           api_key_hex(k->key_sha256, k->digest) < 0) {
		config_path_key(kpath, sizeof(kpath), path, "key_sha256");
		return config_error(x, hs ? hs->line : map->line, kpath,
		                    "expected 64 hex digits (sha256 of the "
		                    "key, e.g. from sha256sum)");
	}
	if (k->n_from_domains == 0) {
		config_path_key(kpath, sizeof(kpath), path, "from_domains");
		return config_error(x, map->line, kpath,
		                    "expected at least one domain (\"*\" "
		                    "allows any); got an empty list");
	}
	if (k->tenant == NULL)
		k->tenant = xstrdup(k->name);
	for (j = 0; j < i; j++) {
		if (strcmp(keys[j].name, k->name) == 0) {
			config_path_key(kpath, sizeof(kpath), path, "name");
			return config_error(x, map->line, kpath,
			                    "expected a unique name");
		}
		if (memcmp(keys[j].digest, k->digest, 32) == 0) {
			config_path_key(kpath, sizeof(kpath), path,
			                hs ? "key_sha256" : "key_file");
			return config_error(x, map->line, kpath,
			                    "the same key as api_keys[%zu]", j);
		}
	}
	return 0;
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
