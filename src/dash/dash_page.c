/*
 * dash_page.c - the dashboard's HTML: the sign-in page, the frame, the
 * providers' and streams' tables.
 */
#include "dash/dash_page.h"

#include <time.h>

#include "dash/dash_html.h"

/* The frame's <head>: our stylesheet, script and icon only. */
static void
dash_page_doc(struct buf *out, const char *title, const char *csrf)
{
	buf_addstr(out, "<!doctype html>\n<html lang=\"en\"><head>"
	                "<meta charset=\"utf-8\">"
	                "<meta name=\"viewport\" content=\"width=device-width, "
	                "initial-scale=1\">"
	                "<title>");
	dash_html_esc(out, title);
	buf_addstr(out, "</title>");
	if (csrf != NULL) {
		buf_addstr(out, "<meta name=\"csrf-token\" content=\"");
		dash_html_esc(out, csrf);
		buf_addstr(out, "\">");
	}
	buf_addstr(
	    out, "<link rel=\"icon\" href=\"/dashboard/assets/icon.svg\" "
	         "type=\"image/svg+xml\">"
	         "<link rel=\"stylesheet\" href=\"/dashboard/assets/dash.css\">"
	         "<script src=\"/dashboard/assets/dash.js\" defer></script>"
	         "</head>");
}

void
dash_page_login(struct buf *out, const char *error)
{
	dash_page_doc(out, "Sign in - swerve", NULL);
	buf_addstr(out,
	           "<body><main class=\"login\"><h1>swerve</h1>"
	           "<p class=\"muted\">Operator dashboard. Sign in with an "
	           "admin key (<code>admin_keys</code>, role admin).</p>");
	if (error != NULL) {
		buf_addstr(out, "<p class=\"error\" role=\"alert\">");
		dash_html_esc(out, error);
		buf_addstr(out, "</p>");
	}
	buf_addstr(out, "<form method=\"post\" action=\"/dashboard/login\">"
	                "<label for=\"key\">Admin key</label>"
	                "<input type=\"password\" id=\"key\" name=\"key\" "
	                "autocomplete=\"current-password\" required autofocus>"
	                "<button type=\"submit\" id=\"signin\">Sign in</button>"
	                "</form></main></body></html>\n");
}

void
dash_page_head(struct buf *out, const char *who, const char *csrf)
{
	dash_page_doc(out, "swerve dashboard", csrf);
	buf_addstr(out, "<body><header><h1>swerve</h1>"
	                "<span class=\"muted\">updated <span id=\"updated\">"
	                "now</span></span><span class=\"who\">signed in as ");
	dash_html_esc(out, who);
	buf_addstr(out, "</span><form method=\"post\" "
	                "action=\"/dashboard/logout\">"
	                "<input type=\"hidden\" name=\"csrf\" value=\"");
	dash_html_esc(out, csrf);
	buf_addstr(out, "\"><button type=\"submit\" id=\"signout\">Sign out"
	                "</button></form></header>\n<main id=\"live\">");
}

void
dash_page_tail(struct buf *out)
{
	buf_addstr(out, "</main></body></html>\n");
}

void
dash_page_flash(struct buf *out, const char *text, int error)
{
	buf_addstr(out, error ? "<p class=\"error\" role=\"alert\">"
	                      : "<p class=\"flash\" role=\"status\">");
	dash_html_esc(out, text);
	buf_addstr(out, "</p>");
}

/* dash_page_pct - a ratio as "12.5%". */
static void
dash_page_pct(struct buf *out, double r)
{
	buf_printf(out, "%.1f%%", r * 100.0);
}

/* dash_page_action - one POST form button for provider name. */
static void
dash_page_action(struct buf *out, const char *name, const char *verb,
                 const char *label, const char *csrf, int danger)
{
	buf_addstr(out, "<form class=\"inline\" method=\"post\" "
	                "action=\"/dashboard/providers/");
	dash_html_esc(out, name);
	buf_printf(out, "/%s\"><input type=\"hidden\" name=\"csrf\" value=\"",
	           verb);
	dash_html_esc(out, csrf);
	buf_printf(out,
	           "\"><button type=\"submit\"%s data-action=\"%s\" "
	           "data-provider=\"",
	           danger ? " class=\"danger\"" : "", verb);
	dash_html_esc(out, name);
	buf_addstr(out, "\">");
	buf_addstr(out, label);
	buf_addstr(out, "</button></form>");
}

void
dash_page_providers(struct buf *out, const struct dash_view_provider *p,
                    size_t n, const char *csrf)
{
	size_t i;

	buf_addstr(out, "<section id=\"providers\"><h2>Providers</h2><table>"
	                "<thead><tr><th>Provider</th><th>Circuit</th>"
	                "<th>Share (5 min)</th><th>Success (5 min)</th>"
	                "<th>Latency</th><th>Sent / failed</th>"
	                "<th>Bounce (24 h)</th><th>Complaint (24 h)</th>"
	                "<th>Actions</th></tr></thead><tbody>");
	for (i = 0; i < n; i++) {
		const struct dash_view_provider *v = &p[i];
		buf_addstr(out, "<tr data-provider=\"");
		dash_html_esc(out, v->name);
		buf_addstr(out, "\"><td><strong>");
		dash_html_esc(out, v->name);
		buf_addstr(out, "</strong> <span class=\"muted\">");
		dash_html_esc(out, v->type);
		buf_addstr(out, "</span></td><td><span class=\"badge st-");
		dash_html_esc(out, v->mode);
		buf_addstr(out, "\" data-state=\"");
		dash_html_esc(out, v->mode);
		buf_addstr(out, "\">");
		dash_html_esc(out, v->mode);
		buf_addstr(out, "</span>");
		if (v->reason != NULL && v->reason[0] != '\0') {
			buf_addstr(out, "<div class=\"reason\">");
			dash_html_esc(out, v->reason);
			buf_addstr(out, "</div>");
		}
		buf_addstr(out, "</td><td class=\"n\">");
		dash_page_pct(out, v->share);
		buf_addstr(out, "</td><td class=\"n\">");
		dash_page_pct(out, v->success);
		buf_addstr(out, "</td><td class=\"n\">");
		dash_page_duration(out, v->latency_ms);
		buf_printf(out,
		           "</td><td class=\"n\">%llu / %llu</td>"
		           "<td class=\"n\">",
		           (unsigned long long)v->sent,
		           (unsigned long long)v->failed);
		if (v->has_feedback)
			dash_page_pct(out, v->bounce);
		else
			buf_addstr(out, "<span class=\"muted\" title=\"no "
			                "delivery feedback yet\">-</span>");
		buf_addstr(out, "</td><td class=\"n\">");
		if (v->has_feedback)
			buf_printf(out, "%.2f%%", v->complaint * 100.0);
		else
			buf_addstr(out, "<span class=\"muted\" title=\"no "
			                "delivery feedback yet\">-</span>");
		buf_addstr(out, "</td><td>");
		dash_page_action(out, v->name, "pause", "Pause", csrf, 1);
		dash_page_action(out, v->name, "drain", "Drain", csrf, 1);
		dash_page_action(out, v->name, "resume", "Resume", csrf, 0);
		buf_addstr(out, "</td></tr>");
	}
	if (n == 0)
		buf_addstr(out, "<tr><td colspan=\"9\" class=\"muted\">no "
		                "provider configured</td></tr>");
	buf_addstr(out, "</tbody></table></section>\n");
}

void
dash_page_streams(struct buf *out, const struct dash_view_stream *s, size_t n)
{
	size_t i;

	buf_addstr(out, "<section id=\"streams\"><h2>Streams</h2><table>"
	                "<thead><tr><th>Stream</th><th>Queued</th>"
	                "<th>Oldest waiting</th><th>Sent (5 min)</th>"
	                "<th>Delivery latency (5 min, mean)</th></tr>"
	                "</thead><tbody>");
	for (i = 0; i < n; i++) {
		buf_addstr(out, "<tr data-stream=\"");
		dash_html_esc(out, s[i].name);
		buf_addstr(out, "\"><td><strong>");
		dash_html_esc(out, s[i].name);
		buf_printf(out,
		           "</strong></td><td class=\"n\">%llu</td>"
		           "<td class=\"n\">",
		           (unsigned long long)s[i].queued);
		if (s[i].queued > 0)
			dash_page_duration(out, s[i].oldest_age_ms);
		else
			buf_addstr(out, "<span class=\"muted\">-</span>");
		buf_printf(out,
		           "</td><td class=\"n\">%llu</td><td class=\"n\">",
		           (unsigned long long)s[i].sent_5m);
		if (s[i].latency_ms >= 0)
			dash_page_duration(out, (uint64_t)s[i].latency_ms);
		else
			buf_addstr(out, "<span class=\"muted\">-</span>");
		buf_addstr(out, "</td></tr>");
	}
	buf_addstr(out, "</tbody></table></section>\n");
}

void
dash_page_duration(struct buf *out, uint64_t ms)
{
	uint64_t s = ms / 1000;

	if (ms < 1000)
		buf_printf(out, "%llu ms", (unsigned long long)ms);
	else if (s < 60)
		buf_printf(out, "%.1f s", (double)ms / 1000.0);
	else if (s < 3600)
		buf_printf(out, "%llu min %llu s", (unsigned long long)(s / 60),
		           (unsigned long long)(s % 60));
	else
		buf_printf(out, "%llu h %llu min",
		           (unsigned long long)(s / 3600),
		           (unsigned long long)(s % 3600 / 60));
}

void
dash_page_time(struct buf *out, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char s[32];

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%SZ", &tm) == 0) {
		buf_addstr(out, "?");
		return;
	}
	buf_addstr(out, s);
}
