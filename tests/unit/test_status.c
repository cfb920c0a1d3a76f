/*
 * test_status.c - the public status page's renderers over a hand-built
 * model: Statuspage JSON (field names, vocabularies, and swerve's own
 * poller parser reading it), HTML (accessible structure, no external
 * resources, hostile incident text escaped), RSS and Atom (well-formed,
 * hostile text stays text), the 90-day history, dates and cleaning.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "config/config.h"
#include "deliver/deliver.h"
#include "incident/incident.h"
#include "route/statuspage.h"
#include "status/status_export.h"
#include "status/status_feed.h"
#include "status/status_html.h"
#include "status/status_json.h"
#include "status/status_live.h"
#include "status/status_model.h"
#include "status/status_site.h"
#include "status/status_text.h"

/* 2030-01-02T03:04:05Z, a Wednesday. */
#define NOW 1893553445000LL
#define HOUR (3600LL * 1000)

#define HOSTILE_TITLE "<script>alert(1)</script> & \"quotes\" 'too'"
#define HOSTILE_BODY "</p><img src=x onerror=alert(2)>]]><!-- \x01 \xff"

/* build - two components, an open incident with hostile text on the
 * first, a resolved one three days ago on the second. */
static void
build(struct status_model *m, enum status_impact impact)
{
	struct status_incident *inc;
	size_t a, b;

	status_model_init(m, "Example Mail", "https://status.example.com", NOW);
	a = status_model_component_add(
	    m, "transactional", "Password reset emails", NULL,
	    STATUS_COMP_OPERATIONAL, NOW - 100 * HOUR, 0);
	b = status_model_component_add(
	    m, "bulk", "Newsletters", "Marketing <b>mail</b>",
	    STATUS_COMP_OPERATIONAL, NOW - 100 * HOUR, 0);
	inc = status_model_incident_add(m, "old1", "Slow newsletters",
	                                STATUS_PHASE_RESOLVED,
	                                STATUS_IMPACT_MINOR, NOW - 72 * HOUR);
	inc->resolved_ms = NOW - 70 * HOUR;
	status_model_incident_comp(inc, b);
	status_model_update_add(inc, "u1", NOW - 72 * HOUR,
	                        STATUS_PHASE_INVESTIGATING, "Looking");
	status_model_update_add(inc, "u2", NOW - 70 * HOUR,
	                        STATUS_PHASE_RESOLVED, "Fixed");
	if (impact == STATUS_IMPACT_NONE)
		goto done;
	inc = status_model_incident_add(m, "new1", HOSTILE_TITLE,
	                                STATUS_PHASE_IDENTIFIED, impact,
	                                NOW - HOUR);
	status_model_incident_comp(inc, a);
	status_model_incident_comp(inc, a);
	status_model_update_add(inc, "u3", NOW - HOUR,
	                        STATUS_PHASE_INVESTIGATING, "First");
	status_model_update_add(inc, "u4", NOW - HOUR / 2,
	                        STATUS_PHASE_IDENTIFIED, HOSTILE_BODY);
done:
	status_model_finish(m);
}

static void
model_sorts_and_computes(void **state)
{
	struct status_model m;

	(void)state;
	build(&m, STATUS_IMPACT_MAJOR);
	assert_string_equal(m.url, "https://status.example.com/");
	assert_int_equal(m.n_incs, 2);
	assert_string_equal(m.incs[0].id, "new1"); /* newest first */
	assert_int_equal(m.incs[0].n_comps, 1);    /* added once */
	assert_string_equal(m.incs[0].updates[0].id, "u4");
	assert_true(m.incs[0].updated_ms == NOW - HOUR / 2);
	assert_true(m.updated_ms == NOW - HOUR / 2);
	assert_int_equal(status_model_unresolved(&m), 1);
	assert_int_equal(status_model_indicator(&m), STATUS_IND_MAJOR);
	/* History: today partial_outage on the first component (major
	 * impact), three days ago degraded on the second, else fine. */
	assert_int_equal(m.comps[0].history[STATUS_HISTORY_DAYS - 1],
	                 STATUS_COMP_PARTIAL);
	assert_int_equal(m.comps[0].history[STATUS_HISTORY_DAYS - 2],
	                 STATUS_COMP_OPERATIONAL);
	assert_int_equal(m.comps[1].history[STATUS_HISTORY_DAYS - 4],
	                 STATUS_COMP_DEGRADED);
	assert_int_equal(m.comps[1].history[STATUS_HISTORY_DAYS - 1],
	                 STATUS_COMP_OPERATIONAL);
	/* Cleaned on the way in: the control byte and the bad octet. */
	assert_non_null(
	    strstr(m.incs[0].updates[0].body, "\xef\xbf\xbd \xef\xbf\xbd"));
	status_model_fini(&m);

	build(&m, STATUS_IMPACT_NONE);
	assert_int_equal(status_model_indicator(&m), STATUS_IND_NONE);
	m.comps[1].status = STATUS_COMP_DEGRADED;
	assert_int_equal(status_model_indicator(&m), STATUS_IND_MINOR);
	m.comps[0].status = STATUS_COMP_MAJOR;
	assert_int_equal(status_model_indicator(&m), STATUS_IND_CRITICAL);
	m.comps[0].status = STATUS_COMP_MAINTENANCE;
	m.comps[1].status = STATUS_COMP_OPERATIONAL;
	assert_int_equal(status_model_indicator(&m), STATUS_IND_MAINTENANCE);
	status_model_fini(&m);
}

/* An incident older than the window does not reach the history. */
static void
history_window(void **state)
{
	struct status_model m;
	struct status_incident *inc;
	size_t a, d;

	(void)state;
	status_model_init(&m, "x", NULL, NOW);
	a = status_model_component_add(&m, "c", "C", NULL,
	                               STATUS_COMP_OPERATIONAL, 1, 0);
	inc = status_model_incident_add(&m, "i", "old", STATUS_PHASE_RESOLVED,
	                                STATUS_IMPACT_CRITICAL,
	                                NOW - 200 * 24 * HOUR);
	inc->resolved_ms = NOW - 91 * 24 * HOUR;
	status_model_incident_comp(inc, a);
	/* One spanning the window's first two days. */
	inc = status_model_incident_add(&m, "j", "long", STATUS_PHASE_RESOLVED,
	                                STATUS_IMPACT_CRITICAL,
	                                NOW - 95 * 24 * HOUR);
	inc->resolved_ms = NOW - 88 * 24 * HOUR;
	status_model_incident_comp(inc, a);
	status_model_finish(&m);
	assert_string_equal(m.url, "");
	for (d = 0; d < STATUS_HISTORY_DAYS; d++)
		assert_int_equal(m.comps[0].history[d],
		                 d <= 1 ? STATUS_COMP_MAJOR
		                        : STATUS_COMP_OPERATIONAL);
	status_model_fini(&m);
}

/* parse_json - the rendered document as JSON (asserts it parses). */
static json_t *
parse_json(const struct status_model *m, enum status_json_doc doc, char **text,
           size_t *len)
{
	json_error_t je;
	json_t *j;

	*text = status_json_render(m, doc, len);
	assert_int_equal(strlen(*text), *len);
	j = json_loadb(*text, *len, 0, &je);
	assert_non_null(j);
	return j;
}

static void
json_statuspage_shapes(void **state)
{
	static const char *const comp_keys[] = {"id",
	                                        "name",
	                                        "status",
	                                        "created_at",
	                                        "updated_at",
	                                        "position",
	                                        "description",
	                                        "showcase",
	                                        "start_date",
	                                        "group_id",
	                                        "page_id",
	                                        "group",
	                                        "only_show_if_degraded"};
	static const char *const inc_keys[] = {
	    "id",         "name",          "status",      "created_at",
	    "updated_at", "monitoring_at", "resolved_at", "impact",
	    "shortlink",  "started_at",    "page_id",     "incident_updates",
	    "components"};
	static const char *const upd_keys[] = {"id",
	                                       "status",
	                                       "body",
	                                       "incident_id",
	                                       "created_at",
	                                       "updated_at",
	                                       "display_at",
	                                       "affected_components",
	                                       "deliver_notifications",
	                                       "custom_tweet",
	                                       "tweet_id"};
	struct status_model m;
	json_t *j, *c, *inc;
	char *text;
	size_t len, i;

	(void)state;
	build(&m, STATUS_IMPACT_CRITICAL);
	j = parse_json(&m, STATUS_JSON_SUMMARY, &text, &len);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(j, "page"), "time_zone")),
	                    "Etc/UTC");
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(j, "page"), "updated_at")),
	                    "2030-01-02T02:34:05.000Z");
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(j, "status"), "indicator")),
	                    "critical");
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(j, "status"), "description")),
	                    "Major System Outage");
	assert_true(
	    json_is_array(json_object_get(j, "scheduled_maintenances")));
	c = json_array_get(json_object_get(j, "components"), 1);
	for (i = 0; i < sizeof(comp_keys) / sizeof(comp_keys[0]); i++)
		assert_non_null(json_object_get(c, comp_keys[i]));
	assert_int_equal(json_object_size(c), 13);
	assert_string_equal(json_string_value(json_object_get(c, "status")),
	                    "operational");
	assert_int_equal(json_integer_value(json_object_get(c, "position")), 2);
	/* summary carries only the unresolved incident */
	assert_int_equal(json_array_size(json_object_get(j, "incidents")), 1);
	inc = json_array_get(json_object_get(j, "incidents"), 0);
	for (i = 0; i < sizeof(inc_keys) / sizeof(inc_keys[0]); i++)
		assert_non_null(json_object_get(inc, inc_keys[i]));
	assert_string_equal(json_string_value(json_object_get(inc, "name")),
	                    HOSTILE_TITLE); /* JSON keeps the text as text */
	assert_string_equal(json_string_value(json_object_get(inc, "impact")),
	                    "critical");
	assert_string_equal(json_string_value(json_object_get(inc, "status")),
	                    "identified");
	assert_true(json_is_null(json_object_get(inc, "resolved_at")));
	assert_string_equal(
	    json_string_value(json_object_get(inc, "shortlink")),
	    "https://status.example.com/#incident-new1");
	c = json_array_get(json_object_get(inc, "incident_updates"), 0);
	for (i = 0; i < sizeof(upd_keys) / sizeof(upd_keys[0]); i++)
		assert_non_null(json_object_get(c, upd_keys[i]));
	assert_string_equal(json_string_value(json_object_get(c, "status")),
	                    "identified");
	assert_string_equal(
	    json_string_value(json_object_get(c, "incident_id")), "new1");
	json_decref(j);
	free(text);

	j = parse_json(&m, STATUS_JSON_INCIDENTS, &text, &len);
	assert_int_equal(json_array_size(json_object_get(j, "incidents")), 2);
	inc = json_array_get(json_object_get(j, "incidents"), 1);
	assert_string_equal(
	    json_string_value(json_object_get(inc, "resolved_at")),
	    "2029-12-30T05:04:05.000Z");
	assert_string_equal(json_string_value(json_object_get(inc, "status")),
	                    "resolved");
	json_decref(j);
	free(text);

	j = parse_json(&m, STATUS_JSON_UNRESOLVED, &text, &len);
	assert_int_equal(json_array_size(json_object_get(j, "incidents")), 1);
	json_decref(j);
	free(text);
	j = parse_json(&m, STATUS_JSON_STATUS, &text, &len);
	assert_int_equal(json_object_size(j), 2);
	json_decref(j);
	free(text);
	j = parse_json(&m, STATUS_JSON_COMPONENTS, &text, &len);
	assert_int_equal(json_array_size(json_object_get(j, "components")), 2);
	json_decref(j);
	free(text);
	status_model_fini(&m);
}

/* What swerve's own poller (route/statuspage.h) makes of each document. */
static void
json_read_by_own_poller(void **state)
{
	static const struct {
		enum status_impact impact;
		enum status_level level;
	} cases[] = {
	    {STATUS_IMPACT_NONE, STATUS_OK},
	    {STATUS_IMPACT_MINOR, STATUS_MINOR},
	    {STATUS_IMPACT_MAJOR, STATUS_MAJOR},
	    {STATUS_IMPACT_CRITICAL, STATUS_CRITICAL},
	};
	const char *names[] = {"Password reset emails"};
	struct status_report r;
	struct status_model m;
	char err[256], *text;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		build(&m, cases[i].impact);
		text = status_json_render(&m, STATUS_JSON_STATUS, &len);
		assert_int_equal(statuspage_parse(NULL, text, len, NULL, 0, &r,
		                                  err, sizeof(err)),
		                 0);
		assert_int_equal(r.level, cases[i].level);
		free(text);
		text = status_json_render(&m, STATUS_JSON_SUMMARY, &len);
		assert_int_equal(statuspage_parse("application/json", text, len,
		                                  NULL, 0, &r, err,
		                                  sizeof(err)),
		                 0);
		assert_int_equal(r.level, cases[i].level);
		free(text);
		status_model_fini(&m);
	}
	/* By component: the model's component status is what counts. */
	build(&m, STATUS_IMPACT_NONE);
	m.comps[0].status = STATUS_COMP_PARTIAL;
	text = status_json_render(&m, STATUS_JSON_COMPONENTS, &len);
	assert_int_equal(
	    statuspage_parse(NULL, text, len, names, 1, &r, err, sizeof(err)),
	    0);
	assert_int_equal(r.level, STATUS_MAJOR);
	free(text);
	status_model_fini(&m);
}

static void
html_accessible_and_escaped(void **state)
{
	struct status_model m;
	size_t len;
	char *h;

	(void)state;
	build(&m, STATUS_IMPACT_MAJOR);
	h = status_html_render(&m, &len);
	assert_int_equal(strlen(h), len);
	assert_true(strncmp(h, "<!DOCTYPE html>\n<html lang=\"en\">", 32) == 0);
	/* structure */
	assert_non_null(strstr(h, "<main>"));
	assert_non_null(strstr(h, "<h1>Example Mail</h1>"));
	assert_non_null(strstr(h, "<article id=\"incident-new1\""));
	assert_non_null(strstr(h, "<time datetime=\"2030-01-02T02:04:05.000Z\">"
	                          "2 Jan 2030, 02:04 UTC</time>"));
	assert_non_null(strstr(h, "Impact: major. Started <time"));
	assert_non_null(
	    strstr(h, "</time>. Affects: Password reset emails.</p>"));
	/* words, not only colour */
	assert_non_null(strstr(h, "Partial System Outage</h2>"));
	assert_non_null(strstr(h, "Password reset emails</span> <span "
	                          "class=\"st st-operational\">"));
	assert_non_null(strstr(h, "89 of 90 days operational; 2030-01-02 "
	                          "Partial outage."));
	assert_non_null(strstr(h, "89 of 90 days operational; 2029-12-30 "
	                          "Degraded performance."));
	/* hostile text is text */
	assert_null(strstr(h, "<script"));
	assert_null(strstr(h, "<img"));
	assert_null(strstr(h, "<b>"));
	assert_non_null(strstr(h, "&lt;script&gt;alert(1)&lt;/script&gt; "
	                          "&amp; &quot;quotes&quot; &#39;too&#39;"));
	assert_non_null(strstr(h, "&lt;/p&gt;&lt;img src=x "
	                          "onerror=alert(2)&gt;]]&gt;&lt;!--"));
	/* nothing external: no scheme, no src, no script */
	assert_null(strstr(h, "://"));
	assert_null(strstr(h, "src=\""));
	assert_null(strstr(h, "href=\"//"));
	assert_null(strstr(h, "@import"));
	assert_null(strstr(h, "url("));
	free(h);
	status_model_fini(&m);

	build(&m, STATUS_IMPACT_NONE);
	h = status_html_render(&m, &len);
	assert_non_null(strstr(h, "All Systems Operational</h2>"));
	assert_non_null(strstr(h, "<p>No active incidents.</p>"));
	free(h);
	status_model_fini(&m);
}

/* xml_text - text of the first element named name under node (deep). */
static xmlNode *
xml_find(xmlNode *n, const char *name)
{
	for (; n != NULL; n = n->next) {
		xmlNode *f;
		if (n->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)n->name, name) == 0)
			return n;
		if ((f = xml_find(n->children, name)) != NULL)
			return f;
	}
	return NULL;
}

/* xml_check - body is well-formed; the first element named item/entry
 * has a title whose text is exactly the hostile title, and no element
 * named script or img exists. */
static void
xml_check(const char *body, size_t len, const char *item)
{
	xmlDoc *doc = xmlReadMemory(body, (int)len, "feed.xml", NULL,
	                            XML_PARSE_NONET | XML_PARSE_NOERROR |
	                                XML_PARSE_NOWARNING);
	xmlNode *root, *it, *title;
	xmlChar *text;

	assert_non_null(doc);
	root = xmlDocGetRootElement(doc);
	it = xml_find(root, item);
	assert_non_null(it);
	title = xml_find(it->children, "title");
	assert_non_null(title);
	text = xmlNodeGetContent(title);
	assert_string_equal((const char *)text, HOSTILE_TITLE);
	xmlFree(text);
	assert_null(xml_find(root, "script"));
	assert_null(xml_find(root, "img"));
	xmlFreeDoc(doc);
}

static void
feeds_well_formed_and_escaped(void **state)
{
	struct status_model m;
	size_t len;
	char *f;

	(void)state;
	build(&m, STATUS_IMPACT_MAJOR);
	f = status_feed_rss(&m, &len);
	assert_int_equal(strlen(f), len);
	xml_check(f, len, "item");
	assert_non_null(strstr(f, "<pubDate>Wed, 02 Jan 2030 02:04:05 +0000"
	                          "</pubDate>"));
	assert_non_null(strstr(f, "<guid isPermaLink=\"false\">incident-new1"
	                          "</guid>"));
	assert_non_null(strstr(f, "<link>https://status.example.com/"
	                          "#incident-new1</link>"));
	/* the update's HTML is escaped twice: once as HTML, once as XML */
	assert_non_null(strstr(f, "&amp;lt;/p&amp;gt;&amp;lt;img"));
	free(f);
	f = status_feed_atom(&m, &len);
	xml_check(f, len, "entry");
	assert_non_null(strstr(f, "<id>urn:swerve:status:"));
	assert_non_null(strstr(f, "<published>2030-01-02T02:04:05.000Z"
	                          "</published>"));
	assert_non_null(strstr(f, "<updated>2030-01-02T02:34:05.000Z"
	                          "</updated>"));
	free(f);
	status_model_fini(&m);
}

static void
site_files(void **state)
{
	struct status_model m;
	const struct status_site_file *fs, *f;
	size_t n, i, len;
	char *body;

	(void)state;
	fs = status_site_files(&n);
	assert_int_equal(n, 11);
	assert_ptr_equal(status_site_find("/"), &fs[0]);
	assert_ptr_equal(status_site_find(""), &fs[0]);
	assert_ptr_equal(status_site_find("/index.html"), &fs[0]);
	f = status_site_find("/api/v2/incidents/unresolved.json");
	assert_non_null(f);
	assert_string_equal(f->content_type, "application/json; charset=utf-8");
	assert_null(status_site_find("/api/v2/nope.json"));
	assert_null(status_site_find("/../etc/passwd"));
	build(&m, STATUS_IMPACT_MINOR);
	for (i = 0; i < n; i++) {
		body = status_site_render(&m, &fs[i], &len);
		assert_true(len > 0);
		assert_int_equal(strlen(body), len);
		free(body);
	}
	body = status_site_render(&m, status_site_find("history.rss"), &len);
	assert_true(strncmp(body, "<?xml", 5) == 0);
	free(body);
	status_model_fini(&m);
}

static void
text_dates_and_cleaning(void **state)
{
	char d[STATUS_TEXT_DATE_SIZE], *c;

	(void)state;
	status_text_rfc3339(d, NOW + 7);
	assert_string_equal(d, "2030-01-02T03:04:05.007Z");
	status_text_rfc822(d, NOW);
	assert_string_equal(d, "Wed, 02 Jan 2030 03:04:05 +0000");
	status_text_rfc822(d, 0);
	assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 +0000");
	status_text_rfc3339(d, 951782400000LL); /* leap day 2000 */
	assert_string_equal(d, "2000-02-29T00:00:00.000Z");
	status_text_human(d, NOW);
	assert_string_equal(d, "2 Jan 2030, 03:04 UTC");
	status_text_day(d, NOW);
	assert_string_equal(d, "2030-01-02");

	c = status_text_clean("ok \xc3\xa9 \xe2\x82\xac a\r\nb\rc\td");
	assert_string_equal(c, "ok \xc3\xa9 \xe2\x82\xac a\nb\nc\td");
	free(c);
	/* overlong, surrogate, truncated, C1, NUL-free controls */
	c = status_text_clean("\xc0\xaf|\xed\xa0\x80|\xe2\x82|\xc2\x85|\x1b");
	assert_string_equal(c, "\xef\xbf\xbd\xef\xbf\xbd|"
	                       "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|"
	                       "\xef\xbf\xbd\xef\xbf\xbd|"
	                       "\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd");
	free(c);
	c = status_text_clean(NULL);
	assert_string_equal(c, "");
	free(c);
}

/* A configuration with two providers and three streams. */
static const char live_yaml[] =
    "providers:\n"
    "  - {name: ses-primary, type: smtp, host: 127.0.0.1, port: 2525}\n"
    "  - {name: backup, type: smtp, host: 127.0.0.1, port: 2526}\n"
    "streams:\n"
    "  critical: {providers: [ses-primary]}\n"
    "  transactional: {}\n"
    "  bulk: {providers: [backup]}\n"
    "public_status:\n"
    "  title: Example Mail\n"
    "  streams:\n"
    "    transactional: {name: Password reset emails, description: "
    "Sign-in links}\n"
    "    critical: {name: Alerts}\n";

static struct config *
live_config(const char *extra)
{
	char err[512], text[2048];
	struct config *c;

	snprintf(text, sizeof(text), "%s%s", live_yaml, extra);
	c = config_load_buf(text, strlen(text), "t.yaml", err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	return c;
}

static void
live_components_and_incidents(void **state)
{
	static const char *const provs_a[] = {"ses-primary"};
	struct incident_update ups[] = {
	    {NOW - HOUR, "alert",
	     "ses-primary: circuit open (ses-primary2 "
	     "fine)",
	     INCIDENT_INVESTIGATING, 1, "swerve"},
	    {NOW - HOUR + 1, "circuit", "internal: backup took over",
	     INCIDENT_INVESTIGATING, 0, "swerve"},
	    {NOW - HOUR + 2, "status", "moving to monitoring",
	     INCIDENT_MONITORING, 1, "swerve"},
	};
	struct incident_info incs[2];
	struct deliver_provider_info pi[2];
	struct status_live_facts f;
	struct status_model m;
	struct config *c = live_config("");
	char *json;

	(void)state;
	memset(incs, 0, sizeof(incs));
	memset(pi, 0, sizeof(pi));
	pi[0].mode = "open";
	pi[1].mode = "closed";
	incs[0] = (struct incident_info){.id = "inc_a",
	                                 .title = "Delays: ses-primary down",
	                                 .status = INCIDENT_MONITORING,
	                                 .impact = IMPACT_MAJOR,
	                                 .started_ms = NOW - HOUR,
	                                 .updated_ms = NOW - HOUR + 2,
	                                 .providers = provs_a,
	                                 .n_providers = 1,
	                                 .updates = ups,
	                                 .n_updates = 3};
	incs[1] = (struct incident_info){.id = "inc_drill",
	                                 .title = "drill",
	                                 .drill = 1,
	                                 .status = INCIDENT_INVESTIGATING,
	                                 .impact = IMPACT_CRITICAL,
	                                 .started_ms = NOW - HOUR / 2,
	                                 .updated_ms = NOW - HOUR / 2};
	memset(&f, 0, sizeof(f));
	f.cfg = c;
	f.now_ms = NOW;
	f.started_ms = NOW - 10 * HOUR;
	f.provs = pi;
	f.n_provs = 2;
	f.incs = incs;
	f.n_incs = 2;
	status_live_build(&m, &f);
	assert_string_equal(m.name, "Example Mail");
	/* public_status.streams: only those, in that order */
	assert_int_equal(m.n_comps, 2);
	assert_string_equal(m.comps[0].name, "Password reset emails");
	assert_string_equal(m.comps[0].description, "Sign-in links");
	assert_string_equal(m.comps[0].id, "stream-transactional");
	assert_string_equal(m.comps[1].name, "Alerts");
	/* transactional: one provider open, backup fine -> degraded by
	 * health, partial by the major incident (its providers) */
	assert_int_equal(m.comps[0].status, STATUS_COMP_PARTIAL);
	/* critical: its only provider is open -> major outage */
	assert_int_equal(m.comps[1].status, STATUS_COMP_MAJOR);
	assert_true(m.comps[1].updated_ms == NOW - HOUR + 2);
	/* the drill incident is hidden; the other one has its public
	 * updates only, provider names scrubbed */
	assert_int_equal(m.n_incs, 1);
	assert_string_equal(m.incs[0].name, "Delays: an email provider down");
	assert_int_equal(m.incs[0].phase, STATUS_PHASE_MONITORING);
	assert_true(m.incs[0].monitoring_ms == NOW - HOUR + 2);
	assert_int_equal(m.incs[0].n_updates, 2);
	assert_string_equal(m.incs[0].updates[1].body,
	                    "an email provider: circuit open (ses-primary2 "
	                    "fine)");
	assert_int_equal(m.incs[0].n_comps, 2);
	json = status_json_render(&m, STATUS_JSON_SUMMARY, NULL);
	assert_null(strstr(json, "ses-primary\""));
	assert_null(strstr(json, "backup"));
	assert_null(strstr(json, "internal"));
	free(json);
	status_model_fini(&m);

	/* A drill simulating the outage: the page shows no trace of it
	 * (the drill's incident is hidden, the provider counts as healthy). */
	{
		const unsigned char drilled[2] = {1, 0};
		f.drilled = drilled;
		f.incs = &incs[1];
		f.n_incs = 1;
		status_live_build(&m, &f);
		assert_int_equal(m.comps[0].status, STATUS_COMP_OPERATIONAL);
		assert_int_equal(m.comps[1].status, STATUS_COMP_OPERATIONAL);
		assert_int_equal(m.n_incs, 0);
		status_model_fini(&m);
		f.drilled = NULL;
		f.incs = incs;
		f.n_incs = 2;
	}

	/* All healthy, no incidents: operational. */
	pi[0].mode = "closed";
	f.n_incs = 0;
	status_live_build(&m, &f);
	assert_int_equal(m.comps[0].status, STATUS_COMP_OPERATIONAL);
	assert_int_equal(m.comps[1].status, STATUS_COMP_OPERATIONAL);
	assert_int_equal(status_model_indicator(&m), STATUS_IND_NONE);
	assert_true(m.updated_ms == NOW - 10 * HOUR);
	status_model_fini(&m);
	config_free(c);

	/* Providers shown, drills shown, default streams (every one). */
	c = live_config("  show_providers: true\n  show_drills: true\n"
	                "  providers:\n    backup: {name: Partner B}\n");
	f.cfg = c;
	f.n_incs = 2;
	pi[0].mode = "paused";
	status_live_build(&m, &f);
	assert_int_equal(m.n_comps, 4);
	assert_string_equal(m.comps[2].name, "Provider 1");
	assert_string_equal(m.comps[2].id, "provider-1");
	assert_int_equal(m.comps[2].status, STATUS_COMP_PARTIAL);
	assert_string_equal(m.comps[3].name, "Partner B");
	assert_int_equal(m.comps[3].status, STATUS_COMP_OPERATIONAL);
	assert_int_equal(m.n_incs, 2);
	assert_string_equal(m.incs[1].name, "Delays: Provider 1 down");
	status_model_fini(&m);
	config_free(c);
}

static void
live_scrub_whole_names(void **state)
{
	struct config *c = live_config("");
	char *s;

	(void)state;
	s = status_live_scrub(c, "ses-primary, xses-primary, ses-primary.x "
	                         "backup-2 backup");
	assert_string_equal(s, "an email provider, xses-primary, "
	                       "ses-primary.x backup-2 an email provider");
	free(s);
	s = status_live_scrub(c, NULL);
	assert_string_equal(s, "");
	free(s);
	config_free(c);
}

static void
config_public_status(void **state)
{
	static const struct {
		const char *yaml, *want;
	} bad[] = {
	    {"public_status:\n  url: ftp://x/\n",
	     "t.yaml:2: public_status.url: expected an http:// or https:// "
	     "URL"},
	    {"public_status:\n  streams:\n    nope: {name: X}\n",
	     "t.yaml:2: public_status.streams: no stream named \"nope\""},
	    {"public_status:\n  providers:\n    nope: {name: X}\n",
	     "t.yaml:2: public_status.providers: no provider named \"nope\""},
	    {"public_status:\n  show_providers: maybe\n", NULL},
	    {"public_status:\n  titel: x\n", NULL},
	    {"listen:\n  status: nope\n", NULL},
	};
	char err[512];
	struct config *c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = config_load_buf(bad[i].yaml, strlen(bad[i].yaml), "t.yaml",
		                    err, sizeof(err));
		if (c != NULL)
			fail_msg("loaded: %s", bad[i].yaml);
		if (bad[i].want != NULL)
			assert_string_equal(err, bad[i].want);
	}
	c = live_config("  url: https://status.example.com\n  on_http: true\n");
	assert_true(c->public_status.on_http);
	assert_false(c->public_status.show_providers);
	assert_false(c->public_status.show_drills);
	assert_string_equal(c->public_status.url, "https://status.example.com");
	assert_int_equal(c->public_status.n_streams, 2);
	assert_string_equal(c->public_status.streams[1].id, "critical");
	assert_null(c->public_status.streams[1].description);
	config_free(c);
	c = config_load_buf("listen:\n  status: 127.0.0.1:2590\n", 32, "t.yaml",
	                    err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(c->n_listen_status, 1);
	assert_int_equal(c->listen_status[0].port, 2590);
	config_free(c);
}

/* export_doc - an export response with the given files array. */
static int
export_parse(const char *json, char *err, size_t errlen)
{
	struct status_export_file *f;
	size_t n;
	int rc = status_export_parse(json, strlen(json), &f, &n, err, errlen);

	if (rc == 0)
		status_export_free(f, n);
	else
		assert_null(f);
	return rc;
}

static void
export_parse_strict(void **state)
{
	struct status_model m;
	const struct status_site_file *fs;
	struct status_export_file *f;
	json_t *root, *files;
	char err[256], *text, *good;
	size_t n, i, len;
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{}",
	    "{\"files\":{}}",
	    "{\"files\":[1]}",
	    "{\"files\":[{\"path\":\"index.html\"}]}",
	    "{\"files\":[{\"path\":\"index.html\",\"body\":\"x\"}]}",
	    "{\"files\":[{\"path\":\"../etc/passwd\",\"body\":\"x\"}]}",
	    "{\"files\":[{\"path\":\"/index.html\",\"body\":\"x\"}]}",
	    "{\"files\":[{\"path\":\"\",\"body\":\"x\"}]}",
	    "{\"files\":[{\"path\":\"index.html\\u0000x\",\"body\":\"x\"}]}",
	    "{\"files\":[{\"path\":\"index.html\",\"body\":\"x\"},"
	    "{\"path\":\"index.html\",\"body\":\"x\"}]}",
	};

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (export_parse(bad[i], err, sizeof(err)) == 0)
			fail_msg("accepted: %s", bad[i]);
		assert_true(strncmp(err, "export: ", 8) == 0);
	}
	/* A complete one: every file, in any order. */
	build(&m, STATUS_IMPACT_MINOR);
	fs = status_site_files(&n);
	root = json_object();
	files = json_array();
	for (i = n; i-- > 0;) {
		char *body = status_site_render(&m, &fs[i], &len);
		json_t *o = json_object();
		json_object_set_new(o, "path", json_string(fs[i].path));
		json_object_set_new(o, "body", json_stringn(body, len));
		json_array_append_new(files, o);
		free(body);
	}
	json_object_set_new(root, "files", files);
	good = json_dumps(root, 0);
	json_decref(root);
	assert_int_equal(
	    status_export_parse(good, strlen(good), &f, &n, err, sizeof(err)),
	    0);
	assert_ptr_equal(f[0].file, &fs[0]);
	text = status_html_render(&m, &len);
	assert_int_equal(f[0].len, len);
	assert_memory_equal(f[0].body, text, len);
	free(text);
	status_export_free(f, n);
	/* one missing */
	root = json_loads(good, 0, NULL);
	json_array_remove(json_object_get(root, "files"), 2);
	free(good);
	good = json_dumps(root, 0);
	json_decref(root);
	assert_int_equal(export_parse(good, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is missing"));
	free(good);
	status_model_fini(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(model_sorts_and_computes),
	    cmocka_unit_test(history_window),
	    cmocka_unit_test(json_statuspage_shapes),
	    cmocka_unit_test(json_read_by_own_poller),
	    cmocka_unit_test(html_accessible_and_escaped),
	    cmocka_unit_test(feeds_well_formed_and_escaped),
	    cmocka_unit_test(site_files),
	    cmocka_unit_test(text_dates_and_cleaning),
	    cmocka_unit_test(live_components_and_incidents),
	    cmocka_unit_test(live_scrub_whole_names),
	    cmocka_unit_test(config_public_status),
	    cmocka_unit_test(export_parse_strict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
