/*
 * cluster_idem.c - idempotency keys shared by the fleet (see
 * cluster_idem.h).
 *
 * The value of a key: "pending <node> <hash>" while its first node
 * stores the message, then "<message id> <hash>"; <hash> is the
 * request's payload digest, "-" when there is none.
 */
#include "cluster/cluster_idem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include "cluster/cluster_int.h"
#include "cluster/cluster_link.h"
#include "config/config.h"
#include "core/log.h"
#include "core/xmalloc.h"

#define IDEM_PENDING_MS 60000
#define IDEM_KEEP_MS 86400000ULL
#define IDEM_RETRY_MS 50
#define IDEM_RETRIES 40

struct idem_claim {
	LIST_ENTRY(idem_claim) link;
	struct cluster *c;
	char rkey[160]; /* the Redis key */
	char *hash;     /* "-" when none */
	cluster_idem_fn *fn;
	void *arg;
	unsigned tries;
	struct event *retry;
	bool waiting; /* on the retry timer (not on a Redis reply) */
};

static LIST_HEAD(idem_claims,
                 idem_claim) idem_claims = LIST_HEAD_INITIALIZER(idem_claims);
static struct cluster *idem_cluster;

struct cluster *
cluster_idem_active(void)
{
	return idem_cluster;
}

/* idem_rkey - <prefix>:idem:<hex sha256(tenant NUL key)> into out. */
static void
idem_rkey(const struct cluster *c, const char *tenant, const char *key,
          char *out, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;
	char hex[2 * 32 + 1];
	EVP_MD_CTX *x = EVP_MD_CTX_new();

	tenant = tenant != NULL ? tenant : "";
	EVP_DigestInit_ex(x, EVP_sha256(), NULL);
	EVP_DigestUpdate(x, tenant, strlen(tenant) + 1);
	EVP_DigestUpdate(x, key, strlen(key));
	EVP_DigestFinal_ex(x, md, &len);
	EVP_MD_CTX_free(x);
	for (i = 0; i < len && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(out, n, "%s:idem:%s", c->cfg->cluster_key_prefix, hex);
}

/* idem_finish - tell the caller and free cl. */
static void
idem_finish(struct idem_claim *cl, enum cluster_idem_verdict v, const char *id)
{
	cluster_idem_fn *fn = cl->fn;
	void *arg = cl->arg;

	LIST_REMOVE(cl, link);
	event_free(cl->retry);
	free(cl->hash);
	free(cl);
	fn(v, id, arg);
}

static void idem_on_reply(const struct redisReply *r, void *arg);

/* idem_send - claim (first) or read the key (after a pending answer). */
static void
idem_send(struct idem_claim *cl)
{
	struct cluster *c = cl->c;
	char val[CLUSTER_MSG_TEXT_MAX + 200];
	int rc;

	cl->waiting = false;
	snprintf(val, sizeof(val), "pending %s %s", c->cfg->cluster_node_id,
	         cl->hash);
	rc = cluster_link_command_cb(c->link, idem_on_reply, cl,
	                             "SET %s %s NX GET PX %d", cl->rkey, val,
	                             IDEM_PENDING_MS);
	if (rc != 0)
		idem_finish(cl, CLUSTER_IDEM_PROCEED, "");
}

/* idem_on_retry - another node was storing it: ask again. */
static void
idem_on_retry(evutil_socket_t fd, short what, void *arg)
{
	idem_send(arg);
}

/* idem_on_reply - the claim's answer: the old value, or nil (ours). */
static void
idem_on_reply(const struct redisReply *r, void *arg)
{
	struct idem_claim *cl = arg;
	char id[CLUSTER_MSG_TEXT_MAX], hash[CLUSTER_MSG_TEXT_MAX];
	char node[CLUSTER_MSG_TEXT_MAX];
	struct timeval tv = {0, IDEM_RETRY_MS * 1000};

	if (r == NULL || r->type == REDIS_REPLY_NIL) {
		/* Ours, or Redis lost: store it here. */
		idem_finish(cl, CLUSTER_IDEM_PROCEED, "");
		return;
	}
	if (r->type != REDIS_REPLY_STRING || r->len >= sizeof(id)) {
		if (r->type == REDIS_REPLY_ERROR)
			log_limited(LOG_LEVEL_WARN,
			            "cluster: idempotency claim refused: %s",
			            r->str);
		idem_finish(cl, CLUSTER_IDEM_PROCEED, "");
		return;
	}
	if (sscanf(r->str, "pending %511s %511s", node, hash) == 2) {
		if (strcmp(node, cl->c->cfg->cluster_node_id) == 0) {
			/* Our own request in flight: the spool dedups. */
			idem_finish(cl, CLUSTER_IDEM_PROCEED, "");
		} else if (++cl->tries > IDEM_RETRIES) {
			idem_finish(cl, CLUSTER_IDEM_CONFLICT, "");
		} else {
			cl->waiting = true;
			evtimer_add(cl->retry, &tv);
		}
		return;
	}
	if (sscanf(r->str, "%511s %511s", id, hash) != 2) {
		idem_finish(cl, CLUSTER_IDEM_PROCEED, "");
		return;
	}
	idem_finish(cl,
	            strcmp(hash, cl->hash) == 0 ? CLUSTER_IDEM_DUP
	                                        : CLUSTER_IDEM_CONFLICT,
	            id);
}

void
cluster_idem_claim(struct cluster *c, const char *tenant, const char *key,
                   const char *hash, cluster_idem_fn *fn, void *arg)
{
	struct idem_claim *cl;

	if (!cluster_link_up(c->link)) {
		fn(CLUSTER_IDEM_PROCEED, "", arg);
		return;
	}
	cl = xcalloc(1, sizeof(*cl));
	cl->c = c;
	idem_rkey(c, tenant, key, cl->rkey, sizeof(cl->rkey));
	cl->hash = xstrdup(hash != NULL && hash[0] != '\0' ? hash : "-");
	cl->fn = fn;
	cl->arg = arg;
	cl->retry = evtimer_new(c->base, idem_on_retry, cl);
	if (cl->retry == NULL)
		log_panic("cluster: cannot make an event");
	LIST_INSERT_HEAD(&idem_claims, cl, link);
	idem_send(cl);
}

void
cluster_idem_stored(struct cluster *c, const char *tenant, const char *key,
                    const char *hash, const char *id)
{
	char rkey[160], val[CLUSTER_MSG_TEXT_MAX + 200];

	idem_rkey(c, tenant, key, rkey, sizeof(rkey));
	snprintf(val, sizeof(val), "%s %s", id,
	         hash != NULL && hash[0] != '\0' ? hash : "-");
	cluster_link_command(c->link, "SET %s %s PX %llu", rkey, val,
	                     IDEM_KEEP_MS);
}

void
cluster_idem_install(struct cluster *c)
{
	idem_cluster = c;
}

void
cluster_idem_cancel_all(struct cluster *c)
{
	struct idem_claim *cl, *next;

	for (cl = LIST_FIRST(&idem_claims); cl != NULL; cl = next) {
		next = LIST_NEXT(cl, link);
		if (cl->c == c && cl->waiting)
			idem_finish(cl, CLUSTER_IDEM_PROCEED, "");
	}
	if (idem_cluster == c)
		idem_cluster = NULL;
}
