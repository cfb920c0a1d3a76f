/*
 * base64.h - the one base64 codec (RFC 4648 section 4 alphabet).
 *
 * Encoding always pads and never breaks lines; callers that want MIME's
 * 76-column lines cut the input into 57-byte pieces. Decoding is strict
 * by default (what SASL and JSON APIs send); flags loosen it for MIME
 * bodies and encoded-words or tighten it to canonical form. Any byte
 * outside the alphabet that a flag does not allow is an error: RFC 2045's
 * "ignore what is not base64" would let garbage through unnoticed. Nothing here
 * logs; malformed input is an ordinary -1.
 */
#ifndef SWERVE_CORE_BASE64_H
#define SWERVE_CORE_BASE64_H

#include <stddef.h>
#include <sys/types.h>

#include "core/buf.h"

/* Decoding flags; 0 is strict: no blanks, padded to a multiple of four. */
enum base64_flags {
	/* Reject non-zero unused bits in the last quantum ("YR==" is not
	 * "a"), so that one byte string has exactly one encoding. */
	BASE64_CANONICAL = 1u << 0,
	/* Skip CR, LF, space and tab anywhere (MIME lines, folded JSON). */
	BASE64_BLANKS = 1u << 1,
	/* The final padding may be left out; if present it must still
	 * complete the last quantum exactly. */
	BASE64_UNPADDED = 1u << 2,
	/* MIME bodies and encoded-words (RFC 2045 6.8, RFC 2047 4.1). */
	BASE64_MIME = BASE64_BLANKS | BASE64_UNPADDED,
};

/* base64_encoded_len - length of the base64 text of n bytes (no NUL). */
size_t base64_encoded_len(size_t n);

/*
 * base64_encode_mem - write the padded base64 of p[0..n) and a NUL to
 * out, which must hold base64_encoded_len(n) + 1 bytes. For fixed,
 * caller-wiped buffers (secrets that must not land on the heap).
 */
void base64_encode_mem(char *out, const void *p, size_t n);

/* base64_encode - append the padded base64 of p[0..n) to out. */
void base64_encode(struct buf *out, const void *p, size_t n);

/*
 * base64_encode_str - the padded base64 of p[0..n) as a NUL-terminated
 * heap string of exactly base64_encoded_len(n) + 1 bytes (so that a caller
 * encoding a secret can wipe it whole). Caller frees.
 */
char *base64_encode_str(const void *p, size_t n);

/*
 * base64_decode - decode in under flags (enum base64_flags) into
 * out[0..cap). Returns the decoded length, or -1 if in is malformed or
 * the result does not fit in cap. out may be NULL to only validate and
 * measure (cap is then ignored). On -1, out may hold partial output.
 */
ssize_t base64_decode(struct str in, unsigned flags, unsigned char *out,
                      size_t cap);

/*
 * base64_decode_buf - base64_decode appending to out. Returns 0, or -1
 * with out as it was (same length) if in is malformed.
 */
int base64_decode_buf(struct str in, unsigned flags, struct buf *out);

#endif
