/*
 * config_keys.h - the key tables and the walk that applies a YAML tree to a
 * struct config. Internal to src/config (config.c, config_keys.c).
 *
 * A table is an array of struct config_key rows ending with a NULL name;
 * config_walk.c applies a YAML map to a struct through one (values,
 * types, ranges, unknown and duplicate keys); config_keys.c holds the
 * tables themselves and the rules that span keys.
 *
 * The helpers declared here are shared by the files: message building
 * (every message is "name:line: dotted.path: expected ...; got ..."), file
 * reading relative to the config file's directory, and the per-element
 * init/fini of users and providers.
 */
#ifndef SWERVE_CONFIG_CONFIG_KEYS_H
#define SWERVE_CONFIG_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "config/config_tree.h"

/* Longest dotted path we build ("providers[12].greeting_timeout"). */
#define CONFIG_PATH_SIZE 192

/* One load: where messages go and where relative files are found. */
struct config_ctx {
	const char *name; /* the config's name in messages */
	char *dir;        /* its directory, or NULL for the working directory */
	char *err;
	size_t errlen;
};

enum key_type {
	KEY_SECTION,     /* a nested map; same struct */
	KEY_STR,         /* non-empty string */
	KEY_WORD,        /* string from choices, stored as a string */
	KEY_ENUM,        /* string from choices, stored as its int value */
	KEY_INT,         /* integer in min..max, stored by field size */
	KEY_BOOL,        /* true/false (yes/no, on/off) */
	KEY_SIZE,        /* "25MB" -> bytes */
	KEY_RATE,        /* "1KB" or "1KB/s" -> bytes per second */
	KEY_DURATION,    /* "30s" -> milliseconds */
	KEY_ADDRS,       /* "host:port" or a list of them */
	KEY_NETS,        /* list of CIDR networks */
	KEY_DOMAINS,     /* list of domains, lower-cased, "*" = any */
	KEY_FILE,        /* readable file, stored resolved */
	KEY_SECRET_FILE, /* file whose one line is stored (a password) */
	KEY_LIST,        /* list of maps, see struct key_list */
	KEY_NAMED,       /* map of name -> map, stored like KEY_LIST; the
	                    element's name goes to list->name_off */
	KEY_NUMBER,      /* decimal number in min..max, stored as double */
	KEY_PERCENT,     /* "2%" or "2.5%" -> 0.02, 0.025 (double 0..1) */
	KEY_STRS,        /* list of non-empty strings (KEYF_NAME: names) */
	KEY_SECRET_ENV,  /* name of an environment variable holding a secret;
	                    its value is stored (unset or empty: error) */
};

#define KEYF_REQUIRED 0x1 /* must be present */
#define KEYF_SECRET 0x2   /* value never shown in messages */
#define KEYF_NAME 0x4     /* [a-z0-9_-], 1..64 characters */
#define KEYF_HOST 0x8     /* host name or IP literal */

struct key_choice {
	const char *name;
	int value;
};

struct config_key;

struct key_list {
	size_t elem_size;
	const struct config_key *keys;
	void (*init)(void *elem);
	void (*fini)(void *elem);
	/* check - rules spanning keys of element i (and earlier ones);
	 * NULL: none. */
	int (*check)(struct config_ctx *x, const struct config_node *map,
	             const char *path, void *array, size_t i);
	size_t name_off; /* KEY_NAMED: offset of the element's char *name */
};

struct config_key {
	const char *name;
	enum key_type type;
	unsigned flags;
	size_t off;       /* the field, in the struct the table describes */
	size_t size;      /* sizeof the field */
	size_t count_off; /* lists: the size_t count beside the array */
	int64_t min, max; /* KEY_INT range; KEY_SIZE/DURATION minimum */
	const struct key_choice *choices; /* KEY_WORD, KEY_ENUM */
	const struct config_key *sub;     /* KEY_SECTION */
	const struct key_list *list;      /* KEY_LIST */
};

#define FIELD(st, f) .off = offsetof(st, f), .size = sizeof(((st *)0)->f)
#define COUNT(st, f) .count_off = offsetof(st, f)
#define ROW(n, t, fl) .name = (n), .type = (t), .flags = (fl)

/* config_walk_map - apply map to base through table keys. 0 or -1 + err. */
int config_walk_map(struct config_ctx *x, const struct config_node *map,
                    const char *path, const struct config_key *keys,
                    void *base);

/* config_keys_apply - walk root against the tables into c. 0 or -1 + err. */
int config_keys_apply(struct config_ctx *x, const struct config_node *root,
                      struct config *c);

/* config_error - write "name:line: path: message" to x->err; returns -1. */
int config_error(struct config_ctx *x, int line, const char *path,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* config_expect - "expected what; got <v>" (v not shown if secret). -1. */
int config_expect(struct config_ctx *x, const struct config_node *v,
                  const char *path, bool secret, const char *what);
/* config_text_quote - s as a short, escaped, one-line "quoted" string. */
void config_text_quote(const char *s, char *out, size_t n);
/* config_path_key - out = parent.key (key escaped if it needs to be). */
void config_path_key(char *out, size_t n, const char *parent, const char *key);
/* config_path_index - out = parent[i]. */
void config_path_index(char *out, size_t n, const char *parent, size_t i);

/* config_file_resolve - file relative to the config's directory; freed. */
char *config_file_resolve(const struct config_ctx *x, const char *file);
/* config_file_check - v names a readable file: *out = its resolved path. */
int config_file_check(struct config_ctx *x, const struct config_node *v,
                      const char *path, char **out);
/* config_secret_read - *out = the one line in the file v names. */
int config_secret_read(struct config_ctx *x, const struct config_node *v,
                       const char *path, char **out);

/* config_addrs_free - free n addresses and the array. */
void config_addrs_free(struct config_addr *a, size_t n);
/* config_user_fini - free what u owns (wiping the password). */
void config_user_fini(struct config_user *u);
/* config_provider_init - p = the provider defaults. */
void config_provider_init(struct config_provider *p);
/* config_provider_fini - free what p owns (wiping the password). */
void config_provider_fini(struct config_provider *p);
/* config_list_api_keys - the api_keys: list (config_api_keys.c). */
extern const struct key_list config_list_api_keys;
/* config_api_key_fini - free what k owns (wiping a key read from a file). */
void config_api_key_fini(struct config_api_key *k);
/* config_list_admin_keys - the admin_keys: list (config_api_keys.c). */
extern const struct key_list config_list_admin_keys;
/* config_admin_key_fini - free what k owns (wiping a key read from a file). */
void config_admin_key_fini(struct config_admin_key *k);
/* config_admin_keys_check - no admin key is also an API key. 0 or -1. */
int config_admin_keys_check(struct config_ctx *x,
                            const struct config_node *root,
                            const struct config *c);
/* config_keys_alerts - the alerts: section (config_alerts.c). */
extern const struct config_key config_keys_alerts[];
/* config_alerts_check - rules' streams/providers exist. 0 or -1 + err. */
int config_alerts_check(struct config_ctx *x, const struct config_node *root,
                        const struct config *c);
/* config_alerts_defaults - c's alerts = the shipped defaults. */
void config_alerts_defaults(struct config *c);
/* config_alerts_free - free c's alert notifiers and rules. */
void config_alerts_free(struct config *c);
/* config_keys_suppression - the suppression: section (config_suppress.c). */
extern const struct config_key config_keys_suppression[];
/* config_suppress_check - suppression.expire values; fills the ms. */
int config_suppress_check(struct config_ctx *x, const struct config_node *root,
                          struct config *c);

/* config_keys_webhooks - the events: section (config_webhooks.c). */
extern const struct config_key config_keys_webhooks[];
/* config_webhooks_defaults - events: retry_for 24h, retry_min 5s,
 * retry_max 1h, timeout 10s, concurrency 4. */
void config_webhooks_defaults(struct config *c);
/* config_webhooks_free - free c's webhooks. */
void config_webhooks_free(struct config *c);
/* config_keys_readiness - the readiness: section (config_readiness.c). */
extern const struct config_key config_keys_readiness[];
/* config_readiness_check - the resolver is "ip[:port],...". */
int config_readiness_check(struct config_ctx *x, const struct config_node *root,
                           const struct config *c);
/* config_keys_anomaly - the anomaly: section (config_anomaly.c). */
extern const struct config_key config_keys_anomaly[];
/* config_anomaly_check - warm-up at least an interval, share above 0. */
int config_anomaly_check(struct config_ctx *x, const struct config_node *root,
                         const struct config *c);
/* config_keys_rates - the rates: section (config_rates.c). */
extern const struct config_key config_keys_rates[];

/* config_keys_incidents - the incidents: section (config_incidents.c). */
extern const struct config_key config_keys_incidents[];

/* config_incidents_check - incidents.notices.to needs .from. */
int config_incidents_check(struct config_ctx *x, const struct config_node *root,
                           const struct config *c);

/* config_incidents_free - free c's incidents strings. */
void config_incidents_free(struct config *c);
/* config_rates_check - each warning level at most its critical one. */
int config_rates_check(struct config_ctx *x, const struct config_node *root,
                       const struct config *c);

/* config_keys_public_status - the public_status: section
 * (config_status.c). */
extern const struct config_key config_keys_public_status[];
/* config_status_check - public_status: url is http(s); the streams and
 * providers it names exist. 0 or -1 + err. */
int config_status_check(struct config_ctx *x, const struct config_node *root,
                        const struct config *c);
/* config_status_free - free c's public_status strings. */
void config_status_free(struct config *c);

/* config_keys_dashboard - the dashboard: section (config_dashboard.c). */
extern const struct config_key config_keys_dashboard[];
/* config_keys_cluster - the cluster: section (config_cluster.c). */
extern const struct config_key config_keys_cluster[];
/* config_cluster_check - redis or sentinel (not both), addresses that are
 * IP literals, node_id's characters; fills the parsed fields. */
int config_cluster_check(struct config_ctx *x, const struct config_node *root,
                         struct config *c);
/* config_cluster_defaults - cluster off, node_id the host name. */
void config_cluster_defaults(struct config *c);
/* config_cluster_free - free c's cluster fields. */
void config_cluster_free(struct config *c);
/* config_redis_url - "redis://IP:PORT" (or "redis://[IPv6]:PORT"; the
 * port defaults to 6379) into host (malloc'd) and port. 0, or -1 with
 * why set to a static reason. Pure. */
int config_redis_url(const char *url, char **host, uint16_t *port,
                     const char **why);
/* config_keys_drill, config_list_drills - the drill: section and the
 * drills: list (config_drills.c). */
extern const struct config_key config_keys_drill[];
extern const struct key_list config_list_drills;
/* config_drills_check - drills' providers, streams, faults, schedules. */
int config_drills_check(struct config_ctx *x, const struct config_node *root,
                        struct config *c);
/* config_drills_defaults - drill: defaults (objectives shipped). */
void config_drills_defaults(struct config *c);
/* config_drills_free - free c's drills. */
void config_drills_free(struct config *c);

/* config_keys_ses_compat - the ses_compat: section (config_ses_compat.c). */
extern const struct config_key config_keys_ses_compat[];
/* config_keys_events - the providers[].events: section (config_events.c). */
extern const struct config_key config_keys_events[];
/* config_events_init - e = the events defaults (not configured). */
void config_events_init(struct config_events *e);
/* config_events_fini - free what e owns (wiping its secrets). */
void config_events_fini(struct config_events *e);
/*
 * config_events_check - providers[i].events (map is the provider's map,
 * path its dotted path): the keys its type needs and no others, the
 * default path, unique among providers[0..i]. 0 or -1 + err.
 */
int config_events_check(struct config_ctx *x, const struct config_node *map,
                        const char *path, struct config_provider *providers,
                        size_t i);
/* config_stream_init - s = the stream defaults (weight 10). */
void config_stream_init(struct config_stream *s);
/* config_stream_fini - free what s owns. */
void config_stream_fini(struct config_stream *s);

#endif
