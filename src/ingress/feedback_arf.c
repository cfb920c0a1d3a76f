/*
 * feedback_arf.c - RFC 5965 abuse reports into events (see
 * feedback_arf.h).
 *
 * The machine-readable part is one block of fields. Which recipient
 * complained is Original-Rcpt-To when the reporter says; many redact it,
 * and then the original message's To is used only when it names exactly
 * one address: guessing among several would suppress the wrong one.
 */
#include "ingress/feedback_arf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xmalloc.h"
#include "ingress/feedback_report.h"
#include "mime/mime.h"

#define ARF_MAX_RCPTS 100

/* What the report's block says. */
struct arf_walk {
	char type[64];
	char agent[128];
	char mta[128];
	char rcpts[ARF_MAX_RCPTS][FEEDBACK_ADDR_MAX];
	size_t n_rcpts;
};

/* arf_field - one field of the feedback report. */
static void
arf_field(const char *name, size_t nlen, const char *v, size_t vlen, void *arg)
{
	struct arf_walk *w = arg;

	if (feedback_report_is(name, nlen, "Feedback-Type") &&
	    w->type[0] == '\0')
		feedback_set_n(w->type, sizeof(w->type), v, vlen);
	else if (feedback_report_is(name, nlen, "User-Agent"))
		feedback_set_n(w->agent, sizeof(w->agent), v, vlen);
	else if (feedback_report_is(name, nlen, "Reporting-MTA"))
		feedback_set_n(w->mta, sizeof(w->mta), v, vlen);
	else if (feedback_report_is(name, nlen, "Original-Rcpt-To") &&
	         w->n_rcpts < ARF_MAX_RCPTS) {
		feedback_report_addr(w->rcpts[w->n_rcpts], sizeof(w->rcpts[0]),
		                     v, vlen);
		if (w->rcpts[w->n_rcpts][0] != '\0')
			w->n_rcpts++;
	}
}

/* arf_type - the event type for a Feedback-Type. */
static enum feedback_type
arf_type(const char *t)
{
	static const char *const complaints[] = {"abuse", "fraud", "virus"};
	size_t i;

	for (i = 0; i < sizeof(complaints) / sizeof(complaints[0]); i++)
		if (strcasecmp(t, complaints[i]) == 0)
			return FEEDBACK_COMPLAINT;
	return FEEDBACK_OTHER;
}

/* arf_to - the single address of the original's To into w, if one. */
static void
arf_to(const struct mime_msg *m, struct arf_walk *w)
{
	char to[FEEDBACK_TEXT_MAX];
	struct mime_addr *v = NULL;
	size_t nv = 0;
	unsigned flags = 0;
	bool groups = false;

	if (!feedback_report_header(m, feedback_report_original(m), "To", to,
	                            sizeof(to)))
		return;
	mime_addrs_parse(to, strlen(to), &v, &nv, &groups, &flags);
	if (nv == 1 && v[0].addr != NULL) {
		feedback_report_addr(w->rcpts[0], sizeof(w->rcpts[0]),
		                     v[0].addr, strlen(v[0].addr));
		if (w->rcpts[0][0] != '\0')
			w->n_rcpts = 1;
	}
	mime_addrs_free(v, nv);
}

int
feedback_arf_parse(const char *body, size_t len, const char *provider,
                   struct feedback_event **out, size_t *n, char *err,
                   size_t errlen)
{
	static const char *const types[] = {"message/feedback-report", NULL};
	char msgid[FEEDBACK_MSGID_MAX] = "", orig[FEEDBACK_MSGID_MAX] = "";
	struct mime_msg *m = mime_parse(body, len);
	const struct mime_part *p = feedback_report_part(m, types);
	struct feedback_event *ev;
	struct arf_walk *w;
	size_t i, k;

	*out = NULL;
	*n = 0;
	if (p == NULL || p->data == NULL) {
		snprintf(err, errlen,
		         "not an abuse report: no "
		         "message/feedback-report part");
		mime_free(m);
		return -1;
	}
	w = xcalloc(1, sizeof(*w));
	feedback_report_blocks((const char *)p->data, p->len, arf_field, NULL,
	                       w);
	if (w->type[0] == '\0') {
		snprintf(err, errlen,
		         "the feedback report has no Feedback-Type");
		free(w);
		mime_free(m);
		return -1;
	}
	if (w->n_rcpts == 0)
		arf_to(m, w);
	(void)feedback_report_header(m, NULL, "Message-ID", msgid,
	                             sizeof(msgid));
	(void)feedback_report_header(m, feedback_report_original(m),
	                             "Message-ID", orig, sizeof(orig));
	mime_free(m);
	k = w->n_rcpts > 0 ? w->n_rcpts : 1;
	ev = xcalloc(k, sizeof(*ev));
	for (i = 0; i < k; i++) {
		struct feedback_event *e = &ev[i];

		feedback_set(e->provider, sizeof(e->provider), provider);
		feedback_set_recipient(e, w->n_rcpts > 0 ? w->rcpts[i] : "");
		e->type = arf_type(w->type);
		feedback_set(e->provider_type, sizeof(e->provider_type), "arf");
		feedback_set(e->provider_subtype, sizeof(e->provider_subtype),
		             w->type);
		feedback_set(e->provider_msg_id, sizeof(e->provider_msg_id),
		             orig);
		snprintf(e->diagnostic, sizeof(e->diagnostic),
		         "feedback-type %.63s reported by %.127s", w->type,
		         w->agent[0] ? w->agent
		         : w->mta[0] ? w->mta
		                     : "an unnamed reporter");
		feedback_report_event_id(e, msgid, body, len);
	}
	free(w);
	*out = ev;
	*n = k;
	return 0;
}
