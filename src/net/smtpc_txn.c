/*
 * smtpc_txn.c - the SMTP client's mail transaction: RSET if the last one
 * failed half-way, MAIL FROM, one RCPT TO per recipient, DATA, the body
 * and the final dot; and the message's outcome.
 *
 * With PIPELINING the steps up to DATA go out in one write and their
 * replies are matched in order; without it each waits for its reply, and
 * DATA is not sent when no recipient was accepted. Before MAIL, the
 * server's extensions and what the message needs decide its parameters
 * (net/smtp_mailparam.h): a message the server cannot take (SMTPUTF8 not
 * offered; 8-bit octets, no 8BITMIME and no 7-bit form) gets its outcome
 * without a command, and one that needs a 7-bit form is sent in it. After a
 * failed MAIL (pipelined) the remaining replies are read and ignored. Every
 * outcome is classified by policy_smtp_result(); smtpc_msg_end() completes the
 * per-recipient results and schedules the callback.
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "core/log.h"
#include "net/smtpc_int.h"

/* smtpc_step_kind - which command is step i of the transaction. */
enum smtpc_step
smtpc_step_kind(const struct smtpc *c, size_t i, size_t *rcpt)
{
	if (i < c->rset_steps)
		return SMTPC_STEP_RSET;
	if (i == c->rset_steps)
		return SMTPC_STEP_MAIL;
	if (i - c->rset_steps - 1 < c->msg.n_rcpts) {
		if (rcpt != NULL)
			*rcpt = i - c->rset_steps - 1;
		return SMTPC_STEP_RCPT;
	}
	return SMTPC_STEP_DATA;
}

/*
 * smtpc_msg_end - the message's outcome is known: outcome for the message
 * (NULL: no recipient accepted, pick one of theirs). Recipients without a
 * reply of their own, or accepted at RCPT, share it. The callback runs
 * from done_ev.
 */
void
smtpc_msg_end(struct smtpc *c, const struct send_result *outcome)
{
	size_t i;

	if (outcome == NULL)
		c->res =
		    c->rres[policy_smtp_rcpts_pick(c->rres, c->msg.n_rcpts)];
	else if (outcome != &c->res)
		c->res = *outcome;
	for (i = 0; i < c->msg.n_rcpts; i++) {
		struct send_result *r = &c->rres[i];
		if (r->stage == SEND_STAGE_NONE || r->class == SEND_ACCEPTED)
			*r = c->res;
	}
	c->decided = true;
	c->txn_failed = false;
	c->discard_dot = false;
	event_active(c->done_ev, EV_TIMEOUT, 1);
}

/* smtpc_txn_write - send the next transaction step(s). */
static void
smtpc_txn_write(struct smtpc *c)
{
	size_t rcpt = 0;

	do {
		switch (smtpc_step_kind(c, c->steps_sent, &rcpt)) {
		case SMTPC_STEP_RSET:
			smtpc_printf(c, "RSET\r\n");
			break;
		case SMTPC_STEP_MAIL:
			smtpc_printf(c, "MAIL FROM:<%s>%s\r\n", c->msg.sender,
			             c->mail_params);
			break;
		case SMTPC_STEP_RCPT:
			smtpc_printf(c, "RCPT TO:<%s>\r\n", c->msg.rcpts[rcpt]);
			break;
		case SMTPC_STEP_DATA:
			smtpc_printf(c, "DATA\r\n");
			break;
		}
		c->steps_sent++;
	} while (c->ext.pipelining && c->steps_sent < c->n_steps);
	smtpc_timer_arm(c, c->p.command_timeout_ms);
}

/*
 * smtpc_txn_refuse - the server lacks an extension the message needs
 * (detail says which): the message's outcome, before any command. The
 * session stays up for the next message.
 */
static void
smtpc_txn_refuse(struct smtpc *c, const char *detail)
{
	struct send_result res;

	policy_smtp_result(&res, SEND_STAGE_MAIL, SEND_FACT_NO_EXTENSION, 0,
	                   NULL, NULL, detail);
	log_debug("smtpc %s: %s: %s", c->p.name, send_class_name(res.class),
	          res.text);
	smtpc_msg_end(c, &res);
}

/*
 * smtpc_txn_params - the body to send and MAIL's parameters, from the
 * server's extensions and what the message needs; false if the message
 * cannot go to this server (its outcome is then decided).
 */
static bool
smtpc_txn_params(struct smtpc *c)
{
	enum smtp_mailparam_verdict v;
	char why[160], detail[256];
	bool eightbit = c->msg.eightbit;

	c->ehlo_known = true;
	c->ehlo = c->ext;
	c->body = c->msg.body;
	v = smtp_mailparam_build(&c->ext, c->msg.smtputf8, eightbit,
	                         c->msg.head.len + c->body.len, c->mail_params);
	if (v == SMTP_MAILPARAM_NO_SMTPUTF8) {
		smtpc_txn_refuse(c, "upstream does not offer SMTPUTF8");
		return false;
	}
	if (v == SMTP_MAILPARAM_DOWNGRADE) {
		if (c->msg.downgrade == NULL) {
			smtpc_txn_refuse(c, "upstream does not offer 8BITMIME");
			return false;
		}
		if (c->msg.downgrade(c->msg.downgrade_arg, &c->body, why,
		                     sizeof(why)) != 0) {
			snprintf(detail, sizeof(detail),
			         "upstream does not offer 8BITMIME and the "
			         "message cannot be made 7-bit: %s",
			         why);
			smtpc_txn_refuse(c, detail);
			return false;
		}
		/* The 7-bit form (RFC 6152 3): BODY=8BITMIME no more. */
		eightbit = false;
		(void)smtp_mailparam_build(&c->ext, c->msg.smtputf8, eightbit,
		                           c->msg.head.len + c->body.len,
		                           c->mail_params);
	}
	return true;
}

/* smtpc_txn_start - begin the waiting message on a ready session. */
void
smtpc_txn_start(struct smtpc *c)
{
	if (!smtpc_txn_params(c))
		return;
	c->rset_steps = c->need_rset ? 1 : 0;
	c->n_steps = c->rset_steps + 1 + c->msg.n_rcpts + 1;
	c->steps_sent = 0;
	c->steps_acked = 0;
	c->n_accepted = 0;
	c->txn_failed = false;
	c->discard_dot = false;
	c->state = SMTPC_STATE_TXN;
	smtpc_txn_write(c);
}

/* smtpc_body_pump - encode more of the body while the output drains. */
void
smtpc_body_pump(struct smtpc *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	char chunk[SMTP_DOT_OUT_MAX(SMTPC_BODY_CHUNK)];
	size_t n, k;

	while (evbuffer_get_length(out) < SMTPC_BODY_HIGH &&
	       c->body_off < c->body.len) {
		n = c->body.len - c->body_off;
		if (n > SMTPC_BODY_CHUNK)
			n = SMTPC_BODY_CHUNK;
		k = smtp_dot_encode(&c->dot, c->body.p + c->body_off, n, chunk);
		evbuffer_add(out, chunk, k);
		c->body_off += n;
		c->wrote = true;
	}
	if (c->body_off < c->body.len) {
		/* A stall of data_timeout_ms fails the message. */
		smtpc_timer_arm(c, c->p.data_timeout_ms);
		return;
	}
	k = smtp_dot_finish(&c->dot, chunk);
	evbuffer_add(out, chunk, k);
	c->wrote = true;
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	c->state = SMTPC_STATE_DOT;
	smtpc_timer_arm(c, c->p.data_timeout_ms);
}

/* smtpc_after_txn - the transaction ended: reuse, or QUIT at the cap. */
static void
smtpc_after_txn(struct smtpc *c)
{
	c->n_msgs++;
	c->state = SMTPC_STATE_READY;
	evtimer_del(c->timer);
	if (c->p.max_msgs_per_conn > 0 && c->n_msgs >= c->p.max_msgs_per_conn)
		smtpc_quit_start(c, c->p.command_timeout_ms);
}

/* smtpc_txn_reply - the reply to transaction step steps_acked. */
void
smtpc_txn_reply(struct smtpc *c, const struct smtp_reply *r)
{
	size_t rcpt = 0;
	bool ok = r->code >= 200 && r->code < 300;
	enum smtpc_step kind = smtpc_step_kind(c, c->steps_acked, &rcpt);

	switch (kind) {
	case SMTPC_STEP_RSET:
		if (!ok) {
			smtpc_fail(c, SEND_FACT_REPLY, r, NULL);
			return;
		}
		c->need_rset = false;
		break;
	case SMTPC_STEP_MAIL:
		if (!ok) {
			policy_smtp_result(&c->res, SEND_STAGE_MAIL,
			                   SEND_FACT_REPLY, r->code,
			                   r->enhanced, r->text, NULL);
			c->txn_failed = true;
		}
		break;
	case SMTPC_STEP_RCPT:
		if (c->txn_failed)
			break;
		policy_smtp_result(&c->rres[rcpt], SEND_STAGE_RCPT,
		                   SEND_FACT_REPLY, r->code, r->enhanced,
		                   r->text, NULL);
		if (c->rres[rcpt].class == SEND_ACCEPTED)
			c->n_accepted++;
		break;
	case SMTPC_STEP_DATA:
		c->steps_acked++;
		if (!c->txn_failed && c->n_accepted == 0) {
			c->res = c->rres[policy_smtp_rcpts_pick(
			    c->rres, c->msg.n_rcpts)];
			c->txn_failed = true;
		}
		if (c->txn_failed && r->code == 354) {
			/* Pipelined DATA went through anyway: end it empty. */
			smtpc_printf(c, ".\r\n");
			c->discard_dot = true;
			c->state = SMTPC_STATE_DOT;
			smtpc_timer_arm(c, c->p.command_timeout_ms);
			return;
		}
		if (c->txn_failed) {
			c->need_rset = true;
			smtpc_msg_end(c, &c->res);
			smtpc_after_txn(c);
			return;
		}
		if (r->code != 354) {
			struct send_result res;
			policy_smtp_result(&res, SEND_STAGE_DATA,
			                   SEND_FACT_REPLY, r->code,
			                   r->enhanced, r->text, NULL);
			c->need_rset = true;
			smtpc_msg_end(c, &res);
			smtpc_after_txn(c);
			return;
		}
		c->state = SMTPC_STATE_BODY;
		c->body_off = 0;
		smtp_dot_init(&c->dot);
		/* Whole header lines: the dot-stuffer stays at a line start. */
		if (c->msg.head.len > 0)
			evbuffer_add(bufferevent_get_output(c->bev),
			             c->msg.head.p, c->msg.head.len);
		bufferevent_setwatermark(c->bev, EV_WRITE, SMTPC_BODY_LOW, 0);
		smtpc_body_pump(c);
		return;
	}
	c->steps_acked++;
	if (c->steps_acked < c->steps_sent) {
		smtpc_timer_arm(c, c->p.command_timeout_ms);
		return;
	}
	/* Not pipelining: stop early, or send the next step. */
	if (c->txn_failed ||
	    (smtpc_step_kind(c, c->steps_sent, NULL) == SMTPC_STEP_DATA &&
	     c->n_accepted == 0)) {
		c->need_rset = true;
		smtpc_msg_end(c, c->txn_failed ? &c->res : NULL);
		smtpc_after_txn(c);
		return;
	}
	smtpc_txn_write(c);
}

/* smtpc_dot_reply - the reply to the final dot: the message's fate. */
void
smtpc_dot_reply(struct smtpc *c, const struct smtp_reply *r)
{
	struct send_result res;

	if (c->discard_dot) {
		smtpc_msg_end(c, &c->res);
	} else {
		policy_smtp_result(&res, SEND_STAGE_DOT, SEND_FACT_REPLY,
		                   r->code, r->enhanced, r->text, NULL);
		log_debug("smtpc %s: %s: %d %s", c->p.name,
		          send_class_name(res.class), r->code, res.text);
		smtpc_msg_end(c, &res);
	}
	c->need_rset = false;
	smtpc_after_txn(c);
}
