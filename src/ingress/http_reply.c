/*
 * http_reply.c - JSON answers on the HTTP listener.
 *
 * One writer for the project's own JSON replies, so every route answers
 * with the same content type, the same trailing newline and the same
 * reason phrase rule.
 */
#include "ingress/http_reply.h"

#include <stdlib.h>

#include <string.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#define HTTP_REPLY_SMALL 4096 /* a reply this long is dumped on the stack */

/*
 * http_reply_json - one JSON document, a newline, and the status. The
 * text goes straight into the request's own output buffer: a reply that
 * fits HTTP_REPLY_SMALL costs no allocation besides libevent's own.
 */
void
http_reply_json(struct evhttp_request *req, int status, json_t *obj,
                size_t flags)
{
	struct evbuffer *out = evhttp_request_get_output_buffer(req);
	char small[HTTP_REPLY_SMALL], *text = NULL;
	size_t n = obj != NULL ? json_dumpb(obj, small, sizeof(small),
	                                    JSON_COMPACT | flags)
	                       : 0;

	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type", "application/json");
	if (n > 0 && n < sizeof(small)) {
		small[n++] = '\n';
		evbuffer_add(out, small, n);
	} else if (obj != NULL &&
	           (text = json_dumps(obj, JSON_COMPACT | flags)) != NULL) {
		evbuffer_add(out, text, strlen(text));
		evbuffer_add(out, "\n", 1);
	} else {
		evbuffer_add(out, "{}\n", 3);
	}
	evhttp_send_reply(req, status, status < 300 ? "OK" : "Error", NULL);
	free(text);
	json_decref(obj);
}

/* http_reply_error - the project's error shape. */
void
http_reply_error(struct evhttp_request *req, int status, const char *code,
                 const char *message)
{
	http_reply_json(req, status,
	                json_pack("{s:{s:s,s:s}}", "error", "code", code,
	                          "message", message),
	                JSON_SORT_KEYS);
}
