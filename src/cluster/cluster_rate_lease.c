/*
 * cluster_rate_lease.c - the arithmetic of the fleet's leases of tokens
 * (see cluster_rate_lease.h).
 */
#include "cluster/cluster_rate_lease.h"

#include <math.h>
#include <string.h>

void
cluster_rate_lease_init(struct cluster_rate_lease *l, uint64_t cap,
                        uint64_t ttl_ms)
{
	memset(l, 0, sizeof(*l));
	l->cap = cap > 0 ? cap : 1;
	l->ttl_ms = ttl_ms;
}

uint64_t
cluster_rate_lease_cap_for_rate(double per_sec)
{
	double k = floor(per_sec * CLUSTER_RATE_LEASE_CAP_MS / 1000.0);

	if (!(k >= 1))
		return 1;
	if (k > 1e6)
		return 1000000;
	return (uint64_t)k;
}

uint64_t
cluster_rate_lease_cap_for_quota(uint64_t limit)
{
	return limit / 100 > 0 ? limit / 100 : 1;
}

uint64_t
cluster_rate_lease_size(const struct cluster_rate_lease *l)
{
	double k = ceil(l->use * CLUSTER_RATE_LEASE_USE_MS / 1000.0);

	if (!(k >= 1))
		return 1;
	if (k >= (double)l->cap)
		return l->cap;
	return (uint64_t)k;
}

uint64_t
cluster_rate_lease_left(struct cluster_rate_lease *l, uint64_t now)
{
	if (l->future > 0 && now >= l->future_ms) {
		if (l->ttl_ms > 0 && l->tokens > 1 && now >= l->granted_ms &&
		    now - l->granted_ms >= l->ttl_ms)
			l->tokens = 1;
		l->tokens += l->future;
		l->future = 0;
		l->granted_ms = l->future_ms;
	}
	if (l->ttl_ms > 0 && l->tokens > 1 && now >= l->granted_ms &&
	    now - l->granted_ms >= l->ttl_ms)
		l->tokens = 1;
	return l->tokens;
}

bool
cluster_rate_lease_take(struct cluster_rate_lease *l, uint64_t now)
{
	if (cluster_rate_lease_left(l, now) == 0)
		return false;
	l->tokens--;
	l->spent++;
	l->taken++;
	return true;
}

void
cluster_rate_lease_give_back(struct cluster_rate_lease *l)
{
	l->tokens++;
	if (l->spent > 0)
		l->spent--;
	if (l->taken > 0)
		l->taken--;
}

bool
cluster_rate_lease_should_ask(struct cluster_rate_lease *l, uint64_t now,
                              bool none_only)
{
	uint64_t left = cluster_rate_lease_left(l, now);

	if (l->pending || l->future > 0 || now < l->retry_ms)
		return false;
	if (left == 0)
		return true;
	return !none_only && left <= cluster_rate_lease_size(l) / 2;
}

uint64_t
cluster_rate_lease_asking(struct cluster_rate_lease *l, uint64_t now)
{
	double inst, dt;

	if (l->use_ms == 0) {
		l->use_ms = now;
	} else if (now > l->use_ms) {
		dt = (double)(now - l->use_ms) / 1000.0;
		if (dt < 0.05)
			dt = 0.05; /* a burst is not an infinite rate */
		inst = (double)l->spent / dt;
		l->use = 0.5 * l->use + 0.5 * inst;
		l->use_ms = now;
		l->spent = 0;
	}
	l->pending = true;
	l->asks++;
	return cluster_rate_lease_size(l);
}

void
cluster_rate_lease_granted(struct cluster_rate_lease *l, uint64_t g,
                           uint64_t in_ms, uint64_t now)
{
	l->pending = false;
	if (g > 0) {
		l->granted += g;
		l->retry_ms = 0;
		l->future += g;
		l->future_ms = now + in_ms;
		(void)cluster_rate_lease_left(l, now);
	} else {
		l->retry_ms = now + (in_ms > 0 ? in_ms : 1);
	}
}

uint64_t
cluster_rate_lease_wait_ms(const struct cluster_rate_lease *l, uint64_t now)
{
	if (l->future == 0)
		return 0;
	return l->future_ms > now ? l->future_ms - now : 1;
}

void
cluster_rate_lease_failed(struct cluster_rate_lease *l)
{
	l->pending = false;
}

void
cluster_rate_lease_drop(struct cluster_rate_lease *l)
{
	l->tokens = 0;
	l->future = 0;
	l->retry_ms = 0;
}

double
cluster_rate_lease_split_rate(double per_sec, size_t nodes)
{
	return per_sec / (double)(nodes > 0 ? nodes : 1);
}

uint64_t
cluster_rate_lease_split_quota(uint64_t limit, uint64_t used, uint64_t held,
                               size_t nodes)
{
	if (used >= limit)
		return held;
	return held + (limit - used) / (nodes > 0 ? nodes : 1);
}
