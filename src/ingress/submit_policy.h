/*
 * submit_policy.h - who may submit mail over SMTP (contract).
 *
 * Pure decisions over the configuration: is a peer in submitters.networks,
 * do AUTH credentials name a configured user, may that user use an
 * envelope sender, plus the strict SASL decoding AUTH PLAIN and LOGIN need.
 * No I/O, no logging (callers log, never a password), no allocation.
 *
 * Rules:
 *  - A peer in submitters.networks may submit without AUTH, with any
 *    sender, including the null sender.
 *  - An authenticated user may use senders whose domain equals one of its
 *    from_domains (ASCII case-insensitive, exact: a subdomain does not
 *    match), or any sender if from_domains has "*"; the null sender only
 *    when allow_null_sender is set (DSNs), "*" or not.
 *  - Passwords are compared in constant time: SHA-256 digests of the given
 *    and the configured password are compared with CRYPTO_memcmp, and an
 *    unknown user costs the same work as a known one.
 */
#ifndef SWERVE_INGRESS_SUBMIT_POLICY_H
#define SWERVE_INGRESS_SUBMIT_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

struct config;
struct config_user;
struct sockaddr;

/* submit_policy_net_trusted - true if sa lies in submitters.networks
 * (an IPv4-mapped IPv6 address is checked as IPv4). */
bool submit_policy_net_trusted(const struct config *cfg,
                               const struct sockaddr *sa);

/*
 * submit_policy_user_check - the configured user named user whose password
 * is pass, or NULL (unknown user or wrong password; the caller cannot tell
 * which, on purpose). The result is borrowed from cfg.
 */
const struct config_user *submit_policy_user_check(const struct config *cfg,
                                                   struct str user,
                                                   struct str pass);

/*
 * submit_policy_sender_allowed - may u use the sender (a mailbox without
 * <>, empty for the null sender; the envelope's or a header field's)? u
 * NULL means a network-trusted, unauthenticated client: always true.
 */
bool submit_policy_sender_allowed(const struct config_user *u,
                                  struct str sender);

/*
 * submit_policy_plain_split - split a decoded AUTH PLAIN response
 * "[authzid] NUL authcid NUL passwd" (RFC 4616) into views of p. Returns
 * 0, or -1 if malformed: not exactly two NULs, an empty authcid or passwd,
 * or an authzid that is neither empty nor equal to authcid.
 */
int submit_policy_plain_split(const unsigned char *p, size_t len,
                              struct str *user, struct str *pass);

#endif
