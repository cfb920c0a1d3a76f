/*
 * notify_slack.c - an alert as a Slack incoming-webhook message.
 *
 *   {"text": "[CRITICAL] FIRING queue_too_old: stream ...: ...",
 *    "blocks": [{"type": "section", "text": {"type": "mrkdwn",
 *                "text": "*[CRITICAL] FIRING* `queue_too_old`\n..."}},
 *               {"type": "context", "elements": [{"type": "mrkdwn",
 *                "text": "swerve on HOST · kind queue_age · since ..."}]}]}
 *
 * "text" is the plain fallback (notifications, old clients); blocks are
 * what Slack shows. &, < and > are escaped as Slack asks. Pure.
 */
#include "observe/notify.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"

/* slack_escape - s with &, <, > as Slack's entities, appended to b. */
static void
slack_escape(struct buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '&')
			buf_addstr(b, "&amp;");
		else if (*s == '<')
			buf_addstr(b, "&lt;");
		else if (*s == '>')
			buf_addstr(b, "&gt;");
		else
			buf_addch(b, *s);
	}
}

/* slack_headline - "[CRITICAL] FIRING" / "RESOLVED" / "STILL FIRING". */
static void
slack_headline(struct buf *b, const struct alert_info *a, enum alert_change ch)
{
	const char *s;

	buf_addch(b, '[');
	for (s = a->severity; *s; s++)
		buf_addch(b, (char)(*s >= 'a' && *s <= 'z' ? *s - 32 : *s));
	buf_addstr(b, "] ");
	buf_addstr(b, ch == ALERT_CHANGE_RESOLVED ? "RESOLVED"
	              : ch == ALERT_CHANGE_REPEAT ? "STILL FIRING"
	                                          : "FIRING");
}

char *
notify_slack_body(const struct alert_info *a, enum alert_change ch,
                  const char *host)
{
	struct buf text, md, ctx;
	char since[40];
	json_t *o;
	char *s;

	buf_init(&text);
	buf_init(&md);
	buf_init(&ctx);
	slack_headline(&text, a, ch);
	buf_printf(&text, " %s: ", a->rule);
	slack_escape(&text, a->summary);

	buf_addch(&md, '*');
	slack_headline(&md, a, ch);
	buf_addstr(&md, "* `");
	slack_escape(&md, a->rule);
	buf_addstr(&md, "`\n");
	slack_escape(&md, a->summary);

	clock_wall_text(a->fired_ms ? a->fired_ms : a->since_ms, since,
	                sizeof(since));
	buf_addstr(&ctx, "swerve on ");
	slack_escape(&ctx, host ? host : "?");
	buf_printf(&ctx, " \xc2\xb7 kind %s \xc2\xb7 since %s", a->kind, since);

	o = json_pack("{s:s,s:[{s:s,s:{s:s,s:s}},{s:s,s:[{s:s,s:s}]}]}", "text",
	              buf_cstr(&text), "blocks", "type", "section", "text",
	              "type", "mrkdwn", "text", buf_cstr(&md), "type",
	              "context", "elements", "type", "mrkdwn", "text",
	              buf_cstr(&ctx));
	buf_fini(&text);
	buf_fini(&md);
	buf_fini(&ctx);
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (s == NULL)
		log_panic("notify: slack payload does not build");
	return s;
}
