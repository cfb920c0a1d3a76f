/*
 * fdlimit.h - the process's open-file limit (contract).
 *
 * At start swerved raises RLIMIT_NOFILE's soft limit to its hard limit, so
 * its connection caps, not the kernel's default of 1,024, decide when it
 * turns clients away; then it checks the caps fit under what it got.
 */
#ifndef SWERVE_CORE_FDLIMIT_H
#define SWERVE_CORE_FDLIMIT_H

#include <stdint.h>

/*
 * fdlimit_raise - set the soft RLIMIT_NOFILE to the hard one. Returns the
 * soft limit in force afterwards (the old one if raising failed, with a
 * warning logged).
 */
uint64_t fdlimit_raise(void);

/*
 * fdlimit_fit - shrink *smtp and *http (connection caps) so that together
 * with reserve descriptors (spool, listeners, upstream connections) they
 * stay below limit; each keeps its share of what is left. Returns 1 when
 * it had to shrink them, else 0.
 */
int fdlimit_fit(uint64_t limit, uint64_t reserve, unsigned *smtp,
                unsigned *http);

#endif
