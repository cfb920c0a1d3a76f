/*
 * spool_salvage.h - keep what is readable of a damaged spool database
 * (internal to src/spool; used by spool_open under --accept-spool-damage).
 */
#ifndef SWERVE_SPOOL_SPOOL_SALVAGE_H
#define SWERVE_SPOOL_SPOOL_SALVAGE_H

#include <stddef.h>
#include <stdint.h>

struct spool_salvage {
	uint64_t kept;     /* messages copied whole (row, body, recipients) */
	uint64_t lost;     /* messages seen in some readable row, not whole */
	uint64_t attempts; /* attempt rows that could not be read */
	char moved[512];   /* where the damaged database was moved */
};

/*
 * spool_salvage_run - copy every whole message of the database at
 * db_path (closed by every connection) into a new database, move the
 * damaged one aside (spool.db.damaged-<ms>) and put the new one in its
 * place. A message is kept only whole; one whose row, body or any
 * recipient cannot be read is counted in lost (and its id logged).
 * Messages of which no trace is readable cannot be counted. Returns 0,
 * or -1 with a message in err (then nothing was moved).
 */
int spool_salvage_run(const char *db_path, struct spool_salvage *out, char *err,
                      size_t errlen);

#endif
