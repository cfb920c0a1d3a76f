/*
 * mock_api.c - what swerve-mock's five fake provider APIs share.
 *
 * Registers every provider endpoint on the mock's HTTP server behind one
 * dispatcher that reads the body, works out the effective fault mode,
 * parks hung requests, checks credentials through the provider, answers
 * the generic faults in the provider's shape, and only then runs the
 * endpoint. Replies leave through mock_api_reply, the single place that
 * delays (slow) or swallows (hang_after_body) them. Also the /mode/api and
 * /stats/api control routes. Never parses a provider's payload itself.
 *
 * Lifetime: a struct mock_api_req lives until its reply is handed to
 * evhttp. Parked and delayed ones sit on api->waiting; evhttp frees a
 * request only when we reply (or detaches it when the client goes away,
 * after which our late reply frees it), so holding the pointer is safe.
 */
#include "mock/mock_api.h"
#include "mock/mock_fb.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "mock/mock_api_int.h"
#include "mock/mock_api_verify.h"
#include "mock/mock_parse.h"
#include "mock/mock_tmpl.h"
#include "providers/sigv4.h"

static const char *const mock_api_names[MOCK_API_COUNT] = {
    [MOCK_API_SES] = "ses",         [MOCK_API_SENDGRID] = "sendgrid",
    [MOCK_API_MAILGUN] = "mailgun", [MOCK_API_POSTMARK] = "postmark",
    [MOCK_API_RESEND] = "resend",
};

static const char *const mock_api_default_keys[MOCK_API_COUNT] = {
    [MOCK_API_SES] = "",
    [MOCK_API_SENDGRID] = "SG.mock-sendgrid-key",
    [MOCK_API_MAILGUN] = "key-mock-mailgun",
    [MOCK_API_POSTMARK] = "mock-postmark-server-token",
    [MOCK_API_RESEND] = "re_mock_resend_key",
};

#define MOCK_API_DEFAULT_AWS                                                   \
	"AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static const struct mock_api_provider *const mock_api_providers[] = {
    [MOCK_API_SES] = &mock_api_ses,
    [MOCK_API_SENDGRID] = &mock_api_sendgrid,
    [MOCK_API_MAILGUN] = &mock_api_mailgun,
    [MOCK_API_POSTMARK] = &mock_api_postmark,
    [MOCK_API_RESEND] = &mock_api_resend,
};

/* mock_api_name - the API's name. */
const char *
mock_api_name(enum mock_api_id id)
{
	if ((unsigned)id >= MOCK_API_COUNT)
		return "unknown";
	return mock_api_names[id];
}

/* mock_api_lookup - an API by name; -1 if unknown. */
int
mock_api_lookup(const char *name, size_t len)
{
	int i;

	for (i = 0; i < MOCK_API_COUNT; i++)
		if (strlen(mock_api_names[i]) == len &&
		    strncasecmp(mock_api_names[i], name, len) == 0)
			return i;
	return -1;
}

/* mock_api_default_key - the built-in key. */
const char *
mock_api_default_key(enum mock_api_id id)
{
	return mock_api_default_keys[id];
}

/* mock_api_opts_key - "KEY" or "PROVIDER=KEY". */
int
mock_api_opts_key(struct mock_api_opts *o, const char *arg, const char **why)
{
	const char *eq = strchr(arg, '=');
	int id = -1, i;

	if (eq != NULL)
		id = mock_api_lookup(arg, (size_t)(eq - arg));
	if (id == MOCK_API_SES) {
		*why = "SES takes --aws-key ID:SECRET, not --api-key";
		return -1;
	}
	if (id >= 0)
		arg = eq + 1;
	if (*arg == '\0' || strpbrk(arg, " \t\r\n") != NULL) {
		*why = "an API key must be non-empty without white space";
		return -1;
	}
	for (i = MOCK_API_SENDGRID; i < MOCK_API_COUNT; i++) {
		if (id >= 0 && i != id)
			continue;
		if (o->nkeys[i] == MOCK_API_KEYS_MAX) {
			*why = "too many keys for one API";
			return -1;
		}
		o->keys[i][o->nkeys[i]++] = arg;
	}
	return 0;
}

/* mock_api_opts_aws - "AKID:SECRET". */
int
mock_api_opts_aws(struct mock_api_opts *o, const char *arg, const char **why)
{
	const char *colon = strchr(arg, ':');

	/* The id may hold no '/' (it would break the credential scope). */
	if (colon == NULL || colon == arg || colon[1] == '\0' ||
	    strpbrk(arg, " \t\r\n") != NULL ||
	    memchr(arg, '/', (size_t)(colon - arg)) != NULL) {
		*why = "--aws-key needs ACCESS_KEY_ID:SECRET";
		return -1;
	}
	if (o->naws == MOCK_API_KEYS_MAX) {
		*why = "too many AWS keys";
		return -1;
	}
	o->aws[o->naws++] = arg;
	return 0;
}

/* mock_api_aws_add - keep one "AKID:SECRET" pair. */
static void
mock_api_aws_add(struct mock_api *api, const char *pair)
{
	const char *colon = strchr(pair, ':');

	api->akid[api->naws] = xstrndup(pair, (size_t)(colon - pair));
	api->secret[api->naws] = xstrdup(colon + 1);
	api->naws++;
}

/* mock_api_new - register every provider's routes and the control. */
struct mock_api *
mock_api_new(struct mock *m, struct mock_http *h, const struct mock_api_opts *o)
{
	struct mock_api *api = xcalloc(1, sizeof(*api));
	size_t i, j;

	api->m = m;
	TAILQ_INIT(&api->waiting);
	api->aws_skew =
	    o->aws_max_skew_s > 0 ? o->aws_max_skew_s : SIGV4_DEFAULT_SKEW_S;
	for (i = MOCK_API_SENDGRID; i < MOCK_API_COUNT; i++) {
		if (o->nkeys[i] == 0)
			api->keys[i][api->nkeys[i]++] =
			    xstrdup(mock_api_default_keys[i]);
		for (j = 0; j < o->nkeys[i]; j++)
			api->keys[i][api->nkeys[i]++] = xstrdup(o->keys[i][j]);
	}
	if (o->naws == 0)
		mock_api_aws_add(api, MOCK_API_DEFAULT_AWS);
	for (i = 0; i < o->naws; i++)
		mock_api_aws_add(api, o->aws[i]);
	if (o->mailgun_domain != NULL)
		api->mailgun_domain = xstrdup(o->mailgun_domain);
	api->global.fault = MOCK_API_FOLLOW;
	if (o->mode != NULL)
		api->global = *o->mode;
	for (i = 0; i < MOCK_API_COUNT; i++) {
		const struct mock_api_provider *p = mock_api_providers[i];

		for (j = 0; j < p->nendpoints; j++) {
			struct mock_api_slot *s;

			if (api->nslots == MOCK_API_SLOTS_MAX)
				log_panic("mock: api: too many endpoints");
			s = &api->slots[api->nslots++];
			s->api = api;
			s->prov = p;
			s->id = (enum mock_api_id)i;
			s->ep = &p->endpoints[j];
			mock_http_route_add(h, s->ep->path, s->ep->prefix,
			                    mock_api_dispatch, s);
		}
	}
	mock_api_ctl_register(api, h);
	mock_api_supp_register(api, h);
	mock_api_tmpl_register(api, h);
	mock_api_account_register(api, h);
	mock_api_verify_register(api, h);
	return api;
}

/* mock_api_req_free - release a finished request context. */
static void
mock_api_req_free(struct mock_api_req *r)
{
	if (r->timer != NULL)
		event_free(r->timer);
	if (r->out != NULL)
		evbuffer_free(r->out);
	buf_fini(&r->body);
	free(r->path);
	free(r->rest);
	free(r);
}

/* mock_api_free - answer what waits, then free. */
void
mock_api_free(struct mock_api *api)
{
	struct mock_api_req *r;
	size_t i, j;

	if (api == NULL)
		return;
	while ((r = TAILQ_FIRST(&api->waiting)) != NULL) {
		TAILQ_REMOVE(&api->waiting, r, link);
		evhttp_send_reply(r->req, 503, "Service Unavailable", NULL);
		mock_api_req_free(r);
	}
	for (i = 0; i < MOCK_API_COUNT; i++)
		for (j = 0; j < api->nkeys[i]; j++)
			free(api->keys[i][j]);
	for (i = 0; i < api->naws; i++) {
		free(api->akid[i]);
		OPENSSL_cleanse(api->secret[i], strlen(api->secret[i]));
		free(api->secret[i]);
	}
	free(api->mailgun_domain);
	mock_api_idem_clear(api);
	json_decref(api->supp);
	json_decref(api->account);
	json_decref(api->verify);
	json_decref(api->tmpl);
	free(api);
}

/* mock_api_follow - the SMTP mode's nearest API equivalent. */
static void
mock_api_follow(const struct mock_mode_set *smtp, struct mock_api_mode *out)
{
	memset(out, 0, sizeof(*out));
	switch (smtp->mode) {
	case MOCK_MODE_TEMPFAIL:
		out->fault = MOCK_API_INTERNAL;
		break;
	case MOCK_MODE_PERMFAIL:
		out->fault = MOCK_API_REJECT;
		break;
	case MOCK_MODE_REFUSE:
		out->fault = MOCK_API_UNAVAILABLE;
		break;
	case MOCK_MODE_HANG:
		out->fault = MOCK_API_HANG;
		break;
	case MOCK_MODE_DROP:
		out->fault = MOCK_API_HANG_AFTER_BODY;
		break;
	case MOCK_MODE_SLOW:
		out->fault = MOCK_API_SLOW;
		out->ms = smtp->slow_ms;
		break;
	case MOCK_MODE_THROTTLE:
		out->fault = MOCK_API_THROTTLE;
		out->retry_after_s = 1;
		break;
	case MOCK_MODE_AUTHFAIL:
		out->fault = MOCK_API_UNAUTHORIZED;
		break;
	case MOCK_MODE_RCPTFAIL:
		out->fault = MOCK_API_REJECT;
		snprintf(out->match, sizeof(out->match), "%s", smtp->match);
		break;
	default:
		out->fault = MOCK_API_ACCEPT;
		break;
	}
}

/* mock_api_mode_effective - the mode that applies to API id now. */
void
mock_api_mode_effective(const struct mock_api *api, enum mock_api_id id,
                        struct mock_api_mode *out)
{
	*out = api->per_set[id] ? api->per[id] : api->global;
	if (out->fault == MOCK_API_FOLLOW)
		mock_api_follow(&api->m->mode, out);
}

/* mock_api_mode_arg - split an account/reject argument into its code and
 * message (either may come back NULL); uses buf as storage. */
static void
mock_api_mode_arg(const struct mock_api_mode *mode, char *buf, size_t size,
                  const char **code, const char **message)
{
	char *sp;

	*code = *message = NULL;
	if (mode->arg[0] == '\0')
		return;
	snprintf(buf, size, "%s", mode->arg);
	*code = buf;
	sp = strchr(buf, ' ');
	if (sp != NULL) {
		*sp = '\0';
		*message = sp + 1;
	}
}

/* mock_api_wait - put r on the waiting list. */
static void
mock_api_wait(struct mock_api_req *r)
{
	TAILQ_INSERT_TAIL(&r->api->waiting, r, link);
}

/* mock_api_ascii - replace bytes outside printable ASCII with '?'. */
static void
mock_api_ascii(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

/* mock_api_dispatch - every provider request starts here. */
void
mock_api_dispatch(struct evhttp_request *req, const char *rest, void *arg)
{
	struct mock_api_slot *s = mock_verify_slot(arg, req);
	struct mock_api *api = s->api;
	struct mock_api_req *r = xcalloc(1, sizeof(*r));
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *code, *message;
	char argbuf[MOCK_API_ARG_MAX + 1];
	enum mock_api_err e;

	r->api = api;
	r->prov = s->prov;
	r->id = s->id;
	r->req = req;
	r->path = xstrdup(path && *path ? path : "/");
	r->rest = xstrdup(rest);
	/* The path lands in JSON records: keep it printable ASCII. */
	mock_api_ascii(r->path);
	mock_api_ascii(r->rest);
	buf_init(&r->body);
	mock_http_body(req, &r->body);
	mock_api_mode_effective(api, s->id, &r->mode);
	api->stats[s->id].requests++;

	if (r->mode.fault == MOCK_API_HANG) {
		api->stats[s->id].hung++;
		mock_api_wait(r);
		return;
	}
	if (!(evhttp_request_get_command(req) & s->ep->methods)) {
		s->prov->error(r, MOCK_API_ERR_METHOD, NULL, NULL);
		return;
	}
	if (s->prov->auth(r) < 0) {
		api->stats[s->id].auth_failures++;
		return;
	}
	mock_api_mode_arg(&r->mode, argbuf, sizeof(argbuf), &code, &message);
	switch (r->mode.fault) {
	case MOCK_API_THROTTLE:
		e = MOCK_API_ERR_THROTTLE;
		break;
	case MOCK_API_INTERNAL:
		e = MOCK_API_ERR_INTERNAL;
		break;
	case MOCK_API_UNAVAILABLE:
		e = MOCK_API_ERR_UNAVAILABLE;
		break;
	case MOCK_API_UNAUTHORIZED:
		e = MOCK_API_ERR_UNAUTHORIZED;
		break;
	case MOCK_API_FORBIDDEN:
		e = MOCK_API_ERR_FORBIDDEN;
		break;
	case MOCK_API_ACCOUNT:
		if (s->ep->probe)
			goto run;
		e = MOCK_API_ERR_ACCOUNT;
		break;
	case MOCK_API_REJECT:
		/* A recipient match is decided by mock_api_store. */
		if (s->ep->probe || r->mode.match[0] != '\0')
			goto run;
		e = MOCK_API_ERR_REJECT;
		break;
	default:
		goto run;
	}
	s->prov->error(r, e, code, message);
	return;
run:
	s->ep->fn(r);
}

/* mock_api_reply_fire - slow mode's timer: send the held reply. */
static void
mock_api_reply_fire(evutil_socket_t fd, short what, void *arg)
{
	struct mock_api_req *r = arg;

	TAILQ_REMOVE(&r->api->waiting, r, link);
	evhttp_send_reply(r->req, r->code, NULL, r->out);
	mock_api_req_free(r);
}

/* mock_api_reply - the one way out for every provider reply. */
void
mock_api_reply(struct mock_api_req *r, int code, const char *ctype,
               const void *body, size_t len)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
	struct mock_api_stats *st = &r->api->stats[r->id];
	struct timeval tv;

	if (ctype != NULL && evhttp_find_header(h, "Content-Type") == NULL)
		evhttp_add_header(h, "Content-Type", ctype);
	if (code >= 400)
		st->errors++;
	if (r->mode.fault == MOCK_API_HANG_AFTER_BODY) {
		st->hung++;
		mock_api_wait(r);
		return;
	}
	r->code = code;
	r->out = evbuffer_new();
	if (len > 0)
		evbuffer_add(r->out, body, len);
	if (r->mode.fault == MOCK_API_SLOW && r->mode.ms > 0) {
		st->delayed++;
		r->timer = evtimer_new(r->api->m->base, mock_api_reply_fire, r);
		tv.tv_sec = r->mode.ms / 1000;
		tv.tv_usec = (r->mode.ms % 1000) * 1000;
		evtimer_add(r->timer, &tv);
		mock_api_wait(r);
		return;
	}
	evhttp_send_reply(r->req, code, NULL, r->out);
	mock_api_req_free(r);
}

/* mock_api_reply_json - reply with compact JSON. */
void
mock_api_reply_json(struct mock_api_req *r, int code, json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT);

	if (text == NULL)
		log_panic("mock: api: cannot serialise a reply");
	mock_api_reply(r, code, "application/json", text, strlen(text));
	free(text);
	json_decref(obj);
}

/* mock_api_success - a 2xx reply, broken on purpose in malformed mode. */
void
mock_api_success(struct mock_api_req *r, int code, json_t *obj)
{
	char *text;
	size_t len;

	if (r->mode.fault != MOCK_API_MALFORMED) {
		if (obj == NULL)
			mock_api_reply(r, code, NULL, "", 0);
		else
			mock_api_reply_json(r, code, obj);
		return;
	}
	/* Half a document with no closing brace: no JSON parser takes it. */
	text = obj ? json_dumps(obj, JSON_COMPACT) : xstrdup("{\"id\":\"");
	len = strlen(text);
	if (len > 8)
		len = len / 2;
	mock_api_reply(r, code, "application/json", text, len);
	free(text);
	json_decref(obj);
}

/* mock_api_header - one request header. */
const char *
mock_api_header(struct mock_api_req *r, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(r->req),
	                          name);
}

/* mock_api_header_add - one reply header. */
void
mock_api_header_add(struct mock_api_req *r, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->req), name,
	                  value);
}

/* mock_api_key_check - compare against every key of the API. */
int
mock_api_key_check(struct mock_api_req *r, const char *key, size_t len)
{
	const struct mock_api *api = r->api;
	int ok = 0;
	size_t i;

	for (i = 0; i < api->nkeys[r->id]; i++) {
		const char *k = api->keys[r->id][i];

		if (strlen(k) == len && CRYPTO_memcmp(k, key, len) == 0)
			ok = 1;
	}
	return ok;
}

/* mock_api_aws_secret - the secret for an access key id. */
const char *
mock_api_aws_secret(struct mock_api_req *r, struct str akid)
{
	size_t i;

	for (i = 0; i < r->api->naws; i++)
		if (strlen(r->api->akid[i]) == akid.len &&
		    memcmp(r->api->akid[i], akid.p, akid.len) == 0)
			return r->api->secret[i];
	return NULL;
}

/* mock_api_aws_skew - the allowed skew. */
int
mock_api_aws_skew(struct mock_api_req *r)
{
	return r->api->aws_skew;
}

/* mock_api_mailgun_domain - the configured domain or NULL. */
const char *
mock_api_mailgun_domain(struct mock_api_req *r)
{
	return r->api->mailgun_domain;
}

/* mock_api_accepted - the API's accepted counter. */
uint64_t
mock_api_accepted(struct mock_api_req *r)
{
	return r->api->stats[r->id].accepted;
}

/* mock_api_retry_after - seconds for Retry-After. */
unsigned
mock_api_retry_after(struct mock_api_req *r)
{
	return r->mode.fault == MOCK_API_THROTTLE ? r->mode.retry_after_s : 1;
}

/* mock_api_store - capture an accepted request as a message. */
int
mock_api_store(struct mock_api_req *r, struct mock_api_capture *cap)
{
	struct mock *m = r->api->m;
	const struct mock_msg *msg;
	json_t *meta;
	char *text;
	size_t i;

	if (r->mode.fault == MOCK_API_REJECT && r->mode.match[0] != '\0') {
		for (i = 0; i < cap->nrcpt; i++) {
			if (strstr(cap->rcpt[i], r->mode.match) == NULL)
				continue;
			json_decref(cap->request);
			buf_fini(cap->data);
			r->prov->error(r, MOCK_API_ERR_REJECT, NULL, NULL);
			return -1;
		}
	}
	/* Every string here is ASCII: our ids, a sanitised path, and an
	 * identity that matched a configured key. */
	meta = json_pack(
	    "{s:s,s:s,s:s,s:s,s:s}", "provider", mock_api_name(r->id),
	    "endpoint", r->path, "auth", r->identity, "format", cap->format,
	    "provider_message_id", cap->provider_id ? cap->provider_id : "");
	if (meta == NULL)
		meta = json_pack("{s:s,s:s}", "provider", mock_api_name(r->id),
		                 "format", cap->format);
	if (meta == NULL)
		log_panic("mock: api: cannot build the capture record");
	if (cap->request != NULL)
		json_object_set_new(meta, "request", cap->request);
	text = json_dumps(meta, JSON_COMPACT);
	json_decref(meta);
	msg = mock_store_add_api(m->store, cap->from ? cap->from : "",
	                         cap->rcpt, cap->nrcpt, cap->data,
	                         mock_api_name(r->id), text);
	r->api->stats[r->id].accepted++;
	mock_fb_accepted(m->fb, msg);
	log_info("mock[%s]: %s accepted %s (%zu bytes, %zu rcpt) as %s",
	         m->name, mock_api_name(r->id), msg->id, msg->len, msg->nrcpt,
	         cap->provider_id ? cap->provider_id : "-");
	return 0;
}

/* mock_api_uuid - a random UUID v4. */
void
mock_api_uuid(char out[37])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		log_panic("mock: api: RAND_bytes failed");
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	         "%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
	         b[10], b[11], b[12], b[13], b[14], b[15]);
}
