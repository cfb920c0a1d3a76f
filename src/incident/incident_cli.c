/*
 * incident_cli.c - `swervectl incident ...` (incident_cli.h): requests
 * to the admin API and their answers as text for people.
 */
#include "incident/incident_cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "incident/incident_notice.h"
#include "incident/incident_report.h"

/* cli_str - member k of o as a string ("" when absent). */
static const char *
cli_str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

/* cli_int - member k of o as an integer (0 when absent). */
static long long
cli_int(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

/* cli_names - a JSON array of strings joined with ", " ("-": none). */
static void
cli_names(FILE *out, const json_t *a)
{
	size_t i;

	if (json_array_size(a) == 0)
		fputs("-", out);
	for (i = 0; i < json_array_size(a); i++)
		fprintf(out, "%s%s", i ? ", " : "",
		        json_string_value(json_array_get(a, i)));
}

/* cli_dur - ms (or null) as text. */
static void
cli_dur(FILE *out, const char *label, const json_t *v)
{
	long long ms = json_integer_value(v);

	if (!json_is_integer(v))
		fprintf(out, "  %-18s n/a\n", label);
	else if (ms < 60000)
		fprintf(out, "  %-18s %.1f s\n", label, (double)ms / 1000.0);
	else
		fprintf(out, "  %-18s %lld min %lld s\n", label, ms / 60000,
		        ms % 60000 / 1000);
}

/* cli_call - method path (json body) into *res; the status, or -1. A
 * non-200 answer is printed to err. */
static long
cli_call(incident_cli_http_fn *http, void *arg, const char *method,
         const char *path, const char *json, struct buf *res, FILE *err)
{
	long code = http(method, path, json, res, arg);

	if (code >= 0 && code != 200)
		fprintf(err, "swervectl: %s %s: HTTP %ld: %.*s\n", method, path,
		        code, (int)res->len, res->p ? res->p : "");
	return code;
}

/* cli_list - the incidents as a table. */
static void
cli_list(FILE *out, const json_t *root)
{
	const json_t *arr = json_object_get(root, "incidents");
	size_t i;
	json_t *v;

	fprintf(out, "%-24s  %-13s  %-8s  %-24s  %s\n", "ID", "STATUS",
	        "IMPACT", "STARTED", "TITLE");
	json_array_foreach(arr, i, v)
	{
		fprintf(out, "%-24s  %-13s  %-8s  %-24s  %s%s\n",
		        cli_str(v, "id"), cli_str(v, "status"),
		        cli_str(v, "impact"), cli_str(v, "started_at"),
		        json_is_true(json_object_get(v, "drill")) ? "[drill] "
		                                                  : "",
		        cli_str(v, "title"));
	}
	fprintf(out, "%zu incidents, %lld open\n", json_array_size(arr),
	        cli_int(root, "open"));
}

/* cli_scope - the live scope's figures. */
static void
cli_scope(FILE *out, const json_t *sc)
{
	const json_t *t = json_object_get(sc, "total"), *a;
	size_t i;
	json_t *v;

	if (sc == NULL) {
		fputs("scope: not available\n", out);
		return;
	}
	fprintf(out,
	        "scope (%s .. %s):\n  affected %lld, delayed %lld, waiting "
	        "%lld, rerouted %lld, failed %lld, duplicates possible "
	        "%lld, lost %lld\n  delay p50 %lld ms, p99 %lld ms, max "
	        "%lld ms\n",
	        cli_str(sc, "from"), cli_str(sc, "to"), cli_int(t, "affected"),
	        cli_int(t, "delayed"), cli_int(t, "waiting"),
	        cli_int(t, "rerouted"), cli_int(t, "failed"),
	        cli_int(t, "duplicates_possible"), cli_int(t, "lost"),
	        cli_int(t, "delay_p50_ms"), cli_int(t, "delay_p99_ms"),
	        cli_int(t, "delay_max_ms"));
	json_array_foreach(json_object_get(sc, "streams"), i, v)
	{
		fprintf(
		    out,
		    "  stream %s: affected %lld, waiting %lld, failed %lld, "
		    "p99 %lld ms, max %lld ms\n",
		    cli_str(v, "stream"), cli_int(v, "affected"),
		    cli_int(v, "waiting"), cli_int(v, "failed"),
		    cli_int(v, "delay_p99_ms"), cli_int(v, "delay_max_ms"));
	}
	static const char *const lists[][2] = {
	    {"tenants", "tenants"},
	    {"recipient_domains", "recipient domains"},
	    {"traffic_now", "traffic now (accepted, last 5 min)"}};
	for (size_t l = 0; l < 3; l++) {
		a = json_object_get(sc, lists[l][0]);
		fprintf(out, "  %s:", lists[l][1]);
		if (json_array_size(a) == 0)
			fputs(" -", out);
		for (i = 0; i < json_array_size(a); i++)
			fprintf(out, " %s (%lld)",
			        cli_str(json_array_get(a, i), "name"),
			        cli_int(json_array_get(a, i), "count"));
		fputc('\n', out);
	}
}

/* cli_show - one incident. */
static void
cli_show(FILE *out, const json_t *o)
{
	const json_t *f = json_object_get(o, "facts");
	size_t i;
	json_t *u;

	fprintf(out, "%s  %s%s\n  status %s, impact %s%s\n", cli_str(o, "id"),
	        json_is_true(json_object_get(o, "drill")) ? "[drill] " : "",
	        cli_str(o, "title"), cli_str(o, "status"), cli_str(o, "impact"),
	        json_is_true(json_object_get(o, "impact_override"))
	            ? " (set by an operator)"
	            : "");
	fprintf(out, "  started %s, resolved %s\n  providers: ",
	        cli_str(o, "started_at"),
	        json_is_string(json_object_get(o, "resolved_at"))
	            ? cli_str(o, "resolved_at")
	            : "-");
	cli_names(out, json_object_get(o, "providers"));
	fputs("\n  streams: ", out);
	cli_names(out, json_object_get(o, "streams"));
	fputc('\n', out);
	if (json_is_string(json_object_get(o, "report_path")))
		fprintf(out, "  report: %s\n", cli_str(o, "report_path"));
	cli_dur(out, "detection", json_object_get(f, "detection_ms"));
	cli_dur(out, "time to failover",
	        json_object_get(f, "time_to_failover_ms"));
	cli_dur(out, "time to fail back",
	        json_object_get(f, "time_to_failback_ms"));
	cli_dur(out, "duration", json_object_get(f, "duration_ms"));
	cli_scope(out, json_object_get(o, "scope"));
	fputs("timeline:\n", out);
	json_array_foreach(json_object_get(o, "updates"), i, u)
	{
		fprintf(out, "  %s  %-13s %-10s %s%s\n", cli_str(u, "at"),
		        cli_str(u, "kind"), cli_str(u, "who"),
		        json_is_true(json_object_get(u, "public")) ? "[public] "
		                                                   : "",
		        cli_str(u, "text"));
	}
}

/* cli_body - the POST body of a change. */
static char *
cli_body(const char *verb, int argc, char **argv,
         const struct incident_cli_opts *o)
{
	json_t *b = json_object();
	char *s;

	if (strcmp(verb, "note") == 0) {
		json_object_set_new(b, "text", json_string(argv[2]));
		json_object_set_new(b, "public", json_boolean(o->public_));
	} else if (strcmp(verb, "notice") == 0) {
		json_object_set_new(b, "template", json_string(o->template_));
		json_object_set_new(
		    b, "format", json_string(o->format ? o->format : "text"));
		json_object_set_new(b, "send", json_boolean(o->send));
	} else {
		if (o->text != NULL)
			json_object_set_new(b, "text", json_string(o->text));
		if (o->status != NULL)
			json_object_set_new(b, "status",
			                    json_string(o->status));
		if (o->impact != NULL)
			json_object_set_new(b, "impact",
			                    json_string(o->impact));
	}
	json_object_set_new(b, "author", json_string("swervectl"));
	(void)argc;
	s = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	return s;
}

/* cli_usage - what incident takes. */
static int
cli_usage(FILE *err)
{
	fputs("usage: swervectl incident list\n"
	      "       swervectl incident show ID\n"
	      "       swervectl incident note ID TEXT [--public]\n"
	      "       swervectl incident update ID [--status S] [--impact I] "
	      "[--text T]\n"
	      "       swervectl incident resolve ID [--text T]\n"
	      "       swervectl incident report ID [--format md|html|json]\n"
	      "       swervectl incident notice ID --template NAME "
	      "[--preview|--send]\n"
	      "                [--format text|html|slack]\n",
	      err);
	return 2;
}

int
incident_cli_run(int argc, char **argv, const struct incident_cli_opts *o,
                 incident_cli_http_fn *http, void *arg, FILE *out, FILE *err)
{
	const char *verb = argc > 0 ? argv[0] : "";
	char path[512];
	struct buf res;
	json_t *root;
	char *body = NULL;
	long code;
	int rc = 1;

	if (strcmp(verb, "list") == 0 && argc == 1)
		snprintf(path, sizeof(path), "/v1/incidents");
	else if (argc == 2 && strcmp(verb, "show") == 0)
		snprintf(path, sizeof(path), "/v1/incidents/%s", argv[1]);
	else if (argc == 2 && strcmp(verb, "report") == 0)
		snprintf(path, sizeof(path),
		         "/v1/incidents/%s/report?format=%s", argv[1],
		         o->format ? o->format : "md");
	else if (argc == 2 && strcmp(verb, "notice") == 0 &&
	         o->template_ != NULL)
		snprintf(path, sizeof(path), "/v1/incidents/%s/notices",
		         argv[1]);
	else if ((argc == 3 && strcmp(verb, "note") == 0) ||
	         (argc == 2 && strcmp(verb, "update") == 0) ||
	         (argc == 2 && strcmp(verb, "resolve") == 0))
		snprintf(path, sizeof(path), "/v1/incidents/%s/%s", argv[1],
		         strcmp(verb, "note") == 0 ? "notes" : verb);
	else
		return cli_usage(err);
	if (strpbrk(argc > 1 ? argv[1] : "", "/?#% ") != NULL) {
		fprintf(err, "swervectl: incident: bad id '%s'\n", argv[1]);
		return 2;
	}
	if (o->format != NULL && incident_report_format_parse(o->format) < 0) {
		fprintf(err,
		        "swervectl: incident: --format md, html or json\n");
		return 2;
	}
	if (strcmp(verb, "note") == 0 || strcmp(verb, "update") == 0 ||
	    strcmp(verb, "resolve") == 0 || strcmp(verb, "notice") == 0)
		body = cli_body(verb, argc, argv, o);
	buf_init(&res);
	code =
	    cli_call(http, arg, body ? "POST" : "GET", path, body, &res, err);
	free(body);
	if (code != 200)
		goto done;
	rc = 0;
	if (o->json || strcmp(verb, "report") == 0) {
		if (res.p != NULL)
			fwrite(res.p, 1, res.len, out);
		if (res.p == NULL || res.len == 0 || res.p[res.len - 1] != '\n')
			fputc('\n', out);
		goto done;
	}
	root = json_loadb(res.p != NULL ? res.p : "", res.len, 0, NULL);
	if (root == NULL) {
		fprintf(err, "swervectl: bad JSON from daemon\n");
		rc = 1;
		goto done;
	}
	if (strcmp(verb, "notice") == 0)
		fprintf(out, "Subject: %s\n\n%s%s", cli_str(root, "subject"),
		        cli_str(root, "body"),
		        json_is_true(json_object_get(root, "sent"))
		            ? "\n-- sent as message "
		            : "");
	if (strcmp(verb, "notice") == 0 &&
	    json_is_true(json_object_get(root, "sent")))
		fprintf(out, "%s\n", cli_str(root, "message_id"));
	if (strcmp(verb, "notice") == 0)
		;
	else if (strcmp(verb, "list") == 0)
		cli_list(out, root);
	else if (strcmp(verb, "show") == 0)
		cli_show(out, root);
	else
		fprintf(out, "%s: %s, impact %s\n", cli_str(root, "id"),
		        cli_str(root, "status"), cli_str(root, "impact"));
	json_decref(root);
done:
	buf_fini(&res);
	return rc;
}
