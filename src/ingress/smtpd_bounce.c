/*
 * smtpd_bounce.c - the bounce mailbox: what a listen.bounce session does
 * differently from a submission session (see smtpd_listen_bounce()).
 *
 * It relays nothing: RCPT names a VERP address (deliver/verp.h) whose
 * mac verifies at a provider's bounce_domain, else 550, so only reports
 * about swerve's own messages are taken, and a forged address cannot
 * make swerve record a bounce. The message is parsed as an RFC 3464 DSN
 * or, failing that, an RFC 5965 abuse report (ingress/feedback_dsn.c,
 * feedback_arf.c); each event names the VERP's message and the provider
 * of that bounce_domain, and the events go to the spool
 * (spool_feedback_record: durable, de-duplicated on the report's
 * Message-ID and recipient) before the 250, so a crash before the answer
 * only makes the reporting MTA send again. Each newly stored event is
 * published (EVENT_FEEDBACK), and a new hard bounce of a recipient of a
 * message with a sender gets swerve's own DSN to that sender
 * (deliver/dsn_queue.c), as a synchronous failure does.
 */
#include "ingress/smtpd_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "deliver/dsn_queue.h"
#include "deliver/verp.h"
#include "ingress/feedback.h"
#include "ingress/feedback_arf.h"
#include "ingress/feedback_dsn.h"
#include "spool/feedback.h"
#include "spool/spool.h"

/* bounce_provider - the provider whose bounce_domain is dom[0..len). */
static const char *
bounce_provider(const struct config *cfg, const char *dom, size_t len)
{
	size_t i;

	for (i = 0; i < cfg->n_providers; i++) {
		const char *b = cfg->providers[i].bounce_domain;

		if (b != NULL && strlen(b) == len &&
		    strncasecmp(b, dom, len) == 0)
			return cfg->providers[i].name;
	}
	return NULL;
}

void
smtpd_bounce_rcpt(struct smtpd_session *s, const char *path, size_t len)
{
	struct smtpd *d = s->smtpd;
	char addr[SMTP_PATH_MAX + 1], id[ID_SIZE];
	const char *dom = NULL, *prov = NULL;
	size_t dlen = 0;
	int idx = 0;
	enum verp_status st = VERP_MALFORMED;

	if (s->verp_provider != NULL) {
		smtpd_session_reject(s, SMTPD_REJECT_RECIPIENTS, false,
		                     "452 4.5.3 One report per transaction");
		return;
	}
	if (len < sizeof(addr)) {
		memcpy(addr, path, len);
		addr[len] = '\0';
		st = verp_decode(d->verp_key, d->verp_key_len, addr, id, &idx,
		                 &dom, &dlen);
	}
	if (st == VERP_OK)
		prov = bounce_provider(d->cfg, dom, dlen);
	if (prov == NULL) {
		smtpd_session_reject(s, SMTPD_REJECT_PROTOCOL, true,
		                     "550 5.1.1 No such bounce address%s",
		                     st == VERP_FORGED ? " (bad signature)"
		                                       : "");
		return;
	}
	memcpy(s->verp_id, id, sizeof(s->verp_id));
	s->verp_idx = idx;
	s->verp_provider = prov;
	/* One placeholder recipient keeps DATA's "need RCPT" check true. */
	if (s->n_rcpts == s->cap_rcpts) {
		s->cap_rcpts = s->cap_rcpts ? s->cap_rcpts * 2 : 8;
		s->rcpts =
		    xreallocarray(s->rcpts, s->cap_rcpts, sizeof(*s->rcpts));
	}
	s->rcpts[s->n_rcpts++] = xstrdup(addr);
	smtpd_session_reply_lit(s, "250 2.1.5 Ok");
}

/* One hard bounce's late DSN: the message is read first. */
struct bounce_dsn {
	struct spool *sp;
	char *hostname;
	int rcpt_idx;
	char status[16];
	char diagnostic[FEEDBACK_TEXT_MAX];
};

/* bounce_dsn_read - the bounced message, read: queue the DSN. */
static void
bounce_dsn_read(int status, struct spool_msg *m, void *arg)
{
	struct bounce_dsn *b = arg;
	struct dsn_rcpt r;

	if (status == SPOOL_OK && b->rcpt_idx >= 0 &&
	    (size_t)b->rcpt_idx < m->n_rcpts) {
		memset(&r, 0, sizeof(r));
		r.addr = m->rcpts[b->rcpt_idx].address;
		r.status = b->status[0] != '\0' ? b->status : "5.0.0";
		r.diagnostic = b->diagnostic[0] != '\0' ? b->diagnostic : NULL;
		r.failed = true;
		(void)dsn_queue(b->sp, b->hostname, m, &r, 1,
		                "the receiving system returned it after the "
		                "relay accepted it");
	}
	spool_msg_free(m);
	free(b->hostname);
	free(b);
}

/* bounce_dsn_start - read e's message for its late DSN. */
static void
bounce_dsn_start(struct smtpd *d, const struct feedback_event *e,
                 const struct spool_fb_match *m)
{
	struct bounce_dsn *b = xcalloc(1, sizeof(*b));

	b->sp = d->sp;
	b->hostname = xstrdup(d->cfg->hostname);
	b->rcpt_idx = m->rcpt_idx;
	snprintf(b->status, sizeof(b->status), "%s", e->enhanced);
	snprintf(b->diagnostic, sizeof(b->diagnostic), "%s", e->diagnostic);
	if (spool_msg_get(d->sp, m->msg_id, SPOOL_GET_BODY, bounce_dsn_read,
	                  b) != 0) {
		free(b->hostname);
		free(b);
	}
}

/* A report between its parse and the spool's answer; s->commit points
 * at c (first), which smtpd_session_free detaches. */
struct bounce_pending {
	struct smtpd_commit c;
	struct feedback_event *ev; /* until handed to the spool */
	size_t n;
};

/* bounce_stored - the spool's answer for a report's events. */
static void
bounce_stored(int status, const struct feedback_event *ev,
              const struct spool_fb_match *m, size_t n, void *arg)
{
	struct bounce_pending *p = arg;
	struct smtpd_session *s = p->c.sess;
	struct smtpd *d;
	size_t i, fresh = 0, unmatched = 0;

	free(p);
	if (s == NULL)
		return; /* the session went away; the events are stored */
	d = s->smtpd;
	s->commit = NULL;
	if (status != SPOOL_OK) {
		smtpd_session_reject(s, SMTPD_REJECT_STORAGE, false,
		                     "451 4.3.0 The report could not be "
		                     "stored; try again later");
		smtpd_session_resume(s);
		return;
	}
	feedback_publish(s->verp_provider, ev, m, n, &fresh, &unmatched);
	/* As a failure at the relay would: the sender hears of it. */
	for (i = 0; i < n; i++)
		if (m[i].is_new && ev[i].type == FEEDBACK_HARD_BOUNCE &&
		    m[i].msg_id[0] != '\0' && m[i].rcpt_idx >= 0)
			bounce_dsn_start(d, &ev[i], &m[i]);
	log_info("smtpd: bounce client=%s id=%s: %zu events, %zu new, %zu "
	         "unmatched",
	         s->client, n > 0 ? ev[0].swerve_id : "-", n, fresh, unmatched);
	smtpd_session_reply(s, "250 2.0.0 Ok: %zu events recorded", n);
	smtpd_session_resume(s);
}

/* bounce_record - hand p's events to the spool (the session waits). */
static void
bounce_record(struct smtpd_session *s, struct bounce_pending *p)
{
	struct feedback_event *ev = p->ev;

	p->ev = NULL;
	if (spool_feedback_record(s->smtpd->sp, ev, p->n, clock_wall_ms(),
	                          bounce_stored, &p->c) == 0)
		return;
	/* Refused at once: the spool freed ev, no callback. */
	free(p);
	s->commit = NULL;
	s->state = SMTPD_STATE_CMD;
	smtpd_session_reject(s, SMTPD_REJECT_STORAGE, false,
	                     "421 4.3.2 Service shutting down, try again "
	                     "later");
	smtpd_session_close(s);
	smtpd_session_resume(s);
}

/*
 * bounce_rcpt_read - the VERP's message, read to name the recipient its
 * index points at in events whose report named none (an abuse report
 * that redacts the recipient); then the events are stored.
 */
static void
bounce_rcpt_read(int status, struct spool_msg *m, void *arg)
{
	struct bounce_pending *p = arg;
	struct smtpd_session *s = p->c.sess;
	size_t i;

	if (s == NULL) {
		/* The client left: it will send the report again. */
		spool_msg_free(m);
		free(p->ev);
		free(p);
		return;
	}
	if (status == SPOOL_OK && s->verp_idx >= 0 &&
	    (size_t)s->verp_idx < m->n_rcpts)
		for (i = 0; i < p->n; i++)
			if (p->ev[i].recipient[0] == '\0')
				feedback_set_recipient(
				    &p->ev[i], m->rcpts[s->verp_idx].address);
	spool_msg_free(m);
	bounce_record(s, p);
}

void
smtpd_bounce_data_end(struct smtpd_session *s)
{
	struct smtpd *d = s->smtpd;
	struct feedback_event *ev = NULL;
	const char *body = s->body.p + s->body_off;
	size_t len = s->body.len - s->body_off, n = 0, i;
	struct bounce_pending *p;
	char err[256], err2[256];
	bool unnamed = false;

	if (feedback_dsn_parse(body, len, s->verp_provider, &ev, &n, err,
	                       sizeof(err)) != 0 &&
	    feedback_arf_parse(body, len, s->verp_provider, &ev, &n, err2,
	                       sizeof(err2)) != 0) {
		smtpd_session_reject(s, SMTPD_REJECT_CONTENT, false,
		                     "550 5.6.0 Not a delivery status "
		                     "notification or abuse report: %s",
		                     err);
		smtpd_session_tx_reset(s);
		return;
	}
	for (i = 0; i < n; i++) {
		feedback_set(ev[i].swerve_id, sizeof(ev[i].swerve_id),
		             s->verp_id);
		if (ev[i].recipient[0] == '\0')
			unnamed = true;
	}
	p = xcalloc(1, sizeof(*p));
	p->c.sess = s;
	p->ev = ev;
	p->n = n;
	s->commit = &p->c;
	s->state = SMTPD_STATE_COMMIT;
	/* The VERP names one recipient: read which, for the report that
	 * did not say. */
	if (unnamed && s->verp_idx >= 0 &&
	    spool_msg_get(d->sp, s->verp_id, 0, bounce_rcpt_read, p) == 0)
		return;
	bounce_record(s, p);
}
