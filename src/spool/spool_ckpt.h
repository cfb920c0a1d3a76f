/*
 * spool_ckpt.h - the spool's background WAL checkpointer (internal).
 *
 * The writer connection never checkpoints on its own (that would stall
 * the submitters of the commit that crossed the threshold while 16 MiB
 * are copied and fsynced). Instead the writer pokes this thread, which
 * runs PASSIVE checkpoints on a connection of its own: they copy WAL
 * frames into the database without blocking the writer. The writer still
 * checkpoints inline if the WAL grows past a hard limit (see spool.c).
 */
#ifndef SWERVE_SPOOL_SPOOL_CKPT_H
#define SWERVE_SPOOL_SPOOL_CKPT_H

#include <stddef.h>

struct spool_ckpt;

/*
 * spool_ckpt_start - open path (through VFS vfs, NULL = default) and start
 * the checkpointer thread. After each checkpoint it rewrites the
 * integrity record at mark (NULL: none; see spool_mark.h) with the WAL
 * generation and the frames it held. NULL with a message in err on
 * failure. mark is copied.
 */
struct spool_ckpt *spool_ckpt_start(const char *path, const char *vfs,
                                    const char *mark, char *err, size_t errlen);
/* spool_ckpt_poke - ask for a checkpoint soon. Cheap; any thread. */
void spool_ckpt_poke(struct spool_ckpt *c);
/* spool_ckpt_runs - checkpoints completed so far. */
unsigned long spool_ckpt_runs(struct spool_ckpt *c);
/*
 * spool_ckpt_frames - what the last successful checkpoint saw: the WAL's
 * frames (*log) and how many of them are in the database (*done); both
 * 0 before the first. Returns spool_ckpt_runs(). Any thread.
 */
unsigned long spool_ckpt_frames(struct spool_ckpt *c, int *log, int *done);
/* spool_ckpt_stop - stop the thread and close. NULL is a no-op. */
void spool_ckpt_stop(struct spool_ckpt *c);

#endif
