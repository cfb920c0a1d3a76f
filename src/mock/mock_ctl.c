/*
 * mock_ctl.c - swerve-mock's HTTP control API.
 *
 * Reads and changes the shared state (struct mock) for test harnesses and
 * drill scripts: the mode, the counters and the captured messages. Never
 * touches a socket of its own; replies go through mock_http.
 */
#include "mock/mock_ctl.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"

/* mock_ctl_method_check - true if req's method is one of mask; else
 * replies 405 and returns false. */
static bool
mock_ctl_method_check(struct evhttp_request *req, int mask, const char *use)
{
	if (evhttp_request_get_command(req) & mask)
		return true;
	mock_http_error(req, 405, "method_not_allowed", use);
	return false;
}

/* mock_ctl_mode_json - the mode as JSON. */
json_t *
mock_ctl_mode_json(const struct mock_mode_set *set)
{
	json_t *o = json_pack("{s:s,s:I}", "mode", mock_mode_name(set->mode),
	                      "slow_ms", (json_int_t)set->slow_ms);

	if (set->mode == MOCK_MODE_RCPTFAIL)
		json_object_set_new(o, "match", json_string(set->match));
	return o;
}

/* mock_ctl_mode_json_parse - {"mode":..., "ms"|"slow_ms":..., "match":...}. */
static int
mock_ctl_mode_json_parse(const char *body, size_t len,
                         struct mock_mode_set *out, const char **why)
{
	json_error_t jerr;
	json_t *root, *jmode, *jms, *jmatch;
	const char *name;
	enum mock_mode mode;
	char ms[32] = "";
	const char *arg = NULL;
	size_t arg_len = 0;
	int rc = -1;

	root = json_loadb(body, len, 0, &jerr);
	if (root == NULL || !json_is_object(root)) {
		*why = "body is not a JSON object";
		goto done;
	}
	jmode = json_object_get(root, "mode");
	if (!json_is_string(jmode)) {
		*why = "\"mode\" must be a string";
		goto done;
	}
	name = json_string_value(jmode);
	if (strpbrk(name, " \t=:") != NULL) {
		/* {"mode":"slow 200"} reads like the text form. */
		rc = mock_mode_parse(name, strlen(name), out, why);
		goto done;
	}
	if (mock_mode_lookup(name, strlen(name), &mode) < 0) {
		rc = mock_mode_build(name, strlen(name), NULL, 0, out, why);
		goto done;
	}
	/* Only the argument the mode uses is read, so the output of
	 * GET /mode can be sent back unchanged. */
	if (mode == MOCK_MODE_SLOW) {
		jms = json_object_get(root, "ms");
		if (jms == NULL)
			jms = json_object_get(root, "slow_ms");
		if (json_is_integer(jms))
			snprintf(ms, sizeof(ms), "%lld",
			         (long long)json_integer_value(jms));
		else if (json_is_string(jms))
			snprintf(ms, sizeof(ms), "%s", json_string_value(jms));
		arg = ms;
		arg_len = strlen(ms);
	} else if (mode == MOCK_MODE_RCPTFAIL) {
		jmatch = json_object_get(root, "match");
		if (json_is_string(jmatch)) {
			arg = json_string_value(jmatch);
			arg_len = json_string_length(jmatch);
		}
	}
	rc = mock_mode_build(name, strlen(name), arg, arg_len, out, why);
done:
	json_decref(root);
	return rc;
}

/* mock_ctl_mode_parse - a JSON or text-form mode body. */
int
mock_ctl_mode_parse(const char *body, size_t len, struct mock_mode_set *out,
                    const char **why)
{
	size_t i = 0;

	while (i < len && (body[i] == ' ' || body[i] == '\t' ||
	                   body[i] == '\r' || body[i] == '\n'))
		i++;
	if (i < len && body[i] == '{')
		return mock_ctl_mode_json_parse(body, len, out, why);
	if (memchr(body, '\0', len) != NULL) {
		*why = "NUL byte in mode";
		return -1;
	}
	return mock_mode_parse(body, len, out, why);
}

/* mock_ctl_healthz - GET /healthz. */
static void
mock_ctl_healthz(struct evhttp_request *req, const char *rest, void *arg)
{
	struct mock *m = arg;

	if (!mock_ctl_method_check(req, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD,
	                           "use GET"))
		return;
	mock_http_json_send(
	    req, 200, json_pack("{s:s,s:s}", "status", "ok", "name", m->name));
}

/* mock_ctl_mode - GET, PUT or POST /mode. */
static void
mock_ctl_mode(struct evhttp_request *req, const char *rest, void *arg)
{
	struct mock *m = arg;
	struct mock_mode_set set;
	const char *why = "";
	struct buf body;

	if (!mock_ctl_method_check(
	        req, EVHTTP_REQ_GET | EVHTTP_REQ_PUT | EVHTTP_REQ_POST,
	        "use GET, PUT or POST"))
		return;
	if (evhttp_request_get_command(req) == EVHTTP_REQ_GET) {
		mock_http_json_send(req, 200, mock_ctl_mode_json(&m->mode));
		return;
	}
	buf_init(&body);
	mock_http_body(req, &body);
	if (mock_ctl_mode_parse(body.p ? body.p : "", body.len, &set, &why) <
	    0) {
		mock_http_error(req, 400, "bad_mode", why);
		buf_fini(&body);
		return;
	}
	buf_fini(&body);
	mock_mode_change(m, &set);
	mock_http_json_send(req, 200, mock_ctl_mode_json(&m->mode));
}

/* mock_ctl_counters - one object with every counter of row. */
static json_t *
mock_ctl_counters(const uint64_t *row)
{
	json_t *o = json_object();
	int s;

	for (s = 0; s < MOCK_STAT_COUNT; s++)
		json_object_set_new(o, mock_stat_name(s),
		                    json_integer((json_int_t)row[s]));
	return o;
}

/* mock_ctl_stats - GET /stats. */
static void
mock_ctl_stats(struct evhttp_request *req, const char *rest, void *arg)
{
	struct mock *m = arg;
	uint64_t total[MOCK_STAT_COUNT];
	json_t *root, *by;
	int s, i;

	if (!mock_ctl_method_check(req, EVHTTP_REQ_GET, "use GET"))
		return;
	for (s = 0; s < MOCK_STAT_COUNT; s++)
		total[s] = mock_stat_total(m, s);
	root = mock_ctl_counters(total);
	json_object_set_new(root, "name", json_string(m->name));
	json_object_set_new(root, "mode",
	                    json_string(mock_mode_name(m->mode.mode)));
	json_object_set_new(
	    root, "messages_stored",
	    json_integer((json_int_t)mock_store_count(m->store)));
	by = json_object();
	for (i = 0; i < MOCK_MODE_COUNT; i++)
		json_object_set_new(by, mock_mode_name(i),
		                    mock_ctl_counters(m->stats[i]));
	json_object_set_new(root, "by_mode", by);
	mock_http_json_send(req, 200, root);
}

/* mock_ctl_msg_json - one message's metadata. */
static json_t *
mock_ctl_msg_json(const struct mock_msg *msg)
{
	json_t *rcpt = json_array(), *o, *api;
	char when[32];
	size_t i;

	for (i = 0; i < msg->nrcpt; i++)
		json_array_append_new(rcpt, json_string(msg->rcpt[i]));
	clock_wall_text(msg->received_ms, when, sizeof(when));
	/* SMTP addresses are ASCII (mock_parse refuses 8-bit bytes); a fake
	 * API's may not be UTF-8, so fall back to an empty string. */
	o = json_pack("{s:s,s:s?,s:o,s:I,s:s,s:s,s:s}", "id", msg->id,
	              "mail_from", msg->mail_from, "rcpt_to", rcpt, "size",
	              (json_int_t)msg->len, "received_at", when, "sha256",
	              msg->sha256, "via", msg->via);
	if (o == NULL && msg->api != NULL)
		o = json_pack("{s:s,s:s,s:[],s:I,s:s,s:s,s:s}", "id", msg->id,
		              "mail_from", "", "rcpt_to", "size",
		              (json_int_t)msg->len, "received_at", when,
		              "sha256", msg->sha256, "via", msg->via);
	/* A fake provider API's record: provider, auth, format, ids. */
	if (o != NULL && msg->api != NULL) {
		api = json_loads(msg->api, 0, NULL);
		if (api != NULL)
			json_object_set_new(o, "api", api);
	}
	return o;
}

/* mock_ctl_msg_format - "json" if a fake API stored a JSON payload. */
static bool
mock_ctl_msg_is_json(const struct mock_msg *msg)
{
	json_t *api, *fmt;
	bool is_json = false;

	if (msg->api == NULL)
		return false;
	api = json_loads(msg->api, 0, NULL);
	fmt = json_object_get(api, "format");
	if (json_is_string(fmt) && strcmp(json_string_value(fmt), "json") == 0)
		is_json = true;
	json_decref(api);
	return is_json;
}

/* mock_ctl_messages - GET or DELETE /messages. */
static void
mock_ctl_messages(struct evhttp_request *req, const char *rest, void *arg)
{
	struct mock *m = arg;
	size_t n, i, first = 0;
	char *limit;
	json_t *arr;

	if (!mock_ctl_method_check(req, EVHTTP_REQ_GET | EVHTTP_REQ_DELETE,
	                           "use GET or DELETE"))
		return;
	if (evhttp_request_get_command(req) == EVHTTP_REQ_DELETE) {
		n = mock_store_clear(m->store);
		mock_stats_clear(m);
		log_info("mock[%s]: store and counters cleared (%zu messages)",
		         m->name, n);
		mock_http_json_send(
		    req, 200, json_pack("{s:I}", "deleted", (json_int_t)n));
		return;
	}
	n = mock_store_count(m->store);
	limit = mock_http_query(req, "limit");
	if (limit != NULL) {
		char *end;
		unsigned long long l = strtoull(limit, &end, 10);

		if (*limit == '\0' || *end != '\0' || *limit == '-') {
			free(limit);
			mock_http_error(req, 400, "bad_limit",
			                "limit must be a number");
			return;
		}
		if (l < n)
			first = n - (size_t)l;
		free(limit);
	}
	arr = json_array();
	for (i = first; i < n; i++) {
		json_t *o = mock_ctl_msg_json(mock_store_at(m->store, i));

		if (o != NULL)
			json_array_append_new(arr, o);
	}
	mock_http_json_send(req, 200, arr);
}

/* mock_ctl_message - GET /messages/ID: the raw bytes. */
static void
mock_ctl_message(struct evhttp_request *req, const char *rest, void *arg)
{
	struct mock *m = arg;
	const struct mock_msg *msg;
	struct evbuffer *out;

	if (!mock_ctl_method_check(req, EVHTTP_REQ_GET, "use GET"))
		return;
	msg = mock_store_find(m->store, rest);
	if (msg == NULL) {
		mock_http_error(req, 404, "not_found", "no such message");
		return;
	}
	out = evbuffer_new();
	evbuffer_add(out, msg->data, msg->len);
	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "Content-Type",
	    mock_ctl_msg_is_json(msg) ? "application/json" : "message/rfc822");
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}

/* mock_ctl_register - add the control routes. */
void
mock_ctl_register(struct mock_http *h, struct mock *m)
{
	mock_http_route_add(h, "/healthz", false, mock_ctl_healthz, m);
	mock_http_route_add(h, "/mode", false, mock_ctl_mode, m);
	mock_http_route_add(h, "/stats", false, mock_ctl_stats, m);
	mock_http_route_add(h, "/messages", false, mock_ctl_messages, m);
	mock_http_route_add(h, "/messages/", true, mock_ctl_message, m);
}
