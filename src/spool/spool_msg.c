/*
 * spool_msg.c - names of states and statuses, and freeing messages.
 *
 * The small, dependency-free part of the spool's contract: what callers
 * of spool.h use to print a state or release a message they hold. No
 * I/O, no locks.
 */
#include <stdlib.h>
#include <string.h>

#include "spool/spool.h"

static const char *const spool_state_names[SPOOL_STATE_COUNT] = {
    [SPOOL_STATE_READY] = "ready",
    [SPOOL_STATE_INFLIGHT] = "inflight",
    [SPOOL_STATE_DEFERRED] = "deferred",
    [SPOOL_STATE_SENT] = "sent",
    [SPOOL_STATE_FAILED] = "failed",
    [SPOOL_STATE_SCHEDULED] = "scheduled",
    [SPOOL_STATE_SANDBOXED] = "sandboxed",
    [SPOOL_STATE_CANCELLED] = "cancelled",
};

/* spool_state_name - the stored name of a state. */
const char *
spool_state_name(enum spool_state s)
{
	if ((unsigned)s >= SPOOL_STATE_COUNT)
		return "unknown";
	return spool_state_names[s];
}

/* spool_state_final - a state a message never leaves. */
int
spool_state_final(enum spool_state s)
{
	return s == SPOOL_STATE_SENT || s == SPOOL_STATE_FAILED ||
	       s == SPOOL_STATE_SANDBOXED || s == SPOOL_STATE_CANCELLED;
}

/* spool_rcpt_state_name - the stored name of a recipient state. */
const char *
spool_rcpt_state_name(enum spool_rcpt_state s)
{
	switch (s) {
	case SPOOL_RCPT_PENDING:
		return "pending";
	case SPOOL_RCPT_SENT:
		return "sent";
	case SPOOL_RCPT_FAILED:
		return "failed";
	}
	return "unknown";
}

/* spool_status_name - short name of a status, for logs. */
const char *
spool_status_name(int status)
{
	switch (status) {
	case SPOOL_OK:
		return "ok";
	case SPOOL_ERR_IO:
		return "io";
	case SPOOL_ERR_FULL:
		return "full";
	case SPOOL_ERR_CLOSED:
		return "closed";
	case SPOOL_ERR_NOTFOUND:
		return "notfound";
	case SPOOL_ERR_CONFLICT:
		return "conflict";
	case SPOOL_ERR_DAMAGED:
		return "damaged";
	}
	return "unknown";
}

/* spool_msg_new_fini - free what m owns. */
void
spool_msg_new_fini(struct spool_msg_new *m)
{
	size_t i;

	if (m == NULL)
		return;
	free(m->sender);
	for (i = 0; i < m->n_rcpts; i++)
		free(m->rcpts[i]);
	free(m->rcpts);
	buf_fini(&m->body);
	free(m->tenant);
	free(m->client);
	free(m->stream);
	free(m->idempotency_key);
	free(m->idempotency_hash);
	free(m->meta);
	memset(m, 0, sizeof(*m));
}

/* spool_msg_free - free a snapshot. */
void
spool_msg_free(struct spool_msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	free(m->sender);
	free(m->tenant);
	free(m->client);
	free(m->stream);
	free(m->idempotency_key);
	free(m->last_error);
	free(m->meta);
	for (i = 0; i < m->n_rcpts && m->rcpts != NULL; i++) {
		free(m->rcpts[i].address);
		free(m->rcpts[i].last_reply);
		free(m->rcpts[i].provider);
		free(m->rcpts[i].provider_msg_id);
		free(m->rcpts[i].outcome);
		free(m->rcpts[i].bounce);
		free(m->rcpts[i].outcome_text);
	}
	free(m->rcpts);
	for (i = 0; i < m->n_events; i++) {
		free(m->events[i].provider);
		free(m->events[i].event_id);
		free(m->events[i].type);
		free(m->events[i].recipient);
		free(m->events[i].enhanced);
		free(m->events[i].provider_type);
		free(m->events[i].provider_subtype);
		free(m->events[i].diagnostic);
	}
	free(m->events);
	for (i = 0; i < m->n_atts; i++) {
		free(m->atts[i].provider);
		free(m->atts[i].result);
		free(m->atts[i].reply);
		free(m->atts[i].trace);
	}
	free(m->atts);
	buf_fini(&m->body);
	free(m);
}
