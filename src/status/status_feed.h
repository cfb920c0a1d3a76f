/*
 * status_feed.h - the status page's incident history as RSS 2.0 and
 * Atom (RFC 4287) feeds (contract).
 *
 * One item / entry per incident, newest first (at most
 * STATUS_FEED_ITEMS_MAX), as Statuspage's history.rss and history.atom
 * do: its title, its updates (newest first) as escaped HTML in the
 * description / content, its creation date (RSS pubDate, Atom
 * published), its last change (Atom updated) and a link to its anchor on
 * the page. Identifiers are stable: RSS guid "incident-ID" (not a
 * permalink), Atom id "urn:swerve:status:PAGE:incident:ID".
 *
 * Links are absolute when the model has a url (public_status.url), else
 * relative to the page. Every model string is escaped for XML (and the
 * HTML inside it escaped once more), so no incident text can add
 * markup. Pure: m is only read.
 */
#ifndef SWERVE_STATUS_STATUS_FEED_H
#define SWERVE_STATUS_STATUS_FEED_H

#include <stddef.h>

#include "status/status_model.h"

#define STATUS_FEED_ITEMS_MAX 50

/* status_feed_rss - the RSS 2.0 document; the caller frees it. */
char *status_feed_rss(const struct status_model *m, size_t *len);

/* status_feed_atom - the Atom document; the caller frees it. */
char *status_feed_atom(const struct status_model *m, size_t *len);

#endif
