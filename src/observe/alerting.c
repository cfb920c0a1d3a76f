/*
 * alerting.c - the loop-side glue of built-in alerting: events in,
 * snapshots every interval, changes out to the log and the notifiers.
 * See alerting.h.
 */
#include "observe/alerting.h"

#include <event2/event.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/cluster.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "deliver/deliver.h"
#include "drill/drill_label.h"
#include "observe/alert.h"
#include "observe/backlog.h"
#include "observe/events.h"
#include "observe/notify.h"
#include "readiness/readiness.h"
#include "route/reputation.h"
#include "spool/spool.h"

#define ALERTING_MINUTE_MS 60000
#define ALERTING_SEED_PAGE 1000

struct alerting {
	const struct config *cfg;
	struct deliver *d;
	struct spool *sp;
	struct alert *alert;
	struct backlog *backlog;
	struct notify *notify;
	struct event *tick;
	int64_t last_minute_ms;
	int seed_state;          /* spool state being seeded, or -1 when done */
	unsigned pending;        /* spool reads in flight */
	bool closing;            /* freed; the last callback frees the struct */
	struct cluster *cluster; /* NULL: not in a cluster */
	struct readiness *readiness; /* NULL: no readiness rule input */
	/* Snapshot buffers, sized once. */
	struct alert_provider_view *provs;
	size_t n_provs;
	struct alert_stream_view *streams;
};

/* alerting_on_event - feed the backlog and the rules. */
static void
alerting_on_event(const struct events_item *e, void *arg)
{
	struct alerting *al = arg;

	backlog_event(al->backlog, e);
	alert_event(al->alert, e);
}

/*
 * alerting_log_json - the change as one JSON line (log.format json), in
 * the shape of observe/logjson.h's lines: ts, level, event "alert",
 * provider/stream, state (firing, repeat, resolved), text, msg, and the
 * alert's rule, kind, severity, value and threshold.
 */
static void
alerting_log_json(const struct alert_info *a, enum alert_change ch,
                  enum log_level level, const char *msg)
{
	json_t *o = json_object();
	char ts[40], *s;
	size_t len;

	log_timestamp(ts, sizeof(ts));
	json_object_set_new(o, "ts", json_string(ts));
	json_object_set_new(o, "level", json_string(log_level_name(level)));
	json_object_set_new(o, "event", json_string("alert"));
	if (a->provider != NULL)
		json_object_set_new(o, "provider", json_string(a->provider));
	if (a->stream != NULL)
		json_object_set_new(o, "stream", json_string(a->stream));
	json_object_set_new(o, "state", json_string(alert_change_name(ch)));
	json_object_set_new(o, "rule", json_string(a->rule));
	json_object_set_new(o, "kind", json_string(a->kind));
	json_object_set_new(o, "severity", json_string(a->severity));
	json_object_set_new(o, "value", json_real(a->value));
	json_object_set_new(o, "threshold", json_real(a->threshold));
	json_object_set_new(o, "text", json_string(a->summary));
	json_object_set_new(o, "msg", json_string(msg));
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		return;
	len = strlen(s);
	s[len] = '\n'; /* json_dumps leaves room: replace the NUL */
	log_line_write(s, len + 1);
	free(s);
}

/* alerting_on_change - log an alert change and notify. */
static void
alerting_on_change(const struct alert_info *a, enum alert_change ch, void *arg)
{
	struct alerting *al = arg;
	const char *subj = a->provider ? a->provider
	                   : a->stream ? a->stream
	                               : "-";
	enum log_level level = ch == ALERT_CHANGE_RESOLVED ||
	                               a->severity_level == CONFIG_SEVERITY_INFO
	                           ? LOG_LEVEL_INFO
	                           : LOG_LEVEL_WARN;
	/* A drill's alert (drill/drill_label.h): labelled everywhere. */
	const char *drill = drill_label_match(a->provider, a->stream);
	char msg[512];

	snprintf(msg, sizeof(msg), "alert: %s %s/%s [%s]%s%s %s",
	         alert_change_name(ch), a->rule, subj, a->severity,
	         drill ? " drill " : "", drill ? drill : "", a->summary);
	if (log_format_get() == LOG_FORMAT_JSON) {
		if (log_level_enabled(level))
			alerting_log_json(a, ch, level, msg);
	} else if (level == LOG_LEVEL_INFO) {
		log_info("%s", msg);
	} else {
		log_warn("%s", msg);
	}
	if (ch != ALERT_CHANGE_REPEAT) {
		struct events_item e = {
		    .kind = EVENT_ALERT,
		    .state =
		        ch == ALERT_CHANGE_RESOLVED ? "resolved" : "firing",
		    .reason = a->rule,
		    .text = a->summary,
		    .provider = a->provider,
		    .stream = a->stream,
		    .drill = drill != NULL,
		};
		events_emit(&e);
	}
	if (al->notify == NULL)
		return;
	if (drill == NULL || drill_label_notify() == CONFIG_DRILL_NOTIFY_REAL) {
		notify_alert(al->notify, a, ch);
	} else if (drill_label_notify() == CONFIG_DRILL_NOTIFY_LABELLED) {
		/* A drill's alert says so wherever it goes. */
		struct alert_info labelled = *a;
		char summary[600];
		snprintf(summary, sizeof(summary), "[DRILL %s] %s", drill,
		         a->summary);
		labelled.summary = summary;
		notify_alert(al->notify, &labelled, ch);
	}
}

/* alerting_release - one spool read finished; free if closing. */
static bool
alerting_release(struct alerting *al)
{
	al->pending--;
	if (al->closing && al->pending == 0) {
		free(al);
		return true;
	}
	return al->closing;
}

static void alerting_seed_next(struct alerting *al, const char *after);

/* alerting_on_seed - one page of ready/deferred messages. */
static void
alerting_on_seed(int status, struct spool_msg **msgs, size_t n, void *arg)
{
	struct alerting *al = arg;
	char last[ID_SIZE] = "";
	size_t i;

	for (i = 0; i < n; i++) {
		if (!al->closing)
			backlog_seed(al->backlog, msgs[i]->id, msgs[i]->stream,
			             msgs[i]->created_at,
			             msgs[i]->state == SPOOL_STATE_DEFERRED);
		memcpy(last, msgs[i]->id, ID_SIZE);
		spool_msg_free(msgs[i]);
	}
	if (alerting_release(al))
		return;
	if (status != SPOOL_OK) {
		al->seed_state = -1;
		return;
	}
	if (n < ALERTING_SEED_PAGE) {
		if (al->seed_state == SPOOL_STATE_READY) {
			al->seed_state = SPOOL_STATE_DEFERRED;
			alerting_seed_next(al, NULL);
		} else {
			al->seed_state = -1;
		}
		return;
	}
	alerting_seed_next(al, last);
}

/* alerting_seed_next - ask for the next page after id `after`. */
static void
alerting_seed_next(struct alerting *al, const char *after)
{
	if (spool_msg_list(al->sp, al->seed_state, after, ALERTING_SEED_PAGE,
	                   alerting_on_seed, al) == 0)
		al->pending++;
	else
		al->seed_state = -1;
}

/* alerting_on_check - the spool's word on a stream's oldest message. */
static void
alerting_on_check(int status, struct spool_msg *m, void *arg)
{
	struct alerting *al = arg;

	if (!al->closing && m != NULL && spool_state_final(m->state))
		backlog_forget(al->backlog, m->id);
	spool_msg_free(m);
	(void)status;
	alerting_release(al);
}

/* alerting_minute - Alertmanager refresh and the backlog check. */
static void
alerting_minute(struct alerting *al)
{
	struct backlog_stream bs;
	struct alert_info info;
	size_t i;

	for (i = 0; al->notify != NULL && i < alert_active_count(al->alert);
	     i++) {
		alert_active_get(al->alert, i, &info);
		if (info.state == ALERT_FIRING)
			notify_alert_refresh(al->notify, &info);
	}
	if (al->seed_state != -1)
		return;
	for (i = 0; i < al->cfg->n_streams; i++) {
		backlog_stream_get(al->backlog, i, &bs);
		if (bs.oldest_id != NULL &&
		    spool_msg_get(al->sp, bs.oldest_id, 0, alerting_on_check,
		                  al) == 0)
			al->pending++;
	}
}

/* alerting_ratios - p's 24-hour sends, hard bounces and complaints. */
static void
alerting_ratios(struct alerting *al, struct alert_provider_view *p, int64_t now)
{
	const struct reputation *rep = deliver_reputation(al->d);
	struct reputation_counts c;

	memset(&c, 0, sizeof(c));
	if (rep != NULL)
		(void)reputation_get(rep, now, REPUTATION_PROVIDER, p->name,
		                     NULL, REPUTATION_24H, &c);
	p->sends_24h = c.n[REPUTATION_SENT];
	p->hard_bounces_24h = c.n[REPUTATION_HARD_BOUNCE];
	p->complaints_24h = c.n[REPUTATION_COMPLAINT];
}

/* alerting_on_tick - snapshot and evaluate. */
static void
alerting_on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct alerting *al = arg;
	struct deliver_provider_info pi;
	struct backlog_stream bs;
	struct alert_snapshot s;
	struct spool_counts sc;
	/* Wall time: rules compare it with messages' stored created_at. */
	int64_t now = clock_wall_ms();
	size_t i;

	(void)fd;
	(void)what;
	for (i = 0; i < al->n_provs; i++) {
		deliver_provider_info(al->d, i, &pi);
		al->provs[i].name = pi.name;
		al->provs[i].mode = pi.mode;
		al->provs[i].reason = pi.reason;
		al->provs[i].account_warn = pi.account_why[0] != '\0';
		snprintf(al->provs[i].account_note,
		         sizeof(al->provs[i].account_note), "%s",
		         pi.account_why);
		alerting_ratios(al, &al->provs[i], now);
		al->provs[i].not_ready = readiness_not_ready(
		    al->readiness, pi.name, now - 86400 * 1000,
		    al->provs[i].not_ready_note,
		    sizeof(al->provs[i].not_ready_note));
	}
	for (i = 0; i < al->cfg->n_streams; i++) {
		const struct config_stream *cs = &al->cfg->streams[i];
		backlog_stream_get(al->backlog, i, &bs);
		al->streams[i].name = cs->name;
		al->streams[i].providers = (const char *const *)cs->providers;
		al->streams[i].n_providers = cs->n_providers;
		al->streams[i].oldest_ms = bs.oldest_ms;
		al->streams[i].deferred = bs.deferred;
		al->streams[i].sent_total = bs.sent_total;
	}
	spool_counts_get(al->sp, &sc);
	memset(&s, 0, sizeof(s));
	s.provs = al->provs;
	s.n_provs = al->n_provs;
	s.streams = al->streams;
	s.n_streams = al->cfg->n_streams;
	s.disk_low = sc.disk_low != 0;
	s.spool_damaged = sc.damaged != 0;
	s.cluster_lost = al->cluster != NULL && cluster_lost(al->cluster);
	alert_eval(al->alert, &s, now);
	if (now - al->last_minute_ms >= ALERTING_MINUTE_MS) {
		al->last_minute_ms = now;
		alerting_minute(al);
	}
}

void
alerting_set_readiness(struct alerting *al, struct readiness *r)
{
	al->readiness = r;
}

void
alerting_set_cluster(struct alerting *al, struct cluster *c)
{
	al->cluster = c;
}

void
alerting_fleet_set(struct alerting *al, const struct notify_fleet *f)
{
	if (al->notify != NULL)
		notify_fleet_set(al->notify, f);
}

struct alerting *
alerting_new(struct event_base *base, const struct config *cfg,
             struct deliver *d, struct spool *sp)
{
	struct alerting *al = xcalloc(1, sizeof(*al));
	struct notify_opts no;
	struct timeval tv;

	al->cfg = cfg;
	al->d = d;
	al->sp = sp;
	al->alert = alert_new(cfg, alerting_on_change, al);
	al->backlog = backlog_new(cfg);
	al->n_provs = deliver_provider_count(d);
	al->provs = xcalloc(al->n_provs + 1, sizeof(*al->provs));
	al->streams = xcalloc(cfg->n_streams + 1, sizeof(*al->streams));
	if (cfg->n_alert_notify > 0) {
		memset(&no, 0, sizeof(no));
		no.base = base;
		no.cfg = cfg;
		no.spool = sp;
		al->notify = notify_new(&no);
		if (al->notify == NULL) {
			alerting_free(al);
			return NULL;
		}
	}
	if (events_subscribe(alerting_on_event, al) != 0)
		log_warn("alerting: too many event listeners; failover and "
		         "config alerts will not see events");
	al->last_minute_ms = clock_wall_ms();
	al->seed_state = SPOOL_STATE_READY;
	alerting_seed_next(al, NULL);
	tv.tv_sec = (time_t)(cfg->alerts_interval_ms / 1000);
	tv.tv_usec = (suseconds_t)(cfg->alerts_interval_ms % 1000 * 1000);
	al->tick = event_new(base, -1, EV_PERSIST, alerting_on_tick, al);
	event_add(al->tick, &tv);
	log_info("alerting: %zu rules, %zu notifiers", cfg->n_alert_rules,
	         cfg->n_alert_notify);
	return al;
}

void
alerting_free(struct alerting *al)
{
	if (al == NULL)
		return;
	events_unsubscribe(alerting_on_event, al);
	if (al->tick != NULL)
		event_free(al->tick);
	notify_free(al->notify);
	alert_free(al->alert);
	backlog_free(al->backlog);
	free(al->provs);
	free(al->streams);
	al->notify = NULL;
	al->alert = NULL;
	al->backlog = NULL;
	if (al->pending > 0) {
		al->closing = true; /* the last spool callback frees al */
		return;
	}
	free(al);
}

const struct alert *
alerting_engine(const struct alerting *al)
{
	return al->alert;
}

const struct notify *
alerting_notify(const struct alerting *al)
{
	return al->notify;
}

void
alerting_notice(struct alerting *al, const char *rule, const char *summary,
                int firing)
{
	struct alert_info a = {
	    .rule = rule,
	    .kind = firing ? "drill" : "test",
	    .severity = firing ? "warning" : "critical",
	    .severity_level =
	        firing ? CONFIG_SEVERITY_WARNING : CONFIG_SEVERITY_CRITICAL,
	    .state = firing ? ALERT_FIRING : ALERT_RESOLVED,
	    .summary = summary,
	};

	a.since_ms = clock_wall_ms();
	if (firing) {
		struct events_item e = {
		    .kind = EVENT_ALERT,
		    .state = "firing",
		    .reason = rule,
		    .text = summary,
		};
		a.fired_ms = a.since_ms;
		log_warn("alert: firing %s/- [warning] %s", rule, summary);
		events_emit(&e);
	} else {
		a.resolved_ms = a.since_ms;
	}
	if (al->notify == NULL)
		return;
	notify_alert(al->notify, &a,
	             firing ? ALERT_CHANGE_FIRING : ALERT_CHANGE_RESOLVED);
}

size_t
alerting_targets(const struct alerting *al)
{
	return al->notify != NULL ? al->cfg->n_alert_notify : 0;
}
