/*
 * submit_suppress.c - the submission pipeline's suppression step
 * (submit_suppress.h).
 */
#include "ingress/submit_suppress.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config/config.h"
#include "core/clock.h"
#include "core/xmalloc.h"
#include "observe/events.h"
#include "spool/msg_meta.h"

void
submit_suppress_emit(const char *tenant, const char *rcpt,
                     enum suppress_reason why, bool refused)
{
	struct events_item e = {
	    .kind = EVENT_SUPPRESSED,
	    .tenant = tenant != NULL && tenant[0] != '\0' ? tenant : NULL,
	    .rcpt = rcpt,
	    .reason = suppress_reason_name(why),
	    .state = refused ? "refused" : "dropped",
	};

	events_emit(&e);
}

const char *
submit_suppress_tenant(const struct submit_who *w)
{
	if (w->user != NULL)
		return w->user->name;
	if (w->key != NULL && w->key->tenant != NULL)
		return w->key->tenant;
	return "";
}

bool
submit_suppress_rcpt(const struct submit_who *w, const char *rcpt,
                     enum suppress_reason *why)
{
	return suppress_check(suppress_active(), submit_suppress_tenant(w),
	                      rcpt, clock_wall_ms(), why);
}

/* suppress_bypass - the reasons meta.options lets through (a bit each). */
static unsigned
suppress_bypass(const char *meta)
{
	static const struct {
		const char *key;
		unsigned bits;
	} rows[] = {
	    {"mail_settings.bypass_list_management", ~0U},
	    {"mail_settings.bypass_bounce_management",
	     1U << SUPPRESS_HARD_BOUNCE | 1U << SUPPRESS_SOFT_BOUNCE},
	    {"mail_settings.bypass_spam_management", 1U << SUPPRESS_COMPLAINT},
	    {"mail_settings.bypass_unsubscribe_management",
	     1U << SUPPRESS_UNSUBSCRIBE},
	};
	struct msg_meta mm;
	json_t *o;
	const char *k;
	json_t *v;
	unsigned bits = 0;
	size_t i;

	/* Only SendGrid's requests can carry one: no parse otherwise. */
	if (meta == NULL || strstr(meta, "bypass_") == NULL ||
	    msg_meta_decode(meta, strlen(meta), &mm) != 0)
		return 0;
	o = mm.options != NULL ? json_loads(mm.options, 0, NULL) : NULL;
	json_object_foreach(o, k, v)
	{
		if (!json_is_true(v))
			continue;
		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
			if (strncmp(k, rows[i].key, strlen(rows[i].key)) == 0)
				bits |= rows[i].bits;
	}
	json_decref(o);
	msg_meta_fini(&mm);
	return bits;
}

/* suppress_record - m's meta with the suppressed list (and sandbox). */
static void
suppress_record(struct spool_msg_new *m, json_t *list, bool all)
{
	struct msg_meta mm;

	if (m->meta == NULL ||
	    msg_meta_decode(m->meta, strlen(m->meta), &mm) != 0)
		msg_meta_init(&mm);
	free(mm.suppressed);
	mm.suppressed = json_dumps(list, JSON_COMPACT);
	if (all)
		mm.sandbox = true;
	free(m->meta);
	m->meta = msg_meta_encode(&mm);
	msg_meta_fini(&mm);
}

int
submit_suppress_apply(const struct config *cfg, const struct submit_who *w,
                      struct spool_msg_new *m, struct api_error *e)
{
	struct suppress *s = suppress_active();
	const char *tenant = m->tenant != NULL ? m->tenant : "";
	enum suppress_reason why;
	bool *hit = NULL, refuse;
	unsigned bypass = 0;
	size_t i, j, n = 0;
	int64_t now;
	json_t *list;

	if (s == NULL || m->n_rcpts == 0)
		return 0;
	now = clock_wall_ms();
	for (i = 0; i < m->n_rcpts; i++) {
		if (!suppress_check(s, tenant, m->rcpts[i], now, &why))
			continue;
		if (n == 0) {
			bypass = suppress_bypass(m->meta);
			hit = xcalloc(m->n_rcpts, sizeof(*hit));
		}
		if (bypass & (1U << why))
			continue;
		hit[i] = true;
		n++;
	}
	if (n == 0) {
		free(hit);
		return 0;
	}
	/* SMTP recipients heard 250 at RCPT: too late to refuse them. */
	refuse = cfg->suppress_on_submit == CONFIG_SUPPRESS_REFUSE &&
	         w->ingress != SUBMIT_INGRESS_SMTP;
	list = json_array();
	for (i = 0; i < m->n_rcpts; i++)
		if (hit[i]) {
			(void)suppress_check(s, tenant, m->rcpts[i], now, &why);
			submit_suppress_emit(tenant, m->rcpts[i], why,
			                     n == m->n_rcpts && refuse);
			json_array_append_new(
			    list,
			    json_pack("{s:s,s:s}", "address", m->rcpts[i],
			              "reason", suppress_reason_name(why)));
		}
	if (n == m->n_rcpts && refuse) {
		api_error_set(
		    e, 422, "suppressed", "to",
		    "every recipient is on the suppression list: %s%s",
		    m->rcpts[0], n > 1 ? " and others" : "");
		json_decref(list);
		free(hit);
		return -1;
	}
	suppress_record(m, list, n == m->n_rcpts);
	json_decref(list);
	if (n < m->n_rcpts) {
		for (i = j = 0; i < m->n_rcpts; i++) {
			if (hit[i])
				free(m->rcpts[i]);
			else
				m->rcpts[j++] = m->rcpts[i];
		}
		m->n_rcpts = j;
	}
	free(hit);
	return 0;
}
