/*
 * id.h - message ids that sort by time.
 *
 * An id is 20 characters of Crockford base32: 10 for the milliseconds since
 * the epoch (48 bits used), then 10 for a 50-bit sequence. The sequence's
 * top 5 bits (the 11th character) are the node number of the process that
 * made the id (id_set_node; 0: none, as for a node outside a cluster), the
 * 45 below them increase within a millisecond (a per-process counter
 * seeded at random in the lower half), so ids from one process sort in
 * the order they were made, ids of different nodes never collide and ids
 * of different processes of one node almost never do. Which node holds a
 * message is read from its id (id_node) without asking anyone: the
 * cluster forwards requests for it there (docs/cluster.md). Ids made
 * before node numbers existed (swerve 0.1) have a random 11th character:
 * their "node" means nothing, so a node always looks in its own spool
 * first.
 */
#ifndef SWERVE_CORE_ID_H
#define SWERVE_CORE_ID_H

#include <stdint.h>

#define ID_LEN 20
#define ID_SIZE (ID_LEN + 1)

/* id_new - write a fresh NUL-terminated id into out. Thread-safe. */
void id_new(char out[ID_SIZE]);
/* id_make - the id for time ms and sequence seq (for tests; the node
 * number is seq's bits 45..49). */
void id_make(char out[ID_SIZE], uint64_t ms, uint64_t seq);
#define ID_NODE_MAX 31 /* node numbers are 1..31; 0 is none */

/* id_set_node - ids made from now on carry node number n (0..ID_NODE_MAX;
 * larger values are taken modulo 32). Thread-safe; set once at start. */
void id_set_node(unsigned n);
/* id_node - the node number a valid id carries (0: none); -1 when s is
 * not a valid id. */
int id_node(const char *s);
/* id_valid - 1 if s is a syntactically valid id, else 0. */
int id_valid(const char *s);
/* id_hash - a 64-bit hash of the NUL-terminated id (or any string), for
 * in-memory hash tables; stable within and across processes. */
uint64_t id_hash(const char *id);

#endif
