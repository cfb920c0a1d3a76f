/*
 * config_anomaly.c - the anomaly: section (anomaly/anomaly.h: the
 * detector on delivery signals).
 *
 *   anomaly:
 *     enabled: true        learn and flag (false: nothing is kept)
 *     interval: 5m         one sample a signal per interval
 *     warmup: 8d           learning before anything fires
 *     threshold: 4         how unusual a sample is, in scales (z)
 *     min_volume: 20       attempts in an interval before a ratio counts
 *     top_domains: 50      recipient domains watched per provider
 *     on_anomaly: warn     warn | shift
 *     shift_share: 50%     shift: the share a provider keeps while one
 *                          of its signals fires
 *
 * Rule spanning keys: the warm-up is at least one interval.
 */
#include "config/config_keys.h"

#include <stdint.h>

static const struct key_choice choices_on_anomaly[] = {
    {"warn", CONFIG_ANOMALY_WARN},
    {"shift", CONFIG_ANOMALY_SHIFT},
    {NULL, 0},
};

#define C struct config
const struct config_key config_keys_anomaly[] = {
    {ROW("enabled", KEY_BOOL, 0), FIELD(C, anomaly_enabled)},
    {ROW("interval", KEY_DURATION, 0), FIELD(C, anomaly_interval_ms),
     .min = 1000, .max = 3600000},
    {ROW("warmup", KEY_DURATION, 0), FIELD(C, anomaly_warmup_ms)},
    {ROW("threshold", KEY_NUMBER, 0), FIELD(C, anomaly_threshold), .min = 1,
     .max = 100},
    {ROW("min_volume", KEY_INT, 0), FIELD(C, anomaly_min_volume), .min = 1,
     .max = 1000000},
    {ROW("top_domains", KEY_INT, 0), FIELD(C, anomaly_top_domains), .min = 0,
     .max = 1000},
    {ROW("on_anomaly", KEY_ENUM, 0), FIELD(C, anomaly_on),
     .choices = choices_on_anomaly},
    {ROW("shift_share", KEY_PERCENT, 0), FIELD(C, anomaly_shift_share)},
    {.name = NULL},
};
#undef C

int
config_anomaly_check(struct config_ctx *x, const struct config_node *root,
                     const struct config *c)
{
	(void)root;
	if (c->anomaly_warmup_ms < c->anomaly_interval_ms)
		return config_error(x, 1, "anomaly.warmup",
		                    "expected at least anomaly.interval");
	if (c->anomaly_shift_share <= 0)
		return config_error(x, 1, "anomaly.shift_share",
		                    "expected more than 0%% (a provider under "
		                    "shift keeps this share)");
	return 0;
}
