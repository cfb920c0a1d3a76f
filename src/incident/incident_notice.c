/*
 * incident_notice.c - the shipped notice templates and their data
 * (incident_notice.h), rendered by tmpl (Mustache).
 */
#include "incident/incident_notice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "incident/incident_report.h"
#include "tmpl/tmpl.h"
#include "tmpl/tmpl_store.h"

/* One shipped notice: subject, text body, HTML body (Mustache). */
struct notice_tmpl {
	const char *name, *subject, *text, *html;
};

/* Sentences the text and HTML forms share (Mustache partials). */
static const struct {
	const char *name, *src;
} notice_partials[] = {
    {"streams", "{{#streams_text}}{{streams_text}} {{/streams_text}}"},
    {"delays_words",
     "Since {{started_at}} some of our {{> streams}}email is "
     "delayed.{{#expected_delay}} Messages currently arrive up to "
     "{{expected_delay}} late.{{/expected_delay}} Delayed messages are "
     "kept and will be delivered: none has been lost."},
    {"resolved_words",
     "The delays sending {{> streams}}email that began at {{started_at}} "
     "are over since {{resolved_at}} ({{duration}}). Every delayed "
     "message has been delivered{{#failed}} except {{failed}} that could "
     "not be{{/failed}}."},
    {"internal_head",
     "Status {{status}}, impact {{impact}}, since {{started_at}}"
     "{{#resolved}}, resolved {{resolved_at}} ({{duration}}){{/resolved}}."},
    {"internal_figures",
     "Messages affected {{affected}}, failed {{failed}}, lost {{lost}}"
     "{{#expected_delay}}, delay up to {{expected_delay}}"
     "{{/expected_delay}}."},
    {"status_words",
     "{{#resolved}}This incident has been resolved: {{> streams}}email "
     "is delivered normally again.{{/resolved}}"
     "{{^resolved}}We are seeing delays sending {{> streams}}email since "
     "{{started_at}}.{{#expected_delay}} Messages arrive up to "
     "{{expected_delay}} late.{{/expected_delay}} No email is lost; "
     "delayed messages will be delivered.{{/resolved}}"},
};

static const struct notice_tmpl notice_tmpls[] = {
    {"delays", "Delays sending {{> streams}}email",
     "Hello,\n\n{{> delays_words}}\n\nCurrent status: {{status}}.\n"
     "{{#updates}}\n- {{at}}: {{text}}{{/updates}}\n\n"
     "We will write again when this is resolved.\n",
     "<p>Hello,</p>\n<p>{{> delays_words}}</p>\n"
     "<p>Current status: <strong>{{status}}</strong>.</p>\n"
     "{{#updates.0}}<ul>\n{{/updates.0}}"
     "{{#updates}}<li>{{at}}: {{text}}</li>\n{{/updates}}"
     "{{#updates.0}}</ul>\n{{/updates.0}}"
     "<p>We will write again when this is resolved.</p>\n"},
    {"resolved", "Resolved: {{> streams}}email is back to normal",
     "Hello,\n\n{{> resolved_words}}\n"
     "{{#updates}}\n- {{at}}: {{text}}{{/updates}}\n\n"
     "Thank you for your patience.\n",
     "<p>Hello,</p>\n<p>{{> resolved_words}}</p>\n"
     "{{#updates}}<p>{{at}}: {{text}}</p>\n{{/updates}}"
     "<p>Thank you for your patience.</p>\n"},
    {"internal", "[incident {{id}}] {{status}}, impact {{impact}}: {{title}}",
     "Incident {{id}}: {{title}}\n{{> internal_head}}\n"
     "Providers: {{#providers}}{{.}} {{/providers}}\n"
     "Streams: {{#streams}}{{.}} {{/streams}}\n{{> internal_figures}}\n"
     "{{#actions.0}}\nWhat swerve did:\n{{/actions.0}}"
     "{{#actions}}- {{at}} {{text}}\n{{/actions}}"
     "\nTimeline:\n"
     "{{#timeline}}- {{at}} [{{kind}}] {{who}}: {{text}}\n{{/timeline}}",
     "<p>Incident <code>{{id}}</code>: {{title}}</p>\n"
     "<p>{{> internal_head}}</p>\n"
     "<p>Providers: {{#providers}}{{.}} {{/providers}}<br>\n"
     "Streams: {{#streams}}{{.}} {{/streams}}</p>\n"
     "<p>{{> internal_figures}}</p>\n"
     "<ul>\n{{#timeline}}<li>{{at}} [{{kind}}] {{who}}: {{text}}</li>\n"
     "{{/timeline}}</ul>\n"},
    {"status_page", "{{title}}: {{status}}", "{{> status_words}}\n",
     "<p>{{> status_words}}</p>\n"},
};

/* notice_partial - a shared sentence by name (tmpl_partial_fn). */
static int
notice_partial(void *arg, const char *name, const char **src, size_t *len)
{
	(void)arg;
	for (size_t i = 0;
	     i < sizeof(notice_partials) / sizeof(notice_partials[0]); i++)
		if (strcmp(notice_partials[i].name, name) == 0) {
			*src = notice_partials[i].src;
			*len = strlen(*src);
			return 0;
		}
	return -1;
}

#define NOTICE_N (sizeof(notice_tmpls) / sizeof(notice_tmpls[0]))

const char *const incident_notice_names[] = {"delays", "resolved", "internal",
                                             "status_page", NULL};

int
incident_notice_format_parse(const char *s)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "text") == 0)
		return NOTICE_TEXT;
	if (strcmp(s, "html") == 0)
		return NOTICE_HTML;
	if (strcmp(s, "slack") == 0)
		return NOTICE_SLACK;
	return -1;
}

/* notice_find - the shipped template name, or NULL. */
static const struct notice_tmpl *
notice_find(const char *name)
{
	for (size_t i = 0; name != NULL && i < NOTICE_N; i++)
		if (strcmp(notice_tmpls[i].name, name) == 0)
			return &notice_tmpls[i];
	return NULL;
}

/* notice_stored - an operator's notice template: the active version of
 * name in the daemon's template store, tenant "" (swervectl template
 * put NAME), or NULL. */
static const struct tmpl_store_entry *
notice_stored(const char *name)
{
	struct tmpl_store *st = tmpl_store_active();

	return st != NULL && name != NULL ? st->be->find(st->impl, "", name)
	                                  : NULL;
}

int
incident_notice_known(const char *name)
{
	return notice_find(name) != NULL || notice_stored(name) != NULL;
}

/* notice_render_stored - an operator's template e as fmt. */
static int
notice_render_stored(const struct tmpl_store_entry *e, const json_t *data,
                     const struct incident_info *ii,
                     enum incident_notice_format fmt, struct buf *subject,
                     struct buf *body, char *err, size_t errlen)
{
	struct tmpl_store_render_opts o = {
	    .escape = {TMPL_ESCAPE_NONE, TMPL_ESCAPE_HTML,
	               fmt == NOTICE_SLACK ? TMPL_ESCAPE_SLACK
	                                   : TMPL_ESCAPE_NONE}};
	enum tmpl_part want =
	    fmt == NOTICE_HTML ? TMPL_PART_HTML : TMPL_PART_TEXT;
	struct tmpl_rendered r = {0};
	enum tmpl_part bad;
	struct tmpl_error te;

	if (e->v.part[want] == NULL) {
		snprintf(err, errlen, "template '%s' has no %s part", e->v.name,
		         tmpl_part_name(want));
		return -1;
	}
	if (tmpl_store_render(e, data, &o, &r, &bad, &te) != 0) {
		snprintf(err, errlen, "template '%s': %s: %s", e->v.name,
		         tmpl_part_name(bad), te.msg);
		return -1;
	}
	if (r.part[TMPL_PART_SUBJECT] != NULL) {
		for (char *p = r.part[TMPL_PART_SUBJECT]; *p; p++)
			if (*p == '\r' || *p == '\n')
				*p = ' ';
		buf_addstr(subject, r.part[TMPL_PART_SUBJECT]);
	} else {
		buf_addstr(subject, ii->title);
	}
	buf_add(body, r.part[want], r.len[want]);
	tmpl_rendered_fini(&r);
	return 0;
}

/* human - "8 Dec 2026, 01:02 UTC". */
static json_t *
human(int64_t ms)
{
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr",
	                                  "May", "Jun", "Jul", "Aug",
	                                  "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char out[40];

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL)
		return json_string("");
	snprintf(out, sizeof(out), "%d %s %d, %02d:%02d UTC", tm.tm_mday,
	         mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min);
	return json_string(out);
}

/* minutes - "about N minutes" (at least a minute), "" for < 0. */
static json_t *
minutes(int64_t ms)
{
	char out[48];
	long long m = (ms + 59999) / 60000;

	if (ms < 0)
		return json_string("");
	if (m < 60)
		snprintf(out, sizeof(out), "%lld minute%s", m > 0 ? m : 1,
		         m > 1 ? "s" : "");
	else
		snprintf(out, sizeof(out), "%lld h %lld min", m / 60, m % 60);
	return json_string(out);
}

/* is_action - an entry swerve made by itself that changed where mail
 * goes. */
static int
is_action(const struct incident_update *u)
{
	return (u->who == NULL || strcmp(u->who, "swerve") == 0) &&
	       (strcmp(u->kind, "failover") == 0 ||
	        strcmp(u->kind, "traffic") == 0 ||
	        strcmp(u->kind, "failback") == 0 ||
	        strcmp(u->kind, "circuit") == 0);
}

json_t *
incident_notice_data(const struct incident_info *ii,
                     const struct incident_scope *s, int64_t now_ms)
{
	json_t *d = json_object(), *streams = json_array(),
	       *provs = json_array();
	json_t *ups = json_array(), *tl = json_array(), *acts = json_array();
	struct incident_facts f;
	char text[512] = "";
	size_t i;

	incident_report_facts(ii, now_ms, &f);
	for (i = 0; i < ii->n_streams; i++) {
		json_array_append_new(streams, json_string(ii->streams[i]));
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		         "%s%s",
		         i == 0                   ? ""
		         : i + 1 == ii->n_streams ? " and "
		                                  : ", ",
		         ii->streams[i]);
	}
	for (i = 0; i < ii->n_providers; i++)
		json_array_append_new(provs, json_string(ii->providers[i]));
	for (i = 0; i < ii->n_updates; i++) {
		const struct incident_update *u = &ii->updates[i];
		json_t *at = human(u->at_ms);
		json_t *e =
		    json_pack("{s:O,s:o,s:o,s:o}", "at", at, "kind",
		              incident_json_text(u->kind), "who",
		              incident_json_text(u->who ? u->who : "swerve"),
		              "text", incident_json_text(u->text));

		if (u->public_)
			json_array_append_new(
			    ups, json_pack("{s:O,s:o}", "at", at, "text",
			                   incident_json_text(u->text)));
		if (is_action(u))
			json_array_append(acts, e);
		json_array_append_new(tl, e);
		json_decref(at);
	}
	json_object_set_new(d, "id", json_string(ii->id));
	json_object_set_new(d, "title", json_string(ii->title));
	json_object_set_new(d, "status",
	                    json_string(incident_status_name(ii->status)));
	json_object_set_new(d, "impact",
	                    json_string(incident_impact_name(ii->impact)));
	json_object_set_new(d, "started_at", human(ii->started_ms));
	json_object_set_new(d, "resolved_at", human(ii->resolved_ms));
	json_object_set_new(d, "resolved",
	                    json_boolean(ii->status == INCIDENT_RESOLVED));
	json_object_set_new(d, "duration", minutes(f.duration));
	json_object_set_new(d, "streams", streams);
	json_object_set_new(d, "streams_text", json_string(text));
	json_object_set_new(d, "providers", provs);
	json_object_set_new(d, "updates", ups);
	json_object_set_new(d, "timeline", tl);
	json_object_set_new(d, "actions", acts);
	json_object_set_new(d, "expected_delay",
	                    s != NULL && s->total.affected > 0
	                        ? minutes(s->total.p99_ms)
	                        : json_string(""));
	json_object_set_new(
	    d, "affected",
	    json_integer(s != NULL ? (json_int_t)s->total.affected : 0));
	json_object_set_new(
	    d, "failed",
	    json_integer(s != NULL ? (json_int_t)s->total.failed : 0));
	json_object_set_new(
	    d, "lost", json_integer(s != NULL ? (json_int_t)s->total.lost : 0));
	return d;
}

/* notice_one - parse and render src as Mustache with escape into out. */
static int
notice_one(const char *src, const json_t *data, enum tmpl_escape esc,
           struct buf *out, char *err, size_t errlen)
{
	struct tmpl_error te;
	struct tmpl_render_opts o = {.escape = esc, .partial = notice_partial};
	struct tmpl *t = tmpl_parse(TMPL_MUSTACHE, src, strlen(src), &te);
	int rc;

	if (t == NULL) {
		snprintf(err, errlen, "template: %u:%u: %s", te.line, te.col,
		         te.msg);
		return -1;
	}
	rc = tmpl_render(t, data, &o, out, &te);
	tmpl_free(t);
	if (rc != 0)
		snprintf(err, errlen, "template: %s", te.msg);
	return rc != 0 ? -1 : 0;
}

int
incident_notice_render(const char *name, const struct incident_info *ii,
                       const struct incident_scope *s, int64_t now_ms,
                       enum incident_notice_format fmt, struct buf *subject,
                       struct buf *body, char *err, size_t errlen)
{
	const struct notice_tmpl *n = notice_find(name);
	struct buf sub, bod;
	json_t *data;
	int rc;

	if (n == NULL && notice_stored(name) != NULL) {
		data = incident_notice_data(ii, s, now_ms);
		rc = notice_render_stored(notice_stored(name), data, ii, fmt,
		                          subject, body, err, errlen);
		json_decref(data);
		return rc;
	}
	if (n == NULL) {
		snprintf(err, errlen,
		         "no notice template '%s' (delays, resolved, internal, "
		         "status_page, or one stored with swervectl template "
		         "put)",
		         name ? name : "");
		return -1;
	}
	data = incident_notice_data(ii, s, now_ms);
	buf_init(&sub);
	buf_init(&bod);
	rc = notice_one(n->subject, data, TMPL_ESCAPE_NONE, &sub, err, errlen);
	if (rc == 0)
		rc = notice_one(fmt == NOTICE_HTML ? n->html : n->text, data,
		                fmt == NOTICE_HTML    ? TMPL_ESCAPE_HTML
		                : fmt == NOTICE_SLACK ? TMPL_ESCAPE_SLACK
		                                      : TMPL_ESCAPE_NONE,
		                &bod, err, errlen);
	/* A subject is one line, whatever the data held. */
	for (size_t i = 0; rc == 0 && i < sub.len; i++)
		if (sub.p[i] == '\r' || sub.p[i] == '\n')
			sub.p[i] = ' ';
	if (rc == 0) {
		buf_add(subject, sub.p != NULL ? sub.p : "", sub.len);
		buf_add(body, bod.p != NULL ? bod.p : "", bod.len);
	}
	buf_fini(&sub);
	buf_fini(&bod);
	json_decref(data);
	return rc;
}
