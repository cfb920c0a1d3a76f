/*
 * config_suppress.c - the suppression: section (one suppression list per
 * tenant, across providers; see spool/suppress.h).
 *
 *   suppression:
 *     on_submit: refuse          # or drop
 *     local_part: insensitive    # or sensitive
 *     soft_bounce: { count: 3, window: "7d" }
 *     expire: { hard_bounce: never, complaint: never, unsubscribe: never,
 *               soft_bounce: "30d", manual: never, import: never }
 *
 * Rules spanning keys: each expire value is "never" or a duration; its
 * milliseconds (0 = never) are kept beside the text.
 */
#include "config/config_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_tree.h"

static const struct key_choice choices_on_submit[] = {
    {"refuse", CONFIG_SUPPRESS_REFUSE},
    {"drop", CONFIG_SUPPRESS_DROP},
    {NULL, 0},
};

static const struct key_choice choices_local_part[] = {
    {"insensitive", 0},
    {"sensitive", 1},
    {NULL, 0},
};

/* The reasons' names, in the order of enum suppress_reason. */
static const char *const suppress_reason_keys[CONFIG_SUPPRESS_REASONS] = {
    "hard_bounce", "complaint", "unsubscribe",
    "soft_bounce", "manual",    "import",
};

#define C struct config
static const struct config_key keys_soft_bounce[] = {
    {ROW("count", KEY_INT, 0), FIELD(C, suppress_soft_count), .min = 1,
     .max = 1000},
    {ROW("window", KEY_DURATION, 0), FIELD(C, suppress_soft_window_ms),
     .min = 1},
    {.name = NULL},
};

static const struct config_key keys_expire[] = {
    {ROW("hard_bounce", KEY_STR, 0), FIELD(C, suppress_expire[0])},
    {ROW("complaint", KEY_STR, 0), FIELD(C, suppress_expire[1])},
    {ROW("unsubscribe", KEY_STR, 0), FIELD(C, suppress_expire[2])},
    {ROW("soft_bounce", KEY_STR, 0), FIELD(C, suppress_expire[3])},
    {ROW("manual", KEY_STR, 0), FIELD(C, suppress_expire[4])},
    {ROW("import", KEY_STR, 0), FIELD(C, suppress_expire[5])},
    {.name = NULL},
};

const struct config_key config_keys_suppression[] = {
    {ROW("on_submit", KEY_ENUM, 0), FIELD(C, suppress_on_submit),
     .choices = choices_on_submit},
    {ROW("local_part", KEY_ENUM, 0), FIELD(C, suppress_local_sensitive),
     .choices = choices_local_part},
    {ROW("soft_bounce", KEY_SECTION, 0), .sub = keys_soft_bounce},
    {ROW("expire", KEY_SECTION, 0), .sub = keys_expire},
    {.name = NULL},
};
#undef C

/* config_suppress_check - every expire value is "never" or a duration. */
int
config_suppress_check(struct config_ctx *x, const struct config_node *root,
                      struct config *c)
{
	const struct config_pair *sec = config_tree_get(root, "suppression");
	const struct config_pair *ex, *p;
	char path[CONFIG_PATH_SIZE];
	uint64_t ms;
	size_t i;

	ex = sec != NULL ? config_tree_get(sec->value, "expire") : NULL;
	for (i = 0; i < CONFIG_SUPPRESS_REASONS; i++) {
		if (strcmp(c->suppress_expire[i], "never") == 0) {
			c->suppress_expire_ms[i] = 0;
			continue;
		}
		if (config_parse_duration(c->suppress_expire[i], &ms) == 0 &&
		    ms > 0) {
			c->suppress_expire_ms[i] = ms;
			continue;
		}
		p = ex != NULL
		        ? config_tree_get(ex->value, suppress_reason_keys[i])
		        : NULL;
		snprintf(path, sizeof(path), "suppression.expire.%s",
		         suppress_reason_keys[i]);
		return config_error(x, p != NULL ? p->line : 1, path,
		                    "expected \"never\" or a duration; got %s",
		                    c->suppress_expire[i]);
	}
	return 0;
}

/* config_suppress_free - free the expire strings. */
void
config_suppress_free(struct config *c)
{
	size_t i;

	for (i = 0; i < CONFIG_SUPPRESS_REASONS; i++) {
		free(c->suppress_expire[i]);
		c->suppress_expire[i] = NULL;
	}
}
