/*
 * smtpc_probe.c - the SMTP client's probe: a session set up exactly as
 * for a message (connect, greeting, EHLO, STARTTLS or implicit TLS, AUTH),
 * then closed with QUIT, with no mail in it.
 *
 * A probe is not a second client: it runs the one state machine of
 * smtpc.c and smtpc_session.c, so it obeys the same rules (never go on in
 * plaintext when STARTTLS is required, refuse bytes between the 220 to
 * STARTTLS and the handshake, credentials only over TLS unless tls: none).
 * This file only starts the session, notes the outcome when the session
 * comes up or fails, and hands it over once the connection is closed.
 * What the outcome means is decided by policy_smtp_probe_result().
 *
 * Does not: send mail, retry, or judge the provider.
 */
#include <errno.h>

#include "core/clock.h"
#include "net/smtpc_int.h"

#define SMTPC_PROBE_QUIT_WAIT_MS 2000 /* most we wait for the 221 to QUIT */

/* smtpc_probe - start a probe on an unconnected, idle slot. */
int
smtpc_probe(struct smtpc *c, smtpc_probe_fn *cb, void *arg)
{
	if (c->busy || c->state != SMTPC_STATE_CLOSED)
		return -EBUSY;
	if (cb == NULL)
		return -EINVAL;
	c->busy = true;
	c->decided = false;
	c->probing = true;
	c->probe_ok = false;
	c->probe_cb = cb;
	c->cb_arg = arg;
	c->probe_start_ms = clock_mono_ms();
	smtpc_kick(c);
	return 0;
}

/*
 * smtpc_probe_up - the session came up (r: the last reply to EHLO, HELO
 * or AUTH): note the success and leave with QUIT. The result is handed
 * over once QUIT is answered, the server closes, or the short wait ends.
 */
void
smtpc_probe_up(struct smtpc *c, const struct smtp_reply *r)
{
	uint64_t wait = c->p.command_timeout_ms;

	c->probe_latency_ms = clock_mono_ms() - c->probe_start_ms;
	policy_smtp_probe_result(&c->res, SEND_STAGE_NONE, SEND_FACT_REPLY,
	                         r->code, r->enhanced, r->text, NULL);
	c->probe_ok = true;
	c->decided = true;
	if (wait > SMTPC_PROBE_QUIT_WAIT_MS)
		wait = SMTPC_PROBE_QUIT_WAIT_MS;
	smtpc_quit_start(c, wait);
}

/*
 * smtpc_probe_end - the probe failed with outcome (already classified);
 * the caller closes the connection and the result goes to the loop.
 */
void
smtpc_probe_end(struct smtpc *c, const struct send_result *outcome)
{
	c->probe_latency_ms = clock_mono_ms() - c->probe_start_ms;
	if (outcome != &c->res)
		c->res = *outcome;
	c->probe_ok = false;
	c->decided = true;
	event_active(c->done_ev, EV_TIMEOUT, 1);
}

/*
 * smtpc_probe_report - from done_ev, the connection closed: hand the
 * result to the user. The slot is idle before the callback, which may
 * free it or start another probe on it.
 */
void
smtpc_probe_report(struct smtpc *c)
{
	struct smtpc_probe_result r;
	smtpc_probe_fn *cb = c->probe_cb;
	void *arg = c->cb_arg;

	r.ok = c->probe_ok;
	r.latency_ms = c->probe_latency_ms;
	r.res = c->res;
	c->busy = false;
	c->decided = false;
	c->probing = false;
	c->probe_cb = NULL;
	c->cb_arg = NULL;
	cb(c, &r, arg);
}
