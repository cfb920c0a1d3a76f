/*
 * swervectl.c - the operator's command line.
 *
 *   swervectl [-c FILE | --url URL] status [--json | --watch]
 *   swervectl [-c FILE | --url URL] queue [--state S] [--limit N] [--json]
 *   swervectl [-c FILE | --url URL] queue --scheduled
 *   swervectl [-c FILE | --url URL] show ID [--json]
 *   swervectl [-c FILE | --url URL] trace ID
 *   swervectl [-c FILE | --url URL] release ID
 *   swervectl [-c FILE | --url URL] provider pause|resume|drain NAME
 *                                            [--for 10m]
 *   swervectl [-c FILE | --url URL] reload
 *   swervectl -c FILE events confirm PROVIDER URL
 *
 * It finds the daemon through the same configuration file (the first
 * listen.admin address, else the first listen.http one) or --url, and
 * reads its admin API over HTTP with the admin key of --key-file, else of
 * the configuration's swervectl.key_file (sent as a bearer key; never on
 * the command line, where ps would show it). A CLI may block, so it uses
 * libcurl's easy interface.
 */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "anomaly/anomaly_replay.h"
#include "config/config.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/tls.h"
#include "core/xmalloc.h"
#include "drill/drill_cli.h"
#include "incident/incident_cli.h"
#include "ingress/feedback_sns.h"
#include "providers/supplist.h"
#include "providers/tmpllist.h"
#include "spool/spool.h"
#include "spool/spool_export.h"
#include "spool/spool_tool.h"
#include "spool/suppress.h"
#include "spool/suppress_csv.h"
#include "status/status_export.h"

static void
swervectl_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: swervectl [-c FILE | --url URL] COMMAND [--json]\n"
	    "commands:\n"
	    "  status    queue counts by state, providers, alerts, spool "
	    "figures\n"
	    "            (--watch: refresh in place every 2 s until ^C;\n"
	    "            --fleet: every node of the cluster, its version, "
	    "queue and\n            last heartbeat)\n"
	    "  queue     list messages (--state ready|inflight|deferred|sent|"
	    "failed|\n"
	    "            scheduled|sandboxed|cancelled|all, --limit N, "
	    "--after ID for\n"
	    "            the next page; --scheduled: those waiting for their "
	    "send time)\n"
	    "  show ID   one message: recipients and every attempt\n"
	    "  trace ID  why each attempt went to the provider it did\n"
	    "  account refresh [PROVIDER]  poll the providers' accounts now "
	    "and\n            print what they say (quota, standing, "
	    "reputation)\n"
	    "  release ID  a deferred or held message is tried again now\n"
	    "  provider pause|resume|drain NAME [--for 10m]\n"
	    "            pause: no new sends; drain: also move its queued "
	    "mail\n            elsewhere; resume: back to normal\n"
	    "  events tail  follow the events applications can subscribe to "
	    "(--type\n            delivered,bounced,...; --limit N: stop "
	    "after N)\n"
	    "  events dead  outbound webhook deliveries given up "
	    "(dead-lettered)\n"
	    "  reload    re-read the daemon's configuration file (as "
	    "SIGHUP)\n"
	    "  anomalies  what the anomaly detector flags now, and its recent "
	    "changes\n"
	    "  readiness [--refresh]  failover readiness: each sender domain x "
	    "provider,\n            its verdict and why (--refresh: check "
	    "them all again first)\n"
	    "  anomaly replay FILE.csv  the anomaly detector over a recorded "
	    "series\n            (timestamp,value lines; --json, --dir, "
	    "--threshold, --warmup)\n"
	    "  suppression list|export [--tenant T] [--reason R]\n"
	    "            a tenant's suppression list as CSV (address,reason,"
	    "created,\n            expires,provider); list: one page "
	    "(--limit, --after)\n"
	    "  suppression add|remove ADDRESS [--tenant T] [--reason R]\n"
	    "  suppression import FILE [--tenant T]\n"
	    "  suppression import --from-provider NAME [--tenant T]\n"
	    "            NAME's own list through its API (sendgrid, "
	    "postmark, mailgun, ses)\n"
	    "            CSV as export writes it; all rows or none "
	    "(malformed lines\n            named); importing twice "
	    "changes nothing\n"
	    "  status-page export DIR  the public status page as static "
	    "files (index.html,\n            api/v2/*.json, history.rss, "
	    "history.atom), the same bytes\n            the live page serves\n"
	    "  template list [--tenant T]  every template's active "
	    "version\n"
	    "  template show NAME [--version N]  a version's parts, and "
	    "every version\n"
	    "  template put NAME [--dialect D] [--subject S] [--html FILE] "
	    "[--text FILE]\n"
	    "            [--no-activate]  store a new version (refused "
	    "with line and\n            column when a part does not "
	    "parse)\n"
	    "  template render NAME [--data FILE.json] [--version N]\n"
	    "  template diff NAME V1 [V2]  line diff of two versions "
	    "(V2: the active)\n"
	    "  template activate NAME V | delete NAME [--version N]\n"
	    "  template import --from-provider NAME [--tenant T]\n"
	    "            NAME's own templates through its API (sendgrid: "
	    "dynamic\n            templates under their d-... ids; ses)\n"
	    "  incident list|show ID|report ID [--format md|html|json]\n"
	    "  incident note ID TEXT [--public] | update ID [--status S]\n"
	    "            [--impact I] [--text T] | resolve ID [--text T]\n"
	    "            the incidents swerve opened (docs/incidents.md)\n"
	    "  incident notice ID --template NAME [--preview|--send] "
	    "[--format F]\n            delays, resolved, internal, "
	    "status_page: shown, or e-mailed\n"
	    "  spool check        check the spool's files (works with "
	    "swerved\n            stopped or running; exit 1 if damaged)\n"
	    "  spool backup FILE  a consistent copy of the spool into the "
	    "new FILE\n"
	    "  spool export FILE  every queued message of a stopped (or "
	    "dead) node's spool,\n            ids kept, into the new FILE\n"
	    "  spool import FILE  add FILE's messages to this (stopped) "
	    "node's spool;\n            twice adds nothing "
	    "(docs/cluster.md)\n"
	    "            (spool commands read spool.dir from -c FILE, or "
	    "--spool-dir DIR)\n"
	    "  drill start PROVIDER FAULT [--for 5m] [--stream S] [--share "
	    "50%%] [--force]\n"
	    "            rehearse an outage: outage, hang, tempfail, "
	    "throttle, account,\n            slow:2s, flap:30s "
	    "(docs/drills.md)\n"
	    "  drill abort | status | history [--limit N]\n"
	    "  drill report ID [--format text|md|html|json]\n"
	    "  drill preflight [PROVIDER] [--stream S]\n"
	    "            readiness to lose a provider (exit 1 when not "
	    "ready)\n"
	    "options:\n"
	    "  -c, --config FILE  find the daemon and its admin key via this "
	    "configuration\n"
	    "  -u, --url URL      the daemon's admin address "
	    "(default http://127.0.0.1:2580)\n"
	    "  -k, --key-file FILE  the admin key (default: the "
	    "configuration's\n"
	    "                     swervectl.key_file)\n"
	    "  -j, --json         print the daemon's JSON as is\n");
}

/* "Authorization: Bearer <key>" of the admin key, or "" without one. */
static char swervectl_auth[600];

/*
 * swervectl_key_load - the admin key in file (its first line) into
 * swervectl_auth. 0, or -1 with a message printed.
 */
static int
swervectl_key_load(const char *file)
{
	char line[512];
	size_t n;
	FILE *f = fopen(file, "r");

	if (f == NULL) {
		fprintf(stderr, "swervectl: admin key file %s: %s\n", file,
		        strerror(errno));
		return -1;
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	if (n == 0) {
		fprintf(stderr, "swervectl: admin key file %s is empty\n",
		        file);
		return -1;
	}
	snprintf(swervectl_auth, sizeof(swervectl_auth),
	         "Authorization: Bearer %s", line);
	explicit_bzero(line, sizeof(line));
	return 0;
}

/* swervectl_key_load_rel - swervectl_key_load of file, relative to the
 * directory of the configuration file conf. */
static int
swervectl_key_load_rel(const char *conf, const char *file)
{
	const char *slash = conf ? strrchr(conf, '/') : NULL;
	char path[4096];

	if (file[0] == '/' || slash == NULL)
		return swervectl_key_load(file);
	snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - conf), conf,
	         file);
	return swervectl_key_load(path);
}

/*
 * With -c and https.cert: the daemon's public key as curl pins it, read
 * from the certificate file swerved serves. Empty otherwise.
 */
static char swervectl_pin[TLS_PIN_SIZE];

static size_t
swervectl_collect(char *p, size_t size, size_t n, void *arg)
{
	buf_add(arg, p, size * n);
	return size * n;
}

/* swervectl_get - GET base+path into out. 0, or -1 with a message printed. */
static int swervectl_request(const char *base, const char *path, bool post,
                             struct buf *out);

static int
swervectl_get(const char *base, const char *path, struct buf *out)
{
	return swervectl_request(base, path, false, out);
}

/*
 * swervectl_perform - GET url (method NULL), or method with json as the
 * body (NULL: empty), into out. Returns the HTTP status, or -1 with
 * curl's error in cerr (CURL_ERROR_SIZE bytes).
 */
static long
swervectl_perform(const char *url, const char *method, const char *json,
                  struct buf *out, char *cerr)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	long code = 0;
	CURLcode rc;

	if (c == NULL)
		return -1;
	if (swervectl_auth[0] != '\0')
		hdrs = curl_slist_append(NULL, swervectl_auth);
	if (json != NULL)
		hdrs =
		    curl_slist_append(hdrs, "Content-Type: application/json");
	if (hdrs != NULL)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, swervectl_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (swervectl_pin[0] != '\0') {
		/*
		 * The listener is reached by its address, often loopback, which
		 * the certificate does not name; the key pinned from the
		 * daemon's own certificate file authenticates it instead
		 * (curl checks the pin even without peer verification).
		 */
		curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, swervectl_pin);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (method != NULL && strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json ? json : "");
	} else if (method != NULL)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	else if (cerr[0] == '\0')
		snprintf(cerr, CURL_ERROR_SIZE, "%s", curl_easy_strerror(rc));
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	return rc == CURLE_OK ? code : -1;
}

/* swervectl_drill_http - drill_cli_http_fn: base (arg) + path. */
static long
swervectl_drill_http(const char *method, const char *path, const char *json,
                     struct buf *out, char *err, void *arg)
{
	char url[2200], cerr[CURL_ERROR_SIZE] = "";
	long code;

	snprintf(url, sizeof(url), "%s%s", (const char *)arg, path);
	code = swervectl_perform(url, strcmp(method, "GET") ? method : NULL,
	                         json, out, cerr);
	if (code < 0)
		snprintf(err, 256, "%s", cerr);
	return code;
}

/* swervectl_request - GET (or an empty POST) base+path into out. */
static int
swervectl_request(const char *base, const char *path, bool post,
                  struct buf *out)
{
	char url[2200], cerr[CURL_ERROR_SIZE] = "";
	long code;

	snprintf(url, sizeof(url), "%s%s", base, path);
	code = swervectl_perform(url, post ? "POST" : NULL, NULL, out, cerr);
	if (code < 0) {
		fprintf(stderr, "swervectl: %s: %s (is swerved running?)\n",
		        url, cerr);
		return -1;
	}
	if (code != 200) {
		fprintf(stderr, "swervectl: %s: HTTP %ld: %.*s\n", url, code,
		        (int)out->len, out->p ? out->p : "");
		if (code == 401 && swervectl_auth[0] == '\0')
			fprintf(stderr, "swervectl: no admin key given: use "
			                "--key-file or swervectl.key_file\n");
		return -1;
	}
	return 0;
}

/* swervectl_incident_http - incident_cli's HTTP (arg: the base URL). */
static long
swervectl_incident_http(const char *method, const char *path, const char *json,
                        struct buf *out, void *arg)
{
	char url[2200], cerr[CURL_ERROR_SIZE] = "";
	long code;

	snprintf(url, sizeof(url), "%s%s", (const char *)arg, path);
	code = swervectl_perform(
	    url, strcmp(method, "GET") == 0 ? NULL : method, json, out, cerr);
	if (code < 0)
		fprintf(stderr, "swervectl: %s: %s (is swerved running?)\n",
		        url, cerr);
	return code;
}

/*
 * swervectl_json_quiet - the JSON at base+path, or NULL without a word
 * (an optional endpoint: an older daemon answers 404). Caller decrefs.
 */
static json_t *
swervectl_json_quiet(const char *base, const char *path)
{
	char url[2200], cerr[CURL_ERROR_SIZE] = "";
	json_t *j = NULL;
	struct buf body;

	buf_init(&body);
	snprintf(url, sizeof(url), "%s%s", base, path);
	if (swervectl_perform(url, NULL, NULL, &body, cerr) == 200)
		j = json_loadb(body.p ? body.p : "", body.len, 0, NULL);
	buf_fini(&body);
	return j;
}

/*
 * swervectl_url_from_config - http://host:port of cfg's first admin
 * listener, else of its first HTTP listener; https:// with the key of the
 * daemon's certificate pinned when that listener serves HTTPS. 0, or -1
 * with a message printed.
 */
static int
swervectl_url_from_config(const struct config *cfg, char *url, size_t len)
{
	const struct config_addr *a =
	    cfg->n_listen_admin > 0  ? &cfg->listen_admin[0]
	    : cfg->n_listen_http > 0 ? &cfg->listen_http[0]
	                             : NULL;
	const char *host = "127.0.0.1", *scheme = "http";
	bool https = cfg->https_cert != NULL &&
	             (cfg->n_listen_admin > 0 ? cfg->https_admin : true);
	char err[256];
	unsigned port = 2580;

	if (a != NULL) {
		host = a->host;
		port = a->port;
		/* A wildcard listener is reached on loopback. */
		if (strcmp(host, "0.0.0.0") == 0 || host[0] == '\0')
			host = "127.0.0.1";
		else if (strcmp(host, "::") == 0)
			host = "::1";
	}
	if (https) {
		if (tls_cert_pin(cfg->https_cert, swervectl_pin, err,
		                 sizeof(err)) != 0) {
			fprintf(stderr, "swervectl: %s\n", err);
			return -1;
		}
		scheme = "https";
	}
	if (strchr(host, ':'))
		snprintf(url, len, "%s://[%s]:%u", scheme, host, port);
	else
		snprintf(url, len, "%s://%s:%u", scheme, host, port);
	return 0;
}

/* swervectl_num - a JSON number as a double (0 if absent). */
static double
swervectl_num(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/* swervectl_share - provider name's sample in a /metrics.json family. */
static double
swervectl_share(json_t *samples, const char *name)
{
	json_t *x;
	size_t i;

	json_array_foreach(samples, i, x)
	{
		const char *p = json_string_value(
		    json_object_get(json_object_get(x, "labels"), "provider"));
		if (p != NULL && name != NULL && strcmp(p, name) == 0)
			return json_number_value(json_object_get(x, "value"));
	}
	return 0;
}

/* swervectl_ratio - provider name's 24-hour ratio of kind in the
 * swerve_delivery_ratio samples, as a percentage; -1 when absent. */
static double
swervectl_ratio(json_t *samples, const char *name, const char *kind)
{
	json_t *x;
	size_t i;

	json_array_foreach(samples, i, x)
	{
		json_t *l = json_object_get(x, "labels");
		const char *p =
		    json_string_value(json_object_get(l, "provider"));
		const char *w = json_string_value(json_object_get(l, "window"));
		const char *k = json_string_value(json_object_get(l, "kind"));
		if (p != NULL && w != NULL && k != NULL && name != NULL &&
		    strcmp(p, name) == 0 && strcmp(w, "24h") == 0 &&
		    strcmp(k, kind) == 0)
			return 100.0 *
			       json_number_value(json_object_get(x, "value"));
	}
	return -1;
}

/*
 * swervectl_account_line - "      account: HEALTHY, 5 of 1000 left in 24 h,
 * bounce 6.0%, complaint 0.02%; <note>" from /v1/providers' account.
 */
static void
swervectl_account_line(json_t *a)
{
	const char *en = json_string_value(json_object_get(a, "enforcement"));
	const char *st = json_string_value(json_object_get(a, "state"));
	const char *note = json_string_value(json_object_get(a, "note"));
	const char *per = json_string_value(json_object_get(a, "quota_period"));
	const char *err = json_string_value(json_object_get(a, "error"));

	printf("      account: %s", en && *en   ? en
	                            : st && *st ? st
	                                        : "standing unknown");
	if (en && *en && st && *st)
		printf(" (%s)", st);
	if (json_is_true(json_object_get(a, "paused")))
		printf(", paused");
	if (json_object_get(a, "quota_24h"))
		printf(", %.0f of %.0f left in %s",
		       swervectl_num(a, "quota_left"),
		       swervectl_num(a, "quota_24h"), per ? per : "24 h");
	if (json_object_get(a, "bounce_rate"))
		printf(", bounce %.1f%%",
		       100 * swervectl_num(a, "bounce_rate"));
	if (json_object_get(a, "complaint_rate"))
		printf(", complaint %.2f%%",
		       100 * swervectl_num(a, "complaint_rate"));
	if (json_object_get(a, "reputation"))
		printf(", reputation %.1f", swervectl_num(a, "reputation"));
	printf("%s%s", note && *note ? "; " : "", note ? note : "");
	if (err && *err)
		printf(" (last poll: %s)", err);
	printf("\n");
}

/* swervectl_account_polls - provider name's account.polls in the
 * answer of GET /v1/providers, 0 when absent; *found when listed. */
static double
swervectl_account_polls(json_t *root, const char *name, json_t **acct)
{
	json_t *arr = json_object_get(root, "providers"), *p;
	size_t i;

	*acct = NULL;
	json_array_foreach(arr, i, p)
	{
		const char *n = json_string_value(json_object_get(p, "name"));
		if (n && strcmp(n, name) == 0) {
			*acct = json_object_get(p, "account");
			return *acct ? swervectl_num(*acct, "polls") : 0;
		}
	}
	return -1;
}

/*
 * swervectl_account - `account refresh [PROVIDER]`: poll the account of
 * one provider (or every one) now, wait up to 10 s for the answers and
 * print each account line.
 */
static int
swervectl_account(const char *base, const char *name, int json)
{
	json_t *root = swervectl_json_quiet(base, "/v1/providers"), *arr, *p;
	json_t *acct;
	double before[64], want[64];
	char *names[64];
	size_t i, n = 0, k;
	int rc = 0, tries;

	arr = json_object_get(root, "providers");
	if (!json_is_array(arr)) {
		fprintf(stderr, "swervectl: cannot read /v1/providers\n");
		json_decref(root);
		return 1;
	}
	json_array_foreach(arr, i, p)
	{
		const char *pn = json_string_value(json_object_get(p, "name"));
		char path[256];
		struct buf body;
		json_t *o;

		if (pn == NULL || n == 64 || (name && strcmp(name, pn) != 0))
			continue;
		before[n] = swervectl_account_polls(root, pn, &acct);
		snprintf(path, sizeof(path), "/v1/providers/%s/account", pn);
		buf_init(&body);
		if (swervectl_request(base, path, true, &body) != 0) {
			buf_fini(&body);
			rc = 1;
			continue;
		}
		o = json_loadb(body.p, body.len, 0, NULL);
		if (json_is_true(json_object_get(o, "started"))) {
			want[n] = swervectl_num(o, "answers");
			names[n++] = strdup(pn);
		} else if (name != NULL)
			printf("%s: no account to poll\n", pn);
		json_decref(o);
		buf_fini(&body);
	}
	if (name != NULL && n == 0 && rc == 0 &&
	    swervectl_account_polls(root, name, &acct) < 0) {
		fprintf(stderr, "swervectl: no provider '%s'\n", name);
		json_decref(root);
		return 1;
	}
	for (tries = 0; tries < 50 && n > 0; tries++) {
		json_t *now = swervectl_json_quiet(base, "/v1/providers");
		bool all = now != NULL;
		for (k = 0; k < n && all; k++)
			all = names[k] == NULL ||
			      swervectl_account_polls(now, names[k], &acct) >=
			          before[k] + (want[k] > 0 ? want[k] : 1);
		if (all) {
			json_decref(root);
			root = now;
			break;
		}
		json_decref(now);
		usleep(200 * 1000);
	}
	if (tries == 50) {
		json_t *now = swervectl_json_quiet(base, "/v1/providers");
		if (now != NULL) {
			json_decref(root);
			root = now;
		}
	}
	for (k = 0; k < n; k++) {
		if (names[k] == NULL)
			continue;
		swervectl_account_polls(root, names[k], &acct);
		if (json) {
			char *t = json_dumps(acct ? acct : json_null(),
			                     JSON_COMPACT | JSON_ENCODE_ANY);
			printf("{\"provider\":\"%s\",\"account\":%s}\n",
			       names[k], t ? t : "null");
			free(t);
			continue;
		}
		printf("%s\n", names[k]);
		if (acct)
			swervectl_account_line(acct);
		else
			printf("      account: no answer yet\n");
	}
	for (k = 0; k < n; k++)
		free(names[k]);
	json_decref(root);
	return rc;
}

/*
 * swervectl_providers - one line per provider: circuit state, share of
 * the accepted deliveries over the last 5 minutes (of the routing picks
 * since start, from a daemon without /metrics.json), success ratio and
 * latency over the last 5 minutes,
 * health score, fail-back ramp, queue, hard bounce and complaint ratios
 * over 24 hours ("-" from a daemon without them), and why the circuit
 * last changed.
 */
static void
swervectl_providers(const char *base)
{
	struct buf body;
	json_t *root, *provs, *p, *metrics, *share, *ratios;
	double total = 0;
	size_t i;

	buf_init(&body);
	if (swervectl_get(base, "/v1/providers", &body) != 0 ||
	    (root = json_loadb(body.p, body.len, 0, NULL)) == NULL) {
		buf_fini(&body);
		return;
	}
	provs = json_object_get(root, "providers");
	json_array_foreach(provs, i, p) total += swervectl_num(p, "picks");
	/* The share of the last 5 minutes, when the daemon exports it. */
	metrics = swervectl_json_quiet(base, "/metrics.json");
	share = json_object_get(
	    json_object_get(metrics, "swerve_provider_traffic_share_ratio"),
	    "samples");
	ratios = json_object_get(
	    json_object_get(metrics, "swerve_delivery_ratio"), "samples");
	if (json_array_size(provs) > 0)
		printf("providers:\n  %-14s %-9s %6s %7s %8s %6s %5s %8s %8s "
		       "%5s %7s %9s %5s\n",
		       "name", "state", "share", "success", "latency", "health",
		       "ramp", "sent", "failed", "wait", "bounce", "complaint",
		       "conc");
	json_array_foreach(provs, i, p)
	{
		const char *reason =
		    json_string_value(json_object_get(p, "reason"));
		const char *pname =
		    json_string_value(json_object_get(p, "name"));
		double left = swervectl_num(p, "cooldown_left_ms");
		double bounce = swervectl_ratio(ratios, pname, "bounce");
		double compl = swervectl_ratio(ratios, pname, "complaint");
		char bs[16] = "-", cs[16] = "-";

		if (bounce >= 0)
			snprintf(bs, sizeof(bs), "%.2f%%", bounce);
		if (compl >= 0)
			snprintf(cs, sizeof(cs), "%.3f%%", compl );
		printf("  %-14s %-9s %5.1f%% %6.1f%% %6.0fms %6.2f %5.2f %8.0f "
		       "%8.0f %5.0f %7s %9s %5.0f\n",
		       json_string_value(json_object_get(p, "name")),
		       json_string_value(json_object_get(p, "state")),
		       share != NULL
		           ? 100.0 * swervectl_share(
		                         share, json_string_value(
		                                    json_object_get(p, "name")))
		       : total > 0 ? 100.0 * swervectl_num(p, "picks") / total
		                   : 0.0,
		       100.0 * swervectl_num(p, "success_ratio"),
		       swervectl_num(p, "latency_ewma_ms"),
		       swervectl_num(p, "health"), swervectl_num(p, "ramp"),
		       swervectl_num(p, "sent"), swervectl_num(p, "failed"),
		       swervectl_num(p, "waiting"), bs, cs,
		       swervectl_num(p, "connection_window"));
		if (reason != NULL && reason[0] != '\0')
			printf("      last change: %s%s", reason,
			       left > 0 ? "" : "\n");
		if (left > 0)
			printf(" (retry in %.1fs)\n", left / 1000.0);
		if (json_object_get(p, "status_page"))
			printf("      status page: %s\n",
			       json_string_value(
			           json_object_get(p, "status_page")));
		if (json_is_object(json_object_get(p, "account")))
			swervectl_account_line(json_object_get(p, "account"));
	}
	json_decref(metrics);
	json_decref(root);
	buf_fini(&body);
}

/* swervectl_alerts - the active alerts, when the daemon serves them. */
static void
swervectl_alerts(const char *base)
{
	json_t *root = swervectl_json_quiet(base, "/v1/alerts"), *a;
	json_t *arr = json_object_get(root, "alerts");
	size_t i;

	if (arr == NULL) {
		json_decref(root);
		return;
	}
	if (json_array_size(arr) == 0)
		printf("alerts: none\n");
	else
		printf("alerts:\n");
	json_array_foreach(arr, i, a)
	{
		const char *scope =
		    json_string_value(json_object_get(a, "provider"));
		if (scope == NULL)
			scope = json_string_value(json_object_get(a, "stream"));
		printf("  %-8s %-8s %-24s %-12s %s\n",
		       json_string_value(json_object_get(a, "severity")),
		       json_string_value(json_object_get(a, "state")),
		       json_string_value(json_object_get(a, "rule")),
		       scope ? scope : "-",
		       json_string_value(json_object_get(a, "summary")));
	}
	json_decref(root);
}

/*
 * swervectl_fetch - GET path: with json, print the daemon's JSON as is
 * and return 0; else parse it into *root (the caller's) and return 1.
 * -1 on failure (printed).
 */
static int
swervectl_fetch(const char *base, const char *path, int json, json_t **root)
{
	struct buf body;
	json_error_t jerr;
	int rc = -1;

	buf_init(&body);
	if (swervectl_get(base, path, &body) != 0)
		goto out;
	if (json) {
		fwrite(body.p, 1, body.len, stdout);
		rc = 0;
		goto out;
	}
	*root = json_loadb(body.p, body.len, 0, &jerr);
	if (*root == NULL) {
		fprintf(stderr, "swervectl: bad JSON from daemon: %s\n",
		        jerr.text);
		goto out;
	}
	rc = 1;
out:
	buf_fini(&body);
	return rc;
}

static int
swervectl_status(const char *base, int json)
{
	json_t *root = NULL, *queue, *spool;
	int s, rc = swervectl_fetch(base, "/v1/status", json, &root);

	if (rc <= 0)
		return rc < 0 ? 1 : 0;
	queue = json_object_get(root, "queue");
	spool = json_object_get(root, "spool");
	printf("swerved at %s, up %llds, %s\n", base,
	       (long long)json_integer_value(
	           json_object_get(root, "uptime_seconds")),
	       json_is_true(json_object_get(spool, "accepting"))
	           ? "accepting mail"
	           : "NOT accepting mail (spool full or disk low)");
	printf("queue:\n");
	for (s = 0; s < SPOOL_STATE_COUNT; s++)
		printf("  %-10s %8lld\n", spool_state_name(s),
		       (long long)json_integer_value(
		           json_object_get(queue, spool_state_name(s))));
	printf(
	    "spool: %lld messages in %lld commits since start\n",
	    (long long)json_integer_value(
	        json_object_get(spool, "committed_messages")),
	    (long long)json_integer_value(json_object_get(spool, "commits")));
	{
		json_t *provs = json_object_get(root, "providers"), *p;
		json_t *dl = json_object_get(root, "delivery");
		size_t i;
		(void)provs;
		(void)p;
		(void)i;
		swervectl_providers(base);
		swervectl_alerts(base);
		if (dl != NULL)
			printf("delivery: %lld delivered, %lld failovers, %lld "
			       "deferred, %lld failed, %lld possible "
			       "duplicates\n",
			       (long long)json_integer_value(
			           json_object_get(dl, "delivered")),
			       (long long)json_integer_value(
			           json_object_get(dl, "failovers")),
			       (long long)json_integer_value(
			           json_object_get(dl, "deferred")),
			       (long long)json_integer_value(
			           json_object_get(dl, "failed")),
			       (long long)json_integer_value(
			           json_object_get(dl, "possible_duplicates")));
	}
	json_decref(root);
	return 0;
}

static volatile sig_atomic_t swervectl_stop;

static void
swervectl_on_stop(int sig)
{
	(void)sig;
	swervectl_stop = 1;
}

/*
 * swervectl_watch - status every 2 s, in place, until SIGINT or SIGTERM.
 * Each frame is composed in memory first and then drawn over the last
 * one (cursor home, each line cleared to its end, the rest of the screen
 * cleared), so the terminal never shows a half-drawn or blank frame.
 */
static int
swervectl_watch(const char *base)
{
	struct sigaction sa;
	struct timespec tick = {0, 100 * 1000 * 1000};
	FILE *real = stdout, *mem;
	char *frame = NULL, stamp[32], *line, *nl;
	size_t len = 0;
	time_t now;
	int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = swervectl_on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!swervectl_stop) {
		mem = open_memstream(&frame, &len);
		if (mem == NULL)
			return 1;
		now = clock_wall_time();
		strftime(stamp, sizeof(stamp), "%H:%M:%S", localtime(&now));
		/* XXX: the status printers write to stdout; point it at the
		 * frame while they run rather than thread a FILE through. */
		stdout = mem;
		printf(
		    "swervectl status --watch  %s  (every 2 s, ^C to stop)\n\n",
		    stamp);
		swervectl_status(base, 0);
		stdout = real;
		fclose(mem);
		fputs("\033[H", stdout);
		for (line = frame; line != NULL && *line; line = nl + 1) {
			nl = strchr(line, '\n');
			if (nl == NULL)
				nl = line + strlen(line) - 1;
			printf("%.*s\033[K\n", (int)(nl - line + (*nl != '\n')),
			       line);
		}
		fputs("\033[J", stdout);
		fflush(stdout);
		free(frame);
		frame = NULL;
		for (i = 0; i < 20 && !swervectl_stop; i++)
			nanosleep(&tick, NULL);
	}
	return 0;
}

/* swervectl_time - "2026-11-27 19:30:01" for ms since the epoch. */
static const char *
swervectl_time(json_t *v, char *dst, size_t len)
{
	time_t t = (time_t)(json_integer_value(v) / 1000);
	struct tm tm;

	if (json_integer_value(v) <= 0)
		return "-";
	localtime_r(&t, &tm);
	strftime(dst, len, "%Y-%m-%d %H:%M:%S", &tm);
	return dst;
}

/* swervectl_fetch_json - GET path and parse it. NULL on failure. */
static json_t *
swervectl_fetch_json(const char *base, const char *path, int raw)
{
	struct buf body;
	json_t *root = NULL;
	json_error_t jerr;

	buf_init(&body);
	if (swervectl_get(base, path, &body) != 0)
		goto out;
	if (raw) {
		fwrite(body.p, 1, body.len, stdout);
		root = json_true();
		goto out;
	}
	root = json_loadb(body.p, body.len, 0, &jerr);
	if (root == NULL)
		fprintf(stderr, "swervectl: bad JSON from daemon: %s\n",
		        jerr.text);
out:
	buf_fini(&body);
	return root;
}

/* swervectl_event_line - one event of /v1/events as a line: time, type,
 * message, recipient, provider, diagnostic. */
static void
swervectl_event_line(const json_t *ev)
{
	const json_t *d = json_object_get(ev, "data");
	const char *k[] = {"message_id", "recipient", "provider", "diagnostic"};
	size_t i;

	printf("%s %-10s", json_string_value(json_object_get(ev, "timestamp")),
	       json_string_value(json_object_get(ev, "type")));
	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		const char *v = json_string_value(json_object_get(d, k[i]));
		printf(" %s", v != NULL ? v : "-");
	}
	printf("\n");
}

/*
 * swervectl_events_tail - follow GET /v1/events: the last few, then
 * whatever comes, polled twice a second, until ^C (or after max events
 * when max > 0). types: "a,b" or NULL.
 */
static int
swervectl_events_tail(const char *base, const char *types, long max, int json)
{
	char path[512];
	unsigned long long next = 0;
	bool first = true;
	long shown = 0;

	for (;;) {
		json_t *root, *arr, *ev;
		size_t i;

		snprintf(path, sizeof(path), "/v1/events?limit=%s%s%s%s%llu",
		         first ? "20" : "1000", types ? "&type=" : "",
		         types ? types : "",
		         first ? "" : "&after=", first ? 0ULL : next);
		if (first)
			path[strlen(path) - 1] = '\0'; /* the "0" */
		root = swervectl_fetch_json(base, path, 0);
		if (root == NULL)
			return 1;
		arr = json_object_get(root, "events");
		json_array_foreach(arr, i, ev)
		{
			if (json) {
				char *line = json_dumps(ev, JSON_COMPACT);
				printf("%s\n", line ? line : "{}");
				free(line);
			} else
				swervectl_event_line(ev);
			if (max > 0 && ++shown >= max) {
				json_decref(root);
				fflush(stdout);
				return 0;
			}
		}
		next = (unsigned long long)json_integer_value(
		    json_object_get(root, "next"));
		json_decref(root);
		fflush(stdout);
		first = false;
		usleep(500 * 1000);
	}
}

/* swervectl_events_dead - the dead-lettered webhook deliveries. */
static int
swervectl_events_dead(const char *base, int json)
{
	json_t *root, *x;
	size_t i;

	root = swervectl_fetch_json(base, "/v1/events/dead", json);
	if (root == NULL)
		return 1;
	if (json) {
		json_decref(root);
		return 0;
	}
	printf("%llu dead-lettered, %llu queued\n",
	       (unsigned long long)json_integer_value(
	           json_object_get(root, "dead_total")),
	       (unsigned long long)json_integer_value(
	           json_object_get(root, "queued")));
	json_array_foreach(json_object_get(root, "dead"), i, x)
	{
		const char *m =
		    json_string_value(json_object_get(x, "message_id"));
		const char *e =
		    json_string_value(json_object_get(x, "last_error"));
		printf("%s %s %-10s %s %s attempts=%lld: %s\n",
		       json_string_value(json_object_get(x, "dead_at")),
		       json_string_value(json_object_get(x, "id")),
		       json_string_value(json_object_get(x, "type")),
		       m ? m : "-",
		       json_string_value(json_object_get(x, "url")),
		       (long long)json_integer_value(
		           json_object_get(x, "attempts")),
		       e ? e : "-");
	}
	json_decref(root);
	return 0;
}

/* swervectl_readiness - GET /v1/readiness: one line per sender domain x
 * provider, its verdict and the reason. refresh: POST
 * /v1/readiness/refresh first and wait (at most 60 s) until no check
 * runs. */
static int
swervectl_readiness(const char *base, int json, int refresh)
{
	json_t *root, *x;
	size_t i;
	int tries;

	if (refresh) {
		struct buf b;

		buf_init(&b);
		tries =
		    swervectl_request(base, "/v1/readiness/refresh", true, &b);
		buf_fini(&b);
		if (tries != 0)
			return 1;
		root = NULL;
		for (tries = 0; tries < 300; tries++) {
			root = swervectl_fetch_json(base, "/v1/readiness", 0);
			if (root == NULL)
				return 1;
			if (json_integer_value(
			        json_object_get(root, "checking")) == 0)
				break;
			json_decref(root);
			root = NULL;
			usleep(200 * 1000);
		}
		if (root == NULL) {
			fprintf(stderr, "swervectl: readiness checks still "
			                "running after 60 s\n");
			return 1;
		}
		if (json) {
			json_dumpf(root, stdout, JSON_COMPACT);
			printf("\n");
		}
	} else {
		root = swervectl_fetch_json(base, "/v1/readiness", json);
	}
	if (root == NULL)
		return 1;
	if (!json) {
		if (json_array_size(json_object_get(root, "entries")) == 0)
			printf("nothing known yet about any sender domain\n");
		json_array_foreach(json_object_get(root, "entries"), i, x)
		{
			printf(
			    "%-30s %-14s %-14s %s\n",
			    json_string_value(json_object_get(x, "domain")),
			    json_string_value(json_object_get(x, "provider")),
			    json_string_value(json_object_get(x, "verdict")),
			    json_string_value(json_object_get(x, "reason")));
		}
	}
	json_decref(root);
	return 0;
}

/* swervectl_anomalies - GET /v1/anomalies: what the detector flags now,
 * then its recent changes, newest first. */
static int
swervectl_anomalies(const char *base, int json)
{
	json_t *root, *x;
	size_t i;

	root = swervectl_fetch_json(base, "/v1/anomalies", json);
	if (root == NULL)
		return 1;
	if (json) {
		json_decref(root);
		return 0;
	}
	printf(
	    "%lld signals learnt (one sample each %lld s; quiet for the "
	    "first %lld)\n",
	    (long long)json_integer_value(json_object_get(root, "signals")),
	    (long long)json_integer_value(json_object_get(root, "interval_s")),
	    (long long)json_integer_value(
	        json_object_get(root, "warmup_samples")));
	if (json_array_size(json_object_get(root, "firing")) == 0)
		printf("nothing unusual now\n");
	json_array_foreach(json_object_get(root, "firing"), i, x)
	{
		printf("FIRING since %s: %s\n",
		       json_string_value(json_object_get(x, "since")),
		       json_string_value(json_object_get(x, "text")));
	}
	json_array_foreach(json_object_get(root, "recent"), i, x)
	{
		if (i == 0)
			printf("recent changes:\n");
		printf("  %s %-8s %s\n",
		       json_string_value(json_object_get(x, "at")),
		       json_string_value(json_object_get(x, "state")),
		       json_string_value(json_object_get(x, "text")));
	}
	json_decref(root);
	return 0;
}

/* swervectl_final - a state a message never leaves. */
static bool
swervectl_final(const char *st)
{
	static const char *const final[] = {"sent", "failed", "sandboxed",
	                                    "cancelled"};

	for (size_t i = 0; st != NULL && i < sizeof(final) / sizeof(final[0]);
	     i++)
		if (strcmp(st, final[i]) == 0)
			return true;
	return false;
}

/* swervectl_scheduled - the scheduled messages: when each goes. */
static void
swervectl_scheduled(json_t *msgs)
{
	char tbuf[32];
	json_t *m;
	size_t i;

	printf("%-20s %-19s %-28s %5s\n", "id", "send at", "sender", "rcpts");
	json_array_foreach(msgs, i, m)
	{
		const char *sender =
		    json_string_value(json_object_get(m, "sender"));

		printf("%-20s %-19s %-28.28s %5lld\n",
		       json_string_value(json_object_get(m, "id")),
		       swervectl_time(json_object_get(m, "send_at_ms"), tbuf,
		                      sizeof(tbuf)),
		       sender && sender[0] ? sender : "<>",
		       (long long)json_integer_value(
		           json_object_get(m, "recipients")));
	}
}

static int
swervectl_queue(const char *base, const char *state, const char *limit,
                const char *after, int json)
{
	char path[512], tbuf[32];
	json_t *root, *msgs, *m;
	size_t i;

	snprintf(path, sizeof(path), "/v1/messages?state=%s&limit=%s%s%s",
	         state ? state : "all", limit ? limit : "100",
	         after ? "&after=" : "", after ? after : "");
	root = swervectl_fetch_json(base, path, json);
	if (root == NULL)
		return 1;
	if (json) {
		json_decref(root);
		return 0;
	}
	msgs = json_object_get(root, "messages");
	if (state != NULL && strcmp(state, "scheduled") == 0) {
		swervectl_scheduled(msgs);
		goto out;
	}
	printf("%-20s %-8s %-28s %5s %4s %-19s %s\n", "id", "state", "sender",
	       "rcpts", "att", "next attempt", "last error");
	json_array_foreach(msgs, i, m)
	{
		const char *sender =
		    json_string_value(json_object_get(m, "sender"));
		const char *le =
		    json_string_value(json_object_get(m, "last_error"));
		const char *st = json_string_value(json_object_get(m, "state"));
		bool done = swervectl_final(st);
		printf("%-20s %-8s %-28.28s %5lld %4lld %-19s %.60s\n",
		       json_string_value(json_object_get(m, "id")),
		       json_string_value(json_object_get(m, "state")),
		       sender && sender[0] ? sender : "<>",
		       (long long)json_integer_value(
		           json_object_get(m, "recipients")),
		       (long long)json_integer_value(
		           json_object_get(m, "attempts")),
		       done ? "-"
		            : swervectl_time(
		                  json_object_get(m, "next_attempt_at_ms"),
		                  tbuf, sizeof(tbuf)),
		       le ? le : "");
	}
out:
	printf("(%zu message%s)\n", json_array_size(msgs),
	       json_array_size(msgs) == 1 ? "" : "s");
	json_decref(root);
	return 0;
}

/* swervectl_outcome_print - what the provider reported of recipient v
 * (nothing before a report). */
static void
swervectl_outcome_print(json_t *v)
{
	const char *out = json_string_value(json_object_get(v, "outcome"));
	const char *bounce = json_string_value(json_object_get(v, "bounce"));
	const char *text =
	    json_string_value(json_object_get(v, "outcome_text"));
	char tbuf[64];

	if (out == NULL)
		return;
	printf("      outcome: %s%s%s at %s%s%s\n", out, bounce ? " " : "",
	       bounce ? bounce : "",
	       swervectl_time(json_object_get(v, "outcome_at_ms"), tbuf,
	                      sizeof(tbuf)),
	       text ? ": " : "", text ? text : "");
}

/* swervectl_events_print - the provider events of a message, if any. */
static void
swervectl_events_print(json_t *events)
{
	json_t *v;
	size_t i;
	char tbuf[64];

	if (json_array_size(events) == 0)
		return;
	printf("events:\n");
	json_array_foreach(events, i, v)
	{
		const char *rcpt =
		    json_string_value(json_object_get(v, "recipient"));
		const char *diag =
		    json_string_value(json_object_get(v, "diagnostic"));
		printf("  %s  %-12s %-12s %s%s%s\n",
		       swervectl_time(json_object_get(v, "at_ms"), tbuf,
		                      sizeof(tbuf)),
		       json_string_value(json_object_get(v, "provider")),
		       json_string_value(json_object_get(v, "type")),
		       rcpt ? rcpt : "-", diag ? "  " : "", diag ? diag : "");
	}
}

static int
swervectl_show(const char *base, const char *id, int json)
{
	char path[256], tbuf[32];
	json_t *m, *v;
	size_t i;

	snprintf(path, sizeof(path), "/v1/messages/%s", id);
	m = swervectl_fetch_json(base, path, json);
	if (m == NULL)
		return 1;
	if (json) {
		json_decref(m);
		return 0;
	}
	printf("id:        %s\n", json_string_value(json_object_get(m, "id")));
	printf("state:     %s\n",
	       json_string_value(json_object_get(m, "state")));
	printf("sender:    <%s>\n",
	       json_string_value(json_object_get(m, "sender")));
	printf("size:      %lld bytes\n",
	       (long long)json_integer_value(json_object_get(m, "size")));
	printf("accepted:  %s\n",
	       swervectl_time(json_object_get(m, "created_at_ms"), tbuf,
	                      sizeof(tbuf)));
	if (json_is_integer(json_object_get(m, "send_at_ms")))
		printf("send at:   %s\n",
		       swervectl_time(json_object_get(m, "send_at_ms"), tbuf,
		                      sizeof(tbuf)));
	else if (!swervectl_final(
	             json_string_value(json_object_get(m, "state"))))
		printf("next try:  %s\n",
		       swervectl_time(json_object_get(m, "next_attempt_at_ms"),
		                      tbuf, sizeof(tbuf)));
	v = json_object_get(m, "meta");
	if (json_object_size(v) > 0) {
		char *s = json_dumps(v, JSON_COMPACT);
		printf("meta:      %s\n", s ? s : "?");
		free(s);
	}
	printf("recipients:\n");
	json_array_foreach(json_object_get(m, "rcpts"), i, v)
	{
		const char *prov =
		    json_string_value(json_object_get(v, "provider"));
		const char *pid = json_string_value(
		    json_object_get(v, "provider_message_id"));
		const char *rep =
		    json_string_value(json_object_get(v, "last_reply"));
		printf("  %-32s %-8s %s%s%s\n",
		       json_string_value(json_object_get(v, "address")),
		       json_string_value(json_object_get(v, "state")),
		       prov ? prov : "", pid ? " id=" : "", pid ? pid : "");
		if (rep)
			printf("      %s\n", rep);
		swervectl_outcome_print(v);
	}
	printf("attempts:\n");
	json_array_foreach(json_object_get(m, "attempts_detail"), i, v)
	{
		const char *rep =
		    json_string_value(json_object_get(v, "reply"));
		const char *na =
		    json_string_value(json_object_get(v, "not_applied"));
		printf("  %s  %-12s %-9s %5lld ms  %s\n",
		       swervectl_time(json_object_get(v, "at_ms"), tbuf,
		                      sizeof(tbuf)),
		       json_string_value(json_object_get(v, "provider")),
		       json_string_value(json_object_get(v, "result")),
		       (long long)json_integer_value(
		           json_object_get(v, "duration_ms")),
		       rep ? rep : "");
		if (na != NULL)
			printf("      %s\n", na);
	}
	if (json_array_size(json_object_get(m, "attempts_detail")) == 0)
		printf("  (none yet)\n");
	swervectl_events_print(json_object_get(m, "events"));
	json_decref(m);
	return 0;
}

/* swervectl_trace - each attempt's provider and the router's reasons. */
static int
swervectl_trace(const char *base, const char *id)
{
	char path[256], tbuf[32];
	json_t *m, *v;
	size_t i;

	snprintf(path, sizeof(path), "/v1/messages/%s", id);
	m = swervectl_fetch_json(base, path, 0);
	if (m == NULL)
		return 1;
	printf("%s (%s, stream %s)\n",
	       json_string_value(json_object_get(m, "id")),
	       json_string_value(json_object_get(m, "state")),
	       json_string_value(json_object_get(m, "stream"))
	           ? json_string_value(json_object_get(m, "stream"))
	           : "transactional");
	json_array_foreach(json_object_get(m, "attempts_detail"), i, v)
	{
		const char *tr = json_string_value(json_object_get(v, "trace"));
		const char *rep =
		    json_string_value(json_object_get(v, "reply"));
		printf("attempt %zu at %s: %s -> %s%s%s\n", i + 1,
		       swervectl_time(json_object_get(v, "at_ms"), tbuf,
		                      sizeof(tbuf)),
		       json_string_value(json_object_get(v, "provider")),
		       json_string_value(json_object_get(v, "result")),
		       rep ? ": " : "", rep ? rep : "");
		const char *na =
		    json_string_value(json_object_get(v, "not_applied"));
		printf("  why: %s\n", tr ? tr : "(no trace recorded)");
		if (na != NULL)
			printf("  %s\n", na);
	}
	if (json_array_size(json_object_get(m, "attempts_detail")) == 0)
		printf("no attempts yet\n");
	json_decref(m);
	return 0;
}

/* swervectl_provider - pause / resume / drain NAME [--for D]. */
static int
swervectl_provider(const char *base, const char *verb, const char *name,
                   const char *dur, int json)
{
	char path[512];
	struct buf body;
	json_t *o;
	int rc = 1;

	if (strcmp(verb, "pause") != 0 && strcmp(verb, "resume") != 0 &&
	    strcmp(verb, "drain") != 0) {
		fprintf(stderr,
		        "swervectl: provider: expected pause, resume "
		        "or drain; got '%s'\n",
		        verb);
		return 2;
	}
	snprintf(path, sizeof(path), "/v1/providers/%s/%s%s%s", name, verb,
	         dur ? "?for=" : "", dur ? dur : "");
	buf_init(&body);
	if (swervectl_request(base, path, true, &body) != 0)
		goto out;
	if (json) {
		fwrite(body.p, 1, body.len, stdout);
		rc = 0;
		goto out;
	}
	o = json_loadb(body.p, body.len, 0, NULL);
	printf("%s: %s\n", name,
	       o ? json_string_value(json_object_get(o, "state")) : "?");
	json_decref(o);
	rc = 0;
out:
	buf_fini(&body);
	return rc;
}

/*
 * swervectl_spool - `spool check`, `spool backup FILE`, `spool export
 * FILE` and `spool import FILE`: on the files, not through the daemon
 * (see spool/spool_tool.h and spool/spool_export.h for why).
 */
static int
swervectl_spool(const char *path, const char *dir, int argc, char **argv)
{
	char err[CONFIG_ERR_SIZE];
	struct config *cfg = NULL;
	int rc = 2;

	if (dir == NULL) {
		cfg = path ? config_load_file(path, err, sizeof(err))
		           : config_defaults();
		if (cfg == NULL) {
			fprintf(stderr, "swervectl: %s\n", err);
			return 2;
		}
		dir = cfg->spool_dir;
	}
	if (argc == 1 && strcmp(argv[0], "check") == 0)
		rc = spool_tool_check(dir, stdout);
	else if (argc == 2 && strcmp(argv[0], "backup") == 0)
		rc = spool_tool_backup(dir, argv[1], stdout);
	else if (argc == 2 && strcmp(argv[0], "export") == 0)
		rc = spool_export_write(dir, argv[1], stdout);
	else if (argc == 2 && strcmp(argv[0], "import") == 0)
		rc = spool_export_import(dir, argv[1], stdout);
	else
		swervectl_usage(stderr);
	config_free(cfg);
	return rc;
}

/* swervectl_confirm_write - keep up to 64 KiB of the answer. */
static size_t
swervectl_confirm_write(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (b->len + size * n > 65536)
		return 0;
	buf_add(b, p, size * n);
	return size * n;
}

/*
 * swervectl_events_confirm - follow provider's SNS SubscribeURL url, as
 * swerved does with events.auto_confirm: only when the URL passes the
 * same pin (https, sns.<region>.amazonaws.com or the test
 * sns_cert_host, ConfirmSubscription), without redirects, the server
 * checked against the system trust store or sns_trust_anchor. 0 when
 * SNS answered 200.
 */
static int
swervectl_events_confirm(const char *path, const char *name, const char *url)
{
	char err[CONFIG_ERR_SIZE];
	const struct config_provider *p = NULL;
	struct config *cfg;
	struct buf body;
	CURL *c;
	CURLcode cc;
	long status = 0;
	size_t i;
	int rc = 1;

	if (path == NULL) {
		fprintf(stderr, "swervectl: events confirm needs -c FILE\n");
		return 2;
	}
	if ((cfg = config_load_file(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "swervectl: %s\n", err);
		return 2;
	}
	for (i = 0; i < cfg->n_providers; i++)
		if (strcmp(cfg->providers[i].name, name) == 0)
			p = &cfg->providers[i];
	if (p == NULL || strcmp(p->type, "ses") != 0 || !p->events.configured) {
		fprintf(stderr,
		        "swervectl: %s is not a provider of type ses with "
		        "events\n",
		        name);
		config_free(cfg);
		return 2;
	}
	if (!feedback_sns_url_check(url, strlen(url), p->events.sns_cert_host,
	                            FEEDBACK_SNS_URL_SUBSCRIBE, err,
	                            sizeof(err))) {
		fprintf(stderr, "swervectl: refused: %s\n", err);
		config_free(cfg);
		return 1;
	}
	buf_init(&body);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, swervectl_confirm_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	if (p->events.sns_trust_anchor != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, p->events.sns_trust_anchor);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK)
		fprintf(stderr, "swervectl: %s\n", curl_easy_strerror(cc));
	else if (status != 200)
		fprintf(stderr, "swervectl: SNS answered HTTP %ld\n", status);
	else {
		printf("%s: subscription confirmed\n", name);
		rc = 0;
	}
	curl_easy_cleanup(c);
	curl_global_cleanup();
	buf_fini(&body);
	config_free(cfg);
	return rc;
}

/* --- suppression ------------------------------------------------------ */

/* What a suppression command was given besides its words. */
struct swervectl_supp {
	const char *tenant; /* --tenant; NULL: "" (mail with no tenant) */
	const char *reason; /* --reason */
	const char *limit, *after;
	int json;
};

/* swervectl_supp_path - "/v1/suppressions[/ADDR]?tenant=T[&...]". */
static void
swervectl_supp_path(const struct swervectl_supp *o, const char *addr,
                    const char *after, char *out, size_t n)
{
	char *t = curl_easy_escape(NULL, o->tenant ? o->tenant : "", 0);
	char *a = addr ? curl_easy_escape(NULL, addr, 0) : NULL;
	char *af = after ? curl_easy_escape(NULL, after, 0) : NULL;

	snprintf(out, n, "/v1/suppressions%s%s?tenant=%s%s%s%s%s%s%s",
	         a ? "/" : "", a ? a : "", t ? t : "",
	         o->reason && !addr ? "&reason=" : "",
	         o->reason && !addr ? o->reason : "", af ? "&after=" : "",
	         af ? af : "", o->limit && !addr ? "&limit=" : "",
	         o->limit && !addr ? o->limit : "");
	curl_free(t);
	curl_free(a);
	curl_free(af);
}

/* swervectl_supp_call - method on path with json; 0, or -1 said. */
static int
swervectl_supp_call(const char *base, const char *path, const char *method,
                    const char *json, struct buf *out)
{
	char url[2600], cerr[CURL_ERROR_SIZE] = "";
	long code;

	snprintf(url, sizeof(url), "%s%s", base, path);
	code = swervectl_perform(url, method, json, out, cerr);
	if (code == 200)
		return 0;
	if (code < 0)
		fprintf(stderr, "swervectl: %s: %s (is swerved running?)\n",
		        url, cerr);
	else
		fprintf(stderr, "swervectl: %s: HTTP %ld: %.*s\n", url, code,
		        (int)out->len, out->p ? out->p : "");
	return -1;
}

/* swervectl_supp_entry - a JSON entry as struct suppress_entry. */
static void
swervectl_supp_entry(json_t *o, struct suppress_entry *e)
{
	json_t *x = json_object_get(o, "expires_at_ms");
	int r = suppress_reason_parse(
	    json_string_value(json_object_get(o, "reason")));

	memset(e, 0, sizeof(*e));
	snprintf(e->address, sizeof(e->address), "%s",
	         json_string_value(json_object_get(o, "address"))
	             ? json_string_value(json_object_get(o, "address"))
	             : "");
	e->reason = r < 0 ? SUPPRESS_MANUAL : (enum suppress_reason)r;
	snprintf(e->provider, sizeof(e->provider), "%s",
	         json_string_value(json_object_get(o, "provider"))
	             ? json_string_value(json_object_get(o, "provider"))
	             : "");
	e->created_ms =
	    (int64_t)json_integer_value(json_object_get(o, "created_at_ms"));
	e->expires_ms = json_is_integer(x) ? (int64_t)json_integer_value(x) : 0;
}

/*
 * swervectl_supp_list - list: one page (export: every page) as CSV on
 * stdout, or the daemon's JSON with --json.
 */
static int
swervectl_supp_list(const char *base, const struct swervectl_supp *o, bool all)
{
	char path[1500], after[SUPPRESS_ADDR_MAX] = "";
	struct suppress_entry e;
	struct buf body, csv;
	json_t *j, *arr, *next;
	bool more;
	size_t i;
	int rc = 0;

	buf_init(&csv);
	suppress_csv_header(&csv);
	for (;;) {
		buf_init(&body);
		swervectl_supp_path(o, NULL, after[0] ? after : o->after, path,
		                    sizeof(path));
		if (swervectl_supp_call(base, path, NULL, NULL, &body) != 0) {
			buf_fini(&body);
			rc = 1;
			break;
		}
		if (o->json && !all) {
			printf("%.*s\n", (int)body.len, body.p);
			buf_fini(&body);
			break;
		}
		j = json_loadb(body.p, body.len, 0, NULL);
		buf_fini(&body);
		arr = json_object_get(j, "suppressions");
		for (i = 0; i < json_array_size(arr); i++) {
			swervectl_supp_entry(json_array_get(arr, i), &e);
			suppress_csv_row(&csv, &e);
		}
		next = json_object_get(j, "next");
		more = json_is_string(next);
		if (more)
			snprintf(after, sizeof(after), "%s",
			         json_string_value(next));
		json_decref(j);
		if (!all || !more) {
			if (!all && more)
				fprintf(stderr, "next page: --after %s\n",
				        after);
			break;
		}
	}
	if (rc == 0 && !(o->json && !all))
		fwrite(csv.p, 1, csv.len, stdout);
	buf_fini(&csv);
	return rc;
}

/* swervectl_supp_post - POST e[0..n) in requests of 1000. */
static int
swervectl_supp_post(const char *base, const struct swervectl_supp *o,
                    const struct suppress_entry *e, size_t n)
{
	char path[1500];
	size_t i, k;
	json_t *arr;
	char *text;
	struct buf body;
	int rc = 0;

	swervectl_supp_path(o, NULL, NULL, path, sizeof(path));
	for (i = 0; i < n && rc == 0; i += k) {
		arr = json_array();
		for (k = 0; k < 1000 && i + k < n; k++) {
			const struct suppress_entry *x = &e[i + k];
			json_array_append_new(
			    arr,
			    json_pack(
			        "{s:s,s:s,s:s,s:I,s:o}", "address", x->address,
			        "reason", suppress_reason_name(x->reason),
			        "provider", x->provider, "created_at_ms",
			        (json_int_t)x->created_ms, "expires_at_ms",
			        x->expires_ms ? json_integer(x->expires_ms)
			                      : json_null()));
		}
		arr = json_pack("{s:o}", "suppressions", arr);
		text = json_dumps(arr, JSON_COMPACT);
		json_decref(arr);
		buf_init(&body);
		rc = swervectl_supp_call(base, path, "POST", text, &body);
		buf_fini(&body);
		free(text);
	}
	return rc;
}

/* swervectl_supp_import - a CSV file (or "-"), all rows or none. */
static int
swervectl_supp_import(const char *base, const struct swervectl_supp *o,
                      const char *file)
{
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	struct suppress_entry *e = NULL;
	char chunk[65536], err[2048];
	struct buf in;
	size_t n, got;
	int rc;

	if (f == NULL) {
		fprintf(stderr, "swervectl: %s: %s\n", file, strerror(errno));
		return 1;
	}
	buf_init(&in);
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&in, chunk, got);
	if (f != stdin)
		fclose(f);
	rc = suppress_csv_parse(in.p ? in.p : "", in.len, clock_wall_ms(), &e,
	                        &n, err, sizeof(err));
	buf_fini(&in);
	if (rc != 0) {
		fprintf(stderr, "swervectl: %s: nothing imported: %s\n", file,
		        err);
		return 1;
	}
	rc = swervectl_supp_post(base, o, e, n) == 0 ? 0 : 1;
	if (rc == 0)
		printf("imported %zu entries\n", n);
	free(e);
	return rc;
}

/*
 * swervectl_supp_from_provider - import --from-provider NAME: NAME's own
 * suppression list, read through its API with the configuration's
 * endpoint and credentials, posted like a CSV import (insert or replace,
 * so a second import changes nothing).
 */
static int
swervectl_supp_from_provider(const char *base, const struct swervectl_supp *o,
                             const char *cfg_path, const char *name)
{
	const struct config_provider *p = NULL;
	struct supplist l = {0};
	struct config *cfg;
	char err[2048];
	size_t i;
	int rc;

	if (cfg_path == NULL) {
		fprintf(stderr, "swervectl: import --from-provider needs -c "
		                "CONFIG (the provider's credentials)\n");
		return 2;
	}
	cfg = config_load_file(cfg_path, err, sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr, "swervectl: %s\n", err);
		return 2;
	}
	for (i = 0; i < cfg->n_providers; i++)
		if (strcmp(cfg->providers[i].name, name) == 0)
			p = &cfg->providers[i];
	if (p == NULL) {
		fprintf(stderr, "swervectl: no provider named %s in %s\n", name,
		        cfg_path);
		config_free(cfg);
		return 2;
	}
	rc = supplist_fetch(p, &l, err, sizeof(err));
	config_free(cfg);
	if (rc != 0) {
		fprintf(stderr, "swervectl: import --from-provider %s: %s%s\n",
		        name, rc == -1 ? "nothing imported: " : "", err);
		free(l.e);
		return rc == -1 ? 1 : 2;
	}
	rc = l.n == 0 || swervectl_supp_post(base, o, l.e, l.n) == 0 ? 0 : 1;
	if (rc == 0)
		printf("imported %zu entries from %s\n", l.n, name);
	free(l.e);
	return rc;
}

/*
 * swervectl_suppression - suppression list|add|remove|import|export.
 * argv[0] is the verb.
 */
static int
swervectl_suppression(const char *base, const struct swervectl_supp *o,
                      int argc, char **argv, const char *from_provider,
                      const char *cfg_path)
{
	struct suppress_entry e;
	char path[1500];
	struct buf body;
	int r, rc;

	if (argc < 1)
		goto usage;
	if (strcmp(argv[0], "list") == 0)
		return swervectl_supp_list(base, o, false);
	if (strcmp(argv[0], "export") == 0)
		return swervectl_supp_list(base, o, true);
	if (strcmp(argv[0], "import") == 0 && from_provider != NULL)
		return swervectl_supp_from_provider(base, o, cfg_path,
		                                    from_provider);
	if (strcmp(argv[0], "import") == 0 && argc == 2)
		return swervectl_supp_import(base, o, argv[1]);
	if (strcmp(argv[0], "add") == 0 && argc == 2) {
		memset(&e, 0, sizeof(e));
		r = o->reason ? suppress_reason_parse(o->reason)
		              : SUPPRESS_MANUAL;
		if (r < 0 || suppress_addr_store(argv[1], e.address,
		                                 sizeof(e.address)) < 0) {
			fprintf(stderr, "swervectl: %s\n",
			        r < 0 ? "unknown --reason" : "not an address");
			return 2;
		}
		e.reason = (enum suppress_reason)r;
		e.created_ms = clock_wall_ms();
		rc = swervectl_supp_post(base, o, &e, 1) == 0 ? 0 : 1;
		if (rc == 0)
			printf("%s: suppressed (%s)\n", e.address,
			       suppress_reason_name(e.reason));
		return rc;
	}
	if (strcmp(argv[0], "remove") == 0 && argc == 2) {
		swervectl_supp_path(o, argv[1], NULL, path, sizeof(path));
		buf_init(&body);
		rc = swervectl_supp_call(base, path, "DELETE", NULL, &body) == 0
		         ? 0
		         : 1;
		buf_fini(&body);
		if (rc == 0)
			printf("%s: removed\n", argv[1]);
		return rc;
	}
usage:
	fprintf(stderr, "swervectl: suppression list|export|add ADDRESS|"
	                "remove ADDRESS|import FILE\n");
	return 2;
}

/*
 * swervectl_status_page_export - every file of the public status page
 * (GET /v1/status-page/export: one model, so the files agree) written
 * into dir (status/status_export.h). 0, or 1 with a message.
 */
static int
swervectl_status_page_export(const char *base, const char *dir)
{
	struct status_export_file *files = NULL;
	char err[512];
	struct buf body;
	size_t n = 0, i;
	int rc = 1;

	buf_init(&body);
	if (swervectl_get(base, "/v1/status-page/export", &body) != 0)
		goto done;
	if (status_export_parse(body.p ? body.p : "", body.len, &files, &n, err,
	                        sizeof(err)) != 0 ||
	    status_export_write(dir, files, n, err, sizeof(err)) != 0) {
		fprintf(stderr, "swervectl: status-page %s\n", err);
		goto done;
	}
	for (i = 0; i < n; i++)
		printf("%s/%s (%zu bytes)\n", dir, files[i].file->path,
		       files[i].len);
	rc = 0;
done:
	status_export_free(files, n);
	buf_fini(&body);
	return rc;
}

/*
 * swervectl_fleet - status --fleet: GET /v1/fleet as a table (every node
 * of the cluster as the daemon asked sees it), or its JSON with --json.
 * 0, or 1 (printed why).
 */
static int
swervectl_fleet(const char *base, int json)
{
	json_t *root = NULL, *nodes, *n;
	size_t i;
	int rc = swervectl_fetch(base, "/v1/fleet", json, &root);

	if (rc <= 0)
		return rc < 0 ? 1 : 0;
	printf("fleet seen by %s: Redis %s%s%s, %lld node(s) alive\n",
	       json_string_value(json_object_get(root, "node")),
	       json_string_value(json_object_get(root, "redis")),
	       json_string_length(json_object_get(root, "master")) ? " at "
	                                                           : "",
	       json_string_value(json_object_get(root, "master")),
	       (long long)json_integer_value(
	           json_object_get(root, "nodes_alive")));
	printf("%-20s %-10s %8s %8s %14s  %s\n", "NODE", "VERSION", "QUEUE",
	       "INFLIGHT", "LAST HEARTBEAT", "STATE");
	nodes = json_object_get(root, "nodes");
	json_array_foreach(nodes, i, n)
	{
		printf(
		    "%-20s %-10s %8lld %8lld %11.1f s  %s%s\n",
		    json_string_value(json_object_get(n, "node")),
		    json_string_value(json_object_get(n, "version")),
		    (long long)json_integer_value(json_object_get(n, "queue")),
		    (long long)json_integer_value(
		        json_object_get(n, "inflight")),
		    (double)json_integer_value(
		        json_object_get(n, "last_heartbeat_ms")) /
		        1000.0,
		    json_is_true(json_object_get(n, "alive")) ? "alive"
		                                              : "gone",
		    json_is_true(json_object_get(n, "self")) ? " (this node)"
		                                             : "");
	}
	json_decref(root);
	return 0;
}

/* --- templates -------------------------------------------------------- */

/* What a template command was given besides its words. */
struct swervectl_tmpl {
	const char *tenant; /* --tenant; NULL: "" */
	const char *dialect, *subject, *html, *text, *data, *version;
	const char *limit, *after;
	int no_activate;
	int json;
};

/* swervectl_tmpl_path - "/v1/templates[/NAME[SUB]]?tenant=T[EXTRA]". */
static void
swervectl_tmpl_path(const struct swervectl_tmpl *o, const char *name,
                    const char *sub, const char *extra, char *out, size_t n)
{
	char *t = curl_easy_escape(NULL, o->tenant ? o->tenant : "", 0);
	char *e = name ? curl_easy_escape(NULL, name, 0) : NULL;

	snprintf(out, n, "/v1/templates%s%s%s?tenant=%s%s", e ? "/" : "",
	         e ? e : "", sub ? sub : "", t ? t : "", extra ? extra : "");
	curl_free(t);
	curl_free(e);
}

/* swervectl_tmpl_call - method on path with json into a JSON answer
 * (caller decrefs), or NULL said. */
static json_t *
swervectl_tmpl_call(const char *base, const char *path, const char *method,
                    const char *json)
{
	char url[2600], cerr[CURL_ERROR_SIZE] = "";
	struct buf out;
	json_t *j = NULL;
	long code;

	buf_init(&out);
	snprintf(url, sizeof(url), "%s%s", base, path);
	code = swervectl_perform(url, method, json, &out, cerr);
	if (code < 0)
		fprintf(stderr, "swervectl: %s: %s (is swerved running?)\n",
		        url, cerr);
	else if (code < 200 || code > 299)
		fprintf(stderr, "swervectl: HTTP %ld: %.*s\n", code,
		        (int)out.len, out.p ? out.p : "");
	else
		j = json_loadb(out.p ? out.p : "", out.len, 0, NULL);
	buf_fini(&out);
	return j;
}

/* swervectl_slurp - a file's bytes ("-": stdin) into out; -1 said. */
static int
swervectl_slurp(const char *file, struct buf *out)
{
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	char chunk[65536];
	size_t got;

	if (f == NULL) {
		fprintf(stderr, "swervectl: %s: %s\n", file, strerror(errno));
		return -1;
	}
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(out, chunk, got);
	if (f != stdin)
		fclose(f);
	buf_cstr(out);
	return 0;
}

/* swervectl_tmpl_str - o[k] as a string ("" when not one). */
static const char *
swervectl_tmpl_str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

/* swervectl_tmpl_print - a version: a header line, then each part. */
static void
swervectl_tmpl_print(json_t *v)
{
	static const char *const parts[] = {"subject", "html", "text"};
	size_t i;

	printf("%s version %lld%s (%s)\n", swervectl_tmpl_str(v, "name"),
	       (long long)json_integer_value(json_object_get(v, "version")),
	       json_is_true(json_object_get(v, "active")) ? ", active" : "",
	       swervectl_tmpl_str(v, "dialect"));
	for (i = 0; i < 3; i++)
		if (json_is_string(json_object_get(v, parts[i])))
			printf("--- %s\n%s\n", parts[i],
			       swervectl_tmpl_str(v, parts[i]));
}

/* swervectl_tmpl_get - one version (version NULL: the active one). */
static json_t *
swervectl_tmpl_get(const char *base, const struct swervectl_tmpl *o,
                   const char *name, const char *version)
{
	char path[1500], extra[64] = "";

	if (version != NULL)
		snprintf(extra, sizeof(extra), "&version=%.20s", version);
	swervectl_tmpl_path(o, name, NULL, extra, path, sizeof(path));
	return swervectl_tmpl_call(base, path, NULL, NULL);
}

/* swervectl_lines - s cut into lines (pointers into s, NULs written). */
static char **
swervectl_lines(char *s, size_t *n)
{
	char **v = NULL, *p = s, *nl;
	size_t cap = 0;

	*n = 0;
	while (p != NULL && *p != '\0') {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[(*n)++] = p;
		nl = strchr(p, '\n');
		if (nl != NULL)
			*nl++ = '\0';
		p = nl;
	}
	return v;
}

/*
 * swervectl_diff_part - print a line diff of a and b (longest common
 * subsequence; "-" a's lines, "+" b's, " " both). 1 when they differ.
 */
static int
swervectl_diff_part(const char *part, const char *a, const char *b)
{
	char *ca = xstrdup(a), *cb = xstrdup(b);
	size_t na, nb, i, j;
	char **la = swervectl_lines(ca, &na), **lb = swervectl_lines(cb, &nb);
	unsigned *t;
	int differ = strcmp(a, b) != 0;

	if (differ && (na + 1) * (nb + 1) > 4000000) {
		printf("--- %s: differs (too long to show line by line)\n",
		       part);
	} else if (differ) {
		t = xcalloc((na + 1) * (nb + 1), sizeof(*t));
		for (i = na; i-- > 0;)
			for (j = nb; j-- > 0;)
				t[i * (nb + 1) + j] =
				    strcmp(la[i], lb[j]) == 0
				        ? t[(i + 1) * (nb + 1) + j + 1] + 1
				    : t[(i + 1) * (nb + 1) + j] >
				            t[i * (nb + 1) + j + 1]
				        ? t[(i + 1) * (nb + 1) + j]
				        : t[i * (nb + 1) + j + 1];
		printf("--- %s\n", part);
		for (i = 0, j = 0; i < na || j < nb;) {
			if (i < na && j < nb && strcmp(la[i], lb[j]) == 0) {
				printf(" %s\n", la[i++]);
				j++;
			} else if (j < nb &&
			           (i == na || t[i * (nb + 1) + j + 1] >=
			                           t[(i + 1) * (nb + 1) + j]))
				printf("+%s\n", lb[j++]);
			else
				printf("-%s\n", la[i++]);
		}
		free(t);
	}
	free(la);
	free(lb);
	free(ca);
	free(cb);
	return differ;
}

/* swervectl_tmpl_diff - diff NAME V1 [V2]: 0 same, 1 different, 2 error. */
static int
swervectl_tmpl_diff(const char *base, const struct swervectl_tmpl *o,
                    const char *name, const char *v1, const char *v2)
{
	static const char *const parts[] = {"subject", "html", "text"};
	json_t *a = swervectl_tmpl_get(base, o, name, v1);
	json_t *b = a != NULL ? swervectl_tmpl_get(base, o, name, v2) : NULL;
	int differ = 0;
	size_t i;

	if (a == NULL || b == NULL) {
		json_decref(a);
		return 2;
	}
	printf("%s: version %lld -> %lld\n", name,
	       (long long)json_integer_value(json_object_get(a, "version")),
	       (long long)json_integer_value(json_object_get(b, "version")));
	if (strcmp(swervectl_tmpl_str(a, "dialect"),
	           swervectl_tmpl_str(b, "dialect")) != 0) {
		printf("--- dialect\n-%s\n+%s\n",
		       swervectl_tmpl_str(a, "dialect"),
		       swervectl_tmpl_str(b, "dialect"));
		differ = 1;
	}
	for (i = 0; i < 3; i++)
		differ |= swervectl_diff_part(parts[i],
		                              swervectl_tmpl_str(a, parts[i]),
		                              swervectl_tmpl_str(b, parts[i]));
	if (!differ)
		printf("same\n");
	json_decref(a);
	json_decref(b);
	return differ;
}

/* swervectl_tmpl_put - put NAME: a new version from the options. */
static int
swervectl_tmpl_put(const char *base, const struct swervectl_tmpl *o,
                   const char *name)
{
	struct buf html, text;
	json_t *req = json_object(), *j;
	char path[1500], *body;
	int rc = 1;

	buf_init(&html);
	buf_init(&text);
	if ((o->html != NULL && swervectl_slurp(o->html, &html) < 0) ||
	    (o->text != NULL && swervectl_slurp(o->text, &text) < 0))
		goto out;
	if (o->dialect != NULL)
		json_object_set_new(req, "dialect", json_string(o->dialect));
	if (o->subject != NULL)
		json_object_set_new(req, "subject", json_string(o->subject));
	if (o->html != NULL)
		json_object_set_new(req, "html",
		                    json_stringn(html.p, html.len));
	if (o->text != NULL)
		json_object_set_new(req, "text",
		                    json_stringn(text.p, text.len));
	json_object_set_new(req, "activate", json_boolean(!o->no_activate));
	body = json_dumps(req, JSON_COMPACT);
	swervectl_tmpl_path(o, name, NULL, NULL, path, sizeof(path));
	j = swervectl_tmpl_call(base, path, "POST", body);
	free(body);
	if (j != NULL) {
		printf("%s: version %lld stored%s\n", name,
		       (long long)json_integer_value(
		           json_object_get(j, "version")),
		       o->no_activate ? "" : ", active");
		rc = 0;
	}
	json_decref(j);
out:
	json_decref(req);
	buf_fini(&html);
	buf_fini(&text);
	return rc;
}

/* swervectl_tmpl_render - render NAME with --data FILE. */
static int
swervectl_tmpl_render(const char *base, const struct swervectl_tmpl *o,
                      const char *name)
{
	json_t *req = json_object(), *data = NULL, *j;
	json_error_t jerr;
	char path[1500], *body;
	struct buf in;

	buf_init(&in);
	if (o->data != NULL) {
		if (swervectl_slurp(o->data, &in) < 0)
			goto fail;
		data = json_loadb(in.p, in.len, 0, &jerr);
		if (!json_is_object(data)) {
			fprintf(stderr,
			        "swervectl: %s: not a JSON object: %s\n",
			        o->data, jerr.text);
			json_decref(data);
			goto fail;
		}
		json_object_set_new(req, "data", data);
	}
	if (o->version != NULL)
		json_object_set_new(req, "version",
		                    json_integer(strtol(o->version, NULL, 10)));
	body = json_dumps(req, JSON_COMPACT);
	swervectl_tmpl_path(o, name, "/render", NULL, path, sizeof(path));
	j = swervectl_tmpl_call(base, path, "POST", body);
	free(body);
	buf_fini(&in);
	json_decref(req);
	if (j == NULL)
		return 1;
	if (o->json)
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	else
		swervectl_tmpl_print(j);
	json_decref(j);
	return 0;
fail:
	buf_fini(&in);
	json_decref(req);
	return 2;
}

/* swervectl_tmpl_list - list: every template's active version. */
static int
swervectl_tmpl_list(const char *base, const struct swervectl_tmpl *o)
{
	char path[1500], extra[600] = "";
	json_t *j, *v, *arr;
	size_t i;

	snprintf(extra, sizeof(extra), "%s%.20s%s%.300s",
	         o->limit ? "&limit=" : "", o->limit ? o->limit : "",
	         o->after ? "&after=" : "", o->after ? o->after : "");
	swervectl_tmpl_path(o, NULL, NULL, extra, path, sizeof(path));
	j = swervectl_tmpl_call(base, path, NULL, NULL);
	if (j == NULL)
		return 1;
	if (o->json) {
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("\n");
	} else {
		arr = json_object_get(j, "templates");
		for (i = 0; i < json_array_size(arr); i++) {
			v = json_array_get(arr, i);
			printf("%-32s v%-4lld %-10s %s\n",
			       swervectl_tmpl_str(v, "name"),
			       (long long)json_integer_value(
			           json_object_get(v, "version")),
			       swervectl_tmpl_str(v, "dialect"),
			       swervectl_tmpl_str(v, "subject"));
		}
	}
	json_decref(j);
	return 0;
}

/* swervectl_tmpl_show - show NAME: a version and the list of versions. */
static int
swervectl_tmpl_show(const char *base, const struct swervectl_tmpl *o,
                    const char *name)
{
	char path[1500];
	json_t *j = swervectl_tmpl_get(base, o, name, o->version), *vs, *v,
	       *arr;
	size_t i;

	if (j == NULL)
		return 1;
	if (o->json) {
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("\n");
		json_decref(j);
		return 0;
	}
	swervectl_tmpl_print(j);
	json_decref(j);
	swervectl_tmpl_path(o, name, "/versions", NULL, path, sizeof(path));
	vs = swervectl_tmpl_call(base, path, NULL, NULL);
	if (vs == NULL)
		return 1;
	printf("versions:\n");
	arr = json_object_get(vs, "templates");
	for (i = 0; i < json_array_size(arr); i++) {
		v = json_array_get(arr, i);
		printf("  v%-4lld%s %s\n",
		       (long long)json_integer_value(
		           json_object_get(v, "version")),
		       json_is_true(json_object_get(v, "active")) ? " active"
		                                                  : "       ",
		       swervectl_tmpl_str(v, "subject"));
	}
	json_decref(vs);
	return 0;
}

/*
 * swervectl_tmpl_import - import --from-provider NAME: NAME's own
 * templates (providers/tmpllist.h) stored as new versions, each active;
 * one line per template (its version, or why it was skipped or failed)
 * and a total. Exit 1 when any failed.
 */
static int
swervectl_tmpl_import(const char *base, const struct swervectl_tmpl *o,
                      const char *cfg_path, const char *name)
{
	static const char *const keys[] = {"subject", "html", "text"};
	const struct config_provider *p = NULL;
	struct tmpllist_result res;
	struct tmpl_version *v;
	struct config *cfg;
	char err[2048], path[1500], *body;
	size_t i, done = 0, skipped = 0, failed = 0;
	json_t *req, *j;
	int rc, k;

	if (cfg_path == NULL) {
		fprintf(stderr, "swervectl: import --from-provider needs -c "
		                "CONFIG (the provider's credentials)\n");
		return 2;
	}
	if ((cfg = config_load_file(cfg_path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "swervectl: %s\n", err);
		return 2;
	}
	for (i = 0; i < cfg->n_providers; i++)
		if (strcmp(cfg->providers[i].name, name) == 0)
			p = &cfg->providers[i];
	if (p == NULL) {
		fprintf(stderr, "swervectl: no provider named %s in %s\n", name,
		        cfg_path);
		config_free(cfg);
		return 2;
	}
	rc = tmpllist_fetch_result(p, &res, err, sizeof(err));
	config_free(cfg);
	if (rc != 0) {
		fprintf(stderr, "swervectl: template import %s: %s%s\n", name,
		        rc < 0 ? "nothing imported: " : "", err);
		return rc < 0 ? 1 : 2;
	}
	for (i = 0; i < res.nnotes; i++) {
		fprintf(stderr, "swervectl: %s: %s: %s\n", res.notes[i].name,
		        res.notes[i].failed ? "failed, nothing stored"
		                            : "skipped",
		        res.notes[i].why);
		if (res.notes[i].failed)
			failed++;
		else
			skipped++;
	}
	for (i = 0; i < res.n; i++) {
		v = &res.v[i];
		if (v->part[TMPL_PART_HTML] == NULL &&
		    v->part[TMPL_PART_TEXT] == NULL) {
			fprintf(stderr,
			        "swervectl: %s: skipped: no html or text\n",
			        v->name);
			skipped++;
			continue;
		}
		req = json_pack("{s:s}", "dialect",
		                tmpl_dialect_name(v->dialect));
		for (k = 0; k < TMPL_PARTS; k++)
			if (v->part[k] != NULL)
				json_object_set_new(req, keys[k],
				                    json_string(v->part[k]));
		if (v->meta != NULL)
			json_object_set_new(req, "meta",
			                    json_loads(v->meta, 0, NULL));
		body = json_dumps(req, JSON_COMPACT);
		json_decref(req);
		swervectl_tmpl_path(o, v->name, NULL, NULL, path, sizeof(path));
		j = swervectl_tmpl_call(base, path, "POST", body);
		free(body);
		if (j != NULL) {
			printf("%s: version %lld\n", v->name,
			       (long long)json_integer_value(
			           json_object_get(j, "version")));
			done++;
		} else {
			failed++;
		}
		json_decref(j);
	}
	printf("imported %zu of %zu templates from %s (%zu skipped, %zu "
	       "failed)\n",
	       done, res.n + res.nnotes, name, skipped, failed);
	tmpllist_result_fini(&res);
	return failed > 0 ? 1 : 0;
}

static int swervectl_template_do(const char *base,
                                 const struct swervectl_tmpl *o, int argc,
                                 char **argv);

/*
 * swervectl_template - template list|show|put|render|diff|activate|
 * delete|import. argv[0] is the verb.
 */
static int
swervectl_template(const char *base, const struct swervectl_tmpl *o, int argc,
                   char **argv, const char *from_provider, const char *cfg_path)
{
	if (argc == 1 && strcmp(argv[0], "import") == 0 &&
	    from_provider != NULL)
		return swervectl_tmpl_import(base, o, cfg_path, from_provider);
	return swervectl_template_do(base, o, argc, argv);
}

/* swervectl_template_do - every verb but import. */
static int
swervectl_template_do(const char *base, const struct swervectl_tmpl *o,
                      int argc, char **argv)
{
	char path[1500], body[64], extra[64];
	json_t *j;

	if (argc == 1 && strcmp(argv[0], "list") == 0)
		return swervectl_tmpl_list(base, o);
	if (argc == 2 && strcmp(argv[0], "show") == 0)
		return swervectl_tmpl_show(base, o, argv[1]);
	if (argc == 2 && strcmp(argv[0], "put") == 0)
		return swervectl_tmpl_put(base, o, argv[1]);
	if (argc == 2 && strcmp(argv[0], "render") == 0)
		return swervectl_tmpl_render(base, o, argv[1]);
	if ((argc == 3 || argc == 4) && strcmp(argv[0], "diff") == 0)
		return swervectl_tmpl_diff(base, o, argv[1], argv[2],
		                           argc == 4 ? argv[3] : NULL);
	if (argc == 3 && strcmp(argv[0], "activate") == 0) {
		snprintf(body, sizeof(body), "{\"version\":%ld}",
		         strtol(argv[2], NULL, 10));
		swervectl_tmpl_path(o, argv[1], "/activate", NULL, path,
		                    sizeof(path));
		j = swervectl_tmpl_call(base, path, "POST", body);
		if (j != NULL)
			printf("%s: version %s active\n", argv[1], argv[2]);
		json_decref(j);
		return j != NULL ? 0 : 1;
	}
	if (argc == 2 && strcmp(argv[0], "delete") == 0) {
		snprintf(extra, sizeof(extra), "%s%.20s",
		         o->version ? "&version=" : "",
		         o->version ? o->version : "");
		swervectl_tmpl_path(o, argv[1], NULL, extra, path,
		                    sizeof(path));
		j = swervectl_tmpl_call(base, path, "DELETE", NULL);
		if (j != NULL)
			printf("%s: deleted\n", argv[1]);
		json_decref(j);
		return j != NULL ? 0 : 1;
	}
	fprintf(stderr, "swervectl: template list|show NAME|put NAME|render "
	                "NAME|diff NAME V1 [V2]|activate NAME V|delete NAME\n");
	return 2;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"url", required_argument, NULL, 'u'},
	    {"json", no_argument, NULL, 'j'},
	    {"watch", no_argument, NULL, 'w'},
	    {"fleet", no_argument, NULL, 'F'},
	    {"state", required_argument, NULL, 's'},
	    {"scheduled", no_argument, NULL, 'S'},
	    {"limit", required_argument, NULL, 'n'},
	    {"after", required_argument, NULL, 'a'},
	    {"for", required_argument, NULL, 'f'},
	    {"key-file", required_argument, NULL, 'k'},
	    {"type", required_argument, NULL, 'y'},
	    {"spool-dir", required_argument, NULL, 'D'},
	    {"tenant", required_argument, NULL, 'T'},
	    {"reason", required_argument, NULL, 'R'},
	    {"from-provider", required_argument, NULL, 'P'},
	    {"dialect", required_argument, NULL, 1001},
	    {"subject", required_argument, NULL, 1002},
	    {"html", required_argument, NULL, 1003},
	    {"text", required_argument, NULL, 1004},
	    {"data", required_argument, NULL, 1005},
	    {"version", required_argument, NULL, 1006},
	    {"no-activate", no_argument, NULL, 1007},
	    /* incident (and --text, shared with template) */
	    {"status", required_argument, NULL, 1100},
	    {"impact", required_argument, NULL, 1101},
	    {"format", required_argument, NULL, 1103},
	    /* drill: 0x44 'D' and a number; --format is shared */
	    {"stream", required_argument, NULL, 0x4401},
	    {"share", required_argument, NULL, 0x4402},
	    {"force", no_argument, NULL, 0x4403},
	    {"public", no_argument, NULL, 1104},
	    {"template", required_argument, NULL, 1105},
	    {"send", no_argument, NULL, 1106},
	    {"preview", no_argument, NULL, 1107},
	    {"refresh", no_argument, NULL, 1200},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = NULL, *url = NULL, *cmd, *key_file = NULL;
	const char *state = NULL, *limit = NULL, *after = NULL, *dur = NULL;
	const char *spool_dir = NULL, *from_provider = NULL;
	const char *types = NULL;
	struct swervectl_supp supp = {0};
	struct swervectl_tmpl tmpl = {0};
	struct incident_cli_opts inc = {0};
	struct drill_cli_opts dopts = {0};
	char base[1100], err[CONFIG_ERR_SIZE];
	int json = 0, watch = 0, fleet = 0, refresh = 0, ch, rc;

	/* Offline, with options of its own: before the common ones. */
	if (argc >= 3 && strcmp(argv[1], "anomaly") == 0 &&
	    strcmp(argv[2], "replay") == 0)
		return anomaly_replay_main(argc - 2, argv + 2, stdout, stderr);
	while ((ch = getopt_long(argc, argv, "c:u:jwhs:n:a:f:k:", opts,
	                         NULL)) != -1) {
		switch (ch) {
		case 'k':
			key_file = optarg;
			break;
		case 's':
			state = optarg;
			break;
		case 'S':
			state = "scheduled";
			break;
		case 'n':
			limit = optarg;
			break;
		case 'a':
			after = optarg;
			break;
		case 'f':
			dur = optarg;
			break;
		case 'D':
			spool_dir = optarg;
			break;
		case 'T':
			supp.tenant = tmpl.tenant = optarg;
			break;
		case 1001:
			tmpl.dialect = optarg;
			break;
		case 1002:
			tmpl.subject = optarg;
			break;
		case 1003:
			tmpl.html = optarg;
			break;
		case 1004:
			tmpl.text = optarg; /* template: a file */
			inc.text = optarg;  /* incident: the words */
			break;
		case 1005:
			tmpl.data = optarg;
			break;
		case 1006:
			tmpl.version = optarg;
			break;
		case 1007:
			tmpl.no_activate = 1;
			break;
		case 'R':
			supp.reason = optarg;
			break;
		case 'P':
			from_provider = optarg;
			break;
		case 'y':
			types = optarg;
			break;
		case 1100:
			inc.status = optarg;
			break;
		case 1101:
			inc.impact = optarg;
			break;
		case 1103:
			inc.format = optarg;
			break;
		case 1104:
			inc.public_ = 1;
			break;
		case 1105:
			inc.template_ = optarg;
			break;
		case 1106:
			inc.send = 1;
			break;
		case 1107:
			inc.send = 0;
			break;
		case 0x4401:
			dopts.stream = optarg;
			break;
		case 0x4402:
			dopts.share = optarg;
			break;
		case 0x4403:
			dopts.force = true;
			break;
		case 'c':
			path = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'w':
			watch = 1;
			break;
		case 1200:
			refresh = 1;
			break;
		case 'F':
			fleet = 1;
			break;
		case 'h':
			swervectl_usage(stdout);
			return 0;
		default:
			swervectl_usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		swervectl_usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	if (strcmp(cmd, "spool") == 0)
		return swervectl_spool(path, spool_dir, argc - optind - 1,
		                       argv + optind + 1);
	if (strcmp(cmd, "events") == 0 && optind + 3 < argc &&
	    strcmp(argv[optind + 1], "confirm") == 0)
		return swervectl_events_confirm(path, argv[optind + 2],
		                                argv[optind + 3]);

	if (url == NULL || (key_file == NULL && path != NULL)) {
		struct config *cfg =
		    path ? config_load_file(path, err, sizeof(err))
		         : config_defaults();
		if (cfg == NULL) {
			fprintf(stderr, "swervectl: %s\n", err);
			return 2;
		}
		if (swervectl_url_from_config(cfg, base, sizeof(base)) != 0 ||
		    (key_file == NULL && cfg->swervectl_key_file != NULL &&
		     swervectl_key_load_rel(path, cfg->swervectl_key_file) !=
		         0)) {
			config_free(cfg);
			return 2;
		}
		config_free(cfg);
	}
	if (key_file != NULL && swervectl_key_load(key_file) != 0)
		return 2;
	if (url != NULL) {
		snprintf(base, sizeof(base), "%s", url);
		/* Let "http://h:p/" and "http://h:p" both work. */
		if (base[0] && base[strlen(base) - 1] == '/')
			base[strlen(base) - 1] = '\0';
	}

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(cmd, "status") == 0 && fleet) {
		rc = swervectl_fleet(base, json);
	} else if (strcmp(cmd, "status") == 0 && watch && !json) {
		rc = swervectl_watch(base);
	} else if (strcmp(cmd, "status") == 0) {
		rc = swervectl_status(base, json);
	} else if (strcmp(cmd, "queue") == 0) {
		rc = swervectl_queue(base, state, limit, after, json);
	} else if (strcmp(cmd, "show") == 0 && optind + 1 < argc) {
		rc = swervectl_show(base, argv[optind + 1], json);
	} else if (strcmp(cmd, "release") == 0 && optind + 1 < argc) {
		char rpath[256];
		struct buf body;
		buf_init(&body);
		snprintf(rpath, sizeof(rpath), "/v1/queue/%s/release",
		         argv[optind + 1]);
		rc = swervectl_request(base, rpath, true, &body) == 0 ? 0 : 1;
		if (rc == 0)
			printf("%s: released, due now\n", argv[optind + 1]);
		buf_fini(&body);
	} else if (strcmp(cmd, "reload") == 0) {
		struct buf body;
		buf_init(&body);
		rc = swervectl_request(base, "/v1/reload", true, &body) == 0
		         ? 0
		         : 1;
		if (rc == 0)
			printf("configuration reloaded\n");
		buf_fini(&body);
	} else if (strcmp(cmd, "events") == 0 && optind + 1 < argc &&
	           strcmp(argv[optind + 1], "tail") == 0) {
		rc = swervectl_events_tail(
		    base, types, limit ? strtol(limit, NULL, 10) : 0, json);
	} else if (strcmp(cmd, "events") == 0 && optind + 1 < argc &&
	           strcmp(argv[optind + 1], "dead") == 0) {
		rc = swervectl_events_dead(base, json);
	} else if (strcmp(cmd, "anomalies") == 0) {
		rc = swervectl_anomalies(base, json);
	} else if (strcmp(cmd, "readiness") == 0) {
		rc = swervectl_readiness(base, json, refresh);
	} else if (strcmp(cmd, "trace") == 0 && optind + 1 < argc) {
		rc = swervectl_trace(base, argv[optind + 1]);
	} else if (strcmp(cmd, "suppression") == 0) {
		supp.limit = limit;
		supp.after = after;
		supp.json = json;
		rc = swervectl_suppression(base, &supp, argc - optind - 1,
		                           argv + optind + 1, from_provider,
		                           path);
	} else if (strcmp(cmd, "status-page") == 0 && optind + 2 < argc &&
	           strcmp(argv[optind + 1], "export") == 0) {
		rc = swervectl_status_page_export(base, argv[optind + 2]);
	} else if (strcmp(cmd, "template") == 0) {
		tmpl.limit = limit;
		tmpl.after = after;
		tmpl.json = json;
		rc = swervectl_template(base, &tmpl, argc - optind - 1,
		                        argv + optind + 1, from_provider, path);
	} else if (strcmp(cmd, "incident") == 0) {
		inc.json = json;
		rc = incident_cli_run(argc - optind - 1, argv + optind + 1,
		                      &inc, swervectl_incident_http, base,
		                      stdout, stderr);
	} else if (strcmp(cmd, "drill") == 0) {
		dopts.duration = dur;
		dopts.limit = limit;
		dopts.format = inc.format;
		dopts.json = json != 0;
		dopts.http = swervectl_drill_http;
		dopts.arg = base;
		rc = drill_cli(&dopts, argc - optind - 1, argv + optind + 1);
	} else if (strcmp(cmd, "account") == 0 && optind + 1 < argc &&
	           strcmp(argv[optind + 1], "refresh") == 0) {
		rc = swervectl_account(
		    base, optind + 2 < argc ? argv[optind + 2] : NULL, json);
	} else if (strcmp(cmd, "provider") == 0 && optind + 2 < argc) {
		rc = swervectl_provider(base, argv[optind + 1],
		                        argv[optind + 2], dur, json);
	} else {
		fprintf(stderr, "swervectl: unknown command '%s'\n", cmd);
		swervectl_usage(stderr);
		rc = 2;
	}
	curl_global_cleanup();
	explicit_bzero(swervectl_auth, sizeof(swervectl_auth));
	return rc;
}
