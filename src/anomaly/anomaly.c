/*
 * anomaly.c - delivery signals sampled per interval, learnt, explained.
 *
 * Signals live in one array indexed by an open-addressing hash of their
 * key ("deferral|sendgrid||gmail.com"), so an event costs a few hash
 * lookups. The interval's counts are kept beside each model and reset at
 * every tick.
 */
#include "anomaly/anomaly.h"

#include <ctype.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "anomaly/anomaly_model.h"
#include "anomaly/anomaly_state.h"
#include "config/config.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "observe/events.h"
#include "spool/feedback.h"

enum sig_kind {
	SIG_LATENCY,
	SIG_DEFERRAL,
	SIG_THROTTLE,
	SIG_BOUNCE,
	SIG_COMPLAINT,
	SIG_VOLUME,
	SIG_KIND_COUNT,
};

static const char *const sig_names[SIG_KIND_COUNT] = {
    [SIG_LATENCY] = "latency",           [SIG_DEFERRAL] = "deferral_ratio",
    [SIG_THROTTLE] = "throttle_ratio",   [SIG_BOUNCE] = "bounce_ratio",
    [SIG_COMPLAINT] = "complaint_ratio", [SIG_VOLUME] = "volume",
};

static const char *const sig_words[SIG_KIND_COUNT] = {
    [SIG_LATENCY] = "acceptance latency", [SIG_DEFERRAL] = "deferral ratio",
    [SIG_THROTTLE] = "throttle ratio",    [SIG_BOUNCE] = "bounce ratio",
    [SIG_COMPLAINT] = "complaint ratio",  [SIG_VOLUME] = "volume",
};

#define NAME_MAX_ 96
#define DOMAIN_MAX 256
#define CODES 4
#define RECENT 100
#define MAX_SIGNALS 50000
#define SAVE_EVERY_MS (3600 * 1000LL)

struct sig {
	char key[ANOMALY_KEY_MAX + 1];
	enum sig_kind kind;
	char provider[NAME_MAX_], stream[NAME_MAX_], domain[DOMAIN_MAX];
	uint64_t n, k; /* this interval: attempts (or sends), numerator */
	double sum;    /* latency: sum of ms */
	struct {
		char code[16];
		uint32_t n;
	} codes[CODES];
	struct anomaly_model model;
	char text[480]; /* the explanation while firing */
};

struct change {
	int64_t at_ms;
	bool firing;
	char signal[24], provider[NAME_MAX_], stream[NAME_MAX_],
	    domain[DOMAIN_MAX];
	char text[480];
};

struct prov_domains {
	char provider[NAME_MAX_];
	uint64_t n; /* domains admitted */
};

struct anomaly {
	struct event_base *base;
	struct event *timer;
	struct anomaly_params params[SIG_KIND_COUNT];
	uint64_t interval_ms, min_volume, top_domains;
	int on;
	double shift_share;
	char *state_path;
	struct sig *sigs;
	size_t n, cap;
	uint32_t *index; /* 1 + position in sigs; 0 empty */
	size_t index_cap;
	struct prov_domains *pd;
	size_t n_pd;
	struct change recent[RECENT];
	size_t n_recent, recent_head;
	int64_t last_save_ms;
	/* the writer thread: one at a time */
	pthread_t writer;
	bool writer_running;
	atomic_bool writer_done;
	struct buf wbuf;
};

/* sig_hash - FNV-1a over a signal's identity, without building its key:
 * this runs a few times for every attempt. */
static uint64_t
sig_hash(enum sig_kind kind, const char *provider, const char *stream,
         const char *domain)
{
	const char *parts[3] = {provider, stream, domain};
	uint64_t h = 1469598103934665603ULL;
	const char *p;
	int i;

	h = (h ^ (uint64_t)kind) * 1099511628211ULL;
	for (i = 0; i < 3; i++) {
		for (p = parts[i]; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		h = (h ^ 0xffu) * 1099511628211ULL;
	}
	return h;
}

static void
index_put(struct anomaly *an, size_t pos)
{
	const struct sig *s = &an->sigs[pos];
	size_t mask = an->index_cap - 1;
	size_t i = sig_hash(s->kind, s->provider, s->stream, s->domain) & mask;

	while (an->index[i] != 0)
		i = (i + 1) & mask;
	an->index[i] = (uint32_t)(pos + 1);
}

static void
index_grow(struct anomaly *an)
{
	size_t i;

	free(an->index);
	an->index_cap = an->index_cap ? an->index_cap * 2 : 1024;
	an->index = xcalloc(an->index_cap, sizeof(*an->index));
	for (i = 0; i < an->n; i++)
		index_put(an, i);
}

/* sig_find - the signal of this identity ("" for a part it has not),
 * or NULL. */
static struct sig *
sig_find(const struct anomaly *an, enum sig_kind kind, const char *provider,
         const char *stream, const char *domain)
{
	size_t mask, i;

	if (an->index_cap == 0)
		return NULL;
	mask = an->index_cap - 1;
	for (i = sig_hash(kind, provider, stream, domain) & mask;
	     an->index[i] != 0; i = (i + 1) & mask) {
		struct sig *s = &an->sigs[an->index[i] - 1];
		if (s->kind == kind && strcmp(s->provider, provider) == 0 &&
		    strcmp(s->stream, stream) == 0 &&
		    strcmp(s->domain, domain) == 0)
			return s;
	}
	return NULL;
}

/* sig_key - the key of a signal: "kind|provider|stream|domain". */
static void
sig_key(char *out, size_t cap, enum sig_kind kind, const char *provider,
        const char *stream, const char *domain)
{
	snprintf(out, cap, "%s|%s|%s|%s", sig_names[kind], provider, stream,
	         domain);
}

/* sig_get - the signal, made when new (NULL at the cap). NULL parts
 * are "". */
static struct sig *
sig_get(struct anomaly *an, enum sig_kind kind, const char *provider,
        const char *stream, const char *domain)
{
	struct sig *s;

	provider = provider ? provider : "";
	stream = stream ? stream : "";
	domain = domain ? domain : "";
	if ((s = sig_find(an, kind, provider, stream, domain)) != NULL)
		return s;
	if (an->n >= MAX_SIGNALS || strlen(provider) >= NAME_MAX_ ||
	    strlen(stream) >= NAME_MAX_ || strlen(domain) >= DOMAIN_MAX)
		return NULL;
	if (an->n == an->cap) {
		an->cap = an->cap ? an->cap * 2 : 64;
		an->sigs = xreallocarray(an->sigs, an->cap, sizeof(*an->sigs));
	}
	s = &an->sigs[an->n++];
	memset(s, 0, sizeof(*s));
	sig_key(s->key, sizeof(s->key), kind, provider, stream, domain);
	s->kind = kind;
	snprintf(s->provider, sizeof(s->provider), "%s", provider);
	snprintf(s->stream, sizeof(s->stream), "%s", stream);
	snprintf(s->domain, sizeof(s->domain), "%s", domain);
	anomaly_model_init(&s->model);
	if ((an->n + 1) * 2 > an->index_cap)
		index_grow(an);
	else
		index_put(an, an->n - 1);
	return s;
}

/* domain_admit - may provider get signals for one more domain? */
static bool
domain_admit(struct anomaly *an, const char *provider)
{
	size_t i;

	for (i = 0; i < an->n_pd; i++)
		if (strcmp(an->pd[i].provider, provider) == 0)
			break;
	if (i == an->n_pd) {
		an->pd = xreallocarray(an->pd, an->n_pd + 1, sizeof(*an->pd));
		memset(&an->pd[i], 0, sizeof(an->pd[i]));
		snprintf(an->pd[i].provider, sizeof(an->pd[i].provider), "%s",
		         provider);
		an->n_pd++;
	}
	if (an->pd[i].n >= an->top_domains)
		return false;
	an->pd[i].n++;
	return true;
}

/* sig_domain - the provider x domain signal, admitted while the
 * provider has fewer than top_domains. */
static struct sig *
sig_domain(struct anomaly *an, enum sig_kind kind, const char *provider,
           const char *domain)
{
	struct sig *s;

	if (domain == NULL || domain[0] == '\0' || an->top_domains == 0)
		return NULL;
	if ((s = sig_find(an, kind, provider, "", domain)) != NULL)
		return s;
	/* The deferral signal admits the domain; the others follow it. */
	if (kind != SIG_DEFERRAL &&
	    sig_find(an, SIG_DEFERRAL, provider, "", domain) == NULL)
		return NULL;
	if (kind == SIG_DEFERRAL && !domain_admit(an, provider))
		return NULL;
	return sig_get(an, kind, provider, NULL, domain);
}

/* reply_code - the first two words of a reply ("421 4.7.0"). */
static void
reply_code(const char *text, char *out, size_t cap)
{
	size_t i = 0, words = 0;

	out[0] = '\0';
	if (text == NULL)
		return;
	while (*text == ' ')
		text++;
	for (; text[i] != '\0' && i + 1 < cap; i++) {
		if (text[i] == ' ' && ++words == 2)
			break;
		out[i] = text[i];
	}
	out[i] = '\0';
	while (i > 0 && out[i - 1] == ' ')
		out[--i] = '\0';
}

static void
sig_code(struct sig *s, const char *text)
{
	char code[16];
	size_t i, least = 0;

	if (s == NULL)
		return;
	reply_code(text, code, sizeof(code));
	if (code[0] == '\0')
		return;
	for (i = 0; i < CODES; i++) {
		if (strcmp(s->codes[i].code, code) == 0) {
			s->codes[i].n++;
			return;
		}
		if (s->codes[i].n < s->codes[least].n)
			least = i;
	}
	snprintf(s->codes[least].code, sizeof(s->codes[least].code), "%s",
	         code);
	s->codes[least].n = 1;
}

/* count - one attempt (or send) into s; hit: the numerator counts. */
static void
count(struct sig *s, bool hit)
{
	if (s == NULL)
		return;
	s->n++;
	if (hit)
		s->k++;
}

static void
on_attempt(struct anomaly *an, const struct events_item *e)
{
	bool deferred = e->cls == SEND_DEFERRED || e->cls == SEND_UNKNOWN;
	bool throttled = e->cls == SEND_THROTTLED;
	struct sig *s;

	if (e->provider == NULL)
		return;
	s = sig_get(an, SIG_DEFERRAL, e->provider, NULL, NULL);
	count(s, deferred);
	if (deferred)
		sig_code(s, e->text);
	count(sig_get(an, SIG_THROTTLE, e->provider, NULL, NULL), throttled);
	if (e->cls == SEND_ACCEPTED) {
		s = sig_get(an, SIG_LATENCY, e->provider, NULL, NULL);
		if (s != NULL) {
			s->n++;
			s->sum += (double)e->duration_ms;
		}
		count(sig_get(an, SIG_BOUNCE, e->provider, NULL, NULL), false);
		count(sig_get(an, SIG_COMPLAINT, e->provider, NULL, NULL),
		      false);
	}
	s = sig_domain(an, SIG_DEFERRAL, e->provider, e->rcpt_domain);
	count(s, deferred);
	if (deferred)
		sig_code(s, e->text);
	if (e->cls == SEND_ACCEPTED)
		count(sig_domain(an, SIG_BOUNCE, e->provider, e->rcpt_domain),
		      false);
}

static void
on_feedback(struct anomaly *an, const struct events_item *e)
{
	const struct feedback_event *f = e->feedback;
	enum sig_kind kind;
	const char *at;
	struct sig *s;

	if (f == NULL || e->provider == NULL)
		return;
	if (f->type == FEEDBACK_HARD_BOUNCE)
		kind = SIG_BOUNCE;
	else if (f->type == FEEDBACK_COMPLAINT)
		kind = SIG_COMPLAINT;
	else
		return;
	/* The numerator; the sends were counted at acceptance. */
	if ((s = sig_get(an, kind, e->provider, NULL, NULL)) != NULL)
		s->k++;
	at = strrchr(f->recipient, '@');
	if (kind == SIG_BOUNCE && at != NULL) {
		char dom[DOMAIN_MAX];
		size_t i;

		for (i = 0; at[i + 1] != '\0' && i + 1 < sizeof(dom); i++)
			dom[i] = (char)tolower((unsigned char)at[i + 1]);
		dom[i] = '\0';
		s = sig_domain(an, SIG_BOUNCE, e->provider, dom);
		if (s != NULL)
			s->k++;
	}
}

static void
anomaly_on_event(const struct events_item *e, void *arg)
{
	struct anomaly *an = arg;
	struct sig *s;

	switch (e->kind) {
	case EVENT_ATTEMPT:
		on_attempt(an, e);
		break;
	case EVENT_FEEDBACK:
		on_feedback(an, e);
		break;
	case EVENT_ACCEPTED:
		s = sig_get(an, SIG_VOLUME, NULL,
		            e->stream ? e->stream : "transactional", NULL);
		if (s != NULL)
			s->n++;
		break;
	default:
		break;
	}
}

/* fmt_value - v in the signal's unit. */
static void
fmt_value(enum sig_kind kind, double v, char *out, size_t cap)
{
	if (kind == SIG_LATENCY)
		snprintf(out, cap, "%.0f ms", v);
	else if (kind == SIG_VOLUME)
		snprintf(out, cap, "%.0f", v);
	else
		snprintf(out, cap, "%.1f%%", v * 100);
}

/* sig_subject - "at sendgrid for gmail.com", "of stream transactional". */
static void
sig_subject(const struct sig *s, char *out, size_t cap)
{
	if (s->kind == SIG_VOLUME)
		snprintf(out, cap, "of stream %s", s->stream);
	else if (s->domain[0] != '\0')
		snprintf(out, cap, "at %s for %s", s->provider, s->domain);
	else
		snprintf(out, cap, "at %s", s->provider);
}

/* explain - the words and numbers of s's sample v, into out[0..cap). */
static void
explain(const struct anomaly *an, const struct sig *s,
        const struct anomaly_verdict *v, char *out, size_t cap)
{
	char subj[400], val[32], usual[32], spread[32];
	struct buf b;
	size_t i, best = 0;

	buf_init(&b);
	sig_subject(s, subj, sizeof(subj));
	fmt_value(s->kind, v->value, val, sizeof(val));
	fmt_value(s->kind, v->expected, usual, sizeof(usual));
	fmt_value(s->kind, v->scale, spread, sizeof(spread));
	if (!v->firing) {
		buf_printf(&b,
		           "%s %s back to usual: %s (usual for %s %02d:00 "
		           "is %s +- %s)",
		           sig_words[s->kind], subj, val,
		           anomaly_weekday_name(v->weekday), v->hour, usual,
		           spread);
		goto out;
	}
	buf_printf(&b, "%s %s %s over the last ", sig_words[s->kind], subj,
	           val);
	if (an->interval_ms % 60000 == 0)
		buf_printf(&b, "%llu min",
		           (unsigned long long)(an->interval_ms / 60000));
	else
		buf_printf(&b, "%llu s",
		           (unsigned long long)(an->interval_ms / 1000));
	if (s->kind == SIG_LATENCY)
		buf_printf(&b, " (mean of %llu)", (unsigned long long)s->n);
	else if (s->kind != SIG_VOLUME)
		buf_printf(&b, " (%llu of %llu %s)", (unsigned long long)s->k,
		           (unsigned long long)s->n,
		           s->kind == SIG_BOUNCE || s->kind == SIG_COMPLAINT
		               ? "sends"
		               : "attempts");
	buf_printf(&b, "; usual for %s %02d:00 is %s +- %s",
	           anomaly_weekday_name(v->weekday), v->hour, usual, spread);
	for (i = 1; i < CODES; i++)
		if (s->codes[i].n > s->codes[best].n)
			best = i;
	if (s->kind == SIG_DEFERRAL && s->k > 0 && s->codes[best].n > 0)
		buf_printf(&b, "; %.0f%% of deferrals were %s",
		           100.0 * s->codes[best].n / (double)s->k,
		           s->codes[best].code);
out:
	if (cap > 0) {
		size_t n = b.len < cap - 1 ? b.len : cap - 1;
		if (n > 0)
			memcpy(out, b.p, n);
		out[n] = '\0';
	}
	buf_fini(&b);
}

static void
remember(struct anomaly *an, const struct sig *s, int64_t at_ms, bool firing,
         const char *text)
{
	struct change *c = &an->recent[an->recent_head];

	memset(c, 0, sizeof(*c));
	c->at_ms = at_ms;
	c->firing = firing;
	snprintf(c->signal, sizeof(c->signal), "%s", sig_names[s->kind]);
	snprintf(c->provider, sizeof(c->provider), "%s", s->provider);
	snprintf(c->stream, sizeof(c->stream), "%s", s->stream);
	snprintf(c->domain, sizeof(c->domain), "%s", s->domain);
	snprintf(c->text, sizeof(c->text), "%s", text);
	an->recent_head = (an->recent_head + 1) % RECENT;
	if (an->n_recent < RECENT)
		an->n_recent++;
}

/* sample - the interval's value of s; false when there is none. */
static bool
sample(const struct anomaly *an, const struct sig *s, double *v)
{
	switch (s->kind) {
	case SIG_VOLUME:
		*v = (double)s->n;
		return true;
	case SIG_LATENCY:
		if (s->n < an->min_volume)
			return false;
		*v = s->sum / (double)s->n;
		return true;
	default:
		if (s->n < an->min_volume)
			return false;
		*v = (double)s->k / (double)s->n;
		return true;
	}
}

static void anomaly_save_start(struct anomaly *an);

void
anomaly_tick(struct anomaly *an, int64_t now_ms)
{
	struct anomaly_verdict v;
	size_t i;
	double x;

	for (i = 0; i < an->n; i++) {
		struct sig *s = &an->sigs[i];

		if (sample(an, s, &x)) {
			anomaly_model_observe(&s->model, &an->params[s->kind],
			                      now_ms, x, &v);
			if (v.firing)
				explain(an, s, &v, s->text, sizeof(s->text));
			if (v.changed) {
				char text[480];
				struct events_item e = {
				    .kind = EVENT_ANOMALY,
				    .state = v.firing ? "firing" : "resolved",
				    .reason = sig_names[s->kind],
				    .provider =
				        s->provider[0] ? s->provider : NULL,
				    .stream = s->stream[0] ? s->stream : NULL,
				    .text = text,
				};
				explain(an, s, &v, text, sizeof(text));
				if (v.firing)
					log_warn("anomaly: %s", text);
				else
					log_info("anomaly: %s", text);
				remember(an, s, now_ms, v.firing, text);
				events_emit(&e);
			}
		}
		s->n = s->k = 0;
		s->sum = 0;
		memset(s->codes, 0, sizeof(s->codes));
	}
	if (an->last_save_ms == 0)
		an->last_save_ms = now_ms;
	else if (now_ms - an->last_save_ms >= SAVE_EVERY_MS) {
		an->last_save_ms = now_ms;
		anomaly_save_start(an);
	}
}

static void
anomaly_on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	anomaly_tick(arg, clock_wall_ms());
}

/* --- persistence ------------------------------------------------------ */

/* save_write - buf to path: temp file, fsync, rename, fsync the dir. */
static int
save_write(const char *path, const struct buf *b)
{
	char tmp[4096], dir[4096], *slash;
	size_t off = 0;
	int fd, rc = -1;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	while (off < b->len) {
		ssize_t w = write(fd, b->p + off, b->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto out;
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto out;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash != NULL) {
		*slash = '\0';
		if ((fd = open(dir[0] ? dir : "/", O_RDONLY | O_CLOEXEC)) >=
		    0) {
			(void)fsync(fd);
			close(fd);
			fd = -1;
		}
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		(void)unlink(tmp);
	return rc;
}

static void
save_fill(const struct anomaly *an, struct buf *b)
{
	size_t i;

	b->len = 0;
	anomaly_state_header(b);
	for (i = 0; i < an->n; i++)
		anomaly_state_record(b, an->sigs[i].key, &an->sigs[i].model);
}

static void *
save_thread(void *arg)
{
	struct anomaly *an = arg;

	if (save_write(an->state_path, &an->wbuf) != 0)
		log_limited(LOG_LEVEL_WARN, "anomaly: cannot write %s: %s",
		            an->state_path, strerror(errno));
	atomic_store(&an->writer_done, true);
	return NULL;
}

/* save_join - wait for a running writer (it writes its own copy). */
static void
save_join(struct anomaly *an)
{
	if (an->writer_running) {
		pthread_join(an->writer, NULL);
		an->writer_running = false;
	}
}

static void
anomaly_save_start(struct anomaly *an)
{
	if (an->writer_running) {
		if (!atomic_load(&an->writer_done))
			return; /* the last one is still writing */
		save_join(an);
	}
	save_fill(an, &an->wbuf);
	atomic_store(&an->writer_done, false);
	if (pthread_create(&an->writer, NULL, save_thread, an) == 0)
		an->writer_running = true;
	else
		log_warn("anomaly: cannot start the writer thread");
}

int
anomaly_save(struct anomaly *an)
{
	save_join(an);
	save_fill(an, &an->wbuf);
	if (save_write(an->state_path, &an->wbuf) != 0) {
		log_warn("anomaly: cannot write %s: %s", an->state_path,
		         strerror(errno));
		return -1;
	}
	return 0;
}

static void
load_one(const char *key, const struct anomaly_model *m, void *arg)
{
	struct anomaly *an = arg;
	char provider[NAME_MAX_], stream[NAME_MAX_], domain[DOMAIN_MAX];
	char kind[24];
	const char *p = key, *bar;
	char *fields[4] = {kind, provider, stream, domain};
	size_t caps[4] = {sizeof(kind), sizeof(provider), sizeof(stream),
	                  sizeof(domain)};
	int k, f;
	struct sig *s;

	for (f = 0; f < 4; f++) {
		size_t l;

		bar = f < 3 ? strchr(p, '|') : p + strlen(p);
		if (bar == NULL)
			return;
		l = (size_t)(bar - p);
		if (l >= caps[f])
			return;
		memcpy(fields[f], p, l);
		fields[f][l] = '\0';
		p = bar + (f < 3 ? 1 : 0);
	}
	for (k = 0; k < SIG_KIND_COUNT; k++)
		if (strcmp(sig_names[k], kind) == 0)
			break;
	if (k == SIG_KIND_COUNT)
		return;
	if (domain[0] != '\0' && k == SIG_DEFERRAL &&
	    !domain_admit(an, provider))
		return;
	s = sig_get(an, (enum sig_kind)k, provider[0] ? provider : NULL,
	            stream[0] ? stream : NULL, domain[0] ? domain : NULL);
	if (s != NULL && strcmp(s->key, key) == 0)
		s->model = *m;
}

static void
anomaly_load(struct anomaly *an)
{
	struct buf b;
	char chunk[65536], err[160];
	FILE *f = fopen(an->state_path, "rb");
	size_t n;

	if (f == NULL) {
		if (errno != ENOENT)
			log_warn("anomaly: cannot read %s: %s; learning starts "
			         "again",
			         an->state_path, strerror(errno));
		return;
	}
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	if (anomaly_state_decode(b.p ? b.p : "", b.len, load_one, an, err,
	                         sizeof(err)) != 0)
		log_warn("anomaly: %s: %s; learning starts again for the rest",
		         an->state_path, err);
	else
		log_info("anomaly: %zu signals' learning read from %s", an->n,
		         an->state_path);
	buf_fini(&b);
}

/* --- setup ------------------------------------------------------------ */

static void
params_for(struct anomaly *an, const struct config *cfg)
{
	uint64_t warm = cfg->anomaly_warmup_ms / cfg->anomaly_interval_ms;
	int k;

	for (k = 0; k < SIG_KIND_COUNT; k++) {
		struct anomaly_params *p = &an->params[k];

		anomaly_params_default(p);
		p->threshold = cfg->anomaly_threshold;
		p->warmup = warm > UINT32_MAX ? UINT32_MAX : (uint32_t)warm;
		p->dir = k == SIG_VOLUME ? ANOMALY_BOTH : ANOMALY_UP;
		/* A ratio moving by less than half a point is not news; nor
		 * latency by less than a tenth or 25 ms, nor volume by 3
		 * messages. */
		if (k == SIG_LATENCY) {
			p->rel_floor = 0.1;
			p->abs_floor = 25;
		} else if (k == SIG_VOLUME)
			p->abs_floor = 3;
		else
			p->abs_floor = 0.005;
	}
}

struct anomaly *
anomaly_new(struct event_base *base, const struct config *cfg,
            const char *state_path)
{
	struct anomaly *an;

	if (!cfg->anomaly_enabled)
		return NULL;
	an = xcalloc(1, sizeof(*an));
	an->base = base;
	an->interval_ms = cfg->anomaly_interval_ms;
	an->min_volume = cfg->anomaly_min_volume;
	an->top_domains = cfg->anomaly_top_domains;
	an->on = cfg->anomaly_on;
	an->shift_share = cfg->anomaly_shift_share;
	an->state_path = xstrdup(state_path);
	buf_init(&an->wbuf);
	params_for(an, cfg);
	anomaly_load(an);
	if (events_subscribe(anomaly_on_event, an) != 0)
		log_warn("anomaly: too many event listeners; the detector "
		         "sees nothing");
	if (base != NULL) {
		struct timeval tv = {
		    .tv_sec = (time_t)(an->interval_ms / 1000),
		    .tv_usec = (suseconds_t)(an->interval_ms % 1000) * 1000,
		};
		an->timer =
		    event_new(base, -1, EV_PERSIST, anomaly_on_timer, an);
		event_add(an->timer, &tv);
	}
	return an;
}

void
anomaly_free(struct anomaly *an)
{
	if (an == NULL)
		return;
	events_unsubscribe(anomaly_on_event, an);
	if (an->timer != NULL)
		event_free(an->timer);
	(void)anomaly_save(an);
	save_join(an);
	buf_fini(&an->wbuf);
	free(an->state_path);
	free(an->sigs);
	free(an->index);
	free(an->pd);
	free(an);
}

double
anomaly_share(const struct anomaly *an, const char *provider,
              const char *domain, char *why, size_t whylen)
{
	const struct sig *s;
	int k;

	if (whylen > 0)
		why[0] = '\0';
	if (an == NULL || an->on != CONFIG_ANOMALY_SHIFT || provider == NULL)
		return 1;
	for (k = 0; k < SIG_VOLUME; k++) {
		s = sig_find(an, (enum sig_kind)k, provider, "", "");
		if ((s == NULL || !s->model.firing) && domain != NULL)
			s = sig_find(an, (enum sig_kind)k, provider, "",
			             domain);
		if (s != NULL && s->model.firing) {
			snprintf(why, whylen, "anomaly: %s", s->text);
			return an->shift_share;
		}
	}
	return 1;
}

static json_t *
str_or_null(const char *s)
{
	return s[0] ? json_string(s) : json_null();
}

json_t *
anomaly_json(const struct anomaly *an)
{
	json_t *o = json_object(), *firing = json_array(),
	       *recent = json_array();
	char t[40];
	size_t i;

	for (i = 0; i < an->n; i++) {
		const struct sig *s = &an->sigs[i];

		if (!s->model.firing)
			continue;
		clock_wall_text(s->model.since_ms, t, sizeof(t));
		json_array_append_new(
		    firing, json_pack("{s:s,s:o,s:o,s:o,s:s,s:s}", "signal",
		                      sig_names[s->kind], "provider",
		                      str_or_null(s->provider), "stream",
		                      str_or_null(s->stream), "domain",
		                      str_or_null(s->domain), "since", t,
		                      "text", s->text));
	}
	for (i = 0; i < an->n_recent; i++) {
		const struct change *c =
		    &an->recent[(an->recent_head + RECENT - 1 - i) % RECENT];

		clock_wall_text(c->at_ms, t, sizeof(t));
		json_array_append_new(
		    recent,
		    json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:s}", "at", t, "state",
		              c->firing ? "firing" : "resolved", "signal",
		              c->signal, "provider", str_or_null(c->provider),
		              "stream", str_or_null(c->stream), "domain",
		              str_or_null(c->domain), "text", c->text));
	}
	json_object_set_new(o, "signals", json_integer((json_int_t)an->n));
	json_object_set_new(o, "interval_s",
	                    json_integer((json_int_t)(an->interval_ms / 1000)));
	json_object_set_new(o, "warmup_samples",
	                    json_integer((json_int_t)an->params[0].warmup));
	json_object_set_new(o, "firing", firing);
	json_object_set_new(o, "recent", recent);
	return o;
}
