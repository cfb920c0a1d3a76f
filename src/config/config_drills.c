/*
 * config_drills.c - the drill: section and the drills: list (outage
 * drills, issue 16; drill/drill.h).
 *
 *   drill:
 *     notify: labelled         labelled | quiet | real (drills' alerts)
 *     max_duration: 1h         the longest drill that may be started
 *     failback_wait: 10m       how long a report waits for fail-back
 *     objectives: {detect_within: 10s, alert_within: 60s,
 *                  failover_within: 5s, critical_p99: 2s, lost: 0}
 *   drills:
 *     - {name, provider, fault, stream, share, duration,
 *        schedule: "Mon 03:00", timezone: UTC, objectives: {...}}
 *
 * Rules spanning keys: a drill's provider and stream exist, its fault
 * and schedule read (drill/drill_fault.h, drill/drill_sched.h), its
 * duration is at most drill.max_duration, names are unique.
 */
#include "config/config_keys.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "drill/drill_fault.h"
#include "drill/drill_sched.h"

static const struct key_choice choices_drill_notify[] = {
    {"labelled", CONFIG_DRILL_NOTIFY_LABELLED},
    {"quiet", CONFIG_DRILL_NOTIFY_QUIET},
    {"real", CONFIG_DRILL_NOTIFY_REAL},
    {NULL, 0},
};

#define O struct config_drill_objectives
#define C struct config
static const struct config_key keys_objectives_root[] = {
    {ROW("detect_within", KEY_DURATION, 0),
     FIELD(C, drill_objectives.detect_ms)},
    {ROW("alert_within", KEY_DURATION, 0), FIELD(C, drill_objectives.alert_ms)},
    {ROW("failover_within", KEY_DURATION, 0),
     FIELD(C, drill_objectives.failover_ms)},
    {ROW("critical_p99", KEY_DURATION, 0),
     FIELD(C, drill_objectives.critical_p99_ms)},
    {ROW("lost", KEY_INT, 0), FIELD(C, drill_objectives.lost), .min = 0,
     .max = INT64_MAX},
    {.name = NULL},
};

const struct config_key config_keys_drill[] = {
    {ROW("notify", KEY_ENUM, 0), FIELD(C, drill_notify),
     .choices = choices_drill_notify},
    {ROW("max_duration", KEY_DURATION, 0), FIELD(C, drill_max_duration_ms),
     .min = 1000},
    {ROW("failback_wait", KEY_DURATION, 0), FIELD(C, drill_failback_wait_ms),
     .min = 1000},
    {ROW("objectives", KEY_SECTION, 0), .sub = keys_objectives_root},
    {.name = NULL},
};
#undef C
#undef O

#define D struct config_drill
static const struct config_key keys_objectives_drill[] = {
    {ROW("detect_within", KEY_DURATION, 0), FIELD(D, objectives.detect_ms)},
    {ROW("alert_within", KEY_DURATION, 0), FIELD(D, objectives.alert_ms)},
    {ROW("failover_within", KEY_DURATION, 0), FIELD(D, objectives.failover_ms)},
    {ROW("critical_p99", KEY_DURATION, 0),
     FIELD(D, objectives.critical_p99_ms)},
    {ROW("lost", KEY_INT, 0), FIELD(D, objectives.lost), .min = 0,
     .max = INT64_MAX - 1},
    {.name = NULL},
};

static const struct config_key keys_drill[] = {
    {ROW("name", KEY_STR, KEYF_REQUIRED | KEYF_NAME), FIELD(D, name)},
    {ROW("provider", KEY_STR, KEYF_REQUIRED | KEYF_NAME), FIELD(D, provider)},
    {ROW("fault", KEY_STR, KEYF_REQUIRED), FIELD(D, fault)},
    {ROW("stream", KEY_STR, KEYF_NAME), FIELD(D, stream)},
    {ROW("share", KEY_PERCENT, 0), FIELD(D, share)},
    {ROW("duration", KEY_DURATION, 0), FIELD(D, duration_ms), .min = 1000},
    {ROW("schedule", KEY_STR, KEYF_REQUIRED), FIELD(D, schedule)},
    {ROW("timezone", KEY_STR, 0), FIELD(D, timezone)},
    {ROW("objectives", KEY_SECTION, 0), .sub = keys_objectives_drill},
    {.name = NULL},
};
#undef D

/* drills_init - a drill starts with the defaults: all its traffic, 5
 * minutes, objectives unset (drill.objectives'). */
static void
drills_init(void *elem)
{
	struct config_drill *d = elem;

	memset(d, 0, sizeof(*d));
	d->share = 1.0;
	d->duration_ms = 5 * 60000;
	d->objectives.detect_ms = CONFIG_DRILL_UNSET;
	d->objectives.alert_ms = CONFIG_DRILL_UNSET;
	d->objectives.failover_ms = CONFIG_DRILL_UNSET;
	d->objectives.critical_p99_ms = CONFIG_DRILL_UNSET;
	d->objectives.lost = CONFIG_DRILL_UNSET;
}

/* drills_fini - release one drill. */
static void
drills_fini(void *elem)
{
	struct config_drill *d = elem;

	free(d->name);
	free(d->provider);
	free(d->fault);
	free(d->stream);
	free(d->schedule);
	free(d->timezone);
	memset(d, 0, sizeof(*d));
}

/* drills_check_one - fault, schedule and share of drill i; names unique. */
static int
drills_check_one(struct config_ctx *x, const struct config_node *map,
                 const char *path, void *array, size_t i)
{
	struct config_drill *d = (struct config_drill *)array + i;
	struct drill_fault f;
	struct drill_sched s;
	char why[200], kpath[CONFIG_PATH_SIZE];
	size_t j;

	(void)map;
	if (drill_fault_parse(d->fault, &f, why, sizeof(why)) != 0) {
		config_path_key(kpath, sizeof(kpath), path, "fault");
		return config_error(x, 1, kpath, "%s", why);
	}
	if (drill_sched_parse(d->schedule, d->timezone, &s, why, sizeof(why)) !=
	    0) {
		config_path_key(kpath, sizeof(kpath), path, "schedule");
		return config_error(x, 1, kpath, "%s", why);
	}
	if (d->share <= 0) {
		config_path_key(kpath, sizeof(kpath), path, "share");
		return config_error(x, 1, kpath, "expected more than 0%%");
	}
	for (j = 0; j < i; j++)
		if (strcmp(((struct config_drill *)array)[j].name, d->name) ==
		    0) {
			config_path_key(kpath, sizeof(kpath), path, "name");
			return config_error(x, 1, kpath,
			                    "another drill is named \"%s\"",
			                    d->name);
		}
	return 0;
}

const struct key_list config_list_drills = {
    .elem_size = sizeof(struct config_drill),
    .keys = keys_drill,
    .init = drills_init,
    .fini = drills_fini,
    .check = drills_check_one,
};

int
config_drills_check(struct config_ctx *x, const struct config_node *root,
                    struct config *c)
{
	char kpath[CONFIG_PATH_SIZE];
	size_t i, j;

	(void)root;
	for (i = 0; i < c->n_drills; i++) {
		struct config_drill *d = &c->drills[i];
		for (j = 0; j < c->n_providers; j++)
			if (strcmp(c->providers[j].name, d->provider) == 0)
				break;
		if (j == c->n_providers) {
			snprintf(kpath, sizeof(kpath), "drills[%zu].provider",
			         i);
			return config_error(x, 1, kpath,
			                    "no provider named \"%s\"",
			                    d->provider);
		}
		for (j = 0; d->stream != NULL && j < c->n_streams; j++)
			if (strcmp(c->streams[j].name, d->stream) == 0)
				break;
		if (d->stream != NULL && j == c->n_streams) {
			snprintf(kpath, sizeof(kpath), "drills[%zu].stream", i);
			return config_error(
			    x, 1, kpath, "no stream named \"%s\"", d->stream);
		}
		if (d->duration_ms > c->drill_max_duration_ms) {
			snprintf(kpath, sizeof(kpath), "drills[%zu].duration",
			         i);
			return config_error(
			    x, 1, kpath, "expected at most drill.max_duration");
		}
	}
	return 0;
}

void
config_drills_defaults(struct config *c)
{
	c->drill_notify = CONFIG_DRILL_NOTIFY_LABELLED;
	c->drill_max_duration_ms = 3600000;
	c->drill_failback_wait_ms = 600000;
	c->drill_objectives.detect_ms = 10000;
	c->drill_objectives.alert_ms = 60000;
	c->drill_objectives.failover_ms = 5000;
	c->drill_objectives.critical_p99_ms = 2000;
	c->drill_objectives.lost = 0;
}

void
config_drills_free(struct config *c)
{
	size_t i;

	for (i = 0; i < c->n_drills; i++)
		drills_fini(&c->drills[i]);
	free(c->drills);
	c->drills = NULL;
	c->n_drills = 0;
}
