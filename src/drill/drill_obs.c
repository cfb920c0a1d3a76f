/*
 * drill_obs.c - gathering one drill's figures from events. See
 * drill_obs.h.
 */
#include "drill/drill_obs.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "observe/events.h"

void
drill_obs_init(struct drill_obs *o, const char *provider, const char *stream,
               int64_t start_ms, uint64_t max_ms)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->provider, sizeof(o->provider), "%s", provider);
	snprintf(o->stream, sizeof(o->stream), "%s", stream ? stream : "");
	o->start_ms = start_ms;
	o->n_secs = (size_t)(max_ms / 1000) + 2;
	o->sec_at = xcalloc(o->n_secs, sizeof(*o->sec_at));
	o->sec_all = xcalloc(o->n_secs, sizeof(*o->sec_all));
	o->cap_ids = 1024;
	o->ids = xcalloc(o->cap_ids, sizeof(*o->ids));
}

void
drill_obs_fini(struct drill_obs *o)
{
	size_t i;

	free(o->sec_at);
	free(o->sec_all);
	free(o->ids);
	for (i = 0; i < o->n_streams; i++)
		free(o->streams[i].ms);
	memset(o, 0, sizeof(*o));
}

void
drill_obs_note(struct drill_obs *o, const char *fmt, ...)
{
	va_list ap;
	char line[DRILL_OBS_NOTE_SIZE];
	size_t i;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (i = 0; i < o->n_notes; i++)
		if (strcmp(o->notes[i], line) == 0)
			return; /* once is enough */
	if (o->n_notes < DRILL_OBS_NOTES)
		memcpy(o->notes[o->n_notes++], line, sizeof(line));
}

/* obs_hash - FNV-1a of an id. */
static size_t
obs_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

/* obs_slot - where id is, or the empty slot where it would go. */
static size_t
obs_slot(char (*ids)[ID_SIZE], size_t cap, const char *id)
{
	size_t i = obs_hash(id) & (cap - 1);

	while (ids[i][0] != '\0' && strcmp(ids[i], id) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

/* obs_grow - double the id table. */
static void
obs_grow(struct drill_obs *o)
{
	size_t cap = o->cap_ids * 2, i;
	char(*ids)[ID_SIZE] = xcalloc(cap, sizeof(*ids));

	for (i = 0; i < o->cap_ids; i++)
		if (o->ids[i][0] != '\0')
			memcpy(ids[obs_slot(ids, cap, o->ids[i])], o->ids[i],
			       ID_SIZE);
	free(o->ids);
	o->ids = ids;
	o->cap_ids = cap;
}

/* obs_touch - remember msg_id as touched. */
static void
obs_touch(struct drill_obs *o, const char *id)
{
	size_t i;

	if (id == NULL || strlen(id) >= ID_SIZE)
		return;
	if (o->n_ids >= DRILL_OBS_MAX_IDS) {
		o->ids_full = true;
		return;
	}
	if ((o->n_ids + 1) * 2 > o->cap_ids)
		obs_grow(o);
	i = obs_slot(o->ids, o->cap_ids, id);
	if (o->ids[i][0] == '\0') {
		snprintf(o->ids[i], ID_SIZE, "%s", id);
		o->n_ids++;
	}
}

bool
drill_obs_touched(const struct drill_obs *o, const char *msg_id)
{
	if (msg_id == NULL || strlen(msg_id) >= ID_SIZE || o->ids == NULL)
		return false;
	return o->ids[obs_slot(o->ids, o->cap_ids, msg_id)][0] != '\0';
}

/* obs_in_scope - is an event of this stream the drill's business? */
static bool
obs_in_scope(const struct drill_obs *o, const char *stream)
{
	return o->stream[0] == '\0' ||
	       (stream != NULL && strcmp(stream, o->stream) == 0);
}

/* obs_stream - the delays of stream name (added when new; NULL: full). */
static struct drill_obs_stream *
obs_stream(struct drill_obs *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->n_streams; i++)
		if (strcmp(o->streams[i].name, name) == 0)
			return &o->streams[i];
	if (o->n_streams == DRILL_OBS_STREAMS)
		return NULL;
	snprintf(o->streams[o->n_streams].name, DRILL_OBS_NAME, "%s", name);
	return &o->streams[o->n_streams++];
}

/* obs_sample - a message of stream was sent latency_ms after it came. */
static void
obs_sample(struct drill_obs *o, const char *stream, uint64_t latency_ms)
{
	struct drill_obs_stream *s = obs_stream(o, stream ? stream : "-");

	if (s == NULL || s->n >= DRILL_OBS_MAX_SAMPLES)
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->ms = xreallocarray(s->ms, s->cap, sizeof(*s->ms));
	}
	s->ms[s->n++] = latency_ms;
}

/* obs_attempt - an attempt ended. */
static void
obs_attempt(struct drill_obs *o, const struct events_item *e, bool here)
{
	bool ok = e->cls == SEND_ACCEPTED || e->cls == SEND_REJECTED;
	int64_t sec = (e->at_ms - o->start_ms) / 1000;

	if (o->end_ms == 0 && sec >= 0 && (size_t)sec < o->n_secs &&
	    obs_in_scope(o, e->stream)) {
		o->sec_all[sec]++;
		if (here)
			o->sec_at[sec]++;
	}
	if (here && e->drill && !ok) {
		if (o->first_fail_ms == 0)
			o->first_fail_ms = e->at_ms;
		o->simulated++;
		obs_touch(o, e->msg_id);
		return;
	}
	if (here) {
		if (o->end_ms != 0 && e->cls == SEND_ACCEPTED &&
		    o->failback_ms == 0)
			o->failback_ms = e->at_ms;
		return;
	}
	/* Elsewhere. */
	if (e->cls == SEND_UNKNOWN)
		o->duplicates++;
	if (ok && e->cls == SEND_ACCEPTED && drill_obs_touched(o, e->msg_id)) {
		o->accepted_elsewhere++;
		if (o->elsewhere_ms == 0)
			o->elsewhere_ms = e->at_ms;
	}
	if (!ok && o->end_ms == 0) {
		o->backup_failed++;
		drill_obs_note(o,
		               "provider %s failed for real during the "
		               "drill (%s)",
		               e->provider ? e->provider : "?",
		               send_class_name(e->cls));
	}
}

void
drill_obs_event(struct drill_obs *o, const struct events_item *e)
{
	bool here =
	    e->provider != NULL && strcmp(e->provider, o->provider) == 0;

	switch (e->kind) {
	case EVENT_ATTEMPT:
		if (e->provider != NULL)
			obs_attempt(o, e, here);
		return;
	case EVENT_FAILOVER:
		if (here && e->drill)
			o->rerouted++;
		return;
	case EVENT_SENT:
		if (o->end_ms == 0 && obs_in_scope(o, e->stream))
			obs_sample(o, e->stream, e->latency_ms);
		return;
	case EVENT_DEFERRED:
		if (o->end_ms == 0 && drill_obs_touched(o, e->msg_id)) {
			o->deferred++;
			drill_obs_note(o, "messages were deferred: no "
			                  "provider could take them");
		}
		return;
	case EVENT_CIRCUIT:
		if (here && e->state != NULL && strcmp(e->state, "open") == 0 &&
		    o->open_ms == 0 && o->end_ms == 0)
			o->open_ms = e->at_ms;
		return;
	case EVENT_THROTTLED:
		if (!here && o->end_ms == 0) {
			o->backup_throttled++;
			drill_obs_note(o, "backup %s throttled us",
			               e->provider ? e->provider : "?");
		}
		return;
	case EVENT_ALERT:
		if (e->drill && o->alert_ms == 0 && e->state != NULL &&
		    strcmp(e->state, "firing") == 0)
			o->alert_ms = e->at_ms;
		return;
	case EVENT_NOTIFIED:
		if (o->alert_ms == 0 || e->state == NULL)
			return;
		if (strcmp(e->state, "ok") == 0 && o->notified_ms == 0)
			o->notified_ms = e->at_ms;
		else if (strcmp(e->state, "failed") == 0) {
			o->notify_failed++;
			drill_obs_note(o,
			               "an alert notification (%s) did not "
			               "arrive",
			               e->reason ? e->reason : "?");
		}
		return;
	default:
		return;
	}
}

void
drill_obs_end(struct drill_obs *o, int64_t end_ms)
{
	if (o->end_ms == 0)
		o->end_ms = end_ms;
}

int64_t
drill_obs_failover95_ms(const struct drill_obs *o)
{
	int64_t from, last, s, good = -1;

	if (o->first_fail_ms == 0)
		return -1;
	from = (o->first_fail_ms - o->start_ms) / 1000;
	last =
	    ((o->end_ms ? o->end_ms : o->first_fail_ms) - o->start_ms) / 1000;
	if (from < 0)
		from = 0;
	if (last >= (int64_t)o->n_secs)
		last = (int64_t)o->n_secs - 1;
	/* The latest second from which every later one (with traffic) had
	 * at most 5% at the provider. */
	for (s = last; s >= from; s--) {
		if (o->sec_all[s] == 0)
			continue;
		if ((uint64_t)o->sec_at[s] * 20 > o->sec_all[s])
			break;
		good = s;
	}
	if (good < 0)
		return -1;
	good = o->start_ms + good * 1000 - o->first_fail_ms;
	return good < 0 ? 0 : good;
}

/* obs_cmp - qsort order of delays. */
static int
obs_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t
drill_obs_percentile(struct drill_obs_stream *s, double p)
{
	size_t rank;

	if (s->n == 0)
		return 0;
	qsort(s->ms, s->n, sizeof(*s->ms), obs_cmp);
	rank = (size_t)((p / 100.0) * (double)s->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > s->n)
		rank = s->n;
	return s->ms[rank - 1];
}
