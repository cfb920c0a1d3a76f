/*
 * cluster_probe.c - a dark provider probed by one node a period (see
 * cluster_probe.h).
 */
#include "cluster/cluster_probe.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_claim.h"
#include "cluster/cluster_int.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "deliver/deliver.h"

/* A probe waiting for the fleet's word. */
struct probe_wait {
	deliver_probe_done *done;
	void *token;
	char provider[CLUSTER_MSG_TEXT_MAX + 1];
};

/* probe_on_claim - run it here, or another node does. */
static void
probe_on_claim(bool won, const char *node, const char *value, void *arg)
{
	struct probe_wait *w = arg;

	(void)value;
	if (!won)
		log_debug("cluster: provider %s is probed by node %s",
		          w->provider, node);
	w->done(w->token, won);
	free(w);
}

/* probe_go - struct deliver_probe_gate's go. */
static void
probe_go(void *arg, const char *provider, uint64_t period_ms,
         deliver_probe_done *done, void *token)
{
	struct cluster *c = arg;
	struct probe_wait *w = xcalloc(1, sizeof(*w));
	char key[CLUSTER_MSG_TEXT_MAX + 8];

	w->done = done;
	w->token = token;
	snprintf(w->provider, sizeof(w->provider), "%s", provider);
	snprintf(key, sizeof(key), "probe:%s", provider);
	/* A little less than the period: the next period's claim is free. */
	cluster_claim(c, key, "probe",
	              period_ms > 400 ? period_ms - 200 : period_ms,
	              probe_on_claim, w);
}

void
cluster_probe_attach(struct cluster *c)
{
	struct deliver_probe_gate g = {.go = probe_go, .arg = c};

	deliver_probe_gate_set(c->d, &g);
}

void
cluster_probe_detach(struct cluster *c)
{
	deliver_probe_gate_set(c->d, NULL);
}
