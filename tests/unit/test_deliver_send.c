/*
 * test_deliver_send.c - what deliver does with an adapter's refusal to
 * start a send, through a fake adapter (providers/adapter.h test seam)
 * over a real spool and a real loop.
 *
 * adapter.h: send() returns 0, -EBUSY (the channel is busy: nothing
 * started) or -EINVAL (the message cannot go to this provider at all).
 * Only -EINVAL may fail the recipients.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <event2/event.h>
#include <ftw.h>
#include <sys/stat.h>

#include "config/config.h"
#include "core/xmalloc.h"
#include "deliver/deliver.h"
#include "providers/adapter.h"
#include "send/result.h"
#include "spool/spool.h"

/* ---- the fake adapter ---------------------------------------------- */

static int fake_refuse_left; /* refuse this many sends ... */
static int fake_refuse_rc;   /* ... with this code */
static int fake_sends;       /* send() calls */

struct fake_chan {
	struct event *ev;
	adapter_done_fn *cb;
	void *arg;
	size_t n_rcpts;
	bool busy;
};

/* fake_on_done - answer "accepted" for every recipient, from the loop. */
static void
fake_on_done(evutil_socket_t fd, short what, void *arg)
{
	struct fake_chan *ch = arg;
	struct send_result rr[8];
	struct adapter_result res;
	size_t i;

	(void)fd;
	(void)what;
	assert_true(ch->n_rcpts <= 8);
	for (i = 0; i < ch->n_rcpts; i++) {
		send_result_init(&rr[i], SEND_ACCEPTED, SEND_STAGE_DOT);
		send_result_text_set(&rr[i], "ok", 2);
	}
	res.msg = rr[0];
	res.rcpts = rr;
	res.n_rcpts = ch->n_rcpts;
	res.n_accepted = ch->n_rcpts;
	ch->busy = false;
	ch->cb(&res, ch->arg);
}

static struct event_base *fake_base;

static void *
fake_chan_new(struct adapter *a)
{
	struct fake_chan *ch = xcalloc(1, sizeof(*ch));

	(void)a;
	ch->ev = event_new(fake_base, -1, 0, fake_on_done, ch);
	return ch;
}

static int
fake_send(void *chan, const struct adapter_msg *msg, adapter_done_fn *cb,
          void *arg)
{
	struct fake_chan *ch = chan;

	fake_sends++;
	if (fake_refuse_left > 0) {
		fake_refuse_left--;
		return fake_refuse_rc;
	}
	ch->busy = true;
	ch->cb = cb;
	ch->arg = arg;
	ch->n_rcpts = msg->n_rcpts;
	event_active(ch->ev, 0, 0);
	return 0;
}

static bool
fake_idle(const void *chan)
{
	const struct fake_chan *ch = chan;

	return !ch->busy;
}

static void
fake_chan_free(void *chan)
{
	struct fake_chan *ch = chan;

	if (ch == NULL)
		return;
	event_free(ch->ev);
	free(ch);
}

static const struct adapter_ops fake_ops = {
    .type = "smtp",
    .chan_new = fake_chan_new,
    .send = fake_send,
    .idle = fake_idle,
    .quit = fake_chan_free,
    .chan_free = fake_chan_free,
};

/* ---- fixture --------------------------------------------------------- */

/* One case: the adapter refuses the first sends, then accepts. */
struct refusal_case {
	const char *name;
	int rc;    /* what send() returns ... */
	int times; /* ... this many times */
	uint64_t delivered, failed;
	int sends; /* send() calls in all */
};

static const struct refusal_case refusal_cases[] = {
    {"busy channel does not reject the message", -EBUSY, 1, 1, 0, 2},
    {"channel busy three times still sends", -EBUSY, 3, 1, 0, 4},
    {"invalid message fails every recipient", -EINVAL, 1, 0, 1, 1},
};

struct fx {
	const struct refusal_case *c;
	char dir[64];
	struct event_base *base;
	struct spool *sp;
	struct config *cfg;
	struct deliver *d;
	int committed;
};

static const char fx_yaml[] =
    "providers:\n"
    "  - {name: only, type: smtp, host: 127.0.0.1, port: 2525,"
    " max_connections: 1}\n";

static int
fx_setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct spool_opts so = {0};
	char err[CONFIG_ERR_SIZE] = "";

	f->c = *state;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_deliver_send.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->base = event_base_new();
	fake_base = f->base;
	so.dir = f->dir;
	f->sp = spool_open(&so, err, sizeof(err));
	if (f->sp == NULL)
		fail_msg("spool_open: %s", err);
	assert_int_equal(spool_attach(f->sp, f->base), 0);
	f->cfg = config_load_buf(fx_yaml, strlen(fx_yaml), "t.yaml", err,
	                         sizeof(err));
	if (f->cfg == NULL)
		fail_msg("config: %s", err);
	adapter_ops_test_set(&fake_ops);
	fake_sends = 0;
	fake_refuse_left = f->c->times;
	fake_refuse_rc = f->c->rc;
	*state = f;
	return 0;
}

/* fx_unlink - nftw callback: remove one entry of the spool directory. */
static int
fx_unlink(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	deliver_free(f->d);
	spool_close(f->sp);
	config_free(f->cfg);
	event_base_free(f->base);
	adapter_ops_test_set(NULL);
	if (nftw(f->dir, fx_unlink, 8, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "cannot remove %s\n", f->dir);
	free(f);
	return 0;
}

static void
fx_on_commit(int status, const char *id, void *arg)
{
	struct fx *f = arg;

	(void)id;
	assert_int_equal(status, SPOOL_OK);
	f->committed++;
}

/* fx_submit - spool one message to two recipients, from <> (no DSN). */
static void
fx_submit(struct fx *f)
{
	static const char body[] = "Subject: x\r\n\r\nhi\r\n";
	struct spool_msg_new m;

	memset(&m, 0, sizeof(m));
	m.sender = xstrdup("");
	m.rcpts = xcalloc(2, sizeof(*m.rcpts));
	m.rcpts[0] = xstrdup("b@example.net");
	m.rcpts[1] = xstrdup("c@example.net");
	m.n_rcpts = 2;
	buf_init(&m.body);
	buf_add(&m.body, body, sizeof(body) - 1);
	assert_int_equal(spool_msg_submit(f->sp, &m, fx_on_commit, f), 0);
}

/* ---- the one test, run per case ---------------------------------------- */

/* refusal_case_run - submit, deliver until finished (5 s at most), check. */
static void
refusal_case_run(void **state)
{
	struct fx *f = *state;
	struct deliver_opts o = {
	    .base = f->base,
	    .spool = f->sp,
	    .cfg = f->cfg,
	    .poll_ms = 10,
	};
	struct deliver_stats st;
	struct timeval tick = {0, 10000};
	int i;

	fx_submit(f);
	f->d = deliver_new(&o);
	assert_non_null(f->d);
	for (i = 0; i < 500; i++) {
		event_base_loopexit(f->base, &tick);
		event_base_dispatch(f->base);
		deliver_stats_get(f->d, &st);
		if (f->committed == 1 && st.delivered + st.failed > 0)
			break;
	}
	if (i == 500)
		fail_msg("%s: the message was not finished within 5 s",
		         f->c->name);
	assert_int_equal(st.delivered, f->c->delivered);
	assert_int_equal(st.failed, f->c->failed);
	assert_int_equal(fake_sends, f->c->sends);
}

int
main(void)
{
	enum { N = sizeof(refusal_cases) / sizeof(refusal_cases[0]) };
	struct CMUnitTest tests[N];
	size_t i;

	for (i = 0; i < N; i++)
		tests[i] = (struct CMUnitTest){
		    refusal_cases[i].name, refusal_case_run, fx_setup,
		    fx_teardown, (void *)&refusal_cases[i]};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
