/*
 * mock_mailgun.c - swerve-mock's fake Mailgun messages API.
 *
 * POST /v3/{domain}/messages.mime (a "message" part holding the full MIME,
 * stored byte for byte, plus envelope "to") and /v3/{domain}/messages
 * (from/to/subject/text/html/attachment/inline fields, stored as JSON),
 * as multipart/form-data or application/x-www-form-urlencoded, with HTTP
 * Basic "api:KEY". o:, h:, v: and t: options are kept in the record. A bad
 * key gets Mailgun's plain-text 401 "Forbidden"; other errors are JSON
 * {"message": ...}. The record's "request" holds domain, kind ("mime" or
 * "form") and options {"o:tag": [values], ...}. GET /v3/domains/{domain}
 * is the probe. With
 * --mailgun-domain only that domain exists (others: 404). GET
 * /v3/{domain}/templates[/NAME]: mock_mailgun_tmpl.c. Not done:
 * template sends, batch recipient-variables, scheduled delivery.
 */
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "core/base64.h"
#include "core/clock.h"
#include "core/xmalloc.h"
#include "mime/form.h"
#include "mock/mock_api.h"
#include "mock/mock_api_verify.h"
#include "mock/mock_http.h"
#include "mock/mock_parse.h"
#include "mock/mock_tmpl.h"

#define MOCK_MG_BODY_MAX (25u * 1024 * 1024)
#define MOCK_MG_RCPT_MAX 1000
#define MOCK_MG_DOMAIN_MAX 253

/* mock_mg_msg - reply {"message": text}. */
static void
mock_mg_msg(struct mock_api_req *r, int status, const char *text)
{
	mock_api_reply_json(r, status, json_pack("{s:s}", "message", text));
}

/* mock_mg_forbidden - Mailgun's plain-text answer to a bad key. */
static void
mock_mg_forbidden(struct mock_api_req *r)
{
	mock_api_reply(r, 401, "text/plain; charset=utf-8", "Forbidden", 9);
}

/* mock_mg_error - a mode's error in Mailgun's shape. */
static void
mock_mg_error(struct mock_api_req *r, enum mock_api_err e, const char *code,
              const char *message)
{
	char ra[16];

	message = r->mode.arg[0] != '\0' ? r->mode.arg : NULL;
	switch (e) {
	case MOCK_API_ERR_THROTTLE:
		snprintf(ra, sizeof(ra), "%u", mock_api_retry_after(r));
		mock_api_header_add(r, "Retry-After", ra);
		mock_mg_msg(r, 429, "Too many requests");
		break;
	case MOCK_API_ERR_INTERNAL:
		mock_mg_msg(r, 500, "Internal Server Error");
		break;
	case MOCK_API_ERR_UNAVAILABLE:
		mock_mg_msg(r, 503, "Service Unavailable");
		break;
	case MOCK_API_ERR_UNAUTHORIZED:
		mock_mg_forbidden(r);
		break;
	case MOCK_API_ERR_FORBIDDEN:
		mock_mg_msg(r, 403, "Forbidden");
		break;
	case MOCK_API_ERR_ACCOUNT:
		mock_mg_msg(r, 403,
		            message ? message
		                    : "Domain is not allowed "
		                      "to send: Free accounts are for test "
		                      "purposes only. Please "
		                      "upgrade or add the address to "
		                      "authorized recipients in "
		                      "Account Settings.");
		break;
	case MOCK_API_ERR_REJECT:
		mock_mg_msg(r, 400,
		            message
		                ? message
		                : "to parameter is not a "
		                  "valid address. please check documentation");
		break;
	case MOCK_API_ERR_NOT_FOUND:
		mock_mg_msg(r, 404, "Not Found");
		break;
	case MOCK_API_ERR_METHOD:
		mock_mg_msg(r, 405, "Method Not Allowed");
		break;
	}
}

/* mock_mg_auth - HTTP Basic with user "api" and the key as password. */
static int
mock_mg_auth(struct mock_api_req *r)
{
	const char *h = mock_api_header(r, "Authorization");
	struct buf dec;
	const char *colon;
	int ok = 0;

	buf_init(&dec);
	if (h != NULL && strncasecmp(h, "Basic ", 6) == 0 &&
	    base64_decode_buf(str_from(h + 6), 0, &dec) == 0 && dec.len > 4 &&
	    memcmp(dec.p, "api:", 4) == 0) {
		colon = dec.p + 3;
		ok = mock_api_key_check(r, colon + 1, dec.len - 4);
		if (ok)
			snprintf(r->identity, sizeof(r->identity), "%.*s",
			         (int)(dec.len - 4), colon + 1);
	}
	buf_fini(&dec);
	if (!ok) {
		mock_mg_forbidden(r);
		return -1;
	}
	return 0;
}

/* mock_mg_domain - split rest "DOMAIN/TAIL"; 404 for an unknown domain.
 * Returns the domain (owned) or NULL after replying. */
static char *
mock_mg_domain(struct mock_api_req *r, const char *rest, const char **tail)
{
	const char *slash = strchr(rest, '/');
	const char *want = mock_api_mailgun_domain(r);
	char *d, msg[MOCK_MG_DOMAIN_MAX + 32];

	if (slash == NULL || slash == rest ||
	    slash - rest > MOCK_MG_DOMAIN_MAX ||
	    strspn(rest, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                 "0123456789.-") != (size_t)(slash - rest)) {
		mock_mg_msg(r, 404, "Not Found");
		return NULL;
	}
	d = xstrndup(rest, (size_t)(slash - rest));
	if (want != NULL && strcasecmp(want, d) != 0) {
		snprintf(msg, sizeof(msg), "Domain not found: %s", d);
		free(d);
		mock_mg_msg(r, 404, msg);
		return NULL;
	}
	*tail = slash + 1;
	return d;
}

/* mock_mg_str - a JSON string of a view, or base64 when not UTF-8. */
static json_t *
mock_mg_str(struct str v, bool force_b64)
{
	json_t *s = force_b64 ? NULL : json_stringn(v.p, v.len);
	char *out;

	if (s != NULL)
		return s;
	out = base64_encode_str(v.p, v.len);
	s = json_pack("{s:s}", "base64", out);
	free(out);
	return s;
}

/* mock_mg_fields_json - every field as {"name":[values...]}; file parts
 * as {"filename","content_type","size","base64"}. */
static json_t *
mock_mg_fields_json(const struct form *form, bool options_only,
                    bool skip_message)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < form->n; i++) {
		const struct form_field *f = &form->f[i];
		char *name = str_dup(f->name);
		bool opt = f->name.len > 2 && f->name.p[1] == ':' &&
		           strchr("ohvt", f->name.p[0]) != NULL;
		json_t *arr, *v;

		if ((options_only && !opt) ||
		    (skip_message && strcmp(name, "message") == 0) ||
		    strlen(name) != f->name.len) {
			free(name);
			continue;
		}
		arr = json_object_get(o, name);
		/* A name that is not UTF-8 cannot be a key: skip the field
		 * (json_object_set_new has freed arr then). */
		if (arr == NULL &&
		    json_object_set_new(o, name, arr = json_array()) < 0) {
			free(name);
			continue;
		}
		if (f->is_file) {
			char *fn = str_dup(f->filename),
			     *ct = str_dup(f->ctype);

			v = json_pack("{s:s?,s:s?,s:I,s:o}", "filename", fn,
			              "content_type", ct, "size",
			              (json_int_t)f->value.len, "content",
			              mock_mg_str(f->value, true));
			free(fn);
			free(ct);
		} else {
			v = mock_mg_str(f->value, false);
		}
		if (v != NULL)
			json_array_append_new(arr, v);
		free(name);
	}
	return o;
}

/* mock_mg_rcpts - every "to" field's addresses into rc; -1 if one is not
 * an address. */
static int
mock_mg_rcpts(const struct form *form, struct mock_api_addrs *rc)
{
	size_t i, j, before;

	for (i = 0; i < form->n; i++) {
		const struct form_field *f = &form->f[i];

		if (f->name.len != 2 || memcmp(f->name.p, "to", 2) != 0)
			continue;
		before = rc->n;
		mock_api_addrs_add(rc, f->value.p, f->value.len);
		for (j = before; j < rc->n; j++) {
			const char *at = strchr(rc->v[j], '@');

			if (at == NULL || at == rc->v[j] || at[1] == '\0')
				return -1;
		}
	}
	return 0;
}

/* mock_mg_message_id - "<YYYYmmddHHMMSS.N.HEX@domain>". */
static void
mock_mg_message_id(char *out, size_t size, const char *domain)
{
	char stamp[16], uuid[37];
	time_t t = clock_wall_time();
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
	mock_api_uuid(uuid);
	snprintf(out, size, "<%s.%c.%.8s%.4s@%s>", stamp,
	         "123456789"[(unsigned char)uuid[0] % 9], uuid, uuid + 9,
	         domain);
}

/* mock_mg_send - POST /v3/{domain}/messages[.mime]. */
static void
mock_mg_send(struct mock_api_req *r)
{
	const char *ctype = mock_api_header(r, "Content-Type");
	const char *tail = "", *why = "";
	struct mock_api_addrs rc = {0}, from = {0};
	const struct form_field *msgf, *ff;
	struct mock_api_capture cap;
	struct form form;
	struct str boundary;
	struct buf copy, data, hdr;
	char *domain, id[MOCK_MG_DOMAIN_MAX + 64];
	bool mime;
	json_t *req;

	form_init(&form);
	buf_init(&copy);
	buf_init(&data);
	buf_init(&hdr);
	domain = mock_mg_domain(r, r->rest, &tail);
	if (domain == NULL)
		goto done;
	if (strcmp(tail, "messages.mime") == 0) {
		mime = true;
	} else if (strcmp(tail, "messages") == 0) {
		mime = false;
	} else {
		mock_mg_msg(r, 404, "Not Found");
		goto done;
	}
	if (r->body.len > MOCK_MG_BODY_MAX) {
		mock_mg_msg(r, 413, "Request Entity Too Large");
		goto done;
	}
	if (ctype != NULL && strncasecmp(ctype, "multipart/", 10) == 0) {
		if (form_boundary_get(ctype, &boundary, &why) < 0 ||
		    form_multipart_parse(r->body.p ? r->body.p : "",
		                         r->body.len, boundary, &form,
		                         &why) < 0)
			goto bad;
	} else if (ctype != NULL &&
	           strncasecmp(ctype, "application/x-www-form-urlencoded",
	                       33) == 0) {
		buf_add(&copy, r->body.p ? r->body.p : "", r->body.len);
		if (form_urlencoded_parse(copy.p ? copy.p : (char *)"",
		                          copy.len, &form, &why) < 0)
			goto bad;
	} else {
		why = "Content-Type must be multipart/form-data or "
		      "application/x-www-form-urlencoded";
		goto bad;
	}
	if (form_field_get(&form, "to") == NULL) {
		why = "'to' parameter is missing";
		goto bad;
	}
	if (mock_mg_rcpts(&form, &rc) < 0) {
		why = "to parameter is not a valid address. please check "
		      "documentation";
		goto bad;
	}
	if (rc.n > MOCK_MG_RCPT_MAX) {
		why = "Too many recipients (at most 1000)";
		goto bad;
	}
	if (mime) {
		msgf = form_field_get(&form, "message");
		if (msgf == NULL) {
			why = "'message' parameter is missing";
			goto bad;
		}
		buf_add(&data, msgf->value.p, msgf->value.len);
		if (mock_api_mime_header(data.p, data.len, "From", &hdr))
			mock_api_addrs_add(&from, hdr.p, hdr.len);
	} else {
		ff = form_field_get(&form, "from");
		if (ff == NULL) {
			why = "'from' parameter is missing";
			goto bad;
		}
		if (form_field_get(&form, "text") == NULL &&
		    form_field_get(&form, "html") == NULL &&
		    form_field_get(&form, "template") == NULL) {
			why = "Need at least one of 'text', 'html' or "
			      "'template' parameters specified";
			goto bad;
		}
		mock_api_addrs_add(&from, ff->value.p, ff->value.len);
		req = mock_mg_fields_json(&form, false, false);
		if (!json_is_object(req) || json_object_size(req) == 0) {
			json_decref(req);
			why = "bad form fields";
			goto bad;
		}
		{
			char *text = json_dumps(req, JSON_COMPACT);

			buf_addstr(&data, text);
			free(text);
		}
		json_decref(req);
	}
	mock_mg_message_id(id, sizeof(id), domain);
	cap.from = from.n > 0 ? from.v[0] : "";
	cap.rcpt = rc.v;
	cap.nrcpt = rc.n;
	cap.data = &data;
	cap.format = mime ? "mime" : "json";
	cap.provider_id = id;
	cap.request = json_pack("{s:s,s:s,s:o}", "domain", domain, "kind",
	                        mime ? "mime" : "form", "options",
	                        mock_mg_fields_json(&form, true, true));
	if (mock_api_store(r, &cap) == 0)
		mock_api_success(r, 200,
		                 json_pack("{s:s,s:s}", "id", id, "message",
		                           "Queued. Thank you."));
	goto done;
bad:
	mock_mg_msg(r, 400, why);
done:
	free(domain);
	form_fini(&form);
	mock_api_addrs_fini(&rc);
	mock_api_addrs_fini(&from);
	buf_fini(&copy);
	buf_fini(&data);
	buf_fini(&hdr);
}

/* mock_mg_domain_get - GET /v3/domains/{domain}, the probe. */
static void
mock_mg_domain_get(struct mock_api_req *r)
{
	const char *want = mock_api_mailgun_domain(r);
	const char *state =
	    r->mode.fault == MOCK_API_ACCOUNT
	        ? "disabled"
	        : mock_api_account_str(r->api, "mailgun", "state", "active");

	if (mock_verify_mailgun(r))
		return;
	if (strchr(r->rest, '/') != NULL || r->rest[0] == '\0' ||
	    (want != NULL && strcasecmp(want, r->rest) != 0)) {
		mock_mg_msg(r, 404, "Domain not found");
		return;
	}
	mock_api_success(r, 200,
	                 json_pack("{s:{s:s,s:s,s:s},s:[],s:[]}", "domain",
	                           "name", r->rest, "state", state, "type",
	                           "custom", "receiving_dns_records",
	                           "sending_dns_records"));
}

/*
 * mock_mg_supp - GET /v3/{domain}/{bounces,complaints,unsubscribes}
 * ?limit=N[&page=next&address=LAST]: {"items": [{address, created_at,
 * ...}], "paging": {first, next, previous, last}} from the seeded list,
 * paged as Mailgun pages it (by the last address seen; limit default
 * 100, at most 1000); a page past the end has no items.
 */
static void
mock_mg_supp(struct mock_api_req *r)
{
	const char *tail = "", *host = mock_api_header(r, "Host");
	char *domain = mock_mg_domain(r, r->rest, &tail);
	char *ls, *after, *enc, next[1024];
	json_t *list, *items, *a;
	size_t i = 0;
	long limit;

	if (domain == NULL)
		return;
	if (strcmp(tail, "bounces") != 0 && strcmp(tail, "complaints") != 0 &&
	    strcmp(tail, "unsubscribes") != 0) {
		free(domain);
		mock_mg_msg(r, 404, "Not Found");
		return;
	}
	list = mock_api_supp_get(r->api, "mailgun", tail);
	ls = mock_http_query(r->req, "limit");
	after = mock_http_query(r->req, "address");
	limit = ls ? strtol(ls, NULL, 10) : 100;
	if (limit <= 0 || limit > 1000)
		limit = 100;
	if (after != NULL)
		for (; i < json_array_size(list); i++)
			if (strcmp(json_string_value(json_array_get(list, i)),
			           after) == 0) {
				i++;
				break;
			}
	items = json_array();
	for (a = NULL; i < json_array_size(list) &&
	               json_array_size(items) < (size_t)limit;
	     i++) {
		a = json_array_get(list, i);
		json_array_append_new(
		    items,
		    json_pack("{s:O,s:s,s:s,s:s}", "address", a, "code", "550",
		              "error", "seeded by swerve-mock", "created_at",
		              "Tue, 14 Nov 2023 22:13:20 UTC"));
	}
	enc = evhttp_uriencode(a ? json_string_value(a) : (after ? after : ""),
	                       -1, 0);
	snprintf(next, sizeof(next),
	         "http://%s/v3/%s/%s?page=next&address=%s&limit=%ld",
	         host ? host : "localhost", domain, tail, enc ? enc : "",
	         limit);
	free(enc);
	mock_api_success(
	    r, 200,
	    json_pack("{s:o,s:{s:s}}", "items", items, "paging", "next", next));
	free(ls);
	free(after);
	free(domain);
}

/* mock_mg_v3 - /v3/...: a GET is a suppression list or a template
 * (mock_tmpl.h), a POST a send. */
static void
mock_mg_v3(struct mock_api_req *r)
{
	const char *tail = "";
	char *domain;

	if (evhttp_request_get_command(r->req) == EVHTTP_REQ_GET &&
	    strstr(r->rest, "/templates") != NULL &&
	    strncmp(strchr(r->rest, '/'), "/templates", 10) == 0) {
		if ((domain = mock_mg_domain(r, r->rest, &tail)) == NULL)
			return;
		tail += strlen("templates");
		if (*tail == '\0' || *tail == '/')
			mock_mg_tmpl(r, domain, tail);
		else
			mock_mg_msg(r, 404, "Not Found");
		free(domain);
		return;
	}
	if (evhttp_request_get_command(r->req) == EVHTTP_REQ_GET)
		mock_mg_supp(r);
	else
		mock_mg_send(r);
}

static const struct mock_api_endpoint mock_mg_endpoints[] = {
    {"/v3/", true, EVHTTP_REQ_POST | EVHTTP_REQ_GET, mock_mg_v3, false},
    {"/v3/domains/", true, EVHTTP_REQ_GET, mock_mg_domain_get, true},
};

const struct mock_api_provider mock_api_mailgun = {
    .name = "mailgun",
    .endpoints = mock_mg_endpoints,
    .nendpoints = sizeof(mock_mg_endpoints) / sizeof(mock_mg_endpoints[0]),
    .auth = mock_mg_auth,
    .error = mock_mg_error,
};
