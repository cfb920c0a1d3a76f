/*
 * drill_cli.c - `swervectl drill` commands. See drill_cli.h.
 */
#include "drill/drill_cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill/drill_preflight.h"
#include "drill/drill_report.h"

#define CLI_ERR 256

/* cli_call - one request; the parsed JSON of a 2xx answer (or of a
 * preflight's 503) into *out, else a message printed. Returns the
 * status, or -1. */
static long
cli_call(const struct drill_cli_opts *o, const char *method, const char *path,
         const char *body, json_t **out, struct buf *raw)
{
	char err[CLI_ERR] = "";
	struct buf b;
	long code;
	json_t *j;

	buf_init(&b);
	code = o->http(method, path, body, &b, err, o->arg);
	if (code < 0) {
		fprintf(stderr, "swervectl: %s: %s (is swerved running?)\n",
		        path, err);
		buf_fini(&b);
		return -1;
	}
	if (raw != NULL && code == 200) {
		buf_add(raw, b.p ? b.p : "", b.len);
		buf_fini(&b);
		return code;
	}
	j = json_loadb(b.p ? b.p : "", b.len, 0, NULL);
	if ((code < 200 || code > 299) &&
	    !(code == 503 && out != NULL && json_object_get(j, "ready"))) {
		const char *msg = json_string_value(
		    json_object_get(json_object_get(j, "error"), "message"));
		fprintf(stderr, "swervectl: drill: %s\n",
		        msg ? msg : (b.p ? b.p : "error"));
		json_decref(j);
		buf_fini(&b);
		return code > 0 ? -code : -1;
	}
	buf_fini(&b);
	if (out != NULL)
		*out = j;
	else
		json_decref(j);
	return code;
}

/* cli_share - "50%" or "0.5" into 0..1; -1 when unreadable. */
static double
cli_share(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s)
		return -1;
	if (*end == '%') {
		v /= 100.0;
		end++;
	}
	if (*end != '\0' || v <= 0 || v > 1)
		return -1;
	return v;
}

/* cli_print - j as JSON. */
static void
cli_print(const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);

	if (s != NULL)
		printf("%s\n", s);
	free(s);
}

/* cli_start - drill start PROVIDER FAULT. */
static int
cli_start(const struct drill_cli_opts *o, const char *provider,
          const char *fault)
{
	json_t *body = json_pack("{s:s,s:s,s:s}", "provider", provider, "fault",
	                         fault, "by", "swervectl"),
	       *j = NULL;
	char *text;
	long code;

	if (o->duration != NULL)
		json_object_set_new(body, "duration", json_string(o->duration));
	if (o->stream != NULL)
		json_object_set_new(body, "stream", json_string(o->stream));
	if (o->share != NULL) {
		double v = cli_share(o->share);
		if (v < 0) {
			fprintf(stderr, "swervectl: --share: expected a share "
			                "such as 50%% or 0.5\n");
			json_decref(body);
			return 2;
		}
		json_object_set_new(body, "share", json_real(v));
	}
	if (o->force)
		json_object_set_new(body, "force", json_true());
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	code = cli_call(o, "POST", "/v1/drills", text, &j, NULL);
	free(text);
	if (code < 0)
		return 1;
	if (o->json)
		cli_print(j);
	else
		printf("drill %s started: %s %s, ends %s\n"
		       "  abort: swervectl drill abort; report: swervectl "
		       "drill report %s\n",
		       json_string_value(json_object_get(j, "id")), provider,
		       json_string_value(json_object_get(j, "fault")),
		       json_string_value(json_object_get(j, "ends_at")),
		       json_string_value(json_object_get(j, "id")));
	json_decref(j);
	return 0;
}

/* cli_status - drill status. */
static int
cli_status(const struct drill_cli_opts *o)
{
	json_t *j = NULL, *run, *last;
	struct buf b;

	if (cli_call(o, "GET", "/v1/drills", NULL, &j, NULL) < 0)
		return 1;
	if (o->json) {
		cli_print(j);
		json_decref(j);
		return 0;
	}
	run = json_object_get(j, "running");
	last = json_object_get(j, "last");
	buf_init(&b);
	if (json_is_object(run)) {
		buf_addstr(&b, "running:\n");
		drill_report_render(run, "text", &b, NULL, 0);
	} else {
		buf_addstr(&b, "no drill is running\n");
	}
	if (json_is_object(last)) {
		buf_addstr(&b, "\nlast:\n");
		drill_report_render(last, "text", &b, NULL, 0);
	}
	fwrite(b.p ? b.p : "", 1, b.len, stdout);
	buf_fini(&b);
	json_decref(j);
	return 0;
}

/* cli_report - drill report ID. */
static int
cli_report(const struct drill_cli_opts *o, const char *id)
{
	const char *fmt = o->format ? o->format : o->json ? "json" : "text";
	char path[300], err[200];
	json_t *j = NULL;
	struct buf b;
	int rc = 0;

	if (strcmp(fmt, "text") != 0 && strcmp(fmt, "md") != 0 &&
	    strcmp(fmt, "html") != 0 && strcmp(fmt, "json") != 0) {
		fprintf(stderr, "swervectl: --format: expected text, md, html "
		                "or json\n");
		return 2;
	}
	if (strlen(id) > 100 || strpbrk(id, "/?#% ") != NULL) {
		fprintf(stderr, "swervectl: %s: not a drill id\n", id);
		return 2;
	}
	snprintf(path, sizeof(path), "/v1/drills/%s", id);
	if (cli_call(o, "GET", path, NULL, &j, NULL) < 0)
		return 1;
	buf_init(&b);
	if (drill_report_render(j, fmt, &b, err, sizeof(err)) != 0) {
		fprintf(stderr, "swervectl: %s\n", err);
		rc = 2;
	}
	fwrite(b.p ? b.p : "", 1, b.len, stdout);
	buf_fini(&b);
	json_decref(j);
	return rc;
}

/* cli_history - drill history. */
static int
cli_history(const struct drill_cli_opts *o)
{
	char path[100];
	json_t *j = NULL;
	struct buf b;

	snprintf(path, sizeof(path), "/v1/drills/history?limit=%ld",
	         o->limit ? strtol(o->limit, NULL, 10) : 50L);
	if (cli_call(o, "GET", path, NULL, &j, NULL) < 0)
		return 1;
	if (o->json) {
		cli_print(j);
		json_decref(j);
		return 0;
	}
	buf_init(&b);
	drill_history_render(json_object_get(j, "drills"), &b);
	fwrite(b.p ? b.p : "", 1, b.len, stdout);
	buf_fini(&b);
	json_decref(j);
	return 0;
}

/* cli_query_add - "&key=value" (value of [a-z0-9_-] only). */
static int
cli_query_add(char *q, size_t n, const char *key, const char *value)
{
	size_t i;

	for (i = 0; value[i] != '\0'; i++)
		if (!((value[i] >= 'a' && value[i] <= 'z') ||
		      (value[i] >= '0' && value[i] <= '9') || value[i] == '_' ||
		      value[i] == '-')) {
			fprintf(stderr, "swervectl: %s: not a name\n", value);
			return -1;
		}
	snprintf(q + strlen(q), n - strlen(q), "&%s=%s", key, value);
	return 0;
}

/* cli_preflight - drill preflight [PROVIDER]. */
static int
cli_preflight(const struct drill_cli_opts *o, const char *provider)
{
	char path[400] = "/v1/drills/preflight?test_alerts=1";
	json_t *j = NULL;
	struct buf b;
	int ready;

	if ((provider != NULL &&
	     cli_query_add(path, sizeof(path), "provider", provider) != 0) ||
	    (o->stream != NULL &&
	     cli_query_add(path, sizeof(path), "stream", o->stream) != 0))
		return 2;
	if (cli_call(o, "GET", path, NULL, &j, NULL) < 0)
		return 1;
	ready = json_is_true(json_object_get(j, "ready"));
	if (o->json) {
		cli_print(j);
	} else {
		buf_init(&b);
		drill_preflight_render(j, &b);
		fwrite(b.p ? b.p : "", 1, b.len, stdout);
		buf_fini(&b);
	}
	json_decref(j);
	return ready ? 0 : 1;
}

int
drill_cli(const struct drill_cli_opts *o, int argc, char **argv)
{
	const char *cmd = argc > 0 ? argv[0] : "";

	if (strcmp(cmd, "start") == 0 && argc == 3)
		return cli_start(o, argv[1], argv[2]);
	if (strcmp(cmd, "abort") == 0 && argc == 1) {
		if (cli_call(o, "POST", "/v1/drills/abort", "", NULL, NULL) < 0)
			return 1;
		printf("drill aborted: the fault is off; the provider fails "
		       "back now\n");
		return 0;
	}
	if (strcmp(cmd, "status") == 0 && argc == 1)
		return cli_status(o);
	if (strcmp(cmd, "report") == 0 && argc == 2)
		return cli_report(o, argv[1]);
	if (strcmp(cmd, "history") == 0 && argc == 1)
		return cli_history(o);
	if (strcmp(cmd, "preflight") == 0 && argc <= 2)
		return cli_preflight(o, argc == 2 ? argv[1] : NULL);
	fprintf(stderr,
	        "usage: swervectl drill start PROVIDER FAULT [--for 5m] "
	        "[--stream S] [--share 50%%] [--force]\n"
	        "       swervectl drill abort | status | history [--limit N]\n"
	        "       swervectl drill report ID [--format "
	        "text|md|html|json]\n"
	        "       swervectl drill preflight [PROVIDER] [--stream S]\n");
	return 2;
}
