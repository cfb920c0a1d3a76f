/*
 * notify_email.c - an alert as a plain-text e-mail to operators.
 *
 * Builds the message only (RFC 5322, CRLF, ASCII headers; the summary is
 * already sanitised ASCII). notify.c submits it to the spool, so it is
 * delivered like any other mail: through whichever provider routing
 * finds healthy. Marked Auto-Submitted so that responders do not answer
 * it. Pure.
 */
#include "observe/notify.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "core/clock.h"
#include "core/id.h"

/* email_upper - severity in capitals, for the subject. */
static void
email_upper(const char *s, char *out, size_t n)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < n; i++)
		out[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
	out[i] = '\0';
}

/* email_clean - s without CR/LF (header safety), appended to out. */
static void
email_clean(struct buf *out, const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		buf_addch(out, *s == '\r' || *s == '\n' ? ' ' : *s);
}

void
notify_email_build(const struct config_notify *t, const struct alert_info *a,
                   enum alert_change ch, const char *host, int64_t now_ms,
                   struct buf *out)
{
	char sev[16], date[64], when[40], id[ID_SIZE];
	time_t now = (time_t)(now_ms / 1000);
	struct tm tm;
	size_t i;

	email_upper(a->severity, sev, sizeof(sev));
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	id_new(id);

	buf_addstr(out, "From: ");
	email_clean(out, t->from);
	buf_addstr(out, "\r\nTo: ");
	for (i = 0; i < t->n_to; i++) {
		if (i > 0)
			buf_addstr(out, ", ");
		email_clean(out, t->to[i]);
	}
	buf_printf(out, "\r\nSubject: [swerve %s] %s %s", sev,
	           ch == ALERT_CHANGE_RESOLVED ? "RESOLVED"
	           : ch == ALERT_CHANGE_REPEAT ? "STILL FIRING"
	                                       : "FIRING",
	           a->rule);
	if (a->provider != NULL || a->stream != NULL) {
		buf_printf(out, " (%s ", a->provider ? "provider" : "stream");
		email_clean(out, a->provider ? a->provider : a->stream);
		buf_addch(out, ')');
	}
	buf_printf(out, "\r\nDate: %s\r\n", date);
	buf_printf(out, "Message-ID: <%s.alert@", id);
	email_clean(out, host ? host : "swerve");
	buf_addstr(out, ">\r\nMIME-Version: 1.0\r\n"
	                "Content-Type: text/plain; charset=us-ascii\r\n"
	                "Content-Transfer-Encoding: 7bit\r\n"
	                "Auto-Submitted: auto-generated\r\n");
	buf_printf(out, "X-Swerve-Alert: %s\r\n\r\n", a->rule);

	email_clean(out, a->summary);
	buf_addstr(out, "\r\n\r\n");
	buf_printf(out, "rule:      %s\r\nkind:      %s\r\nseverity:  %s\r\n",
	           a->rule, a->kind, a->severity);
	buf_printf(out, "status:    %s\r\n", alert_change_name(ch));
	if (a->provider != NULL)
		buf_printf(out, "provider:  %s\r\n", a->provider);
	if (a->stream != NULL)
		buf_printf(out, "stream:    %s\r\n", a->stream);
	clock_wall_text(a->fired_ms ? a->fired_ms : a->since_ms, when,
	                sizeof(when));
	buf_printf(out, "since:     %s\r\n", when);
	if (a->resolved_ms > 0) {
		clock_wall_text(a->resolved_ms, when, sizeof(when));
		buf_printf(out, "resolved:  %s\r\n", when);
	}
	buf_addstr(out, "host:      ");
	email_clean(out, host ? host : "?");
	buf_addstr(out, "\r\n\r\n-- \r\nswerve built-in alerting "
	                "(alerts: in the configuration)\r\n");
}
