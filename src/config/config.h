/*
 * config.h - swerved's configuration: YAML file -> typed, validated struct.
 *
 * The loader is a pure function over a buffer (config_load_buf) so it can be
 * unit-tested and fuzzed; config_load_file only reads the file and calls it.
 * Unknown keys are errors. Every error names file:line, the key (as a dotted
 * path, e.g. "providers[1].port") and what was expected. Keys that are not
 * present keep the embedded defaults (config_defaults()).
 *
 * Sizes accept "25MB", "100KB", "1GB", "512B" or a bare number of bytes
 * (KB/MB/GB are powers of 1024). Durations accept "500ms", "30s", "5m",
 * "1h", "5d" or a bare number of seconds. Addresses are "host:port" or
 * "[v6]:port".
 *
 * Secrets read from *_file keys are loaded at config time, relative to the
 * directory of the config file; the file name is kept for messages, never
 * the secret. tls.cert and tls.key are checked for readability at load time
 * and stored resolved against that directory too; spool.dir is kept as
 * written (relative to the working directory).
 *
 * A list in the file replaces the default list. Also refused: YAML aliases,
 * more than one document, map sections given as anything but a map (an
 * empty "tls:" is allowed and changes nothing). See examples/swerve.yaml.
 *
 * Ownership: a struct config owns every string and array it points to;
 * config_free releases them all (and wipes passwords). The struct is plain
 * data and may be read from any thread once loaded.
 */
#ifndef SWERVE_CONFIG_CONFIG_H
#define SWERVE_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_ERR_SIZE 512

struct config_addr {
	char *host; /* numeric or name; "127.0.0.1", "::1", "localhost" */
	uint16_t port;
};

/* A CIDR network: family is AF_INET or AF_INET6; addr in network order. */
struct config_net {
	int family;
	uint8_t addr[16];
	unsigned prefix;
};

struct config_user {
	char *name;     /* unique among users */
	char *password; /* from password: or the contents of password_file */
	char **from_domains; /* lower-cased, at least one; "*" allows any */
	size_t n_from_domains;
	char *stream; /* default stream of its mail; NULL: transactional */
	bool allow_null_sender; /* may use MAIL FROM:<>; default false */
};

enum config_tls_mode {
	CONFIG_TLS_NONE,     /* plaintext only */
	CONFIG_TLS_STARTTLS, /* STARTTLS required, never falls back */
	CONFIG_TLS_TLS,      /* TLS from the first byte (465) */
};

/* What a provider's status page saying "major outage" does. */
enum config_on_major {
	CONFIG_ON_MAJOR_WARN, /* log and alert; routing unchanged (default) */
	CONFIG_ON_MAJOR_OPEN, /* open the provider's circuit until it clears */
};

struct config_status_page {
	char *url;         /* NULL: no status page */
	char **components; /* only these count; none: the page's indicator */
	size_t n_components;
	int on_major;         /* enum config_on_major */
	uint64_t interval_ms; /* poll interval, default 60s */
};

/* Circuit breaker tuning (providers[].circuit); see route/breaker.h. */
struct config_circuit {
	unsigned failures;    /* consecutive failures that open, default 3 */
	double failure_ratio; /* window ratio that opens, default 50% */
	unsigned min_volume;  /* attempts in the window first, default 20 */
	uint64_t window_ms;   /* default 30s */
	uint64_t cooldown_ms; /* first open, default 5s; doubles */
	uint64_t max_cooldown_ms;    /* cap, default 5m */
	uint64_t config_cooldown_ms; /* after a config failure, default 10m */
	unsigned trials; /* half-open trial messages at once, default 3 */
};

/*
 * providers[].events: where the provider posts its delivery events
 * (ingress/feedback.h). Present (configured) when the section is; the
 * keys a provider type does not use are refused. Secrets come from files
 * and are wiped on free.
 */
struct config_events {
	bool configured;     /* the section is present */
	char *path;          /* "/feedback/...", default "/feedback/<name>" */
	uint64_t max_body;   /* largest request body, default 1MB */
	uint64_t max_age_ms; /* sendgrid, mailgun, resend: how old a signed
	                        timestamp may be (either way), default 5m */
	/* ses (Amazon SNS) */
	char **topic_arns; /* allowed TopicArn values, at least one */
	size_t n_topic_arns;
	bool auto_confirm;      /* follow a SubscribeURL that passes the pin,
	                           default true */
	char *sns_cert_host;    /* tests only: the host (optionally :port) the
	                           SigningCertURL and SubscribeURL must name,
	                           instead of sns.<region>.amazonaws.com[.cn] */
	char *sns_trust_anchor; /* tests only: CA file (resolved path) the
	                           signing certificate must chain to; NULL:
	                           the system's trust store */
	/* sendgrid */
	char *public_key; /* base64 DER SubjectPublicKeyInfo (ECDSA P-256),
	                     from public_key or public_key_file */
	/* mailgun */
	char *signing_key; /* HTTP webhook signing key, signing_key_file */
	/* postmark */
	char *username;              /* basic credentials on the webhook URL */
	char *password;              /* password_file */
	struct config_net *networks; /* allowed source networks; none: any */
	size_t n_networks;
	/* resend */
	char *secret; /* "whsec_<base64>", secret_file */
};

struct config_provider {
	char *name;    /* unique, [a-z0-9_-]{1,64} */
	char *type;    /* smtp, ses, sendgrid, mailgun, postmark, resend */
	char *host;    /* smtp: required; others: unused (see endpoint) */
	uint16_t port; /* default 25 */
	enum config_tls_mode tls; /* default: TLS on port 465, else STARTTLS */
	bool tls_verify;          /* default true */
	char *username; /* NULL: no AUTH (then password is NULL too) */
	char *password; /* from password: or password_file: */
	int priority;   /* lower is preferred; default 1 */
	int weight;     /* default 1 */
	bool enabled;   /* default true */
	/* Timeouts in milliseconds. */
	uint64_t connect_timeout_ms;  /* default 5s */
	uint64_t greeting_timeout_ms; /* default 5s */
	uint64_t command_timeout_ms;  /* default 30s */
	uint64_t data_timeout_ms;     /* default 60s (final dot to reply) */
	unsigned max_connections;     /* pool size, default 4 */
	/* The connections in use adapt to the provider (route/concur.h):
	 * default true, starting at initial_connections (0: max). */
	bool adaptive_connections;
	unsigned initial_connections;
	unsigned max_msgs_per_conn; /* connection reuse cap, default 100 */
	char *meta_header;          /* smtp: header carrying the message's meta
	                               (providers/adapter_smtp.c); NULL: none */
	char *bounce_domain;        /* smtp: send with VERP envelope senders at
	                               this domain (deliver/verp.h); NULL: none */

	/* HTTP providers (issue 5). Secrets are never logged. */
	char *endpoint; /* base URL override, "https://host[:port]" */
	/* ses: the CloudWatch base URL; NULL: monitoring.{region} of AWS */
	char *cloudwatch_endpoint;
	char *region;        /* ses: "us-east-1" (default); mailgun: us|eu */
	char *access_key_id; /* ses; default $AWS_ACCESS_KEY_ID */
	char *secret_access_key; /* ses; _file, or $AWS_SECRET_ACCESS_KEY */
	char *session_token;     /* ses; $AWS_SESSION_TOKEN if set */
	char *configuration_set; /* ses; NULL: none */
	char *api_key;           /* sendgrid, mailgun, postmark, resend */
	char *domain;            /* mailgun sending domain */
	char *message_stream;    /* postmark; default "outbound" */
	char *ca_file;     /* PEM CAs that verify the upstream, instead of the
	                      system trust store (a private CA); NULL: system */
	char *client_cert; /* smtp: PEM chain presented to the relay */
	char *client_key;  /* smtp: its PEM private key (with client_cert) */
	uint64_t request_timeout_ms; /* HTTP: whole request, default 30s */

	/* Health and routing (issue 4). */
	double cost_per_1k;         /* currency units per 1000; default 0 */
	char *max_rate;             /* "14/s"; NULL: unlimited */
	uint64_t quota_daily;       /* quota.daily; 0: none */
	double keep_warm;           /* share sent to a standby, 0..1 */
	uint64_t failback_ramp_ms;  /* default 5m */
	uint64_t probe_interval_ms; /* active probe period, default 30s */
	/* account health (route/account.h): where the provider's API
	 * tells (ses) */
	uint64_t account_interval_ms; /* account poll period, 5m; 0: off */
	double quota_reserve;         /* spill at this share left, 2% */
	double probation_share;       /* share kept on probation, 25% */
	struct config_status_page status_page;
	struct config_circuit circuit;
	struct config_events events; /* delivery events (issue 14) */
};

/* A stream (priority class): streams.NAME. */
enum config_objective {
	CONFIG_OBJECTIVE_BALANCED,       /* health-weighted share (default) */
	CONFIG_OBJECTIVE_LATENCY,        /* fastest healthy provider first */
	CONFIG_OBJECTIVE_COST,           /* cheapest healthy provider first */
	CONFIG_OBJECTIVE_DELIVERABILITY, /* providers whose bounce or complaint
	                                    ratio for the sender domain is
	                                    over warning only as a last
	                                    resort (route/reputation.h) */
};

/* suppression.on_submit: what a submission to a suppressed address gets
 * (config_suppress.c). */
enum config_suppress_on_submit {
	CONFIG_SUPPRESS_REFUSE, /* refused: SMTP 550 at RCPT, HTTP per recipient
	                         */
	CONFIG_SUPPRESS_DROP, /* accepted, recorded as suppressed, never sent */
};

/* suppression.expire: one value per reason, in the order of enum
 * suppress_reason (spool/suppress.h). */
#define CONFIG_SUPPRESS_REASONS 6

enum config_on_unknown {
	CONFIG_ON_UNKNOWN_RESEND, /* resend elsewhere (possible duplicate) */
	CONFIG_ON_UNKNOWN_HOLD,   /* hold for an operator: no duplicate */
};

struct config_stream {
	char *name;
	unsigned weight;  /* dequeue share, default 10 */
	char **providers; /* allowed providers; none: all */
	size_t n_providers;
	uint64_t failover_after_ms; /* 0: only on a failure */
	int on_unknown;             /* enum config_on_unknown, default resend */
	int objective; /* enum config_objective, default balanced */
};

/* public_status.streams.NAME / public_status.providers.NAME: how one
 * stream or provider appears on the public status page. */
struct config_status_comp {
	char *id;          /* the stream's or provider's name (the map key) */
	char *name;        /* display name; NULL: the id */
	char *description; /* NULL: none */
};

/* public_status: the public status page (config_status.c, src/status/). */
struct config_public_status {
	char *title;  /* page name; default "Email delivery" */
	char *url;    /* public base URL (feeds, links); NULL: relative */
	bool on_http; /* also served at /status/ on listen.http */
	bool show_providers; /* providers are components too (default false) */
	bool show_drills;    /* drill incidents shown (default false) */
	/* streams shown, in order; none configured: every stream by name */
	struct config_status_comp *streams;
	size_t n_streams;
	/* providers' display names (shown only with show_providers; a
	 * provider not listed shows as "Provider N") */
	struct config_status_comp *providers;
	size_t n_providers;
};

/* api_keys: one key of the HTTP send API (see ingress/api_auth.h). */
struct config_api_key {
	char *name;               /* unique, [a-z0-9_-]{1,64} */
	char *key_sha256;         /* lower-case hex of the key's SHA-256 */
	unsigned char digest[32]; /* the same, as bytes */
	char *key;           /* key_file's line while loading; NULL after */
	char *tenant;        /* messages' tenant; default: name */
	char **from_domains; /* lower-cased, at least one; "*" allows any */
	size_t n_from_domains;
	bool allow_null_sender; /* may send with the null sender; default false
	                         */
};

/* What an admin key may do (admin_keys[].role). */
enum config_admin_role {
	CONFIG_ADMIN_ROLE_ADMIN,   /* every admin endpoint (default) */
	CONFIG_ADMIN_ROLE_METRICS, /* only /metrics and /metrics.json */
};

/* admin_keys: one key of the admin plane (see ingress/http_access.h). */
struct config_admin_key {
	char *name;               /* unique, [a-z0-9_-]{1,64} */
	char *key_sha256;         /* lower-case hex of the key's SHA-256 */
	unsigned char digest[32]; /* the same, as bytes */
	char *key; /* key_file's line while loading; NULL after */
	int role;  /* enum config_admin_role */
};

/* Where /metrics and /metrics.json are served (metrics.listener). */
enum config_metrics_listener {
	CONFIG_METRICS_ADMIN, /* with the admin plane (default) */
	CONFIG_METRICS_HTTP,  /* on listen.http (a remote Prometheus) */
};

/* ses_compat.credentials[]: who may call the SES-compatible ingress
 * (config_ses_compat.c). The secret is secret_access_key_file's line. */
struct config_ses_credential {
	char *access_key_id;     /* [A-Z0-9]{16,128}, unique */
	char *secret_access_key; /* never logged; wiped on free */
	char *tenant;            /* messages' tenant; default: the id */
	char **from_domains;     /* lower-cased, at least one; "*" any */
	size_t n_from_domains;
};

/*
 * alerts: built-in alerting (observe/alert.h, observe/notify.h).
 * Severities order info < warning < critical.
 */
enum config_severity {
	CONFIG_SEVERITY_INFO,
	CONFIG_SEVERITY_WARNING,
	CONFIG_SEVERITY_CRITICAL,
};

enum config_notify_type {
	CONFIG_NOTIFY_WEBHOOK,      /* JSON POST, HMAC-signed with secret */
	CONFIG_NOTIFY_SLACK,        /* Slack incoming-webhook JSON */
	CONFIG_NOTIFY_ALERTMANAGER, /* POST url/api/v2/alerts */
	CONFIG_NOTIFY_EMAIL,        /* a message through the spool */
};

/* events.webhooks[]: one application endpoint (Standard Webhooks). */
struct config_webhook {
	char *url;    /* http(s)://... */
	char *secret; /* secret_file's line: whsec_<base64> */
	char **types; /* webhook type names; none: every type */
	size_t n_types;
	char *tenant; /* only this tenant's events; NULL: every tenant */
};

/* alerts.notify[]: one place notifications go. */
struct config_notify {
	int type;     /* enum config_notify_type */
	char *url;    /* webhook, slack, alertmanager: http(s)://... */
	char *secret; /* webhook: secret_file's line; NULL: unsigned */
	char **to;    /* email: recipients, at least one */
	size_t n_to;
	char *from;       /* email: envelope and header sender */
	char *stream;     /* email: stream of the alert mail; default critical
	                     (transactional if there is no such stream) */
	int min_severity; /* enum config_severity; default info */
};

/* What the detector does when a signal fires (anomaly.on_anomaly). */
enum config_anomaly_on {
	CONFIG_ANOMALY_WARN,  /* log, event, alert */
	CONFIG_ANOMALY_SHIFT, /* and lower the provider's share */
};

/* What an alert rule watches (alerts.rules[].kind). */
enum config_alert_kind {
	CONFIG_ALERT_CIRCUIT_OPEN,    /* a provider's circuit is open */
	CONFIG_ALERT_STREAM_UNUSABLE, /* no provider of a stream can send */
	CONFIG_ALERT_FAILOVER,        /* mail failed over from a provider */
	CONFIG_ALERT_QUEUE_AGE,       /* oldest queued message too old */
	CONFIG_ALERT_DEFERRED,        /* too many deferred messages */
	CONFIG_ALERT_RATE_DROP,       /* deliveries far below the usual */
	CONFIG_ALERT_PROVIDER_CONFIG, /* credentials, account paused */
	CONFIG_ALERT_DISK_LOW,        /* the spool's disk below min_free */
	CONFIG_ALERT_SPOOL_DAMAGED,   /* the spool met a damaged database */
	CONFIG_ALERT_BOUNCE_RATE,     /* a provider's 24h hard bounce ratio */
	CONFIG_ALERT_COMPLAINT_RATE,  /* a provider's 24h complaint ratio */
	CONFIG_ALERT_CLUSTER_LOST,    /* cluster: Redis not reachable */
	CONFIG_ALERT_ACCOUNT,         /* a provider account on probation or
	                                 near its quota (route/account.h) */
	CONFIG_ALERT_ANOMALY,         /* the detector flags a provider's or a
	                                 stream's signal (anomaly/anomaly.h) */
	CONFIG_ALERT_READINESS,       /* a provider not ready for a sender
	                                 domain sent in the last day
	                                 (readiness/readiness.h) */
	CONFIG_ALERT_KIND_COUNT,
};

/* alerts.rules[]: one rule; see observe/alert.h for the semantics. */
struct config_alert_rule {
	char *name;     /* unique; the alert's name in every notifier */
	int kind;       /* enum config_alert_kind */
	char *stream;   /* NULL: every stream (stream kinds) */
	char *provider; /* NULL: every provider (provider kinds) */
	uint64_t oldest_age_over_ms; /* queue_age threshold */
	uint64_t deferred_over;      /* deferred threshold */
	double rate_below;           /* rate_drop: fraction of usual, 0..1 */
	double ratio_over; /* bounce_rate, complaint_rate: 0..1; 0: the rates:
	                      warning (or critical, by severity) level */
	uint64_t for_ms;   /* condition must hold this long */
	uint64_t clear_for_ms; /* must be clear this long to resolve */
	double hysteresis;     /* thresholds: resolve below t*(1-h) */
	uint64_t window_ms;    /* failover: quiet time; rate: window */
	uint64_t repeat_ms;    /* re-notify interval; 0: alerts' */
	int severity;          /* enum config_severity */
};

/*
 * Outage drills (issue 16; config_drills.c, drill/drill.h): what a drill
 * is expected to achieve. A per-drill value of CONFIG_DRILL_UNSET takes
 * drill.objectives' (whose defaults are shipped).
 */
#define CONFIG_DRILL_UNSET UINT64_MAX
struct config_drill_objectives {
	uint64_t detect_ms;       /* first failed attempt -> circuit open */
	uint64_t alert_ms;        /* -> alert notification accepted */
	uint64_t failover_ms;     /* -> first message accepted elsewhere */
	uint64_t critical_p99_ms; /* the critical stream's p99 delay */
	uint64_t lost;            /* messages lost (0) */
};

/* drill.notify: what a drill's alerts do. */
enum config_drill_notify {
	CONFIG_DRILL_NOTIFY_LABELLED, /* notified, marked as a drill */
	CONFIG_DRILL_NOTIFY_QUIET,    /* logged and shown, not notified */
	CONFIG_DRILL_NOTIFY_REAL,     /* notified exactly as a real alert */
};

/* drills[]: a scheduled drill. */
struct config_drill {
	char *name;     /* unique, [a-z0-9_-] */
	char *provider; /* the provider whose failure is simulated */
	char *fault;    /* "outage", "slow:2s", ... (drill/drill_fault.h) */
	char *stream;   /* only this stream's traffic; NULL: all */
	double share;   /* share of the provider's traffic, default 100% */
	uint64_t duration_ms; /* default 5m */
	char *schedule;       /* "Mon 03:00", "daily 03:00", "Mon,Thu 14:30" */
	char *timezone;       /* "UTC" (default), "+02:00", "-05:30" */
	struct config_drill_objectives objectives;
};

struct config {
	char *path; /* file loaded, or "<defaults>" */

	/* user:, group: who to become once the listeners are bound (a name
	 * or a number); NULL: stay who we were started as. */
	char *user;
	char *group; /* NULL: the user's primary group */

	/* listen.smtp: a string or a list; [] = do not listen */
	struct config_addr *listen_smtp;
	size_t n_listen_smtp;
	/* listen.smtps: implicit-TLS submission (RFC 8314, port 465 style)
	 * with tls.cert/tls.key; none by default */
	struct config_addr *listen_smtps;
	size_t n_listen_smtps;
	/* listen.http: a string or a list; [] = do not listen */
	struct config_addr *listen_http;
	size_t n_listen_http;
	/* listen.admin: the admin plane's own listeners; none (default):
	 * the admin plane is served on listen.http, still key-protected */
	struct config_addr *listen_admin;
	size_t n_listen_admin;
	/* listen.bounce: the bounce mailbox (ingress/smtpd_bounce.c): SMTP
	 * that takes DSNs and abuse reports for VERP addresses only and
	 * relays nothing; none by default */
	struct config_addr *listen_bounce;
	size_t n_listen_bounce;
	/* listen.load_balancers: connections from these networks to
	 * listen.smtp, listen.smtps, listen.bounce, listen.http and
	 * listen.admin must start
	 * with a PROXY protocol header (v1 or v2), whose client address is
	 * then the one seen; from anywhere else a header is refused. None
	 * (default): PROXY is not spoken. */
	struct config_net *load_balancers;
	size_t n_load_balancers;

	/* cluster: several nodes sharing state through Redis (src/cluster/,
	 * docs/cluster.md). On when cluster.redis or cluster.sentinel is set;
	 * read at start (a reload does not change it). */
	bool cluster;
	char *cluster_redis;      /* cluster.redis: "redis://ip:port" */
	char *cluster_redis_host; /* its address (an IP literal) */
	uint16_t cluster_redis_port;
	char *cluster_sentinel_master;         /* cluster.sentinel.master */
	struct config_addr *cluster_sentinels; /* cluster.sentinel.addresses */
	size_t n_cluster_sentinels;
	char *cluster_node_id;            /* cluster.node_id: the host name */
	char *cluster_key_prefix;         /* cluster.key_prefix: "swerve" */
	uint64_t cluster_heartbeat_ms;    /* cluster.heartbeat: 1s */
	uint64_t cluster_node_timeout_ms; /* cluster.node_timeout: 5s */
	uint64_t cluster_connect_timeout_ms; /* cluster.connect_timeout: 2s */
	uint64_t cluster_node_number; /* cluster.node_number: 0 (none), 1..31 */
	uint64_t cluster_adopt_number; /* cluster.adopt_number: 0, 1..31 */
	struct config_addr *cluster_advertise_http; /* cluster.advertise_http */
	size_t n_cluster_advertise_http;            /* 0 or 1 */

	char *hostname; /* smtp.hostname, default gethostname() */
	/* smtp.auth_plaintext: offer AUTH without TLS to clients in
	 * submitters.networks; default false (AUTH only under TLS) */
	bool smtp_auth_plaintext;

	char *spool_dir;              /* spool.dir, default "./var/swerve" */
	uint64_t spool_min_free;      /* spool.min_free, default 100MB */
	uint64_t spool_max_messages;  /* spool.max_messages, default 1000000 */
	uint64_t spool_batch_max;     /* spool.batch_max, default 256 */
	uint64_t spool_handoff_cache; /* spool.handoff_cache, default 64MB */
	uint64_t spool_outcome_delay_ms; /* spool.outcome_delay, default 0 */
	/* spool.commit_gather_us, default 0: longest a commit waits for
	 * SMTP sessions that are receiving a body */
	uint64_t spool_commit_gather_us;
	/* spool.purge_interval, default 1h: expired suppressions and old
	 * unmatched provider events are deleted this often */
	uint64_t spool_purge_interval_ms;

	uint64_t max_message_size; /* limits.max_message_size, default 25MB */
	unsigned max_recipients;   /* limits.max_recipients, default 100 */
	unsigned max_sessions;     /* limits.max_sessions, default 1000 */
	/* limits.max_sessions_per_ip: 0 (default) = a quarter of max_sessions
	 */
	unsigned max_sessions_per_ip;
	/* limits.max_http_connections, default 1000 */
	unsigned max_http_connections;
	/* limits.max_http_connections_per_ip: 0 (default) = a quarter */
	unsigned max_http_connections_per_ip;
	/* limits.http_request_timeout: longest an HTTP connection goes
	 * without an answer (request read, or idle between), default 60s */
	uint64_t http_request_timeout_ms;
	unsigned max_auth_failures;  /* limits.max_auth_failures, default 3 */
	uint64_t idle_timeout_ms;    /* limits.idle_timeout, default 5m */
	uint64_t command_timeout_ms; /* limits.command_timeout, default 5m */
	uint64_t min_data_rate;      /* limits.min_data_rate B/s, default 1KB */
	/* limits.max_schedule_ahead: how far ahead a message may ask to be
	 * sent (meta.send_at), default 30 days */
	uint64_t max_schedule_ahead_ms;

	char *tls_cert; /* tls.cert (resolved path); NULL = no STARTTLS */
	char *tls_key;  /* tls.key; set exactly when tls_cert is */
	/* tls.min_version: TLS1_2_VERSION (default) or TLS1_3_VERSION */
	int tls_min_version;
	char *tls_ciphers;      /* tls.ciphers (TLS 1.2), see core/tls.h */
	char *tls_ciphersuites; /* tls.ciphersuites (TLS 1.3) */
	/* https.cert, https.key: listen.http serves HTTPS; NULL = plain */
	char *https_cert;
	char *https_key;  /* set exactly when https_cert is */
	bool https_admin; /* https.admin: listen.admin is HTTPS too */

	struct config_net *networks; /* default 127.0.0.0/8, ::1/128; [] ok */
	size_t n_networks;
	struct config_user *users; /* submitters.users */
	size_t n_users;

	/* listen.status: the public status page's own listener (public,
	 * no credentials; src/status/status_http.h) */
	struct config_addr *listen_status;
	size_t n_listen_status;
	struct config_public_status public_status; /* public_status: */

	struct config_provider *providers;
	size_t n_providers;
	/* streams: default critical (100), transactional (10), bulk (1). */
	struct config_stream *streams;
	size_t n_streams;

	uint64_t retry_min_backoff_ms;  /* retry.min_backoff, default 30s */
	uint64_t retry_max_backoff_ms;  /* retry.max_backoff, default 1h */
	uint64_t retry_max_lifetime_ms; /* retry.max_lifetime, default 5d */

	unsigned delivery_max_inflight; /* delivery.max_inflight, default 256 */
	uint64_t
	    delivery_poll_ms; /* delivery.poll_interval (deliver.h poll_ms) */

	/* shutdown_timeout, default 30s: how long SIGTERM waits for
	 * attempts on the wire (0: not at all) */
	uint64_t shutdown_timeout_ms;

	int log_level;  /* log.level: debug|info|warn|error -> enum log_level */
	int log_format; /* log.format: text|json -> enum log_format */

	/* api_keys: keys of the HTTP send API; [] (default) = API closed. */
	struct config_api_key *api_keys;
	size_t n_api_keys;

	/* admin_keys: keys of the admin plane; [] (default) = closed. */
	struct config_admin_key *admin_keys;
	size_t n_admin_keys;
	int metrics_listener; /* enum config_metrics_listener */
	/* swervectl.key_file: the admin key swervectl presents, as written
	 * (relative to the config file's directory; read by swervectl
	 * only, never checked by swerved); NULL: none */
	char *swervectl_key_file;

	/* alerts: (config_alerts.c). Rules default to one of each kind. */
	struct config_notify *alert_notify;
	size_t n_alert_notify;
	struct config_alert_rule *alert_rules;
	size_t n_alert_rules;
	uint64_t alerts_interval_ms; /* alerts.interval, default 1s */
	uint64_t alerts_repeat_ms;   /* alerts.repeat_interval, default 4h */

	/* incidents: (config_incidents.c), ms */
	uint64_t incidents_window_ms;    /* 15 min */
	uint64_t incidents_quiet_ms;     /* 10 min */
	uint64_t incidents_reopen_ms;    /* 30 min */
	uint64_t incidents_retention_ms; /* 90 days */
	/* incidents.notices: the audience of a sent notice; NULL/0: none */
	char *incidents_notice_from;
	char **incidents_notice_to;
	size_t n_incidents_notice_to;
	char *incidents_notice_stream; /* NULL: critical, else transactional */
	char **incidents_notice_slack; /* Slack incoming-webhook URLs */
	size_t n_incidents_notice_slack;
	char **incidents_notice_webhooks; /* URLs the notice is POSTed to */
	size_t n_incidents_notice_webhooks;
	/* suppression: (config_suppress.c) */
	int suppress_on_submit; /* enum config_suppress_on_submit, refuse */
	/* suppression.local_part: false (default "insensitive"): local
	 * parts compare case-insensitively; true ("sensitive"): as given */
	int suppress_local_sensitive;
	unsigned suppress_soft_count; /* suppression.soft_bounce.count, 3 */
	uint64_t
	    suppress_soft_window_ms; /* suppression.soft_bounce.window, 7d */
	/* suppression.expire.<reason>: "never" or a duration, as written;
	 * suppress_expire_ms the same in ms, 0 = never */
	char *suppress_expire[CONFIG_SUPPRESS_REASONS];
	uint64_t suppress_expire_ms[CONFIG_SUPPRESS_REASONS];
	/* events: outbound webhooks to applications (config_webhooks.c,
	 * observe/webhook_out.h); none: nothing is sent. */
	struct config_webhook *webhooks;
	size_t n_webhooks;
	uint64_t events_retry_for_ms; /* events.retry_for, default 24h */
	uint64_t events_retry_min_ms; /* events.retry_min, default 5s */
	uint64_t events_retry_max_ms; /* events.retry_max, default 1h */
	uint64_t events_timeout_ms;   /* events.timeout, default 10s */
	unsigned events_concurrency;  /* events.concurrency, default 4 */
	/* events.unmatched_retention, default 30d: a provider event matched
	 * to no message is kept this long (for de-duplication), then purged */
	uint64_t events_unmatched_retention_ms;

	/* readiness: (config_readiness.c) failover readiness checks
	 * (readiness/readiness_poll.h) */
	uint64_t readiness_interval_ms; /* readiness.interval, 0: on demand */
	char *readiness_resolver;       /* readiness.resolver; NULL: system */
	uint64_t readiness_timeout_ms;  /* readiness.timeout, 10s */
	uint64_t readiness_dns_timeout_ms; /* readiness.dns_timeout, 2s */
	uint64_t readiness_max_metrics;    /* readiness.max_metrics, 200 */
	/* anomaly: (config_anomaly.c) the detector (anomaly/anomaly.h) */
	bool anomaly_enabled;         /* anomaly.enabled, true */
	uint64_t anomaly_interval_ms; /* anomaly.interval, 5m */
	uint64_t anomaly_warmup_ms;   /* anomaly.warmup, 8d */
	double anomaly_threshold;     /* anomaly.threshold, 4 */
	uint64_t anomaly_min_volume;  /* anomaly.min_volume, 20 */
	uint64_t anomaly_top_domains; /* anomaly.top_domains, 50 */
	int anomaly_on;               /* enum config_anomaly_on, warn */
	double anomaly_shift_share;   /* anomaly.shift_share, 50% */

	/* rates: (config_rates.c) delivery ratios (route/reputation.h) and
	 * the levels alerts and routing compare them with */
	double rates_bounce_warning;     /* rates.bounce_warning, 5% */
	double rates_bounce_critical;    /* rates.bounce_critical, 10% */
	double rates_complaint_warning;  /* rates.complaint_warning, 0.1% */
	double rates_complaint_critical; /* rates.complaint_critical, 0.5% */
	uint64_t rates_min_volume;  /* rates.min_volume: sends in 24h, 100 */
	uint64_t rates_max_keys;    /* rates.max_keys, 4096 */
	double rates_penalty_share; /* rates.penalty_share, 10% */

	/* dashboard: (config_dashboard.c) the operator dashboard */
	bool dashboard_enabled;          /* dashboard.enabled, true */
	uint64_t dashboard_session_ms;   /* dashboard.session_lifetime, 8h */
	unsigned dashboard_max_sessions; /* dashboard.max_sessions, 32 */
	/* drill: and drills: (config_drills.c, drill/drill.h) */
	int drill_notify; /* enum config_drill_notify, default labelled */
	struct config_drill_objectives drill_objectives;
	uint64_t drill_max_duration_ms;  /* drill.max_duration, default 1h */
	uint64_t drill_failback_wait_ms; /* drill.failback_wait, 10m */
	struct config_drill *drills;
	size_t n_drills;

	/* ses_compat: (config_ses_compat.c); none: SES endpoints closed. */
	struct config_ses_credential *ses_compat_credentials;
	size_t n_ses_compat_credentials;
};

/* config_defaults - the embedded defaults. Caller frees with config_free. */
struct config *config_defaults(void);

/*
 * config_load_buf - parse and validate YAML text.
 * name is used in error messages ("swerve.yaml:12: ...") and as the base
 * for relative *_file paths (its directory). Returns a new config, or NULL
 * with a one-line message in err (file:line: key: expected ..., got ...).
 */
struct config *config_load_buf(const char *text, size_t len, const char *name,
                               char *err, size_t errlen);

/* config_load_file - read path and call config_load_buf. */
struct config *config_load_file(const char *path, char *err, size_t errlen);

/* config_free - release c and everything it owns. NULL is a no-op. */
void config_free(struct config *c);

/* config_ses_compat_free - free c's ses_compat credentials (config_free
 * calls it). */
void config_ses_compat_free(struct config *c);

/* config_suppress_free - free c's suppression strings (config_free). */
void config_suppress_free(struct config *c);

/* config_parse_size - "25MB" -> bytes. 0 on success, -1 if malformed. */
int config_parse_size(const char *s, uint64_t *out);
/* config_parse_duration - "30s" -> milliseconds. 0 or -1. */
int config_parse_duration(const char *s, uint64_t *out);
/* config_parse_addr - "host:port" -> addr (host heap-allocated). 0 or -1. */
int config_parse_addr(const char *s, struct config_addr *out);
/* config_parse_net - "10.0.0.0/8", "::1/128", "1.2.3.4" -> net. 0 or -1. */
int config_parse_net(const char *s, struct config_net *out);

/* config_stream_known - is name one of c's streams? (With none
 * configured, only "transactional".) */
bool config_stream_known(const struct config *c, const char *name);

/* config_tls_mode_name - "none", "starttls" or "tls" (for logs). */
const char *config_tls_mode_name(enum config_tls_mode mode);

/*
 * config_net_contains - true if the sockaddr (AF_INET or AF_INET6) lies in
 * net. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) matches IPv4 networks.
 */
struct sockaddr;
bool config_net_contains(const struct config_net *net,
                         const struct sockaddr *sa);

#endif
