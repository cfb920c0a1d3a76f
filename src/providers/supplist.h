/*
 * supplist.h - a provider's own suppression list, fetched through its
 * API (swervectl suppression import --from-provider).
 *
 * SendGrid: GET /v3/suppression/{bounces,spam_reports,unsubscribes}
 * (Bearer key, paged by limit/offset); Postmark: GET
 * /message-streams/{stream}/suppressions/dump (X-Postmark-Server-Token);
 * Mailgun: GET /v3/{domain}/{bounces,complaints,unsubscribes} (basic
 * api:key, paged by paging.next); SES v2: GET
 * /v2/email/suppression/addresses (ListSuppressedDestinations, SigV4,
 * paged by NextToken).
 * Reasons map to enum suppress_reason: bounce -> hard_bounce, complaint
 * or spam report -> complaint, unsubscribe or manual suppression ->
 * unsubscribe. Resend answers "unsupported" with why.
 * Blocking (libcurl easy): for the command line, never the daemon.
 */
#ifndef SWERVE_PROVIDERS_SUPPLIST_H
#define SWERVE_PROVIDERS_SUPPLIST_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "core/buf.h"
#include "spool/suppress.h"

/* A growing array of entries; e is malloc'd, the caller frees it. */
struct supplist {
	struct suppress_entry *e;
	size_t n, cap;
};

/*
 * supplist_parse_sendgrid - append each {email, created} of a SendGrid
 * suppression page (a JSON array) to l with reason r and provider.
 * Returns the number of items on the page, or -1 with err.
 */
int supplist_parse_sendgrid(const char *body, size_t len,
                            enum suppress_reason r, const char *provider,
                            struct supplist *l, char *err, size_t errlen);

/*
 * supplist_parse_postmark - append each entry of a Postmark suppression
 * dump ({"Suppressions": [...]}) to l. Returns the number of items, or
 * -1 with err.
 */
int supplist_parse_postmark(const char *body, size_t len, const char *provider,
                            int64_t now_ms, struct supplist *l, char *err,
                            size_t errlen);

/*
 * supplist_parse_mailgun - append each {address} of a Mailgun list page
 * ({"items": [...], "paging": {"next": URL}}) to l with reason r; *next
 * is paging.next (malloc'd, the caller frees it) or NULL. Returns the
 * number of items, or -1 with err.
 */
int supplist_parse_mailgun(const char *body, size_t len, enum suppress_reason r,
                           const char *provider, int64_t now_ms,
                           struct supplist *l, char **next, char *err,
                           size_t errlen);

/*
 * supplist_parse_ses - append each entry of an SES v2
 * ListSuppressedDestinations page ({"SuppressedDestinationSummaries":
 * [{EmailAddress, Reason: BOUNCE|COMPLAINT}], "NextToken"}) to l; *next
 * is NextToken (malloc'd) or NULL. Returns the number of items, or -1.
 */
int supplist_parse_ses(const char *body, size_t len, const char *provider,
                       int64_t now_ms, struct supplist *l, char **next,
                       char *err, size_t errlen);

/*
 * supplist_fetch - every address on p's own suppression list into l
 * (entries' tenant left ""). 0; -1 with err on a failure (nothing
 * should be imported); -2 with err when p's type has no list this
 * command can read (Resend has no suppression list API).
 */
int supplist_fetch(const struct config_provider *p, struct supplist *l,
                   char *err, size_t errlen);

/*
 * supplist_get - GET url with headers ("Name: value" lines, NULL ended;
 * NULL: basic auth "api" and p's key) with p's timeout and TLS settings
 * into out; the HTTP status, or -1 with err (a status other than 200 is
 * described in err too). Also used by the template import
 * (providers/tmpllist.c).
 */
long supplist_get(const struct config_provider *p, const char *url,
                  const char *const *headers, struct buf *out, char *err,
                  size_t errlen);

/*
 * supplist_ses_request - a SigV4-signed (service ses, p's credentials
 * and region) GET of base + path + "?" + query (query: no leading '?')
 * into out, as supplist_get. Used by the template import too.
 */
long supplist_ses_request(const struct config_provider *p, const char *base,
                          const char *path, const char *query, struct buf *out,
                          char *err, size_t errlen);

#endif
