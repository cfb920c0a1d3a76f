/*
 * http_msg.h - a tenant's messages over HTTP (contract).
 *
 * The handlers of the access table's message rows (http_access.c),
 * called by the dispatcher after the credential was checked. tenant is
 * the API key's tenant (only its messages; another tenant's is a 404,
 * as an unknown id), or NULL for an admin key (every tenant's). Each
 * answers req later, from a spool callback (503 spool_unavailable when
 * the spool is closing). Loop thread only.
 */
#ifndef SWERVE_INGRESS_HTTP_MSG_H
#define SWERVE_INGRESS_HTTP_MSG_H

#include <event2/http.h>

struct spool;

/* http_msg_list - GET /v1/messages?state=&after=&limit=: a page of the
 * queue, oldest first. */
void http_msg_list(struct evhttp_request *req, struct spool *sp,
                   const char *tenant);

/*
 * http_msg_get - GET /v1/messages/ID (path is the request's path): the
 * message with its recipients, attempts, meta and schedule.
 */
void http_msg_get(struct evhttp_request *req, struct spool *sp,
                  const char *path, const char *tenant);

/*
 * http_msg_cancel - DELETE /v1/messages/ID: cancel a message that is not
 * being sent yet (scheduled, ready or deferred; spool_msg_cancel). 200
 * with the message as GET shows it (state "cancelled"); 409
 * not_cancellable with its state when it is being sent or done; 404.
 */
void http_msg_cancel(struct evhttp_request *req, struct spool *sp,
                     const char *path, const char *tenant);

#endif
