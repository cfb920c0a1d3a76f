/*
 * http_adapter.c - the channel machinery shared by the HTTPS providers.
 *
 * One http_client per configured provider (a->priv) pools and keeps alive
 * the connections and caps concurrent requests at max_connections. A
 * channel carries one request at a time: send builds the request through
 * the provider's description, submits it, and on the answer has it
 * classified (the provider file gathers the facts, send/policy.h decides)
 * and hands deliver one struct adapter_result in which every recipient
 * shares the message's outcome. A message the provider cannot carry faithfully
 * is answered "deferred" from the loop without any request, so deliver moves it
 * to another provider.
 *
 * Never logs header values or bodies (they carry keys and mail).
 */
#include "providers/http_adapter.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include <event2/event.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "send/policy.h"

struct http_probe;

struct http_adapter {
	struct adapter *a;
	const struct http_provider *prov;
	struct http_client *client;
	struct http_probe *probes; /* running probes, freed at fini */
};

struct http_chan {
	struct http_adapter *ha;
	struct http_call *call; /* the request in flight, or NULL */
	struct event *local;    /* reports a refusal made before sending */
	bool busy;
	struct http_out out;
	struct send_result res;
	size_t n_rcpts;
	adapter_done_fn *cb;
	void *arg;
};

struct http_probe {
	struct http_adapter *ha;
	struct http_probe *prev, *next;
	struct http_call *call;
	struct http_out out;
	uint64_t t0;
	adapter_probe_fn *cb;
	void *arg;
};

/* ---- requests ---------------------------------------------------------- */

void
http_out_init(struct http_out *o)
{
	memset(o, 0, sizeof(*o));
	o->method = "POST";
	buf_init(&o->body);
	buf_init(&o->not_applied);
}

void
http_out_fini(struct http_out *o)
{
	size_t i;

	free(o->url);
	for (i = 0; i < o->n_hdrs; i++)
		free((char *)o->hdrs[i].value);
	/* The body may hold a key's base64 (never) or mail: wipe nothing,
	 * but release it. */
	buf_fini(&o->body);
	buf_fini(&o->not_applied);
	http_out_init(o);
}

void
http_out_header_add(struct http_out *o, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *v;

	if (o->n_hdrs >= HTTP_OUT_HEADERS_MAX)
		log_panic("http_adapter: more than %d headers",
		          HTTP_OUT_HEADERS_MAX);
	va_start(ap, fmt);
	if (vasprintf(&v, fmt, ap) < 0)
		log_panic("http_adapter: out of memory");
	va_end(ap);
	o->hdrs[o->n_hdrs].name = name;
	o->hdrs[o->n_hdrs].value = v;
	o->n_hdrs++;
}

const char *
http_out_header_get(const struct http_out *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->n_hdrs; i++)
		if (strcasecmp(o->hdrs[i].name, name) == 0)
			return o->hdrs[i].value;
	return NULL;
}

char *
http_base_url(const struct config_provider *cfg, const char *dflt)
{
	const char *s = cfg->endpoint && *cfg->endpoint ? cfg->endpoint : dflt;
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		n--;
	return xstrndup(s, n);
}

/* ---- facts for the failure policy ------------------------------------- */

/* http_fact_kind - the kind of event that ended a call. */
static enum send_fact_kind
http_fact_kind(enum http_client_error e)
{
	switch (e) {
	case HTTP_CLIENT_OK:
		return SEND_FACT_REPLY;
	case HTTP_CLIENT_ERR_CONNECT:
		return SEND_FACT_REFUSED;
	case HTTP_CLIENT_ERR_TLS:
		return SEND_FACT_TLS;
	case HTTP_CLIENT_ERR_TIMEOUT:
		return SEND_FACT_TIMEOUT;
	case HTTP_CLIENT_ERR_TOO_LARGE:
		return SEND_FACT_PROTOCOL;
	case HTTP_CLIENT_ERR_IO:
	default:
		return SEND_FACT_LOST;
	}
}

void
http_fact_init(struct send_fact *f, enum send_provider provider,
               const struct http_response *resp, time_t now)
{
	memset(f, 0, sizeof(*f));
	f->provider = provider;
	f->stage = resp->stage;
	f->kind = http_fact_kind(resp->error);
	f->request_sent = resp->request_sent;
	f->http_status = resp->status;
	f->retry_after = resp->retry_after;
	f->now = now;
	if (resp->error != HTTP_CLIENT_OK) {
		f->code = http_client_error_name(resp->error);
		f->text = resp->error_text ? resp->error_text : "";
		f->text_len = strlen(f->text);
	}
}

void
http_fact_message(struct send_fact *f, const struct http_response *resp,
                  const char *m)
{
	f->message = m;
	f->text = m ? m : resp->body;
	f->text_len = m                      ? strlen(m)
	              : resp->body_len > 200 ? 200
	                                     : resp->body_len;
}

bool
http_transport_classify(const struct http_response *resp, struct send_result *r)
{
	struct send_fact f;

	if (resp->error == HTTP_CLIENT_OK)
		return false;
	/* The provider's tables play no part in a transport failure. */
	http_fact_init(&f, SEND_PROVIDER_SMTP, resp, 0);
	policy_http_result(&f, r);
	return true;
}

const char *
http_header_find(const struct http_response *resp, const char *name)
{
	size_t i;

	for (i = 0; i < resp->n_headers; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

/* ---- adapter ----------------------------------------------------------- */

int
http_adapter_init(struct adapter *a, const struct http_provider *prov)
{
	const struct config_provider *cfg = a->cfg;
	struct http_adapter *ha = xcalloc(1, sizeof(*ha));
	struct http_client_opts o = {
	    .name = cfg->name,
	    .max_in_flight = cfg->max_connections ? cfg->max_connections : 4,
	    .connect_timeout_ms = (long)cfg->connect_timeout_ms,
	    .total_timeout_ms = (long)cfg->request_timeout_ms,
	    .tls_insecure = !cfg->tls_verify,
	    .ca_file = cfg->ca_file,
	};

	ha->a = a;
	ha->prov = prov;
	ha->client = http_client_new(a->env->base, &o);
	if (ha->client == NULL) {
		log_error("provider %s: cannot set up the HTTP client",
		          cfg->name);
		free(ha);
		return -1;
	}
	if (!cfg->tls_verify)
		log_warn("provider %s: TLS certificate checks are off "
		         "(tls_verify: false)",
		         cfg->name);
	a->priv = ha;
	return 0;
}

/* http_probe_free - release a probe (its call is finished or cancelled). */
static void
http_probe_free(struct http_probe *p)
{
	struct http_adapter *ha = p->ha;

	if (p->prev)
		p->prev->next = p->next;
	else
		ha->probes = p->next;
	if (p->next)
		p->next->prev = p->prev;
	http_out_fini(&p->out);
	free(p);
}

void
http_adapter_fini(struct adapter *a)
{
	struct http_adapter *ha = a->priv;
	struct http_probe *p, *next;

	if (ha == NULL)
		return;
	/* Freeing the client cancels every call: no callback runs. */
	http_client_free(ha->client);
	for (p = ha->probes; p != NULL; p = next) {
		next = p->next;
		http_out_fini(&p->out);
		free(p);
	}
	free(ha);
	a->priv = NULL;
}

/* http_chan_report - hand the channel's result to deliver, once. */
static void
http_chan_report(struct http_chan *ch)
{
	struct send_result stack[8];
	struct send_result *rr = stack;
	struct adapter_result res;
	adapter_done_fn *cb = ch->cb;
	void *arg = ch->arg;
	size_t i, n = ch->n_rcpts;
	char *na = NULL;

	if (n > sizeof(stack) / sizeof(stack[0]))
		rr = xcalloc(n, sizeof(*rr));
	for (i = 0; i < n; i++)
		rr[i] = ch->res;
	res.msg = ch->res;
	res.rcpts = rr;
	res.n_rcpts = n;
	res.n_accepted = ch->res.class == SEND_ACCEPTED ? n : 0;
	if (ch->out.not_applied.len > 0)
		na = buf_steal(&ch->out.not_applied, NULL);
	res.not_applied = na;
	ch->busy = false;
	ch->call = NULL;
	ch->cb = NULL;
	http_out_fini(&ch->out);
	/* The callback may free the channel: touch nothing after it. */
	cb(&res, arg);
	if (rr != stack)
		free(rr);
	free(na);
}

/* http_chan_on_local - report a refusal decided in send(). */
static void
http_chan_on_local(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	http_chan_report(arg);
}

/* http_chan_on_done - the answer (or transport failure) for a send. */
static void
http_chan_on_done(const struct http_response *resp, void *arg)
{
	struct http_chan *ch = arg;
	const struct http_provider *prov = ch->ha->prov;

	ch->call = NULL;
	if (!http_transport_classify(resp, &ch->res))
		prov->classify(resp, clock_wall_time(), &ch->res);
	if (ch->res.class == SEND_CONFIG)
		log_warn("provider %s: %s (HTTP %d %s): %s",
		         ch->ha->a->cfg->name, send_class_name(ch->res.class),
		         ch->res.http_status, ch->res.provider_code,
		         ch->res.text);
	http_chan_report(ch);
}

void *
http_adapter_chan_new(struct adapter *a)
{
	struct http_adapter *ha = a->priv;
	struct http_chan *ch = xcalloc(1, sizeof(*ch));

	ch->ha = ha;
	ch->local = event_new(a->env->base, -1, 0, http_chan_on_local, ch);
	if (ch->local == NULL) {
		free(ch);
		return NULL;
	}
	http_out_init(&ch->out);
	return ch;
}

int
http_adapter_send(void *chan, const struct adapter_msg *msg,
                  adapter_done_fn *cb, void *arg)
{
	struct http_chan *ch = chan;
	const struct http_provider *prov = ch->ha->prov;
	const struct config_provider *cfg = ch->ha->a->cfg;
	struct http_request req;
	char why[200];

	if (ch->busy)
		return -EBUSY;
	if (msg->n_rcpts == 0)
		return -EINVAL;
	ch->busy = true;
	ch->cb = cb;
	ch->arg = arg;
	ch->n_rcpts = msg->n_rcpts;
	http_out_fini(&ch->out);
	why[0] = '\0';
	if (prov->build(cfg, msg, clock_wall_time(), &ch->out, why,
	                sizeof(why)) != 0) {
		char text[SEND_TEXT_SIZE];

		/* Nothing was sent; the trace shows why (and nothing of
		 * the message's meta was left out: nothing went). */
		http_out_fini(&ch->out);
		snprintf(text, sizeof(text),
		         "%s cannot carry this message faithfully: %s",
		         prov->type, why);
		policy_local_result(&ch->res, POLICY_LOCAL_UNREPRESENTABLE,
		                    text);
		log_info("provider %s: message %s: %s", cfg->name,
		         msg->id ? msg->id : "-", why);
		event_active(ch->local, 0, 0);
		return 0;
	}
	req = (struct http_request){
	    .method = ch->out.method,
	    .url = ch->out.url,
	    .headers = ch->out.hdrs,
	    .n_headers = ch->out.n_hdrs,
	    .body = ch->out.body.len ? ch->out.body.p : NULL,
	    .body_len = ch->out.body.len,
	    .want_headers = prov->want_headers,
	    .n_want = prov->n_want,
	};
	ch->call =
	    http_client_submit(ch->ha->client, &req, http_chan_on_done, ch);
	if (ch->call == NULL) {
		policy_local_result(&ch->res, POLICY_LOCAL_UNUSABLE_REQUEST,
		                    NULL);
		event_active(ch->local, 0, 0);
	}
	return 0;
}

bool
http_adapter_idle(const void *chan)
{
	const struct http_chan *ch = chan;

	return !ch->busy;
}

void
http_adapter_chan_free(void *chan)
{
	struct http_chan *ch = chan;

	if (ch == NULL)
		return;
	if (ch->call != NULL)
		http_call_cancel(ch->call);
	event_free(ch->local);
	http_out_fini(&ch->out);
	free(ch);
}

void
http_adapter_quit(void *chan)
{
	/* HTTP has nothing to say on leaving; the pool keeps the
	 * connection for the other channels. */
	http_adapter_chan_free(chan);
}

bool
http_adapter_represents(struct adapter *a, const struct adapter_msg *msg,
                        char *why, size_t whylen)
{
	struct http_adapter *ha = a->priv;

	if (ha->prov->represents == NULL)
		return true;
	return ha->prov->represents(msg, why, whylen);
}

/* ---- probes ------------------------------------------------------------ */

/* http_probe_on_done - classify the probe's answer and report it. */
static void
http_probe_on_done(const struct http_response *resp, void *arg)
{
	struct http_probe *p = arg;
	struct adapter_probe_result pr;
	struct send_result r;
	adapter_probe_fn *cb = p->cb;
	void *cbarg = p->arg;

	memset(&pr, 0, sizeof(pr));
	pr.max_send_rate = -1;
	pr.quota_left = -1;
	pr.quota_max = -1;
	pr.sending_enabled = true;
	pr.latency_ms = clock_mono_ms() - p->t0;
	if (http_transport_classify(resp, &r)) {
		pr.ok = false;
		pr.class = policy_probe_class(POLICY_PROBE_NO_ANSWER);
		pr.stage = r.stage;
		snprintf(pr.text, sizeof(pr.text), "%.250s", r.text);
	} else {
		pr.stage = SEND_STAGE_RESPONSE;
		p->ha->prov->probe_read(resp, clock_wall_time(), &pr);
	}
	p->call = NULL;
	http_probe_free(p);
	cb(&pr, cbarg);
}

void *
http_adapter_probe(struct adapter *a, adapter_probe_fn *cb, void *arg)
{
	struct http_adapter *ha = a->priv;
	struct http_probe *p = xcalloc(1, sizeof(*p));
	struct http_request req;

	p->ha = ha;
	p->cb = cb;
	p->arg = arg;
	p->t0 = clock_mono_ms();
	http_out_init(&p->out);
	ha->prov->probe_build(a->cfg, clock_wall_time(), &p->out);
	req = (struct http_request){
	    .method = p->out.method,
	    .url = p->out.url,
	    .headers = p->out.hdrs,
	    .n_headers = p->out.n_hdrs,
	    .body = p->out.body.len ? p->out.body.p : NULL,
	    .body_len = p->out.body.len,
	};
	p->next = ha->probes;
	if (ha->probes)
		ha->probes->prev = p;
	ha->probes = p;
	p->call = http_client_submit(ha->client, &req, http_probe_on_done, p);
	if (p->call == NULL) {
		http_probe_free(p);
		return NULL;
	}
	return p;
}

void
http_adapter_probe_cancel(void *handle)
{
	struct http_probe *p = handle;

	if (p == NULL)
		return;
	if (p->call != NULL)
		http_call_cancel(p->call);
	http_probe_free(p);
}
