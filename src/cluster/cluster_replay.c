/*
 * cluster_replay.c - inbound webhooks' replays refused fleet-wide (see
 * cluster_replay.h).
 */
#include "cluster/cluster_replay.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_claim.h"
#include "cluster/cluster_int.h"
#include "core/xmalloc.h"
#include "ingress/feedback.h"

/* A request's claim waiting for its answer. */
struct replay_wait {
	feedback_fleet_done *done;
	void *token;
};

/* replay_rkey - "replay:<provider>:<key>" (malloc'd). */
static char *
replay_rkey(const char *provider, const char *key)
{
	return cluster_fmt("replay:%s:%s", provider, key);
}

/* replay_on_claim - new here, stored elsewhere, or being stored. */
static void
replay_on_claim(bool won, const char *node, const char *value, void *arg)
{
	struct replay_wait *w = arg;

	w->done(w->token,
	        won                            ? FEEDBACK_FLEET_NEW
	        : strcmp(value, "stored") == 0 ? FEEDBACK_FLEET_SEEN
	                                       : FEEDBACK_FLEET_BUSY,
	        node);
	free(w);
}

static void
replay_claim(void *arg, const char *provider, const char *key, uint64_t ttl_ms,
             feedback_fleet_done *done, void *token)
{
	struct replay_wait *w = xcalloc(1, sizeof(*w));
	char *k = replay_rkey(provider, key);

	w->done = done;
	w->token = token;
	cluster_claim(arg, k, "pending", ttl_ms, replay_on_claim, w);
	free(k);
}

static void
replay_stored(void *arg, const char *provider, const char *key, uint64_t ttl_ms)
{
	char *k = replay_rkey(provider, key);

	cluster_claim_set(arg, k, "stored", ttl_ms);
	free(k);
}

static void
replay_failed(void *arg, const char *provider, const char *key)
{
	char *k = replay_rkey(provider, key);

	cluster_claim_release(arg, k);
	free(k);
}

void
cluster_replay_attach(struct cluster *c, struct feedback *f)
{
	struct feedback_fleet ff = {.claim = replay_claim,
	                            .stored = replay_stored,
	                            .failed = replay_failed,
	                            .arg = c};

	if (f == NULL)
		return;
	c->fb = f;
	feedback_fleet_set(f, &ff);
}

void
cluster_replay_detach(struct cluster *c)
{
	if (c->fb != NULL)
		feedback_fleet_set(c->fb, NULL);
	c->fb = NULL;
}
