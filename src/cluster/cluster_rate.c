/*
 * cluster_rate.c - provider account limits shared by the fleet (see
 * cluster_rate.h): the Redis scripts, the leases' asks and answers, the
 * split while Redis is lost, and the route gate.
 */
#include "cluster/cluster_rate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include "cluster/cluster.h"
#include "cluster/cluster_int.h"
#include "cluster/cluster_link.h"
#include "cluster/cluster_rate_lease.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "route/ratelimit.h"
#include "route/route.h"

#define CRATE_WAIT_MS 5           /* a lease is being asked for */
#define CRATE_ERROR_RETRY_MS 1000 /* Redis answered an error */
#define CRATE_DAY_MS 86400000ULL
#define CRATE_AHEAD_MS 1000       /* reservations at most this far ahead */
#define CRATE_QUOTA_KEEP_S 172800 /* a day's count is kept two days */

/*
 * The GCRA, as reservations: KEYS[1] holds the theoretical arrival time
 * (TAT, in microseconds of Redis TIME). ARGV: emission interval T,
 * tolerance tau, how far ahead of now TAT may be scheduled (all three
 * microseconds), want. Grants want tokens (TAT moves by want x T) and
 * says in how many ms they may be spent: when the last of them conforms
 * (TAT + (want - 1) x T - tau). With TAT already too far ahead, grants
 * none and says in how many ms to ask again. Returns {granted, ms}.
 * Numbers are written with %.0f: Lua's tostring would print a 16-digit
 * time in exponent form.
 */
static const char crate_rate_lua[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"
    "local T = tonumber(ARGV[1])\n"
    "local tau = tonumber(ARGV[2])\n"
    "local ahead = tonumber(ARGV[3])\n"
    "local want = tonumber(ARGV[4])\n"
    "local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0\n"
    "if tat < now then tat = now end\n"
    "if tat - now > ahead then\n"
    "  return {0, math.ceil((tat - now - ahead) / 1000)}\n"
    "end\n"
    "local ready = tat + (want - 1) * T - tau\n"
    "tat = tat + want * T\n"
    "redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX',\n"
    "           math.ceil((tat - now) / 1000) + 1000)\n"
    "if ready <= now then return {want, 0} end\n"
    "return {want, math.ceil((ready - now) / 1000)}\n";

/*
 * The day's quota: KEYS[1] counts the messages taken that UTC day.
 * ARGV: limit, want, add (sent while Redis was lost, counted first),
 * keep (seconds). Grants min(want, limit - used). Returns {granted,
 * used after}.
 */
static const char crate_quota_lua[] =
    "local used = tonumber(redis.call('GET', KEYS[1]) or '0') or 0\n"
    "local add = tonumber(ARGV[3])\n"
    "if add > 0 then used = redis.call('INCRBY', KEYS[1], add) end\n"
    "local g = math.min(tonumber(ARGV[2]), tonumber(ARGV[1]) - used)\n"
    "if g < 0 then g = 0 end\n"
    "if g > 0 then used = redis.call('INCRBY', KEYS[1], g) end\n"
    "if add > 0 or g > 0 then redis.call('EXPIRE', KEYS[1], ARGV[4]) end\n"
    "return {g, used}\n";

enum crate_kind { CRATE_RATE, CRATE_QUOTA };

/* One provider's limits on this node. */
struct crate_prov {
	char name[65];
	const struct config_provider *cfg; /* as last seen (reloads) */
	double per_sec;                    /* fleet max_rate; 0: none */
	uint64_t quota;                    /* fleet quota.daily; 0: none */
	struct cluster_rate_lease rl, ql;
	int64_t q_day;      /* UTC day of ql and q_used */
	uint64_t q_used;    /* the fleet's count, as last heard */
	bool q_full;        /* the fleet's count reached quota on q_day */
	uint64_t q_add;     /* sent alone, not yet added to the count */
	bool alone;         /* the split applies */
	size_t split_n;     /* ... over this many nodes */
	bool err;           /* Redis refused a script: the split applies */
	uint64_t err_until; /* ... and it is asked again from then */
	uint64_t alone_gen;
	struct tbucket alone_tb;
	int64_t alone_day;
	uint64_t alone_left, alone_spent, alone_held;
};

struct cluster_rate {
	struct cluster *c;
	struct crate_prov provs[ROUTE_MAX_PROVIDERS];
	size_t n;
	char sha[2][41];   /* of crate_rate_lua, crate_quota_lua */
	uint64_t loss_gen; /* bumped at each loss */
	size_t split;      /* nodes known alive at the last loss */
	uint64_t reloads, messages;
};

/* One ask in flight. */
struct crate_ask {
	struct cluster_rate *cr;
	size_t i;
	enum crate_kind kind;
	bool evaled; /* already sent whole after NOSCRIPT */
	int64_t day;
	uint64_t add;
	char args[4][32];
	char key[200];
};

static const char *const crate_lua[2] = {crate_rate_lua, crate_quota_lua};

/* crate_sha1 - hex SHA-1 of s (what SCRIPT LOAD answers) into out. */
static void
crate_sha1(const char *s, char out[41])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;

	EVP_Digest(s, strlen(s), md, &len, EVP_sha1(), NULL);
	for (i = 0; i < len && i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* crate_day - the UTC day of wall_ms. */
static int64_t
crate_day(int64_t wall_ms)
{
	return wall_ms < 0 ? 0 : wall_ms / (int64_t)CRATE_DAY_MS;
}

/* crate_configure - take pc's limits (a reload may have changed them). */
static void
crate_configure(struct crate_prov *p, const struct config_provider *pc)
{
	struct rate r;
	double per_sec = 0;
	bool changed = false;

	p->cfg = pc;
	if (pc->max_rate != NULL && rate_parse(pc->max_rate, &r) == RATE_OK)
		per_sec = r.per_sec;
	if (per_sec != p->per_sec) {
		cluster_rate_lease_init(
		    &p->rl, cluster_rate_lease_cap_for_rate(per_sec),
		    CLUSTER_RATE_LEASE_TTL_MS);
		changed = true;
	}
	if (pc->quota_daily != p->quota) {
		cluster_rate_lease_init(
		    &p->ql, cluster_rate_lease_cap_for_quota(pc->quota_daily),
		    0);
		changed = true;
	}
	p->per_sec = per_sec;
	p->quota = pc->quota_daily;
	if (changed)
		p->alone_gen =
		    0; /* the split is made again for the new limits */
}

/* crate_find - rp's limits here, or NULL when it has none. */
static struct crate_prov *
crate_find(struct cluster_rate *cr, const struct config_provider *pc)
{
	size_t i;

	for (i = 0; i < cr->n; i++) {
		if (cr->provs[i].cfg == pc)
			return &cr->provs[i];
		if (strcmp(cr->provs[i].name, pc->name) == 0) {
			crate_configure(&cr->provs[i], pc);
			return &cr->provs[i];
		}
	}
	if ((pc->max_rate == NULL && pc->quota_daily == 0) ||
	    cr->n == ROUTE_MAX_PROVIDERS)
		return NULL;
	snprintf(cr->provs[cr->n].name, sizeof(cr->provs[0].name), "%s",
	         pc->name);
	crate_configure(&cr->provs[cr->n], pc);
	return &cr->provs[cr->n++];
}

static void crate_on_reply(const struct redisReply *r, void *arg);

/* crate_send - a's script on the link (EVALSHA, or EVAL once evaled). */
static int
crate_send(struct crate_ask *a)
{
	struct cluster_link *l = a->cr->c->link;

	if (a->evaled)
		return cluster_link_command_cb(
		    l, crate_on_reply, a, "EVAL %s 1 %s %s %s %s %s",
		    crate_lua[a->kind], a->key, a->args[0], a->args[1],
		    a->args[2], a->args[3]);
	return cluster_link_command_cb(l, crate_on_reply, a,
	                               "EVALSHA %s 1 %s %s %s %s %s",
	                               a->cr->sha[a->kind], a->key, a->args[0],
	                               a->args[1], a->args[2], a->args[3]);
}

/* crate_lease - the lease an ask is for. */
static struct cluster_rate_lease *
crate_lease(struct crate_prov *p, enum crate_kind kind)
{
	return kind == CRATE_RATE ? &p->rl : &p->ql;
}

/* crate_ask - ask for p's next lease of kind now. */
static void
crate_ask(struct cluster_rate *cr, struct crate_prov *p, enum crate_kind kind,
          uint64_t now, int64_t wall_ms)
{
	struct crate_ask *a = xcalloc(1, sizeof(*a));
	uint64_t k = cluster_rate_lease_asking(crate_lease(p, kind), now);
	const char *prefix = cr->c->cfg->cluster_key_prefix;
	double t_us, tau_us;

	a->cr = cr;
	a->i = (size_t)(p - cr->provs);
	a->kind = kind;
	if (kind == CRATE_RATE) {
		t_us = 1e6 / p->per_sec;
		tau_us = CLUSTER_RATE_LEASE_CAP_MS * 1000.0;
		if (tau_us < t_us)
			tau_us = t_us;
		snprintf(a->key, sizeof(a->key), "%s:rate:%s", prefix, p->name);
		snprintf(a->args[0], sizeof(a->args[0]), "%.0f", ceil(t_us));
		snprintf(a->args[1], sizeof(a->args[1]), "%.0f", tau_us);
		snprintf(a->args[2], sizeof(a->args[2]), "%.0f",
		         tau_us + CRATE_AHEAD_MS * 1000.0);
		snprintf(a->args[3], sizeof(a->args[3]), "%llu",
		         (unsigned long long)k);
	} else {
		a->day = crate_day(wall_ms);
		a->add = p->q_add;
		p->q_add = 0;
		snprintf(a->key, sizeof(a->key), "%s:quota:%s:%lld", prefix,
		         p->name, (long long)a->day);
		snprintf(a->args[0], sizeof(a->args[0]), "%llu",
		         (unsigned long long)p->quota);
		snprintf(a->args[1], sizeof(a->args[1]), "%llu",
		         (unsigned long long)k);
		snprintf(a->args[2], sizeof(a->args[2]), "%llu",
		         (unsigned long long)a->add);
		snprintf(a->args[3], sizeof(a->args[3]), "%d",
		         CRATE_QUOTA_KEEP_S);
	}
	if (crate_send(a) < 0) {
		cluster_rate_lease_failed(crate_lease(p, kind));
		p->q_add += a->add;
		free(a);
	}
}

/* crate_reply_int - element i of an array reply as an integer, or -1. */
static long long
crate_reply_int(const struct redisReply *r, size_t i)
{
	if (r->type != REDIS_REPLY_ARRAY || r->elements <= i ||
	    r->element[i]->type != REDIS_REPLY_INTEGER)
		return -1;
	return r->element[i]->integer;
}

/* crate_on_reply - a script's answer (NULL: the link went down). */
static void
crate_on_reply(const struct redisReply *r, void *arg)
{
	struct crate_ask *a = arg;
	struct cluster_rate *cr = a->cr;
	struct crate_prov *p = &cr->provs[a->i];
	struct cluster_rate_lease *l = crate_lease(p, a->kind);
	uint64_t now = clock_mono_ms();
	long long g, x;

	if (r != NULL && r->type == REDIS_REPLY_ERROR && !a->evaled &&
	    strncmp(r->str, "NOSCRIPT", 8) == 0) {
		/* Redis lost its scripts (a restart, SCRIPT FLUSH, a promoted
		 * replica): send it whole, which also caches it again. */
		cr->reloads++;
		a->evaled = true;
		if (crate_send(a) == 0)
			return;
		r = NULL;
	}
	g = r != NULL ? crate_reply_int(r, 0) : -1;
	x = r != NULL ? crate_reply_int(r, 1) : -1;
	if (g < 0 || x < 0) {
		/* Not counted, or perhaps counted: count it again (the
		 * quota errs on the side of sending less). */
		cluster_rate_lease_failed(l);
		p->q_add += a->add;
		if (r != NULL) {
			/* Refused (ACL, out of memory, ...): this node goes
			 * by its share meanwhile, as with Redis lost, rather
			 * than hold mail until Redis changes its mind. */
			log_limited(
			    LOG_LEVEL_WARN,
			    "cluster: Redis refused the fleet %s script "
			    "for provider %s (%s): this node applies its "
			    "1/%zu share of the limits until it is "
			    "allowed (asked again every %d ms)",
			    a->kind == CRATE_RATE ? "rate" : "quota", p->name,
			    r->type == REDIS_REPLY_ERROR ? r->str
			                                 : "unexpected answer",
			    cluster_nodes_alive(cr->c), CRATE_ERROR_RETRY_MS);
			p->err = true;
			p->err_until = now + CRATE_ERROR_RETRY_MS;
		}
		free(a);
		return;
	}
	p->err = false;
	if (a->kind == CRATE_RATE) {
		cluster_rate_lease_granted(l, (uint64_t)g, (uint64_t)x, now);
	} else if (a->day != p->q_day) {
		cluster_rate_lease_failed(l); /* a day ago: useless */
	} else {
		p->q_used = (uint64_t)x;
		if (g == 0 && p->q_used >= p->quota)
			p->q_full = true;
		cluster_rate_lease_granted(
		    l, (uint64_t)g, g > 0 ? 0 : CRATE_ERROR_RETRY_MS, now);
	}
	free(a);
}

/* crate_quota_day - the quota's day is today (a new day: a fresh lease). */
static void
crate_quota_day(struct crate_prov *p, int64_t wall_ms)
{
	int64_t day = crate_day(wall_ms);

	if (p->q_day == day)
		return;
	p->q_day = day;
	p->q_used = 0;
	p->q_full = false;
	p->q_add = 0;
	cluster_rate_lease_drop(&p->ql);
}

/* crate_enter_alone - Redis is lost (or refuses p's scripts): p's
 * split over n nodes from now. */
static void
crate_enter_alone(struct cluster_rate *cr, struct crate_prov *p, uint64_t now,
                  int64_t wall_ms, size_t n)
{
	int64_t day = crate_day(wall_ms);
	bool today = p->q_day == day;

	p->alone = true;
	p->split_n = n > 0 ? n : 1;
	p->alone_gen = cr->loss_gen;
	p->alone_day = day;
	if (p->per_sec > 0)
		tbucket_init(
		    &p->alone_tb,
		    cluster_rate_lease_split_rate(p->per_sec, p->split_n), 0,
		    now);
	p->alone_held = today ? cluster_rate_lease_left(&p->ql, now) : 0;
	p->alone_left = cluster_rate_lease_split_quota(
	    p->quota, today ? p->q_used : 0, p->alone_held, p->split_n);
	p->alone_spent = 0;
	cluster_rate_lease_drop(&p->rl);
	cluster_rate_lease_failed(&p->rl);
	cluster_rate_lease_drop(&p->ql);
	cluster_rate_lease_failed(&p->ql);
}

/* crate_leave_alone - Redis is back: p's shared counts again; what it
 * sent alone beyond what it held is added to the day's count. */
static void
crate_leave_alone(struct cluster_rate *cr, struct crate_prov *p, uint64_t now,
                  int64_t wall_ms)
{
	p->alone = false;
	crate_quota_day(p, wall_ms);
	if (p->alone_day == p->q_day && p->alone_spent > p->alone_held)
		p->q_add += p->alone_spent - p->alone_held;
	p->alone_spent = p->alone_held = 0;
	if (p->quota > 0 && p->q_add > 0)
		crate_ask(cr, p, CRATE_QUOTA, now, wall_ms);
}

/* crate_alone_allow - the split's answer for p (over nodes, when it
 * begins now). */
static bool
crate_alone_allow(struct cluster_rate *cr, struct crate_prov *p, uint64_t now,
                  int64_t wall_ms, size_t nodes, uint64_t *wait_ms, char *why,
                  size_t n)
{
	const char *cause =
	    cluster_lost(cr->c) ? "Redis lost" : "Redis refuses the script";
	uint64_t w;

	if (!p->alone || p->alone_gen != cr->loss_gen ||
	    p->alone_day != crate_day(wall_ms))
		crate_enter_alone(cr, p, now, wall_ms, nodes);
	if (p->quota > 0 && p->alone_left == 0) {
		snprintf(why, n,
		         "%s: this node's 1/%zu share of the fleet's daily "
		         "quota used up",
		         cause, p->split_n);
		return false;
	}
	if (p->per_sec > 0 && (w = tbucket_wait_ms(&p->alone_tb, now)) > 0) {
		snprintf(why, n,
		         "%s: fleet rate split 1/%zu = %.3g/s, next slot in "
		         "%llu ms",
		         cause, p->split_n, p->alone_tb.rate,
		         (unsigned long long)w);
		*wait_ms = w;
		return false;
	}
	snprintf(why, n, "%s: 1/%zu of the fleet's limits here", cause,
	         p->split_n);
	return true;
}

/* crate_allow - the route gate's allow (see route.h). */
static bool
crate_allow(void *arg, const struct route_prov *rp, uint64_t now,
            int64_t wall_ms, uint64_t *wait_ms, char *why, size_t n)
{
	struct cluster_rate *cr = arg;
	struct crate_prov *p = crate_find(cr, rp->cfg);
	uint64_t at;

	if (p == NULL)
		return true;
	if (cluster_lost(cr->c))
		return crate_alone_allow(cr, p, now, wall_ms, cr->split,
		                         wait_ms, why, n);
	if (p->err) {
		/* Until a script answers again: one ask a second. */
		if (now >= p->err_until && !p->rl.pending && !p->ql.pending) {
			p->err_until = now + CRATE_ERROR_RETRY_MS;
			crate_ask(cr, p,
			          p->per_sec > 0 ? CRATE_RATE : CRATE_QUOTA,
			          now, wall_ms);
		}
		return crate_alone_allow(cr, p, now, wall_ms,
		                         cluster_nodes_alive(cr->c), wait_ms,
		                         why, n);
	}
	if (p->alone)
		crate_leave_alone(cr, p, now, wall_ms);
	if (p->quota > 0) {
		crate_quota_day(p, wall_ms);
		if (p->q_full) {
			snprintf(why, n, "fleet daily quota %llu used up",
			         (unsigned long long)p->quota);
			return false;
		}
		if (cluster_rate_lease_should_ask(&p->ql, now, true))
			crate_ask(cr, p, CRATE_QUOTA, now, wall_ms);
		if (cluster_rate_lease_left(&p->ql, now) == 0) {
			snprintf(why, n, "fleet daily quota: lease asked for");
			*wait_ms = CRATE_WAIT_MS;
			return false;
		}
	}
	if (p->per_sec > 0) {
		if (cluster_rate_lease_should_ask(&p->rl, now, true))
			crate_ask(cr, p, CRATE_RATE, now, wall_ms);
		if (cluster_rate_lease_left(&p->rl, now) == 0) {
			if (p->rl.future > 0)
				at = now +
				     cluster_rate_lease_wait_ms(&p->rl, now);
			else if (p->rl.pending || p->rl.retry_ms <= now)
				at = now + CRATE_WAIT_MS;
			else
				at = p->rl.retry_ms;
			*wait_ms = at - now;
			snprintf(why, n,
			         "fleet rate %.3g/s, next lease in %llu ms",
			         p->per_sec, (unsigned long long)(at - now));
			return false;
		}
	}
	return true;
}

/* crate_take - the route gate's take. */
static void
crate_take(void *arg, const struct route_prov *rp, uint64_t now,
           int64_t wall_ms)
{
	struct cluster_rate *cr = arg;
	struct crate_prov *p = crate_find(cr, rp->cfg);

	if (p == NULL)
		return;
	cr->messages++;
	if (p->alone) {
		if (p->per_sec > 0)
			(void)tbucket_take(&p->alone_tb, now);
		if (p->alone_left > 0)
			p->alone_left--;
		p->alone_spent++;
		return;
	}
	if (p->per_sec > 0) {
		(void)cluster_rate_lease_take(&p->rl, now);
		if (cluster_rate_lease_should_ask(&p->rl, now, false))
			crate_ask(cr, p, CRATE_RATE, now, wall_ms);
	}
	if (p->quota > 0) {
		(void)cluster_rate_lease_take(&p->ql, now);
		if (cluster_rate_lease_should_ask(&p->ql, now, false))
			crate_ask(cr, p, CRATE_QUOTA, now, wall_ms);
	}
}

/* crate_refund - the route gate's refund: quota only (a rate slot used
 * is used). */
static void
crate_refund(void *arg, const struct route_prov *rp, int64_t wall_ms)
{
	struct cluster_rate *cr = arg;
	struct crate_prov *p = crate_find(cr, rp->cfg);

	if (p == NULL || p->quota == 0)
		return;
	if (p->alone) {
		if (p->alone_day == crate_day(wall_ms) && p->alone_spent > 0) {
			p->alone_spent--;
			p->alone_left++;
		}
	} else if (p->q_day == crate_day(wall_ms) && p->ql.taken > 0) {
		cluster_rate_lease_give_back(&p->ql);
	}
}

struct cluster_rate *
cluster_rate_new(struct cluster *c)
{
	struct cluster_rate *cr = xcalloc(1, sizeof(*cr));
	struct route_gate g = {
	    .allow = crate_allow,
	    .take = crate_take,
	    .refund = crate_refund,
	    .arg = cr,
	};
	size_t i;

	cr->c = c;
	cr->split = 1; /* before the first join no other node is known */
	cr->loss_gen = 1;
	crate_sha1(crate_rate_lua, cr->sha[CRATE_RATE]);
	crate_sha1(crate_quota_lua, cr->sha[CRATE_QUOTA]);
	for (i = 0; i < c->cfg->n_providers; i++)
		(void)crate_find(cr, &c->cfg->providers[i]);
	route_gate_set(&g);
	return cr;
}

void
cluster_rate_up(struct cluster_rate *cr)
{
	uint64_t now = clock_mono_ms(), added = 0;
	int64_t wall = clock_wall_ms();
	size_t i, n = 0;

	cluster_link_command(cr->c->link, "SCRIPT LOAD %s", crate_rate_lua);
	cluster_link_command(cr->c->link, "SCRIPT LOAD %s", crate_quota_lua);
	for (i = 0; i < cr->n; i++) {
		struct crate_prov *p = &cr->provs[i];
		if (!p->alone)
			continue;
		n++;
		if (p->alone_day == crate_day(wall) &&
		    p->alone_spent > p->alone_held)
			added += p->alone_spent - p->alone_held;
		crate_leave_alone(cr, p, now, wall);
	}
	if (n > 0)
		log_warn("cluster: fleet limits shared again through Redis "
		         "(%llu message(s) sent alone added to the day's "
		         "quota counts)",
		         (unsigned long long)added);
}

void
cluster_rate_lost(struct cluster_rate *cr)
{
	uint64_t now = clock_mono_ms();
	int64_t wall = clock_wall_ms();
	size_t i;

	cr->split = cluster_nodes_alive(cr->c);
	cr->loss_gen++;
	for (i = 0; i < cr->n; i++) {
		struct crate_prov *p = &cr->provs[i];
		crate_enter_alone(cr, p, now, wall, cr->split);
		if (p->per_sec > 0 && p->quota > 0)
			log_warn("cluster: Redis lost: provider %s limited to "
			         "1/%zu of the fleet's max_rate (%.3g/s of "
			         "%.3g/s) and %llu more message(s) today "
			         "(quota.daily %llu) until Redis returns",
			         p->name, cr->split, p->alone_tb.rate,
			         p->per_sec, (unsigned long long)p->alone_left,
			         (unsigned long long)p->quota);
		else if (p->per_sec > 0)
			log_warn("cluster: Redis lost: provider %s limited to "
			         "1/%zu of the fleet's max_rate (%.3g/s of "
			         "%.3g/s) until Redis returns",
			         p->name, cr->split, p->alone_tb.rate,
			         p->per_sec);
		else
			log_warn("cluster: Redis lost: provider %s limited to "
			         "%llu more message(s) today (1/%zu of what "
			         "was left of quota.daily %llu) until Redis "
			         "returns",
			         p->name, (unsigned long long)p->alone_left,
			         cr->split, (unsigned long long)p->quota);
	}
}

json_t *
cluster_rate_json(const struct cluster_rate *cr)
{
	json_t *o = json_object(), *arr = json_array(), *j;
	bool lost = cluster_lost(cr->c);
	uint64_t asks = 0;
	size_t i;

	json_object_set_new(o, "mode", json_string(lost ? "split" : "shared"));
	json_object_set_new(o, "split", json_integer((json_int_t)cr->split));
	json_object_set_new(o, "script_reloads",
	                    json_integer((json_int_t)cr->reloads));
	json_object_set_new(o, "messages",
	                    json_integer((json_int_t)cr->messages));
	for (i = 0; i < cr->n; i++)
		asks += cr->provs[i].rl.asks + cr->provs[i].ql.asks;
	json_object_set_new(o, "lease_asks", json_integer((json_int_t)asks));
	for (i = 0; i < cr->n; i++) {
		const struct crate_prov *p = &cr->provs[i];
		j = json_object();
		json_object_set_new(j, "provider", json_string(p->name));
		json_object_set_new(j, "max_rate", json_real(p->per_sec));
		json_object_set_new(
		    j, "rate_here",
		    json_real(p->alone ? p->alone_tb.rate : p->per_sec));
		json_object_set_new(
		    j, "split",
		    json_integer(p->alone ? (json_int_t)p->split_n : 0));
		json_object_set_new(j, "lease_tokens",
		                    json_integer((json_int_t)p->rl.tokens));
		json_object_set_new(
		    j, "lease_size",
		    json_integer((json_int_t)cluster_rate_lease_size(&p->rl)));
		json_object_set_new(j, "quota",
		                    json_integer((json_int_t)p->quota));
		json_object_set_new(j, "quota_used",
		                    json_integer((json_int_t)p->q_used));
		if (p->alone)
			json_object_set_new(
			    j, "quota_left_here",
			    json_integer((json_int_t)p->alone_left));
		json_object_set_new(
		    j, "asks",
		    json_integer((json_int_t)(p->rl.asks + p->ql.asks)));
		json_object_set_new(j, "granted",
		                    json_integer((json_int_t)p->rl.granted));
		json_object_set_new(j, "taken",
		                    json_integer((json_int_t)p->rl.taken));
		json_array_append_new(arr, j);
	}
	json_object_set_new(o, "providers", arr);
	return o;
}

void
cluster_rate_free(struct cluster_rate *cr)
{
	if (cr == NULL)
		return;
	route_gate_set(NULL);
	free(cr);
}
