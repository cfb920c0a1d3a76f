/*
 * mock_api_ctl.c - the fault modes of swerve-mock's fake APIs and their
 * control routes (/mode/api, /mode/api/NAME, /stats/api).
 *
 * Names, parses and shows API modes, and sets them globally or per API.
 * Kept apart from the SMTP side's /mode so that its JSON, and every test
 * written against it, stay exactly as they were. The parser is strict in
 * the same way as mock_mode.c: a missing or surplus argument is an error.
 */
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "mock/mock_api_int.h"
#include "mock/mock_mode.h"

static const struct {
	const char *name;
	enum mock_api_fault fault;
} mock_api_modes[] = {
    /* The first name of a fault is the one shown. */
    {"follow", MOCK_API_FOLLOW},
    {"accept", MOCK_API_ACCEPT},
    {"throttle", MOCK_API_THROTTLE},
    {"429", MOCK_API_THROTTLE},
    {"internal", MOCK_API_INTERNAL},
    {"500", MOCK_API_INTERNAL},
    {"unavailable", MOCK_API_UNAVAILABLE},
    {"503", MOCK_API_UNAVAILABLE},
    {"unauthorized", MOCK_API_UNAUTHORIZED},
    {"401", MOCK_API_UNAUTHORIZED},
    {"forbidden", MOCK_API_FORBIDDEN},
    {"403", MOCK_API_FORBIDDEN},
    {"slow", MOCK_API_SLOW},
    {"hang", MOCK_API_HANG},
    {"hang_after_body", MOCK_API_HANG_AFTER_BODY},
    {"malformed_json", MOCK_API_MALFORMED},
    {"account", MOCK_API_ACCOUNT},
    {"reject", MOCK_API_REJECT},
};
#define MOCK_API_NMODES (sizeof(mock_api_modes) / sizeof(mock_api_modes[0]))

/* mock_api_mode_name - the shown name of a fault. */
const char *
mock_api_mode_name(enum mock_api_fault f)
{
	size_t i;

	for (i = 0; i < MOCK_API_NMODES; i++)
		if (mock_api_modes[i].fault == f)
			return mock_api_modes[i].name;
	return "unknown";
}

/* mock_api_mode_build - a mode from its name and argument. */
static int
mock_api_mode_build(const char *name, size_t nlen, const char *arg, size_t alen,
                    struct mock_api_mode *out, const char **why)
{
	struct mock_api_mode set;
	size_t i;

	memset(&set, 0, sizeof(set));
	for (i = 0; i < MOCK_API_NMODES; i++)
		if (strlen(mock_api_modes[i].name) == nlen &&
		    strncasecmp(mock_api_modes[i].name, name, nlen) == 0)
			break;
	if (i == MOCK_API_NMODES) {
		*why = "unknown api mode (follow, accept, throttle [S], 500, "
		       "503, 401, 403, slow MS, hang, hang_after_body, "
		       "malformed_json, account [CODE [MSG]], reject [CODE "
		       "[MSG]])";
		return -1;
	}
	set.fault = mock_api_modes[i].fault;
	if (arg == NULL)
		alen = 0;
	switch (set.fault) {
	case MOCK_API_SLOW:
		if (mock_mode_number(arg, alen, 1, MOCK_SLOW_MS_MAX, &set.ms) <
		    0) {
			*why = "slow needs a delay in milliseconds (1..600000)";
			return -1;
		}
		break;
	case MOCK_API_THROTTLE:
		set.retry_after_s = 1;
		if (alen > 0 &&
		    mock_mode_number(arg, alen, 0, MOCK_API_RETRY_MAX,
		                     &set.retry_after_s) < 0) {
			*why = "throttle takes Retry-After seconds (0..86400)";
			return -1;
		}
		break;
	case MOCK_API_ACCOUNT:
	case MOCK_API_REJECT:
		if (alen > MOCK_API_ARG_MAX) {
			*why = "account/reject argument too long";
			return -1;
		}
		for (i = 0; i < alen; i++) {
			unsigned char c = (unsigned char)arg[i];

			if (c < ' ' || c == 0x7f) {
				*why =
				    "control byte in account/reject argument";
				return -1;
			}
		}
		if (alen > 0)
			memcpy(set.arg, arg, alen);
		set.arg[alen] = '\0';
		break;
	default:
		if (alen != 0) {
			*why = "this api mode takes no argument";
			return -1;
		}
	}
	*out = set;
	return 0;
}

/* mock_api_mode_parse - "name", "name arg", "name=arg", "name:arg". */
int
mock_api_mode_parse(const char *text, size_t len, struct mock_api_mode *out,
                    const char **why)
{
	struct str name, arg;

	if (mock_mode_text_split(text, len, &name, &arg) < 0) {
		*why = "empty api mode";
		return -1;
	}
	return mock_api_mode_build(name.p, name.len, arg.p, arg.len, out, why);
}

/* mock_api_mode_json - a mode as JSON (new reference). */
static json_t *
mock_api_mode_json(const struct mock_api_mode *set)
{
	json_t *o = json_pack("{s:s}", "mode", mock_api_mode_name(set->fault));

	if (set->fault == MOCK_API_SLOW)
		json_object_set_new(o, "ms", json_integer(set->ms));
	if (set->fault == MOCK_API_THROTTLE)
		json_object_set_new(o, "retry_after",
		                    json_integer(set->retry_after_s));
	if (set->arg[0] != '\0')
		json_object_set_new(o, "arg", json_string(set->arg));
	if (set->match[0] != '\0')
		json_object_set_new(o, "match", json_string(set->match));
	return o;
}

/* mock_api_json_str - a JSON string or integer member as text. */
static const char *
mock_api_json_str(json_t *root, const char *key, char *tmp, size_t size)
{
	json_t *v = json_object_get(root, key);

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(tmp, size, "%lld", (long long)json_integer_value(v));
		return tmp;
	}
	return NULL;
}

/*
 * mock_api_mode_body - a PUT body (text form or JSON) into out; *api gets
 * the JSON "api" member's index or -1. Returns 0 or -1 with *why.
 */
static int
mock_api_mode_body(const char *body, size_t len, struct mock_api_mode *out,
                   int *api, const char **why)
{
	char t1[32], t2[32], argbuf[2 * MOCK_API_ARG_MAX + 2];
	const char *name, *arg = NULL, *code, *msg, *target;
	json_error_t jerr;
	json_t *root;
	size_t i = 0;
	int rc = -1;

	*api = -1;
	while (i < len && (body[i] == ' ' || body[i] == '\t' ||
	                   body[i] == '\r' || body[i] == '\n'))
		i++;
	if (i == len || body[i] != '{') {
		if (memchr(body, '\0', len) != NULL) {
			*why = "NUL byte in api mode";
			return -1;
		}
		return mock_api_mode_parse(body, len, out, why);
	}
	root = json_loadb(body, len, 0, &jerr);
	if (!json_is_object(root)) {
		*why = "body is not a JSON object";
		goto done;
	}
	target = mock_api_json_str(root, "api", t1, sizeof(t1));
	if (target != NULL &&
	    (*api = mock_api_lookup(target, strlen(target))) < 0) {
		*why = "unknown api (ses, sendgrid, mailgun, postmark, resend)";
		goto done;
	}
	if (!json_is_string(json_object_get(root, "mode"))) {
		*why = "\"mode\" must be a string";
		goto done;
	}
	name = json_string_value(json_object_get(root, "mode"));
	if (strpbrk(name, " \t=:") != NULL) {
		rc = mock_api_mode_parse(name, strlen(name), out, why);
		goto done;
	}
	arg = mock_api_json_str(root, "ms", t2, sizeof(t2));
	if (arg == NULL)
		arg = mock_api_json_str(root, "slow_ms", t2, sizeof(t2));
	if (arg == NULL)
		arg = mock_api_json_str(root, "retry_after", t2, sizeof(t2));
	if (arg == NULL)
		arg = mock_api_json_str(root, "arg", t2, sizeof(t2));
	if (arg == NULL) {
		code = mock_api_json_str(root, "code", t2, sizeof(t2));
		msg = mock_api_json_str(root, "message", t1, sizeof(t1));
		if (code != NULL) {
			snprintf(argbuf, sizeof(argbuf), "%s%s%s", code,
			         msg ? " " : "", msg ? msg : "");
			arg = argbuf;
		}
	}
	rc = mock_api_mode_build(name, strlen(name), arg, arg ? strlen(arg) : 0,
	                         out, why);
done:
	json_decref(root);
	return rc;
}

/* mock_api_ctl_doc - GET /mode/api's document. */
static json_t *
mock_api_ctl_doc(const struct mock_api *api)
{
	json_t *doc = mock_api_mode_json(&api->global);
	json_t *per = json_object(), *eff = json_object();
	struct mock_api_mode m;
	int i;

	for (i = 0; i < MOCK_API_COUNT; i++) {
		if (api->per_set[i])
			json_object_set_new(per, mock_api_name(i),
			                    mock_api_mode_json(&api->per[i]));
		mock_api_mode_effective(api, i, &m);
		json_object_set_new(eff, mock_api_name(i),
		                    mock_api_mode_json(&m));
	}
	json_object_set_new(doc, "per_api", per);
	json_object_set_new(doc, "effective", eff);
	return doc;
}

/* mock_api_ctl_set - apply a mode globally (api < 0) or to one API. */
static void
mock_api_ctl_set(struct mock_api *api, int which,
                 const struct mock_api_mode *set)
{
	if (which < 0) {
		api->global = *set;
	} else {
		api->per[which] = *set;
		api->per_set[which] = true;
	}
	log_info("mock[%s]: api mode %s%s-> %s", api->m->name,
	         which < 0 ? "" : mock_api_name(which), which < 0 ? "" : " ",
	         mock_api_mode_name(set->fault));
}

/* mock_api_ctl_mode - /mode/api and /mode/api/NAME. */
static void
mock_api_ctl_mode(struct evhttp_request *req, const char *rest, void *arg)
{
	struct mock_api *api = arg;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	int which = -1, from_body;
	struct mock_api_mode set;
	const char *why = "";
	struct buf body;

	if (*rest != '\0' &&
	    (which = mock_api_lookup(rest, strlen(rest))) < 0) {
		mock_http_error(req, 404, "not_found", "unknown api");
		return;
	}
	switch (cmd) {
	case EVHTTP_REQ_GET:
		break;
	case EVHTTP_REQ_DELETE:
		if (which >= 0) {
			api->per_set[which] = false;
		} else {
			memset(api->per_set, 0, sizeof(api->per_set));
			memset(&api->global, 0, sizeof(api->global));
			api->global.fault = MOCK_API_FOLLOW;
		}
		log_info("mock[%s]: api mode reset%s%s", api->m->name,
		         which < 0 ? "" : " for ", which < 0 ? "" : rest);
		break;
	case EVHTTP_REQ_PUT:
	case EVHTTP_REQ_POST:
		buf_init(&body);
		mock_http_body(req, &body);
		if (mock_api_mode_body(body.p ? body.p : "", body.len, &set,
		                       &from_body, &why) < 0) {
			buf_fini(&body);
			mock_http_error(req, 400, "bad_mode", why);
			return;
		}
		buf_fini(&body);
		if (which < 0)
			which = from_body;
		mock_api_ctl_set(api, which, &set);
		break;
	default:
		mock_http_error(req, 405, "method_not_allowed",
		                "use GET, PUT, POST or DELETE");
		return;
	}
	mock_http_json_send(req, 200, mock_api_ctl_doc(api));
}

/* mock_api_ctl_stats - GET or DELETE /stats/api. */
static void
mock_api_ctl_stats(struct evhttp_request *req, const char *rest, void *arg)
{
	struct mock_api *api = arg;
	json_t *root;
	int i;

	if (evhttp_request_get_command(req) == EVHTTP_REQ_DELETE) {
		memset(api->stats, 0, sizeof(api->stats));
	} else if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		mock_http_error(req, 405, "method_not_allowed",
		                "use GET or DELETE");
		return;
	}
	root = json_object();
	for (i = 0; i < MOCK_API_COUNT; i++) {
		const struct mock_api_stats *s = &api->stats[i];

		json_object_set_new(
		    root, mock_api_name(i),
		    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "requests",
		              (json_int_t)s->requests, "accepted",
		              (json_int_t)s->accepted, "errors",
		              (json_int_t)s->errors, "auth_failures",
		              (json_int_t)s->auth_failures, "hung",
		              (json_int_t)s->hung, "delayed",
		              (json_int_t)s->delayed));
	}
	mock_http_json_send(req, 200, root);
}

/* mock_api_ctl_register - the control routes. */
void
mock_api_ctl_register(struct mock_api *api, struct mock_http *h)
{
	mock_http_route_add(h, "/mode/api", false, mock_api_ctl_mode, api);
	mock_http_route_add(h, "/mode/api/", true, mock_api_ctl_mode, api);
	mock_http_route_add(h, "/stats/api", false, mock_api_ctl_stats, api);
}
