/*
 * mock_api_account_cw.c - swerve-mock's CloudWatch GetMetricData, JSON
 * protocol (POST / with X-Amz-Target GraniteServiceVersion20100801.
 * GetMetricData), signed with SigV4 for service "monitoring" by one of
 * the mock's AWS keys. Each query of the request is answered with one
 * data point now: Reputation.BounceRate and Reputation.ComplaintRate of
 * namespace AWS/SES take the "bounce_rate" / "complaint_rate" set for
 * "ses" by PUT /account/api (defaults 0.5% and 0.01%); any other metric
 * has no data. A bad request gets CloudWatch's JSON error shape
 * ({"__type", "message"}, x-amzn-ErrorType). Loop thread only.
 */
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "mock/mock_api_int.h"
#include "mock/mock_http.h"
#include "providers/sigv4.h"

#define CW_TARGET "GraniteServiceVersion20100801.GetMetricData"
#define CW_HEADERS_MAX 32
#define CW_QUERIES_MAX 500

/* cw_error - CloudWatch's JSON error. */
static void
cw_error(struct evhttp_request *req, int code, const char *type,
         const char *msg)
{
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "x-amzn-ErrorType", type);
	mock_http_json_send(
	    req, code, json_pack("{s:s,s:s}", "__type", type, "message", msg));
}

/* cw_auth - verify the request's SigV4 signature; 0, or -1 replied. */
static int
cw_auth(struct mock_api *api, struct evhttp_request *req, const struct buf *b)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *authz = evhttp_find_header(in, "Authorization");
	struct sigv4_header hv[CW_HEADERS_MAX];
	const char *why = "", *secret = NULL;
	struct sigv4_request sreq;
	struct sigv4_auth a;
	struct evkeyval *kv;
	char *region;
	size_t n = 0, i;
	enum sigv4_verdict v;

	if (authz == NULL ||
	    sigv4_auth_parse(&a, authz, strlen(authz), &why) < 0) {
		cw_error(req, 403, "MissingAuthenticationToken",
		         "Missing or malformed Authentication Token");
		return -1;
	}
	for (i = 0; i < api->naws; i++)
		if (strlen(api->akid[i]) == a.akid.len &&
		    memcmp(api->akid[i], a.akid.p, a.akid.len) == 0)
			secret = api->secret[i];
	if (secret == NULL) {
		cw_error(req, 403, "InvalidClientTokenId",
		         "The security token included in the request is "
		         "invalid.");
		return -1;
	}
	TAILQ_FOREACH(kv, in, next)
	{
		if (n == CW_HEADERS_MAX)
			break;
		hv[n].name = kv->key;
		hv[n].value = kv->value;
		n++;
	}
	sreq = (struct sigv4_request){
	    .method = "POST",
	    .path = uri && evhttp_uri_get_path(uri) ? evhttp_uri_get_path(uri)
	                                            : "/",
	    .query = uri ? evhttp_uri_get_query(uri) : NULL,
	    .headers = hv,
	    .n_headers = n,
	    .body = b->p,
	    .body_len = b->len,
	};
	region = str_dup(a.region);
	v = sigv4_request_verify(&sreq, &a, secret, region, "monitoring",
	                         clock_wall_time(), api->aws_skew, &why);
	free(region);
	if (v == SIGV4_OK)
		return 0;
	cw_error(req, 403, "SignatureDoesNotMatch",
	         v == SIGV4_SCOPE ? "Credential should be scoped to correct "
	                            "service: 'monitoring'."
	                          : "The request signature we calculated "
	                            "does not match the signature you "
	                            "provided.");
	return -1;
}

/* cw_value - the set rate for metric, or < 0 when it has no data. */
static double
cw_value(const struct mock_api *api, const char *ns, const char *metric)
{
	json_t *st = mock_api_account_get(api, "ses"), *v;
	const char *key;
	double dflt;

	if (ns == NULL || metric == NULL || strcmp(ns, "AWS/SES") != 0)
		return -1;
	if (strcmp(metric, "Reputation.BounceRate") == 0) {
		key = "bounce_rate";
		dflt = 0.005;
	} else if (strcmp(metric, "Reputation.ComplaintRate") == 0) {
		key = "complaint_rate";
		dflt = 0.0001;
	} else {
		return -1;
	}
	v = json_object_get(st, key);
	return json_is_number(v) ? json_number_value(v) : dflt;
}

/* cw_answer - the results for queries q (an array). */
static json_t *
cw_answer(const struct mock_api *api, json_t *q, const char **bad)
{
	json_t *res = json_array(), *e;
	double now = (double)clock_wall_time();
	size_t i;

	json_array_foreach(q, i, e)
	{
		json_t *m =
		    json_object_get(json_object_get(e, "MetricStat"), "Metric");
		const char *id = json_string_value(json_object_get(e, "Id"));
		double v;
		json_t *r;

		if (id == NULL || !json_is_object(m)) {
			*bad = "MetricDataQueries: each needs Id and "
			       "MetricStat.Metric";
			json_decref(res);
			return NULL;
		}
		v = cw_value(
		    api, json_string_value(json_object_get(m, "Namespace")),
		    json_string_value(json_object_get(m, "MetricName")));
		r = json_pack(
		    "{s:s,s:s,s:[],s:[],s:s}", "Id", id, "Label",
		    json_string_value(json_object_get(m, "MetricName"))
		        ? json_string_value(json_object_get(m, "MetricName"))
		        : id,
		    "Timestamps", "Values", "StatusCode", "Complete");
		if (v >= 0) {
			json_array_append_new(json_object_get(r, "Timestamps"),
			                      json_real(now));
			json_array_append_new(json_object_get(r, "Values"),
			                      json_real(v));
		}
		json_array_append_new(res, r);
	}
	return res;
}

/* cw_route - POST / (GetMetricData). */
static void
cw_route(struct evhttp_request *req, const char *rest, void *arg)
{
	struct mock_api *api = arg;
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *target = evhttp_find_header(in, "X-Amz-Target");
	const char *bad = NULL;
	json_t *root = NULL, *q, *res;
	struct buf b;

	(void)rest;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		cw_error(req, 405, "UnsupportedOperation", "use POST");
		return;
	}
	if (target == NULL || strcmp(target, CW_TARGET) != 0) {
		cw_error(req, 400, "UnknownOperationException",
		         "only GetMetricData is served");
		return;
	}
	buf_init(&b);
	mock_http_body(req, &b);
	if (cw_auth(api, req, &b) != 0)
		goto out;
	root = json_loadb(b.p ? b.p : "", b.len, 0, NULL);
	q = json_object_get(root, "MetricDataQueries");
	if (!json_is_array(q) || json_array_size(q) == 0 ||
	    json_array_size(q) > CW_QUERIES_MAX ||
	    !json_is_number(json_object_get(root, "StartTime")) ||
	    !json_is_number(json_object_get(root, "EndTime"))) {
		cw_error(req, 400, "InvalidParameterValue",
		         "want MetricDataQueries (1..500), StartTime and "
		         "EndTime");
		goto out;
	}
	res = cw_answer(api, q, &bad);
	if (res == NULL) {
		cw_error(req, 400, "InvalidParameterValue", bad);
		goto out;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type", "application/x-amz-json-1.0");
	mock_http_json_send(
	    req, 200,
	    json_pack("{s:o,s:[]}", "MetricDataResults", res, "Messages"));
out:
	json_decref(root);
	buf_fini(&b);
}

void
mock_api_account_cw_register(struct mock_api *api, struct mock_http *h)
{
	mock_http_route_add(h, "/", false, cw_route, api);
}
