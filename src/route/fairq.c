/*
 * fairq.c - weighted-fair choice between streams by stride scheduling.
 *
 * Passes only grow; to keep them far from overflow, once the virtual time
 * passes FAIRQ_RENORM every pass is shifted down by it. Relative order is
 * all that matters, and a pass below the virtual time would be lifted to
 * it on its next pick anyway, so those become 0.
 */
#include "route/fairq.h"

#include <string.h>

#define FAIRQ_RENORM (1ULL << 62)

int
fairq_init(struct fairq *fq, const unsigned *weights, size_t n)
{
	size_t i;

	memset(fq, 0, sizeof(*fq));
	if (n == 0 || n > FAIRQ_MAX)
		return -1;
	fq->n = n;
	for (i = 0; i < n; i++) {
		fq->stride[i] = FAIRQ_STRIDE1 / (weights[i] ? weights[i] : 1);
		/* Starting one stride in lets the heaviest go first. */
		fq->pass[i] = fq->stride[i];
	}
	return 0;
}

/* fairq_renorm - shift every pass down by the virtual time. */
static void
fairq_renorm(struct fairq *fq)
{
	uint64_t v = fq->vtime;
	size_t i;

	for (i = 0; i < fq->n; i++)
		fq->pass[i] = fq->pass[i] > v ? fq->pass[i] - v : 0;
	fq->vtime = 0;
}

int
fairq_pick(struct fairq *fq, uint64_t nonempty_mask)
{
	size_t i;
	int best = -1;

	for (i = 0; i < fq->n; i++) {
		if ((nonempty_mask & (1ULL << i)) == 0)
			continue;
		/* Back from empty: no credit for the time it sat idle. */
		if (fq->pass[i] < fq->vtime)
			fq->pass[i] = fq->vtime;
		if (best < 0 || fq->pass[i] < fq->pass[best])
			best = (int)i;
	}
	if (best < 0)
		return -1;
	fq->vtime = fq->pass[best];
	fq->pass[best] += fq->stride[best];
	if (fq->vtime > FAIRQ_RENORM)
		fairq_renorm(fq);
	return best;
}

void
fairq_share(struct fairq *fq, const size_t *demand, size_t room, size_t *out)
{
	uint64_t mask;
	size_t i, k;
	int s;

	for (i = 0; i < fq->n; i++)
		out[i] = 0;
	for (k = 0; k < room; k++) {
		mask = 0;
		for (i = 0; i < fq->n; i++)
			if (out[i] < demand[i])
				mask |= 1ULL << i;
		s = fairq_pick(fq, mask);
		if (s < 0)
			break;
		out[s]++;
	}
}
