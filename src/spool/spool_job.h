/*
 * spool_job.h - the operations queued between the loop and the writer
 * (internal to src/spool).
 *
 * A job is born on the loop thread (spool_msg_submit() and friends),
 * waits in the spool's queue, is run by the writer inside a batch, waits
 * in the done list, and dies on the loop thread after its callback ran
 * (spool_job_deliver(), then spool_job_free()). The lists are not locked
 * here; spool.c holds its mutex around them.
 */
#ifndef SWERVE_SPOOL_SPOOL_JOB_H
#define SWERVE_SPOOL_SPOOL_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "spool/spool.h"

enum spool_job_kind {
	SPOOL_JOB_SUBMIT,
	SPOOL_JOB_GET,
	SPOOL_JOB_LIST,
	SPOOL_JOB_CLAIM,
	SPOOL_JOB_OUTCOME,
	SPOOL_JOB_PURGE,
	SPOOL_JOB_NEXT_DUE,
	SPOOL_JOB_CANCEL,
	SPOOL_JOB_RESCHEDULE,
	SPOOL_JOB_FEEDBACK,
	SPOOL_JOB_EXEC,
	SPOOL_JOB_WH_ENQUEUE,
	SPOOL_JOB_WH_CLAIM,
	SPOOL_JOB_WH_SETTLE,
	SPOOL_JOB_WH_DEAD,
};

/* One queued operation; owned by the queue, then the done list. */
struct spool_job {
	struct spool_job *next;
	enum spool_job_kind kind;
	int status;
	void *arg;
	union {
		spool_commit_fn *commit;
		spool_msg_fn *msg;
		spool_msgs_fn *msgs;
		spool_done_fn *done;
		spool_count_fn *count;
		spool_submit_fn *submit; /* SPOOL_JOB_SUBMIT when idem */
		spool_time_fn *time;     /* SPOOL_JOB_NEXT_DUE */
		spool_fb_fn *fb;         /* SPOOL_JOB_FEEDBACK */
		spool_wh_fn *wh;         /* SPOOL_JOB_WH_CLAIM, _WH_DEAD */
	} cb;
	int idem; /* SPOOL_JOB_SUBMIT: cb.submit, hash compared */
	int dup;  /* SPOOL_JOB_SUBMIT result: answered by an earlier one */
	char id[ID_SIZE];
	struct spool_msg_new m; /* SPOOL_JOB_SUBMIT */
	int new_state;          /* SPOOL_JOB_SUBMIT: how it was stored */
	int64_t due_ms; /* SPOOL_JOB_SUBMIT: due at; SPOOL_JOB_RESCHEDULE:
	                   the new send time */
	int flags;      /* SPOOL_JOB_GET */
	int state;      /* SPOOL_JOB_LIST */
	size_t limit;   /* SPOOL_JOB_LIST, SPOOL_JOB_CLAIM */
	int64_t now_ms; /* SPOOL_JOB_CLAIM; SPOOL_JOB_NEXT_DUE: the result */
	char *stream;   /* SPOOL_JOB_CLAIM: only this stream; owned */
	char *tenant;   /* SPOOL_JOB_LIST, _CANCEL, _RESCHEDULE: only this
	                   tenant, or NULL; owned */
	struct spool_outcome o;  /* SPOOL_JOB_OUTCOME, deep copy */
	struct spool_msg *one;   /* SPOOL_JOB_GET, _CANCEL, _RESCHEDULE */
	struct spool_msg **many; /* SPOOL_JOB_LIST, SPOOL_JOB_CLAIM results */
	size_t n_many;
	uint64_t n_done; /* SPOOL_JOB_PURGE result */
	/* SPOOL_JOB_FEEDBACK: the events (owned) and their matches */
	struct feedback_event *fb_ev;
	size_t fb_n;
	struct spool_fb_match *fb_m;
	spool_exec_fn *exec; /* SPOOL_JOB_EXEC: run inside the transaction */
	/* SPOOL_JOB_WH_*: the rows (owned), the settle verdict, the counts */
	struct spool_wh *wh;
	size_t wh_n;
	int wh_verdict;
	struct spool_wh_counts wh_c;
	uint64_t queued_us; /* SPOOL_JOB_OUTCOME: when it was queued (mono) */
};

struct spool_job_list {
	struct spool_job *head;
	struct spool_job **tail;
	size_t len;
};

/* spool_job_outcome_copy - deep copy of o into dst (spool_job_free frees it).
 */
void spool_job_outcome_copy(struct spool_outcome *dst,
                            const struct spool_outcome *o);
/* spool_job_results_free - drop the results a (failed) batch produced. */
void spool_job_results_free(struct spool_job *j);
/* spool_job_free - free j and whatever it still owns. */
void spool_job_free(struct spool_job *j);
/* spool_job_deliver - run j's callback, handing over its results. */
void spool_job_deliver(struct spool_job *j);
/* spool_job_list_init - make l empty. */
void spool_job_list_init(struct spool_job_list *l);
/* spool_job_list_push - append j to l. */
void spool_job_list_push(struct spool_job_list *l, struct spool_job *j);
/* spool_job_list_splice - move all of src to the end of dst. */
void spool_job_list_splice(struct spool_job_list *dst,
                           struct spool_job_list *src);

#endif
