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

/* http_reply_json - one JSON document, a newline, and the status. */
void
http_reply_json(struct evhttp_request *req, int status, json_t *obj,
                size_t flags)
{
	struct evbuffer *out = evbuffer_new();
	char *text = obj != NULL ? json_dumps(obj, JSON_COMPACT | flags) : NULL;

	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type", "application/json");
	if (text != NULL)
		evbuffer_add(out, text, strlen(text));
	else
		evbuffer_add(out, "{}", 2);
	evbuffer_add(out, "\n", 1);
	evhttp_send_reply(req, status, status < 300 ? "OK" : "Error", out);
	evbuffer_free(out);
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
