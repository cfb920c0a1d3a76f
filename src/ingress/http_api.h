/*
 * http_api.h - the native HTTP send API (contract).
 *
 * Serves, on the evhttp that http_admin owns (listen.http):
 *   POST /v1/messages        one JSON message (see api_json.h)
 *   POST /v1/messages/raw    an RFC 5322 message as the body; envelope
 *                            from the query (from=, to= repeatable) or
 *                            from the From / To / Cc fields
 *   POST /v1/messages/batch  up to 500 JSON messages
 * Every request needs "Authorization: Bearer <key>" naming one of the
 * config's api_keys (401 otherwise, the same answer for a missing and an
 * unknown key); the message's From (header and envelope) must be in the
 * key's from_domains (403, without saying which part was wrong). Messages
 * carry the key's tenant and the request's stream.
 *
 * A client hears 202 {"id": ...} only from the spool's commit callback
 * with SPOOL_OK, i.e. after the fsync. Idempotency (idempotency_key or
 * the Idempotency-Key header): a replay of the same payload answers 200
 * with the first id, the same key with another payload 409. Errors are
 * {"error": {"code", "field", "message"}}; 413 over the size limit; 503
 * with Retry-After when the spool is full, failing or closing.
 *
 * Batches are validated as a whole: if any item is invalid (or its From
 * is not allowed), the answer is 400 (403) with per-item results and
 * nothing is queued. A valid batch is submitted at once (the spool
 * commits it in as few group commits as spool.batch_max allows) and
 * answered when every item's callback has come: 202 when all were
 * stored (or replayed), 207 with per-item statuses otherwise.
 *
 * The request body limit is limits.max_message_size * 4/3 (base64) plus
 * 1 MiB for the JSON around it; evhttp refuses bodies over twice that on
 * its own (with a plain 413). Nothing here blocks the loop.
 */
#ifndef SWERVE_INGRESS_HTTP_API_H
#define SWERVE_INGRESS_HTTP_API_H

struct config;
struct evhttp;
struct evhttp_request;
struct spool;
struct http_api;

/*
 * http_api_new - the API over http (whose body limit it raises). cfg and
 * sp are borrowed and must outlive it. Route requests to it with
 * http_api_handle (http_admin_set_post does).
 */
struct http_api *http_api_new(struct evhttp *http, const struct config *cfg,
                              struct spool *sp);

/*
 * http_api_handle - serve one non-GET request under /v1/messages (an
 * evhttp callback; arg is the struct http_api). Unknown paths get 404,
 * methods other than POST 405.
 */
void http_api_handle(struct evhttp_request *req, void *arg);

/*
 * http_api_free - free a. Requests still waiting for the spool keep their
 * context until their callbacks run (spool_close() runs them), so call
 * this before spool_close(); their clients get no answer. NULL is a no-op.
 */
void http_api_free(struct http_api *a);

#endif
