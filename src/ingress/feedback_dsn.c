/*
 * feedback_dsn.c - RFC 3464 delivery status notifications into events
 * (see feedback_dsn.h).
 *
 * The report's machine-readable part is a block of per-message fields,
 * then one block per recipient. Only that part decides anything: the
 * human-readable text varies with every MTA and is never read.
 */
#include "ingress/feedback_dsn.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xmalloc.h"
#include "ingress/feedback_report.h"
#include "mime/mime.h"

#define DSN_MAX_RCPTS 1000

/* One per-recipient block being read. */
struct dsn_block {
	char original[FEEDBACK_ADDR_MAX];
	char final[FEEDBACK_ADDR_MAX];
	char action[64];
	char status[64];
	char diagnostic[FEEDBACK_TEXT_MAX];
};

/* The walk over the report's blocks. */
struct dsn_walk {
	struct dsn_block b;
	struct feedback_event *ev;
	size_t n;
	const char *provider, *msgid, *orig_msgid, *body;
	size_t len;
};

/* dsn_field - one field of the current block. */
static void
dsn_field(const char *name, size_t nlen, const char *v, size_t vlen, void *arg)
{
	struct dsn_walk *w = arg;

	if (feedback_report_is(name, nlen, "Original-Recipient"))
		feedback_report_addr(w->b.original, sizeof(w->b.original), v,
		                     vlen);
	else if (feedback_report_is(name, nlen, "Final-Recipient"))
		feedback_report_addr(w->b.final, sizeof(w->b.final), v, vlen);
	else if (feedback_report_is(name, nlen, "Action"))
		feedback_set_n(w->b.action, sizeof(w->b.action), v, vlen);
	else if (feedback_report_is(name, nlen, "Status"))
		feedback_set_n(w->b.status, sizeof(w->b.status), v, vlen);
	else if (feedback_report_is(name, nlen, "Diagnostic-Code"))
		feedback_set_n(w->b.diagnostic, sizeof(w->b.diagnostic), v,
		               vlen);
}

/* dsn_type - the event type for an Action and a Status. */
static enum feedback_type
dsn_type(const char *action, const char *status)
{
	if (strcasecmp(action, "failed") == 0)
		return status[0] == '4' ? FEEDBACK_SOFT_BOUNCE
		                        : FEEDBACK_HARD_BOUNCE;
	if (strcasecmp(action, "delayed") == 0)
		return FEEDBACK_DELAYED;
	if (strcasecmp(action, "delivered") == 0 ||
	    strcasecmp(action, "relayed") == 0 ||
	    strcasecmp(action, "expanded") == 0)
		return FEEDBACK_DELIVERED;
	return FEEDBACK_OTHER;
}

/* dsn_end - a block ended: a per-recipient one becomes an event. */
static void
dsn_end(size_t block, void *arg)
{
	struct dsn_walk *w = arg;
	struct feedback_event *e;
	const char *rcpt =
	    w->b.original[0] != '\0' ? w->b.original : w->b.final;
	const char *diag;
	size_t k;

	if (rcpt[0] == '\0' || w->n >= DSN_MAX_RCPTS) {
		memset(&w->b, 0, sizeof(w->b));
		return;
	}
	w->ev = xreallocarray(w->ev, w->n + 1, sizeof(*w->ev));
	e = &w->ev[w->n++];
	memset(e, 0, sizeof(*e));
	feedback_set(e->provider, sizeof(e->provider), w->provider);
	feedback_set_recipient(e, rcpt);
	/* Status: "5.1.1" possibly followed by a comment. */
	k = strcspn(w->b.status, " (");
	if (k < sizeof(e->enhanced))
		feedback_set_n(e->enhanced, sizeof(e->enhanced), w->b.status,
		               k);
	e->type = dsn_type(w->b.action, e->enhanced);
	feedback_set(e->provider_type, sizeof(e->provider_type), w->b.action);
	feedback_set(e->provider_subtype, sizeof(e->provider_subtype),
	             w->b.status);
	diag = w->b.diagnostic;
	e->smtp_code = feedback_report_smtp_code(diag);
	if (strncasecmp(diag, "smtp;", 5) == 0)
		diag += 5 + strspn(diag + 5, " ");
	feedback_set(e->diagnostic, sizeof(e->diagnostic), diag);
	feedback_set(e->provider_msg_id, sizeof(e->provider_msg_id),
	             w->orig_msgid);
	feedback_report_event_id(e, w->msgid, w->body, w->len);
	memset(&w->b, 0, sizeof(w->b));
}

int
feedback_dsn_parse(const char *body, size_t len, const char *provider,
                   struct feedback_event **out, size_t *n, char *err,
                   size_t errlen)
{
	static const char *const types[] = {
	    "message/delivery-status", "message/global-delivery-status", NULL};
	char msgid[FEEDBACK_MSGID_MAX] = "", orig[FEEDBACK_MSGID_MAX] = "";
	struct mime_msg *m = mime_parse(body, len);
	const struct mime_part *p = feedback_report_part(m, types);
	struct dsn_walk w;

	*out = NULL;
	*n = 0;
	if (p == NULL || p->data == NULL) {
		snprintf(err, errlen,
		         "not a delivery status notification: no "
		         "message/delivery-status part");
		mime_free(m);
		return -1;
	}
	(void)feedback_report_header(m, NULL, "Message-ID", msgid,
	                             sizeof(msgid));
	(void)feedback_report_header(m, feedback_report_original(m),
	                             "Message-ID", orig, sizeof(orig));
	memset(&w, 0, sizeof(w));
	w.provider = provider;
	w.msgid = msgid;
	w.orig_msgid = orig;
	w.body = body;
	w.len = len;
	feedback_report_blocks((const char *)p->data, p->len, dsn_field,
	                       dsn_end, &w);
	mime_free(m);
	if (w.n == 0) {
		snprintf(err, errlen,
		         "the delivery status names no recipient "
		         "(Final-Recipient or Original-Recipient)");
		free(w.ev);
		return -1;
	}
	*out = w.ev;
	*n = w.n;
	return 0;
}
