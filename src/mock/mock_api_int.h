/*
 * mock_api_int.h - the inside of swerve-mock's fake APIs (contract between
 * mock_api.c, mock_api_ctl.c and mock_api_util.c only; providers use
 * mock_api.h).
 *
 * struct mock_api holds the credentials, the global and per-API fault
 * modes, the counters, one route slot per provider endpoint, the requests
 * that wait (slow, hang) and Resend's idempotency table. Loop thread only.
 */
#ifndef SWERVE_MOCK_MOCK_API_INT_H
#define SWERVE_MOCK_MOCK_API_INT_H

#include "mock/mock_api.h"

#define MOCK_API_SLOTS_MAX 32

struct mock_api_slot {
	struct mock_api *api;
	const struct mock_api_provider *prov;
	enum mock_api_id id;
	const struct mock_api_endpoint *ep;
};

struct mock_api_stats {
	uint64_t requests;      /* every request that reached an endpoint */
	uint64_t accepted;      /* stored as a message */
	uint64_t errors;        /* replies with status >= 400 */
	uint64_t auth_failures; /* refused by the credential check */
	uint64_t hung;          /* parked by hang or hang_after_body */
	uint64_t delayed;       /* held back by slow */
};

struct mock_api_idem;

struct mock_api {
	struct mock *m; /* not owned */
	char *keys[MOCK_API_COUNT][MOCK_API_KEYS_MAX];
	size_t nkeys[MOCK_API_COUNT];
	char *akid[MOCK_API_KEYS_MAX];
	char *secret[MOCK_API_KEYS_MAX];
	size_t naws;
	char *mailgun_domain;
	int aws_skew;
	struct mock_api_mode global;
	struct mock_api_mode per[MOCK_API_COUNT];
	bool per_set[MOCK_API_COUNT];
	struct mock_api_stats stats[MOCK_API_COUNT];
	struct mock_api_slot slots[MOCK_API_SLOTS_MAX];
	size_t nslots;
	TAILQ_HEAD(, mock_api_req) waiting; /* slow or parked */
	struct mock_api_idem *idem;         /* Resend keys, owned */
	/* Seeded suppression lists: {provider: {list: [address...]}}, owned
	 * (mock_api_supp.c). */
	json_t *supp;
	/* Account states set by PUT /account/api: {provider: {...}}, owned
	 * (mock_api_account.c). */
	json_t *account;
	/* Domain verification states set by PUT /verify/api:
	 * {provider: {domain: {...}}}, owned (mock_api_verify.c). */
	json_t *verify;
	/* Templates loaded by POST /templates/api: {provider: [...]}, owned
	 * (mock_api_tmpl.c). */
	json_t *tmpl;
};

/* mock_api_dispatch - the route function of every provider endpoint. */
void mock_api_dispatch(struct evhttp_request *req, const char *rest, void *arg);

/* mock_api_ctl_register - add /mode/api and /stats/api to h. */
void mock_api_ctl_register(struct mock_api *api, struct mock_http *h);

/* mock_api_mode_effective - the mode API id obeys now. */
void mock_api_mode_effective(const struct mock_api *api, enum mock_api_id id,
                             struct mock_api_mode *out);

/* mock_api_lookup - an API by name (len bytes, any case), or -1. */
int mock_api_lookup(const char *name, size_t len);

/* mock_api_account_register - add /account/api to h. */
void mock_api_account_register(struct mock_api *api, struct mock_http *h);

/* mock_api_account_cw_register - add CloudWatch's POST / to h. */
void mock_api_account_cw_register(struct mock_api *api, struct mock_http *h);

/* mock_api_json_load_fn - take a control POST's body j (NULL when not
 * JSON) into api; 0, or -1 after replying. */
typedef int mock_api_json_load_fn(struct mock_api *api,
                                  struct evhttp_request *req, json_t *j);

/* mock_api_json_ctl - a seeding control route on *slot: DELETE forgets
 * it, POST loads the body through load, GET (and both, after) answers
 * 200 with what *slot holds. */
void mock_api_json_ctl(struct mock_api *api, struct evhttp_request *req,
                       json_t **slot, mock_api_json_load_fn *load);

/* mock_api_put_fn - apply a control PUT to api: 0, or -1 after
 * replying (a refusal changes nothing). */
typedef int mock_api_put_fn(struct mock_api *api, struct evhttp_request *req);

/* mock_api_state_ctl - a settable-state control route on *slot: DELETE
 * forgets it, PUT changes it through put, GET (and both, after) answers
 * 200 with what *slot holds. */
void mock_api_state_ctl(struct mock_api *api, struct evhttp_request *req,
                        json_t **slot, mock_api_put_fn *put);

/* mock_api_supp_register - add /suppressions/api to h. */
void mock_api_supp_register(struct mock_api *api, struct mock_http *h);

/* mock_api_idem_clear - drop the idempotency table. */
void mock_api_idem_clear(struct mock_api *api);

#endif
