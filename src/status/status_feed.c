/*
 * status_feed.c - RSS 2.0 and Atom feeds of the incident history.
 *
 * Both feeds share the item text (status_feed_html: the updates as
 * HTML) and differ only in the envelope. XML is written by hand: the
 * model's strings are clean UTF-8 (status_text_clean) and everything
 * variable goes through status_text_esc.
 */
#include "status/status_feed.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "status/status_text.h"

/* status_feed_html - inc's updates as an HTML fragment (unescaped for
 * XML: the caller escapes it). */
static char *
status_feed_html(const struct status_incident *inc)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	buf_printf(&b, "<p>Impact: %s. Status: %s.</p>",
	           status_impact_name(inc->impact),
	           status_phase_text(inc->phase));
	for (i = 0; i < inc->n_updates; i++) {
		char when[STATUS_TEXT_DATE_SIZE];
		status_text_human(when, inc->updates[i].at_ms);
		buf_printf(&b, "<p><small>%s</small><br><strong>%s</strong> - ",
		           when, status_phase_text(inc->updates[i].phase));
		status_text_esc(&b, inc->updates[i].body);
		buf_addstr(&b, "</p>");
	}
	return buf_steal(&b, NULL);
}

/* status_feed_link - url + "#incident-" + id, escaped, into b. */
static void
status_feed_link(struct buf *b, const struct status_model *m,
                 const struct status_incident *inc)
{
	status_text_esc(b, m->url[0] != '\0' ? m->url : "index.html");
	buf_addstr(b, "#incident-");
	status_text_esc(b, inc->id);
}

/* status_feed_title - the feed's title, escaped, into b. */
static void
status_feed_title(struct buf *b, const struct status_model *m)
{
	status_text_esc(b, m->name);
	buf_addstr(b, " status - incident history");
}

/* status_feed_count - how many incidents the feeds carry. */
static size_t
status_feed_count(const struct status_model *m)
{
	return m->n_incs < STATUS_FEED_ITEMS_MAX ? m->n_incs
	                                         : STATUS_FEED_ITEMS_MAX;
}

char *
status_feed_rss(const struct status_model *m, size_t *len)
{
	char d[STATUS_TEXT_DATE_SIZE];
	struct buf b;
	size_t i;

	buf_init(&b);
	buf_addstr(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	               "<rss version=\"2.0\" "
	               "xmlns:atom=\"http://www.w3.org/2005/Atom\">\n"
	               "<channel>\n<title>");
	status_feed_title(&b, m);
	buf_addstr(&b, "</title>\n<link>");
	status_text_esc(&b, m->url[0] != '\0' ? m->url : "index.html");
	buf_addstr(&b, "</link>\n");
	if (m->url[0] != '\0') {
		buf_addstr(&b, "<atom:link href=\"");
		status_text_esc(&b, m->url);
		buf_addstr(&b, "history.rss\" rel=\"self\" "
		               "type=\"application/rss+xml\"/>\n");
	}
	buf_addstr(&b, "<description>Incidents reported on the ");
	status_text_esc(&b, m->name);
	buf_addstr(&b, " status page</description>\n<language>en</language>\n");
	status_text_rfc822(d, m->updated_ms != 0 ? m->updated_ms : m->now_ms);
	buf_printf(&b, "<lastBuildDate>%s</lastBuildDate>\n", d);
	for (i = 0; i < status_feed_count(m); i++) {
		const struct status_incident *inc = &m->incs[i];
		char *html = status_feed_html(inc);
		buf_addstr(&b, "<item>\n<title>");
		status_text_esc(&b, inc->name);
		buf_addstr(&b, "</title>\n<description>");
		status_text_esc(&b, html);
		free(html);
		status_text_rfc822(d, inc->created_ms);
		buf_printf(&b, "</description>\n<pubDate>%s</pubDate>\n<link>",
		           d);
		status_feed_link(&b, m, inc);
		buf_addstr(&b,
		           "</link>\n<guid isPermaLink=\"false\">incident-");
		status_text_esc(&b, inc->id);
		buf_addstr(&b, "</guid>\n</item>\n");
	}
	buf_addstr(&b, "</channel>\n</rss>\n");
	return buf_steal(&b, len);
}

char *
status_feed_atom(const struct status_model *m, size_t *len)
{
	char d[STATUS_TEXT_DATE_SIZE];
	struct buf b;
	size_t i;

	buf_init(&b);
	buf_addstr(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	               "<feed xmlns=\"http://www.w3.org/2005/Atom\" "
	               "xml:lang=\"en\">\n<id>urn:swerve:status:");
	status_text_esc(&b, m->page_id);
	buf_addstr(&b, "</id>\n<title>");
	status_feed_title(&b, m);
	status_text_rfc3339(d, m->updated_ms != 0 ? m->updated_ms : m->now_ms);
	buf_printf(&b, "</title>\n<updated>%s</updated>\n<author><name>", d);
	status_text_esc(&b, m->name);
	buf_addstr(&b, "</name></author>\n<link rel=\"alternate\" "
	               "type=\"text/html\" href=\"");
	status_text_esc(&b, m->url[0] != '\0' ? m->url : "index.html");
	buf_addstr(&b, "\"/>\n");
	if (m->url[0] != '\0') {
		buf_addstr(&b, "<link rel=\"self\" "
		               "type=\"application/atom+xml\" href=\"");
		status_text_esc(&b, m->url);
		buf_addstr(&b, "history.atom\"/>\n");
	}
	for (i = 0; i < status_feed_count(m); i++) {
		const struct status_incident *inc = &m->incs[i];
		char *html = status_feed_html(inc);
		buf_addstr(&b, "<entry>\n<id>urn:swerve:status:");
		status_text_esc(&b, m->page_id);
		buf_addstr(&b, ":incident:");
		status_text_esc(&b, inc->id);
		buf_addstr(&b, "</id>\n<title>");
		status_text_esc(&b, inc->name);
		status_text_rfc3339(d, inc->created_ms);
		buf_printf(&b, "</title>\n<published>%s</published>\n", d);
		status_text_rfc3339(d, inc->updated_ms);
		buf_printf(&b,
		           "<updated>%s</updated>\n"
		           "<link rel=\"alternate\" type=\"text/html\" "
		           "href=\"",
		           d);
		status_feed_link(&b, m, inc);
		buf_addstr(&b, "\"/>\n<content type=\"html\">");
		status_text_esc(&b, html);
		free(html);
		buf_addstr(&b, "</content>\n</entry>\n");
	}
	buf_addstr(&b, "</feed>\n");
	return buf_steal(&b, len);
}
