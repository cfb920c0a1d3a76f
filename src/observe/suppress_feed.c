/*
 * suppress_feed.c - feedback events add addresses to the suppression
 * list (suppress_feed.h).
 */
#include "observe/suppress_feed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "observe/events.h"
#include "spool/feedback.h"
#include "spool/suppress.h"
#include "spool/suppress_recall.h"
#include "spool/suppress_soft.h"

struct suppress_feed {
	struct suppress *s;
	struct suppress_soft *soft;
	bool sensitive;
	uint64_t expire_ms[SUPPRESS_REASON_COUNT];
	uint64_t added;
	uint64_t window_ms;
	struct suppress_recall *recall; /* the read back, until it answers */
	size_t recalled;
};

struct suppress_feed *
suppress_feed_new(const struct config *cfg, struct suppress *s)
{
	struct suppress_feed *f = xcalloc(1, sizeof(*f));
	size_t i;

	f->s = s;
	f->soft = suppress_soft_new(cfg->suppress_soft_count,
	                            cfg->suppress_soft_window_ms);
	f->window_ms = cfg->suppress_soft_window_ms;
	f->sensitive = cfg->suppress_local_sensitive != 0;
	for (i = 0; i < SUPPRESS_REASON_COUNT && i < CONFIG_SUPPRESS_REASONS;
	     i++)
		f->expire_ms[i] = cfg->suppress_expire_ms[i];
	(void)events_subscribe(suppress_feed_on_event, f);
	return f;
}

void
suppress_feed_free(struct suppress_feed *f)
{
	if (f == NULL)
		return;
	events_unsubscribe(suppress_feed_on_event, f);
	suppress_recall_cancel(f->recall);
	suppress_soft_free(f->soft);
	free(f);
}

/* feed_added - an add finished: say so when it did not. */
static void
feed_added(int status, size_t n, void *arg)
{
	(void)n;
	(void)arg;
	if (status != 0)
		log_warn("suppression: add from feedback failed (%d)", status);
}

/* feed_reason - what type t adds at once, or -1 (soft bounces: counted). */
static int
feed_reason(enum feedback_type t)
{
	switch (t) {
	case FEEDBACK_HARD_BOUNCE:
		return SUPPRESS_HARD_BOUNCE;
	case FEEDBACK_COMPLAINT:
		return SUPPRESS_COMPLAINT;
	case FEEDBACK_UNSUBSCRIBE:
		return SUPPRESS_UNSUBSCRIBE;
	default:
		return -1;
	}
}

void
suppress_feed_on_event(const struct events_item *e, void *arg)
{
	struct suppress_feed *f = arg;
	const struct feedback_event *fb = e->feedback;
	struct suppress_entry en;
	enum suppress_reason held;
	char key[SUPPRESS_TENANT_MAX + SUPPRESS_ADDR_MAX + 1];
	int reason;
	int64_t now = e->at_ms != 0 ? e->at_ms : clock_wall_ms();
	/* A matched message without a tenant (a trusted SMTP client's) is on
	 * the admin's list "", which SMTP's RCPT check reads; an unmatched
	 * event has no tenant to suppress for. */
	const char *tenant = e->tenant != NULL ? e->tenant
	                     : e->msg_id != NULL && e->msg_id[0] != '\0' ? ""
	                                                                 : NULL;

	if (e->kind != EVENT_FEEDBACK || fb == NULL || tenant == NULL ||
	    fb->recipient[0] == '\0' || f->s == NULL || f->s->be == NULL)
		return;
	reason = feed_reason(fb->type);
	if (fb->type == FEEDBACK_SOFT_BOUNCE) {
		if (suppress_addr_key(tenant, fb->recipient, f->sensitive, key,
		                      sizeof(key)) < 0 ||
		    !suppress_soft_note(f->soft, key, now))
			return;
		reason = SUPPRESS_SOFT_BOUNCE;
	}
	if (reason < 0)
		return;
	/* A retried or repeated report changes nothing already there. */
	if (suppress_check(f->s, tenant, fb->recipient, now, &held) &&
	    (int)held == reason)
		return;
	memset(&en, 0, sizeof(en));
	snprintf(en.tenant, sizeof(en.tenant), "%s", tenant);
	snprintf(en.address, sizeof(en.address), "%s", fb->recipient);
	en.reason = (enum suppress_reason)reason;
	snprintf(en.provider, sizeof(en.provider), "%s",
	         e->provider != NULL ? e->provider : fb->provider);
	en.created_ms = now;
	en.expires_ms =
	    f->expire_ms[reason] != 0 ? now + (int64_t)f->expire_ms[reason] : 0;
	snprintf(en.diagnostic, sizeof(en.diagnostic), "%s", fb->diagnostic);
	if (f->s->be->add(f->s->impl, &en, 1, feed_added, NULL) == 0)
		f->added++;
}

/* feed_recalled - the window's soft bounces, counted again. An address
 * whose count this completes is not added: it was when it happened (or
 * an operator has removed it since). */
static void
feed_recalled(int status, const struct suppress_recall_row *rows, size_t n,
              void *arg)
{
	struct suppress_feed *f = arg;
	char key[SUPPRESS_TENANT_MAX + SUPPRESS_ADDR_MAX + 1];
	size_t i;

	f->recall = NULL;
	if (status != 0) {
		log_warn("suppression: soft bounces not read back (%d): the "
		         "count starts again",
		         status);
		return;
	}
	for (i = 0; i < n; i++)
		if (suppress_addr_key(rows[i].tenant, rows[i].recipient,
		                      f->sensitive, key, sizeof(key)) >= 0)
			(void)suppress_soft_note(f->soft, key, rows[i].at_ms);
	f->recalled = n;
	if (n > 0)
		log_info("suppression: %zu soft bounces of the last window "
		         "counted again",
		         n);
}

void
suppress_feed_recall(struct suppress_feed *f, struct spool *sp, int64_t now_ms)
{
	int64_t since = now_ms - (int64_t)f->window_ms;

	if (f->recall != NULL)
		return;
	f->recall = suppress_recall_soft(sp, since, SUPPRESS_FEED_RECALL_MAX,
	                                 feed_recalled, f);
}

size_t
suppress_feed_recalled(const struct suppress_feed *f)
{
	return f->recalled;
}

uint64_t
suppress_feed_added(const struct suppress_feed *f)
{
	return f->added;
}
