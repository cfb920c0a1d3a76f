/*
 * concur.h - how many connections to use at one provider, adapted to how
 * it answers (AIMD, like Postfix's destination concurrency).
 *
 * A window between 1 and the provider's max_connections: every attempt
 * the provider answered (accepted or rejected) adds 1/window, so the
 * window grows by one connection per window's worth of answers (additive
 * increase); an attempt that was deferred, throttled or timed out halves
 * it (multiplicative decrease), at most once per hold_ms, so that the
 * failures of the connections that were already busy when the provider
 * slowed count as one signal, not as one halving each. Deliver starts no
 * attempt at a provider while as many are busy as the window allows.
 *
 * Pure arithmetic: time passed in (monotonic ms), no I/O, no allocation,
 * plain data the caller embeds; loop thread only.
 */
#ifndef SWERVE_ROUTE_CONCUR_H
#define SWERVE_ROUTE_CONCUR_H

#include <stdbool.h>
#include <stdint.h>

/* The shortest time between two halvings. */
#define CONCUR_HOLD_MS 1000

struct concur {
	bool adaptive;      /* false: the window stays at max */
	unsigned max;       /* >= 1 */
	double window;      /* in [1, max] */
	uint64_t cut_at_ms; /* the last halving (0: none) */
	uint64_t ups, cuts; /* whole connections added; halvings */
};

/* concur_init - a window of initial connections (clamped to [1, max]; 0
 * means max), growing up to max (0 counts as 1). Not adaptive: the
 * window is max and stays there. */
void concur_init(struct concur *c, unsigned initial, unsigned max,
                 bool adaptive);

/* concur_answered - the provider answered an attempt (accepted or
 * rejected): additive increase. */
void concur_answered(struct concur *c);

/* concur_slowed - an attempt was deferred, throttled or timed out at
 * now_ms: halve the window unless it was halved within CONCUR_HOLD_MS.
 * Returns true when it was cut. */
bool concur_slowed(struct concur *c, uint64_t now_ms);

/* concur_limit - the connections that may be busy now (>= 1). */
unsigned concur_limit(const struct concur *c);

#endif
