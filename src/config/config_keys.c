/*
 * config_keys.c - every configuration key, and the rules that span keys.
 *
 * Each section is a table of rows { name, type, flags, field offset and
 * size, limits }; config_walk.c applies a YAML map through one. Adding a key
 * is adding a row (and a field in config.h, and a line in
 * examples/swerve.yaml). Lists of maps (users, providers) have a row too,
 * with per-element init, fini and a check for rules that span the keys of
 * one element (password or password_file, unique names). Rules that span
 * sections (tls.cert with tls.key, backoff order) run last.
 *
 * Fields are replaced, not merged: a list in the file replaces the default
 * list. Everything stored is owned by the struct config.
 */
#include "config/config_keys.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/tls.h"
#include "core/xmalloc.h"

/* --- tables ----------------------------------------------------------- */

static const struct key_choice choices_tls[] = {
    {"none", CONFIG_TLS_NONE},
    {"starttls", CONFIG_TLS_STARTTLS},
    {"tls", CONFIG_TLS_TLS},
    {NULL, 0},
};

static const struct key_choice choices_tls_version[] = {
    {"1.2", TLS1_2_VERSION},
    {"1.3", TLS1_3_VERSION},
    {NULL, 0},
};

static const struct key_choice choices_provider_type[] = {
    {"smtp", 0},     {"ses", 0},    {"sendgrid", 0}, {"mailgun", 0},
    {"postmark", 0}, {"resend", 0}, {NULL, 0},
};

static const struct key_choice choices_on_major[] = {
    {"warn", CONFIG_ON_MAJOR_WARN},
    {"open", CONFIG_ON_MAJOR_OPEN},
    {NULL, 0},
};

static const struct key_choice choices_on_unknown[] = {
    {"resend", CONFIG_ON_UNKNOWN_RESEND},
    {"hold", CONFIG_ON_UNKNOWN_HOLD},
    {NULL, 0},
};

static const struct key_choice choices_objective[] = {
    {"balanced", CONFIG_OBJECTIVE_BALANCED},
    {"latency", CONFIG_OBJECTIVE_LATENCY},
    {"cost", CONFIG_OBJECTIVE_COST},
    {"deliverability", CONFIG_OBJECTIVE_DELIVERABILITY},
    {NULL, 0},
};

static const struct key_choice choices_log_level[] = {
    {"debug", LOG_LEVEL_DEBUG},
    {"info", LOG_LEVEL_INFO},
    {"warn", LOG_LEVEL_WARN},
    {"error", LOG_LEVEL_ERROR},
    {NULL, 0},
};

static const struct key_choice choices_log_format[] = {
    {"text", LOG_FORMAT_TEXT},
    {"json", LOG_FORMAT_JSON},
    {NULL, 0},
};

#define U struct config_user
static const struct config_key keys_user[] = {
    {ROW("name", KEY_STR, KEYF_REQUIRED), FIELD(U, name)},
    {ROW("password", KEY_STR, KEYF_SECRET), FIELD(U, password)},
    {ROW("password_file", KEY_SECRET_FILE, 0), FIELD(U, password)},
    {ROW("from_domains", KEY_DOMAINS, KEYF_REQUIRED), FIELD(U, from_domains),
     COUNT(U, n_from_domains)},
    {ROW("stream", KEY_STR, KEYF_NAME), FIELD(U, stream)},
    {ROW("allow_null_sender", KEY_BOOL, 0), FIELD(U, allow_null_sender)},
    {.name = NULL},
};
#undef U

#define P struct config_provider
static const struct config_key keys_quota[] = {
    {ROW("daily", KEY_INT, 0), FIELD(P, quota_daily), .min = 1,
     .max = INT64_MAX},
    {.name = NULL},
};

static const struct config_key keys_status_page[] = {
    {ROW("url", KEY_STR, 0), FIELD(P, status_page.url)},
    {ROW("components", KEY_STRS, 0), FIELD(P, status_page.components),
     COUNT(P, status_page.n_components)},
    {ROW("on_major", KEY_ENUM, 0), FIELD(P, status_page.on_major),
     .choices = choices_on_major},
    {ROW("interval", KEY_DURATION, 0), FIELD(P, status_page.interval_ms),
     .min = 1000},
    {.name = NULL},
};

static const struct config_key keys_circuit[] = {
    {ROW("failures", KEY_INT, 0), FIELD(P, circuit.failures), .min = 1,
     .max = 1000},
    {ROW("failure_ratio", KEY_PERCENT, 0), FIELD(P, circuit.failure_ratio)},
    {ROW("min_volume", KEY_INT, 0), FIELD(P, circuit.min_volume), .min = 1,
     .max = 1000000},
    {ROW("window", KEY_DURATION, 0), FIELD(P, circuit.window_ms), .min = 1000},
    {ROW("cooldown", KEY_DURATION, 0), FIELD(P, circuit.cooldown_ms), .min = 1},
    {ROW("max_cooldown", KEY_DURATION, 0), FIELD(P, circuit.max_cooldown_ms),
     .min = 1},
    {ROW("config_cooldown", KEY_DURATION, 0),
     FIELD(P, circuit.config_cooldown_ms), .min = 1},
    {ROW("trials", KEY_INT, 0), FIELD(P, circuit.trials), .min = 1,
     .max = 1000},
    {.name = NULL},
};

static const struct config_key keys_provider[] = {
    {ROW("name", KEY_STR, KEYF_REQUIRED | KEYF_NAME), FIELD(P, name)},
    {ROW("type", KEY_WORD, KEYF_REQUIRED), FIELD(P, type),
     .choices = choices_provider_type},
    {ROW("host", KEY_STR, KEYF_HOST), FIELD(P, host)},
    {ROW("port", KEY_INT, 0), FIELD(P, port), .min = 1, .max = 65535},
    {ROW("tls", KEY_ENUM, 0), FIELD(P, tls), .choices = choices_tls},
    {ROW("tls_verify", KEY_BOOL, 0), FIELD(P, tls_verify)},
    {ROW("username", KEY_STR, 0), FIELD(P, username)},
    {ROW("password", KEY_STR, KEYF_SECRET), FIELD(P, password)},
    {ROW("password_file", KEY_SECRET_FILE, 0), FIELD(P, password)},
    {ROW("priority", KEY_INT, 0), FIELD(P, priority), .min = -1000000,
     .max = 1000000},
    {ROW("weight", KEY_INT, 0), FIELD(P, weight), .min = 0, .max = 1000000},
    {ROW("enabled", KEY_BOOL, 0), FIELD(P, enabled)},
    {ROW("connect_timeout", KEY_DURATION, 0), FIELD(P, connect_timeout_ms),
     .min = 1},
    {ROW("greeting_timeout", KEY_DURATION, 0), FIELD(P, greeting_timeout_ms),
     .min = 1},
    {ROW("command_timeout", KEY_DURATION, 0), FIELD(P, command_timeout_ms),
     .min = 1},
    {ROW("data_timeout", KEY_DURATION, 0), FIELD(P, data_timeout_ms), .min = 1},
    {ROW("max_connections", KEY_INT, 0), FIELD(P, max_connections), .min = 1,
     .max = 10000},
    {ROW("max_msgs_per_conn", KEY_INT, 0), FIELD(P, max_msgs_per_conn),
     .min = 1, .max = 1000000},
    /* HTTP providers */
    {ROW("endpoint", KEY_STR, 0), FIELD(P, endpoint)},
    {ROW("cloudwatch_endpoint", KEY_STR, 0), FIELD(P, cloudwatch_endpoint)},
    {ROW("region", KEY_STR, KEYF_NAME), FIELD(P, region)},
    {ROW("access_key_id", KEY_STR, 0), FIELD(P, access_key_id)},
    {ROW("secret_access_key", KEY_STR, KEYF_SECRET),
     FIELD(P, secret_access_key)},
    {ROW("secret_access_key_file", KEY_SECRET_FILE, 0),
     FIELD(P, secret_access_key)},
    {ROW("configuration_set", KEY_STR, 0), FIELD(P, configuration_set)},
    {ROW("api_key", KEY_STR, KEYF_SECRET), FIELD(P, api_key)},
    {ROW("api_key_file", KEY_SECRET_FILE, 0), FIELD(P, api_key)},
    {ROW("api_key_env", KEY_SECRET_ENV, 0), FIELD(P, api_key)},
    {ROW("domain", KEY_STR, KEYF_HOST), FIELD(P, domain)},
    {ROW("message_stream", KEY_STR, 0), FIELD(P, message_stream)},
    {ROW("ca_file", KEY_FILE, 0), FIELD(P, ca_file)},
    {ROW("client_cert", KEY_FILE, 0), FIELD(P, client_cert)},
    {ROW("client_key", KEY_FILE, 0), FIELD(P, client_key)},
    {ROW("request_timeout", KEY_DURATION, 0), FIELD(P, request_timeout_ms),
     .min = 1},
    /* smtp: the header that carries a message's meta to the relay */
    {ROW("meta_header", KEY_STR, 0), FIELD(P, meta_header)},
    /* smtp: VERP envelope senders for the bounce mailbox */
    {ROW("bounce_domain", KEY_STR, KEYF_HOST), FIELD(P, bounce_domain)},
    /* health and routing */
    {ROW("cost_per_1k", KEY_NUMBER, 0), FIELD(P, cost_per_1k), .min = 0,
     .max = 1000000},
    {ROW("max_rate", KEY_STR, 0), FIELD(P, max_rate)},
    {ROW("quota", KEY_SECTION, 0), .sub = keys_quota},
    {ROW("keep_warm", KEY_PERCENT, 0), FIELD(P, keep_warm)},
    {ROW("failback_ramp", KEY_DURATION, 0), FIELD(P, failback_ramp_ms)},
    {ROW("probe_interval", KEY_DURATION, 0), FIELD(P, probe_interval_ms)},
    {ROW("account_interval", KEY_DURATION, 0), FIELD(P, account_interval_ms)},
    {ROW("quota_reserve", KEY_PERCENT, 0), FIELD(P, quota_reserve)},
    {ROW("probation_share", KEY_PERCENT, 0), FIELD(P, probation_share)},
    {ROW("status_page", KEY_SECTION, 0), .sub = keys_status_page},
    {ROW("circuit", KEY_SECTION, 0), .sub = keys_circuit},
    /* delivery events in (config_events.c) */
    {ROW("events", KEY_SECTION, 0), .sub = config_keys_events},
    /* the AIMD connection window (route/concur.h) */
    {ROW("adaptive_connections", KEY_BOOL, 0), FIELD(P, adaptive_connections)},
    {ROW("initial_connections", KEY_INT, 0), FIELD(P, initial_connections),
     .min = 1, .max = 10000},
    {.name = NULL},
};
#undef P

#define S struct config_stream
static const struct config_key keys_stream[] = {
    {ROW("weight", KEY_INT, 0), FIELD(S, weight), .min = 1, .max = 1000000},
    {ROW("providers", KEY_STRS, KEYF_NAME), FIELD(S, providers),
     COUNT(S, n_providers)},
    {ROW("failover_after", KEY_DURATION, 0), FIELD(S, failover_after_ms),
     .min = 1},
    {ROW("on_unknown", KEY_ENUM, 0), FIELD(S, on_unknown),
     .choices = choices_on_unknown},
    {ROW("objective", KEY_ENUM, 0), FIELD(S, objective),
     .choices = choices_objective},
    {.name = NULL},
};
#undef S

static void key_user_init(void *elem);
static void key_user_fini(void *elem);
static int key_user_check(struct config_ctx *x, const struct config_node *map,
                          const char *path, void *array, size_t i);
static void key_provider_init(void *elem);
static void key_provider_fini(void *elem);
static int key_provider_check(struct config_ctx *x,
                              const struct config_node *map, const char *path,
                              void *array, size_t i);

static const struct key_list list_users = {
    .elem_size = sizeof(struct config_user),
    .keys = keys_user,
    .init = key_user_init,
    .fini = key_user_fini,
    .check = key_user_check,
};

static const struct key_list list_providers = {
    .elem_size = sizeof(struct config_provider),
    .keys = keys_provider,
    .init = key_provider_init,
    .fini = key_provider_fini,
    .check = key_provider_check,
};

static void key_stream_init(void *elem);
static void key_stream_fini(void *elem);
static int key_stream_check(struct config_ctx *x, const struct config_node *map,
                            const char *path, void *array, size_t i);

static const struct key_list list_streams = {
    .elem_size = sizeof(struct config_stream),
    .keys = keys_stream,
    .init = key_stream_init,
    .fini = key_stream_fini,
    .check = key_stream_check,
    .name_off = offsetof(struct config_stream, name),
};

#define C struct config
static const struct config_key keys_listen[] = {
    {ROW("smtp", KEY_ADDRS, 0), FIELD(C, listen_smtp), COUNT(C, n_listen_smtp)},
    {ROW("smtps", KEY_ADDRS, 0), FIELD(C, listen_smtps),
     COUNT(C, n_listen_smtps)},
    {ROW("http", KEY_ADDRS, 0), FIELD(C, listen_http), COUNT(C, n_listen_http)},
    {ROW("admin", KEY_ADDRS, 0), FIELD(C, listen_admin),
     COUNT(C, n_listen_admin)},
    {ROW("bounce", KEY_ADDRS, 0), FIELD(C, listen_bounce),
     COUNT(C, n_listen_bounce)},
    {ROW("load_balancers", KEY_NETS, 0), FIELD(C, load_balancers),
     COUNT(C, n_load_balancers)},
    {ROW("status", KEY_ADDRS, 0), FIELD(C, listen_status),
     COUNT(C, n_listen_status)},
    {.name = NULL},
};

static const struct config_key keys_spool[] = {
    {ROW("dir", KEY_STR, 0), FIELD(C, spool_dir)},
    {ROW("min_free", KEY_SIZE, 0), FIELD(C, spool_min_free)},
    {ROW("max_messages", KEY_INT, 0), FIELD(C, spool_max_messages), .min = 1,
     .max = INT64_MAX},
    {ROW("batch_max", KEY_INT, 0), FIELD(C, spool_batch_max), .min = 1,
     .max = 100000},
    {ROW("purge_interval", KEY_DURATION, 0), FIELD(C, spool_purge_interval_ms),
     .min = 100},
    {ROW("handoff_cache", KEY_SIZE, 0), FIELD(C, spool_handoff_cache)},
    {ROW("outcome_delay", KEY_DURATION, 0), FIELD(C, spool_outcome_delay_ms),
     .max = 1000},
    {ROW("commit_gather_us", KEY_INT, 0), FIELD(C, spool_commit_gather_us),
     .min = 0, .max = 100000},
    {.name = NULL},
};

static const struct config_key keys_limits[] = {
    {ROW("max_message_size", KEY_SIZE, 0), FIELD(C, max_message_size),
     .min = 1},
    {ROW("max_recipients", KEY_INT, 0), FIELD(C, max_recipients), .min = 1,
     .max = 100000},
    {ROW("max_sessions", KEY_INT, 0), FIELD(C, max_sessions), .min = 1,
     .max = 1000000},
    {ROW("max_sessions_per_ip", KEY_INT, 0), FIELD(C, max_sessions_per_ip),
     .min = 0, .max = 1000000},
    {ROW("max_http_connections", KEY_INT, 0), FIELD(C, max_http_connections),
     .min = 1, .max = 1000000},
    {ROW("max_http_connections_per_ip", KEY_INT, 0),
     FIELD(C, max_http_connections_per_ip), .min = 0, .max = 1000000},
    {ROW("http_request_timeout", KEY_DURATION, 0),
     FIELD(C, http_request_timeout_ms), .min = 1},
    {ROW("max_auth_failures", KEY_INT, 0), FIELD(C, max_auth_failures),
     .min = 1, .max = 1000},
    {ROW("idle_timeout", KEY_DURATION, 0), FIELD(C, idle_timeout_ms), .min = 1},
    {ROW("command_timeout", KEY_DURATION, 0), FIELD(C, command_timeout_ms),
     .min = 1},
    {ROW("min_data_rate", KEY_RATE, 0), FIELD(C, min_data_rate)},
    {ROW("max_schedule_ahead", KEY_DURATION, 0),
     FIELD(C, max_schedule_ahead_ms), .min = 1},
    {.name = NULL},
};

static const struct config_key keys_smtp[] = {
    {ROW("hostname", KEY_STR, KEYF_HOST), FIELD(C, hostname)},
    {ROW("auth_plaintext", KEY_BOOL, 0), FIELD(C, smtp_auth_plaintext)},
    {.name = NULL},
};

static const struct config_key keys_tls[] = {
    {ROW("cert", KEY_FILE, 0), FIELD(C, tls_cert)},
    {ROW("key", KEY_FILE, 0), FIELD(C, tls_key)},
    {ROW("min_version", KEY_ENUM, 0), FIELD(C, tls_min_version),
     .choices = choices_tls_version},
    {ROW("ciphers", KEY_STR, 0), FIELD(C, tls_ciphers)},
    {ROW("ciphersuites", KEY_STR, 0), FIELD(C, tls_ciphersuites)},
    {.name = NULL},
};

static const struct config_key keys_https[] = {
    {ROW("cert", KEY_FILE, 0), FIELD(C, https_cert)},
    {ROW("key", KEY_FILE, 0), FIELD(C, https_key)},
    {ROW("admin", KEY_BOOL, 0), FIELD(C, https_admin)},
    {.name = NULL},
};

static const struct config_key keys_submitters[] = {
    {ROW("networks", KEY_NETS, 0), FIELD(C, networks), COUNT(C, n_networks)},
    {ROW("users", KEY_LIST, 0), FIELD(C, users), COUNT(C, n_users),
     .list = &list_users},
    {.name = NULL},
};

static const struct config_key keys_retry[] = {
    {ROW("min_backoff", KEY_DURATION, 0), FIELD(C, retry_min_backoff_ms),
     .min = 1},
    {ROW("max_backoff", KEY_DURATION, 0), FIELD(C, retry_max_backoff_ms),
     .min = 1},
    {ROW("max_lifetime", KEY_DURATION, 0), FIELD(C, retry_max_lifetime_ms),
     .min = 1},
    {.name = NULL},
};

static const struct config_key keys_delivery[] = {
    {ROW("max_inflight", KEY_INT, 0), FIELD(C, delivery_max_inflight), .min = 1,
     .max = 100000},
    {ROW("poll_interval", KEY_DURATION, 0), FIELD(C, delivery_poll_ms),
     .min = 1},
    {.name = NULL},
};

static const struct config_key keys_log[] = {
    {ROW("level", KEY_ENUM, 0), FIELD(C, log_level),
     .choices = choices_log_level},
    {ROW("format", KEY_ENUM, 0), FIELD(C, log_format),
     .choices = choices_log_format},
    {.name = NULL},
};

static const struct key_choice choices_metrics_listener[] = {
    {"admin", CONFIG_METRICS_ADMIN},
    {"http", CONFIG_METRICS_HTTP},
    {NULL, 0},
};

static const struct config_key keys_metrics[] = {
    {ROW("listener", KEY_ENUM, 0), FIELD(C, metrics_listener),
     .choices = choices_metrics_listener},
    {.name = NULL},
};

static const struct config_key keys_swervectl[] = {
    /* A string, not KEY_FILE: swerved never reads it (it may run as a
     * user that cannot), swervectl does. */
    {ROW("key_file", KEY_STR, 0), FIELD(C, swervectl_key_file)},
    {.name = NULL},
};

static const struct config_key keys_root[] = {
    {ROW("listen", KEY_SECTION, 0), .sub = keys_listen},
    {ROW("spool", KEY_SECTION, 0), .sub = keys_spool},
    {ROW("limits", KEY_SECTION, 0), .sub = keys_limits},
    {ROW("smtp", KEY_SECTION, 0), .sub = keys_smtp},
    {ROW("tls", KEY_SECTION, 0), .sub = keys_tls},
    {ROW("https", KEY_SECTION, 0), .sub = keys_https},
    {ROW("submitters", KEY_SECTION, 0), .sub = keys_submitters},
    {ROW("providers", KEY_LIST, 0), FIELD(C, providers), COUNT(C, n_providers),
     .list = &list_providers},
    {ROW("streams", KEY_NAMED, 0), FIELD(C, streams), COUNT(C, n_streams),
     .list = &list_streams},
    {ROW("retry", KEY_SECTION, 0), .sub = keys_retry},
    {ROW("delivery", KEY_SECTION, 0), .sub = keys_delivery},
    {ROW("log", KEY_SECTION, 0), .sub = keys_log},
    {ROW("shutdown_timeout", KEY_DURATION, 0), FIELD(C, shutdown_timeout_ms)},
    {ROW("api_keys", KEY_LIST, 0), FIELD(C, api_keys), COUNT(C, n_api_keys),
     .list = &config_list_api_keys},
    {ROW("admin_keys", KEY_LIST, 0), FIELD(C, admin_keys),
     COUNT(C, n_admin_keys), .list = &config_list_admin_keys},
    {ROW("metrics", KEY_SECTION, 0), .sub = keys_metrics},
    {ROW("swervectl", KEY_SECTION, 0), .sub = keys_swervectl},
    {ROW("alerts", KEY_SECTION, 0), .sub = config_keys_alerts},
    {ROW("ses_compat", KEY_SECTION, 0), .sub = config_keys_ses_compat},
    {ROW("suppression", KEY_SECTION, 0), .sub = config_keys_suppression},
    {ROW("events", KEY_SECTION, 0), .sub = config_keys_webhooks},
    {ROW("rates", KEY_SECTION, 0), .sub = config_keys_rates},
    {ROW("public_status", KEY_SECTION, 0), .sub = config_keys_public_status},
    {ROW("dashboard", KEY_SECTION, 0), .sub = config_keys_dashboard},
    {ROW("cluster", KEY_SECTION, 0), .sub = config_keys_cluster},
    {ROW("anomaly", KEY_SECTION, 0), .sub = config_keys_anomaly},
    {ROW("readiness", KEY_SECTION, 0), .sub = config_keys_readiness},
    {ROW("incidents", KEY_SECTION, 0), .sub = config_keys_incidents},
    {ROW("drill", KEY_SECTION, 0), .sub = config_keys_drill},
    {ROW("drills", KEY_LIST, 0), FIELD(C, drills), COUNT(C, n_drills),
     .list = &config_list_drills},
    {ROW("user", KEY_STR, 0), FIELD(C, user)},
    {ROW("group", KEY_STR, 0), FIELD(C, group)},
    {.name = NULL},
};
#undef C

/* --- rules that span keys --------------------------------------------- */

/* keys_secret_check - exactly one (or, unless required, neither) of
 * password and password_file in map; password needs username if asked. */
static int
keys_secret_check(struct config_ctx *x, const struct config_node *map,
                  const char *path, bool required)
{
	const struct config_pair *pw = config_tree_get(map, "password");
	const struct config_pair *pf = config_tree_get(map, "password_file");
	char kpath[CONFIG_PATH_SIZE];

	if (pw != NULL && pf != NULL) {
		config_path_key(kpath, sizeof(kpath), path, "password_file");
		return config_error(
		    x, pf->line, kpath,
		    "expected only one of password and password_file");
	}
	if (required && pw == NULL && pf == NULL) {
		config_path_key(kpath, sizeof(kpath), path, "password");
		return config_error(
		    x, map->line, kpath,
		    "missing; expected password or password_file");
	}
	return 0;
}

/* keys_name_unique - refuse a name already used by an earlier element. */
static int
keys_name_unique(struct config_ctx *x, const struct config_node *map,
                 const char *path, const char *name, bool seen)
{
	const struct config_pair *p = config_tree_get(map, "name");
	char kpath[CONFIG_PATH_SIZE], q[96];

	if (!seen)
		return 0;
	config_path_key(kpath, sizeof(kpath), path, "name");
	config_text_quote(name, q, sizeof(q));
	return config_error(x, p ? p->line : map->line, kpath,
	                    "expected a unique name; got %s a second time", q);
}

/* key_user_init - a user starts empty (every key is given or required). */
static void
key_user_init(void *elem)
{
	memset(elem, 0, sizeof(struct config_user));
}

/* key_user_fini - release one user. */
static void
key_user_fini(void *elem)
{
	config_user_fini(elem);
}

/* key_user_check - one password source, some domains, a unique name. */
static int
key_user_check(struct config_ctx *x, const struct config_node *map,
               const char *path, void *array, size_t i)
{
	struct config_user *users = array, *u = &users[i];
	const struct config_pair *p;
	char kpath[CONFIG_PATH_SIZE];
	size_t j;

	if (keys_secret_check(x, map, path, true) < 0)
		return -1;
	if (u->n_from_domains == 0) {
		p = config_tree_get(map, "from_domains");
		config_path_key(kpath, sizeof(kpath), path, "from_domains");
		return config_error(
		    x, p ? p->line : map->line, kpath,
		    "expected at least one domain (\"*\" allows any); "
		    "got an empty list");
	}
	for (j = 0; j < i; j++)
		if (strcmp(users[j].name, u->name) == 0)
			return keys_name_unique(x, map, path, u->name, true);
	return 0;
}

/* key_provider_init - a provider starts from the provider defaults. */
static void
key_provider_init(void *elem)
{
	config_provider_init(elem);
}

/* key_provider_fini - release one provider. */
static void
key_provider_fini(void *elem)
{
	config_provider_fini(elem);
}

/* keys_one_of - at most one of the keys a, b, c (c may be NULL) in map. */
static int
keys_one_of(struct config_ctx *x, const struct config_node *map,
            const char *path, const char *a, const char *b, const char *c)
{
	const char *names[3] = {a, b, c};
	const struct config_pair *first = NULL, *p;
	char kpath[CONFIG_PATH_SIZE];
	size_t i;

	for (i = 0; i < 3 && names[i] != NULL; i++) {
		if ((p = config_tree_get(map, names[i])) == NULL)
			continue;
		if (first != NULL) {
			config_path_key(kpath, sizeof(kpath), path, names[i]);
			return config_error(x, p->line, kpath,
			                    "expected only one of %s, %s%s%s",
			                    a, b, c ? " and " : "", c ? c : "");
		}
		first = p;
	}
	return 0;
}

/* keys_missing - "path.key: missing; <why>". */
static int
keys_missing(struct config_ctx *x, const struct config_node *map,
             const char *path, const char *key, const char *why)
{
	char kpath[CONFIG_PATH_SIZE];

	config_path_key(kpath, sizeof(kpath), path, key);
	return config_error(x, map->line, kpath, "missing; %s", why);
}

/* keys_env_default - *slot = $name when *slot is unset (secret). */
static void
keys_env_default(char **slot, const char *name)
{
	const char *v = getenv(name);

	if (*slot == NULL && v != NULL && v[0] != '\0')
		*slot = xstrdup(v);
}

/*
 * keys_rate_ok - "14/s", "0.5/s", "100/m", "5000/h", "1000/d": a positive
 * decimal, a slash and a unit. The router parses it again (route/
 * ratelimit.h); this only refuses what it would refuse, early and with
 * the line.
 */
static bool
keys_rate_ok(const char *s)
{
	const char *slash = strchr(s, '/');
	size_t i, digits = 0, dots = 0;

	if (slash == NULL || slash == s || strlen(slash) != 2 ||
	    strchr("smhd", slash[1]) == NULL)
		return false;
	for (i = 0; s + i < slash; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] != '.' || dots++ > 0)
			return false;
	}
	return digits > 0 && digits <= 12 && strtod(s, NULL) > 0;
}

/* keys_field_name_ok - a header field name: 1..76 printable ASCII
 * characters, no ':' (RFC 5322 ftext). */
static bool
keys_field_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 76)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < 33 || s[i] > 126 || s[i] == ':')
			return false;
	return true;
}

/* keys_provider_type_check - what each provider type needs. */
static int
keys_provider_type_check(struct config_ctx *x, const struct config_node *map,
                         const char *path, struct config_provider *p)
{
	const struct config_pair *kp;
	char kpath[CONFIG_PATH_SIZE];
	bool http = strcmp(p->type, "smtp") != 0;

	if (keys_one_of(x, map, path, "api_key", "api_key_file",
	                "api_key_env") < 0 ||
	    keys_one_of(x, map, path, "secret_access_key",
	                "secret_access_key_file", NULL) < 0)
		return -1;
	if (!http && p->host == NULL)
		return keys_missing(x, map, path, "host",
		                    "type smtp needs the relay's host");
	if (http && (p->client_cert != NULL || p->client_key != NULL)) {
		kp = config_tree_get(
		    map, p->client_cert != NULL ? "client_cert" : "client_key");
		config_path_key(kpath, sizeof(kpath), path, kp->key);
		return config_expect(x, kp->value, kpath, false,
		                     "nothing: client certificates are for "
		                     "type smtp");
	}
	if ((p->client_cert == NULL) != (p->client_key == NULL))
		return keys_missing(x, map, path,
		                    p->client_cert == NULL ? "client_cert"
		                                           : "client_key",
		                    "client_cert and client_key go together");
	if (http && p->endpoint != NULL &&
	    strncmp(p->endpoint, "https://", 8) != 0 &&
	    strncmp(p->endpoint, "http://", 7) != 0) {
		kp = config_tree_get(map, "endpoint");
		config_path_key(kpath, sizeof(kpath), path, "endpoint");
		return config_expect(x, kp->value, kpath, false,
		                     "a URL starting with https:// or http://");
	}
	if (p->cloudwatch_endpoint != NULL &&
	    (strcmp(p->type, "ses") != 0 ||
	     (strncmp(p->cloudwatch_endpoint, "https://", 8) != 0 &&
	      strncmp(p->cloudwatch_endpoint, "http://", 7) != 0))) {
		kp = config_tree_get(map, "cloudwatch_endpoint");
		config_path_key(kpath, sizeof(kpath), path,
		                "cloudwatch_endpoint");
		return config_expect(x, kp->value, kpath, false,
		                     "for type ses: a URL starting with "
		                     "https:// or http://");
	}
	if (strcmp(p->type, "ses") == 0) {
		keys_env_default(&p->access_key_id, "AWS_ACCESS_KEY_ID");
		keys_env_default(&p->secret_access_key,
		                 "AWS_SECRET_ACCESS_KEY");
		keys_env_default(&p->session_token, "AWS_SESSION_TOKEN");
		if (p->region == NULL) {
			const char *r = getenv("AWS_REGION");
			p->region = xstrdup(r && *r ? r : "us-east-1");
		}
		if (p->access_key_id == NULL || p->secret_access_key == NULL)
			return keys_missing(
			    x, map, path, "access_key_id",
			    "type ses needs access_key_id and "
			    "secret_access_key_file (or AWS_ACCESS_KEY_ID "
			    "and AWS_SECRET_ACCESS_KEY in the environment)");
	} else if (http && p->api_key == NULL) {
		return keys_missing(x, map, path, "api_key_file",
		                    "this provider type needs api_key_file, "
		                    "api_key_env or api_key");
	}
	if (strcmp(p->type, "mailgun") == 0) {
		if (p->domain == NULL)
			return keys_missing(x, map, path, "domain",
			                    "type mailgun needs the sending "
			                    "domain");
		if (p->region != NULL && strcmp(p->region, "us") != 0 &&
		    strcmp(p->region, "eu") != 0) {
			kp = config_tree_get(map, "region");
			config_path_key(kpath, sizeof(kpath), path, "region");
			return config_expect(x, kp->value, kpath, false,
			                     "us or eu");
		}
	}
	if (p->meta_header != NULL &&
	    (http || !keys_field_name_ok(p->meta_header))) {
		kp = config_tree_get(map, "meta_header");
		config_path_key(kpath, sizeof(kpath), path, "meta_header");
		return config_expect(x, kp->value, kpath, false,
		                     http
		                         ? "no meta_header (it is for type "
		                           "smtp; HTTP providers carry meta in "
		                           "their own fields)"
		                         : "a header field name like "
		                           "X-Swerve-Meta");
	}
	if (p->bounce_domain != NULL && http) {
		kp = config_tree_get(map, "bounce_domain");
		config_path_key(kpath, sizeof(kpath), path, "bounce_domain");
		return config_expect(x, kp->value, kpath, false,
		                     "no bounce_domain (it is for type smtp; "
		                     "HTTP providers report bounces with "
		                     "events:)");
	}
	if (p->max_rate != NULL && !keys_rate_ok(p->max_rate)) {
		kp = config_tree_get(map, "max_rate");
		config_path_key(kpath, sizeof(kpath), path, "max_rate");
		return config_expect(x, kp->value, kpath, false,
		                     "a rate like \"14/s\" (per s, m, h or d)");
	}
	if (p->status_page.n_components > 0 && p->status_page.url == NULL)
		return keys_missing(x, map, path, "status_page.url",
		                    "components need the status page's url");
	return 0;
}

/* key_stream_init - a stream starts from the stream defaults. */
static void
key_stream_init(void *elem)
{
	config_stream_init(elem);
}

/* key_stream_fini - release one stream. */
static void
key_stream_fini(void *elem)
{
	config_stream_fini(elem);
}

/* key_stream_check - nothing spans a stream's own keys yet. */
static int
key_stream_check(struct config_ctx *x, const struct config_node *map,
                 const char *path, void *array, size_t i)
{
	(void)x;
	(void)map;
	(void)path;
	(void)array;
	(void)i;
	return 0;
}

/* keys_stream_find - the stream named name, or NULL. */
static const struct config_stream *
keys_stream_find(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_streams; i++)
		if (strcmp(c->streams[i].name, name) == 0)
			return &c->streams[i];
	return NULL;
}

/*
 * keys_streams_check - "transactional" exists (the default stream); a
 * stream's providers exist; users name existing streams.
 */
static int
keys_streams_check(struct config_ctx *x, const struct config_node *root,
                   const struct config *c)
{
	const struct config_pair *sp = config_tree_get(root, "streams");
	const struct config_pair *pp;
	char kpath[CONFIG_PATH_SIZE];
	size_t i, j, k;

	if (keys_stream_find(c, "transactional") == NULL)
		return config_error(x, sp ? sp->line : 1, "streams",
		                    "expected a stream named transactional "
		                    "(mail without a stream goes there)");
	for (i = 0; i < c->n_streams; i++) {
		const struct config_stream *st = &c->streams[i];
		for (j = 0; j < st->n_providers; j++) {
			for (k = 0; k < c->n_providers; k++)
				if (strcmp(c->providers[k].name,
				           st->providers[j]) == 0)
					break;
			if (k < c->n_providers)
				continue;
			pp = sp ? config_tree_get(sp->value, st->name) : NULL;
			snprintf(kpath, sizeof(kpath), "streams.%s.providers",
			         st->name);
			return config_error(x, pp ? pp->line : 1, kpath,
			                    "no provider named \"%s\"",
			                    st->providers[j]);
		}
	}
	for (i = 0; i < c->n_users; i++) {
		if (c->users[i].stream == NULL ||
		    keys_stream_find(c, c->users[i].stream) != NULL)
			continue;
		snprintf(kpath, sizeof(kpath), "submitters.users[%zu].stream",
		         i);
		return config_error(x, 1, kpath, "no stream named \"%s\"",
		                    c->users[i].stream);
	}
	return 0;
}

/* key_provider_check - credentials in pairs, unique name, TLS default. */
static int
key_provider_check(struct config_ctx *x, const struct config_node *map,
                   const char *path, void *array, size_t i)
{
	struct config_provider *providers = array, *p = &providers[i];
	const struct config_pair *user = config_tree_get(map, "username");
	const struct config_pair *pw = config_tree_get(map, "password");
	const struct config_pair *pf = config_tree_get(map, "password_file");
	char kpath[CONFIG_PATH_SIZE];
	size_t j;

	if (keys_secret_check(x, map, path, user != NULL) < 0)
		return -1;
	if (user == NULL && (pw != NULL || pf != NULL)) {
		config_path_key(kpath, sizeof(kpath), path, "username");
		return config_error(x, (pw ? pw : pf)->line, kpath,
		                    "missing; a password needs a username");
	}
	for (j = 0; j < i; j++)
		if (strcmp(providers[j].name, p->name) == 0)
			return keys_name_unique(x, map, path, p->name, true);
	/* A report to a VERP address is credited to the provider whose
	 * bounce_domain it names: two providers sharing one would have one
	 * of them credited with the other's bounces (and those not matched
	 * to the message they are about). */
	for (j = 0; j < i && p->bounce_domain != NULL; j++)
		if (providers[j].bounce_domain != NULL &&
		    strcasecmp(providers[j].bounce_domain, p->bounce_domain) ==
		        0) {
			const struct config_pair *bd =
			    config_tree_get(map, "bounce_domain");
			config_path_key(kpath, sizeof(kpath), path,
			                "bounce_domain");
			return config_error(
			    x, bd != NULL ? bd->line : map->line, kpath,
			    "expected a bounce_domain of this provider's own; "
			    "providers[%zu] (%s) has it too",
			    j, providers[j].name);
		}
	if (keys_provider_type_check(x, map, path, p) < 0 ||
	    config_events_check(x, map, path, providers, i) < 0)
		return -1;
	/* Port 465 speaks TLS from the first byte; elsewhere STARTTLS,
	 * never plaintext unless asked for. */
	if (config_tree_get(map, "tls") == NULL)
		p->tls = p->port == 465 ? CONFIG_TLS_TLS : CONFIG_TLS_STARTTLS;
	return 0;
}

/* keys_duration_text - ms as the largest whole unit ("90s", "1h"). */
static void
keys_duration_text(uint64_t ms, char *out, size_t n)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {
	    {"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ms % units[i].ms == 0) {
			snprintf(out, n, "%llu%s",
			         (unsigned long long)(ms / units[i].ms),
			         units[i].unit);
			return;
		}
	}
	snprintf(out, n, "%llums", (unsigned long long)ms);
}

/* keys_pair_check - section.cert and section.key come together. */
static int
keys_pair_check(struct config_ctx *x, const struct config_node *root,
                const char *section, const char *cert, const char *key)
{
	const struct config_pair *sec = config_tree_get(root, section);
	const struct config_pair *p;
	char what[64];

	if ((cert == NULL) == (key == NULL))
		return 0;
	p = sec ? config_tree_get(sec->value, cert ? "cert" : "key") : NULL;
	snprintf(what, sizeof(what), "%s.%s", section, cert ? "key" : "cert");
	return config_error(x, p ? p->line : 1, what,
	                    "missing; %s.cert and %s.key go together", section,
	                    section);
}

/*
 * keys_tls_check - certificates and keys come in pairs, and OpenSSL
 * accepts the protocol floor and the cipher lists (so that --check, not
 * the first handshake, finds a typo).
 */
static int
keys_tls_check(struct config_ctx *x, const struct config_node *root,
               const struct config *c)
{
	const struct config_pair *tls = config_tree_get(root, "tls");
	const struct config_pair *p = NULL;
	struct tls_policy pol;
	const char *key;
	char reason[256], what[32];

	if (keys_pair_check(x, root, "tls", c->tls_cert, c->tls_key) < 0 ||
	    keys_pair_check(x, root, "https", c->https_cert, c->https_key) < 0)
		return -1;
	if (c->n_listen_smtps > 0 && c->tls_cert == NULL) {
		p = config_tree_get(config_tree_get(root, "listen")->value,
		                    "smtps");
		return config_error(x, p ? p->line : 1, "listen.smtps",
		                    "needs tls.cert and tls.key");
	}
	if (c->n_load_balancers > 0 && c->https_cert != NULL) {
		p = config_tree_get(config_tree_get(root, "listen")->value,
		                    "load_balancers");
		return config_error(
		    x, p ? p->line : 1, "listen.load_balancers",
		    "not with https.cert: terminate TLS at the "
		    "load balancer (PROXY is read before HTTP)");
	}
	if (c->https_admin && c->https_cert == NULL) {
		p = config_tree_get(config_tree_get(root, "https")->value,
		                    "admin");
		return config_error(x, p ? p->line : 1, "https.admin",
		                    "needs https.cert and https.key");
	}
	pol.min_version = c->tls_min_version;
	pol.ciphers = c->tls_ciphers;
	pol.ciphersuites = c->tls_ciphersuites;
	if (tls_policy_check(&pol, reason, sizeof(reason)) == 0)
		return 0;
	key = strstr(reason, "ciphersuites") ? "ciphersuites" : "ciphers";
	if (tls != NULL)
		p = config_tree_get(tls->value, key);
	snprintf(what, sizeof(what), "tls.%s", key);
	return config_error(x, p ? p->line : 1, what, "%s",
	                    strncmp(reason, "tls: ", 5) == 0 ? reason + 5
	                                                     : reason);
}

/* keys_retry_check - min_backoff <= max_backoff. */
static int
keys_retry_check(struct config_ctx *x, const struct config_node *root,
                 const struct config *c)
{
	const struct config_pair *retry = config_tree_get(root, "retry");
	const struct config_pair *lo = NULL, *hi = NULL;
	char want[64], got[96];

	if (c->retry_min_backoff_ms <= c->retry_max_backoff_ms)
		return 0;
	if (retry != NULL) {
		lo = config_tree_get(retry->value, "min_backoff");
		hi = config_tree_get(retry->value, "max_backoff");
	}
	if (lo != NULL) {
		keys_duration_text(c->retry_max_backoff_ms, want, sizeof(want));
		config_text_quote(lo->value->str, got, sizeof(got));
		return config_error(
		    x, lo->line, "retry.min_backoff",
		    "expected at most retry.max_backoff (%s); got %s", want,
		    got);
	}
	keys_duration_text(c->retry_min_backoff_ms, want, sizeof(want));
	config_text_quote(hi ? hi->value->str : "", got, sizeof(got));
	return config_error(x, hi ? hi->line : 1, "retry.max_backoff",
	                    "expected at least retry.min_backoff (%s); got %s",
	                    want, got);
}

int
config_keys_apply(struct config_ctx *x, const struct config_node *root,
                  struct config *c)
{
	if (config_walk_map(x, root, "", keys_root, c) < 0)
		return -1;
	if (keys_tls_check(x, root, c) < 0)
		return -1;
	if (keys_retry_check(x, root, c) < 0)
		return -1;
	if (keys_streams_check(x, root, c) < 0)
		return -1;
	if (config_alerts_check(x, root, c) < 0)
		return -1;
	if (config_anomaly_check(x, root, c) < 0)
		return -1;
	if (config_readiness_check(x, root, c) < 0)
		return -1;
	if (config_admin_keys_check(x, root, c) < 0)
		return -1;
	if (config_suppress_check(x, root, c) < 0)
		return -1;
	if (config_status_check(x, root, c) < 0)
		return -1;
	if (config_incidents_check(x, root, c) < 0)
		return -1;
	if (config_rates_check(x, root, c) < 0)
		return -1;
	if (config_cluster_check(x, root, c) < 0)
		return -1;
	if (config_drills_check(x, root, c) < 0)
		return -1;
	return 0;
}
