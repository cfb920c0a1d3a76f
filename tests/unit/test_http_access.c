/*
 * test_http_access.c - the access table: which row a request finds on
 * which listener, and what credential it needs (admin_keys, api_keys);
 * the admin_keys config block.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "ingress/http_access.h"

/* sha256("password"): the API key; admin keys come from files. */
#define API_SHA                                                                \
	"5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"

#define API_AUTH "Bearer password"

/* load - a config from text; NULL (with err) if it does not load. */
static struct config *
load_err(const char *text, char *err, size_t errlen)
{
	return config_load_buf(text, strlen(text), "t.yaml", err, errlen);
}

/* load - a config from text, which must load. */
static struct config *
load(const char *text)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c = load_err(text, err, sizeof(err));

	if (c == NULL)
		fprintf(stderr, "%s\n", err);
	assert_non_null(c);
	return c;
}

/* mkkeys - a directory with admin.key and prom.key; the config there. */
static struct config *
mkkeys(const char *extra)
{
	char dir[] = "/tmp/test_http_access.XXXXXX", path[160], yaml[2048];
	struct config *c;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/admin.key", dir);
	f = fopen(path, "w");
	fputs("admin-secret\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/prom.key", dir);
	f = fopen(path, "w");
	fputs("prom-secret\n", f);
	fclose(f);
	snprintf(yaml, sizeof(yaml),
	         "api_keys:\n"
	         "  - { name: web, key_sha256: \"%s\", from_domains: [\"*\"] "
	         "}\n"
	         "admin_keys:\n"
	         "  - { name: ops, key_file: %s/admin.key }\n"
	         "  - { name: prom, key_file: %s/prom.key, role: metrics }\n"
	         "%s",
	         API_SHA, dir, dir, extra);
	c = load(yaml);
	snprintf(path, sizeof(path), "%s/admin.key", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/prom.key", dir);
	unlink(path);
	rmdir(dir);
	return c;
}

/* find - the row for path and method on planes; NULL sets *status. */
static const struct http_access_rule *
find(const char *path, unsigned method, unsigned planes, int *status)
{
	unsigned allow;

	return http_access_find(path, method, planes, status, &allow);
}

static void
paths_find_their_rows(void **state)
{
	unsigned all = HTTP_PLANE_SEND | HTTP_PLANE_ADMIN | HTTP_PLANE_METRICS;
	const struct http_access_rule *r;
	unsigned allow;
	int st;

	r = find("/v1/messages/01ABCDEFGHJKMNPQRSTV", HTTP_METHOD_GET, all,
	         &st);
	assert_non_null(r);
	assert_int_equal(r->route, HTTP_ROUTE_MSG_GET);
	assert_int_equal(r->who, HTTP_WHO_TENANT);
	/* Cancelling: the same who as reading, its own route. */
	r = find("/v1/messages/01ABCDEFGHJKMNPQRSTV", HTTP_METHOD_DELETE, all,
	         &st);
	assert_non_null(r);
	assert_int_equal(r->who, HTTP_WHO_TENANT);
	assert_int_equal(r->route, HTTP_ROUTE_MSG_CANCEL);
	assert_int_equal(r->planes, HTTP_PLANE_SEND | HTTP_PLANE_ADMIN);
	r = find("/v1/messages/raw", HTTP_METHOD_POST, all, &st);
	assert_int_equal(r->route, HTTP_ROUTE_SEND);
	r = find("/v1/messages", HTTP_METHOD_GET, all, &st);
	assert_int_equal(r->route, HTTP_ROUTE_MSG_LIST);
	assert_int_equal(r->who, HTTP_WHO_TENANT);
	r = find("/v1/providers/primary/pause", HTTP_METHOD_POST, all, &st);
	assert_int_equal(r->route, HTTP_ROUTE_PROVIDERS);
	assert_int_equal(r->who, HTTP_WHO_ADMIN);
	r = find("/v1/queue/01ABCDEFGHJKMNPQRSTV/release", HTTP_METHOD_POST,
	         all, &st);
	assert_int_equal(r->route, HTTP_ROUTE_QUEUE);
	r = find("/v3/mail/send", HTTP_METHOD_POST, all, &st);
	assert_int_equal(r->route, HTTP_ROUTE_DROPIN);
	r = find("/v3", HTTP_METHOD_POST, all, &st);
	assert_int_equal(r->route, HTTP_ROUTE_DROPIN);
	r = find("/", HTTP_METHOD_POST, all, &st);
	assert_int_equal(r->route, HTTP_ROUTE_DROPIN);
	/* No row: 404, and no prefix trick reaches one. */
	assert_null(find("/nowhere", HTTP_METHOD_GET, all, &st));
	assert_int_equal(st, 404);
	assert_null(find("/v3x", HTTP_METHOD_POST, all, &st));
	assert_int_equal(st, 404);
	assert_null(find("/v1/statusx", HTTP_METHOD_GET, all, &st));
	assert_int_equal(st, 404);
	assert_null(find("/v1/providers//pause", HTTP_METHOD_POST, all, &st));
	assert_int_equal(st, 404);
	assert_null(
	    find("/v1/providers/a/b/pause", HTTP_METHOD_POST, all, &st));
	/* A row for the path but not the method: 405 with what is. */
	assert_null(
	    http_access_find("/v1/status", HTTP_METHOD_POST, all, &st, &allow));
	assert_int_equal(st, 405);
	assert_int_equal(allow, HTTP_METHOD_GET);
	assert_null(http_access_find("/v1/providers/p/pause", HTTP_METHOD_GET,
	                             all, &st, &allow));
	assert_int_equal(st, 405);
	assert_int_equal(allow, HTTP_METHOD_POST);
}

static void
every_row_is_reachable(void **state)
{
	size_t i, n;
	const struct http_access_rule *rows = http_access_rules(&n);

	for (i = 0; i < n; i++) {
		char path[128], *star;
		unsigned m = rows[i].methods;
		int st;
		const struct http_access_rule *r;

		/* A concrete path for the pattern. */
		snprintf(path, sizeof(path), "%s", rows[i].pattern);
		if ((star = strstr(path, "/**")) != NULL)
			*star = '\0';
		while ((star = strchr(path, '*')) != NULL) {
			memmove(star + 2, star + 1, strlen(star + 1) + 1);
			star[0] = 'X';
			star[1] = '1';
		}
		if (path[0] == '\0')
			snprintf(path, sizeof(path), "/");
		m = (m & HTTP_METHOD_OTHER)    ? HTTP_METHOD_OTHER
		    : (m & HTTP_METHOD_DELETE) ? HTTP_METHOD_DELETE
		    : (m & HTTP_METHOD_POST)   ? HTTP_METHOD_POST
		                               : HTTP_METHOD_GET;
		r = find(path, m, rows[i].planes, &st);
		if (r != &rows[i])
			fail_msg("row %zu (%s) is shadowed for %s", i,
			         rows[i].pattern, path);
	}
}

static void
planes_follow_listen_admin_and_metrics_listener(void **state)
{
	struct config *c = config_defaults();

	/* No listen.admin: everything on listen.http. */
	assert_int_equal(http_access_planes(c, 0), HTTP_PLANE_SEND |
	                                               HTTP_PLANE_ADMIN |
	                                               HTTP_PLANE_METRICS);
	config_free(c);
	c = load("listen: { admin: \"127.0.0.1:2581\" }\n");
	assert_int_equal(c->n_listen_admin, 1);
	assert_int_equal(http_access_planes(c, 0), HTTP_PLANE_SEND);
	assert_int_equal(http_access_planes(c, 1),
	                 HTTP_PLANE_ADMIN | HTTP_PLANE_METRICS);
	config_free(c);
	c = load("listen: { admin: \"127.0.0.1:2581\" }\n"
	         "metrics: { listener: http }\n");
	assert_int_equal(http_access_planes(c, 0),
	                 HTTP_PLANE_SEND | HTTP_PLANE_METRICS);
	assert_int_equal(http_access_planes(c, 1), HTTP_PLANE_ADMIN);
	config_free(c);
}

/* decide - the decision for path/method on planes with auth. */
static int
decide(const struct config *c, const char *path, unsigned method,
       unsigned planes, const char *auth, struct http_access_who *who)
{
	const char *code = NULL, *msg = NULL;
	int st;
	const struct http_access_rule *r = find(path, method, planes, &st);

	assert_non_null(r);
	st = http_access_decide(c, r, planes, auth, who, &code, &msg);
	if (st != 0) {
		assert_non_null(code);
		assert_non_null(msg);
	}
	return st;
}

static void
keys_open_what_their_role_allows(void **state)
{
	struct config *c = mkkeys("");
	unsigned all = http_access_planes(c, 0);
	struct http_access_who w;
	const char *id = "/v1/messages/01ABCDEFGHJKMNPQRSTV";

	/* Without a key: 401 on everything but public and sender rows. */
	assert_int_equal(
	    decide(c, "/v1/status", HTTP_METHOD_GET, all, NULL, &w), 401);
	assert_int_equal(decide(c, id, HTTP_METHOD_GET, all, NULL, &w), 401);
	assert_int_equal(
	    decide(c, "/v1/messages", HTTP_METHOD_GET, all, "Bearer wrong", &w),
	    401);
	assert_int_equal(decide(c, "/healthz", HTTP_METHOD_GET, all, NULL, &w),
	                 0);
	assert_int_equal(
	    decide(c, "/v1/messages", HTTP_METHOD_POST, all, NULL, &w),
	    0); /* the send API checks its key itself */
	/* An API key: its own messages (the tenant is passed on), nothing
	 * of the operator's. */
	assert_int_equal(decide(c, id, HTTP_METHOD_GET, all, API_AUTH, &w), 0);
	assert_string_equal(w.tenant, "web");
	memset(&w, 0, sizeof(w));
	assert_int_equal(
	    decide(c, "/v1/messages", HTTP_METHOD_GET, all, API_AUTH, &w), 0);
	assert_string_equal(w.tenant, "web");
	assert_int_equal(decide(c, "/v1/providers/p/pause", HTTP_METHOD_POST,
	                        all, API_AUTH, &w),
	                 403);
	assert_int_equal(
	    decide(c, "/metrics", HTTP_METHOD_GET, all, API_AUTH, &w), 403);
	/* The admin key: everything, every tenant. */
	assert_int_equal(
	    decide(c, id, HTTP_METHOD_GET, all, "Bearer admin-secret", &w), 0);
	assert_null(w.tenant);
	assert_non_null(w.admin);
	assert_int_equal(decide(c, "/v1/providers/p/pause", HTTP_METHOD_POST,
	                        all, "Bearer admin-secret", &w),
	                 0);
	assert_int_equal(decide(c, "/v1/reload", HTTP_METHOD_POST, all,
	                        "Bearer admin-secret", &w),
	                 0);
	/* A metrics key: metrics only. */
	assert_int_equal(decide(c, "/metrics", HTTP_METHOD_GET, all,
	                        "Bearer prom-secret", &w),
	                 0);
	assert_int_equal(decide(c, "/v1/status", HTTP_METHOD_GET, all,
	                        "Bearer prom-secret", &w),
	                 403);
	config_free(c);
}

static void
admin_key_opens_nothing_on_the_public_listener_when_apart(void **state)
{
	struct config *c = mkkeys("listen: { admin: \"127.0.0.1:2581\" }\n");
	unsigned pub = http_access_planes(c, 0), adm = http_access_planes(c, 1);
	struct http_access_who w;
	const char *id = "/v1/messages/01ABCDEFGHJKMNPQRSTV";
	int st;

	/* The operator's rows are not on the public listener at all. */
	assert_null(find("/v1/status", HTTP_METHOD_GET, pub, &st));
	assert_int_equal(st, 404);
	assert_null(find("/metrics", HTTP_METHOD_GET, pub, &st));
	assert_null(find("/v1/providers/p/pause", HTTP_METHOD_POST, pub, &st));
	/* A message read there takes API keys only. */
	assert_int_equal(
	    decide(c, id, HTTP_METHOD_GET, pub, "Bearer admin-secret", &w),
	    401);
	assert_int_equal(decide(c, id, HTTP_METHOD_GET, pub, API_AUTH, &w), 0);
	/* And the admin listener takes admin keys only. */
	assert_int_equal(decide(c, id, HTTP_METHOD_GET, adm, API_AUTH, &w),
	                 401);
	assert_int_equal(decide(c, "/v1/status", HTTP_METHOD_GET, adm,
	                        "Bearer admin-secret", &w),
	                 0);
	assert_null(find("/v1/messages", HTTP_METHOD_POST, adm, &st));
	assert_int_equal(decide(c, "/healthz", HTTP_METHOD_GET, pub, NULL, &w),
	                 0);
	config_free(c);
}

static void
without_admin_keys_the_admin_plane_is_closed(void **state)
{
	struct config *c = config_defaults();
	struct http_access_who w;
	const char *code, *msg;
	int st;
	const struct http_access_rule *r =
	    find("/v1/status", HTTP_METHOD_GET, http_access_planes(c, 0), &st);

	assert_non_null(r);
	st = http_access_decide(c, r, http_access_planes(c, 0), NULL, &w, &code,
	                        &msg);
	assert_int_equal(st, 401);
	assert_non_null(strstr(msg, "admin_keys"));
	config_free(c);
}

static void
admin_keys_config_is_checked(void **state)
{
	char err[CONFIG_ERR_SIZE];
	struct config *c;

	c = load("admin_keys:\n  - { name: ops, key_sha256: \"" API_SHA
	         "\", role: metrics }\n");
	assert_int_equal(c->n_admin_keys, 1);
	assert_int_equal(c->admin_keys[0].role, CONFIG_ADMIN_ROLE_METRICS);
	config_free(c);
	/* An application's key must not also be an admin key. */
	assert_null(load_err(
	    "api_keys:\n  - { name: web, key_sha256: \"" API_SHA
	    "\", from_domains: [\"*\"] }\n"
	    "admin_keys:\n  - { name: ops, key_sha256: \"" API_SHA "\" }\n",
	    err, sizeof(err)));
	assert_non_null(strstr(err, "admin_keys[0]"));
	assert_null(
	    load_err("admin_keys:\n  - { name: ops }\n", err, sizeof(err)));
	assert_non_null(strstr(err, "key_sha256"));
	assert_null(
	    load_err("admin_keys:\n  - { name: a, key_sha256: \"" API_SHA
	             "\" }\n  - { name: b, key_sha256: \"" API_SHA "\" }\n",
	             err, sizeof(err)));
	assert_non_null(strstr(err, "the same key as admin_keys[0]"));
	assert_null(
	    load_err("admin_keys:\n  - { name: a, key_sha256: \"" API_SHA
	             "\", role: root }\n",
	             err, sizeof(err)));
	assert_null(
	    load_err("metrics: { listener: public }\n", err, sizeof(err)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(paths_find_their_rows),
	    cmocka_unit_test(every_row_is_reachable),
	    cmocka_unit_test(planes_follow_listen_admin_and_metrics_listener),
	    cmocka_unit_test(keys_open_what_their_role_allows),
	    cmocka_unit_test(
	        admin_key_opens_nothing_on_the_public_listener_when_apart),
	    cmocka_unit_test(without_admin_keys_the_admin_plane_is_closed),
	    cmocka_unit_test(admin_keys_config_is_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
