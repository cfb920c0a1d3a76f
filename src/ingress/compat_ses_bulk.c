/*
 * compat_ses_bulk.c - SES API v2 SendBulkEmail (compat_ses_tmpl.h): one
 * message per entry, each rendered from the stored template with the
 * entry's data before it is stored, answered entry by entry in SES's
 * shape once every stored one is on disk:
 *   200 {"BulkEmailEntryResults": [{"Status": "SUCCESS", "MessageId"},
 *        {"Status": "TEMPLATE_NOT_FOUND" | "INVALID_PARAMETER" |
 *         "MESSAGE_REJECTED" | "TRANSIENT_FAILURE" | "FAILED",
 *         "Error": "..."}]}
 * An entry that fails does not stop the others (as SES). A request that
 * is malformed as a whole is refused before anything is stored.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "core/xmalloc.h"
#include "ingress/compat_ses_tmpl.h"
#include "ingress/http_templates.h"

/* bulk_status - SES's BulkEmailStatus for a generic error. */
static const char *
bulk_status(const struct api_error *e)
{
	static const struct {
		const char *code, *status;
	} map[] = {
	    {"template_not_found", "TEMPLATE_NOT_FOUND"},
	    {"render_failed", "INVALID_PARAMETER"},
	    {"invalid_field", "INVALID_PARAMETER"},
	    {"missing_field", "INVALID_PARAMETER"},
	    {"forbidden", "MESSAGE_REJECTED"},
	    {"suppressed", "MESSAGE_REJECTED"},
	    {"too_large", "MESSAGE_REJECTED"},
	    {"unavailable", "TRANSIENT_FAILURE"},
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].code, e->code) == 0)
			return map[i].status;
	return "FAILED";
}

/* bulk_done - every entry has its result: answer. */
static void
bulk_done(struct evhttp_request *req, const struct http_pending_result *res,
          size_t n, void *arg)
{
	json_t *arr = json_array();
	struct api_error e;
	char rid[37];
	size_t i;

	(void)arg;
	for (i = 0; i < n; i++) {
		if (!compat_result_failed(&res[i], &e))
			json_array_append_new(
			    arr, json_pack("{s:s,s:s}", "Status", "SUCCESS",
			                   "MessageId", res[i].id));
		else
			json_array_append_new(arr,
			                      json_pack("{s:s,s:s}", "Status",
			                                bulk_status(&e),
			                                "Error", e.message));
	}
	compat_ses_request_id(rid);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "x-amzn-RequestId", rid);
	compat_reply_json(req, 200,
	                  json_pack("{s:o}", "BulkEmailEntryResults", arr));
}

void
compat_ses_bulk_v2(struct compat *c, struct evhttp_request *req,
                   const struct config_api_key *k, const char *body, size_t len)
{
	struct http_pending_result *pre;
	struct compat_raw_req raw;
	struct spool_msg_new *ms;
	struct api_batch b;
	struct api_error e;
	char *feedback = NULL;
	size_t i;

	if (compat_ses_v2_bulk_decode(body, len, &b, &feedback, &e) < 0) {
		compat_ses_v2_fail(req, &e);
		return;
	}
	ms = xcalloc(b.n, sizeof(*ms));
	pre = xcalloc(b.n, sizeof(*pre));
	for (i = 0; i < b.n; i++) {
		memset(&raw, 0, sizeof(raw));
		raw.env_from = feedback != NULL ? xstrdup(feedback) : NULL;
		if (compat_ses_tmpl_apply(k, &b.msgs[i], &pre[i].err) < 0 ||
		    compat_ses_prepare(c, req, k, &b.msgs[i], &raw, &ms[i],
		                       &pre[i].err) < 0) {
			if (pre[i].err.http_status == 0)
				pre[i].err.http_status = 400;
		}
		compat_raw_req_fini(&raw);
	}
	compat_submit(c, req, k, ms, pre, b.n, bulk_done, NULL, NULL);
	free(ms);
	free(pre);
	free(feedback);
	api_batch_fini(&b);
}
