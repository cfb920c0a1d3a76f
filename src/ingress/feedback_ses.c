/*
 * feedback_ses.c - SES notifications and event publishing, as SNS
 * delivers them, into feedback events (see feedback_ses.h).
 *
 * Runs only on a body whose SNS signature held (feedback_sns*.c). The
 * envelope's Message is decoded a second time: it is the SES payload,
 * whose type is named by notificationType (identity notifications) or
 * eventType (configuration-set event publishing). One payload is one
 * type for one or more recipients; each recipient becomes one event.
 * Unknown members are ignored and unknown types are FEEDBACK_OTHER, so a
 * new SES event never makes a provider retry forever.
 */
#include "ingress/feedback_ses.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "core/rfc3339.h"
#include "core/xmalloc.h"
#include "ingress/feedback_sns_fetch.h"

/* What one payload says about all of its recipients. */
struct ses_kind {
	enum feedback_type type;
	const char *ptype, *psub; /* raw type and sub-type */
	const json_t *list; /* the recipients, or NULL: mail.destination */
	const char *when;   /* the type object's timestamp */
	const char *diag;   /* a diagnostic for all (reject reason) */
};

/* ses_str - the string member key of o (o may be NULL), or NULL. */
static const char *
ses_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ses_bounce - a bounce's type by bounceType and bounceSubType. */
static void
ses_bounce(const json_t *b, struct ses_kind *k)
{
	const char *t = ses_str(b, "bounceType");
	const char *s = ses_str(b, "bounceSubType");

	k->ptype = t;
	k->psub = s;
	k->list = json_object_get(b, "bouncedRecipients");
	k->when = ses_str(b, "timestamp");
	if (t != NULL && strcmp(t, "Permanent") == 0)
		/* SES's own suppression lists: it never tried this send. */
		k->type =
		    s != NULL && (strcmp(s, "Suppressed") == 0 ||
		                  strcmp(s, "OnAccountSuppressionList") == 0)
		        ? FEEDBACK_REJECTED
		        : FEEDBACK_HARD_BOUNCE;
	else
		/* Transient, Undetermined or new: never suppress on doubt. */
		k->type = FEEDBACK_SOFT_BOUNCE;
}

/* ses_complaint - a complaint, unless it says not-spam or SES refused
 * the send for its account-level suppression list. */
static void
ses_complaint(const json_t *c, struct ses_kind *k)
{
	const char *ft = ses_str(c, "complaintFeedbackType");
	const char *st = ses_str(c, "complaintSubType");

	k->ptype = "Complaint";
	k->psub = ft;
	k->list = json_object_get(c, "complainedRecipients");
	k->when = ses_str(c, "timestamp");
	if (st != NULL && strcmp(st, "OnAccountSuppressionList") == 0) {
		k->type = FEEDBACK_REJECTED;
		k->psub = st;
	} else if (ft != NULL && strcmp(ft, "not-spam") == 0)
		k->type = FEEDBACK_OTHER;
	else
		k->type = FEEDBACK_COMPLAINT;
}

/* ses_kind_of - what the payload of type name (notificationType or
 * eventType) says. 0, or -1 with err when the type's object is missing. */
static int
ses_kind_of(const json_t *p, const char *name, struct ses_kind *k, char *err,
            size_t errlen)
{
	static const struct {
		const char *name, *member;
	} members[] = {
	    {"Bounce", "bounce"},     {"Complaint", "complaint"},
	    {"Delivery", "delivery"}, {"DeliveryDelay", "deliveryDelay"},
	    {"Reject", "reject"},
	};
	const json_t *o = NULL;
	size_t i;

	memset(k, 0, sizeof(*k));
	k->type = FEEDBACK_OTHER;
	k->ptype = name;
	for (i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		if (strcmp(name, members[i].name) != 0)
			continue;
		o = json_object_get(p, members[i].member);
		if (!json_is_object(o)) {
			snprintf(err, errlen, "%s: no %s object", name,
			         members[i].member);
			return -1;
		}
	}
	if (strcmp(name, "Bounce") == 0)
		ses_bounce(o, k);
	else if (strcmp(name, "Complaint") == 0)
		ses_complaint(o, k);
	else if (strcmp(name, "Delivery") == 0) {
		k->type = FEEDBACK_DELIVERED;
		k->list = json_object_get(o, "recipients");
		k->when = ses_str(o, "timestamp");
		k->diag = ses_str(o, "smtpResponse");
	} else if (strcmp(name, "DeliveryDelay") == 0) {
		k->type = FEEDBACK_DELAYED;
		k->psub = ses_str(o, "delayType");
		k->list = json_object_get(o, "delayedRecipients");
		k->when = ses_str(o, "timestamp");
	} else if (strcmp(name, "Reject") == 0) {
		k->type = FEEDBACK_REJECTED;
		k->diag = ses_str(o, "reason");
	} else if (strcmp(name, "Rendering Failure") == 0) {
		k->type = FEEDBACK_REJECTED;
		k->diag =
		    ses_str(json_object_get(p, "failure"), "errorMessage");
	} else if (strcmp(name, "Send") == 0)
		k->type = FEEDBACK_SENT;
	if (k->list != NULL && !json_is_array(k->list)) {
		snprintf(err, errlen, "%s: the recipients are not a list",
		         name);
		return -1;
	}
	return 0;
}

/* ses_recipient_set - e->recipient from addr: the address inside <...>
 * when there is one, the domain in lower case. */
static void
ses_recipient_set(struct feedback_event *e, const char *addr)
{
	const char *lt = strrchr(addr, '<'), *gt;
	char inner[FEEDBACK_ADDR_MAX];

	if (lt != NULL && (gt = strchr(lt, '>')) != NULL) {
		feedback_set_n(inner, sizeof(inner), lt + 1,
		               (size_t)(gt - lt - 1));
		addr = inner;
	}
	feedback_set_recipient(e, addr);
}

/* ses_event_id_set - e->event_id: "MessageId:recipient", or
 * "MessageId:sha256:<hex of recipient>" when that would not fit. */
static void
ses_event_id_set(struct feedback_event *e, const char *sns_id)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1];
	size_t i;
	int w;

	w = snprintf(e->event_id, sizeof(e->event_id), "%s:%s", sns_id,
	             e->recipient);
	if (w >= 0 && (size_t)w < sizeof(e->event_id))
		return;
	SHA256((const unsigned char *)e->recipient, strlen(e->recipient), md);
	for (i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(e->event_id, sizeof(e->event_id), "%.50s:sha256:%s", sns_id,
	         hex);
}

/* ses_swerve_id - mail.tags.swerve_id: SES echoes each tag as a list of
 * values; a plain string is taken too. */
static const char *
ses_swerve_id(const json_t *mail)
{
	const json_t *t =
	    json_object_get(json_object_get(mail, "tags"), "swerve_id");

	if (json_is_array(t))
		t = json_array_get(t, 0);
	return json_string_value(t);
}

/* ses_diag_set - the diagnostic and codes of one recipient entry: the
 * diagnosticCode ("smtp; 550 5.1.1 ...") or else the kind's text, the
 * enhanced status, and the SMTP code found in the diagnostic. */
static void
ses_diag_set(struct feedback_event *e, const json_t *r,
             const struct ses_kind *k)
{
	const char *d = ses_str(r, "diagnosticCode");
	const char *st = ses_str(r, "status");
	const char *action = ses_str(r, "action");
	const char *p;

	if (d == NULL)
		d = k->diag;
	if (d != NULL && action != NULL) {
		char text[FEEDBACK_TEXT_MAX];
		snprintf(text, sizeof(text), "%s (%s)", d, action);
		feedback_set(e->diagnostic, sizeof(e->diagnostic), text);
	} else
		feedback_set(e->diagnostic, sizeof(e->diagnostic),
		             d != NULL ? d : action);
	if (st != NULL && strlen(st) < sizeof(e->enhanced) && st[0] >= '2' &&
	    st[0] <= '5' && st[1] == '.')
		feedback_set(e->enhanced, sizeof(e->enhanced), st);
	if (d == NULL)
		return;
	p = strncasecmp(d, "smtp;", 5) == 0 ? d + 5 : d;
	while (*p == ' ')
		p++;
	if (p[0] >= '2' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9' &&
	    p[2] >= '0' && p[2] <= '9' && (p[3] == ' ' || p[3] == '-'))
		e->smtp_code =
		    (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

/* The fields every event of one payload shares. */
struct ses_common {
	const char *provider, *sns_id, *msg_id, *swerve_id;
	int64_t when_ms;
};

/* ses_add - one event for recipient entry r (a string, or an object with
 * emailAddress) into ev[*n]. 0, or -1 with err. */
static int
ses_add(struct feedback_event *ev, size_t *n, const json_t *r,
        const struct ses_kind *k, const struct ses_common *c, char *err,
        size_t errlen)
{
	const char *addr = json_is_string(r) ? json_string_value(r)
	                                     : ses_str(r, "emailAddress");
	struct feedback_event *e = &ev[*n];

	if (addr == NULL || addr[0] == '\0') {
		snprintf(err, errlen, "a recipient without an address");
		return -1;
	}
	memset(e, 0, sizeof(*e));
	e->type = k->type;
	feedback_set(e->provider, sizeof(e->provider), c->provider);
	ses_recipient_set(e, addr);
	ses_event_id_set(e, c->sns_id);
	feedback_set(e->provider_msg_id, sizeof(e->provider_msg_id), c->msg_id);
	feedback_set(e->swerve_id, sizeof(e->swerve_id), c->swerve_id);
	e->occurred_ms = c->when_ms;
	feedback_set(e->provider_type, sizeof(e->provider_type), k->ptype);
	feedback_set(e->provider_subtype, sizeof(e->provider_subtype), k->psub);
	ses_diag_set(e, json_is_object(r) ? r : NULL, k);
	(*n)++;
	return 0;
}

/* ses_payload - the events of the SES payload p. */
static int
ses_payload(const json_t *p, const char *provider, const char *sns_id,
            struct feedback_event **out, size_t *n, char *err, size_t errlen)
{
	const json_t *mail = json_object_get(p, "mail"), *list, *r;
	const char *name = ses_str(p, "notificationType");
	struct ses_common c = {provider, sns_id, NULL, NULL, 0};
	struct ses_kind k;
	struct feedback_event *ev;
	size_t i, count;
	int64_t sec;

	if (name == NULL)
		name = ses_str(p, "eventType");
	if (name == NULL) {
		snprintf(err, errlen,
		         "Message has no notificationType or eventType");
		return -1;
	}
	if (!json_is_object(mail) ||
	    (c.msg_id = ses_str(mail, "messageId")) == NULL) {
		snprintf(err, errlen, "Message has no mail.messageId");
		return -1;
	}
	if (ses_kind_of(p, name, &k, err, errlen) < 0)
		return -1;
	c.swerve_id = ses_swerve_id(mail);
	if (k.when == NULL)
		k.when = ses_str(mail, "timestamp");
	if (k.when != NULL && rfc3339_parse(k.when, strlen(k.when), &sec) == 0)
		c.when_ms = sec * 1000;
	list = k.list != NULL ? k.list : json_object_get(mail, "destination");
	count = json_array_size(list);
	if (count == 0) {
		snprintf(err, errlen, "%s names no recipient", name);
		return -1;
	}
	if (count > FEEDBACK_SES_MAX_EVENTS) {
		snprintf(err, errlen, "%s names more than %d recipients", name,
		         FEEDBACK_SES_MAX_EVENTS);
		return -1;
	}
	ev = xcalloc(count, sizeof(*ev));
	*n = 0;
	json_array_foreach(list, i, r)
	{
		if (ses_add(ev, n, r, &k, &c, err, errlen) < 0) {
			free(ev);
			*n = 0;
			return -1;
		}
	}
	*out = ev;
	return 0;
}

int
feedback_ses_parse(const char *body, size_t len, const char *provider,
                   struct feedback_event **out, size_t *n, char *err,
                   size_t errlen)
{
	json_t *env = NULL, *payload = NULL;
	const char *type, *sns_id;
	const json_t *msg;
	json_error_t je;
	int rc = -1;

	*out = NULL;
	*n = 0;
	env = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(env)) {
		snprintf(err, errlen, "not an SNS message (JSON object): %s",
		         env == NULL ? je.text : "not an object");
		goto done;
	}
	type = ses_str(env, "Type");
	if (type == NULL || strcmp(type, "Notification") != 0) {
		snprintf(err, errlen, "Type is %s, not Notification",
		         type != NULL ? "another" : "missing");
		goto done;
	}
	sns_id = ses_str(env, "MessageId");
	msg = json_object_get(env, "Message");
	if (sns_id == NULL || sns_id[0] == '\0' || !json_is_string(msg)) {
		snprintf(err, errlen, "no MessageId or Message string");
		goto done;
	}
	payload = json_loadb(json_string_value(msg), json_string_length(msg),
	                     JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(payload)) {
		snprintf(err, errlen, "Message is not an SES payload: %s",
		         payload == NULL ? je.text : "not an object");
		goto done;
	}
	rc = ses_payload(payload, provider, sns_id, out, n, err, errlen);
done:
	json_decref(payload);
	json_decref(env);
	return rc;
}

const struct feedback_source_ops feedback_ses_ops = {
    .type = "ses",
    .init = feedback_sns_init,
    .fini = feedback_sns_fini,
    .verify_start = feedback_sns_verify_start,
    .verify_cancel = feedback_sns_verify_cancel,
    .parse = feedback_ses_parse,
};
