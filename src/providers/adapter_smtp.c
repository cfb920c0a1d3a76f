/*
 * adapter_smtp.c - the SMTP relay adapter: struct adapter_ops over
 * net/smtpc.h.
 *
 * A channel is one struct smtpc (one connection, reused for several
 * messages); a probe is one more struct smtpc of its own, in probe mode,
 * so it never disturbs the pool. All the protocol work is in net/smtpc*.c
 * and the classification of replies and probe outcomes in send/policy_smtp.c;
 * this file turns the provider's configuration into the client's
 * parameters (and its own TLS context when ca_file or a client
 * certificate is configured), says what each message needs of the server
 * (mime/mime_8bit.h: SMTPUTF8, 8-bit octets) with a 7-bit form made on
 * demand for a server without 8BITMIME, and adapts calls.
 *
 * It remembers what the provider's server offered the last time a session
 * carried a message, so that the router does not pick it for a message
 * it is known to lack SMTPUTF8 for (represents); the first such message
 * learns it from the refusal, which fails over like any deferral.
 */
#include "providers/adapter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/tls.h"
#include "core/xmalloc.h"
#include "mime/mime_8bit.h"
#include "net/smtpc.h"
#include "providers/meta_out.h"

/* The provider's own state (a->priv). */
struct smtp_state {
	SSL_CTX *ssl_ctx; /* ca_file / client certificate; NULL: env's */
	/* What its server offered when a session last carried a message. */
	bool ehlo_known;
	bool smtputf8;
	bool eightbitmime;
};

struct smtp_chan {
	struct adapter *a;
	struct smtpc *c;
	struct smtpc_msg msg;
	struct buf head;   /* the meta_header line(s), sent before the body */
	char *not_applied; /* for the message in progress; NULL: none */
	adapter_done_fn *cb;
	void *arg;
	/* The 7-bit form of the message in progress, made once on demand. */
	bool dg_done;
	int dg_rc;
	struct buf dg;
	char dg_why[160];
};

/*
 * smtp_init - a TLS context of the provider's own when it names a CA file
 * or a client certificate (read now, before privileges are dropped, so a
 * bad file stops the start with its name); else the shared one.
 */
static int
smtp_init(struct adapter *a)
{
	const struct config_provider *cfg = a->cfg;
	struct smtp_state *st = xcalloc(1, sizeof(*st));
	char err[512];

	a->priv = st;
	if (cfg->ca_file == NULL && cfg->client_cert == NULL)
		return 0;
	st->ssl_ctx = tls_client_ctx_new(cfg->ca_file, cfg->client_cert,
	                                 cfg->client_key, err, sizeof(err));
	if (st->ssl_ctx == NULL) {
		/* adapter_new does not call fini after a failed init. */
		log_error("provider %s: %s", cfg->name, err);
		free(st);
		a->priv = NULL;
		return -1;
	}
	return 0;
}

static void
smtp_fini(struct adapter *a)
{
	struct smtp_state *st = a->priv;

	if (st == NULL)
		return;
	if (st->ssl_ctx != NULL)
		SSL_CTX_free(st->ssl_ctx);
	free(st);
	a->priv = NULL;
}

/* smtp_tls - the client's TLS mode for the configured one. */
static enum smtpc_tls
smtp_tls(enum config_tls_mode m)
{
	switch (m) {
	case CONFIG_TLS_NONE:
		return SMTPC_TLS_NONE;
	case CONFIG_TLS_TLS:
		return SMTPC_TLS_TLS;
	default:
		return SMTPC_TLS_STARTTLS; /* the safe reading */
	}
}

/*
 * smtp_client_new - an SMTP client slot for a's provider, with the
 * provider's parameters (strings borrowed from a->cfg, which outlives
 * the adapter and so its slots). NULL if it cannot be made (logged).
 */
static struct smtpc *
smtp_client_new(struct adapter *a)
{
	const struct config_provider *cfg = a->cfg;
	const struct smtp_state *st = a->priv;
	struct smtpc_params p = {
	    .name = cfg->name,
	    .host = cfg->host,
	    .port = cfg->port,
	    .tls = smtp_tls(cfg->tls),
	    .tls_verify = cfg->tls_verify,
	    .username = cfg->username,
	    .password = cfg->password,
	    .helo_name = a->env->helo_name,
	    .connect_timeout_ms = cfg->connect_timeout_ms,
	    .greeting_timeout_ms = cfg->greeting_timeout_ms,
	    .command_timeout_ms = cfg->command_timeout_ms,
	    .data_timeout_ms = cfg->data_timeout_ms,
	    .max_msgs_per_conn = cfg->max_msgs_per_conn,
	};
	struct smtpc_opts so = {
	    .base = a->env->base,
	    .params = &p,
	    .ssl_ctx = st->ssl_ctx != NULL ? st->ssl_ctx : a->env->ssl_ctx,
	    .dns = a->env->dns,
	};

	return smtpc_new(&so);
}

static void *
smtp_chan_new(struct adapter *a)
{
	struct smtp_chan *ch = xcalloc(1, sizeof(*ch));

	ch->a = a;
	buf_init(&ch->head);
	ch->c = smtp_client_new(a);
	if (ch->c == NULL) {
		free(ch);
		return NULL;
	}
	return ch;
}

/* smtp_dg_reset - forget the 7-bit form of the last message. */
static void
smtp_dg_reset(struct smtp_chan *ch)
{
	buf_fini(&ch->dg);
	ch->dg_done = false;
	ch->dg_rc = 0;
	ch->dg_why[0] = '\0';
}

/* smtp_on_sent - smtpc's result is already in the adapter's shape; learn
 * what the server offered. */
static void
smtp_on_sent(struct smtpc *c, const struct smtpc_result *res, void *arg)
{
	struct smtp_chan *ch = arg;
	struct smtp_state *st = ch->a->priv;
	struct buf dg;
	struct adapter_result r = {
	    .msg = res->msg,
	    .rcpts = res->rcpts,
	    .n_rcpts = res->n_rcpts,
	    .n_accepted = res->n_accepted,
	    .not_applied = ch->not_applied,
	};
	char *na = ch->not_applied;

	(void)c;
	if (res->ehlo_known) {
		st->ehlo_known = true;
		st->smtputf8 = res->smtputf8;
		st->eightbitmime = res->eightbitmime;
	}
	/* The client is done with the 7-bit form; the callback may free
	 * the channel, so the form leaves ch first, and nothing touches ch
	 * after it. */
	dg = ch->dg;
	buf_init(&ch->dg);
	smtp_dg_reset(ch);
	ch->not_applied = NULL;
	ch->cb(&r, ch->arg);
	free(na);
	buf_fini(&dg);
}

/*
 * smtp_meta - what of msg's meta goes to the relay: with meta_header
 * configured, all of it, in that header line before the message (ch->head,
 * which the body needs no change for); without, nothing, and every field
 * set is listed as not applied.
 */
static void
smtp_meta(struct smtp_chan *ch, const struct adapter_msg *msg)
{
	const char *name = ch->a->cfg->meta_header;
	struct buf na;

	ch->head.len = 0;
	free(ch->not_applied);
	ch->not_applied = NULL;
	if (!meta_out_has(msg->meta))
		return;
	if (name != NULL && *name != '\0') {
		meta_out_header(name, msg->meta, &ch->head);
		return;
	}
	buf_init(&na);
	meta_out_unsupported(msg->meta, 0, &na);
	ch->not_applied = na.len ? buf_steal(&na, NULL) : NULL;
	buf_fini(&na);
}

/* smtp_downgrade - smtpc_downgrade_fn: the message's 7-bit form, made
 * once per message (a reconnect asks again). */
static int
smtp_downgrade(void *arg, struct str *body, char *why, size_t whylen)
{
	struct smtp_chan *ch = arg;

	if (!ch->dg_done) {
		ch->dg_done = true;
		ch->dg_rc = mime_8bit_downgrade(ch->msg.body.p,
		                                ch->msg.body.len, &ch->dg,
		                                ch->dg_why, sizeof(ch->dg_why));
	}
	if (ch->dg_rc != 0) {
		snprintf(why, whylen, "%s", ch->dg_why);
		return -1;
	}
	body->p = ch->dg.p != NULL ? ch->dg.p : "";
	body->len = ch->dg.len;
	return 0;
}

/*
 * smtp_octets - what msg's octets need of the server: judged once per
 * recipient set when the owner keeps msg->octets, else now. The result
 * is in *o (msg->octets or the caller's).
 */
static const struct adapter_octets *
smtp_octets(const struct adapter_msg *msg, struct adapter_octets *local)
{
	struct adapter_octets *o = msg->octets != NULL ? msg->octets : local;

	if (o->known && o->n_rcpts == msg->n_rcpts)
		return o;
	o->smtputf8 = mime_8bit_needs_smtputf8(
	    msg->sender, msg->rcpts, msg->n_rcpts, msg->body.p, msg->body.len);
	o->eightbit = mime_8bit_scan(msg->body.p, msg->body.len) != 0;
	o->n_rcpts = msg->n_rcpts;
	o->known = true;
	return o;
}

static int
smtp_send(void *chan, const struct adapter_msg *msg, adapter_done_fn *cb,
          void *arg)
{
	struct smtp_chan *ch = chan;
	struct adapter_octets local = {0};
	const struct adapter_octets *oct = smtp_octets(msg, &local);
	int rc;

	smtp_meta(ch, msg);
	smtp_dg_reset(ch);
	ch->msg = (struct smtpc_msg){
	    .sender = msg->sender,
	    .rcpts = msg->rcpts,
	    .n_rcpts = msg->n_rcpts,
	    .body = msg->body,
	    .head = {ch->head.p, ch->head.len},
	    .smtputf8 = oct->smtputf8,
	    .eightbit = oct->eightbit,
	    .downgrade = smtp_downgrade,
	    .downgrade_arg = ch,
	};
	ch->cb = cb;
	ch->arg = arg;
	rc = smtpc_send(ch->c, &ch->msg, smtp_on_sent, ch);
	return rc == -EBUSY || rc == 0 ? rc : -EINVAL;
}

/*
 * smtp_represents - false for a message the provider's server is known
 * (from the last session that carried a message) not to take: one that
 * needs SMTPUTF8 when it did not offer SMTPUTF8, one with 8-bit octets
 * and no 7-bit form when it did not offer 8BITMIME. Unknown: try, and
 * learn. The reasons read as the client's refusals do.
 */
static bool
smtp_represents(struct adapter *a, const struct adapter_msg *msg, char *why,
                size_t whylen)
{
	const struct smtp_state *st = a->priv;
	struct adapter_octets local = {0};
	const struct adapter_octets *oct;
	struct buf seven;
	char dg_why[160];
	int rc;

	if (!st->ehlo_known)
		return true;
	oct = smtp_octets(msg, &local);
	if (!st->smtputf8 && oct->smtputf8) {
		snprintf(why, whylen, "upstream does not offer SMTPUTF8");
		return false;
	}
	if (st->eightbitmime || !oct->eightbit)
		return true;
	/* Rare (a server without 8BITMIME, an 8-bit message): convert once
	 * to know, rather than fail an attempt to learn it again. */
	buf_init(&seven);
	rc = mime_8bit_downgrade(msg->body.p, msg->body.len, &seven, dg_why,
	                         sizeof(dg_why));
	buf_fini(&seven);
	if (rc == 0)
		return true;
	snprintf(why, whylen,
	         "upstream does not offer 8BITMIME and the message cannot be "
	         "made 7-bit: %s",
	         dg_why);
	return false;
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
	buf_fini(&ch->head);
	free(ch->not_applied);
	buf_fini(&ch->dg);
	free(ch);
}

static void
smtp_chan_free(void *chan)
{
	struct smtp_chan *ch = chan;

	if (ch == NULL)
		return;
	smtpc_free(ch->c);
	buf_fini(&ch->head);
	free(ch->not_applied);
	buf_fini(&ch->dg);
	free(ch);
}

struct smtp_probe {
	struct smtpc *c;
	adapter_probe_fn *cb;
	void *arg;
};

/* smtp_on_probe - the client's probe result in the adapter's shape. */
static void
smtp_on_probe(struct smtpc *c, const struct smtpc_probe_result *r, void *arg)
{
	struct smtp_probe *sp = arg;
	const struct send_result *res = &r->res;
	struct adapter_probe_result out;

	memset(&out, 0, sizeof(out));
	out.ok = r->ok;
	out.class = res->class; /* decided by send/policy_smtp.c */
	out.stage = res->stage;
	out.latency_ms = r->latency_ms;
	/* A refusal reads as the server said it: "535 5.7.8 text". */
	if (!r->ok && res->smtp_code != 0)
		snprintf(out.text, sizeof(out.text), "%d %s%s%.*s",
		         res->smtp_code, res->enhanced,
		         res->enhanced[0] != '\0' ? " " : "",
		         (int)sizeof(out.text) - 32, res->text);
	else
		snprintf(out.text, sizeof(out.text), "%.*s",
		         (int)sizeof(out.text) - 1, res->text);
	out.max_send_rate = -1;
	out.quota_left = -1;
	out.quota_max = -1;
	out.sending_enabled = true;
	smtpc_free(c);
	sp->cb(&out, sp->arg);
	free(sp);
}

/* smtp_probe - the client in probe mode on a slot of its own. */
static void *
smtp_probe(struct adapter *a, adapter_probe_fn *cb, void *arg)
{
	struct smtp_probe *sp = xcalloc(1, sizeof(*sp));

	sp->cb = cb;
	sp->arg = arg;
	sp->c = smtp_client_new(a);
	if (sp->c == NULL || smtpc_probe(sp->c, smtp_on_probe, sp) != 0) {
		smtpc_free(sp->c);
		free(sp);
		return NULL;
	}
	return sp;
}

static void
smtp_probe_cancel(void *handle)
{
	struct smtp_probe *sp = handle;

	smtpc_free(sp->c);
	free(sp);
}

const struct adapter_ops adapter_smtp_ops = {
    .type = "smtp",
    .init = smtp_init,
    .fini = smtp_fini,
    .chan_new = smtp_chan_new,
    .send = smtp_send,
    .idle = smtp_idle,
    .quit = smtp_quit,
    .chan_free = smtp_chan_free,
    .probe = smtp_probe,
    .probe_cancel = smtp_probe_cancel,
    .may_have_delivered = smtp_may_have_delivered,
    .represents = smtp_represents,
};
