/*
 * cluster_incident.c - incidents and notifications claimed fleet-wide
 * (see cluster_incident.h).
 */
#include "cluster/cluster_incident.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_claim.h"
#include "cluster/cluster_int.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "incident/incident.h"
#include "observe/alerting.h"
#include "observe/notify.h"

/* The incidents' claim window (one per daemon). */
static uint64_t inc_claim_ms = 45ULL * 60 * 1000;

/* An incident's claim waiting for its answer. */
struct inc_wait {
	struct incidents *in;
	incidents_claim_done *done;
	char id[INCIDENT_ID_SIZE];
};

/* A notification's claim waiting for its answer. */
struct note_wait {
	notify_claim_done *done;
	void *token;
};

/* inc_on_claim - the fleet's incident for the key. */
static void
inc_on_claim(bool won, const char *node, const char *value, void *arg)
{
	struct inc_wait *w = arg;

	if (!won)
		log_info("cluster: incident %s is node %s's %s", w->id, node,
		         value);
	w->done(w->in, w->id, value, won ? NULL : node);
	free(w);
}

/* inc_claim - struct incidents_fleet's claim. */
static void
inc_claim(void *arg, struct incidents *in, const char *key, const char *id,
          incidents_claim_done *done)
{
	struct cluster *c = arg;
	struct inc_wait *w = xcalloc(1, sizeof(*w));
	char *rkey = cluster_fmt("inc:%s", key);

	w->in = in;
	w->done = done;
	snprintf(w->id, sizeof(w->id), "%s", id);
	cluster_claim(c, rkey, id, inc_claim_ms, inc_on_claim, w);
	free(rkey);
}

/* note_on_claim - send them here or not. */
static void
note_on_claim(bool won, const char *node, const char *value, void *arg)
{
	struct note_wait *w = arg;

	(void)node;
	(void)value;
	w->done(won, w->token);
	free(w);
}

/* note_claim - struct notify_fleet's claim. */
static void
note_claim(void *arg, const char *key, notify_claim_done *done, void *token)
{
	struct cluster *c = arg;
	struct note_wait *w = xcalloc(1, sizeof(*w));
	char *rkey = cluster_fmt("note:%s", key);

	w->done = done;
	w->token = token;
	cluster_claim(c, rkey, "send", CLUSTER_NOTE_CLAIM_MS, note_on_claim, w);
	free(rkey);
}

/* note_release - the episode this node notified is over. */
static void
note_release(void *arg, const char *key)
{
	struct cluster *c = arg;
	char *rkey = cluster_fmt("note:%s", key);

	cluster_claim_expire(c, rkey, CLUSTER_NOTE_GRACE_MS);
	free(rkey);
}

void
cluster_incident_attach(struct cluster *c, struct incidents *in,
                        int64_t claim_ms, struct alerting *al)
{
	if (claim_ms > 0)
		inc_claim_ms = (uint64_t)claim_ms;
	c->inc = in;
	c->al = al;
	if (in != NULL) {
		struct incidents_fleet f = {.claim = inc_claim, .arg = c};

		incidents_fleet_set(in, &f);
	}
	if (al != NULL) {
		struct notify_fleet f = {
		    .claim = note_claim, .release = note_release, .arg = c};

		alerting_fleet_set(al, &f);
	}
}

void
cluster_incident_detach(struct cluster *c)
{
	if (c->inc != NULL)
		incidents_fleet_set(c->inc, NULL);
	if (c->al != NULL)
		alerting_fleet_set(c->al, NULL);
	c->inc = NULL;
	c->al = NULL;
}
