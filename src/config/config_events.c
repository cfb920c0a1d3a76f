/*
 * config_events.c - providers[].events: where a provider posts its
 * delivery events (ingress/feedback.h), and the keys of each source.
 *
 *   providers:
 *     - name: pm
 *       type: postmark
 *       events:
 *         path: /feedback/pm           # default /feedback/<name>
 *         max_body: 1MB
 *         username: postmark
 *         password_file: pm-hook.secret
 *         networks: ["3.134.147.250/32"]
 *
 * Every key of every source type is a row of one table; the rules here
 * refuse a key the provider's type does not use, require what its
 * verifier needs (SES: topic_arns; SendGrid: a public key; Mailgun: the
 * signing key; Postmark: username and password; Resend: a whsec_
 * secret), and keep paths unique and under /feedback/ (so they can never
 * shadow another endpoint). Secrets are read from files at load time and
 * wiped on free.
 */
#include "config/config_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

#define P struct config_provider
const struct config_key config_keys_events[] = {
    {ROW("path", KEY_STR, 0), FIELD(P, events.path)},
    {ROW("max_body", KEY_SIZE, 0), FIELD(P, events.max_body), .min = 1024},
    {ROW("max_age", KEY_DURATION, 0), FIELD(P, events.max_age_ms), .min = 1000},
    /* ses */
    {ROW("topic_arns", KEY_STRS, 0), FIELD(P, events.topic_arns),
     COUNT(P, events.n_topic_arns)},
    {ROW("auto_confirm", KEY_BOOL, 0), FIELD(P, events.auto_confirm)},
    {ROW("sns_cert_host", KEY_STR, 0), FIELD(P, events.sns_cert_host)},
    {ROW("sns_trust_anchor", KEY_FILE, 0), FIELD(P, events.sns_trust_anchor)},
    /* sendgrid */
    {ROW("public_key", KEY_STR, 0), FIELD(P, events.public_key)},
    {ROW("public_key_file", KEY_SECRET_FILE, 0), FIELD(P, events.public_key)},
    /* mailgun */
    {ROW("signing_key_file", KEY_SECRET_FILE, 0), FIELD(P, events.signing_key)},
    /* postmark */
    {ROW("username", KEY_STR, 0), FIELD(P, events.username)},
    {ROW("password_file", KEY_SECRET_FILE, 0), FIELD(P, events.password)},
    {ROW("networks", KEY_NETS, 0), FIELD(P, events.networks),
     COUNT(P, events.n_networks)},
    /* resend */
    {ROW("secret_file", KEY_SECRET_FILE, 0), FIELD(P, events.secret)},
    {.name = NULL},
};
#undef P

/* Which keys each provider type takes, beside path, max_body. */
static const struct {
	const char *type;
	const char *keys[6];
} events_type_keys[] = {
    {"ses",
     {"topic_arns", "auto_confirm", "sns_cert_host", "sns_trust_anchor", NULL}},
    {"sendgrid", {"public_key", "public_key_file", "max_age", NULL}},
    {"mailgun", {"signing_key_file", "max_age", NULL}},
    {"postmark", {"username", "password_file", "networks", NULL}},
    {"resend", {"secret_file", "max_age", NULL}},
};

void
config_events_init(struct config_events *e)
{
	memset(e, 0, sizeof(*e));
	e->max_body = 1024 * 1024;
	e->max_age_ms = 5 * 60 * 1000;
	e->auto_confirm = true;
}

/* events_secret_free - wipe and free a secret string. */
static void
events_secret_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void
config_events_fini(struct config_events *e)
{
	size_t i;

	free(e->path);
	for (i = 0; i < e->n_topic_arns; i++)
		free(e->topic_arns[i]);
	free(e->topic_arns);
	free(e->sns_cert_host);
	free(e->sns_trust_anchor);
	free(e->public_key);
	events_secret_free(e->signing_key);
	free(e->username);
	events_secret_free(e->password);
	free(e->networks);
	events_secret_free(e->secret);
	memset(e, 0, sizeof(*e));
}

/* events_key_allowed - may a provider of type use events key name? */
static bool
events_key_allowed(const char *type, const char *name)
{
	size_t i, j;

	if (strcmp(name, "path") == 0 || strcmp(name, "max_body") == 0)
		return true;
	for (i = 0; i < sizeof(events_type_keys) / sizeof(events_type_keys[0]);
	     i++) {
		if (strcmp(events_type_keys[i].type, type) != 0)
			continue;
		for (j = 0; events_type_keys[i].keys[j] != NULL; j++)
			if (strcmp(events_type_keys[i].keys[j], name) == 0)
				return true;
	}
	return false;
}

/* events_missing - "path.events.key: missing; why". */
static int
events_missing(struct config_ctx *x, const struct config_node *map,
               const char *epath, const char *key, const char *why)
{
	char kpath[CONFIG_PATH_SIZE];

	config_path_key(kpath, sizeof(kpath), epath, key);
	return config_error(x, map->line, kpath, "missing; %s", why);
}

/* events_path_ok - "/feedback/" and one or more segments of
 * [A-Za-z0-9._~-], no empty segment, no "." or "..". */
static bool
events_path_ok(const char *p)
{
	const char *s;
	size_t seg = 0;

	if (strncmp(p, "/feedback/", 10) != 0 || p[10] == '\0' ||
	    strlen(p) > 200)
		return false;
	for (s = p + 10; *s != '\0'; s++) {
		if (*s == '/') {
			if (seg == 0)
				return false;
			seg = 0;
			continue;
		}
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("._~-", *s) != NULL))
			return false;
		seg++;
	}
	return seg > 0 && strstr(p, "/./") == NULL &&
	       strstr(p, "/../") == NULL &&
	       (strlen(p) < 3 || (strcmp(p + strlen(p) - 2, "/.") != 0 &&
	                          strcmp(p + strlen(p) - 3, "/..") != 0));
}

/* events_type_check - the keys p's type needs, and no other type's. */
static int
events_type_check(struct config_ctx *x, const struct config_node *map,
                  const char *epath, const struct config_provider *p)
{
	const struct config_events *e = &p->events;
	char kpath[CONFIG_PATH_SIZE];
	size_t i;

	for (i = 0; i < map->n_pairs; i++) {
		const struct config_pair *kp = &map->pairs[i];
		if (events_key_allowed(p->type, kp->key))
			continue;
		config_path_key(kpath, sizeof(kpath), epath, kp->key);
		return config_error(x, kp->line, kpath,
		                    "not a key of type %s's events", p->type);
	}
	if (strcmp(p->type, "ses") == 0 && e->n_topic_arns == 0)
		return events_missing(x, map, epath, "topic_arns",
		                      "SNS notifications are taken only from "
		                      "the topics listed");
	if (strcmp(p->type, "sendgrid") == 0) {
		if (config_tree_get(map, "public_key") != NULL &&
		    config_tree_get(map, "public_key_file") != NULL)
			return config_error(
			    x, map->line, epath,
			    "expected only one of public_key, public_key_file");
		if (e->public_key == NULL)
			return events_missing(
			    x, map, epath, "public_key",
			    "the Event Webhook's verification key (public_key "
			    "or public_key_file)");
	}
	if (strcmp(p->type, "mailgun") == 0 && e->signing_key == NULL)
		return events_missing(x, map, epath, "signing_key_file",
		                      "the HTTP webhook signing key");
	if (strcmp(p->type, "postmark") == 0 &&
	    (e->username == NULL || e->password == NULL))
		return events_missing(
		    x, map, epath, e->username ? "password_file" : "username",
		    "the basic credentials put in the webhook URL (username "
		    "and password_file)");
	if (strcmp(p->type, "resend") == 0) {
		if (e->secret == NULL)
			return events_missing(x, map, epath, "secret_file",
			                      "the webhook's signing secret "
			                      "(whsec_...)");
		if (strncmp(e->secret, "whsec_", 6) != 0 ||
		    e->secret[6] == '\0') {
			config_path_key(kpath, sizeof(kpath), epath,
			                "secret_file");
			return config_error(x, map->line, kpath,
			                    "expected the file to hold a "
			                    "secret starting with whsec_");
		}
	}
	return 0;
}

int
config_events_check(struct config_ctx *x, const struct config_node *pmap,
                    const char *path, struct config_provider *providers,
                    size_t i)
{
	struct config_provider *p = &providers[i];
	const struct config_pair *ep = config_tree_get(pmap, "events");
	const struct config_pair *pp;
	char epath[CONFIG_PATH_SIZE], kpath[CONFIG_PATH_SIZE];
	size_t j;

	if (ep == NULL || ep->value->kind != CONFIG_NODE_MAP)
		return 0;
	p->events.configured = true;
	config_path_key(epath, sizeof(epath), path, "events");
	if (strcmp(p->type, "smtp") == 0)
		return config_error(x, ep->line, epath,
		                    "type smtp has no event webhook (bounces "
		                    "from a relay come back by mail)");
	if (events_type_check(x, ep->value, epath, p) < 0)
		return -1;
	pp = config_tree_get(ep->value, "path");
	if (p->events.path == NULL) {
		size_t n = strlen(p->name) + 11;
		p->events.path = xmalloc(n);
		snprintf(p->events.path, n, "/feedback/%s", p->name);
	} else if (!events_path_ok(p->events.path)) {
		config_path_key(kpath, sizeof(kpath), epath, "path");
		return config_expect(x, pp->value, kpath, false,
		                     "a path under /feedback/ of letters, "
		                     "digits and ._~- segments");
	}
	for (j = 0; j < i; j++) {
		if (!providers[j].events.configured ||
		    strcmp(providers[j].events.path, p->events.path) != 0)
			continue;
		config_path_key(kpath, sizeof(kpath), epath, "path");
		return config_error(x, pp ? pp->line : ep->line, kpath,
		                    "\"%s\" is already providers[%zu]'s",
		                    p->events.path, j);
	}
	return 0;
}
