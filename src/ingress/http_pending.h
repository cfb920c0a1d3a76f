/*
 * http_pending.h - an HTTP send request waiting for the spool (contract).
 *
 * The one life cycle of a send request between "every message is valid
 * and handed to the spool" and "answered", shared by the native API
 * (http_api.c) and every drop-in endpoint (compat*.c):
 *
 *   submit   each message of the request goes to spool_msg_submit_idem();
 *            messages refused before the spool keep their error.
 *   commit   each message's spool callback records status, id and dup,
 *            logs the outcome and emits the accepted event.
 *   done     once the last message has its result, the front end's done
 *            function answers, if the client is still there.
 *   gone     when evhttp closes the connection (the client left, or the
 *            listener's timeout fired), the request is forgotten: results
 *            that come later are dropped; stored messages stay stored (a
 *            client that retries without an idempotency key may send
 *            twice, as with the real providers).
 *   stop     http_pending_set_free() before spool_close(): requests still
 *            waiting keep the set alive until their callbacks have run
 *            (spool_close() runs them); their clients get no answer.
 *
 * Everything runs on the loop thread. Nothing here logs a key.
 */
#ifndef SWERVE_INGRESS_HTTP_PENDING_H
#define SWERVE_INGRESS_HTTP_PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/id.h"
#include "ingress/api_json.h"
#include "mime/header.h"
#include "spool/spool.h"

struct evhttp_request;
struct http_pending_set;

/* The outcome of one message of a request. */
struct http_pending_result {
	int status;       /* SPOOL_OK or a negative spool status;
	                     unused when err.http_status != 0 */
	char id[ID_SIZE]; /* the message id (SPOOL_OK) */
	char message_id[MIME_MSGID_MAX + 1]; /* its Message-ID field,
	                                       "<...>" (submit_msgid), ""
	                                       when refused before the
	                                       spool */
	int dup;                             /* an idempotent replay */
	struct api_error err; /* set (http_status != 0) when the message was
	                         refused before the spool */
	char *suppressed;     /* the recipients the pipeline took out because
	                         they are suppressed, as the message's
	                         meta.suppressed JSON array, or NULL; owned by
	                         the pending request (freed after done) */
};

/*
 * http_pending_done_fn - answer req (never NULL) now that every message
 * has its result; res[0..n) are borrowed for the call. arg as given to
 * http_pending_submit.
 */
typedef void http_pending_done_fn(struct evhttp_request *req,
                                  const struct http_pending_result *res,
                                  size_t n, void *arg);

/*
 * http_pending_set_new - the requests of one front end, submitting to sp
 * (borrowed; must outlive the set) and logging as name (a literal). A
 * request body may be max_message_size in base64 (4/3) plus 1 MiB for
 * what surrounds it (JSON, form fields).
 */
struct http_pending_set *http_pending_set_new(struct spool *sp,
                                              uint64_t max_message_size,
                                              const char *name);

/* http_pending_body_max - the largest request body s takes. */
size_t http_pending_body_max(const struct http_pending_set *s);

/*
 * http_pending_set_free - free s now, or when its last request finishes
 * if some still wait for the spool. NULL is a no-op.
 */
void http_pending_set_free(struct http_pending_set *s);

/*
 * http_pending_body - the body of a new request as one block, with a NUL
 * after it (not counted in *len) so that decoders may use C strings; it
 * lives in req's input buffer. NULL with *status 413 when it is over
 * http_pending_body_max(), or 503 when there is no room for a request:
 * the spool is short of space (spool_space_check) or HTTP_PENDING_MAX
 * requests of s are waiting. Front ends answer in their own shape.
 */
const char *http_pending_body(const struct http_pending_set *s,
                              struct evhttp_request *req, size_t *len,
                              int *status);

/*
 * http_pending_submit - hand ms[0..n) to the spool for req and call done
 * once every message has its result, if the client is still there.
 * ms[i] whose res_pre[i].err.http_status != 0 are not submitted and keep
 * that result (res_pre may be NULL). Each submitted ms[i] is a message
 * the pipeline prepared: its Message-ID goes to res[i].message_id. key_name
 * (may be NULL) is copied for the log. Takes ownership of every ms[i]'s
 * contents (not of the array) and of arg, released with arg_free (free() when
 * NULL) after done or when the client left. done normally runs from a spool
 * callback; it runs inside this call when nothing needed the spool or the spool
 * refused at once (closing).
 */
void http_pending_submit(struct http_pending_set *s, struct evhttp_request *req,
                         const char *key_name, struct spool_msg_new *ms,
                         const struct http_pending_result *res_pre, size_t n,
                         http_pending_done_fn *done, void *arg,
                         void (*arg_free)(void *));

/*
 * A request watched while it waits: the "client gone" part of the life
 * cycle on its own, for HTTP handlers that answer once from one callback
 * (admin reads, operator actions). evhttp's close callback (the client
 * left, or the listener's timeout closed the connection) clears req.
 * Embed it in what the wait allocates: evhttp keeps its address.
 */
struct http_pending_watch {
	struct evhttp_request *req; /* NULL once the client is gone */
	struct evhttp_connection *conn;
};

/* http_pending_watch_start - watch req through w until _end. */
void http_pending_watch_start(struct http_pending_watch *w,
                              struct evhttp_request *req);

/*
 * http_pending_watch_end - stop watching: the request to answer, or
 * NULL when its client is gone (then nothing may be sent). Call it once,
 * before answering.
 */
struct evhttp_request *http_pending_watch_end(struct http_pending_watch *w);

/* http_pending_client - "ip:port" of req's client into out[0..n). */
void http_pending_client(struct evhttp_request *req, char *out, size_t n);

#endif
