/*
 * dsn_queue.c - queue swerve's DSN to a message's sender (see
 * dsn_queue.h). The report itself is dsn.c's; this file only fills its
 * information from the stored message and submits it.
 */
#include "deliver/dsn_queue.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "spool/spool.h"

/* dsn_queue_stored - the report's commit. */
static void
dsn_queue_stored(int status, const char *id, void *arg)
{
	char *orig = arg;

	if (status == SPOOL_OK)
		log_info("deliver: id=%s dsn queued as %s", orig, id);
	else
		log_warn("deliver: id=%s dsn not stored (status %d)", orig,
		         status);
	free(orig);
}

int
dsn_queue(struct spool *sp, const char *hostname, const struct spool_msg *m,
          const struct dsn_rcpt *rs, size_t n, const char *reason)
{
	struct spool_msg_new nm;
	struct dsn_info info;

	if (n == 0 || !dsn_wanted(m->sender))
		return -1;
	info = (struct dsn_info){
	    .reporting_mta = hostname ? hostname : "localhost",
	    .msg_id = m->id,
	    .sender = m->sender,
	    .arrival = (time_t)(m->created_at / 1000),
	    .now = (time_t)(clock_wall_ms() / 1000),
	    .reason = reason,
	    .rcpts = rs,
	    .n_rcpts = n,
	    .original = {m->body.p ? m->body.p : "", m->body.len},
	};
	memset(&nm, 0, sizeof(nm));
	buf_init(&nm.body);
	if (dsn_build(&info, &nm.body) != 0) {
		buf_fini(&nm.body);
		return -1;
	}
	nm.sender = xstrdup("");
	nm.rcpts = xcalloc(1, sizeof(char *));
	nm.rcpts[0] = xstrdup(m->sender);
	nm.n_rcpts = 1;
	nm.client = xstrdup("dsn");
	nm.stream = xstrdup("transactional");
	if (spool_msg_submit(sp, &nm, dsn_queue_stored, xstrdup(m->id)) != 0) {
		log_warn("deliver: id=%s dsn refused: spool closing", m->id);
		return -1;
	}
	return 0;
}
