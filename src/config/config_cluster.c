/*
 * config_cluster.c - the cluster: section (several nodes sharing state
 * through Redis; src/cluster/, docs/cluster.md).
 *
 *   cluster:
 *     redis: "redis://10.0.0.20:6379"     one Redis, or
 *     sentinel:                           Redis under Sentinel
 *       master: "swerve"
 *       addresses: ["10.0.0.21:26379", "10.0.0.22:26379"]
 *     node_id: "mx1"                      default: the host name
 *     key_prefix: "swerve"                Redis keys and channels
 *     heartbeat: 1s
 *     node_timeout: 5s                    silent this long: gone
 *     connect_timeout: 2s
 *     node_number: 1                      in the ids this node makes
 *     adopt_number: 3                     a dead node's, imported here
 *     advertise_http: "10.0.0.11:2580"    where other nodes forward to
 *
 * Rules spanning keys: exactly one of redis and sentinel; sentinel needs
 * master and addresses; every address an IP literal (a name would be
 * resolved with a blocking call on the loop); node_id and key_prefix of
 * [A-Za-z0-9._-], at most 64 characters.
 */
#include "config/config_keys.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/config_tree.h"
#include "core/xmalloc.h"

#define C struct config
static const struct config_key keys_cluster_sentinel[] = {
    {ROW("master", KEY_STR, 0), FIELD(C, cluster_sentinel_master)},
    {ROW("addresses", KEY_ADDRS, 0), FIELD(C, cluster_sentinels),
     COUNT(C, n_cluster_sentinels)},
    {.name = NULL},
};

const struct config_key config_keys_cluster[] = {
    {ROW("redis", KEY_STR, 0), FIELD(C, cluster_redis)},
    {ROW("sentinel", KEY_SECTION, 0), .sub = keys_cluster_sentinel},
    {ROW("node_id", KEY_STR, 0), FIELD(C, cluster_node_id)},
    {ROW("key_prefix", KEY_STR, 0), FIELD(C, cluster_key_prefix)},
    {ROW("heartbeat", KEY_DURATION, 0), FIELD(C, cluster_heartbeat_ms),
     .min = 100},
    {ROW("node_timeout", KEY_DURATION, 0), FIELD(C, cluster_node_timeout_ms),
     .min = 500},
    {ROW("connect_timeout", KEY_DURATION, 0),
     FIELD(C, cluster_connect_timeout_ms), .min = 100},
    {ROW("node_number", KEY_INT, 0), FIELD(C, cluster_node_number), .min = 0,
     .max = 31},
    {ROW("adopt_number", KEY_INT, 0), FIELD(C, cluster_adopt_number), .min = 0,
     .max = 31},
    {ROW("advertise_http", KEY_ADDRS, 0), FIELD(C, cluster_advertise_http),
     COUNT(C, n_cluster_advertise_http)},
    {.name = NULL},
};
#undef C

/* config_cluster_ip - is s an IPv4 or IPv6 literal? */
static bool
config_cluster_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 ||
	       inet_pton(AF_INET6, s, buf) == 1;
}

int
config_redis_url(const char *url, char **host, uint16_t *port, const char **why)
{
	const char *h, *end, *p;
	char tmp[64];
	size_t n;
	long v = 6379;

	if (strncmp(url, "redis://", 8) != 0) {
		*why = "expected redis://IP:PORT";
		return -1;
	}
	h = url + 8;
	if (*h == '[') {
		end = strchr(h, ']');
		if (end == NULL) {
			*why = "an IPv6 address without its ]";
			return -1;
		}
		h++;
		p = end + 1;
	} else {
		end = h + strcspn(h, ":/");
		p = end;
	}
	n = (size_t)(end - h);
	if (n == 0 || n >= sizeof(tmp)) {
		*why = "expected redis://IP:PORT";
		return -1;
	}
	memcpy(tmp, h, n);
	tmp[n] = '\0';
	if (!config_cluster_ip(tmp)) {
		*why = "the host must be an IP address (a name would be "
		       "resolved with a blocking call)";
		return -1;
	}
	if (*p == ':') {
		char *e;

		p++;
		if (*p < '0' || *p > '9') {
			*why = "a port of 1-65535";
			return -1;
		}
		v = strtol(p, &e, 10);
		if (v < 1 || v > 65535 || e - p > 5) {
			*why = "a port of 1-65535";
			return -1;
		}
		p = e;
	}
	if (*p == '/')
		p++;
	if (*p != '\0') {
		*why = "nothing may follow the port (no user, database or "
		       "options)";
		return -1;
	}
	*host = xstrdup(tmp);
	*port = (uint16_t)v;
	return 0;
}

/* config_cluster_word - s of [A-Za-z0-9._-], 1..64 characters? */
static bool
config_cluster_word(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 64 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                 "0123456789._-") == n;
}

/* config_cluster_line - the line of cluster.<key> (or cluster), else 1. */
static int
config_cluster_line(const struct config_node *root, const char *key)
{
	const struct config_pair *cl = config_tree_get(root, "cluster");
	const struct config_pair *p =
	    cl != NULL && key != NULL ? config_tree_get(cl->value, key) : NULL;

	return p != NULL ? p->line : cl != NULL ? cl->line : 1;
}

int
config_cluster_check(struct config_ctx *x, const struct config_node *root,
                     struct config *c)
{
	bool sentinel =
	    c->cluster_sentinel_master != NULL || c->n_cluster_sentinels > 0;
	const char *why = NULL;
	size_t i;

	if (c->cluster_redis != NULL && sentinel)
		return config_error(x, config_cluster_line(root, "sentinel"),
		                    "cluster.sentinel",
		                    "expected either cluster.redis or "
		                    "cluster.sentinel, not both");
	if (sentinel &&
	    (c->cluster_sentinel_master == NULL || c->n_cluster_sentinels == 0))
		return config_error(x, config_cluster_line(root, "sentinel"),
		                    "cluster.sentinel",
		                    "expected both master and addresses");
	for (i = 0; i < c->n_cluster_sentinels; i++)
		if (!config_cluster_ip(c->cluster_sentinels[i].host))
			return config_error(
			    x, config_cluster_line(root, "sentinel"),
			    "cluster.sentinel.addresses",
			    "expected IP addresses (a name would be resolved "
			    "with a blocking call); got \"%s\"",
			    c->cluster_sentinels[i].host);
	free(c->cluster_redis_host);
	c->cluster_redis_host = NULL;
	if (c->cluster_redis != NULL &&
	    config_redis_url(c->cluster_redis, &c->cluster_redis_host,
	                     &c->cluster_redis_port, &why) < 0)
		return config_error(x, config_cluster_line(root, "redis"),
		                    "cluster.redis", "%s; got \"%s\"", why,
		                    c->cluster_redis);
	if (!config_cluster_word(c->cluster_node_id))
		return config_error(x, config_cluster_line(root, "node_id"),
		                    "cluster.node_id",
		                    "expected 1-64 of A-Z a-z 0-9 . _ -; got "
		                    "\"%s\"",
		                    c->cluster_node_id);
	if (!config_cluster_word(c->cluster_key_prefix))
		return config_error(x, config_cluster_line(root, "key_prefix"),
		                    "cluster.key_prefix",
		                    "expected 1-64 of A-Z a-z 0-9 . _ -");
	if (c->cluster_node_timeout_ms < 2 * c->cluster_heartbeat_ms)
		return config_error(
		    x, config_cluster_line(root, "node_timeout"),
		    "cluster.node_timeout",
		    "expected at least twice cluster.heartbeat");
	if (c->n_cluster_advertise_http > 1 ||
	    (c->n_cluster_advertise_http == 1 &&
	     (!config_cluster_ip(c->cluster_advertise_http[0].host) ||
	      c->cluster_advertise_http[0].port == 0)))
		return config_error(
		    x, config_cluster_line(root, "advertise_http"),
		    "cluster.advertise_http",
		    "expected one \"IP:PORT\" (a name would be resolved with "
		    "a blocking call)");
	if (c->cluster_adopt_number != 0 &&
	    c->cluster_adopt_number == c->cluster_node_number)
		return config_error(x,
		                    config_cluster_line(root, "adopt_number"),
		                    "cluster.adopt_number",
		                    "expected another node's number than "
		                    "cluster.node_number");
	c->cluster = c->cluster_redis != NULL || sentinel;
	return 0;
}

void
config_cluster_defaults(struct config *c)
{
	char host[256];

	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	/* Only the first label, in the characters a node id may hold. */
	host[strcspn(host, ".")] = '\0';
	for (char *p = host; *p != '\0'; p++)
		if (strchr("-_", *p) == NULL &&
		    !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9')))
			*p = '-';
	c->cluster_node_id = xstrdup(host[0] != '\0' ? host : "node");
	c->cluster_key_prefix = xstrdup("swerve");
	c->cluster_heartbeat_ms = 1000;
	c->cluster_node_timeout_ms = 5000;
	c->cluster_connect_timeout_ms = 2000;
}

void
config_cluster_free(struct config *c)
{
	free(c->cluster_redis);
	free(c->cluster_redis_host);
	free(c->cluster_sentinel_master);
	config_addrs_free(c->cluster_sentinels, c->n_cluster_sentinels);
	free(c->cluster_node_id);
	free(c->cluster_key_prefix);
	config_addrs_free(c->cluster_advertise_http,
	                  c->n_cluster_advertise_http);
}
