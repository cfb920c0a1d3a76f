/*
 * swervectl.c - the operator's command line.
 *
 *   swervectl [-c FILE | --url URL] status [--json]
 *
 * It finds the daemon through the same configuration file (the first
 * listen.http address) or --url, and reads its admin API over HTTP. A CLI
 * may block, so it uses libcurl's easy interface.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/buf.h"
#include "spool/spool.h"

static void
swervectl_usage(FILE *f)
{
	fprintf(f,
	    "usage: swervectl [-c FILE | --url URL] COMMAND [--json]\n"
	    "commands:\n"
	    "  status    queue counts by state and spool figures\n"
	    "options:\n"
	    "  -c, --config FILE  find the daemon via this configuration\n"
	    "  -u, --url URL      the daemon's HTTP address "
	    "(default http://127.0.0.1:2580)\n"
	    "  -j, --json         print the daemon's JSON as is\n");
}

static size_t
swervectl_collect(char *p, size_t size, size_t n, void *arg)
{
	buf_add(arg, p, size * n);
	return size * n;
}

/* swervectl_get - GET base+path into out. 0, or -1 with a message printed. */
static int
swervectl_get(const char *base, const char *path, struct buf *out)
{
	char url[2200], cerr[CURL_ERROR_SIZE] = "";
	CURL *c = curl_easy_init();
	long code = 0;
	CURLcode rc;

	if (c == NULL)
		return -1;
	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, swervectl_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		fprintf(stderr, "swervectl: %s: %s (is swerved running?)\n",
		    url, cerr[0] ? cerr : curl_easy_strerror(rc));
		return -1;
	}
	if (code != 200) {
		fprintf(stderr, "swervectl: %s: HTTP %ld: %.*s\n", url, code,
		    (int)out->len, out->p ? out->p : "");
		return -1;
	}
	return 0;
}

/* swervectl_url_from_config - http://host:port of cfg's first listener. */
static void
swervectl_url_from_config(const struct config *cfg, char *url, size_t len)
{
	const char *host = "127.0.0.1";
	unsigned port = 2580;

	if (cfg->n_listen_http > 0) {
		host = cfg->listen_http[0].host;
		port = cfg->listen_http[0].port;
		/* A wildcard listener is reached on loopback. */
		if (strcmp(host, "0.0.0.0") == 0 || host[0] == '\0')
			host = "127.0.0.1";
		else if (strcmp(host, "::") == 0)
			host = "::1";
	}
	if (strchr(host, ':'))
		snprintf(url, len, "http://[%s]:%u", host, port);
	else
		snprintf(url, len, "http://%s:%u", host, port);
}

static int
swervectl_status(const char *base, int json)
{
	struct buf body;
	json_t *root, *queue, *spool;
	json_error_t jerr;
	int s, rc = 1;

	buf_init(&body);
	if (swervectl_get(base, "/v1/status", &body) != 0)
		goto out;
	if (json) {
		fwrite(body.p, 1, body.len, stdout);
		rc = 0;
		goto out;
	}
	root = json_loadb(body.p, body.len, 0, &jerr);
	if (root == NULL) {
		fprintf(stderr, "swervectl: bad JSON from daemon: %s\n",
		    jerr.text);
		goto out;
	}
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
	printf("spool: %lld messages in %lld commits since start\n",
	    (long long)json_integer_value(
		json_object_get(spool, "committed_messages")),
	    (long long)json_integer_value(json_object_get(spool, "commits")));
	json_decref(root);
	rc = 0;
out:
	buf_fini(&body);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"url", required_argument, NULL, 'u'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = NULL, *url = NULL, *cmd;
	char base[1100], err[CONFIG_ERR_SIZE];
	int json = 0, ch, rc;

	while ((ch = getopt_long(argc, argv, "c:u:jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 'j':
			json = 1;
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

	if (url != NULL) {
		snprintf(base, sizeof(base), "%s", url);
		/* Let "http://h:p/" and "http://h:p" both work. */
		if (base[0] && base[strlen(base) - 1] == '/')
			base[strlen(base) - 1] = '\0';
	} else {
		struct config *cfg = path ? config_load_file(path, err,
						sizeof(err))
					  : config_defaults();
		if (cfg == NULL) {
			fprintf(stderr, "swervectl: %s\n", err);
			return 2;
		}
		swervectl_url_from_config(cfg, base, sizeof(base));
		config_free(cfg);
	}

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(cmd, "status") == 0) {
		rc = swervectl_status(base, json);
	} else {
		fprintf(stderr, "swervectl: unknown command '%s'\n", cmd);
		swervectl_usage(stderr);
		rc = 2;
	}
	curl_global_cleanup();
	return rc;
}
