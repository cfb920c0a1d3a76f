/*
 * mock.c - the state swerve-mock's SMTP side and HTTP side share.
 *
 * Owns the mode, the counters and the message store; does no I/O of its
 * own. A mode change is announced to watchers so the parts with sockets
 * (the SMTP listener for refuse mode) can act on it at once.
 */
#include "mock/mock.h"

#include <event2/util.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xmalloc.h"

static const char *const mock_stat_names[MOCK_STAT_COUNT] = {
    [MOCK_STAT_CONNECTIONS] = "connections",
    [MOCK_STAT_MESSAGES_ACCEPTED] = "messages_accepted",
    [MOCK_STAT_MESSAGES_REJECTED] = "messages_rejected",
    [MOCK_STAT_MESSAGES_DROPPED] = "messages_dropped",
    [MOCK_STAT_RCPTS_ACCEPTED] = "rcpts_accepted",
    [MOCK_STAT_RCPTS_REJECTED] = "rcpts_rejected",
    [MOCK_STAT_AUTH_ACCEPTED] = "auth_accepted",
    [MOCK_STAT_AUTH_REJECTED] = "auth_rejected",
};

/* mock_new - the shared state in accept mode. */
struct mock *
mock_new(struct event_base *base, const char *name, size_t max_store)
{
	struct mock *m = xcalloc(1, sizeof(*m));

	m->base = base;
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->mode.mode = MOCK_MODE_ACCEPT;
	m->store = mock_store_new(max_store);
	return m;
}

/* mock_free - release the state. */
void
mock_free(struct mock *m)
{
	if (m == NULL)
		return;
	mock_store_free(m->store);
	free(m);
}

/* mock_mode_watch - register a mode-change watcher. */
void
mock_mode_watch(struct mock *m, mock_mode_fn *fn, void *arg)
{
	if (m->nwatch == MOCK_WATCH_MAX)
		log_panic("mock: too many mode watchers");
	m->watch[m->nwatch].fn = fn;
	m->watch[m->nwatch].arg = arg;
	m->nwatch++;
}

/* mock_mode_change - switch mode and tell the watchers. */
void
mock_mode_change(struct mock *m, const struct mock_mode_set *set)
{
	struct mock_mode_set old = m->mode;
	size_t i;

	m->mode = *set;
	if (set->mode == MOCK_MODE_SLOW)
		log_info("mock[%s]: mode %s -> slow %u ms", m->name,
		         mock_mode_name(old.mode), set->slow_ms);
	else if (set->mode == MOCK_MODE_RCPTFAIL)
		log_info("mock[%s]: mode %s -> rcptfail \"%s\"", m->name,
		         mock_mode_name(old.mode), set->match);
	else
		log_info("mock[%s]: mode %s -> %s", m->name,
		         mock_mode_name(old.mode), mock_mode_name(set->mode));
	for (i = 0; i < m->nwatch; i++)
		m->watch[i].fn(m, &old, m->watch[i].arg);
}

/* mock_stat_add - count one event under the current mode. */
void
mock_stat_add(struct mock *m, enum mock_stat s)
{
	m->stats[m->mode.mode][s]++;
}

/* mock_stat_total - the count of s over all modes. */
uint64_t
mock_stat_total(const struct mock *m, enum mock_stat s)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < MOCK_MODE_COUNT; i++)
		n += m->stats[i][s];
	return n;
}

/* mock_stat_name - the counter's JSON name. */
const char *
mock_stat_name(enum mock_stat s)
{
	if ((unsigned)s >= MOCK_STAT_COUNT)
		return "unknown";
	return mock_stat_names[s];
}

/* mock_stats_clear - zero every counter. */
void
mock_stats_clear(struct mock *m)
{
	memset(m->stats, 0, sizeof(m->stats));
}

int
mock_sockaddr_parse(const char *s, struct sockaddr *sa, int *len)
{
	const char *colon = strrchr(s, ':');
	size_t n = strlen(s);
	char *tmp;
	int rc;

	if (colon == NULL || strcmp(colon + 1, "0") != 0)
		return evutil_parse_sockaddr_port(s, sa, len);
	/* libevent refuses port 0: parse with port 1, then set it to 0. */
	tmp = xstrdup(s);
	tmp[n - 1] = '1';
	rc = evutil_parse_sockaddr_port(tmp, sa, len);
	free(tmp);
	if (rc < 0)
		return -1;
	if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)sa)->sin_port = 0;
	else
		((struct sockaddr_in6 *)sa)->sin6_port = 0;
	return 0;
}
