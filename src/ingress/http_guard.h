/*
 * http_guard.h - checks every request on an HTTP listener passes before
 * any route sees it (contract).
 *
 * libevent's evhttp takes the first Content-Length field of a request and
 * ignores the others, so two fields that disagree would let a client end
 * a request where a proxy in front of swerve did not (request smuggling).
 * Such a request is refused with 400 and its connection closed, so the
 * bytes after the length evhttp used are never parsed as a request.
 * Loop thread only.
 */
#ifndef SWERVE_INGRESS_HTTP_GUARD_H
#define SWERVE_INGRESS_HTTP_GUARD_H

#include <event2/http.h>

/*
 * http_guard_check - 0 if req may be routed; otherwise req has been
 * answered (400, "Connection: close") and the caller must not touch it
 * again: -1. Call first thing in the listener's dispatch callback.
 */
int http_guard_check(struct evhttp_request *req);

#endif
