/*
 * drill_label.c - which alerts belong to the running drill. See
 * drill_label.h.
 */
#include "drill/drill_label.h"

#include <stdio.h>
#include <string.h>

#include "config/config.h"

static struct {
	bool on;
	char id[64];
	char provider[128];
	char stream[128]; /* "": any */
	int notify;
} drill_label;

void
drill_label_set(const char *id, const char *provider, const char *stream,
                int notify)
{
	if (provider == NULL) {
		memset(&drill_label, 0, sizeof(drill_label));
		return;
	}
	drill_label.on = true;
	snprintf(drill_label.id, sizeof(drill_label.id), "%s", id ? id : "");
	snprintf(drill_label.provider, sizeof(drill_label.provider), "%s",
	         provider);
	snprintf(drill_label.stream, sizeof(drill_label.stream), "%s",
	         stream ? stream : "");
	drill_label.notify = notify;
}

const char *
drill_label_match(const char *provider, const char *stream)
{
	if (!drill_label.on)
		return NULL;
	if (provider != NULL)
		return strcmp(provider, drill_label.provider) == 0
		           ? drill_label.id
		           : NULL;
	if (stream != NULL)
		return drill_label.stream[0] == '\0' ||
		               strcmp(stream, drill_label.stream) == 0
		           ? drill_label.id
		           : NULL;
	return NULL;
}

int
drill_label_notify(void)
{
	return drill_label.on ? drill_label.notify
	                      : CONFIG_DRILL_NOTIFY_LABELLED;
}
