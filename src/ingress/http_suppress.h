/*
 * http_suppress.h - a tenant's suppression list over HTTP (contract).
 *
 *   GET    /v1/suppressions?reason=&after=&limit=   a page, by address
 *   GET    /v1/suppressions/ADDRESS                  one entry, or 404
 *   POST   /v1/suppressions                          add one or many
 *   DELETE /v1/suppressions/ADDRESS                  remove one, or 404
 *
 * The access table's rows (http_access.c) send these here after the
 * credential was checked: tenant is the API key's tenant (its own list
 * only), or NULL for an admin key, which names the list with ?tenant=
 * ("" when absent: mail with no tenant, i.e. trusted SMTP clients).
 * Answers come later, from the list's callbacks (after the commit for
 * a change). Loop thread only.
 */
#ifndef SWERVE_INGRESS_HTTP_SUPPRESS_H
#define SWERVE_INGRESS_HTTP_SUPPRESS_H

#include <event2/http.h>

/* http_suppress_handle - one request to /v1/suppressions[/ADDRESS];
 * path is the request's path. */
void http_suppress_handle(struct evhttp_request *req, const char *path,
                          const char *tenant);

#endif
