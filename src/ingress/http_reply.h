/*
 * http_reply.h - JSON answers on the HTTP listener (contract).
 *
 * The native API, the admin plane, operator actions and the alerts view
 * answer in one shape: a JSON document, a trailing newline, and
 * Content-Type: application/json. The drop-in endpoints answer in each
 * ESP's own format and do not use this (see compat.h). Loop thread only.
 */
#ifndef SWERVE_INGRESS_HTTP_REPLY_H
#define SWERVE_INGRESS_HTTP_REPLY_H

#include <event2/http.h>
#include <jansson.h>

/*
 * http_reply_json - answer req with status and the JSON text of obj,
 * dumped with jansson flags (JSON_COMPACT is always added). Takes
 * ownership of obj (NULL answers "{}"). Headers the caller added to req
 * before the call are kept.
 */
void http_reply_json(struct evhttp_request *req, int status, json_t *obj,
                     size_t flags);

/*
 * http_reply_error - answer req with status and
 * {"error":{"code":code,"message":message}}. Both strings are borrowed.
 */
void http_reply_error(struct evhttp_request *req, int status, const char *code,
                      const char *message);

#endif
