/*
 * verp.h - VERP envelope senders that name a message and a recipient,
 * authenticated so they cannot be forged (contract).
 *
 * For an SMTP provider with bounce_domain set, deliver sends with the
 * envelope sender
 *
 *     b-<msgid>-<idx>-<mac>@<bounce_domain>
 *
 * msgid: swerve's 20-character message id (core/id.h); idx: the index of
 * the recipient the transaction carries, in decimal (0..999999), or "x"
 * when it carries several (the report's own recipient field then names
 * it); mac: the first 8 octets of HMAC-SHA256(key, "<MSGID>-<idx>") in
 * lower-case hex. A bounce arriving at such an address (the bounce
 * listener, ingress/bounce.c) is believed only when its mac verifies:
 * nobody without the key can make swerve record a bounce for a message.
 *
 * The local part is case-insensitive here (some MTAs change case); the
 * domain is only checked for length (at most 253 octets): the caller
 * compares it with its bounce domains.
 *
 * Lives in deliver/ because deliver writes it (it knows the provider of
 * an attempt) and ingress, which sits above deliver, reads it; providers/
 * never sees it (the adapter gets the sender ready-made).
 * Pure: no I/O, no allocation, no global state.
 */
#ifndef SWERVE_DELIVER_VERP_H
#define SWERVE_DELIVER_VERP_H

#include <stddef.h>

#include "core/id.h"

#define VERP_KEY_MIN 16       /* shortest key accepted, octets */
#define VERP_MAC_HEX 16       /* 8 octets of HMAC-SHA256 */
#define VERP_IDX_MAX 999999   /* highest recipient index written */
#define VERP_IDX_SEVERAL (-1) /* idx "x": several recipients */
/* "b-" + id + "-" + 6 digits + "-" + mac + "@" + a domain of 253 + NUL */
#define VERP_ADDR_MAX (2 + ID_LEN + 1 + 6 + 1 + VERP_MAC_HEX + 1 + 253 + 1)

/* What verp_decode() found wrong with an address. */
enum verp_status {
	VERP_OK = 0,
	VERP_MALFORMED = -1, /* not of the form above */
	VERP_FORGED = -2,    /* well-formed, but the mac does not verify */
};

/*
 * verp_encode - write the VERP address for message msg_id (a valid id),
 * recipient idx (0..VERP_IDX_MAX, or VERP_IDX_SEVERAL) and domain into
 * out[0..outlen). key[0..keylen) is the secret (at least VERP_KEY_MIN
 * octets). Returns 0, or -1 (nothing usable written) when an argument is
 * out of range or out is too small.
 */
int verp_encode(const unsigned char *key, size_t keylen, const char *msg_id,
                int idx, const char *domain, char *out, size_t outlen);

/*
 * verp_decode - check addr (a bare address, no angle brackets) against
 * key: VERP_OK with msg_id (upper-case, NUL-terminated), *idx (or
 * VERP_IDX_SEVERAL) and *domain (a view into addr, after the '@', of
 * *domain_len octets) filled; else VERP_MALFORMED or VERP_FORGED, and
 * the outputs are unspecified. The mac is compared in constant time.
 */
enum verp_status verp_decode(const unsigned char *key, size_t keylen,
                             const char *addr, char msg_id[ID_SIZE], int *idx,
                             const char **domain, size_t *domain_len);

#endif
