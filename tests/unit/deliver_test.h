/*
 * deliver_test.h - what the scheduler's unit tests share: a spool in a
 * fresh directory on a loop of its own, a configuration, a message from
 * <> (so no DSN), the clean-up, and a scripted provider: a fake adapter
 * (providers/adapter.h test seam) that refuses to start the first sends
 * and then answers each with the class the test chose. Included by
 * tests/unit/test_deliver*.c.
 */
#ifndef SWERVE_TESTS_DELIVER_TEST_H
#define SWERVE_TESTS_DELIVER_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>
#include <ftw.h>
#include <sys/stat.h>
#include <time.h>

#include "config/config.h"
#include "core/xmalloc.h"
#include "deliver/deliver.h"
#include "providers/adapter.h"
#include "send/result.h"
#include "spool/spool.h"

/* ---- the scripted provider -------------------------------------------- */

#define DT_SCRIPT_MAX 8

/* What the provider does; a case sets it before deliver_new(). */
struct dt_script {
	struct event_base *base; /* where the answers are sent from */
	int refuse_left;         /* refuse this many send() calls ... */
	int refuse_rc;           /* ... with this code (-EBUSY, -EINVAL) */
	/* The answer to started send n (the last repeats; none: accepted). */
	enum send_class cls[DT_SCRIPT_MAX];
	size_t n_cls;
	int sends;                     /* send() calls */
	size_t started;                /* of those, sends that started */
	uint64_t at_ms[DT_SCRIPT_MAX]; /* when send n started (monotonic) */
	const char *not_applied;       /* every answer's, or NULL */
};

static struct dt_script dt_script;

struct dt_chan {
	struct event *ev;
	adapter_done_fn *cb;
	void *arg;
	size_t n_rcpts;
	enum send_class cls;
	bool busy;
};

/* dt_chan_answer - the scripted answer for every recipient, from the
 * loop (an adapter never calls back from inside send). */
static void
dt_chan_answer(evutil_socket_t fd, short what, void *arg)
{
	struct dt_chan *ch = arg;
	bool ok = ch->cls == SEND_ACCEPTED;
	struct send_result rr[8];
	struct adapter_result res;
	size_t i;

	(void)fd;
	(void)what;
	assert_true(ch->n_rcpts <= 8);
	for (i = 0; i < ch->n_rcpts; i++) {
		send_result_init(&rr[i], ch->cls,
		                 ok ? SEND_STAGE_DOT : SEND_STAGE_CONNECT);
		send_result_text_set(&rr[i], ok ? "ok" : "scripted failure",
		                     ok ? 2 : 16);
	}
	res.msg = rr[0];
	res.rcpts = rr;
	res.n_rcpts = ch->n_rcpts;
	res.n_accepted = ok ? ch->n_rcpts : 0;
	res.not_applied = dt_script.not_applied;
	ch->busy = false;
	ch->cb(&res, ch->arg);
}

static void *
dt_chan_new(struct adapter *a)
{
	struct dt_chan *ch = xcalloc(1, sizeof(*ch));

	(void)a;
	ch->ev = event_new(dt_script.base, -1, 0, dt_chan_answer, ch);
	return ch;
}

static int
dt_send(void *chan, const struct adapter_msg *msg, adapter_done_fn *cb,
        void *arg)
{
	struct dt_script *sc = &dt_script;
	struct dt_chan *ch = chan;
	struct timespec ts;
	size_t n = sc->started;

	sc->sends++;
	if (sc->refuse_left > 0) {
		sc->refuse_left--;
		return sc->refuse_rc;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (n < DT_SCRIPT_MAX)
		sc->at_ms[n] =
		    (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	ch->cls = sc->n_cls == 0  ? SEND_ACCEPTED
	          : n < sc->n_cls ? sc->cls[n]
	                          : sc->cls[sc->n_cls - 1];
	sc->started++;
	ch->busy = true;
	ch->cb = cb;
	ch->arg = arg;
	ch->n_rcpts = msg->n_rcpts;
	event_active(ch->ev, 0, 0);
	return 0;
}

static bool
dt_idle(const void *chan)
{
	return !((const struct dt_chan *)chan)->busy;
}

static void
dt_chan_free(void *chan)
{
	struct dt_chan *ch = chan;

	if (ch == NULL)
		return;
	event_free(ch->ev);
	free(ch);
}

static const struct adapter_ops dt_ops = {
    .type = "smtp",
    .chan_new = dt_chan_new,
    .send = dt_send,
    .idle = dt_idle,
    .quit = dt_chan_free,
    .chan_free = dt_chan_free,
};

/* ---- the spool and the loop --------------------------------------------- */

/* The spool and loop of one case, and what the case puts on them. */
struct dt_env {
	char dir[64];
	struct event_base *base;
	struct spool *sp;
	struct config *cfg; /* the case's; may stay NULL */
	struct deliver *d;  /* the case's; may stay NULL */
};

/* dt_env_open - a spool in a new directory /tmp/NAME.XXXXXX on a new
 * loop, and the scripted provider for every provider of type smtp. */
static void
dt_env_open(struct dt_env *e, const char *name)
{
	struct spool_opts so = {0};
	char err[256] = "";

	snprintf(e->dir, sizeof(e->dir), "/tmp/%s.XXXXXX", name);
	assert_non_null(mkdtemp(e->dir));
	e->base = event_base_new();
	so.dir = e->dir;
	e->sp = spool_open(&so, err, sizeof(err));
	if (e->sp == NULL)
		fail_msg("spool_open: %s", err);
	assert_int_equal(spool_attach(e->sp, e->base), 0);
	memset(&dt_script, 0, sizeof(dt_script));
	dt_script.base = e->base;
	adapter_ops_test_set(&dt_ops);
}

/* dt_unlink - nftw callback: remove one entry of the spool directory. */
static int
dt_unlink(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* dt_env_close - free the scheduler, close the spool and the loop, free
 * the configuration, remove the directory. */
static void
dt_env_close(struct dt_env *e)
{
	deliver_free(e->d);
	spool_close(e->sp);
	config_free(e->cfg);
	event_base_free(e->base);
	adapter_ops_test_set(NULL);
	if (nftw(e->dir, dt_unlink, 8, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "cannot remove %s\n", e->dir);
}

/* dt_config - the configuration in yaml, or the test fails. */
static struct config *
dt_config(const char *yaml)
{
	char err[CONFIG_ERR_SIZE] = "";
	struct config *cfg;

	cfg = config_load_buf(yaml, strlen(yaml), "t.yaml", err, sizeof(err));
	if (cfg == NULL)
		fail_msg("config: %s", err);
	return cfg;
}

/* dt_submit - spool one message from <> to the n addresses in rcpts. */
static void
dt_submit(struct spool *sp, const char *const *rcpts, size_t n,
          spool_commit_fn *cb, void *arg)
{
	static const char body[] = "Subject: x\r\n\r\nhi\r\n";
	struct spool_msg_new m;
	size_t i;

	memset(&m, 0, sizeof(m));
	m.sender = xstrdup("");
	m.rcpts = xcalloc(n, sizeof(*m.rcpts));
	for (i = 0; i < n; i++)
		m.rcpts[i] = xstrdup(rcpts[i]);
	m.n_rcpts = n;
	buf_init(&m.body);
	buf_add(&m.body, body, sizeof(body) - 1);
	assert_int_equal(spool_msg_submit(sp, &m, cb, arg), 0);
}

#endif
