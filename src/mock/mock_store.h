/*
 * mock_store.h - swerve-mock's captured messages (contract).
 *
 * An in-memory ring of the last max messages the mock accepted, over SMTP
 * or (later) over a fake provider's HTTP API. Each message gets an id from
 * core/id.h; ids made by one process only ever increase, so the ring is
 * sorted by id and lookups are a binary search. When the ring is full the
 * oldest message is dropped. Single-threaded: the loop thread only.
 */
#ifndef SWERVE_MOCK_MOCK_STORE_H
#define SWERVE_MOCK_MOCK_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/id.h"

struct mock_msg {
	char id[ID_SIZE];
	char *mail_from; /* "" for the null sender */
	char **rcpt;     /* nrcpt addresses */
	size_t nrcpt;
	char *data; /* the message bytes (NUL after len) */
	size_t len;
	int64_t received_ms; /* wall clock, ms since the epoch */
	char sha256[65];     /* lower-case hex of data */
	char via[16];        /* "smtp", or the fake API's name */
	char *api;           /* fake API record (JSON text), NULL for SMTP */
};

struct mock_store;

/* mock_store_new - an empty store keeping at most max messages (max >= 1). */
struct mock_store *mock_store_new(size_t max);

/* mock_store_free - release the store and every message; NULL is a no-op. */
void mock_store_free(struct mock_store *st);

/*
 * mock_store_add - capture a message. Copies mail_from and the nrcpt
 * strings of rcpt; takes the bytes of data (data is left empty). Drops
 * the oldest message if the store is full. Returns the stored message,
 * valid until it is dropped or the store is cleared.
 */
const struct mock_msg *mock_store_add(struct mock_store *st,
                                      const char *mail_from, char *const *rcpt,
                                      size_t nrcpt, struct buf *data,
                                      const char *via);

/*
 * mock_store_add_api - mock_store_add for a fake provider API, plus api:
 * the JSON text describing the request (taken; see mock_api.h).
 */
const struct mock_msg *mock_store_add_api(struct mock_store *st,
                                          const char *mail_from,
                                          char *const *rcpt, size_t nrcpt,
                                          struct buf *data, const char *via,
                                          char *api);

/* mock_store_count - messages held now. */
size_t mock_store_count(const struct mock_store *st);

/* mock_store_at - the i-th message held, 0 = oldest; NULL if out of range. */
const struct mock_msg *mock_store_at(const struct mock_store *st, size_t i);

/* mock_store_find - the message with this id, or NULL. */
const struct mock_msg *mock_store_find(const struct mock_store *st,
                                       const char *id);

/* mock_store_clear - drop every message. Returns how many were dropped. */
size_t mock_store_clear(struct mock_store *st);

#endif
