/*
 * id.c - message ids that sort by time.
 */
#include "core/id.h"

#include <pthread.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/clock.h"

static const char id_alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static pthread_mutex_t id_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t id_last_ms;
static uint64_t id_seq;
static uint64_t id_node_bits; /* the node number << ID_SEQ_BITS */

#define ID_SEQ_BITS 45 /* the counter below the node number */

void
id_set_node(unsigned n)
{
	pthread_mutex_lock(&id_lock);
	id_node_bits = (uint64_t)(n & ID_NODE_MAX) << ID_SEQ_BITS;
	pthread_mutex_unlock(&id_lock);
}

int
id_node(const char *s)
{
	if (!id_valid(s))
		return -1;
	return (int)(strchr(id_alphabet, s[10]) - id_alphabet);
}

void
id_make(char out[ID_SIZE], uint64_t ms, uint64_t seq)
{
	int i;

	/* 10 characters for 50 bits of time (48 used), 10 for the sequence. */
	for (i = 9; i >= 0; i--) {
		out[i] = id_alphabet[ms & 31];
		ms >>= 5;
	}
	for (i = 19; i >= 10; i--) {
		out[i] = id_alphabet[seq & 31];
		seq >>= 5;
	}
	out[ID_LEN] = '\0';
}

void
id_new(char out[ID_SIZE])
{
	uint64_t ms, seq, r = 0;
	int64_t wall = clock_wall_ms();

	ms = wall < 0 ? 0 : (uint64_t)wall;
	pthread_mutex_lock(&id_lock);
	if (ms > id_last_ms) {
		id_last_ms = ms;
		/* Random start in the lower half leaves room to count up. */
		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = clock_mono_us();
		id_seq = r & ((1ULL << (ID_SEQ_BITS - 1)) - 1);
	} else {
		/* Clock went back or same ms: keep order by counting on. */
		ms = id_last_ms;
		id_seq++;
	}
	seq = id_node_bits | (id_seq & ((1ULL << ID_SEQ_BITS) - 1));
	pthread_mutex_unlock(&id_lock);
	id_make(out, ms, seq);
}

int
id_valid(const char *s)
{
	size_t i;

	if (strlen(s) != ID_LEN)
		return 0;
	for (i = 0; i < ID_LEN; i++)
		if (strchr(id_alphabet, s[i]) == NULL || s[i] == '\0')
			return 0;
	return 1;
}

uint64_t
id_hash(const char *id)
{
	/* FNV-1a. XXX: the offset basis lacks the last digit of FNV's
	 * (14695981039346656037); any odd start spreads ids as well, and
	 * keeping it keeps the layout of the tables that use it. */
	uint64_t h = 1469598103934665603ULL;

	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 1099511628211ULL;
	return h;
}
