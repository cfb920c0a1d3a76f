/*
 * cluster_health.c - providers' health samples in heartbeats (see
 * cluster_health.h).
 */
#include "cluster/cluster_health.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_int.h"
#include "config/config.h"
#include "core/clock.h"
#include "deliver/deliver.h"

void
cluster_health_text(const struct deliver *d, char *out, size_t n)
{
	struct deliver_provider_info pi;
	size_t i, np = deliver_provider_count(d), at = 0, k = 0;
	char one[CLUSTER_HEALTH_NAME + 80];
	int len;

	out[0] = '\0';
	for (i = 0; i < np && k < CLUSTER_HEALTH_MAX; i++) {
		double r;

		memset(&pi, 0, sizeof(pi));
		deliver_provider_info(d, i, &pi);
		if (strlen(pi.name) >= CLUSTER_HEALTH_NAME)
			continue;
		r = pi.success_ratio < 0   ? 0
		    : pi.success_ratio > 1 ? 1
		                           : pi.success_ratio;
		len = snprintf(one, sizeof(one),
		               "%s%s %u %" PRIu64 " %" PRIu64 " %" PRIu64,
		               k > 0 ? ";" : "", pi.name,
		               (unsigned)(r * 1000 + 0.5), pi.latency_ewma_ms,
		               pi.sent, pi.failed);
		if (len < 0 || at + (size_t)len >= n ||
		    at + (size_t)len > CLUSTER_MSG_TEXT_MAX)
			break;
		memcpy(out + at, one, (size_t)len + 1);
		at += (size_t)len;
		k++;
	}
}

/* health_num - a decimal number at *p (advanced) up to max; -1 if not. */
static int
health_num(const char **p, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		s++;
	}
	*p = s;
	*out = v;
	return 0;
}

int
cluster_health_parse(const char *text, struct cluster_health_sample *out,
                     size_t max)
{
	const char *p = text;
	size_t n = 0, len;
	uint64_t v[4];
	int i;

	if (*p == '\0')
		return 0;
	for (;;) {
		struct cluster_health_sample *s;

		len = strspn(p, "abcdefghijklmnopqrstuvwxyz"
		                "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");
		if (n == max || len == 0 || len >= CLUSTER_HEALTH_NAME ||
		    p[len] != ' ')
			return -1;
		s = &out[n];
		memcpy(s->provider, p, len);
		s->provider[len] = '\0';
		p += len;
		for (i = 0; i < 4; i++) {
			if (*p++ != ' ' ||
			    health_num(&p, i == 0 ? 1000 : UINT64_MAX, &v[i]) <
			        0)
				return -1;
		}
		s->permille = (unsigned)v[0];
		s->latency_ms = v[1];
		s->sent = v[2];
		s->failed = v[3];
		n++;
		if (*p == '\0')
			return (int)n;
		if (*p++ != ';')
			return -1;
	}
}

json_t *
cluster_health_json(const struct cluster *c)
{
	json_t *arr = json_array();
	uint64_t now = clock_mono_ms();
	size_t i, j, k;

	for (i = 0; i < c->n_nodes; i++) {
		const struct cluster_node *cn = &c->nodes[i];

		if (now - cn->seen_ms > c->cfg->cluster_node_timeout_ms)
			continue;
		for (j = 0; j < cn->n_health; j++) {
			const struct cluster_health_sample *s = &cn->health[j];
			json_t *o = NULL;

			for (k = 0; k < json_array_size(arr); k++) {
				json_t *e = json_array_get(arr, k);
				if (strcmp(json_string_value(
				               json_object_get(e, "provider")),
				           s->provider) == 0)
					o = e;
			}
			if (o == NULL) {
				o = json_pack("{s:s,s:I,s:f,s:f,s:I,s:I}",
				              "provider", s->provider, "nodes",
				              (json_int_t)0, "success_ratio",
				              0.0, "latency_ms", 0.0, "sent",
				              (json_int_t)0, "failed",
				              (json_int_t)0);
				json_array_append_new(arr, o);
			}
			{
				json_int_t nn = json_integer_value(
				    json_object_get(o, "nodes"));
				double r = json_real_value(
				    json_object_get(o, "success_ratio"));
				double l = json_real_value(
				    json_object_get(o, "latency_ms"));

				/* Running means over the nodes reporting. */
				r = (r * (double)nn + s->permille / 1000.0) /
				    (double)(nn + 1);
				l = (l * (double)nn + (double)s->latency_ms) /
				    (double)(nn + 1);
				json_object_set_new(o, "nodes",
				                    json_integer(nn + 1));
				json_object_set_new(o, "success_ratio",
				                    json_real(r));
				json_object_set_new(o, "latency_ms",
				                    json_real(l));
				json_object_set_new(
				    o, "sent",
				    json_integer(
				        json_integer_value(
				            json_object_get(o, "sent")) +
				        (json_int_t)s->sent));
				json_object_set_new(
				    o, "failed",
				    json_integer(
				        json_integer_value(
				            json_object_get(o, "failed")) +
				        (json_int_t)s->failed));
			}
		}
	}
	return arr;
}
