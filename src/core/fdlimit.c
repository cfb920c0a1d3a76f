/*
 * fdlimit.c - raise the open-file limit and fit the caps beneath it.
 */
#include "core/fdlimit.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "core/log.h"

uint64_t
fdlimit_raise(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		log_warn("fdlimit: getrlimit: %s", strerror(errno));
		return 1024;
	}
	if (rl.rlim_cur != rl.rlim_max) {
		rlim_t old = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
			log_warn("fdlimit: raising open files from %llu to "
			         "%llu: %s",
			         (unsigned long long)old,
			         (unsigned long long)rl.rlim_max,
			         strerror(errno));
			rl.rlim_cur = old;
		}
	}
	return rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX
	                                    : (uint64_t)rl.rlim_cur;
}

int
fdlimit_fit(uint64_t limit, uint64_t reserve, unsigned *smtp, unsigned *http)
{
	uint64_t want = (uint64_t)*smtp + *http, room;

	if (limit > reserve + want)
		return 0;
	room = limit > reserve + 2 ? limit - reserve : 2;
	/* Each keeps its share of the room, and at least one connection. */
	*smtp = (unsigned)(room * *smtp / want);
	*http = (unsigned)(room - *smtp);
	if (*smtp == 0)
		*smtp = 1;
	if (*http == 0)
		*http = 1;
	return 1;
}
