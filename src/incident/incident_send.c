/*
 * incident_send.c - a notice rendered with the incident's live scope and,
 * when asked, e-mailed through the spool (incidents_notice in
 * incident_notice.h).
 *
 * The mail is stored like any other message: delivery's routing picks a
 * provider that can take mail now, so a notice about a provider that is
 * down leaves through another one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/id.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "incident/incident_int.h"
#include "incident/incident_notice.h"
#include "mime/mime_build.h"
#include "net/http_client.h"
#include "spool/spool.h"

struct send_job {
	struct incidents *in;
	char id[INCIDENT_ID_SIZE];
	char name[32];
	enum incident_notice_format fmt;
	int send;
	struct incident_audience to; /* strings copied below */
	char **to_v, **slack_v, **webhooks_v;
	size_t n_slack, n_webhooks;
	char *from, *stream, *who;
	incident_notice_fn *cb;
	void *arg;
	struct buf subject, body; /* fmt's, for the caller */
	struct buf text;          /* the status page's words */
};

/* A notice being posted to one Slack or webhook URL. */
struct inc_post {
	struct inc_post *next;
	struct incidents *in;
	char id[INCIDENT_ID_SIZE];
	char name[32];
	char where[160]; /* "Slack (host)": never the URL's path */
	char *url, *body, *who;
	struct http_header hs[1];
	struct http_request req;
};

/* post_free - unlink and free p. */
static void
post_free(struct inc_post *p)
{
	struct inc_post **pp = &p->in->posts;

	while (*pp != NULL && *pp != p)
		pp = &(*pp)->next;
	if (*pp == p)
		*pp = p->next;
	free(p->url);
	free(p->body);
	free(p->who);
	free(p);
}

void
incident_send_free(struct incidents *in)
{
	/* Cancels the calls: their callbacks never run. */
	http_client_free(in->http);
	in->http = NULL;
	while (in->posts != NULL)
		post_free(in->posts);
}

/* post_done - the answer on the timeline. */
static void
post_done(const struct http_response *r, void *arg)
{
	struct inc_post *p = arg;
	char line[512];

	for (size_t i = 0; i < p->in->n; i++) {
		struct inc *c = p->in->v[i];

		if (strcmp(c->id, p->id) != 0)
			continue;
		if (r->error == HTTP_CLIENT_OK && r->status / 100 == 2)
			snprintf(line, sizeof(line),
			         "notice '%s' posted to %s: HTTP %d", p->name,
			         p->where, r->status);
		else if (r->error == HTTP_CLIENT_OK)
			snprintf(line, sizeof(line),
			         "notice '%s' not taken by %s: HTTP %d",
			         p->name, p->where, r->status);
		else
			snprintf(line, sizeof(line),
			         "notice '%s' not posted to %s: %s", p->name,
			         p->where, http_client_error_name(r->error));
		inc_add_update(c, clock_wall_ms(), "notice", p->who, line, 0);
		inc_changed(p->in, c);
	}
	post_free(p);
}

/* post_start - POST body (taken) to url; label "Slack" or "webhook". */
static void
post_start(struct incidents *in, const struct send_job *j, const char *url,
           const char *label, char *body)
{
	struct inc_post *p;
	const char *host = strstr(url, "://");
	size_t hl;

	if (in->base == NULL) {
		free(body);
		return;
	}
	if (in->http == NULL) {
		struct http_client_opts o = {.name = "incident-notice",
		                             .max_in_flight = 4,
		                             .total_timeout_ms = 10000};

		in->http = http_client_new(in->base, &o);
		if (in->http == NULL) {
			free(body);
			return;
		}
	}
	host = host != NULL ? host + 3 : url;
	hl = strcspn(host, "/?#");
	p = xcalloc(1, sizeof(*p));
	p->in = in;
	snprintf(p->id, sizeof(p->id), "%s", j->id);
	snprintf(p->name, sizeof(p->name), "%s", j->name);
	snprintf(p->where, sizeof(p->where), "%s (%.*s)", label,
	         (int)(hl < 100 ? hl : 100), host);
	p->url = xstrdup(url);
	p->body = body;
	p->who = xstrdup(j->who);
	p->hs[0] = (struct http_header){"Content-Type", "application/json"};
	p->req = (struct http_request){.method = "POST",
	                               .url = p->url,
	                               .headers = p->hs,
	                               .n_headers = 1,
	                               .body = p->body,
	                               .body_len = strlen(p->body)};
	p->next = in->posts;
	in->posts = p;
	if (http_client_submit(in->http, &p->req, post_done, p) == NULL)
		post_free(p);
}

/* send_posts - the notice to every Slack and webhook URL. */
static void
send_posts(struct send_job *j, const struct incident_info *ii,
           const struct incident_scope *s)
{
	struct buf sub, slack;
	char err[256];
	int64_t now = clock_wall_ms();
	json_t *o;
	size_t i;

	if (j->n_slack == 0 && j->n_webhooks == 0)
		return;
	buf_init(&sub);
	buf_init(&slack);
	if (incident_notice_render(j->name, ii, s, now, NOTICE_SLACK, &sub,
	                           &slack, err, sizeof(err)) != 0)
		goto out;
	for (i = 0; i < j->n_slack; i++) {
		char *t;

		o = json_object();
		t = xmalloc(sub.len + slack.len + 8);
		/* The subject line in bold (swerve's words: the title and
		 * stream names), then the text as rendered for mrkdwn (the
		 * engine escaped & < > in every fact). */
		snprintf(t, sub.len + slack.len + 8, "*%s*\n%s", buf_cstr(&sub),
		         buf_cstr(&slack));
		json_object_set_new(o, "text", json_string(t));
		free(t);
		post_start(j->in, j, j->slack_v[i], "Slack",
		           json_dumps(o, JSON_COMPACT));
		json_decref(o);
	}
	for (i = 0; i < j->n_webhooks; i++) {
		o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type",
		              "incident.notice", "incident", j->id, "template",
		              j->name, "subject", buf_cstr(&sub), "text",
		              buf_cstr(&j->text), "status",
		              incident_status_name(ii->status));
		post_start(j->in, j, j->webhooks_v[i], "webhook",
		           json_dumps(o, JSON_COMPACT));
		json_decref(o);
	}
out:
	buf_fini(&sub);
	buf_fini(&slack);
}

/* job_free - free j. */
static void
job_free(struct send_job *j)
{
	for (size_t i = 0; i < j->to.n_to; i++)
		free(j->to_v[i]);
	free(j->to_v);
	for (size_t i = 0; i < j->n_slack; i++)
		free(j->slack_v[i]);
	free(j->slack_v);
	for (size_t i = 0; i < j->n_webhooks; i++)
		free(j->webhooks_v[i]);
	free(j->webhooks_v);
	free(j->from);
	free(j->stream);
	free(j->who);
	buf_fini(&j->subject);
	buf_fini(&j->body);
	buf_fini(&j->text);
	free(j);
}

/* job_inc - j's incident, or NULL. */
static struct inc *
job_inc(const struct send_job *j)
{
	for (size_t i = 0; i < j->in->n; i++)
		if (strcmp(j->in->v[i]->id, j->id) == 0)
			return j->in->v[i];
	return NULL;
}

/* send_on_commit - the notice is stored: on the timeline, to the caller. */
static void
send_on_commit(int status, const char *msg_id, void *arg)
{
	struct send_job *j = arg;
	struct inc *c = job_inc(j);
	char line[512];

	if (status == SPOOL_OK && c != NULL) {
		snprintf(line, sizeof(line),
		         "notice '%s' e-mailed to %zu recipient%s on stream %s "
		         "(message %s): %s",
		         j->name, j->to.n_to, j->to.n_to == 1 ? "" : "s",
		         j->stream, msg_id, buf_cstr(&j->subject));
		inc_add_update(c, clock_wall_ms(), "notice", j->who, line, 0);
		if (strcmp(j->name, "status_page") == 0)
			inc_add_update(c, clock_wall_ms(), "status", j->who,
			               buf_cstr(&j->text), 1);
		inc_changed(j->in, c);
	}
	if (status != SPOOL_OK)
		log_warn("incidents: %s: notice %s not stored: %s", j->id,
		         j->name, spool_status_name(status));
	j->cb(status == SPOOL_OK ? 0 : status, buf_cstr(&j->subject),
	      buf_cstr(&j->body), status == SPOOL_OK ? msg_id : NULL, j->arg);
	job_free(j);
}

/* send_mail - build the e-mail (text and HTML) and store it; 0 or -1. */
static int
send_mail(struct send_job *j, const struct incident_info *ii,
          const struct incident_scope *s)
{
	struct mime_build_msg m;
	struct mime_build_opts o;
	struct spool_msg_new nm;
	struct buf sub, html;
	const char *why = NULL;
	char err[256], mid[ID_SIZE];
	int64_t now = clock_wall_ms();
	size_t i;

	buf_init(&sub);
	buf_init(&html);
	/* An operator's template may have a text part only: then so has
	 * the mail. */
	if (incident_notice_render(j->name, ii, s, now, NOTICE_HTML, &sub,
	                           &html, err, sizeof(err)) != 0) {
		buf_fini(&sub);
		buf_fini(&html);
		buf_init(&sub);
		buf_init(&html);
		buf_addstr(&sub, buf_cstr(&j->subject));
	}
	memset(&m, 0, sizeof(m));
	m.from.addr = xstrdup(j->from);
	m.to = xcalloc(j->to.n_to, sizeof(*m.to));
	for (i = 0; i < j->to.n_to; i++)
		m.to[i].addr = xstrdup(j->to_v[i]);
	m.n_to = j->to.n_to;
	m.subject = xstrdup(buf_cstr(&sub));
	m.text = xstrdup(buf_cstr(&j->text));
	m.text_len = j->text.len;
	m.html = html.len > 0 ? xstrdup(buf_cstr(&html)) : NULL;
	m.html_len = html.len;
	m.fields = xcalloc(1, sizeof(*m.fields));
	m.fields[0].name = xstrdup("X-Swerve-Incident");
	m.fields[0].value = xstrdup(j->id);
	m.n_fields = 1;
	buf_fini(&sub);
	buf_fini(&html);
	id_new(mid);
	o = (struct mime_build_opts){
	    .msgid_local = mid, .hostname = NULL, .date = (time_t)(now / 1000)};
	memset(&nm, 0, sizeof(nm));
	buf_init(&nm.body);
	if (mime_build(&m, &o, &nm.body, &why) != 0) {
		log_warn("incidents: %s: notice not built: %s", j->id,
		         why ? why : "?");
		mime_build_msg_fini(&m);
		buf_fini(&nm.body);
		return -1;
	}
	mime_build_msg_fini(&m);
	nm.sender = xstrdup(j->from);
	nm.rcpts = xcalloc(j->to.n_to, sizeof(*nm.rcpts));
	for (i = 0; i < j->to.n_to; i++)
		nm.rcpts[i] = xstrdup(j->to_v[i]);
	nm.n_rcpts = j->to.n_to;
	nm.tenant = xstrdup("swerve-incidents");
	nm.stream = xstrdup(j->stream);
	memcpy(nm.id, mid, sizeof(nm.id));
	return spool_msg_submit(j->in->sp, &nm, send_on_commit, j) != 0 ? -1
	                                                                : 0;
}

/* send_on_scope - render (and send) with the scope. */
static void
send_on_scope(int status, const struct incident_scope *s, void *arg)
{
	struct send_job *j = arg;
	struct incident_info ii;
	char err[256] = "no such incident";
	struct buf drop;
	int64_t now = clock_wall_ms();

	if (status != SPOOL_OK)
		s = NULL;
	if (incidents_find(j->in, j->id, &ii) != 0 ||
	    incident_notice_render(j->name, &ii, s, now, j->fmt, &j->subject,
	                           &j->body, err, sizeof(err)) != 0) {
		j->cb(SPOOL_ERR_NOTFOUND, "", err, NULL, j->arg);
		job_free(j);
		return;
	}
	buf_init(&drop);
	(void)incident_notice_render(j->name, &ii, s, now, NOTICE_TEXT, &drop,
	                             &j->text, err, sizeof(err));
	buf_fini(&drop);
	if (!j->send) {
		j->cb(0, buf_cstr(&j->subject), buf_cstr(&j->body), NULL,
		      j->arg);
		job_free(j);
		return;
	}
	send_posts(j, &ii, s);
	if (j->to.n_to == 0) {
		j->cb(0, buf_cstr(&j->subject), buf_cstr(&j->body), NULL,
		      j->arg);
		job_free(j);
	} else if (send_mail(j, &ii, s) != 0) {
		j->cb(SPOOL_ERR_CLOSED, buf_cstr(&j->subject),
		      buf_cstr(&j->body), NULL, j->arg);
		job_free(j);
	}
}

int
incidents_notice(struct incidents *in, const char *id, const char *name,
                 enum incident_notice_format fmt,
                 const struct incident_audience *to, const char *who,
                 incident_notice_fn *cb, void *arg, char *err, size_t errlen)
{
	struct incident_info ii;
	struct send_job *j;

	if (incidents_find(in, id, &ii) != 0) {
		snprintf(err, errlen, "no such incident");
		return -1;
	}
	if (!incident_notice_known(name)) {
		snprintf(err, errlen,
		         "no notice template '%s' (delays, resolved, internal, "
		         "status_page)",
		         name ? name : "");
		return -1;
	}
	if (to != NULL &&
	    ((to->n_to == 0 && to->n_slack == 0 && to->n_webhooks == 0) ||
	     (to->n_to > 0 &&
	      (to->from == NULL || to->stream == NULL || in->sp == NULL)))) {
		snprintf(err, errlen,
		         "no audience: set incidents.notices (from and to, "
		         "slack, webhooks)");
		return -1;
	}
	j = xcalloc(1, sizeof(*j));
	j->in = in;
	snprintf(j->id, sizeof(j->id), "%s", ii.id);
	snprintf(j->name, sizeof(j->name), "%s", name);
	j->fmt = fmt;
	j->cb = cb;
	j->arg = arg;
	j->who = xstrdup(who != NULL ? who : "admin_api");
	buf_init(&j->subject);
	buf_init(&j->body);
	buf_init(&j->text);
	if (to != NULL) {
		j->send = 1;
		j->from = xstrdup(to->from ? to->from : "");
		j->stream = xstrdup(to->stream ? to->stream : "");
		j->to_v = xcalloc(to->n_to + 1, sizeof(*j->to_v));
		for (size_t i = 0; i < to->n_to; i++)
			j->to_v[i] = xstrdup(to->to[i]);
		j->to.n_to = to->n_to;
		j->slack_v = xcalloc(to->n_slack + 1, sizeof(*j->slack_v));
		for (size_t i = 0; i < to->n_slack; i++)
			j->slack_v[i] = xstrdup(to->slack[i]);
		j->n_slack = to->n_slack;
		j->webhooks_v =
		    xcalloc(to->n_webhooks + 1, sizeof(*j->webhooks_v));
		for (size_t i = 0; i < to->n_webhooks; i++)
			j->webhooks_v[i] = xstrdup(to->webhooks[i]);
		j->n_webhooks = to->n_webhooks;
	}
	if (incidents_scope(in, id, clock_wall_ms(), send_on_scope, j) != 0) {
		if (in->sp != NULL) {
			snprintf(err, errlen, "spool closing");
			job_free(j);
			return -1;
		}
		/* No spool (tests): render without scope, later never. */
		send_on_scope(SPOOL_ERR_CLOSED, NULL, j);
	}
	return 0;
}
