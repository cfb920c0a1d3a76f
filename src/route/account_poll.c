/*
 * account_poll.c - the account calls of each provider type, run one after
 * another on the loop (route/account_poll.h).
 */
#include "route/account_poll.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "net/http_client.h"
#include "providers/aws_sign.h"
#include "providers/http_adapter.h"
#include "providers/providers_http.h"
#include "route/account_parse.h"

#define POLL_STEPS_MAX 2
#define POLL_CW_TARGET "GraniteServiceVersion20100801.GetMetricData"
#define POLL_CW_TYPE "application/x-amz-json-1.0"

typedef int poll_parse_fn(const char *body, size_t len,
                          struct account_reading *out, char *err,
                          size_t errlen);

/* One call: how to build it, how to read it, its name for messages. */
struct poll_step {
	const char *name;
	int (*build)(const struct config_provider *cfg, time_t now,
	             struct http_out *out);
	poll_parse_fn *parse;
};

struct poll_type {
	const char *type;
	struct poll_step steps[POLL_STEPS_MAX];
	size_t n;
};

struct account_poll {
	struct event_base *base;
	const struct config_provider *cfg;
	struct http_client *http;
	const struct poll_type *t;
	account_poll_fn *done;
	void *arg;
	struct http_call *call;
	struct http_out out;
	struct event *kick; /* reports off the caller's stack */
	size_t step;
	bool busy, told;
	struct account_reading sum;
	char err[256];
};

/* poll_cw - CloudWatch GetMetricData for the SES reputation metrics. */
static int
poll_cw(const struct config_provider *cfg, time_t now, struct http_out *out)
{
	char *base;
	size_t bl;
	int rc;

	if (cfg->cloudwatch_endpoint != NULL) {
		bl = strlen(cfg->cloudwatch_endpoint);
		while (bl > 0 && cfg->cloudwatch_endpoint[bl - 1] == '/')
			bl--;
		base = xstrndup(cfg->cloudwatch_endpoint, bl);
	} else if (asprintf(&base, "https://monitoring.%s.amazonaws.com",
	                    aws_region(cfg)) < 0) {
		return -1;
	}
	out->method = "POST";
	account_ses_metrics_body(&out->body, now);
	rc = aws_sign(cfg, out, base, "monitoring", "/", POLL_CW_TYPE,
	              POLL_CW_TARGET, now);
	free(base);
	return rc;
}

/* poll_sendgrid - the probe's request (its key) at another path. */
static int
poll_sendgrid(const struct config_provider *cfg, time_t now,
              struct http_out *out, const char *path)
{
	char *base = http_base_url(cfg, "https://api.sendgrid.com");

	sendgrid_probe_build(cfg, now, out);
	free(out->url);
	if (asprintf(&out->url, "%s%s", base, path) < 0)
		out->url = NULL;
	free(base);
	return out->url != NULL ? 0 : -1;
}

static int
poll_sg_credits(const struct config_provider *cfg, time_t now,
                struct http_out *out)
{
	return poll_sendgrid(cfg, now, out, "/v3/user/credits");
}

static int
poll_sg_account(const struct config_provider *cfg, time_t now,
                struct http_out *out)
{
	return poll_sendgrid(cfg, now, out, "/v3/user/account");
}

/* poll_probe_req - the provider's probe request is the account call. */
#define POLL_PROBE_REQ(name_, fn_)                                             \
	static int name_(const struct config_provider *cfg, time_t now,        \
	                 struct http_out *out)                                 \
	{                                                                      \
		fn_(cfg, now, out);                                            \
		return out->url != NULL ? 0 : -1;                              \
	}
POLL_PROBE_REQ(poll_mailgun, mailgun_probe_build)
POLL_PROBE_REQ(poll_postmark, postmark_probe_build)
POLL_PROBE_REQ(poll_resend, resend_probe_build)

static const struct poll_type poll_types[] = {
    {"ses", {{"GetMetricData", poll_cw, account_ses_metrics_parse}}, 1},
    {"sendgrid",
     {{"user/credits", poll_sg_credits, account_sendgrid_credits_parse},
      {"user/account", poll_sg_account, account_sendgrid_account_parse}},
     2},
    {"mailgun", {{"domain", poll_mailgun, account_mailgun_domain_parse}}, 1},
    {"postmark", {{"server", poll_postmark, account_postmark_server_parse}}, 1},
    {"resend", {{"domains", poll_resend, account_resend_domains_parse}}, 1},
};

/* poll_type_of - the calls of cfg's type, or NULL. */
static const struct poll_type *
poll_type_of(const struct config_provider *cfg)
{
	size_t i;

	for (i = 0; i < sizeof(poll_types) / sizeof(poll_types[0]); i++)
		if (cfg->type && strcmp(cfg->type, poll_types[i].type) == 0)
			return &poll_types[i];
	return NULL;
}

bool
account_poll_applies(const struct config_provider *cfg)
{
	return poll_type_of(cfg) != NULL;
}

/* poll_merge - what one reading tells into the sum. */
static void
poll_merge(struct account_reading *sum, const struct account_reading *r)
{
	if (r->sending >= 0 && sum->sending != 0) {
		sum->sending = r->sending;
		snprintf(sum->why, sizeof(sum->why), "%s", r->why);
	}
	if (r->state[0] != '\0')
		snprintf(sum->state, sizeof(sum->state), "%s", r->state);
	if (r->quota_max >= 0 || r->quota_left >= 0) {
		sum->quota_max = r->quota_max;
		sum->quota_left = r->quota_left;
		snprintf(sum->period, sizeof(sum->period), "%s", r->period);
	}
	if (r->bounce_rate >= 0)
		sum->bounce_rate = r->bounce_rate;
	if (r->complaint_rate >= 0)
		sum->complaint_rate = r->complaint_rate;
	if (r->score >= 0)
		sum->score = r->score;
	if (r->max_rate >= 0)
		sum->max_rate = r->max_rate;
}

/* poll_fail - note the first failure of this poll. */
static void
poll_fail(struct account_poll *ap, const char *fmt, const char *a,
          const char *b)
{
	if (ap->err[0] == '\0')
		snprintf(ap->err, sizeof(ap->err), fmt, a, b);
}

static void poll_next(struct account_poll *ap);

/* poll_on_done - one call's answer. */
static void
poll_on_done(const struct http_response *resp, void *arg)
{
	struct account_poll *ap = arg;
	const struct poll_step *s = &ap->t->steps[ap->step];
	struct account_reading r;
	char err[160], code[48];

	ap->call = NULL;
	if (resp->error != HTTP_CLIENT_OK) {
		poll_fail(ap, "%s: %s", s->name,
		          http_client_error_name(resp->error));
	} else if (resp->status < 200 || resp->status >= 300) {
		snprintf(code, sizeof(code), "HTTP %d", resp->status);
		poll_fail(ap, "%s: %s", s->name, code);
	} else if (s->parse(resp->body, resp->body_len, &r, err, sizeof(err)) !=
	           0) {
		poll_fail(ap, "%s: unreadable answer: %s", s->name, err);
	} else {
		poll_merge(&ap->sum, &r);
		ap->told = true;
	}
	http_out_fini(&ap->out);
	ap->step++;
	poll_next(ap);
}

/* poll_report - the poll is over: tell the owner. */
static void
poll_report(evutil_socket_t fd, short what, void *arg)
{
	struct account_poll *ap = arg;
	struct account_reading sum = ap->sum;
	char err[256];

	(void)fd;
	(void)what;
	snprintf(err, sizeof(err), "%s", ap->err);
	ap->busy = false;
	ap->done(&sum, ap->told, err, ap->arg);
}

/* poll_next - start the next call, or report. */
static void
poll_next(struct account_poll *ap)
{
	struct http_request req;

	while (ap->step < ap->t->n) {
		const struct poll_step *s = &ap->t->steps[ap->step];

		http_out_init(&ap->out);
		if (s->build(ap->cfg, clock_wall_time(), &ap->out) != 0) {
			poll_fail(ap, "%s: %s", s->name,
			          "cannot build the request (credentials?)");
			http_out_fini(&ap->out);
			ap->step++;
			continue;
		}
		req = (struct http_request){
		    .method = ap->out.method,
		    .url = ap->out.url,
		    .headers = ap->out.hdrs,
		    .n_headers = ap->out.n_hdrs,
		    .body = ap->out.body.len ? ap->out.body.p : NULL,
		    .body_len = ap->out.body.len,
		};
		ap->call = http_client_submit(ap->http, &req, poll_on_done, ap);
		if (ap->call != NULL)
			return;
		poll_fail(ap, "%s: %s", s->name, "cannot start the request");
		http_out_fini(&ap->out);
		ap->step++;
	}
	event_active(ap->kick, 0, 0);
}

struct account_poll *
account_poll_new(struct event_base *base, const struct config_provider *cfg,
                 account_poll_fn *done, void *arg)
{
	const struct poll_type *t = poll_type_of(cfg);
	struct account_poll *ap;
	struct http_client_opts o = {
	    .name = cfg->name,
	    .max_in_flight = 1,
	    .connect_timeout_ms = (long)cfg->connect_timeout_ms,
	    .total_timeout_ms = (long)cfg->request_timeout_ms,
	    .tls_insecure = !cfg->tls_verify,
	    .ca_file = cfg->ca_file,
	};

	if (t == NULL)
		return NULL;
	ap = xcalloc(1, sizeof(*ap));
	ap->base = base;
	ap->cfg = cfg;
	ap->t = t;
	ap->done = done;
	ap->arg = arg;
	ap->http = http_client_new(base, &o);
	ap->kick = event_new(base, -1, 0, poll_report, ap);
	if (ap->http == NULL || ap->kick == NULL) {
		account_poll_free(ap);
		return NULL;
	}
	return ap;
}

bool
account_poll_run(struct account_poll *ap)
{
	if (ap == NULL || ap->busy)
		return false;
	ap->busy = true;
	ap->told = false;
	ap->step = 0;
	ap->err[0] = '\0';
	account_reading_init(&ap->sum);
	poll_next(ap);
	return true;
}

bool
account_poll_busy(const struct account_poll *ap)
{
	return ap != NULL && ap->busy;
}

void
account_poll_free(struct account_poll *ap)
{
	if (ap == NULL)
		return;
	if (ap->call != NULL)
		http_call_cancel(ap->call);
	http_out_fini(&ap->out);
	if (ap->kick != NULL)
		event_free(ap->kick);
	http_client_free(ap->http);
	free(ap);
}
