/*
 * config_incidents.c - the incidents: section (incident/incident.h,
 * docs/incidents.md).
 *
 *   incidents:
 *     window: 15m      related alerts within it join one incident
 *     quiet: 10m       every alert resolved this long: resolved
 *     reopen: 30m      an alert this soon after resolution reopens it
 *     retention: 90d   resolved incidents kept in memory and listed
 *     notices:         who `swervectl incident notice --send` e-mails
 *       from: status@example.com
 *       to: [customers@example.com]
 *       stream: critical   default: critical, else transactional
 *       slack: [https://hooks.slack.com/services/...]   incoming webhooks
 *       webhooks: [https://ops.example.com/notice]      JSON POSTs
 *
 * Rules spanning keys: notices.to needs notices.from; every slack and
 * webhooks entry is an http:// or https:// URL.
 */
#include "config/config_keys.h"

#include <stdlib.h>
#include <string.h>

#include "config/config_tree.h"

#define C struct config
static const struct config_key keys_notices[] = {
    {ROW("from", KEY_STR, 0), FIELD(C, incidents_notice_from)},
    {ROW("to", KEY_STRS, 0), FIELD(C, incidents_notice_to),
     COUNT(C, n_incidents_notice_to)},
    {ROW("stream", KEY_STR, KEYF_NAME), FIELD(C, incidents_notice_stream)},
    {ROW("slack", KEY_STRS, 0), FIELD(C, incidents_notice_slack),
     COUNT(C, n_incidents_notice_slack)},
    {ROW("webhooks", KEY_STRS, 0), FIELD(C, incidents_notice_webhooks),
     COUNT(C, n_incidents_notice_webhooks)},
    {.name = NULL},
};

const struct config_key config_keys_incidents[] = {
    {ROW("window", KEY_DURATION, 0), FIELD(C, incidents_window_ms), .min = 1},
    {ROW("quiet", KEY_DURATION, 0), FIELD(C, incidents_quiet_ms), .min = 1},
    {ROW("reopen", KEY_DURATION, 0), FIELD(C, incidents_reopen_ms), .min = 1},
    {ROW("retention", KEY_DURATION, 0), FIELD(C, incidents_retention_ms),
     .min = 1},
    {ROW("notices", KEY_SECTION, 0), .sub = keys_notices},
    {.name = NULL},
};
#undef C

/* incidents_url_ok - an http:// or https:// URL with a host. */
static int
incidents_url_ok(const char *u)
{
	return (strncmp(u, "http://", 7) == 0 && u[7] != '\0' && u[7] != '/') ||
	       (strncmp(u, "https://", 8) == 0 && u[8] != '\0' && u[8] != '/');
}

int
config_incidents_check(struct config_ctx *x, const struct config_node *root,
                       const struct config *c)
{
	const struct config_pair *sec = config_tree_get(root, "incidents");
	const struct config_pair *n =
	    sec != NULL ? config_tree_get(sec->value, "notices") : NULL;

	if (c->n_incidents_notice_to > 0 && c->incidents_notice_from == NULL)
		return config_error(x, n != NULL ? n->line : 0,
		                    "incidents.notices.from",
		                    "missing; notices.to needs a sender");
	for (size_t i = 0; i < c->n_incidents_notice_slack; i++)
		if (!incidents_url_ok(c->incidents_notice_slack[i]))
			return config_error(
			    x, n != NULL ? n->line : 0,
			    "incidents.notices.slack",
			    "expected http:// or https:// URLs");
	for (size_t i = 0; i < c->n_incidents_notice_webhooks; i++)
		if (!incidents_url_ok(c->incidents_notice_webhooks[i]))
			return config_error(
			    x, n != NULL ? n->line : 0,
			    "incidents.notices.webhooks",
			    "expected http:// or https:// URLs");
	return 0;
}

void
config_incidents_free(struct config *c)
{
	for (size_t i = 0; i < c->n_incidents_notice_to; i++)
		free(c->incidents_notice_to[i]);
	free(c->incidents_notice_to);
	for (size_t i = 0; i < c->n_incidents_notice_slack; i++)
		free(c->incidents_notice_slack[i]);
	free(c->incidents_notice_slack);
	for (size_t i = 0; i < c->n_incidents_notice_webhooks; i++)
		free(c->incidents_notice_webhooks[i]);
	free(c->incidents_notice_webhooks);
	free(c->incidents_notice_from);
	free(c->incidents_notice_stream);
}
