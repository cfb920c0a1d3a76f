/*
 * spool_job.c - the operations queued between the loop and the writer.
 *
 * Building, delivering and freeing jobs, and the little FIFO lists that
 * carry them. No locking and no I/O here: spool.c owns the mutex, the
 * writer runs the jobs through spool_db.c.
 */
#include "spool/spool_job.h"

#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

/* sdup - xstrdup that passes NULL through. */
static char *
sdup(const char *s)
{
	return s == NULL ? NULL : xstrdup(s);
}

/* spool_job_outcome_copy - deep copy of o into dst. */
void
spool_job_outcome_copy(struct spool_outcome *dst, const struct spool_outcome *o)
{
	struct spool_rcpt_result *r = NULL;
	size_t i;

	*dst = *o;
	dst->id = sdup(o->id);
	dst->provider = sdup(o->provider);
	dst->result = sdup(o->result);
	dst->reply = sdup(o->reply);
	dst->trace = sdup(o->trace);
	dst->last_error = sdup(o->last_error);
	if (o->n_rcpts > 0) {
		r = xcalloc(o->n_rcpts, sizeof(*r));
		for (i = 0; i < o->n_rcpts; i++) {
			r[i] = o->rcpts[i];
			r[i].reply = sdup(o->rcpts[i].reply);
			r[i].provider_msg_id =
			    sdup(o->rcpts[i].provider_msg_id);
		}
	}
	dst->rcpts = r;
}

/* outcome_fini - free a copy made by spool_job_outcome_copy. */
static void
outcome_fini(struct spool_outcome *o)
{
	size_t i;

	free((char *)o->id);
	free((char *)o->provider);
	free((char *)o->result);
	free((char *)o->reply);
	free((char *)o->trace);
	free((char *)o->last_error);
	for (i = 0; i < o->n_rcpts && o->rcpts != NULL; i++) {
		free((char *)o->rcpts[i].reply);
		free((char *)o->rcpts[i].provider_msg_id);
	}
	free((void *)o->rcpts);
}

/* fb_matches_clear - free the matches' strings and zero them. */
static void
fb_matches_clear(struct spool_job *j)
{
	size_t i;

	for (i = 0; j->fb_m != NULL && i < j->fb_n; i++) {
		free(j->fb_m[i].tenant);
		free(j->fb_m[i].stream);
		free(j->fb_m[i].sender_domain);
		memset(&j->fb_m[i], 0, sizeof(j->fb_m[i]));
		j->fb_m[i].rcpt_idx = -1;
	}
}

/* spool_job_results_free - drop results a failed batch produced. */
void
spool_job_results_free(struct spool_job *j)
{
	size_t i;

	fb_matches_clear(j);
	spool_msg_free(j->one);
	j->one = NULL;
	for (i = 0; i < j->n_many; i++)
		spool_msg_free(j->many[i]);
	free(j->many);
	j->many = NULL;
	j->n_many = 0;
	j->n_done = 0;
	if (j->kind == SPOOL_JOB_WH_CLAIM || j->kind == SPOOL_JOB_WH_DEAD) {
		spool_wh_free(j->wh, j->wh_n);
		j->wh = NULL;
		j->wh_n = 0;
	}
}

void
spool_wh_free(struct spool_wh *w, size_t n)
{
	size_t i;

	for (i = 0; w != NULL && i < n; i++) {
		free(w[i].url);
		free(w[i].msg_id);
		free(w[i].payload);
		free(w[i].meta);
		free(w[i].last_error);
	}
	free(w);
}

/* spool_job_free - free a job and whatever it still owns. */
void
spool_job_free(struct spool_job *j)
{
	spool_msg_new_fini(&j->m);
	if (j->kind == SPOOL_JOB_OUTCOME)
		outcome_fini(&j->o);
	free(j->stream);
	free(j->tenant);
	spool_job_results_free(j);
	free(j->fb_m);
	free(j->fb_ev);
	spool_wh_free(j->wh, j->wh_n);
	free(j);
}

/* spool_job_deliver - run j's callback (loop thread), handing over results. */
void
spool_job_deliver(struct spool_job *j)
{
	switch (j->kind) {
	case SPOOL_JOB_SUBMIT:
		if (j->idem) {
			if (j->cb.submit != NULL)
				j->cb.submit(j->status,
				             j->status == SPOOL_OK ||
				                     j->status ==
				                         SPOOL_ERR_CONFLICT
				                 ? j->id
				                 : NULL,
				             j->dup, j->arg);
		} else if (j->cb.commit != NULL)
			j->cb.commit(j->status,
			             j->status == SPOOL_OK ? j->id : NULL,
			             j->arg);
		break;
	case SPOOL_JOB_GET:
	case SPOOL_JOB_CANCEL:
	case SPOOL_JOB_RESCHEDULE:
		if (j->cb.msg != NULL) {
			j->cb.msg(j->status, j->one, j->arg);
			j->one = NULL;
		}
		break;
	case SPOOL_JOB_LIST:
	case SPOOL_JOB_CLAIM:
		if (j->cb.msgs != NULL) {
			j->cb.msgs(j->status, j->many, j->n_many, j->arg);
			j->n_many = 0;
		}
		break;
	case SPOOL_JOB_OUTCOME:
	case SPOOL_JOB_EXEC:
		if (j->cb.done != NULL)
			j->cb.done(j->status, j->arg);
		break;
	case SPOOL_JOB_PURGE:
		if (j->cb.count != NULL)
			j->cb.count(j->status, j->n_done, j->arg);
		break;
	case SPOOL_JOB_NEXT_DUE:
		if (j->cb.time != NULL)
			j->cb.time(j->status, j->now_ms, j->arg);
		break;
	case SPOOL_JOB_FEEDBACK:
		if (j->cb.fb != NULL)
			j->cb.fb(j->status, j->fb_ev,
			         j->status == SPOOL_OK ? j->fb_m : NULL,
			         j->fb_n, j->arg);
		break;
	case SPOOL_JOB_WH_ENQUEUE:
	case SPOOL_JOB_WH_SETTLE:
		if (j->cb.done != NULL)
			j->cb.done(j->status, j->arg);
		break;
	case SPOOL_JOB_WH_CLAIM:
	case SPOOL_JOB_WH_DEAD:
		if (j->cb.wh != NULL) {
			j->cb.wh(j->status,
			         j->status == SPOOL_OK ? j->wh : NULL,
			         j->status == SPOOL_OK ? j->wh_n : 0, &j->wh_c,
			         j->arg);
			if (j->status == SPOOL_OK) {
				j->wh = NULL;
				j->wh_n = 0;
			}
		}
		break;
	}
}

void
spool_job_list_init(struct spool_job_list *l)
{
	l->head = NULL;
	l->tail = &l->head;
	l->len = 0;
}

void
spool_job_list_push(struct spool_job_list *l, struct spool_job *j)
{
	j->next = NULL;
	*l->tail = j;
	l->tail = &j->next;
	l->len++;
}

/* spool_job_list_splice - move all of src to the end of dst. */
void
spool_job_list_splice(struct spool_job_list *dst, struct spool_job_list *src)
{
	if (src->head == NULL)
		return;
	*dst->tail = src->head;
	dst->tail = src->tail;
	dst->len += src->len;
	spool_job_list_init(src);
}
