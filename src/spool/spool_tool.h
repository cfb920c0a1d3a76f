/*
 * spool_tool.h - `swervectl spool check` and `swervectl spool backup`
 * (the operator's side of the spool, outside the daemon).
 *
 * Both open the spool's files directly, read-only, rather than asking
 * the daemon over HTTP: they work when swerved is stopped or refuses to
 * start (which is when a check or a backup is needed most), and they
 * need exactly the right to read the spool directory (0700, the
 * daemon's user or root), which is the right to read every message;
 * no network endpoint streams the whole store. With swerved running
 * they are safe: SQLite's WAL lets a reader work beside the writer
 * without blocking it, and a backup reads one snapshot.
 */
#ifndef SWERVE_SPOOL_SPOOL_TOOL_H
#define SWERVE_SPOOL_SPOOL_TOOL_H

#include <stdio.h>

/*
 * spool_tool_check - check the spool in dir (integrity record, WAL,
 * PRAGMA quick_check with no time limit, readable messages) and print
 * the findings to out. Returns 0 whole, 1 damaged, 2 when the spool
 * cannot be opened at all.
 */
int spool_tool_check(const char *dir, FILE *out);

/*
 * spool_tool_backup - copy a consistent snapshot of the spool in dir to
 * the new file dest (mode 0600; an existing dest is refused) with
 * SQLite's online backup API, check the copy, print what was copied.
 * Returns 0, or 1 with a message on out.
 */
int spool_tool_backup(const char *dir, const char *dest, FILE *out);

#endif
