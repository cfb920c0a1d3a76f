/*
 * dsn_queue.h - build a DSN to a message's sender and hand it to the
 * spool (contract).
 *
 * The one way swerve queues its own delivery status notifications: for
 * recipients that failed while swerve delivered (deliver_job.c) and for
 * hard bounces a relay reported later to the bounce mailbox
 * (ingress/smtpd_bounce.c). Loop thread.
 */
#ifndef SWERVE_DELIVER_DSN_QUEUE_H
#define SWERVE_DELIVER_DSN_QUEUE_H

#include <stddef.h>

#include "deliver/dsn.h"

struct spool;
struct spool_msg;

/*
 * dsn_queue - build the report of rs[0..n) for message m (its sender,
 * arrival and headers; all borrowed) with reporting host hostname and
 * reason, and submit it with the null sender to m's sender on the
 * transactional stream. The outcome of the commit is logged. Returns 0
 * when it was handed to the spool, -1 when no report is wanted (null
 * sender, no recipients) or the spool is closing (logged).
 */
int dsn_queue(struct spool *sp, const char *hostname, const struct spool_msg *m,
              const struct dsn_rcpt *rs, size_t n, const char *reason);

#endif
