/*
 * cluster_claim.c - "one node acts" claims (see cluster_claim.h).
 *
 * The stored value is "<node> <value>": the holder first, so that any
 * node can tell its own claims and a gone node's from a live one's.
 */
#include "cluster/cluster_claim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "cluster/cluster_int.h"
#include "cluster/cluster_link.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"

struct claim {
	struct cluster *c; /* NULL once the reply can no longer use it */
	char *rkey, *value;
	uint64_t ttl_ms;
	cluster_claim_fn *fn;
	void *arg;
};

char *
cluster_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		log_panic("cluster: out of memory");
	return s;
}

/* claim_done - tell the caller and free cl. */
static void
claim_done(struct claim *cl, bool won, const char *node, const char *value)
{
	cl->fn(won, node, value, cl->arg);
	free(cl->rkey);
	free(cl->value);
	free(cl);
}

bool
cluster_claim_holder_gone(const struct cluster *c, const char *node)
{
	uint64_t now = clock_mono_ms();
	size_t i;

	if (strcmp(node, c->cfg->cluster_node_id) == 0 || c->up_ms == 0 ||
	    now - c->up_ms <= c->cfg->cluster_node_timeout_ms)
		return false;
	for (i = 0; i < c->n_nodes; i++)
		if (strcmp(c->nodes[i].id, node) == 0)
			return now - c->nodes[i].seen_ms >
			       c->cfg->cluster_node_timeout_ms;
	return true; /* never heard of in all this time */
}

/* claim_on_reply - the old value, or nil (ours now). */
static void
claim_on_reply(const struct redisReply *r, void *arg)
{
	struct claim *cl = arg;
	struct cluster *c = cl->c;
	const char *self = c->cfg->cluster_node_id;
	char node[CLUSTER_MSG_TEXT_MAX + 1];
	const char *sp;
	size_t n;

	if (r == NULL || r->type == REDIS_REPLY_NIL) {
		claim_done(cl, true, self, cl->value);
		return;
	}
	if (r->type != REDIS_REPLY_STRING ||
	    (sp = memchr(r->str, ' ', r->len)) == NULL ||
	    (n = (size_t)(sp - r->str)) > CLUSTER_MSG_TEXT_MAX) {
		if (r->type == REDIS_REPLY_ERROR)
			log_limited(LOG_LEVEL_WARN,
			            "cluster: claim of %s refused: %s",
			            cl->rkey, r->str);
		claim_done(cl, true, self, cl->value);
		return;
	}
	memcpy(node, r->str, n);
	node[n] = '\0';
	if (strcmp(node, self) == 0) {
		claim_done(cl, true, node, sp + 1);
		return;
	}
	if (cluster_claim_holder_gone(c, node)) {
		char *v = cluster_fmt("%s %s", self, cl->value);

		log_info("cluster: %s was held by node %s, gone: taken over",
		         cl->rkey, node);
		cluster_link_command(c->link, "SET %s %s PX %llu", cl->rkey, v,
		                     (unsigned long long)cl->ttl_ms);
		free(v);
		claim_done(cl, true, self, cl->value);
		return;
	}
	claim_done(cl, false, node, sp + 1);
}

void
cluster_claim(struct cluster *c, const char *key, const char *value,
              uint64_t ttl_ms, cluster_claim_fn *fn, void *arg)
{
	const char *self = c->cfg->cluster_node_id;
	struct claim *cl;
	char *v;
	int rc;

	if (!cluster_link_up(c->link)) {
		fn(true, self, value, arg);
		return;
	}
	cl = xcalloc(1, sizeof(*cl));
	cl->c = c;
	cl->rkey = cluster_fmt("%s:%s", c->cfg->cluster_key_prefix, key);
	cl->value = xstrdup(value);
	cl->ttl_ms = ttl_ms > 0 ? ttl_ms : 1;
	cl->fn = fn;
	cl->arg = arg;
	v = cluster_fmt("%s %s", self, value);
	rc = cluster_link_command_cb(c->link, claim_on_reply, cl,
	                             "SET %s %s NX GET PX %llu", cl->rkey, v,
	                             (unsigned long long)cl->ttl_ms);
	free(v);
	if (rc != 0)
		claim_done(cl, true, self, value);
}

/* The claim of KEYS[1] is this node's (ARGV[1]): PEXPIRE it by ARGV[2]
 * ms, or DEL it when ARGV[2] is 0. */
static const char claim_if_mine_lua[] =
    "local v = redis.call('GET', KEYS[1]) "
    "if not v or string.sub(v, 1, #ARGV[1] + 1) ~= ARGV[1] .. ' ' then "
    "return 0 end "
    "if ARGV[2] == '0' then return redis.call('DEL', KEYS[1]) end "
    "return redis.call('PEXPIRE', KEYS[1], ARGV[2])";

/* claim_if_mine - run claim_if_mine_lua on key with ms. */
static void
claim_if_mine(struct cluster *c, const char *key, uint64_t ms)
{
	if (!cluster_link_up(c->link))
		return;
	cluster_link_command(c->link, "EVAL %s 1 %s:%s %s %llu",
	                     claim_if_mine_lua, c->cfg->cluster_key_prefix, key,
	                     c->cfg->cluster_node_id, (unsigned long long)ms);
}

void
cluster_claim_expire(struct cluster *c, const char *key, uint64_t ttl_ms)
{
	claim_if_mine(c, key, ttl_ms > 0 ? ttl_ms : 1);
}

void
cluster_claim_set(struct cluster *c, const char *key, const char *value,
                  uint64_t ttl_ms)
{
	char *v;

	if (!cluster_link_up(c->link))
		return;
	v = cluster_fmt("%s %s", c->cfg->cluster_node_id, value);
	cluster_link_command(c->link, "SET %s:%s %s PX %llu",
	                     c->cfg->cluster_key_prefix, key, v,
	                     (unsigned long long)(ttl_ms > 0 ? ttl_ms : 1));
	free(v);
}

void
cluster_claim_release(struct cluster *c, const char *key)
{
	claim_if_mine(c, key, 0);
}
