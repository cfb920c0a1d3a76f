/*
 * adapter_smtp.c - the SMTP relay adapter: struct adapter_ops over
 * net/smtpc.h.
 *
 * A channel is one struct smtpc (one connection, reused for several
 * messages). All the protocol work and the classification of replies are
 * in net/smtpc*.c and send/trouble.c; this file only adapts calls.
 */
#include "providers/adapter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "net/smtpc.h"
#include "route/probe.h"

struct smtp_chan {
	struct adapter *a;
	struct smtpc *c;
	struct smtpc_msg msg;
	adapter_done_fn *cb;
	void *arg;
};

static void *
smtp_chan_new(struct adapter *a)
{
	struct smtp_chan *ch = xcalloc(1, sizeof(*ch));
	struct smtpc_opts so = {
	    .base = a->env->base,
	    .provider = a->cfg,
	    .ssl_ctx = a->env->ssl_ctx,
	    .dns = a->env->dns,
	    .helo_name = a->env->helo_name,
	};

	ch->a = a;
	ch->c = smtpc_new(&so);
	if (ch->c == NULL) {
		free(ch);
		return NULL;
	}
	return ch;
}

/* smtp_on_sent - smtpc's result is already in the adapter's shape. */
static void
smtp_on_sent(struct smtpc *c, const struct smtpc_result *res, void *arg)
{
	struct smtp_chan *ch = arg;
	struct adapter_result r = {
	    .msg = res->msg,
	    .rcpts = res->rcpts,
	    .n_rcpts = res->n_rcpts,
	    .n_accepted = res->n_accepted,
	};

	(void)c;
	ch->cb(&r, ch->arg);
}

static int
smtp_send(void *chan, const struct adapter_msg *msg, adapter_done_fn *cb,
          void *arg)
{
	struct smtp_chan *ch = chan;
	int rc;

	ch->msg = (struct smtpc_msg){
	    .sender = msg->sender,
	    .rcpts = msg->rcpts,
	    .n_rcpts = msg->n_rcpts,
	    .body = msg->body,
	};
	ch->cb = cb;
	ch->arg = arg;
	rc = smtpc_send(ch->c, &ch->msg, smtp_on_sent, ch);
	return rc == -EBUSY || rc == 0 ? rc : -EINVAL;
}

static bool
smtp_idle(const void *chan)
{
	const struct smtp_chan *ch = chan;

	return smtpc_idle(ch->c);
}

static bool
smtp_may_have_delivered(const void *chan)
{
	const struct smtp_chan *ch = chan;

	return smtpc_dot_sent(ch->c);
}

static void
smtp_quit(void *chan)
{
	struct smtp_chan *ch = chan;

	smtpc_quit(ch->c);
	free(ch);
}

static void
smtp_chan_free(void *chan)
{
	struct smtp_chan *ch = chan;

	if (ch == NULL)
		return;
	smtpc_free(ch->c);
	free(ch);
}

struct smtp_probe {
	struct probe *pr;
	adapter_probe_fn *cb;
	void *arg;
};

/* smtp_on_probe - route/probe.c's verdict in the adapter's shape. */
static void
smtp_on_probe(const struct probe_result *r, void *arg)
{
	struct smtp_probe *sp = arg;
	struct adapter_probe_result out;

	memset(&out, 0, sizeof(out));
	out.ok = r->ok;
	out.stage = r->stage;
	/* 5xx at greeting/EHLO/AUTH means the account or relay refuses us;
	 * anything else is a transient failure. */
	out.class = r->ok ? SEND_ACCEPTED
	            : (r->smtp_code >= 500 && r->stage == SEND_STAGE_AUTH)
	                ? SEND_CONFIG
	                : SEND_DEFERRED;
	out.latency_ms = r->latency_ms;
	snprintf(out.text, sizeof(out.text), "%s", r->text);
	out.max_send_rate = -1;
	out.quota_left = -1;
	out.sending_enabled = true;
	sp->cb(&out, sp->arg);
	free(sp);
}

/* smtp_probe - connect, greet, EHLO, STARTTLS as configured, QUIT. */
static void *
smtp_probe(struct adapter *a, adapter_probe_fn *cb, void *arg)
{
	struct smtp_probe *sp = xcalloc(1, sizeof(*sp));

	sp->cb = cb;
	sp->arg = arg;
	sp->pr =
	    probe_smtp_start(a->env->base, a->cfg, a->env->ssl_ctx, a->env->dns,
	                     a->env->helo_name, smtp_on_probe, sp);
	return sp;
}

static void
smtp_probe_cancel(void *handle)
{
	struct smtp_probe *sp = handle;

	probe_cancel(sp->pr);
	free(sp);
}

const struct adapter_ops adapter_smtp_ops = {
    .type = "smtp",
    .chan_new = smtp_chan_new,
    .send = smtp_send,
    .idle = smtp_idle,
    .quit = smtp_quit,
    .chan_free = smtp_chan_free,
    .probe = smtp_probe,
    .probe_cancel = smtp_probe_cancel,
    .may_have_delivered = smtp_may_have_delivered,
};
