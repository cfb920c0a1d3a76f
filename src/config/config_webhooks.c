/*
 * config_webhooks.c - the events: section: events out to applications
 * (observe/webhook_out.h).
 *
 *   events:
 *     retry_for: 24h        give up (dead-letter) this long after queueing
 *     retry_min: 5s         first back-off, doubled per failure
 *     retry_max: 1h         longest back-off
 *     timeout: 10s          one request, connection included
 *     concurrency: 4        requests at once per URL
 *     webhooks:
 *       - url: https://app.example/hooks/swerve
 *         secret_file: hook.secret      # whsec_<base64>
 *         types: [delivered, bounced, complained]   # default: all
 *         tenant: acme                  # default: every tenant
 *
 * This file checks shape: a URL with http(s), a secret in the Standard
 * Webhooks form, known type names. Secrets are wiped on free.
 */
#include "config/config_keys.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/whsig.h"
#include "core/xmalloc.h"

/* The type names of observe/webhook_event.h (its test checks they agree). */
static const char *const webhooks_type_names[] = {
    "accepted", "sent",       "delivered", "delayed",    "deferred",
    "bounced",  "complained", "failed",    "suppressed", NULL};

/* webhooks_type_known - is name one of the types? */
static int
webhooks_type_known(const char *name)
{
	size_t i;

	for (i = 0; webhooks_type_names[i] != NULL; i++)
		if (strcmp(webhooks_type_names[i], name) == 0)
			return 1;
	return 0;
}

#define W struct config_webhook
static const struct config_key keys_webhook[] = {
    {ROW("url", KEY_STR, KEYF_REQUIRED), FIELD(W, url)},
    {ROW("secret_file", KEY_SECRET_FILE, KEYF_REQUIRED), FIELD(W, secret)},
    {ROW("types", KEY_STRS, 0), FIELD(W, types), COUNT(W, n_types)},
    {ROW("tenant", KEY_STR, KEYF_NAME), FIELD(W, tenant)},
    {.name = NULL},
};
#undef W

/* webhooks_init - a webhook starts empty. */
static void
webhooks_init(void *elem)
{
	memset(elem, 0, sizeof(struct config_webhook));
}

/* webhooks_fini - release one webhook, wiping its secret. */
static void
webhooks_fini(void *elem)
{
	struct config_webhook *h = elem;
	size_t i;

	free(h->url);
	if (h->secret != NULL) {
		explicit_bzero(h->secret, strlen(h->secret));
		free(h->secret);
	}
	for (i = 0; i < h->n_types; i++)
		free(h->types[i]);
	free(h->types);
	free(h->tenant);
	memset(h, 0, sizeof(*h));
}

/* webhooks_check - a usable URL, secret and types. */
static int
webhooks_check(struct config_ctx *x, const struct config_node *map,
               const char *path, void *array, size_t i)
{
	struct config_webhook *h = (struct config_webhook *)array + i;
	char kpath[CONFIG_PATH_SIZE];
	unsigned char key[WHSIG_KEY_MAX];
	size_t keylen, k;
	int bad;

	if (strncmp(h->url, "http://", 7) != 0 &&
	    strncmp(h->url, "https://", 8) != 0) {
		config_path_key(kpath, sizeof(kpath), path, "url");
		return config_error(x, map->line, kpath,
		                    "expected an http:// or https:// URL");
	}
	bad = whsig_secret_decode(h->secret, key, &keylen) < 0;
	explicit_bzero(key, sizeof(key));
	if (bad) {
		config_path_key(kpath, sizeof(kpath), path, "secret_file");
		return config_error(
		    x, map->line, kpath,
		    "expected one line whsec_<base64 of the key>");
	}
	for (k = 0; k < h->n_types; k++) {
		if (webhooks_type_known(h->types[k]))
			continue;
		config_path_key(kpath, sizeof(kpath), path, "types");
		return config_error(
		    x, map->line, kpath,
		    "expected accepted, sent, delivered, delayed, deferred, "
		    "bounced, complained, failed or suppressed; got \"%s\"",
		    h->types[k]);
	}
	return 0;
}

static const struct key_list list_webhooks = {
    .elem_size = sizeof(struct config_webhook),
    .keys = keys_webhook,
    .init = webhooks_init,
    .fini = webhooks_fini,
    .check = webhooks_check,
};

#define C struct config
const struct config_key config_keys_webhooks[] = {
    {ROW("retry_for", KEY_DURATION, 0), FIELD(C, events_retry_for_ms),
     .min = 1000},
    {ROW("retry_min", KEY_DURATION, 0), FIELD(C, events_retry_min_ms),
     .min = 10},
    {ROW("retry_max", KEY_DURATION, 0), FIELD(C, events_retry_max_ms),
     .min = 10},
    {ROW("timeout", KEY_DURATION, 0), FIELD(C, events_timeout_ms), .min = 100},
    {ROW("concurrency", KEY_INT, 0), FIELD(C, events_concurrency), .min = 1,
     .max = 256},
    {ROW("unmatched_retention", KEY_DURATION, 0),
     FIELD(C, events_unmatched_retention_ms), .min = 1000},
    {ROW("webhooks", KEY_LIST, 0), FIELD(C, webhooks), COUNT(C, n_webhooks),
     .list = &list_webhooks},
    {.name = NULL},
};
#undef C

void
config_webhooks_defaults(struct config *c)
{
	c->events_retry_for_ms = 24ULL * 3600 * 1000;
	c->events_retry_min_ms = 5000;
	c->events_retry_max_ms = 3600ULL * 1000;
	c->events_timeout_ms = 10000;
	c->events_concurrency = 4;
	c->events_unmatched_retention_ms = 30ULL * 86400 * 1000;
}

void
config_webhooks_free(struct config *c)
{
	size_t i;

	for (i = 0; i < c->n_webhooks; i++)
		webhooks_fini(&c->webhooks[i]);
	free(c->webhooks);
}
