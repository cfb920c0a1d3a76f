/*
 * api_auth.h - who may use the HTTP send API (contract).
 *
 * Pure decisions over the configuration's api_keys (and admin_keys, for
 * http_access.h): find the key a
 * request presents (by its SHA-256, compared in constant time against
 * every configured digest, so neither timing nor the answer tells which
 * keys exist), and whether that key may send as a given From address. No
 * I/O, no logging (callers log the key's name, never the key), no
 * allocation. Shared by the native API and, later, the provider-compatible
 * endpoints, which map their own auth schemes to these keys.
 */
#ifndef SWERVE_INGRESS_API_AUTH_H
#define SWERVE_INGRESS_API_AUTH_H

#include <stdbool.h>

#include "core/buf.h"

struct config;
struct config_api_key;
struct config_admin_key;

/*
 * api_auth_bearer_parse - the token of an Authorization header value
 * "Bearer <token>" (scheme case-insensitive, one or more blanks, token of
 * printable ASCII without blanks) as a view into hdr. 0, or -1 if hdr is
 * NULL or anything else.
 */
int api_auth_bearer_parse(const char *hdr, struct str *key);

/*
 * api_auth_key_find - the configured key whose digest is SHA-256(key), or
 * NULL. Every configured digest is compared, matched or not. The result
 * is borrowed from cfg.
 */
const struct config_api_key *api_auth_key_find(const struct config *cfg,
                                               struct str key);

/*
 * api_auth_admin_find - the configured admin key (admin_keys) whose
 * digest is SHA-256(key), or NULL; the same constant-time comparison.
 * The result is borrowed from cfg.
 */
const struct config_admin_key *api_auth_admin_find(const struct config *cfg,
                                                   struct str key);

/*
 * api_auth_from_allowed - may k send with this From / envelope sender?
 * True when the address's domain (after the last '@') equals one of k's
 * from_domains (ASCII case-insensitive, exact: a subdomain does not
 * match) or from_domains holds "*". The null sender is not allowed.
 */
bool api_auth_from_allowed(const struct config_api_key *k, const char *addr);

#endif
