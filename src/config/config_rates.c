/*
 * config_rates.c - the rates: section (delivery ratios, and the levels
 * alerts and routing compare them with; see route/reputation.h).
 *
 *   rates:
 *     bounce_warning: 5%       Amazon SES's review level
 *     bounce_critical: 10%     SES's pause level
 *     complaint_warning: 0.1%
 *     complaint_critical: 0.5%
 *     min_volume: 100          sends in 24 h before a ratio counts
 *     max_keys: 4096           providers, domains, streams, pairs kept
 *     penalty_share: 10%       balanced: share kept over warning
 *
 * Rule spanning keys: a warning level is at most its critical level.
 */
#include "config/config_keys.h"

#include <stdint.h>

#define C struct config
const struct config_key config_keys_rates[] = {
    {ROW("bounce_warning", KEY_PERCENT, 0), FIELD(C, rates_bounce_warning)},
    {ROW("bounce_critical", KEY_PERCENT, 0), FIELD(C, rates_bounce_critical)},
    {ROW("complaint_warning", KEY_PERCENT, 0),
     FIELD(C, rates_complaint_warning)},
    {ROW("complaint_critical", KEY_PERCENT, 0),
     FIELD(C, rates_complaint_critical)},
    {ROW("min_volume", KEY_INT, 0), FIELD(C, rates_min_volume), .min = 1,
     .max = INT64_MAX},
    {ROW("max_keys", KEY_INT, 0), FIELD(C, rates_max_keys), .min = 16,
     .max = 1000000},
    {ROW("penalty_share", KEY_PERCENT, 0), FIELD(C, rates_penalty_share)},
    {.name = NULL},
};
#undef C

int
config_rates_check(struct config_ctx *x, const struct config_node *root,
                   const struct config *c)
{
	(void)root;
	if (c->rates_bounce_warning > c->rates_bounce_critical)
		return config_error(x, 1, "rates.bounce_warning",
		                    "expected at most rates.bounce_critical");
	if (c->rates_complaint_warning > c->rates_complaint_critical)
		return config_error(
		    x, 1, "rates.complaint_warning",
		    "expected at most rates.complaint_critical");
	if (c->rates_penalty_share <= 0)
		return config_error(x, 1, "rates.penalty_share",
		                    "expected more than 0%% (a provider over "
		                    "warning keeps this share)");
	return 0;
}
