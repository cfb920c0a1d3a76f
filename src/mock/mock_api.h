/*
 * mock_api.h - swerve-mock's fake provider HTTP APIs (contract).
 *
 * Five fake ESP APIs on the mock's HTTP server, at their real paths, with
 * their real authentication, success and error shapes (each provider's
 * public API reference): Amazon SES v2 (mock_ses.c), SendGrid v3
 * (mock_sendgrid.c), Mailgun (mock_mailgun.c), Postmark (mock_postmark.c)
 * and Resend (mock_resend.c). Each provider file exports one struct
 * mock_api_provider; this module owns what they share: the request
 * context, the fault modes, the reply path (slow, hang, malformed), the
 * capture of accepted requests into the mock's message store, and the
 * control routes:
 *
 *   GET  /mode/api            {"mode":"follow",...,"per_api":{..},
 *                              "effective":{"ses":{"mode":..},...}}
 *   PUT|POST /mode/api        text "throttle 5" or JSON {"mode":"throttle",
 *                             "retry_after":5}; optional "api":"ses" in
 *                             JSON sets one API only
 *   PUT|POST /mode/api/NAME   set the mode of one API (NAME: ses,
 *                             sendgrid, mailgun, postmark, resend)
 *   DELETE /mode/api/NAME     drop NAME's own mode (it follows the global)
 *   DELETE /mode/api          global back to "follow", per-API modes gone
 *   GET|DELETE /stats/api     counters per API / zero them
 *
 * Modes (text form "name [arg]" like the SMTP side's, names any case):
 *   follow            the SMTP mode's nearest equivalent (the default):
 *                     accept, tempfail->500, permfail->reject,
 *                     refuse->503, hang, drop->hang_after_body, slow,
 *                     throttle->429, authfail->401, rcptfail->reject for
 *                     requests with a matching recipient
 *   accept            normal service
 *   throttle [S] | 429 [S]   429, Retry-After S seconds (default 1)
 *   internal | 500    500 in the provider's error shape
 *   unavailable | 503 503 in the provider's error shape
 *   unauthorized | 401, forbidden | 403   auth errors whatever the creds
 *   slow MS           every reply (success or error) MS ms late
 *   hang              never answer; nothing is processed or stored
 *                     (evhttp reads a request's body before any route
 *                     runs, so a small body still leaves the client)
 *   hang_after_body   process (and store) the request, never answer: the
 *                     client's "unknown outcome" case
 *   malformed_json    success status, broken body (the message is stored)
 *   account [CODE [MESSAGE]]  the provider's account-level refusal: SES
 *                     SendingPausedException (GetAccount: SendingEnabled
 *                     false), SendGrid 403, Mailgun 403, Postmark 422
 *                     ErrorCode 412, Resend 403 validation_error
 *   reject [CODE [MESSAGE]]   the provider's permanent refusal of the
 *                     message: SES MessageRejected, SendGrid 400, Mailgun
 *                     400, Postmark 422 ErrorCode 406, Resend 422
 *   CODE picks another code of the provider's own table: an SES error
 *   name (e.g. ThrottlingException, AccountSuspendedException), a
 *   Postmark ErrorCode (300, 406, 412, ...), a Resend error name (e.g.
 *   daily_quota_exceeded); SendGrid and Mailgun take a message only.
 *
 * Every accepted request becomes a message in the shared store. GET
 * /messages shows it with the usual fields (mail_from, rcpt_to: the
 * envelope the API was given; via: the API's name) plus
 *   "api": {"provider": "ses", "endpoint": "/v2/email/outbound-emails",
 *           "auth": AKID or API key, "format": "mime" | "json",
 *           "provider_message_id": the id the reply carried,
 *           "request": {provider details, see each provider file}}
 * and GET /messages/ID gives the bytes: the decoded MIME (SES Raw, Mailgun
 * messages.mime; byte-exact, Content-Type message/rfc822) or the JSON
 * payload (SendGrid, Postmark, Resend, SES Simple: the request body as
 * sent; Mailgun /messages: its form fields as JSON), application/json.
 * Loop thread only.
 */
#ifndef SWERVE_MOCK_MOCK_API_H
#define SWERVE_MOCK_MOCK_API_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>

#include <jansson.h>

#include "core/buf.h"
#include "mock/mock.h"
#include "mock/mock_http.h"

struct evhttp_request;
struct evbuffer;
struct event;
struct mock_api;

enum mock_api_id {
	MOCK_API_SES,
	MOCK_API_SENDGRID,
	MOCK_API_MAILGUN,
	MOCK_API_POSTMARK,
	MOCK_API_RESEND,
	MOCK_API_COUNT,
};

enum mock_api_fault {
	MOCK_API_FOLLOW,
	MOCK_API_ACCEPT,
	MOCK_API_THROTTLE,
	MOCK_API_INTERNAL,
	MOCK_API_UNAVAILABLE,
	MOCK_API_UNAUTHORIZED,
	MOCK_API_FORBIDDEN,
	MOCK_API_SLOW,
	MOCK_API_HANG,
	MOCK_API_HANG_AFTER_BODY,
	MOCK_API_MALFORMED,
	MOCK_API_ACCOUNT,
	MOCK_API_REJECT,
	MOCK_API_FAULT_COUNT,
};

#define MOCK_API_ARG_MAX 255
#define MOCK_API_RETRY_MAX 86400

/* One API mode. ms only for SLOW, retry_after_s only for THROTTLE, arg
 * ("CODE [MESSAGE]") only for ACCOUNT and REJECT; match is set only when
 * "follow" maps SMTP rcptfail to REJECT for matching recipients. */
struct mock_api_mode {
	enum mock_api_fault fault;
	unsigned ms;
	unsigned retry_after_s;
	char arg[MOCK_API_ARG_MAX + 1];
	char match[MOCK_MATCH_MAX + 1];
};

/* Error replies a provider renders in its own shape. */
enum mock_api_err {
	MOCK_API_ERR_THROTTLE,     /* 429 (+ Retry-After) */
	MOCK_API_ERR_INTERNAL,     /* 500 */
	MOCK_API_ERR_UNAVAILABLE,  /* 503 */
	MOCK_API_ERR_UNAUTHORIZED, /* 401 mode */
	MOCK_API_ERR_FORBIDDEN,    /* 403 mode */
	MOCK_API_ERR_ACCOUNT,      /* account mode; code/message may override */
	MOCK_API_ERR_REJECT,       /* reject mode; code/message may override */
	MOCK_API_ERR_NOT_FOUND,    /* no such endpoint under the provider */
	MOCK_API_ERR_METHOD,       /* wrong method for the endpoint */
};

#define MOCK_API_KEYS_MAX 8

/* Options; every string borrowed for mock_api_new's call only. */
struct mock_api_opts {
	const char *keys[MOCK_API_COUNT][MOCK_API_KEYS_MAX]; /* SES unused */
	size_t nkeys[MOCK_API_COUNT];
	const char *aws[MOCK_API_KEYS_MAX]; /* "AKID:SECRET" */
	size_t naws;
	const char *mailgun_domain;       /* NULL: every domain exists */
	int aws_max_skew_s;               /* 0: SIGV4_DEFAULT_SKEW_S */
	const struct mock_api_mode *mode; /* starting mode, NULL: follow */
};

/* One in-flight request, handed to a provider's endpoint function. The
 * endpoint must end it with exactly one mock_api_reply* call (or
 * mock_api_store failing, which replies). */
struct mock_api_req {
	struct mock_api *api;
	const struct mock_api_provider *prov;
	enum mock_api_id id;
	struct evhttp_request *req;
	char *path; /* the request path (owned) */
	char *rest; /* the path after a prefix route, "" otherwise (owned) */
	struct buf body;
	struct mock_api_mode mode; /* effective for this request */
	char identity[256];        /* who authenticated (AKID, key) */
	/* A reply waiting for slow mode's timer or parked by a hang. */
	int code;
	struct evbuffer *out;
	struct event *timer;
	TAILQ_ENTRY(mock_api_req) link;
};

typedef void mock_api_endpoint_fn(struct mock_api_req *r);

struct mock_api_endpoint {
	const char *path; /* a literal; prefix routes end in '/' */
	bool prefix;
	int methods; /* EVHTTP_REQ_* mask */
	mock_api_endpoint_fn *fn;
	bool probe; /* account/reject modes do not refuse it */
};

struct mock_api_provider {
	const char *name;
	const struct mock_api_endpoint *endpoints;
	size_t nendpoints;
	/* auth - check the credentials; 0 with r->identity set, or -1 after
	 * replying with the provider's auth error. */
	int (*auth)(struct mock_api_req *r);
	/* error - reply with e in the provider's shape; code and message
	 * (either may be NULL) come from an account/reject mode argument. */
	void (*error)(struct mock_api_req *r, enum mock_api_err e,
	              const char *code, const char *message);
};

extern const struct mock_api_provider mock_api_ses;
extern const struct mock_api_provider mock_api_sendgrid;
extern const struct mock_api_provider mock_api_mailgun;
extern const struct mock_api_provider mock_api_postmark;
extern const struct mock_api_provider mock_api_resend;

/* --- setup (swerve-mock.c) ----------------------------------------------- */

/*
 * mock_api_opts_key - add a credential from "--api-key KEY" (every key
 * API) or "--api-key PROVIDER=KEY". The first key given for a provider
 * replaces its default. Returns 0, or -1 with *why set.
 */
int mock_api_opts_key(struct mock_api_opts *o, const char *arg,
                      const char **why);

/* mock_api_opts_aws - add "AKID:SECRET" for SES. Returns 0 or -1. */
int mock_api_opts_aws(struct mock_api_opts *o, const char *arg,
                      const char **why);

/* mock_api_default_key - the built-in key of an API ("" for SES). */
const char *mock_api_default_key(enum mock_api_id id);

/*
 * mock_api_new - serve the five APIs on h for m (both must outlive the
 * result). Copies what it keeps from o.
 */
struct mock_api *mock_api_new(struct mock *m, struct mock_http *h,
                              const struct mock_api_opts *o);

/*
 * mock_api_supp_get - the addresses seeded on provider's suppression list
 * (sendgrid: bounces, spam_reports, unsubscribes; postmark: HardBounce,
 * SpamComplaint, ManualSuppression) by POST /suppressions/api: a JSON
 * array of strings borrowed from api, or NULL when none were seeded.
 */
json_t *mock_api_supp_get(const struct mock_api *api, const char *provider,
                          const char *list);

/*
 * mock_api_account_get - the account state set for provider by PUT
 * /account/api ({"enforcement", "max_24h", "sent_24h", "max_rate",
 * "sending_enabled"}, any of them), borrowed, or NULL when none was set.
 */
json_t *mock_api_account_get(const struct mock_api *api, const char *provider);

/*
 * mock_api_account_str - the string key set for provider by PUT
 * /account/api (borrowed from api), else dflt.
 */
const char *mock_api_account_str(const struct mock_api *api,
                                 const char *provider, const char *key,
                                 const char *dflt);

/* SendGrid's GET /v3/user/credits and /v3/user/account endpoints
 * (mock_api_account_sg.c), listed in mock_sendgrid.c's table. */
void mock_api_account_sg_credits(struct mock_api_req *r);
void mock_api_account_sg_user(struct mock_api_req *r);

/* mock_api_free - answer parked and delayed requests with 503 (so evhttp
 * frees them), release everything; call before mock_http_free. NULL is a
 * no-op. */
void mock_api_free(struct mock_api *api);

/* mock_api_mode_parse - the text form into out; -1 with *why set. */
int mock_api_mode_parse(const char *text, size_t len, struct mock_api_mode *out,
                        const char **why);

/* mock_api_mode_name - "accept", "hang_after_body", ... */
const char *mock_api_mode_name(enum mock_api_fault f);

/* mock_api_name - "ses", "sendgrid", ... */
const char *mock_api_name(enum mock_api_id id);

/* --- for the provider files ---------------------------------------------- */

/* mock_api_header - a request header (any case), or NULL. */
const char *mock_api_header(struct mock_api_req *r, const char *name);

/* mock_api_header_add - add a reply header. */
void mock_api_header_add(struct mock_api_req *r, const char *name,
                         const char *value);

/* mock_api_key_check - 1 if key is one of the API's keys (constant time
 * per key), else 0. */
int mock_api_key_check(struct mock_api_req *r, const char *key, size_t len);

/* mock_api_aws_secret - the secret of AWS key akid, or NULL. */
const char *mock_api_aws_secret(struct mock_api_req *r, struct str akid);

/* mock_api_aws_skew - the SigV4 clock skew allowed, in seconds. */
int mock_api_aws_skew(struct mock_api_req *r);

/* mock_api_mailgun_domain - the one domain the fake Mailgun knows, or
 * NULL when it takes any. */
const char *mock_api_mailgun_domain(struct mock_api_req *r);

/*
 * mock_api_reply - reply code with body (len bytes) and Content-Type ctype
 * (NULL: none), honouring slow and hang_after_body; ends r.
 */
void mock_api_reply(struct mock_api_req *r, int code, const char *ctype,
                    const void *body, size_t len);

/* mock_api_reply_json - reply code with obj (taken) as compact JSON. */
void mock_api_reply_json(struct mock_api_req *r, int code, json_t *obj);

/*
 * mock_api_success - a 2xx reply with obj (taken; NULL for an empty body).
 * In malformed_json mode the body is replaced by a truncated one.
 */
void mock_api_success(struct mock_api_req *r, int code, json_t *obj);

/* What an endpoint accepted, for mock_api_store. */
struct mock_api_capture {
	const char *from;  /* sender address, "" if none */
	char *const *rcpt; /* envelope recipients */
	size_t nrcpt;
	struct buf *data;        /* raw MIME or JSON payload: taken */
	const char *format;      /* "mime" or "json" */
	const char *provider_id; /* the id the reply will carry */
	json_t *request;         /* provider details for /messages (taken) */
};

/*
 * mock_api_store - keep cap as a message. Returns 0, or -1 after replying
 * with the provider's reject error when the mode rejects one of the
 * recipients (r is then ended).
 */
int mock_api_store(struct mock_api_req *r, struct mock_api_capture *cap);

/* mock_api_uuid - a random lower-case UUID v4 (36 chars and NUL). */
void mock_api_uuid(char out[37]);

/* A growable list of owned address strings. */
struct mock_api_addrs {
	char **v;
	size_t n;
};

/* mock_api_addrs_add - add each address of a header-style list
 * ("A <a@x>, b@y, group: c@z;") to a. */
void mock_api_addrs_add(struct mock_api_addrs *a, const char *text, size_t len);

/* mock_api_addrs_push - add one address as given. */
void mock_api_addrs_push(struct mock_api_addrs *a, const char *addr);

/* mock_api_addrs_fini - free the list. */
void mock_api_addrs_fini(struct mock_api_addrs *a);

/*
 * mock_api_mime_header - append the unfolded values of every header
 * called name in msg's header section to out, joined by ", ". Returns
 * true if at least one was found.
 */
bool mock_api_mime_header(const char *msg, size_t len, const char *name,
                          struct buf *out);

/*
 * mock_api_idem_find - look up an idempotency key (kept 24 hours). Returns
 * 0 if unknown; 1 with the stored id copied to id (size bytes) and *same
 * telling whether the stored body hash equals sha.
 */
int mock_api_idem_find(struct mock_api_req *r, const char *key, const char *sha,
                       char *id, size_t size, bool *same);

/* mock_api_idem_put - remember key -> (sha, id). */
void mock_api_idem_put(struct mock_api_req *r, const char *key, const char *sha,
                       const char *id);

/* mock_api_accepted - messages r's API has accepted since the start (or
 * the last DELETE /stats/api). */
uint64_t mock_api_accepted(struct mock_api_req *r);

/* mock_api_retry_after - Retry-After seconds of r's throttle mode. */
unsigned mock_api_retry_after(struct mock_api_req *r);

#endif
