/*
 * config_alerts.c - the alerts: section (built-in alerting).
 *
 *   alerts:
 *     interval: 1s              how often rules are evaluated
 *     repeat_interval: 4h       re-notify a still-firing alert this often
 *     notify:   [{type, url, secret_file, to, from, stream, min_severity}]
 *     rules:    [{name, kind, stream, provider, oldest_age_over,
 *                 deferred_over, rate_below, ratio_over, for, clear_for,
 *                 hysteresis, window, repeat_interval, severity}]
 *
 * A rule's kind may be left out when it follows from its keys
 * (oldest_age_over: queue_age, deferred_over: deferred, rate_below:
 * rate_drop) or from its name (a rule named "disk_low" is kind disk_low).
 * Without a rules: key one rule of each kind is shipped (see
 * config_alerts_defaults); a rules: list replaces them all. The webhook
 * secret is read from secret_file and never shown in a message. What the
 * rules mean is observe/alert.h's business; this file only checks shape.
 */
#include "config/config_keys.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

static const struct key_choice choices_notify_type[] = {
    {"webhook", CONFIG_NOTIFY_WEBHOOK},
    {"slack", CONFIG_NOTIFY_SLACK},
    {"alertmanager", CONFIG_NOTIFY_ALERTMANAGER},
    {"email", CONFIG_NOTIFY_EMAIL},
    {NULL, 0},
};

static const struct key_choice choices_severity[] = {
    {"info", CONFIG_SEVERITY_INFO},
    {"warning", CONFIG_SEVERITY_WARNING},
    {"critical", CONFIG_SEVERITY_CRITICAL},
    {NULL, 0},
};

static const struct key_choice choices_alert_kind[] = {
    {"circuit_open", CONFIG_ALERT_CIRCUIT_OPEN},
    {"stream_unusable", CONFIG_ALERT_STREAM_UNUSABLE},
    {"failover", CONFIG_ALERT_FAILOVER},
    {"queue_age", CONFIG_ALERT_QUEUE_AGE},
    {"deferred", CONFIG_ALERT_DEFERRED},
    {"rate_drop", CONFIG_ALERT_RATE_DROP},
    {"provider_config", CONFIG_ALERT_PROVIDER_CONFIG},
    {"disk_low", CONFIG_ALERT_DISK_LOW},
    {"spool_damaged", CONFIG_ALERT_SPOOL_DAMAGED},
    {"bounce_rate", CONFIG_ALERT_BOUNCE_RATE},
    {"complaint_rate", CONFIG_ALERT_COMPLAINT_RATE},
    {"cluster_lost", CONFIG_ALERT_CLUSTER_LOST},
    {"anomaly", CONFIG_ALERT_ANOMALY},
    {"account", CONFIG_ALERT_ACCOUNT},
    {"readiness", CONFIG_ALERT_READINESS},
    {NULL, 0},
};

#define N struct config_notify
static const struct config_key keys_notify[] = {
    {ROW("type", KEY_ENUM, KEYF_REQUIRED), FIELD(N, type),
     .choices = choices_notify_type},
    {ROW("url", KEY_STR, 0), FIELD(N, url)},
    {ROW("secret_file", KEY_SECRET_FILE, 0), FIELD(N, secret)},
    {ROW("to", KEY_STRS, 0), FIELD(N, to), COUNT(N, n_to)},
    {ROW("from", KEY_STR, 0), FIELD(N, from)},
    {ROW("stream", KEY_STR, KEYF_NAME), FIELD(N, stream)},
    {ROW("min_severity", KEY_ENUM, 0), FIELD(N, min_severity),
     .choices = choices_severity},
    {.name = NULL},
};
#undef N

#define R struct config_alert_rule
static const struct config_key keys_rule[] = {
    {ROW("name", KEY_STR, KEYF_REQUIRED | KEYF_NAME), FIELD(R, name)},
    {ROW("kind", KEY_ENUM, 0), FIELD(R, kind), .choices = choices_alert_kind},
    {ROW("stream", KEY_STR, KEYF_NAME), FIELD(R, stream)},
    {ROW("provider", KEY_STR, KEYF_NAME), FIELD(R, provider)},
    {ROW("oldest_age_over", KEY_DURATION, 0), FIELD(R, oldest_age_over_ms),
     .min = 1},
    {ROW("deferred_over", KEY_INT, 0), FIELD(R, deferred_over), .min = 0,
     .max = INT64_MAX},
    {ROW("rate_below", KEY_PERCENT, 0), FIELD(R, rate_below)},
    {ROW("ratio_over", KEY_PERCENT, 0), FIELD(R, ratio_over)},
    {ROW("for", KEY_DURATION, 0), FIELD(R, for_ms)},
    {ROW("clear_for", KEY_DURATION, 0), FIELD(R, clear_for_ms)},
    {ROW("hysteresis", KEY_PERCENT, 0), FIELD(R, hysteresis)},
    {ROW("window", KEY_DURATION, 0), FIELD(R, window_ms), .min = 1000},
    {ROW("repeat_interval", KEY_DURATION, 0), FIELD(R, repeat_ms)},
    {ROW("severity", KEY_ENUM, 0), FIELD(R, severity),
     .choices = choices_severity},
    {.name = NULL},
};
#undef R

/* alerts_notify_init - a notifier starts empty (type is required). */
static void
alerts_notify_init(void *elem)
{
	memset(elem, 0, sizeof(struct config_notify));
}

/* alerts_notify_fini - release one notifier, wiping its secret. */
static void
alerts_notify_fini(void *elem)
{
	struct config_notify *n = elem;
	size_t i;

	free(n->url);
	if (n->secret != NULL) {
		explicit_bzero(n->secret, strlen(n->secret));
		free(n->secret);
	}
	for (i = 0; i < n->n_to; i++)
		free(n->to[i]);
	free(n->to);
	free(n->from);
	free(n->stream);
	memset(n, 0, sizeof(*n));
}

/* alerts_notify_check - what each notifier type needs. */
static int
alerts_notify_check(struct config_ctx *x, const struct config_node *map,
                    const char *path, void *array, size_t i)
{
	struct config_notify *n = (struct config_notify *)array + i;
	const struct config_pair *p;
	char kpath[CONFIG_PATH_SIZE];

	if (n->type == CONFIG_NOTIFY_EMAIL) {
		if (n->n_to == 0 || n->from == NULL) {
			config_path_key(kpath, sizeof(kpath), path,
			                n->n_to == 0 ? "to" : "from");
			return config_error(x, map->line, kpath,
			                    "missing; type email needs to "
			                    "(a list of addresses) and from");
		}
		return 0;
	}
	config_path_key(kpath, sizeof(kpath), path, "url");
	if (n->url == NULL)
		return config_error(x, map->line, kpath,
		                    "missing; this notifier type needs a url");
	if (strncmp(n->url, "http://", 7) != 0 &&
	    strncmp(n->url, "https://", 8) != 0) {
		p = config_tree_get(map, "url");
		return config_expect(x, p->value, kpath, false,
		                     "a URL starting with https:// or http://");
	}
	return 0;
}

/* alerts_rule_init - a rule starts from the rule defaults. */
static void
alerts_rule_init(void *elem)
{
	struct config_alert_rule *r = elem;

	memset(r, 0, sizeof(*r));
	r->kind = -1;
	r->hysteresis = 0.2;
	r->clear_for_ms = 30000;
	r->window_ms = 5 * 60000;
	r->severity = CONFIG_SEVERITY_WARNING;
}

/* alerts_rule_fini - release one rule. */
static void
alerts_rule_fini(void *elem)
{
	struct config_alert_rule *r = elem;

	free(r->name);
	free(r->stream);
	free(r->provider);
	memset(r, 0, sizeof(*r));
}

/* alerts_rule_check - a kind (given or inferred), its threshold, a
 * unique name. */
static int
alerts_rule_check(struct config_ctx *x, const struct config_node *map,
                  const char *path, void *array, size_t i)
{
	struct config_alert_rule *rules = array, *r = &rules[i];
	char kpath[CONFIG_PATH_SIZE];
	size_t j;

	if (r->kind < 0 && config_tree_get(map, "oldest_age_over") != NULL)
		r->kind = CONFIG_ALERT_QUEUE_AGE;
	else if (r->kind < 0 && config_tree_get(map, "deferred_over") != NULL)
		r->kind = CONFIG_ALERT_DEFERRED;
	else if (r->kind < 0 && config_tree_get(map, "rate_below") != NULL)
		r->kind = CONFIG_ALERT_RATE_DROP;
	for (j = 0; r->kind < 0 && choices_alert_kind[j].name != NULL; j++)
		if (strcmp(choices_alert_kind[j].name, r->name) == 0)
			r->kind = choices_alert_kind[j].value;
	config_path_key(kpath, sizeof(kpath), path, "kind");
	if (r->kind < 0)
		return config_error(x, map->line, kpath,
		                    "missing; expected a kind (circuit_open, "
		                    "stream_unusable, failover, queue_age, "
		                    "deferred, rate_drop, provider_config, "
		                    "disk_low, spool_damaged, bounce_rate, "
		                    "complaint_rate, cluster_lost) or a "
		                    "threshold key");
	if (r->kind == CONFIG_ALERT_QUEUE_AGE && r->oldest_age_over_ms == 0)
		return config_error(x, map->line, kpath,
		                    "kind queue_age needs oldest_age_over");
	if (r->kind == CONFIG_ALERT_DEFERRED &&
	    config_tree_get(map, "deferred_over") == NULL)
		return config_error(x, map->line, kpath,
		                    "kind deferred needs deferred_over");
	if (r->kind == CONFIG_ALERT_RATE_DROP &&
	    config_tree_get(map, "rate_below") == NULL)
		r->rate_below = 0.25;
	if (r->kind == CONFIG_ALERT_RATE_DROP &&
	    config_tree_get(map, "window") == NULL)
		r->window_ms = 10 * 60000;
	for (j = 0; j < i; j++) {
		if (strcmp(rules[j].name, r->name) == 0) {
			config_path_key(kpath, sizeof(kpath), path, "name");
			return config_error(
			    x, map->line, kpath,
			    "expected a unique name; got \"%s\" "
			    "a second time",
			    r->name);
		}
	}
	return 0;
}

static const struct key_list list_notify = {
    .elem_size = sizeof(struct config_notify),
    .keys = keys_notify,
    .init = alerts_notify_init,
    .fini = alerts_notify_fini,
    .check = alerts_notify_check,
};

static const struct key_list list_rules = {
    .elem_size = sizeof(struct config_alert_rule),
    .keys = keys_rule,
    .init = alerts_rule_init,
    .fini = alerts_rule_fini,
    .check = alerts_rule_check,
};

#define C struct config
const struct config_key config_keys_alerts[] = {
    {ROW("interval", KEY_DURATION, 0), FIELD(C, alerts_interval_ms),
     .min = 100},
    {ROW("repeat_interval", KEY_DURATION, 0), FIELD(C, alerts_repeat_ms)},
    {ROW("notify", KEY_LIST, 0), FIELD(C, alert_notify),
     COUNT(C, n_alert_notify), .list = &list_notify},
    {ROW("rules", KEY_LIST, 0), FIELD(C, alert_rules), COUNT(C, n_alert_rules),
     .list = &list_rules},
    {.name = NULL},
};
#undef C

/* alerts_has_stream - does c have a stream named name? */
static bool
alerts_has_stream(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_streams; i++)
		if (strcmp(c->streams[i].name, name) == 0)
			return true;
	return false;
}

int
config_alerts_check(struct config_ctx *x, const struct config_node *root,
                    const struct config *c)
{
	char kpath[CONFIG_PATH_SIZE];
	size_t i, j;

	(void)root;
	for (i = 0; i < c->n_alert_rules; i++) {
		const struct config_alert_rule *r = &c->alert_rules[i];
		if (r->stream != NULL && !alerts_has_stream(c, r->stream)) {
			snprintf(kpath, sizeof(kpath),
			         "alerts.rules[%zu].stream", i);
			return config_error(
			    x, 1, kpath, "no stream named \"%s\"", r->stream);
		}
		if (r->provider == NULL)
			continue;
		for (j = 0; j < c->n_providers; j++)
			if (strcmp(c->providers[j].name, r->provider) == 0)
				break;
		if (j == c->n_providers) {
			snprintf(kpath, sizeof(kpath),
			         "alerts.rules[%zu].provider", i);
			return config_error(x, 1, kpath,
			                    "no provider named \"%s\"",
			                    r->provider);
		}
	}
	for (i = 0; i < c->n_alert_notify; i++) {
		const struct config_notify *n = &c->alert_notify[i];
		if (n->stream != NULL && !alerts_has_stream(c, n->stream)) {
			snprintf(kpath, sizeof(kpath),
			         "alerts.notify[%zu].stream", i);
			return config_error(
			    x, 1, kpath, "no stream named \"%s\"", n->stream);
		}
	}
	return 0;
}

/* alerts_rule_default - append one shipped rule to c. */
static struct config_alert_rule *
alerts_rule_default(struct config *c, const char *name, int kind, int sev,
                    uint64_t for_ms)
{
	struct config_alert_rule *r = &c->alert_rules[c->n_alert_rules++];

	alerts_rule_init(r);
	r->name = xstrdup(name);
	r->kind = kind;
	r->severity = sev;
	r->for_ms = for_ms;
	return r;
}

void
config_alerts_defaults(struct config *c)
{
	struct config_alert_rule *r;

	c->alerts_interval_ms = 1000;
	c->alerts_repeat_ms = 4ULL * 3600 * 1000;
	/* One of each kind, and a critical twin of the two ratio rules. */
	c->alert_rules = xcalloc(CONFIG_ALERT_KIND_COUNT + 2, sizeof(*r));
	alerts_rule_default(c, "circuit_open", CONFIG_ALERT_CIRCUIT_OPEN,
	                    CONFIG_SEVERITY_WARNING, 0);
	alerts_rule_default(c, "stream_unusable", CONFIG_ALERT_STREAM_UNUSABLE,
	                    CONFIG_SEVERITY_CRITICAL, 10000);
	alerts_rule_default(c, "failover", CONFIG_ALERT_FAILOVER,
	                    CONFIG_SEVERITY_INFO, 0);
	r = alerts_rule_default(c, "queue_too_old", CONFIG_ALERT_QUEUE_AGE,
	                        CONFIG_SEVERITY_CRITICAL, 60000);
	r->oldest_age_over_ms = 15 * 60000;
	r = alerts_rule_default(c, "deferred_high", CONFIG_ALERT_DEFERRED,
	                        CONFIG_SEVERITY_WARNING, 5 * 60000);
	r->deferred_over = 1000;
	r = alerts_rule_default(c, "rate_drop", CONFIG_ALERT_RATE_DROP,
	                        CONFIG_SEVERITY_WARNING, 15 * 60000);
	r->rate_below = 0.25;
	r->window_ms = 10 * 60000;
	alerts_rule_default(c, "provider_config", CONFIG_ALERT_PROVIDER_CONFIG,
	                    CONFIG_SEVERITY_CRITICAL, 0);
	alerts_rule_default(c, "disk_low", CONFIG_ALERT_DISK_LOW,
	                    CONFIG_SEVERITY_CRITICAL, 0);
	alerts_rule_default(c, "spool_damaged", CONFIG_ALERT_SPOOL_DAMAGED,
	                    CONFIG_SEVERITY_CRITICAL, 0);
	/* Amazon SES's published levels (rates:): review at the warning
	 * level, pause at the critical one. */
	alerts_rule_default(c, "bounce_rate", CONFIG_ALERT_BOUNCE_RATE,
	                    CONFIG_SEVERITY_WARNING, 0);
	alerts_rule_default(c, "bounce_rate_critical", CONFIG_ALERT_BOUNCE_RATE,
	                    CONFIG_SEVERITY_CRITICAL, 0);
	alerts_rule_default(c, "complaint_rate", CONFIG_ALERT_COMPLAINT_RATE,
	                    CONFIG_SEVERITY_WARNING, 0);
	alerts_rule_default(c, "complaint_rate_critical",
	                    CONFIG_ALERT_COMPLAINT_RATE,
	                    CONFIG_SEVERITY_CRITICAL, 0);
	/* Only ever true with cluster: configured. */
	alerts_rule_default(c, "cluster_lost", CONFIG_ALERT_CLUSTER_LOST,
	                    CONFIG_SEVERITY_CRITICAL, 0);
	/* Trouble coming (anomaly/anomaly.h): worth a look, not a page. */
	alerts_rule_default(c, "anomaly", CONFIG_ALERT_ANOMALY,
	                    CONFIG_SEVERITY_WARNING, 0);
	/* The provider's API says the account is in trouble (probation,
	 * quota nearly used); a paused one is provider_config. */
	alerts_rule_default(c, "account", CONFIG_ALERT_ACCOUNT,
	                    CONFIG_SEVERITY_WARNING, 0);
	/* A backup that would turn a failover into rejections
	 * (readiness/readiness.h): fix it before it is needed. */
	alerts_rule_default(c, "readiness", CONFIG_ALERT_READINESS,
	                    CONFIG_SEVERITY_WARNING, 0);
}

void
config_alerts_free(struct config *c)
{
	size_t i;

	for (i = 0; i < c->n_alert_notify; i++)
		alerts_notify_fini(&c->alert_notify[i]);
	free(c->alert_notify);
	for (i = 0; i < c->n_alert_rules; i++)
		alerts_rule_fini(&c->alert_rules[i]);
	free(c->alert_rules);
}
