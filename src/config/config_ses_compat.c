/*
 * config_ses_compat.c - the ses_compat: section (the SES-compatible
 * ingress's credentials; see ingress/compat.h).
 *
 *   ses_compat:
 *     credentials:
 *       - { access_key_id: AKIDEXAMPLE, secret_access_key_file: ses.secret,
 *           tenant: web, from_domains: ["example.com"] }
 *
 * The secret is read from its file at load time (never from the YAML
 * itself, never logged) and wiped on free. Rules spanning keys: an
 * access key id of 16..128 characters [A-Z0-9] (AWS's alphabet; clients
 * check it too), unique ids, at least one from domain. tenant defaults
 * to the access key id lower-cased.
 */
#include "config/config_keys.h"

#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

#define K struct config_ses_credential
static const struct config_key keys_ses_credential[] = {
    {ROW("access_key_id", KEY_STR, KEYF_REQUIRED), FIELD(K, access_key_id)},
    {ROW("secret_access_key_file", KEY_SECRET_FILE, KEYF_REQUIRED),
     FIELD(K, secret_access_key)},
    {ROW("tenant", KEY_STR, KEYF_NAME), FIELD(K, tenant)},
    {ROW("from_domains", KEY_DOMAINS, KEYF_REQUIRED), FIELD(K, from_domains),
     COUNT(K, n_from_domains)},
    {.name = NULL},
};
#undef K

/* ses_cred_init - an element starts empty. */
static void
ses_cred_init(void *elem)
{
	memset(elem, 0, sizeof(struct config_ses_credential));
}

/* ses_cred_fini - release one element, wiping the secret. */
static void
ses_cred_fini(void *elem)
{
	struct config_ses_credential *s = elem;
	size_t i;

	free(s->access_key_id);
	if (s->secret_access_key != NULL) {
		explicit_bzero(s->secret_access_key,
		               strlen(s->secret_access_key));
		free(s->secret_access_key);
	}
	free(s->tenant);
	for (i = 0; i < s->n_from_domains; i++)
		free(s->from_domains[i]);
	free(s->from_domains);
	memset(s, 0, sizeof(*s));
}

/* ses_cred_check - id alphabet and length, domains, unique ids. */
static int
ses_cred_check(struct config_ctx *x, const struct config_node *map,
               const char *path, void *array, size_t i)
{
	struct config_ses_credential *cs = array, *s = &cs[i];
	char kpath[CONFIG_PATH_SIZE];
	size_t j, n = strlen(s->access_key_id);

	config_path_key(kpath, sizeof(kpath), path, "access_key_id");
	for (j = 0; j < n; j++)
		if (!((s->access_key_id[j] >= 'A' &&
		       s->access_key_id[j] <= 'Z') ||
		      (s->access_key_id[j] >= '0' &&
		       s->access_key_id[j] <= '9')))
			break;
	if (n < 16 || n > 128 || j < n)
		return config_error(
		    x, map->line, kpath,
		    "expected 16..128 characters A-Z 0-9 (an AWS access "
		    "key id)");
	for (j = 0; j < i; j++)
		if (strcmp(cs[j].access_key_id, s->access_key_id) == 0)
			return config_error(x, map->line, kpath,
			                    "the same access key id as "
			                    "ses_compat.credentials[%zu]",
			                    j);
	if (s->n_from_domains == 0) {
		config_path_key(kpath, sizeof(kpath), path, "from_domains");
		return config_error(
		    x, map->line, kpath,
		    "expected at least one domain (\"*\" allows any); got "
		    "an empty list");
	}
	if (s->tenant == NULL) {
		s->tenant = xstrdup(s->access_key_id);
		for (j = 0; s->tenant[j] != '\0'; j++)
			if (s->tenant[j] >= 'A' && s->tenant[j] <= 'Z')
				s->tenant[j] = (char)(s->tenant[j] - 'A' + 'a');
	}
	return 0;
}

static const struct key_list list_ses_credentials = {
    .elem_size = sizeof(struct config_ses_credential),
    .keys = keys_ses_credential,
    .init = ses_cred_init,
    .fini = ses_cred_fini,
    .check = ses_cred_check,
};

#define C struct config
const struct config_key config_keys_ses_compat[] = {
    {ROW("credentials", KEY_LIST, 0), FIELD(C, ses_compat_credentials),
     COUNT(C, n_ses_compat_credentials), .list = &list_ses_credentials},
    {.name = NULL},
};
#undef C

void
config_ses_compat_free(struct config *c)
{
	size_t i;

	for (i = 0; i < c->n_ses_compat_credentials; i++)
		ses_cred_fini(&c->ses_compat_credentials[i]);
	free(c->ses_compat_credentials);
	c->ses_compat_credentials = NULL;
	c->n_ses_compat_credentials = 0;
}
